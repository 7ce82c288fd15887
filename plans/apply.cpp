#include "plans/apply.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "catalog/connection.hpp"
#include "catalog/fingerprint.hpp"
#include "plans/apply_applier.hpp"
#include "plans/render_json.hpp"
#include "plans/sql_text.hpp"
#include "schemas/ignore.hpp"
#include "schemas/sql_check.hpp"

namespace pgshift::plans {

namespace {

// "pgshift" in ASCII: the key of the session-level advisory lock that keeps
// applies to one database one at a time. In pg_locks it shows as
// classid = key >> 32, objid = key & 0xffffffff, objsubid = 1.
constexpr int64_t kApplyLockKey = 0x70677368696674;

constexpr const char* kTryApplyLock = "SELECT pg_try_advisory_lock($1)";
constexpr const char* kApplyLockHolder = R"sql(
SELECT pid FROM pg_locks
WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid AND objsubid = 1 AND granted
LIMIT 1)sql";

// Indexes a failed CREATE INDEX CONCURRENTLY left. A partitioned index
// (relkind 'I') is invalid until each partition's index is attached to it,
// as one created ON ONLY by a plan still running is: not a failed build.
constexpr const char* kInvalidIndexes = R"sql(
SELECT n.nspname, c.relname
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND c.relkind = 'i'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', '_pgshift')
  AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
ORDER BY 1, 2)sql";

// FNV-1a, 64 bit: stable across platforms and releases, unlike std::hash.
class Fnv1a {
 public:
  // Each field is length-prefixed so that ("ab", "c") and ("a", "bc") differ.
  void field(const std::string& text) {
    bytes(std::to_string(text.size()) + ":");
    bytes(text);
  }
  void field(int64_t value) { field(std::to_string(value)); }
  std::string hex() const { return fmt::format("{:016x}", hash_); }

 private:
  void bytes(const std::string& text) {
    for (const unsigned char byte : text) {
      hash_ ^= byte;
      hash_ *= 0x100000001b3ULL;
    }
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

bool operator==(const Blocker& a, const Blocker& b) {
  return a.pid == b.pid && a.application_name == b.application_name && a.state == b.state &&
         a.transaction_age_s == b.transaction_age_s && a.query == b.query;
}

ApplyError::ApplyError(const std::string& message, int step_id, std::string sqlstate)
    : pgshift::Error(message), step_id_(step_id), sqlstate_(std::move(sqlstate)) {}

std::string plan_hash(const Plan& plan) {
  Fnv1a hash;
  hash.field(plan.fingerprint);
  hash.field(plan.server_version_num);
  hash.field(static_cast<int64_t>(plan.steps.size()));
  for (const Step& step : plan.steps) {
    hash.field(step.id);
    hash.field(step.transactional ? 1 : 0);
    hash.field(step.lock_timeout.count());
    hash.field(step.statement_timeout.count());
    hash.field(static_cast<int64_t>(step.statements.size()));
    for (const std::string& statement : step.statements) hash.field(statement);
    hash.field(step.backfill ? 1 : 0);
    if (step.backfill) {
      const BackfillSpec& spec = *step.backfill;
      hash.field(spec.schema);
      hash.field(spec.table);
      // One key column hashes as the single key_column of earlier plans did,
      // so a run they journaled still resumes.
      if (spec.key_columns.size() != 1) hash.field(static_cast<int64_t>(spec.key_columns.size()));
      for (const std::string& column : spec.key_columns) hash.field(column);
      for (const std::string* text : {&spec.set_column, &spec.set_expression, &spec.where}) {
        hash.field(*text);
      }
      hash.field(spec.batch_size);
    }
  }
  return hash.hex();
}

std::string describe_unfinished(const UnfinishedApply& run) {
  return fmt::format("plan {}, started {}, {} of {} steps done", run.plan_hash, run.started_at,
                     run.steps_done, run.steps);
}

namespace {

std::vector<UnfinishedApply> unfinished_in(detail::Journal& journal) {
  std::vector<UnfinishedApply> runs;
  if (!journal.exists()) return runs;
  for (const detail::RunRecord& record : journal.unfinished_runs()) {
    UnfinishedApply run{record.plan_hash, record.desired_hash, std::nullopt, record.steps,
                        record.steps_done, record.started_at};
    if (!record.plan_json.empty()) {
      try {
        run.plan = plan_from_json(record.plan_json);
      } catch (const pgshift::Error& e) {
        throw pgshift::Error("the journaled plan " + record.plan_hash +
                             " cannot be read back: " + e.what());
      }
    }
    runs.push_back(std::move(run));
  }
  return runs;
}

// A plan file is input too: a backfill's value and guard are pasted into the
// batch UPDATE, so each must be one expression, as the YAML loader requires,
// or it could reach outside the batch's bounds or its IS NULL guard.
void check_backfills(const Plan& plan) {
  for (const auto& step : plan.steps) {
    if (!step.backfill) continue;
    for (const auto& [what, text] : {std::make_pair("value", &step.backfill->set_expression),
                                     std::make_pair("condition", &step.backfill->where)}) {
      if (text->empty() && std::string(what) == "condition") continue;
      if (const auto problem = schemas::check_sql(schemas::SqlKind::Expression, *text)) {
        throw ApplyError(
            fmt::format("refusing the plan: step {} ({}): the backfill {} is not "
                        "one expression: {}",
                        step.id, schemas::printable(step.summary), what, problem->message),
            step.id, "");
      }
    }
  }
}

}  // namespace

std::vector<UnfinishedApply> unfinished_applies(const std::string& target) {
  return unfinished_applies(*catalog::connect(target));
}

std::vector<UnfinishedApply> unfinished_applies(pqxx::connection& conn) {
  detail::Journal journal(conn, "");
  return unfinished_in(journal);
}

std::vector<UnfinishedApply> abandon_unfinished_applies(const std::string& target) {
  auto conn = catalog::connect(target);
  {
    pqxx::nontransaction tx(*conn);
    if (!tx.exec_params(kTryApplyLock, kApplyLockKey)[0][0].as<bool>()) {
      throw ApplyError(fmt::format("another pgshift apply is running on database \"{}\"; wait "
                                   "for it to end before abandoning its run",
                                   conn->dbname()),
                       0, "");
    }
  }
  detail::Journal journal(*conn, "");
  std::vector<UnfinishedApply> runs = unfinished_in(journal);
  for (const UnfinishedApply& run : runs) journal.abandon(run.plan_hash);
  return runs;
}

ApplyResult apply_plan(const std::string& target, const Plan& plan, const ApplyOptions& options) {
  check_backfills(plan);
  // Steps turn their own failures into ApplyErrors naming the step; what is
  // left failed around them (journal, freshness, verification).
  try {
    return detail::Applier(target, plan, options).run();
  } catch (const pqxx::sql_error& e) {
    throw ApplyError(
        fmt::format("could not apply plan to \"{}\": {} (SQLSTATE {})",
                    catalog::describe_target(target), detail::server_message(e), e.sqlstate()),
        0, e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw ApplyError(fmt::format("could not apply plan to \"{}\": {}",
                                 catalog::describe_target(target), detail::server_message(e)),
                     0, "");
  }
}

namespace detail {

std::string format_seconds(std::chrono::milliseconds duration) {
  return fmt::format("{:.2f}s", static_cast<double>(duration.count()) / 1000.0);
}

std::string server_message(const std::exception& error) {
  std::string text = error.what();
  const auto end = text.find('\n');
  if (end != std::string::npos) text.erase(end);
  const std::string prefix = "ERROR:  ";
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  return text;
}

namespace {

// Tokens of a statement: identifiers folded as the server folds them (bare
// ones to lower case, quoted ones as written), "." and "(" as themselves.
std::vector<std::string> identifier_tokens(const std::string& statement, std::size_t limit) {
  std::vector<std::string> tokens;
  std::size_t pos = 0;
  while (pos < statement.size() && tokens.size() < limit) {
    const char c = statement[pos];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++pos;
    } else if (c == '"') {
      std::string name;
      for (++pos; pos < statement.size(); ++pos) {
        if (statement[pos] == '"') {
          if (pos + 1 < statement.size() && statement[pos + 1] == '"') {
            name += '"';
            ++pos;
          } else {
            ++pos;
            break;
          }
        } else {
          name += statement[pos];
        }
      }
      tokens.push_back("\"" + name);  // marked: a quoted name is never a keyword
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      std::string word;
      while (pos < statement.size() &&
             (std::isalnum(static_cast<unsigned char>(statement[pos])) || statement[pos] == '_' ||
              statement[pos] == '$' || static_cast<unsigned char>(statement[pos]) >= 0x80)) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(statement[pos])));
        ++pos;
      }
      tokens.push_back(word);
    } else {
      tokens.emplace_back(1, c);
      ++pos;
    }
  }
  return tokens;
}

std::string token_name(const std::string& token) {
  return !token.empty() && token[0] == '"' ? token.substr(1) : token;
}

}  // namespace

std::optional<IndexName> concurrent_index_build(const std::string& statement,
                                                const std::string& default_schema) {
  // CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON [ONLY] [schema.]table
  const std::vector<std::string> tokens = identifier_tokens(statement, 16);
  std::size_t at = 0;
  auto next_is = [&](const char* word) {
    if (at < tokens.size() && tokens[at] == word) {
      ++at;
      return true;
    }
    return false;
  };
  if (!next_is("create")) return std::nullopt;
  next_is("unique");
  if (!next_is("index") || !next_is("concurrently")) return std::nullopt;
  if (next_is("if") && !(next_is("not") && next_is("exists"))) return std::nullopt;
  if (at >= tokens.size() || tokens[at] == "on") return std::nullopt;  // unnamed: not idempotent
  IndexName index{default_schema, token_name(tokens[at++])};
  if (!next_is("on")) return std::nullopt;
  next_is("only");
  if (at + 2 < tokens.size() && tokens[at + 1] == ".") {
    index.schema = token_name(tokens[at]);
    at += 2;
  }
  if (at >= tokens.size()) return std::nullopt;
  index.table = token_name(tokens[at]);
  return index;
}

std::string describe_blocker(const Blocker& blocker) {
  std::string query;
  for (const char c : blocker.query) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (query.empty() || query.back() == ' ')) continue;
    query += space ? ' ' : c;
  }
  return fmt::format(
      "pid {} (application \"{}\", state \"{}\", transaction {:.1f} s old, query \"{}\")",
      blocker.pid, blocker.application_name, blocker.state, blocker.transaction_age_s, query);
}

Applier::Applier(std::string target, const Plan& plan, const ApplyOptions& options)
    : target_(std::move(target)),
      plan_(plan),
      options_(options),
      log_(options.log != nullptr ? *options.log : std::cerr),
      plan_hash_(plan_hash(plan)) {}

ApplyResult Applier::run() {
  if (has_errors(plan_)) {
    throw ApplyError("plan has errors and cannot be applied; fix them and plan again", 0, "");
  }
  if (has_contract(plan_) && !options_.stage) {
    throw ApplyError(
        "the plan has two phases (expand/contract): run it with --phase expand, deploy, then "
        "--phase contract",
        0, "");
  }
  const auto started = std::chrono::steady_clock::now();
  ApplyResult result;
  connect_session();
  journal_ = std::make_unique<Journal>(*conn_, plan_hash_);
  if (options_.dry_run) {
    dry_run(result);
    return result;
  }
  acquire_apply_lock();
  if (options_.preflight_at_start && options_.data_checks.enabled &&
      (!journal_->exists() || run_state() == RunState::NotStarted)) {
    preflight_all();
  }
  journal_->create();
  const RunState state = run_state();
  log_undone_run();
  result.resumed = state != RunState::NotStarted;
  if (state == RunState::NotStarted) {
    check_no_unfinished_run();
    check_fresh();
    journal_->start(plan_, options_.desired_fingerprint);
  }
  const std::set<int> done = journal_->done_steps();
  check_stage_order(done);
  log_ << fmt::format(
      "{} plan {} ({}) on {}{}\n",
      state == RunState::Finished ? "checking finished"
      : result.resumed            ? "resuming"
                                  : "applying",
      plan_hash_, schemas::counted(plan_.steps.size(), "step"), catalog::describe_target(target_),
      result.resumed ? ": " + schemas::counted(done.size(), "step") + " done earlier" : "");
  report_invalid_indexes();
  monitor_ = std::make_unique<LockMonitor>(target_, std::vector<int>{conn_->backendpid()});

  for (const Step& step : plan_.steps) {
    if (!in_stage(step)) continue;
    StepReport report;
    report.step_id = step.id;
    report.summary = step.summary;
    if (done.count(step.id) != 0) {
      report.outcome = StepOutcome::AlreadyDone;
      log_ << fmt::format("{}: {}: already done\n", step_label(step),
                          schemas::printable(step.summary));
    } else if (stop_requested()) {
      result.stopped = true;
      break;
    } else {
      try {
        recheck(step, report);
        run_step(step, report);
      } catch (const StopRequested& stop) {
        result.stopped = true;
        if (stop.in_backfill) result.stopped_in_step = step.id;
        result.rows_backfilled += report.rows;
        break;
      }
    }
    (report.outcome == StepOutcome::Run ? result.steps_run : result.steps_skipped) += 1;
    result.retries += report.retries;
    result.lock_wait += report.lock_wait;
    result.rows_backfilled += report.rows;
    result.steps.push_back(std::move(report));
  }
  monitor_.reset();
  if (result.stopped) {
    log_ << fmt::format(
        "stopped: {} of {} steps done{}; the journal resumes the rest\n",
        result.steps_run + result.steps_skipped, plan_.steps.size(),
        result.stopped_in_step != 0
            ? fmt::format(", step {} stopped between backfill batches", result.stopped_in_step)
            : "");
    return result;
  }

  result.remaining = verify(result, state == RunState::Finished);
  if (result.remaining.empty() && !expand_only()) journal_->finish();
  log_summary(result, std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started));
  return result;
}

void Applier::preflight_all() {
  Plan checked = plan_;
  if (!preflight_plan(*conn_, checked, options_.data_checks)) {
    if (checked.preflight) {
      log_ << "data checks: " << schemas::printable(describe_preflight(checked)) << "\n";
    }
    return;
  }
  std::string message = "refused before any step: the data breaks the plan";
  for (const Diagnostic& diagnostic : checked.diagnostics) {
    if (diagnostic.severity == Severity::Error) message += "\n  " + diagnostic.message;
  }
  throw ApplyError(schemas::printable(message), 0, "");
}

void Applier::recheck(const Step& step, StepReport& report) {
  if (!options_.data_checks.enabled || step.data_checks.empty()) return;
  std::vector<DataCheck> checks = recheck_step(*conn_, step, options_.data_checks);
  if (catch_up_backfills(step, checks, report)) {
    checks = recheck_step(*conn_, step, options_.data_checks);
  }
  for (const DataCheck& check : checks) {
    if (violated(check)) {
      throw ApplyError(
          schemas::printable(violation_message(step, plan_.steps.size(), check, false)) +
              "; the step was not run",
          step.id, "");
    }
    log_ << fmt::format("{}: data check: {} ({} ms)\n", step_label(step),
                        schemas::printable(describe_finding(check)), check.finding->elapsed_ms);
  }
}

void Applier::connect_session() {
  conn_ = catalog::connect(target_);
  pqxx::nontransaction tx(*conn_);
  catalog::exec_one(tx, "SET application_name = 'pgshift apply'");
  // The statements' unqualified names (in defaults, CHECKs, views, bodies)
  // are the server's spelling on the planning session's path; this session's
  // own (another role's, or PGOPTIONS) could resolve them elsewhere. The
  // verification reads on this session too, so it spells names as the plan's
  // target fingerprint does.
  if (!plan_.search_path.empty()) {
    tx.exec_params("SELECT pg_catalog.set_config('search_path', $1, false)", plan_.search_path);
  }
  // From PostgreSQL 14 the server notices within a second that a killed
  // applier is gone, even mid-statement, and rolls its work back; older
  // servers notice when the statement ends.
  if (conn_->server_version() >= 140000)
    catalog::exec_one(tx, "SET client_connection_check_interval = 1000");
}

void Applier::acquire_apply_lock() {
  pqxx::nontransaction tx(*conn_);
  if (tx.exec_params(kTryApplyLock, kApplyLockKey)[0][0].as<bool>()) return;
  const pqxx::result holder = tx.exec_params(kApplyLockHolder, kApplyLockKey);
  throw ApplyError(
      fmt::format("another pgshift apply is running on database \"{}\"{}; wait for it to end",
                  conn_->dbname(),
                  holder.empty() ? "" : fmt::format(" (backend pid {})", holder[0][0].c_str())),
      0, "");
}

void Applier::check_no_unfinished_run() {
  for (const RunRecord& run : journal_->unfinished_runs()) {
    if (run.plan_hash == plan_hash_) continue;
    throw ApplyError(
        fmt::format("database \"{}\" has an unfinished apply of another plan ({}): run the "
                    "command that started it again to resume it, or abandon it with "
                    "`pgshift apply --abandon`, then plan again",
                    conn_->dbname(),
                    describe_unfinished(UnfinishedApply{run.plan_hash, run.desired_hash,
                                                        std::nullopt, run.steps, run.steps_done,
                                                        run.started_at})),
        0, "");
  }
}

void Applier::check_fresh() {
  if (plan_.fingerprint.empty()) {
    throw ApplyError(
        "plan carries no catalog fingerprint, so its freshness cannot be checked; "
        "make it with pgshift plan",
        0, "");
  }
  if (!before_) before_ = catalog::read_catalog(*conn_, options_.read_options);
  const schemas::Database& current = *before_;
  if (current.facts.fingerprint == plan_.fingerprint) return;
  throw ApplyError(
      fmt::format("database \"{}\" has changed since the plan was made (catalog fingerprint {}, "
                  "plan made from {}); plan again",
                  conn_->dbname(), current.facts.fingerprint, plan_.fingerprint),
      0, "");
}

RunState Applier::run_state() {
  const RunState state = journal_->state();
  if (state != RunState::Finished || plan_.fingerprint.empty()) return state;
  if (!before_) before_ = catalog::read_catalog(*conn_, options_.read_options);
  if (before_->facts.fingerprint != plan_.fingerprint) return state;
  undone_run_ = true;
  return RunState::NotStarted;
}

void Applier::log_undone_run() {
  if (!undone_run_) return;
  log_ << fmt::format(
      "plan {} finished earlier, but the catalog is back at the one it was made from "
      "(fingerprint {}): its journal is forgotten and the plan runs again\n",
      plan_hash_, plan_.fingerprint);
}

void Applier::report_invalid_indexes() {
  std::map<std::pair<std::string, std::string>, int> planned;  // index -> the step building it
  for (const Step& step : plan_.steps) {
    for (const std::string& statement : step.statements) {
      if (auto index = concurrent_index_build(statement, step.object.schema)) {
        planned.emplace(std::make_pair(index->schema, index->name), step.id);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> invalid;
  {
    pqxx::nontransaction tx(*conn_);
    for (const auto& row : catalog::exec_one(tx, kInvalidIndexes)) {
      invalid.emplace_back(row[0].c_str(), row[1].c_str());
    }
  }
  for (const auto& index : invalid) {
    const auto step = planned.find(index);
    const char* fate = "the plan does not build it, so it is left alone";
    if (step != planned.end()) {
      fate = journal_->build_recorded(step->second, index.first, index.second) == false
                 ? "the plan builds an index of that name, but no run of it started that build: "
                   "its step refuses"
                 : "the plan builds it, so it will be dropped and rebuilt";
    }
    log_ << fmt::format("found INVALID index \"{}.{}\" (a failed CREATE INDEX CONCURRENTLY): {}\n",
                        index.first, index.second, fate);
  }
}

void Applier::dry_run(ApplyResult& result) {
  std::set<int> done;
  // An older pgshift's journal gets its newer columns: the only write of a
  // dry run, to pgshift's own schema.
  if (journal_->exists()) journal_->create();
  const bool recorded = journal_->exists() && run_state() != RunState::NotStarted;
  log_undone_run();
  if (recorded) {
    done = journal_->done_steps();
    result.resumed = true;
  } else {
    if (journal_->exists()) check_no_unfinished_run();
    check_fresh();
  }
  log_ << fmt::format("dry run: plan {} ({}) on {}; nothing is changed\n", plan_hash_,
                      schemas::counted(plan_.steps.size(), "step"),
                      catalog::describe_target(target_));
  for (const Step& step : plan_.steps) {
    if (!in_stage(step)) continue;
    StepReport report;
    report.step_id = step.id;
    report.summary = step.summary;
    const bool skipped = done.count(step.id) != 0;
    report.outcome = skipped ? StepOutcome::AlreadyDone : StepOutcome::DryRun;
    log_ << fmt::format("{}: {}{}\n", step_label(step), schemas::printable(step.summary),
                        skipped ? ": already done" : "");
    if (!skipped) {
      log_ << fmt::format(
          "  -- {}, lock_timeout {}ms{}, statement_timeout {}ms\n",
          step.transactional ? "in one transaction" : "outside a transaction",
          lock_timeout(step).count(),
          waits_for_locks(step) ? " (none: its locks block no reads or writes)" : "",
          step.statement_timeout.count());
      for (const std::string& statement : step.statements) log_ << "  " << statement << ";\n";
      if (step.backfill) {
        const BackfillSpec& spec = *step.backfill;
        const int64_t size = options_.batch_size > 0 ? options_.batch_size : spec.batch_size;
        if (spec.key_columns.empty()) {
          log_ << fmt::format(
              "  -- in batches of blocks (about {} rows), one transaction each, {}ms apart:\n"
              "  {};\n  -- then, until no row is found:\n  {};\n",
              size, options_.pause.count(), block_batch_sql(spec), sweep_batch_sql(spec));
        } else {
          log_ << fmt::format(
              "  -- in batches of {} rows in key order, one transaction each, {}ms apart:\n"
              "  {};\n  {};\n",
              size, options_.pause.count(), keyset_bound_sql(spec, true),
              keyset_update_sql(spec, true));
        }
      }
    }
    if (skipped) ++result.steps_skipped;
    result.steps.push_back(std::move(report));
  }
}

bool Applier::in_stage(const Step& step) const {
  return !options_.stage || !has_contract(plan_) || step.stage == *options_.stage;
}

bool Applier::expand_only() const {
  return has_contract(plan_) && options_.stage == Stage::Expand;
}

void Applier::check_stage_order(const std::set<int>& done) const {
  if (!has_contract(plan_) || options_.stage != Stage::Contract) return;
  for (const Step& step : plan_.steps) {
    if (step.stage == Stage::Expand && done.count(step.id) == 0) {
      throw ApplyError(fmt::format("contract refused: the expand phase of plan {} is not "
                                   "complete ({} is not recorded as done); run apply --phase "
                                   "expand first, then deploy",
                                   plan_hash_, step_label(step)),
                       step.id, "");
    }
  }
}

schemas::Database Applier::read_after() {
  if (!before_) return catalog::read_catalog(*conn_, options_.read_options);
  // A renamed or moved relation is named anew by what refers to it in any
  // schema (a view's query, a foreign key, a default), and a table moved by
  // SET SCHEMA leaves a schema no step names: every managed schema is read.
  const bool renames = std::any_of(plan_.steps.begin(), plan_.steps.end(), [](const Step& step) {
    return std::find(step.hazards.begin(), step.hazards.end(), Hazard::Rename) !=
           step.hazards.end();
  });
  if (renames) return catalog::read_catalog(*conn_, options_.read_options);
  std::vector<std::string> touched;
  for (const Step& step : plan_.steps) {
    const std::string& schema =
        step.object.kind == schemas::ObjectKind::Schema ? step.object.name : step.object.schema;
    // An extension's step names no schema: extensions are read server-wide.
    if (schema.empty()) continue;
    if (std::find(touched.begin(), touched.end(), schema) == touched.end()) {
      touched.push_back(schema);
    }
  }
  const auto& managed = options_.read_options.include_schemas;
  const bool all_managed =
      managed.empty() || std::all_of(touched.begin(), touched.end(), [&](const std::string& s) {
        return std::find(managed.begin(), managed.end(), s) != managed.end();
      });
  if (touched.empty() || !all_managed) return catalog::read_catalog(*conn_, options_.read_options);
  catalog::ReadOptions options = options_.read_options;
  options.include_schemas = touched;
  return catalog::splice_schemas(*before_, catalog::read_catalog(*conn_, options), touched);
}

std::vector<std::string> Applier::verify(ApplyResult& result, bool finished_earlier) {
  std::vector<std::string> remaining;
  const std::set<int> done = journal_->done_steps();
  // After expand the schema is not the target yet: contract makes it so.
  if (!plan_.target_fingerprint.empty() && !expand_only()) {
    // The journal says what ran; only the catalog says what is there. A
    // forged or stale journal skips steps, and this is where it shows.
    schemas::Database now = read_after();
    result.catalog_after = now;
    schemas::remove_ignored(now, plan_.ignore);
    // Owners, which the fingerprint leaves out: those the desired state sets.
    std::vector<std::string> owners_differ;
    for (const auto& [object, owner] : plan_.target_owners) {
      const std::optional<std::string>* found = schemas::find_owner(now, object);
      if (found == nullptr || *found == owner) continue;  // a missing object: the fingerprint's
      owners_differ.push_back(fmt::format("{} is owned by {}, the plan's target is {}",
                                          schemas::describe(object),
                                          found->value_or("(not read)"), owner));
    }
    const std::string found = catalog::schema_fingerprint(std::move(now));
    if (found != plan_.target_fingerprint && finished_earlier) {
      // Not a forged journal: an old plan run again (a CI job re-run) after
      // later changes. Its steps are not the way to the schema as it is now.
      remaining.push_back(fmt::format(
          "this plan was applied in full by an earlier run, and the schema has changed since: "
          "the schema is not the one the plan produces (catalog fingerprint {}, the plan's "
          "target {}); nothing was run: to change the database as it is now, plan again",
          found, plan_.target_fingerprint));
    } else if (found != plan_.target_fingerprint) {
      remaining.push_back(fmt::format(
          "the schema is not the one the plan produces (catalog fingerprint {}, the plan's "
          "target {})",
          found, plan_.target_fingerprint));
      for (const StepReport& report : result.steps) {
        if (report.outcome != StepOutcome::AlreadyDone) continue;
        remaining.push_back(fmt::format(
            "step {} of {} ({}) was skipped because the journal records it as done by an "
            "earlier run",
            report.step_id, plan_.steps.size(), report.summary));
      }
    }
    remaining.insert(remaining.end(), owners_differ.begin(), owners_differ.end());
  }
  for (const Step& step : plan_.steps) {
    if (expand_only() && step.stage == Stage::Contract) continue;
    if (done.count(step.id) == 0) {
      remaining.push_back(fmt::format("{} ({}) is not recorded as done", step_label(step),
                                      schemas::printable(step.summary)));
    }
    for (const std::string& statement : step.statements) {
      const auto index = concurrent_index_build(statement, step.object.schema);
      if (!index) continue;
      const auto found = find_index(*conn_, *index);
      if (!found) {
        // A later step may have renamed it (a redefinition is built under a
        // temporary name): the target fingerprint says what must exist.
        if (plan_.target_fingerprint.empty()) {
          remaining.push_back(
              fmt::format("index \"{}.{}\" does not exist", index->schema, index->name));
        }
      } else if (!found->valid) {
        remaining.push_back(fmt::format("index \"{}.{}\" is INVALID", index->schema, index->name));
      }
    }
  }
  return remaining;
}

void Applier::log_summary(const ApplyResult& result, std::chrono::milliseconds elapsed) {
  log_ << fmt::format(
      "{} run, {} skipped as done, in {}; {}, {} waiting for locks; {} backfilled\n",
      schemas::counted(static_cast<std::size_t>(result.steps_run), "step"), result.steps_skipped,
      format_seconds(elapsed),
      result.retries == 1 ? std::string("1 retry") : fmt::format("{} retries", result.retries),
      format_seconds(result.lock_wait),
      schemas::counted(static_cast<std::size_t>(result.rows_backfilled), "row"));
  if (result.remaining.empty() && expand_only()) {
    log_ << "verified: every expand step done, no INVALID index left; contract pending: "
            "deploy, then run apply --phase contract\n";
    for (const std::string& line : plan_.deploy) log_ << "  deploy: " << line << "\n";
    return;
  }
  if (result.remaining.empty()) {
    log_ << (plan_.target_fingerprint.empty()
                 ? "verified: every step done, no INVALID index left\n"
                 : "verified: the schema is the plan's target, every step done, no INVALID "
                   "index left\n");
    return;
  }
  log_ << "verification failed:\n";
  for (const std::string& problem : result.remaining) log_ << "  " << problem << "\n";
}

}  // namespace detail

}  // namespace pgshift::plans
