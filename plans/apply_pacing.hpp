// Health-aware pacing of a backfill: between two batches, the signals that
// say the batches hurt the rest of the system, read from the server, each
// compared with its threshold (ApplyOptions::pacing).
//
// Signals, in the order they are judged:
//   table_lock        another session holds a lock on the table that
//                     conflicts with the batches' ROW EXCLUSIVE (pg_locks):
//                     the next batch would queue behind it
//   replica_lag       the largest replay lag of any standby
//                     (pg_stat_replication.replay_lag; 0 without standbys or
//                     without the right to see it, pg_read_all_stats)
//   wal_rate          WAL bytes written per second since the last reading
//                     (pg_current_wal_lsn deltas)
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
#include <optional>
#include <pqxx/pqxx>
#include <string>

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
};

}  // namespace pgshift::plans::detail
