// Views and materialized views: create, replace, drop and recreate around a
// change of what they use; indexes of materialized views.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::DurationClass;
using plans::Hazard;
using plans::Phase;
using plans::quote_dotted;
using plans::quote_ident;
using plans::quote_ident_list;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

// Tokens a desired view's query may use: tables, their columns and other
// views of the desired model named in the text. A heuristic that only adds
// ordering edges; a word that names nothing adds nothing.
std::vector<std::string> query_tokens(const schemas::Database& desired, const std::string& query) {
  const auto words = expression_words(query);
  std::vector<std::string> tokens;
  for (const auto& schema : desired.schemas) {
    for (const auto& table : schema.tables) {
      if (words.count(table.name) == 0) continue;
      tokens.push_back(table_token(schema.name, table.name));
      for (const auto& column : table.columns) {
        if (words.count(column.name) != 0) {
          tokens.push_back(column_token(schema.name, table.name, column.name));
        }
      }
    }
    for (const auto& view : schema.views) {
      if (words.count(view.name) != 0) tokens.push_back("view:" + schema.name + "." + view.name);
    }
    for (const auto& view : schema.materialized_views) {
      if (words.count(view.name) != 0) tokens.push_back("view:" + schema.name + "." + view.name);
    }
  }
  return tokens;
}

namespace {

// ---------------------------------------------------------------------------
// Views and materialized views.
// ---------------------------------------------------------------------------

bool is_view_dependency(const schemas::Dependency& dependency, const std::string& schema,
                        const std::string& name) {
  const auto& dependent = dependency.dependent;
  return (dependent.kind == ObjectKind::View || dependent.kind == ObjectKind::MaterializedView) &&
         dependent.schema == schema && dependent.name == name;
}

// Tokens a current view or materialized view uses, from the catalog's
// dependencies.
std::vector<std::string> dependency_tokens(const schemas::Database& current,
                                           const std::string& schema, const std::string& name) {
  std::vector<std::string> tokens;
  for (const auto& dependency : current.facts.dependencies) {
    if (!is_view_dependency(dependency, schema, name)) continue;
    for (auto& token : referenced_tokens(dependency)) tokens.push_back(std::move(token));
  }
  return tokens;
}

// Why CREATE OR REPLACE VIEW cannot turn a view with the output columns
// `before` into one with `after`, or nullopt when it can. The server keeps a
// view's columns (view.c, checkViewColumns): the new query must give the
// same columns first, with the same names and types, in order, and may add
// columns after them.
std::optional<std::string> incompatible_columns(const std::vector<schemas::ViewColumn>& before,
                                                const std::vector<schemas::ViewColumn>& after) {
  for (size_t column_idx = 0; column_idx < before.size(); ++column_idx) {
    const auto& was = before[column_idx];
    if (column_idx >= after.size()) {
      return "column \"" + was.name + "\" would be dropped";
    }
    const auto& is = after[column_idx];
    if (is.name != was.name) {
      return "column " + std::to_string(column_idx + 1) + " would change from \"" + was.name +
             "\" to \"" + is.name + "\"";
    }
    if (is.type != was.type) {
      return "column \"" + was.name + "\" would change its type from " + was.type + " to " +
             is.type;
    }
  }
  return std::nullopt;
}

// Why a current view or materialized view is dropped and recreated around
// the plan's changes; `routines`: the signature tokens ("routine:s.f(...)")
// of the routines whose drops are the only cause, directly or through views
// recreated for routines alone (their step may take the view:
// fuse_routine_dependents); empty when anything else is a cause.
struct Recreation {
  std::string reason;
  std::vector<std::string> routines;
};
// By the view's token ("view:s.v").
using Recreations = std::map<std::string, Recreation>;

// A current view or materialized view that the desired model keeps but that
// cannot be changed in place: its reason, else nullopt. Views whose output
// columns either side's catalog did not give (a model not read from a
// server) are left to CREATE OR REPLACE.
template <typename View>
std::optional<std::string> replaced_by_drop(const Builder& builder, const std::string& schema,
                                            const View& current, const View& desired,
                                            bool materialized) {
  bool changed = normalize_expression(current.definition) !=
                     normalize_expression(desired.definition) ||
                 current.options != desired.options;
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    changed = changed || current.with_data != desired.with_data;
  }
  if (!changed) return std::nullopt;
  if (materialized) return std::string("a materialized view cannot be replaced in place");
  const std::string key = schema + "." + current.name;
  const auto& before = builder.current().facts.view_columns;
  const auto& after = builder.desired().facts.view_columns;
  const auto was = before.find(key);
  const auto is = after.find(key);
  if (was == before.end() || is == after.end()) return std::nullopt;
  if (auto problem = incompatible_columns(was->second, is->second)) {
    return "its columns change (" + *problem +
           "), which CREATE OR REPLACE VIEW refuses: drop it and create it";
  }
  return std::nullopt;
}

// `view "s.v"`, `column "c" of table "s.t"`: what a dependency references.
std::string referenced_label(const schemas::Dependency& dependency) {
  const auto& referenced = dependency.referenced;
  if (referenced.kind == ObjectKind::Table && !dependency.referenced_column.empty()) {
    return describe(
        ObjectId{ObjectKind::Column, referenced.schema, referenced.name, dependency.referenced_column});
  }
  return describe(ObjectId{referenced.kind, referenced.schema, "", referenced.name});
}

// Current views and materialized views that must be dropped and recreated,
// with why: the ones that cannot be changed in place, and, transitively,
// every one that uses a table or column the plan drops or retypes or a view
// it recreates (the server refuses to drop or retype what a view uses).
Recreations views_to_recreate(Builder& builder) {
  Recreations recreate;
  const auto& current = builder.current();
  for (const auto& schema : current.schemas) {
    const schemas::Schema* wanted = schemas::find_schema(builder.desired(), schema.name);
    if (wanted == nullptr) continue;
    for (const auto& view : schema.views) {
      const auto* desired = schemas::find_named(wanted->views, view.name);
      if (desired == nullptr) continue;
      if (auto reason = replaced_by_drop(builder, schema.name, view, *desired, false)) {
        recreate["view:" + schema.name + "." + view.name] = {*reason, {}};
      }
    }
    for (const auto& view : schema.materialized_views) {
      const auto* desired = schemas::find_named(wanted->materialized_views, view.name);
      if (desired == nullptr) continue;
      if (auto reason = replaced_by_drop(builder, schema.name, view, *desired, true)) {
        recreate["view:" + schema.name + "." + view.name] = {*reason, {}};
      }
    }
  }
  const std::set<std::string>& invalid = builder.invalidated();
  for (bool changed = true; changed;) {
    changed = false;
    // What each view not yet recreated uses that goes away, sorted: the
    // same plan gives the same words whatever order the catalog listed.
    std::map<std::string, std::set<std::string>> found;
    // Its causes: routine signature tokens, "" for anything else.
    std::map<std::string, std::set<std::string>> causes;
    for (const auto& dependency : current.facts.dependencies) {
      const auto& dependent = dependency.dependent;
      if (dependent.kind != ObjectKind::View && dependent.kind != ObjectKind::MaterializedView) {
        continue;
      }
      const std::string token = "view:" + dependent.schema + "." + dependent.name;
      if (recreate.count(token) != 0) continue;
      for (const auto& used : referenced_tokens(dependency)) {
        if (const auto recreated = recreate.find(used); recreated != recreate.end()) {
          found[token].insert(referenced_label(dependency) + " (recreated)");
          const auto& routines = recreated->second.routines;
          if (routines.empty()) causes[token].insert("");
          causes[token].insert(routines.begin(), routines.end());
        } else if (invalid.count(used) != 0) {
          const auto kind = dependency.referenced.kind;
          const bool routine = kind == ObjectKind::Function || kind == ObjectKind::Procedure;
          found[token].insert(referenced_label(dependency) +
                              (routine ? " (dropped or replaced by drop and create)"
                                       : " (dropped or retyped)"));
          causes[token].insert(routine && used.rfind("routine:", 0) == 0 ? used : "");
        }
      }
    }
    for (const auto& [token, labels] : found) {
      std::string uses;
      for (const auto& used : labels) uses += (uses.empty() ? "" : ", ") + used;
      const auto& why = causes[token];
      recreate[token] = {"it uses " + uses + ": drop it first, create it again after",
                         why.count("") != 0 ? std::vector<std::string>{}
                                            : std::vector<std::string>(why.begin(), why.end())};
      changed = true;
    }
  }
  return recreate;
}

template <typename View>
void plan_view(Builder& builder, const std::string& schema, const View* current,
               const View* desired, const Recreations& recreate, bool materialized) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectKind kind = materialized ? ObjectKind::MaterializedView : ObjectKind::View;
  const ObjectId id{kind, schema, "", name};
  const std::string relation = quote_qualified(schema, name);
  const std::string token = "view:" + schema + "." + name;
  const char* keyword = materialized ? "MATERIALIZED VIEW " : "VIEW ";
  const auto recreation = current != nullptr ? recreate.find(token) : recreate.end();
  const bool must_recreate = recreation != recreate.end();
  bool changed =
      current != nullptr && desired != nullptr &&
      (normalize_expression(current->definition) != normalize_expression(desired->definition) ||
       current->options != desired->options);
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    if (current != nullptr && desired != nullptr && current->with_data != desired->with_data) {
      changed = true;
    }
  }
  const bool drop_first =
      current != nullptr && (desired == nullptr || must_recreate || (materialized && changed));
  std::optional<size_t> dropped;
  if (drop_first) {
    auto draft = Builder::make(
        desired ? Phase::Alter : Phase::Drop, id,
        std::string(desired ? "drop (to recreate) " : "drop ") + describe(id),
        desired == nullptr ? "the view is not in the desired schema"
        : must_recreate    ? recreation->second.reason
                           : "a materialized view cannot be replaced in place");
    draft.step.statements = {"DROP " + std::string(keyword) + relation};
    builder.statement(draft,
                      materialized
                          ? (desired ? Statement::DropMaterializedViewToRecreate
                                     : Statement::DropMaterializedView)
                          : (desired ? Statement::DropViewToRecreate : Statement::DropView),
                      on_relation(schema, name));
    draft.requires_.clear();  // the relation token is the recreated view's, which comes after
    draft.invalidates.push_back(token);
    draft.releases = dependency_tokens(builder.current(), schema, name);
    draft.releases.push_back("schema:" + schema);
    // A view (not a materialized view, whose query would run under the
    // routine step's locks) recreated for routines alone.
    if (must_recreate && !materialized && desired != nullptr) {
      draft.around_routines = recreation->second.routines;
    }
    dropped = builder.add(std::move(draft));
  }
  if (desired == nullptr) return;
  const bool create = current == nullptr || drop_first;
  bool commented = false;  // in the creating step
  if (create || changed) {
    // The server's pg_get_viewdef ends the query with ";": nothing may follow
    // it in the statement (WITH NO DATA), so trailing ";" and blanks go.
    std::string query = desired->definition;
    while (!query.empty() &&
           (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())) != 0)) {
      query.pop_back();
    }
    std::string statement;
    if (materialized) {
      statement =
          "CREATE MATERIALIZED VIEW " + relation + options_sql(desired->options) + " AS " + query;
      if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
        if (!desired->with_data) statement += " WITH NO DATA";
      }
    } else {
      statement = std::string(create ? "CREATE VIEW " : "CREATE OR REPLACE VIEW ") + relation +
                  options_sql(desired->options) + " AS " + query;
    }
    std::string rationale =
        !create ? "CREATE OR REPLACE VIEW swaps the query; its columns stay as they were, new "
                  "ones after them"
        : materialized ? "its query runs and its rows are stored"
                       : "views hold no rows: creating one is catalog-only";
    std::optional<int64_t> rows;
    if (materialized && must_recreate) {
      rows = builder.row_estimate(schema, current->name);
      const auto stats = builder.current().facts.table_stats.find(schema + "." + current->name);
      rationale = "recreated: its rows are computed again by its query";
      if (rows) rationale += " (about " + std::to_string(*rows) + " rows";
      if (rows && stats != builder.current().facts.table_stats.end()) {
        rationale += ", " + std::to_string(stats->second.total_bytes) + " bytes now";
      }
      if (rows) rationale += ")";
    }
    auto draft = Builder::make(Phase::Finalize, id, (create ? "create " : "replace ") + describe(id),
                               rationale);
    draft.step.estimated_rows = rows;
    draft.step.statements = {statement};
    builder.statement(draft,
                      materialized ? Statement::CreateMaterializedView
                      : create     ? Statement::CreateView
                                   : Statement::ReplaceView,
                      on_relation(schema, name));
    // What the desired view uses, by the scratch database's catalog (the
    // words of its query for a model not read from a server).
    draft.requires_ = recorded_tokens(builder, builder.desired(), id)
                          .value_or(query_tokens(builder.desired(), desired->definition));
    if (current != nullptr) {
      for (const auto& used : dependency_tokens(builder.current(), schema, name)) {
        draft.requires_.push_back(used);
      }
    }
    draft.requires_.push_back("schema:" + schema);
    draft.provides.push_back(token);
    draft.provides.push_back(table_token(schema, name));  // a relation: its indexes need it
    draft.sequence = 1;
    if (dropped) {
      draft.after.push_back(*dropped);
      draft.around_routines = builder.at(*dropped).around_routines;
      draft.recreates = !draft.around_routines.empty();
      // Recreated in a routine's step: its comment comes back in it too.
      if (draft.recreates && desired->comment) {
        draft.step.statements.push_back(comment_sql("VIEW", relation, desired->comment));
        builder.statement(draft, Statement::CommentOnRelation, on_relation(schema, name));
        commented = true;
      }
    }
    builder.add(std::move(draft));
  }
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    // Its columns' storage settings: a created one's columns have none.
    const std::vector<schemas::ColumnSettings> none;
    const auto& had = create ? none : current->columns;
    std::set<std::string> names;
    for (const auto& column : had) names.insert(column.name);
    for (const auto& column : desired->columns) names.insert(column.name);
    for (const auto& column_name : names) {
      const schemas::ColumnSettings bare{column_name, std::nullopt, std::nullopt, std::nullopt};
      const auto* was = schemas::find_named(had, column_name);
      const auto* wanted = schemas::find_named(desired->columns, column_name);
      SettingsPlace place;
      place.id = ObjectId{ObjectKind::Column, schema, name, column_name};
      place.label = "column \"" + schemas::printable(column_name) + "\" of " + describe(id);
      place.alter = "ALTER MATERIALIZED VIEW " + relation + " ";
      place.targets = on_relation(schema, name);
      place.default_storage_key = schema + "." + name + "." + column_name;
      place.column_token = token;
      auto draft = column_settings_draft(builder, place, was ? *was : bare, wanted ? *wanted : bare);
      if (draft) builder.add(std::move(*draft));
    }
    const bool keeps_indexes = current != nullptr && !drop_first;
    plan_relation_indexes(builder, schema, name, keeps_indexes ? &current->indexes : nullptr,
                          desired->indexes, keeps_indexes, false);
  }
  if (commented) return;
  const auto before = current != nullptr && !drop_first ? current->comment : std::nullopt;
  const Targets on_view = on_relation(schema, name);
  maybe_comment(builder, id, materialized ? "MATERIALIZED VIEW" : "VIEW", relation, before,
                desired->comment, token, &on_view);
}

}  // namespace

void plan_views(Builder& builder) {
  const Recreations recreate = views_to_recreate(builder);
  for_each_match<schemas::View>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.views; },
      [&](const std::string& schema, const schemas::View* current, const schemas::View* desired) {
        plan_view(builder, schema, current, desired, recreate, false);
      });
  for_each_match<schemas::MaterializedView>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.materialized_views; },
      [&](const std::string& schema, const schemas::MaterializedView* current,
          const schemas::MaterializedView* desired) {
        plan_view(builder, schema, current, desired, recreate, true);
      });
}

}  // namespace pgshift::planner::detail
