// What the applier reads out of a plan without a database: the index a
// CREATE INDEX CONCURRENTLY builds, and the plan's identity.
#include <catch2/catch.hpp>

#include "plans/apply.hpp"
#include "plans/apply_applier.hpp"

using pgshift::plans::detail::concurrent_index_build;

TEST_CASE("the index a concurrent build creates is read through quoting and IF NOT EXISTS",
          "[plans]") {
  const auto bare = concurrent_index_build("CREATE INDEX CONCURRENTLY Orders_Idx ON t (a)", "s");
  REQUIRE(bare);
  CHECK(bare->schema == "s");
  CHECK(bare->name == "orders_idx");

  const auto quoted = concurrent_index_build(
      "create unique index concurrently if not exists \"A\"\"b\" on only \"Sales\".orders (id)",
      "public");
  REQUIRE(quoted);
  CHECK(quoted->schema == "Sales");
  CHECK(quoted->name == "A\"b");
}

TEST_CASE("statements other than a named concurrent index build are not index builds", "[plans]") {
  CHECK_FALSE(concurrent_index_build("CREATE INDEX i ON t (a)", "public"));
  CHECK_FALSE(concurrent_index_build("CREATE INDEX CONCURRENTLY ON t (a)", "public"));
  CHECK_FALSE(concurrent_index_build("DROP INDEX CONCURRENTLY i", "public"));
}

TEST_CASE("the plan hash changes with what runs and not with what is described", "[plans]") {
  pgshift::plans::Plan plan;
  plan.fingerprint = "0123456789abcdef";
  pgshift::plans::Step step;
  step.id = 1;
  step.summary = "add column \"a\" to table \"public.t\"";
  step.statements = {"ALTER TABLE t ADD COLUMN a int"};
  plan.steps = {step};
  const std::string hash = pgshift::plans::plan_hash(plan);
  CHECK(hash.size() == 16);

  auto reworded = plan;
  reworded.steps[0].summary = "add a column";
  CHECK(pgshift::plans::plan_hash(reworded) == hash);

  auto changed = plan;
  changed.steps[0].statements[0] = "ALTER TABLE t ADD COLUMN b int";
  CHECK(pgshift::plans::plan_hash(changed) != hash);

  auto slower = plan;
  slower.steps[0].lock_timeout = std::chrono::milliseconds(500);
  CHECK(pgshift::plans::plan_hash(slower) != hash);
}
