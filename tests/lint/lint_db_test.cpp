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

TEST_CASE("with --db, a statement that blocks while it scans says for about how long, from the "
          "same estimate as plan's steps",
          "[lint][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE customers (id bigint PRIMARY KEY, email text, amount integer);"
      "INSERT INTO customers SELECT g, 'c' || g || '@x', g FROM generate_series(1, 50000) g;"
      "ANALYZE customers");
  pgshift::testing::TempDir dir;
  const std::string file =
      dir.write("001.sql",
                "SET lock_timeout = '1s';\n"
                "ALTER TABLE customers ADD CONSTRAINT amount_positive CHECK (amount > 0);\n"
                "CREATE INDEX customers_email_idx ON customers (email);\n");
  const auto result =
      pgshift::testing::run_command({PGSHIFT_BIN, "lint", "--db", db.url(), file});
  INFO(result.output);
  CHECK(result.exit_code == 2);
  // "public.customers: 50,000 rows (estimate), 3 MB: ADD CONSTRAINT ... holds
  // ACCESS EXCLUSIVE on "public.customers" for about 12 ms while it scans".
  CHECK(result.output.find("holds ACCESS EXCLUSIVE on \"public.customers\" for about ") !=
        std::string::npos);
  CHECK(result.output.find("holds SHARE on \"public.customers\" for about ") != std::string::npos);
  CHECK(result.output.find("note: estimated: about ") != std::string::npos);
  CHECK(result.output.find(" MB/s, calibration: read 50000 rows (") != std::string::npos);

  // The figures are plan's: the CHECK scans once (factor 1), the index
  // build three times as long (factor 3).
  const auto json = pgshift::testing::run_command(
      {PGSHIFT_BIN, "lint", "--db", db.url(), "--format", "json", file});
  INFO(json.output);
  auto estimate = [&](size_t from) {
    const std::string marker = "\"estimated_ms\": ";
    const auto at = json.output.find(marker, from);
    REQUIRE(at != std::string::npos);
    return std::make_pair(std::stoll(json.output.substr(at + marker.size())), at + 1);
  };
  const auto check = estimate(0);
  const auto index = estimate(check.second);
  CHECK(std::abs(index.first - 3 * check.first) <= 1);

  // Without --db, no size: no estimate.
  const auto blind = pgshift::testing::run_command({PGSHIFT_BIN, "lint", file});
  CHECK(blind.output.find("for about") == std::string::npos);
}

TEST_CASE("pgshift's plan that adds a key to a populated partitioned table lints clean, with "
          "and without --db",
          "[lint][db]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE ev (id bigint NOT NULL, at date NOT NULL, note text) PARTITION BY RANGE (at);"
      "CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
      "CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') "
      "  PARTITION BY RANGE (at);"
      "CREATE TABLE ev_2025_a PARTITION OF ev_2025 FOR VALUES FROM ('2025-01-01') TO "
      "  ('2025-07-01');"
      "CREATE TABLE ev_2025_b PARTITION OF ev_2025 FOR VALUES FROM ('2025-07-01') TO "
      "  ('2026-01-01');"
      "INSERT INTO ev SELECT g, date '2024-01-01' + g % 700, 'n' FROM generate_series(1, 3000) g;"
      "ANALYZE");
  pgshift::testing::TempDir dir;
  const std::string columns =
      "        columns:\n"
      "          id: { type: bigint, nullable: false }\n"
      "          at: { type: date, nullable: false }\n"
      "          note: text\n";
  const std::string yaml = dir.write(
      "s.yaml",
      "schemas:\n  public:\n    tables:\n      ev:\n" + columns +
          "        primary_key: [id, at]\n"
          "        partition_by: { strategy: range, key: at }\n"
          "      ev_2024:\n" + columns +
          "        partition_of: { table: ev, bound: \"FOR VALUES FROM ('2024-01-01') TO "
          "('2025-01-01')\" }\n"
          "      ev_2025:\n" + columns +
          "        partition_by: { strategy: range, key: at }\n"
          "        partition_of: { table: ev, bound: \"FOR VALUES FROM ('2025-01-01') TO "
          "('2026-01-01')\" }\n"
          "      ev_2025_a:\n" + columns +
          "        partition_of: { table: ev_2025, bound: \"FOR VALUES FROM ('2025-01-01') TO "
          "('2025-07-01')\" }\n"
          "      ev_2025_b:\n" + columns +
          "        partition_of: { table: ev_2025, bound: \"FOR VALUES FROM ('2025-07-01') TO "
          "('2026-01-01')\" }\n");
  const std::string plan = dir.path() + "/plan.sql";
  const auto planned = pgshift::testing::run_command(
      {PGSHIFT_BIN, "plan", "--db", db.url(), "--schema", yaml, "--format", "sql", "-o", plan});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  const std::string sql = dir.read("plan.sql");
  INFO(sql);
  REQUIRE(sql.find("ALTER TABLE public.ev ADD CONSTRAINT ev_pkey PRIMARY KEY (id, at)") !=
          std::string::npos);
  for (const bool with_db : {false, true}) {
    std::vector<std::string> args = {PGSHIFT_BIN, "lint", plan};
    if (with_db) args = {PGSHIFT_BIN, "lint", "--db", db.url(), plan};
    const auto linted = pgshift::testing::run_command(args);
    INFO(linted.output);
    CHECK(linted.exit_code == 0);
    CHECK(linted.output.find("add_key_attaching_partitions") != std::string::npos);
    CHECK(linted.output.find("unique-without-index") == std::string::npos);
  }

  // The same ADD written by hand, without the partitions' keys before it:
  // the server builds them under the lock, and lint says so.
  const std::string hand = dir.write(
      "002.sql", "SET lock_timeout = '1s';\nALTER TABLE ev ADD PRIMARY KEY (id, at);\n");
  const auto linted = pgshift::testing::run_command({PGSHIFT_BIN, "lint", hand});
  INFO(linted.output);
  CHECK(linted.exit_code == 2);
  CHECK(linted.output.find("unique-without-index") != std::string::npos);
}
