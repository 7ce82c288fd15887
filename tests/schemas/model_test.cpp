#include "schemas/model.hpp"

#include <catch2/catch.hpp>

using namespace pgshift::schemas;

namespace {
Database two_tables() {
  Database db;
  Schema schema{"public"};
  Table customers{"customers", {{"id", "bigint", true}, {"email", "text", true}}};
  customers.primary_key = PrimaryKey{"customers_pkey", {"id"}};
  Table orders{"orders", {{"id", "bigint", true}, {"customer_id", "bigint", true}}};
  ForeignKey fk;
  fk.name = "orders_customer_id_fkey";
  fk.columns = {"customer_id"};
  fk.ref_schema = "public";
  fk.ref_table = "customers";
  fk.ref_columns = {"id"};
  orders.foreign_keys.push_back(fk);
  schema.tables = {orders, customers};
  db.schemas.push_back(schema);
  canonicalize(db);
  return db;
}
}  // namespace

TEST_CASE("canonicalize sorts tables by name and keeps column order", "[schemas]") {
  Database db = two_tables();
  REQUIRE(db.schemas[0].tables[0].name == "customers");
  REQUIRE(db.schemas[0].tables[1].name == "orders");
  REQUIRE(db.schemas[0].tables[1].columns[0].name == "id");
  REQUIRE(db.schemas[0].tables[1].columns[1].name == "customer_id");
}

TEST_CASE("a valid model has no problems", "[schemas]") {
  REQUIRE(validate(two_tables()).empty());
}

TEST_CASE("a foreign key to a missing table is reported with both names", "[schemas]") {
  Database db = two_tables();
  db.schemas[0].tables[1].foreign_keys[0].ref_table = "clients";
  const auto problems = validate(db);
  REQUIRE(problems.size() == 1);
  REQUIRE(problems[0].message ==
          "foreign key \"orders_customer_id_fkey\" of table \"public.orders\" references table "
          "\"public.clients\", which is not defined");
}

TEST_CASE("an index on a missing column is reported", "[schemas]") {
  Database db = two_tables();
  Index index;
  index.name = "orders_created_idx";
  index.keys.push_back(IndexKey{std::string("created_at")});
  db.schemas[0].tables[1].indexes.push_back(index);
  const auto problems = validate(db);
  REQUIRE(problems.size() == 1);
  REQUIRE(problems[0].message ==
          "index \"orders_created_idx\" of table \"public.orders\" uses column \"created_at\", "
          "which table \"public.orders\" does not have");
}

TEST_CASE("a column declared twice is reported", "[schemas]") {
  Database db = two_tables();
  db.schemas[0].tables[0].columns.push_back({"email", "text"});
  const auto problems = validate(db);
  REQUIRE(problems.size() == 1);
  REQUIRE(problems[0].message ==
          "column \"email\" of table \"public.customers\" is defined more than once");
}

TEST_CASE("catalog facts do not take part in model equality", "[schemas]") {
  Database a = two_tables();
  Database b = two_tables();
  b.facts.server_version_num = 150004;
  REQUIRE(a == b);
  b.schemas[0].tables[0].columns[1].not_null = false;
  REQUIRE(a != b);
}

TEST_CASE("a function's identity is its name and input argument types", "[schemas]") {
  Function fn;
  fn.name = "add";
  fn.args = {{"a", "integer"}, {"b", "integer"}, {"total", "integer", ArgMode::Out}};
  REQUIRE(function_signature(fn) == "add(integer, integer)");
}

TEST_CASE("an unmodelled object is described by kind and qualified name on one line",
          "[schemas]") {
  CHECK(describe(UnmodelledObject{"policy", "public", "orders", "tenant", "FOR ALL"}) ==
        "policy \"tenant\" on \"public.orders\" (FOR ALL)");
  CHECK(describe(UnmodelledObject{"UNLOGGED", "public", "scratch", "", ""}) ==
        "UNLOGGED on \"public.scratch\"");
  CHECK(describe(UnmodelledObject{"aggregate", "shop", "", "total(integer)", ""}) ==
        "aggregate \"shop.total(integer)\"");
  CHECK(describe(UnmodelledObject{"privileges", "shop", "", "", "=U/app"}) ==
        "privileges of schema \"shop\" (=U/app)");
  CHECK(describe(UnmodelledObject{"event trigger", "", "", "audit", "ddl_command_end"}) ==
        "event trigger \"audit\" (ddl_command_end)");
  CHECK(describe(UnmodelledObject{"rule", "public", "t", "r\nx", ""}) ==
        "rule \"r\\nx\" on \"public.t\"");
}

TEST_CASE("an optional text compares, orders and copies as std::optional<std::string> does",
          "[schemas]") {
  const std::optional<std::string> none;
  const std::optional<std::string> a = std::string("a");
  const std::optional<std::string> b = std::string("b");
  const std::vector<std::optional<std::string>> values = {none, a, b};
  for (const auto& x : values) {
    for (const auto& y : values) {
      const OptionalText tx = x;
      const OptionalText ty = y;
      CHECK((tx == ty) == (x == y));
      CHECK((tx != ty) == (x != y));
      CHECK((tx == y) == (x == y));
      CHECK((x == ty) == (x == y));
      CHECK((tx < ty) == (x < y));
    }
    const OptionalText text = x;
    CHECK(text.has_value() == x.has_value());
    CHECK((text == std::nullopt) == !x.has_value());
    CHECK((text == std::string("a")) == (x == std::string("a")));
    CHECK(text.value_or("unset") == x.value_or("unset"));
    CHECK(static_cast<std::optional<std::string>>(text) == x);
  }

  OptionalText original = std::string("now()");
  OptionalText copy = original;
  *copy += " + 1";
  CHECK(*original == "now()");
  CHECK(*copy == "now() + 1");
  copy = std::nullopt;
  CHECK_FALSE(copy);
  CHECK_THROWS_AS(copy.value(), std::bad_optional_access);
  copy.emplace("x");
  CHECK(copy->size() == 1);
}

TEST_CASE("a copy of a model shares its dependencies until one side changes them", "[schemas]") {
  Database read = two_tables();
  const ObjectId view{ObjectKind::View, "public", "", "v"};
  const ObjectId orders{ObjectKind::Table, "public", "", "orders"};
  read.facts.dependencies.push_back({view, orders, "id"});

  Database copy = read;
  CHECK(copy.facts.dependencies.shares(read.facts.dependencies));
  REQUIRE(copy.facts.dependencies.size() == 1);

  copy.facts.dependencies.rows()[0].referenced_column = "customer_id";
  CHECK_FALSE(copy.facts.dependencies.shares(read.facts.dependencies));
  CHECK(read.facts.dependencies.begin()->referenced_column == "id");
  CHECK(copy.facts.dependencies.begin()->referenced_column == "customer_id");

  // Rows no other model holds are changed in place, not copied again.
  const std::vector<Dependency>* own = &copy.facts.dependencies.rows();
  copy.facts.dependencies.push_back({view, {ObjectKind::Table, "public", "", "customers"}, ""});
  CHECK(&copy.facts.dependencies.rows() == own);
  CHECK(copy.facts.dependencies.size() == 2);
  CHECK(read.facts.dependencies.size() == 1);

  const Database empty;
  CHECK(empty.facts.dependencies.empty());
  CHECK(empty.facts.dependencies.begin() == empty.facts.dependencies.end());
  CHECK_FALSE(empty.facts.dependencies.shares(Database().facts.dependencies));
}
