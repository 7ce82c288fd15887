// The applier: executes a Plan against a live database, under traffic.
//
// apply_plan() is the only code in pgshift that runs DDL. It runs the steps in
// order on one session and keeps a journal in pgshift's own schema
// ("_pgshift"), so a run killed at any point (kill -9 included) resumes when
// started again with the same plan:
//   1. One apply per database: a session-level advisory lock; a second apply
//      fails at once with ApplyError.
//   2. A plan that is not being resumed must have been made from the catalog
//      as it is now (Plan::fingerprint), else ApplyError asks to re-plan; and
//      no other plan's run may be unfinished in the journal (ApplyError: it
//      must be resumed or abandoned first, see abandon_unfinished_applies).
//   3. Transactional steps run in one transaction each, with SET LOCAL
//      lock_timeout and statement_timeout, and are journaled in that same
//      transaction. A lock not granted in time (SQLSTATE 55P03) or a deadlock
//      (40P01) is retried with exponential backoff and jitter; a second
//      "monitor" session names the sessions that blocked the step.
//   4. Non-transactional steps run outside any transaction block. A CREATE
//      INDEX CONCURRENTLY step is idempotent: a valid index of its name counts
//      as done; an INVALID one (left by a killed build) is dropped
//      concurrently and rebuilt. A build that fails for good drops the
//      INVALID index it left before ApplyError is thrown. Its progress
//      (pg_stat_progress_create_index, PostgreSQL 12+) is drawn on the log.
//   4a. A step whose locks all leave reads and writes alone (SHARE UPDATE
//      EXCLUSIVE or weaker: concurrent index builds and drops, VALIDATE
//      CONSTRAINT; plans::may_wait_for_locks) waits for its locks, and a
//      build for older transactions, up to its statement_timeout (with no
//      lock_timeout), logging every progress_interval which sessions it
//      waits for. Other steps keep the short lock_timeout of 3.
//   5. A backfill runs by keyset over its key (any unique NOT NULL columns),
//      or by block ranges for a table with no key, one short transaction per
//      batch; its checkpoint (last key or next block) commits with the batch,
//      so no row is lost or updated twice across a crash. The batch size
//      adapts to a target duration (apply_backfill.cpp).
//   6. Verification after the last step: the catalog read back (ignored
//      objects left out) has the plan's target_fingerprint, when the plan
//      carries one, so a forged or stale journal cannot pass; every step is
//      journaled; no index built by the plan is left INVALID.
//
// Thread safety: apply_plan() may run concurrently with itself in one process
// (each call has its own sessions); the options' `log` stream must not be
// shared between concurrent calls.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "catalog/reader.hpp"
#include "plans/apply_preflight.hpp"
#include "plans/plan.hpp"
#include "schemas/error.hpp"

namespace pgshift::plans {

// What to do when pre-flight finds long-running transactions on the tables a
// strongly locking step needs (strong: SHARE or above, which blocks writes).
enum class OnLongTx {
  Report,  // log them and go on: lock_timeout and retries keep traffic safe
  Wait,    // wait until they are gone, logging them periodically
  Abort,   // throw ApplyError before the step
};

// Thresholds of the health signals a backfill checks between batches
// (plans/apply_pacing.hpp): while one is over, the backfill pauses, saying
// which signal and for how long; WAL a little over its rate makes the next
// batch wait just long enough, and blocked_sessions, which only a batch can
// show, halves the batches.
struct PacingOptions {
  std::chrono::milliseconds max_replica_lag{1000};        // 0: not checked
  int64_t max_wal_rate = int64_t{64} * 1024 * 1024;        // bytes per second; 0: not checked
  int max_blocked_sessions = 2;                            // sessions; -1: not checked
  bool pause_for_autovacuum = true;                        // while a vacuum runs on the table
  std::chrono::seconds max_transaction_age{600};           // 0: not checked
  std::chrono::milliseconds check_interval{500};           // between readings while paused
  std::string inject_file;  // test values replacing measured ones; "" for none
};

struct ApplyOptions {
  // Replaces the lock_timeout of every step that does not wait for its locks
  // (may_wait_for_locks) when non-zero. A step whose lock_timeout is zero
  // (unset) gets kDefaultLockTimeout: never wait forever. A step that may wait
  // and has a statement_timeout runs with no lock_timeout: the statement
  // timeout bounds its wait, and is not retried.
  std::chrono::milliseconds lock_timeout_override{0};
  int retries = 10;                           // further attempts after the first, per step or batch
  std::chrono::milliseconds retry_base{100};  // first backoff; doubles, jittered
  std::chrono::milliseconds retry_max{5000};  // backoff ceiling
  int64_t batch_size = 0;                     // first backfill batch, in rows; 0: the plan's
  std::chrono::milliseconds batch_target{200};  // adapt batches toward this; 0: fixed size
  std::chrono::milliseconds pause{0};           // between backfill batches
  PacingOptions pacing;                         // health checks between backfill batches
  bool dry_run = false;                         // print what would run; change nothing
  std::chrono::seconds long_tx_threshold{5};
  OnLongTx on_long_tx = OnLongTx::Report;
  std::ostream* log = nullptr;                // step lines and progress; nullptr: std::cerr
  bool progress_bar = false;                  // redraw one line (a terminal); else plain lines
  std::chrono::seconds progress_interval{5};  // between plain progress lines
  // JSON apply log: one JSON object per line for each backfill progress line,
  // pause, resume and end (plans/apply_progress.hpp); nullptr: none.
  std::ostream* json_log = nullptr;
  catalog::ReadOptions read_options;          // as the plan was made, for the fingerprint
  // When it becomes true (a signal handler's thread sets it), the run stops at
  // the next safe point: before a step, or after a committed backfill batch,
  // never inside a step's transaction. The journal then resumes the run.
  const std::atomic<bool>* stop = nullptr;
  // apply --schema: catalog::fingerprint of the canonical desired model,
  // journaled with the run so that the same command finds it and resumes it
  // (unfinished_applies); "" for apply --plan.
  std::string desired_fingerprint;
  // Pre-flight data checks (plans/apply_preflight.hpp): each step's checks
  // run again right before it, and a violation fails the step before it
  // runs (ApplyError naming it). With `preflight_at_start` (apply --plan),
  // a fresh run first checks every step, as `plan` does, and refuses before
  // anything is changed.
  DataCheckOptions data_checks;
  bool preflight_at_start = false;
  // A plan with a contract stage (expand/contract, issue 15) runs one stage
  // per apply: Expand runs the expand steps (a second run finds them done
  // and does nothing) and stops before contract; Contract refuses unless
  // every expand step is journaled as done, then runs the contract steps
  // and verifies the plan's target. nullopt: the whole plan (a plan with a
  // contract stage is refused: the deploy between the stages is the point).
  std::optional<Stage> stage;
};

inline constexpr std::chrono::milliseconds kDefaultLockTimeout{200};

// A session that blocked a step, as seen by the monitor while the step waited.
struct Blocker {
  int pid = 0;
  std::string application_name;
  std::string state;             // pg_stat_activity.state: "idle in transaction", ...
  double transaction_age_s = 0;  // 0 when not in a transaction
  std::string query;             // truncated to 200 characters
};
bool operator==(const Blocker& a, const Blocker& b);

enum class StepOutcome {
  Run,          // executed now
  AlreadyDone,  // journaled by an earlier run of the same plan
  FoundDone,    // not journaled, but its effect was found (a valid index)
  DryRun,       // would run
};

struct StepReport {
  int step_id = 0;
  std::string summary;
  StepOutcome outcome = StepOutcome::Run;
  std::chrono::milliseconds duration{0};
  int retries = 0;                         // attempts after the first, over all batches
  std::chrono::milliseconds lock_wait{0};  // time spent waiting for locks
  std::vector<Blocker> blockers;           // distinct by pid, in order first seen
  int64_t rows = 0;                        // rows updated by a backfill
  std::chrono::milliseconds paused{0};     // a backfill's time paused by its pacing
};

struct ApplyResult {
  int steps_run = 0;
  int steps_skipped = 0;  // AlreadyDone or FoundDone
  int retries = 0;
  std::chrono::milliseconds lock_wait{0};
  int64_t rows_backfilled = 0;
  bool resumed = false;  // an earlier run of this plan had started
  std::vector<StepReport> steps;
  // Verification failures after the last step ("the schema is not the one
  // the plan produces ...", "step 3 ... is not recorded as done", `index
  // "public.i" is INVALID`); empty on success and in a dry run.
  std::vector<std::string> remaining;
  // The catalog of the schemas the plan manages as the verification read it
  // (ignored objects not removed): the schemas the steps touched read again,
  // the others as read before the first step. Unset when nothing was
  // verified against the plan's target fingerprint.
  std::optional<schemas::Database> catalog_after;
  // ApplyOptions::stop was set: the run stopped at a safe point before the
  // end (`steps` lists the steps finished; a stopped backfill is not among
  // them), nothing was verified, and the same plan resumes from here.
  bool stopped = false;
  int stopped_in_step = 0;  // the backfill step stopped between batches; 0: between steps
};

// Applying failed. what() names the step when one was running:
// `step 7 of 12 (add column "email" to table "public.users") failed:
// canceling statement due to lock timeout (SQLSTATE 55P03)`.
class ApplyError : public pgshift::Error {
 public:
  ApplyError(const std::string& message, int step_id, std::string sqlstate);
  int step_id() const { return step_id_; }  // 0: before or between steps
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  int step_id_;
  std::string sqlstate_;
};

// Applies `plan` to the database at `target` (see the file comment).
// Returns what was done; `remaining` lists verification failures.
// Throws ApplyError when a step fails for good (retries exhausted, or an error
// that retrying cannot fix), when another apply holds the database, when the
// plan is stale, has Error diagnostics, or a backfill table has no usable key;
// pgshift::Error when the server cannot be reached.
ApplyResult apply_plan(const std::string& target, const Plan& plan, const ApplyOptions& options);

// A run in the journal neither finished nor abandoned.
struct UnfinishedApply {
  std::string plan_hash;
  std::string desired_fingerprint;  // "" for a run of apply --plan
  std::optional<Plan> plan;         // nullopt in journals older than the plan column
  int steps = 0;
  int steps_done = 0;
  std::string started_at;  // "2026-11-30 22:01:02 UTC"
};

// The unfinished runs in the journal of `target`, oldest first; none when it
// has no journal. Reads only. Throws pgshift::Error when the server cannot be
// reached or a journaled plan does not parse.
std::vector<UnfinishedApply> unfinished_applies(const std::string& target);
// The same, asked on `conn`, an open session on the target with no
// transaction in progress.
std::vector<UnfinishedApply> unfinished_applies(pqxx::connection& conn);

// Marks every unfinished run in the journal of `target` abandoned, so that
// a new plan may be applied, and returns them. Takes the apply lock: throws
// ApplyError while another apply runs.
std::vector<UnfinishedApply> abandon_unfinished_applies(const std::string& target);

// `plan H, started T, N of M steps done`.
std::string describe_unfinished(const UnfinishedApply& run);

// 16 hex digits identifying what `plan` executes (its fingerprint and every
// step's statements, backfill, timeouts and transactionality); the journal
// keys runs by it.
std::string plan_hash(const Plan& plan);

}  // namespace pgshift::plans
