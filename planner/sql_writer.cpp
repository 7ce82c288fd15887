#include "planner/sql_writer.hpp"

#include "planner/planner.hpp"

namespace pgshift::planner {

namespace {

// `summary` on one comment line: a name holding a line break must not end
// the comment and put the rest of the name on a line of its own, as SQL.
std::string comment_line(const std::string& summary) {
  std::string line = "-- ";
  for (char c : summary) {
    if (c == '\n') {
      line += "\\n";
    } else if (c == '\r') {
      line += "\\r";
    } else {
      line += c;
    }
  }
  return line + "\n";
}

}  // namespace

SqlDocument write_sql(const schemas::Database& db) {
  // A new database, as the catalog reader reads one: public with initdb's
  // comment (a default, so none), no extension but plpgsql (never read).
  schemas::Database fresh;
  fresh.schemas.push_back(schemas::Schema{"public"});
  fresh.facts.server_version_num = db.facts.server_version_num;
  // The roles grants and default privileges name exist where `db` was read,
  // and the role that read it creates the objects: the default privileges
  // FOR ROLE it apply to them.
  fresh.facts.roles = db.facts.roles;
  fresh.facts.current_role = db.facts.current_role;
  schemas::Database desired = db;
  desired.ignore.clear();
  SqlDocument document;
  for (auto& schema : desired.schemas) {
    for (auto& view : schema.materialized_views) {
      if (!view.with_data) {
        document.warnings.push_back(
            "materialized view \"" + schema.name + "." + view.name +
            "\" holds no rows (WITH NO DATA, never refreshed), which SQL cannot say: read back "
            "as a desired state it is planned as holding rows");
      }
      view.with_data = false;
    }
  }
  PlanOptions options;
  options.desired_volatile_defaults = db.facts.volatile_defaults;
  const plans::Plan plan = plan_changes(fresh, desired, options);
  for (const auto& diagnostic : plan.diagnostics) {
    if (diagnostic.severity == plans::Severity::Error) document.errors.push_back(diagnostic.message);
  }
  if (!document.errors.empty()) return document;
  for (const auto& step : plan.steps) {
    if (step.statements.empty()) continue;  // a backfill: a new table has no rows
    document.text += "\n" + comment_line(step.summary);
    for (const auto& statement : step.statements) document.text += statement + ";\n";
  }
  return document;
}

}  // namespace pgshift::planner
