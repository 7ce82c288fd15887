// One step: pre-flight, then its statements with timeouts and retries.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <thread>

#include "catalog/connection.hpp"
#include "plans/apply_applier.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::plans::detail {

namespace {

// Sessions in a transaction older than $3 seconds that hold or wait for a lock
// on the relation $1.$2.
constexpr const char* kLongTransactions = R"sql(
SELECT DISTINCT a.pid, coalesce(a.application_name, ''), coalesce(a.state, ''),
       extract(epoch FROM now() - a.xact_start)::float8, left(coalesce(a.query, ''), 200)
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE n.nspname = $1 AND c.relname = $2 AND a.pid <> pg_backend_pid()
  AND a.xact_start < now() - make_interval(secs => $3)
ORDER BY 1)sql";

// The index of a name, its table and the partitioned index it is attached
// to. An index has one parent at most.
constexpr const char* kFindIndex = R"sql(
SELECT i.indisvalid, t.relname, coalesce(p.relname, '')
FROM pg_index i
JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class t ON t.oid = i.indrelid
LEFT JOIN pg_inherits h ON h.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = h.inhparent
WHERE n.nspname = $1 AND c.relname = $2)sql";

// The partition a DETACH ... CONCURRENTLY names: no row once detached,
// inhdetachpending when an interrupted one left the detach pending.
constexpr const char* kDetachState = R"sql(
SELECT inh.inhdetachpending FROM pg_inherits inh
JOIN pg_class c ON c.oid = inh.inhrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))sql";

constexpr const char* kLockTimeout = "55P03";
constexpr std::chrono::milliseconds kFailedBuildCleanup{60000};
constexpr const char* kDeadlockDetected = "40P01";
constexpr const char* kDuplicateRelation = "42P07";

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

std::string describe_blockers(const std::vector<Blocker>& blockers) {
  if (blockers.empty()) return "a session the monitor did not catch";
  std::string text;
  for (const Blocker& blocker : blockers) {
    text += (text.empty() ? "" : ", ") + describe_blocker(blocker);
  }
  return text;
}

bool is_invalid(pqxx::connection& conn, const IndexName& index) {
  const auto found = find_index(conn, index);
  return found && !found->valid;
}

// Session-level timeouts for statements that cannot run in a transaction
// block (SET LOCAL needs one); reset when the scope ends.
class SessionTimeouts {
 public:
  SessionTimeouts(pqxx::connection& conn, std::chrono::milliseconds lock_timeout,
                  std::chrono::milliseconds statement_timeout)
      : conn_(conn) {
    pqxx::nontransaction tx(conn_);
    catalog::exec_one(tx, fmt::format("SET lock_timeout = {}", lock_timeout.count()));
    catalog::exec_one(tx, fmt::format("SET statement_timeout = {}", statement_timeout.count()));
  }
  ~SessionTimeouts() {
    try {
      pqxx::nontransaction tx(conn_);
      catalog::exec_one(tx, "RESET lock_timeout");
      catalog::exec_one(tx, "RESET statement_timeout");
    } catch (const std::exception&) {
      // The session is gone; whoever uses it next reports that.
    }
  }
  SessionTimeouts(const SessionTimeouts&) = delete;
  SessionTimeouts& operator=(const SessionTimeouts&) = delete;

 private:
  pqxx::connection& conn_;
};

}  // namespace

// A queued request for SHARE UPDATE EXCLUSIVE or weaker holds up no reads or
// writes (blocks_traffic), so such a step may wait as long as it may run: it
// gets no lock_timeout (0), and its statement_timeout bounds the wait. A
// concurrent index build needs that, as it waits for every transaction older
// than its snapshot, on any table. Steps whose queued request would block
// traffic keep the short lock_timeout and retry.
bool Applier::waits_for_locks(const Step& step) const {
  return may_wait_for_locks(step) && step.statement_timeout.count() > 0;
}

std::chrono::milliseconds Applier::lock_timeout(const Step& step) const {
  if (waits_for_locks(step)) return std::chrono::milliseconds(0);
  if (options_.lock_timeout_override.count() > 0) return options_.lock_timeout_override;
  return step.lock_timeout.count() > 0 ? step.lock_timeout : kDefaultLockTimeout;
}

void Applier::say(const std::string& line, BuildProgress* progress) {
  std::lock_guard<std::mutex> lock(log_mutex_);
  if (progress != nullptr) {
    progress->note(line);
  } else {
    log_ << line << '\n' << std::flush;
  }
}

SampleSink Applier::wait_reporter(const Step& step, BuildProgress* progress) {
  struct State {
    std::optional<Clock::time_point> waiting_since;
    Clock::time_point last_logged = Clock::now();
  };
  auto state = std::make_shared<State>();
  return [this, &step, progress, state](const Sample& sample) {
    if (progress != nullptr && sample.build) {
      std::lock_guard<std::mutex> lock(log_mutex_);
      progress->update(sample.build->phase, sample.build->blocks_done, sample.build->blocks_total,
                       sample.build->tuples_done, sample.build->tuples_total);
    }
    if (!sample.waiting) {
      state->waiting_since.reset();
      return;
    }
    const auto now = Clock::now();
    if (!state->waiting_since) state->waiting_since = now;
    if (now - state->last_logged < options_.progress_interval) return;
    state->last_logged = now;
    std::string what = sample.wait_event;
    if (sample.build) what = fmt::format("phase \"{}\", {}", sample.build->phase, what);
    say(fmt::format("  {}: waiting {} ({}){}; for {}", step_label(step),
                    format_seconds(since(*state->waiting_since)), what,
                    waits_for_locks(step) ? ", which blocks no reads or writes" : "",
                    describe_blockers(sample.blockers)),
        progress);
  };
}

std::string Applier::step_label(const Step& step) const {
  return fmt::format("step {} of {}", step.id, plan_.steps.size());
}

ApplyError Applier::step_error(const Step& step, const std::string& message,
                               const std::string& sqlstate) const {
  return ApplyError(fmt::format("{} ({}) failed: {}", step_label(step),
                                schemas::printable(step.summary), message),
                    step.id, sqlstate);
}

void Applier::run_step(const Step& step, StepReport& report) {
  const auto started = Clock::now();
  std::string locks;
  for (const RelationLock& lock : step.locks) {
    locks += fmt::format("{}{} on \"{}.{}\"", locks.empty() ? "" : ", ", lock_mode_name(lock.mode),
                         lock.schema, lock.relation);
  }
  const std::string timeout =
      waits_for_locks(step)
          ? fmt::format(
                "no lock_timeout: its locks block no reads or writes, so it may wait up "
                "to its statement timeout, {}",
                format_seconds(step.statement_timeout))
          : fmt::format("lock_timeout {}ms", lock_timeout(step).count());
  log_ << fmt::format("{}: {} ({}{})\n", step_label(step), schemas::printable(step.summary),
                      locks.empty() ? "" : locks + "; ", timeout);
  preflight(step);
  if (step.backfill) {
    run_backfill(step, report);
  } else if (step.transactional) {
    run_in_transaction(step, report);
  } else {
    run_outside_transaction(step, report);
  }
  report.duration = since(started);
  log_ << fmt::format("{}: {} in {}{}, {} retries, {} waiting for locks\n", step_label(step),
                      report.outcome == StepOutcome::FoundDone ? "found done" : "done",
                      format_seconds(report.duration),
                      step.estimated_ms
                          ? " (estimated about " + format_duration_ms(*step.estimated_ms) + ")"
                          : std::string(),
                      report.retries, format_seconds(report.lock_wait));
}

void Applier::preflight(const Step& step) {
  std::vector<const RelationLock*> strong;
  for (const RelationLock& lock : step.locks) {
    if (lock.mode >= LockMode::Share) strong.push_back(&lock);  // blocks writes
  }
  if (strong.empty()) return;
  const auto started = Clock::now();
  auto last_logged = started - options_.progress_interval;
  for (;;) {
    std::vector<std::string> found;
    {
      pqxx::nontransaction tx(*conn_);
      for (const RelationLock* lock : strong) {
        for (const auto& row :
             tx.exec_params(kLongTransactions, lock->schema, lock->relation,
                            static_cast<double>(options_.long_tx_threshold.count()))) {
          found.push_back(
              fmt::format("on \"{}.{}\": {}", lock->schema, lock->relation,
                          describe_blocker(Blocker{row[0].as<int>(), row[1].as<std::string>(),
                                                   row[2].as<std::string>(), row[3].as<double>(),
                                                   row[4].as<std::string>()})));
        }
      }
    }
    if (found.empty()) return;
    if (Clock::now() - last_logged >= options_.progress_interval) {
      last_logged = Clock::now();
      for (const std::string& line : found) {
        log_ << fmt::format("  pre-flight: transaction older than {}s {}\n",
                            options_.long_tx_threshold.count(), line);
      }
    }
    switch (options_.on_long_tx) {
      case OnLongTx::Report:
        return;
      case OnLongTx::Abort:
        throw step_error(step,
                         fmt::format("long-running transactions hold or wait for locks "
                                     "on its tables ({}); nothing of the step was run",
                                     found.front()),
                         "");
      case OnLongTx::Wait:
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        break;
    }
  }
}

void Applier::with_retries(const Step& step, StepReport& report,
                           const std::function<void()>& attempt, const SampleSink& sink,
                           bool build_progress, bool count_blocking) {
  // Several samples per lock_timeout to catch the blocker; a step that may
  // wait for minutes needs fewer.
  const auto timeout = lock_timeout(step);
  const auto poll_interval =
      waits_for_locks(step)
          ? std::chrono::milliseconds(100)
          : std::clamp(timeout / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(50));
  for (int attempt_no = 1;; ++attempt_no) {
    const auto started = Clock::now();
    monitor_->watch(conn_->backendpid(), poll_interval, sink, build_progress, count_blocking);
    std::string message;
    std::string sqlstate;
    try {
      attempt();
    } catch (const pqxx::deadlock_detected& e) {
      // Not a pqxx::sql_error in libpqxx 6 (a transaction_rollback): without
      // this, a deadlock failed the step instead of being retried.
      message = server_message(e);
      sqlstate = kDeadlockDetected;
    } catch (const pqxx::sql_error& e) {
      message = server_message(e);
      sqlstate = e.sqlstate();
    } catch (const pqxx::failure& e) {
      monitor_->take();
      throw step_error(step, server_message(e), "");
    } catch (...) {
      monitor_->take();  // the sink may point into the caller's frame
      throw;
    }
    const Observation seen = monitor_->take();
    if (!seen.error.empty() && !monitor_failure_logged_) {
      monitor_failure_logged_ = true;
      log_ << "  lock monitor stopped, blockers will not be named: " << seen.error << "\n";
    }
    for (const Blocker& blocker : seen.blockers) {
      if (std::none_of(report.blockers.begin(), report.blockers.end(),
                       [&](const Blocker& known) { return known.pid == blocker.pid; })) {
        report.blockers.push_back(blocker);
      }
    }
    const bool lock_timed_out = sqlstate == kLockTimeout;
    // A lock timeout means the whole attempt waited; otherwise trust the samples.
    report.lock_wait += lock_timed_out ? std::max(since(started), seen.lock_wait) : seen.lock_wait;
    if (message.empty()) return;

    const std::string failure = fmt::format("{} (SQLSTATE {})", message, sqlstate);
    if (!lock_timed_out && sqlstate != kDeadlockDetected) {
      // A step that may wait ends here when its statement timeout fires.
      throw step_error(step,
                       seen.blockers.empty() ? failure
                                             : fmt::format("{}; it was waiting for {}", failure,
                                                           describe_blockers(seen.blockers)),
                       sqlstate);
    }
    if (attempt_no > options_.retries) {
      throw step_error(step,
                       fmt::format("{} after {} attempts; blocked by {}", failure, attempt_no,
                                   describe_blockers(seen.blockers)),
                       sqlstate);
    }
    const auto ceiling = std::min<int64_t>(
        options_.retry_max.count(), options_.retry_base.count() << std::min(attempt_no - 1, 20));
    std::uniform_int_distribution<int64_t> jitter(ceiling / 2, std::max<int64_t>(ceiling, 1));
    const std::chrono::milliseconds delay(jitter(jitter_));
    ++report.retries;
    log_ << fmt::format("  {}: {} on attempt {} of {}; blocked by {}; retrying in {}ms\n",
                        step_label(step), failure, attempt_no, options_.retries + 1,
                        describe_blockers(seen.blockers), delay.count());
    // An interrupt stops before the next attempt: the failed one ran nothing.
    const auto wake = Clock::now() + delay;
    for (;;) {
      if (stop_requested()) {
        log_ << fmt::format(
            "  {}: stopped before attempt {}; the journal does not count the step done: "
            "resuming runs it\n",
            step_label(step), attempt_no + 1);
        throw StopRequested{static_cast<bool>(step.backfill)};
      }
      const auto now = Clock::now();
      if (now >= wake) break;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(wake - now, std::chrono::milliseconds(50)));
    }
  }
}

constexpr const char* kLockableRelation =
    "SELECT 1 FROM pg_class WHERE oid = to_regclass($1) AND relkind IN ('r', 'p', 'f')";

// Whether applications touch relation $1 before relation $2 in a transaction:
// $2 has a foreign key to $1 (an application writes the parent row first), or
// $2 is a sequence that a column of table $1 owns or takes its default from
// (nextval runs inside the INSERT into $1).
constexpr const char* kWrittenBefore = R"sql(
SELECT EXISTS (SELECT 1 FROM pg_constraint
                WHERE contype = 'f' AND confrelid = to_regclass($1) AND conrelid = to_regclass($2))
    OR EXISTS (SELECT 1 FROM pg_depend
                WHERE classid = 'pg_class'::regclass AND objid = to_regclass($2)
                  AND refclassid = 'pg_class'::regclass AND refobjid = to_regclass($1)
                  AND deptype IN ('a', 'i'))
    OR EXISTS (SELECT 1 FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
                WHERE d.classid = 'pg_attrdef'::regclass AND ad.adrelid = to_regclass($1)
                  AND d.refclassid = 'pg_class'::regclass AND d.refobjid = to_regclass($2)))sql";

// Reorders `locks` (stable) so that a relation applications touch before
// another one in the same transaction (kWrittenBefore) is locked first. One
// query per pair: a step locking more than kOrderedLocksMax relations (a
// whole schema's tables) keeps its order.
constexpr std::size_t kOrderedLocksMax = 16;
void order_as_applications_write(pqxx::connection& conn,
                                 std::vector<const RelationLock*>& locks) {
  if (locks.size() < 2 || locks.size() > kOrderedLocksMax) return;
  const std::size_t count = locks.size();
  std::vector<std::vector<bool>> before(count, std::vector<bool>(count, false));
  {
    pqxx::nontransaction tx(conn);
    for (std::size_t a = 0; a < count; ++a) {
      for (std::size_t b = 0; b < count; ++b) {
        if (a == b || (locks[a]->schema == locks[b]->schema &&
                       locks[a]->relation == locks[b]->relation)) {
          continue;
        }
        before[a][b] = tx.exec_params(kWrittenBefore,
                                      quote_qualified(locks[a]->schema, locks[a]->relation),
                                      quote_qualified(locks[b]->schema, locks[b]->relation))[0][0]
                           .as<bool>();
      }
    }
  }
  std::vector<const RelationLock*> ordered;
  std::vector<bool> placed(count, false);
  while (ordered.size() < count) {
    // The first one no unplaced relation must precede; the first unplaced
    // one when they form a cycle.
    std::optional<std::size_t> next;
    for (std::size_t b = 0; b < count && !next; ++b) {
      if (placed[b]) continue;
      bool free = true;
      for (std::size_t a = 0; a < count && free; ++a) free = placed[a] || !before[a][b];
      if (free) next = b;
    }
    if (!next) {
      for (std::size_t b = 0; b < count && !next; ++b) {
        if (!placed[b]) next = b;
      }
    }
    placed[*next] = true;
    ordered.push_back(locks[*next]);
  }
  locks = std::move(ordered);
}

// The step's locks are taken first, explicitly, the other tables before the
// step's own: for a foreign key the referenced table before the referencing
// one, the order in which applications write them. In the opposite order the
// step would hold the child table while waiting for the parent, and traffic
// that writes parent then child would wait on the step while the step waits
// on it, so no attempt would ever get its locks under steady traffic. Where
// the catalog shows the order applications use (a foreign key between two of
// the step's tables, a table and the sequence of its column), that order wins:
// a step on a referenced table that also locks the tables referencing it (the
// contract of expand/contract on a key) locks the referenced one first, and a
// sequence after the table whose INSERTs call nextval on it.
void Applier::run_in_transaction(const Step& step, StepReport& report) {
  std::vector<const RelationLock*> locks;
  for (const RelationLock& lock : step.locks) {
    if (lock.relation != step.object.table || lock.schema != step.object.schema) {
      locks.push_back(&lock);
    }
  }
  for (const RelationLock& lock : step.locks) {
    if (lock.relation == step.object.table && lock.schema == step.object.schema) {
      locks.push_back(&lock);
    }
  }
  order_as_applications_write(*conn_, locks);
  const auto started = Clock::now();
  with_retries(step, report, [&] {
    pqxx::work tx(*conn_);
    catalog::exec_one(tx, fmt::format("SET LOCAL lock_timeout = {}", lock_timeout(step).count()));
    catalog::exec_one(
        tx, fmt::format("SET LOCAL statement_timeout = {}", step.statement_timeout.count()));
    for (const RelationLock* lock : locks) {
      const std::string relation = quote_qualified(lock->schema, lock->relation);
      // A relation the step itself creates has nothing to lock yet, and LOCK
      // TABLE takes tables, views and foreign tables only (not a materialized
      // view): the statement itself locks those. Nor a view: LOCK TABLE on a
      // view locks every relation its query reads in the same mode (11+), so
      // replacing a view took ACCESS EXCLUSIVE on the tables under it and
      // waited for, then blocked, their readers; CREATE OR REPLACE VIEW and
      // DROP VIEW lock the view only (its tables ACCESS SHARE).
      if (tx.exec_params(kLockableRelation, relation).empty()) continue;
      catalog::exec_one(
          tx, fmt::format("LOCK TABLE {} IN {} MODE", relation, lock_mode_name(lock->mode)));
    }
    for (const std::string& statement : step.statements) catalog::exec_one(tx, statement);
    journal_->mark_done(tx, step, since(started));
    tx.commit();
  }, wait_reporter(step, nullptr));
}

// A crash between a statement and the journal entry re-runs the step on
// resume, so each statement must be safe to run again. CREATE INDEX
// CONCURRENTLY is made so: a valid index of its name counts as built; an
// INVALID one is dropped concurrently first. A build that fails for good
// drops the INVALID index it leaves before the error is reported. DETACH
// PARTITION ... CONCURRENTLY (the step's object is the partition) likewise:
// a partition no longer attached counts as detached; one an interrupted run
// left pending is finished by DETACH PARTITION ... FINALIZE.
void Applier::run_outside_transaction(const Step& step, StepReport& report) {
  const auto started = Clock::now();
  bool all_found = !step.statements.empty();
  for (const std::string& statement : step.statements) {
    const std::string concurrently = " CONCURRENTLY";
    const bool detach = statement.find(" DETACH PARTITION ") != std::string::npos &&
                        statement.size() > concurrently.size() &&
                        statement.compare(statement.size() - concurrently.size(),
                                          concurrently.size(), concurrently) == 0;
    if (detach) {
      // Each attempt asks where the detach stands: an attempt whose second
      // transaction timed out waiting for a lock left it pending.
      bool found_done = true;
      with_retries(
          step, report,
          [&] {
            SessionTimeouts timeouts(*conn_, lock_timeout(step), step.statement_timeout);
            pqxx::nontransaction tx(*conn_);
            const pqxx::result rows =
                tx.exec_params(kDetachState, step.object.schema, step.object.name);
            if (rows.empty()) {
              log_ << fmt::format("  table \"{}.{}\" is detached{}\n", step.object.schema,
                                  step.object.name, found_done ? ": by an earlier run" : "");
              return;
            }
            std::string attempt = statement;
            if (rows[0][0].as<bool>()) {
              attempt.replace(attempt.size() - concurrently.size(), concurrently.size(),
                              " FINALIZE");
              log_ << fmt::format("  the detach of \"{}.{}\" {} is pending: finishing it\n",
                                  step.object.schema, step.object.name,
                                  found_done ? "an earlier run began" : "the last attempt began");
            }
            found_done = false;
            catalog::exec_one(tx, attempt);
          },
          wait_reporter(step, nullptr), false);
      all_found = all_found && found_done;
      continue;
    }
    const auto index = concurrent_index_build(statement, step.object.schema);
    if (index) {
      if (const auto found = find_index(*conn_, *index)) {
        check_own_build(step, *index, *found);
        if (found->valid) {
          log_ << fmt::format("  index \"{}.{}\" exists and is valid: built by an earlier run\n",
                              index->schema, index->name);
          continue;
        }
      }
      // Recorded before the first attempt: an index of this name found by a
      // later run is this build's.
      journal_->record_build(step.id, index->schema, index->name);
    }
    all_found = false;
    BuildProgress progress(
        log_, options_.progress_bar, options_.progress_interval,
        index ? fmt::format("build index \"{}.{}\"", index->schema, index->name) : std::string());
    if (index && !monitor_->reports_build_progress()) {
      log_ << "  (no build progress: pg_stat_progress_create_index needs PostgreSQL 12)\n";
    }
    try {
      with_retries(
          step, report,
          [&] {
            SessionTimeouts timeouts(*conn_, lock_timeout(step), step.statement_timeout);
            if (index && is_invalid(*conn_, *index)) {
              say(fmt::format("  dropping INVALID index \"{}.{}\" before building it again",
                              index->schema, index->name),
                  &progress);
              pqxx::nontransaction tx(*conn_);
              catalog::exec_one(tx, "DROP INDEX CONCURRENTLY IF EXISTS " +
                                        quote_qualified(index->schema, index->name));
            }
            pqxx::nontransaction tx(*conn_);
            catalog::exec_one(tx, statement);
          },
          wait_reporter(step, index ? &progress : nullptr), index.has_value());
    } catch (const ApplyError& e) {
      progress.finish();
      // Another session created an index of the name meanwhile: not ours to drop.
      if (!index || e.sqlstate() == kDuplicateRelation) throw;
      throw ApplyError(std::string(e.what()) + "; " + drop_failed_build(step, *index), e.step_id(),
                       e.sqlstate());
    }
    progress.finish();
  }
  if (all_found) report.outcome = StepOutcome::FoundDone;
  journal_->mark_done(step, since(started));
}

std::optional<FoundIndex> find_index(pqxx::connection& conn, const IndexName& index) {
  pqxx::nontransaction tx(conn);
  const pqxx::result rows = tx.exec_params(kFindIndex, index.schema, index.name);
  if (rows.empty()) return std::nullopt;
  return FoundIndex{rows[0][0].as<bool>(), rows[0][1].c_str(), rows[0][2].c_str()};
}

void Applier::check_own_build(const Step& step, const IndexName& index, const FoundIndex& found) {
  const std::string name = fmt::format("\"{}.{}\"", index.schema, index.name);
  std::string reason;
  if (found.table != index.table) {
    reason = fmt::format("it is on table \"{}.{}\", not on \"{}.{}\"", index.schema, found.table,
                         index.schema, index.table);
  } else if (!found.attached_to.empty()) {
    reason = fmt::format("it is attached to the partitioned index \"{}.{}\"", index.schema,
                         found.attached_to);
  } else if (journal_->build_recorded(step.id, index.schema, index.name) == false) {
    reason = "no run of this plan started building it";
  } else {
    return;
  }
  throw step_error(
      step,
      fmt::format("index {} already exists{}, but this plan did not build it: {}. It was made "
                  "outside the plan, after the plan was made; nothing was changed. Drop or "
                  "rename it, or plan again",
                  name, found.valid ? "" : " (INVALID)", reason),
      "");
}

// DROP INDEX CONCURRENTLY waits only for transactions using the table, for at
// most a minute (or the step's shorter statement timeout); if it cannot, the
// next apply drops the index before building it again, and drift reports it
// meanwhile.
std::string Applier::drop_failed_build(const Step& step, const IndexName& index) {
  const std::string name = fmt::format("\"{}.{}\"", index.schema, index.name);
  try {
    if (!is_invalid(*conn_, index)) {
      return fmt::format("no INVALID index {} was left", name);
    }
    const auto limit = step.statement_timeout.count() > 0
                           ? std::min(step.statement_timeout, kFailedBuildCleanup)
                           : kFailedBuildCleanup;
    SessionTimeouts timeouts(*conn_, std::chrono::milliseconds(0), limit);
    pqxx::nontransaction tx(*conn_);
    catalog::exec_one(tx, "DROP INDEX CONCURRENTLY IF EXISTS " + quote_qualified(index.schema, index.name));
    log_ << fmt::format("  dropped the INVALID index {} the failed build left\n", name);
    return fmt::format("the INVALID index {} it left was dropped", name);
  } catch (const std::exception& e) {
    log_ << fmt::format("  could not drop the INVALID index {}: {}\n", name, server_message(e));
    return fmt::format(
        "the INVALID index {} it left could not be dropped ({}); the next apply "
        "drops it before building it again",
        name, server_message(e));
  }
}

}  // namespace pgshift::plans::detail
