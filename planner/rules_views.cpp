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

// Tokens a current view or materialized view uses, from the catalog's
// dependencies.
std::vector<std::string> dependency_tokens(const schemas::Database& current,
                                           const std::string& schema, const std::string& name) {
  std::vector<std::string> tokens;
  for (const auto& dependency : current.facts.dependencies) {
    const auto& dependent = dependency.dependent;
    if ((dependent.kind != ObjectKind::View && dependent.kind != ObjectKind::MaterializedView) ||
        dependent.schema != schema || dependent.name != name) {
      continue;
    }
    const auto& referenced = dependency.referenced;
    switch (referenced.kind) {
      case ObjectKind::Table:
        tokens.push_back(table_token(referenced.schema, referenced.name));
        if (!dependency.referenced_column.empty()) {
          tokens.push_back(
              column_token(referenced.schema, referenced.name, dependency.referenced_column));
        }
        break;
      case ObjectKind::View:
      case ObjectKind::MaterializedView:
        tokens.push_back("view:" + referenced.schema + "." + referenced.name);
        break;
      case ObjectKind::Schema:
      case ObjectKind::Extension:
      case ObjectKind::Column:
      case ObjectKind::PrimaryKey:
      case ObjectKind::UniqueConstraint:
      case ObjectKind::CheckConstraint:
      case ObjectKind::ForeignKey:
      case ObjectKind::Index:
      case ObjectKind::Sequence:
      case ObjectKind::Enum:
      case ObjectKind::Domain:
      case ObjectKind::CompositeType:
      case ObjectKind::Function:
      case ObjectKind::Procedure:
      case ObjectKind::Trigger:
        break;
    }
  }
  return tokens;
}

// Current views and materialized views that must be dropped and recreated
// because something they use is dropped or retyped, transitively.
std::set<std::string> views_to_recreate(Builder& builder) {
  std::set<std::string> invalid = builder.invalidated();
  std::set<std::string> recreate;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& schema : builder.current().schemas) {
      auto visit = [&](const std::string& name) {
        const std::string token = "view:" + schema.name + "." + name;
        if (recreate.count(token) != 0) return;
        for (const auto& used : dependency_tokens(builder.current(), schema.name, name)) {
          if (invalid.count(used) != 0) {
            recreate.insert(token);
            invalid.insert(token);
            changed = true;
            return;
          }
        }
      };
      for (const auto& view : schema.views) visit(view.name);
      for (const auto& view : schema.materialized_views) visit(view.name);
    }
  }
  return recreate;
}

template <typename View>
void plan_view(Builder& builder, const std::string& schema, const View* current,
               const View* desired, const std::set<std::string>& recreate, bool materialized) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectKind kind = materialized ? ObjectKind::MaterializedView : ObjectKind::View;
  const ObjectId id{kind, schema, "", name};
  const std::string relation = quote_qualified(schema, name);
  const std::string token = "view:" + schema + "." + name;
  const char* keyword = materialized ? "MATERIALIZED VIEW " : "VIEW ";
  const bool must_recreate = current != nullptr && recreate.count(token) != 0;
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
        : must_recreate    ? "a column or table it uses is dropped or retyped: drop it first, "
                             "recreate it after"
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
    dropped = builder.add(std::move(draft));
  }
  if (desired == nullptr) return;
  const bool create = current == nullptr || drop_first;
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
    auto draft =
        Builder::make(Phase::Finalize, id, (create ? "create " : "replace ") + describe(id),
                      create ? "views hold no rows: creating one is catalog-only"
                             : "CREATE OR REPLACE VIEW swaps the query atomically (the "
                               "server refuses it if the columns change incompatibly)");
    draft.step.statements = {statement};
    builder.statement(draft,
                      materialized ? Statement::CreateMaterializedView
                      : create     ? Statement::CreateView
                                   : Statement::ReplaceView,
                      on_relation(schema, name));
    draft.requires_ = query_tokens(builder.desired(), desired->definition);
    if (current != nullptr) {
      for (const auto& used : dependency_tokens(builder.current(), schema, name)) {
        draft.requires_.push_back(used);
      }
    }
    draft.requires_.push_back("schema:" + schema);
    draft.provides.push_back(token);
    draft.provides.push_back(table_token(schema, name));  // a relation: its indexes need it
    draft.sequence = 1;
    if (dropped) draft.after.push_back(*dropped);
    builder.add(std::move(draft));
  }
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    const bool keeps_indexes = current != nullptr && !drop_first;
    plan_relation_indexes(builder, schema, name, keeps_indexes ? &current->indexes : nullptr,
                          desired->indexes, keeps_indexes, false);
  }
  const auto before = current != nullptr && !drop_first ? current->comment : std::nullopt;
  const Targets on_view = on_relation(schema, name);
  maybe_comment(builder, id, materialized ? "MATERIALIZED VIEW" : "VIEW", relation, before,
                desired->comment, token, &on_view);
}

}  // namespace

void plan_views(Builder& builder) {
  const std::set<std::string> recreate = views_to_recreate(builder);
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
