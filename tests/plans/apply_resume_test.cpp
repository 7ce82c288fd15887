// The applier killed with SIGKILL and started again: backfills continue from
// their checkpoint, CREATE INDEX CONCURRENTLY leftovers are rebuilt, and the
// data comes out whole.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <pqxx/pqxx>
#include <sstream>
#include <string>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::plans::StepOutcome;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

// Runs apply_plan in a child process; returns its pid. The child never
// returns into the test runner.
pid_t apply_in_child(const std::string& url, const pgshift::plans::Plan& plan,
                     pgshift::plans::ApplyOptions options) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::ostringstream log;
    options.log = &log;
    try {
      apply_plan(url, plan, options);
    } catch (const std::exception&) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  return pid;
}

void kill_child(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
}

// The killed applier's sessions are gone (the server notices within a second
// once their statements end; from PostgreSQL 14, mid-statement too), waiting
// at most `limit`.
void wait_for_orphans(const TestDatabase& db,
                      std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  REQUIRE(pgshift::testing::wait_until(db.url(),
                                       "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = "
                                       "current_database() AND application_name LIKE "
                                       "'pgshift apply%' AND pid <> pg_backend_pid()",
                                       limit));
}

constexpr const char* kChecksum =
    "SELECT count(*) || ':' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM t";

}  // namespace

TEST_CASE("a backfill killed with SIGKILL resumes from its checkpoint and loses no row",
          "[plans][db]") {
  TestDatabase db;
  // `updates` counts the UPDATEs each row went through: a row backfilled twice
  // would show 2.
  db.exec(R"sql(
    CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL, updates int NOT NULL DEFAULT 0);
    INSERT INTO t (id, payload) SELECT g, md5(g::text) FROM generate_series(1, 20000) g;
    CREATE FUNCTION count_update() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN NEW.updates := OLD.updates + 1; RETURN NEW; END $$;
    CREATE TRIGGER count_update BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION count_update();
  )sql");
  const std::string checksum = db.scalar(kChecksum);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::ddl_step("t", "add column \"tier\" to table \"public.t\"",
                                      {"ALTER TABLE public.t ADD COLUMN tier text"}),
           pgshift::testing::backfill_step("t", "id", "tier", "'bronze'", "tier IS NULL", 250),
           pgshift::testing::ddl_step("t", "set column \"tier\" of table \"public.t\" not null",
                                      {"ALTER TABLE public.t ALTER COLUMN tier SET NOT NULL"})});
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.batch_target = 0ms;  // fixed batches: the kill must land mid-way
  options.pause = 10ms;

  const pid_t child = apply_in_child(db.url(), plan, options);
  REQUIRE(pgshift::testing::wait_until(
      db.url(),
      "SELECT coalesce((SELECT rows_done >= 5000 FROM _pgshift.apply_backfills), false)"));
  kill_child(child);
  wait_for_orphans(db);
  const int64_t done_at_kill =
      std::stoll(db.scalar("SELECT rows_done FROM _pgshift.apply_backfills"));
  CHECK(done_at_kill < 20000);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE tier = 'bronze'") == std::to_string(done_at_kill));

  const auto result = apply_plan(db.url(), plan, options);

  CHECK(result.resumed);
  REQUIRE(result.steps.size() == 3);
  CHECK(result.steps[0].outcome == StepOutcome::AlreadyDone);
  CHECK(result.steps[1].outcome == StepOutcome::Run);
  CHECK(result.steps[1].rows == 20000 - done_at_kill);
  CHECK(log.str().find("continuing after key (" + std::to_string(done_at_kill) + ")") !=
        std::string::npos);
  CHECK(result.remaining.empty());
  CHECK(db.scalar(kChecksum) == checksum);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE tier IS DISTINCT FROM 'bronze'") == "0");
  CHECK(db.scalar("SELECT min(updates) || '..' || max(updates) FROM t") == "1..1");
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'tier'") == "t");

  // Applying the finished plan again skips every step.
  const auto again = apply_plan(db.url(), plan, options);
  CHECK(again.steps_run == 0);
  CHECK(again.steps_skipped == 3);
  CHECK(again.remaining.empty());
}

TEST_CASE("an index build killed with SIGKILL leaves an INVALID index the next apply rebuilds",
          "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
      "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
  const std::string checksum = db.scalar(kChecksum);
  auto build = pgshift::testing::index_step(
      "t", "t_payload_idx", "CREATE INDEX CONCURRENTLY t_payload_idx ON public.t (payload)");
  build.lock_timeout = 10s;
  const auto plan = pgshift::testing::plan_for(db, {build});
  // A writer in an open transaction: the build commits its (INVALID) index
  // entry, then waits for this transaction to end.
  pqxx::connection writer(db.url());
  auto write = std::make_unique<pqxx::work>(writer);
  write->exec("UPDATE t SET payload = payload WHERE id = 1");
  std::ostringstream log;
  const auto options = pgshift::testing::test_options(log);

  const pid_t child = apply_in_child(db.url(), plan, options);
  REQUIRE(pgshift::testing::wait_until(db.url(),
                                       "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = "
                                       "current_database() AND application_name = "
                                       "'pgshift apply' AND wait_event_type = 'Lock'"));
  const std::string orphan = db.scalar(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = "
      "'pgshift apply' "
      "AND wait_event_type = 'Lock'");
  kill_child(child);
  if (pgshift::testing::server_version_num(db) < 140000) {
    // Without client_connection_check_interval (14) the server notices the
    // dead client only when the build stops waiting for the writer, at its
    // lock_timeout; until then the build's backend holds the apply lock.
    REQUIRE_THROWS_WITH(apply_plan(db.url(), plan, options),
                        "another pgshift apply is running on database \"" + db.name() +
                            "\" (backend pid " + orphan + "); wait for it to end");
    wait_for_orphans(db, build.lock_timeout + 5s);
  } else {
    wait_for_orphans(db);
  }
  write->abort();
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_payload_idx'::regclass") ==
        "f");

  const auto result = apply_plan(db.url(), plan, options);

  CHECK(result.resumed);
  CHECK(result.steps_run == 1);
  CHECK(result.remaining.empty());
  CHECK(log.str().find("found INVALID index \"public.t_payload_idx\" (a failed CREATE INDEX "
                       "CONCURRENTLY): the plan builds it, so it will be dropped and rebuilt") !=
        std::string::npos);
  CHECK(log.str().find("dropping INVALID index \"public.t_payload_idx\" before building it "
                       "again") != std::string::npos);
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_payload_idx'::regclass") ==
        "t");
  CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
  CHECK(db.scalar(kChecksum) == checksum);
}

TEST_CASE("an index found valid after a crash is journaled without being built again",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL)");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::index_step("t", "Payload Idx",
                                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS \"Payload Idx\" "
                                        "ON public.t (payload)")});
  std::ostringstream log;
  const auto options = pgshift::testing::test_options(log);
  // A run that built the index and died before its journal entry: the run is
  // recorded as started, the step is not.
  pqxx::connection conn(db.url());
  {
    pqxx::nontransaction tx(conn);
    tx.exec(
        "CREATE SCHEMA _pgshift; CREATE TABLE _pgshift.apply_runs (plan_hash text PRIMARY KEY, "
        "fingerprint text NOT NULL, steps integer NOT NULL, started_at timestamptz NOT NULL "
        "DEFAULT now(), finished_at timestamptz)");
    tx.exec_params(
        "INSERT INTO _pgshift.apply_runs (plan_hash, fingerprint, steps) "
        "VALUES ($1, $2, 1)",
        pgshift::plans::plan_hash(plan), plan.fingerprint);
  }
  db.exec("CREATE INDEX \"Payload Idx\" ON t (payload)");
  const std::string oid = db.scalar("SELECT '\"Payload Idx\"'::regclass::oid");

  const auto result = apply_plan(db.url(), plan, options);

  CHECK(result.resumed);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].outcome == StepOutcome::FoundDone);
  CHECK(result.remaining.empty());
  CHECK(db.scalar("SELECT '\"Payload Idx\"'::regclass::oid") == oid);
}

TEST_CASE("a backfill by a key that is not unique and not null fails naming the table",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE nokey (a int, b text); INSERT INTO nokey VALUES (1, NULL)");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("nokey", "a", "b", "'x'", "b IS NULL", 100)});
  std::ostringstream log;

  try {
    apply_plan(db.url(), plan, pgshift::testing::test_options(log));
    FAIL("the backfill ran without a key");
  } catch (const ApplyError& e) {
    CHECK(std::string(e.what()) ==
          "step 1 of 1 (backfill column \"b\" of table \"public.nokey\") failed: table "
          "\"public.nokey\" has no usable key (a) for a batched backfill: column \"a\" is not "
          "NOT NULL; re-plan");
  }
  CHECK(db.scalar("SELECT b IS NULL FROM nokey") == "t");
}
