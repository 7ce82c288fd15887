// Health-aware pacing of backfills on a real server: a backfill pauses
// before a batch while another session holds a lock its batches need, and
// while a signal is over its threshold, says which and for how long, then
// resumes and fills every row.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyResult;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTable =
    "CREATE TABLE t (id uuid PRIMARY KEY, rid integer NOT NULL, v bigint);"
    "INSERT INTO t SELECT md5(g::text)::uuid, g, NULL FROM generate_series(1, 3000) g;"
    "ANALYZE t";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// apply_plan on a thread of its own, while the test acts on the server; the
// result or the failure is read after join().
struct ApplyInBackground {
  ApplyResult result;
  std::string failure;
  std::thread thread;

  ApplyInBackground(const std::string& url, const pgshift::plans::Plan& plan,
                    const pgshift::plans::ApplyOptions& options)
      : thread([this, url, &plan, &options] {
          try {
            result = apply_plan(url, plan, options);
          } catch (const std::exception& e) {
            failure = e.what();
          }
        }) {}
  void join() { thread.join(); }
};

// Test options with every measured pacing signal off: a test turns on the
// one it checks.
pgshift::plans::ApplyOptions signals_off(std::ostringstream& log) {
  auto options = pgshift::testing::test_options(log);
  options.pacing.max_replica_lag = 0ms;
  options.pacing.max_wal_rate = 0;
  options.pacing.max_transaction_age = std::chrono::seconds(0);
  options.pacing.pause_for_autovacuum = false;
  return options;
}

}  // namespace

TEST_CASE("a backfill pauses while a session holds a lock its batches need, then resumes",
          "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 100)});
  pqxx::connection holder(db.url());
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE t IN SHARE MODE");
  const int holder_pid = holder.backendpid();

  std::ostringstream log;
  std::ostringstream json;
  auto options = pgshift::testing::test_options(log);
  options.pacing.check_interval = 50ms;
  options.json_log = &json;
  ApplyInBackground apply(db.url(), plan, options);
  // Paused, not queued behind the lock: the applier's session waits on no lock.
  std::this_thread::sleep_for(1500ms);
  const std::string waiting = db.scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgshift apply%' "
      "AND wait_event_type = 'Lock'");
  const std::string filled = db.scalar("SELECT count(v) FROM t");
  hold.commit();
  apply.join();
  const ApplyResult& result = apply.result;
  const std::string& failure = apply.failure;
  INFO(log.str());
  REQUIRE(failure.empty());
  CHECK(waiting == "0");
  CHECK(filled == "0");
  CHECK(contains(log.str(), "  paused: pid " + std::to_string(holder_pid) +
                                " holds ShareLock on the table, which the batches' ROW "
                                "EXCLUSIVE waits for\n"));
  CHECK(contains(log.str(), "s paused (table_lock)\n"));
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].paused >= 1000ms);
  CHECK(result.rows_backfilled == 3000);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
  CHECK(contains(json.str(), "\"event\":\"backfill_paused\""));
  CHECK(contains(json.str(), "\"event\":\"backfill_resumed\""));
}

TEST_CASE(
    "a backfill pauses while a signal is over its threshold, says which and how long, "
    "then resumes",
    "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 100)});
  const pgshift::testing::TempDir dir;
  const std::string inject = dir.write("signals", "replica_lag 5\n");

  std::ostringstream log;
  std::ostringstream json;
  auto options = pgshift::testing::test_options(log);
  options.pacing.check_interval = 50ms;
  options.pacing.inject_file = inject;
  options.progress_interval = std::chrono::seconds(1);
  options.json_log = &json;
  ApplyInBackground apply(db.url(), plan, options);
  std::this_thread::sleep_for(1500ms);
  const std::string filled = db.scalar("SELECT count(v) FROM t");
  dir.write("signals", "replica_lag 0.2\n");
  apply.join();
  const ApplyResult& result = apply.result;
  const std::string& failure = apply.failure;
  INFO(log.str());
  REQUIRE(failure.empty());
  CHECK(filled == "0");
  CHECK(contains(log.str(), "  paused: replica lag 5.0s over --max-replica-lag 1.00s\n"));
  CHECK(contains(log.str(), "  still paused after 1."));
  CHECK(contains(log.str(), "s paused (replica_lag)\n"));
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].paused >= 1000ms);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
  CHECK(
      contains(json.str(), "\"pacing\":\"paused: replica lag 5.0s over --max-replica-lag 1.00s\""));
  CHECK(contains(json.str(), "\"event\":\"backfill_done\""));
}

TEST_CASE("the progress of a backfill of a table never analyzed counts its rows to do from its "
          "size, not as done after the first batch",
          "[plans][db]") {
  TestDatabase db;
  // No ANALYZE, no autovacuum: pg_class still says no rows in no pages.
  db.exec("CREATE TABLE t (id integer PRIMARY KEY, v bigint) WITH (autovacuum_enabled = off);"
          "INSERT INTO t SELECT g, NULL FROM generate_series(1, 20000) g;");
  REQUIRE(db.scalar("SELECT relpages FROM pg_class WHERE relname = 't'") == "0");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "id * 2", "v IS NULL", 1000)});
  std::ostringstream log;
  std::ostringstream json;
  auto options = signals_off(log);
  options.progress_interval = std::chrono::seconds(0);
  options.json_log = &json;
  const auto result = apply_plan(db.url(), plan, options);
  INFO(json.str());
  CHECK(result.rows_backfilled == 20000);
  // The first progress line: its batch of about 20,000 (88 blocks at the
  // guessed 100 rows each), not its batch of its batch (100%).
  std::istringstream lines(json.str());
  std::string line;
  while (std::getline(lines, line) && !contains(line, "\"event\":\"backfill_progress\"")) {
  }
  REQUIRE(contains(line, "\"event\":\"backfill_progress\""));
  const auto at = line.find("\"rows_total\":");
  REQUIRE(at != std::string::npos);
  const long total = std::stol(line.substr(at + 13));
  CHECK(total >= 5000);
  CHECK(total <= 40000);
}

TEST_CASE("a threshold of zero turns its signal off", "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 1000)});
  const pgshift::testing::TempDir dir;
  const std::string inject =
      dir.write("signals", "replica_lag 50\nwal_rate 1e12\ntransaction_age 100000\nautovacuum 1\n");
  std::ostringstream log;
  auto options = signals_off(log);
  options.pacing.inject_file = inject;
  const auto result = apply_plan(db.url(), plan, options);
  INFO(log.str());
  CHECK_FALSE(contains(log.str(), "paused"));
  CHECK(result.rows_backfilled == 3000);
}

TEST_CASE("a backfill whose batches made sessions wait halves its batches, then grows them again",
          "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 400)});
  const pgshift::testing::TempDir dir;
  const std::string inject = dir.write("signals", "blocked_sessions 5\n");
  std::ostringstream log;
  std::ostringstream json;
  // Only the signal under test: WAL other tests write, or an autovacuum of
  // the new table, would pause the backfill instead.
  auto options = signals_off(log);
  options.pacing.check_interval = 100ms;
  options.pacing.inject_file = inject;
  options.progress_interval = std::chrono::seconds(0);
  options.json_log = &json;
  ApplyInBackground apply(db.url(), plan, options);
  // Batches of 200, then 100 (halved before each) have filled 300 rows.
  const bool halved_twice =
      pgshift::testing::wait_until(db.url(), "SELECT count(v) >= 300 FROM t", 20s);
  dir.write("signals", "");
  apply.join();
  CHECK(halved_twice);
  INFO(log.str());
  REQUIRE(apply.failure.empty());
  CHECK(contains(log.str(),
                 "  slowing down: 5 sessions waited for the last batch's locks, over "
                 "--max-blocked-sessions 2; halving the batches\n"));
  CHECK(contains(json.str(), "\"batch_size\":200,"));
  CHECK(contains(json.str(), "\"batch_size\":100,"));
  CHECK(contains(json.str(), "\"event\":\"backfill_slowed\""));
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
}

TEST_CASE(
    "a pause ends when its signal is down, even while sessions blocked by batches stay over "
    "their threshold",
    "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 400)});
  const pgshift::testing::TempDir dir;
  const std::string inject = dir.write("signals", "replica_lag 5\nblocked_sessions 5\n");
  std::ostringstream log;
  auto options = signals_off(log);
  options.pacing.max_replica_lag = 1000ms;
  options.pacing.check_interval = 50ms;
  options.pacing.inject_file = inject;
  ApplyInBackground apply(db.url(), plan, options);
  std::this_thread::sleep_for(500ms);
  const std::string filled_while_lagging = db.scalar("SELECT count(v) FROM t");
  dir.write("signals", "blocked_sessions 5\n");
  // Resumed at 400 rows, then halving: 400 + 200 + 100 rows.
  const bool resumed = pgshift::testing::wait_until(db.url(), "SELECT count(v) >= 700 FROM t", 20s);
  dir.write("signals", "");
  apply.join();
  INFO(log.str());
  REQUIRE(apply.failure.empty());
  CHECK(filled_while_lagging == "0");
  CHECK(resumed);
  CHECK(contains(log.str(), "s paused (replica_lag)\n"));
  CHECK(contains(log.str(), "; halving the batches\n"));
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
}

// The signals as the server reports them, nothing injected: a transaction
// held open in another session, a vacuum running on the table (slowed down by
// its cost delay so that it lasts), and the WAL the backfill's own batches
// write, over a low --max-wal-rate.
TEST_CASE(
    "a backfill pauses for what the server measures: an old transaction, a vacuum of the "
    "table, WAL over its rate",
    "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer PRIMARY KEY, rid integer NOT NULL, payload text, v bigint);"
      "INSERT INTO t SELECT g, g, repeat('p', 200), NULL FROM generate_series(1, 30000) g;"
      "ANALYZE t");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 3000)});
  std::ostringstream log;
  // Only the signal under test.
  auto options = signals_off(log);
  options.pacing.check_interval = 50ms;
  options.batch_target = 0ms;
  ApplyResult result;
  // Runs the apply to its end on a thread while the section acts.
  const auto run_apply = [&](const std::function<void()>& meanwhile) {
    ApplyInBackground apply(db.url(), plan, options);
    meanwhile();
    apply.join();
    INFO(log.str());
    REQUIRE(apply.failure.empty());
    result = apply.result;
  };

  SECTION("a transaction open longer than --max-transaction-age") {
    options.pacing.max_transaction_age = std::chrono::seconds(1);
    pqxx::connection holder(db.url());
    pqxx::work open(holder);
    open.exec("SELECT 1");
    std::this_thread::sleep_for(1200ms);
    std::string filled;
    run_apply([&] {
      std::this_thread::sleep_for(1000ms);
      filled = db.scalar("SELECT count(v) FROM t");
      open.commit();
    });
    CHECK(filled == "0");
    CHECK(contains(log.str(), "  paused: the oldest transaction is "));
    CHECK(contains(log.str(), " old, over --max-transaction-age 1.00s\n"));
    CHECK(contains(log.str(), "s paused (transaction_age)\n"));
  }

  SECTION("a vacuum running on the table") {
    options.pacing.pause_for_autovacuum = true;
    pqxx::connection vacuum_conn(db.url());
    const int vacuum_pid = vacuum_conn.backendpid();
    std::thread vacuum([&] {
      try {
        pqxx::nontransaction tx(vacuum_conn);
        tx.exec("SET vacuum_cost_delay = 100");
        tx.exec("SET vacuum_cost_limit = 1");
        tx.exec("VACUUM t");
      } catch (const std::exception&) {
        // Cancelled below, as intended.
      }
    });
    REQUIRE(pgshift::testing::wait_until(
        db.url(), "SELECT count(*) > 0 FROM pg_stat_progress_vacuum WHERE relid = 't'::regclass",
        10s));
    std::string filled;
    std::string still_vacuuming;
    run_apply([&] {
      std::this_thread::sleep_for(1000ms);
      filled = db.scalar("SELECT count(v) FROM t");
      still_vacuuming =
          db.scalar("SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 't'::regclass");
      db.scalar("SELECT pg_cancel_backend(" + std::to_string(vacuum_pid) + ")");
      vacuum.join();
    });
    REQUIRE(still_vacuuming == "1");
    CHECK(filled == "0");
    CHECK(contains(log.str(), "  paused: a vacuum is running on the table\n"));
    CHECK(contains(log.str(), "s paused (autovacuum)\n"));
  }

  SECTION("WAL written faster than --max-wal-rate") {
    // A batch of 3,000 rows of 200 bytes writes about 1 MB of WAL in a few
    // tens of milliseconds. Held to 6 MB/s, each batch but the last waits
    // until the average since the last reading under the rate is back
    // under it: over a tenth of a second a batch, over 0.8 s for the 9
    // batches that are followed by another (more while other sessions
    // write WAL too, less than 10 s after they stop).
    options.pacing.max_wal_rate = 6 * 1024 * 1024;
    run_apply([] {});
    CHECK(contains(log.str(), "  paused: WAL "));
    CHECK(contains(log.str(), " MB/s over --max-wal-rate 6.0 MB/s\n"));
    CHECK(contains(log.str(), "s paused (wal_rate)\n"));
    REQUIRE(result.steps.size() == 1);
    INFO("paused " << result.steps[0].paused.count() << " ms");
    CHECK(result.steps[0].paused >= 800ms);
  }

  REQUIRE(result.rows_backfilled == 30000);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "30000");
}

// Sessions that queue on the rows a batch holds, counted by the lock monitor
// while the batch runs (a trigger makes each batch last about a second).
TEST_CASE("a backfill halves its batches after a batch made sessions wait, as the server reports",
          "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer PRIMARY KEY, rid integer NOT NULL, v bigint);"
      "INSERT INTO t SELECT g, g, NULL FROM generate_series(1, 3000) g;"
      "ANALYZE t;"
      "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_sleep(0.001); RETURN NEW; END $$;"
      "CREATE TRIGGER t_slow BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION slow()");
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 1000)});
  std::ostringstream log;
  auto options = signals_off(log);
  options.batch_target = 0ms;
  options.pacing.check_interval = 50ms;
  // The writers' sessions are opened first: under load a new connection
  // can take longer than the batch they must queue behind.
  std::vector<std::unique_ptr<pqxx::connection>> sessions;
  for (int id = 1; id <= 3; ++id) sessions.push_back(std::make_unique<pqxx::connection>(db.url()));
  ApplyInBackground apply(db.url(), plan, options);
  // Three writers of rows the first batch has already updated wait for it.
  // The batch is running once the applier holds ROW EXCLUSIVE on t (its
  // journal's UPDATEs touch other tables); the rows it takes first, 1 to 3,
  // are updated within milliseconds of that, of a batch lasting seconds.
  const bool batch_running = pgshift::testing::wait_until(
      db.url(),
      "SELECT (SELECT count(v) FROM t) = 0 AND EXISTS (SELECT FROM pg_locks l JOIN "
      "pg_stat_activity a ON a.pid = l.pid WHERE a.application_name LIKE 'pgshift apply%' "
      "AND l.relation = 't'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted)",
      20s);
  std::this_thread::sleep_for(200ms);
  std::vector<std::thread> writers;
  for (int id = 1; id <= 3; ++id) {
    writers.emplace_back([&sessions, id] {
      pqxx::work tx(*sessions[static_cast<std::size_t>(id - 1)]);
      tx.exec_params("UPDATE t SET rid = rid WHERE id = $1", id);
      tx.commit();
    });
  }
  for (auto& writer : writers) writer.join();
  apply.join();
  const ApplyResult& result = apply.result;
  const std::string& failure = apply.failure;
  INFO(log.str());
  REQUIRE(batch_running);
  REQUIRE(failure.empty());
  CHECK(contains(log.str(),
                 "  slowing down: 3 sessions waited for the last batch's locks, over "
                 "--max-blocked-sessions 2; halving the batches\n"));
  CHECK(result.rows_backfilled == 3000);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
}
