// Planning a model against itself gives an empty plan.
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>

#include "planner/rules.hpp"
#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;

TEST_CASE("a rich model planned against itself gives an empty plan", "[planner]") {
  auto users = table("users", {column("email", "character varying(200)", true),
                               column("created_at", "timestamp with time zone", true, "now()")});
  users.unique_constraints.push_back({"users_email_key", {"email"}});
  users.check_constraints.push_back({"email_has_at", "email ~ '@'"});
  schemas::Index index;
  index.name = "users_created_idx";
  index.keys = {schemas::IndexKey{std::string("created_at")}};
  users.indexes.push_back(index);
  auto orders = table("orders", {column("user_id", "bigint", true)});
  orders.foreign_keys.push_back(foreign_key("orders_user_fkey", "user_id", "users"));
  auto db = database({users, orders});
  public_schema(db).enums.push_back({"mood", {"sad", "happy"}});
  public_schema(db).views.push_back({"emails", "SELECT email FROM users"});
  schemas::Function function;
  function.name = "one";
  function.returns = "integer";
  function.body = "SELECT 1";
  public_schema(db).functions.push_back(function);
  set_rows(db, "users", 1000);
  const auto result = plan(db, db);
  CHECK(result.steps.empty());
  CHECK(result.diagnostics.empty());
}

namespace {

const std::vector<std::string> kTypes = {"integer",
                                         "bigint",
                                         "text",
                                         "boolean",
                                         "character varying(30)",
                                         "numeric(10,2)",
                                         "timestamp with time zone",
                                         "uuid"};

// A random but valid model: tables with columns, a primary key, indexes and
// foreign keys to earlier tables.
rc::Gen<schemas::Database> generated_database() {
  return rc::gen::exec([] {
    const int table_count = *rc::gen::inRange(0, 5);
    std::vector<schemas::Table> tables;
    for (int table_idx = 0; table_idx < table_count; ++table_idx) {
      std::vector<schemas::Column> columns;
      const int column_count = *rc::gen::inRange(0, 5);
      for (int column_idx = 0; column_idx < column_count; ++column_idx) {
        auto added = column("c" + std::to_string(column_idx), *rc::gen::elementOf(kTypes),
                            *rc::gen::arbitrary<bool>());
        if (*rc::gen::arbitrary<bool>()) added.default_expr = "NULL";
        columns.push_back(added);
      }
      auto created = table("t" + std::to_string(table_idx), columns);
      if (!columns.empty() && *rc::gen::arbitrary<bool>()) {
        schemas::Index index;
        index.name = created.name + "_c0_idx";
        index.keys = {schemas::IndexKey{std::string("c0")}};
        created.indexes.push_back(index);
      }
      if (table_idx > 0 && *rc::gen::arbitrary<bool>()) {
        created.columns.push_back(column("parent_id", "bigint"));
        created.foreign_keys.push_back(
            foreign_key(created.name + "_parent_fkey", "parent_id",
                        "t" + std::to_string(*rc::gen::inRange(0, table_idx))));
      }
      tables.push_back(created);
    }
    return database(tables);
  });
}

}  // namespace

TEST_CASE("generated models planned against themselves give empty plans", "[planner]") {
  rc::prop("plan(m, m) is empty", [] {
    const auto db = *generated_database();
    const auto result = plan(db, db);
    RC_ASSERT(result.steps.empty());
    RC_ASSERT(result.diagnostics.empty());
  });
}

TEST_CASE("generated models are created from nothing without diagnostics or cycles", "[planner]") {
  rc::prop("plan(empty, m) orders every step", [] {
    const auto db = *generated_database();
    const auto result = plan(database({}), db);
    RC_ASSERT(result.diagnostics.empty());
    for (const auto& step : result.steps) {
      for (int dependency : step.depends_on) RC_ASSERT(dependency < step.id);
    }
  });
}

// plan_changes compares the models as given, without copying them, when
// rewrite_models would change neither (issue 17: the copies were 40% of a
// no-op plan's peak memory at 10,000 tables).
TEST_CASE("models that need no rewrite are left as they are by the rewrites", "[planner]") {
  rc::prop("rewrite_models changes nothing when models_need_rewrite is false", [] {
    const auto current = *generated_database();
    const auto desired = *generated_database();
    RC_ASSERT_FALSE(planner::detail::models_need_rewrite(current, desired));
    auto rewritten_current = current;
    auto rewritten_desired = desired;
    const auto rewrites = planner::detail::rewrite_models(rewritten_current, rewritten_desired);
    RC_ASSERT(rewritten_current == current);
    RC_ASSERT(rewritten_desired == desired);
    RC_ASSERT(rewrites.moves.empty());
    RC_ASSERT(rewrites.renames.empty());
    RC_ASSERT(rewrites.expand_contract.swaps.empty());
    RC_ASSERT(rewrites.diagnostics.empty());
  });
}

TEST_CASE("plans of models compared as given equal plans of rewritten copies", "[planner]") {
  rc::prop("an ignore pattern matching nothing changes no step", [] {
    const auto current = *generated_database();
    const auto desired = *generated_database();
    auto ignoring = desired;
    ignoring.ignore = {"table:public.no_such_table"};
    RC_ASSERT(planner::detail::models_need_rewrite(current, ignoring));
    const auto as_given = plan(current, desired);
    const auto copied = plan(current, ignoring);
    RC_ASSERT(summaries(as_given) == summaries(copied));
    RC_ASSERT(statements(as_given) == statements(copied));
    RC_ASSERT(as_given.diagnostics.size() == copied.diagnostics.size());
  });
}

TEST_CASE("ignore patterns, owners, planning hints and unnamed schemas make the planner rewrite",
          "[planner]") {
  const auto plain = database({table("users", {column("id", "bigint", true)})});
  CHECK_FALSE(planner::detail::models_need_rewrite(plain, plain));

  auto ignoring = plain;
  ignoring.ignore = {"table:public.audit_*"};
  CHECK(planner::detail::models_need_rewrite(plain, ignoring));

  auto owned = plain;
  public_schema(owned).tables.front().owner = "app";
  CHECK(planner::detail::models_need_rewrite(owned, plain));
  auto managing = plain;
  managing.manage_owners = true;
  CHECK(planner::detail::models_need_rewrite(plain, managing));

  auto renamed = plain;
  public_schema(renamed).tables.front().renamed_from = "people";
  CHECK(planner::detail::models_need_rewrite(plain, renamed));
  auto column_renamed = plain;
  public_schema(column_renamed).tables.front().columns.front().renamed_from = "user_id";
  CHECK(planner::detail::models_need_rewrite(plain, column_renamed));
  auto label_renamed = plain;
  public_schema(label_renamed).enums.push_back({"mood", {"sad", "glad"}});
  public_schema(label_renamed).enums.front().label_renamed_from["glad"] = "happy";
  CHECK(planner::detail::models_need_rewrite(plain, label_renamed));

  auto other_schema = plain;
  other_schema.schemas.push_back(schemas::Schema{});
  other_schema.schemas.back().name = "reports";
  CHECK(planner::detail::models_need_rewrite(other_schema, plain));
  CHECK_FALSE(planner::detail::models_need_rewrite(plain, other_schema));
}
