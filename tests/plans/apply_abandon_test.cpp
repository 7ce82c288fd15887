// Unfinished runs in the journal: another plan may not start while one is
// unfinished; abandoning it lets it, and the same plan then starts over.
#include <catch2/catch.hpp>
#include <memory>
#include <pqxx/pqxx>
#include <sstream>
#include <string>

#include "plans/apply.hpp"
#include "tests/plans/apply_test_support.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::plans::apply_plan;
using pgshift::plans::ApplyError;
using pgshift::plans::StepOutcome;
using pgshift::testing::TestDatabase;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("an unfinished run blocks other plans until abandoned, and its plan then starts over",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY, n int NOT NULL);"
          "INSERT INTO t VALUES (1, 0)");
  // Step 1 changes rows only, so the catalog (and the plan's freshness) stays
  // as planned; step 2 needs ACCESS EXCLUSIVE, which a reader holds.
  const auto plan = pgshift::testing::plan_for(
      db, {pgshift::testing::ddl_step("t", "count a run", {"UPDATE public.t SET n = n + 1"},
                                      pgshift::plans::LockMode::RowExclusive),
           pgshift::testing::ddl_step("t", "add column \"note\" to table \"public.t\"",
                                      {"ALTER TABLE public.t ADD COLUMN note text"})});
  const auto other = pgshift::testing::plan_for(
      db, {pgshift::testing::ddl_step("t", "add column \"other\" to table \"public.t\"",
                                      {"ALTER TABLE public.t ADD COLUMN other text"})});
  std::ostringstream log;
  auto options = pgshift::testing::test_options(log);
  options.lock_timeout_override = 50ms;
  options.retries = 0;
  pqxx::connection reader(db.url());
  auto read = std::make_unique<pqxx::work>(reader);
  read->exec("SELECT count(*) FROM t");
  CHECK_THROWS_AS(apply_plan(db.url(), plan, options), ApplyError);
  read->abort();
  CHECK(db.scalar("SELECT n FROM t") == "1");

  const auto unfinished = pgshift::plans::unfinished_applies(db.url());
  REQUIRE(unfinished.size() == 1);
  CHECK(unfinished[0].plan_hash == pgshift::plans::plan_hash(plan));
  CHECK(unfinished[0].steps == 2);
  CHECK(unfinished[0].steps_done == 1);
  CHECK(unfinished[0].desired_fingerprint.empty());
  REQUIRE(unfinished[0].plan.has_value());
  CHECK(*unfinished[0].plan == plan);

  CHECK_THROWS_WITH(apply_plan(db.url(), other, options),
                    Catch::Matchers::StartsWith(
                        "database \"" + db.name() + "\" has an unfinished apply of another plan "
                        "(plan " + pgshift::plans::plan_hash(plan) + ", started ") &&
                        Catch::Matchers::EndsWith(
                            ", 1 of 2 steps done): run the command that started it again to "
                            "resume it, or abandon it with `pgshift apply --abandon`, then plan "
                            "again"));
  CHECK(db.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'other'") == "0");

  const auto abandoned = pgshift::plans::abandon_unfinished_applies(db.url());
  REQUIRE(abandoned.size() == 1);
  CHECK(abandoned[0].plan_hash == pgshift::plans::plan_hash(plan));
  CHECK(pgshift::plans::unfinished_applies(db.url()).empty());

  // The same plan again is a new run: the abandoned run's steps are forgotten.
  const auto result = apply_plan(db.url(), plan, options);
  CHECK_FALSE(result.resumed);
  REQUIRE(result.steps.size() == 2);
  CHECK(result.steps[0].outcome == StepOutcome::Run);
  CHECK(result.remaining.empty());
  CHECK(db.scalar("SELECT n FROM t") == "2");
  CHECK(pgshift::plans::unfinished_applies(db.url()).empty());
}
