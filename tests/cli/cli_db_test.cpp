// The pgshift binary end to end on a real server: the exit codes and messages
// users and CI scripts rely on, and the round trip a team adopting pgshift
// goes through (YAML -> apply -> inspect -> YAML).
#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::server_version_num;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

CommandResult run_pgshift(std::vector<std::string> args) {
  args.insert(args.begin(), PGSHIFT_BIN);
  return run_command(args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The orders table of kOrdersSql as YAML, with `extra_columns` after status.
std::string orders_yaml(const std::string& extra_columns) {
  return R"yaml(
schemas:
  public:
    tables:
      orders:
        primary_key: [id]
        columns:
          id: { type: bigint, identity: always }
          status: { type: text, nullable: false, default: "'new'" }
)yaml" + extra_columns;
}

constexpr const char* kOrdersSql =
    "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "status text NOT NULL DEFAULT 'new', note text);"
    "INSERT INTO orders (status, note) SELECT 'new', 'n' || g FROM generate_series(1, 100) g";

// Replaces the one occurrence of `from` in `text` with `to`.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
}

// tests/cli/data/every_kind.yaml, which covers every kind and option of
// PostgreSQL 15, without what the server of `db` does not have.
std::string every_kind_yaml(const TestDatabase& db) {
  std::ifstream file(PGSHIFT_EVERY_KIND);
  std::ostringstream text;
  text << file.rdbuf();
  std::string yaml = text.str();
  const int version = server_version_num(db);
  if (version < 150000) {
    WARN("UNIQUE NULLS NOT DISTINCT exists from PostgreSQL 15: a plain UNIQUE on this server");
    replace_once(yaml, "- { columns: [email], nulls_not_distinct: true }", "- [email]");
  }
  if (version < 120000) {
    WARN("generated columns exist from PostgreSQL 12: none on this server");
    replace_once(yaml,
                 "          email_domain: { type: text, generated: "
                 "\"split_part((email)::text, '@'::text, 2)\" }\n",
                 "");
  }
  return yaml;
}

}  // namespace

TEST_CASE("every object kind built from an empty database inspects back to the same YAML",
          "[cli][db]") {
  TestDatabase first;
  TestDatabase second;
  TempDir dir;
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(first));

  const auto built = run_pgshift(
      {"apply", "--db", first.url(), "--schema", every_kind, "--yes", "--allow-hazard", "all"});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);

  const auto inspected = run_pgshift({"inspect", "--db", first.url(), "-o", dir.path() + "/a.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);

  const auto rebuilt = run_pgshift({"apply", "--db", second.url(), "--schema", dir.path() + "/a.yaml",
                                "--yes", "--allow-hazard", "all"});
  INFO(rebuilt.output);
  REQUIRE(rebuilt.exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "-o", dir.path() + "/b.yaml"}).exit_code == 0);
  CHECK(dir.read("a.yaml") == dir.read("b.yaml"));

  // And the hand-written YAML plans nothing against what was built from it.
  const auto replanned = run_pgshift({"plan", "--db", first.url(), "--schema", every_kind});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);
}

TEST_CASE("a bad YAML file is reported at its position and the database is left untouched",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string path = dir.write("bad.yaml", R"yaml(
schemas:
  public:
    tables:
      orders:
        columns:
          id: { type: bigint, nulable: false }
)yaml");
  for (const char* command : {"plan", "apply", "drift"}) {
    std::vector<std::string> args = {command, "--db", db.url(), "--schema", path};
    if (std::string(command) == "apply") args.push_back("--yes");
    const auto result = run_pgshift(args);
    INFO(command << ": " << result.output);
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, path + ":7:31: schemas.public.tables.orders.columns.id.nulable: "
                                         "unknown key \"nulable\", did you mean \"nullable\"?"));
  }
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                  "AND nspname NOT IN ('public', 'information_schema')") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ==
        "0");
}

TEST_CASE("an unreachable server is named without its password", "[cli][db]") {
  const auto result =
      run_pgshift({"inspect", "--db", "postgresql://app:s3cret@127.0.0.1:1/shop?connect_timeout=2"});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "127.0.0.1:1/shop"));
  CHECK_FALSE(contains(result.output, "s3cret"));
}

TEST_CASE("plan exits 0 with a plan, 2 with --detailed-exitcode, 1 when a hazard is refused",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string with_note = dir.write("with_note.yaml", orders_yaml("          note: text\n"));
  const std::string without_note = dir.write("without_note.yaml", orders_yaml(""));

  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", with_note}).exit_code == 0);
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", with_note, "--detailed-exitcode"})
            .exit_code == 0);

  // Refused: still rendered, the refusal above the first step, then exit 1.
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", without_note});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  const std::string refusal =
      "refused: step 1 (drop column \"note\" of table \"public.orders\") has hazard "
      "data_loss; allow it with --allow-hazard data_loss";
  CHECK(contains(refused.output, "-- error: " + refusal + "\n"));
  CHECK(contains(refused.output, "ALTER TABLE public.orders DROP COLUMN note;"));
  CHECK(refused.output.find("-- error: " + refusal) < refused.output.find("-- Step 1:"));

  for (bool detailed : {false, true}) {
    std::vector<std::string> args = {"plan", "--db", db.url(), "--schema", without_note,
                                     "--allow-hazard", "data_loss"};
    if (detailed) args.push_back("--detailed-exitcode");
    const auto allowed = run_pgshift(args);
    INFO(allowed.output);
    CHECK(allowed.exit_code == (detailed ? 2 : 0));
    CHECK(contains(allowed.output, "ALTER TABLE public.orders DROP COLUMN note;"));
    CHECK_FALSE(contains(allowed.output, "refused"));
  }
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") ==
        "1");
}

TEST_CASE("a refused plan is written to -o in its extension's format and cannot be applied",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string without_note = dir.write("without_note.yaml", orders_yaml(""));
  const std::string refusal = "refused: step 1 (drop column \"note\" of table \"public.orders\")";

  const auto json = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.json"});
  INFO(json.output);
  CHECK(json.exit_code == 1);
  const std::string json_text = dir.read("refused.json");
  CHECK(json_text.rfind("{", 0) == 0);
  CHECK(contains(json_text, "\"message\": \"" + std::string("refused: step 1 (drop column "
                                                           "\\\"note\\\" of table ")));
  CHECK(json_text.find("\"diagnostics\"") < json_text.find("\"steps\""));
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/refused.json", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "plan has errors and cannot be applied"));
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") ==
        "1");

  const auto markdown = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.md"});
  CHECK(markdown.exit_code == 1);
  const std::string markdown_text = dir.read("refused.md");
  CHECK(markdown_text.rfind("## pgshift plan", 0) == 0);
  CHECK(contains(markdown_text, "- **error**: " + refusal));
  CHECK(markdown_text.find(refusal) < markdown_text.find("### Steps"));

  const auto sql = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.sql"});
  CHECK(sql.exit_code == 1);
  CHECK(contains(dir.read("refused.sql"), "-- error: " + refusal));
}

TEST_CASE("plan's format follows -o's extension unless --format is given", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml = dir.write("extra.yaml", orders_yaml("          note: text\n"
                                                               "          extra: integer\n"));
  const std::string plan_json = dir.path() + "/plan.json";
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", plan_json}).exit_code ==
          0);
  CHECK(dir.read("plan.json").rfind("{\n  \"format_version\"", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/plan.md"})
              .exit_code == 0);
  CHECK(dir.read("plan.md").rfind("## pgshift plan", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/plan.txt"})
              .exit_code == 0);
  CHECK(dir.read("plan.txt").rfind("-- pgshift plan", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--format", "sql", "-o",
                       dir.path() + "/forced.json"})
              .exit_code == 0);
  CHECK(dir.read("forced.json").rfind("-- pgshift plan", 0) == 0);

  // The file -o plan.json wrote is what apply --plan reads.
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan_json, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "1");
}

TEST_CASE("drift exits 0 in sync and 2 on drift, in the format of -o's extension",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml = dir.write("orders.yaml", orders_yaml("          note: text\n"));
  const auto in_sync = run_pgshift({"drift", "--db", db.url(), "--schema", yaml});
  INFO(in_sync.output);
  CHECK(in_sync.exit_code == 0);

  db.exec("ALTER TABLE orders ADD COLUMN hotfix integer");
  const auto drifted = run_pgshift(
      {"drift", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/drift.json"});
  INFO(drifted.output);
  CHECK(drifted.exit_code == 2);
  const std::string report = dir.read("drift.json");
  CHECK(report.rfind("{", 0) == 0);
  CHECK(contains(report, "hotfix"));
}

TEST_CASE("apply without a terminal and without --yes changes nothing", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml =
      dir.write("more.yaml", orders_yaml("          note: text\n          extra: integer\n"));
  const auto result = run_pgshift({"apply", "--db", db.url(), "--schema", yaml});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "0");

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", yaml, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "1");
  CHECK(db.scalar("SELECT count(*) FROM orders") == "100");
}

// Runs pgshift with `args` on a pseudo-terminal (util-linux script), with
// `environment` ("NAME=value ..." or "") in front.
CommandResult run_pgshift_on_terminal(const std::string& environment,
                                      const std::vector<std::string>& args) {
  std::string command = environment + " '" + PGSHIFT_BIN + "'";
  for (const auto& arg : args) command += " '" + arg + "'";
  return run_command({"script", "-qec", "env " + command, "/dev/null"});
}

TEST_CASE("backfill progress has escape codes only on a terminal without NO_COLOR", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = dir.write(
      "role.yaml", orders_yaml("          note: text\n"
                               "          role: { type: text, nullable: false, default: \"'user'\","
                               " backfill: \"'user'\" }\n"));
  struct Case {
    std::string environment;  // "": not run on a terminal
    bool escapes;
  };
  for (const Case& run : {Case{"TERM=xterm", true}, Case{"TERM=xterm NO_COLOR=1", false},
                          Case{"TERM=dumb", false}, Case{"", false}}) {
    db.exec("DROP TABLE IF EXISTS orders; DROP SCHEMA IF EXISTS _pgshift CASCADE");
    db.exec(kOrdersSql);
    const std::vector<std::string> args = {"apply", "--db", db.url(), "--schema", yaml, "--yes"};
    const auto result =
        run.environment.empty() ? run_pgshift(args) : run_pgshift_on_terminal(run.environment, args);
    INFO((run.environment.empty() ? "not a terminal" : run.environment) << ":\n" << result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(contains(result.output, "rows"));  // the backfill's progress
    CHECK(contains(result.output, "\x1b") == run.escapes);
  }
}

TEST_CASE("every command has help, and an unknown command is an error", "[cli][db]") {
  for (const char* command : {"inspect", "plan", "apply", "drift", "version", "help"}) {
    const auto result = run_pgshift({command, "--help"});
    INFO(command);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "Usage:"));
  }
  CHECK(run_pgshift({"--help"}).exit_code == 0);
  CHECK(run_pgshift({"frobnicate"}).exit_code == 64);
}

namespace {

// pgshift started in the background, its stdout and stderr in a file.
class Background {
 public:
  Background(std::vector<std::string> args, const std::string& output_path)
      : output_path_(output_path) {
    args.insert(args.begin(), PGSHIFT_BIN);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int in = ::open("/dev/null", O_RDONLY);
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void signal(int number) const { ::kill(pid_, number); }

  CommandResult wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream file(output_path_);
    std::ostringstream text;
    text << file.rdbuf();
    result.output = text.str();
    return result;
  }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

// Polls `condition` every 20 ms for up to `seconds`; returns whether it held.
bool eventually(const std::function<bool()>& condition, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string unique_application_name() {
  std::random_device device;
  return "pgshift_sigint_test_" + std::to_string(device());
}

}  // namespace

TEST_CASE("SIGINT or SIGTERM while plan or drift builds the scratch database drops it",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(db));
  for (const char* command : {"plan", "drift"}) {
    for (int signal_number : {SIGINT, SIGTERM}) {
      // The scratch database's sessions carry this name: it tells our scratch
      // database from those of tests running in parallel.
      const std::string application = unique_application_name();
      Background run({command, "--db", db.url(), "--schema", every_kind, "--dev-db",
                      db.url() + "?application_name=" + application},
                     dir.path() + "/out.txt");
      std::string scratch;
      const bool seen = eventually([&] {
        scratch = db.scalar(
            "SELECT datname FROM pg_stat_activity WHERE datname LIKE 'pgshift\\_dev\\_%' "
            "AND application_name = '" + application + "' LIMIT 1");
        return !scratch.empty();
      });
      INFO(command << ", signal " << signal_number);
      REQUIRE(seen);
      run.signal(signal_number);
      const CommandResult result = run.wait();
      INFO(result.output);
      CHECK(result.exit_code == 130);
      CHECK(contains(result.output, "interrupted: dropped the scratch database \"" + scratch + "\""));
      CHECK(db.scalar("SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'") == "0");
    }
  }
}

TEST_CASE("SIGINT during an apply backfill stops between batches, and the printed command resumes",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
          "status text NOT NULL DEFAULT 'new', note text);"
          "INSERT INTO orders (status) SELECT 'new' FROM generate_series(1, 20000)");
  const std::string yaml = dir.write(
      "role.yaml", orders_yaml("          note: text\n"
                               "          role: { type: text, nullable: false, default: \"'user'\","
                               " backfill: \"'member'\" }\n"));
  const std::string plan = dir.path() + "/plan.json";
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", plan}).exit_code == 0);

  Background run({"apply", "--db", db.url(), "--plan", plan, "--yes", "--batch-size", "100",
                  "--pause", "20ms"},
                 dir.path() + "/out.txt");
  const auto backfilled = [&] {
    return std::stoll(db.scalar(
        "SELECT CASE WHEN EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'orders'::regclass "
        "AND attname = 'role') THEN (SELECT count(*) FROM orders WHERE to_jsonb(orders) ->> "
        "'role' = 'member') ELSE 0 END"));
  };
  REQUIRE(eventually([&] { return backfilled() > 0; }));
  run.signal(SIGINT);
  const CommandResult stopped = run.wait();
  INFO(stopped.output);
  REQUIRE(stopped.exit_code == 130);
  CHECK(contains(stopped.output, "stopped between backfill batches"));
  const int64_t done = backfilled();
  CHECK(done > 0);
  CHECK(done < 20000);
  CHECK(done % 100 == 0);  // whole batches only: never a step's transaction cut short

  const std::string marker = "Resume with:\n  ";
  const size_t at = stopped.output.find(marker);
  REQUIRE(at != std::string::npos);
  const size_t start = at + marker.size();
  const std::string resume = stopped.output.substr(start, stopped.output.find('\n', start) - start);
  CHECK(resume == std::string(PGSHIFT_BIN) + " apply --db " + db.url() + " --plan " + plan +
                      " --batch-size 100 --pause 20ms --yes");

  const CommandResult resumed = run_command({"sh", "-c", resume});
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming plan"));
  CHECK(contains(resumed.output, "continuing from key"));
  CHECK(backfilled() == 20000);
  CHECK(db.scalar("SELECT count(*) FROM orders WHERE role IS NULL") == "0");
  const auto replanned =
      run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--detailed-exitcode"});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);
}
