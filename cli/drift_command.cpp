#include <iostream>

#include "cli/commands.hpp"

namespace pgshift::cli {

void add_drift_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("drift", "Report where the database differs from the YAML");
  command->callback([&exit_code] {
    std::cerr << "pgshift drift: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace pgshift::cli
