// `pgshift apply --schema` killed with SIGKILL and run again, as the README
// tells users to: it resumes the journaled plan instead of planning from the
// half-done catalog, and every kill point converges. A run of another desired
// state is refused until abandoned.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

namespace {

CommandResult run_pgshift(std::vector<std::string> args) {
  args.insert(args.begin(), PGSHIFT_BIN);
  return run_command(args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Starts pgshift with `args`, output to `log_path`; returns its pid.
pid_t spawn_pgshift(const std::vector<std::string>& args, const std::string& log_path) {
  std::vector<std::string> argv_text = {PGSHIFT_BIN};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) ::_exit(127);
    ::dup2(in, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Polls `sql` (boolean) on `conn` until true or `limit`; an error (the
// journal not there yet) counts as false.
bool poll(pqxx::connection& conn, const std::string& sql, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      pqxx::nontransaction tx(conn);
      if (tx.exec(sql)[0][0].as<bool>()) return true;
    } catch (const pqxx::sql_error&) {
    }
    std::this_thread::sleep_for(5ms);
  }
  return false;
}

std::set<std::string> scratch_databases(const TestDatabase& db) {
  pqxx::connection conn(db.url());
  pqxx::nontransaction tx(conn);
  std::set<std::string> names;
  for (const auto& row : tx.exec("SELECT datname FROM pg_database WHERE datname LIKE "
                                 "'pgshift\\_dev\\_%'")) {
    names.insert(row[0].c_str());
  }
  return names;
}

// Drops the scratch databases a killed pgshift left behind (those not in
// `before`), once their session is gone.
void drop_leftover_scratch(const TestDatabase& db, const std::set<std::string>& before) {
  for (const std::string& name : scratch_databases(db)) {
    if (before.count(name) != 0) continue;
    for (int attempt = 0; attempt < 100; ++attempt) {
      try {
        db.exec("DROP DATABASE IF EXISTS \"" + name + "\"");
        break;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(100ms);
      }
    }
  }
}

// A table of 100,000 rows; the desired state adds a NOT NULL column with a
// volatile default (add, default, backfill, NOT NULL by check), an index and
// a check: ten steps.
constexpr const char* kTableSql =
    "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g;"
    "ANALYZE t";

constexpr const char* kDesiredYaml = R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          payload: { type: text, nullable: false }
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
        indexes:
          t_payload_idx: { columns: [payload] }
        checks:
          t_payload_len: length(payload) = 32
)yaml";

constexpr const char* kChecksum =
    "SELECT count(*) || ':' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM t";

struct KillPoint {
  const char* name;
  std::chrono::milliseconds after;  // wait this long after the start, then
  const char* when;                 // until this holds (nullptr: at once)
};

}  // namespace

TEST_CASE("apply --schema killed with SIGKILL at any point resumes its plan and converges",
          "[cli][db]") {
  const std::vector<KillPoint> points = {
      {"while planning", 50ms, nullptr},
      {"once the run is journaled", 0ms, "SELECT EXISTS (SELECT FROM _pgshift.apply_runs)"},
      {"after the first step", 0ms, "(SELECT count(*) >= 1 FROM _pgshift.apply_steps)"},
      {"after the default is set", 0ms, "(SELECT count(*) >= 2 FROM _pgshift.apply_steps)"},
      {"at the first backfill batch", 0ms,
       "(SELECT coalesce(max(rows_done), 0) > 0 FROM _pgshift.apply_backfills)"},
      {"mid-backfill", 0ms,
       "(SELECT coalesce(max(rows_done), 0) >= 40000 FROM _pgshift.apply_backfills)"},
      {"late in the backfill", 0ms,
       "(SELECT coalesce(max(rows_done), 0) >= 80000 FROM _pgshift.apply_backfills)"},
      {"after the backfill", 0ms, "(SELECT count(*) >= 3 FROM _pgshift.apply_steps)"},
      {"during the constraints", 0ms, "(SELECT count(*) >= 5 FROM _pgshift.apply_steps)"},
      {"near the end", 0ms, "(SELECT count(*) >= 8 FROM _pgshift.apply_steps)"},
  };
  for (const KillPoint& point : points) {
    DYNAMIC_SECTION("killed " << point.name) {
      TestDatabase db;
      db.exec(kTableSql);
      const std::string checksum = db.scalar(kChecksum);
      const TempDir dir;
      const std::string yaml = dir.write("schema.yaml", kDesiredYaml);
      const std::vector<std::string> apply = {"apply",        "--db",    db.url(), "--schema",
                                              yaml,           "--yes",   "--batch-size",
                                              "4000",         "--pause", "20ms"};
      const auto scratch_before = scratch_databases(db);
      pqxx::connection watcher(db.url());

      const pid_t child = spawn_pgshift(apply, dir.path() + "/killed.log");
      std::this_thread::sleep_for(point.after);
      if (point.when != nullptr) {
        INFO("kill point never reached: " << point.when);
        CHECK(poll(watcher, point.when, 60s));
      }
      ::kill(child, SIGKILL);
      int status = 0;
      ::waitpid(child, &status, 0);
      INFO(dir.read("killed.log"));
      // The run may have ended just before the kill; otherwise it died of it.
      const bool killed = WIFSIGNALED(status);
      CHECK((killed || (WIFEXITED(status) && WEXITSTATUS(status) == 0)));
      REQUIRE(poll(watcher,
                   "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name LIKE "
                   "'pgshift apply%' AND pid <> pg_backend_pid()",
                   30s));
      drop_leftover_scratch(db, scratch_before);
      const bool unfinished =
          db.scalar("SELECT to_regclass('_pgshift.apply_runs') IS NOT NULL") == "t" &&
          db.scalar("SELECT EXISTS (SELECT FROM _pgshift.apply_runs WHERE finished_at IS NULL)") ==
              "t";

      const auto again = run_pgshift(apply);

      INFO(again.output);
      REQUIRE(again.exit_code == 0);
      if (point.when != nullptr && killed) CHECK(unfinished);
      CHECK(contains(again.output, "resuming the unfinished apply of this schema: plan ") ==
            unfinished);
      const auto replanned =
          run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--format", "sql"});
      INFO(replanned.output);
      CHECK(replanned.exit_code == 0);
      CHECK(db.scalar(kChecksum) == checksum);
      CHECK(db.scalar("SELECT count(*) FROM t WHERE tag IS NULL") == "0");
      CHECK(db.scalar("SELECT count(DISTINCT tag) > 99000 FROM t") == "t");
      CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
      CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass "
                      "AND attname = 'tag'") == "t");
      CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_runs WHERE finished_at IS NULL "
                      "AND abandoned_at IS NULL") == "0");
    }
  }
}
