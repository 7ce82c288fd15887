#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "planner/rules.hpp"
#include "planner/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using schemas::ObjectId;
using schemas::ObjectKind;

bool in_primary_key(const schemas::Table& table, const std::string& column) {
  return table.primary_key &&
         std::find(table.primary_key->columns.begin(), table.primary_key->columns.end(), column) !=
             table.primary_key->columns.end();
}

// A primary key makes its columns NOT NULL whether the model says so or not.
bool effective_not_null(const schemas::Table& table, const schemas::Column& column) {
  return column.not_null || in_primary_key(table, column.name);
}

std::string primary_key_name(const schemas::Table& table) {
  return table.primary_key->name.empty() ? truncate_name(table.name + "_pkey")
                                         : table.primary_key->name;
}

// Column tokens of the table's columns named in an expression.
std::vector<std::string> columns_in(const TableContext& table, const std::string& expression) {
  const auto words = expression_words(expression);
  std::vector<std::string> tokens;
  for (const auto& column : table.desired.columns) {
    if (words.count(column.name) != 0) tokens.push_back(table.column_token_of(column.name));
  }
  return tokens;
}

void require_all(StepDraft& draft, const std::vector<std::string>& tokens) {
  draft.requires_.insert(draft.requires_.end(), tokens.begin(), tokens.end());
}

// Sequences named in a default (nextval('s')) must exist first.
void require_sequences(StepDraft& draft, const std::string& schema,
                       const std::optional<std::string>& expression) {
  if (!expression) return;
  for (const auto& word : expression_words(*expression)) {
    draft.requires_.push_back("seq:" + schema + "." + word);
  }
}

void release_sequences(StepDraft& draft, const std::string& schema,
                       const std::optional<std::string>& expression) {
  if (!expression) return;
  for (const auto& word : expression_words(*expression)) {
    draft.releases.push_back("seq:" + schema + "." + word);
  }
}

std::string type_token_of(const std::string& schema, const std::string& name) {
  return "type:" + schema + "." + name;
}

size_t add_simple(Builder& builder, Phase phase, ObjectId id, std::string summary,
                  std::string rationale, const std::vector<Sql>& statements,
                  std::vector<std::string> provides, std::vector<std::string> requires_,
                  std::vector<std::string> invalidates, std::vector<std::string> releases,
                  const Targets& targets) {
  auto draft = Builder::make(phase, std::move(id), std::move(summary), std::move(rationale));
  draft.provides = std::move(provides);
  draft.requires_ = std::move(requires_);
  draft.invalidates = std::move(invalidates);
  draft.releases = std::move(releases);
  for (const auto& statement : statements) {
    draft.step.statements.push_back(statement.text);
    builder.statement(draft, statement.kind, targets);
  }
  return builder.add(std::move(draft));
}

void maybe_comment(Builder& builder, const ObjectId& id, const std::string& what,
                   const std::string& target, const std::optional<std::string>& before,
                   const std::optional<std::string>& after, const std::string& token,
                   const Targets* relation) {
  if (before == after) return;
  add_simple(builder, Phase::Finalize, id, "comment on " + describe(id),
             "comments are catalog-only",
             {{relation != nullptr ? Statement::CommentOnRelation : Statement::CommentOnObject,
               comment_sql(what, target, after)}},
             {}, {token}, {}, {}, relation != nullptr ? *relation : Targets{});
}

// Whether `name` names a relation (table, view, sequence, index) of `schema`
// in either model, or a partition's copy of its parent's index or key there
// (CatalogFacts::partition_copies: the models leave them out, and the
// server names them itself, e.g. "t_2024_email_idx"): a partition's index
// must not take one. A copy's name that is a foreign key's, not a relation's,
// is avoided too: another name is never wrong.
bool relation_name_taken(const Builder& builder, const std::string& schema,
                         const std::string& name) {
  const std::string prefix = schema + ".";  // partition_copies' keys are "schema.partition"
  for (const schemas::Database* db : {&builder.current(), &builder.desired()}) {
    for (auto partition = db->facts.partition_copies.lower_bound(prefix);
         partition != db->facts.partition_copies.end() &&
         partition->first.compare(0, prefix.size(), prefix) == 0;
         ++partition) {
      for (const auto& copy : partition->second) {
        if (copy.second == name) return true;
      }
    }
    const auto* found = schemas::find_schema(*db, schema);
    if (found == nullptr) continue;
    for (const auto& table : found->tables) {
      if (table.name == name || schemas::find_named(table.indexes, name) != nullptr) return true;
    }
    for (const auto& view : found->materialized_views) {
      if (view.name == name || schemas::find_named(view.indexes, name) != nullptr) return true;
    }
    if (schemas::find_named(found->views, name) != nullptr ||
        schemas::find_named(found->sequences, name) != nullptr) {
      return true;
    }
  }
  return false;
}

// The partitions of a table, in the current catalog and kept by the desired
// schema (a partition the plan drops goes before the index is built; one it
// creates gets its index from ATTACH PARTITION).
std::vector<Partition> kept_partitions(const Builder& builder, const std::string& schema,
                                       const std::string& table) {
  std::vector<Partition> partitions;
  for (const auto& current_schema : builder.current().schemas) {
    for (const auto& candidate : current_schema.tables) {
      if (!candidate.partition_of || candidate.partition_of->parent_schema != schema ||
          candidate.partition_of->parent_table != table) {
        continue;
      }
      const auto* kept =
          schemas::find_table(builder.desired(), current_schema.name, candidate.name);
      if (kept != nullptr && kept->partition_of == candidate.partition_of) {
        partitions.push_back({current_schema.name, &candidate});
      }
    }
  }
  return partitions;
}

std::string partition_member_name(const Builder& builder, const std::string& schema,
                                  const std::string& partition, const std::string& name,
                                  std::set<std::string>& chosen) {
  std::string candidate = truncate_name(partition + "_" + name);
  for (int suffix = 1; relation_name_taken(builder, schema, candidate) ||
                       chosen.count(schema + "." + candidate) != 0;
       ++suffix) {
    candidate = truncate_name(partition + "_" + name + std::to_string(suffix));
  }
  chosen.insert(schema + "." + candidate);
  return candidate;
}

bool trigger_uses_column(const schemas::Trigger& trigger, const std::string& column) {
  return std::find(trigger.update_of.begin(), trigger.update_of.end(), column) !=
             trigger.update_of.end() ||
         (trigger.when && expression_words(*trigger.when).count(column) != 0);
}

bool trigger_uses_column(const Builder& builder, const schemas::Database& db,
                         const std::string& schema, const std::string& table,
                         const schemas::Trigger& trigger, const std::string& column) {
  const auto& recorded = builder.dependencies_of(
      db, ObjectId{schemas::ObjectKind::Trigger, schema, table, trigger.name});
  if (recorded.empty()) return trigger_uses_column(trigger, column);
  return std::any_of(recorded.begin(), recorded.end(), [&](const schemas::Dependency* used) {
    return used->referenced.kind == schemas::ObjectKind::Table &&
           used->referenced.schema == schema && used->referenced.name == table &&
           used->referenced_column == column;
  });
}

std::vector<std::string> referenced_tokens(const schemas::Dependency& dependency) {
  using schemas::ObjectKind;
  const auto& referenced = dependency.referenced;
  switch (referenced.kind) {
    case ObjectKind::Table:
      if (!dependency.referenced_column.empty()) {
        return {table_token(referenced.schema, referenced.name),
                column_token(referenced.schema, referenced.name, dependency.referenced_column)};
      }
      return {table_token(referenced.schema, referenced.name)};
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return {"view:" + referenced.schema + "." + referenced.name};
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return {
          "func:" + referenced.schema + "." + referenced.name.substr(0, referenced.name.find('(')),
          "routine:" + referenced.schema + "." + referenced.name};
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
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return {};
}

std::vector<schemas::ObjectId> dropped_routines_of(const Builder& builder,
                                                   const schemas::ObjectId& dependent) {
  std::vector<schemas::ObjectId> routines;
  const auto& invalid = builder.invalidated();
  for (const auto* dependency : builder.dependencies_of(builder.current(), dependent)) {
    const auto& used = dependency->referenced;
    if ((used.kind == schemas::ObjectKind::Function ||
         used.kind == schemas::ObjectKind::Procedure) &&
        invalid.count("routine:" + used.schema + "." + used.name) != 0 &&
        std::find(routines.begin(), routines.end(), used) == routines.end()) {
      routines.push_back(used);
    }
  }
  return routines;
}

std::string routines_text(const std::vector<schemas::ObjectId>& routines) {
  std::string text;
  for (const auto& routine : routines) {
    text += (text.empty() ? "" : ", ") + schemas::describe(routine);
  }
  return text;
}

std::vector<std::string> routine_release_tokens(const std::vector<schemas::ObjectId>& routines) {
  std::vector<std::string> tokens;
  for (const auto& routine : routines) {
    tokens.push_back("routine:" + routine.schema + "." + routine.name);
  }
  return tokens;
}

std::vector<std::string> routine_name_tokens(const std::vector<schemas::ObjectId>& routines) {
  std::vector<std::string> tokens;
  for (const auto& routine : routines) {
    tokens.push_back("func:" + routine.schema + "." +
                     routine.name.substr(0, routine.name.find('(')));
  }
  return tokens;
}

void mark_around_routines(StepDraft& draft, const std::vector<ObjectId>& routines,
                          bool recreates) {
  draft.around_routines = routine_release_tokens(routines);
  draft.recreates = recreates;
}

std::optional<std::vector<std::string>> recorded_tokens(const Builder& builder,
                                                        const schemas::Database& db,
                                                        const schemas::ObjectId& dependent) {
  const auto& recorded = builder.dependencies_of(db, dependent);
  if (recorded.empty()) return std::nullopt;
  std::vector<std::string> tokens;
  for (const auto* dependency : recorded) {
    for (auto& token : referenced_tokens(*dependency)) tokens.push_back(std::move(token));
  }
  return tokens;
}

// The token a step on the object must follow.
std::string object_token(const ObjectId& id) {
  switch (id.kind) {
    case ObjectKind::Schema:
      return "schema:" + id.name;
    case ObjectKind::Column:
      return column_token(id.schema, id.table, id.name);
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return "view:" + id.schema + "." + id.name;
    case ObjectKind::Sequence:
      return "seq:" + id.schema + "." + id.name;
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return "func:" + id.schema + "." + id.name.substr(0, id.name.find('('));
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::CompositeType:
      return type_token_of(id.schema, id.name);
    case ObjectKind::Table:
    case ObjectKind::Extension:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return table_token(id.schema, id.kind == ObjectKind::Column ? id.table : id.name);
}

bool creates_object(Statement kind) {
  switch (kind) {
    case Statement::CreateSchema:
    case Statement::CreateEnum:
    case Statement::CreateCompositeType:
    case Statement::CreateDomain:
    case Statement::CreateSequence:
    case Statement::CreateOrReplaceFunction:
    case Statement::CreateTable:
    case Statement::CreateTableLike:
    case Statement::CreatePartitionOf:
    case Statement::CreateView:
    case Statement::CreateMaterializedView:
      return true;
    default:
      return false;
  }
}

bool recreates_object(Statement kind) {
  return kind == Statement::DropViewToRecreate || kind == Statement::DropViewToReplace ||
         kind == Statement::DropMaterializedViewToRecreate ||
         kind == Statement::DropFunctionToReplace || kind == Statement::RenameTypeToReplace;
}

// A step's object matched with a privileges key's: views are keyed as the
// steps key them, a column by its relation (a table, view or materialized
// view step).
bool same_object(const ObjectId& step, const ObjectId& key) {
  if (step == key) return true;
  return key.kind == ObjectKind::Table && step.table.empty() && step.schema == key.schema &&
         step.name == key.name &&
         (step.kind == ObjectKind::View || step.kind == ObjectKind::MaterializedView);
}

}  // namespace pgshift::planner::detail
