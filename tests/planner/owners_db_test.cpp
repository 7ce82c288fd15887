// Owners end to end (manage_owners: true), through the binary against a real
// server: objects the plan creates get their owner in their creating step,
// inspect --owners reads them back into a YAML that plans nothing; a changed
// owner of an existing object is OWNER TO behind access_widened and
// access_narrowed, before the object's privileges, which compare against the
// new owner; an out-of-band OWNER TO is drift that plan repairs; without
// manage_owners owners are neither compared nor changed; a role the server
// lacks is refused by name.
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

// Roles belong to the server, shared by every test database: made once,
// whichever test gets there first.
void ensure_roles(const TestDatabase& db) {
  for (const char* role : {"pgshift_owner_a", "pgshift_owner_b", "pgshift_owner_reader"}) {
    db.exec(std::string("DO $$BEGIN CREATE ROLE ") + role +
            "; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$");
  }
}

// Schema `app` with one object of every kind that has an owner; `table_owner`
// owns the table (empty: no owner: on it), `extra` goes under the table.
std::string schema_yaml(const std::string& table_owner, const std::string& extra = "",
                        bool manage = true) {
  return std::string(manage ? "manage_owners: true\n" : "") + R"yaml(
schemas:
  app:
    owner: pgshift_owner_a
    tables:
      orders:
)yaml" + (table_owner.empty() ? "" : "        owner: " + table_owner + "\n") +
         R"yaml(        columns:
          id: { type: bigint, nullable: false }
          amount: integer
          serial_no: { type: integer, nullable: false, default: "nextval('app.orders_serial_no_seq'::regclass)" }
        primary_key: [id]
)yaml" + extra + R"yaml(    views:
      big_orders:
        definition: SELECT id, amount FROM app.orders WHERE amount > 100
        owner: pgshift_owner_b
    materialized_views:
      totals:
        definition: SELECT count(*) AS n FROM app.orders
        owner: pgshift_owner_b
    sequences:
      orders_serial_no_seq: { type: integer, owned_by: app.orders.serial_no }
      invoice_no: { owner: pgshift_owner_b }
    enums:
      status: { labels: [new, paid], owner: pgshift_owner_b }
    domains:
      positive:
        type: integer
        checks:
          positive_check: (VALUE > 0)
        owner: pgshift_owner_b
    composite_types:
      pair: { attributes: { x: integer }, owner: pgshift_owner_b }
    functions:
      order_total:
        args: [{ name: order_id, type: bigint }]
        returns: bigint
        owner: pgshift_owner_b
        body: SELECT order_id * 2
    procedures:
      tidy: { owner: pgshift_owner_a, body: SELECT 1 }
)yaml";
}

// Every owner of schema app, one "kind name owner" per line, sorted.
std::string owners(const TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(line, ', ' ORDER BY line) FROM ("
      " SELECT 'schema app ' || pg_get_userbyid(nspowner) AS line FROM pg_namespace "
      "  WHERE nspname = 'app'"
      " UNION ALL SELECT c.relkind::text || ' ' || c.relname || ' ' || pg_get_userbyid(c.relowner) "
      "  FROM pg_class c WHERE c.relnamespace = 'app'::regnamespace AND c.relkind <> 'i'"
      " UNION ALL SELECT 'f ' || proname || ' ' || pg_get_userbyid(proowner) FROM pg_proc "
      "  WHERE pronamespace = 'app'::regnamespace"
      " UNION ALL SELECT 't ' || typname || ' ' || pg_get_userbyid(typowner) FROM pg_type "
      "  WHERE typnamespace = 'app'::regnamespace AND typtype IN ('e', 'd')) lines");
}

// `yaml` without its owner: entries, block or flow style.
std::string without_owners(const std::string& yaml) {
  std::string out;
  std::istringstream lines(yaml);
  for (std::string line; std::getline(lines, line);) {
    if (line.find_first_not_of(' ') == line.find("owner: ")) continue;  // a block entry
    line = std::regex_replace(line, std::regex(", owner: \\w+"), "");
    line = std::regex_replace(line, std::regex("owner: \\w+, "), "");
    line = std::regex_replace(line, std::regex("\\{ owner: \\w+ \\}"), "{}");
    out += line + "\n";
  }
  return out;
}

// The roles, then schema app as schema_yaml gives it, its table owned by
// pgshift_owner_a, applied.
void apply_owned_schema(const TestDatabase& db, const TempDir& dir) {
  ensure_roles(db);
  REQUIRE(apply_schema(db.url(), dir.write("s.yaml", schema_yaml("pgshift_owner_a"))).exit_code ==
          0);
}

const std::string kOwners =
    "S invoice_no pgshift_owner_b, S orders_serial_no_seq pgshift_owner_a, "
    "c pair pgshift_owner_b, f order_total pgshift_owner_b, f tidy pgshift_owner_a, "
    "m totals pgshift_owner_b, r orders pgshift_owner_a, schema app pgshift_owner_a, "
    "t positive pgshift_owner_b, t status pgshift_owner_b, v big_orders pgshift_owner_b";

}  // namespace

TEST_CASE("objects the plan creates get their owners in their creating steps and inspect back",
          "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  const std::string path = dir.write("s.yaml", schema_yaml("pgshift_owner_a"));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);  // no hazard: nobody held anything on new objects
  CHECK(contains(planned.output, "ALTER TABLE app.orders OWNER TO pgshift_owner_a"));
  CHECK(contains(planned.output, "ALTER FUNCTION app.order_total(bigint) OWNER TO pgshift_owner_b"));
  CHECK(contains(planned.output, "ALTER TYPE app.pair OWNER TO pgshift_owner_b"));
  CHECK_FALSE(contains(planned.output, "change owner of"));
  const auto applied = apply_schema(db.url(), path);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(owners(db) == kOwners);
  CHECK(replan(db.url(), path) == 0);

  const auto inspected = run_pgshift({"inspect", "--owners", "--db", db.url(), "--only-schema",
                                      "app", "-o", dir.path() + "/i.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  const std::string yaml = dir.read("i.yaml");
  INFO(yaml);
  CHECK(contains(yaml, "manage_owners: true\n"));
  CHECK(contains(yaml, "invoice_no: { owner: pgshift_owner_b }"));
  // The serial's sequence follows its table: no owner of its own.
  CHECK(contains(yaml, "orders_serial_no_seq: { type: integer, owned_by: app.orders.serial_no }"));
  CHECK(replan(db.url(), dir.path() + "/i.yaml") == 0);
  const auto drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/i.yaml", "--strict"});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  // Plain inspect writes no owner.
  const auto plain = run_pgshift({"inspect", "--db", db.url(), "--only-schema", "app"});
  CHECK_FALSE(contains(plain.output, "owner"));
}

TEST_CASE("a changed owner with grants converges: OWNER TO before the object's privileges",
          "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  // b holds SELECT and the reader INSERT while a owns the table.
  const std::string before = dir.write(
      "a.yaml", schema_yaml("pgshift_owner_a",
                            "    privileges:\n"
                            "      - table: orders\n"
                            "        grants:\n"
                            "          - { to: pgshift_owner_b, privileges: [SELECT] }\n"
                            "          - { to: pgshift_owner_reader, privileges: [INSERT] }\n"));
  REQUIRE(apply_schema(db.url(), before).exit_code == 0);
  REQUIRE(replan(db.url(), before) == 0);
  // Now b owns it; a, the old owner, keeps SELECT; the reader keeps INSERT.
  const std::string after = dir.write(
      "b.yaml", schema_yaml("pgshift_owner_b",
                            "    privileges:\n"
                            "      - table: orders\n"
                            "        grants:\n"
                            "          - { to: pgshift_owner_a, privileges: [SELECT] }\n"
                            "          - { to: pgshift_owner_reader, privileges: [INSERT] }\n"));
  const auto refused = apply_schema(db.url(), after, {"access_widened"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "access_narrowed"));
  const auto planned = run_pgshift(
      {"plan", "--db", db.url(), "--schema", after, "--allow-hazard", "access_widened",
       "--allow-hazard", "access_narrowed"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  const auto owner_at = planned.output.find("ALTER TABLE app.orders OWNER TO pgshift_owner_b");
  const auto grant_at = planned.output.find("GRANT SELECT ON TABLE app.orders TO pgshift_owner_a");
  REQUIRE(owner_at != std::string::npos);
  REQUIRE(grant_at != std::string::npos);
  CHECK(owner_at < grant_at);
  CHECK_FALSE(contains(planned.output, "pgshift_owner_reader"));  // unchanged by the new owner
  CHECK_FALSE(contains(planned.output, "\nREVOKE "));
  const auto applied = apply_schema(db.url(), after, {"access_widened", "access_narrowed"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT concat_ws(' ', pg_get_userbyid(relowner), "
                  " has_table_privilege('pgshift_owner_a', 'app.orders', 'SELECT'), "
                  " has_table_privilege('pgshift_owner_a', 'app.orders', 'DELETE'), "
                  " has_table_privilege('pgshift_owner_reader', 'app.orders', 'INSERT')) "
                  "FROM pg_class WHERE oid = 'app.orders'::regclass") ==
        "pgshift_owner_b t f t");
  CHECK(replan(db.url(), after) == 0);
  // And back: a owns it again, b's SELECT is a grant of its own.
  REQUIRE(apply_schema(db.url(), before, {"access_widened", "access_narrowed"}).exit_code == 0);
  CHECK(replan(db.url(), before) == 0);
}

TEST_CASE("an out-of-band OWNER TO is drift when owners are managed, and plan repairs it",
          "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  const std::string path = dir.write("s.yaml", schema_yaml("pgshift_owner_a"));
  REQUIRE(apply_schema(db.url(), path).exit_code == 0);
  db.exec("ALTER TABLE app.orders OWNER TO pgshift_owner_b; "
          "ALTER SCHEMA app OWNER TO pgshift_owner_b; "
          "ALTER FUNCTION app.order_total(bigint) OWNER TO pgshift_owner_a");
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "table \"app.orders\"\n    owner\n      database: pgshift_owner_b\n"
                               "      yaml: pgshift_owner_a"));
  CHECK(contains(drift.output, "change owner of schema \"app\""));
  CHECK(contains(drift.output, "change owner of function \"app.order_total(bigint)\""));
  const auto repaired = apply_schema(db.url(), path, {"access_widened", "access_narrowed"});
  INFO(repaired.output);
  REQUIRE(repaired.exit_code == 0);
  CHECK(owners(db) == kOwners);
  CHECK(replan(db.url(), path) == 0);
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("without manage_owners owners are neither compared nor changed",
          "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  apply_owned_schema(db, dir);
  db.exec("ALTER TABLE app.orders OWNER TO pgshift_owner_b; "
          "ALTER VIEW app.big_orders OWNER TO pgshift_owner_a");
  // The same state without the setting (and so without any owner:).
  const std::string yaml = without_owners(schema_yaml("", "", false));
  INFO(yaml);
  REQUIRE_FALSE(contains(yaml, "owner:"));
  const std::string path = dir.write("plain.yaml", yaml);
  CHECK(replan(db.url(), path) == 0);
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  // An object without owner: under manage_owners keeps its owner too.
  CHECK(replan(db.url(), dir.write("kept.yaml", "manage_owners: true\n" + yaml)) == 0);
}

TEST_CASE("an owner the server lacks is refused, naming the role", "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  const std::string path = dir.write("s.yaml", schema_yaml("pgshift_no_such_owner"));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output,
                 "owner of table \"app.orders\" names role \"pgshift_no_such_owner\", which does "
                 "not exist on the server"));
}

// The catalog fingerprint that makes apply refuse a stale plan covers owners
// when the plan manages them: an OWNER TO between plan and apply (the plan
// would run against owners it did not see) is a refusal that changes
// nothing. A plan that does not manage owners is not made stale by one.
TEST_CASE("an OWNER TO between plan and apply makes a plan that manages owners stale",
          "[planner][db][owners]") {
  TestDatabase db;
  TempDir dir;
  apply_owned_schema(db, dir);
  const std::string note = "        comment: the orders\n";
  for (const bool manage : {true, false}) {
    DYNAMIC_SECTION((manage ? "with" : "without") << " manage_owners") {
      std::string yaml = schema_yaml("pgshift_owner_a", note, manage);
      if (!manage) yaml = without_owners(yaml);
      const std::string plan = dir.path() + "/plan.json";
      const auto planned = run_pgshift(
          {"plan", "--db", db.url(), "--schema", dir.write("c.yaml", yaml), "-o", plan});
      INFO(planned.output);
      REQUIRE(planned.exit_code == 0);
      CHECK(contains(dir.read("plan.json"), "\"owners\": true") == manage);
      db.exec("ALTER TABLE app.orders OWNER TO pgshift_owner_b");
      const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
      INFO(applied.output);
      if (manage) {
        CHECK(applied.exit_code != 0);
        CHECK(contains(applied.output, "has changed since the plan was made"));
        CHECK(db.scalar("SELECT obj_description('app.orders'::regclass, 'pg_class')") == "");
      } else {
        CHECK(applied.exit_code == 0);
        CHECK(db.scalar("SELECT obj_description('app.orders'::regclass, 'pg_class')") ==
              "the orders");
      }
    }
  }
}
