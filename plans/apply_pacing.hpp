// Health-aware pacing of a backfill: between two batches, the signals that
// say the batches hurt the rest of the system, read from the server, each
// compared with its threshold (ApplyOptions::pacing).
//
// Signals, in the order they are judged:
//   table_lock        another session holds a lock on the table that
//                     conflicts with the batches' ROW EXCLUSIVE (pg_locks):
//                     the next batch would queue behind it
//   replica_lag       the largest replay lag of any standby: the larger of
//                     pg_stat_replication.replay_lag (which is measured only
//                     as replay advances, so it stands still while a standby
//                     has stopped replaying) and the age of the oldest WAL
//                     position this Pacer read that the slowest standby has
//                     not replayed yet (replay_lsn against the history of
//                     pg_current_wal_lsn readings); 0 once every standby
//                     has replayed all WAL there is (replay_lag then keeps
//                     its last, stale value a while); 0 without standbys or
//                     without the right to see them, pg_read_all_stats
//   wal_rate          WAL bytes written per second since the last reading
//                     under the threshold, over at most the last 10 s
//                     (pg_current_wal_lsn deltas): while it is over, that
//                     reading stays the start of the window, so the rate
//                     falls as a pause goes on, and the reading says how long
//                     until it is back under (the batches then run at the
//                     threshold on average, not in bursts and fixed pauses)
//   blocked_sessions  sessions that waited for a lock the last batch held
//                     (pg_blocking_pids, sampled while it ran)
//   autovacuum        a vacuum running on the table (pg_stat_progress_vacuum)
//   transaction_age   the oldest open transaction of another client session:
//                     the dead rows the batches leave cannot be vacuumed
//                     while it lives
// A test, or an operator rehearsing, may replace any measured value with
// PacingOptions::inject_file (PGSHIFT_PACING_INJECT for the CLI): lines of
// "<signal> <value>" (seconds for replica_lag and transaction_age, bytes per
// second for wal_rate, counts otherwise; "table_lock 1" for a holder),
// read again at every reading; a missing file injects nothing.
//
// Not thread-safe: one Pacer per backfill, used from the applier's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "plans/apply.hpp"

namespace pgshift::plans::detail {

enum class PacingSignal {
  TableLock,
  ReplicaLag,
  WalRate,
  BlockedSessions,
  Autovacuum,
  TransactionAge
};
const char* pacing_signal_name(PacingSignal signal);  // "replica_lag", ...

// A signal over its threshold.
struct PacingReading {
  PacingSignal signal = PacingSignal::ReplicaLag;
  // "replica lag 2.3s over --max-replica-lag 1s",
  // "pid 123 holds ShareLock on the table".
  std::string text;
  // wal_rate: how long from now until the rate is back under the threshold
  // if nothing more is written; zero for the other signals, and for an
  // injected rate (then: the check interval).
  std::chrono::milliseconds wait{0};
};

class Pacer {
 public:
  // REQUIRES: `conn` outlives the Pacer and has no transaction open when
  // check() is called; `table_oid` is the backfilled table.
  Pacer(pqxx::connection& conn, const PacingOptions& options, int64_t table_oid);
  // Reads the signals now: the first over its threshold, nullopt when none
  // is. `blocked_by_last_batch`: sessions the last batch made wait.
  std::optional<PacingReading> check(int blocked_by_last_batch);

 private:
  pqxx::connection& conn_;
  const PacingOptions& options_;
  int64_t table_oid_;
  std::optional<double> last_lsn_;
  std::chrono::steady_clock::time_point last_read_;
  // Earlier readings of pg_current_wal_lsn, oldest first, for the age of
  // what a standby has not replayed.
  std::deque<std::pair<std::chrono::steady_clock::time_point, double>> lsn_history_;
};

// Seconds since the oldest reading in `history` (time, WAL position; oldest
// first) whose position is past `replayed`: how long WAL has waited for a
// standby that replayed up to `replayed`. 0 when none is past it.
double unreplayed_age(
    const std::deque<std::pair<std::chrono::steady_clock::time_point, double>>& history,
    double replayed, std::chrono::steady_clock::time_point now);

}  // namespace pgshift::plans::detail
