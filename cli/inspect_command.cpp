// pgshift inspect: the YAML (or SQL) of an existing database.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "catalog/connection.hpp"
#include "catalog/reader.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/planning.hpp"
#include "planner/sql_writer.hpp"
#include "schemas/error.hpp"
#include "schemas/text_file.hpp"
#include "schemas/yaml_writer.hpp"

namespace pgshift::cli {

namespace {

// inspect writes objects, not their state: no sequence's last value.
catalog::ReadOptions inspect_read_options() {
  catalog::ReadOptions options;
  options.sequence_usage = false;
  return options;
}

struct InspectArgs {
  std::string db;  // "": libpq defaults (PG* variables, ~/.pgpass)
  std::string output;
  std::string format;  // "": from the extension of output, else yaml
  catalog::ReadOptions read = inspect_read_options();
};

// The database as SQL statements that build it, readable back by --schema.
std::string sql_text(const schemas::Database& db, const std::string& target) {
  const auto document = planner::write_sql(db);
  if (!document.errors.empty()) {
    std::string message = "could not write \"" + target + "\" as SQL:";
    for (const auto& error : document.errors) message += "\n  " + error;
    throw Error(message);
  }
  if (const auto at = schemas::first_invalid_utf8(document.text)) {
    const auto line = std::count(document.text.begin(), document.text.begin() + *at, '\n') + 1;
    throw Error("cannot write the schema as SQL: its line " + std::to_string(line) +
                " is not UTF-8 (" + schemas::invalid_utf8_message(document.text, *at) +
                "): " + schemas::printable_line_at(document.text, *at) +
                ": pgshift reads SQL as UTF-8 and does not convert text (a SQL_ASCII database "
                "can hold any bytes). Rename the object or rewrite the text in UTF-8, then "
                "inspect again");
  }
  for (const auto& warning : document.warnings) {
    std::cerr << "pgshift inspect: warning: " << warning << "\n";
  }
  std::string named = target;  // on one comment line
  for (char& c : named) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return "-- The schema of " + named +
         " as SQL, written by pgshift inspect --format sql: statements that build it\n"
         "-- in a new database. pgshift plan/apply/drift --schema read it back as a desired "
         "state.\n" +
         document.text;
}

// -o DIR (an existing directory, or a path ending in '/') gets one file per
// schema; -o FILE one document; no -o writes to stdout.
void write_output(const schemas::Database& db, const std::string& output,
                  const std::string& format, const std::string& target) {
  if (format == "sql") {
    if (!output.empty() && (output.back() == '/' || std::filesystem::is_directory(output))) {
      throw UsageError("inspect --format sql writes one file: give -o FILE.sql, not a directory");
    }
    pgshift::cli::write_output(sql_text(db, target), output, "the schema");
    return;
  }
  if (output.empty()) {
    schemas::write_text(std::cout, schemas::write_yaml(db));
    return;
  }
  if (output.back() == '/' || std::filesystem::is_directory(output)) {
    schemas::write_yaml_directory(db, output);
    return;
  }
  schemas::write_text_file(output, schemas::write_yaml(db));
}

void run_inspect(const InspectArgs& args) {
  const std::string format = choose_format(
      args.format, args.output, {{".sql", "sql"}, {".yaml", "yaml"}, {".yml", "yaml"}}, "yaml");
  if (format == "sql" && args.read.owners) {
    throw UsageError(
        "inspect --owners writes YAML only: a desired state in SQL is built by one role and "
        "cannot say who owns what");
  }
  catalog::ReadOptions read = args.read;
  // SQL is written by planning the schema from an empty database, in the
  // order the dependencies give; YAML needs none.
  read.dependencies = format == "sql";
  read.fingerprint = false;  // nothing is checked against it
  const auto conn = catalog::connect(args.db);
  schemas::Database db;
  try {
    db = catalog::read_catalog(*conn, read);
  } catch (const catalog::ReadError& e) {
    throw Error("could not inspect \"" + catalog::describe_target(args.db) + "\": " + e.what());
  }
  // A name that matched nothing is a typo (or a case: names are
  // case-sensitive), not an empty schema: an empty document would pass for
  // one.
  for (const auto& name : args.read.include_schemas) {
    if (schemas::find_schema(db, name) == nullptr) {
      throw Error("--only-schema " + name + ": no schema \"" + name + "\" in " +
                  catalog::describe_target(args.db) +
                  " (names are case-sensitive; system and extension schemas are not read)");
    }
  }
  write_output(db, args.output, format, catalog::describe_target(args.db));
  // The output has no place for these: say so, one line each, on stderr.
  for (const auto& object : db.facts.unmodelled) {
    std::cerr << "pgshift inspect: warning: " << schemas::describe(object)
              << " is not modelled by pgshift and is not in the "
              << (format == "sql" ? "SQL" : "YAML") << "\n";
  }
  keep_until_exit(std::move(db));
}

}  // namespace

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("inspect", "Write the YAML (or SQL) of a live database's schema");
  auto args = std::make_shared<InspectArgs>();
  command->add_option("--db", args->db,
                      "Connection URI or key=value string (default: PG* environment, ~/.pgpass)");
  command->add_option("-o,--output", args->output,
                      "Output file, or directory for one YAML file per schema (default: stdout)");
  command
      ->add_option("--format", args->format,
                   "yaml, or sql: statements that build the schema, which --schema reads back "
                   "(default: from -o's extension .sql, .yaml or .yml; else yaml)")
      ->check(CLI::IsMember({"yaml", "sql"}));
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
  command->add_flag("--owners", args->read.owners,
                    "Write manage_owners: true and every object's owner (YAML only)");
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
