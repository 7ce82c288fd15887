// pgshift: safe PostgreSQL schema changes from a desired-state YAML.
//
// The CLI parses flags, calls one library function per command, prints the
// error and returns the exit code. Each subcommand lives in its own file
// (cli/<name>_command.cpp); no planning or catalog logic lives here.
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "schemas/error.hpp"

namespace {
constexpr const char* kVersion = "0.1.0";
}

int main(int argc, char** argv) {
  CLI::App app{"pgshift: plan and apply PostgreSQL schema changes that keep traffic flowing"};
  app.require_subcommand(1);
  int exit_code = 0;
  pgshift::cli::add_inspect_command(app, exit_code);
  pgshift::cli::add_plan_command(app, exit_code);
  pgshift::cli::add_apply_command(app, exit_code);
  pgshift::cli::add_drift_command(app, exit_code);
  app.add_subcommand("version", "Print pgshift's version")->callback([] {
    std::cout << "pgshift " << kVersion << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const pgshift::Error& e) {
    std::cerr << "pgshift: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    // libpqxx and the standard library throw their own types; the message is
    // still the best we have, and nothing may end the process uncaught.
    std::cerr << "pgshift: unexpected error: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
