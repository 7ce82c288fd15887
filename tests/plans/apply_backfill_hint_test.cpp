// A backfill hint is one expression inside the batch UPDATE: a plan whose
// hint would reach outside the batch's bounds or its IS NULL guard is refused
// before anything runs, and a good hint fills only the NULL rows.
#include <atomic>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "plans/apply.hpp"
#include "plans/render_json.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::testing::TestDatabase;

namespace {

// A log that sets `stop` once it has been written `marker`: the applier
// then stops at its next safe point.
class StopAfter : public std::stringbuf {
 public:
  StopAfter(std::string marker, std::atomic<bool>& stop)
      : marker_(std::move(marker)), stop_(stop) {}

 protected:
  int sync() override {
    if (str().find(marker_) != std::string::npos) stop_ = true;
    return 0;
  }
  std::streamsize xsputn(const char* text, std::streamsize count) override {
    const std::streamsize written = std::stringbuf::xsputn(text, count);
    sync();
    return written;
  }

 private:
  std::string marker_;
  std::atomic<bool>& stop_;
};

constexpr const char* kRows =
    "SELECT count(v) || ':' || coalesce(sum(v), 0) || ':' || count(*) FILTER (WHERE v = -1) FROM t";

void fill(const TestDatabase& db) {
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, v bigint);"
      "INSERT INTO t SELECT g, CASE WHEN g <= 50 THEN g END FROM generate_series(1, 100) g");
}

}  // namespace

TEST_CASE("a backfill hint that escapes its expression is refused and changes no row",
          "[plans][db]") {
  TestDatabase db;
  fill(db);
  const std::string before = db.scalar(kRows);
  REQUIRE(before == "50:1275:0");
  for (const char* hint : {"-1 WHERE $1::bigint IS NOT NULL AND $2::bigint IS NOT NULL --",
                           "-1) WHERE (true", "-1) WHERE true --", "-1; UPDATE t SET v = -1"}) {
    INFO(hint);
    const auto plan = pgshift::testing::plan_for(
        db, {pgshift::testing::backfill_step("t", "id", "v", hint, "v IS NULL", 10)});
    std::ostringstream log;
    try {
      apply_plan(db.url(), plan, pgshift::testing::test_options(log));
      FAIL("the plan was applied");
    } catch (const ApplyError& e) {
      CHECK_THAT(e.what(), Catch::StartsWith("refusing the plan: step 1 (backfill column \"v\" of "
                                             "table \"public.t\"): the backfill value is not one "
                                             "expression: "));
    }
    CHECK(db.scalar(kRows) == before);
  }
  const auto guard = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "-1", "v IS NULL) OR (true", 10)});
  std::ostringstream log;
  CHECK_THROWS_WITH(apply_plan(db.url(), guard, pgshift::testing::test_options(log)),
                    Catch::Contains("the backfill condition is not one expression"));
  CHECK(db.scalar(kRows) == before);
}

TEST_CASE("a backfill hint fills only the NULL rows, parenthesised in the batch UPDATE",
          "[plans][db]") {
  TestDatabase db;
  fill(db);
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::backfill_step("t", "id", "v", "0 - 1", "v IS NULL", 10)});
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.dry_run = true;
  apply_plan(db.url(), plan, options);
  CHECK_THAT(log.str(), Catch::Contains("UPDATE public.t SET v = (0 - 1) WHERE (id) > ($1) AND "
                                        "(id) <= ($2) AND (v IS NULL)"));
  options.dry_run = false;
  apply_plan(db.url(), plan, options);
  CHECK(db.scalar(kRows) == "100:1225:50");
}

TEST_CASE(
    "rows inserted without a new NOT NULL column while its backfill ran are filled before "
    "the VALIDATE, on the run and on its resumption",
    "[plans][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a int);"
      "INSERT INTO t (a) SELECT g FROM generate_series(1, 5000) g; ANALYZE t");
  pgshift::testing::TempDir dir;
  const std::string yaml = dir.write("t.yaml",
                                     "schemas:\n"
                                     "  public:\n"
                                     "    tables:\n"
                                     "      t:\n"
                                     "        columns:\n"
                                     "          id: { type: bigint, identity: always }\n"
                                     "          a: integer\n"
                                     "          b: { type: integer, nullable: false, backfill: "
                                     "\"a * 2\" }\n"
                                     "        primary_key: [id]\n"
                                     "        backfill_batch_size: 1000\n");
  const std::string file = dir.path() + "/plan.json";
  // Before PostgreSQL 12, SET NOT NULL scans the table under its lock.
  const auto planned =
      pgshift::testing::run_command({PGSHIFT_BIN, "plan", "--db", db.url(), "--schema", yaml, "-o",
                                     file, "--allow-hazard", "access_exclusive_scan"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  const auto plan = pgshift::plans::plan_from_json(dir.read("plan.json"));
  // add the column, backfill, CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the check
  REQUIRE(plan.steps.size() == 6);
  REQUIRE(plan.steps[1].backfill);

  // The run stops once the backfill is done; the application then inserts
  // rows without the column, as it may until the NOT VALID check is there.
  std::atomic<bool> stop{false};
  StopAfter watcher("step 2 of 6: done", stop);
  std::ostream log(&watcher);
  std::ostringstream unused;
  auto options = pgshift::testing::test_options(unused);
  options.log = &log;
  options.stop = &stop;
  const auto first = apply_plan(db.url(), plan, options);
  INFO(watcher.str());
  REQUIRE(first.stopped);
  REQUIRE(db.scalar("SELECT count(*) FROM t WHERE b IS NULL") == "0");
  db.exec("INSERT INTO t (a) SELECT g FROM generate_series(5001, 5040) g");

  options.stop = nullptr;
  const auto resumed = apply_plan(db.url(), plan, options);
  CHECK(resumed.steps_run == 4);
  CHECK(resumed.rows_backfilled == 40);
  CHECK(watcher.str().find("step 4 of 6: 40 rows where \"b\" is NULL, inserted without it while "
                           "step 2 of 6 ran or after: the backfill (a * 2) runs again over the "
                           "rows still NULL first") != std::string::npos);
  CHECK(watcher.str().find("step 4 of 6: the backfill filled 40 more rows") != std::string::npos);
  CHECK(db.scalar("SELECT count(*) || ':' || count(*) FILTER (WHERE b = a * 2) FROM t") ==
        "5040:5040");
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND "
                  "attname = 'b'") == "t");
  // The NOT NULL check now refuses an INSERT without the column.
  CHECK_THROWS(db.exec("INSERT INTO t (a) VALUES (1)"));
}
