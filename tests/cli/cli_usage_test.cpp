// The pgshift binary's command-line conventions, without a server: usage
// errors have one documented exit code (64) and CLI11's message, --version
// names the commit, `help` works, flags that would do nothing are refused.
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::TempDir;

namespace {

CommandResult run_pgshift(std::vector<std::string> args) {
  args.insert(args.begin(), PGSHIFT_BIN);
  return run_command(args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A server nothing listens on: usage errors must be found before connecting.
constexpr const char* kNoServer = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1";

}  // namespace

TEST_CASE("every usage error exits 64 with CLI11's message", "[cli][usage]") {
  TempDir dir;
  const std::string yaml = dir.write("s.yaml", "schemas: {}\n");
  const std::string plan = dir.write("plan.json", "{}\n");
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{}, "A subcommand is required"},
      {{"frobnicate"}, "unknown command \"frobnicate\""},
      {{"plan", "--db", kNoServer, "--schema", yaml, "--bogus"},
       "The following argument was not expected: --bogus"},
      {{"plan", "--db", kNoServer, "--schema", yaml, "--format", "yaml"},
       "--format: yaml not in {sql,json,markdown}"},
      {{"plan", "--db", kNoServer}, "--schema is required"},
      {{"drift", "--db", kNoServer}, "--schema is required"},
      {{"apply", "--db", kNoServer, "--plan", plan, "--schema", yaml}, "excludes"},
      {{"apply", "--db", kNoServer}, "apply needs --plan FILE, --schema PATH or --abandon"},
      {{"apply", "--db", kNoServer, "--retries", "many", "--schema", yaml}, "--retries"},
      {{"apply", "--db", kNoServer, "--retries", "-1", "--schema", yaml}, "--retries"},
      {{"apply", "--db", kNoServer, "--batch-size", "-5", "--schema", yaml}, "--batch-size"},
      {{"apply", "--db", kNoServer, "--batch-size", "0", "--schema", yaml}, "--batch-size"},
      {{"apply", "--db", kNoServer, "--batch-target", "0ms", "--schema", yaml},
       "--batch-target: batches cannot aim at 0 ms"},
      {{"apply", "--db", kNoServer, "--max-blocked-sessions", "-2", "--schema", yaml},
       "--max-blocked-sessions"},
      {{"help", "nope"}, "unknown command \"nope\""},
      {{"lint"}, "lint needs at least one SQL file"},
      {{"lint", "--disable", "no-such-rule", yaml}, "--disable: unknown rule \"no-such-rule\""},
      {{"lint", "--format", "sarif", yaml}, "--format: sarif not in {text,json,github}"},
  };
  for (const auto& usage_case : cases) {
    const auto result = run_pgshift(usage_case.args);
    std::string line;
    for (const auto& arg : usage_case.args) line += arg + " ";
    INFO("pgshift " << line << "\n" << result.output);
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, usage_case.message));
    CHECK(contains(result.output, "Run with --help for more information."));
  }
}

TEST_CASE("a database or YAML file given without its option names the option", "[cli][usage]") {
  struct Case {
    std::vector<std::string> args;
    std::string hint;  // "" when no hint is right
  };
  const std::vector<Case> cases = {
      {{"inspect", kNoServer}, std::string("the database is given with --db: --db '") + kNoServer},
      {{"inspect", "host=db1 dbname=shop"}, "--db 'host=db1 dbname=shop'"},
      {{"plan", "app.yaml"}, "the desired state is given with --schema: --schema app.yaml"},
      {{"drift", "--db", kNoServer, "schema/app.yml"}, "--schema schema/app.yml"},
      {{"plan", "--schema", "a.yaml", "b.yaml"}, ""},
      {{"inspect", "out.yaml"}, ""},
  };
  for (const auto& usage_case : cases) {
    const auto result = run_pgshift(usage_case.args);
    INFO(result.output);
    CHECK(result.exit_code == 64);
    if (usage_case.hint.empty()) {
      CHECK_FALSE(contains(result.output, " is given with "));
    } else {
      CHECK(contains(result.output, usage_case.hint));
    }
  }
}

TEST_CASE("inspect --schema is refused and names --only-schema", "[cli][usage]") {
  const auto result = run_pgshift({"inspect", "--db", kNoServer, "--schema", "schema/"});
  INFO(result.output);
  CHECK(result.exit_code == 64);
  CHECK(contains(result.output, "use --only-schema NAME"));
  CHECK(contains(result.output, "--schema names the desired-state YAML in plan, apply and drift"));
}

TEST_CASE("flags that would do nothing are not offered", "[cli][usage]") {
  TempDir dir;
  const std::string yaml = dir.write("s.yaml", "schemas: {}\n");
  const std::string plan = dir.write("plan.json", "{}\n");
  // drift plans nothing it applies: no hazards to allow, no timeouts to set.
  for (const char* flag : {"--allow-hazard", "--lock-timeout", "--statement-timeout"}) {
    const auto result = run_pgshift({"drift", "--db", kNoServer, "--schema", yaml, flag, "1s"});
    INFO("drift " << flag << ": " << result.output);
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, flag));
    CHECK_FALSE(contains(run_pgshift({"drift", "--help"}).output, flag));
  }
  // apply --plan applies what was planned: planning flags are refused
  // (--lock-timeout is not: it overrides the saved plan's).
  for (const char* flag : {"--dev-db", "--ignore", "--allow-hazard", "--statement-timeout"}) {
    const char* value = std::string(flag) == "--allow-hazard" ? "data_loss" : "x";
    const auto result = run_pgshift({"apply", "--db", kNoServer, "--plan", plan, flag, value});
    INFO("apply --plan " << flag << ": " << result.output);
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, std::string(flag) + " excludes --plan"));
  }
}

TEST_CASE("the version flag and command print the version and the commit", "[cli][usage]") {
  for (const char* arg : {"--version", "version"}) {
    const auto result = run_pgshift({arg});
    INFO(arg << ": " << result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.rfind(std::string("pgshift ") + PGSHIFT_VERSION_TEXT + " (commit ", 0) ==
          0);
    CHECK_FALSE(contains(result.output, "commit )"));
  }
}

TEST_CASE("help and help COMMAND print the same help as --help", "[cli][usage]") {
  const auto top = run_pgshift({"help"});
  CHECK(top.exit_code == 0);
  CHECK(top.output == run_pgshift({"--help"}).output);
  CHECK(contains(top.output, "64 usage error"));
  for (const char* command : {"inspect", "plan", "apply", "drift", "lint", "version", "help"}) {
    const auto help = run_pgshift({"help", command});
    INFO(command << ": " << help.output);
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "Usage:"));
    CHECK(help.output == run_pgshift({command, "--help"}).output);
  }
}

TEST_CASE("apply --plan on a file that is not a JSON plan says so", "[cli][usage]") {
  TempDir dir;
  const std::string sql = dir.write("plan.json", "-- pgshift plan\nSET lock_timeout = '1s';\n");
  const auto result = run_pgshift({"apply", "--db", kNoServer, "--plan", sql, "--yes"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "\"" + sql + "\" is not a JSON plan"));
  CHECK(contains(result.output, "pgshift plan --format json -o plan.json"));
  CHECK_FALSE(contains(result.output, "parse_error"));

  const std::string other = dir.write("other.json", "{\"steps\": []}\n");
  const auto invalid = run_pgshift({"apply", "--db", kNoServer, "--plan", other, "--yes"});
  INFO(invalid.output);
  CHECK(invalid.exit_code == 1);
  CHECK(contains(invalid.output, "\"" + other + "\": invalid plan JSON"));
}

namespace {

std::string read_source(const std::string& path) {
  std::ifstream file(std::string(PGSHIFT_SOURCE_DIR) + "/" + path);
  REQUIRE(file.good());
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

// The long flags `pgshift help COMMAND` lists in its options, e.g. "--db".
std::set<std::string> long_flags(const std::string& help) {
  std::set<std::string> flags;
  // An option line: two spaces, an optional "-x,", then "--name".
  // (No std::regex: GCC 12 warns about its internals under the sanitizers.)
  std::istringstream lines(help);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("  ", 0) != 0) continue;
    size_t at = 2;
    if (line.size() > 5 && line[2] == '-' && std::islower(static_cast<unsigned char>(line[3])) &&
        line[4] == ',') {
      at = 5;
    }
    if (line.compare(at, 2, "--") != 0) continue;
    size_t end = at + 2;
    while (end < line.size() &&
           (std::islower(static_cast<unsigned char>(line[end])) != 0 || line[end] == '-')) {
      ++end;
    }
    if (end > at + 2) flags.insert(line.substr(at, end - at));
  }
  return flags;
}

}  // namespace

TEST_CASE("the man pages and completions name every flag of every command", "[cli][usage]") {
  const std::string bash = read_source("completions/pgshift.bash");
  const std::string zsh = read_source("completions/_pgshift");
  for (const char* command : {"inspect", "plan", "apply", "drift", "lint"}) {
    const std::string man = read_source(std::string("man/pgshift-") + command + ".1");
    const auto flags = long_flags(run_pgshift({"help", command}).output);
    CHECK(flags.count("--db") == 1);  // the parse found the flags
    for (const auto& flag : flags) {
      INFO(command << " " << flag);
      CHECK(contains(bash, flag));
      CHECK((contains(zsh, flag + "[") || contains(zsh, flag + "}")));  // {-o,--output}
      if (flag == "--help") continue;
      std::string escaped;  // roff spells a hyphen \-
      for (char c : flag) escaped += c == '-' ? std::string("\\-") : std::string(1, c);
      CHECK(contains(man, escaped));
    }
  }
}

TEST_CASE("an unknown --allow-hazard is a usage error listing every hazard, each named by the "
          "completions, the man pages and HAZARDS.md",
          "[cli][usage]") {
  for (const char* command : {"plan", "apply"}) {
    const auto result = run_pgshift({command, "--db", "postgresql:///nowhere", "--schema",
                                     "missing.yaml", "--allow-hazard", "data_los"});
    INFO(result.output);
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, "unknown hazard \"data_los\""));
    CHECK_FALSE(contains(result.output, "missing.yaml"));  // refused before reading anything
  }
  const auto listed = run_pgshift({"plan", "--allow-hazard", "?"}).output;
  const std::string marker = "expected all or";
  const size_t at = listed.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t from = at + marker.size();
  std::istringstream names(listed.substr(from, listed.find('\n', from) - from));
  const std::string bash = read_source("completions/pgshift.bash");
  const std::string zsh = read_source("completions/_pgshift");
  const std::string plan_man = read_source("man/pgshift-plan.1");
  const std::string hazards = read_source("planner/HAZARDS.md");
  int count = 0;
  for (std::string name; names >> name;) {
    INFO(name);
    ++count;
    CHECK(contains(hazards, "| `" + name + "` |"));
    if (name == "non_transactional") continue;  // never refused: not offered
    CHECK(contains(bash, " " + name));
    CHECK(contains(zsh, " " + name));
    CHECK(contains(plan_man, name));
  }
  CHECK(count >= 12);
}

TEST_CASE("pgshift lint exits 0 on a clean file, 2 on findings, 1 on a syntax error",
          "[cli][usage][lint]") {
  TempDir dir;
  const std::string clean =
      dir.write("clean.sql", "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (a);\n");
  const std::string unsafe = dir.write("unsafe.sql", "CREATE INDEX i ON t (a);\n");
  const std::string broken = dir.write("broken.sql", "SELECT 1;\nALTER TABLE t ADD COLUMN;\n");
  CHECK(run_pgshift({"lint", clean}).exit_code == 0);
  const auto findings = run_pgshift({"lint", clean, unsafe});
  CHECK(findings.exit_code == 2);
  CHECK(contains(findings.output, "warning[index-not-concurrent]"));
  CHECK(contains(findings.output, "2 files, 2 findings"));
  const auto error = run_pgshift({"lint", unsafe, broken});
  CHECK(error.exit_code == 1);
  CHECK(contains(error.output, broken + ":2:25: error: syntax error at or near \";\""));
  const auto github = run_pgshift({"lint", "--format", "github", unsafe});
  CHECK(github.exit_code == 2);
  CHECK(contains(github.output, "::warning file=" + unsafe + ",line=1,col=1,title=pgshift lint "
                                "index-not-concurrent::"));
  const auto json = run_pgshift({"lint", "--format", "json", "--disable", "missing-lock-timeout",
                                 "--disable", "index-not-concurrent", unsafe});
  CHECK(json.exit_code == 0);
  CHECK(contains(json.output, "\"findings\": 0"));
  const auto rules = run_pgshift({"lint", "--list-rules"});
  CHECK(rules.exit_code == 0);
  CHECK(contains(rules.output, "access-exclusive-held: "));
}

TEST_CASE("a bad flag value is a usage error naming the flag, before any connection",
          "[cli][usage]") {
  TempDir dir;
  const std::string yaml = dir.write("s.yaml", "schemas: {}\n");
  const std::vector<std::vector<std::string>> bad = {
      {"--pause", "-5ms", "invalid duration \"-5ms\" for --pause"},
      {"--max-wal-rate", "banana", "invalid size \"banana\" for --max-wal-rate"},
      {"--lock-timeout", "soon", "invalid duration \"soon\" for --lock-timeout"}};
  for (const auto& flag : bad) {
    const auto result =
        run_pgshift({"apply", "--db", kNoServer, "--schema", yaml, flag[0], flag[1], "--yes"});
    INFO(flag[0] << ": " << result.output);
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, flag[2]));
  }
}
