// Changes that other objects block, planned around them, end to end: each
// scenario is set up twice, one copy migrated by the SQL rendering run
// through psql, the other by `pgshift apply --schema`; both must then plan
// nothing, keep their rows, and list the recreated dependents in the
// Markdown plan.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
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

// Whether `first` comes before `second` in the SQL rendering `sql`, in one
// transaction: no COMMIT between them.
bool in_one_transaction(const std::string& sql, const std::string& first,
                        const std::string& second) {
  const auto at_first = sql.find(first);
  const auto at_second = sql.find(second);
  return at_first != std::string::npos && at_second != std::string::npos &&
         at_first < at_second && sql.find("COMMIT;", at_first) > at_second;
}

// The Markdown plan's "Recreated dependents" table: up to the next heading.
std::string recreated_dependents(const std::string& markdown) {
  const auto start = markdown.find("### Recreated dependents");
  if (start == std::string::npos) return "";
  return markdown.substr(start, markdown.find("\n### ", start + 1) - start);
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

// Sets up `setup` twice and migrates one copy to `yaml` through psql, then
// `check_plan` of its plan, the other with `apply`; on each, `state` (row
// counts and digests) must read the same before and after, then
// `check_after` runs.
void migrate_both_ways(const std::string& setup, const std::string& yaml,
                       const std::function<std::string(const TestDatabase&)>& state,
                       const std::function<void(const Migrated&)>& check_plan,
                       const std::function<void(const TestDatabase&)>& check_after) {
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string before = state(db);
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      INFO(migrated.markdown);
      INFO(migrated.sql);
      check_plan(migrated);
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(state(db) == before);
    check_after(db);
  }
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

// scaled(n): what the routine tests start from; kScaledWithFactor, the
// YAML of what they change it to: a defaulted argument added, so the
// signature changes and the routine is dropped and created.
const std::string kScaled =
    "CREATE FUNCTION scaled(n integer) RETURNS integer LANGUAGE sql IMMUTABLE "
    "AS 'SELECT n * 10';";
constexpr const char* kScaledWithFactor =
    "    functions:\n"
    "      scaled:\n"
    "        args: [{ name: n, type: integer }, { name: factor, type: integer, default: 10 }]\n"
    "        returns: integer\n"
    "        language: sql\n"
    "        volatility: immutable\n"
    "        body: SELECT n * factor\n";

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

TEST_CASE("a function gaining a defaulted argument is dropped and created around the views "
          "calling it in its own transaction, the view on the view and a view's comment included",
          "[planner][db]") {
  const std::string setup = std::string(kFilledTable) +
                            kScaled +
                            "CREATE VIEW v AS SELECT id, scaled(qty) AS s FROM t;"
                            "COMMENT ON VIEW v IS 'scaled quantities';"
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
                           "      v: { definition: \"SELECT id, scaled(qty) AS s FROM t\","
                           " comment: scaled quantities }\n"
                           "      w: SELECT id, s FROM v WHERE s > 100\n";
  const TestDatabase by_psql;
  const TestDatabase by_apply;
  by_psql.exec(setup);
  by_apply.exec(setup);
  const std::string through = checksum(by_psql, "w", "id, s");
  const Migrated migrated = migrate_with_psql(by_psql, yaml);
  INFO(migrated.markdown);
  INFO(migrated.sql);
  // No query ever finds v or w missing: w is dropped before v, both before
  // the old function, and created after it in the opposite order, in one
  // transaction.
  CHECK_FALSE(contains(migrated.markdown, "### Recreated dependents"));
  CHECK_FALSE(contains(migrated.markdown, "`dependent_recreated`"));
  const std::vector<std::string> in_order = {"DROP VIEW public.w", "DROP VIEW public.v",
                                             "DROP FUNCTION public.scaled(integer)",
                                             "CREATE VIEW public.v", "COMMENT ON VIEW public.v",
                                             "CREATE VIEW public.w"};
  for (size_t at = 1; at < in_order.size(); ++at) {
    INFO(in_order[at - 1] + " then " + in_order[at]);
    CHECK(in_one_transaction(migrated.sql, in_order[at - 1], in_order[at]));
  }
  migrate_with_apply(by_apply, yaml);
  for (const TestDatabase* db : {&by_psql, &by_apply}) {
    CHECK(checksum(*db, "w", "id, s") == through);
    CHECK(db->scalar("SELECT count(*) FROM pg_proc WHERE proname = 'scaled'") == "1");
    CHECK(db->scalar("SELECT obj_description('v'::regclass, 'pg_class')") == "scaled quantities");
  }
}

TEST_CASE("a function signature change with a dependent view and defaults calling it drops and "
          "sets the defaults again in the function's own transaction",
          "[planner][db][dependents]") {
  const std::string setup = std::string(kFilledTable) +
                            kScaled +
                            "ALTER TABLE t ADD COLUMN score integer DEFAULT scaled(5),"
                            "  ADD COLUMN bonus integer DEFAULT scaled(1);"
                            "CREATE TABLE other (id integer, base integer DEFAULT scaled(2));"
                            "INSERT INTO other (id) SELECT g FROM generate_series(1, 50) g;"
                            "CREATE VIEW v AS SELECT id, scaled(qty) AS s FROM t;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          name: text\n"
      "          qty: integer\n"
      "          score: { type: integer, default: scaled(5) }\n"
      "          bonus: { type: integer, default: \"scaled(1, 3)\" }\n"
      "        primary_key: [id]\n"
      "      other:\n"
      "        columns:\n"
      "          id: integer\n"
      "          base: { type: integer, default: scaled(2) }\n" +
      std::string(kScaledWithFactor) +
      "    views:\n"
      "      v: SELECT id, scaled(qty) AS s FROM t\n";
  migrate_both_ways(
      setup, yaml,
      [](const TestDatabase& db) {
        return checksum(db, "t", "id, name, qty, score, bonus") +
               checksum(db, "other", "id, base") + checksum(db, "v", "id, s");
      },
      [](const Migrated& migrated) {
        // Neither the view nor the defaults leave a window: no insert can
        // miss a default, no query the view.
        CHECK_FALSE(contains(migrated.markdown, "### Recreated dependents"));
        const std::string drop_function = "DROP FUNCTION public.scaled(integer)";
        CHECK(in_one_transaction(migrated.sql, "DROP VIEW public.v", drop_function));
        CHECK(in_one_transaction(migrated.sql, drop_function, "CREATE VIEW public.v"));
        const auto create_function = migrated.sql.find("CREATE OR REPLACE FUNCTION public.scaled");
        const auto set_default = migrated.sql.find("ALTER COLUMN score SET DEFAULT scaled(5)");
        // The new overload comes first; the old one is dropped between each
        // default's drop and its new value, all in one transaction.
        CHECK(create_function < set_default);
        for (const auto& [dropped, set] :
             std::vector<std::pair<std::string, std::string>>{
                 {"ALTER COLUMN score DROP DEFAULT", "ALTER COLUMN score SET DEFAULT scaled(5)"},
                 {"ALTER COLUMN bonus DROP DEFAULT", "ALTER COLUMN bonus SET DEFAULT scaled(1, 3)"},
                 {"ALTER COLUMN base DROP DEFAULT", "ALTER COLUMN base SET DEFAULT scaled(2)"}}) {
          INFO(dropped);
          CHECK(in_one_transaction(migrated.sql, dropped, drop_function));
          CHECK(in_one_transaction(migrated.sql, drop_function, set));
        }
      },
      [](const TestDatabase& db) {
        db.exec("INSERT INTO t (id) VALUES (100000); INSERT INTO other (id) VALUES (100000)");
        CHECK(db.scalar("SELECT score || '/' || bonus FROM t WHERE id = 100000") == "50/3");
        CHECK(db.scalar("SELECT base FROM other WHERE id = 100000") == "20");
        CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'scaled'") == "1");
      });
}

TEST_CASE("a function signature change under a CHECK, indexes and policies calling it recreates "
          "the CHECK, the policies and an empty table's index in the function's own transaction, "
          "and builds a filled table's indexes concurrently around it",
          "[planner][db][dependents]") {
  const std::string setup =
      std::string(kFilledTable) +
      kScaled +
      "ALTER TABLE t ADD CONSTRAINT qty_scaled CHECK (scaled(qty) >= 0);"
      "CREATE INDEX t_scaled_idx ON t (scaled(qty));"
      "COMMENT ON INDEX t_scaled_idx IS 'by scaled quantity';"
      "CREATE UNIQUE INDEX t_scaled_id_key ON t (scaled(id)) WHERE qty > 50;"
      "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
      "CREATE POLICY visible ON t USING (scaled(qty) >= 0);"
      "COMMENT ON POLICY visible ON t IS 'every counted row';"
      "CREATE POLICY capped ON t AS RESTRICTIVE USING (scaled(qty) < 5000);"
      "CREATE TABLE e (id integer, v integer);"
      "CREATE INDEX e_idx ON e (scaled(v));"
      "ANALYZE e;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          name: text\n"
      "          qty: integer\n"
      "        primary_key: [id]\n"
      "        checks:\n"
      "          qty_scaled: scaled(qty) >= 0\n"
      "        indexes:\n"
      "          t_scaled_idx: { columns: [{ expression: scaled(qty) }], comment: by scaled "
      "quantity }\n"
      "          t_scaled_id_key: { columns: [{ expression: scaled(id) }], unique: true, where: "
      "qty > 50 }\n"
      "        row_security: { enabled: true }\n"
      "        policies:\n"
      "          visible: { using: scaled(qty) >= 0, comment: every counted row }\n"
      "          capped: { kind: restrictive, using: scaled(qty) < 5000 }\n"
      "      e:\n"
      "        columns:\n"
      "          id: integer\n"
      "          v: integer\n"
      "        indexes:\n"
      "          e_idx: { columns: [{ expression: scaled(v) }] }\n" +
      std::string(kScaledWithFactor);
  migrate_both_ways(
      setup, yaml,
      [](const TestDatabase& db) {
        return checksum(db, "t", "id, name, qty");
      },
      [](const Migrated& migrated) {
        // Only the filled table's indexes, built CONCURRENTLY (which no
        // transaction can hold), are missing between two steps.
        CHECK(contains(migrated.markdown, "### Recreated dependents"));
        for (const char* dependent : {"index \"t\\_scaled\\_idx\" of table \"public.t\" | ",
                                      "index \"t\\_scaled\\_id\\_key\" of table \"public.t\" | "}) {
          INFO(dependent);
          CHECK(contains(recreated_dependents(migrated.markdown), dependent));
        }
        for (const char* dependent :
             {"check constraint \"qty\\_scaled\" of table \"public.t\" | ",
              "policy \"visible\" of table \"public.t\" | ",
              "policy \"capped\" of table \"public.t\" | ",
              "index \"e\\_idx\" of table \"public.e\" | "}) {
          INFO(dependent);
          CHECK_FALSE(contains(recreated_dependents(migrated.markdown), dependent));
        }
        CHECK(contains(migrated.markdown, "uniqueness is not enforced in between"));
        // The restrictive policy is never missing: no step widens access.
        CHECK_FALSE(contains(migrated.markdown, "`access_widened`"));
        const std::string drop_function = "DROP FUNCTION public.scaled(integer)";
        const auto dropped_at = migrated.sql.find(drop_function);
        REQUIRE(dropped_at != std::string::npos);
        for (const auto& [dropped, created] : std::vector<std::pair<std::string, std::string>>{
                 {"DROP CONSTRAINT qty_scaled", "ADD CONSTRAINT qty_scaled CHECK"},
                 {"DROP POLICY visible", "CREATE POLICY visible"},
                 {"DROP POLICY capped", "CREATE POLICY capped"},
                 {"DROP INDEX public.e_idx", "CREATE INDEX e_idx"}}) {
          INFO(dropped);
          CHECK(in_one_transaction(migrated.sql, dropped, drop_function));
          CHECK(in_one_transaction(migrated.sql, drop_function, created));
        }
        for (const char* before : {"DROP INDEX CONCURRENTLY IF EXISTS public.t_scaled_idx",
                                   "DROP INDEX CONCURRENTLY IF EXISTS public.t_scaled_id_key"}) {
          INFO(before);
          CHECK(migrated.sql.find(before) < dropped_at);
        }
        for (const char* after :
             {"VALIDATE CONSTRAINT qty_scaled", "CREATE INDEX CONCURRENTLY t_scaled_idx",
              "CREATE UNIQUE INDEX CONCURRENTLY t_scaled_id_key"}) {
          INFO(after);
          const auto at = migrated.sql.find(after);
          CHECK(at != std::string::npos);
          CHECK(at > dropped_at);
        }
      },
      [](const TestDatabase& db) {
        CHECK(db.scalar("SELECT count(*) FROM pg_proc WHERE proname = 'scaled'") == "1");
        // Everything is back, calling the new function, with its comments.
        CHECK(db.scalar("SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                        "WHERE c.relname IN ('t_scaled_idx', 't_scaled_id_key', 'e_idx') "
                        "AND i.indisvalid") == "3");
        CHECK(db.scalar("SELECT obj_description('t_scaled_idx'::regclass, 'pg_class')") ==
              "by scaled quantity");
        CHECK(db.scalar("SELECT obj_description(oid, 'pg_policy') FROM pg_policy "
                        "WHERE polname = 'visible'") == "every counted row");
        CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'qty_scaled'") ==
              "t");
        CHECK(db.scalar("SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid "
                        "WHERE p.proname = 'scaled' AND d.deptype = 'n'") == "6");
      });
}

TEST_CASE("two functions whose signatures change, with a default calling both, are replaced in one "
          "transaction with every default, CHECK and view calling either",
          "[planner][db][dependents]") {
  const std::string setup =
      std::string(kFilledTable) +
      "CREATE FUNCTION tenfold(n integer) RETURNS integer LANGUAGE sql IMMUTABLE "
      "AS 'SELECT n * 10';"
      "CREATE FUNCTION plus_one(n integer) RETURNS integer LANGUAGE sql IMMUTABLE "
      "AS 'SELECT n + 1';"
      "ALTER TABLE t ADD COLUMN score integer DEFAULT tenfold(plus_one(1));"
      "ALTER TABLE t ADD CONSTRAINT qty_tenfold CHECK (tenfold(qty) >= 0);"
      "CREATE VIEW v AS SELECT id, tenfold(qty) AS s FROM t;"
      "CREATE VIEW w AS SELECT id, plus_one(s) AS s FROM v;";
  // Both functions rename their argument: each is dropped and created.
  std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          name: text\n"
      "          qty: integer\n"
      "          score: { type: integer, default: tenfold(plus_one(1)) }\n"
      "        primary_key: [id]\n"
      "        checks:\n"
      "          qty_tenfold: tenfold(qty) >= 0\n"
      "    functions:\n";
  for (const auto& [name, body] : std::vector<std::pair<std::string, std::string>>{
           {"tenfold", "SELECT units * 10"}, {"plus_one", "SELECT units + 1"}}) {
    yaml += "      " + name +
            ":\n"
            "        args: [{ name: units, type: integer }]\n"
            "        returns: integer\n"
            "        language: sql\n"
            "        volatility: immutable\n"
            "        body: " +
            body + "\n";
  }
  yaml +=
      "    views:\n"
      "      v: SELECT id, tenfold(qty) AS s FROM t\n"
      "      w: SELECT id, plus_one(s) AS s FROM v\n";
  migrate_both_ways(
      setup, yaml,
      [](const TestDatabase& db) {
        return checksum(db, "t", "id, name, qty, score") + checksum(db, "w", "id, s");
      },
      [](const Migrated& migrated) {
        CHECK_FALSE(contains(migrated.markdown, "### Recreated dependents"));
        CHECK_FALSE(contains(migrated.markdown, "`dependent_recreated`"));
        for (const auto& [first, second] : std::vector<std::pair<std::string, std::string>>{
                 {"ALTER COLUMN score DROP DEFAULT", "DROP FUNCTION public.tenfold(integer)"},
                 {"DROP CONSTRAINT qty_tenfold", "DROP FUNCTION public.plus_one(integer)"},
                 {"DROP VIEW public.w", "DROP VIEW public.v"},
                 {"DROP VIEW public.v", "DROP FUNCTION public.tenfold(integer)"},
                 {"DROP FUNCTION public.plus_one(integer)", "ALTER COLUMN score SET DEFAULT"},
                 {"DROP FUNCTION public.tenfold(integer)", "ADD CONSTRAINT qty_tenfold CHECK"},
                 {"CREATE VIEW public.v", "CREATE VIEW public.w"}}) {
          INFO(first + " then " + second);
          CHECK(in_one_transaction(migrated.sql, first, second));
        }
      },
      [](const TestDatabase& db) {
        db.exec("INSERT INTO t (id) VALUES (100000)");
        CHECK(db.scalar("SELECT score FROM t WHERE id = 100000") == "20");
        CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'qty_tenfold'") ==
              "t");
      });
}

TEST_CASE("a CHECK and a view calling a function whose signature changes keep their own steps "
          "around it when their column changes type in between",
          "[planner][db][dependents]") {
  // The CHECK and the view must be dropped before the type change and
  // created after it: the function's step cannot hold both ends, so the plan
  // keeps them in steps of their own and says so (dependent_recreated).
  const std::string setup = std::string(kFilledTable) + kScaled +
                            "ALTER TABLE t ADD CONSTRAINT qty_scaled CHECK (scaled(qty) >= 0);"
                            "CREATE VIEW q AS SELECT id, scaled(qty::integer) AS s FROM t;";
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
      "        checks:\n"
      "          qty_scaled: scaled(qty::integer) >= 0\n" +
      std::string(kScaledWithFactor) +
      "    views:\n"
      "      q: SELECT id, scaled(qty::integer) AS s FROM t\n";
  const TestDatabase db;
  db.exec(setup);
  const std::string rows = checksum(db, "t", "id, name, qty");
  const Migrated migrated = migrate_with_psql(db, yaml);
  INFO(migrated.markdown);
  INFO(migrated.sql);
  CHECK(contains(recreated_dependents(migrated.markdown),
                 "check constraint \"qty\\_scaled\" of table \"public.t\" | "));
  CHECK(contains(recreated_dependents(migrated.markdown), "view \"public.q\" | "));
  CHECK(contains(migrated.markdown, "`dependent_recreated`"));
  CHECK(migrated.sql.find("DROP VIEW public.q") <
        migrated.sql.find("ALTER COLUMN qty TYPE bigint"));
  const auto drop_check = migrated.sql.find("DROP CONSTRAINT qty_scaled");
  const auto retype = migrated.sql.find("ALTER COLUMN qty TYPE bigint");
  const auto add_check = migrated.sql.find("ADD CONSTRAINT qty_scaled CHECK");
  CHECK(drop_check < retype);
  CHECK(retype < add_check);
  CHECK(add_check != std::string::npos);
  CHECK(checksum(db, "t", "id, name, qty") == rows);
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'qty_scaled'") == "t");
}

TEST_CASE("a dropped schema holding views, tables, a function and types is dropped in "
          "dependency order",
          "[planner][db][dependents]") {
  const std::string setup =
      "CREATE TABLE public.kept (id integer PRIMARY KEY, note text);"
      "INSERT INTO public.kept SELECT g, 'k' || g FROM generate_series(1, 300) g;"
      "CREATE SCHEMA legacy;"
      "CREATE TYPE legacy.mood AS ENUM ('ok', 'bad');"
      "CREATE DOMAIN legacy.positive AS integer CHECK (VALUE > 0);"
      "CREATE SEQUENCE legacy.ids;"
      "CREATE FUNCTION legacy.twice(n integer) RETURNS integer LANGUAGE sql IMMUTABLE "
      "  AS 'SELECT n * 2';"
      "CREATE TABLE legacy.parent (id integer PRIMARY KEY);"
      "CREATE TABLE legacy.child (id integer PRIMARY KEY DEFAULT nextval('legacy.ids'),"
      "  parent_id integer REFERENCES legacy.parent, m legacy.mood, p legacy.positive,"
      "  d integer DEFAULT legacy.twice(3), CHECK (legacy.twice(p) > 0));"
      "ALTER SEQUENCE legacy.ids OWNED BY legacy.child.id;"
      "CREATE INDEX child_twice ON legacy.child ((legacy.twice(parent_id)));"
      "CREATE FUNCTION legacy.touch() RETURNS trigger LANGUAGE plpgsql "
      "  AS 'BEGIN NEW.d := 1; RETURN NEW; END';"
      "CREATE TRIGGER child_touch BEFORE UPDATE OF p ON legacy.child FOR EACH ROW "
      "  WHEN (OLD.p IS DISTINCT FROM NEW.p) EXECUTE FUNCTION legacy.touch();"
      "INSERT INTO legacy.parent SELECT g FROM generate_series(1, 20) g;"
      "INSERT INTO legacy.child (parent_id, m, p) SELECT g % 20 + 1, 'ok', g "
      "  FROM generate_series(1, 200) g;"
      "CREATE VIEW legacy.v1 AS SELECT id, legacy.twice(parent_id) AS t, m FROM legacy.child;"
      "CREATE VIEW legacy.v2 AS SELECT id, t FROM legacy.v1 WHERE m = 'ok';"
      "CREATE MATERIALIZED VIEW legacy.mv AS SELECT id FROM legacy.v2;"
      "CREATE INDEX mv_id ON legacy.mv (id);";
  const std::string yaml =
      "drop_schemas: [legacy]\n"
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      kept:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          note: text\n"
      "        primary_key: [id]\n";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string kept = checksum(db, "public.kept", "id, note");
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      INFO(migrated.sql);
      CHECK(contains(migrated.sql, "DROP SCHEMA legacy"));
      CHECK(migrated.sql.find("DROP VIEW legacy.v2") < migrated.sql.find("DROP VIEW legacy.v1"));
      CHECK(migrated.sql.find("DROP TABLE legacy.child") <
            migrated.sql.find("DROP FUNCTION legacy.twice"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'legacy'") == "0");
    CHECK(checksum(db, "public.kept", "id, note") == kept);
  }
}

// ---------------------------------------------------------------------------
// Enum labels removed or reordered: the type is replaced in one transaction.
// ---------------------------------------------------------------------------

namespace {

// public.status with four labels; acct uses it in a column with a default
// and in an array column; 900 rows using three of the labels.
constexpr const char* kStatusEnum =
    "CREATE TYPE status AS ENUM ('new', 'old', 'active', 'gone');"
    "CREATE TABLE acct (id integer PRIMARY KEY, st status NOT NULL DEFAULT 'new', hist status[]);"
    "INSERT INTO acct SELECT g, (ARRAY['new', 'active', 'old']::status[])[g % 3 + 1],"
    "  ARRAY['new', 'active']::status[] FROM generate_series(1, 900) g;"
    "CREATE INDEX acct_st_idx ON acct (st); ANALYZE acct;";

std::string status_yaml(const std::string& labels, const std::string& extra_column = "") {
  return "schemas:\n"
         "  public:\n"
         "    enums:\n"
         "      status: " +
         labels +
         "\n"
         "    tables:\n"
         "      acct:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "          st: { type: status, nullable: false, default: \"'new'::status\" }\n"
         "          hist: status[]\n" +
         extra_column +
         "        primary_key: [id]\n"
         "        indexes:\n"
         "          acct_st_idx: { columns: [st] }\n";
}

}  // namespace

TEST_CASE("removing and reordering enum labels replaces the type and converts every column, "
          "keeping the rows",
          "[planner][db][dependents][enum]") {
  const std::string yaml = status_yaml("[active, new, old]",
                                       "          next: { type: status, default: \"'old'::status\" }\n");
  const std::string text_rows = "id, st::text, hist::text";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    TestDatabase db;
    db.exec(kStatusEnum);
    const std::string kept = checksum(db, "acct", text_rows);
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      CHECK(contains(migrated.sql, "ALTER TYPE public.status RENAME TO status_pgshift_old;\n"
                                   "CREATE TYPE public.status AS ENUM ('active', 'new', 'old');"));
      CHECK(contains(migrated.sql, "DROP TYPE public.status_pgshift_old"));
      CHECK(contains(migrated.markdown, "enum_value_removal"));
      // The new column is added after the type it uses is replaced.
      CHECK(migrated.sql.find("ADD COLUMN next") > migrated.sql.find("DROP TYPE"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(checksum(db, "acct", text_rows) == kept);
    CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                    "WHERE enumtypid = 'status'::regtype") == "active,new,old");
    CHECK(db.scalar("SELECT count(*) FROM pg_type WHERE typname LIKE 'status_pgshift%'") == "0");
    // The new order sorts; the default and the index work on the new type.
    CHECK(db.scalar("SELECT st FROM acct ORDER BY st LIMIT 1") == "active");
    db.exec("INSERT INTO acct (id) VALUES (5000)");
    CHECK(db.scalar("SELECT st || '/' || next FROM acct WHERE id = 5000") == "new/old");
    CHECK_THROWS(db.exec("INSERT INTO acct (id, st) VALUES (5001, 'gone')"));
  }
}

TEST_CASE("a removed enum label still held by a row fails the replacement and changes nothing",
          "[planner][db][dependents][enum]") {
  TestDatabase db;
  db.exec(kStatusEnum);
  db.exec("UPDATE acct SET st = 'gone' WHERE id = 7");
  const std::string kept = checksum(db, "acct", "id, st::text, hist::text");
  const TempDir dir;
  const CommandResult applied =
      run_command({kPgshift, "apply", "--db", db.url(), "--schema",
                   dir.write("s.yaml", status_yaml("[new, old, active]")), "--allow-hazard",
                   "all", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "invalid input value for enum"));
  CHECK(checksum(db, "acct", "id, st::text, hist::text") == kept);
  CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                  "WHERE enumtypid = 'status'::regtype") == "new,old,active,gone");
}

TEST_CASE("an enum replacement is refused, naming them, when a view or a CHECK uses a column "
          "of the type",
          "[planner][db][dependents][enum]") {
  TestDatabase db;
  db.exec(kStatusEnum);
  db.exec("CREATE VIEW active_acct AS SELECT id, st FROM acct;"
          "ALTER TABLE acct ADD CONSTRAINT acct_st_check CHECK (st <> 'gone')");
  std::string rendering;
  const std::string yaml =
      status_yaml("[gone, new, old, active]") +
      "        checks:\n"
      "          acct_st_check: \"st <> 'gone'::status\"\n"
      "    views:\n"
      "      active_acct: SELECT id, st FROM acct\n";
  const CommandResult result = plan(db, yaml, "sql", rendering);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "cannot remove or reorder labels of enum \"public.status\""));
  CHECK(contains(result.output, "view \"public.active_acct\""));
  CHECK(contains(result.output, "check constraint \"acct_st_check\""));
}

TEST_CASE("a column type change under triggers whose WHEN or UPDATE OF uses the column drops and "
          "creates them around it in one transaction",
          "[planner][db][dependents]") {
  const std::string setup =
      std::string(kFilledTable) +
      "CREATE TABLE audit (id integer, qty bigint);"
      "CREATE FUNCTION log_qty() RETURNS trigger LANGUAGE plpgsql AS "
      "'BEGIN INSERT INTO audit VALUES (NEW.id, NEW.qty); RETURN NEW; END';"
      "CREATE TRIGGER t_qty_when AFTER UPDATE ON t FOR EACH ROW "
      "  WHEN (OLD.qty IS DISTINCT FROM NEW.qty) EXECUTE FUNCTION log_qty();"
      "CREATE TRIGGER t_qty_of AFTER UPDATE OF qty ON t FOR EACH ROW EXECUTE FUNCTION log_qty();"
      "CREATE TRIGGER t_gone AFTER UPDATE OF qty ON t FOR EACH ROW EXECUTE FUNCTION log_qty();";
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
      "        triggers:\n"
      "          t_qty_when:\n"
      "            timing: after\n"
      "            events: [update]\n"
      "            for_each: row\n"
      "            function: log_qty\n"
      "            when: OLD.qty IS DISTINCT FROM NEW.qty\n"
      "          t_qty_of:\n"
      "            timing: after\n"
      "            events: [update]\n"
      "            update_of: [qty]\n"
      "            for_each: row\n"
      "            function: log_qty\n"
      "      audit:\n"
      "        columns:\n"
      "          id: integer\n"
      "          qty: bigint\n"
      "    functions:\n"
      "      log_qty:\n"
      "        returns: trigger\n"
      "        language: plpgsql\n"
      "        body: \"BEGIN INSERT INTO audit VALUES (NEW.id, NEW.qty); RETURN NEW; END\"\n";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string rows = checksum(db, "t", "id, name, qty");
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      CHECK(contains(migrated.sql, "DROP TRIGGER t_qty_when ON public.t;\n"));
      CHECK(contains(migrated.sql, "DROP TRIGGER t_gone ON public.t"));
      CHECK(migrated.sql.find("DROP TRIGGER t_gone") < migrated.sql.find("TYPE bigint"));
      CHECK(migrated.sql.find("TYPE bigint") < migrated.sql.find("CREATE TRIGGER t_qty_of"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(checksum(db, "t", "id, name, qty") == rows);
    CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                    "'t'::regclass AND attname = 'qty'") == "bigint");
    db.exec("UPDATE t SET qty = qty + 1 WHERE id = 1");
    CHECK(db.scalar("SELECT count(*) FROM audit") == "2");  // both kept triggers fired
  }
}

TEST_CASE("a trigger whose WHEN uses a quoted mixed-case column is found by the catalog's "
          "dependencies and created again around the column's type change",
          "[planner][db][dependents]") {
  const std::string setup =
      "CREATE TABLE t (id integer PRIMARY KEY, \"Qty\" integer, qty_note text);"
      "INSERT INTO t SELECT g, g, 'n' FROM generate_series(1, 500) g;"
      "CREATE TABLE audit (id integer);"
      "CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS "
      "'BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END';"
      "CREATE TRIGGER t_q AFTER UPDATE ON t FOR EACH ROW "
      "  WHEN (OLD.\"Qty\" IS DISTINCT FROM NEW.\"Qty\") EXECUTE FUNCTION log_row();"
      // Its WHEN has the word qty_note, no column of it changes type: kept.
      "CREATE TRIGGER t_note AFTER UPDATE ON t FOR EACH ROW "
      "  WHEN (OLD.qty_note IS DISTINCT FROM NEW.qty_note) EXECUTE FUNCTION log_row();";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          Qty: bigint\n"
      "          qty_note: text\n"
      "        primary_key: [id]\n"
      "        triggers:\n"
      "          t_q:\n"
      "            timing: after\n"
      "            events: [update]\n"
      "            for_each: row\n"
      "            function: log_row\n"
      "            when: OLD.\"Qty\" IS DISTINCT FROM NEW.\"Qty\"\n"
      "          t_note:\n"
      "            timing: after\n"
      "            events: [update]\n"
      "            for_each: row\n"
      "            function: log_row\n"
      "            when: OLD.qty_note IS DISTINCT FROM NEW.qty_note\n"
      "      audit:\n"
      "        columns:\n"
      "          id: integer\n"
      "    functions:\n"
      "      log_row:\n"
      "        returns: trigger\n"
      "        language: plpgsql\n"
      "        body: \"BEGIN INSERT INTO audit VALUES (NEW.id); RETURN NEW; END\"\n";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string rows = checksum(db, "t", "id, \"Qty\", qty_note");
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      INFO(migrated.sql);
      CHECK(contains(migrated.sql, "DROP TRIGGER t_q ON public.t;\n"));
      CHECK_FALSE(contains(migrated.sql, "DROP TRIGGER t_note"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(checksum(db, "t", "id, \"Qty\", qty_note") == rows);
    db.exec("UPDATE t SET \"Qty\" = \"Qty\" + 1 WHERE id = 1");
    CHECK(db.scalar("SELECT count(*) FROM audit") == "1");
  }
}

TEST_CASE("a column type change under a generated column drops and adds it again in the same "
          "ALTER TABLE, with partial and expression indexes over the column kept",
          "[planner][db][dependents]") {
  if (pgshift::testing::server_version_num(TestDatabase()) < 120000) {
    WARN("generated columns exist from PostgreSQL 12 on");
    return;
  }
  const std::string setup =
      "CREATE TABLE g (id integer PRIMARY KEY, a integer,"
      "  doubled integer GENERATED ALWAYS AS (a * 2) STORED, note text);"
      "INSERT INTO g (id, a, note) SELECT x, x, 'n' || x FROM generate_series(1, 1500) x;"
      "CREATE INDEX g_a_expr ON g ((a + 1)) WHERE a > 5;"
      "COMMENT ON COLUMN g.doubled IS 'twice a'; ANALYZE g;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      g:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          a: bigint\n"
      "          doubled: { type: bigint, generated: a * 2, comment: twice a }\n"
      "          note: text\n"
      "        primary_key: [id]\n"
      "        indexes:\n"
      "          g_a_expr: { columns: [{ expression: a + 1 }], where: a > 5 }\n";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string rows = checksum(db, "g", "id, a, doubled, note");
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      CHECK(contains(migrated.sql, "ALTER TABLE public.g\n  DROP COLUMN doubled,\n  ALTER COLUMN a "
                                   "TYPE bigint USING a::bigint,\n  ADD COLUMN doubled bigint "
                                   "GENERATED ALWAYS AS ((a * 2)) STORED;"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(checksum(db, "g", "id, a, doubled, note") == rows);
    CHECK(db.scalar("SELECT col_description('g'::regclass, (SELECT attnum FROM pg_attribute WHERE "
                    "attrelid = 'g'::regclass AND attname = 'doubled'))") == "twice a");
    db.exec("INSERT INTO g (id, a) VALUES (9000, 3000000000)");
    CHECK(db.scalar("SELECT doubled FROM g WHERE id = 9000") == "6000000000");
  }
}

TEST_CASE("a column type change under a generated column that an index uses is refused, naming "
          "both",
          "[planner][db][dependents]") {
  TestDatabase db;
  if (pgshift::testing::server_version_num(db) < 120000) {
    WARN("generated columns exist from PostgreSQL 12 on");
    return;
  }
  db.exec("CREATE TABLE g (id integer PRIMARY KEY, a integer,"
          "  doubled integer GENERATED ALWAYS AS (a * 2) STORED);"
          "CREATE INDEX g_doubled_idx ON g (doubled);");
  std::string rendering;
  const CommandResult result =
      plan(db,
           "schemas:\n"
           "  public:\n"
           "    tables:\n"
           "      g:\n"
           "        columns:\n"
           "          id: { type: integer, nullable: false }\n"
           "          a: bigint\n"
           "          doubled: { type: integer, generated: a * 2 }\n"
           "        primary_key: [id]\n"
           "        indexes:\n"
           "          g_doubled_idx: { columns: [doubled] }\n",
           "sql", rendering);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "cannot change the type of column \"a\""));
  CHECK(contains(result.output, "index \"g_doubled_idx\""));
}

TEST_CASE("a type change with a using: expression converts every value by it, and a value it "
          "rejects fails the step changing nothing",
          "[planner][db]") {
  const std::string setup =
      "CREATE TABLE codes (id integer PRIMARY KEY, code text);"
      "INSERT INTO codes SELECT g, CASE WHEN g % 3 = 0 THEN '' ELSE ' ' || g END "
      "FROM generate_series(1, 600) g; ANALYZE codes;";
  const std::string yaml =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      codes:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          code: { type: integer, using: \"NULLIF(trim(code), '')::integer\" }\n"
      "        primary_key: [id]\n";
  for (const bool with_psql : {true, false}) {
    INFO((with_psql ? "psql" : "pgshift apply"));
    const TestDatabase db;
    db.exec(setup);
    const std::string expected =
        db.scalar("SELECT md5(string_agg(id || ':' || coalesce(NULLIF(trim(code), ''), 'null'), "
                  "',' ORDER BY id)) FROM codes");
    if (with_psql) {
      const Migrated migrated = migrate_with_psql(db, yaml);
      CHECK(contains(migrated.sql,
                     "ALTER COLUMN code TYPE integer USING (NULLIF(trim(code), '')::integer)"));
      CHECK(contains(migrated.markdown, "table_rewrite"));
    } else {
      migrate_with_apply(db, yaml);
    }
    CHECK(db.scalar("SELECT md5(string_agg(id || ':' || coalesce(code::text, 'null'), ',' ORDER "
                    "BY id)) FROM codes") == expected);
    CHECK(db.scalar("SELECT count(*) FROM codes WHERE code IS NULL") == "200");
  }
  const TestDatabase dirty;
  dirty.exec(setup);
  dirty.exec("UPDATE codes SET code = 'x1' WHERE id = 5");
  const TempDir dir;
  const CommandResult applied =
      run_command({kPgshift, "apply", "--db", dirty.url(), "--schema", dir.write("s.yaml", yaml),
                   "--allow-hazard", "all", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, pgshift::testing::server_version_num(dirty) >= 120000
                                     ? "invalid input syntax for type integer"
                                     : "invalid input syntax for integer"));
  // Found by the pre-flight check of the expression, before any step.
  CHECK(contains(applied.output, "that the using: expression (to integer) rejects"));
  CHECK(dirty.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                     "'codes'::regclass AND attname = 'code'") == "text");
}

TEST_CASE(
    "a drop or a type change that an object of a schema the desired state does not manage uses "
    "(a foreign key, a view, a column default) is refused by plan and apply, and nothing is "
    "changed",
    "[planner][db]") {
  const TestDatabase db;
  db.exec(
      "CREATE TABLE public.customers (id integer PRIMARY KEY, email text, name text);"
      "INSERT INTO public.customers VALUES (1, 'a@example.com', 'A');"
      "CREATE VIEW public.names AS SELECT id, name FROM public.customers;"
      "CREATE SCHEMA audit;"
      "CREATE TABLE audit.log (id integer PRIMARY KEY,"
      "  customer_id integer CONSTRAINT log_customer_fkey REFERENCES public.customers);"
      "CREATE SCHEMA reports;"
      "CREATE VIEW reports.emails AS SELECT email FROM public.customers;"
      "CREATE SEQUENCE public.code_seq;"
      "CREATE TABLE audit.codes (code bigint DEFAULT nextval('public.code_seq'));");
  const std::string customers =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      customers:\n"
      "        columns:\n"
      "          id: { type: integer, nullable: false }\n"
      "          email: EMAIL\n"
      "          name: text\n"
      "        primary_key: [id]\n"
      "    sequences:\n"
      "      code_seq: {}\n";
  const auto with_email = [&](const std::string& type) {
    std::string yaml = customers;
    yaml.replace(yaml.find("EMAIL"), 5, type);
    return yaml;
  };
  const std::string no_tables = "schemas:\n  public: {}\n";

  std::string rendering;
  // The table: the foreign key of audit.log and the view of reports use it.
  const CommandResult dropped = plan(db, no_tables, "sql", rendering);
  INFO(dropped.output);
  CHECK(dropped.exit_code == 1);
  CHECK(contains(dropped.output,
                 "cannot drop table \"public.customers\": foreign key \"log_customer_fkey\" of "
                 "table \"audit.log\" depends on it, and schema \"audit\" is not managed"));
  CHECK(contains(dropped.output, "view \"reports.emails\" depends on it"));
  // The sequence: a default of audit.codes calls nextval on it.
  CHECK(contains(dropped.output,
                 "cannot drop sequence \"public.code_seq\": the default of column \"code\" of "
                 "table \"audit.codes\" uses it, and schema \"audit\" is not managed"));
  // The email column's type: the view of reports reads it.
  const CommandResult retyped = plan(db, with_email("character varying(300)"), "sql", rendering);
  INFO(retyped.output);
  CHECK(retyped.exit_code == 1);
  CHECK(contains(retyped.output,
                 "cannot change the type of column \"email\" of table \"public.customers\""));
  CHECK(contains(retyped.output, "refuses to change the column's type under it"));

  // apply --schema refuses before any step: the view public.names, which
  // the plan would drop first, is still there, and so are the rows.
  const TempDir dir;
  const CommandResult applied =
      run_command({kPgshift, "apply", "--db", db.url(), "--schema", dir.write("s.yaml", no_tables),
                   "--allow-hazard", "all", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code != 0);
  CHECK(db.scalar("SELECT count(*) FROM public.customers") == "1");
  CHECK(db.scalar("SELECT count(*) FROM pg_views WHERE viewname = 'names'") == "1");

  // A column only a view of a managed schema reads is dropped as before,
  // that view with it (changes planned: exit 2 with --detailed-exitcode).
  std::string without_name = with_email("text");
  without_name.erase(without_name.find("          name: text\n"), 21);
  const CommandResult name_dropped = plan(db, without_name, "sql", rendering);
  INFO(name_dropped.output);
  CHECK(name_dropped.exit_code == 2);
  CHECK_FALSE(contains(name_dropped.output, "cannot"));
  CHECK(contains(rendering, "ALTER TABLE public.customers DROP COLUMN name"));
}
