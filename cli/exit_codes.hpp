// The process exit codes of every pgshift command, documented in README.md
// ("Exit codes") and checked by tests/cli/cli_db_test.cpp. Scripts and CI
// jobs depend on them: a code never changes meaning.
#pragma once

#include <string>

#include "schemas/error.hpp"

namespace pgshift::cli {

constexpr int kExitOk = 0;       // success: written, applied, in sync, a plan produced
constexpr int kExitError = 1;    // an error (lint: a syntax error), or a refusal (hazard not allowed, Error diagnostic)
constexpr int kExitChanges = 2;  // drift found; `plan --detailed-exitcode` with changes; lint findings
constexpr int kExitUsage = 64;   // bad command line (sysexits.h EX_USAGE), whatever CLI11 says
constexpr int kExitInterrupted = 130;  // SIGINT or SIGTERM (128 + SIGINT, as shells report it)

// A command line that cannot mean anything: flags that exclude each other, a
// flag that was renamed, a missing argument CLI11 cannot express. main()
// prints the message and exits kExitUsage.
class UsageError : public pgshift::Error {
 public:
  explicit UsageError(const std::string& message) : pgshift::Error(message) {}
};

}  // namespace pgshift::cli
