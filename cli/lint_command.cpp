// `pgshift lint FILE.sql ...`: hand-written migrations judged by the
// planner's statement table (lint/lint.hpp). Exit 0 clean, 2 findings, 1 an
// error (an unreadable file, a syntax error, a database that cannot be read).
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "catalog/connection.hpp"
#include "catalog/lint_facts.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/planning.hpp"
#include "lint/lint.hpp"

namespace pgshift::cli {

namespace {

struct LintArgs {
  std::vector<std::string> files;
  std::string format = "text";
  std::vector<std::string> disable;
  bool assume_in_transaction = false;
  int pg_version = 15;
  bool list_rules = false;
  std::optional<std::string> db;  // --db: read the catalog (read-only)
};

constexpr std::size_t kLintFileLimit = 64u << 20;

int run_lint(const LintArgs& args) {
  if (args.list_rules) {
    for (const auto& rule : lint::all_rules()) {
      std::cout << rule.name << ": " << rule.summary << "\n";
    }
    return kExitOk;
  }
  if (args.files.empty()) throw UsageError("lint needs at least one SQL file");
  lint::Options options;
  options.server_version_num = args.pg_version * 10000;
  options.assume_in_transaction = args.assume_in_transaction;
  for (const auto& rule : args.disable) {
    if (!lint::known_rule(rule)) {
      throw UsageError("--disable: unknown rule \"" + rule +
                       "\"; `pgshift lint --list-rules` lists them");
    }
    options.disabled_rules.insert(rule);
  }
  std::vector<std::string> texts;
  for (const auto& path : args.files) {
    texts.push_back(read_bounded(path, kLintFileLimit, "SQL file"));
  }
  schemas::Database catalog;
  if (args.db) {
    // Only the relations and functions the files name are read.
    catalog::LintQuery query;
    std::set<lint::RelationName> relations;
    std::set<std::string> functions;
    for (const auto& text : texts) {
      const lint::Names names = lint::names_in(text);
      relations.insert(names.relations.begin(), names.relations.end());
      functions.insert(names.functions.begin(), names.functions.end());
    }
    for (const auto& relation : relations) query.relations.emplace_back(relation.schema, relation.name);
    query.functions.assign(functions.begin(), functions.end());
    const auto conn = catalog::connect(*args.db);
    catalog = catalog::read_lint_facts(*conn, query);
    options.catalog = &catalog;
    // The read throughput estimates are made from: the journal's earlier
    // applies, else a timed read of the largest table the files name that
    // holds rows (as `plan` calibrates).
    std::string largest;
    int64_t largest_pages = 0;
    for (const auto& [table, stats] : catalog.facts.table_stats) {
      if (stats.has_rows != false && stats.relpages > largest_pages) {
        largest = table;
        largest_pages = stats.relpages;
      }
    }
    if (!largest.empty()) {
      std::vector<std::string> warnings;
      options.throughput = read_throughput(*conn, largest, warnings);
      for (const auto& warning : warnings) std::cerr << "pgshift lint: warning: " << warning << "\n";
    }
  }
  std::vector<lint::FileReport> reports;
  for (size_t idx = 0; idx < args.files.size(); ++idx) {
    reports.push_back(lint::lint_file(args.files[idx], texts[idx], options));
  }
  const std::string rendered = args.format == "json"     ? lint::render_json(reports)
                               : args.format == "github" ? lint::render_github(reports)
                                                         : lint::render_text(reports);
  std::cout << rendered;
  if (lint::has_errors(reports)) return kExitError;
  return lint::finding_count(reports) > 0 ? kExitChanges : kExitOk;
}

}  // namespace

void add_lint_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "lint",
      "Judge hand-written SQL migrations by pgshift's statement table (exit 0: clean, 2: "
      "findings, 1: error)");
  auto args = std::make_shared<LintArgs>();
  command->add_option("files", args->files, "SQL migration files")->check(CLI::ExistingFile);
  command->add_option("--format", args->format, "Rendering: text, json or github (annotations)")
      ->check(CLI::IsMember({"text", "json", "github"}))
      ->capture_default_str();
  // One rule per --disable: the files that follow are not rule names.
  command
      ->add_option("--disable", args->disable,
                   "Do not report this rule (repeatable); see --list-rules")
      ->allow_extra_args(false);
  command->add_flag("--assume-in-transaction", args->assume_in_transaction,
                    "Judge each file as one transaction, as runners that wrap files do");
  command->add_option("--pg-version", args->pg_version,
                      "PostgreSQL major version whose lock behaviour applies")
      ->check(CLI::Range(11, 18))
      ->capture_default_str();
  command->add_option("--db", args->db,
                      "Read table sizes, emptiness, column types, function volatility and casts "
                      "from this database (read-only; libpq URI or key=value)");
  command->add_flag("--list-rules", args->list_rules, "Print the rules and exit");
  command->callback([args, &exit_code] { exit_code = run_lint(*args); });
}

}  // namespace pgshift::cli
