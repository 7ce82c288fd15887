// Plans whose steps take their declarations from the statement table: the
// declarations that were wrong before it (issue #10) are right in the plan.
#include <catch2/catch.hpp>

#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;
using plans::Hazard;
using plans::LockMode;

namespace {

const plans::Step* step_with(const plans::Plan& plan, const std::string& summary) {
  const int position = position_of(plan, summary);
  return position < 0 ? nullptr : &plan.steps[static_cast<size_t>(position)];
}

}  // namespace

TEST_CASE(
    "replacing a foreign key locks the table and the previously referenced table ACCESS "
    "EXCLUSIVE",
    "[planner][statements]") {
  auto current = database(
      {table("users"), table("accounts"), table("orders", {column("owner_id", "bigint")})});
  table_of(current, "orders")
      .foreign_keys.push_back(foreign_key("orders_owner_fkey", "owner_id", "users"));
  for (const char* name : {"users", "accounts", "orders"}) set_rows(current, name, 1000);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "orders").foreign_keys[0].ref_table = "accounts";
  const auto result = plan(current, desired);
  const auto* add =
      step_with(result, "add foreign key \"orders_owner_fkey\" of table \"public.orders\"");
  REQUIRE(add != nullptr);
  REQUIRE(add->statements.size() == 2);
  const std::vector<plans::RelationLock> locks = {
      {"public", "orders", LockMode::AccessExclusive},
      {"public", "users", LockMode::AccessExclusive},
      {"public", "accounts", LockMode::ShareRowExclusive}};
  CHECK(add->locks == locks);
  CHECK_FALSE(has_hazard(*add, Hazard::DataLoss));
}

TEST_CASE("validating a domain check locks every table using the domain SHARE",
          "[planner][statements]") {
  auto current = database({table("users", {column("email", "email_address")}),
                           table("logs", {column("note", "text")})});
  schemas::Domain domain;
  domain.name = "email_address";
  domain.base_type = "text";
  public_schema(current).domains.push_back(domain);
  auto desired = current;
  public_schema(desired).domains[0].checks.push_back({"has_at", "position('@' in VALUE) > 1"});
  const auto result = plan(current, desired);
  const auto* validate =
      step_with(result, "validate check \"has_at\" of domain \"public.email_address\"");
  REQUIRE(validate != nullptr);
  const std::vector<plans::RelationLock> locks = {{"public", "users", LockMode::Share}};
  CHECK(validate->locks == locks);
  CHECK(validate->duration == plans::DurationClass::BlockingScan);
}

TEST_CASE("altering a sequence locks it SHARE ROW EXCLUSIVE", "[planner][statements]") {
  auto current = database({});
  schemas::Sequence sequence;
  sequence.name = "ids";
  public_schema(current).sequences.push_back(sequence);
  auto desired = current;
  public_schema(desired).sequences[0].options.increment = 10;
  const auto result = plan(current, desired);
  REQUIRE(result.steps.size() == 1);
  const std::vector<plans::RelationLock> locks = {{"public", "ids", LockMode::ShareRowExclusive}};
  CHECK(result.steps[0].locks == locks);
}

TEST_CASE("drops of a sequence, a type, a view and a schema carry data_loss",
          "[planner][statements]") {
  auto current = database({table("users")});
  schemas::Sequence sequence;
  sequence.name = "ids";
  public_schema(current).sequences.push_back(sequence);
  public_schema(current).enums.push_back({"mood", {"ok"}, std::nullopt});
  schemas::View view;
  view.name = "v";
  view.definition = "SELECT 1";
  public_schema(current).views.push_back(view);
  schemas::Schema other;
  other.name = "old";
  current.schemas.push_back(other);
  auto desired = database({table("users")});
  desired.drop_schemas = {"old"};
  const auto result = plan(current, desired);
  for (const char* summary : {"drop sequence \"public.ids\"", "drop enum \"public.mood\"",
                              "drop view \"public.v\"", "drop schema \"old\""}) {
    INFO(summary << "\n" << planner::diff_summary(result));
    const auto* step = step_with(result, summary);
    REQUIRE(step != nullptr);
    CHECK(has_hazard(*step, Hazard::DataLoss));
  }
}

TEST_CASE("a dropped table with a serial key plans no DROP SEQUENCE for its owned sequence",
          "[planner][statements]") {
  auto current = database({table("keep"), table("orders")});
  schemas::Sequence sequence;
  sequence.name = "orders_id_seq";
  sequence.owned_by = "public.orders.id";
  public_schema(current).sequences.push_back(sequence);
  table_of(current, "orders").columns[0].default_expr = "nextval('orders_id_seq'::regclass)";
  const auto result = plan(current, database({table("keep")}));
  INFO(planner::diff_summary(result));
  CHECK(summaries(result) == std::vector<std::string>{"drop table \"public.orders\""});
}
