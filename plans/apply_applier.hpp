// The applier's internals, shared by apply.cpp (the run: lock, journal,
// freshness, verification), apply_steps.cpp (one step: pre-flight, retries,
// transactional and non-transactional statements) and apply_backfill.cpp.
//
// One Applier per apply_plan() call; it runs every step on one session
// (`conn_`), whose backend the LockMonitor watches from a second one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "plans/apply.hpp"
#include "plans/apply_monitor.hpp"
#include "plans/apply_progress.hpp"
#include "plans/journal.hpp"

namespace pgshift::plans::detail {

// The index a CREATE INDEX CONCURRENTLY statement builds and the table it
// is built on; nullopt for any other statement. Identifiers are folded as
// the server folds them; an unqualified table takes `default_schema`. An
// index always lives in its table's schema.
struct IndexName {
  std::string schema;
  std::string name;
  std::string table;
};
std::optional<IndexName> concurrent_index_build(const std::string& statement,
                                                const std::string& default_schema);

// An index found under a planned index's name: whether it is valid, the
// table it is on, and the partitioned index it is attached to ("" for none).
struct FoundIndex {
  bool valid = false;
  std::string table;
  std::string attached_to;
};
std::optional<FoundIndex> find_index(pqxx::connection& conn, const IndexName& index);

// "1.23s".
std::string format_seconds(std::chrono::milliseconds duration);

// The first line of a server error, without its "ERROR:  " prefix.
std::string server_message(const std::exception& error);

// `pid 123 (application "psql", state "idle in transaction", transaction 2.1 s
// old, query "SELECT ...")`.
std::string describe_blocker(const Blocker& blocker);

// The table of a backfill as the server describes it when the backfill starts.
struct BackfillTable {
  int64_t oid = 0;
  bool partitioned = false;
  double reltuples = -1;  // pg_class.reltuples: -1 when never analyzed (PostgreSQL 14+)
  int64_t relpages = 0;   // pg_class.relpages: as of the last VACUUM or ANALYZE
  int64_t blocks = 0;     // its blocks now (of every partition, for a partitioned table)
};

// The rows a backfill of `table` walks, for its progress: the density the
// last VACUUM or ANALYZE saw (reltuples / relpages) times the blocks the
// table has now, as the server's own planner estimates a scan; a table
// never vacuumed or analyzed (reltuples -1, or 0 on PostgreSQL before 14,
// with relpages 0) gets `guess_per_block` rows per block. A table filled
// since its statistics were taken is not estimated at the old count (nor at
// nothing at all, which showed a backfill at 100% from its first batch).
int64_t backfill_row_estimate(const BackfillTable& table, double guess_per_block);

// The statements of a backfill batch (apply_backfill.cpp explains them).
// Keyset, three statements in one transaction: the batch's last key (no row
// when fewer keys are left: the last batch then ends at the highest key);
// the UPDATE of the key range up to it; for the last batch, the count of
// its keys. Parameters: the last key's values (when `after`), then the
// range's end (the highest key's values for the first and third, the
// batch's last key for the UPDATE), then, for the first, the number of
// keys to skip (the batch's rows - 1).
std::string keyset_bound_sql(const BackfillSpec& spec, bool after);
std::string keyset_update_sql(const BackfillSpec& spec, bool after);
std::string keyset_count_sql(const BackfillSpec& spec, bool after);
// Blocks: parameters are the first tid and the tid past the range.
std::string block_batch_sql(const BackfillSpec& spec);
// Sweep after the blocks: parameter is the row limit; the result is rows
// updated and rows found.
std::string sweep_batch_sql(const BackfillSpec& spec);

// The next batch's size (rows) from one that ran `size` rows, touched
// `touched` of them in `took`: toward `target` at the rate of the rows
// actually touched, at most halving or doubling; `size` unchanged when
// `target` is zero (fixed batches).
int64_t next_batch_size(int64_t size, int64_t touched, std::chrono::duration<double> took,
                        std::chrono::milliseconds target);

// Thrown when ApplyOptions::stop is set: by a backfill between two committed
// batches (`in_backfill`), and by a step between two attempts at its locks
// (the step has not run); Applier::run() catches it and stops.
struct StopRequested {
  bool in_backfill = false;
};

class Applier {
 public:
  Applier(std::string target, const Plan& plan, const ApplyOptions& options);
  ApplyResult run();

 private:
  // apply.cpp
  void connect_session();
  // Every step's data checks before a fresh run; throws ApplyError on a
  // violation, before anything is changed.
  void preflight_all();
  // `step`'s data checks right before it; throws ApplyError on a violation.
  // Rows a catch-up backfill fills (catch_up_backfills) count in `report`.
  void recheck(const Step& step, StepReport& report);
  void acquire_apply_lock();
  void check_no_unfinished_run();  // ApplyError when another plan's run is unfinished
  void check_fresh();
  // The journal's state of this plan, read only. A finished run whose
  // database is back at the catalog the plan was made from (its changes
  // undone by hand, a backup restored) says nothing any more: NotStarted,
  // and the run starts over (Journal::start forgets its steps).
  RunState run_state();
  void log_undone_run();  // says so when run_state() found the run undone
  void report_invalid_indexes();
  void dry_run(ApplyResult& result);
  // `finished_earlier`: the journal recorded the run finished before this
  // invocation (a plan applied again).
  std::vector<std::string> verify(ApplyResult& result, bool finished_earlier);
  // The catalog after the last step: the schemas the steps touched read
  // again, the others as check_fresh() read them (everything is read again
  // when it did not run: a resumed run).
  schemas::Database read_after();
  // Expand/contract: whether `step` belongs to the stage this run applies;
  // whether this run applies the expand stage of a two-stage plan only;
  // refuses a contract run before every expand step is done.
  bool in_stage(const Step& step) const;
  bool expand_only() const;
  void check_stage_order(const std::set<int>& done) const;
  void log_summary(const ApplyResult& result, std::chrono::milliseconds elapsed);

  // apply_steps.cpp
  void run_step(const Step& step, StepReport& report);
  void preflight(const Step& step);
  void run_in_transaction(const Step& step, StepReport& report);
  void run_outside_transaction(const Step& step, StepReport& report);
  // Runs `attempt` until it succeeds, retrying a lock timeout (unless the
  // step waited its statement timeout for the lock) or deadlock with backoff;
  // throws ApplyError for the step otherwise. `sink` gets the monitor's
  // samples while an attempt runs (with index build progress if asked).
  void with_retries(const Step& step, StepReport& report, const std::function<void()>& attempt,
                    const SampleSink& sink = nullptr, bool build_progress = false,
                    bool count_blocking = false);
  // Logs, every progress_interval while the step waits, what it waits for;
  // draws the build's progress on `progress` when given.
  SampleSink wait_reporter(const Step& step, BuildProgress* progress);
  // Drops the INVALID index a failed concurrent build left; says what it did.
  std::string drop_failed_build(const Step& step, const IndexName& index);
  // ApplyError unless `found`, an index of the name `step` builds, can be
  // this plan's own earlier build: on the planned table, attached to no
  // partitioned index, and its build recorded in the journal by an earlier
  // run (runs journaled by an older pgshift record none: the first two
  // only).
  void check_own_build(const Step& step, const IndexName& index, const FoundIndex& found);
  // Writes a line to the log while the monitor may be writing too.
  void say(const std::string& line, BuildProgress* progress = nullptr);
  // True when the step waits for its locks up to its statement timeout
  // (may_wait_for_locks and a statement timeout to bound the wait).
  bool waits_for_locks(const Step& step) const;
  std::chrono::milliseconds lock_timeout(const Step& step) const;
  std::string step_label(const Step& step) const;  // "step 3 of 7"
  ApplyError step_error(const Step& step, const std::string& message,
                        const std::string& sqlstate) const;

  // apply_backfill.cpp
  // Runs the backfill `step` from its journaled checkpoint, or from its start,
  // then journals it done. `catch_up`: once more from its start, whatever the
  // journal holds, without journaling it done again (catch_up_backfills).
  void run_backfill(const Step& step, StepReport& report, bool catch_up = false);
  // Before the VALIDATE `step` of a NOT NULL whose data check found NULLs:
  // the plan's earlier backfills of the same column run again over the rows
  // still NULL (inserted without the column while they ran, before the NOT
  // VALID check refused such rows), their rows counted in `report`. Returns
  // whether any ran.
  bool catch_up_backfills(const Step& step, const std::vector<DataCheck>& checks,
                          StepReport& report);
  bool stop_requested() const { return options_.stop != nullptr && options_.stop->load(); }
  // The table; ApplyError when it is missing or the plan's key is not a
  // usable one (NOT NULL columns under a valid plain unique index), or, with
  // no key, when the table is partitioned or the backfill has no condition.
  BackfillTable check_backfill_key(const Step& step);
  // `catch_up`: an empty table is not journaled done (the step is already).
  std::optional<BackfillCheckpoint> start_backfill(const Step& step, const BackfillTable& found,
                                                   bool catch_up);

  std::string target_;
  const Plan& plan_;
  const ApplyOptions& options_;
  std::ostream& log_;
  std::string plan_hash_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<LockMonitor> monitor_;
  bool monitor_failure_logged_ = false;
  std::mutex log_mutex_;  // held for writes to log_ that may race the monitor's sink
  std::mt19937 jitter_{std::random_device{}()};
  std::optional<schemas::Database> before_;  // the catalog check_fresh() or run_state() read
  bool undone_run_ = false;  // run_state() found a finished run undone since
};

}  // namespace pgshift::plans::detail
