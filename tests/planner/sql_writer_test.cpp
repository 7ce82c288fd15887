// planner/sql_writer.hpp: a model as the SQL that builds it in a new database
// (`pgshift inspect --format sql`). The round trip through a server is
// tests/cli/sql_desired_state_db_test.cpp.
#include "planner/sql_writer.hpp"

#include <catch2/catch.hpp>

using namespace pgshift;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

schemas::Database with_table(const std::string& schema, const std::string& table) {
  schemas::Database db;
  schemas::Schema space{schema};
  schemas::Table created{table};
  created.columns = {schemas::Column{"id", "bigint"}};
  space.tables.push_back(created);
  db.schemas.push_back(space);
  schemas::canonicalize(db);
  return db;
}

}  // namespace

TEST_CASE("a model is written as the statements that build it, each after its step's comment",
          "[planner]") {
  const auto document = planner::write_sql(with_table("app", "tasks"));
  REQUIRE(document.errors.empty());
  CHECK(document.text ==
        "\n-- create schema \"app\"\nCREATE SCHEMA app;\n"
        "\n-- create table \"app.tasks\"\nCREATE TABLE app.tasks (\n  id bigint\n);\n");
}

TEST_CASE("the public schema a new database has is not created again", "[planner]") {
  const auto document = planner::write_sql(with_table("public", "tasks"));
  REQUIRE(document.errors.empty());
  CHECK_FALSE(contains(document.text, "CREATE SCHEMA"));
  CHECK(contains(document.text, "CREATE TABLE public.tasks"));
}

TEST_CASE("a name holding a line break stays inside its comment line", "[planner]") {
  const auto document = planner::write_sql(with_table("public", "x\nDROP TABLE y; --"));
  REQUIRE(document.errors.empty());
  CHECK(contains(document.text, "\n-- create table \"public.x\\nDROP TABLE y; --\"\n"));
  // The identifier is written with Unicode escapes (plans/sql_text.hpp): no line starts in it.
  CHECK(contains(document.text, "CREATE TABLE public.U&\"x\\000ADROP TABLE y; --\" ("));
  CHECK_FALSE(contains(document.text, "\nDROP TABLE"));
}

TEST_CASE("materialized views are written WITH NO DATA, their queries never run", "[planner]") {
  schemas::Database db = with_table("public", "tasks");
  schemas::MaterializedView counts{"task_count", " SELECT count(*) AS n FROM tasks"};
  db.schemas[0].materialized_views.push_back(counts);
  const auto document = planner::write_sql(db);
  REQUIRE(document.errors.empty());
  CHECK(contains(document.text, "WITH NO DATA;"));
  CHECK_FALSE(contains(document.text, "REFRESH"));
  CHECK(document.warnings.empty());
}

TEST_CASE("a materialized view that holds no rows is a warning: SQL cannot say so", "[planner]") {
  schemas::Database db = with_table("public", "tasks");
  schemas::MaterializedView counts{"task_count", " SELECT count(*) AS n FROM tasks"};
  counts.with_data = false;
  db.schemas[0].materialized_views.push_back(counts);
  const auto document = planner::write_sql(db);
  REQUIRE(document.errors.empty());
  REQUIRE(document.warnings.size() == 1);
  CHECK(contains(document.warnings[0], "materialized view \"public.task_count\" holds no rows"));
}
