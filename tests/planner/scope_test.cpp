// The planner manages only the schemas the desired state names (to keep or to
// drop), and flags a plan that would empty a schema it keeps.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;
using plans::Hazard;

namespace {

schemas::Schema schema_with(const std::string& name, std::vector<schemas::Table> tables) {
  schemas::Schema schema;
  schema.name = name;
  schema.tables = std::move(tables);
  return schema;
}

}  // namespace

TEST_CASE("a desired state naming no schema is an error and plans nothing", "[planner][scope]") {
  const schemas::Database current = database({table("orders"), table("customers")});
  const auto result = plan(current, schemas::Database{});
  CHECK(result.steps.empty());
  REQUIRE(plans::has_errors(result));
  CHECK(result.diagnostics[0].message.find("names no schema") != std::string::npos);
}

TEST_CASE("a current schema the desired state does not name is left alone", "[planner][scope]") {
  schemas::Database current = database({table("orders")});
  current.schemas.push_back(schema_with("legacy", {table("reports")}));
  schemas::canonicalize(current);
  const schemas::Database desired = database({table("orders")});
  const auto result = plan(current, desired);
  CHECK(result.steps.empty());
  CHECK(result.diagnostics.empty());
  CHECK(result.schemas == std::vector<std::string>{"public"});
}

TEST_CASE("a schema in drop_schemas is dropped after its tables, with data_loss on each",
          "[planner][scope]") {
  schemas::Database current = database({table("orders")});
  current.schemas.push_back(schema_with("legacy", {table("reports")}));
  schemas::canonicalize(current);
  schemas::Database desired = database({table("orders")});
  desired.drop_schemas = {"legacy"};
  const auto result = plan(current, desired);
  REQUIRE(summaries(result) == std::vector<std::string>{"drop table \"legacy.reports\"",
                                                        "drop schema \"legacy\""});
  CHECK(has_hazard(result.steps[0], Hazard::DataLoss));
  CHECK(has_hazard(result.steps[1], Hazard::DataLoss));
  CHECK_FALSE(has_hazard(result.steps[0], Hazard::EmptiesSchema));
  CHECK(result.schemas == std::vector<std::string>{"legacy", "public"});
}

TEST_CASE("dropping every table of a kept schema adds empties_schema and a warning",
          "[planner][scope]") {
  const schemas::Database current = database({table("orders"), table("customers")});
  const schemas::Database desired = database({});
  const auto result = plan(current, desired);
  REQUIRE(result.steps.size() == 2);
  for (const auto& step : result.steps) {
    CHECK(has_hazard(step, Hazard::DataLoss));
    CHECK(has_hazard(step, Hazard::EmptiesSchema));
  }
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].severity == plans::Severity::Warning);
  CHECK(result.diagnostics[0].message.find("drops every table of schema \"public\" (2 tables)") !=
        std::string::npos);
}

TEST_CASE("a table kept by rename keeps the schema from being flagged as emptied",
          "[planner][scope]") {
  const schemas::Database current = database({table("orders")});
  schemas::Database desired = database({table("purchases")});
  table_of(desired, "purchases").renamed_from = "orders";
  const auto result = plan(current, desired);
  for (const auto& step : result.steps) CHECK_FALSE(has_hazard(step, Hazard::EmptiesSchema));
  CHECK(result.diagnostics.empty());
}
