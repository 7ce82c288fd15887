// `pgshift drift` end to end: a database built with SQL in other words than
// its YAML, changed out of band, checked by the binary; `pgshift plan` on the
// same database must agree on whether there is a difference.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

// The YAML of the database kSchemaSql builds, spelled differently on purpose:
// int8, varchar, unquoted numbers, no ::text casts, short forms.
constexpr const char* kSchemaYaml = R"yaml(
schemas:
  public:
    enums:
      mood: [sad, happy]
    sequences:
      counter: { type: int4 }
    tables:
      customers:
        columns:
          id: { type: int8, nullable: false }
          name: varchar(100)
        primary_key: [id]
      orders:
        columns:
          id: { type: int8, identity: always }
          customer_id: { type: int8, nullable: false }
          status: { type: text, nullable: false, default: "'new'" }
          amount: { type: "numeric(10,2)", nullable: false, default: 0 }
          feeling: mood
        primary_key: [id]
        checks:
          orders_amount_check: amount >= 0
        foreign_keys:
          - { columns: [customer_id], references: customers(id) }
        indexes:
          orders_status_idx: { columns: [status] }
    views:
      open_orders: SELECT id, status FROM orders WHERE status = 'new'
)yaml";

constexpr const char* kSchemaSql = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE SEQUENCE counter AS integer;
CREATE TABLE customers (id bigint PRIMARY KEY, name character varying(100));
CREATE TABLE orders (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers (id),
  status text NOT NULL DEFAULT 'new'::text,
  amount numeric(10, 2) NOT NULL DEFAULT 0,
  feeling mood,
  CONSTRAINT orders_amount_check CHECK (amount >= 0)
);
CREATE INDEX orders_status_idx ON orders USING btree (status);
CREATE VIEW open_orders AS SELECT id, status FROM orders WHERE status = 'new';
)sql";

// A database holding kSchemaSql, and a YAML file describing it.
class Fixture {
 public:
  explicit Fixture(const std::string& yaml = kSchemaYaml)
      : yaml_path_(dir_.write("schema.yaml", yaml)) {
    db_.exec(kSchemaSql);
  }

  void exec(const std::string& sql) const { db_.exec(sql); }

  CommandResult pgshift(const std::string& command, std::vector<std::string> args = {}) const {
    std::vector<std::string> argv = {PGSHIFT_BIN, command,    "--db",
                                     db_.url(),   "--schema", yaml_path_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  CommandResult drift(std::vector<std::string> args = {}) const {
    return pgshift("drift", std::move(args));
  }

  // Runs drift and plan (every hazard allowed, so that only a refusal by the
  // planner itself fails it) and checks they agree: both 0 when in sync; when
  // plan has steps (2 with --detailed-exitcode) or refuses a change it cannot
  // make (1), drift says 2.
  CommandResult drift_agreeing_with_plan(std::vector<std::string> args = {}) const {
    const CommandResult drift_run = drift(args);
    args.insert(args.begin(), {"--allow-hazard", "all", "--detailed-exitcode"});
    const CommandResult plan_run = pgshift("plan", args);
    INFO("drift exit " << drift_run.exit_code << ", plan exit " << plan_run.exit_code << "\n"
                       << plan_run.output);
    CHECK((drift_run.exit_code == 0) == (plan_run.exit_code == 0));
    if (plan_run.exit_code != 0) CHECK(drift_run.exit_code == 2);
    return drift_run;
  }

  // The JSON report, written with -o.
  nlohmann::json drift_json(std::vector<std::string> args = {}) const {
    const std::string path = dir_.path() + "/drift.json";
    args.insert(args.end(), {"--format", "json", "-o", path});
    const CommandResult result = drift(args);
    INFO(result.output);
    REQUIRE((result.exit_code == 0 || result.exit_code == 2));
    return nlohmann::json::parse(dir_.read("drift.json"));
  }

 private:
  TestDatabase db_;
  TempDir dir_;
  std::string yaml_path_;
};

nlohmann::json object(const std::string& kind, const std::string& table, const std::string& name) {
  return nlohmann::json{{"kind", kind}, {"schema", "public"}, {"table", table}, {"name", name}};
}

// The changed entry for `id`, or null.
nlohmann::json changed_entry(const nlohmann::json& report, const nlohmann::json& id) {
  for (const auto& changed : report["changed"]) {
    if (changed["object"] == id) return changed;
  }
  return nullptr;
}

nlohmann::json field(const std::string& name, const nlohmann::json& before,
                     const nlohmann::json& after) {
  return nlohmann::json{{"field", name}, {"before", before}, {"after", after}};
}

}  // namespace

TEST_CASE("a database matching its yaml in other words has no drift", "[plans][drift][db]") {
  const Fixture fixture;
  const CommandResult result = fixture.drift_agreeing_with_plan();
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(result.output ==
        "pgshift drift: the database matches the schema\n\npgshift plan would run 0 "
        "steps\n");
}

TEST_CASE("an index added by hand is drift on its table", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("CREATE INDEX orders_customer_hotfix ON orders (customer_id)");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  const auto orders = changed_entry(report, object("table", "", "orders"));
  REQUIRE(orders.is_object());
  CHECK(orders["fields"] == nlohmann::json::array({field("indexes.orders_customer_hotfix.columns",
                                                         "[customer_id]", nullptr)}));
  CHECK(
      orders["plan_steps"] ==
      nlohmann::json::array({"drop index \"orders_customer_hotfix\" on table \"public.orders\""}));
  CHECK(report["changed"].size() == 1);
}

TEST_CASE("a column dropped out of band is drift on its table", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("ALTER TABLE customers DROP COLUMN name");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  const auto customers = changed_entry(report, object("table", "", "customers"));
  REQUIRE(customers.is_object());
  CHECK(customers["fields"] ==
        nlohmann::json::array({field("columns.name", nullptr, "character varying(100)")}));
  CHECK(report["changed"].size() == 1);
}

TEST_CASE("a default changed out of band shows the database's and the yaml's value",
          "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending'");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  const auto orders = changed_entry(report, object("table", "", "orders"));
  REQUIRE(orders.is_object());
  CHECK(orders["fields"] ==
        nlohmann::json::array({field("columns.status.default", "'pending'::text", "'new'::text")}));
  CHECK(report["changed"].size() == 1);
}

TEST_CASE("a constraint made NOT VALID is drift and an operational finding", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec(
      "ALTER TABLE orders DROP CONSTRAINT orders_amount_check, "
      "ADD CONSTRAINT orders_amount_check CHECK (amount >= 0) NOT VALID");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  CHECK(report["not_valid_constraints"] ==
        nlohmann::json::array({object("check constraint", "orders", "orders_amount_check")}));
  const auto orders = changed_entry(report, object("table", "", "orders"));
  REQUIRE(orders.is_object());
  CHECK(orders["fields"] ==
        nlohmann::json::array({field("checks.orders_amount_check.validated", "false", nullptr)}));
}

TEST_CASE("an enum value added out of band is drift on the enum", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("ALTER TYPE mood ADD VALUE 'angry'");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  // The plan that undoes it replaces the type (the label cannot be dropped).
  CHECK(report["changed"] ==
        nlohmann::json::array(
            {{{"object", object("enum", "", "mood")},
              {"fields", {field("", "[sad, happy, angry]", "[sad, happy]")}},
              {"plan_steps",
               nlohmann::json::array({"replace enum \"public.mood\" with one of the desired "
                                      "labels"})}}}));
  CHECK(report["diagnostics"].empty());
}

TEST_CASE("a view changed out of band is drift on the view", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec(
      "CREATE OR REPLACE VIEW open_orders AS SELECT id, status FROM orders "
      "WHERE status = 'pending'");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  REQUIRE(report["changed"].size() == 1);
  const auto& view = report["changed"][0];
  CHECK(view["object"] == object("view", "", "open_orders"));
  REQUIRE(view["fields"].size() == 1);
  CHECK(view["fields"][0]["field"] == "");
  CHECK_THAT(view["fields"][0]["before"].get<std::string>(), Catch::Contains("'pending'::text"));
  CHECK_THAT(view["fields"][0]["after"].get<std::string>(), Catch::Contains("'new'::text"));
}

TEST_CASE("a table created out of band is unexpected", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("CREATE TABLE audit_log (id bigint)");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  CHECK(report["unexpected"] == nlohmann::json::array({object("table", "", "audit_log")}));
  CHECK(report["missing"].empty());
  CHECK(report["changed"].empty());
}

TEST_CASE("a command-line ignore rule suppresses exactly the objects it names",
          "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec(
      "CREATE INDEX orders_customer_hotfix ON orders (customer_id); "
      "CREATE INDEX orders_amount_idx ON orders (amount)");
  const auto report = fixture.drift_json({"--ignore", "index:public.*_hotfix"});
  const auto orders = changed_entry(report, object("table", "", "orders"));
  REQUIRE(orders.is_object());
  CHECK(orders["fields"] ==
        nlohmann::json::array({field("indexes.orders_amount_idx.columns", "[amount]", nullptr)}));

  fixture.exec("DROP INDEX orders_amount_idx");
  const CommandResult result =
      fixture.drift_agreeing_with_plan({"--ignore", "index:public.*_hotfix"});
  INFO(result.output);
  CHECK(result.exit_code == 0);
}

TEST_CASE("an ignore rule in the yaml suppresses the tables it names", "[plans][drift][db]") {
  const Fixture fixture(std::string("ignore: [public.audit_*]\n") + kSchemaYaml);
  fixture.exec("CREATE TABLE audit_log (id bigint); CREATE TABLE audit_trail (id bigint)");
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 0);
  fixture.exec("CREATE TABLE auditors (id bigint)");
  const auto report = fixture.drift_json();
  CHECK(report["unexpected"] == nlohmann::json::array({object("table", "", "auditors")}));
}

TEST_CASE("an INVALID index left by a failed concurrent build is reported", "[plans][drift][db]") {
  const Fixture fixture(std::string("ignore: [index:public.*_uq]\n") + kSchemaYaml);
  fixture.exec("INSERT INTO customers VALUES (1, 'a'), (2, 'a')");
  // Fails on the duplicate and leaves the index INVALID.
  CHECK_THROWS(
      fixture.exec("CREATE UNIQUE INDEX CONCURRENTLY customers_name_idx ON customers "
                   "(name)"));
  CHECK(fixture.drift_agreeing_with_plan().exit_code == 2);
  const auto report = fixture.drift_json();
  CHECK(report["invalid_indexes"] ==
        nlohmann::json::array({object("index", "customers", "customers_name_idx")}));
}

TEST_CASE("a sequence past the threshold is drift, below it is not", "[plans][drift][db]") {
  const Fixture fixture;
  fixture.exec("SELECT setval('counter', 1932735283)");  // 90% of an integer sequence
  const auto report = fixture.drift_json();
  REQUIRE(report["sequences"].size() == 2);  // counter, and orders.id's identity sequence
  const auto& counter = report["sequences"][0];
  CHECK(counter["object"] == object("sequence", "", "counter"));
  CHECK(counter["last_value"] == 1932735283);
  CHECK(counter["max_value"] == 2147483647);
  CHECK(counter["near_exhaustion"] == true);
  CHECK(report["sequences"][1]["object"] == object("column", "orders", "id"));
  CHECK(report["sequences"][1]["near_exhaustion"] == false);
  CHECK(fixture.drift().exit_code == 2);
  CHECK(fixture.drift({"--sequence-threshold", "0.95"}).exit_code == 0);
}

TEST_CASE("the json report carries its format version and the drift verdict",
          "[plans][drift][db]") {
  const Fixture fixture;
  const auto report = fixture.drift_json();
  CHECK(report["format_version"] == 1);
  CHECK(report["drift"] == false);
  CHECK(report["plan_steps"] == 0);
  CHECK(report["fingerprint"].get<std::string>().size() > 0);
}

TEST_CASE("a yaml file that does not load is an error, not drift", "[plans][drift][db]") {
  const Fixture fixture("schemas: [not, a, map]\n");
  CHECK(fixture.drift().exit_code == 1);
}
