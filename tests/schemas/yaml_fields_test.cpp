#include "schemas/yaml_fields.hpp"

#include <catch2/catch.hpp>

#include "schemas/yaml_loader.hpp"

using namespace pgshift::schemas;

TEST_CASE("a table's fields are flattened to the paths a user writes", "[schemas]") {
  const Database db = load_yaml_string(R"(
schemas:
  public:
    tables:
      orders:
        columns:
          id: { type: bigint, nullable: false }
          status: { type: text, default: "'new'" }
        primary_key: [id]
        indexes:
          orders_status_idx: { columns: [status], where: status <> 'done' }
)");
  const auto objects = object_fields(db);
  const FieldMap& orders = objects.at(ObjectId{ObjectKind::Table, "public", "", "orders"});
  CHECK(orders.at("columns.status.default") == "'new'");
  CHECK(orders.at("columns.id.nullable") == "false");
  CHECK(orders.at("primary_key") == "[id]");
  CHECK(orders.at("indexes.orders_status_idx.where") == "status <> 'done'");
  CHECK(orders.count("columns.status.nullable") == 0);
  REQUIRE(objects.count(ObjectId{ObjectKind::Schema, "", "", "public"}) == 1);
}

TEST_CASE("every top-level object kind gets its own entry", "[schemas]") {
  const Database db = load_yaml_string(R"(
extensions:
  pgcrypto: {}
schemas:
  app:
    enums:
      mood: [sad, happy]
    sequences:
      counter: { type: integer }
    views:
      happy_view: SELECT 1 AS one
    functions:
      add:
        - { args: [{ name: a, type: integer }], returns: integer, body: SELECT a + 1 }
        - { args: [{ name: a, type: text }], returns: text, body: SELECT a }
)");
  const auto objects = object_fields(db);
  CHECK(objects.at(ObjectId{ObjectKind::Enum, "app", "", "mood"}).at("") == "[sad, happy]");
  CHECK(objects.at(ObjectId{ObjectKind::Sequence, "app", "", "counter"}).at("type") == "integer");
  CHECK(objects.at(ObjectId{ObjectKind::View, "app", "", "happy_view"}).at("") ==
        "SELECT 1 AS one");
  CHECK(objects.at(ObjectId{ObjectKind::Function, "app", "", "add(integer)"}).at("returns") ==
        "integer");
  CHECK(objects.at(ObjectId{ObjectKind::Function, "app", "", "add(text)"}).at("returns") ==
        "text");
  CHECK(objects.count(ObjectId{ObjectKind::Extension, "", "", "pgcrypto"}) == 1);
}
