// A second session that watches the applier's session while a step runs, and
// records which sessions block it and how long it waits for locks. The
// blockers must be read while the step waits: once the lock timeout fires,
// pg_blocking_pids of the step's backend is empty again.
//
// Blockers are the sessions pg_blocking_pids names plus the holders of the
// transaction or virtual transaction id the backend waits for (CREATE INDEX
// CONCURRENTLY waits on the virtualxid of every transaction older than its
// snapshot, on any table). pgshift's own sessions (the monitor's and those
// given to the constructor) are never reported: they end when their
// statement does, and naming them would send a reader after pgshift itself.
//
// Thread safety: the monitor polls on a thread of its own; every public
// method may be called from any one other thread. A SampleSink runs on the
// polling thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
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

// A row of pg_stat_progress_create_index (PostgreSQL 12+).
struct IndexBuildProgress {
  std::string phase;  // "building index: scanning table", "waiting for old snapshots", ...
  int64_t blocks_done = 0;
  int64_t blocks_total = 0;
  int64_t tuples_done = 0;
  int64_t tuples_total = 0;
};

// One poll of the watched backend.
struct Sample {
  bool waiting = false;           // waits on a heavyweight lock
  std::string wait_event;         // "Lock: virtualxid"; empty when not waiting on anything
  std::vector<Blocker> blockers;  // blocking it now
  std::optional<IndexBuildProgress> build;  // when asked for and the server reports it
  int blocking = 0;  // when asked for: sessions waiting for a lock the backend holds
};
using SampleSink = std::function<void(const Sample&)>;

class LockMonitor {
 public:
  // Opens the monitor session to `target` and starts the polling thread.
  // `own_pids`: backends of this pgshift run, never reported as blockers.
  // Throws pgshift::Error when the server cannot be reached.
  LockMonitor(const std::string& target, std::vector<int> own_pids);
  ~LockMonitor();
  LockMonitor(const LockMonitor&) = delete;
  LockMonitor& operator=(const LockMonitor&) = delete;

  // Starts watching backend `pid`, polling every `interval`; forgets earlier
  // observations. `sink`, when set, gets every sample (with the index build's
  // progress when `build_progress` and the server is 12 or later; with the
  // sessions it blocks when `count_blocking`).
  void watch(int pid, std::chrono::milliseconds interval, SampleSink sink = nullptr,
             bool build_progress = false, bool count_blocking = false);
  // Stops watching and returns what was seen since watch(). After it
  // returns, the sink is not called again.
  Observation take();
  // True when the server has pg_stat_progress_create_index (12+).
  bool reports_build_progress() const { return build_progress_supported_; }

 private:
  void run();
  Sample poll(int pid, bool build_progress, bool count_blocking);

  std::unique_ptr<pqxx::connection> conn_;  // used by the polling thread only
  std::string own_pids_;                    // '{1,2}': a parameter of the blocker query
  bool build_progress_supported_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;                                // GUARDED_BY(mutex_)
  int pid_ = 0;                                      // GUARDED_BY(mutex_); 0: idle
  uint64_t generation_ = 0;                          // GUARDED_BY(mutex_); one per watch()
  std::chrono::milliseconds interval_{25};           // GUARDED_BY(mutex_)
  SampleSink sink_;                                  // GUARDED_BY(mutex_)
  bool build_progress_ = false;                      // GUARDED_BY(mutex_)
  bool count_blocking_ = false;                      // GUARDED_BY(mutex_)
  Observation seen_;                                 // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_poll_;  // GUARDED_BY(mutex_)
  std::mutex sink_mutex_;  // held while a sink runs, so take() can wait it out
  std::thread thread_;
};

}  // namespace pgshift::plans::detail
