#include "cli/interrupts.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include <pqxx/pqxx>

#include "catalog/connection.hpp"

namespace pgshift::cli::interrupts {

namespace {

struct Scratch {
  std::string server_target;
  std::string name;
};

std::mutex g_scratch_mutex;
std::optional<Scratch> g_scratch;  // guarded by g_scratch_mutex
std::atomic<std::atomic<bool>*> g_stop_flag{nullptr};
std::atomic<bool> g_interrupted{false};

constexpr int kExitInterrupted = 130;

void say(const std::string& message) {
  // std::cerr is not synchronised with the main thread's output, but each
  // message is one write of a whole line.
  const std::string line = "pgshift: " + message + "\n";
  const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  static_cast<void>(ignored);
}

// Drops the scratch database: its sessions (ours, on the main thread) are
// terminated first, which makes the main thread's current query fail; that
// thread then waits in wait_for_exit().
void drop_scratch(const Scratch& scratch) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      auto admin = catalog::connect(scratch.server_target);
      pqxx::nontransaction work(*admin);
      work.exec_params(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
          "AND pid <> pg_backend_pid()",
          scratch.name);
      catalog::exec_one(work, "DROP DATABASE IF EXISTS " + work.quote_name(scratch.name));
      say("interrupted: dropped the scratch database \"" + scratch.name + "\"");
      return;
    } catch (const std::exception& e) {
      // A terminated session may take a moment to leave ("is being accessed
      // by other users"): try again.
      if (attempt == 49) {
        say("interrupted: could not drop the scratch database \"" + scratch.name +
            "\": " + e.what() + "; drop it by hand");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

sigset_t interrupt_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

void watch() {
  const sigset_t set = interrupt_signals();
  int signals_seen = 0;
  for (;;) {
    int signal_number = 0;
    if (sigwait(&set, &signal_number) != 0) continue;
    if (++signals_seen > 1) {
      g_interrupted.store(true);
      say("interrupted again: stopping now");
      ::_exit(kExitInterrupted);
    }
    {
      // Waits for a CREATE DATABASE in progress, so that it is dropped too.
      std::lock_guard<std::mutex> lock(g_scratch_mutex);
      if (g_scratch) {
        g_interrupted.store(true);
        drop_scratch(*g_scratch);
        ::_exit(kExitInterrupted);
      }
    }
    if (std::atomic<bool>* flag = g_stop_flag.load()) {
      // The command stops at its next safe point and exits by itself.
      say("interrupted: stopping at the next safe point (between backfill batches or steps); "
          "interrupt again to stop at once (the journal keeps what is done)");
      flag->store(true);
      continue;
    }
    g_interrupted.store(true);
    say("interrupted");
    ::_exit(kExitInterrupted);
  }
}

}  // namespace

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    const sigset_t set = interrupt_signals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread(watch).detach();
  });
}

bool interrupted() { return g_interrupted.load(); }

void wait_for_exit() {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
}

std::mutex& scratch_mutex() { return g_scratch_mutex; }

void register_scratch(const std::string& server_target, const std::string& name) {
  g_scratch = Scratch{server_target, name};
}

void unregister_scratch() { g_scratch.reset(); }

void set_stop_flag(std::atomic<bool>* flag) { g_stop_flag.store(flag); }

}  // namespace pgshift::cli::interrupts
