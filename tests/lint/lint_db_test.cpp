// `pgshift lint --db`: the catalog decides what the file alone cannot (table
// sizes, empty tables, column types, function volatility, casts), read by
// catalog::read_lint_facts from a real server.
#include <catch2/catch.hpp>
#include <string>

#include "catalog/connection.hpp"
#include "catalog/lint_facts.hpp"
#include "lint/lint.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

namespace {

using pgshift::testing::TestDatabase;

void setup(const TestDatabase& db) {
  db.exec(
      "CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(50), name varchar(20), "
      "  amount integer, net cidr);"
      "INSERT INTO customers SELECT g, 'c' || g || '@x', 'n' || g, g FROM generate_series(1, 2000) g;"
      "ANALYZE customers;"
      "CREATE TABLE empty_t (id integer, a text);"
      "ANALYZE empty_t;"
      "CREATE TABLE fresh (id integer);"
      "INSERT INTO fresh SELECT generate_series(1, 10);"
      "CREATE FUNCTION stable_fn() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 1';"
      "CREATE FUNCTION volatile_fn() RETURNS integer LANGUAGE sql VOLATILE AS 'SELECT 1';");
}

const std::string kMigration =
    "SET lock_timeout = '1s';\n"
    "CREATE INDEX customers_email_idx ON customers (email);\n"    // 2
    "CREATE INDEX empty_a_idx ON empty_t (a);\n"                  // 3
    "ALTER TABLE customers ADD COLUMN s integer DEFAULT stable_fn();\n"    // 4
    "ALTER TABLE customers ADD COLUMN v integer DEFAULT volatile_fn();\n"  // 5
    "ALTER TABLE customers ALTER COLUMN name TYPE varchar(40);\n"  // 6
    "ALTER TABLE customers ALTER COLUMN amount TYPE bigint;\n"     // 7
    "ALTER TABLE empty_t ALTER COLUMN id SET NOT NULL;\n"          // 8
    "ALTER TABLE fresh ALTER COLUMN id SET NOT NULL;\n"           // 9
    "ALTER TABLE customers ALTER COLUMN email TYPE varchar(60) USING upper(email);\n"  // 10
    "ALTER TABLE customers ALTER COLUMN net TYPE inet;\n";  // 11: pg_cast says binary-coercible

std::string findings(const pgshift::lint::FileReport& report) {
  std::string out;
  for (const auto& statement : report.statements) {
    for (const auto& finding : statement.findings) {
      out += std::to_string(statement.line) + " " + finding.rule + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("with --db, sizes are named and empty tables, stable functions and widening casts "
          "raise no alarm",
          "[lint][db]") {
  TestDatabase db;
  setup(db);
  const auto conn = pgshift::catalog::connect(db.url());
  pgshift::catalog::LintQuery query;
  const auto names = pgshift::lint::names_in(kMigration);
  for (const auto& relation : names.relations) query.relations.emplace_back(relation.schema, relation.name);
  query.functions.assign(names.functions.begin(), names.functions.end());
  const auto catalog = pgshift::catalog::read_lint_facts(*conn, query);
  CHECK(catalog.facts.server_version_num >= 110000);
  REQUIRE(catalog.facts.table_stats.count("public.customers") == 1);
  CHECK(catalog.facts.table_stats.at("public.customers").has_rows == true);
  CHECK(catalog.facts.table_stats.at("public.empty_t").has_rows == false);

  pgshift::lint::Options options;
  options.catalog = &catalog;
  const auto report = pgshift::lint::lint_file("m.sql", kMigration, options);
  INFO(pgshift::lint::render_text({report}));
  CHECK(findings(report) ==
        "2 index-not-concurrent\n"
        "5 volatile-default\n"
        "7 type-change-rewrite\n"
        "9 set-not-null\n"
        "10 type-change-rewrite\n");
  const std::string& message = report.statements[1].findings[0].message;
  CHECK(message.rfind("public.customers: 2,000 rows (estimate), ", 0) == 0);
  CHECK(message.find("B: CREATE INDEX \"customers_email_idx\" without CONCURRENTLY holds "
                     "SHARE on \"public.customers\"") != std::string::npos);
  CHECK(report.statements[6].findings[0].message.find(
            "the cast from integer to bigint is not binary-coercible") != std::string::npos);

  // Without the catalog the same file raises the alarms --db silenced.
  const auto blind = pgshift::lint::lint_file("m.sql", kMigration, pgshift::lint::Options{});
  CHECK(findings(blind) ==
        "2 index-not-concurrent\n"
        "3 index-not-concurrent\n"
        "4 volatile-default\n"
        "5 volatile-default\n"
        "6 type-change-rewrite\n"
        "7 type-change-rewrite\n"
        "8 set-not-null\n"
        "9 set-not-null\n"
        "10 type-change-rewrite\n"
        "11 type-change-rewrite\n");
}

TEST_CASE("pgshift lint --db exits 2 with the table's size, 1 when the database cannot be read",
          "[lint][db]") {
  TestDatabase db;
  setup(db);
  pgshift::testing::TempDir dir;
  const std::string file = dir.write("001.sql", kMigration);
  const auto result = pgshift::testing::run_command({PGSHIFT_BIN, "lint", "--db", db.url(), file});
  INFO(result.output);
  CHECK(result.exit_code == 2);
  CHECK(result.output.find("public.customers: 2,000 rows (estimate)") != std::string::npos);
  CHECK(result.output.find("the default calls volatile_fn(), which is volatile "
                           "(pg_proc.provolatile)") != std::string::npos);
  const std::string clean = dir.write("002.sql", "SET lock_timeout = '1s';\nCREATE INDEX e ON empty_t (a);\n");
  CHECK(pgshift::testing::run_command({PGSHIFT_BIN, "lint", "--db", db.url(), clean}).exit_code == 0);
  const auto unreachable = pgshift::testing::run_command(
      {PGSHIFT_BIN, "lint", "--db", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", file});
  CHECK(unreachable.exit_code == 1);
}
