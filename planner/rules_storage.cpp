// Exclusion constraints, UNLOGGED / LOGGED and storage parameters of a
// table. An exclusion constraint has no CONCURRENTLY form: on a table with
// rows it is built under ACCESS EXCLUSIVE (access_exclusive_scan); a changed
// one is dropped and added in one step, so no session sees the table
// without it. SET LOGGED / UNLOGGED rewrite the table (table_rewrite).
// Storage parameters are catalog changes under the lock reloptions.c gives
// the parameters named.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/data_checks.hpp"
#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

bool same_exclusion(const schemas::ExclusionConstraint& a, const schemas::ExclusionConstraint& b) {
  if (a.method != b.method || a.include != b.include || a.deferrable != b.deferrable ||
      a.initially_deferred != b.initially_deferred ||
      a.elements.size() != b.elements.size() || a.where.has_value() != b.where.has_value()) {
    return false;
  }
  for (std::size_t element_idx = 0; element_idx < a.elements.size(); ++element_idx) {
    if (normalize_expression(a.elements[element_idx]) !=
        normalize_expression(b.elements[element_idx])) {
      return false;
    }
  }
  return !a.where || normalize_expression(*a.where) == normalize_expression(*b.where);
}

// Every word of its elements and predicate, to find the columns it uses.
std::string exclusion_words(const schemas::ExclusionConstraint& exclusion) {
  std::string text;
  for (const auto& element : exclusion.elements) text += element + " ";
  for (const auto& column : exclusion.include) text += column + " ";
  if (exclusion.where) text += *exclusion.where;
  return text;
}

// The parameters a SET or RESET names include one that takes ACCESS
// EXCLUSIVE (reloptions.c: user_catalog_table).
bool names_exclusive_parameter(const std::set<std::string>& names) {
  return names.count("user_catalog_table") != 0;
}

}  // namespace

void plan_exclusion_constraints(TableContext& table) {
  Builder& builder = table.builder;
  for (const auto& [current, desired] :
       match_by_name(table.current ? &table.current->exclusion_constraints : nullptr,
                     table.desired.exclusion_constraints)) {
    if (desired == nullptr) {
      auto draft = Builder::make(Phase::Drop, table.id(ObjectKind::ExclusionConstraint, current->name),
                                 "drop " + table.of("exclusion constraint", current->name),
                                 "rule 10: the constraint is not in the desired schema");
      draft.step.statements = {table.alter() + "DROP CONSTRAINT " + quote_ident(current->name)};
      builder.statement(draft, Statement::DropConstraint, table.on());
      // Before a drop of a column it uses: DROP COLUMN drops the constraint too.
      const auto words = expression_words(exclusion_words(*current));
      for (const auto& column : table.current->columns) {
        if (words.count(column.name) != 0) {
          draft.releases.push_back(column_token(table.schema, table.current->name, column.name));
        }
      }
      builder.add(std::move(draft));
      continue;
    }
    const ObjectId id = table.id(ObjectKind::ExclusionConstraint, desired->name);
    const bool replaced = current != nullptr && !same_exclusion(*current, *desired);
    const std::string token =
        "exclusion:" + table.schema + "." + table.desired.name + "." + desired->name;
    if (current == nullptr || replaced) {
      auto draft = Builder::make(
          Phase::Constrain, id,
          (replaced ? "replace " : "add ") + table.of("exclusion constraint", desired->name),
          table.populated
              ? "an exclusion constraint is built and every row checked under ACCESS EXCLUSIVE: "
                "it has no CONCURRENTLY or NOT VALID form"
              : "rule 11: the table is new or empty: the build is instant");
      if (replaced) {
        // In the same step: no session sees the table without the constraint.
        draft.step.statements.push_back(table.alter() + "DROP CONSTRAINT " +
                                        quote_ident(current->name));
        builder.statement(draft, Statement::DropConstraintToReplace, table.on());
      }
      draft.step.statements.push_back(table.alter() + "ADD " + exclusion_definition(*desired));
      builder.statement(draft, Statement::AddExclusionConstraint, table.on());
      draft.step.estimated_rows = table.rows;
      if (table.current != nullptr) {
        std::set<std::string> range_columns;
        for (const auto& column : table.desired.columns) {
          const std::string type = normalize_type(column.type);
          for (const char* range : {"int4range", "int8range", "numrange", "tsrange", "tstzrange",
                                    "daterange"}) {
            if (type == range || type == std::string("pg_catalog.") + range) {
              range_columns.insert(column.name);
            }
          }
        }
        if (auto check = exclusion_check(checked_table(table), *desired, range_columns)) {
          draft.step.data_checks.push_back(std::move(*check));
        }
      }
      require_all(draft, columns_in(table, exclusion_words(*desired)));
      draft.requires_.push_back("name:" + table.schema + "." + desired->name);
      draft.provides.push_back(token);
      builder.add(std::move(draft));
    } else if (current->name != desired->name) {
      rename_constraint(table, ObjectKind::ExclusionConstraint, current->name, desired->name);
    }
    const std::optional<std::string> before =
        current != nullptr && !replaced ? current->comment : std::nullopt;
    if (before != desired->comment) {
      auto draft = Builder::make(Phase::Finalize, id,
                                 "comment on " + table.of("exclusion constraint", desired->name),
                                 "comments are catalog-only");
      draft.step.statements = {comment_sql(
          "CONSTRAINT", quote_ident(desired->name) + " ON " + table.relation, desired->comment)};
      builder.statement(draft, Statement::CommentOnTableMember, table.on());
      if (current == nullptr || replaced) draft.requires_.push_back(token);
      builder.add(std::move(draft));
    }
  }
}

void plan_table_storage(TableContext& table, const schemas::Table& before) {
  Builder& builder = table.builder;
  const auto& desired = table.desired;
  if (before.unlogged != desired.unlogged) {
    auto draft = Builder::make(
        Phase::Alter, table.table_id(),
        "make " + label("table", table.schema, desired.name) +
            (desired.unlogged ? " UNLOGGED" : " LOGGED"),
        desired.unlogged
            ? "SET UNLOGGED rewrites the table under ACCESS EXCLUSIVE; afterwards its rows are "
              "not written to the WAL: not replicated, and emptied by crash recovery"
            : "SET LOGGED rewrites the table under ACCESS EXCLUSIVE, writing every row to the "
              "WAL");
    draft.step.statements = {table.alter() + (desired.unlogged ? "SET UNLOGGED" : "SET LOGGED")};
    builder.statement(draft, desired.unlogged ? Statement::SetUnlogged : Statement::SetLogged,
                      table.on());
    draft.step.estimated_rows = table.rows;
    builder.add(std::move(draft));
  }
  std::vector<std::string> set;
  std::vector<std::string> reset;
  std::set<std::string> named;
  for (const auto& [option, value] : desired.options) {
    const auto found = before.options.find(option);
    if (found == before.options.end() || found->second != value) {
      set.push_back(table_option_sql(option, value));
      named.insert(option);
    }
  }
  for (const auto& [option, value] : before.options) {
    if (desired.options.count(option) == 0) {
      reset.push_back(table_option_sql(option, std::nullopt));
      named.insert(option);
    }
  }
  if (named.empty()) return;
  auto draft = Builder::make(Phase::Finalize, table.table_id(),
                             "set the storage parameters of " +
                                 label("table", table.schema, desired.name),
                             "storage parameters are catalog changes; they apply to pages "
                             "written and vacuums started afterwards");
  const Statement kind = names_exclusive_parameter(named) ? Statement::SetStorageParametersExclusive
                                                          : Statement::SetStorageParameters;
  const auto join = [](const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
    return text;
  };
  if (!set.empty()) {
    draft.step.statements.push_back(table.alter() + "SET (" + join(set) + ")");
    builder.statement(draft, kind, table.on());
  }
  if (!reset.empty()) {
    draft.step.statements.push_back(table.alter() + "RESET (" + join(reset) + ")");
    builder.statement(draft, kind, table.on());
  }
  builder.add(std::move(draft));
}

}  // namespace pgshift::planner::detail
