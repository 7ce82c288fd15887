#include "plans/drift.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "planner/planner.hpp"
#include "tests/planner/fixtures.hpp"

using namespace pgshift;
using namespace pgshift::testing;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

const ObjectId kOrders{ObjectKind::Table, "public", "", "orders"};

plans::DriftReport report_for(const schemas::Database& current, const schemas::Database& desired,
                              double threshold = 0.8) {
  const plans::Plan plan = planner::plan_changes(current, desired, planner::PlanOptions{});
  plans::DriftOptions options;
  options.sequence_threshold = threshold;
  return plans::build_drift_report(current, desired, plan, options);
}

schemas::Database orders_db() {
  return database({table("orders", {column("status", "text", false, "'new'::text")})});
}

schemas::Sequence counter(const std::string& type) {
  schemas::Sequence sequence;
  sequence.name = "counter";
  sequence.type = type;
  return sequence;
}

}  // namespace

TEST_CASE("a database equal to the yaml has no drift", "[plans][drift]") {
  const auto report = report_for(orders_db(), orders_db());
  CHECK_FALSE(plans::has_drift(report));
  CHECK(report.missing.empty());
  CHECK(report.unexpected.empty());
  CHECK(report.changed.empty());
  CHECK(report.plan_step_count == 0);
}

TEST_CASE("a table only in the yaml is missing and one only in the database unexpected",
          "[plans][drift]") {
  const auto current = database({table("orders"), table("legacy")});
  const auto desired = database({table("orders"), table("customers")});
  const auto report = report_for(current, desired);
  CHECK(plans::has_drift(report));
  CHECK(report.missing == std::vector<ObjectId>{{ObjectKind::Table, "public", "", "customers"}});
  CHECK(report.unexpected == std::vector<ObjectId>{{ObjectKind::Table, "public", "", "legacy"}});
  CHECK(report.changed.empty());
  CHECK(report.plan_step_count == report_for(current, desired).plan_step_count);
}

TEST_CASE("a changed default is one field with the database value before and the yaml after",
          "[plans][drift]") {
  auto current = orders_db();
  table_of(current, "orders").columns[1].default_expr = "'pending'::text";
  const auto report = report_for(current, orders_db());
  REQUIRE(report.changed.size() == 1);
  CHECK(report.changed[0].object == kOrders);
  REQUIRE(report.changed[0].fields.size() == 1);
  CHECK(report.changed[0].fields[0].field == "columns.status.default");
  CHECK(report.changed[0].fields[0].before == std::optional<std::string>("'pending'::text"));
  CHECK(report.changed[0].fields[0].after == std::optional<std::string>("'new'::text"));
  CHECK(
      report.changed[0].plan_steps ==
      std::vector<std::string>{"set the default of column \"status\" of table \"public.orders\""});
}

TEST_CASE("a column written in short form on one side differs only in the fields that differ",
          "[plans][drift]") {
  auto current = orders_db();
  table_of(current, "orders").columns[1].default_expr.reset();  // written as `status: text`
  const auto report = report_for(current, orders_db());
  REQUIRE(report.changed.size() == 1);
  REQUIRE(report.changed[0].fields.size() == 1);
  CHECK(report.changed[0].fields[0].field == "columns.status.default");
  CHECK_FALSE(report.changed[0].fields[0].before.has_value());
  CHECK(report.changed[0].fields[0].after == std::optional<std::string>("'new'::text"));
}

TEST_CASE("an index added out of band shows as fields present only in the database",
          "[plans][drift]") {
  auto current = orders_db();
  schemas::Index hotfix;
  hotfix.name = "orders_status_hotfix";
  hotfix.keys.push_back(schemas::IndexKey{std::string("status")});
  table_of(current, "orders").indexes.push_back(hotfix);
  const auto report = report_for(current, orders_db());
  REQUIRE(report.changed.size() == 1);
  CHECK(report.changed[0].object == kOrders);
  REQUIRE(report.changed[0].fields.size() == 1);
  CHECK(report.changed[0].fields[0].field == "indexes.orders_status_hotfix.columns");
  CHECK(report.changed[0].fields[0].before == std::optional<std::string>("[status]"));
  CHECK_FALSE(report.changed[0].fields[0].after.has_value());
}

TEST_CASE("an INVALID index is operational drift and lists the plan's rebuild as the reason",
          "[plans][drift]") {
  schemas::Index index;
  index.name = "orders_status_idx";
  index.keys.push_back(schemas::IndexKey{std::string("status")});
  auto desired = orders_db();
  table_of(desired, "orders").indexes.push_back(index);
  auto current = desired;
  table_of(current, "orders").indexes[0].valid = false;
  const auto report = report_for(current, desired);
  CHECK(plans::has_drift(report));
  CHECK(report.invalid_indexes ==
        std::vector<ObjectId>{{ObjectKind::Index, "public", "orders", "orders_status_idx"}});
  REQUIRE(report.changed.size() == 1);
  CHECK(report.changed[0].object == kOrders);
  REQUIRE(report.changed[0].fields.size() == 1);
  CHECK(report.changed[0].fields[0].field == "indexes.orders_status_idx.valid");
  CHECK(report.changed[0].fields[0].before == std::optional<std::string>("false"));
  CHECK_FALSE(report.changed[0].fields[0].after.has_value());
  CHECK_FALSE(report.changed[0].plan_steps.empty());
}

TEST_CASE(
    "a NOT VALID check and foreign key the yaml wants valid are listed as operational "
    "findings",
    "[plans][drift]") {
  auto desired = database({table("customers"), table("orders", {column("customer_id", "bigint")})});
  auto& wanted = table_of(desired, "orders");
  wanted.check_constraints.push_back({"orders_id_check", "id > 0", false, true, std::nullopt});
  wanted.foreign_keys.push_back(foreign_key("orders_customer_id_fkey", "customer_id", "customers"));
  auto current = desired;
  auto& orders = table_of(current, "orders");
  orders.check_constraints[0].validated = false;
  orders.foreign_keys[0].validated = false;
  const auto report = report_for(current, desired);
  CHECK(plans::has_drift(report));
  CHECK(report.not_valid_constraints ==
        std::vector<ObjectId>{
            {ObjectKind::CheckConstraint, "public", "orders", "orders_id_check"},
            {ObjectKind::ForeignKey, "public", "orders", "orders_customer_id_fkey"}});
}

TEST_CASE("a NOT VALID check and foreign key the yaml accepts NOT VALID are not drift",
          "[plans][drift]") {
  auto current = database({table("customers"), table("orders", {column("customer_id", "bigint")})});
  auto& orders = table_of(current, "orders");
  orders.check_constraints.push_back({"orders_id_check", "id > 0", false, false, std::nullopt});
  schemas::ForeignKey key = foreign_key("orders_customer_id_fkey", "customer_id", "customers");
  key.validated = false;
  orders.foreign_keys.push_back(key);
  const auto report = report_for(current, current);
  CHECK_FALSE(plans::has_drift(report));
  CHECK(report.not_valid_constraints.empty());
  CHECK(report.changed.empty());
  // Valid in the database, accepted NOT VALID by the yaml: not drift either.
  auto valid = current;
  table_of(valid, "orders").check_constraints[0].validated = true;
  table_of(valid, "orders").foreign_keys[0].validated = true;
  CHECK_FALSE(plans::has_drift(report_for(valid, current)));
}

TEST_CASE("planning hints in the yaml are not drift", "[plans][drift]") {
  auto desired = orders_db();
  auto& orders = table_of(desired, "orders");
  orders.backfill_batch_size = 500;
  orders.columns[1].backfill = "'new'";
  const auto report = report_for(orders_db(), desired);
  CHECK_FALSE(plans::has_drift(report));
}

TEST_CASE("a sequence past the threshold is flagged with the fraction of its range used",
          "[plans][drift]") {
  auto db = orders_db();
  public_schema(db).sequences.push_back(counter("integer"));
  db.facts.sequence_usage["public.counter"] = {1932735283, true};  // 90% of 1..2147483647
  const auto report = report_for(db, db);
  REQUIRE(report.sequences.size() == 1);
  const auto& use = report.sequences[0];
  CHECK(use.object == ObjectId{ObjectKind::Sequence, "public", "", "counter"});
  CHECK(use.min_value == 1);
  CHECK(use.max_value == 2147483647);
  CHECK(use.fraction_used == Approx(0.9).epsilon(1e-6));
  CHECK(use.near_exhaustion);
  CHECK(plans::has_drift(report));
  CHECK_FALSE(plans::has_drift(report_for(db, db, 0.95)));
}

TEST_CASE("a sequence never called has used nothing of its range", "[plans][drift]") {
  auto db = orders_db();
  public_schema(db).sequences.push_back(counter("smallint"));
  db.facts.sequence_usage["public.counter"] = {1, false};
  const auto report = report_for(db, db, 0);
  REQUIRE(report.sequences.size() == 1);
  CHECK(report.sequences[0].max_value == 32767);
  CHECK(report.sequences[0].fraction_used == 0);
}

TEST_CASE("a descending sequence counts its use from the top of its range", "[plans][drift]") {
  auto db = orders_db();
  auto sequence = counter("smallint");
  sequence.options.increment = -1;
  public_schema(db).sequences.push_back(sequence);
  db.facts.sequence_usage["public.counter"] = {-29491, true};  // 29491 of 32768 values used
  const auto report = report_for(db, db);
  REQUIRE(report.sequences.size() == 1);
  CHECK(report.sequences[0].min_value == -32768);
  CHECK(report.sequences[0].max_value == -1);
  CHECK(report.sequences[0].fraction_used == Approx(29491.0 / 32768).epsilon(1e-9));
  CHECK(report.sequences[0].near_exhaustion);
}

TEST_CASE("a cycling sequence is never near exhaustion", "[plans][drift]") {
  auto db = orders_db();
  auto sequence = counter("smallint");
  sequence.options.cycle = true;
  public_schema(db).sequences.push_back(sequence);
  db.facts.sequence_usage["public.counter"] = {32767, true};
  const auto report = report_for(db, db);
  REQUIRE(report.sequences.size() == 1);
  CHECK(report.sequences[0].fraction_used == 1);
  CHECK_FALSE(report.sequences[0].near_exhaustion);
}

TEST_CASE("an identity column's sequence is found by its default name and uses the column type",
          "[plans][drift]") {
  auto db = database({table("events")});
  auto& id = table_of(db, "events").columns[0];
  id.type = "integer";
  id.identity = schemas::IdentityKind::Always;
  db.facts.sequence_usage["public.events_id_seq"] = {2000000000, true};
  const auto report = report_for(db, db);
  REQUIRE(report.sequences.size() == 1);
  CHECK(report.sequences[0].object == ObjectId{ObjectKind::Column, "public", "events", "id"});
  CHECK(report.sequences[0].type == "integer");
  CHECK(report.sequences[0].near_exhaustion);
}

TEST_CASE("the json report has a version and a fixed key order", "[plans][drift]") {
  auto current = orders_db();
  table_of(current, "orders").columns[1].default_expr.reset();
  const auto json =
      nlohmann::ordered_json::parse(plans::render_drift_json(report_for(current, orders_db())));
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"format_version", "drift", "server_version_num",
                                         "fingerprint", "plan_steps", "missing", "unexpected",
                                         "changed", "invalid_indexes", "not_valid_constraints",
                                         "sequence_threshold", "sequences", "diagnostics"});
  CHECK(json["format_version"] == 1);
  CHECK(json["drift"] == true);
  const auto& field = json["changed"][0]["fields"][0];
  CHECK(json["changed"][0]["object"] ==
        nlohmann::ordered_json{
            {"kind", "table"}, {"schema", "public"}, {"table", ""}, {"name", "orders"}});
  CHECK(field["field"] == "columns.status.default");
  CHECK(field["before"].is_null());
  CHECK(field["after"] == "'new'::text");
}

TEST_CASE("the text report shows each field before and after, then the verdict's plan size",
          "[plans][drift]") {
  auto current = orders_db();
  table_of(current, "orders").columns[1].default_expr = "'pending'::text";
  CHECK(plans::render_drift_text(report_for(current, orders_db())) ==
        "pgshift drift: the database differs from the schema\n"
        "\n"
        "Changed (database -> YAML):\n"
        "  table \"public.orders\"\n"
        "    columns.status.default\n"
        "      database: 'pending'::text\n"
        "      yaml: 'new'::text\n"
        "    plan: set the default of column \"status\" of table \"public.orders\"\n"
        "\n"
        "pgshift plan would run 1 step\n");
}

TEST_CASE("the markdown report of a database in sync says so", "[plans][drift]") {
  CHECK(plans::render_drift_markdown(report_for(orders_db(), orders_db())) ==
        "## pgshift drift\n\n**No drift**: the database matches the schema.\n");
}

TEST_CASE("the markdown report puts field values in escaped code cells", "[plans][drift]") {
  auto current = orders_db();
  table_of(current, "orders").columns[1].default_expr = "'a|b'::text";
  const std::string markdown = plans::render_drift_markdown(report_for(current, orders_db()));
  CHECK_THAT(markdown, Catch::Contains("| `columns.status.default` | <code>'a&#124;b'::text</code> "
                                       "| <code>'new'::text</code> |\n"));
  CHECK_THAT(markdown, Catch::Contains("**Drift found**: 0 missing, 0 unexpected, 1 changed"));
}

TEST_CASE("a field that is the whole object is labelled as its value", "[plans][drift]") {
  auto current = orders_db();
  schemas::Enum mood{"mood", {"sad", "happy", "angry"}, std::nullopt};
  public_schema(current).enums.push_back(mood);
  auto desired = orders_db();
  mood.labels.pop_back();
  public_schema(desired).enums.push_back(mood);
  const auto report = report_for(current, desired);
  CHECK_THAT(plans::render_drift_text(report),
             Catch::Contains("  enum \"public.mood\"\n"
                             "    (value)\n"
                             "      database: [sad, happy, angry]\n"
                             "      yaml: [sad, happy]\n"));
  CHECK_THAT(plans::render_drift_markdown(report),
             Catch::Contains("| `(value)` | <code>[sad, happy, angry]</code> | "
                             "<code>[sad, happy]</code> |\n"));
}

TEST_CASE("hostile names stay text in the Markdown drift report", "[plans]") {
  plans::DriftReport report;
  report.missing.push_back(
      {schemas::ObjectKind::Table, "public", "", "x\n# forged heading <img src=y> [a](http://z)"});
  plans::ChangedObject changed;
  changed.object = {schemas::ObjectKind::View, "public", "", "v\u202E"};
  changed.fields.push_back({"definition", std::string("SELECT 1\n| x"), std::string("a\x1b[2J")});
  report.changed.push_back(changed);
  const std::string markdown = plans::render_drift_markdown(report);
  CHECK(markdown.find("\n# forged") == std::string::npos);
  CHECK(markdown.find(" <img") == std::string::npos);
  CHECK(markdown.find("[a](http") == std::string::npos);
  CHECK(markdown.find("\u202E") == std::string::npos);
  CHECK(markdown.find("\x1b") == std::string::npos);
  CHECK_THAT(markdown, Catch::Contains("- table \"public.x\\\\n# forged heading \\<img src=y\\> "
                                       "\\[a\\](http://z)\""));
}
