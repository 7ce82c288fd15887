// Changes that other objects block, planned around them, end to end: each
// scenario is set up twice, one copy migrated by the SQL rendering run
// through psql, the other by `pgshift apply --schema`; both must then plan
// nothing, keep their rows, and list the recreated dependents in the
// Markdown plan.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

constexpr const char* kPgshift = PGSHIFT_BIN;
constexpr const char* kPsql = PGSHIFT_PSQL;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// `pgshift plan` of `yaml` against `db` in `format`, every hazard allowed.
CommandResult plan(const TestDatabase& db, const std::string& yaml, const std::string& format,
                   std::string& rendering) {
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", yaml);
  const CommandResult result = run_command({kPgshift, "plan", "--db", db.url(), "--schema", schema,
                                            "--allow-hazard", "all", "--format", format,
                                            "--detailed-exitcode", "-o", dir.path() + "/plan"});
  rendering = result.exit_code == 1 ? "" : dir.read("plan");
  return result;
}

// Row count and digest of `columns` of `relation`, in `order` order.
std::string checksum(const TestDatabase& db, const std::string& relation,
                     const std::string& columns, const std::string& order = "id") {
  return db.scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(ROW(" + columns +
                   ")::text, ',' ORDER BY " + order + ")), '') FROM " + relation);
}

struct Migrated {
  std::string markdown;  // the plan, as Markdown, before migrating
  std::string sql;       // the SQL rendering psql ran
};

// Migrates `db` to `yaml` with the SQL rendering run through psql, then
// checks that nothing is left to plan.
Migrated migrate_with_psql(const TestDatabase& db, const std::string& yaml) {
  Migrated migrated;
  const CommandResult markdown = plan(db, yaml, "markdown", migrated.markdown);
  INFO(markdown.output);
  REQUIRE(markdown.exit_code == 2);
  const CommandResult sql = plan(db, yaml, "sql", migrated.sql);
  INFO(sql.output);
  REQUIRE(sql.exit_code == 2);
  const TempDir dir;
  const std::string script = dir.write("plan.sql", migrated.sql);
  const CommandResult applied =
      run_command({kPsql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", script});
  INFO(migrated.sql);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  std::string again;
  const CommandResult second = plan(db, yaml, "sql", again);
  INFO(second.output);
  INFO(again);
  CHECK(second.exit_code == 0);
  return migrated;
}

// Migrates `db` to `yaml` with `pgshift apply --schema`, then checks that
// nothing is left to plan.
void migrate_with_apply(const TestDatabase& db, const std::string& yaml) {
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", yaml);
  const CommandResult applied = run_command({kPgshift, "apply", "--db", db.url(), "--schema",
                                             schema, "--allow-hazard", "all", "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  std::string again;
  const CommandResult second = plan(db, yaml, "sql", again);
  INFO(second.output);
  INFO(again);
  CHECK(second.exit_code == 0);
}

// public.t (id, name, qty) with 2000 rows, analyzed.
constexpr const char* kFilledTable =
    "CREATE TABLE t (id integer PRIMARY KEY, name text, qty integer);"
    "INSERT INTO t SELECT g, 'name ' || g, g % 100 FROM generate_series(1, 2000) g;"
    "ANALYZE t;";

constexpr const char* kTableYaml =
    "schemas:\n"
    "  public:\n"
    "    tables:\n"
    "      t:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          name: text\n"
    "          qty: integer\n"
    "        primary_key: [id]\n";

}  // namespace

TEST_CASE("a view losing and reordering columns is dropped and created, with the view on it",
          "[planner][db]") {
  const std::string setup = std::string(kFilledTable) +
                            "CREATE VIEW v1 AS SELECT id, name, qty FROM t;"
                            "CREATE VIEW v2 AS SELECT id, qty FROM v1 WHERE qty > 10;"
                            "CREATE MATERIALIZED VIEW m AS SELECT id, qty FROM v2;";
  const std::string yaml = std::string(kTableYaml) +
                           "    views:\n"
                           "      v1: SELECT qty, id FROM t\n"
                           "      v2: SELECT id, qty FROM v1 WHERE qty > 10\n"
                           "    materialized_views:\n"
                           "      m: SELECT id, qty FROM v2\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const std::string rows = checksum(by_psql, "t", "id, name, qty");
  const std::string through = checksum(by_psql, "m", "id, qty");

  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.markdown);
  CHECK(contains(migrated.markdown, "### Recreated dependents"));
  CHECK(contains(migrated.markdown, "view \"public.v1\" | "));
  CHECK(contains(migrated.markdown, "column 1 would change from \"id\" to \"qty\""));
  CHECK(contains(migrated.markdown, "view \"public.v2\" | "));
  CHECK(contains(migrated.markdown, "it uses view \"public.v1\" (recreated)"));
  CHECK(contains(migrated.markdown, "materialized view \"public.m\" | "));
  CHECK(contains(migrated.markdown, "it uses view \"public.v2\" (recreated)"));
  CHECK(contains(migrated.markdown, "`dependent_recreated`"));
  CHECK_FALSE(contains(migrated.sql, "CREATE OR REPLACE VIEW public."));
  migrate_with_apply(by_apply, yaml);

  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(checksum(*db, "t", "id, name, qty") == rows);
    CHECK(checksum(*db, "m", "id, qty") == through);
    CHECK(db->scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                     "WHERE attrelid = 'v1'::regclass AND attnum > 0") == "qty,id");
  }
}

TEST_CASE("a view adding a column at the end is replaced in place, its dependents kept",
          "[planner][db]") {
  const std::string setup = std::string(kFilledTable) +
                            "CREATE VIEW v1 AS SELECT id, qty FROM t;"
                            "CREATE VIEW v2 AS SELECT id FROM v1;";
  const std::string yaml = std::string(kTableYaml) +
                           "    views:\n"
                           "      v1: SELECT id, qty, name FROM t\n"
                           "      v2: SELECT id FROM v1\n";
  const TestDatabase db;
  db.exec(setup);
  const Migrated migrated = migrate_with_psql(db, yaml);
  INFO(migrated.sql);
  CHECK(contains(migrated.sql, "CREATE OR REPLACE VIEW public.v1"));
  CHECK_FALSE(contains(migrated.sql, "DROP VIEW"));
  CHECK_FALSE(contains(migrated.markdown, "Recreated dependents"));
}

TEST_CASE("a view whose column changes type is dropped and created", "[planner][db]") {
  const std::string setup = std::string(kFilledTable) + "CREATE VIEW v AS SELECT id, qty FROM t;";
  const std::string yaml = std::string(kTableYaml) +
                           "    views:\n"
                           "      v: SELECT id, qty::bigint AS qty FROM t\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.markdown);
  CHECK(contains(migrated.markdown, "would change its type from integer to bigint"));
  migrate_with_apply(by_apply, yaml);
  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(db->scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'v'::regclass AND attname = 'qty'") == "bigint");
  }
}

TEST_CASE("text to a new enum with a text default and a CHECK keeps the values",
          "[planner][db]") {
  const std::string setup =
      "CREATE TABLE tickets (id integer PRIMARY KEY, state text NOT NULL DEFAULT 'new', "
      "  CONSTRAINT tickets_state_check CHECK (state IN ('new', 'open', 'done')));"
      "INSERT INTO tickets SELECT g, (ARRAY['new', 'open', 'done'])[g % 3 + 1] "
      "  FROM generate_series(1, 3000) g;"
      "ANALYZE tickets;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    enums:\n"
      "      ticket_state: [new, open, done]\n"
      "    tables:\n"
      "      tickets:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          state: { type: ticket_state, nullable: false, default: \"'new'\" }\n"
      "        primary_key: [id]\n"
      "        checks:\n"
      "          tickets_state_check: state IN ('new', 'open', 'done')\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const std::string rows = checksum(by_psql, "tickets", "id, state::text");
  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.sql);
  CHECK(contains(migrated.sql, "ALTER COLUMN state DROP DEFAULT"));
  CHECK(contains(migrated.sql, "drop (to add again) check constraint \"tickets_state_check\""));
  CHECK(contains(migrated.sql, "ALTER COLUMN state SET DEFAULT 'new'::ticket_state"));
  migrate_with_apply(by_apply, yaml);
  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(checksum(*db, "tickets", "id, state::text") == rows);
    CHECK(db->scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'tickets'::regclass AND attname = 'state'") ==
          "ticket_state");
    db->exec("INSERT INTO tickets (id) VALUES (100000)");
    CHECK(db->scalar("SELECT state FROM tickets WHERE id = 100000") == "new");
  }
}

TEST_CASE("a column type change under a view chain drops and recreates the views around it",
          "[planner][db]") {
  const std::string setup = std::string(kFilledTable) +
                            "CREATE VIEW v1 AS SELECT id, qty FROM t WHERE qty > 5;"
                            "CREATE VIEW v2 AS SELECT id, qty * 2 AS twice FROM v1;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          name: text\n"
      "          qty: bigint\n"
      "        primary_key: [id]\n"
      "    views:\n"
      "      v1: SELECT id, qty FROM t WHERE qty > 5\n"
      "      v2: SELECT id, qty * 2 AS twice FROM v1\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const std::string rows = checksum(by_psql, "t", "id, name, qty");
  const std::string through = checksum(by_psql, "v2", "id, twice");
  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.markdown);
  CHECK(contains(migrated.markdown, "view \"public.v1\" | "));
  CHECK(contains(migrated.markdown, "column \"qty\" of table \"public.t\" (dropped or retyped)"));
  CHECK(contains(migrated.markdown, "view \"public.v2\" | "));
  migrate_with_apply(by_apply, yaml);
  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(checksum(*db, "t", "id, name, qty") == rows);
    CHECK(checksum(*db, "v2", "id, twice") == through);
  }
}

TEST_CASE("a function gaining a defaulted argument is replaced around the view calling it",
          "[planner][db]") {
  const std::string setup = std::string(kFilledTable) +
                            "CREATE FUNCTION scaled(n integer) RETURNS integer "
                            "  LANGUAGE sql IMMUTABLE AS 'SELECT n * 10';"
                            "CREATE VIEW v AS SELECT id, scaled(qty) AS s FROM t;"
                            "CREATE VIEW w AS SELECT id, s FROM v WHERE s > 100;";
  const std::string yaml = std::string(kTableYaml) +
                           "    functions:\n"
                           "      scaled:\n"
                           "        args: [{ name: n, type: integer },"
                           " { name: factor, type: integer, default: 10 }]\n"
                           "        returns: integer\n"
                           "        language: sql\n"
                           "        volatility: immutable\n"
                           "        body: SELECT n * factor\n"
                           "    views:\n"
                           "      v: SELECT id, scaled(qty) AS s FROM t\n"
                           "      w: SELECT id, s FROM v WHERE s > 100\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const std::string through = checksum(by_psql, "w", "id, s");
  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.markdown);
  CHECK(contains(migrated.markdown, "view \"public.v\" | "));
  CHECK(contains(migrated.markdown, "function \"public.scaled(integer)\" (dropped"));
  CHECK(contains(migrated.markdown, "view \"public.w\" | "));
  CHECK(contains(migrated.markdown, "it uses view \"public.v\" (recreated)"));
  migrate_with_apply(by_apply, yaml);
  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(checksum(*db, "w", "id, s") == through);
    CHECK(db->scalar("SELECT count(*) FROM pg_proc WHERE proname = 'scaled'") == "1");
  }
}
