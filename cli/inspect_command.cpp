// pgshift inspect: the YAML of an existing database.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "catalog/connection.hpp"
#include "catalog/reader.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "schemas/error.hpp"
#include "schemas/yaml_writer.hpp"

namespace pgshift::cli {

namespace {

struct InspectArgs {
  std::string db;  // "": libpq defaults (PG* variables, ~/.pgpass)
  std::string output;
  catalog::ReadOptions read;
};

// -o DIR (an existing directory, or a path ending in '/') gets one file per
// schema; -o FILE one document; no -o writes to stdout.
void write_output(const schemas::Database& db, const std::string& output) {
  if (output.empty()) {
    std::cout << schemas::write_yaml(db);
    return;
  }
  if (output.back() == '/' || std::filesystem::is_directory(output)) {
    schemas::write_yaml_directory(db, output);
    return;
  }
  std::ofstream file(output, std::ios::binary | std::ios::trunc);
  file << schemas::write_yaml(db);
  if (!file.flush()) throw Error("could not write file \"" + output + "\"");
}

void run_inspect(const InspectArgs& args) {
  const auto conn = catalog::connect(args.db);
  schemas::Database db;
  try {
    db = catalog::read_catalog(*conn, args.read);
  } catch (const catalog::ReadError& e) {
    throw Error("could not inspect \"" + catalog::describe_target(args.db) + "\": " + e.what());
  }
  write_output(db, args.output);
  // The YAML has no place for these: say so, one line each, on stderr.
  for (const auto& object : db.facts.unmodelled) {
    std::cerr << "pgshift inspect: warning: " << schemas::describe(object)
              << " is not modelled by pgshift and is not in the YAML\n";
  }
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("inspect", "Write the YAML of a live database's schema");
  auto args = std::make_shared<InspectArgs>();
  command->add_option("--db", args->db,
                      "Connection URI or key=value string (default: PG* environment, ~/.pgpass)");
  command->add_option("-o,--output", args->output,
                      "Output file, or directory for one file per schema (default: stdout)");
  command->add_option("--only-schema", args->read.include_schemas,
                      "PostgreSQL schema to read, e.g. public (repeatable; default: all but "
                      "the system schemas)");
  // --schema is the desired-state YAML in plan, apply and drift; here it once
  // meant a PostgreSQL schema name. It stays, hidden, to say what to use.
  auto renamed = std::make_shared<std::vector<std::string>>();
  command->add_option("--schema", *renamed)->group("");
  command->add_option("--exclude-schema", args->read.exclude_schemas,
                      "Schema to skip (repeatable)");
  command->add_option("--exclude-table", args->read.exclude_tables,
                      "Glob on schema.table to skip (repeatable)");
  command->callback([args, renamed, &exit_code] {
    if (!renamed->empty()) {
      throw UsageError(
          "inspect has no --schema: to read only some PostgreSQL schemas, use --only-schema "
          "NAME (repeatable); --schema names the desired-state YAML in plan, apply and drift");
    }
    run_inspect(*args);
    exit_code = kExitOk;
  });
}

}  // namespace pgshift::cli
