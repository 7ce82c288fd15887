// Backfills by keyset over keys of any type and width, and by block ranges
// for a table with no key: a run killed with SIGKILL resumes after its last
// committed batch, with no row updated twice; writes made while the
// backfill runs are kept.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/test_db.hpp"

using pgshift::plans::apply_plan;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

namespace {

struct Table {
  const char* name;
  const char* create;            // table t with a column rid (1..kRows) and v bigint NULL
  std::vector<std::string> key;  // the plan's key; empty: by blocks
};

constexpr int kRows = 20000;

const std::vector<Table> kTables = {
    {"uuid key",
     "CREATE TABLE t (id uuid PRIMARY KEY, rid integer NOT NULL, v bigint);"
     "INSERT INTO t SELECT md5(g::text)::uuid, g, NULL FROM generate_series(1, 20000) g",
     {"id"}},
    {"text key",
     "CREATE TABLE t (code text NOT NULL, rid integer NOT NULL, v bigint,"
     " CONSTRAINT t_code_key UNIQUE (code));"
     "INSERT INTO t SELECT md5(g::text) || ' \"Ä'', ' || g, g, NULL FROM generate_series(1, 20000) "
     "g",
     {"code"}},
    {"composite key",
     "CREATE TABLE t (tenant integer NOT NULL, name text NOT NULL, rid integer NOT NULL,"
     " v bigint, PRIMARY KEY (tenant, name));"
     "INSERT INTO t SELECT g % 13, 'n' || g, g, NULL FROM generate_series(1, 20000) g",
     {"tenant", "name"}},
    {"no key",
     // Few rows per block (about 4), so that before PostgreSQL 14, where a
     // batch takes at least 1,000 blocks, the walk still has several batches.
     "CREATE TABLE t (rid integer NOT NULL, payload text, v bigint) WITH (fillfactor = 10);"
     "INSERT INTO t SELECT g, repeat('p', 100 + g % 40), NULL FROM generate_series(1, 20000) g",
     {}},
};

// Counts the updates of each row (by rid) in table `updates`.
constexpr const char* kCountUpdates =
    "CREATE TABLE updates (rid integer PRIMARY KEY, n integer NOT NULL);"
    "CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "INSERT INTO updates VALUES (NEW.rid, 1) ON CONFLICT (rid) DO UPDATE SET n = updates.n + 1; "
    "RETURN NEW; END $$;"
    "CREATE TRIGGER t_count BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION count_update()";

pgshift::plans::Step step_for(const Table& table, const std::string& where, int64_t batch) {
  auto step = pgshift::testing::backfill_step("t", "", "v", "rid * 2", where, batch);
  step.backfill->key_columns = table.key;
  return step;
}

}  // namespace

TEST_CASE(
    "a backfill killed with SIGKILL resumes after its last committed batch, no row "
    "updated twice",
    "[plans][db]") {
  for (const Table& table : kTables) {
    DYNAMIC_SECTION(table.name) {
      TestDatabase db;
      db.exec(table.create);
      db.exec("ANALYZE t");
      db.exec(kCountUpdates);
      // No guard with a key: a batch done twice would count twice. A
      // backfill by blocks needs its guard.
      const std::string where = table.key.empty() ? "v IS NULL" : "";
      const auto plan = pgshift::testing::plan_for(db, {step_for(table, where, 250)});
      const pid_t child = ::fork();
      REQUIRE(child >= 0);
      if (child == 0) {
        std::ostringstream log;
        auto options = pgshift::testing::test_options(log);
        options.pause = 5ms;
        options.batch_target = 0ms;
        try {
          apply_plan(db.url(), plan, options);
        } catch (...) {
          ::_exit(3);
        }
        ::_exit(0);
      }
      const bool reached = pgshift::testing::wait_until(
          db.url(), "SELECT coalesce(max(rows_done), 0) >= 5000 FROM _pgshift.apply_backfills",
          60s);
      ::kill(child, SIGKILL);
      int status = 0;
      ::waitpid(child, &status, 0);
      REQUIRE(reached);
      REQUIRE(WIFSIGNALED(status));
      REQUIRE(pgshift::testing::wait_until(
          db.url(),
          "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name LIKE 'pgshift "
          "apply%' AND pid <> pg_backend_pid()",
          30s));
      const int64_t done_before =
          std::stoll(db.scalar("SELECT rows_done FROM _pgshift.apply_backfills"));
      CHECK(done_before < kRows);
      CHECK(db.scalar("SELECT count(*) FROM updates") == std::to_string(done_before));

      std::ostringstream log;
      const auto result = apply_plan(db.url(), plan, pgshift::testing::test_options(log));
      INFO(log.str());
      CHECK(result.resumed);
      CHECK(log.str().find(table.key.empty() ? "continuing from block "
                                             : "continuing after key (") != std::string::npos);
      CHECK(result.rows_backfilled == kRows - done_before);
      CHECK(db.scalar("SELECT count(*) FILTER (WHERE v = rid * 2) || '/' || count(*) FROM t") ==
            "20000/20000");
      CHECK(db.scalar("SELECT count(*) || ':' || max(n) FROM updates") == "20000:1");
    }
  }
}

TEST_CASE("writes during a backfill by key or by blocks are kept", "[plans][db]") {
  for (const Table& table : kTables) {
    DYNAMIC_SECTION(table.name) {
      TestDatabase db;
      db.exec(table.create);
      db.exec("ANALYZE t");
      const auto plan = pgshift::testing::plan_for(db, {step_for(table, "v IS NULL", 200)});
      std::atomic<bool> done{false};
      std::set<int> written;
      int inserted = 0;
      std::thread writer([&] {
        pqxx::connection conn(db.url());
        std::mt19937 random(7);
        std::uniform_int_distribution<int> rid(1, kRows);
        while (!done.load()) {
          pqxx::work tx(conn);
          // A value the application writes: the backfill must not replace it.
          const int row = rid(random);
          tx.exec_params("UPDATE t SET v = -1 - rid WHERE rid = $1", row);
          // A row still to be filled, moved to a new version (perhaps in a
          // block the backfill is done with).
          tx.exec_params("UPDATE t SET rid = rid WHERE rid = $1 AND v IS NULL", rid(random));
          // A new row with the value its default gives.
          ++inserted;
          if (table.key.empty()) {
            tx.exec_params("INSERT INTO t (rid, v) VALUES ($1, -7)", kRows + inserted);
          } else if (table.key[0] == "id") {
            tx.exec_params("INSERT INTO t VALUES (md5(($1)::text)::uuid, $1::integer, -7)",
                           kRows + inserted);
          } else if (table.key[0] == "code") {
            tx.exec_params("INSERT INTO t VALUES ('new ' || $1, $1::integer, -7)",
                           kRows + inserted);
          } else {
            tx.exec_params("INSERT INTO t VALUES ($1::integer % 13, 'new' || $1, $1::integer, -7)",
                           kRows + inserted);
          }
          tx.commit();
          written.insert(row);
          std::this_thread::sleep_for(1ms);
        }
      });
      std::ostringstream log;
      auto options = pgshift::testing::test_options(log);
      options.pause = 2ms;
      options.batch_target = 0ms;
      try {
        apply_plan(db.url(), plan, options);
      } catch (...) {
        done = true;
        writer.join();
        throw;
      }
      done = true;
      writer.join();
      INFO(log.str());
      // Before PostgreSQL 14 the walk by blocks takes only a few batches of
      // 1,000 blocks: fewer writes fall inside it.
      REQUIRE(written.size() >= 5);
      std::string rids;
      for (const int row : written) rids += (rids.empty() ? "" : ",") + std::to_string(row);
      CHECK(db.scalar("SELECT count(*) FROM t WHERE rid IN (" + rids + ") AND v <> -1 - rid") ==
            "0");
      CHECK(db.scalar("SELECT count(*) FROM t WHERE rid > 20000 AND v <> -7") == "0");
      CHECK(db.scalar("SELECT count(*) FROM t WHERE rid > 20000") == std::to_string(inserted));
      CHECK(db.scalar("SELECT count(*) FROM t WHERE rid <= 20000 AND rid NOT IN (" + rids +
                      ") AND v IS DISTINCT FROM rid * 2") == "0");
    }
  }
}

TEST_CASE("batches hold as many rows as asked however sparse the key", "[plans][db]") {
  TestDatabase db;
  // 1,000 rows a million keys apart, 300 rows at the top end packed: batches
  // sized by key span would be empty or all at once.
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, rid integer NOT NULL, v bigint);"
      "INSERT INTO t SELECT g * 1000000, g, NULL FROM generate_series(1, 1000) g;"
      "INSERT INTO t SELECT 2000000000 + g, 1000 + g, NULL FROM generate_series(1, 300) g;"
      "CREATE TABLE batches (rid integer PRIMARY KEY, xid bigint NOT NULL);"
      "CREATE FUNCTION note_batch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "INSERT INTO batches VALUES (NEW.rid, txid_current()); RETURN NEW; END $$;"
      "CREATE TRIGGER t_note BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION note_batch()");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 100)});
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.batch_target = 0ms;
  const auto result = apply_plan(db.url(), plan, options);
  INFO(log.str());
  CHECK(result.rows_backfilled == 1300);
  CHECK(db.scalar("SELECT count(DISTINCT xid) FROM batches") == "13");
  CHECK(db.scalar("SELECT max(n) || ':' || min(n) FROM (SELECT count(*) AS n FROM batches GROUP "
                  "BY xid) b") == "100:100");
}
