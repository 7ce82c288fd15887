// The applier under contention: lock timeouts, retries, the blocker report,
// one apply at a time, stale plans and pre-flight.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

constexpr const char* kAddNote = "add column \"note\" to table \"public.t\"";

pgshift::plans::Plan add_note_plan(const TestDatabase& db) {
  return pgshift::testing::plan_for(
      db,
      {pgshift::testing::ddl_step("t", kAddNote, {"ALTER TABLE public.t ADD COLUMN note text"})});
}

bool has_note(const TestDatabase& db) {
  return db.scalar(
             "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.t'::regclass "
             "AND attname = 'note'") == "1";
}

// A session in a transaction that has read t: it holds ACCESS SHARE on t.
struct LockHolder {
  explicit LockHolder(const TestDatabase& db) : conn(db.url()) {
    pqxx::nontransaction setup(conn);
    setup.exec("SET application_name = 'lock holder'");
    setup.commit();
    tx = std::make_unique<pqxx::work>(conn);
    tx->exec("SELECT count(*) FROM public.t");
  }
  pqxx::connection conn;
  std::unique_ptr<pqxx::work> tx;
};

// Waits (up to 20 s) until a session waits for a lock on t.
void await_lock_wait(const TestDatabase& db) {
  for (int poll = 0; poll < 400; ++poll) {
    if (db.scalar("SELECT count(*) FROM pg_locks WHERE relation = 'public.t'::regclass "
                  "AND NOT granted") != "0") {
      return;
    }
    std::this_thread::sleep_for(50ms);
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE(
    "a held lock makes a step time out fast, retry, name the blocker and succeed once "
    "released",
    "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)");
  const auto plan = add_note_plan(db);
  LockHolder holder(db);
  const int holder_pid = holder.conn.backendpid();
  // Released a while after the step first waits: a fixed delay from the
  // start raced the applier's connection on a busy machine.
  std::thread release([&holder, &db] {
    await_lock_wait(db);
    std::this_thread::sleep_for(400ms);
    holder.tx->commit();
  });
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 100ms;
  options.retries = 30;

  const auto started = std::chrono::steady_clock::now();
  const auto result = apply_plan(db.url(), plan, options);
  release.join();

  CHECK(seconds_since(started) < 30.0);
  CHECK(has_note(db));
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps_run == 1);
  CHECK(result.steps[0].retries >= 1);
  CHECK(result.lock_wait >= 100ms);
  REQUIRE(!result.steps[0].blockers.empty());
  CHECK(result.steps[0].blockers[0].pid == holder_pid);
  CHECK(result.steps[0].blockers[0].application_name == "lock holder");
  CHECK(result.steps[0].blockers[0].state == "idle in transaction");
  CHECK(log.str().find("canceling statement due to lock timeout (SQLSTATE 55P03) on attempt 1 "
                       "of 31; blocked by pid " +
                       std::to_string(holder_pid) +
                       " (application \"lock holder\", state \"idle in transaction\"") !=
        std::string::npos);
  CHECK(result.remaining.empty());
}

TEST_CASE(
    "replacing a view does not lock the table under it: a reader of the table holding its "
    "lock neither blocks the step nor is blocked by it",
    "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10);"
      "CREATE VIEW v AS SELECT id FROM t");
  // As the planner declares a view's replacement: ACCESS EXCLUSIVE on the view.
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::ddl_step(
              "v", "replace view \"public.v\"",
              {"CREATE OR REPLACE VIEW public.v AS SELECT id, id * 2 AS twice FROM public.t"})});
  LockHolder holder(db);  // ACCESS SHARE on t, in an open transaction
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 100ms;
  options.retries = 2;

  const auto result = apply_plan(db.url(), plan, options);
  INFO(log.str());
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps_run == 1);
  CHECK(result.steps[0].retries == 0);
  CHECK(result.lock_wait < 100ms);
  CHECK(db.scalar("SELECT twice FROM v WHERE id = 3") == "6");
  // The reader's transaction is untouched and still reads the table.
  CHECK(holder.tx->exec("SELECT count(*) FROM public.t")[0][0].as<int>() == 10);
}

TEST_CASE("an interrupt while a step retries its locks stops before the next attempt, the step "
          "not run and not journaled",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  LockHolder holder(db);
  std::atomic<bool> stop{false};
  std::thread interrupt([&stop, &db] {
    await_lock_wait(db);
    std::this_thread::sleep_for(300ms);
    stop = true;
  });
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 100ms;
  options.retries = 100000;  // without the stop, the step would retry for hours
  options.stop = &stop;
  const auto result = apply_plan(db.url(), plan, options);
  interrupt.join();
  INFO(log.str());
  CHECK(result.stopped);
  CHECK(result.stopped_in_step == 0);  // between attempts, not between backfill batches
  CHECK(result.steps_run == 0);
  CHECK(log.str().find("stopped before attempt") != std::string::npos);
  CHECK_FALSE(has_note(db));
  CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_steps") == "0");
  // The lock released, the same plan applies from its first step.
  holder.tx->commit();
  options.stop = nullptr;
  const auto resumed = apply_plan(db.url(), plan, options);
  CHECK(resumed.steps_run == 1);
  CHECK(has_note(db));
}

TEST_CASE("a lock held past every retry fails the step with the lock timeout and the blocker",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  LockHolder holder(db);
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 50ms;
  options.retries = 2;

  try {
    apply_plan(db.url(), plan, options);
    FAIL("apply succeeded although the lock was never released");
  } catch (const ApplyError& e) {
    const std::string expected =
        "step 1 of 1 (" + std::string(kAddNote) +
        ") failed: canceling statement due to lock timeout (SQLSTATE 55P03) after 3 attempts; "
        "blocked by pid " +
        std::to_string(holder.conn.backendpid()) +
        " (application \"lock holder\", state \"idle in transaction\", transaction ";
    CHECK(std::string(e.what()).substr(0, expected.size()) == expected);
    CHECK(std::string(e.what()).find("query \"SELECT count(*) FROM public.t\")") !=
          std::string::npos);
    CHECK(e.step_id() == 1);
    CHECK(e.sqlstate() == "55P03");
  }
  holder.tx->commit();
  CHECK_FALSE(has_note(db));
}

TEST_CASE("a second apply on the same database is refused at once while the first runs",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  LockHolder holder(db);
  std::ostringstream first_log;
  auto first_options = pgshift::testing::test_options(first_log);
  first_options.lock_timeout_override = 50ms;
  first_options.retries = 200;
  auto first =
      std::async(std::launch::async, [&] { return apply_plan(db.url(), plan, first_options); });
  // The first apply holds its advisory lock once its step is waiting on `holder`.
  REQUIRE(pgshift::testing::wait_until(db.url(),
                                       "SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = "
                                       "current_database() AND application_name = "
                                       "'pgshift apply' AND wait_event_type = 'Lock'"));

  std::ostringstream second_log;
  const auto started = std::chrono::steady_clock::now();
  std::string refusal;
  try {
    apply_plan(db.url(), plan, pgshift::testing::test_options(second_log));
  } catch (const ApplyError& e) {
    refusal = e.what();
  }
  CHECK(seconds_since(started) < 1.0);
  CHECK(refusal.rfind(
            "another pgshift apply is running on database \"" + db.name() + "\" (backend pid ",
            0) == 0);
  CHECK(refusal.find("); wait for it to end") != std::string::npos);

  holder.tx->commit();
  const auto result = first.get();
  CHECK(result.steps_run == 1);
  CHECK(has_note(db));
}

TEST_CASE("a plan made before the database changed is refused and nothing is applied",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  db.exec("CREATE TABLE added_meanwhile (id int)");
  std::ostringstream log;

  try {
    apply_plan(db.url(), plan, pgshift::testing::test_options(log));
    FAIL("a stale plan was applied");
  } catch (const ApplyError& e) {
    const std::string message = e.what();
    CHECK(message.rfind("database \"" + db.name() +
                            "\" has changed since the plan was made "
                            "(catalog fingerprint ",
                        0) == 0);
    CHECK(message.find("plan made from " + plan.fingerprint + "); plan again") !=
          std::string::npos);
    CHECK(e.step_id() == 0);
  }
  CHECK_FALSE(has_note(db));
}

TEST_CASE("pre-flight set to abort refuses a step whose table an old transaction holds",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  LockHolder holder(db);
  std::this_thread::sleep_for(1100ms);
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.long_tx_threshold = std::chrono::seconds(1);
  options.on_long_tx = pgshift::plans::OnLongTx::Abort;

  try {
    apply_plan(db.url(), plan, options);
    FAIL("the step ran despite the old transaction");
  } catch (const ApplyError& e) {
    const std::string expected =
        "step 1 of 1 (" + std::string(kAddNote) +
        ") failed: long-running transactions hold or wait for locks on its tables (on "
        "\"public.t\": pid " +
        std::to_string(holder.conn.backendpid()) +
        " (application "
        "\"lock holder\"";
    CHECK(std::string(e.what()).substr(0, expected.size()) == expected);
  }
  CHECK_FALSE(has_note(db));
}

TEST_CASE("a dry run lists the statements and changes nothing", "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const auto plan = add_note_plan(db);
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.dry_run = true;

  const auto result = apply_plan(db.url(), plan, options);

  CHECK(result.steps_run == 0);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].outcome == pgshift::plans::StepOutcome::DryRun);
  CHECK(log.str().find("step 1 of 1: " + std::string(kAddNote) +
                       "\n  -- in one transaction, lock_timeout 200ms, statement_timeout 0ms\n"
                       "  ALTER TABLE public.t ADD COLUMN note text;\n") != std::string::npos);
  CHECK_FALSE(has_note(db));
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
}

TEST_CASE("a step locking a table, a table referencing it and its sequence takes them in the "
          "order writers do, so a writer between its reads and its inserts goes on",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE orders (id serial PRIMARY KEY);"
          "CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
          "  order_id integer NOT NULL CONSTRAINT payments_order_id_fkey REFERENCES orders (id))");
  // Its locks as the contract of expand/contract on orders.id declares them:
  // the referencing table and the sequence before the step's own table.
  auto step = pgshift::testing::ddl_step(
      "orders", "move the foreign key",
      {"ALTER TABLE public.payments DROP CONSTRAINT payments_order_id_fkey",
       "ALTER TABLE public.payments ADD CONSTRAINT payments_order_id_fkey FOREIGN KEY (order_id) "
       "REFERENCES public.orders (id) NOT VALID"});
  step.locks = {{"public", "payments", pgshift::plans::LockMode::AccessExclusive},
                {"public", "orders_id_seq", pgshift::plans::LockMode::ShareRowExclusive},
                {"public", "orders", pgshift::plans::LockMode::AccessExclusive}};
  const auto plan = pgshift::testing::plan_for(db, {step});

  // A writer has read orders; it will insert an order (nextval on its
  // sequence) and then the order's payment.
  pqxx::connection writer(db.url());
  pqxx::work tx(writer);
  tx.exec("SELECT count(*) FROM orders");
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 5s;
  options.retries = 0;
  auto apply = std::async(std::launch::async, [&] { return apply_plan(db.url(), plan, options); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (db.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                   "'public.orders'::regclass") == "0") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(10ms);
  }
  // The step waits for the writer's lock on orders, holding none of the
  // others: the writer's inserts do not wait for it (in another order the
  // two would wait for each other until the deadlock detector, 1 s).
  const auto started = std::chrono::steady_clock::now();
  const int order_id = tx.exec1("INSERT INTO orders DEFAULT VALUES RETURNING id")[0].as<int>();
  tx.exec0("INSERT INTO payments (order_id) VALUES (" + std::to_string(order_id) + ")");
  const double writes = seconds_since(started);
  tx.commit();
  std::optional<pgshift::plans::ApplyResult> result;
  std::string error;
  try {
    result = apply.get();
  } catch (const ApplyError& e) {
    error = e.what();
  }
  INFO(error);
  INFO(log.str());
  CHECK(writes < 0.5);
  REQUIRE(result);
  CHECK(result->steps_run == 1);
  CHECK(result->steps[0].retries == 0);
  CHECK(db.scalar("SELECT count(*) FROM payments") == "1");
}

TEST_CASE("a step the deadlock detector cancels is retried and succeeds", "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY); CREATE TABLE u (id bigint PRIMARY KEY)");
  // It locks u, then its statement needs t, which the holder reads; the
  // holder then reads u: each waits for the other.
  auto step = pgshift::testing::ddl_step("u", kAddNote, {"ALTER TABLE public.t ADD COLUMN note text"});
  const auto plan = pgshift::testing::plan_for(db, {step});
  LockHolder holder(db);
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 5s;  // over deadlock_timeout (1 s): the detector fires first
  options.retries = 3;
  auto apply = std::async(std::launch::async, [&] { return apply_plan(db.url(), plan, options); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (db.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                   "'public.t'::regclass") == "0") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(10ms);
  }
  holder.tx->exec("SELECT count(*) FROM public.u");  // waits until the step is cancelled
  holder.tx->commit();
  std::optional<pgshift::plans::ApplyResult> result;
  std::string error;
  try {
    result = apply.get();
  } catch (const ApplyError& e) {
    error = e.what();
  }
  INFO(error);
  INFO(log.str());
  REQUIRE(result);
  CHECK(result->steps[0].retries == 1);
  CHECK(has_note(db));
  CHECK(log.str().find("deadlock detected") != std::string::npos);
  CHECK(log.str().find("(SQLSTATE 40P01) on attempt 1 of 4") != std::string::npos);
}
