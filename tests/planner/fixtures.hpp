// Small model builders for planner tests: a test states its two models in a
// few lines and asserts on step summaries, SQL and step properties.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "planner/planner.hpp"
#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::testing {

inline schemas::Column column(const std::string& name, const std::string& type,
                              bool not_null = false,
                              std::optional<std::string> default_expr = std::nullopt) {
  schemas::Column result;
  result.name = name;
  result.type = type;
  result.not_null = not_null;
  result.default_expr = std::move(default_expr);
  return result;
}

// public.<name> (id bigint primary key, plus the given columns).
inline schemas::Table table(const std::string& name, std::vector<schemas::Column> columns = {}) {
  schemas::Table result;
  result.name = name;
  result.columns.push_back(column("id", "bigint", true));
  for (auto& extra : columns) result.columns.push_back(std::move(extra));
  result.primary_key = schemas::PrimaryKey{name + "_pkey", {"id"}, {}, false, false, std::nullopt};
  return result;
}

// A one-column foreign key to public.<ref_table>(<ref_column>).
inline schemas::ForeignKey foreign_key(const std::string& name, const std::string& column,
                                       const std::string& ref_table,
                                       const std::string& ref_column = "id") {
  schemas::ForeignKey fk;
  fk.name = name;
  fk.columns = {column};
  fk.ref_schema = "public";
  fk.ref_table = ref_table;
  fk.ref_columns = {ref_column};
  return fk;
}

inline schemas::Database database(std::vector<schemas::Table> tables) {
  schemas::Database db;
  schemas::Schema schema;
  schema.name = "public";
  schema.tables = std::move(tables);
  db.schemas.push_back(std::move(schema));
  schemas::canonicalize(db);
  return db;
}

inline schemas::Schema& public_schema(schemas::Database& db) {
  return db.schemas.front();
}

inline schemas::Table& table_of(schemas::Database& db, const std::string& name) {
  return *schemas::find_named(public_schema(db).tables, name);
}

// Catalog statistics: a filled table by default, or an empty one.
inline void set_rows(schemas::Database& db, const std::string& table, double rows) {
  db.facts.table_stats["public." + table] =
      schemas::TableStats{rows, rows > 0 ? static_cast<int64_t>(rows / 100) + 1 : 0, 0};
}

inline plans::Plan plan(const schemas::Database& current, const schemas::Database& desired,
                        int version = 150000) {
  planner::PlanOptions options;
  options.server_version_num = version;
  return planner::plan_changes(current, desired, options);
}

inline std::vector<std::string> summaries(const plans::Plan& plan) {
  std::vector<std::string> result;
  for (const auto& step : plan.steps) result.push_back(step.summary);
  return result;
}

inline std::vector<std::string> statements(const plans::Plan& plan) {
  std::vector<std::string> result;
  for (const auto& step : plan.steps) {
    for (const auto& statement : step.statements) result.push_back(statement);
  }
  return result;
}

inline bool has_hazard(const plans::Step& step, plans::Hazard hazard) {
  return std::find(step.hazards.begin(), step.hazards.end(), hazard) != step.hazards.end();
}

// Position of the first step whose summary equals `summary`, or -1.
inline int position_of(const plans::Plan& plan, const std::string& summary) {
  for (size_t step_idx = 0; step_idx < plan.steps.size(); ++step_idx) {
    if (plan.steps[step_idx].summary == summary) return static_cast<int>(step_idx);
  }
  return -1;
}

}  // namespace pgshift::testing
