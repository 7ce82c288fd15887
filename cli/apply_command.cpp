#include <iostream>

#include "cli/commands.hpp"

namespace pgshift::cli {

void add_apply_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("apply", "Apply a plan under live traffic");
  command->callback([&exit_code] {
    std::cerr << "pgshift apply: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace pgshift::cli
