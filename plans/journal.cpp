#include "plans/journal.hpp"

#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "plans/render_json.hpp"
#include "catalog/connection.hpp"

namespace pgshift::plans::detail {

namespace {

// The schema name is fixed: catalog::read_catalog skips "_pgshift" by name.
// Not "pgshift": a role of that name would find it first on the default
// search_path ("$user", public) and create its tables there.
// One statement each: every statement goes through catalog::exec_one.
constexpr const char* kCreateJournal[] = {"CREATE SCHEMA IF NOT EXISTS _pgshift",
                                          R"sql(
CREATE TABLE IF NOT EXISTS _pgshift.apply_runs (
  plan_hash   text PRIMARY KEY,
  fingerprint text NOT NULL,
  steps       integer NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
))sql",
                                          R"sql(
CREATE TABLE IF NOT EXISTS _pgshift.apply_steps (
  plan_hash   text NOT NULL REFERENCES _pgshift.apply_runs,
  step_id     integer NOT NULL,
  summary     text NOT NULL,
  duration_ms bigint NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_hash, step_id)
))sql",
                                          R"sql(
CREATE TABLE IF NOT EXISTS _pgshift.apply_backfills (
  plan_hash  text NOT NULL REFERENCES _pgshift.apply_runs,
  step_id    integer NOT NULL,
  next_key   bigint NOT NULL,
  upper_key  bigint NOT NULL,
  rows_done  bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_hash, step_id)
))sql",
                                          R"sql(
CREATE TABLE IF NOT EXISTS _pgshift.apply_builds (
  plan_hash    text NOT NULL REFERENCES _pgshift.apply_runs,
  step_id      integer NOT NULL,
  index_schema text NOT NULL,
  index_name   text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (plan_hash, step_id, index_schema, index_name)
))sql",
                                          R"sql(
ALTER TABLE _pgshift.apply_runs
  ADD COLUMN IF NOT EXISTS desired_hash text,
  ADD COLUMN IF NOT EXISTS plan_json text,
  ADD COLUMN IF NOT EXISTS abandoned_at timestamptz,
  ADD COLUMN IF NOT EXISTS records_builds boolean)sql",
                                          R"sql(
ALTER TABLE _pgshift.apply_steps
  ADD COLUMN IF NOT EXISTS estimated_ms bigint)sql",
                                          R"sql(
ALTER TABLE _pgshift.apply_backfills
  ADD COLUMN IF NOT EXISTS mode text,
  ADD COLUMN IF NOT EXISTS key_after text,
  ADD COLUMN IF NOT EXISTS key_upper text,
  ADD COLUMN IF NOT EXISTS rows_seen bigint)sql"};

constexpr const char* kJournalExists = "SELECT to_regclass('_pgshift.apply_backfills') IS NOT NULL";
constexpr const char* kRunState =
    "SELECT finished_at IS NOT NULL FROM _pgshift.apply_runs "
    "WHERE plan_hash = $1 AND abandoned_at IS NULL";
// A run of the same plan abandoned earlier, or finished on a catalog since
// brought back to the plan's start, starts over: its steps and checkpoints
// are forgotten.
constexpr const char* kForgetAbandoned = R"sql(
WITH abandoned AS (SELECT plan_hash FROM _pgshift.apply_runs
                   WHERE plan_hash = $1 AND (abandoned_at IS NOT NULL OR finished_at IS NOT NULL)),
     steps AS (DELETE FROM _pgshift.apply_steps WHERE plan_hash IN (SELECT plan_hash FROM abandoned)),
     builds AS (DELETE FROM _pgshift.apply_builds WHERE plan_hash IN (SELECT plan_hash FROM abandoned))
DELETE FROM _pgshift.apply_backfills WHERE plan_hash IN (SELECT plan_hash FROM abandoned))sql";
constexpr const char* kStartRun =
    "INSERT INTO _pgshift.apply_runs "
    "(plan_hash, fingerprint, steps, desired_hash, plan_json, records_builds) "
    "VALUES ($1, $2, $3, $4, $5, true) ON CONFLICT (plan_hash) DO UPDATE SET "
    "started_at = now(), finished_at = NULL, abandoned_at = NULL, records_builds = true, "
    "desired_hash = excluded.desired_hash, plan_json = excluded.plan_json "
    "WHERE _pgshift.apply_runs.abandoned_at IS NOT NULL "
    "OR _pgshift.apply_runs.finished_at IS NOT NULL";
constexpr const char* kJournalCurrent =
    "SELECT count(*) = 1 FROM pg_attribute WHERE attrelid = '_pgshift.apply_runs'::regclass "
    "AND attname = 'abandoned_at' AND NOT attisdropped";
// A journal of an older pgshift: no plan, no desired state, nothing abandoned.
constexpr const char* kUnfinishedRunsBefore = R"sql(
SELECT r.plan_hash, '', '', r.steps,
       (SELECT count(*) FROM _pgshift.apply_steps s WHERE s.plan_hash = r.plan_hash),
       to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
FROM _pgshift.apply_runs r
WHERE r.finished_at IS NULL
ORDER BY r.started_at, r.plan_hash)sql";
constexpr const char* kUnfinishedRuns = R"sql(
SELECT r.plan_hash, coalesce(r.desired_hash, ''), coalesce(r.plan_json, ''), r.steps,
       (SELECT count(*) FROM _pgshift.apply_steps s WHERE s.plan_hash = r.plan_hash),
       to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')
FROM _pgshift.apply_runs r
WHERE r.finished_at IS NULL AND r.abandoned_at IS NULL
ORDER BY r.started_at, r.plan_hash)sql";
constexpr const char* kAbandonRun =
    "UPDATE _pgshift.apply_runs SET abandoned_at = now() "
    "WHERE plan_hash = $1 AND finished_at IS NULL AND abandoned_at IS NULL";
constexpr const char* kDoneSteps = "SELECT step_id FROM _pgshift.apply_steps WHERE plan_hash = $1";
constexpr const char* kMarkDone =
    "INSERT INTO _pgshift.apply_steps (plan_hash, step_id, summary, duration_ms, estimated_ms) "
    "VALUES ($1, $2, $3, $4, NULLIF($5, '')::bigint)";
constexpr const char* kRecordBuild =
    "INSERT INTO _pgshift.apply_builds (plan_hash, step_id, index_schema, index_name) "
    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
constexpr const char* kBuildRecorded = R"sql(
SELECT r.records_builds IS TRUE,
       EXISTS (SELECT FROM _pgshift.apply_builds b
               WHERE b.plan_hash = r.plan_hash AND b.step_id = $2
                 AND b.index_schema = $3 AND b.index_name = $4)
FROM _pgshift.apply_runs r WHERE r.plan_hash = $1)sql";
constexpr const char* kCheckpoint =
    "SELECT mode, next_key, upper_key, key_after, key_upper, rows_done, coalesce(rows_seen, 0) "
    "FROM _pgshift.apply_backfills WHERE plan_hash = $1 AND step_id = $2";
constexpr const char* kSaveCheckpoint =
    "INSERT INTO _pgshift.apply_backfills "
    "(plan_hash, step_id, mode, next_key, upper_key, key_after, key_upper, rows_done, rows_seen) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (plan_hash, step_id) DO UPDATE SET "
    "mode = excluded.mode, next_key = excluded.next_key, upper_key = excluded.upper_key, "
    "key_after = excluded.key_after, key_upper = excluded.key_upper, "
    "rows_done = excluded.rows_done, rows_seen = excluded.rows_seen, updated_at = now()";
constexpr const char* kFinishRun =
    "UPDATE _pgshift.apply_runs SET finished_at = now() WHERE plan_hash = $1";

}  // namespace

Journal::Journal(pqxx::connection& conn, std::string plan_hash)
    : conn_(conn), plan_hash_(std::move(plan_hash)) {}

bool Journal::exists() {
  pqxx::nontransaction tx(conn_);
  return catalog::exec_one(tx, kJournalExists)[0][0].as<bool>();
}

void Journal::create() {
  pqxx::work tx(conn_);
  catalog::exec_one(tx, "SET LOCAL client_min_messages = warning");
  for (const char* statement : kCreateJournal) catalog::exec_one(tx, statement);
  tx.commit();
}

RunState Journal::state() {
  pqxx::nontransaction tx(conn_);
  const pqxx::result rows = tx.exec_params(kRunState, plan_hash_);
  if (rows.empty()) return RunState::NotStarted;
  return rows[0][0].as<bool>() ? RunState::Finished : RunState::InProgress;
}

void Journal::start(const Plan& plan, const std::string& desired_hash) {
  pqxx::work tx(conn_);
  tx.exec_params(kForgetAbandoned, plan_hash_);
  tx.exec_params(kStartRun, plan_hash_, plan.fingerprint, static_cast<int>(plan.steps.size()),
                 desired_hash.empty() ? std::optional<std::string>() : desired_hash,
                 render_json(plan));
  tx.commit();
}

std::vector<RunRecord> Journal::unfinished_runs() {
  pqxx::nontransaction tx(conn_);
  std::vector<RunRecord> runs;
  const bool current = catalog::exec_one(tx, kJournalCurrent)[0][0].as<bool>();
  for (const auto& row : catalog::exec_one(tx, current ? kUnfinishedRuns : kUnfinishedRunsBefore)) {
    runs.push_back(RunRecord{row[0].c_str(), row[1].c_str(), row[2].c_str(), row[3].as<int>(),
                             row[4].as<int>(), row[5].c_str()});
  }
  return runs;
}

void Journal::abandon(const std::string& plan_hash) {
  pqxx::work tx(conn_);
  tx.exec_params(kAbandonRun, plan_hash);
  tx.commit();
}

std::set<int> Journal::done_steps() {
  pqxx::nontransaction tx(conn_);
  std::set<int> ids;
  for (const auto& row : tx.exec_params(kDoneSteps, plan_hash_)) ids.insert(row[0].as<int>());
  return ids;
}

void Journal::mark_done(pqxx::transaction_base& tx, const Step& step,
                        std::chrono::milliseconds duration) {
  // The plan's estimate beside the actual duration (issue 14); NULL when
  // the step has none.
  tx.exec_params(kMarkDone, plan_hash_, step.id, step.summary,
                 static_cast<int64_t>(duration.count()),
                 step.estimated_ms ? std::to_string(*step.estimated_ms) : std::string());
}

void Journal::mark_done(const Step& step, std::chrono::milliseconds duration) {
  pqxx::work tx(conn_);
  mark_done(tx, step, duration);
  tx.commit();
}

void Journal::record_build(int step_id, const std::string& schema, const std::string& name) {
  pqxx::work tx(conn_);
  tx.exec_params(kRecordBuild, plan_hash_, step_id, schema, name);
  tx.commit();
}

std::optional<bool> Journal::build_recorded(int step_id, const std::string& schema,
                                            const std::string& name) {
  pqxx::nontransaction tx(conn_);
  const pqxx::result rows = tx.exec_params(kBuildRecorded, plan_hash_, step_id, schema, name);
  if (rows.empty() || !rows[0][0].as<bool>()) return std::nullopt;
  return rows[0][1].as<bool>();
}

std::optional<BackfillCheckpoint> Journal::checkpoint(int step_id) {
  pqxx::nontransaction tx(conn_);
  const pqxx::result rows = tx.exec_params(kCheckpoint, plan_hash_, step_id);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  BackfillCheckpoint point;
  point.rows_done = row[5].as<int64_t>();
  point.rows_seen = row[6].as<int64_t>();
  if (row[0].is_null()) {
    // An older pgshift's integer key range [next_key, upper_key]: the same
    // position as a keyset after next_key - 1.
    point.mode = BackfillCheckpoint::Mode::Key;
    point.key_after = std::vector<std::string>{std::to_string(row[1].as<int64_t>() - 1)};
    point.key_upper = {std::to_string(row[2].as<int64_t>())};
    return point;
  }
  if (std::string(row[0].c_str()) == "block") {
    point.mode = BackfillCheckpoint::Mode::Block;
    point.next_block = row[1].as<int64_t>();
    point.block_count = row[2].as<int64_t>();
    return point;
  }
  point.mode = BackfillCheckpoint::Mode::Key;
  if (!row[3].is_null()) {
    point.key_after = nlohmann::json::parse(row[3].c_str()).get<std::vector<std::string>>();
  }
  point.key_upper = nlohmann::json::parse(row[4].c_str()).get<std::vector<std::string>>();
  return point;
}

void Journal::save_checkpoint(pqxx::transaction_base& tx, int step_id,
                              const BackfillCheckpoint& point) {
  const bool block = point.mode == BackfillCheckpoint::Mode::Block;
  const std::optional<std::string> key_after =
      !block && point.key_after ? std::optional<std::string>(nlohmann::json(*point.key_after).dump())
                                : std::nullopt;
  const std::optional<std::string> key_upper =
      block ? std::nullopt : std::optional<std::string>(nlohmann::json(point.key_upper).dump());
  tx.exec_params(kSaveCheckpoint, plan_hash_, step_id, block ? "block" : "key",
                 block ? point.next_block : 0, block ? point.block_count : 0, key_after,
                 key_upper, point.rows_done, point.rows_seen);
}

bool operator==(const BackfillCheckpoint& a, const BackfillCheckpoint& b) {
  return a.mode == b.mode && a.key_after == b.key_after && a.key_upper == b.key_upper &&
         a.next_block == b.next_block && a.block_count == b.block_count &&
         a.rows_done == b.rows_done && a.rows_seen == b.rows_seen;
}

void Journal::finish() {
  pqxx::work tx(conn_);
  tx.exec_params(kFinishRun, plan_hash_);
  tx.commit();
}

}  // namespace pgshift::plans::detail
