#include "schemas/ignore.hpp"

#include <catch2/catch.hpp>

using namespace pgshift::schemas;

namespace {
Database shop() {
  Database db;
  Table orders{"orders", {{"id", "bigint", true}, {"tmp_flag", "boolean"}}};
  Index hotfix;
  hotfix.name = "orders_status_hotfix";
  hotfix.keys.push_back(IndexKey{std::string("id")});
  Index regular = hotfix;
  regular.name = "orders_id_idx";
  orders.indexes = {regular, hotfix};
  Table audit_log{"audit_log", {{"id", "bigint"}}};
  Schema pub{"public"};
  pub.tables = {audit_log, orders};
  pub.views.push_back(View{"audit_summary", "SELECT 1"});
  Schema legacy{"legacy"};
  legacy.tables.push_back(Table{"old", {{"id", "integer"}}});
  db.schemas = {legacy, pub};
  return db;
}
}  // namespace

TEST_CASE("a dotted pattern without a kind removes top-level objects of every kind",
          "[schemas]") {
  Database db = shop();
  remove_ignored(db, {"public.audit_*"});
  REQUIRE(db.schemas[1].tables.size() == 1);
  REQUIRE(db.schemas[1].tables[0].name == "orders");
  REQUIRE(db.schemas[1].views.empty());
}

TEST_CASE("a pattern without a dot removes whole schemas", "[schemas]") {
  Database db = shop();
  remove_ignored(db, {"leg*"});
  REQUIRE(db.schemas.size() == 1);
  REQUIRE(db.schemas[0].name == "public");
}

TEST_CASE("an index pattern removes only the indexes it names", "[schemas]") {
  Database db = shop();
  remove_ignored(db, {"index:public.*_hotfix"});
  const Table& orders = db.schemas[1].tables[1];
  REQUIRE(orders.indexes.size() == 1);
  REQUIRE(orders.indexes[0].name == "orders_id_idx");
  REQUIRE(db.schemas[1].tables.size() == 2);
}

TEST_CASE("a column pattern removes the column and nothing else", "[schemas]") {
  Database db = shop();
  remove_ignored(db, {"column:public.orders.tmp_*"});
  const Table& orders = db.schemas[1].tables[1];
  REQUIRE(orders.columns.size() == 1);
  REQUIRE(orders.columns[0].name == "id");
  REQUIRE(orders.indexes.size() == 2);
}

TEST_CASE("a kind-qualified pattern does not match other kinds", "[schemas]") {
  Database db = shop();
  remove_ignored(db, {"view:public.*"});
  REQUIRE(db.schemas[1].views.empty());
  REQUIRE(db.schemas[1].tables.size() == 2);
}

TEST_CASE("an unknown kind in an ignore pattern is reported with the pattern", "[schemas]") {
  const auto errors = check_ignore_patterns({"tabel:public.x", "index:public.ok", "view:"});
  REQUIRE(errors.size() == 2);
  REQUIRE(errors[0].pattern == "tabel:public.x");
  REQUIRE(errors[0].message.rfind("unknown object kind \"tabel\" in ignore pattern", 0) == 0);
  REQUIRE(errors[1].message == "empty ignore pattern");
}

TEST_CASE("ignore patterns remove the unmodelled objects of what they name", "[schemas]") {
  Database db = shop();
  db.facts.unmodelled = {
      {"policy", "public", "audit_log", "p", ""},
      {"policy", "public", "orders", "p", ""},
      {"aggregate", "public", "", "audit_total(integer)", ""},
      {"privileges", "legacy", "", "", ""},
      {"event trigger", "", "", "audit", ""},
  };
  remove_ignored(db, {"public.audit_*", "legacy"});
  REQUIRE(db.facts.unmodelled.size() == 2);
  CHECK(db.facts.unmodelled[0].relation == "orders");
  CHECK(db.facts.unmodelled[1].kind == "event trigger");
}

TEST_CASE("default_privileges patterns remove the entries of the roles they name", "[schemas]") {
  Database db = shop();
  db.default_privileges = {{default_privileges_id("", "dba", "tables"), {}, {}},
                           {default_privileges_id("", "app", "tables"), {}, {}}};
  db.schemas[1].default_privileges = {{default_privileges_id("public", "dba", "tables"), {}, {}},
                                      {default_privileges_id("public", "app", "tables"), {}, {}}};
  remove_ignored(db, {"default_privileges:dba", "default_privileges:public.app"});
  REQUIRE(db.default_privileges.size() == 1);
  CHECK(db.default_privileges[0].object.table == "app");
  REQUIRE(db.schemas[1].default_privileges.size() == 1);
  CHECK(db.schemas[1].default_privileges[0].object.table == "dba");
  // A plain pattern names top-level objects, not default privileges.
  remove_ignored(db, {"app", "public.dba"});
  CHECK(db.default_privileges.size() == 1);
  CHECK(check_ignore_patterns({"default_privileges:dba"}).empty());
}
