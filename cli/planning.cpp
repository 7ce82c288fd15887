#include "cli/planning.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "catalog/apply_history.hpp"
#include "catalog/connection.hpp"
#include "catalog/fingerprint.hpp"
#include "catalog/null_counts.hpp"
#include "catalog/preflight.hpp"
#include "catalog/reader.hpp"
#include "catalog/sequence_usage.hpp"
#include "cli/dev_database.hpp"
#include "cli/exit_codes.hpp"
#include "planner/normalize.hpp"
#include "planner/partition_columns.hpp"
#include "plans/estimates.hpp"
#include "schemas/error.hpp"
#include "schemas/ignore.hpp"
#include "schemas/text_file.hpp"
#include "schemas/yaml_loader.hpp"
#include "schemas/yaml_scope.hpp"

namespace pgshift::cli {

namespace {

// PostgreSQL's page size (BLCKSZ) as built by default: a table's relpages and
// the pages a calibration read went through are counted in it.
constexpr int64_t kPageBytes = 8192;

// Empty when `name` is "all" or a hazard's name; else the error naming
// every accepted value.
std::string unknown_hazard(const std::string& name) {
  if (name == "all") return "";
  std::string names;
  for (auto hazard : plans::kAllHazards) {
    if (name == plans::hazard_name(hazard)) return "";
    names += std::string(" ") + plans::hazard_name(hazard);
  }
  return "unknown hazard \"" + name + "\"; expected all or" + names;
}

}  // namespace

void add_planning_flags(CLI::App& command, PlanningInputs& inputs, PlanningFlags flags) {
  command.add_option("--db", inputs.db,
                     "Target database: a libpq URI or key=value string (default: PG* "
                     "environment variables and ~/.pgpass)");
  auto* schema =
      command.add_option("--schema", inputs.schema_path,
                         "Desired schema: a YAML file, a .sql file, or a directory of either "
                         "kind (SQL runs in the scratch database and is read back)");
  if (flags != PlanningFlags::Apply) schema->required();
  command.add_option("--hints", inputs.hints_path,
                     "Planning hints of an SQL desired state: a YAML file of renamed_from, "
                     "backfill, using and backfill_batch_size keyed by schema, table and column");
  command.add_option("--dev-db", inputs.dev_db,
                     "Server where pgshift may create a scratch database to put the desired "
                     "schema in the server's spelling (default: the target's server)");
  command.add_option("--ignore", inputs.ignore,
                     "Ignore objects matching PATTERN, e.g. public.audit_* or "
                     "index:public.*_hotfix (repeatable)");
  command.add_flag("--strict", inputs.strict,
                   "Refuse (exit 1 for plan and apply --schema, 2 for drift) while the managed "
                   "schemas hold objects pgshift does not model (rules, operators, ...), "
                   "instead of warning about each");
  if (flags == PlanningFlags::Drift) return;
  command
      .add_option("--allow-hazard", inputs.allow_hazards,
                  "Allow steps with this hazard (repeatable; 'all' allows every hazard)")
      ->check(CLI::Validator([](std::string& name) { return unknown_hazard(name); }, "HAZARD"));
  command
      .add_option("--lock-timeout", inputs.lock_timeout,
                  "How long a step whose queued lock blocks reads or writes may wait for it "
                  "before it fails and is retried (steps taking SHARE UPDATE EXCLUSIVE or "
                  "weaker wait up to their statement timeout)")
      ->capture_default_str();
  command
      .add_option("--statement-timeout", inputs.statement_timeout,
                  "Statement timeout of catalog-only steps (validations, index builds and "
                  "backfill batches get their own, longer ones)")
      ->capture_default_str();
}

void add_data_check_flags(CLI::App& command, PlanningInputs& inputs) {
  command.add_flag("--no-data-checks", inputs.no_data_checks,
                   "Skip the pre-flight data checks (rows that would break a new NOT NULL, "
                   "CHECK, foreign key, unique key or type change)");
  command
      .add_option("--data-check-sample-rows", inputs.data_check_sample_rows,
                  "Check tables estimated larger than this many rows on a TABLESAMPLE SYSTEM "
                  "sample of about that many rows (0: always the whole table)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--data-check-timeout", inputs.data_check_timeout,
                  "statement_timeout of each data check; its wait for a table's lock gives "
                  "up at nine tenths of it, naming who holds the lock (one that times out is "
                  "reported, not refused)")
      ->capture_default_str();
}

plans::DataCheckOptions data_check_options(const PlanningInputs& inputs) {
  plans::DataCheckOptions options;
  options.enabled = !inputs.no_data_checks;
  options.sample_above_rows = inputs.data_check_sample_rows;
  options.statement_timeout = parse_duration(inputs.data_check_timeout, "--data-check-timeout");
  return options;
}

std::string choose_format(const std::string& format_flag, const std::string& output,
                          const std::vector<std::pair<std::string, std::string>>& by_extension,
                          const std::string& fallback) {
  if (!format_flag.empty()) return format_flag;
  const std::string extension = std::filesystem::path(output).extension().string();
  for (const auto& [suffix, format] : by_extension) {
    if (extension == suffix) return format;
  }
  return fallback;
}

std::string& program_path() {
  static std::string path = "pgshift";
  return path;
}

std::string shell_quote(const std::string& text) {
  const bool safe = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
           std::string("_-./:@%+=,").find(c) != std::string::npos;
  });
  if (safe) return text;
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

int64_t parse_with_unit(const std::string& text, const std::string& flag, const char* what,
                        const std::vector<std::pair<std::string, double>>& units,
                        const std::string& expected) {
  size_t number_end = 0;
  double value = 0;
  try {
    value = std::stod(text, &number_end);
  } catch (const std::exception&) {
    number_end = 0;
  }
  const std::string unit = text.substr(number_end);
  double factor = -1;
  for (const auto& [name, unit_factor] : units) {
    if (unit == name) factor = unit_factor;
  }
  if (number_end == 0 || factor < 0 || value < 0 || !std::isfinite(value)) {
    throw UsageError(std::string("invalid ") + what + " \"" + text + "\" for " + flag +
                     "; expected a number with a unit: " + expected);
  }
  return static_cast<int64_t>(std::llround(value * factor));
}

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag) {
  return std::chrono::milliseconds(
      parse_with_unit(text, flag, "duration",
                      {{"", 1}, {"ms", 1}, {"s", 1000}, {"min", 60 * 1000}, {"h", 3600 * 1000}},
                      "ms, s, min or h (e.g. 200ms)"));
}

namespace {

struct Refusal {
  schemas::ObjectId object;  // of the refused step
  std::string message;
};

std::vector<Refusal> refusals(const plans::Plan& plan, const std::vector<std::string>& allowed) {
  bool allow_all = false;
  for (const auto& name : allowed) {
    if (name == "all") {
      allow_all = true;
      continue;
    }
    const std::string unknown = unknown_hazard(name);
    if (!unknown.empty()) throw UsageError("--allow-hazard: " + unknown);
  }
  std::vector<Refusal> refused;
  if (allow_all) return refused;
  for (const auto& step : plan.steps) {
    for (auto hazard : step.hazards) {
      // The concurrent builds that keep traffic flowing cannot run in a
      // transaction; flagging them is information, not something to refuse.
      if (hazard == plans::Hazard::NonTransactional) continue;
      const std::string name = plans::hazard_name(hazard);
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      refused.push_back({step.object, "step " + std::to_string(step.id) + " (" + step.summary +
                                          ") has hazard " + name +
                                          "; allow it with --allow-hazard " + name});
    }
  }
  return refused;
}

}  // namespace

std::vector<std::string> refused_hazards(const plans::Plan& plan,
                                         const std::vector<std::string>& allowed) {
  std::vector<std::string> messages;
  for (const auto& refusal : refusals(plan, allowed)) messages.push_back(refusal.message);
  return messages;
}

void require_named_schemas(const schemas::Database& desired, const std::string& path) {
  if (!desired.schemas.empty() || !desired.drop_schemas.empty()) return;
  throw pgshift::Error(
      "\"" + path +
      "\" names no schema: pgshift manages only the schemas a desired state names, so this one "
      "would manage nothing (is --schema the right file or directory?); to drop schemas, list "
      "them under drop_schemas");
}

namespace {

planner::PlanOptions plan_options(const PlanningInputs& inputs) {
  planner::PlanOptions options;
  data_check_options(inputs);
  options.lock_timeout = parse_duration(inputs.lock_timeout, "--lock-timeout");
  options.statement_timeout = parse_duration(inputs.statement_timeout, "--statement-timeout");
  return options;
}

// The target's schemas that `desired` names (pgshift manages those and leaves
// the others alone), without the objects its ignore patterns name.
std::vector<std::string> managed_schemas(const schemas::Database& desired) {
  std::vector<std::string> managed;
  for (const auto& schema : desired.schemas) managed.push_back(schema.name);
  managed.insert(managed.end(), desired.drop_schemas.begin(), desired.drop_schemas.end());
  return managed;
}

// `current` (a read of the schemas `desired` names) without the objects its
// ignore patterns name and the extensions that are someone else's.
schemas::Database scoped_current(schemas::Database current, const schemas::Database& desired) {
  schemas::remove_ignored(current, desired.ignore);
  schemas::keep_compared_owners(current, desired);
  // Extensions are read database-wide; one installed into a schema the desired
  // state does not name belongs to someone else unless the desired state
  // declares it, and must never be planned as a drop.
  const auto managed = managed_schemas(desired);
  auto& extensions = current.extensions;
  extensions.erase(
      std::remove_if(extensions.begin(), extensions.end(),
                     [&](const schemas::Extension& extension) {
                       return std::find(managed.begin(), managed.end(), extension.schema) ==
                                  managed.end() &&
                              schemas::find_named(desired.extensions, extension.name) == nullptr;
                     }),
      extensions.end());
  return current;
}

using ColumnsRead = std::function<void(const std::vector<catalog::TableSoFar>&)>;

// The target's schemas `schemas`, with owners when `owners` (unscoped),
// read on `session` (connected first when it is not open); `columns_read`
// is given the tables once their columns are read.
schemas::Database read_target(const PlanningInputs& inputs, std::vector<std::string> schemas,
                              bool owners, std::shared_ptr<pqxx::connection>& session,
                              ColumnsRead columns_read = {}) {
  if (!session) session = catalog::connect(inputs.db);
  catalog::ReadOptions read_options;
  read_options.include_schemas = std::move(schemas);
  read_options.owners = owners;
  read_options.sequence_usage = inputs.all_sequence_positions;
  read_options.columns_read = std::move(columns_read);
  return catalog::read_catalog(*session, read_options);
}

schemas::Database read_current(const PlanningInputs& inputs, const schemas::Database& desired,
                               std::shared_ptr<pqxx::connection>& session,
                               ColumnsRead columns_read = {}) {
  return scoped_current(read_target(inputs, managed_schemas(desired), desired.manage_owners,
                                    session, std::move(columns_read)),
                        desired);
}

// Where the scratch database is made ahead (prepare_states()'s ScratchAhead;
// nullptr: nowhere) and on which server.
struct AheadTarget {
  ScratchAhead* ahead = nullptr;
  std::string server;
};

// A columns_read hook that starts `target.ahead`: the tables' shapes are
// copied (the read goes on changing them), and the check whether they make
// a build certain runs on the ahead's thread, once `desired()` gives the
// desired state (it may wait for the load; nullptr when the load failed).
// What `desired()` returns must stay as it is until
// ScratchAhead::wait_for_decision() returns.
ColumnsRead start_ahead(const AheadTarget& target,
                        std::function<const schemas::Database*()> desired) {
  if (target.ahead == nullptr) return {};
  return [target, desired = std::move(desired)](const std::vector<catalog::TableSoFar>& tables) {
    try {
      auto shapes = std::make_shared<const TableShapes>(table_shapes(tables));
      target.ahead->start(target.server, [shapes, desired] {
        try {
          const schemas::Database* loaded = desired();
          return loaded != nullptr && build_is_certain(*loaded, *shapes);
        } catch (const std::exception&) {
          return false;
        }
      });
    } catch (const std::exception&) {
      // Out of memory for the shapes: canonicalize_on_server makes its own.
    }
  };
}

// A YAML file from this size on is loaded on a second thread while the
// target is read (at 10,000 tables, 9 MB, each takes about two seconds; at
// 1,000 tables, 870 KB, the load took about 0.09 s before the read began,
// and a no-op plan took 0.53 s on average beside it against 0.61 s before
// it, 8 alternating pairs). Smaller files load in a few milliseconds, and
// a YAML error in them is reported before any connection attempt.
constexpr std::uintmax_t kLoadBesideReadFromBytes = 64 << 10;

struct LoadedAndRead {
  schemas::Database desired;
  std::optional<schemas::Database> current;  // unscoped; nullopt: read after the load
  std::shared_ptr<pqxx::connection> session;  // the one it was read on
};

// Loads the YAML desired state at `path`. A single file of
// kLoadBesideReadFromBytes or more whose scope the text says
// (schemas::scan_yaml_scope) is loaded on a second thread while this one
// reads the target's schemas it names; the read is kept only when the loaded
// state names exactly those schemas and the same manage_owners, and is made
// again otherwise. A YAML error is reported before a failed read, as when
// the two run one after the other; it comes only once the read has ended
// (for an unreachable server, after the connection attempt gives up).
LoadedAndRead load_desired(const PlanningInputs& inputs, const AheadTarget& ahead_target) {
  const std::string& path = inputs.schema_path;
  std::error_code code;
  // Larger than the loader takes: load_yaml_file reports it, unread.
  const std::uintmax_t size =
      std::filesystem::is_regular_file(path, code) ? std::filesystem::file_size(path, code) : 0;
  std::string text;
  std::optional<schemas::YamlScope> scope;
  if (!code && size >= kLoadBesideReadFromBytes && size <= schemas::kMaxFileBytes) {
    // Not through istreambuf_iterator: one character at a time, a 9 MB
    // file took a few percent of a no-op plan's CPU. A file that cannot be
    // read (or grew past the limit) is left to load_yaml_file to report.
    bool read = true;
    try {
      text = read_bounded(path, schemas::kMaxFileBytes, "a desired state");
    } catch (const pgshift::Error&) {
      read = false;
    }
    if (read) scope = schemas::scan_yaml_scope(text);
  }
  if (!scope || scope->schemas.empty()) return {schemas::load_yaml_file(path), std::nullopt, {}};

  std::vector<std::string> names = scope->schemas;
  names.insert(names.end(), scope->drop_schemas.begin(), scope->drop_schemas.end());
  // The text read for the scan is the one loaded (load_yaml_string checks
  // its size again, should the file have grown).
  // The loaded state is shared with the check of the ahead's thread, which
  // may outlive this call when the read fails.
  auto loaded = std::make_shared<std::optional<schemas::Database>>();
  std::shared_future<void> loading = std::async(std::launch::async, [&text, &path, loaded] {
                                       *loaded = schemas::load_yaml_string(text, path);
                                     }).share();
  const auto when_loaded = [loading, loaded]() -> const schemas::Database* {
    loading.wait();
    return loaded->has_value() ? &**loaded : nullptr;
  };
  std::optional<schemas::Database> current;
  std::shared_ptr<pqxx::connection> session;
  std::exception_ptr read_failure;
  try {
    current = read_target(inputs, names, scope->manage_owners, session,
                          start_ahead(ahead_target, when_loaded));
  } catch (...) {
    read_failure = std::current_exception();
  }
  loading.get();
  // Before the state is moved (when the load failed, the check holds its own
  // references).
  if (ahead_target.ahead != nullptr) ahead_target.ahead->wait_for_decision();
  LoadedAndRead result{std::move(**loaded), std::nullopt, std::move(session)};
  if (read_failure) std::rethrow_exception(read_failure);
  std::vector<std::string> named = managed_schemas(result.desired);
  std::sort(named.begin(), named.end());
  std::sort(names.begin(), names.end());
  if (named == names && result.desired.manage_owners == scope->manage_owners) {
    result.current = std::move(current);
  }
  return result;
}

// A partition's column list that says what the server cannot make (a column
// its parent lacks, another type): an error at the column, before the
// scratch database would take the parent's columns in silence.
void refuse_partition_columns(const schemas::Database& desired) {
  std::string message;
  for (const auto& problem : planner::partition_column_problems(desired)) {
    const std::string origin = schemas::origin_of(desired, problem.object);
    message += (message.empty() ? "" : "\n") + (origin.empty() ? "" : origin + ": ") +
               problem.message;
  }
  if (!message.empty()) throw pgshift::Error(message);
}

// The state a constraint desired `validated: false` ends in (FORMAT.md, check
// constraints): added valid with a table the plan creates; NOT VALID when
// added or replaced on an existing table; as it was when the plan keeps it.
void expect_constraint_states(const schemas::Table* before, schemas::Table& table) {
  for (auto& check : table.check_constraints) {
    if (check.validated) continue;
    const auto* was = before ? schemas::find_named(before->check_constraints, check.name) : nullptr;
    if (before == nullptr) {
      check.validated = true;
    } else if (was != nullptr && was->no_inherit == check.no_inherit &&
               planner::normalize_expression(was->expression) ==
                   planner::normalize_expression(check.expression)) {
      check.validated = was->validated;
    }
  }
  for (auto& key : table.foreign_keys) {
    if (key.validated) continue;
    const auto* was = before ? schemas::find_named(before->foreign_keys, key.name) : nullptr;
    if (before == nullptr) {
      key.validated = true;
    } else if (was != nullptr) {
      schemas::ForeignKey same = *was;
      same.validated = key.validated;
      same.comment = key.comment;
      if (same == key) key.validated = was->validated;
    }
  }
}

// The schema fingerprint of the catalog a plan from `current` to `desired`
// produces: `desired`, with each constraint desired NOT VALID in the state
// the plan leaves it. `desired` is as it was on return.
std::string expected_fingerprint(const schemas::Database& current, schemas::Database& desired) {
  return catalog::schema_fingerprint(
      desired, [&current](const std::string& schema, schemas::Table& table) {
        expect_constraint_states(schemas::find_table(current, schema, table.name), table);
      });
}

bool not_null_in(const schemas::Table& table, const schemas::Column& column) {
  return column.not_null ||
         (table.primary_key &&
          std::find(table.primary_key->columns.begin(), table.primary_key->columns.end(),
                    column.name) != table.primary_key->columns.end());
}

// A column of an existing table that the desired state makes NOT NULL (or a
// primary key column) without a backfill: the plan's VALIDATE would fail on
// its NULL rows. They are counted (read-only) and refused by name and count
// before anything runs: the YAML must say what they become (`backfill:`).
void refuse_nulls_without_backfill(const PlanningInputs& inputs, PreparedPlan& prepared) {
  for (const auto& schema : prepared.desired.schemas) {
    for (const auto& table : schema.tables) {
      const schemas::Table* before = schemas::find_table(prepared.current, schema.name,
                                                         table.renamed_from.value_or(table.name));
      if (before == nullptr) continue;
      for (const auto& column : table.columns) {
        if (column.backfill || !not_null_in(table, column)) continue;
        const schemas::Column* was =
            schemas::find_named(before->columns, column.renamed_from.value_or(column.name));
        if (was == nullptr || not_null_in(*before, *was)) continue;
        const int64_t nulls =
            catalog::count_nulls(target_session(inputs, prepared), schema.name, before->name,
                                 was->name, catalog::ReadOptions().lock_wait);
        if (nulls == 0) continue;
        prepared.plan.diagnostics.push_back(
            {plans::Severity::Error,
             {schemas::ObjectKind::Column, schema.name, table.name, column.name},
             "column \"" + column.name + "\" of table \"" + schema.name + "." + table.name +
                 "\" has " + std::to_string(nulls) + " row" + (nulls == 1 ? "" : "s") +
                 " holding NULL and cannot be made NOT NULL without a backfill; give it "
                 "backfill: <expression> in the YAML (its default, for one) to fill them (a "
                 "desired state in SQL gives it in its --hints file)"});
      }
    }
  }
}

// Whether a table holds rows decides between plain statements and the safe
// sequences (a NOT NULL column without a default is refused on a filled
// table). Statistics lag: a table never analyzed shows -1 or 0 rows. Each
// existing table the desired state changes is asked (SELECT 1 ... LIMIT 1),
// read-only, and the answer given to the planner as a fact.
void ask_tables_for_rows(const PlanningInputs& inputs, PreparedPlan& prepared) {
  std::vector<std::pair<std::string, std::string>> asked;
  for (const auto& schema : prepared.desired.schemas) {
    for (const auto& table : schema.tables) {
      const schemas::Table* before = schemas::find_table(prepared.current, schema.name,
                                                         table.renamed_from.value_or(table.name));
      if (before == nullptr) continue;
      // Compared with its name and hints as the catalog has them (a copy
      // only when they differ: most tables keep their name).
      const bool same_names = table.name == before->name &&
                              table.renamed_from == before->renamed_from &&
                              table.backfill_batch_size == before->backfill_batch_size;
      if (same_names && table == *before) continue;
      if (!same_names) {
        schemas::Table compared = table;
        compared.name = before->name;
        compared.renamed_from = before->renamed_from;
        compared.backfill_batch_size = before->backfill_batch_size;
        if (compared == *before) continue;
      }
      asked.emplace_back(schema.name, before->name);
    }
  }
  if (asked.empty()) return;
  const auto answers = catalog::has_rows(target_session(inputs, prepared), asked);
  for (std::size_t i = 0; i < asked.size(); ++i) {
    prepared.current.facts.table_stats[asked[i].first + "." + asked[i].second].has_rows =
        answers[i];
  }
}

// The positions of the sequences and identity columns whose options the
// plan may change, when the catalog was read without them (plan, apply):
// the planner restarts a sequence never called at its new start and refuses
// one that handed out a value outside its new bounds. One the desired state
// keeps by name with the same options is not asked (the planner refuses a
// renamed_from naming it as well); one it does not name is asked only when
// the desired state has a planning hint (it may be a rename's source). A
// position already known is not asked again. Waits for a sequence's lock as
// long as the catalog read and names the blocker.
void ask_sequences_for_positions(const PlanningInputs& inputs, PreparedPlan& prepared) {
  const schemas::Database& desired = prepared.desired;
  schemas::CatalogFacts& facts = prepared.current.facts;
  const bool hinted = schemas::has_planning_hints(desired);
  std::vector<std::string> sequences;
  std::vector<std::string> identities;
  for (const auto& schema : prepared.current.schemas) {
    const schemas::Schema* wanted = schemas::find_named(desired.schemas, schema.name);
    for (const auto& sequence : schema.sequences) {
      const std::string key = schema.name + "." + sequence.name;
      if (facts.sequence_usage.count(key) != 0) continue;
      const schemas::Sequence* same =
          wanted ? schemas::find_named(wanted->sequences, sequence.name) : nullptr;
      if (same != nullptr && !same->renamed_from && same->type == sequence.type &&
          same->options == sequence.options) {
        continue;
      }
      if (same != nullptr || hinted) sequences.push_back(key);
    }
    for (const auto& table : schema.tables) {
      const schemas::Table* same_table =
          wanted ? schemas::find_named(wanted->tables, table.name) : nullptr;
      for (const auto& column : table.columns) {
        if (column.identity == schemas::IdentityKind::None) continue;
        const std::string key = schema.name + "." + table.name + "." + column.name;
        if (facts.identity_usage.count(key) != 0) continue;
        const schemas::Column* same =
            same_table ? schemas::find_named(same_table->columns, column.name) : nullptr;
        if (same != nullptr && !same->renamed_from && !same_table->renamed_from &&
            same->identity_options == column.identity_options) {
          continue;
        }
        if (same_table != nullptr || hinted) identities.push_back(key);
      }
    }
  }
  if (sequences.empty() && identities.empty()) return;
  catalog::ReadOptions options;
  options.include_schemas = managed_schemas(desired);
  catalog::read_sequence_usage(target_session(inputs, prepared), sequences, identities, facts,
                               options);
}

}  // namespace

std::optional<plans::Throughput> read_throughput(pqxx::connection& conn, const std::string& table,
                                                 std::vector<std::string>& warnings) {
  // Earlier applies on this database, when the journal has any, rather than
  // a calibration read.
  std::vector<plans::EarlierScan> history;
  try {
    for (const auto& scan : catalog::read_earlier_scans(conn, 50)) {
      history.push_back({scan.plan_hash, scan.estimated_ms, scan.actual_ms,
                         scan.plan_bytes_per_second, scan.estimated_rows, scan.batch_size});
    }
  } catch (const pgshift::Error& error) {
    warnings.push_back(std::string(error.what()) + "; estimates calibrated");
  }
  if (auto learnt = plans::throughput_from_history(history, plans::kEstimatedBatchPauseMs)) {
    return learnt;
  }
  const auto dot = table.find('.');
  const auto read = catalog::measure_read(conn, table.substr(0, dot), table.substr(dot + 1), 100000);
  if (read.pages <= 0) return std::nullopt;
  const int64_t micros = std::max<int64_t>(read.elapsed.count(), 1);
  // Pages, not the rows' own sizes: estimates divide a table's pages by this
  // figure. A read of one row went through one page; measured by the size of
  // its row (tens of bytes), a one-row table's scan was estimated at a second.
  const int64_t heap_bytes = read.pages * kPageBytes;
  plans::Throughput throughput;
  throughput.bytes_per_second = heap_bytes * 1000000 / micros;
  throughput.source = "calibration: read " + std::to_string(read.rows) +
                      (read.rows == 1 ? " row (" : " rows (") + std::to_string(read.pages) +
                      (read.pages == 1 ? " page, " : " pages, ") +
                      std::to_string(heap_bytes / 1024) + " kB) of " + table + " in " +
                      plans::format_duration_ms(std::max<int64_t>(micros / 1000, 1));
  return throughput;
}

namespace {

// Step estimates (issue 14): the heap size of each table a step scans, over
// a read throughput measured on the target: up to 100,000 rows of the
// largest such table, read and timed; or, when the journal on the target
// records scanning steps of earlier applies, the throughput they show
// (plans::throughput_from_history). Nothing is estimated when no step
// scans a populated table.
void estimate(const PlanningInputs& inputs, PreparedPlan& prepared) {
  std::map<std::string, int64_t> heap_bytes;
  for (const auto& [table, stats] : prepared.current.facts.table_stats) {
    // A partitioned table has no heap (relpages -1 once analyzed, 14+): no
    // size to estimate from, rather than a negative one.
    if (stats.relpages >= 0) heap_bytes[table] = stats.relpages * kPageBytes;
  }
  std::string largest;
  int64_t largest_bytes = 0;
  for (const auto& step : prepared.plan.steps) {
    if (step.duration == plans::DurationClass::CatalogOnly || !step.estimated_rows) continue;
    for (const auto& lock : step.locks) {
      const std::string table = lock.schema + "." + lock.relation;
      const auto bytes = heap_bytes.find(table);
      if (bytes != heap_bytes.end() && bytes->second > largest_bytes) {
        largest = table;
        largest_bytes = bytes->second;
      }
    }
  }
  if (largest.empty()) return;
  std::vector<std::string> warnings;
  const auto throughput = read_throughput(target_session(inputs, prepared), largest, warnings);
  for (const auto& warning : warnings) {
    prepared.plan.diagnostics.push_back({plans::Severity::Warning, {}, warning});
  }
  if (throughput) {
    plans::estimate_steps(prepared.plan, heap_bytes, *throughput, plans::kEstimatedBatchPauseMs);
  }
}

void plan_into(const PlanningInputs& inputs, PreparedPlan& prepared) {
  // The scratch database's drop (prepare_states) runs beside this; it ends
  // with it, returned or thrown.
  struct DropEnds {
    ~DropEnds() { wait_for_scratch_drop(); }
  } drop_ends;
  ask_tables_for_rows(inputs, prepared);
  if (!inputs.all_sequence_positions) ask_sequences_for_positions(inputs, prepared);
  planner::PlanOptions options = plan_options(inputs);
  options.desired_volatile_defaults = prepared.desired.facts.volatile_defaults;
  prepared.plan = planner::plan_changes(prepared.current, prepared.desired, options);
  // A hint that matches nothing is an error about the YAML: it says where.
  for (auto& diagnostic : prepared.plan.diagnostics) {
    if (diagnostic.severity != plans::Severity::Error ||
        diagnostic.message.rfind("renamed_from", 0) != 0) {
      continue;
    }
    const std::string origin = schemas::origin_of(prepared.desired, diagnostic.object);
    if (!origin.empty()) diagnostic.message = origin + ": " + diagnostic.message;
  }
  refuse_nulls_without_backfill(inputs, prepared);
  // Rows the steps would fail on, before anything runs (issue 14).
  const bool has_checks =
      std::any_of(prepared.plan.steps.begin(), prepared.plan.steps.end(),
                  [](const plans::Step& step) { return !step.data_checks.empty(); });
  if (has_checks && inputs.data_aware) {
    plans::preflight_plan(target_session(inputs, prepared), prepared.plan,
                          data_check_options(inputs));
  }
  if (inputs.data_aware) {
    try {
      estimate(inputs, prepared);
    } catch (const pgshift::Error& error) {
      // Estimates inform; a read that cannot be timed does not stop the plan.
      prepared.plan.diagnostics.push_back(
          {plans::Severity::Warning, {}, std::string("no step estimates: ") + error.what()});
    }
  }
  const auto unmodelled = unmodelled_diagnostics(prepared.current, prepared.desired, inputs.strict);
  auto& diagnostics = prepared.plan.diagnostics;
  // Refusals first, as add_refusals() puts its own.
  diagnostics.insert(inputs.strict ? diagnostics.begin() : diagnostics.end(), unmodelled.begin(),
                     unmodelled.end());
  prepared.plan.ignore = prepared.desired.ignore;
  prepared.plan.target_fingerprint =
      expected_fingerprint(prepared.current, prepared.desired);
  if (prepared.desired.manage_owners) {
    for (const auto& [object, owner] : schemas::owned_objects(prepared.desired)) {
      if (*owner) prepared.plan.target_owners.emplace_back(object, **owner);
    }
  }
}

}  // namespace

std::vector<plans::Diagnostic> unmodelled_diagnostics(const schemas::Database& current,
                                                      const schemas::Database& desired,
                                                      bool strict) {
  const auto severity = strict ? plans::Severity::Error : plans::Severity::Warning;
  const std::string consequence =
      strict ? " (--strict)" : ": plans and drift leave it out (--strict refuses)";
  const auto object_id = [](const schemas::UnmodelledObject& object) {
    if (!object.relation.empty()) {
      return schemas::ObjectId{schemas::ObjectKind::Table, object.schema, "", object.relation};
    }
    return schemas::ObjectId{schemas::ObjectKind::Schema, "", "", object.schema};
  };
  std::vector<plans::Diagnostic> diagnostics;
  for (const auto& object : current.facts.unmodelled) {
    diagnostics.push_back({severity, object_id(object),
                           (strict ? "refused: the database has " : "the database has ") +
                               schemas::describe(object) + ", which pgshift does not model" +
                               consequence});
  }
  const auto& in_database = current.facts.unmodelled;
  for (const auto& object : desired.facts.unmodelled) {
    if (std::find(in_database.begin(), in_database.end(), object) != in_database.end()) continue;
    diagnostics.push_back({severity, object_id(object),
                           (strict ? "refused: the desired state has " : "the desired state has ") +
                               schemas::describe(object) +
                               ", which pgshift does not model and no plan creates" + consequence});
  }
  return diagnostics;
}

bool add_refusals(plans::Plan& plan, const std::vector<std::string>& allowed) {
  std::vector<plans::Diagnostic> diagnostics;
  for (auto& refusal : refusals(plan, allowed)) {
    diagnostics.push_back({plans::Severity::Error, refusal.object, "refused: " + refusal.message});
  }
  plan.diagnostics.insert(plan.diagnostics.begin(), diagnostics.begin(), diagnostics.end());
  return !diagnostics.empty();
}

void print_diagnostics(const plans::Plan& plan, const std::string& command) {
  const std::string prefix = "pgshift " + command + ": ";
  for (const auto& diagnostic : plan.diagnostics) {
    std::cerr << prefix << plans::severity_name(diagnostic.severity) << ": " << diagnostic.message
              << "\n";
  }
}

bool report_refusals(const plans::Plan& plan, const std::vector<std::string>& allowed,
                     const std::string& command) {
  plans::Plan refused = plan;
  add_refusals(refused, allowed);
  print_diagnostics(refused, command);
  return plans::has_errors(refused);
}

void write_output(const std::string& text, const std::string& path, const std::string& what) {
  if (path.empty()) {
    schemas::write_text(std::cout, text);
    return;
  }
  errno = 0;
  std::ofstream out(path);
  schemas::write_text(out, text);
  if (!out.flush()) {
    throw pgshift::Error("could not write " + what + " to \"" + path + "\"" + system_reason());
  }
}

std::string read_bounded(const std::string& path, std::size_t limit, const std::string& what) {
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) throw pgshift::Error("could not read " + what + " \"" + path + "\"" + system_reason());
  std::string text;
  char buffer[65536];
  while (text.size() <= limit && file.read(buffer, sizeof buffer).gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(file.gcount()));
  }
  if (file.bad())
    throw pgshift::Error("could not read " + what + " \"" + path + "\"" + system_reason());
  if (text.size() > limit) {
    throw pgshift::Error("\"" + path + "\" is larger than " + std::to_string(limit >> 20) +
                         " MiB, the limit for " + what);
  }
  return text;
}

namespace {

// The SQL files of a desired state: `path` itself when it is a .sql file,
// the .sql files under it (recursively, in sorted path order) when it is a
// directory holding some; nullopt for YAML. Throws pgshift::Error when a
// directory mixes SQL and YAML (other than the --hints file `hints`), or a
// file cannot be read.
std::optional<std::vector<SqlSource>> sql_sources(const std::string& path,
                                                  const std::string& hints) {
  namespace fs = std::filesystem;
  std::vector<std::string> sql_paths;
  std::error_code error;
  if (fs::is_directory(path, error)) {
    bool yaml = false;
    for (const auto& entry : fs::recursive_directory_iterator(path, error)) {
      if (!entry.is_regular_file()) continue;
      const std::string extension = entry.path().extension().string();
      if (extension == ".sql") sql_paths.push_back(entry.path().string());
      std::error_code unknown;  // a missing --hints file is reported when it is read
      if ((extension == ".yaml" || extension == ".yml") &&
          (hints.empty() || !fs::equivalent(entry.path(), hints, unknown))) {
        yaml = true;
      }
    }
    if (sql_paths.empty()) return std::nullopt;
    if (yaml) {
      throw pgshift::Error("\"" + path +
                           "\" holds both .sql and YAML files; a desired state is one or the "
                           "other");
    }
    std::sort(sql_paths.begin(), sql_paths.end());
  } else if (fs::path(path).extension() == ".sql") {
    sql_paths.push_back(path);
  } else {
    return std::nullopt;
  }
  constexpr std::size_t kMaxSqlBytes = std::size_t{64} << 20;
  std::vector<SqlSource> sources;
  for (const auto& sql_path : sql_paths) {
    sources.push_back(
        {sql_path, read_bounded(sql_path, kMaxSqlBytes, "an SQL file of a desired state"), {}});
  }
  return sources;
}

void check_patterns(const std::vector<std::string>& patterns) {
  const auto pattern_errors = schemas::check_ignore_patterns(patterns);
  if (!pattern_errors.empty()) {
    throw pgshift::Error("invalid ignore pattern \"" + pattern_errors[0].pattern +
                         "\": " + pattern_errors[0].message);
  }
}

}  // namespace

PreparedPlan prepare_states(const PlanningInputs& inputs) {
  // Everything about the input is checked before any connection is made.
  plan_options(inputs);
  const std::string dev_server = inputs.dev_db.empty() ? inputs.db : inputs.dev_db;
  PreparedPlan prepared;
  if (auto sources = sql_sources(inputs.schema_path, inputs.hints_path)) {
    // SQL as desired state: run in the scratch database, read back; the
    // hints file is checked before, its names against what the SQL built.
    check_patterns(inputs.ignore);
    if (!inputs.hints_path.empty()) schemas::check_yaml_hints(inputs.hints_path);
    schemas::Database desired = build_from_sql(*sources, dev_server, inputs.db);
    if (!inputs.hints_path.empty()) schemas::apply_yaml_hints(inputs.hints_path, desired);
    desired.ignore = inputs.ignore;
    schemas::remove_ignored(desired, desired.ignore);
    prepared.current = read_current(inputs, desired, prepared.target);
    prepared.desired = std::move(desired);
    return prepared;
  }
  if (!inputs.hints_path.empty()) {
    throw UsageError("--hints is for a desired state written in SQL; \"" + inputs.schema_path +
                     "\" is YAML, where hints are written on the objects themselves "
                     "(renamed_from:, backfill:, using:, backfill_batch_size:)");
  }
  check_patterns(inputs.ignore);
  // Declared before the states: a scratch database made ahead and not used
  // is dropped once they are made.
  ScratchAhead ahead;
  const AheadTarget ahead_target{&ahead, dev_server};
  LoadedAndRead loaded = load_desired(inputs, ahead_target);
  schemas::Database& desired = loaded.desired;
  refuse_partition_columns(desired);
  require_named_schemas(desired, inputs.schema_path);
  desired.ignore.insert(desired.ignore.end(), inputs.ignore.begin(), inputs.ignore.end());
  check_patterns(desired.ignore);
  // The target is read once: to take what already matches from it, and to
  // plan from.
  prepared.target = std::move(loaded.session);
  if (loaded.current) {
    prepared.current = scoped_current(std::move(*loaded.current), desired);
  } else {
    // The check reads `desired`: waited for before it changes or goes.
    try {
      prepared.current = read_current(inputs, desired, prepared.target,
                                      start_ahead(ahead_target, [&desired] { return &desired; }));
    } catch (...) {
      ahead.wait_for_decision();
      throw;
    }
    ahead.wait_for_decision();
  }
  const char* full = std::getenv("PGSHIFT_FULL_DEV_BUILD");
  const bool build_everything = full != nullptr && std::string(full) == "1";
  auto origins = desired.origins;  // shared, for messages
  // A dev server that is the target's is asked on the session the target
  // was read on.
  ScratchOptions scratch;
  scratch.session = prepared.current.facts.session;
  scratch.dev_session = inputs.dev_db.empty() ? &target_session(inputs, prepared) : nullptr;
  scratch.drop_in_background = true;
  scratch.ahead = &ahead;
  prepared.desired =
      canonicalize_on_server(std::move(desired), dev_server,
                             build_everything ? nullptr : &prepared.current, nullptr, scratch);
  prepared.desired.origins = std::move(origins);
  schemas::remove_ignored(prepared.desired, prepared.desired.ignore);
  return prepared;
}

pqxx::connection& target_session(const PlanningInputs& inputs, PreparedPlan& prepared) {
  if (!prepared.target) prepared.target = catalog::connect(inputs.db);
  return *prepared.target;
}

void plan_prepared(const PlanningInputs& inputs, PreparedPlan& prepared) {
  plan_into(inputs, prepared);
}

PreparedPlan prepare_plan(const PlanningInputs& inputs) {
  PreparedPlan prepared = prepare_states(inputs);
  plan_into(inputs, prepared);
  return prepared;
}

PreparedPlan replan(const PlanningInputs& inputs, const schemas::Database& desired) {
  PreparedPlan prepared;
  prepared.desired = desired;
  prepared.current = read_current(inputs, desired, prepared.target);
  plan_into(inputs, prepared);
  return prepared;
}

PreparedPlan replan_from(const PlanningInputs& inputs, const schemas::Database& desired,
                         schemas::Database catalog) {
  PreparedPlan prepared;
  prepared.desired = desired;
  prepared.current = scoped_current(std::move(catalog), desired);
  plan_into(inputs, prepared);
  return prepared;
}

}  // namespace pgshift::cli
