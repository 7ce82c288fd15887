// One test per rule of the planner (issue 5, rules 1-12).
#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>

#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;
using plans::DurationClass;
using plans::Hazard;
using plans::LockMode;
using plans::Phase;

namespace {

// current: public.users (id, email) with a million rows; desired: as given.
struct UsersCase {
  schemas::Database current = database({table("users", {column("email", "text")})});
  schemas::Database desired = database({table("users", {column("email", "text")})});
  UsersCase() { set_rows(current, "users", 1000000); }
  schemas::Table& desired_users() { return table_of(desired, "users"); }
};

}  // namespace

TEST_CASE("a nullable column on a filled table is one catalog-only step", "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("nickname", "text"));
  const auto result = plan(c.current, c.desired);
  REQUIRE(summaries(result) ==
          std::vector<std::string>{"add column \"nickname\" of table \"public.users\""});
  const auto& step = result.steps[0];
  CHECK(step.statements ==
        std::vector<std::string>{"ALTER TABLE public.users ADD COLUMN nickname text"});
  CHECK(step.duration == DurationClass::CatalogOnly);
  CHECK(step.transactional);
  REQUIRE(step.locks.size() == 1);
  CHECK(step.locks[0].mode == LockMode::AccessExclusive);
  CHECK(step.lock_timeout == std::chrono::milliseconds(200));
  CHECK(step.hazards.empty());
}

TEST_CASE("a constant default on PostgreSQL 11+ is one catalog-only step", "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("active", "boolean", true, "true"));
  const auto result = plan(c.current, c.desired, 110000);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].statements[0] ==
        "ALTER TABLE public.users ADD COLUMN active boolean DEFAULT true NOT NULL");
  CHECK(result.steps[0].duration == DurationClass::CatalogOnly);
}

TEST_CASE("a constant default before PostgreSQL 11 becomes add, default, backfill", "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("active", "boolean", false, "true"));
  const auto result = plan(c.current, c.desired, 100000);
  CHECK(summaries(result) ==
        std::vector<std::string>{"add column \"active\" of table \"public.users\"",
                                 "set the default of column \"active\" of table \"public.users\"",
                                 "backfill column \"active\" of table \"public.users\""});
  const auto& backfill = result.steps[2];
  REQUIRE(backfill.backfill);
  CHECK(backfill.backfill->set_expression == "true");
  CHECK(backfill.backfill->key_columns == std::vector<std::string>{"id"});
  CHECK(backfill.backfill->where == "active IS NULL");
  CHECK(backfill.backfill->batch_size == 10000);
  CHECK_FALSE(backfill.transactional);
  CHECK(backfill.statements.empty());
  CHECK(backfill.estimated_rows == 1000000);
}

TEST_CASE("a volatile default on a filled table becomes add, default, backfill", "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("token", "uuid", true, "gen_random_uuid()"));
  planner::PlanOptions options;
  options.desired_volatile_defaults = {"public.users.token"};
  const auto result = planner::plan_changes(c.current, c.desired, options);
  CHECK(summaries(result) ==
        std::vector<std::string>{
            "add column \"token\" of table \"public.users\"",
            "set the default of column \"token\" of table \"public.users\"",
            "backfill column \"token\" of table \"public.users\"",
            "add CHECK (token IS NOT NULL) NOT VALID to table \"public.users\"",
            "validate CHECK (token IS NOT NULL) on table \"public.users\"",
            "set NOT NULL on column \"token\" of table \"public.users\"",
            "drop the helper CHECK of column \"token\" of table \"public.users\""});
  CHECK(result.steps[0].statements[0] == "ALTER TABLE public.users ADD COLUMN token uuid");
  CHECK(result.steps[1].statements[0] ==
        "ALTER TABLE public.users ALTER COLUMN token SET DEFAULT gen_random_uuid()");
  CHECK(result.steps[2].backfill->set_expression == "gen_random_uuid()");
  for (const auto& step : result.steps) CHECK_FALSE(has_hazard(step, Hazard::TableRewrite));
}

TEST_CASE("a backfill value differing from the default is used for existing rows", "[planner]") {
  UsersCase c;
  auto added = column("plan", "text", false, "'free'");
  added.backfill = "'legacy'";
  c.desired_users().columns.push_back(added);
  const auto result = plan(c.current, c.desired);
  REQUIRE(result.steps.size() == 3);
  CHECK(result.steps[2].backfill->set_expression == "'legacy'");
  CHECK(result.steps[2].statement_timeout == std::chrono::minutes(1));
}

namespace {

// The warnings of `plan` whose message contains `part`.
std::vector<std::string> warnings_with(const plans::Plan& plan, const std::string& part) {
  std::vector<std::string> found;
  for (const auto& diagnostic : plan.diagnostics) {
    if (diagnostic.severity == plans::Severity::Warning &&
        diagnostic.message.find(part) != std::string::npos) {
      found.push_back(diagnostic.message);
    }
  }
  return found;
}

schemas::Trigger row_trigger(const std::string& name, std::vector<std::string> events,
                             std::vector<std::string> update_of = {}, bool for_each_row = true) {
  schemas::Trigger trigger;
  trigger.name = name;
  trigger.timing = schemas::TriggerTiming::Before;
  trigger.events = std::move(events);
  trigger.update_of = std::move(update_of);
  trigger.for_each_row = for_each_row;
  trigger.function = "public.touch";
  return trigger;
}

}  // namespace

TEST_CASE(
    "a new NOT NULL column backfilled without a default warns that inserts leaving it out fail "
    "from its check on",
    "[planner]") {
  UsersCase c;
  auto added = column("channel", "text", true);
  added.backfill = "'web'";
  c.desired_users().columns.push_back(added);
  const auto result = plan(c.current, c.desired);
  CHECK_FALSE(plans::has_errors(result));
  const auto warned = warnings_with(result,
                                    "column \"channel\" of table \"public.users\" is "
                                    "NOT NULL without a default: an INSERT that leaves "
                                    "it out fails");
  CHECK(warned.size() == 1);
  REQUIRE_FALSE(result.steps.empty());
  CHECK(result.steps[0].rationale.find("new rows the default") == std::string::npos);
  CHECK(result.steps[0].rationale.find("no default") != std::string::npos);

  // With a default, new rows get it: no warning, and the rationale says so.
  UsersCase with_default;
  added.default_expr = "'app'";
  with_default.desired_users().columns.push_back(added);
  const auto defaulted = plan(with_default.current, with_default.desired);
  CHECK(warnings_with(defaulted, "NOT NULL without a default").empty());
  REQUIRE_FALSE(defaulted.steps.empty());
  CHECK(defaulted.steps[0].rationale.find("new rows the default") != std::string::npos);
}

TEST_CASE(
    "a backfill warns of the row triggers on UPDATE that fire for every row it changes, and "
    "names no other trigger",
    "[planner]") {
  UsersCase c;
  for (auto* db : {&c.current, &c.desired}) {
    auto& users = table_of(*db, "users");
    users.triggers = {row_trigger("audit", {"INSERT", "UPDATE", "DELETE"}),
                      row_trigger("only_inserts", {"INSERT"}),
                      row_trigger("email_changed", {"UPDATE"}, {"email"}),
                      row_trigger("per_statement", {"UPDATE"}, {}, false),
                      row_trigger("touch", {"UPDATE"})};
  }
  auto added = column("plan", "text", false, "'free'");
  added.backfill = "'legacy'";
  c.desired_users().columns.push_back(added);
  const auto result = plan(c.current, c.desired);
  const auto warned = warnings_with(result, "the backfill of column \"plan\"");
  REQUIRE(warned.size() == 1);
  CHECK(warned[0] ==
        "the backfill of column \"plan\" of table \"public.users\" updates every existing row, "
        "and the row triggers \"audit\", \"touch\" on UPDATE of table \"public.users\" fire "
        "for each row the backfill changes (unless a WHEN excludes the row): what they write (an "
        "updated_at, an audit row) is written for every row");

  // One trigger: its own verb.
  UsersCase single;
  for (auto* db : {&single.current, &single.desired}) {
    table_of(*db, "users").triggers = {row_trigger("touch", {"UPDATE"})};
  }
  single.desired_users().columns.push_back(added);
  const auto one = warnings_with(plan(single.current, single.desired), "the backfill of");
  REQUIRE(one.size() == 1);
  CHECK(one[0].find("the row trigger \"touch\" on UPDATE of table \"public.users\" fires for "
                    "each row the backfill changes (unless a WHEN excludes the row): what it "
                    "writes") != std::string::npos);

  // Without such triggers, nothing is said.
  UsersCase quiet;
  quiet.desired_users().columns.push_back(added);
  CHECK(warnings_with(plan(quiet.current, quiet.desired), "the backfill of").empty());
}

TEST_CASE("NOT NULL on an existing column of a filled table goes through a NOT VALID check",
          "[planner]") {
  UsersCase c;
  c.desired_users().columns[1].not_null = true;
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.users ADD CONSTRAINT pgshift_nn_email CHECK "
                                 "(email IS NOT NULL) NOT VALID",
                                 "ALTER TABLE public.users VALIDATE CONSTRAINT pgshift_nn_email",
                                 "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL",
                                 "ALTER TABLE public.users DROP CONSTRAINT pgshift_nn_email"});
  CHECK(result.steps[1].locks[0].mode == LockMode::ShareUpdateExclusive);
  CHECK(result.steps[1].duration == DurationClass::OnlineScan);
  CHECK(result.steps[1].statement_timeout == std::chrono::hours(1));
  CHECK(result.steps[2].duration == DurationClass::CatalogOnly);
  CHECK_FALSE(has_hazard(result.steps[2], Hazard::AccessExclusiveScan));
}

TEST_CASE("before PostgreSQL 12 SET NOT NULL is flagged as an ACCESS EXCLUSIVE scan", "[planner]") {
  UsersCase c;
  c.desired_users().columns[1].not_null = true;
  const auto result = plan(c.current, c.desired, 110000);
  REQUIRE(result.steps.size() == 4);
  CHECK(result.steps[2].summary == "set NOT NULL on column \"email\" of table \"public.users\"");
  CHECK(has_hazard(result.steps[2], Hazard::AccessExclusiveScan));
  CHECK(result.steps[2].duration == DurationClass::BlockingScan);
}

TEST_CASE("a NOT NULL column without default or backfill on a filled table is refused",
          "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("name", "text", true));
  const auto result = plan(c.current, c.desired);
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].severity == plans::Severity::Error);
  CHECK(result.diagnostics[0].message ==
        "column \"name\" of table \"public.users\" is NOT NULL but has neither a default nor a "
        "backfill value for the existing rows");
  CHECK(plans::has_errors(result));
}

TEST_CASE("a CHECK constraint is added NOT VALID then validated", "[planner]") {
  UsersCase c;
  c.desired_users().check_constraints.push_back({"email_length", "length(email) < 200"});
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.users ADD CONSTRAINT email_length CHECK "
                                 "(length(email) < 200) NOT VALID",
                                 "ALTER TABLE public.users VALIDATE CONSTRAINT email_length"});
  CHECK(result.steps[1].phase == Phase::Validate);
  CHECK(result.steps[1].depends_on == std::vector<int>{1});
}

TEST_CASE("a NOT VALID check in the catalog only needs validation", "[planner]") {
  UsersCase c;
  schemas::CheckConstraint check{"email_length", "length(email) < 200"};
  c.desired_users().check_constraints.push_back(check);
  check.validated = false;
  table_of(c.current, "users").check_constraints.push_back(check);
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.users VALIDATE CONSTRAINT email_length"});
}

TEST_CASE("NOT VALID constraints on an empty table are still validated", "[planner]") {
  auto current = database({table("users"), table("orders", {column("user_id", "bigint")})});
  set_rows(current, "users", 0);
  set_rows(current, "orders", 0);
  auto& orders = table_of(current, "orders");
  orders.check_constraints.push_back({"orders_id_check", "id > 0"});
  orders.foreign_keys.push_back(foreign_key("orders_user_id_fkey", "user_id", "users"));
  auto desired = current;
  desired.facts = {};
  orders.check_constraints[0].validated = false;
  orders.foreign_keys[0].validated = false;
  const auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_id_check",
            "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_id_fkey"});
}

TEST_CASE("a foreign key is added NOT VALID then validated, locking both tables", "[planner]") {
  auto current = database({table("users"), table("orders", {column("user_id", "bigint")})});
  set_rows(current, "users", 1000);
  set_rows(current, "orders", 50000);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "orders")
      .foreign_keys.push_back(foreign_key("orders_user_id_fkey", "user_id", "users"));
  const auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) "
            "REFERENCES public.users (id) NOT VALID",
            "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_user_id_fkey"});
  const std::vector<plans::RelationLock> add_locks = {
      {"public", "orders", LockMode::ShareRowExclusive},
      {"public", "users", LockMode::ShareRowExclusive}};
  CHECK(result.steps[0].locks == add_locks);
  const std::vector<plans::RelationLock> validate_locks = {
      {"public", "orders", LockMode::ShareUpdateExclusive},
      {"public", "users", LockMode::RowShare}};
  CHECK(result.steps[1].locks == validate_locks);
  CHECK(result.steps[1].estimated_rows == 50000);
}

TEST_CASE("a unique constraint on a filled table is built concurrently then attached",
          "[planner]") {
  UsersCase c;
  c.desired_users().unique_constraints.push_back({"users_email_key", {"email"}});
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON public.users (email)",
            "ALTER TABLE public.users ADD CONSTRAINT users_email_key UNIQUE USING INDEX "
            "users_email_key"});
  CHECK_FALSE(result.steps[0].transactional);
  CHECK(result.steps[0].locks[0].mode == LockMode::ShareUpdateExclusive);
  CHECK(result.steps[0].statement_timeout == std::chrono::hours(4));
  CHECK(result.steps[1].transactional);
}

TEST_CASE(
    "a primary key on a filled table gets NOT NULL first, then the index, then the "
    "constraint",
    "[planner]") {
  auto current = database({table("events", {column("code", "text")})});
  table_of(current, "events").primary_key.reset();
  set_rows(current, "events", 10);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "events").primary_key = schemas::PrimaryKey{"events_pkey", {"code"}};
  const auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "ALTER TABLE public.events ADD CONSTRAINT pgshift_nn_code CHECK (code IS NOT NULL) NOT "
            "VALID",
            "CREATE UNIQUE INDEX CONCURRENTLY events_pkey ON public.events (code)",
            "ALTER TABLE public.events VALIDATE CONSTRAINT pgshift_nn_code",
            "ALTER TABLE public.events ALTER COLUMN code SET NOT NULL",
            "ALTER TABLE public.events DROP CONSTRAINT pgshift_nn_code",
            "ALTER TABLE public.events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX "
            "events_pkey"});
}

TEST_CASE("an index on a filled table is built concurrently outside a transaction", "[planner]") {
  UsersCase c;
  schemas::Index index;
  index.name = "users_email_idx";
  index.keys = {schemas::IndexKey{std::string("email")}};
  index.where = "email IS NOT NULL";
  c.desired_users().indexes.push_back(index);
  const auto result = plan(c.current, c.desired);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].statements[0] ==
        "CREATE INDEX CONCURRENTLY users_email_idx ON public.users USING btree (email) WHERE "
        "email IS NOT NULL");
  CHECK_FALSE(result.steps[0].transactional);
  CHECK(has_hazard(result.steps[0], Hazard::NonTransactional));
  CHECK(result.steps[0].duration == DurationClass::OnlineScan);
}

TEST_CASE("a changed index is built under a temporary name, the old dropped, the new renamed",
          "[planner]") {
  UsersCase c;
  schemas::Index index;
  index.name = "users_email_idx";
  index.keys = {schemas::IndexKey{std::string("email")}};
  table_of(c.current, "users").indexes.push_back(index);
  index.keys[0].order = schemas::SortOrder::Desc;
  c.desired_users().indexes.push_back(index);
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "CREATE INDEX CONCURRENTLY users_email_idx_pgshift_new ON public.users USING btree "
            "(email DESC)",
            "DROP INDEX CONCURRENTLY IF EXISTS public.users_email_idx",
            "ALTER INDEX public.users_email_idx_pgshift_new RENAME TO users_email_idx"});
  CHECK_FALSE(result.steps[1].transactional);
  CHECK(result.steps[2].locks[0].mode == LockMode::ShareUpdateExclusive);
}

TEST_CASE("an index the type change's own rebuild makes the desired one is not built again",
          "[planner]") {
  // varchar to text: the server rebuilds lower((email)::text) from its
  // definition, and a cast of a text column to text is a no-op it leaves out.
  schemas::Database current =
      database({table("users", {column("email", "character varying(50)")})});
  set_rows(current, "users", 1000000);
  schemas::Database desired = database({table("users", {column("email", "text")})});
  schemas::Index index;
  index.name = "users_email_lower_idx";
  index.keys = {schemas::IndexKey{std::nullopt, std::string("lower((email)::text)")}};
  index.where = "((email)::text <> ''::text)";
  table_of(current, "users").indexes.push_back(index);
  index.keys[0].expression = "lower(email)";
  index.where = "(email <> ''::text)";
  table_of(desired, "users").indexes.push_back(index);
  auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.users ALTER COLUMN email TYPE text"});

  // A change of the expression itself is built, as without a type change.
  table_of(desired, "users").indexes[0].keys[0].expression = "upper(email)";
  result = plan(current, desired);
  REQUIRE(statements(result).size() == 4);
  CHECK(statements(result)[1] ==
        "CREATE INDEX CONCURRENTLY users_email_lower_idx_pgshift_new ON public.users USING btree "
        "((upper(email))) WHERE (email <> ''::text)");

  // A cast to another type than the new one stays: (email)::character
  // varying(20) truncates, the rebuild keeps it.
  table_of(desired, "users").indexes[0].keys[0].expression = "lower(email)";
  table_of(current, "users").indexes[0].keys[0].expression =
      "lower(((email)::character varying(20))::text)";
  result = plan(current, desired);
  CHECK(statements(result).size() == 4);
}

TEST_CASE("an invalid index is dropped concurrently and rebuilt", "[planner]") {
  UsersCase c;
  schemas::Index index;
  index.name = "users_email_idx";
  index.keys = {schemas::IndexKey{std::string("email")}};
  c.desired_users().indexes.push_back(index);
  index.valid = false;
  table_of(c.current, "users").indexes.push_back(index);
  const auto result = plan(c.current, c.desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "DROP INDEX CONCURRENTLY IF EXISTS public.users_email_idx",
            "CREATE INDEX CONCURRENTLY users_email_idx ON public.users USING btree (email)"});
}

TEST_CASE("a widened varchar changes type without a rewrite", "[planner]") {
  auto current = database({table("users", {column("name", "character varying(20)")})});
  set_rows(current, "users", 1000);
  auto desired = database({table("users", {column("name", "varchar(50)")})});
  auto result = plan(current, desired);
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].statements[0] ==
        "ALTER TABLE public.users ALTER COLUMN name TYPE varchar(50)");
  CHECK(result.steps[0].duration == DurationClass::CatalogOnly);
  CHECK(result.steps[0].hazards.empty());

  table_of(desired, "users").columns[1].type = "text";
  result = plan(current, desired);
  CHECK(result.steps[0].hazards.empty());
}

TEST_CASE("a numeric precision increase at the same scale needs no rewrite", "[planner]") {
  auto current = database({table("t", {column("amount", "numeric(10,2)")})});
  auto desired = database({table("t", {column("amount", "numeric(12, 2)")})});
  auto result = plan(current, desired);
  CHECK(result.steps[0].hazards.empty());
  table_of(desired, "t").columns[1].type = "numeric(12,3)";
  result = plan(current, desired);
  CHECK(has_hazard(result.steps[0], Hazard::TableRewrite));
}

TEST_CASE("a binary-coercible cast from the catalog needs no rewrite", "[planner]") {
  auto current = database({table("t", {column("address", "cidr")})});
  current.facts.binary_coercible_casts = {{"cidr", "inet"}};
  auto desired = database({table("t", {column("address", "inet")})});
  const auto result = plan(current, desired);
  CHECK(result.steps[0].duration == DurationClass::CatalogOnly);
}

TEST_CASE("an integer to bigint change is a table rewrite with the row estimate", "[planner]") {
  auto current = database({table("t", {column("counter", "int4")})});
  set_rows(current, "t", 123456);
  auto desired = database({table("t", {column("counter", "bigint")})});
  const auto result = plan(current, desired);
  REQUIRE(result.steps.size() == 1);
  const auto& step = result.steps[0];
  CHECK(step.statements[0] ==
        "ALTER TABLE public.t ALTER COLUMN counter TYPE bigint USING counter::bigint");
  CHECK(has_hazard(step, Hazard::TableRewrite));
  CHECK(step.duration == DurationClass::Rewrite);
  CHECK(step.estimated_rows == 123456);
  CHECK(step.locks[0].mode == LockMode::AccessExclusive);
}

TEST_CASE("a type change of a foreign key's column, on either side, locks the other table too",
          "[planner]") {
  auto current = database({table("users", {column("code", "text")}),
                           table("orders", {column("user_id", "bigint"), column("note", "text")})});
  table_of(current, "orders")
      .foreign_keys.push_back(foreign_key("orders_user_id_fkey", "user_id", "users"));
  set_rows(current, "users", 1000);
  set_rows(current, "orders", 50000);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "orders").columns[1].type = "numeric";  // the referencing column
  table_of(desired, "orders").columns[2].type = "varchar";  // not a key's: its table only
  table_of(desired, "users").columns[0].type = "numeric";   // the referenced column (id)
  const auto result = plan(current, desired);
  const auto locks_of = [&](const std::string& summary_part) {
    for (const auto& step : result.steps) {
      if (step.summary.find(summary_part) != std::string::npos) return step.locks;
    }
    FAIL("no step " << summary_part);
    return std::vector<plans::RelationLock>{};
  };
  CHECK(locks_of("\"user_id\"") ==
        std::vector<plans::RelationLock>{{"public", "orders", LockMode::AccessExclusive},
                                         {"public", "users", LockMode::AccessExclusive}});
  CHECK(locks_of("\"id\" of table \"public.users\"") ==
        std::vector<plans::RelationLock>{{"public", "users", LockMode::AccessExclusive},
                                         {"public", "orders", LockMode::AccessExclusive}});
  CHECK(locks_of("\"note\"") ==
        std::vector<plans::RelationLock>{{"public", "orders", LockMode::AccessExclusive}});
}

TEST_CASE("type aliases and whitespace make no false diffs", "[planner]") {
  auto current =
      database({table("t", {column("a", "integer"), column("b", "timestamp with time zone"),
                            column("c", "character varying(10)", false, "'x'")})});
  auto desired = database({table("t", {column("a", "int4"), column("b", "timestamptz"),
                                       column("c", " VARCHAR(10) ", false, "  'x' ")})});
  CHECK(plan(current, desired).steps.empty());
}

TEST_CASE("defaults set, changed and dropped are catalog-only", "[planner]") {
  auto current = database({table("t", {column("a", "integer", false, "1"), column("b", "integer"),
                                       column("c", "integer", false, "3")})});
  auto desired =
      database({table("t", {column("a", "integer", false, "2"), column("b", "integer", false, "0"),
                            column("c", "integer")})});
  const auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.t ALTER COLUMN a SET DEFAULT 2",
                                 "ALTER TABLE public.t ALTER COLUMN b SET DEFAULT 0",
                                 "ALTER TABLE public.t ALTER COLUMN c DROP DEFAULT"});
  for (const auto& step : result.steps) CHECK(step.duration == DurationClass::CatalogOnly);
}

TEST_CASE("drops of columns, constraints, indexes and tables carry data_loss", "[planner]") {
  auto current = database({table("gone"), table("t", {column("old", "text")})});
  auto& t = table_of(current, "t");
  t.check_constraints.push_back({"old_check", "old <> ''"});
  schemas::Index index;
  index.name = "t_old_idx";
  index.keys = {schemas::IndexKey{std::string("old")}};
  t.indexes.push_back(index);
  auto desired = database({table("t")});
  const auto result = plan(current, desired);
  CHECK(summaries(result) ==
        std::vector<std::string>{"drop table \"public.gone\"",
                                 "drop check constraint \"old_check\" of table \"public.t\"",
                                 "drop index \"t_old_idx\" on table \"public.t\"",
                                 "drop column \"old\" of table \"public.t\""});
  for (const auto& step : result.steps) CHECK(has_hazard(step, Hazard::DataLoss));
}

TEST_CASE("a primary key whose name alone changes is renamed in place", "[planner]") {
  UsersCase c;
  c.desired_users().primary_key->name = "users_pk";
  const auto result = plan(c.current, c.desired);
  CHECK(summaries(result) ==
        std::vector<std::string>{
            "rename primary key \"users_pkey\" of table \"public.users\" to \"users_pk\""});
  CHECK(statements(result) ==
        std::vector<std::string>{
            "ALTER TABLE public.users RENAME CONSTRAINT users_pkey TO users_pk"});
  REQUIRE(result.steps.size() == 1);
  CHECK(result.steps[0].duration == DurationClass::CatalogOnly);
}

TEST_CASE("a table never analyzed is planned as a filled one", "[planner]") {
  UsersCase c;
  set_rows(c.current, "users", -1);
  c.desired_users().columns[1].not_null = true;
  schemas::Index index;
  index.name = "users_email_idx";
  index.keys = {schemas::IndexKey{std::string("email")}};
  c.desired_users().indexes.push_back(index);
  const auto result = plan(c.current, c.desired);
  CHECK(summaries(result) ==
        std::vector<std::string>{
            "add CHECK (email IS NOT NULL) NOT VALID to table \"public.users\"",
            "create index \"users_email_idx\" on table \"public.users\"",
            "validate CHECK (email IS NOT NULL) on table \"public.users\"",
            "set NOT NULL on column \"email\" of table \"public.users\"",
            "drop the helper CHECK of column \"email\" of table \"public.users\""});
  CHECK(result.steps[1].statements ==
        std::vector<std::string>{
            "CREATE INDEX CONCURRENTLY users_email_idx ON public.users USING btree (email)"});
}

TEST_CASE("objects on an empty table need no safe sequence", "[planner]") {
  auto current = database(
      {table("users", {column("email", "text")}), table("orders", {column("user_id", "bigint")})});
  set_rows(current, "users", 0);
  set_rows(current, "orders", 0);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "users").columns[1].not_null = true;
  schemas::Index index;
  index.name = "users_email_idx";
  index.keys = {schemas::IndexKey{std::string("email")}};
  table_of(desired, "users").indexes.push_back(index);
  table_of(desired, "orders")
      .foreign_keys.push_back(foreign_key("orders_user_id_fkey", "user_id", "users"));
  const auto result = plan(current, desired);
  CHECK(statements(result) ==
        std::vector<std::string>{
            "ALTER TABLE public.orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) "
            "REFERENCES public.users (id)",
            "CREATE INDEX users_email_idx ON public.users USING btree (email)",
            "ALTER TABLE public.users ALTER COLUMN email SET NOT NULL"});
  for (const auto& step : result.steps) CHECK(step.transactional);
}

TEST_CASE("a new table is created with its keys inline and plain indexes", "[planner]") {
  const auto current = database({});
  auto users = table("users", {column("email", "text", true)});
  users.unique_constraints.push_back({"users_email_key", {"email"}});
  schemas::Index index;
  index.name = "users_lower_email_idx";
  index.keys = {schemas::IndexKey{std::nullopt, std::string("lower(email)")}};
  users.indexes.push_back(index);
  users.comment = "people";
  const auto result = plan(current, database({users}));
  CHECK(statements(result) ==
        std::vector<std::string>{
            "CREATE TABLE public.users (\n  id bigint NOT NULL,\n  email text NOT NULL,\n"
            "  CONSTRAINT users_pkey PRIMARY KEY (id),\n"
            "  CONSTRAINT users_email_key UNIQUE (email)\n)",
            "CREATE INDEX users_lower_email_idx ON public.users USING btree ((lower(email)))",
            "COMMENT ON TABLE public.users IS 'people'"});
}

namespace {

// Plans a new NOT NULL column with a volatile default on table "tags" as
// `change` leaves it (100 rows).
plans::Plan plan_tags_backfill(const std::function<void(schemas::Table&)>& change) {
  auto current = database({table("tags", {column("label", "text")})});
  change(table_of(current, "tags"));
  set_rows(current, "tags", 100);
  auto desired = current;
  desired.facts = {};
  table_of(desired, "tags").columns.push_back(column("color", "text", false, "random_color()"));
  planner::PlanOptions options;
  options.desired_volatile_defaults = {"public.tags.color"};
  return planner::plan_changes(current, desired, options);
}

const plans::BackfillSpec& backfill_of(const plans::Plan& result) {
  for (const auto& step : result.steps) {
    if (step.backfill) return *step.backfill;
  }
  FAIL("no backfill step");
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("a backfill batches by the primary key, whatever its type and width", "[planner]") {
  const auto text_key =
      plan_tags_backfill([](schemas::Table& t) { t.primary_key->columns = {"label"}; });
  CHECK(text_key.diagnostics.empty());
  CHECK(backfill_of(text_key).key_columns == std::vector<std::string>{"label"});
  const auto composite = plan_tags_backfill([](schemas::Table& t) {
    t.columns.push_back(column("tenant", "uuid", false));
    t.primary_key->columns = {"tenant", "label"};
  });
  CHECK(composite.diagnostics.empty());
  CHECK(backfill_of(composite).key_columns == std::vector<std::string>{"tenant", "label"});
}

TEST_CASE("without a primary key a backfill batches by a unique key of NOT NULL columns",
          "[planner]") {
  const auto result = plan_tags_backfill([](schemas::Table& t) {
    t.primary_key.reset();
    t.columns.push_back(column("code", "text", true));
    t.unique_constraints.push_back({"tags_label_key", {"label"}, {}, false, false, false, {}});
    t.unique_constraints.push_back({"tags_code_key", {"code"}, {}, false, false, false, {}});
  });
  // "label" is nullable: rows with NULL are not kept unique, so it cannot
  // order batches.
  CHECK(backfill_of(result).key_columns == std::vector<std::string>{"code"});
}

TEST_CASE("a table with no usable key is backfilled by blocks, not refused", "[planner]") {
  const auto result = plan_tags_backfill([](schemas::Table& t) { t.primary_key.reset(); });
  CHECK(result.diagnostics.empty());
  CHECK(backfill_of(result).key_columns.empty());
  CHECK(backfill_of(result).where == "color IS NULL");
}

TEST_CASE("a partitioned table with no key is a backfill diagnostic naming the table",
          "[planner]") {
  const auto result = plan_tags_backfill([](schemas::Table& t) {
    t.primary_key.reset();
    t.partition_by = schemas::PartitionBy{};
  });
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].message ==
        "cannot backfill column \"color\" of table \"public.tags\" in batches: table "
        "\"public.tags\" is partitioned and has no primary key or unique not-null key");
}

TEST_CASE("renamed columns and tables are renames with the rename hazard", "[planner]") {
  auto current = database({table("people", {column("mail", "text")})});
  auto renamed_column = column("email", "text");
  renamed_column.renamed_from = "mail";
  auto users = table("users", {renamed_column});
  users.renamed_from = "people";
  users.primary_key->name = "people_pkey";
  const auto result = plan(current, database({users}));
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TABLE public.people RENAME TO users",
                                 "ALTER TABLE public.users RENAME COLUMN mail TO email"});
  for (const auto& step : result.steps) CHECK(has_hazard(step, Hazard::Rename));
}

TEST_CASE("a renamed_from that matches nothing is an error naming the object, never ignored",
          "[planner]") {
  const auto current = database({table("people", {column("mail", "text")})});
  // The one error of a plan (warnings, e.g. empties_schema, aside).
  const auto only_error = [](const plans::Plan& result) {
    std::vector<std::string> errors;
    for (const auto& diagnostic : result.diagnostics) {
      if (diagnostic.severity == plans::Severity::Error) errors.push_back(diagnostic.message);
    }
    REQUIRE(errors.size() == 1);
    CHECK(plans::has_errors(result));
    return errors[0];
  };

  // A misspelt column: the table exists, neither name does.
  auto misspelt = column("email", "text");
  misspelt.renamed_from = "mial";
  std::string message = only_error(plan(current, database({table("people", {misspelt})})));
  CHECK(message.find("renamed_from \"mial\" matches no column of table \"public.people\", and "
                     "none is named \"email\" yet: did you mean \"mail\"?") != std::string::npos);

  // A misspelt table in a schema that has tables.
  auto users = table("users", {column("mail", "text")});
  users.renamed_from = "peeple";
  message = only_error(plan(current, database({table("people", {column("mail", "text")}), users})));
  CHECK(message.find("renamed_from \"peeple\" matches no table of schema \"public\", and none "
                     "is named \"users\" yet: did you mean \"people\"?") != std::string::npos);
  // Nothing near: no suggestion.
  users.renamed_from = "customers";
  message = only_error(plan(current, database({table("people", {column("mail", "text")}), users})));
  CHECK(message.find("yet: is the old name misspelt?") != std::string::npos);

  // A qualified name (a move) from a schema the desired state does not
  // manage: its table cannot be seen, let alone moved.
  users.renamed_from = "archive.people";
  message = only_error(plan(current, database({users})));
  CHECK(message.find("renamed_from \"archive.people\" names schema \"archive\", which the "
                     "desired state does not manage") != std::string::npos);

  // Nothing to rename on a fresh database, or once the rename is done.
  users.renamed_from = "people";
  CHECK(plan(database({}), database({users})).diagnostics.empty());
  CHECK(plan(database({users}), database({users})).diagnostics.empty());
  auto renamed = column("email", "text");
  renamed.renamed_from = "mail";
  CHECK(plan(database({table("people", {column("email", "text")})}),
             database({table("people", {renamed})}))
            .diagnostics.empty());
}

TEST_CASE(
    "a renamed_from of a key, constraint, policy or materialized view that matches nothing "
    "is an error naming it",
    "[planner]") {
  // public.people with one object of each kind, and a materialized view with
  // an index.
  auto people = table("people", {column("mail", "text"), column("boss_id", "bigint")});
  people.unique_constraints.push_back({"people_mail_key", {"mail"}});
  schemas::CheckConstraint check;
  check.name = "people_mail_check";
  check.expression = "mail <> ''";
  people.check_constraints.push_back(check);
  people.foreign_keys.push_back(foreign_key("people_boss_fkey", "boss_id", "people"));
  schemas::ExclusionConstraint exclusion;
  exclusion.name = "people_mail_excl";
  exclusion.elements = {"mail WITH ="};
  people.exclusion_constraints.push_back(exclusion);
  schemas::Policy policy;
  policy.name = "own_rows";
  policy.using_expr = "true";
  people.policies.push_back(policy);
  schemas::Database current = database({people});
  schemas::MaterializedView view;
  view.name = "mail_counts";
  view.definition = "SELECT mail, count(*) AS n FROM people GROUP BY mail";
  schemas::Index by_mail;
  by_mail.name = "mail_counts_mail_idx";
  schemas::IndexKey key;
  key.column = "mail";
  by_mail.keys.push_back(key);
  view.indexes.push_back(by_mail);
  public_schema(current).materialized_views.push_back(view);

  struct Case {
    const char* what;                                // "<kind> of <where>" as the message says it
    std::function<void(schemas::Database&)> rename;  // a new name and a misspelt hint
  };
  const std::vector<Case> cases = {
      {"primary key of table \"public.people\"",
       [](schemas::Database& db) {
         auto& key = *table_of(db, "people").primary_key;
         key.name = "people_id_pkey";
         key.renamed_from = "people_pkye";
       }},
      {"unique constraint of table \"public.people\"",
       [](schemas::Database& db) {
         auto& unique = table_of(db, "people").unique_constraints.front();
         unique.name = "people_mail_unique";
         unique.renamed_from = "people_mail_kye";
       }},
      {"check constraint of table \"public.people\"",
       [](schemas::Database& db) {
         auto& item = table_of(db, "people").check_constraints.front();
         item.name = "people_mail_present";
         item.renamed_from = "people_mail_chek";
       }},
      {"foreign key of table \"public.people\"",
       [](schemas::Database& db) {
         auto& item = table_of(db, "people").foreign_keys.front();
         item.name = "people_boss_id_fkey";
         item.renamed_from = "people_bos_fkey";
       }},
      {"exclusion constraint of table \"public.people\"",
       [](schemas::Database& db) {
         auto& item = table_of(db, "people").exclusion_constraints.front();
         item.name = "people_mail_exclusive";
         item.renamed_from = "people_mail_exl";
       }},
      {"policy of table \"public.people\"",
       [](schemas::Database& db) {
         auto& item = table_of(db, "people").policies.front();
         item.name = "own_rows_only";
         item.renamed_from = "own_rws";
       }},
      {"materialized view of schema \"public\"",
       [](schemas::Database& db) {
         auto& item = public_schema(db).materialized_views.front();
         item.name = "mail_totals";
         item.renamed_from = "mail_cuonts";
       }},
      {"index of materialized view \"public.mail_counts\"",
       [](schemas::Database& db) {
         auto& item = public_schema(db).materialized_views.front().indexes.front();
         item.name = "mail_counts_by_mail";
         item.renamed_from = "mail_counts_mial_idx";
       }},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    schemas::Database desired = current;
    c.rename(desired);
    schemas::canonicalize(desired);
    const auto result = plan(current, desired);
    std::vector<std::string> errors;
    for (const auto& diagnostic : result.diagnostics) {
      if (diagnostic.severity == plans::Severity::Error) errors.push_back(diagnostic.message);
    }
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find(std::string("matches no ") + c.what) != std::string::npos);
    CHECK(errors[0].find("did you mean") != std::string::npos);
  }
}

// current: schema legacy with legacy.people (and its serial sequence) and
// public.notes referencing it; desired: people moved to a new schema
// archive as "persons" with a new column, legacy dropped.
struct MoveCase {
  schemas::Database current;
  schemas::Database desired;
  MoveCase() {
    auto notes = table("notes", {column("person_id", "bigint")});
    notes.foreign_keys.push_back(foreign_key("notes_person_fkey", "person_id", "people"));
    notes.foreign_keys[0].ref_schema = "legacy";
    current = database({notes});
    schemas::Schema legacy;
    legacy.name = "legacy";
    auto people = table("people", {column("n", "integer", true,
                                          "nextval('legacy.people_n_seq'::regclass)")});
    schemas::Index by_n;
    by_n.name = "people_n_idx";
    schemas::IndexKey key;
    key.column = "n";
    by_n.keys.push_back(key);
    people.indexes.push_back(by_n);
    legacy.tables.push_back(people);
    schemas::Sequence sequence;
    sequence.name = "people_n_seq";
    sequence.type = "integer";
    sequence.owned_by = "legacy.people.n";
    legacy.sequences.push_back(sequence);
    current.schemas.push_back(legacy);
    schemas::canonicalize(current);
    set_rows(current, "notes", 1000);
    current.facts.table_stats["legacy.people"] = {1000, 11, 0};

    notes.foreign_keys[0].ref_schema = "archive";
    notes.foreign_keys[0].ref_table = "persons";
    desired = database({notes});
    schemas::Schema archive;
    archive.name = "archive";
    auto persons = people;
    persons.name = "persons";
    persons.renamed_from = "legacy.people";
    persons.columns[1].default_expr = "nextval('archive.people_n_seq'::regclass)";
    persons.columns.push_back(column("nickname", "text"));
    archive.tables.push_back(persons);
    sequence.owned_by = "archive.persons.n";
    archive.sequences.push_back(sequence);
    desired.schemas.push_back(archive);
    desired.drop_schemas = {"legacy"};
    schemas::canonicalize(desired);
  }
};

TEST_CASE("a qualified renamed_from moves the table after its schema is created and before "
          "its old schema is dropped, then plans the rest against the moved table",
          "[planner]") {
  MoveCase c;
  const auto result = plan(c.current, c.desired);
  INFO(planner::diff_summary(result));
  CHECK_FALSE(plans::has_errors(result));
  CHECK(summaries(result) ==
        std::vector<std::string>{
            "create schema \"archive\"",
            "move table \"legacy.people\" to schema \"archive\" as \"persons\"",
            "add column \"nickname\" of table \"archive.persons\"", "drop schema \"legacy\""});
  const int move = position_of(result, "move table \"legacy.people\" to schema \"archive\" as "
                                       "\"persons\"");
  REQUIRE(move >= 0);
  const auto& step = result.steps[static_cast<size_t>(move)];
  // SET SCHEMA first, then RENAME: no foreign key, sequence, default or
  // index is touched, the sequence moves with the table.
  CHECK(step.statements ==
        std::vector<std::string>{"ALTER TABLE legacy.people SET SCHEMA archive",
                                 "ALTER TABLE archive.people RENAME TO persons"});
  CHECK(has_hazard(step, Hazard::Rename));
  REQUIRE(step.locks.size() == 1);
  CHECK(step.locks[0].mode == LockMode::AccessExclusive);
  CHECK(step.duration == DurationClass::CatalogOnly);
  CHECK(step.depends_on == std::vector<int>{result.steps[0].id});

  // The old name taken in the new schema: RENAME first, in the old schema.
  MoveCase taken;
  schemas::Schema archive;
  archive.name = "archive";
  auto other_people = table("people");
  other_people.primary_key->name = "other_people_pkey";  // people_pkey moves in
  archive.tables.push_back(other_people);
  taken.current.schemas.push_back(archive);
  schemas::canonicalize(taken.current);
  auto& desired_archive = *schemas::find_named(taken.desired.schemas, std::string("archive"));
  desired_archive.tables.push_back(other_people);
  schemas::canonicalize(taken.desired);
  const auto renamed_first = plan(taken.current, taken.desired);
  INFO(planner::diff_summary(renamed_first));
  CHECK(statements(renamed_first)[0] == "ALTER TABLE legacy.people RENAME TO persons");
  CHECK(statements(renamed_first)[1] == "ALTER TABLE legacy.persons SET SCHEMA archive");

  // Its key renamed in the same plan frees the key's old name in the new
  // schema after the move: no cycle.
  MoveCase key;
  key.desired.schemas.front().tables.front().primary_key->name = "persons_pkey";
  const auto key_renamed = plan(key.current, key.desired);
  INFO(planner::diff_summary(key_renamed));
  CHECK_FALSE(plans::has_errors(key_renamed));
  CHECK(summaries(key_renamed)[3] ==
        "rename primary key \"people_pkey\" of table \"archive.persons\" to \"persons_pkey\"");

  // Done: the hint left in place plans nothing.
  CHECK(plan(c.desired, c.desired).steps.empty());
  CHECK(plan(c.desired, c.desired).diagnostics.empty());

  // A hint naming no table of the old schema: an error with the nearest one.
  auto misspelt = c.desired;
  misspelt.schemas.front().tables.front().renamed_from = "legacy.peeple";
  const auto refused = plan(c.current, misspelt);
  CHECK(plans::has_errors(refused));
  CHECK(planner::diff_summary(refused).find(
            "renamed_from \"legacy.peeple\" matches no table of schema \"legacy\", and none is "
            "named \"persons\" yet: did you mean \"legacy.people\"?") != std::string::npos);
}

TEST_CASE("enum labels are added in place, before 12 outside a transaction", "[planner]") {
  schemas::Database current = database({});
  public_schema(current).enums.push_back({"mood", {"sad", "happy"}});
  schemas::Database desired = database({});
  public_schema(desired).enums.push_back({"mood", {"sad", "ok", "happy"}});
  auto result = plan(current, desired, 150000);
  CHECK(
      statements(result) ==
      std::vector<std::string>{"ALTER TYPE public.mood ADD VALUE IF NOT EXISTS 'ok' AFTER 'sad'"});
  CHECK(result.steps[0].transactional);
  result = plan(current, desired, 110000);
  CHECK_FALSE(result.steps[0].transactional);
  CHECK(has_hazard(result.steps[0], Hazard::NonTransactional));
}

TEST_CASE("removing an enum label replaces the type in one step carrying enum_value_removal",
          "[planner]") {
  schemas::Database current = database({});
  public_schema(current).enums.push_back({"mood", {"sad", "happy"}});
  schemas::Database desired = database({});
  public_schema(desired).enums.push_back({"mood", {"happy"}});
  const auto result = plan(current, desired);
  CHECK(result.diagnostics.empty());
  REQUIRE(result.steps.size() == 1);
  CHECK(statements(result) ==
        std::vector<std::string>{"ALTER TYPE public.mood RENAME TO mood_pgshift_old",
                                 "CREATE TYPE public.mood AS ENUM ('happy')",
                                 "DROP TYPE public.mood_pgshift_old"});
  CHECK(has_hazard(result.steps[0], Hazard::EnumValueRemoval));
  CHECK(result.steps[0].transactional);
}

TEST_CASE("an enum replacement is refused when a domain is over the type", "[planner]") {
  schemas::Database current = database({});
  public_schema(current).enums.push_back({"mood", {"sad", "happy"}});
  schemas::Domain domain;
  domain.name = "good_mood";
  domain.base_type = "mood";
  public_schema(current).domains.push_back(domain);
  schemas::Database desired = current;
  public_schema(desired).enums[0].labels = {"happy", "sad"};
  const auto result = plan(current, desired);
  CHECK(result.steps.empty());
  REQUIRE(result.diagnostics.size() == 1);
  CHECK(result.diagnostics[0].message.find("domain \"public.good_mood\"") != std::string::npos);
  CHECK(result.diagnostics[0].message.find("enum_value_removal") != std::string::npos);
}

TEST_CASE(
    "a drop or a type change that an object of a schema the desired state does not manage "
    "depends on is refused, naming it",
    "[planner]") {
  const auto customers = [](const std::string& email_type, bool with_name) {
    std::vector<schemas::Column> columns = {column("id", "integer"), column("email", email_type)};
    if (with_name) columns.push_back(column("name", "text"));
    return table("customers", columns);
  };
  auto current = database({customers("text", true)});
  public_schema(current).views.push_back({"names", "SELECT name FROM customers"});
  const schemas::ObjectId table_id{schemas::ObjectKind::Table, "public", "", "customers"};
  const schemas::ObjectId outside_key{schemas::ObjectKind::ForeignKey, "audit", "log",
                                      "log_customer_id_fkey"};
  const schemas::ObjectId outside_view{schemas::ObjectKind::View, "reports", "", "emails"};
  current.facts.dependencies.push_back({outside_key, table_id, "id"});
  current.facts.dependencies.push_back({outside_view, table_id, "email"});
  current.facts.dependencies.push_back({outside_view, table_id, ""});
  // A view of a managed schema is the plan's own to drop and recreate.
  current.facts.dependencies.push_back(
      {{schemas::ObjectKind::View, "public", "", "names"}, table_id, "name"});
  // Error messages of the plan from `from` (default: current) to `desired`.
  const auto errors = [&](const schemas::Database& desired,
                          const schemas::Database* from = nullptr) {
    std::vector<std::string> messages;
    for (const auto& diagnostic : plan(from != nullptr ? *from : current, desired).diagnostics) {
      if (diagnostic.severity == plans::Severity::Error) messages.push_back(diagnostic.message);
    }
    return messages;
  };

  // Dropping the table: both objects outside are named, once each.
  auto without_table = database({});
  const auto dropped = errors(without_table);
  REQUIRE(dropped.size() == 2);
  CHECK(dropped[0] ==
        "cannot drop table \"public.customers\": foreign key \"log_customer_id_fkey\" of table "
        "\"audit.log\" depends on it, and schema \"audit\" is not managed by the desired state "
        "(pgshift leaves it alone), so the server refuses the drop; change or drop it first, or "
        "manage schema \"audit\" in the desired state too");
  CHECK(dropped[1].find("view \"reports.emails\" depends on it") != std::string::npos);

  // Retyping the column the view outside reads: refused; the foreign key's
  // column is not retyped, and a foreign key is rebuilt by the server anyway.
  auto retyped = database({customers("character varying(300)", true)});
  public_schema(retyped).views.push_back({"names", "SELECT name FROM customers"});
  const auto retyped_errors = errors(retyped);
  REQUIRE(retyped_errors.size() == 1);
  CHECK(retyped_errors[0].find("cannot change the type of column \"email\" of table "
                               "\"public.customers\"") == 0);
  CHECK(retyped_errors[0].find("refuses to change the column's type under it") !=
        std::string::npos);
  auto id_retyped = database({customers("text", true)});
  table_of(id_retyped, "customers").columns[0].type = "bigint";
  public_schema(id_retyped).views.push_back({"names", "SELECT name FROM customers"});
  CHECK(errors(id_retyped).empty());

  // Dropping a column only the managed view reads: the plan recreates that
  // view itself, nothing outside is in the way.
  auto without_name = database({customers("text", false)});
  CHECK(errors(without_name).empty());

  // A sequence a default of a table outside uses.
  auto with_sequence = current;
  public_schema(with_sequence).sequences.push_back(schemas::Sequence{"code_seq"});
  with_sequence.facts.sequence_defaults["public.code_seq"] = {
      {schemas::ObjectKind::Column, "audit", "codes", "code"}};
  auto keeping_table = database({customers("text", true)});
  public_schema(keeping_table).views.push_back({"names", "SELECT name FROM customers"});
  CHECK(errors(keeping_table, &with_sequence) ==
        std::vector<std::string>{
            "cannot drop sequence \"public.code_seq\": the default of column \"code\" of table "
            "\"audit.codes\" uses it, and schema \"audit\" is not managed by the desired state "
            "(pgshift leaves it alone), so the server refuses the drop; change that default "
            "first, or manage schema \"audit\" in the desired state too"});

  // A serial column's sequence (OWNED BY it) goes with the table or the
  // column: a default outside that calls it is in the way of both drops.
  auto with_serial = current;
  schemas::Sequence owned{"customers_name_seq"};
  owned.owned_by = "public.customers.name";
  public_schema(with_serial).sequences.push_back(owned);
  with_serial.facts.sequence_defaults["public.customers_name_seq"] = {
      {schemas::ObjectKind::Column, "audit", "copies", "id"}};
  with_serial.facts.dependencies = {};
  const std::string outside =
      "its sequence \"public.customers_name_seq\" goes with it, the default of column \"id\" of "
      "table \"audit.copies\" uses it, and schema \"audit\" is not managed by the desired state";
  const auto column_errors = errors(without_name, &with_serial);
  REQUIRE(column_errors.size() == 1);
  CHECK(column_errors[0].find("cannot drop column \"name\" of table \"public.customers\": " +
                              outside) == 0);
  const auto table_errors = errors(database({}), &with_serial);
  REQUIRE(table_errors.size() == 1);
  CHECK(table_errors[0].find("cannot drop table \"public.customers\": " + outside) == 0);
  // Another column's drop is not in the way.
  auto without_email =
      database({table("customers", {column("id", "integer"), column("name", "text")})});
  public_schema(without_email).views.push_back({"names", "SELECT name FROM customers"});
  public_schema(without_email).sequences.push_back(owned);
  CHECK(errors(without_email, &with_serial).empty());
  // Nor is a default inside.
  with_serial.facts.sequence_defaults["public.customers_name_seq"] = {
      {schemas::ObjectKind::Column, "public", "copies", "id"}};
  CHECK(errors(database({}), &with_serial).empty());

  // With the other schemas managed too, nothing is refused here.
  without_table.schemas.push_back(schemas::Schema{"audit"});
  without_table.schemas.push_back(schemas::Schema{"reports"});
  CHECK(errors(without_table).empty());
}

TEST_CASE("a view on a retyped column is dropped first and recreated after", "[planner]") {
  auto current = database({table("t", {column("n", "integer")})});
  public_schema(current).views.push_back({"v", "SELECT n FROM t"});
  current.facts.dependencies.push_back({{schemas::ObjectKind::View, "public", "", "v"},
                                        {schemas::ObjectKind::Table, "public", "", "t"},
                                        "n"});
  auto desired = database({table("t", {column("n", "bigint")})});
  public_schema(desired).views.push_back({"v", "SELECT n FROM t"});
  const auto result = plan(current, desired);
  CHECK(summaries(result) ==
        std::vector<std::string>{"drop (to recreate) view \"public.v\"",
                                 "change the type of column \"n\" of table \"public.t\" from "
                                 "integer to bigint",
                                 "create view \"public.v\""});
  CHECK(has_hazard(result.steps[0], Hazard::DependentRecreated));
}

TEST_CASE(
    "a view whose columns CREATE OR REPLACE cannot keep is dropped and created, with the "
    "view on it",
    "[planner]") {
  auto current = database({table("t", {column("a", "integer"), column("b", "text")})});
  public_schema(current).views.push_back({"v", "SELECT a, b FROM t"});
  public_schema(current).views.push_back({"w", "SELECT a FROM v"});
  current.facts.dependencies.push_back({{schemas::ObjectKind::View, "public", "", "w"},
                                        {schemas::ObjectKind::View, "public", "", "v"},
                                        "a"});
  current.facts.view_columns["public.v"] = {{"a", "integer"}, {"b", "text"}};
  auto desired = database({table("t", {column("a", "integer"), column("b", "text")})});
  public_schema(desired).views.push_back({"v", "SELECT a FROM t"});
  public_schema(desired).views.push_back({"w", "SELECT a FROM v"});
  desired.facts.view_columns["public.v"] = {{"a", "integer"}};
  const auto result = plan(current, desired);
  CHECK(summaries(result) == std::vector<std::string>{"drop (to recreate) view \"public.w\"",
                                                      "drop (to recreate) view \"public.v\"",
                                                      "create view \"public.v\"",
                                                      "create view \"public.w\""});
  REQUIRE(result.steps.size() == 4);
  CHECK(result.steps[1].rationale.find("column \"b\" would be dropped") != std::string::npos);
  CHECK(result.steps[0].rationale.find("it uses view \"public.v\" (recreated)") !=
        std::string::npos);

  // Adding a column at the end is what CREATE OR REPLACE VIEW can do.
  desired.facts.view_columns["public.v"] = {{"a", "integer"}, {"b", "text"}, {"c", "text"}};
  public_schema(desired).views[0].definition = "SELECT a, b, b AS c FROM t";
  CHECK(summaries(plan(current, desired)) == std::vector<std::string>{"replace view \"public.v\""});
  // Without the columns of both sides (a model not read from a server) the
  // server decides: CREATE OR REPLACE.
  desired.facts.view_columns.clear();
  public_schema(desired).views[0].definition = "SELECT a FROM t";
  CHECK(summaries(plan(current, desired)) == std::vector<std::string>{"replace view \"public.v\""});
}

TEST_CASE("other object kinds are created in dependency order", "[planner]") {
  const auto current = database({});
  auto desired = database({});
  schemas::Schema billing;
  billing.name = "billing";
  auto invoices =
      table("invoices", {column("status", "billing.status"), column("amount", "money_amount")});
  schemas::Trigger trigger;
  trigger.name = "invoices_touch";
  trigger.timing = schemas::TriggerTiming::Before;
  trigger.events = {"UPDATE"};
  trigger.for_each_row = true;
  trigger.function = "billing.touch";
  invoices.triggers.push_back(trigger);
  billing.tables.push_back(invoices);
  billing.enums.push_back({"status", {"open", "paid"}});
  schemas::Domain domain;
  domain.name = "money_amount";
  domain.base_type = "numeric(12,2)";
  domain.checks.push_back({"positive", "VALUE >= 0"});
  billing.domains.push_back(domain);
  schemas::Function touch;
  touch.name = "touch";
  touch.returns = "trigger";
  touch.language = "plpgsql";
  touch.body = "BEGIN NEW.updated_at := now(); RETURN NEW; END";
  billing.functions.push_back(touch);
  billing.views.push_back(
      {"open_invoices", "SELECT id FROM billing.invoices WHERE status = 'open'"});
  schemas::Sequence sequence;
  sequence.name = "invoice_numbers";
  billing.sequences.push_back(sequence);
  desired.schemas.push_back(billing);
  schemas::canonicalize(desired);
  const auto result = plan(current, desired);
  CHECK(summaries(result) == std::vector<std::string>{
                                 "create schema \"billing\"",
                                 "create enum \"billing.status\"",
                                 "create domain \"billing.money_amount\"",
                                 "create sequence \"billing.invoice_numbers\"",
                                 "create function \"billing.touch()\"",
                                 "create table \"billing.invoices\"",
                                 "create trigger \"invoices_touch\" of table \"billing.invoices\"",
                                 "create view \"billing.open_invoices\"",
                             });
  CHECK(result.steps[4].statements[0] ==
        "CREATE OR REPLACE FUNCTION billing.touch() RETURNS trigger LANGUAGE plpgsql VOLATILE AS "
        "$pgshift$BEGIN NEW.updated_at := now(); RETURN NEW; END$pgshift$");
  CHECK(result.steps[6].statements[0] ==
        "CREATE TRIGGER invoices_touch BEFORE UPDATE ON billing.invoices FOR EACH ROW EXECUTE "
        "FUNCTION billing.touch()");
}

TEST_CASE("a materialized view on a retyped column is recreated before its indexes", "[planner]") {
  auto current = database({table("t", {column("n", "integer")})});
  schemas::MaterializedView view;
  view.name = "totals";
  view.definition = "SELECT sum(n) AS total FROM t";
  schemas::Index index;
  index.name = "totals_total_idx";
  index.keys = {schemas::IndexKey{std::string("total")}};
  view.indexes.push_back(index);
  public_schema(current).materialized_views.push_back(view);
  current.facts.dependencies.push_back(
      {{schemas::ObjectKind::MaterializedView, "public", "", "totals"},
       {schemas::ObjectKind::Table, "public", "", "t"},
       "n"});
  auto desired = database({table("t", {column("n", "bigint")})});
  public_schema(desired).materialized_views.push_back(view);
  const auto result = plan(current, desired);
  CHECK(result.diagnostics.empty());
  CHECK(statements(result) ==
        std::vector<std::string>{
            "DROP MATERIALIZED VIEW public.totals",
            "ALTER TABLE public.t ALTER COLUMN n TYPE bigint USING n::bigint",
            "CREATE MATERIALIZED VIEW public.totals AS SELECT sum(n) AS total FROM t",
            "CREATE INDEX totals_total_idx ON public.totals USING btree (total)"});
}

TEST_CASE("objects matching ignore patterns are left alone", "[planner]") {
  auto current = database({table("audit_log"), table("t")});
  schemas::Index hotfix;
  hotfix.name = "t_hotfix";
  hotfix.keys = {schemas::IndexKey{std::string("id")}};
  table_of(current, "t").indexes.push_back(hotfix);
  auto desired = database({table("t")});
  desired.ignore = {"public.audit_*", "index:public.*_hotfix"};
  CHECK(plan(current, desired).steps.empty());
}

TEST_CASE("diff_summary lists steps and diagnostics one per line", "[planner]") {
  UsersCase c;
  c.desired_users().columns.push_back(column("nickname", "text"));
  c.desired_users().columns.push_back(column("name", "text", true));
  CHECK(planner::diff_summary(plan(c.current, c.desired)) ==
        "1. add column \"nickname\" of table \"public.users\"\n"
        "error: column \"name\" of table \"public.users\" is NOT NULL but has neither a default "
        "nor a backfill value for the existing rows\n");
}

TEST_CASE("a generated column made plain is DROP EXPRESSION on 13+ and refused on 12",
          "[planner]") {
  UsersCase c;
  auto total = column("total", "integer");
  total.generated = "length(email)";
  table_of(c.current, "users").columns.push_back(total);
  total.generated.reset();
  c.desired_users().columns.push_back(total);

  const auto on_13 = plan(c.current, c.desired, 130000);
  REQUIRE(on_13.steps.size() == 1);
  CHECK(on_13.steps[0].statements[0] ==
        "ALTER TABLE public.users ALTER COLUMN total DROP EXPRESSION");
  CHECK_FALSE(plans::has_errors(on_13));

  const auto on_12 = plan(c.current, c.desired, 120000);
  CHECK(on_12.steps.empty());
  REQUIRE(on_12.diagnostics.size() == 1);
  CHECK(on_12.diagnostics[0].severity == plans::Severity::Error);
  CHECK(on_12.diagnostics[0].message ==
        "cannot make generated column \"total\" of table \"public.users\" a plain column on "
        "PostgreSQL 12 (DROP EXPRESSION is 13+); add a new column and drop the old one");
}

namespace {

schemas::Policy policy(const std::string& name, schemas::PolicyCommand command, bool permissive,
                       const std::string& using_expr) {
  schemas::Policy result{name, command, permissive};
  result.using_expr = using_expr;
  return result;
}

}  // namespace

TEST_CASE("a policy's new command is a drop and a create in one transactional step",
          "[planner][policies]") {
  UsersCase c;
  c.current.schemas[0].tables[0].policies = {
      policy("own", schemas::PolicyCommand::All, true, "(email = CURRENT_USER)")};
  c.desired_users().policies = {
      policy("own", schemas::PolicyCommand::Select, true, "(email = CURRENT_USER)")};
  const auto result = plan(c.current, c.desired);
  REQUIRE(summaries(result) ==
          std::vector<std::string>{"replace policy \"own\" of table \"public.users\""});
  const auto& step = result.steps[0];
  CHECK(
      step.statements ==
      std::vector<std::string>{
          "DROP POLICY own ON public.users",
          "CREATE POLICY own ON public.users FOR SELECT TO PUBLIC USING ((email = CURRENT_USER))"});
  CHECK(step.transactional);
  CHECK(step.hazards.empty());
  CHECK(step.locks[0].mode == LockMode::AccessExclusive);
}

TEST_CASE("new policies come before the row-level security that needs them, dropped ones after",
          "[planner][policies]") {
  UsersCase c;
  c.current.schemas[0].tables[0].policies = {
      policy("old", schemas::PolicyCommand::All, false, "true")};
  c.desired_users().policies = {policy("own", schemas::PolicyCommand::All, true, "true")};
  c.desired_users().row_security = {true, true};
  const auto result = plan(c.current, c.desired);
  REQUIRE(
      summaries(result) ==
      std::vector<std::string>{"create policy \"own\" of table \"public.users\"",
                               "set row-level security of table \"public.users\": enabled, forced",
                               "drop policy \"old\" of table \"public.users\""});
  CHECK(result.steps[1].statements ==
        std::vector<std::string>{"ALTER TABLE public.users ENABLE ROW LEVEL SECURITY",
                                 "ALTER TABLE public.users FORCE ROW LEVEL SECURITY"});
  // The restrictive policy's drop lets rows through.
  CHECK(has_hazard(result.steps[2], Hazard::DataLoss));
  CHECK(has_hazard(result.steps[2], Hazard::AccessWidened));
  CHECK_FALSE(has_hazard(result.steps[1], Hazard::AccessWidened));
}
