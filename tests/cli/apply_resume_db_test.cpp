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

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::contains;
using pgshift::testing::run_command;
using pgshift::testing::run_pgshift;
using pgshift::testing::spawn_pgshift;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

namespace {

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
// `before`), once their session is gone. A CREATE DATABASE the killed process
// sent goes on in its backend (the scratch database is made while the target
// is read, from the first tenth of a second of a plan): it is waited for, or
// its database would appear after the list is read.
void drop_leftover_scratch(const TestDatabase& db, const std::set<std::string>& before) {
  pqxx::connection watcher(db.url());
  poll(watcher,
       "SELECT count(*) = 0 FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
       "'CREATE DATABASE \"pgshift\\_dev\\_%' AND pid <> pg_backend_pid()",
       30s);
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
      std::vector<std::string> apply = {"apply", "--db",         db.url(), "--schema", yaml,
                                        "--yes", "--batch-size", "4000",   "--pause",  "20ms"};
      for (const auto& arg : pgshift::testing::allow_not_null_scan_before_12(db)) {
        apply.push_back(arg);
      }
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
                   "'pgshift apply%' AND pid <> pg_backend_pid() AND datname = current_database()",
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

TEST_CASE("NULLs in a column made NOT NULL without a backfill are refused at plan time by count",
          "[cli][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, tier text);"
      "INSERT INTO t SELECT g, CASE WHEN g % 4 = 0 THEN NULL ELSE 'gold' END "
      "FROM generate_series(1, 1000) g;"
      "ANALYZE t");
  const std::string kept =
      "SELECT md5(string_agg(id || ':' || tier, ',' ORDER BY id)) FROM t "
      "WHERE id % 4 <> 0";
  const std::string before = db.scalar(kept);
  const TempDir dir;
  const std::string table_yaml = R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
)yaml";
  const std::string yaml = dir.write(
      "schema.yaml",
      table_yaml + "          tier: { type: text, nullable: false, default: \"'bronze'\" }\n");
  const std::string message =
      "error: column \"tier\" of table \"public.t\" has 250 rows holding NULL and cannot be "
      "made NOT NULL without a backfill; give it backfill: <expression> in the YAML (its "
      "default, for one) to fill them";

  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", yaml});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, "pgshift plan: " + message));

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", yaml, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "pgshift apply: " + message));
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_attrdef WHERE adrelid = 't'::regclass") == "0");
  CHECK(db.scalar("SELECT count(*) FROM t WHERE tier IS NULL") == "250");

  // Asked for in the YAML, the backfill fills them and the column converges.
  const std::string filled = dir.write(
      "filled.yaml", table_yaml +
                         "          tier: { type: text, nullable: false, default: \"'bronze'\", "
                         "backfill: \"'bronze'\" }\n");
  std::vector<std::string> apply_filled = {"apply", "--db", db.url(), "--schema", filled, "--yes"};
  for (const auto& arg : pgshift::testing::allow_not_null_scan_before_12(db)) {
    apply_filled.push_back(arg);
  }
  const auto converged = run_pgshift(apply_filled);
  INFO(converged.output);
  CHECK(converged.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE tier = 'bronze'") == "250");
  CHECK(db.scalar(kept) == before);
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'tier'") == "t");
}

TEST_CASE("an unfinished apply of another desired state is refused until abandoned", "[cli][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
      "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g;"
      "ANALYZE t");
  const std::string checksum = db.scalar(kChecksum);
  const TempDir dir;
  const std::string first = dir.write("first.yaml", kDesiredYaml);
  const auto scratch_before = scratch_databases(db);
  pqxx::connection watcher(db.url());
  const auto allow = pgshift::testing::allow_not_null_scan_before_12(db);
  std::vector<std::string> apply_first = {"apply", "--db",         db.url(), "--schema", first,
                                          "--yes", "--batch-size", "1000",   "--pause",  "20ms"};
  apply_first.insert(apply_first.end(), allow.begin(), allow.end());
  const pid_t child = spawn_pgshift(apply_first, dir.path() + "/killed.log");
  REQUIRE(poll(watcher, "SELECT coalesce(max(rows_done), 0) >= 5000 FROM _pgshift.apply_backfills",
               60s));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  REQUIRE(poll(watcher,
               "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name LIKE "
               "'pgshift apply%' AND pid <> pg_backend_pid() AND datname = current_database()",
               30s));
  drop_leftover_scratch(db, scratch_before);
  const std::string second_text =
      std::string(kDesiredYaml) + "      other:\n        columns:\n          id: integer\n";
  const std::string second = dir.write("second.yaml", second_text);

  const auto refused = run_pgshift({"apply", "--db", db.url(), "--schema", second, "--yes"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output,
                 "pgshift apply: the database has an unfinished apply of another plan (plan "));
  CHECK(contains(refused.output,
                 " of 10 steps done): run the command that started it again to "
                 "resume it, or abandon it with `pgshift apply --abandon`, then "
                 "plan again"));
  CHECK(db.scalar("SELECT to_regclass('public.other') IS NULL") == "t");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", second});
  INFO(planned.output);
  CHECK(contains(planned.output,
                 "pgshift plan: warning: the database has an unfinished apply "
                 "(plan "));

  const auto abandoned = run_pgshift({"apply", "--db", db.url(), "--abandon"});
  INFO(abandoned.output);
  CHECK(abandoned.exit_code == 0);
  CHECK(contains(abandoned.output, "pgshift apply: abandoned the unfinished apply of plan "));
  const auto nothing_left = run_pgshift({"apply", "--db", db.url(), "--abandon"});
  CHECK(nothing_left.exit_code == 0);
  CHECK(contains(nothing_left.output, "pgshift apply: no unfinished apply to abandon"));

  // Planned anew from the half-done catalog: "tag" exists with NULLs, and
  // the YAML gives it no backfill: refused by count, not a failing VALIDATE.
  const auto half_done = run_pgshift({"apply", "--db", db.url(), "--schema", second, "--yes"});
  INFO(half_done.output);
  CHECK(half_done.exit_code == 1);
  CHECK(contains(half_done.output, "error: column \"tag\" of table \"public.t\" has "));
  CHECK(contains(half_done.output, " rows holding NULL and cannot be made NOT NULL"));

  std::string with_backfill = second_text;
  const std::string tag = "tag: { type: text, nullable: false, default: \"md5(random()::text)\"";
  const size_t at = with_backfill.find(tag);
  REQUIRE(at != std::string::npos);
  with_backfill.insert(at + tag.size(), ", backfill: \"md5(random()::text)\"");
  const std::string third = dir.write("third.yaml", with_backfill);
  std::vector<std::string> apply_third = {"apply", "--db", db.url(), "--schema", third, "--yes"};
  apply_third.insert(apply_third.end(), allow.begin(), allow.end());
  const auto converged = run_pgshift(apply_third);
  INFO(converged.output);
  CHECK(converged.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE tag IS NULL") == "0");
  CHECK(db.scalar("SELECT to_regclass('public.other') IS NOT NULL") == "t");
  CHECK(db.scalar(kChecksum) == checksum);
  CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
}

TEST_CASE("apply interrupted during a concurrent detach finishes it with FINALIZE when run again",
          "[cli][db][partitions]") {
  TestDatabase db;
  if (pgshift::testing::server_version_num(db) < 140000) {
    WARN("DETACH ... CONCURRENTLY is PostgreSQL 14+");
    return;
  }
  db.exec(R"sql(
CREATE TABLE orders (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE orders_1 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE orders_2 PARTITION OF orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO orders SELECT g, date '2024-01-01' + (g % 59) FROM generate_series(1, 2000) g;
ANALYZE;
)sql");
  const std::string kept = db.scalar(
      "SELECT count(*) || md5(string_agg(id || ' ' || at, ',' ORDER BY id)) FROM orders_1");
  const TempDir dir;
  const std::string columns =
      "        columns:\n          id: { type: bigint, nullable: false }\n"
      "          at: { type: date, nullable: false }\n";
  const std::string schema = dir.write(
      "s.yaml", "schemas:\n  public:\n    tables:\n      orders:\n" + columns +
                    "        partition_by: { strategy: range, key: at }\n      orders_1:\n" +
                    columns + "      orders_2:\n" + columns +
                    "        partition_of: { table: orders, bound: \"FOR VALUES FROM "
                    "('2024-02-01') TO ('2024-03-01')\" }\n");
  const auto scratch_before = scratch_databases(db);
  // A session holding the parent alone (a reader of orders holds every
  // partition too, and the plan's CHECK on orders_1 would wait for it): the
  // detach's second transaction waits for it, and is interrupted there.
  pqxx::connection holder(db.url());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE ONLY orders IN ACCESS SHARE MODE");
  const pid_t child = spawn_pgshift({"apply", "--db", db.url(), "--schema", schema, "--yes",
                                     "--allow-hazard", "partition_detached"},
                                    dir.path() + "/interrupted.log");
  pqxx::connection watcher(db.url());
  REQUIRE(poll(watcher,
               "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = 'orders_1'::regclass "
               "AND inhdetachpending)",
               60s));
  ::kill(child, SIGINT);
  std::this_thread::sleep_for(200ms);
  ::kill(child, SIGINT);
  ::waitpid(child, nullptr, 0);
  // Its server session would finish the detach once the lock goes; a lost
  // connection (a crash, a killed host) leaves it pending.
  {
    pqxx::nontransaction tx(watcher);
    // Only this test's database: other tests run their applies beside it.
    tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name "
            "LIKE 'pgshift apply%' AND pid <> pg_backend_pid() AND datname = current_database()");
  }
  REQUIRE(poll(watcher,
               "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name LIKE "
               "'pgshift apply%' AND pid <> pg_backend_pid() AND datname = current_database()",
               30s));
  hold.commit();
  drop_leftover_scratch(db, scratch_before);
  CHECK(db.scalar("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
                  "'orders_1'::regclass") == "t");
  const auto resumed = run_pgshift({"apply", "--db", db.url(), "--schema", schema, "--yes",
                                   "--allow-hazard", "partition_detached"});
  INFO(resumed.output);
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "the detach of \"public.orders_1\" an earlier run began is "
                                 "pending: finishing it"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'orders_1'::regclass") ==
        "0");
  CHECK(db.scalar("SELECT count(*) || md5(string_agg(id || ' ' || at, ',' ORDER BY id)) FROM "
                  "orders_1") == kept);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift%'") == "0");
  CHECK(pgshift::testing::replan(db.url(), schema) == 0);
}

TEST_CASE("a concurrent detach whose second transaction times out on a held lock is finished "
          "by FINALIZE on the step's next attempt",
          "[cli][db][partitions]") {
  TestDatabase db;
  if (pgshift::testing::server_version_num(db) < 140000) {
    WARN("DETACH ... CONCURRENTLY is PostgreSQL 14+");
    return;
  }
  db.exec(R"sql(
CREATE TABLE orders (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE orders_1 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE orders_2 PARTITION OF orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO orders SELECT g, date '2024-01-01' + (g % 59) FROM generate_series(1, 2000) g;
ANALYZE;
)sql");
  const TempDir dir;
  const std::string columns =
      "        columns:\n          id: { type: bigint, nullable: false }\n"
      "          at: { type: date, nullable: false }\n";
  const std::string schema = dir.write(
      "s.yaml", "schemas:\n  public:\n    tables:\n      orders:\n" + columns +
                    "        partition_by: { strategy: range, key: at }\n      orders_1:\n" +
                    columns + "      orders_2:\n" + columns +
                    "        partition_of: { table: orders, bound: \"FOR VALUES FROM "
                    "('2024-02-01') TO ('2024-03-01')\" }\n");
  // A session holding the parent alone (the plan's CHECK on orders_1 does
  // not wait for it): the detach's second transaction waits for it, past the
  // lock timeout, and leaves the detach pending. Released after that, the
  // next attempt finishes the detach.
  pqxx::connection holder(db.url());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE ONLY orders IN ACCESS SHARE MODE");
  std::thread release([&] {
    pqxx::connection watcher(db.url());
    poll(watcher,
         "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = 'orders_1'::regclass "
         "AND inhdetachpending)",
         60s);
    std::this_thread::sleep_for(500ms);
    hold.commit();
  });
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--schema", schema, "--yes", "--allow-hazard",
                   "partition_detached", "--lock-timeout", "200ms", "--retries", "100"});
  release.join();
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "canceling statement due to lock timeout"));
  CHECK(contains(applied.output,
                 "the detach of \"public.orders_1\" the last attempt began is pending: "
                 "finishing it"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = 'orders_1'::regclass") ==
        "0");
  CHECK(db.scalar("SELECT count(*) FROM orders_1") != "0");
  CHECK(pgshift::testing::replan(db.url(), schema) == 0);
}
