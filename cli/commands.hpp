// One function per subcommand: each registers its flags on `app` and a
// callback that runs the command and stores the process exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace pgshift::cli {

void add_inspect_command(CLI::App& app, int& exit_code);
void add_plan_command(CLI::App& app, int& exit_code);
void add_apply_command(CLI::App& app, int& exit_code);
void add_drift_command(CLI::App& app, int& exit_code);
void add_lint_command(CLI::App& app, int& exit_code);

}  // namespace pgshift::cli
