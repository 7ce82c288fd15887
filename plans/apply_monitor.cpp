#include "plans/apply_monitor.hpp"

#include <algorithm>
#include <exception>

#include "catalog/connection.hpp"

namespace pgshift::plans::detail {

namespace {

// One row per blocker (none when the backend is not blocked); `waiting` tells
// whether the watched backend itself waits on a heavyweight lock.
constexpr const char* kBlockers = R"sql(
SELECT coalesce(a.wait_event_type = 'Lock', false) AS waiting,
       b.pid, coalesce(s.application_name, ''), coalesce(s.state, ''),
       coalesce(extract(epoch FROM now() - s.xact_start), 0)::float8,
       left(coalesce(s.query, ''), 200)
FROM pg_stat_activity a
LEFT JOIN LATERAL unnest(pg_blocking_pids(a.pid)) AS b(pid) ON true
LEFT JOIN pg_stat_activity s ON s.pid = b.pid
WHERE a.pid = $1)sql";

}  // namespace

LockMonitor::LockMonitor(const std::string& target) : conn_(catalog::connect(target)) {
  pqxx::nontransaction tx(*conn_);
  catalog::exec_one(tx, "SET application_name = 'pgshift apply monitor'");
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

void LockMonitor::watch(int pid, std::chrono::milliseconds interval) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pid_ = pid;
    interval_ = interval;
    last_poll_ = std::chrono::steady_clock::now();
    seen_.blockers.clear();
    seen_.lock_wait = std::chrono::milliseconds{0};
  }
  wake_.notify_all();
}

Observation LockMonitor::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  pid_ = 0;
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
    const auto now = std::chrono::steady_clock::now();
    const auto since_last = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_poll_);
    last_poll_ = now;
    lock.unlock();
    try {
      poll(pid, since_last);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> relock(mutex_);
      seen_.error = e.what();
    }
    lock.lock();
  }
}

void LockMonitor::poll(int pid, std::chrono::milliseconds since_last) {
  pqxx::nontransaction tx(*conn_);
  const pqxx::result rows = tx.exec_params(kBlockers, pid);
  std::lock_guard<std::mutex> lock(mutex_);
  if (pid != pid_) return;  // the step ended while we polled
  if (!rows.empty() && rows[0][0].as<bool>()) seen_.lock_wait += since_last;
  for (const auto& row : rows) {
    if (row[1].is_null()) continue;
    Blocker blocker{row[1].as<int>(), row[2].as<std::string>(), row[3].as<std::string>(),
                    row[4].as<double>(), row[5].as<std::string>()};
    auto known = std::find_if(seen_.blockers.begin(), seen_.blockers.end(),
                              [&](const Blocker& b) { return b.pid == blocker.pid; });
    if (known == seen_.blockers.end()) {
      seen_.blockers.push_back(std::move(blocker));
    } else {
      *known = std::move(blocker);
    }
  }
}

}  // namespace pgshift::plans::detail
