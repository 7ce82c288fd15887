#include "cli/planning.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>

#include "catalog/connection.hpp"
#include "catalog/fingerprint.hpp"
#include "catalog/null_counts.hpp"
#include "catalog/reader.hpp"
#include "cli/dev_database.hpp"
#include "schemas/error.hpp"
#include "schemas/ignore.hpp"
#include "schemas/yaml_loader.hpp"

namespace pgshift::cli {

void add_planning_flags(CLI::App& command, PlanningInputs& inputs, bool schema_required) {
  command.add_option("--db", inputs.db,
                     "Target database: a libpq URI or key=value string (default: PG* "
                     "environment variables and ~/.pgpass)");
  auto* schema = command.add_option("--schema", inputs.schema_path,
                                    "Desired schema: a YAML file or a directory of them");
  if (schema_required) schema->required();
  command.add_option("--dev-db", inputs.dev_db,
                     "Server where pgshift may create a scratch database to put the desired "
                     "schema in the server's spelling (default: the target's server)");
  command.add_option("--ignore", inputs.ignore,
                     "Ignore objects matching PATTERN, e.g. public.audit_* or "
                     "index:public.*_hotfix (repeatable)");
  command.add_option("--allow-hazard", inputs.allow_hazards,
                     "Allow steps with this hazard (repeatable; 'all' allows every hazard)");
  command.add_option("--lock-timeout", inputs.lock_timeout,
                     "How long a step may wait for its lock before it fails and is retried")
      ->capture_default_str();
  command.add_option("--statement-timeout", inputs.statement_timeout,
                     "Statement timeout of catalog-only steps (validations, index builds and "
                     "backfill batches get their own, longer ones)")
      ->capture_default_str();
}

std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag) {
  size_t number_end = 0;
  double value = 0;
  try {
    value = std::stod(text, &number_end);
  } catch (const std::exception&) {
    number_end = 0;
  }
  const std::string unit = text.substr(number_end);
  double factor = -1;
  if (unit.empty() || unit == "ms") factor = 1;
  if (unit == "s") factor = 1000;
  if (unit == "min") factor = 60 * 1000;
  if (unit == "h") factor = 3600 * 1000;
  if (number_end == 0 || factor < 0 || value < 0 || !std::isfinite(value)) {
    throw pgshift::Error("invalid duration \"" + text + "\" for " + flag +
                         "; expected a number with a unit: ms, s, min or h (e.g. 200ms)");
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(value * factor)));
}

std::vector<std::string> refused_hazards(const plans::Plan& plan,
                                         const std::vector<std::string>& allowed) {
  bool allow_all = false;
  for (const auto& name : allowed) {
    if (name == "all") {
      allow_all = true;
      continue;
    }
    const bool known = std::any_of(plans::kAllHazards.begin(), plans::kAllHazards.end(),
                                   [&](plans::Hazard h) { return name == plans::hazard_name(h); });
    if (!known) {
      std::string names;
      for (auto hazard : plans::kAllHazards) names += std::string(" ") + plans::hazard_name(hazard);
      throw pgshift::Error("unknown hazard \"" + name + "\" for --allow-hazard; expected all or" +
                           names);
    }
  }
  std::vector<std::string> refused;
  if (allow_all) return refused;
  for (const auto& step : plan.steps) {
    for (auto hazard : step.hazards) {
      // The concurrent builds that keep traffic flowing cannot run in a
      // transaction; flagging them is information, not something to refuse.
      if (hazard == plans::Hazard::NonTransactional) continue;
      const std::string name = plans::hazard_name(hazard);
      if (std::find(allowed.begin(), allowed.end(), name) != allowed.end()) continue;
      refused.push_back("step " + std::to_string(step.id) + " (" + step.summary +
                        ") has hazard " + name + "; allow it with --allow-hazard " + name);
    }
  }
  return refused;
}

namespace {

planner::PlanOptions plan_options(const PlanningInputs& inputs) {
  planner::PlanOptions options;
  options.lock_timeout = parse_duration(inputs.lock_timeout, "--lock-timeout");
  options.statement_timeout = parse_duration(inputs.statement_timeout, "--statement-timeout");
  return options;
}

// The target's schemas that `desired` names (pgshift manages those and leaves
// the others alone), without the objects its ignore patterns name.
schemas::Database read_current(const PlanningInputs& inputs, const schemas::Database& desired) {
  auto conn = catalog::connect(inputs.db);
  catalog::ReadOptions read_options;
  for (const auto& schema : desired.schemas) read_options.include_schemas.push_back(schema.name);
  schemas::Database current = catalog::read_catalog(*conn, read_options);
  schemas::remove_ignored(current, desired.ignore);
  return current;
}

// The catalog a plan from `current` to `desired` produces: `desired`, except
// the identity options of a column that already has an identity, which the
// planner leaves as they are (with a warning).
schemas::Database expected_catalog(const schemas::Database& current,
                                   schemas::Database desired) {
  for (auto& schema : desired.schemas) {
    for (auto& table : schema.tables) {
      const schemas::Table* before = schemas::find_table(current, schema.name, table.name);
      if (before == nullptr) continue;
      for (auto& column : table.columns) {
        const schemas::Column* was = schemas::find_named(before->columns, column.name);
        if (was != nullptr && was->identity != schemas::IdentityKind::None &&
            column.identity != schemas::IdentityKind::None) {
          column.identity_options = was->identity_options;
        }
      }
    }
  }
  return desired;
}

bool not_null_in(const schemas::Table& table, const schemas::Column& column) {
  return column.not_null ||
         (table.primary_key && std::find(table.primary_key->columns.begin(),
                                         table.primary_key->columns.end(),
                                         column.name) != table.primary_key->columns.end());
}

// A column of an existing table that the desired state makes NOT NULL (or a
// primary key column) without a backfill: the plan's VALIDATE would fail on
// its NULL rows. They are counted (read-only) and refused by name and count
// before anything runs: the YAML must say what they become (`backfill:`).
void refuse_nulls_without_backfill(const PlanningInputs& inputs, PreparedPlan& prepared) {
  std::unique_ptr<pqxx::connection> conn;
  for (const auto& schema : prepared.desired.schemas) {
    for (const auto& table : schema.tables) {
      const schemas::Table* before = schemas::find_table(
          prepared.current, schema.name, table.renamed_from.value_or(table.name));
      if (before == nullptr) continue;
      for (const auto& column : table.columns) {
        if (column.backfill || !not_null_in(table, column)) continue;
        const schemas::Column* was =
            schemas::find_named(before->columns, column.renamed_from.value_or(column.name));
        if (was == nullptr || not_null_in(*before, *was)) continue;
        if (!conn) conn = catalog::connect(inputs.db);
        const int64_t nulls = catalog::count_nulls(*conn, schema.name, before->name, was->name);
        if (nulls == 0) continue;
        prepared.plan.diagnostics.push_back(
            {plans::Severity::Error,
             {schemas::ObjectKind::Column, schema.name, table.name, column.name},
             "column \"" + column.name + "\" of table \"" + schema.name + "." + table.name +
                 "\" has " + std::to_string(nulls) + " row" + (nulls == 1 ? "" : "s") +
                 " holding NULL and cannot be made NOT NULL without a backfill; give it "
                 "backfill: <expression> in the YAML (its default, for one) to fill them"});
      }
    }
  }
}

void plan_into(const PlanningInputs& inputs, PreparedPlan& prepared) {
  planner::PlanOptions options = plan_options(inputs);
  options.desired_volatile_defaults = prepared.desired.facts.volatile_defaults;
  prepared.plan = planner::plan_changes(prepared.current, prepared.desired, options);
  refuse_nulls_without_backfill(inputs, prepared);
  prepared.plan.ignore = prepared.desired.ignore;
  prepared.plan.target_fingerprint =
      catalog::schema_fingerprint(expected_catalog(prepared.current, prepared.desired));
}

}  // namespace

bool report_refusals(const plans::Plan& plan, const std::vector<std::string>& allowed,
                     const std::string& command) {
  const std::string prefix = "pgshift " + command + ": ";
  for (const auto& diagnostic : plan.diagnostics) {
    std::cerr << prefix << plans::severity_name(diagnostic.severity) << ": " << diagnostic.message
              << "\n";
  }
  const std::vector<std::string> refused = refused_hazards(plan, allowed);
  for (const auto& message : refused) std::cerr << prefix << "refused: " << message << "\n";
  return !refused.empty() || plans::has_errors(plan);
}

void write_output(const std::string& text, const std::string& path, const std::string& what) {
  if (path.empty()) {
    std::cout << text;
    return;
  }
  std::ofstream out(path);
  out << text;
  if (!out) throw pgshift::Error("could not write " + what + " to \"" + path + "\"");
}

schemas::Database prepare_desired(const PlanningInputs& inputs) {
  // Everything about the input is checked before any connection is made.
  plan_options(inputs);
  schemas::Database desired = schemas::load_yaml_file(inputs.schema_path);
  desired.ignore.insert(desired.ignore.end(), inputs.ignore.begin(), inputs.ignore.end());
  const auto pattern_errors = schemas::check_ignore_patterns(desired.ignore);
  if (!pattern_errors.empty()) {
    throw pgshift::Error("invalid ignore pattern \"" + pattern_errors[0].pattern +
                         "\": " + pattern_errors[0].message);
  }
  const std::string dev_server = inputs.dev_db.empty() ? inputs.db : inputs.dev_db;
  schemas::Database canonical = canonicalize_on_server(desired, dev_server);
  schemas::remove_ignored(canonical, canonical.ignore);
  return canonical;
}

PreparedPlan prepare_plan(const PlanningInputs& inputs) {
  return replan(inputs, prepare_desired(inputs));
}

PreparedPlan replan(const PlanningInputs& inputs, const schemas::Database& desired) {
  PreparedPlan prepared;
  prepared.desired = desired;
  prepared.current = read_current(inputs, desired);
  plan_into(inputs, prepared);
  return prepared;
}

}  // namespace pgshift::cli
