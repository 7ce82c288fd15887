// Ordering: dependencies first, ties broken by the stable key, cycles named.
#include "planner/order.hpp"

#include <catch2/catch.hpp>

#include "plans/render_json.hpp"
#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;

TEST_CASE("circular foreign keys create both tables, then add both keys", "[planner][order]") {
  auto a = table("a", {column("b_id", "bigint")});
  a.foreign_keys.push_back(foreign_key("a_b_fkey", "b_id", "b", "id"));
  auto b = table("b", {column("a_id", "bigint")});
  b.foreign_keys.push_back(foreign_key("b_a_fkey", "a_id", "a", "id"));
  const auto result = plan(database({}), database({a, b}));
  CHECK(summaries(result) ==
        std::vector<std::string>{"create table \"public.a\"", "create table \"public.b\"",
                                 "add foreign key \"a_b_fkey\" of table \"public.a\"",
                                 "add foreign key \"b_a_fkey\" of table \"public.b\""});
  CHECK(result.steps[2].depends_on == std::vector<int>{1, 2});
}

TEST_CASE("a new table comes before the foreign key that references it", "[planner][order]") {
  auto current = database({table("orders", {column("customer_id", "bigint")})});
  set_rows(current, "orders", 100);
  auto orders = table("orders", {column("customer_id", "bigint")});
  orders.foreign_keys.push_back(
      foreign_key("orders_customer_fkey", "customer_id", "customers", "id"));
  const auto result = plan(current, database({orders, table("customers")}));
  CHECK(position_of(result, "create table \"public.customers\"") <
        position_of(result, "add foreign key \"orders_customer_fkey\" of table \"public.orders\""));
}

TEST_CASE("the referenced unique key is built before the foreign key", "[planner][order]") {
  auto current = database({table("accounts", {column("code", "text")}),
                           table("entries", {column("account_code", "text")})});
  set_rows(current, "accounts", 100);
  set_rows(current, "entries", 100);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "accounts").unique_constraints.push_back({"accounts_code_key", {"code"}});
  table_of(desired, "entries")
      .foreign_keys.push_back(
          foreign_key("entries_account_fkey", "account_code", "accounts", "code"));
  const auto result = plan(current, desired);
  CHECK(
      position_of(result,
                  "add unique constraint \"accounts_code_key\" of table "
                  "\"public.accounts\" using its index") <
      position_of(result, "add foreign key \"entries_account_fkey\" of table \"public.entries\""));
}

TEST_CASE("a foreign key is dropped before the table it references", "[planner][order]") {
  auto orders = table("orders", {column("customer_id", "bigint")});
  orders.foreign_keys.push_back(
      foreign_key("orders_customer_fkey", "customer_id", "customers", "id"));
  const auto current = database({orders, table("customers")});
  const auto result = plan(current, database({table("orders", {column("customer_id", "bigint")})}));
  CHECK(summaries(result) ==
        std::vector<std::string>{
            "drop foreign key \"orders_customer_fkey\" of table \"public.orders\"",
            "drop table \"public.customers\""});
}

TEST_CASE("constraints and indexes are dropped before their columns", "[planner][order]") {
  auto current = database({table("t", {column("zone", "text")})});
  table_of(current, "t").unique_constraints.push_back({"a_zone_key", {"zone"}});
  const auto result = plan(current, database({table("t")}));
  CHECK(summaries(result) ==
        std::vector<std::string>{"drop unique constraint \"a_zone_key\" of table \"public.t\"",
                                 "drop column \"zone\" of table \"public.t\""});
  CHECK(result.steps[1].depends_on == std::vector<int>{1});
}

TEST_CASE("a view on a dropped column is dropped before the column", "[planner][order]") {
  auto current = database({table("t", {column("legacy", "text")})});
  public_schema(current).views.push_back({"a_view", "SELECT legacy FROM t"});
  current.facts.dependencies.push_back({{schemas::ObjectKind::View, "public", "", "a_view"},
                                        {schemas::ObjectKind::Table, "public", "", "t"},
                                        "legacy"});
  const auto result = plan(current, database({table("t")}));
  CHECK(summaries(result) ==
        std::vector<std::string>{"drop view \"public.a_view\"",
                                 "drop column \"legacy\" of table \"public.t\""});
}

TEST_CASE("types come before the tables that use them and are dropped after", "[planner][order]") {
  auto desired = database({table("z", {column("mood", "mood")})});
  public_schema(desired).enums.push_back({"mood", {"sad", "happy"}});
  auto result = plan(database({}), desired);
  CHECK(summaries(result) ==
        std::vector<std::string>{"create enum \"public.mood\"", "create table \"public.z\""});
  result = plan(desired, database({}));
  CHECK(summaries(result) ==
        std::vector<std::string>{"drop table \"public.z\"", "drop enum \"public.mood\""});
}

TEST_CASE("the same input gives a byte-identical plan", "[planner][order]") {
  auto current = database({table("users", {column("email", "text")}), table("orders")});
  set_rows(current, "users", 1000);
  auto desired =
      database({table("users", {column("email", "text", true), column("age", "int", false, "0")}),
                table("orders", {column("user_id", "bigint")}), table("invoices")});
  table_of(desired, "orders")
      .foreign_keys.push_back(foreign_key("orders_user_fkey", "user_id", "users", "id"));
  const std::string first = plans::render_json(plan(current, desired));
  for (int run = 0; run < 5; ++run) CHECK(plans::render_json(plan(current, desired)) == first);
}

TEST_CASE("the order keeps the stable key where dependencies allow", "[planner][order]") {
  const auto outcome = planner::order_topologically(4, {{3, 0}});
  CHECK(outcome.order == std::vector<size_t>{1, 2, 3, 0});
  CHECK(outcome.cycle.empty());
}

TEST_CASE("a dependency cycle is reported with every element", "[planner][order]") {
  const auto outcome = planner::order_topologically(4, {{0, 1}, {1, 2}, {2, 0}, {3, 0}});
  CHECK(outcome.order.empty());
  CHECK(outcome.cycle == std::vector<size_t>{0, 1, 2, 0});
}
