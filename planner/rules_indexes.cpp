// Rule 8: indexes of tables and materialized views, built and dropped
// CONCURRENTLY on populated relations, rebuilt under a temporary name.
#include <algorithm>
#include <functional>
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

// `expression` without the casts of a column of `retyped` to its new type,
// "(name)::text" or "name::text" -> "name": what the server's rebuild of an
// index by ALTER COLUMN ... TYPE makes of them (a cast to a value's own type
// is a no-op the parser leaves out). Text in quotes is left alone; a cast
// followed by more of a type name ("text[]", "character varying(2)" after
// "character varying") is not one to the new type.
std::string without_casts_to_new_types(const std::string& expression,
                                       const std::map<std::string, std::string>& retyped) {
  std::string text = expression;
  for (const auto& [column, type] : retyped) {
    const std::string name = quote_ident(column);
    for (const std::string& form : {"(" + name + ")::", name + "::"}) {
      std::size_t at = 0;
      while ((at = text.find(form, at)) != std::string::npos) {
        const std::size_t cast_end = at + form.size();
        const bool starts_word = at == 0 || !(identifier_char(text[at - 1]) ||
                                              text[at - 1] == '"' || text[at - 1] == '.');
        // The cast's type runs to the next character that cannot continue
        // it; "character varying(20)" and "timestamp with time zone" hold
        // spaces and parentheses, so the new type's own text is matched.
        const bool to_new_type =
            text.compare(cast_end, type.size(), type) == 0 &&
            (cast_end + type.size() == text.size() ||
             !(identifier_char(text[cast_end + type.size()]) ||
               text[cast_end + type.size()] == '[' || text[cast_end + type.size()] == '(' ||
               text[cast_end + type.size()] == '.'));
        const bool in_quotes =
            std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\'') % 2 != 0;
        if (starts_word && to_new_type && !in_quotes) {
          text.replace(at, form.size() + type.size(), name);
          at += name.size();
        } else {
          at += form.size();
        }
      }
    }
  }
  return text;
}

// Whether index `a` (the target's, its columns of `retyped` about to change
// type) and `b` (the desired one) are the same once the server rebuilt `a`.
bool same_index(const schemas::Index& a, const schemas::Index& b,
                const std::map<std::string, std::string>& retyped = {}) {
  if (a.unique != b.unique || a.nulls_not_distinct != b.nulls_not_distinct ||
      a.method != b.method || a.include != b.include || a.options != b.options ||
      a.keys.size() != b.keys.size()) {
    return false;
  }
  auto norm = [](const std::optional<std::string>& expr) {
    return expr ? std::optional<std::string>(normalize_expression(*expr)) : std::nullopt;
  };
  auto rebuilt = [&](const std::optional<std::string>& expr) {
    return expr ? std::optional<std::string>(
                      normalize_expression(without_casts_to_new_types(*expr, retyped)))
                : std::nullopt;
  };
  if (rebuilt(a.where) != norm(b.where)) return false;
  for (size_t key_idx = 0; key_idx < a.keys.size(); ++key_idx) {
    const auto& ka = a.keys[key_idx];
    const auto& kb = b.keys[key_idx];
    if (ka.column != kb.column || rebuilt(ka.expression) != norm(kb.expression) ||
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
                           bool partitioned, const std::map<std::string, std::string>& retyped) {
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
        keys.push_back(key.column ? quote_ident(*key.column)
                                  : "(" + key.expression.value_or("") + ")");
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
  // `replaced`: the index is built again (under the same name) by the plan;
  // `again`: in a later step, after a routine it calls (dependent_recreated).
  auto drop = [&](const std::string& name, bool replaced, std::string summary,
                  std::string rationale, bool again = false) {
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
                      again          ? (concurrently ? Statement::DropIndexConcurrentlyToCreateAgain
                                                     : Statement::DropIndexToCreateAgain)
                      : concurrently ? (replaced ? Statement::DropIndexConcurrentlyToReplace
                                                 : Statement::DropIndexConcurrently)
                      : (replaced ? Statement::DropIndexToReplace : Statement::DropIndex),
                      targets);
    draft.provides.push_back("name:" + schema + "." + name);
    return draft;
  };
  // A populated partitioned table: the index is created ON ONLY the parent
  // (catalog only, invalid until every partition has one attached), each
  // partition's index is built CONCURRENTLY (or created ON ONLY and filled
  // the same way when the partition is partitioned itself), then attached.
  // Writes wait only for the instant ON ONLY and ATTACH steps.
  std::set<std::string> chosen_names;  // "schema.name" of partitions' indexes
  std::function<void(Chain&, const schemas::Index&, const std::string&, const std::string&,
                     const std::string&, const std::optional<std::string>&, int)>
      build_on_partitions = [&](Chain& chain, const schemas::Index& index,
                                const std::string& table_schema, const std::string& table,
                                const std::string& name,
                                const std::optional<std::string>& attach_to, int depth) {
        const std::string quoted_table = quote_qualified(table_schema, table);
        const ObjectId id{ObjectKind::Index, schema, relation, index.name};
        const auto* current_table = schemas::find_table(builder.current(), table_schema, table);
        const bool table_partitioned = current_table != nullptr && current_table->partition_by;
        const bool table_populated = builder.populated(table_schema, table);
        const std::string where =
            "index \"" + name + "\" on " + label("table", table_schema, table);
        if (table_partitioned) {
          auto only = Builder::make(Phase::Constrain, id, "create " + where + " alone (ON ONLY)",
                                    "a partitioned table cannot build CONCURRENTLY: its index is "
                                    "created ON ONLY it (catalog only), each partition's is built "
                                    "CONCURRENTLY and attached");
          std::string text = index_sql(quoted_table, index, name, false);
          text.replace(text.find(" ON ") + 4, 0, "ONLY ");
          only.step.statements = {text};
          builder.statement(only, Statement::CreateIndexOnOnly,
                            on_relation(table_schema, table, table_populated));
          only.requires_.push_back("name:" + table_schema + "." + name);
          if (depth == 0) {
            only.provides.push_back("index:" + schema + "." + index.name);
            // A partition the plan drops goes first: the index would stay
            // invalid waiting for its partition's index otherwise.
            for (const auto& current_schema : builder.current().schemas) {
              for (const auto& candidate : current_schema.tables) {
                if (candidate.partition_of && candidate.partition_of->parent_schema == schema &&
                    candidate.partition_of->parent_table == relation &&
                    schemas::find_table(builder.desired(), current_schema.name, candidate.name) ==
                        nullptr) {
                  only.requires_.push_back("name:" + current_schema.name + "." + candidate.name);
                }
              }
            }
          }
          for (const auto& key : index.keys) {
            if (key.column && depth == 0) {
              only.requires_.push_back(column_token(schema, relation, *key.column));
            }
          }
          const auto partitions = kept_partitions(builder, table_schema, table);
          if (depth == 0 && partitions.empty()) {
            if (const auto columns = referenceable_columns(index)) {
              only.provides.push_back(key_token(schema, relation, *columns));
            }
          }
          chain.add(std::move(only));
          for (const auto& [partition_schema, partition] : partitions) {
            const std::string child = partition_member_name(
                builder, partition_schema, partition->name, index.name, chosen_names);
            build_on_partitions(chain, index, partition_schema, partition->name, child, name,
                                depth + 1);
          }
        } else {
          auto draft = Builder::make(
              Phase::Constrain, id, "build " + where + " for the partitioned index",
              table_populated ? "rule 8: CREATE INDEX CONCURRENTLY lets reads and writes go on"
                              : "rule 11: the partition is empty: a plain build is instant");
          draft.step.statements = {index_sql(quoted_table, index, name, table_populated)};
          builder.statement(
              draft, table_populated ? Statement::CreateIndexConcurrently : Statement::CreateIndex,
              on_relation(table_schema, table, table_populated));
          if (table_populated)
            draft.step.estimated_rows = builder.row_estimate(table_schema, table);
          chain.add(std::move(draft));
        }
        if (!attach_to) return;
        const auto* partition = schemas::find_table(builder.current(), table_schema, table);
        const auto& parent = *partition->partition_of;
        auto attach = Builder::make(
            Phase::Constrain, id, "attach " + where + " to \"" + *attach_to + "\"",
            "ALTER INDEX ... ATTACH PARTITION is catalog only; the partitioned index is valid "
            "once every partition's index is attached");
        attach.step.statements = {"ALTER INDEX " +
                                  quote_qualified(parent.parent_schema, *attach_to) +
                                  " ATTACH PARTITION " + quote_qualified(table_schema, name)};
        Targets targets = on_relation(table_schema, table, table_populated);
        targets.index = name;
        targets.parent = QualifiedName{parent.parent_schema, parent.parent_table};
        targets.parent_index = *attach_to;
        builder.statement(attach, Statement::AttachPartitionIndex, targets);
        if (depth == 1) {
          // The last attach makes the index valid: keys referencing it come after.
          if (const auto columns = referenceable_columns(index)) {
            attach.provides.push_back(key_token(schema, relation, *columns));
          }
        }
        chain.add(std::move(attach));
      };
  auto build_step = [&](Chain& chain, const schemas::Index& index, const std::string& name,
                        std::string summary, std::string rationale) {
    if (populated && partitioned) {
      build_on_partitions(chain, index, schema, relation, name, std::nullopt, 0);
    } else {
      chain.add(build(index, name, std::move(summary), std::move(rationale)));
    }
  };
  const char* build_rationale =
      concurrently ? "rule 8: CREATE INDEX CONCURRENTLY lets reads and writes go on"
      : populated  ? "a partitioned table cannot build CONCURRENTLY: writes wait for the build"
                   : "rule 11: the table is new or empty: a plain build is instant";
  for (const auto& [before, wanted] : match_by_name(current, desired)) {
    if (wanted == nullptr) {
      auto draft = drop(before->name, false, "drop " + on(before->name),
                        concurrently ? "rule 8: DROP INDEX CONCURRENTLY lets reads and writes go on"
                                     : "the index is not in the desired schema");
      for (const auto& key : before->keys) {
        if (key.column) draft.releases.push_back(column_token(schema, relation, *key.column));
      }
      // Before the drop of a routine it calls.
      for (auto& token : routine_release_tokens(dropped_routines_of(
               builder, {ObjectKind::Index, schema, relation, before->name}))) {
        draft.releases.push_back(std::move(token));
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
    const std::vector<ObjectId> blocking =
        before == nullptr ? std::vector<ObjectId>{}
                          : dropped_routines_of(builder, {ObjectKind::Index, schema, relation,
                                                          before->name});
    if (before == nullptr) {
      build_step(chain, index, index.name, "create " + on(index.name), build_rationale);
    } else if (!blocking.empty()) {
      // It calls a routine the plan drops (or drops and creates): dropped a
      // step before the routine, built again after it.
      auto dropped = drop(before->name, true, "drop (to build again) " + on(before->name),
                          "it calls " + routines_text(blocking) +
                              " (dropped or replaced by drop and create): drop it first, build "
                              "it again after" +
                              (before->unique ? "; uniqueness is not enforced in between" : ""),
                          true);
      // (An index that calls a routine has an expression or a WHERE: no
      // foreign key can use it.)
      for (auto& token : routine_release_tokens(blocking)) {
        dropped.releases.push_back(std::move(token));
      }
      // On a new or empty table (a plain build, in a transaction), both go
      // into the routines' own step (fuse_routine_dependents); a concurrent
      // build cannot.
      if (!populated) mark_around_routines(dropped, blocking, false);
      builder.add(std::move(dropped));
      build_step(chain, index, index.name, "build again " + on(index.name),
                 std::string(build_rationale) + "; after the routines it calls are created");
      require_all(builder.at(*chain.first()), routine_name_tokens(blocking));
      if (!populated) mark_around_routines(builder.at(*chain.first()), blocking, true);
    } else if (!before->valid) {
      auto dropped = drop(before->name, true, "drop the invalid " + on(before->name),
                          "rule 8: a failed CONCURRENTLY build left it INVALID; rebuild it");
      dropped.step.phase = Phase::Constrain;
      chain.add(std::move(dropped));
      build_step(chain, index, index.name, "rebuild " + on(index.name), build_rationale);
    } else if (before->name != index.name) {
      // renamed_from: renamed in place (catalog only), so a changed
      // definition is then rebuilt under the new name as any other. Renamed
      // first, not built anew under the new name beside the old: every step
      // leaves a state that a plan without the hint continues (a build that
      // fails leaves the old definition under the new name, rebuilt next time).
      auto rename = Builder::make(
          Phase::Alter, id, "rename " + on(before->name) + " to \"" + index.name + "\"",
          "renamed_from: ALTER INDEX ... RENAME is catalog only; no query names an index");
      rename.step.statements = {"ALTER INDEX " + quote_qualified(schema, before->name) +
                                " RENAME TO " + quote_ident(index.name)};
      Targets targets = on_relation(schema, relation, populated);
      targets.index = before->name;
      builder.statement(rename, Statement::RenameIndex, targets);
      rename.requires_.push_back("name:" + schema + "." + index.name);
      rename.provides.push_back("name:" + schema + "." + before->name);
      rename.provides.push_back("index:" + schema + "." + index.name);
      chain.add(std::move(rename));
    }
    if (before != nullptr && blocking.empty() && before->valid &&
        !same_index(*before, index, retyped)) {
      const std::string temporary = truncate_name(index.name + "_pgshift_new");
      build_step(chain, index, temporary, "build the new definition of " + on(index.name),
                 std::string(build_rationale) + "; built under a temporary name");
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
    // An index built anew (again, or under a temporary name) has no comment
    // until it is set again.
    const bool built = before == nullptr || !blocking.empty() || !before->valid ||
                       !same_index(*before, index, retyped);
    if ((built ? std::nullopt : before->comment) != index.comment) {
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
