// Default privileges (ALTER DEFAULT PRIVILEGES) end to end, through the binary
// against a real server: database-wide and per-schema entries, FOR ROLE
// another role and the role running the plan, are applied before the plan
// creates objects, read back by inspect into a YAML that plans nothing; a
// table the plan creates gets the desired defaults and its own desired
// privileges without fighting them (re-planning is empty); an out-of-band
// ALTER DEFAULT PRIVILEGES is drift that plan repairs; a role the server
// lacks is refused by name. Each test makes roles of its own and drops them.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

// Roles named after the test database (roles belong to the whole server,
// tests run in parallel), dropped when the test ends, after its database.
class Roles {
 public:
  Roles(const TestDatabase& admin, const std::string& suffix)
      : admin_(admin), app("pgshift_dp_app_" + suffix), reader("pgshift_dp_ro_" + suffix) {
    admin_.exec("CREATE ROLE " + app + "; CREATE ROLE " + reader);
  }
  ~Roles() {
    try {
      admin_.exec("DROP ROLE IF EXISTS " + app + "; DROP ROLE IF EXISTS " + reader);
    } catch (const std::exception&) {
      // A leftover role is harmless: the cluster is thrown away.
    }
  }
  Roles(const Roles&) = delete;
  Roles& operator=(const Roles&) = delete;

 private:
  const TestDatabase& admin_;

 public:
  const std::string app;
  const std::string reader;
};

// A schema `app` with two tables: `orders` without privileges of its own,
// `audit` with a SELECT for the reader; `defaults` is the desired default
// privileges text (database-wide and under the schema).
struct Defaults {
  std::string top;     // the top-level list's items
  std::string schema;  // the schema's list's items
};

std::string schema_yaml(const Roles& roles, const Defaults& defaults) {
  return (defaults.top.empty() ? std::string() : "default_privileges:\n" + defaults.top) +
         "schemas:\n"
         "  app:\n"
         "    tables:\n"
         "      orders:\n"
         "        columns:\n"
         "          id: bigint\n"
         "      audit:\n"
         "        columns:\n"
         "          id: bigint\n"
         "    privileges:\n"
         "      - table: audit\n"
         "        grants:\n"
         "          - { to: " +
         roles.reader + ", privileges: [SELECT] }\n" +
         (defaults.schema.empty() ? std::string()
                                  : "    default_privileges:\n" + defaults.schema);
}

// FOR ROLE app database-wide: functions not executable by PUBLIC, new
// schemas usable by the reader; IN SCHEMA app: app's tables readable by the
// reader; the running role's tables too, its sequences usable (with grant
// option).
Defaults wanted(const Roles& roles, const std::string& me) {
  return {"  - for_role: " + roles.app +
              "\n"
              "    objects: functions\n"
              "    revoked:\n"
              "      - { from: PUBLIC, privileges: [EXECUTE] }\n"
              "  - for_role: " +
              roles.app +
              "\n"
              "    objects: schemas\n"
              "    grants:\n"
              "      - { to: " +
              roles.reader + ", privileges: [usage] }\n",
          "      - for_role: " + roles.app +
              "\n"
              "        objects: tables\n"
              "        grants:\n"
              "          - { to: " +
              roles.reader +
              ", privileges: [SELECT] }\n"
              "      - for_role: " +
              me +
              "\n"
              "        objects: TABLES\n"
              "        grants:\n"
              "          - { to: " +
              roles.reader +
              ", privileges: [SELECT] }\n"
              "      - for_role: " +
              me +
              "\n"
              "        objects: sequences\n"
              "        grants:\n"
              "          - { to: " +
              roles.reader + ", privileges: [USAGE], with_grant_option: true }\n"};
}

// pg_default_acl as one sorted line: "schema|role|type|acl ...".
std::string default_acl(const TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(line, ' ' ORDER BY line) FROM (SELECT concat_ws('|', "
      "COALESCE(n.nspname, '-'), pg_get_userbyid(d.defaclrole), d.defaclobjtype, "
      "d.defaclacl::text) AS line "
      "FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace) lines");
}

const std::vector<std::string> kBoth = {"access_widened", "access_narrowed"};

}  // namespace

TEST_CASE("default privileges are applied before the objects the plan creates and inspected "
          "back identical",
          "[planner][db][privileges]") {
  TestDatabase admin;
  Roles roles(admin, admin.name());
  TestDatabase db;
  TempDir dir;
  const std::string me = db.scalar("SELECT current_user");
  const std::string path = dir.write("s.yaml", schema_yaml(roles, wanted(roles, me)));
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", path, "--allow-hazard", "all"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(contains(planned.output, "ALTER DEFAULT PRIVILEGES FOR ROLE " + roles.app +
                                     " REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"));
  CHECK(contains(planned.output, "ALTER DEFAULT PRIVILEGES FOR ROLE " + roles.app +
                                     " IN SCHEMA app GRANT SELECT ON TABLES TO " + roles.reader));
  // The running role's defaults come first; the table without privileges of
  // its own has them taken back in the step that creates it, the one that
  // wants them is given nothing more.
  const auto defaults_at = planned.output.find("FOR ROLE " + me + " IN SCHEMA app GRANT SELECT");
  const auto create_at = planned.output.find("CREATE TABLE app.orders");
  REQUIRE(defaults_at != std::string::npos);
  REQUIRE(create_at != std::string::npos);
  CHECK(defaults_at < create_at);
  CHECK(contains(planned.output, "REVOKE SELECT ON TABLE app.orders FROM " + roles.reader));
  CHECK_FALSE(contains(planned.output, "GRANT SELECT ON TABLE app.audit"));

  const auto applied = apply_schema(db.url(), path, kBoth);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(replan(db.url(), path) == 0);
  CHECK(db.scalar("SELECT has_table_privilege('" + roles.reader + "', 'app.audit', 'SELECT')::text"
                  " || has_table_privilege('" + roles.reader + "', 'app.orders', 'SELECT')::text") ==
        "truefalse");
  // What the defaults do: a table the running role creates now is readable.
  db.exec("CREATE TABLE app.later (id int); CREATE SEQUENCE app.later_seq");
  CHECK(db.scalar("SELECT has_table_privilege('" + roles.reader + "', 'app.later', 'SELECT')::text"
                  " || has_sequence_privilege('" + roles.reader +
                  "', 'app.later_seq', 'USAGE WITH GRANT OPTION')::text") == "truetrue");
  db.exec("DROP TABLE app.later; DROP SEQUENCE app.later_seq");

  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "-o", dir.path() + "/i.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  CHECK_FALSE(contains(inspected.output, "default privileges"));  // not reported as unmodelled
  const std::string yaml = dir.read("i.yaml");
  INFO(yaml);
  CHECK(contains(yaml, "default_privileges:\n  - for_role: " + roles.app));
  CHECK(contains(yaml, "objects: schemas"));
  CHECK(contains(yaml, "with_grant_option: true"));
  CHECK(replan(db.url(), dir.path() + "/i.yaml") == 0);
  const auto drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/i.yaml", "--strict"});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);

  // Taken away again: every entry revoked, pg_default_acl empty.
  const std::string none = dir.write("none.yaml", schema_yaml(roles, {}));
  const auto narrowing = apply_schema(db.url(), none, {"access_widened"});
  INFO(narrowing.output);
  CHECK(narrowing.exit_code == 1);
  CHECK(contains(narrowing.output, "access_narrowed"));
  const auto removed = apply_schema(db.url(), none, kBoth);
  INFO(removed.output);
  REQUIRE(removed.exit_code == 0);
  CHECK(default_acl(db).empty());
  CHECK(replan(db.url(), none) == 0);
}

TEST_CASE("an out-of-band ALTER DEFAULT PRIVILEGES is drift, and plan repairs it",
          "[planner][db][privileges]") {
  TestDatabase admin;
  Roles roles(admin, admin.name());
  TestDatabase db;
  TempDir dir;
  const std::string me = db.scalar("SELECT current_user");
  const std::string path = dir.write("s.yaml", schema_yaml(roles, wanted(roles, me)));
  REQUIRE(apply_schema(db.url(), path, kBoth).exit_code == 0);
  const std::string before = default_acl(db);
  db.exec("ALTER DEFAULT PRIVILEGES FOR ROLE " + roles.app + " IN SCHEMA app GRANT DELETE ON TABLES TO " +
          roles.reader + "; ALTER DEFAULT PRIVILEGES FOR ROLE " + roles.app +
          " GRANT EXECUTE ON FUNCTIONS TO PUBLIC; ALTER DEFAULT PRIVILEGES FOR ROLE " + roles.app +
          " GRANT USAGE ON TYPES TO " + roles.reader);
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "default privileges for role \"" + roles.app +
                                   "\" on tables in schema \"app\""));
  CHECK(contains(drift.output, "grants." + roles.reader));
  CHECK(contains(drift.output, "[SELECT, DELETE]"));
  CHECK(contains(drift.output, "default privileges for role \"" + roles.app +
                                   "\" on types (database-wide)"));
  const auto repaired = apply_schema(db.url(), path, kBoth);
  INFO(repaired.output);
  REQUIRE(repaired.exit_code == 0);
  CHECK(default_acl(db) == before);
  CHECK(replan(db.url(), path) == 0);
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("default privileges naming a role the server lacks are refused, naming the role",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  const std::string path = dir.write(
      "s.yaml",
      "default_privileges:\n"
      "  - { for_role: pgshift_dp_no_such_owner, objects: tables,"
      " grants: [{ to: pgshift_dp_no_such_reader, privileges: [SELECT] }] }\n"
      "schemas:\n  app: {}\n");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, "\"pgshift_dp_no_such_owner\", which does not exist on the server"));
  CHECK(contains(planned.output, "\"pgshift_dp_no_such_reader\", which does not exist on the server"));
}

TEST_CASE("objects the plan creates start from the database-wide defaults with the schema's added",
          "[planner][db][privileges]") {
  TestDatabase db;
  TempDir dir;
  const std::string me = db.scalar("SELECT current_user");
  // Database-wide: functions and types not for PUBLIC; in schema app,
  // functions given back to PUBLIC. A function in app needs nothing of its
  // own, one in public and the enum need the default given back.
  const std::string path = dir.write(
      "s.yaml", "default_privileges:\n"
                "  - { for_role: " + me + ", objects: functions,"
                " revoked: [{ from: PUBLIC, privileges: [EXECUTE] }] }\n"
                "  - { for_role: " + me + ", objects: types,"
                " revoked: [{ from: PUBLIC, privileges: [USAGE] }] }\n"
                "schemas:\n"
                "  app:\n"
                "    enums:\n"
                "      state: [a, b]\n"
                "    functions:\n"
                "      f: { returns: integer, body: SELECT 1 }\n"
                "    default_privileges:\n"
                "      - { for_role: " + me + ", objects: functions,"
                " grants: [{ to: PUBLIC, privileges: [EXECUTE] }] }\n"
                "  public:\n"
                "    functions:\n"
                "      g: { returns: integer, body: SELECT 2 }\n");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", path, "--allow-hazard", "all"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(contains(planned.output, "GRANT USAGE ON TYPE app.state TO PUBLIC"));
  CHECK(contains(planned.output, "GRANT EXECUTE ON FUNCTION public.g() TO PUBLIC"));
  CHECK_FALSE(contains(planned.output, "ON FUNCTION app.f()"));
  const auto applied = apply_schema(db.url(), path, kBoth);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT concat_ws(' ', has_function_privilege('public', 'app.f()', 'EXECUTE'), "
                  "has_function_privilege('public', 'public.g()', 'EXECUTE'), "
                  "has_type_privilege('public', 'app.state', 'USAGE'))") == "t t t");
  CHECK(replan(db.url(), path) == 0);
}
