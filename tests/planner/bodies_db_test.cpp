// Objects a production database has that pgshift read wrongly (issue 12):
// SQL-standard routine bodies, tables that hold no row but were never
// analyzed, tables without columns. End to end through the CLI: inspect,
// plan, psql or apply, plan again, drift.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

constexpr const char* kBin = PGSHIFT_BIN;
constexpr const char* kPsqlBin = PGSHIFT_PSQL;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct Planned {
  int exit_code = -1;
  std::string sql;       // the plan, when one was produced
  std::string messages;  // what pgshift printed
};

Planned plan(const TestDatabase& db, const std::string& yaml) {
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", yaml);
  const std::string output = dir.path() + "/plan.sql";
  const CommandResult result =
      run_command({kBin, "plan", "--db", db.url(), "--schema", schema, "--allow-hazard", "all",
                   "--format", "sql", "--detailed-exitcode", "-o", output});
  Planned planned;
  planned.exit_code = result.exit_code;
  planned.messages = result.output;
  if (result.exit_code != 1) planned.sql = dir.read("plan.sql");
  return planned;
}

// The YAML `pgshift inspect` writes for `db`.
std::string inspect(const TestDatabase& db) {
  const TempDir dir;
  const CommandResult result =
      run_command({kBin, "inspect", "--db", db.url(), "-o", dir.path() + "/inspected.yaml"});
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  return dir.read("inspected.yaml");
}

// inspect -> YAML -> plan against the same database: nothing to do.
void check_inspect_plans_nothing(const TestDatabase& db) {
  const std::string yaml = inspect(db);
  INFO(yaml);
  const Planned again = plan(db, yaml);
  INFO(again.messages);
  INFO(again.sql);
  CHECK(again.exit_code == 0);
}

// Plans `yaml`, runs the plan with psql, plans again: nothing left. Returns
// the plan that ran.
std::string converge_to(const TestDatabase& db, const std::string& yaml) {
  const Planned first = plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  INFO(first.sql);
  const TempDir dir;
  const CommandResult applied = run_command({kPsqlBin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                             db.url(), "-f", dir.write("plan.sql", first.sql)});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  const Planned second = plan(db, yaml);
  INFO(second.messages);
  INFO(second.sql);
  REQUIRE(second.exit_code == 0);
  return first.sql;
}

constexpr const char* kTable =
    "CREATE TABLE t (id integer PRIMARY KEY, qty integer);"
    "INSERT INTO t SELECT g, g % 10 FROM generate_series(1, 100) g; ANALYZE t;";

// YAML of kTable with routines of SQL-standard bodies: `add` returns
// `add_body`.
std::string routines_yaml(const std::string& add_body) {
  return "schemas:\n"
         "  public:\n"
         "    tables:\n"
         "      t:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "          qty: integer\n"
         "        primary_key: [id]\n"
         "    functions:\n"
         "      add:\n"
         "        args: [{ name: a, type: integer }, { name: b, type: integer }]\n"
         "        returns: integer\n"
         "        volatility: immutable\n"
         "        sql_body: " +
         add_body +
         "\n"
         "      t_total:\n"
         "        returns: bigint\n"
         "        volatility: stable\n"
         "        sql_body: |-\n"
         "          BEGIN ATOMIC\n"
         "            SELECT sum(qty) FROM t;\n"
         "          END\n"
         "    procedures:\n"
         "      bump:\n"
         "        args: [{ name: by, type: integer }]\n"
         "        sql_body: |-\n"
         "          BEGIN ATOMIC\n"
         "            UPDATE t SET qty = qty + by;\n"
         "          END\n";
}

}  // namespace

TEST_CASE("SQL-standard bodies are created, changed in place, drift-checked and replan to nothing",
          "[planner][db]") {
  TestDatabase db;
  db.exec(kTable);
  if (server_version_num(db) < 140000) {
    // The server has no SQL-standard bodies: refused by name before anything runs.
    const Planned refused = plan(db, routines_yaml("RETURN a + b"));
    INFO(refused.messages);
    CHECK(refused.exit_code == 1);
    CHECK(has(refused.messages, "function \"public.add(integer, integer)\""));
    CHECK(has(refused.messages, "SQL-standard bodies need 14 or later"));
    CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'add'") == "0");
    return;
  }
  const std::string created = converge_to(db, routines_yaml("RETURN a + b"));
  // As the dev database's server spelled it back.
  CHECK(has(created,
            "CREATE OR REPLACE FUNCTION public.add(a integer, b integer) RETURNS "
            "integer LANGUAGE sql IMMUTABLE RETURN (a + b);"));
  CHECK(has(created, "BEGIN ATOMIC\n SELECT sum(t.qty) AS sum\n    FROM t;\nEND;"));
  CHECK(db.scalar("SELECT add(2, 3)") == "5");
  CHECK(db.scalar("SELECT t_total()") == "450");
  db.exec("CALL bump(1)");
  CHECK(db.scalar("SELECT t_total()") == "550");
  check_inspect_plans_nothing(db);

  // A changed body is a CREATE OR REPLACE of the new one.
  const std::string changed = converge_to(db, routines_yaml("RETURN a + b + 1"));
  CHECK(has(changed,
            "CREATE OR REPLACE FUNCTION public.add(a integer, b integer) RETURNS "
            "integer LANGUAGE sql IMMUTABLE RETURN ((a + b) + 1);"));
  CHECK_FALSE(has(changed, "t_total"));
  CHECK(db.scalar("SELECT add(2, 3)") == "6");

  // Changed out of band: drift sees it, and plan repairs it.
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", routines_yaml("RETURN a + b + 1"));
  const std::vector<std::string> drift = {kBin, "drift", "--db", db.url(), "--schema", schema};
  CHECK(run_command(drift).exit_code == 0);
  db.exec(
      "CREATE OR REPLACE FUNCTION add(a integer, b integer) RETURNS integer "
      "LANGUAGE sql IMMUTABLE RETURN a * b");
  const CommandResult drifted = run_command(drift);
  INFO(drifted.output);
  CHECK(drifted.exit_code == 2);
  CHECK(has(drifted.output, "public.add(integer, integer)"));
  CHECK(has(drifted.output, "RETURN (a * b)"));
  converge_to(db, routines_yaml("RETURN a + b + 1"));
  CHECK(db.scalar("SELECT add(2, 3)") == "6");
}

TEST_CASE("a body of a routine turned SQL-standard and back is replaced", "[planner][db]") {
  TestDatabase db;
  if (server_version_num(db) < 140000) {
    WARN("SQL-standard bodies exist from PostgreSQL 14");
    return;
  }
  db.exec("CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS 'SELECT 1'");
  const std::string head =
      "schemas:\n  public:\n    functions:\n      one:\n        returns: integer\n";
  converge_to(db, head + "        sql_body: RETURN 2\n");
  CHECK(db.scalar("SELECT one()") == "2");
  CHECK(db.scalar("SELECT prosrc FROM pg_proc WHERE proname = 'one'") == "");
  converge_to(db, head + "        body: SELECT 3\n");
  CHECK(db.scalar("SELECT one()") == "3");
  CHECK(db.scalar("SELECT prosqlbody IS NULL FROM pg_proc WHERE proname = 'one'") == "t");
}

TEST_CASE(
    "a never-analyzed empty table gets a NOT NULL column without default plainly, a "
    "never-analyzed filled one is still refused",
    "[planner][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE empty (id integer PRIMARY KEY);"
      "CREATE TABLE filled (id integer PRIMARY KEY);"
      "INSERT INTO filled SELECT generate_series(1, 50);");
  // Neither was analyzed: -1 from PostgreSQL 14, 0 before (as for an empty table).
  CHECK(db.scalar("SELECT string_agg(relname || ':' || reltuples, ',' ORDER BY relname) "
                  "FROM pg_class WHERE relname IN ('empty', 'filled')") ==
        (server_version_num(db) >= 140000 ? "empty:-1,filled:-1" : "empty:0,filled:0"));
  const std::string table_yaml =
      "      empty:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          flag: { type: boolean, nullable: false }\n"
      "        primary_key: [id]\n";
  const std::string filled_yaml =
      "      filled:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          flag: { type: boolean, nullable: false }\n"
      "        primary_key: [id]\n";
  const std::string filled_kept =
      "      filled:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "        primary_key: [id]\n";
  const std::string head = "schemas:\n  public:\n    tables:\n";

  const Planned refused = plan(db, head + table_yaml + filled_yaml);
  INFO(refused.messages);
  CHECK(refused.exit_code == 1);
  CHECK(has(refused.messages,
            "column \"flag\" of table \"public.filled\" is NOT NULL but has "
            "neither a default nor a backfill value"));
  CHECK_FALSE(has(refused.messages, "public.empty\" is NOT NULL"));

  const std::string sql = converge_to(db, head + table_yaml + filled_kept);
  CHECK(has(sql, "ALTER TABLE public.empty ADD COLUMN flag boolean NOT NULL;"));
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'empty'::regclass "
                  "AND attname = 'flag'") == "t");
  CHECK(db.scalar("SELECT count(*) FROM filled") == "50");
}

TEST_CASE("tables without columns round-trip through inspect and plan nothing against themselves",
          "[planner][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE nothing (); CREATE SCHEMA other; CREATE TABLE other.alone ();"
      "COMMENT ON TABLE other.alone IS 'no columns';"
      "CREATE TABLE kept (id integer PRIMARY KEY); ALTER TABLE kept DROP COLUMN id;");
  const std::string yaml = inspect(db);
  INFO(yaml);
  CHECK(has(yaml, "      nothing: {}\n"));
  CHECK(has(yaml, "      alone:\n        comment: no columns\n"));
  CHECK(has(yaml, "      kept: {}\n"));
  check_inspect_plans_nothing(db);

  // Created from the YAML on an empty database, they exist and replan to nothing.
  TestDatabase fresh;
  converge_to(fresh, yaml);
  CHECK(fresh.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('nothing', 'alone', "
                     "'kept') AND relkind = 'r'") == "3");
}

TEST_CASE("a routine whose SQL-standard body uses a dropped table is dropped before the table",
          "[planner][db]") {
  TestDatabase db;
  if (server_version_num(db) < 140000) {
    WARN("SQL-standard bodies exist from PostgreSQL 14");
    return;
  }
  db.exec(kTable);
  // Names that sort the table's drop first if nothing orders them.
  db.exec(
      "CREATE FUNCTION z_total() RETURNS bigint LANGUAGE sql STABLE "
      "BEGIN ATOMIC SELECT sum(qty) FROM t; END;"
      "CREATE TABLE keep (id integer)");
  const std::string sql = converge_to(db,
                                      "schemas:\n  public:\n    tables:\n      keep:\n"
                                      "        columns:\n          id: integer\n");
  const auto function_drop = sql.find("DROP FUNCTION public.z_total()");
  const auto table_drop = sql.find("DROP TABLE public.t;");
  REQUIRE(function_drop != std::string::npos);
  REQUIRE(table_drop != std::string::npos);
  CHECK(function_drop < table_drop);
}
