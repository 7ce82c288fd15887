// Rules 5-7 and 10 for constraints: PRIMARY KEY and UNIQUE (index built
// CONCURRENTLY, then attached), CHECK and FOREIGN KEY (NOT VALID, then
// VALIDATE), and their drops.
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

bool same_foreign_key(const schemas::ForeignKey& a, const schemas::ForeignKey& b) {
  return a.columns == b.columns && a.ref_schema == b.ref_schema && a.ref_table == b.ref_table &&
         a.ref_columns == b.ref_columns && a.on_delete == b.on_delete &&
         a.on_update == b.on_update && a.match == b.match && a.deferrable == b.deferrable &&
         a.initially_deferred == b.initially_deferred;
}

// ---------------------------------------------------------------------------
// Rules 5-7: constraints.
// ---------------------------------------------------------------------------

StepDraft drop_constraint_draft(TableContext& table, ObjectKind kind, const std::string& name,
                                const std::vector<std::string>& columns) {
  const char* kind_name = schemas::object_kind_name(kind);
  auto draft = Builder::make(Phase::Drop, table.id(kind, name), "drop " + table.of(kind_name, name),
                             "rule 10: the constraint is not in the desired schema");
  draft.step.statements = {table.alter() + "DROP CONSTRAINT " + quote_ident(name)};
  for (const auto& column : columns) {
    draft.releases.push_back(column_token(table.schema, table.desired.name, column));
  }
  return draft;
}

// A foreign key the server ties to the index of a key the plan drops: the
// desired state keeps it unchanged, and it references exactly the key's
// columns (the server picks the unique index of exactly those columns).
struct HeldForeignKey {
  std::string schema;
  const schemas::Table* table;  // the referencing table, in the current model
  const schemas::ForeignKey* fk;
};

std::vector<HeldForeignKey> foreign_keys_on_key(const TableContext& table,
                                                const std::vector<std::string>& key_columns) {
  std::vector<HeldForeignKey> held;
  if (table.current == nullptr) return held;
  const std::set<std::string> key(key_columns.begin(), key_columns.end());
  for (const auto& schema : table.builder.current().schemas) {
    for (const auto& other : schema.tables) {
      if (other.partition_of) continue;  // a partition's copy follows its parent's key
      for (const auto& fk : other.foreign_keys) {
        if (fk.ref_schema != table.schema || fk.ref_table != table.current->name ||
            std::set<std::string>(fk.ref_columns.begin(), fk.ref_columns.end()) != key) {
          continue;
        }
        const auto* desired_table = schemas::find_table(table.builder.desired(), schema.name,
                                                        other.name);
        const auto* desired =
            desired_table ? schemas::find_named(desired_table->foreign_keys, fk.name) : nullptr;
        if (desired != nullptr && same_foreign_key(fk, *desired)) {
          held.push_back({schema.name, &other, &fk});
        }
      }
    }
  }
  return held;
}

// A partitioned table as the target of a statement that attaches its
// partitions' copies: the table and every partition, at every level.
Targets with_its_partitions(const Builder& builder, const std::string& schema,
                            const std::string& relation) {
  Targets targets = on_relation(schema, relation);
  for (const auto& partition : builder.with_partitions(schema, relation)) {
    if (!(partition.schema == schema && partition.name == relation)) {
      targets.partitions.push_back(partition);
    }
  }
  return targets;
}

// The targets of an ADD FOREIGN KEY on a partitioned table, which attaches
// its partitions' copies: the table, every partition, and the referenced
// table with its partitions.
Targets attaching_targets(const Builder& builder, const schemas::ForeignKey& fk,
                          const std::string& schema, const std::string& relation) {
  Targets targets = with_its_partitions(builder, schema, relation);
  targets.referenced = builder.with_partitions(fk.ref_schema, fk.ref_table);
  return targets;
}

// The targets of a DROP of a foreign key of `table` referencing `ref_table`:
// the table and its partitions (their copies go with it), the referenced
// table and its partitions (a key to a partitioned table has its triggers on
// every partition).
Targets dropping_foreign_key(const TableContext& table, const std::string& ref_schema,
                             const std::string& ref_table) {
  Targets targets = table.on();
  if (table.current != nullptr) {
    targets.partitions = with_its_partitions(table.builder, table.schema, table.current->name)
                             .partitions;
  }
  targets.referenced = table.builder.with_partitions(ref_schema, ref_table);
  return targets;
}

// The steps that give every partition under the partitioned `relation`, at
// every level, its own copy of `fk`, valid, so that an ADD of `fk` on
// `relation` then attaches them and checks no row (before PostgreSQL 18 a
// partitioned table takes no foreign key NOT VALID). A leaf's ADD (NOT VALID
// when it holds rows) is a step of its own, or with `into` a statement of
// that step; each populated leaf's VALIDATE follows, and a partitioned
// partition's ADD, which attaches its partitions' copies, comes after
// theirs: appended to `steps` in that order, to be chained. `chosen`: the
// copies' names taken so far.
void partition_foreign_key_steps(Builder& builder, const ObjectId& id,
                                 const schemas::ForeignKey& fk, const std::string& schema,
                                 const std::string& relation, const std::vector<std::string>& needs,
                                 std::set<std::string>& chosen, StepDraft* into,
                                 std::vector<StepDraft>& steps) {
  for (const auto& [partition_schema, partition] : kept_partitions(builder, schema, relation)) {
    const std::string alter =
        "ALTER TABLE " + quote_qualified(partition_schema, partition->name) + " ";
    // A copy the partition has as its own (left by a plan stopped before the
    // parent's ADD, or made by hand) is attached by that ADD as it is: it is
    // validated first when NOT VALID, never added a second time.
    const auto own = std::find_if(
        partition->foreign_keys.begin(), partition->foreign_keys.end(),
        [&](const schemas::ForeignKey& candidate) { return same_foreign_key(candidate, fk); });
    if (own != partition->foreign_keys.end()) {
      if (own->validated) continue;
      Targets targets = on_relation(partition_schema, partition->name);
      targets.referenced = builder.with_partitions(fk.ref_schema, fk.ref_table);
      auto validate = Builder::make(
          Phase::Validate, id,
          "validate the foreign key \"" + own->name + "\" on " +
              label("table", partition_schema, partition->name),
          "the partition has the key already, NOT VALID; VALIDATE scans under SHARE UPDATE "
          "EXCLUSIVE (ROW SHARE on the referenced table): reads and writes go on");
      validate.step.statements = {alter + "VALIDATE CONSTRAINT " + quote_ident(own->name)};
      builder.statement(validate, Statement::ValidateForeignKey, targets);
      validate.step.estimated_rows = builder.row_estimate(partition_schema, partition->name);
      steps.push_back(std::move(validate));
      continue;
    }
    schemas::ForeignKey copy = fk;
    copy.name = partition_member_name(builder, partition_schema, partition->name, fk.name, chosen);
    const std::string where =
        "\"" + copy.name + "\" on " + label("table", partition_schema, partition->name);
    if (partition->partition_by) {
      partition_foreign_key_steps(builder, id, fk, partition_schema, partition->name, needs,
                                  chosen, into, steps);
      auto draft = Builder::make(Phase::Validate, id, "add the foreign key " + where,
                                 "its partitions have the key, valid: it is attached, not "
                                 "checked again");
      draft.step.statements = {alter + "ADD " + foreign_key_definition(copy)};
      builder.statement(draft, Statement::AddForeignKeyAttachingPartitions,
                        attaching_targets(builder, fk, partition_schema, partition->name));
      require_all(draft, needs);
      steps.push_back(std::move(draft));
      continue;
    }
    const bool populated = builder.populated(partition_schema, partition->name);
    Targets targets = on_relation(partition_schema, partition->name, populated);
    targets.referenced = builder.with_partitions(fk.ref_schema, fk.ref_table);
    const std::string add =
        alter + "ADD " + foreign_key_definition(copy) + (populated ? " NOT VALID" : "");
    const Statement statement =
        populated ? Statement::AddForeignKeyNotValid : Statement::AddForeignKey;
    if (into != nullptr) {
      into->step.statements.push_back(add);
      builder.statement(*into, statement, targets);
      require_all(*into, needs);
    } else {
      auto draft = Builder::make(
          Phase::Constrain, id, "add the foreign key " + where,
          populated ? "rule 6: NOT VALID skips the scan; VALIDATE follows under a weaker lock"
                    : "rule 11: the partition is empty: nothing to check");
      draft.step.statements = {add};
      builder.statement(draft, statement, targets);
      require_all(draft, needs);
      steps.push_back(std::move(draft));
    }
    if (!populated) continue;
    auto validate = Builder::make(
        Phase::Validate, id, "validate the foreign key " + where,
        "VALIDATE scans under SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced "
        "table): reads and writes go on");
    validate.step.statements = {alter + "VALIDATE CONSTRAINT " + quote_ident(copy.name)};
    builder.statement(validate, Statement::ValidateForeignKey, targets);
    validate.step.estimated_rows = builder.row_estimate(partition_schema, partition->name);
    steps.push_back(std::move(validate));
  }
}

// `draft` drops a key in its first statement: each foreign key `held` on it
// is dropped just before, in the same transaction, and added again NOT
// VALID at the end of the step (new rows are checked throughout; the index
// that backs it then is the desired key of its columns, which the step
// requires). Returns the VALIDATE steps to chain after it (the rows were
// valid before and writes are checked throughout: no data check).
std::vector<StepDraft> recreate_held_foreign_keys(TableContext& table, StepDraft& draft,
                                                  const std::vector<HeldForeignKey>& held) {
  Builder& builder = table.builder;
  if (!held.empty()) {
    draft.step.rationale +=
        "; the foreign keys the server ties to the old key are dropped before it and added "
        "again NOT VALID after (before PostgreSQL 18 a partitioned table's on each of its "
        "partitions), in the same transaction, on the desired key of their columns";
  }
  std::vector<StepDraft> validations;
  std::vector<std::string> drops;
  for (const auto& [schema, referencing, fk] : held) {
    const std::string relation = quote_qualified(schema, referencing->name);
    const bool populated = builder.populated(schema, referencing->name);
    Targets targets = on_relation(schema, referencing->name, populated);
    // A key to a partitioned table has its triggers on every partition.
    targets.referenced = builder.with_partitions(table.schema, table.current->name);
    targets.referenced.front() = QualifiedName{table.schema, table.desired.name};
    const ObjectId id{ObjectKind::ForeignKey, schema, referencing->name, fk->name};
    const std::string key = key_token(table.schema, table.desired.name, fk->ref_columns);
    drops.push_back("ALTER TABLE " + relation + " DROP CONSTRAINT " + quote_ident(fk->name));
    draft.requires_.push_back(key);
    Targets dropped = with_its_partitions(builder, schema, referencing->name);
    dropped.referenced = targets.referenced;
    builder.statement(draft, Statement::DropForeignKeyToReplace, dropped);
    if (referencing->partition_by && builder.version() < 180000) {
      // A partitioned table takes no foreign key NOT VALID before
      // PostgreSQL 18 (and the dropped one took its partitions' copies with
      // it): each leaf partition gets its copy here, NOT VALID, so that new
      // rows stay checked; once they are validated, the parent's ADD
      // attaches them without a scan.
      std::set<std::string> chosen;
      partition_foreign_key_steps(builder, id, *fk, schema, referencing->name, {key}, chosen,
                                  &draft, validations);
      auto attach = Builder::make(
          Phase::Validate, id,
          "add foreign key \"" + fk->name + "\" of " + label("table", schema, referencing->name),
          "it was dropped around the drop of the key it relied on and its partitions have it "
          "again, valid: ADD CONSTRAINT attaches theirs and checks no row (a partitioned table "
          "takes no foreign key NOT VALID before PostgreSQL 18)");
      attach.step.statements = {"ALTER TABLE " + relation + " ADD " + foreign_key_definition(*fk)};
      Targets attaching = std::move(dropped);
      builder.statement(attach, Statement::AddForeignKeyAttachingPartitions, attaching);
      validations.push_back(std::move(attach));
      continue;
    }
    draft.step.statements.push_back("ALTER TABLE " + relation + " ADD " +
                                    foreign_key_definition(*fk) + " NOT VALID");
    builder.statement(draft, Statement::AddForeignKeyNotValid, targets);
    if (!fk->validated) continue;
    auto validate = Builder::make(
        Phase::Validate, id,
        "validate foreign key \"" + fk->name + "\" of " + label("table", schema, referencing->name),
        "it was dropped and added again NOT VALID around the drop of the key it relied on; "
        "VALIDATE scans under SHARE UPDATE EXCLUSIVE (ROW SHARE on the referenced table): "
        "reads and writes go on");
    validate.step.statements = {"ALTER TABLE " + relation + " VALIDATE CONSTRAINT " +
                                quote_ident(fk->name)};
    builder.statement(validate, Statement::ValidateForeignKey, targets);
    validations.push_back(std::move(validate));
  }
  draft.step.statements.insert(draft.step.statements.begin(), drops.begin(), drops.end());
  return validations;
}

// A key of a populated partitioned table, which cannot build CONCURRENTLY:
// each partition gets the key first (its unique index built CONCURRENTLY,
// then attached with ADD CONSTRAINT ... USING INDEX; a partitioned partition
// the same way, one level down), then the parent's ADD CONSTRAINT finds a
// matching key on every partition and attaches them instead of building:
// catalog only, under a brief ACCESS EXCLUSIVE on the parent and partitions.
// `finish` completes the parent's step (which drops `drop_old` first) and
// returns the steps to chain after it: the foreign keys held on the old key
// are dropped and added again around its drop there, as on a plain table.
void add_partitioned_key(TableContext& table, Chain& chain, ObjectKind kind,
                         const std::string& name, const std::vector<std::string>& columns,
                         const std::vector<std::string>& include, bool nulls_not_distinct,
                         bool deferrable, bool initially_deferred, const std::string& drop_old,
                         const std::vector<std::string>& replacing_releases,
                         const std::function<std::vector<StepDraft>(StepDraft&)>& finish) {
  Builder& builder = table.builder;
  const bool primary = kind == ObjectKind::PrimaryKey;
  const ObjectId id = table.id(kind, name);
  const char* kind_name = schemas::object_kind_name(kind);
  std::vector<std::string> needs;
  for (const auto& column : columns) {
    needs.push_back(table.column_token_of(column));
    if (primary) needs.push_back(not_null_token(table.schema, table.desired.name, column));
  }
  std::set<std::string> chosen;
  // A primary key replaced: each partition holds the old one (inherited),
  // and a table has one primary key, so the partitions' new keys are added
  // in the parent's step, after the old key's drop took theirs with it
  // (their indexes are built before, CONCURRENTLY, as for any key).
  const bool in_parent_step = primary && !drop_old.empty();
  std::vector<std::pair<Statement, std::pair<std::string, Targets>>> deferred;
  const auto add_or_defer = [&](StepDraft draft, Statement statement, Targets targets) {
    if (!in_parent_step) {
      builder.statement(draft, statement, targets);
      require_all(draft, needs);
      chain.add(std::move(draft));
      return;
    }
    for (auto& sql : draft.step.statements) {
      deferred.push_back({statement, {std::move(sql), targets}});
    }
  };
  std::function<void(const std::string&, const std::string&)> on_partitions =
      [&](const std::string& schema, const std::string& relation) {
        for (const auto& [partition_schema, partition] :
             kept_partitions(builder, schema, relation)) {
          const std::string quoted = quote_qualified(partition_schema, partition->name);
          const std::string child =
              partition_member_name(builder, partition_schema, partition->name, name, chosen);
          const std::string where =
              "\"" + child + "\" on " + label("table", partition_schema, partition->name);
          const bool populated = builder.populated(partition_schema, partition->name);
          const std::string add = "ALTER TABLE " + quoted + " ADD ";
          if (partition->partition_by) {
            on_partitions(partition_schema, partition->name);
            auto draft = Builder::make(Phase::Validate, id, "add the key " + where,
                                       "its partitions have the key: it is attached, not built");
            draft.step.statements = {add + unique_definition(child, columns, include,
                                                             nulls_not_distinct, deferrable,
                                                             initially_deferred, primary)};
            add_or_defer(std::move(draft), Statement::AddKeyAttachingPartitions,
                         with_its_partitions(builder, partition_schema, partition->name));
          } else if (!populated) {
            auto draft =
                Builder::make(Phase::Constrain, id, "add the key " + where,
                              "rule 11: the partition is empty: the index build is instant");
            draft.step.statements = {add + unique_definition(child, columns, include,
                                                             nulls_not_distinct, deferrable,
                                                             initially_deferred, primary)};
            add_or_defer(std::move(draft), Statement::AddKey,
                         on_relation(partition_schema, partition->name, false));
          } else {
            auto build = Builder::make(
                Phase::Constrain, id, "build the unique index " + where,
                "rule 7: CREATE UNIQUE INDEX CONCURRENTLY lets reads and writes go on");
            build.step.statements = {"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(child) +
                                     " ON " + quoted + " (" + quote_ident_list(columns) + ")" +
                                     include_clause(include) +
                                     (nulls_not_distinct ? " NULLS NOT DISTINCT" : "")};
            builder.statement(build, Statement::CreateIndexConcurrently,
                              on_relation(partition_schema, partition->name));
            build.step.estimated_rows = builder.row_estimate(partition_schema, partition->name);
            // The key includes the partition key: duplicates can only be
            // within one partition, each checked before the plan starts.
            CheckedTable scanned{partition_schema, partition->name, partition->name, {}, {}, ""};
            if (partition->primary_key) {
              scanned.plan_key = scanned.step_key = partition->primary_key->columns;
            }
            std::vector<std::string> keys;
            for (const auto& column : columns) keys.push_back(quote_ident(column));
            build.step.data_checks.push_back(unique_check(scanned, keys, std::nullopt,
                                                          nulls_not_distinct,
                                                          table.of(kind_name, name)));
            require_all(build, needs);
            build.requires_.push_back("name:" + partition_schema + "." + child);
            chain.add(std::move(build));
            auto attach =
                Builder::make(Phase::Validate, id, "add the key " + where + " using its index",
                              "ADD CONSTRAINT ... USING INDEX only records the constraint");
            attach.step.statements = {add + "CONSTRAINT " + quote_ident(child) +
                                      (primary ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                                      quote_ident(child) +
                                      deferrable_clause(deferrable, initially_deferred)};
            if (in_parent_step) {
              deferred.push_back({Statement::AddKeyUsingIndex,
                                  {std::move(attach.step.statements.front()),
                                   on_relation(partition_schema, partition->name)}});
            } else {
              builder.statement(attach, Statement::AddKeyUsingIndex,
                                on_relation(partition_schema, partition->name));
              chain.add(std::move(attach));
            }
          }
        }
      };
  on_partitions(table.schema, table.current->name);
  auto draft = Builder::make(
      Phase::Validate, id, "add " + table.of(kind_name, name),
      "a partitioned table cannot build CONCURRENTLY: every partition has the key already, so "
      "ADD CONSTRAINT attaches theirs and builds nothing");
  if (!drop_old.empty()) {
    draft.step.statements.push_back(drop_old);
    builder.statement(draft, Statement::DropConstraintToReplace, table.on());
    draft.releases = replacing_releases;
  }
  if (in_parent_step) {
    draft.step.rationale +=
        "; the old primary key's drop takes the partitions' with it, and each partition's new "
        "one is added here first, on its index built before: a table has one primary key";
  }
  for (auto& [statement, sql_and_targets] : deferred) {
    draft.step.statements.push_back(std::move(sql_and_targets.first));
    builder.statement(draft, statement, sql_and_targets.second);
  }
  draft.step.statements.push_back(table.alter() + "ADD " +
                                  unique_definition(name, columns, include, nulls_not_distinct,
                                                    deferrable, initially_deferred, primary));
  builder.statement(draft, Statement::AddKeyAttachingPartitions,
                    with_its_partitions(builder, table.schema, table.current->name));
  require_all(draft, needs);
  draft.provides.push_back(key_token(table.schema, table.desired.name, columns));
  std::vector<StepDraft> validations = finish(draft);
  chain.add(std::move(draft));
  for (auto& validation : validations) chain.add(std::move(validation));
}

// Rule 7: PRIMARY KEY and UNIQUE. On a populated table the index is built
// CONCURRENTLY and then attached; `replacing` is the constraint it replaces.
void add_key(TableContext& table, ObjectKind kind, const std::string& name,
             const std::vector<std::string>& columns, const std::vector<std::string>& include,
             bool nulls_not_distinct, bool deferrable, bool initially_deferred,
             const std::optional<std::string>& replacing,
             const std::vector<std::string>& replacing_releases = {}) {
  Builder& builder = table.builder;
  const bool primary = kind == ObjectKind::PrimaryKey;
  const ObjectId id = table.id(kind, name);
  const char* kind_name = schemas::object_kind_name(kind);
  const std::string drop_old =
      replacing ? table.alter() + "DROP CONSTRAINT " + quote_ident(*replacing) : "";
  std::vector<std::string> column_tokens;
  for (const auto& column : columns) column_tokens.push_back(table.column_token_of(column));
  // Foreign keys tied to the key being replaced: the server refuses its
  // drop while they exist.
  std::vector<HeldForeignKey> held;
  if (replacing && table.current != nullptr) {
    const std::vector<std::string>* old_columns = nullptr;
    if (table.current->primary_key && table.current->primary_key->name == *replacing) {
      old_columns = &table.current->primary_key->columns;
    } else if (const auto* unique =
                   schemas::find_named(table.current->unique_constraints, *replacing)) {
      old_columns = &unique->columns;
    }
    if (old_columns != nullptr) held = foreign_keys_on_key(table, *old_columns);
  }
  const auto finish_replacing = [&](StepDraft& draft) {
    std::vector<StepDraft> validations = recreate_held_foreign_keys(table, draft, held);
    // The new key backs those of its own columns: the step provides it.
    const std::string own = key_token(table.schema, table.desired.name, columns);
    draft.requires_.erase(std::remove(draft.requires_.begin(), draft.requires_.end(), own),
                          draft.requires_.end());
    return validations;
  };
  Chain chain(builder);
  if (!table.populated) {
    auto draft = Builder::make(Phase::Constrain, id, "add " + table.of(kind_name, name),
                               "rule 11: the table is empty: the index build is instant");
    if (replacing) {
      draft.step.statements.push_back(drop_old);
      builder.statement(draft, Statement::DropConstraintToReplace, table.on());
      draft.releases = replacing_releases;
    }
    draft.step.statements.push_back(table.alter() + "ADD " +
                                    unique_definition(name, columns, include, nulls_not_distinct,
                                                      deferrable, initially_deferred, primary));
    builder.statement(draft, Statement::AddKey, table.on());
    require_all(draft, column_tokens);
    draft.provides.push_back(key_token(table.schema, table.desired.name, columns));
    std::vector<StepDraft> validations = finish_replacing(draft);
    chain.add(std::move(draft));
    for (auto& validation : validations) chain.add(std::move(validation));
    return;
  }
  if (table.current != nullptr && table.current->partition_by) {
    add_partitioned_key(table, chain, kind, name, columns, include, nulls_not_distinct, deferrable,
                        initially_deferred, drop_old, replacing_releases, finish_replacing);
    return;
  }
  const std::string index_name = replacing ? truncate_name(name + "_pgshift_new") : name;
  auto build =
      Builder::make(Phase::Constrain, id, "build the unique index of " + table.of(kind_name, name),
                    "rule 7: CREATE UNIQUE INDEX CONCURRENTLY lets reads and writes go on");
  build.step.statements = {"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(index_name) + " ON " +
                           table.relation + " (" + quote_ident_list(columns) + ")" +
                           include_clause(include) +
                           (nulls_not_distinct ? " NULLS NOT DISTINCT" : "")};
  builder.statement(build, Statement::CreateIndexConcurrently, table.on());
  build.step.estimated_rows = table.rows;
  if (table.current != nullptr) {
    std::vector<std::string> keys;
    for (const auto& column : columns) keys.push_back(quote_ident(column));
    build.step.data_checks.push_back(unique_check(checked_table(table), keys, std::nullopt,
                                                  nulls_not_distinct, table.of(kind_name, name)));
  }
  require_all(build, column_tokens);
  build.requires_.push_back("name:" + table.schema + "." + index_name);
  chain.add(std::move(build));
  auto attach =
      Builder::make(Phase::Validate, id, "add " + table.of(kind_name, name) + " using its index",
                    "ADD CONSTRAINT ... USING INDEX only records the constraint");
  if (replacing) {
    attach.step.statements.push_back(drop_old);
    builder.statement(attach, Statement::DropConstraintToReplace, table.on());
    attach.releases = replacing_releases;
  }
  attach.step.statements.push_back(table.alter() + "ADD CONSTRAINT " + quote_ident(name) +
                                   (primary ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                                   quote_ident(index_name) +
                                   deferrable_clause(deferrable, initially_deferred));
  builder.statement(attach, Statement::AddKeyUsingIndex, table.on());
  if (primary) {
    for (const auto& column : columns) {
      attach.requires_.push_back(not_null_token(table.schema, table.desired.name, column));
    }
  }
  attach.provides.push_back(key_token(table.schema, table.desired.name, columns));
  std::vector<StepDraft> validations = finish_replacing(attach);
  chain.add(std::move(attach));
  for (auto& validation : validations) chain.add(std::move(validation));
}

// Rule 5: CHECK constraints NOT VALID, then VALIDATE. `needs`: tokens the
// first step requires besides the columns (the routines it calls, when
// they are created again; with only_validate, the VALIDATE: its rename).
// Returns the draft that adds it, if any.
std::optional<size_t> add_check(TableContext& table, const schemas::CheckConstraint& check,
                                const std::optional<std::string>& replacing, bool only_validate,
                                const std::vector<std::string>& needs = {}) {
  Builder& builder = table.builder;
  const ObjectId id = table.id(ObjectKind::CheckConstraint, check.name);
  Chain chain(builder);
  if (!only_validate) {
    auto draft = Builder::make(
        Phase::Constrain, id, "add " + table.of("check constraint", check.name),
        table.populated ? "rule 5: NOT VALID skips the scan; VALIDATE follows under a weaker lock"
                        : "rule 11: the table is empty: nothing to check");
    if (replacing) {
      draft.step.statements.push_back(table.alter() + "DROP CONSTRAINT " + quote_ident(*replacing));
      builder.statement(draft, Statement::DropConstraintToReplace, table.on());
    }
    // Desired `validated: false`: NOT VALID even on an empty table, so that
    // the catalog ends in the state the YAML names.
    const bool not_valid = table.populated || !check.validated;
    draft.step.statements.push_back(table.alter() + "ADD " + check_definition(check) +
                                    (not_valid ? " NOT VALID" : ""));
    builder.statement(draft, not_valid ? Statement::AddCheckNotValid : Statement::AddCheck,
                      table.on());
    require_all(draft, columns_in(table, check.expression));
    require_all(draft, needs);
    chain.add(std::move(draft));
  }
  const std::optional<size_t> added = chain.first();
  // Added to an empty table, the constraint is valid at once. One left NOT
  // VALID in the catalog stays so until validated, however few rows it has.
  // One desired `validated: false` is left NOT VALID: its rows may break it.
  if (!table.populated && !only_validate) return added;
  if (!check.validated) return added;
  auto validate =
      Builder::make(Phase::Validate, id, "validate " + table.of("check constraint", check.name),
                    "VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on");
  validate.step.statements = {table.alter() + "VALIDATE CONSTRAINT " + quote_ident(check.name)};
  builder.statement(validate, Statement::ValidateCheck, table.on());
  if (only_validate) require_all(validate, needs);
  validate.step.estimated_rows = table.rows;
  if (table.current != nullptr) {
    validate.step.data_checks.push_back(check_constraint_check(checked_table(table), check));
  }
  chain.add(std::move(validate));
  return added;
}

// Rule 6: foreign keys NOT VALID, then VALIDATE; both tables are locked.
// A foreign key from a populated partitioned table, which cannot take one
// NOT VALID (before PostgreSQL 18): each partition gets it first (NOT VALID,
// then VALIDATE; a partitioned partition the same way, one level down), then
// the parent's ADD CONSTRAINT finds a matching valid key on every partition
// and attaches them without a scan.
void add_partitioned_foreign_key(TableContext& table, Chain& chain, const schemas::ForeignKey& fk,
                                 const schemas::ForeignKey* replacing) {
  Builder& builder = table.builder;
  const ObjectId id = table.id(ObjectKind::ForeignKey, fk.name);
  std::vector<std::string> needs;
  for (const auto& column : fk.columns) needs.push_back(table.column_token_of(column));
  for (const auto& column : fk.ref_columns) {
    needs.push_back(column_token(fk.ref_schema, fk.ref_table, column));
  }
  needs.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
  std::set<std::string> chosen;
  std::vector<StepDraft> steps;
  partition_foreign_key_steps(builder, id, fk, table.schema, table.current->name, needs, chosen,
                              nullptr, steps);
  for (auto& step : steps) chain.add(std::move(step));
  auto draft = Builder::make(
      Phase::Validate, id, "add " + table.of("foreign key", fk.name),
      "a partitioned table cannot add a foreign key NOT VALID: every partition has it, valid, "
      "so ADD CONSTRAINT attaches theirs and checks no row");
  if (replacing != nullptr) {
    draft.step.statements.push_back(table.alter() + "DROP CONSTRAINT " +
                                    quote_ident(replacing->name));
    builder.statement(draft, Statement::DropForeignKeyToReplace,
                      dropping_foreign_key(table, replacing->ref_schema, replacing->ref_table));
  }
  draft.step.statements.push_back(table.alter() + "ADD " + foreign_key_definition(fk));
  builder.statement(draft, Statement::AddForeignKeyAttachingPartitions,
                    attaching_targets(builder, fk, table.schema, table.current->name));
  require_all(draft, needs);
  chain.add(std::move(draft));
}

// `needs`: tokens the VALIDATE requires with only_validate (its rename).
void add_foreign_key(TableContext& table, const schemas::ForeignKey& fk,
                     const schemas::ForeignKey* replacing, bool only_validate,
                     const std::vector<std::string>& needs = {}) {
  Builder& builder = table.builder;
  const ObjectId id = table.id(ObjectKind::ForeignKey, fk.name);
  Chain chain(builder);
  const bool partitioned = table.current != nullptr && table.current->partition_by;
  if (partitioned && !only_validate && !fk.validated && builder.version() < 180000) {
    builder.diagnose(plans::Severity::Error, id,
                     table.of("foreign key", fk.name) +
                         " cannot be NOT VALID (validated: false): a partitioned table takes "
                         "foreign keys NOT VALID from PostgreSQL 18 only");
    return;
  }
  if (partitioned && table.populated && !only_validate) {
    add_partitioned_foreign_key(table, chain, fk, replacing);
    return;
  }
  if (!only_validate) {
    auto draft = Builder::make(
        Phase::Constrain, id, "add " + table.of("foreign key", fk.name),
        table.populated ? "rule 6: NOT VALID skips the scan; VALIDATE follows under a weaker lock"
                        : "rule 11: the table is new or empty: nothing to check");
    // Replacing a key drops it first, in the same step: the drop's stronger
    // locks, on the previously referenced table too, are the step's.
    if (replacing != nullptr) {
      draft.step.statements.push_back(table.alter() + "DROP CONSTRAINT " +
                                      quote_ident(replacing->name));
      builder.statement(draft, Statement::DropForeignKeyToReplace,
                        dropping_foreign_key(table, replacing->ref_schema, replacing->ref_table));
    }
    // Desired `validated: false` on an existing table: NOT VALID even when
    // it is empty (on a table the plan creates the key is added valid).
    const bool not_valid = table.populated || (!fk.validated && table.current != nullptr);
    draft.step.statements.push_back(table.alter() + "ADD " + foreign_key_definition(fk) +
                                    (not_valid ? " NOT VALID" : ""));
    builder.statement(draft,
                      not_valid ? Statement::AddForeignKeyNotValid : Statement::AddForeignKey,
                      table.with_referenced(fk.ref_schema, fk.ref_table));
    for (const auto& column : fk.columns) draft.requires_.push_back(table.column_token_of(column));
    for (const auto& column : fk.ref_columns) {
      draft.requires_.push_back(column_token(fk.ref_schema, fk.ref_table, column));
    }
    draft.requires_.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
    chain.add(std::move(draft));
  }
  // As for CHECK constraints: a NOT VALID key needs VALIDATE even on an empty
  // table, unless it is desired `validated: false`.
  if (!table.populated && !only_validate) return;
  if (!fk.validated) return;
  auto validate = Builder::make(Phase::Validate, id, "validate " + table.of("foreign key", fk.name),
                                "VALIDATE scans under SHARE UPDATE EXCLUSIVE (ROW SHARE on the "
                                "referenced table): reads and writes go on");
  validate.step.statements = {table.alter() + "VALIDATE CONSTRAINT " + quote_ident(fk.name)};
  builder.statement(validate, Statement::ValidateForeignKey,
                    table.with_referenced(fk.ref_schema, fk.ref_table));
  require_all(validate, needs);
  validate.step.estimated_rows = table.rows;
  if (table.current != nullptr) {
    validate.step.data_checks.push_back(foreign_key_check(
        checked_table(table), fk, builder.at_plan_time(fk.ref_schema, fk.ref_table)));
  }
  chain.add(std::move(validate));
}

StepDraft drop_foreign_key_draft(TableContext& table, const schemas::ForeignKey& fk) {
  auto draft = drop_constraint_draft(table, ObjectKind::ForeignKey, fk.name, fk.columns);
  // A key to a partitioned table has its triggers on every partition: the
  // drop locks them all and goes before a drop of any of them.
  const Targets targets = dropping_foreign_key(table, fk.ref_schema, fk.ref_table);
  table.builder.statement(draft, Statement::DropForeignKey, targets);
  for (const auto& referenced : targets.referenced) {
    draft.releases.push_back(table_token(referenced.schema, referenced.name));
  }
  draft.releases.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
  for (const auto& column : fk.ref_columns) {
    draft.releases.push_back(column_token(fk.ref_schema, fk.ref_table, column));
  }
  return draft;
}

}  // namespace

// A key whose name alone changes is renamed in place, its index with it:
// catalog-only, and foreign keys that reference the key keep it (dropping
// the key, as a rebuild must, fails while they exist). The same for any
// constraint renamed by `renamed_from` whose definition stays. Returns the
// token later steps on the constraint under its new name require.
std::string rename_constraint(TableContext& table, ObjectKind kind, const std::string& from,
                              const std::string& to) {
  const bool key = kind == ObjectKind::PrimaryKey || kind == ObjectKind::UniqueConstraint ||
                   kind == ObjectKind::ExclusionConstraint;
  auto draft = Builder::make(
      Phase::Alter, table.id(kind, to),
      "rename " + table.of(schemas::object_kind_name(kind), from) + " to \"" + to + "\"",
      key ? "RENAME CONSTRAINT renames the constraint and its index in the catalog only"
          : "RENAME CONSTRAINT renames the constraint in the catalog only");
  draft.step.statements = {table.alter() + "RENAME CONSTRAINT " + quote_ident(from) + " TO " +
                           quote_ident(to)};
  table.builder.statement(draft, Statement::RenameConstraint, table.on());
  const std::string token =
      "constraint:" + table.schema + "." + table.desired.name + "." + to;
  draft.provides.push_back(token);
  // The index of a key is a relation: its old name is free, its new one taken.
  if (key) {
    draft.provides.push_back("name:" + table.schema + "." + from);
    draft.requires_.push_back("name:" + table.schema + "." + to);
  }
  table.builder.add(std::move(draft));
  return token;
}

namespace {

// The drop of a key the desired state no longer has, with the foreign keys
// the server ties to it dropped before and added again after, backed by
// the desired key of their columns.
void add_key_drop(TableContext& table, StepDraft draft, const std::vector<std::string>& columns) {
  std::vector<StepDraft> validations =
      recreate_held_foreign_keys(table, draft, foreign_keys_on_key(table, columns));
  Chain chain(table.builder);
  chain.add(std::move(draft));
  for (auto& validation : validations) chain.add(std::move(validation));
}

}  // namespace

void plan_primary_key(TableContext& table) {
  const auto& current = table.current->primary_key;
  const auto& desired = table.desired.primary_key;
  if (current && !desired) {
    auto draft =
        drop_constraint_draft(table, ObjectKind::PrimaryKey, current->name, current->columns);
    table.builder.statement(draft, Statement::DropConstraint, table.on());
    draft.invalidates.push_back(key_token(table.schema, table.desired.name, current->columns));
    for (const auto& column : current->columns) {
      draft.releases.push_back(not_null_token(table.schema, table.desired.name, column));
    }
    add_key_drop(table, std::move(draft), current->columns);
    return;
  }
  if (!desired) return;
  const std::string name = primary_key_name(table.desired);
  if (!current) {
    add_key(table, ObjectKind::PrimaryKey, name, desired->columns, desired->include, false,
            desired->deferrable, desired->initially_deferred, std::nullopt);
  } else if (current->columns != desired->columns || current->include != desired->include ||
             current->deferrable != desired->deferrable ||
             current->initially_deferred != desired->initially_deferred) {
    // A column leaving the key can drop NOT NULL only once the old key is gone.
    std::vector<std::string> released;
    for (const auto& column : current->columns) {
      released.push_back(not_null_token(table.schema, table.desired.name, column));
    }
    add_key(table, ObjectKind::PrimaryKey, name, desired->columns, desired->include, false,
            desired->deferrable, desired->initially_deferred, current->name, released);
  } else if (current->name != name) {
    rename_constraint(table, ObjectKind::PrimaryKey, current->name, name);
  }
  if ((current ? current->comment : std::nullopt) != desired->comment) {
    auto draft =
        Builder::make(Phase::Finalize, table.id(ObjectKind::PrimaryKey, name),
                      "comment on " + table.of("primary key", name), "comments are catalog-only");
    draft.step.statements = {
        comment_sql("CONSTRAINT", quote_ident(name) + " ON " + table.relation, desired->comment)};
    table.builder.statement(draft, Statement::CommentOnTableMember, table.on());
    draft.requires_.push_back(key_token(table.schema, table.desired.name, desired->columns));
    table.builder.add(std::move(draft));
  }
}

void plan_unique_constraints(TableContext& table) {
  for (const auto& [current, desired] :
       match_by_name(&table.current->unique_constraints, table.desired.unique_constraints)) {
    if (desired == nullptr) {
      auto draft = drop_constraint_draft(table, ObjectKind::UniqueConstraint, current->name,
                                         current->columns);
      table.builder.statement(draft, Statement::DropConstraint, table.on());
      draft.invalidates.push_back(key_token(table.schema, table.desired.name, current->columns));
      add_key_drop(table, std::move(draft), current->columns);
      continue;
    }
    if (current != nullptr && current->columns == desired->columns &&
        current->include == desired->include &&
        current->nulls_not_distinct == desired->nulls_not_distinct &&
        current->deferrable == desired->deferrable &&
        current->initially_deferred == desired->initially_deferred) {
      if (current->name != desired->name) {
        rename_constraint(table, ObjectKind::UniqueConstraint, current->name, desired->name);
      }
      continue;
    }
    add_key(table, ObjectKind::UniqueConstraint, desired->name, desired->columns, desired->include,
            desired->nulls_not_distinct, desired->deferrable, desired->initially_deferred,
            current != nullptr ? std::optional<std::string>(current->name) : std::nullopt);
  }
}

// Columns of the current table that the current CHECK `name` uses (from the
// catalog's dependencies) and whose type the plan changes. The server
// rebuilds such a CHECK from its old text after the type change, which fails
// when the text no longer fits the new type (text = ANY (ARRAY['new'::text])
// on an enum column: "operator does not exist").
std::vector<std::string> retyped_columns_of_check(const TableContext& table,
                                                  const std::string& name) {
  std::vector<std::string> columns;
  for (const auto& dependency : table.builder.current().facts.dependencies) {
    const auto& dependent = dependency.dependent;
    if (dependent.kind != ObjectKind::CheckConstraint || dependent.schema != table.schema ||
        dependent.table != table.current->name || dependent.name != name ||
        dependency.referenced.kind != ObjectKind::Table ||
        dependency.referenced.schema != table.schema ||
        dependency.referenced.name != table.current->name || dependency.referenced_column.empty()) {
      continue;
    }
    const auto* before = schemas::find_named(table.current->columns, dependency.referenced_column);
    const auto* after = schemas::find_named(table.desired.columns, dependency.referenced_column);
    if (before != nullptr && after != nullptr &&
        normalize_type(before->type) != normalize_type(after->type)) {
      columns.push_back(after->name);
    }
  }
  std::sort(columns.begin(), columns.end());
  columns.erase(std::unique(columns.begin(), columns.end()), columns.end());
  return columns;
}

void plan_check_constraints(TableContext& table) {
  for (const auto& [current, desired] :
       match_by_name(&table.current->check_constraints, table.desired.check_constraints)) {
    if (desired == nullptr) {
      // The helper of rule 4 is handled by add_not_null when its column still
      // needs it; otherwise it is left over and dropped like any other.
      const bool helper = std::any_of(
          table.desired.columns.begin(), table.desired.columns.end(),
          [&, current = current](const schemas::Column& column) {
            const auto* before = schemas::find_named(table.current->columns, column.name);
            return not_null_helper_name(column.name) == current->name && before != nullptr &&
                   !effective_not_null(*table.current, *before) &&
                   effective_not_null(table.desired, column);
          });
      if (helper) continue;
      auto draft = drop_constraint_draft(table, ObjectKind::CheckConstraint, current->name, {});
      if (is_partition_helper_check(current->name)) {
        // Rule 14's CHECK, left by an attach or detach that stopped before
        // dropping it: dropped before this plan adds it again, if it does.
        draft.step.rationale =
            "rule 14: a CHECK pgshift adds for an attach or detach and drops after it, left by "
            "a plan that stopped in between; it holds no data";
        draft.provides.push_back(
            helper_check_token(table.schema, table.current->name, current->name));
        table.builder.statement(draft, Statement::DropAttachCheck, table.on());
      } else {
        table.builder.statement(draft, Statement::DropConstraint, table.on());
      }
      // Before the drop of a routine it calls.
      for (auto& token : routine_release_tokens(dropped_routines_of(
               table.builder, {ObjectKind::CheckConstraint, table.schema, table.current->name,
                               current->name}))) {
        draft.releases.push_back(std::move(token));
      }
      // Before a drop of a column it uses: DROP COLUMN drops the constraint too.
      const auto words = expression_words(current->expression);
      for (const auto& column : table.current->columns) {
        if (words.count(column.name) != 0) {
          draft.releases.push_back(column_token(table.schema, table.current->name, column.name));
        }
      }
      table.builder.add(std::move(draft));
    } else if (current == nullptr) {
      add_check(table, *desired, std::nullopt, false);
    } else if (const auto blocking = dropped_routines_of(
                   table.builder, {ObjectKind::CheckConstraint, table.schema, table.current->name,
                                   current->name});
               !blocking.empty()) {
      // It calls a routine the plan drops (or drops and creates): dropped
      // before the routine, added again after it, NOT VALID then VALIDATE:
      // in the routine's step when the order allows
      // (fuse_routine_dependents); else in steps of their own, new rows
      // unchecked in between (VALIDATE checks them).
      auto draft = drop_constraint_draft(table, ObjectKind::CheckConstraint, current->name,
                                         retyped_columns_of_check(table, current->name));
      draft.step.summary = "drop (to add again) " + table.of("check constraint", current->name);
      draft.step.rationale = "it calls " + routines_text(blocking) +
                             " (dropped or replaced by drop and create): drop it first, add it "
                             "again after";
      table.builder.statement(draft, Statement::DropConstraintToAddAgain, table.on());
      for (auto& token : routine_release_tokens(blocking)) {
        draft.releases.push_back(std::move(token));
      }
      mark_around_routines(draft, blocking, false);
      table.builder.add(std::move(draft));
      const auto added =
          add_check(table, *desired, std::nullopt, false, routine_name_tokens(blocking));
      if (added) mark_around_routines(table.builder.at(*added), blocking, true);
    } else if (normalize_expression(current->expression) !=
                   normalize_expression(desired->expression) ||
               current->no_inherit != desired->no_inherit) {
      // (Renamed too: the old one is dropped by its name and the new one added.)
      const auto retyped = retyped_columns_of_check(table, current->name);
      if (retyped.empty()) {
        add_check(table, *desired, current->name, false);
        continue;
      }
      // Dropped before the type change (it releases the retyped columns),
      // added again after it: new rows are unchecked in between, and the
      // VALIDATE that follows checks every row.
      auto draft =
          drop_constraint_draft(table, ObjectKind::CheckConstraint, current->name, retyped);
      draft.step.summary = "drop (to add again) " + table.of("check constraint", current->name);
      draft.step.rationale =
          "it uses a column whose type changes, and its definition changes with the type: the "
          "server could not rebuild it from the old one; it is added again after the type change";
      table.builder.statement(draft, Statement::DropConstraintToReplace, table.on());
      table.builder.add(std::move(draft));
      add_check(table, *desired, std::nullopt, false);
    } else {
      std::vector<std::string> renamed;
      if (current->name != desired->name) {
        renamed.push_back(rename_constraint(table, ObjectKind::CheckConstraint, current->name,
                                            desired->name));
      }
      if (!current->validated && desired->validated) {
        add_check(table, *desired, std::nullopt, true, renamed);
      }
    }
  }
}

namespace {

// Whether the partition's own foreign key `own` becomes the copy of a key
// the plan adds to one of its parents (at any level), whose ADD attaches it:
// then it is not dropped.
bool attached_by_a_parent(const TableContext& table, const schemas::ForeignKey& own) {
  const schemas::Table* partition = &table.desired;
  while (partition->partition_of) {
    const auto& parent_of = *partition->partition_of;
    const auto* parent = schemas::find_table(table.builder.desired(), parent_of.parent_schema,
                                             parent_of.parent_table);
    if (parent == nullptr) return false;
    const auto* current_parent = schemas::find_table(
        table.builder.current(), parent_of.parent_schema, parent_of.parent_table);
    const auto matches = [&](const schemas::ForeignKey& candidate) {
      return same_foreign_key(candidate, own);
    };
    if (std::any_of(parent->foreign_keys.begin(), parent->foreign_keys.end(), matches) &&
        (current_parent == nullptr ||
         std::none_of(current_parent->foreign_keys.begin(), current_parent->foreign_keys.end(),
                      matches))) {
      return true;
    }
    partition = parent;
  }
  return false;
}

}  // namespace

void plan_foreign_keys(TableContext& table) {
  for (const auto& [current, desired] : match_by_name(
           table.current ? &table.current->foreign_keys : nullptr, table.desired.foreign_keys)) {
    if (desired == nullptr) {
      if (attached_by_a_parent(table, *current)) continue;
      table.builder.add(drop_foreign_key_draft(table, *current));
    } else if (current == nullptr) {
      add_foreign_key(table, *desired, nullptr, false);
    } else if (!same_foreign_key(*current, *desired)) {
      add_foreign_key(table, *desired, current, false);
    } else {
      std::vector<std::string> renamed;
      if (current->name != desired->name) {
        renamed.push_back(
            rename_constraint(table, ObjectKind::ForeignKey, current->name, desired->name));
      }
      if (!current->validated && desired->validated) {
        add_foreign_key(table, *desired, nullptr, true, renamed);
      }
    }
  }
}

}  // namespace pgshift::planner::detail
