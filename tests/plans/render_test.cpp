// Golden tests of the three renderings, and the JSON round trip.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "planner/planner.hpp"
#include "plans/estimates.hpp"
#include "plans/render_json.hpp"
#include "plans/render_markdown.hpp"
#include "plans/render_sql.hpp"
#include "schemas/error.hpp"

using namespace pgshift;

namespace {

// A small plan touching the main shapes: a volatile default (add, default,
// backfill, NOT NULL), a concurrent index, a foreign key, a drop, and names
// that need quoting ("User", "select").
plans::Plan small_plan() {
  schemas::Database current;
  schemas::Schema schema;
  schema.name = "public";
  schemas::Table users;
  users.name = "User";
  users.columns = {{"id", "bigint", true}, {"select", "text"}, {"legacy", "text"}};
  users.primary_key = schemas::PrimaryKey{"User_pkey", {"id"}};
  schemas::Table orders;
  orders.name = "orders";
  orders.columns = {{"id", "bigint", true}, {"user_id", "bigint"}};
  orders.primary_key = schemas::PrimaryKey{"orders_pkey", {"id"}};
  schema.tables = {users, orders};
  current.schemas = {schema};
  schemas::canonicalize(current);
  current.facts.server_version_num = 150004;
  current.facts.fingerprint = "sha256:0123abcd";
  current.facts.table_stats["public.User"] = {250000, 3000, 0};
  current.facts.table_stats["public.orders"] = {1000000, 9000, 0};

  schemas::Database desired = current;
  desired.facts = {};
  auto& desired_users = *schemas::find_named(desired.schemas[0].tables, "User");
  desired_users.columns.pop_back();  // drop "legacy"
  schemas::Column token{"token", "uuid", true, "gen_random_uuid()"};
  desired_users.columns.push_back(token);
  schemas::Index index;
  index.name = "User_select_idx";
  index.keys = {schemas::IndexKey{std::string("select")}};
  desired_users.indexes.push_back(index);
  auto& desired_orders = *schemas::find_named(desired.schemas[0].tables, "orders");
  schemas::ForeignKey fk;
  fk.name = "orders_user_id_fkey";
  fk.columns = {"user_id"};
  fk.ref_schema = "public";
  fk.ref_table = "User";
  fk.ref_columns = {"id"};
  desired_orders.foreign_keys.push_back(fk);

  planner::PlanOptions options;
  options.desired_volatile_defaults = {"public.User.token"};
  plans::Plan plan = planner::plan_changes(current, desired, options);
  plan.target_fingerprint = "4f2c9a1e0b7d3a55";
  plan.ignore = {"public.audit_*"};
  // Pre-flight findings as the CLI records them: one clean check of a
  // sample, one violated.
  for (auto& step : plan.steps) {
    for (auto& check : step.data_checks) {
      plans::DataFinding finding;
      // Times measured are left out of the plan hash; zero here, so that the
      // hash is the sha256sum of the golden JSON file.
      finding.elapsed_ms = 0;
      if (check.kind == plans::DataCheckKind::ForeignKey) {
        finding.violations = 2;
        finding.examples = {"id=17", "id=4242"};
      } else {
        finding.sample_percent = 2;
      }
      check.finding = finding;
    }
  }
  plan.preflight = plans::Preflight{false, 0, 5000000};
  return plan;
}

std::string golden_path(const std::string& name) {
  return std::string(PGSHIFT_GOLDEN_DIR) + "/" + name;
}

// Compares `actual` with the golden file byte for byte. With
// PGSHIFT_UPDATE_GOLDEN set, rewrites the file instead (updated on purpose).
void check_golden(const std::string& name, const std::string& actual) {
  if (std::getenv("PGSHIFT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(golden_path(name), std::ios::binary) << actual;
  }
  std::ifstream file(golden_path(name), std::ios::binary);
  REQUIRE(file.good());
  std::stringstream expected;
  expected << file.rdbuf();
  CHECK(actual == expected.str());
}

}  // namespace

TEST_CASE("the SQL rendering matches its golden file", "[plans][render]") {
  check_golden("small_plan.sql", plans::render_sql(small_plan()));
}

TEST_CASE("the JSON rendering matches its golden file", "[plans][render]") {
  check_golden("small_plan.json", plans::render_json(small_plan()));
}

TEST_CASE("the Markdown rendering matches its golden file", "[plans][render]") {
  check_golden("small_plan.md", plans::render_markdown(small_plan()));
}

TEST_CASE("the plan hash is the SHA-256 of the canonical JSON", "[plans][render]") {
  // sha256sum tests/plans/golden/small_plan.json
  CHECK(plans::plan_content_hash(small_plan()) ==
        "sha256:abe527d98c193268cc63120cd83c83fe8905bf45e8b68cc2b790282cf39fcaa3");
}

TEST_CASE("the plan hash ignores the file's layout and follows every statement",
          "[plans][render]") {
  const auto plan = small_plan();
  const std::string hash = plans::plan_content_hash(plan);
  std::string compact = plans::render_json(plan);
  compact.erase(std::remove(compact.begin(), compact.end(), '\n'), compact.end());
  CHECK(plans::plan_content_hash(plans::plan_from_json(compact)) == hash);

  auto edited = plan;
  edited.steps[0].statements.push_back("DROP TABLE public.orders");
  CHECK(plans::plan_content_hash(edited) != hash);
  auto retargeted = plan;
  retargeted.target_fingerprint = "0000000000000000";
  CHECK(plans::plan_content_hash(retargeted) != hash);
}

TEST_CASE("a plan file without target_fingerprint and ignore reads with them empty",
          "[plans][render]") {
  auto plan = small_plan();
  std::string text = plans::render_json(plan);
  for (const std::string field : {"  \"target_fingerprint\": \"4f2c9a1e0b7d3a55\",\n",
                                  "  \"ignore\": [\n    \"public.audit_*\"\n  ],\n"}) {
    const auto at = text.find(field);
    REQUIRE(at != std::string::npos);
    text.erase(at, field.size());
  }
  plan.target_fingerprint.clear();
  plan.ignore.clear();
  CHECK(plans::plan_from_json(text) == plan);
}

TEST_CASE("a plan read back from its JSON is the same plan", "[plans][render]") {
  const auto plan = small_plan();
  REQUIRE(plan.steps.size() > 5);
  CHECK(plans::plan_from_json(plans::render_json(plan)) == plan);
}

TEST_CASE("every object kind survives the JSON round trip", "[plans][render]") {
  plans::Plan plan;
  for (int value = 0; value <= static_cast<int>(schemas::kLastObjectKind); ++value) {
    plans::Diagnostic diagnostic;
    diagnostic.object.kind = static_cast<schemas::ObjectKind>(value);
    diagnostic.message = "kind " + std::to_string(value);
    plan.diagnostics.push_back(diagnostic);
  }
  CHECK(plans::plan_from_json(plans::render_json(plan)) == plan);
}

TEST_CASE("bad plan JSON is reported, never half-read", "[plans][render]") {
  CHECK_THROWS_AS(plans::plan_from_json("not json"), Error);
  CHECK_THROWS_WITH(plans::plan_from_json("not json"),
                    Catch::Matchers::StartsWith("invalid plan JSON: "));
  CHECK_THROWS_WITH(plans::plan_from_json(R"({"format_version": 2})"),
                    "unsupported plan format_version 2 (this pgshift reads 1)");
  std::string text = plans::render_json(small_plan());
  const auto at = text.find("\"data_loss\"");
  REQUIRE(at != std::string::npos);
  text.replace(at, 11, "\"data_lost\"");
  CHECK_THROWS_WITH(plans::plan_from_json(text), "invalid plan JSON: unknown hazard \"data_lost\"");
}

TEST_CASE("an empty plan renders as nothing to do", "[plans][render]") {
  plans::Plan plan;
  plan.server_version_num = 160002;
  plan.fingerprint = "f";
  CHECK(plans::render_markdown(plan) ==
        "## pgshift plan\n\n**0 steps** for PostgreSQL 16.2 (catalog fingerprint `f`)\n\n"
        "plan hash: `" +
            plans::plan_content_hash(plan) +
            "` (apply exactly this plan with `--expect-hash`)\n\n"
            "- Relations locked: none\n- Hazards: none\n\nNothing to do: the database matches the "
            "schema.\n");
}

TEST_CASE("the plan hash leaves out the times measured and follows the findings",
          "[plans][render]") {
  const plans::Plan plan = small_plan();
  plans::Plan timed = plan;
  timed.preflight->elapsed_ms = 1234;
  for (auto& step : timed.steps) {
    for (auto& check : step.data_checks) check.finding->elapsed_ms = 99;
  }
  plans::estimate_steps(timed, {{"public.User", 300000000}, {"public.orders", 900000000}},
                        {150000000, "calibration: test"}, 50);
  REQUIRE(timed.throughput.has_value());
  CHECK(timed != plan);
  CHECK(plans::plan_content_hash(timed) == plans::plan_content_hash(plan));
  // The times are still in every rendering and in the JSON read back.
  CHECK(plans::plan_from_json(plans::render_json(timed)) == timed);
  plans::Plan found = plan;
  for (auto& step : found.steps) {
    for (auto& check : step.data_checks) check.finding->violations += 1;
  }
  CHECK(plans::plan_content_hash(found) != plans::plan_content_hash(plan));
}

TEST_CASE("scanning steps get estimates from table size and throughput, catalog-only ones none",
          "[plans][render]") {
  plans::Plan plan = small_plan();
  // 300 MB of "User" and 900 MB of orders at 150 MB/s.
  plans::estimate_steps(plan, {{"public.User", 300000000}, {"public.orders", 900000000}},
                        {150000000, "calibration: read 100000 rows of public.orders"}, 50);
  for (const auto& step : plan.steps) {
    INFO("step " << step.id << ": " << step.summary);
    if (step.duration == plans::DurationClass::CatalogOnly) {
      CHECK_FALSE(step.estimated_ms.has_value());
    }
  }
  // Step 3: backfill of 250,000 rows of "User": 8 x 2 s, plus 26 pauses of 50 ms.
  CHECK(plan.steps[2].backfill.has_value());
  CHECK(plan.steps[2].estimated_ms == 16000 + 26 * 50);
  // Step 6: a concurrent index build on "User": 3 x 2 s.
  CHECK(plan.steps[5].estimated_ms == 6000);
  // Step 10: VALIDATE of the foreign key on orders: 1 x 6 s.
  CHECK(plan.steps[9].estimated_ms == 6000);
  const std::string summary = plans::describe_estimates(plan);
  CHECK(summary.rfind("about ", 0) == 0);
  CHECK(summary.find(", of which 0 ms blocking traffic (read throughput 143 MB/s, "
                     "calibration: read 100000 rows of public.orders)") != std::string::npos);
  CHECK(plans::render_markdown(plan).find("- Estimated: about ") != std::string::npos);
  CHECK(plans::render_sql(plan).find("; estimated time: about 17 s") != std::string::npos);
  CHECK(plans::render_json(plan).find("\"estimated_ms\": 17300") != std::string::npos);
}

TEST_CASE("the throughput learnt from earlier applies is their reading over the time they took, "
          "batch pauses left out",
          "[plans]") {
  using pgshift::plans::EarlierScan;
  using pgshift::plans::throughput_from_history;
  CHECK_FALSE(throughput_from_history({}, 50).has_value());
  // A VALIDATE estimated 1 s at 100 MB/s that took 2 s: 50 MB/s.
  const auto validate = throughput_from_history({{"a", 1000, 2000, 100000000, 0, 0}}, 50);
  REQUIRE(validate.has_value());
  CHECK(validate->bytes_per_second == 50000000);
  CHECK(validate->source == "journal: 1 scanning step of 1 earlier apply, estimated 1 s, "
                            "took 2 s");
  // A backfill of 100,000 rows in batches of 10,000: 11 pauses of 50 ms
  // assumed in the estimate and left out of both sides; with the VALIDATE,
  // (550 + 1000) ms of reading at 100 MB/s over (1100 + 2000) ms.
  const auto both = throughput_from_history(
      {{"a", 1000, 2000, 100000000, 0, 0}, {"b", 1100, 1650, 100000000, 100000, 10000}}, 50);
  REQUIRE(both.has_value());
  CHECK(both->bytes_per_second == 50000000);
  CHECK(both->source.rfind("journal: 2 scanning steps of 2 earlier applies, ", 0) == 0);
  // A step that took no longer than its pauses says nothing of reading.
  CHECK_FALSE(throughput_from_history({{"c", 600, 500, 100000000, 100000, 10000}}, 50));
}
