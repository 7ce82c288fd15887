#include <iostream>

#include "cli/commands.hpp"

namespace pgshift::cli {

void add_inspect_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("inspect", "Write the YAML of a live database's schema");
  command->callback([&exit_code] {
    std::cerr << "pgshift inspect: not implemented yet\n";
    exit_code = 1;
  });
}

}  // namespace pgshift::cli
