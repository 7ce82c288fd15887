#include "plans/apply_pacing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "plans/apply_applier.hpp"

namespace pgshift::plans::detail {

namespace {

// One reading of every signal. Locks conflicting with ROW EXCLUSIVE: SHARE,
// SHARE ROW EXCLUSIVE, EXCLUSIVE, ACCESS EXCLUSIVE ([mvcc] "Conflicting Lock
// Modes"). Only client sessions count for the oldest transaction: vacuum and
// walsenders are not the application's.
constexpr const char* kSignals = R"sql(
SELECT (SELECT coalesce(max(extract(epoch FROM replay_lag)), 0) FROM pg_stat_replication)::float8,
       (pg_current_wal_lsn() - '0/0'::pg_lsn)::float8,
       (SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = $1::oid)::int8,
       coalesce((SELECT extract(epoch FROM max(clock_timestamp() - xact_start))
                 FROM pg_stat_activity
                 WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid()
                   AND backend_type = 'client backend'), 0)::float8,
       (SELECT string_agg(format('pid %s holds %s', l.pid, l.mode), ', ' ORDER BY l.pid)
        FROM pg_locks l
        WHERE l.locktype = 'relation' AND l.relation = $1::oid AND l.granted
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
                         'AccessExclusiveLock')
          AND l.pid <> pg_backend_pid()),
       (SELECT min(replay_lsn - '0/0'::pg_lsn) FROM pg_stat_replication)::float8)sql";

// Readings kept for the age of unreplayed WAL: at one reading per batch or
// per check interval, hours of history.
constexpr std::size_t kLsnHistory = 16384;

// The longest window the WAL rate is averaged over: a pause ends once the
// last seconds are quiet enough, whatever was written before them.
constexpr std::chrono::seconds kWalWindow{10};

std::map<std::string, double> injected(const std::string& path) {
  std::map<std::string, double> values;
  if (path.empty()) return values;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream words(line);
    std::string name;
    double value = 0;
    if (words >> name >> value) values[name] = value;
  }
  return values;
}

std::string seconds_text(double seconds) {
  return fmt::format("{:.1f}s", seconds);
}

std::string rate_text(double bytes_per_s) {
  return fmt::format("{:.1f} MB/s", bytes_per_s / (1024.0 * 1024.0));
}

}  // namespace

double unreplayed_age(
    const std::deque<std::pair<std::chrono::steady_clock::time_point, double>>& history,
    double replayed, std::chrono::steady_clock::time_point now) {
  for (const auto& [at, lsn] : history) {
    if (lsn > replayed) return std::chrono::duration<double>(now - at).count();
  }
  return 0;
}

const char* pacing_signal_name(PacingSignal signal) {
  switch (signal) {
    case PacingSignal::TableLock:
      return "table_lock";
    case PacingSignal::ReplicaLag:
      return "replica_lag";
    case PacingSignal::WalRate:
      return "wal_rate";
    case PacingSignal::BlockedSessions:
      return "blocked_sessions";
    case PacingSignal::Autovacuum:
      return "autovacuum";
    case PacingSignal::TransactionAge:
      return "transaction_age";
  }
  return "";
}

Pacer::Pacer(pqxx::connection& conn, const PacingOptions& options, int64_t table_oid)
    : conn_(conn), options_(options), table_oid_(table_oid) {}

std::optional<PacingReading> Pacer::check(int blocked_by_last_batch) {
  pqxx::nontransaction tx(conn_);
  const pqxx::result rows = tx.exec_params(kSignals, table_oid_);
  const auto& row = rows[0];
  const auto now = std::chrono::steady_clock::now();
  const auto fake = injected(options_.inject_file);
  const auto value = [&](const char* name, double measured) {
    const auto found = fake.find(name);
    return found == fake.end() ? measured : found->second;
  };

  std::string holders = row[4].is_null() ? "" : row[4].c_str();
  if (value("table_lock", holders.empty() ? 0 : 1) > 0) {
    if (holders.empty()) holders = "an injected holder";
    return PacingReading{PacingSignal::TableLock,
                         holders + " on the table, which the batches' ROW EXCLUSIVE waits for"};
  }
  const double lsn = row[1].as<double>();
  double measured_lag = row[0].as<double>();
  if (!row[5].is_null()) {
    const double replayed = row[5].as<double>();
    // Every standby has replayed all WAL there is: replay_lag still shows
    // the last lag it measured, until new WAL is replayed or a while passes.
    if (replayed >= lsn) measured_lag = 0;
    measured_lag = std::max(measured_lag, unreplayed_age(lsn_history_, replayed, now));
  }
  if (lsn_history_.empty() || lsn_history_.back().second < lsn) {
    lsn_history_.emplace_back(now, lsn);
    if (lsn_history_.size() > kLsnHistory) lsn_history_.pop_front();
  }
  const double lag = value("replica_lag", measured_lag);
  if (options_.max_replica_lag.count() > 0 &&
      lag * 1000 > static_cast<double>(options_.max_replica_lag.count())) {
    return PacingReading{PacingSignal::ReplicaLag,
                         fmt::format("replica lag {} over --max-replica-lag {}", seconds_text(lag),
                                     format_seconds(options_.max_replica_lag))};
  }
  // The rate since the last reading under the threshold, over at most the
  // last kWalWindow (see the header): from the newest reading at or before
  // then, the WAL position being the one of the newest history entry.
  double rate = 0;
  double written = 0;
  double elapsed = 0;
  if (last_lsn_) {
    auto from = last_read_;
    double from_lsn = *last_lsn_;
    if (now - from > kWalWindow) {
      for (auto entry = lsn_history_.rbegin(); entry != lsn_history_.rend(); ++entry) {
        if (entry->first > now - kWalWindow) continue;
        if (entry->first > from) {
          from = entry->first;
          from_lsn = entry->second;
        }
        break;
      }
    }
    written = lsn - from_lsn;
    elapsed = std::chrono::duration<double>(now - from).count();
    if (elapsed > 0) rate = written / elapsed;
  }
  const bool rate_injected = fake.count("wal_rate") > 0;
  rate = value("wal_rate", rate);
  const auto limit = static_cast<double>(options_.max_wal_rate);
  if (options_.max_wal_rate > 0 && rate > limit) {
    // Until written / (elapsed + wait) is the threshold; at least 10 ms, so
    // a reading a hair over does not spin.
    const double wait_s = std::max(0.01, written / limit - elapsed);
    PacingReading reading{PacingSignal::WalRate,
                          fmt::format("WAL {} over --max-wal-rate {}", rate_text(rate),
                                      rate_text(limit))};
    reading.wait = rate_injected ? std::chrono::milliseconds{0}
                                 : std::chrono::milliseconds{std::llround(std::ceil(wait_s * 1000))};
    return reading;
  }
  last_lsn_ = lsn;
  last_read_ = now;
  const double blocked = value("blocked_sessions", blocked_by_last_batch);
  if (options_.max_blocked_sessions >= 0 && blocked > options_.max_blocked_sessions) {
    return PacingReading{PacingSignal::BlockedSessions,
                         fmt::format("{:.0f} sessions waited for the last batch's locks, over "
                                     "--max-blocked-sessions {}",
                                     blocked, options_.max_blocked_sessions)};
  }
  if (options_.pause_for_autovacuum && value("autovacuum", row[2].as<double>()) > 0) {
    return PacingReading{PacingSignal::Autovacuum, "a vacuum is running on the table"};
  }
  const double age = value("transaction_age", row[3].as<double>());
  if (options_.max_transaction_age.count() > 0 &&
      age > static_cast<double>(options_.max_transaction_age.count())) {
    return PacingReading{
        PacingSignal::TransactionAge,
        fmt::format("the oldest transaction is {} old, over --max-transaction-age {}",
                    seconds_text(age),
                    format_seconds(std::chrono::duration_cast<std::chrono::milliseconds>(
                        options_.max_transaction_age)))};
  }
  return std::nullopt;
}

}  // namespace pgshift::plans::detail
