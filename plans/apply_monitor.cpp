#include "plans/apply_monitor.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "catalog/connection.hpp"

namespace pgshift::plans::detail {

namespace {

// One row per blocker (one row with a NULL pid when none); `waiting` tells
// whether the watched backend $1 itself waits on a heavyweight lock. Blockers
// are pg_blocking_pids() and the holders of the (virtual) transaction id the
// backend waits for, less the monitor itself and pgshift's sessions $2.
constexpr const char* kBlockers = R"sql(
WITH blocking AS (
  SELECT unnest(pg_blocking_pids($1)) AS pid
  UNION
  SELECT holder.pid
  FROM pg_locks wanted
  JOIN pg_locks holder ON holder.locktype = wanted.locktype AND holder.granted
   AND holder.virtualxid IS NOT DISTINCT FROM wanted.virtualxid
   AND holder.transactionid IS NOT DISTINCT FROM wanted.transactionid
  WHERE wanted.pid = $1 AND NOT wanted.granted
    AND wanted.locktype IN ('virtualxid', 'transactionid')
)
SELECT coalesce(a.wait_event_type = 'Lock', false) AS waiting,
       coalesce(a.wait_event_type || ': ' || a.wait_event, ''),
       s.pid, coalesce(s.application_name, ''), coalesce(s.state, ''),
       coalesce(extract(epoch FROM now() - s.xact_start), 0)::float8,
       left(coalesce(s.query, ''), 200)
FROM pg_stat_activity a
LEFT JOIN blocking b ON b.pid <> $1 AND b.pid <> pg_backend_pid() AND b.pid <> ALL ($2::int[])
LEFT JOIN pg_stat_activity s ON s.pid = b.pid
WHERE a.pid = $1
ORDER BY s.xact_start NULLS LAST, s.pid)sql";

constexpr const char* kBuildProgress = R"sql(
SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total
FROM pg_stat_progress_create_index WHERE pid = $1)sql";

// Sessions waiting for a lock `$1` holds; pg_blocking_pids (which takes the
// lock manager's locks) only for sessions that wait on a lock at all.
constexpr const char* kBlocking = R"sql(
SELECT count(*)::int4 FROM pg_stat_activity
WHERE CASE WHEN wait_event_type = 'Lock' THEN $1 = ANY (pg_blocking_pids(pid)) ELSE false END)sql";

std::string pid_array(const std::vector<int>& pids) {
  std::string text = "{";
  for (const int pid : pids) text += (text.size() > 1 ? "," : "") + std::to_string(pid);
  return text + "}";
}

}  // namespace

LockMonitor::LockMonitor(const std::string& target, std::vector<int> own_pids)
    : conn_(catalog::connect(target)), own_pids_(pid_array(own_pids)) {
  pqxx::nontransaction tx(*conn_);
  catalog::exec_one(tx, "SET application_name = 'pgshift apply monitor'");
  build_progress_supported_ = conn_->server_version() >= 120000;
  thread_ = std::thread([this] { run(); });
}

LockMonitor::~LockMonitor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LockMonitor::watch(int pid, std::chrono::milliseconds interval, SampleSink sink,
                        bool build_progress, bool count_blocking) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_ = pid;
    ++generation_;
    interval_ = interval;
    sink_ = std::move(sink);
    build_progress_ = build_progress && build_progress_supported_;
    count_blocking_ = count_blocking;
    last_poll_ = std::chrono::steady_clock::now();
    seen_.blockers.clear();
    seen_.lock_wait = std::chrono::milliseconds{0};
  }
  wake_.notify_all();
}

Observation LockMonitor::take() {
  std::lock_guard<std::mutex> sink_lock(sink_mutex_);
  std::lock_guard<std::mutex> lock(mutex_);
  pid_ = 0;
  ++generation_;
  sink_ = nullptr;
  Observation result = seen_;
  seen_.blockers.clear();
  seen_.lock_wait = std::chrono::milliseconds{0};
  return result;
}

void LockMonitor::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (pid_ == 0 || !seen_.error.empty()) {
      wake_.wait(lock);
      continue;
    }
    wake_.wait_for(lock, interval_);
    if (stop_ || pid_ == 0) continue;
    const int pid = pid_;
    const uint64_t generation = generation_;
    const bool build_progress = build_progress_;
    const bool count_blocking = count_blocking_;
    lock.unlock();
    Sample sample;
    std::string error;
    try {
      sample = poll(pid, build_progress, count_blocking);
    } catch (const std::exception& e) {
      error = e.what();
    }
    {
      std::lock_guard<std::mutex> sink_lock(sink_mutex_);
      SampleSink sink;
      {
        std::lock_guard<std::mutex> relock(mutex_);
        if (!error.empty()) {
          seen_.error = error;
        } else if (generation == generation_) {  // else the step ended while we polled
          const auto now = std::chrono::steady_clock::now();
          if (sample.waiting) {
            seen_.lock_wait +=
                std::chrono::duration_cast<std::chrono::milliseconds>(now - last_poll_);
          }
          last_poll_ = now;
          for (const Blocker& blocker : sample.blockers) {
            auto known = std::find_if(seen_.blockers.begin(), seen_.blockers.end(),
                                      [&](const Blocker& b) { return b.pid == blocker.pid; });
            if (known == seen_.blockers.end()) {
              seen_.blockers.push_back(blocker);
            } else {
              *known = blocker;
            }
          }
          sink = sink_;
        }
      }
      if (sink) {
        try {
          sink(sample);
        } catch (const std::exception&) {
          // Reporting is best effort; the step goes on.
        }
      }
    }
    lock.lock();
  }
}

Sample LockMonitor::poll(int pid, bool build_progress, bool count_blocking) {
  pqxx::nontransaction tx(*conn_);
  Sample sample;
  const pqxx::result rows = tx.exec_params(kBlockers, pid, own_pids_);
  for (const auto& row : rows) {
    sample.waiting = row[0].as<bool>();
    sample.wait_event = row[1].as<std::string>();
    if (row[2].is_null()) continue;
    Blocker blocker{row[2].as<int>(), row[3].as<std::string>(), row[4].as<std::string>(),
                    row[5].as<double>(), row[6].as<std::string>()};
    if (std::none_of(sample.blockers.begin(), sample.blockers.end(),
                     [&](const Blocker& b) { return b.pid == blocker.pid; })) {
      sample.blockers.push_back(std::move(blocker));
    }
  }
  if (count_blocking) sample.blocking = tx.exec_params(kBlocking, pid)[0][0].as<int>();
  if (build_progress) {
    const pqxx::result progress = tx.exec_params(kBuildProgress, pid);
    if (!progress.empty()) {
      const auto& row = progress[0];
      sample.build =
          IndexBuildProgress{row[0].as<std::string>(), row[1].as<int64_t>(0), row[2].as<int64_t>(0),
                             row[3].as<int64_t>(0), row[4].as<int64_t>(0)};
    }
  }
  return sample;
}

}  // namespace pgshift::plans::detail
