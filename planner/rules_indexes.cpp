// Rule 8: indexes of tables and materialized views, built and dropped
// CONCURRENTLY on populated relations, rebuilt under a temporary name.
#include <algorithm>
#include <map>
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

namespace {

bool same_index(const schemas::Index& a, const schemas::Index& b) {
  if (a.unique != b.unique || a.nulls_not_distinct != b.nulls_not_distinct ||
      a.method != b.method || a.include != b.include || a.options != b.options ||
      a.keys.size() != b.keys.size()) {
    return false;
  }
  auto norm = [](const std::optional<std::string>& expr) {
    return expr ? std::optional<std::string>(normalize_expression(*expr)) : std::nullopt;
  };
  if (norm(a.where) != norm(b.where)) return false;
  for (size_t key_idx = 0; key_idx < a.keys.size(); ++key_idx) {
    const auto& ka = a.keys[key_idx];
    const auto& kb = b.keys[key_idx];
    if (ka.column != kb.column || norm(ka.expression) != norm(kb.expression) ||
        ka.opclass != kb.opclass || ka.collation != kb.collation || ka.order != kb.order ||
        ka.nulls != kb.nulls) {
      return false;
    }
  }
  return true;
}

// The columns of a unique index a foreign key can reference: one without a
// WHERE and without expressions (tablecmds.c transformFkeyCheckAttrs).
std::optional<std::vector<std::string>> referenceable_columns(const schemas::Index& index) {
  if (!index.unique || index.where) return std::nullopt;
  std::vector<std::string> columns;
  for (const auto& key : index.keys) {
    if (!key.column) return std::nullopt;
    columns.push_back(*key.column);
  }
  return columns;
}

}  // namespace

void plan_relation_indexes(Builder& builder, const std::string& schema, const std::string& relation,
                           const std::vector<schemas::Index>* current,
                           const std::vector<schemas::Index>& desired, bool populated,
                           bool partitioned) {
  const std::string quoted_relation = quote_qualified(schema, relation);
  const bool concurrently = populated && !partitioned;
  const std::optional<int64_t> rows = builder.row_estimate(schema, relation);
  auto on = [&](const std::string& name) {
    return "index \"" + name + "\" on " + label("table", schema, relation);
  };
  auto build = [&](const schemas::Index& index, const std::string& name, std::string summary,
                   std::string rationale) {
    auto draft = Builder::make(Phase::Constrain, {ObjectKind::Index, schema, relation, index.name},
                               std::move(summary), std::move(rationale));
    draft.step.statements = {index_sql(quoted_relation, index, name, concurrently)};
    builder.statement(draft,
                      concurrently ? Statement::CreateIndexConcurrently : Statement::CreateIndex,
                      on_relation(schema, relation, populated));
    if (populated) draft.step.estimated_rows = rows;
    if (populated && index.unique) {
      std::vector<std::string> keys;
      for (const auto& key : index.keys) {
        keys.push_back(key.column ? quote_ident(*key.column) : "(" + key.expression.value_or("") + ")");
      }
      draft.step.data_checks.push_back(unique_check({schema, relation, relation, {}, {}}, keys,
                                                    index.where, index.nulls_not_distinct,
                                                    on(index.name)));
    }
    for (const auto& key : index.keys) {
      if (key.column) draft.requires_.push_back(column_token(schema, relation, *key.column));
    }
    draft.requires_.push_back("name:" + schema + "." + name);
    draft.provides.push_back("index:" + schema + "." + index.name);
    // A foreign key to these columns comes after the index it needs.
    if (const auto columns = referenceable_columns(index)) {
      draft.provides.push_back(key_token(schema, relation, *columns));
    }
    return draft;
  };
  // `replaced`: the index is built again (under the same name) by the plan.
  auto drop = [&](const std::string& name, bool replaced, std::string summary,
                  std::string rationale) {
    auto draft = Builder::make(Phase::Drop, {ObjectKind::Index, schema, relation, name},
                               std::move(summary), std::move(rationale));
    // A concurrent drop runs outside a transaction, so an applier killed after
    // it and before its journal entry runs it again: IF EXISTS makes that safe.
    draft.step.statements = {
        std::string(concurrently ? "DROP INDEX CONCURRENTLY IF EXISTS " : "DROP INDEX ") +
        quote_qualified(schema, name)};
    Targets targets = on_relation(schema, relation, populated);
    targets.index = name;
    builder.statement(draft,
                      concurrently
                          ? (replaced ? Statement::DropIndexConcurrentlyToReplace
                                      : Statement::DropIndexConcurrently)
                          : (replaced ? Statement::DropIndexToReplace : Statement::DropIndex),
                      targets);
    draft.provides.push_back("name:" + schema + "." + name);
    return draft;
  };
  const char* build_rationale =
      concurrently ? "rule 8: CREATE INDEX CONCURRENTLY lets reads and writes go on"
      : populated  ? "a partitioned table cannot build CONCURRENTLY: writes wait for the build"
                   : "rule 11: the table is new or empty: a plain build is instant";
  if (populated && partitioned) {
    for (const auto& index : desired) {
      const auto* before = current ? schemas::find_named(*current, index.name) : nullptr;
      if (before == nullptr || !same_index(*before, index)) {
        builder.diagnose(plans::Severity::Warning,
                         {ObjectKind::Index, schema, relation, index.name},
                         on(index.name) +
                             " is built without CONCURRENTLY (partitioned table): "
                             "writes wait for the build");
      }
    }
  }
  for (const auto& [before, wanted] : match_by_name(current, desired)) {
    if (wanted == nullptr) {
      auto draft = drop(before->name, false, "drop " + on(before->name),
                        concurrently ? "rule 8: DROP INDEX CONCURRENTLY lets reads and writes go on"
                                     : "the index is not in the desired schema");
      for (const auto& key : before->keys) {
        if (key.column) draft.releases.push_back(column_token(schema, relation, *key.column));
      }
      // Foreign keys that use the index are dropped first.
      if (const auto columns = referenceable_columns(*before)) {
        draft.invalidates.push_back(key_token(schema, relation, *columns));
      }
      builder.add(std::move(draft));
      continue;
    }
    const schemas::Index& index = *wanted;
    const ObjectId id{ObjectKind::Index, schema, relation, index.name};
    Chain chain(builder);
    if (before == nullptr) {
      chain.add(build(index, index.name, "create " + on(index.name), build_rationale));
    } else if (!before->valid) {
      auto dropped = drop(index.name, true, "drop the invalid " + on(index.name),
                          "rule 8: a failed CONCURRENTLY build left it INVALID; rebuild it");
      dropped.step.phase = Phase::Constrain;
      chain.add(std::move(dropped));
      chain.add(build(index, index.name, "rebuild " + on(index.name), build_rationale));
    } else if (!same_index(*before, index)) {
      const std::string temporary = truncate_name(index.name + "_pgshift_new");
      chain.add(build(index, temporary, "build the new definition of " + on(index.name),
                      std::string(build_rationale) + "; built under a temporary name"));
      auto dropped = drop(index.name, true, "drop the old definition of " + on(index.name),
                          "rule 8: the new definition is already built");
      dropped.step.phase = Phase::Constrain;
      dropped.provides.clear();
      chain.add(std::move(dropped));
      auto rename = Builder::make(Phase::Constrain, id, "rename the new " + on(index.name),
                                  "rule 8: the rebuilt index takes the old name");
      rename.step.statements = {"ALTER INDEX " + quote_qualified(schema, temporary) +
                                " RENAME TO " + quote_ident(index.name)};
      Targets targets = on_relation(schema, relation, populated);
      targets.index = temporary;
      builder.statement(rename, Statement::RenameIndex, targets);
      chain.add(std::move(rename));
    }
    if ((before ? before->comment : std::nullopt) != index.comment) {
      auto comment = Builder::make(Phase::Finalize, id, "comment on " + on(index.name),
                                   "comments are catalog-only");
      comment.step.statements = {
          comment_sql("INDEX", quote_qualified(schema, index.name), index.comment)};
      Targets targets = on_relation(schema, relation, populated);
      targets.index = index.name;
      builder.statement(comment, Statement::CommentOnIndex, targets);
      comment.requires_.push_back("index:" + schema + "." + index.name);
      chain.add(std::move(comment));
    }
  }
}

}  // namespace pgshift::planner::detail
