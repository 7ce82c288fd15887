// A second session that watches the applier's session while a step runs, and
// records which sessions block it (pg_blocking_pids) and how long it waits
// for locks. The blockers must be read while the step waits: once the lock
// timeout fires, pg_blocking_pids of the step's backend is empty again.
//
// Thread safety: the monitor polls on a thread of its own; every public
// method may be called from any one other thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "plans/apply.hpp"

namespace pgshift::plans::detail {

// What the monitor saw between watch() and take().
struct Observation {
  std::vector<Blocker> blockers;           // distinct by pid, in order first seen
  std::chrono::milliseconds lock_wait{0};  // sampled time the backend waited on a lock
  std::string error;                       // why monitoring stopped, if it did
};

class LockMonitor {
 public:
  // Opens the monitor session to `target` and starts the polling thread.
  // Throws pgshift::Error when the server cannot be reached.
  explicit LockMonitor(const std::string& target);
  ~LockMonitor();
  LockMonitor(const LockMonitor&) = delete;
  LockMonitor& operator=(const LockMonitor&) = delete;

  // Starts watching backend `pid`, polling every `interval`; forgets earlier
  // observations.
  void watch(int pid, std::chrono::milliseconds interval);
  // Stops watching and returns what was seen since watch().
  Observation take();

 private:
  void run();
  void poll(int pid, std::chrono::milliseconds since_last);

  std::unique_ptr<pqxx::connection> conn_;  // used by the polling thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;                                // GUARDED_BY(mutex_)
  int pid_ = 0;                                      // GUARDED_BY(mutex_); 0: idle
  std::chrono::milliseconds interval_{25};           // GUARDED_BY(mutex_)
  Observation seen_;                                 // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_poll_;  // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace pgshift::plans::detail
