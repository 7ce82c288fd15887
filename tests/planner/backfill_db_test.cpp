// Backfills of tables keyed by uuid, by text (a unique constraint), by a
// composite key, and of a table with no key, end to end: `pgshift plan`, the
// SQL rendering run by psql or `pgshift apply`, a second plan that finds
// nothing to do, every row filled and every other value kept.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/converge.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

struct KeyCase {
  const char* name;
  const char* setup;    // the table t with rows
  const char* columns;  // its columns before the change, for the digest
  const char* yaml;     // t with a new NOT NULL column "tag" and a volatile default
};

// Enough rows for many batches of the YAML's backfill_batch_size.
const std::vector<KeyCase> kCases = {
    {"uuid primary key",
     "CREATE TABLE t (id uuid PRIMARY KEY, n integer NOT NULL);"
     "INSERT INTO t SELECT md5(g::text)::uuid, g FROM generate_series(1, 2500) g",
     "id, n", R"yaml(
schemas:
  public:
    tables:
      t:
        backfill_batch_size: 300
        primary_key: [id]
        columns:
          id: { type: uuid, nullable: false }
          n: { type: integer, nullable: false }
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
)yaml"},
    {"text unique key",
     "CREATE TABLE t (code text NOT NULL UNIQUE, n integer);"
     "INSERT INTO t SELECT 'k' || g || '''\"' || chr(65 + g % 26), g FROM generate_series(1, 2500) g",
     "code, n", R"yaml(
schemas:
  public:
    tables:
      t:
        backfill_batch_size: 300
        unique:
          - { name: t_code_key, columns: [code] }
        columns:
          code: { type: text, nullable: false }
          n: integer
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
)yaml"},
    {"composite primary key",
     "CREATE TABLE t (tenant integer, at timestamptz, n integer NOT NULL,"
     " PRIMARY KEY (tenant, at));"
     "INSERT INTO t SELECT g % 7, timestamptz '2026-01-01 00:00:00.123456+00' + g * interval "
     "'1.5 second', g FROM generate_series(1, 2500) g",
     "tenant, at, n", R"yaml(
schemas:
  public:
    tables:
      t:
        backfill_batch_size: 300
        primary_key: [tenant, at]
        columns:
          tenant: { type: integer, nullable: false }
          at: { type: timestamp with time zone, nullable: false }
          n: { type: integer, nullable: false }
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
)yaml"},
    {"no key",
     "CREATE TABLE t (n integer, payload text);"
     "INSERT INTO t SELECT g % 100, repeat('x', g % 50) FROM generate_series(1, 2500) g",
     "n, payload", R"yaml(
schemas:
  public:
    tables:
      t:
        backfill_batch_size: 300
        columns:
          n: integer
          payload: text
          tag: { type: text, nullable: false, default: "md5(random()::text)" }
)yaml"},
};

// Row count and a digest of `columns` over every row, in an order that needs
// no key.
std::string digest(const TestDatabase& db, const std::string& columns) {
  return db.scalar("SELECT count(*) || ':' || md5(string_agg(r, ',' ORDER BY r)) FROM (SELECT ROW(" +
                   columns + ")::text AS r FROM t) rows");
}

}  // namespace

TEST_CASE("backfills of uuid, text, composite and keyless tables converge through psql",
          "[planner][db]") {
  for (const KeyCase& key_case : kCases) {
    DYNAMIC_SECTION(key_case.name) {
      TestDatabase db;
      db.exec(key_case.setup);
      db.exec("ANALYZE t");
      const std::string before = digest(db, key_case.columns);
      const std::string sql = converge(db, key_case.yaml);
      CHECK(contains(sql, "backfill column \"tag\""));
      CHECK_FALSE(contains(sql, "cannot backfill"));
      CHECK(digest(db, key_case.columns) == before);
      CHECK(db.scalar("SELECT count(*) FROM t WHERE tag IS NULL") == "0");
      CHECK(db.scalar("SELECT count(DISTINCT tag) FROM t") == "2500");
    }
  }
}

TEST_CASE("pgshift apply backfills uuid, text, composite and keyless tables in many batches",
          "[planner][db]") {
  for (const KeyCase& key_case : kCases) {
    DYNAMIC_SECTION(key_case.name) {
      TestDatabase db;
      db.exec(key_case.setup);
      db.exec("ANALYZE t");
      const std::string before = digest(db, key_case.columns);
      const TempDir dir;
      const std::string yaml = dir.write("schema.yaml", key_case.yaml);
      const CommandResult applied =
          run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", yaml, "--yes",
                       "--allow-hazard", "all", "--batch-size", "300", "--pause", "0ms"});
      INFO(applied.output);
      REQUIRE(applied.exit_code == 0);
      CHECK(contains(applied.output, "backfill column \"tag\""));
      CHECK(digest(db, key_case.columns) == before);
      CHECK(db.scalar("SELECT count(*) FROM t WHERE tag IS NULL") == "0");
      CHECK(db.scalar("SELECT count(DISTINCT tag) FROM t") == "2500");
      const PlanRun again = run_plan(db, key_case.yaml);
      INFO(again.plan);
      CHECK(again.exit_code == 0);
    }
  }
}
