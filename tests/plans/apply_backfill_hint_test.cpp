// A backfill hint is one expression inside the batch UPDATE: a plan whose
// hint would reach outside the batch's bounds or its IS NULL guard is refused
// before anything runs, and a good hint fills only the NULL rows.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/test_db.hpp"

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::testing::TestDatabase;

namespace {

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
