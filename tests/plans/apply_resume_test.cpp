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
#include "plans/journal.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::plans::StepOutcome;
using pgshift::plans::detail::Journal;
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

// A run of `plan` begun by an older pgshift, whose journal had apply_runs
// only and recorded no index builds; none of its steps done.
void start_older_run(const TestDatabase& db, const pgshift::plans::Plan& plan) {
  pqxx::connection conn(db.url());
  pqxx::nontransaction tx(conn);
  tx.exec(
      "CREATE SCHEMA _pgshift; CREATE TABLE _pgshift.apply_runs (plan_hash text PRIMARY KEY, "
      "fingerprint text NOT NULL, steps integer NOT NULL, started_at timestamptz NOT NULL "
      "DEFAULT now(), finished_at timestamptz)");
  tx.exec_params(
      "INSERT INTO _pgshift.apply_runs (plan_hash, fingerprint, steps) VALUES ($1, $2, $3)",
      pgshift::plans::plan_hash(plan), plan.fingerprint, static_cast<int>(plan.steps.size()));
}

// A run of `plan` begun by this pgshift and killed before any step was done.
Journal start_current_run(pqxx::connection& conn, const pgshift::plans::Plan& plan) {
  Journal journal(conn, pgshift::plans::plan_hash(plan));
  journal.create();
  journal.start(plan, "");
  return journal;
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
  start_older_run(db, plan);
  db.exec("CREATE INDEX \"Payload Idx\" ON t (payload)");
  const std::string oid = db.scalar("SELECT '\"Payload Idx\"'::regclass::oid");

  const auto result = apply_plan(db.url(), plan, options);

  CHECK(result.resumed);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].outcome == StepOutcome::FoundDone);
  CHECK(result.remaining.empty());
  CHECK(db.scalar("SELECT '\"Payload Idx\"'::regclass::oid") == oid);
}

TEST_CASE("an index of the planned name that no run of the plan began building is refused",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL)");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::index_step("t", "t_payload_idx",
                                        "CREATE INDEX CONCURRENTLY t_payload_idx ON public.t "
                                        "(payload)")});
  pqxx::connection conn(db.url());
  Journal journal = start_current_run(conn, plan);
  // Made by someone else while the run was stopped: another definition.
  db.exec("CREATE INDEX t_payload_idx ON t (lower(payload))");
  const std::string oid = db.scalar("SELECT 't_payload_idx'::regclass::oid");
  std::ostringstream log;

  REQUIRE_THROWS_WITH(
      apply_plan(db.url(), plan, pgshift::testing::test_options(log)),
      "step 1 of 1 (create index \"t_payload_idx\" on table \"public.t\") failed: index "
      "\"public.t_payload_idx\" already exists, but this plan did not build it: no run of this "
      "plan started building it. It was made outside the plan, after the plan was made; nothing "
      "was changed. Drop or rename it, or plan again");
  CHECK(db.scalar("SELECT 't_payload_idx'::regclass::oid") == oid);
  CHECK(db.scalar("SELECT pg_get_indexdef('t_payload_idx'::regclass)") ==
        "CREATE INDEX t_payload_idx ON public.t USING btree (lower(payload))");
  CHECK(journal.done_steps().empty());

  // The same index after this plan's run recorded starting its build: the
  // run died between the build and its journal entry.
  journal.record_build(1, "public", "t_payload_idx");
  const auto result = apply_plan(db.url(), plan, pgshift::testing::test_options(log));
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].outcome == StepOutcome::FoundDone);
  CHECK(db.scalar("SELECT 't_payload_idx'::regclass::oid") == oid);
}

TEST_CASE("an INVALID index of the planned name that no run of the plan began is not dropped",
          "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
      "INSERT INTO t VALUES (1, 'a'), (2, 'a')");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::index_step("t", "t_payload_key",
                                        "CREATE UNIQUE INDEX CONCURRENTLY t_payload_key ON "
                                        "public.t (payload)")});
  pqxx::connection conn(db.url());
  start_current_run(conn, plan);
  // Someone's failed build of the same name: the duplicates leave it INVALID.
  REQUIRE_THROWS(db.exec("CREATE UNIQUE INDEX CONCURRENTLY t_payload_key ON t (payload)"));
  const std::string oid = db.scalar("SELECT 't_payload_key'::regclass::oid");
  std::ostringstream log;

  REQUIRE_THROWS_WITH(apply_plan(db.url(), plan, pgshift::testing::test_options(log)),
                      Catch::Contains("index \"public.t_payload_key\" already exists (INVALID), "
                                      "but this plan did not build it"));
  CHECK(log.str().find("found INVALID index \"public.t_payload_key\" (a failed CREATE INDEX "
                       "CONCURRENTLY): the plan builds an index of that name, but no run of it "
                       "started that build: its step refuses") != std::string::npos);
  CHECK(db.scalar("SELECT 't_payload_key'::regclass::oid") == oid);
}

TEST_CASE(
    "an index of the planned name on another table or attached elsewhere is refused "
    "even when the run recorded no builds",
    "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
      "CREATE TABLE u (id bigint PRIMARY KEY, payload text NOT NULL);"
      "CREATE TABLE p (id bigint NOT NULL, payload text) PARTITION BY RANGE (id);"
      "CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100)");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::index_step("t", "payload_idx",
                                        "CREATE INDEX CONCURRENTLY payload_idx ON public.t "
                                        "(payload)"),
           pgshift::testing::index_step("p_1", "p_1_payload_idx",
                                        "CREATE INDEX CONCURRENTLY p_1_payload_idx ON public.p_1 "
                                        "(payload)")});
  start_older_run(db, plan);
  db.exec("CREATE INDEX payload_idx ON u (payload)");
  std::ostringstream log;

  REQUIRE_THROWS_WITH(apply_plan(db.url(), plan, pgshift::testing::test_options(log)),
                      Catch::Contains("index \"public.payload_idx\" already exists, but this plan "
                                      "did not build it: it is on table \"public.u\", not on "
                                      "\"public.t\""));
  CHECK(db.scalar("SELECT indrelid::regclass::text FROM pg_index WHERE indexrelid = "
                  "'payload_idx'::regclass") == "u");

  // The second step's name taken by the server's copy of another parent index.
  db.exec("DROP INDEX payload_idx; CREATE INDEX p_payload_idx ON p (payload)");
  REQUIRE(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'p_1_payload_idx'") == "1");
  REQUIRE_THROWS_WITH(apply_plan(db.url(), plan, pgshift::testing::test_options(log)),
                      Catch::Contains("index \"public.p_1_payload_idx\" already exists, but this "
                                      "plan did not build it: it is attached to the partitioned "
                                      "index \"public.p_payload_idx\""));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'p_1_payload_idx'::regclass") == "1");
}

TEST_CASE("a partitioned index waiting for its partitions is not reported as a failed build",
          "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
      "CREATE TABLE p (id bigint NOT NULL, payload text) PARTITION BY RANGE (id);"
      "CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (100);"
      "CREATE INDEX p_payload_idx ON ONLY p (payload);"
      "CREATE INDEX t_payload_idx ON t (payload);"
      // What a failed concurrent build leaves (test role: a superuser).
      "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 't_payload_idx'::regclass");
  REQUIRE(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "2");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::ddl_step("t", "comment on table \"public.t\"",
                                      {"COMMENT ON TABLE t IS 'x'"})});
  std::ostringstream log;

  apply_plan(db.url(), plan, pgshift::testing::test_options(log));

  CHECK(log.str().find("found INVALID index \"public.t_payload_idx\" (a failed CREATE INDEX "
                       "CONCURRENTLY): the plan does not build it, so it is left alone") !=
        std::string::npos);
  CHECK(log.str().find("public.p_payload_idx") == std::string::npos);
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
