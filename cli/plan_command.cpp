#include <iostream>

#include "cli/commands.hpp"

namespace pgshift::cli {

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("plan", "Plan the changes from the database to the YAML");
  command->callback([&exit_code] {
    std::cerr << "pgshift plan: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace pgshift::cli
