// SIGINT and SIGTERM: what pgshift does when it is interrupted.
//
// install() blocks both signals in every thread and leaves them to one
// watcher thread (sigwait), so that the cleanup runs as ordinary code, not in
// a signal handler:
//   - while a scratch database is registered (plan, drift, apply --schema
//     while planning), it is dropped, then the process exits 130;
//   - while a stop flag is registered (apply), the flag is set and the
//     applier stops at its next safe point; the command exits 130 itself;
//   - otherwise the process exits 130 at once (nothing to clean up).
// A second signal exits 130 at once, whatever is running (the applier's
// journal survives that, as it survives kill -9).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

namespace pgshift::cli::interrupts {

// Starts the watcher. Call first in main(), before any other thread exists
// (threads inherit the signal mask). Idempotent.
void install();

// Whether a signal has arrived. A thread that sees an error caused by the
// cleanup (its connection terminated) calls wait_for_exit() instead of
// reporting it.
bool interrupted();

// Blocks until the watcher ends the process. Only call when interrupted().
[[noreturn]] void wait_for_exit();

// The scratch database the watcher drops on a signal. Hold scratch_mutex()
// while creating or dropping it and while (un)registering, so that the
// watcher never misses a database that is being created.
std::mutex& scratch_mutex();
void register_scratch(const std::string& server_target, const std::string& name);
void unregister_scratch();

// While `flag` is registered, a signal sets it instead of ending the process.
// nullptr unregisters.
void set_stop_flag(std::atomic<bool>* flag);

}  // namespace pgshift::cli::interrupts
