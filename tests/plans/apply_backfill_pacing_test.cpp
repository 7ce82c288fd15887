// Health-aware pacing of backfills on a real server: a backfill pauses
// before a batch while another session holds a lock its batches need, and
// while a signal is over its threshold, says which and for how long, then
// resumes and fills every row.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
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
  ApplyResult result;
  std::string failure;
  std::thread apply([&] {
    try {
      result = apply_plan(db.url(), plan, options);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // Paused, not queued behind the lock: the applier's session waits on no lock.
  std::this_thread::sleep_for(1500ms);
  const std::string waiting = db.scalar(
      "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgshift apply%' "
      "AND wait_event_type = 'Lock'");
  const std::string filled = db.scalar("SELECT count(v) FROM t");
  hold.commit();
  apply.join();
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

TEST_CASE("a backfill pauses while a signal is over its threshold, says which and how long, "
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
  ApplyResult result;
  std::string failure;
  std::thread apply([&] {
    try {
      result = apply_plan(db.url(), plan, options);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  std::this_thread::sleep_for(1500ms);
  const std::string filled = db.scalar("SELECT count(v) FROM t");
  dir.write("signals", "replica_lag 0.2\n");
  apply.join();
  INFO(log.str());
  REQUIRE(failure.empty());
  CHECK(filled == "0");
  CHECK(contains(log.str(), "  paused: replica lag 5.0s over --max-replica-lag 1.00s\n"));
  CHECK(contains(log.str(), "  still paused after 1."));
  CHECK(contains(log.str(), "s paused (replica_lag)\n"));
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].paused >= 1000ms);
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
  CHECK(contains(json.str(),
                 "\"pacing\":\"paused: replica lag 5.0s over --max-replica-lag 1.00s\""));
  CHECK(contains(json.str(), "\"event\":\"backfill_done\""));
}

TEST_CASE("a threshold of zero turns its signal off", "[plans][db]") {
  TestDatabase db;
  db.exec(kTable);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "rid * 2", "v IS NULL", 1000)});
  const pgshift::testing::TempDir dir;
  const std::string inject = dir.write(
      "signals", "replica_lag 50\nwal_rate 1e12\ntransaction_age 100000\nautovacuum 1\n");
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.pacing.inject_file = inject;
  options.pacing.max_replica_lag = 0ms;
  options.pacing.max_wal_rate = 0;
  options.pacing.max_transaction_age = std::chrono::seconds(0);
  options.pacing.pause_for_autovacuum = false;
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
  auto options = pgshift::testing::test_options(log);
  options.pacing.check_interval = 100ms;
  options.pacing.inject_file = inject;
  options.progress_interval = std::chrono::seconds(0);
  options.json_log = &json;
  ApplyResult result;
  std::string failure;
  std::thread apply([&] {
    try {
      result = apply_plan(db.url(), plan, options);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  // Batches of 200, then 100 (halved before each) have filled 300 rows.
  const bool halved_twice =
      pgshift::testing::wait_until(db.url(), "SELECT count(v) >= 300 FROM t", 20s);
  dir.write("signals", "");
  apply.join();
  CHECK(halved_twice);
  INFO(log.str());
  REQUIRE(failure.empty());
  CHECK(contains(log.str(), "  slowing down: 5 sessions waited for the last batch's locks, over "
                            "--max-blocked-sessions 2; halving the batches\n"));
  CHECK(contains(json.str(), "\"batch_size\":200,"));
  CHECK(contains(json.str(), "\"batch_size\":100,"));
  CHECK(contains(json.str(), "\"event\":\"backfill_slowed\""));
  CHECK(db.scalar("SELECT count(*) FROM t WHERE v = rid * 2") == "3000");
}
