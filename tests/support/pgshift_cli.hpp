// The pgshift binary from a test: run it to the end, or start it in the
// background (to kill it at a chosen moment).
//
// Header-only: the including test target defines PGSHIFT_BIN.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "tests/support/run.hpp"

namespace pgshift::testing {

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `pgshift args...`, waited for.
inline CommandResult run_pgshift(std::vector<std::string> args) {
  args.insert(args.begin(), PGSHIFT_BIN);
  return run_command(args);
}

// `pgshift apply --schema PATH --yes` against `url`, allowing `hazards`.
inline CommandResult apply_schema(const std::string& url, const std::string& path,
                                  const std::vector<std::string>& hazards = {}) {
  std::vector<std::string> args = {"apply", "--db", url, "--schema", path, "--yes"};
  for (const auto& hazard : hazards) {
    args.push_back("--allow-hazard");
    args.push_back(hazard);
  }
  return run_pgshift(args);
}

// `pgshift plan --detailed-exitcode`'s exit code: 0 when nothing is left to do.
inline int replan(const std::string& url, const std::string& path) {
  return run_pgshift({"plan", "--db", url, "--schema", path, "--detailed-exitcode"}).exit_code;
}

// Starts `pgshift args...` with stdin from /dev/null and its output to
// `log_path`; returns its pid (-1 when fork fails).
inline pid_t spawn_pgshift(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv_text = {PGSHIFT_BIN};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(127);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace pgshift::testing
