// Rules 10 and 11 for whole tables: create (partitions created alone and
// attached), rename, drop; replica identity and comments. The members of a
// table (columns, constraints, indexes, triggers) have rule files of their own.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"
#include "schemas/expand_contract.hpp"

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

// ---------------------------------------------------------------------------
// Whole tables.
// ---------------------------------------------------------------------------

// A new partition joins after its parent's new indexes exist: ATTACH gives
// it a copy of each (it is empty), and a partitioned index created ON ONLY
// the parent would otherwise stay invalid waiting for the partition's.
void require_parent_indexes(const Builder& builder, StepDraft& draft,
                            const schemas::PartitionOf& parent) {
  const auto* desired_parent =
      schemas::find_table(builder.desired(), parent.parent_schema, parent.parent_table);
  if (desired_parent == nullptr) return;
  for (const auto& index : desired_parent->indexes) {
    draft.requires_.push_back("index:" + parent.parent_schema + "." + index.name);
  }
}

void create_table(Builder& builder, const std::string& schema, const schemas::Table& desired) {
  TableContext table{builder,
                     schema,
                     nullptr,
                     desired,
                     false,
                     std::nullopt,
                     quote_qualified(schema, desired.name)};
  const ObjectId id = table.table_id();
  auto draft = Builder::make(Phase::Create, id, "create " + label("table", schema, desired.name),
                             "a new table: no traffic to block");
  draft.requires_.push_back("schema:" + schema);
  draft.requires_.push_back("name:" + schema + "." + desired.name);
  draft.provides.push_back(table_token(schema, desired.name));
  for (const auto& column : desired.columns) {
    draft.provides.push_back(table.column_token_of(column.name));
    if (effective_not_null(desired, column)) {
      draft.provides.push_back(not_null_token(schema, desired.name, column.name));
    }
    require_all(draft, type_tokens(column.type, schema));
    require_sequences(draft, schema, column.default_expr);
  }
  if (desired.partition_of) {
    const auto& parent = *desired.partition_of;
    // A partition partitioned in turn.
    const std::string partitioned_by =
        desired.partition_by ? partition_by_sql(*desired.partition_by) : std::string();
    const std::string parent_relation = quote_qualified(parent.parent_schema, parent.parent_table);
    const bool parent_exists = schemas::find_table(builder.current(), parent.parent_schema,
                                                   parent.parent_table) != nullptr;
    if (parent_exists && builder.version() >= 120000) {
      // CREATE TABLE ... PARTITION OF would lock the parent ACCESS EXCLUSIVE;
      // creating the table alone and attaching it takes SHARE UPDATE EXCLUSIVE.
      draft.step.rationale =
          "created alone, then attached: the parent is never locked ACCESS "
          "EXCLUSIVE";
      draft.step.statements = {"CREATE TABLE " + table.relation + " (LIKE " + parent_relation +
                               " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" + partitioned_by};
      draft.requires_.push_back(table_token(parent.parent_schema, parent.parent_table));
      builder.statement(draft, Statement::CreateTableLike,
                        on_relation(schema, desired.name, false));
      Chain chain(builder);
      chain.add(std::move(draft));
      auto attach = Builder::make(Phase::Create, id,
                                  "attach " + label("table", schema, desired.name) + " to " +
                                      label("table", parent.parent_schema, parent.parent_table),
                                  "ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent "
                                  "(PostgreSQL 12+); the new partition is empty");
      attach.step.statements = {"ALTER TABLE " + parent_relation + " ATTACH PARTITION " +
                                table.relation + " " + parent.bound};
      Targets targets = on_relation(schema, desired.name, false);
      targets.parent = QualifiedName{parent.parent_schema, parent.parent_table};
      builder.statement(attach, Statement::AttachPartition, targets);
      require_parent_indexes(builder, attach, parent);
      chain.add(std::move(attach));
    } else {
      draft.step.statements = {"CREATE TABLE " + table.relation + " PARTITION OF " +
                               parent_relation + " " + parent.bound + partitioned_by};
      Targets targets = on_relation(schema, desired.name, false);
      targets.parent = QualifiedName{parent.parent_schema, parent.parent_table};
      builder.statement(draft, Statement::CreatePartitionOf, targets);
      require_parent_indexes(builder, draft, parent);
      builder.add(std::move(draft));
    }
  } else {
    std::vector<std::string> elements;
    for (const auto& column : desired.columns) {
      elements.push_back(column_definition(column, true, effective_not_null(desired, column)));
    }
    if (desired.primary_key) {
      elements.push_back(unique_definition(
          primary_key_name(desired), desired.primary_key->columns, desired.primary_key->include,
          false, desired.primary_key->deferrable, desired.primary_key->initially_deferred, true));
      draft.provides.push_back(key_token(schema, desired.name, desired.primary_key->columns));
    }
    for (const auto& unique : desired.unique_constraints) {
      elements.push_back(unique_definition(unique.name, unique.columns, unique.include,
                                           unique.nulls_not_distinct, unique.deferrable,
                                           unique.initially_deferred, false));
      draft.provides.push_back(key_token(schema, desired.name, unique.columns));
    }
    for (const auto& check : desired.check_constraints) elements.push_back(check_definition(check));
    std::string statement =
        std::string(desired.unlogged ? "CREATE UNLOGGED TABLE " : "CREATE TABLE ") +
        table.relation + " (";
    for (size_t element_idx = 0; element_idx < elements.size(); ++element_idx) {
      statement += (element_idx == 0 ? "\n  " : ",\n  ") + elements[element_idx];
    }
    statement += "\n)";
    if (desired.partition_by) statement += partition_by_sql(*desired.partition_by);
    statement += table_options_sql(desired.options);
    draft.step.statements = {statement};
    builder.statement(draft, Statement::CreateTable, on_relation(schema, desired.name, false));
    builder.add(std::move(draft));
  }
  // Comments ride along with the table: nobody else can see it yet.
  auto comment =
      Builder::make(Phase::Finalize, id,
                    "comment on " + label("table", schema, desired.name) + " and its columns",
                    "comments are catalog-only");
  if (desired.comment) {
    comment.step.statements.push_back(comment_sql("TABLE", table.relation, desired.comment));
    builder.statement(comment, Statement::CommentOnRelation, table.on());
  }
  for (const auto& column : desired.columns) {
    if (column.comment) {
      comment.step.statements.push_back(
          comment_sql("COLUMN", table.relation + "." + quote_ident(column.name), column.comment));
      builder.statement(comment, Statement::CommentOnTableMember, table.on());
    }
  }
  if (!comment.step.statements.empty()) builder.add(std::move(comment));
  if (desired.partition_of) {
    // A partition is created without its own keys and checks (those it
    // inherits come with ATTACH): they are added to the empty table.
    schemas::Table bare;
    bare.name = desired.name;
    bare.partition_of = desired.partition_of;
    TableContext created{builder, schema, &bare, desired, false, std::nullopt, table.relation};
    plan_primary_key(created);
    plan_unique_constraints(created);
    plan_check_constraints(created);
    plan_table_storage(created, bare);
    plan_partition_column_settings(created);
  } else {
    // STORAGE and STATISTICS need the table (COMPRESSION is in its columns).
    for (const auto& column : desired.columns) plan_column_settings(table, nullptr, nullptr, column);
  }
  plan_foreign_keys(table);
  plan_exclusion_constraints(table);
  plan_relation_indexes(builder, schema, desired.name, nullptr, desired.indexes, false,
                        desired.partition_by.has_value());
  plan_triggers(table);
  plan_policies(table);
  plan_table_attributes(table);
}

void drop_table(Builder& builder, const std::string& schema, const schemas::Table& current) {
  auto draft = Builder::make(Phase::Drop, {ObjectKind::Table, schema, "", current.name},
                             "drop " + label("table", schema, current.name),
                             "rule 10: the table is not in the desired schema; its rows are lost");
  draft.step.statements = {"DROP TABLE " + quote_qualified(schema, current.name)};
  // Sequences OWNED BY its columns (serial, bigserial) are dropped with it;
  // rules_sequences.cpp plans no DROP SEQUENCE for them.
  if (const auto* current_schema = schemas::find_schema(builder.current(), schema)) {
    for (const auto& sequence : current_schema->sequences) {
      if (sequence.owned_by &&
          sequence.owned_by->rfind(schema + "." + current.name + ".", 0) == 0) {
        draft.step.rationale += "; its sequence \"" + sequence.name + "\" goes with it";
      }
    }
  }
  Targets targets = on_relation(schema, current.name);
  if (current.partition_of) {
    targets.parent =
        QualifiedName{current.partition_of->parent_schema, current.partition_of->parent_table};
  }
  // Its foreign keys' triggers on the referenced tables go with it.
  for (const auto& fk : current.foreign_keys) {
    if (!(fk.ref_schema == schema && fk.ref_table == current.name)) {
      for (auto& referenced : builder.with_partitions(fk.ref_schema, fk.ref_table)) {
        targets.referenced.push_back(std::move(referenced));
      }
    }
  }
  builder.statement(draft, Statement::DropTable, targets);
  draft.step.estimated_rows = builder.row_estimate(schema, current.name);
  const std::string token = table_token(schema, current.name);
  draft.invalidates.push_back(token);
  builder.invalidate(token);
  draft.releases.push_back("schema:" + schema);
  draft.provides.push_back("name:" + schema + "." + current.name);
  for (const auto& column : current.columns) {
    for (const auto& type : type_tokens(column.type, schema)) draft.releases.push_back(type);
    release_sequences(draft, schema, column.default_expr);
    builder.invalidate(column_token(schema, current.name, column.name));
  }
  for (const auto& fk : current.foreign_keys) {
    for (const auto& referenced : builder.with_partitions(fk.ref_schema, fk.ref_table)) {
      draft.releases.push_back(table_token(referenced.schema, referenced.name));
    }
    draft.releases.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
  }
  // What its defaults, indexes, CHECKs, triggers and policies use, by the
  // catalog: routines and other tables may be dropped after.
  for (const auto* dependency :
       builder.dependencies_of_members(builder.current(), schema, current.name)) {
    for (auto& token : referenced_tokens(*dependency)) draft.releases.push_back(std::move(token));
  }
  for (const auto& trigger : current.triggers) draft.releases.push_back("func:" + trigger.function);
  for (const auto& policy : current.policies) {
    for (const auto& text : {policy.using_expr, policy.with_check}) {
      if (!text) continue;
      for (auto& token : routine_tokens(builder.current(), *text)) {
        draft.releases.push_back(std::move(token));
      }
    }
  }
  for (const auto& index : current.indexes)
    draft.provides.push_back("name:" + schema + "." + index.name);
  builder.add(std::move(draft));
}

void alter_table(Builder& builder, const std::string& schema, const schemas::Table& current,
                 const schemas::Table& desired) {
  TableContext table{builder,
                     schema,
                     &current,
                     desired,
                     builder.populated(schema, current.name),
                     builder.row_estimate(schema, current.name),
                     quote_qualified(schema, desired.name)};
  if (current.name != desired.name) {
    auto draft = Builder::make(
        Phase::Create, table.table_id(),
        "rename " + label("table", schema, current.name) + " to \"" + desired.name + "\"" +
            (desired.expand_contract ? ", a view under the old name until contract" : ""),
        desired.expand_contract
            ? "expand/contract: a simple view under the old name is updatable, so application "
              "versions using the old name keep reading and writing until contract drops it"
            : "renamed_from: application versions using the old name break");
    draft.step.statements = {"ALTER TABLE " + quote_qualified(schema, current.name) +
                             " RENAME TO " + quote_ident(desired.name)};
    builder.statement(draft,
                      desired.expand_contract ? Statement::RenameTableBehindView
                                              : Statement::RenameTable,
                      on_relation(schema, current.name));
    if (desired.expand_contract) {
      const std::string view = quote_qualified(schema, current.name);
      draft.step.statements.push_back("CREATE VIEW " + view + " AS SELECT * FROM " +
                                      quote_qualified(schema, desired.name));
      builder.statement(draft, Statement::CreateView, {});
      draft.step.statements.push_back(comment_sql(
          "VIEW", view, std::string(schemas::kCompatibilityViewComment) + desired.name));
      builder.statement(draft, Statement::CommentOnRelation, on_relation(schema, current.name));
    }
    draft.provides.push_back(table_token(schema, desired.name));
    draft.requires_.push_back("name:" + schema + "." + desired.name);
    for (const auto& column : current.columns) {
      draft.provides.push_back(table.column_token_of(column.name));
    }
    builder.add(std::move(draft));
  }
  if (!(current.partition_by == desired.partition_by)) {
    builder.diagnose(plans::Severity::Error, table.table_id(),
                     "cannot change the partitioning of " + label("table", schema, desired.name) +
                         " in place; create a new table and move the rows");
  }
  if (current.partition_of || desired.partition_of) {
    // A partition's columns come from its parent; its own keys, checks,
    // foreign keys, indexes and triggers (those it inherits are not in
    // either model) are planned like any table's.
    if (!(current.partition_of == desired.partition_of)) {
      builder.diagnose(plans::Severity::Error, table.table_id(),
                       "cannot change the parent or bound of " +
                           label("table", schema, desired.name) +
                           "; detach it and attach the new partition");
    }
    plan_partition_column_settings(table);
  } else {
    plan_columns(table);
  }
  plan_primary_key(table);
  plan_unique_constraints(table);
  plan_check_constraints(table);
  plan_foreign_keys(table);
  plan_exclusion_constraints(table);
  plan_relation_indexes(builder, schema, desired.name, &current.indexes, desired.indexes,
                        table.populated, desired.partition_by.has_value());
  plan_table_storage(table, current);
  plan_triggers(table);
  plan_policies(table);
  plan_table_attributes(table);
}

}  // namespace

void plan_table_attributes(TableContext& table) {
  Builder& builder = table.builder;
  const schemas::Table* current = table.current;
  const bool identity_changed =
      current != nullptr ? (current->replica_identity != table.desired.replica_identity ||
                            current->replica_identity_index != table.desired.replica_identity_index)
                         : table.desired.replica_identity != schemas::ReplicaIdentity::Default;
  if (identity_changed) {
    auto draft = Builder::make(
        Phase::Finalize, table.table_id(),
        "set the replica identity of " + label("table", table.schema, table.desired.name),
        "replica identity is a catalog property");
    draft.step.statements = {table.alter() + replica_identity_sql(table.desired)};
    builder.statement(draft, Statement::ReplicaIdentity, table.on());
    if (table.desired.replica_identity_index) {
      draft.requires_.push_back("index:" + table.schema + "." +
                                *table.desired.replica_identity_index);
    }
    builder.add(std::move(draft));
  }
  if (current != nullptr && current->comment != table.desired.comment) {
    auto draft = Builder::make(Phase::Finalize, table.table_id(),
                               "comment on " + label("table", table.schema, table.desired.name),
                               "comments are catalog-only");
    draft.step.statements = {comment_sql("TABLE", table.relation, table.desired.comment)};
    builder.statement(draft, Statement::CommentOnRelation, table.on());
    builder.add(std::move(draft));
  }
}

void plan_tables(Builder& builder) {
  for (const auto& [current_schema, desired_schema] :
       match_by_name(&builder.current().schemas, builder.desired().schemas)) {
    const std::string& schema = (desired_schema ? desired_schema : current_schema)->name;
    static const std::vector<schemas::Table> kNone;
    for (const auto& [current, desired] :
         match_by_name(current_schema ? &current_schema->tables : nullptr,
                       desired_schema ? desired_schema->tables : kNone)) {
      if (desired == nullptr) {
        drop_table(builder, schema, *current);
      } else if (current == nullptr) {
        create_table(builder, schema, *desired);
      } else {
        alter_table(builder, schema, *current, *desired);
      }
    }
  }
}

}  // namespace pgshift::planner::detail
