// pgshift: safe PostgreSQL schema changes from a desired-state YAML.
//
// The CLI parses flags, calls one library function per command, prints the
// error and returns the exit code (cli/exit_codes.hpp). Each subcommand lives
// in its own file (cli/<name>_command.cpp); no planning or catalog logic
// lives here.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/dev_database.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupts.hpp"
#include "cli/planning.hpp"
#include "schemas/error.hpp"

#ifndef PGSHIFT_VERSION
#define PGSHIFT_VERSION "unknown"
#endif
#ifndef PGSHIFT_GIT_COMMIT
#define PGSHIFT_GIT_COMMIT "unknown"
#endif

namespace {

constexpr const char* kDefaultConnectTimeoutSeconds = "10";

// "pgshift 0.1.0 (commit 1a2b3c4d5e6f)": the commit is the source tree's when
// the build was configured.
std::string version_text() {
  return std::string("pgshift ") + PGSHIFT_VERSION + " (commit " + PGSHIFT_GIT_COMMIT + ")";
}

// `pgshift help [COMMAND]`: the same text as `pgshift [COMMAND] --help`.
void add_help_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand("help", "Show the help of pgshift or of one command");
  auto name = std::make_shared<std::string>();
  command->add_option("command", *name, "The command to describe");
  command->callback([&app, name, &exit_code] {
    // App::help() would describe the selected subcommand, `help` itself.
    if (name->empty()) {
      std::cout << app.get_formatter()->make_help(&app, app.get_name(), CLI::AppFormatMode::Normal);
    } else {
      CLI::App* described = nullptr;
      try {
        described = app.get_subcommand(*name);
      } catch (const CLI::OptionNotFound&) {
        throw pgshift::cli::UsageError("unknown command \"" + *name +
                                       "\"; the commands are inspect, plan, apply, drift, "
                                       "lint, version and help");
      }
      std::cout << described->help(app.get_name());
    }
    exit_code = pgshift::cli::kExitOk;
  });
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A word given without its option (CLI11 did not expect it, or an option
// it needs is missing) that names a database or a desired-state file:
// people type `pgshift plan app.yaml` and `pgshift inspect postgresql://...`.
// Says which option takes it.
void hint_for_extras(const std::string& message, int argc, char** argv) {
  for (int index = 2; index < argc; ++index) {
    const std::string word = argv[index];
    if (word.empty() || word[0] == '-') continue;
    const std::string before = argv[index - 1];
    const bool option_value = index > 2 && before[0] == '-' && before.find('=') == std::string::npos;
    if (message.find(word) == std::string::npos && option_value) continue;
    std::string lower = word;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool target = lower.rfind("postgres://", 0) == 0 ||
                        lower.rfind("postgresql://", 0) == 0 ||
                        lower.find("dbname=") != std::string::npos ||
                        lower.find("host=") != std::string::npos;
    const bool desired = ends_with(lower, ".yaml") || ends_with(lower, ".yml") ||
                         ends_with(lower, ".sql");
    if (target) {
      std::cerr << "pgshift: the database is given with --db: --db '" << word << "'\n";
      return;
    }
    const bool schema_given = std::any_of(argv + 2, argv + argc, [](const char* arg) {
      return std::string(arg).rfind("--schema", 0) == 0;
    });
    if (desired && !schema_given && std::string(argv[1]) != "lint" &&
        std::string(argv[1]) != "inspect") {
      std::cerr << "pgshift: the desired state is given with --schema: --schema " << word << "\n";
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pgshift::cli;
  // libpq waits for a connection as long as the network does: forever for a
  // server that accepts and never answers, about two minutes for a host
  // that drops packets. pgshift gives up after 10 s (the wait it gives a
  // lock) unless PGCONNECT_TIMEOUT or the URL's connect_timeout says
  // otherwise. Set before any thread starts (setenv is not thread-safe).
  ::setenv("PGCONNECT_TIMEOUT", kDefaultConnectTimeoutSeconds, /*overwrite=*/0);
  interrupts::install();  // before any thread: they inherit the signal mask
  // A scratch database dropped in the background is dropped before the
  // process ends, however the command ends (cli/dev_database.hpp).
  struct ScratchDropEnds {
    ~ScratchDropEnds() { wait_for_scratch_drop(); }
  } scratch_drop_ends;
  if (argc > 0) program_path() = argv[0];
  CLI::App app{"pgshift: plan and apply PostgreSQL schema changes that keep traffic flowing"};
  app.name("pgshift");
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text(), "Print the version and commit, then exit");
  app.footer(
      "Exit codes: 0 success, 1 error or refusal, 2 drift found, lint findings or `plan "
      "--detailed-exitcode` with changes, 64 usage error, 130 interrupted. `pgshift help COMMAND` describes a "
      "command.");
  int exit_code = kExitOk;
  add_inspect_command(app, exit_code);
  add_plan_command(app, exit_code);
  add_apply_command(app, exit_code);
  add_drift_command(app, exit_code);
  add_lint_command(app, exit_code);
  app.add_subcommand("version", "Print the version and commit")->callback([] {
    std::cout << version_text() << "\n";
  });
  add_help_command(app, exit_code);

  try {
    // CLI11 would say "A subcommand is required" for a mistyped command.
    const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
    const bool known =
        argc > 1 && std::any_of(commands.begin(), commands.end(),
                                [&](const CLI::App* c) { return c->check_name(argv[1]); });
    if (argc > 1 && argv[1][0] != '-' && !known) {
      throw UsageError(std::string("unknown command \"") + argv[1] +
                       "\"; the commands are inspect, plan, apply, drift, lint, version and help");
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0 in CLI11.
    if (e.get_exit_code() == 0) return app.exit(e);
    // CLI11 has one code per kind of mistake (105 to 109 and more); scripts
    // need one: whatever the mistake, it is a usage error.
    app.exit(e);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr ||
        dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      hint_for_extras(e.what(), argc, argv);
    }
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "pgshift: " << e.what() << "\nRun with --help for more information.\n";
    return kExitUsage;
  } catch (const pgshift::Error& e) {
    // An interrupt's cleanup (the scratch database dropped) broke the
    // command's connection: the watcher ends the process with 130.
    if (interrupts::interrupted()) interrupts::wait_for_exit();
    std::cerr << "pgshift: " << e.what() << "\n";
    return kExitError;
  } catch (const std::exception& e) {
    if (interrupts::interrupted()) interrupts::wait_for_exit();
    // libpqxx and the standard library throw their own types; the message is
    // still the best we have, and nothing may end the process uncaught.
    std::cerr << "pgshift: unexpected error: " << e.what() << "\n";
    return kExitError;
  }
  return exit_code;
}
