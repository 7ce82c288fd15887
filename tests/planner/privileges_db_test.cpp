// Privileges end to end, through the binary against a real server: grants,
// column grants and revokes of a default (EXECUTE from PUBLIC) are applied in
// the steps that create their objects, read back by inspect into a YAML that
// plans nothing, planned as GRANT / REVOKE behind access_widened /
// access_narrowed on existing objects, kept across a view recreated around a
// column type change; an out-of-band GRANT or REVOKE is drift that plan
// repairs; a role the server lacks is refused by name. A grant another role
// made (through WITH GRANT OPTION) is revoked as that role, before the role
// loses the privilege; one the planning role cannot revoke, or one that rests
// on a grant option the desired state takes while it keeps the grant, is
// refused by name.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/converge.hpp"
#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

// Roles belong to the server, shared by every test database: made once,
// whichever test gets there first.
void ensure_role(const TestDatabase& db, const std::string& role) {
  db.exec("DO $$BEGIN CREATE ROLE " + role +
          "; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$");
}

constexpr const char* kReader = "pgshift_priv_reader";
constexpr const char* kWriter = "pgshift_priv_writer";

void ensure_roles(const TestDatabase& db) {
  ensure_role(db, kReader);
  ensure_role(db, kWriter);
}

// A schema `app` with a table, a view over it, a sequence, a function and an
// enum; `privileges` is the schema's privileges list (may be empty).
std::string schema_yaml(const std::string& privileges, const std::string& amount_type = "integer") {
  return R"yaml(
schemas:
  app:
    enums:
      status: [new, paid]
    sequences:
      invoice_no: { type: bigint }
    tables:
      orders:
        columns:
          id: { type: bigint, nullable: false }
          amount: )yaml" +
         amount_type + R"yaml(
          note: text
        primary_key: [id]
    views:
      big_orders: SELECT id, amount FROM app.orders WHERE amount > 100
    functions:
      order_total:
        args: [{ name: order_id, type: bigint }]
        returns: bigint
        volatility: stable
        body: SELECT order_id * 2
)yaml" + (privileges.empty() ? std::string() : "    privileges:\n" + privileges);
}

const std::string kPrivileges =
    "      - schema: app\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [USAGE] }\n"
    "      - table: orders\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [SELECT] }\n"
    "          - { to: pgshift_priv_writer, privileges: [insert, UPDATE], with_grant_option: true "
    "}\n"
    "      - table: orders\n"
    "        column: note\n"
    "        grants:\n"
    "          - { to: PUBLIC, privileges: [SELECT] }\n"
    "      - view: big_orders\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [SELECT] }\n"
    "      - sequence: invoice_no\n"
    "        grants:\n"
    "          - { to: pgshift_priv_writer, privileges: [USAGE] }\n"
    "      - function: order_total(bigint)\n"
    "        revoked:\n"
    "          - { from: PUBLIC, privileges: [EXECUTE] }\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [EXECUTE] }\n"
    "      - enum: status\n"
    "        revoked:\n"
    "          - { from: public, privileges: [USAGE] }\n";

// What the server says each role may do, as one line to compare.
std::string access(const TestDatabase& db) {
  return db.scalar(
      "SELECT concat_ws(' ', "
      " has_schema_privilege('pgshift_priv_reader', 'app', 'USAGE'), "
      " has_table_privilege('pgshift_priv_reader', 'app.orders', 'SELECT'), "
      " has_table_privilege('pgshift_priv_writer', 'app.orders', 'UPDATE WITH GRANT OPTION'), "
      " has_table_privilege('pgshift_priv_writer', 'app.orders', 'DELETE'), "
      " has_column_privilege('public', 'app.orders', 'note', 'SELECT'), "
      " has_column_privilege('public', 'app.orders', 'amount', 'SELECT'), "
      " has_table_privilege('pgshift_priv_reader', 'app.big_orders', 'SELECT'), "
      " has_sequence_privilege('pgshift_priv_writer', 'app.invoice_no', 'USAGE'), "
      " has_function_privilege('public', 'app.order_total(bigint)', 'EXECUTE'), "
      " has_function_privilege('pgshift_priv_reader', 'app.order_total(bigint)', 'EXECUTE'), "
      " has_type_privilege('public', 'app.status', 'USAGE'))");
}

constexpr const char* kWanted = "t t t f t f t t f t f";

}  // namespace

TEST_CASE("grants, column grants and revokes of defaults are applied and inspected back identical",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  const std::string path = dir.write("s.yaml", schema_yaml(kPrivileges));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  // In the steps that create the objects: no hazard, and a function meant to
  // be revoked from PUBLIC is never callable by everyone.
  CHECK(contains(planned.output, "REVOKE EXECUTE ON FUNCTION app.order_total(bigint) FROM PUBLIC"));
  CHECK(contains(planned.output, "GRANT SELECT (note) ON TABLE app.orders TO PUBLIC"));
  CHECK(contains(
      planned.output,
      "GRANT INSERT, UPDATE ON TABLE app.orders TO pgshift_priv_writer WITH GRANT OPTION"));
  CHECK_FALSE(contains(planned.output, "set privileges of"));
  const auto applied = apply_schema(db.url(), path);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(access(db) == kWanted);
  CHECK(replan(db.url(), path) == 0);

  const auto inspected = run_pgshift(
      {"inspect", "--db", db.url(), "--only-schema", "app", "-o", dir.path() + "/i.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  CHECK_FALSE(contains(inspected.output, "privileges"));  // nothing reported as unmodelled
  const std::string yaml = dir.read("i.yaml");
  INFO(yaml);
  CHECK(contains(yaml, "- function: order_total(bigint)"));
  CHECK(contains(yaml, "{ from: PUBLIC, privileges: [EXECUTE] }"));
  CHECK(contains(yaml, "column: note"));
  CHECK(replan(db.url(), dir.path() + "/i.yaml") == 0);
  const auto drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/i.yaml", "--strict"});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}

TEST_CASE("the SQL rendering of privilege changes converges through psql",
          "[planner][db][privileges]") {
  TestDatabase db;
  ensure_roles(db);
  converge(db, schema_yaml(kPrivileges));
  CHECK(access(db) == kWanted);
  // Existing objects: a revoke, a grant option taken back, a grant, a
  // default given back.
  const std::string changed =
      "      - table: orders\n"
      "        grants:\n"
      "          - { to: pgshift_priv_writer, privileges: [INSERT, UPDATE, DELETE] }\n"
      "      - function: order_total(bigint)\n"
      "        grants:\n"
      "          - { to: pgshift_priv_reader, privileges: [EXECUTE] }\n";
  const std::string sql = converge(db, schema_yaml(changed));
  CHECK(contains(sql,
                 "REVOKE GRANT OPTION FOR INSERT, UPDATE ON TABLE app.orders FROM "
                 "pgshift_priv_writer"));
  CHECK(contains(sql, "GRANT DELETE ON TABLE app.orders TO pgshift_priv_writer"));
  CHECK(contains(sql, "GRANT EXECUTE ON FUNCTION app.order_total(bigint) TO PUBLIC"));
  CHECK(contains(sql, "REVOKE SELECT (note) ON TABLE app.orders FROM PUBLIC"));
  CHECK(db.scalar("SELECT has_function_privilege('public', 'app.order_total(bigint)', "
                  "'EXECUTE')::text || has_schema_privilege('pgshift_priv_reader', 'app', "
                  "'USAGE')::text") == "truefalse");
}

TEST_CASE("grants on existing objects need access_widened and revokes access_narrowed",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", schema_yaml(""))).exit_code == 0);
  const std::string granted = dir.write("b.yaml", schema_yaml(kPrivileges));
  const auto refused = apply_schema(db.url(), granted, {"access_narrowed"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "access_widened"));
  const auto applied = apply_schema(db.url(), granted, {"access_widened", "access_narrowed"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(access(db) == kWanted);
  // A desired state without them revokes every grant: access_narrowed.
  const std::string none = dir.write("c.yaml", schema_yaml(""));
  const auto narrowing = apply_schema(db.url(), none, {"access_widened"});
  INFO(narrowing.output);
  CHECK(narrowing.exit_code == 1);
  CHECK(contains(narrowing.output, "access_narrowed"));
  REQUIRE(apply_schema(db.url(), none, {"access_widened", "access_narrowed"}).exit_code == 0);
  CHECK(db.scalar("SELECT has_table_privilege('pgshift_priv_reader', 'app.orders', "
                  "'SELECT')::text") == "false");
  CHECK(replan(db.url(), none) == 0);
}

TEST_CASE("an out-of-band GRANT or REVOKE is drift, and plan repairs it",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  const std::string path = dir.write("s.yaml", schema_yaml(kPrivileges));
  REQUIRE(apply_schema(db.url(), path).exit_code == 0);
  db.exec(
      "GRANT DELETE ON app.orders TO pgshift_priv_writer;"
      "GRANT EXECUTE ON FUNCTION app.order_total(bigint) TO PUBLIC;"
      "REVOKE SELECT ON app.big_orders FROM pgshift_priv_reader");
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code != 0);
  CHECK(contains(drift.output, "privileges.grants.pgshift_priv_writer"));
  CHECK(contains(drift.output, "privileges.revoked.PUBLIC"));
  CHECK(contains(drift.output, "privileges.grants.pgshift_priv_reader"));
  const auto repaired = apply_schema(db.url(), path, {"access_widened", "access_narrowed"});
  INFO(repaired.output);
  REQUIRE(repaired.exit_code == 0);
  CHECK(access(db) == kWanted);
  CHECK(replan(db.url(), path) == 0);
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("a view recreated around a column type change keeps its grants",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", schema_yaml(kPrivileges))).exit_code == 0);
  db.exec("INSERT INTO app.orders VALUES (1, 500, 'x')");
  const std::string retyped = dir.write("b.yaml", schema_yaml(kPrivileges, "bigint"));
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", retyped, "--allow-hazard", "all"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(contains(planned.output, "GRANT SELECT ON TABLE app.big_orders TO pgshift_priv_reader"));
  const auto applied = apply_schema(db.url(), retyped, {"all"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(access(db) == kWanted);
  CHECK(replan(db.url(), retyped) == 0);
}

TEST_CASE("a grant to a role the server lacks is refused, naming the role",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  const std::string path = dir.write(
      "s.yaml", schema_yaml("      - table: orders\n"
                            "        grants:\n"
                            "          - { to: pgshift_no_such_role, privileges: [SELECT] }\n"));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, "\"pgshift_no_such_role\", which does not exist on the server"));
}

namespace {

// Holds grant options and passes privileges on, as a team lead would.
constexpr const char* kLead = "pgshift_priv_lead";

// kPrivileges with grant options for kLead on every kind of object.
const std::string kLeadOptions =
    "      - schema: app\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [USAGE] }\n"
    "          - { to: pgshift_priv_lead, privileges: [USAGE], with_grant_option: true }\n"
    "      - table: orders\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [SELECT] }\n"
    "          - { to: pgshift_priv_writer, privileges: [insert, UPDATE], with_grant_option: true "
    "}\n"
    "          - { to: pgshift_priv_lead, privileges: [SELECT], with_grant_option: true }\n"
    "      - table: orders\n"
    "        column: note\n"
    "        grants:\n"
    "          - { to: PUBLIC, privileges: [SELECT] }\n"
    "      - view: big_orders\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [SELECT] }\n"
    "      - sequence: invoice_no\n"
    "        grants:\n"
    "          - { to: pgshift_priv_writer, privileges: [USAGE] }\n"
    "          - { to: pgshift_priv_lead, privileges: [USAGE], with_grant_option: true }\n"
    "      - function: order_total(bigint)\n"
    "        revoked:\n"
    "          - { from: PUBLIC, privileges: [EXECUTE] }\n"
    "        grants:\n"
    "          - { to: pgshift_priv_reader, privileges: [EXECUTE] }\n"
    "          - { to: pgshift_priv_lead, privileges: [EXECUTE], with_grant_option: true }\n"
    "      - enum: status\n"
    "        revoked:\n"
    "          - { from: public, privileges: [USAGE] }\n"
    "        grants:\n"
    "          - { to: pgshift_priv_lead, privileges: [USAGE], with_grant_option: true }\n";

// What kLead passes on, none of which the desired state gives: the writer's
// SELECT, which the owner gave as well, and on one column; the reader's
// sequence USAGE; PUBLIC's EXECUTE and USAGE, defaults the desired state
// revokes; the writer's schema USAGE.
constexpr const char* kLeadPassesOn =
    "GRANT SELECT ON app.orders TO pgshift_priv_writer;"
    "SET ROLE pgshift_priv_lead;"
    "GRANT SELECT ON app.orders TO pgshift_priv_writer;"
    "GRANT SELECT (amount) ON app.orders TO pgshift_priv_writer;"
    "GRANT USAGE ON SEQUENCE app.invoice_no TO pgshift_priv_reader;"
    "GRANT EXECUTE ON FUNCTION app.order_total(bigint) TO PUBLIC;"
    "GRANT USAGE ON SCHEMA app TO pgshift_priv_writer;"
    "GRANT USAGE ON TYPE app.status TO PUBLIC;"
    "RESET ROLE";

// What kLead passed on, as the server answers.
std::string passed_on(const TestDatabase& db) {
  return db.scalar(
      "SELECT concat_ws(' ', "
      " has_table_privilege('pgshift_priv_writer', 'app.orders', 'SELECT'), "
      " has_column_privilege('pgshift_priv_writer', 'app.orders', 'amount', 'SELECT'), "
      " has_sequence_privilege('pgshift_priv_reader', 'app.invoice_no', 'USAGE'), "
      " has_function_privilege('public', 'app.order_total(bigint)', 'EXECUTE'), "
      " has_schema_privilege('pgshift_priv_writer', 'app', 'USAGE'), "
      " has_type_privilege('public', 'app.status', 'USAGE'))");
}

// ACL entries of schema app's objects whose grantor is `role`.
std::string grants_by(const TestDatabase& db, const std::string& role) {
  return db.scalar(
      "SELECT count(*) FROM ("
      " SELECT relacl AS acl FROM pg_class WHERE relnamespace = 'app'::regnamespace"
      " UNION ALL SELECT attacl FROM pg_attribute WHERE attrelid = 'app.orders'::regclass"
      " UNION ALL SELECT proacl FROM pg_proc WHERE pronamespace = 'app'::regnamespace"
      " UNION ALL SELECT typacl FROM pg_type WHERE typnamespace = 'app'::regnamespace"
      " UNION ALL SELECT nspacl FROM pg_namespace WHERE nspname = 'app') o,"
      " aclexplode(o.acl) e WHERE e.grantor = '" +
      role + "'::regrole");
}

}  // namespace

TEST_CASE("a grant made by another role is revoked as its grantor, and the grantee loses it",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  ensure_role(db, kLead);
  const std::string path = dir.write("s.yaml", schema_yaml(kLeadOptions));
  REQUIRE(apply_schema(db.url(), path).exit_code == 0);
  db.exec(kLeadPassesOn);
  REQUIRE(passed_on(db) == "t t t t t t");
  REQUIRE(grants_by(db, kLead) == "6");
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);

  const auto planned = run_pgshift(
      {"plan", "--db", db.url(), "--schema", path, "--allow-hazard", "access_narrowed"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  // As the grantor; the writer's SELECT, which the owner gave as well, as both.
  const std::string writer = "REVOKE SELECT ON TABLE app.orders FROM pgshift_priv_writer";
  CHECK(contains(planned.output, "SET LOCAL ROLE pgshift_priv_lead;\n" + writer + ";\n"));
  CHECK(planned.output.find(writer) != planned.output.rfind(writer));
  CHECK(contains(planned.output,
                 "REVOKE SELECT (amount) ON TABLE app.orders FROM "
                 "pgshift_priv_writer"));
  CHECK(contains(planned.output, "REVOKE EXECUTE ON FUNCTION app.order_total(bigint) FROM PUBLIC"));
  CHECK(contains(planned.output, "RESET ROLE;"));
  const auto applied = apply_schema(db.url(), path, {"access_narrowed"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(passed_on(db) == "f f f f f f");
  CHECK(grants_by(db, kLead) == "0");
  CHECK(access(db) == kWanted);
  CHECK(db.scalar("SELECT has_table_privilege('pgshift_priv_lead', 'app.orders', "
                  "'SELECT WITH GRANT OPTION')::text") == "true");
  CHECK(replan(db.url(), path) == 0);
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("the SQL rendering revokes a role's grants before the role loses its grant option",
          "[planner][db][privileges]") {
  TestDatabase db;
  ensure_roles(db);
  ensure_role(db, kLead);
  converge(db, schema_yaml(kLeadOptions));
  db.exec(kLeadPassesOn);
  // The desired state keeps what the lead gave the writer but takes the
  // lead's grant option it rests on: refused before anything runs, naming both.
  std::string kept = kPrivileges;
  const std::string writer = "privileges: [insert, UPDATE], with_grant_option: true }\n";
  kept.insert(kept.find(writer) + writer.size(),
              "          - { to: pgshift_priv_writer, privileges: [SELECT] }\n");
  const auto refused = run_plan(db, schema_yaml(kept));
  INFO(refused.messages);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.messages,
                 "role \"pgshift_priv_lead\" loses SELECT, but it granted SELECT to role "
                 "\"pgshift_priv_writer\", which the desired state keeps"));
  // The same for a column grant resting on the table's grant option (the
  // server would keep it, beyond its grantor's reach).
  const auto stranded =
      run_plan(db, schema_yaml(kPrivileges + "      - table: orders\n"
                                             "        column: amount\n"
                                             "        grants:\n"
                                             "          - { to: pgshift_priv_writer, "
                                             "privileges: [SELECT] }\n"));
  INFO(stranded.messages);
  CHECK(stranded.exit_code == 1);
  CHECK(contains(stranded.messages,
                 "role \"pgshift_priv_lead\" loses SELECT, but it granted SELECT (amount) to "
                 "role \"pgshift_priv_writer\", which the desired state keeps"));
  CHECK(passed_on(db) == "t t t t t t");
  // Without the lead's grants at all: its own grants go first, through psql.
  const std::string sql = converge(db, schema_yaml(kPrivileges));
  CHECK(position(sql,
                 "SET LOCAL ROLE pgshift_priv_lead;\nREVOKE SELECT ON TABLE app.orders FROM "
                 "pgshift_priv_writer;\nRESET ROLE;") <
        position(sql, "REVOKE SELECT ON TABLE app.orders FROM pgshift_priv_lead"));
  CHECK(passed_on(db) == "f f f f f f");
  CHECK(db.scalar("SELECT has_table_privilege('pgshift_priv_lead', 'app.orders', "
                  "'SELECT')::text") == "false");
  CHECK(grants_by(db, kLead) == "0");
  CHECK(access(db) == kWanted);
}

TEST_CASE("a grant by a role the planning role cannot become is refused, naming it",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  ensure_roles(db);
  ensure_role(db, kLead);
  // The objects' owner plans, as a role of its own that is no member of the lead.
  const std::string owner = "pgshift_priv_owner_" + db.name();
  db.exec("CREATE ROLE " + owner + " LOGIN CREATEDB");
  db.exec("CREATE SCHEMA app AUTHORIZATION " + owner + "; SET ROLE " + owner +
          "; CREATE TABLE app.orders (id bigint PRIMARY KEY);"
          "GRANT USAGE ON SCHEMA app TO pgshift_priv_lead;"
          "GRANT SELECT ON app.orders TO pgshift_priv_lead WITH GRANT OPTION; RESET ROLE;" +
          "SET ROLE pgshift_priv_lead; GRANT SELECT ON app.orders TO pgshift_priv_reader;"
          "RESET ROLE");
  std::string url = db.url();
  const size_t scheme = url.find("://") + 3;
  const size_t at = url.find('@', scheme);
  url = url.substr(0, scheme) + owner + (at == std::string::npos ? "@" : "") +
        url.substr(at == std::string::npos ? scheme : at);
  const std::string path = dir.write(
      "s.yaml",
      "schemas:\n  app:\n    tables:\n      orders:\n        columns:\n"
      "          id: { type: bigint, nullable: false }\n        primary_key: [id]\n"
      "    privileges:\n      - schema: app\n        grants:\n"
      "          - { to: pgshift_priv_lead, privileges: [USAGE] }\n"
      "      - table: orders\n        grants:\n"
      "          - { to: pgshift_priv_lead, privileges: [SELECT], with_grant_option: true }\n");
  const auto planned =
      run_pgshift({"plan", "--db", url, "--schema", path, "--allow-hazard", "access_narrowed"});
  db.exec("DROP SCHEMA app CASCADE; DROP OWNED BY " + owner + "; DROP ROLE " + owner);
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output,
                 "privileges of table \"app.orders\": SELECT granted to role "
                 "\"pgshift_priv_reader\" by role \"pgshift_priv_lead\" (not the owner) cannot "
                 "be revoked"));
  CHECK(contains(planned.output, "may not SET ROLE to \"pgshift_priv_lead\""));
}
