// `pgshift lint`: hand-written migrations judged by the planner's own
// statement table.
//
// A migration file is parsed by PostgreSQL's parser (libpg_query, through
// schemas/sql_check_json.hpp) and every statement is mapped to the statement
// kinds of planner/statements.hpp: the row of each kind decides what the
// statement locks on each relation, what that blocks (plans::blocked_by, the
// lock-conflict matrix the applier uses), its duration class,
// transactionality and hazards, exactly as for a step pgshift plans. The rules
// (lint/RULES.md) only decide which of those facts is a problem in its
// context (a relation created earlier in the file, an empty table, the
// lock_timeout in effect, an open transaction block) and name the sequence
// pgshift would plan instead. Statements of kinds pgshift never plans (DML,
// DO blocks, VACUUM, ...) are listed as not judged, never guessed at.
//
// Pure: text and facts in, report out; no I/O. Facts from a live database
// (`--db`) come from catalog/lint_facts.hpp as a schemas::Database.
//
// Thread safety: pure functions; libpg_query keeps its state per thread.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::lint {

// One rule: its stable name (used by --disable, `-- pgshift-lint: ignore`,
// the JSON and GitHub annotations) and one line on what it finds.
struct RuleInfo {
  const char* name;
  const char* summary;
};
// Every rule, in the order of lint/RULES.md.
const std::vector<RuleInfo>& all_rules();
bool known_rule(const std::string& name);

struct Options {
  // Server version the statement table is read for; the --db server's wins.
  int server_version_num = 150000;
  // Rule names not reported (--disable).
  std::set<std::string> disabled_rules;
  // Treat every statement outside an explicit BEGIN ... COMMIT as part of one
  // transaction around the whole file, as migration runners that wrap each
  // file do (--assume-in-transaction).
  bool assume_in_transaction = false;
  // From `--db`: the tables the file names that exist (schemas, tables,
  // columns with their types) and facts.table_stats, function_volatility
  // (keyed "schema.name") and binary_coercible_casts. nullptr: no database.
  const schemas::Database* catalog = nullptr;
  // From `--db`: the read throughput of that server (plans/estimates.hpp;
  // earlier applies in its journal, else a calibration read). With a
  // table's size from `catalog`, a statement that scans or rewrites it gets
  // an estimated duration. nullopt: none.
  std::optional<plans::Throughput> throughput;
};

// A relation as the file names it, qualified: an unqualified name is taken
// to be in the first schema of the last `SET search_path` before it, else
// "public".
struct RelationName {
  std::string schema;
  std::string name;
};
bool operator<(const RelationName& a, const RelationName& b);
bool operator==(const RelationName& a, const RelationName& b);

// One lock a statement takes, from the statement table.
struct Lock {
  RelationName relation;
  plans::LockMode mode = plans::LockMode::AccessExclusive;
  bool created_in_file = false;  // invisible to other sessions or new: nobody waits on it
};

struct Finding {
  std::string rule;     // stable name, e.g. "index-not-concurrent"
  std::string message;  // lower case, no final period, names in double quotes
  // What pgshift would plan instead: SQL statements in order, then a line
  // naming the rule of planner/RULES.md ("rule 8: ..."), or advice when
  // pgshift has no safe sequence (a rename, a drop).
  std::vector<std::string> alternative;
};

struct StatementReport {
  std::size_t offset = 0;  // byte offset of the statement's first word
  int line = 0;            // 1-based
  int column = 0;          // 1-based, in characters
  std::string source_line;  // the line of the file the statement starts on
  // Statement-table kinds the statement was judged as ("create_index"); empty
  // for session and transaction control (SET, BEGIN) and for statements not
  // judged.
  std::vector<std::string> kinds;
  std::vector<Lock> locks;  // strongest mode per relation, in first-seen order
  plans::DurationClass duration = plans::DurationClass::CatalogOnly;
  bool transactional = true;
  std::vector<plans::Hazard> hazards;
  // How long it scans or rewrites existing tables, estimated as `plan`
  // estimates a step (plans::estimate_scan_ms), when Options::throughput and
  // the tables' sizes are known.
  std::optional<int64_t> estimated_ms;
  // Facts and caveats: "public.customers: 200,000 rows, 48 MB", "not judged:
  // pgshift never plans UPDATE".
  std::vector<std::string> notes;
  std::vector<Finding> findings;
};

// A file that cannot be linted: a syntax error, a NUL byte.
struct LintError {
  std::string message;
  int line = 0;  // 1-based; 0 when the error has no position
  int column = 0;
  std::string source_line;
};

struct FileReport {
  std::string path;
  std::vector<StatementReport> statements;
  std::vector<int> skipped_meta_commands;  // lines of psql meta-commands (\set, \i, ...)
  std::optional<LintError> error;
};

// The relations and functions a file names, for catalog/lint_facts to read:
// relations as qualified names, functions called in column defaults as
// "schema.name" (unqualified: "pg_catalog.name" and "<search_path>.name").
struct Names {
  std::set<RelationName> relations;
  std::set<std::string> functions;
};
Names names_in(const std::string& text);

// Lints one file's `text`. `path` is used in messages only.
FileReport lint_file(const std::string& path, const std::string& text, const Options& options);

std::size_t finding_count(const std::vector<FileReport>& reports);
bool has_errors(const std::vector<FileReport>& reports);

// Renderings. Text: per statement "path:line:column: source line", its locks
// and what they block, then each finding with its alternative. JSON: the same
// as data. GitHub: one workflow command per finding and error
// ("::warning file=...,line=...,col=...,title=...::message").
std::string render_text(const std::vector<FileReport>& reports);
std::string render_json(const std::vector<FileReport>& reports);
std::string render_github(const std::vector<FileReport>& reports);

}  // namespace pgshift::lint
