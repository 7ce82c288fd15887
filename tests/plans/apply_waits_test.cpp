// Lock waits by what they block: steps whose queued lock request leaves reads
// and writes alone (concurrent index builds, VALIDATE CONSTRAINT) wait up to
// their statement timeout, naming what they wait for; steps whose request
// would block traffic keep the short lock_timeout. A build that fails for good
// leaves no INVALID index. The monitor never names pgshift's own sessions.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>

#include "plans/apply.hpp"
#include "plans/apply_monitor.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::plans::LockMode;
using pgshift::plans::RelationLock;
using pgshift::plans::Step;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

// A session in an open transaction, named `application`, that has run `sql`.
struct OpenTransaction {
  OpenTransaction(const TestDatabase& db, const std::string& application, const std::string& sql)
      : conn(db.url()) {
    pqxx::nontransaction setup(conn);
    setup.exec("SET application_name = '" + application + "'");
    setup.commit();
    tx = std::make_unique<pqxx::work>(conn);
    tx->exec(sql);
  }
  pqxx::connection conn;
  std::unique_ptr<pqxx::work> tx;
};

Step validate_step(const std::string& table, const std::string& constraint,
                   const std::string& referenced) {
  Step step;
  step.phase = pgshift::plans::Phase::Validate;
  step.object = pgshift::schemas::ObjectId{pgshift::schemas::ObjectKind::ForeignKey, "public",
                                           table, constraint};
  step.summary = "validate constraint \"" + constraint + "\" of table \"public." + table + "\"";
  step.statements = {"ALTER TABLE public." + table + " VALIDATE CONSTRAINT " + constraint};
  step.locks = {RelationLock{"public", table, LockMode::ShareUpdateExclusive},
                RelationLock{"public", referenced, LockMode::RowShare}};
  step.duration = pgshift::plans::DurationClass::OnlineScan;
  return step;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "an index build and a validation outlive a 30 s transaction on an unrelated table and "
    "succeed",
    "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE unrelated (id int);"
      "CREATE TABLE parent (id bigint PRIMARY KEY);"
      "INSERT INTO parent SELECT generate_series(1, 1000);"
      "CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint NOT NULL, note text);"
      "INSERT INTO child SELECT g, 1 + g % 1000, md5(g::text) FROM generate_series(1, 50000) g;"
      "ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) "
      "REFERENCES parent NOT VALID");
  Step validate = validate_step("child", "child_parent_id_fkey", "parent");
  Step build = pgshift::testing::index_step(
      "child", "child_note_idx", "CREATE INDEX CONCURRENTLY child_note_idx ON public.child (note)");
  for (Step* step : {&validate, &build}) {
    step->lock_timeout = 100ms;
    step->statement_timeout = 120s;
  }
  const auto plan = pgshift::testing::plan_for(db, {validate, build});

  // A report that wrote to an unrelated table and then runs for 30 s, and a
  // manual VACUUM-like session holding SHARE UPDATE EXCLUSIVE on child for 3 s.
  OpenTransaction report(db, "old transaction", "INSERT INTO unrelated VALUES (1)");
  OpenTransaction maintenance(db, "maintenance",
                              "LOCK TABLE public.child IN SHARE UPDATE EXCLUSIVE MODE");
  const int report_pid = report.conn.backendpid();
  const int maintenance_pid = maintenance.conn.backendpid();
  std::thread end_maintenance([&maintenance] {
    std::this_thread::sleep_for(3s);
    maintenance.tx->commit();
  });
  std::thread end_report([&report] {
    report.tx->exec("SELECT pg_sleep(30)");
    report.tx->commit();
  });
  REQUIRE(pgshift::testing::wait_until(
      db.url(), "SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = " +
                    std::to_string(report_pid) + " AND wait_event = 'PgSleep'"));
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.retries = 1;  // a short lock_timeout would have failed long before 30 s
  options.lock_timeout_override = 100ms;
  options.progress_interval = 1s;

  const auto started = std::chrono::steady_clock::now();
  const auto result = apply_plan(db.url(), plan, options);
  const double elapsed = seconds_since(started);
  end_maintenance.join();
  end_report.join();

  INFO(log.str());
  CHECK(elapsed > 25.0);
  CHECK(result.steps_run == 2);
  CHECK(result.retries == 0);
  CHECK(result.remaining.empty());
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = "
                  "'public.child_note_idx'::regclass") == "t");
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = "
                  "'child_parent_id_fkey'") == "t");
  // Each step named what it waited for while it waited, and never pgshift.
  CHECK(contains(log.str(), "step 1 of 2: validate constraint \"child_parent_id_fkey\" of table "
                            "\"public.child\" (SHARE UPDATE EXCLUSIVE on \"public.child\", ROW "
                            "SHARE on \"public.parent\"; lock_timeout 120000ms, its statement "
                            "timeout: its locks block no reads or writes)"));
  CHECK(contains(log.str(), "  step 1 of 2: waiting "));
  CHECK(contains(log.str(), "(Lock: relation), which blocks no reads or writes; for pid " +
                                std::to_string(maintenance_pid) +
                                " (application \"maintenance\", state \"idle in transaction\""));
  CHECK(contains(log.str(), "  step 2 of 2: waiting "));
  CHECK(contains(log.str(), "Lock: virtualxid), which blocks no reads or writes; for pid " +
                                std::to_string(report_pid) +
                                " (application \"old transaction\", state \"active\""));
  CHECK_FALSE(contains(log.str(), "pgshift apply"));
  if (pgshift::testing::server_version_num(db) >= 120000) {
    CHECK(contains(log.str(), "(phase \"waiting for old snapshots\", Lock: virtualxid)"));
    CHECK(contains(log.str(), "  build index \"public.child_note_idx\": waiting for old snapshots"));
  } else {
    CHECK(contains(log.str(),
                   "  (no build progress: pg_stat_progress_create_index needs PostgreSQL 12)"));
  }
}

TEST_CASE("a unique index build over duplicates fails and leaves no INVALID index",
          "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, email text);"
      "INSERT INTO t SELECT g, 'same@example.com' FROM generate_series(1, 1000) g");
  Step build = pgshift::testing::index_step(
      "t", "t_email_key", "CREATE UNIQUE INDEX CONCURRENTLY t_email_key ON public.t (email)");
  build.statement_timeout = 60s;
  const auto plan = pgshift::testing::plan_for(db, {build});
  std::ostringstream log;

  try {
    apply_plan(db.url(), plan, pgshift::testing::test_options(log));
    FAIL("a unique index over duplicates was built");
  } catch (const ApplyError& e) {
    INFO(log.str());
    const std::string message = e.what();
    CHECK(message.rfind("step 1 of 1 (create index \"t_email_key\" on table \"public.t\") failed: "
                        "could not create unique index \"t_email_key\" (SQLSTATE 23505)",
                        0) == 0);
    CHECK(contains(message, "; the INVALID index \"public.t_email_key\" it left was dropped"));
    CHECK(e.sqlstate() == "23505");
  }
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 't_email_key'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_index WHERE NOT indisvalid") == "0");
}

TEST_CASE(
    "a step whose queued lock would block traffic keeps the short lock_timeout and retries "
    "despite a long statement timeout",
    "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  Step add = pgshift::testing::ddl_step("t", "add column \"note\" to table \"public.t\"",
                                        {"ALTER TABLE public.t ADD COLUMN note text"});
  add.lock_timeout = 100ms;
  add.statement_timeout = 120s;
  const auto plan = pgshift::testing::plan_for(db, {add});
  OpenTransaction reader(db, "lock holder", "SELECT count(*) FROM public.t");
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.retries = 2;

  const auto started = std::chrono::steady_clock::now();
  try {
    apply_plan(db.url(), plan, options);
    FAIL("the step ran under a held lock");
  } catch (const ApplyError& e) {
    CHECK(contains(e.what(), "canceling statement due to lock timeout (SQLSTATE 55P03) after 3 "
                             "attempts; blocked by pid " +
                                 std::to_string(reader.conn.backendpid())));
  }
  CHECK(seconds_since(started) < 5.0);
  CHECK(contains(log.str(), "(ACCESS EXCLUSIVE on \"public.t\"; lock_timeout 100ms)\n"));
  CHECK(contains(log.str(), "on attempt 1 of 3"));
  CHECK(contains(log.str(), "on attempt 2 of 3"));
  reader.tx->commit();
  CHECK(db.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.t'::regclass "
                  "AND attname = 'note'") == "0");
}

TEST_CASE("the lock monitor names the real blocker and never pgshift's own sessions",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  // Both hold ACCESS SHARE on t; the second stands for the applier's session.
  OpenTransaction real(db, "lock holder", "SELECT count(*) FROM public.t");
  OpenTransaction own(db, "pgshift apply", "SELECT count(*) FROM public.t");
  pqxx::connection waiter(db.url());
  const int waiter_pid = waiter.backendpid();
  std::thread wait([&waiter] {
    pqxx::work tx(waiter);
    tx.exec("SET LOCAL lock_timeout = '3s'");
    try {
      tx.exec("LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE");
    } catch (const pqxx::sql_error&) {
      // Expected: the holders never let go while it waits.
    }
  });
  REQUIRE(pgshift::testing::wait_until(
      db.url(), "SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = " +
                    std::to_string(waiter_pid) + " AND wait_event_type = 'Lock'"));

  pgshift::plans::detail::LockMonitor monitor(db.url(), {own.conn.backendpid()});
  std::vector<pgshift::plans::detail::Sample> samples;
  monitor.watch(waiter_pid, 20ms, [&samples](const pgshift::plans::detail::Sample& sample) {
    samples.push_back(sample);
  });
  std::this_thread::sleep_for(500ms);
  const auto seen = monitor.take();
  wait.join();

  REQUIRE(seen.error.empty());
  REQUIRE(seen.blockers.size() == 1);
  CHECK(seen.blockers[0].pid == real.conn.backendpid());
  CHECK(seen.blockers[0].application_name == "lock holder");
  CHECK(seen.lock_wait >= 200ms);
  REQUIRE(!samples.empty());
  CHECK(samples.back().waiting);
  CHECK(samples.back().wait_event == "Lock: relation");
  for (const auto& sample : samples) {
    for (const auto& blocker : sample.blockers) CHECK(blocker.pid == real.conn.backendpid());
  }
}
