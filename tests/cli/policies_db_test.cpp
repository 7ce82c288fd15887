// Row-level security end to end, through the binary against a real server:
// policies and ENABLE / FORCE are created, altered in place, replaced in one
// transaction, dropped behind their hazards, read back by inspect into a YAML
// that plans nothing, and an out-of-band change is drift that plan repairs.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::apply_schema;
using pgshift::testing::CommandResult;
using pgshift::testing::contains;
using pgshift::testing::replan;
using pgshift::testing::run_command;
using pgshift::testing::run_pgshift;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

// Roles belong to the server, shared by every test database: made once,
// whichever test gets there first.
void ensure_role(const TestDatabase& db, const std::string& role) {
  db.exec("DO $$BEGIN CREATE ROLE " + role +
          "; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$");
}

constexpr const char* kRole = "pgshift_policy_reader";

// orders with a tenant column, a function the policies call, RLS enabled.
std::string schema_yaml(const std::string& policies, const std::string& row_security,
                        const std::string& extra_columns = "") {
  return R"yaml(
schemas:
  public:
    functions:
      current_tenant:
        returns: text
        volatility: stable
        body: SELECT current_setting('app.tenant', true)
    tables:
      orders:
        columns:
          id: { type: bigint, nullable: false }
          tenant: text
          amount: numeric
)yaml" + extra_columns +
         R"yaml(        primary_key: [id]
)yaml" + row_security +
         (policies.empty() ? std::string() : "        policies:\n" + policies);
}

constexpr const char* kEnabled = "        row_security: { enabled: true }\n";

constexpr const char* kTenantPolicy =
    "          tenant:\n"
    "            using: tenant = current_tenant()\n"
    "            comment: one tenant's rows\n";

constexpr const char* kCapPolicy =
    "          cap:\n"
    "            command: insert\n"
    "            kind: restrictive\n"
    "            roles: [pgshift_policy_reader]\n"
    "            with_check: amount < 1000\n";

std::string policies_of(const TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(polname || ':' || polcmd::text || ':' || polpermissive::text || ':' || "
      "  coalesce(pg_get_expr(polqual, polrelid), '-') || ':' || "
      "  coalesce(pg_get_expr(polwithcheck, polrelid), '-'), ' | ' ORDER BY polname) "
      "FROM pg_policy WHERE polrelid = 'public.orders'::regclass");
}

}  // namespace

TEST_CASE("policies and enabled row-level security are created after their function and column",
          "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  const std::string path =
      dir.write("s.yaml", schema_yaml(std::string(kTenantPolicy) + kCapPolicy, kEnabled));
  const auto applied = apply_schema(db.url(), path);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class "
                  "WHERE oid = 'public.orders'::regclass") == "truefalse");
  CHECK(policies_of(db) ==
        "cap:a:false:-:(amount < (1000)::numeric) | "
        "tenant:*:true:(tenant = current_tenant()):-");
  CHECK(db.scalar("SELECT array_to_string(polroles::regrole[], ',') FROM pg_policy "
                  "WHERE polname = 'cap'") == kRole);
  CHECK(db.scalar("SELECT obj_description(oid, 'pg_policy') FROM pg_policy "
                  "WHERE polname = 'tenant'") == "one tenant's rows");
  CHECK(replan(db.url(), path) == 0);
}

TEST_CASE("inspect writes policies and row_security that plan nothing", "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  db.exec(
      "CREATE TABLE orders (id bigint PRIMARY KEY, tenant text, amount numeric);"
      "ALTER TABLE orders ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;"
      "CREATE POLICY reader ON orders FOR SELECT TO pgshift_policy_reader, PUBLIC "
      "  USING (amount > 0);"
      "CREATE POLICY writer ON orders AS RESTRICTIVE FOR UPDATE "
      "  USING (tenant IS NOT NULL) WITH CHECK (amount < 10);"
      "CREATE POLICY \"Odd Name\" ON orders FOR DELETE TO pgshift_policy_reader USING (true);");
  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "-o", dir.path() + "/s.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  CHECK_FALSE(contains(inspected.output, "not modelled"));
  const std::string yaml = dir.read("s.yaml");
  INFO(yaml);
  CHECK(contains(yaml, "row_security: { enabled: true, forced: true }"));
  CHECK(contains(yaml, "kind: restrictive"));
  CHECK(contains(yaml, "Odd Name"));
  CHECK(replan(db.url(), dir.path() + "/s.yaml") == 0);
  const auto drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/s.yaml", "--strict"});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}

TEST_CASE("a changed USING is one ALTER POLICY, a changed command a drop and create in one step",
          "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  REQUIRE(
      apply_schema(db.url(), dir.write("a.yaml", schema_yaml(kTenantPolicy, kEnabled))).exit_code ==
      0);

  const std::string changed_using = dir.write(
      "b.yaml", schema_yaml("          tenant:\n"
                            "            using: tenant = current_tenant() OR tenant IS NULL\n"
                            "            comment: one tenant's rows\n",
                            kEnabled));
  const auto plan_b = run_pgshift({"plan", "--db", db.url(), "--schema", changed_using});
  INFO(plan_b.output);
  CHECK(contains(plan_b.output, "ALTER POLICY tenant ON public.orders USING"));
  CHECK_FALSE(contains(plan_b.output, "DROP POLICY"));
  REQUIRE(apply_schema(db.url(), changed_using).exit_code == 0);
  CHECK(contains(policies_of(db), "OR (tenant IS NULL)"));
  CHECK(replan(db.url(), changed_using) == 0);

  const std::string changed_command = dir.write(
      "c.yaml", schema_yaml("          tenant:\n"
                            "            command: select\n"
                            "            using: tenant = current_tenant() OR tenant IS NULL\n"
                            "            comment: one tenant's rows\n",
                            kEnabled));
  const auto plan_c =
      run_pgshift({"plan", "--db", db.url(), "--schema", changed_command, "--format", "json"});
  INFO(plan_c.output);
  REQUIRE(plan_c.exit_code == 0);
  // One step: the drop, the create and the comment in one transaction; no
  // hazard (the plan is not refused).
  CHECK(contains(plan_c.output, "\"summary\": \"replace policy \\\"tenant\\\""));
  CHECK(contains(plan_c.output, "\"DROP POLICY tenant ON public.orders\""));
  CHECK(contains(plan_c.output, "CREATE POLICY tenant ON public.orders FOR SELECT"));
  const auto applied = apply_schema(db.url(), changed_command);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(policies_of(db), "tenant:r:true:"));
  CHECK(db.scalar("SELECT obj_description(oid, 'pg_policy') FROM pg_policy "
                  "WHERE polname = 'tenant'") == "one tenant's rows");
  CHECK(replan(db.url(), changed_command) == 0);
}

TEST_CASE("dropping a restrictive policy and disabling row-level security need access_widened",
          "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  REQUIRE(apply_schema(
              db.url(),
              dir.write("a.yaml",
                        schema_yaml(std::string(kTenantPolicy) + kCapPolicy,
                                    "        row_security: { enabled: true, forced: true }\n")))
              .exit_code == 0);
  const std::string none = dir.write("none.yaml", schema_yaml("", ""));
  const auto refused = apply_schema(db.url(), none, {"data_loss"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output,
                 "(drop policy \"cap\" of table \"public.orders\") has hazard "
                 "access_widened"));
  CHECK(contains(refused.output,
                 "row-level security of table \"public.orders\": disabled) has "
                 "hazard access_widened"));
  CHECK_FALSE(contains(refused.output,
                       "(drop policy \"tenant\" of table \"public.orders\") has "
                       "hazard access_widened"));
  CHECK(policies_of(db) != "");

  const auto applied = apply_schema(db.url(), none, {"data_loss", "access_widened"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(policies_of(db) == "");
  CHECK(db.scalar("SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class "
                  "WHERE oid = 'public.orders'::regclass") == "falsefalse");
  CHECK(replan(db.url(), none) == 0);
}

TEST_CASE("drift names a policy changed out of band and plan puts it back", "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  const std::string path = dir.write("s.yaml", schema_yaml(kTenantPolicy, kEnabled));
  REQUIRE(apply_schema(db.url(), path).exit_code == 0);
  db.exec(
      "ALTER POLICY tenant ON orders USING (true); ALTER TABLE orders FORCE ROW LEVEL SECURITY");
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "policies.tenant.using"));
  CHECK(contains(drift.output, "row_security.forced"));
  REQUIRE(apply_schema(db.url(), path, {"access_widened"}).exit_code == 0);
  CHECK(contains(policies_of(db), "(tenant = current_tenant())"));
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("a policy naming a role the server lacks is refused by name", "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  const std::string path =
      dir.write("s.yaml", schema_yaml("          ghost:\n"
                                      "            roles: [pgshift_no_such_role]\n"
                                      "            using: \"true\"\n",
                                      kEnabled));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output,
                 "policy \"ghost\" of table \"public.orders\" names role "
                 "\"pgshift_no_such_role\", which does not exist on the server"));
}

TEST_CASE("a policy on a new column is created after it and dropped before it",
          "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  ensure_role(db, kRole);
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", schema_yaml("", ""))).exit_code == 0);
  const std::string with_region = dir.write(
      "b.yaml", schema_yaml("          by_region:\n"
                            "            using: region = 'eu' AND tenant = current_tenant()\n",
                            kEnabled, "          region: text\n"));
  const auto added = apply_schema(db.url(), with_region);
  INFO(added.output);
  REQUIRE(added.exit_code == 0);
  CHECK(replan(db.url(), with_region) == 0);
  // The column and the policy go together: the policy first (the server
  // refuses to drop a column a policy uses).
  const auto dropped =
      apply_schema(db.url(), dir.write("c.yaml", schema_yaml("", kEnabled)), {"data_loss"});
  INFO(dropped.output);
  CHECK(dropped.exit_code == 0);
  CHECK(policies_of(db) == "");
}

TEST_CASE("renamed_from renames a policy in place", "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(
      apply_schema(db.url(), dir.write("a.yaml", schema_yaml(kTenantPolicy, kEnabled))).exit_code ==
      0);
  const std::string renamed =
      dir.write("b.yaml", schema_yaml("          tenant_rows:\n"
                                      "            renamed_from: tenant\n"
                                      "            using: tenant = current_tenant()\n"
                                      "            comment: one tenant's rows\n",
                                      kEnabled));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", renamed});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, "ALTER POLICY tenant ON public.orders RENAME TO tenant_rows"));
  CHECK_FALSE(contains(planned.output, "DROP POLICY"));
  REQUIRE(apply_schema(db.url(), renamed).exit_code == 0);
  CHECK(contains(policies_of(db), "tenant_rows:*:true:(tenant = current_tenant())"));
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE("a type change of a column a kept policy uses is refused naming both",
          "[cli][db][policies]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", schema_yaml("          cheap:\n"
                                                                 "            using: amount < 10\n",
                                                                 kEnabled)))
              .exit_code == 0);
  std::string yaml = schema_yaml("          cheap:\n            using: amount < 10\n", kEnabled);
  yaml.replace(yaml.find("amount: numeric"), 15, "amount: bigint");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("b.yaml", yaml)});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output,
                 "cannot change the type of column \"amount\" of table "
                 "\"public.orders\": policy \"cheap\" of table \"public.orders\" "
                 "uses it"));
}
