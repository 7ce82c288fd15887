// Rules 1-4, 9, 10 and 12 for columns: add (catalog-only, default, backfill),
// rename, change type, default, NOT NULL, identity, comment, drop. Each
// function expands one change into steps; the comment above it says which
// rule and why the sequence is safe.
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
// Rule 12: a backfill is a step of its own, batched by key (keyset) or by block.
// ---------------------------------------------------------------------------

// The key to batch on: the primary key, else the first unique constraint,
// else the first plain unique index (no predicate, no expression, default
// opclasses and collations), whose columns are all NOT NULL, whatever their
// types and number. Empty when there is none: the backfill then goes by
// heap blocks (ctid ranges).
std::vector<std::string> backfill_key(const schemas::Table& table) {
  auto not_null = [&table](const std::vector<std::string>& columns) {
    return !columns.empty() && std::all_of(columns.begin(), columns.end(), [&](const auto& name) {
      const auto* column = schemas::find_named(table.columns, name);
      return column != nullptr && column->not_null;
    });
  };
  if (table.primary_key && !table.primary_key->columns.empty()) return table.primary_key->columns;
  for (const auto& unique : table.unique_constraints) {
    if (!unique.nulls_not_distinct && not_null(unique.columns)) return unique.columns;
  }
  for (const auto& index : table.indexes) {
    if (!index.unique || !index.valid || index.method != "btree" || index.where) continue;
    std::vector<std::string> columns;
    for (const auto& key : index.keys) {
      if (!key.column || key.opclass || key.collation) break;
      columns.push_back(*key.column);
    }
    if (columns.size() == index.keys.size() && not_null(columns)) return columns;
  }
  return {};
}

}  // namespace

// Returns false (with an Error diagnostic) when the table cannot be batched.
bool add_backfill(TableContext& table, Chain& chain, const std::string& column,
                  const std::string& expression, const std::optional<std::string>& where) {
  const std::vector<std::string> key = backfill_key(*table.current);
  if (key.empty() && table.current->partition_by) {
    // Block numbers repeat in every partition: a range of them is no batch.
    table.builder.diagnose(plans::Severity::Error, table.id(ObjectKind::Column, column),
                           "cannot backfill " + table.of("column", column) + " in batches: " +
                               label("table", table.schema, table.current->name) +
                               " is partitioned and has no primary key or unique not-null key");
    return false;
  }
  std::string by;
  for (const auto& name : key) by += (by.empty() ? "" : ", ") + name;
  auto draft = Builder::make(
      Phase::Backfill, table.id(ObjectKind::Column, column),
      "backfill " + table.of("column", column),
      key.empty() ? "existing rows get the value in short batches by block (the table has no "
                    "key), one commit each: no long lock, no table rewrite"
                  : "existing rows get the value in short batches in order of (" + by +
                        "), one commit each: no long lock, no table rewrite");
  plans::BackfillSpec spec;
  spec.schema = table.schema;
  spec.table = table.desired.name;
  spec.key_columns = key;
  spec.set_column = column;
  spec.set_expression = expression;
  spec.where = where ? *where : quote_ident(column) + " IS NULL";
  spec.batch_size =
      table.desired.backfill_batch_size.value_or(table.builder.options().default_batch_size);
  draft.step.backfill = spec;
  // Each batch is an UPDATE: the table's row triggers on UPDATE (of the
  // column, or of any) fire for every row it changes, pgshift's own
  // expand/contract sync trigger apart.
  std::vector<std::string> fired;
  for (const auto& trigger : table.current->triggers) {
    const bool on_update =
        std::find(trigger.events.begin(), trigger.events.end(), "UPDATE") != trigger.events.end();
    const bool of_column = trigger.update_of.empty() ||
                           std::find(trigger.update_of.begin(), trigger.update_of.end(), column) !=
                               trigger.update_of.end();
    const bool ours =
        trigger.function.rfind(std::string(schemas::kSyncFunctionSchema) + ".", 0) == 0;
    if (trigger.for_each_row && on_update && of_column && !ours) fired.push_back(trigger.name);
  }
  if (!fired.empty()) {
    const bool one = fired.size() == 1;
    std::string names;
    for (const auto& name : fired) names += (names.empty() ? "\"" : ", \"") + name + "\"";
    table.builder.diagnose(
        plans::Severity::Warning, table.id(ObjectKind::Column, column),
        "the backfill of " + table.of("column", column) + " updates every existing row, and the " +
            (one ? "row trigger " : "row triggers ") + names + " on UPDATE of " +
            label("table", table.schema, table.current->name) + (one ? " fires" : " fire") +
            " for each row the backfill changes (unless a WHEN excludes the row): what " +
            (one ? "it writes" : "they write") +
            " (an updated_at, an audit row) is written for every row");
  }
  table.builder.statement(draft, Statement::BackfillBatch, table.on());
  draft.requires_.push_back(table.column_token_of(column));
  draft.step.estimated_rows = table.rows;
  chain.add(std::move(draft));
  return true;
}

// ---------------------------------------------------------------------------
// Rule 4: NOT NULL on a populated table without a long ACCESS EXCLUSIVE scan.
// ---------------------------------------------------------------------------

void add_not_null(TableContext& table, Chain& chain, const std::string& column,
                  const std::optional<std::string>& fill, bool column_is_new) {
  const ObjectId id = table.id(ObjectKind::Column, column);
  const std::string col = quote_ident(column);
  if (!table.populated) {
    auto draft = Builder::make(Phase::Validate, id, "set NOT NULL on " + table.of("column", column),
                               "the table is empty: the check scans nothing");
    draft.step.statements = {table.alter() + "ALTER COLUMN " + col + " SET NOT NULL"};
    table.builder.statement(draft, Statement::SetNotNull, table.on());
    draft.requires_.push_back(table.column_token_of(column));
    draft.provides.push_back(not_null_token(table.schema, table.desired.name, column));
    chain.add(std::move(draft));
    return;
  }
  // A helper CHECK left by an interrupted run is reused, not added again.
  const std::string helper = not_null_helper_name(column);
  const auto* existing = schemas::find_named(table.current->check_constraints, helper);
  const std::string quoted_helper = quote_ident(helper);
  if (existing == nullptr) {
    auto add = Builder::make(Phase::Constrain, id,
                             "add CHECK (" + column + " IS NOT NULL) NOT VALID to " +
                                 label("table", table.schema, table.desired.name),
                             "NOT VALID skips the scan: the ACCESS EXCLUSIVE lock is brief");
    add.step.statements = {table.alter() + "ADD CONSTRAINT " + quoted_helper + " CHECK (" + col +
                           " IS NOT NULL) NOT VALID"};
    table.builder.statement(add, Statement::AddCheckNotValid, table.on());
    add.requires_.push_back(table.column_token_of(column));
    chain.add(std::move(add));
  }
  if (existing == nullptr || !existing->validated) {
    auto validate =
        Builder::make(Phase::Validate, id,
                      "validate CHECK (" + column + " IS NOT NULL) on " +
                          label("table", table.schema, table.desired.name),
                      "VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on");
    validate.step.statements = {table.alter() + "VALIDATE CONSTRAINT " + quoted_helper};
    table.builder.statement(validate, Statement::ValidateCheck, table.on());
    validate.step.estimated_rows = table.rows;
    validate.step.data_checks.push_back(
        not_null_check(checked_table(table), column, fill, column_is_new));
    chain.add(std::move(validate));
  }
  const bool proved_by_check = table.builder.version() >= 120000;
  auto set = Builder::make(
      Phase::Validate, id, "set NOT NULL on " + table.of("column", column),
      proved_by_check ? "PostgreSQL 12+ skips the scan: the valid CHECK proves no NULLs"
                      : "before PostgreSQL 12 SET NOT NULL scans the whole table under ACCESS "
                        "EXCLUSIVE even with a valid CHECK");
  set.step.statements = {table.alter() + "ALTER COLUMN " + col + " SET NOT NULL"};
  table.builder.statement(set, Statement::SetNotNullProvedByCheck, table.on());
  if (!proved_by_check) set.step.estimated_rows = table.rows;
  set.provides.push_back(not_null_token(table.schema, table.desired.name, column));
  chain.add(std::move(set));
  auto drop =
      Builder::make(Phase::Validate, id, "drop the helper CHECK of " + table.of("column", column),
                    "the NOT NULL attribute now enforces it");
  drop.step.statements = {table.alter() + "DROP CONSTRAINT " + quoted_helper};
  table.builder.statement(drop, Statement::DropConstraintToReplace, table.on());
  chain.add(std::move(drop));
}

namespace {

// ---------------------------------------------------------------------------
// Defaults that call routines (by the catalog's dependencies: pg_depend of
// pg_attrdef on pg_proc).
// ---------------------------------------------------------------------------

// What the default of `column` of `table` in `db` calls, as tokens
// ("func:s.f" and "routine:s.f(integer)"); empty for a model not read from
// a server.
std::vector<std::string> default_uses(const Builder& builder, const schemas::Database& db,
                                      const std::string& schema, const std::string& table,
                                      const std::string& column) {
  std::vector<std::string> tokens;
  for (const auto* dependency :
       builder.dependencies_of(db, {ObjectKind::Column, schema, table, column})) {
    for (auto& token : referenced_tokens(*dependency)) tokens.push_back(std::move(token));
  }
  return tokens;
}

// The routines the current default of `column` calls that the plan drops or
// replaces by drop and create (the server refuses that under the default:
// 2BP01).
std::vector<ObjectId> dropped_routines_of_default(const TableContext& table,
                                                  const std::string& column) {
  return dropped_routines_of(table.builder,
                             {ObjectKind::Column, table.schema, table.current->name, column});
}

// ---------------------------------------------------------------------------
// Rules 1-3: new columns.
// ---------------------------------------------------------------------------

void add_column(TableContext& table, const schemas::Column& column) {
  Builder& builder = table.builder;
  const ObjectId id = table.id(ObjectKind::Column, column.name);
  const bool not_null = effective_not_null(table.desired, column);
  const bool is_volatile = builder.options().desired_volatile_defaults.count(
                               table.schema + "." + table.desired.name + "." + column.name) != 0;
  const std::string summary = "add " + table.of("column", column.name);
  Chain chain(builder);
  auto base = [&](std::string rationale, Statement statement = Statement::AddColumn) {
    auto draft = Builder::make(Phase::Create, id, summary, std::move(rationale));
    builder.statement(draft, statement, table.on());
    draft.provides.push_back(table.column_token_of(column.name));
    require_all(draft, type_tokens(column.type, table.schema));
    require_sequences(draft, table.schema, column.default_expr);
    require_all(draft, default_uses(builder, builder.desired(), table.schema, table.desired.name,
                                    column.name));
    return draft;
  };
  const bool derived = column.generated || column.identity != schemas::IdentityKind::None;
  if (table.populated && !derived && not_null && !column.default_expr && !column.backfill) {
    builder.diagnose(plans::Severity::Error, id,
                     table.of("column", column.name) +
                         " is NOT NULL but has neither a default nor a backfill value for the "
                         "existing rows");
    return;
  }
  if (!table.populated || derived) {
    auto draft =
        base(table.populated ? "a generated or identity column computes every existing row: "
                               "PostgreSQL rewrites the table"
                             : "the table is empty: adding the column touches the catalog only",
             derived || (column.default_expr && is_volatile) ? Statement::AddColumnRewrite
                                                             : Statement::AddColumn);
    draft.step.statements = {table.alter() + "ADD COLUMN " +
                             column_definition(column, true, not_null)};
    if (table.populated) draft.step.estimated_rows = table.rows;
    if (not_null)
      draft.provides.push_back(not_null_token(table.schema, table.desired.name, column.name));
    chain.add(std::move(draft));
  } else if (!column.default_expr && !not_null && !column.backfill) {
    auto draft = base("rule 1: a nullable column without default is a catalog-only change");
    draft.step.statements = {table.alter() + "ADD COLUMN " +
                             column_definition(column, false, false)};
    chain.add(std::move(draft));
  } else if (column.default_expr && !is_volatile && !column.backfill &&
             builder.version() >= 110000) {
    auto draft =
        base("rule 2: PostgreSQL 11+ stores a non-volatile default in the catalog: no rewrite");
    draft.step.statements = {table.alter() + "ADD COLUMN " +
                             column_definition(column, true, not_null)};
    if (not_null)
      draft.provides.push_back(not_null_token(table.schema, table.desired.name, column.name));
    chain.add(std::move(draft));
  } else {
    // Rules 2 (before 11) and 3: nullable column, default for new rows,
    // batched backfill for existing ones, then NOT NULL by rule 4.
    auto draft = base(is_volatile ? "rule 3: a volatile default would rewrite every row; add the "
                                    "column nullable, then backfill"
                      : column.backfill && column.default_expr
                          ? "existing rows get the backfill value, new rows the default: add "
                            "nullable, then backfill"
                      : column.backfill ? "existing rows get the backfill value; new rows get what "
                                          "their INSERT writes (no default): add nullable, then "
                                          "backfill"
                                        : "before PostgreSQL 11 a default rewrites the table; add "
                                          "the column nullable, then backfill");
    draft.step.statements = {table.alter() + "ADD COLUMN " +
                             column_definition(column, false, false)};
    chain.add(std::move(draft));
    if (column.default_expr) {
      auto set_default =
          Builder::make(Phase::Alter, id, "set the default of " + table.of("column", column.name),
                        "new rows get the default while existing rows are "
                        "backfilled");
      set_default.step.statements = {table.alter() + "ALTER COLUMN " + quote_ident(column.name) +
                                     " SET DEFAULT " + *column.default_expr};
      builder.statement(set_default, Statement::SetDefault, table.on());
      set_default.requires_.push_back(table.column_token_of(column.name));
      set_default.provides.push_back(default_set_token(table.schema, table.desired.name, column.name));
      chain.add(std::move(set_default));
    }
    if (not_null && !column.default_expr) {
      // Rows inserted while the backfill runs are the application's: without
      // a default they stay NULL unless it writes the column; pgshift apply
      // runs the backfill again over them before the VALIDATE
      // (Applier::catch_up_backfills), and the check refuses new ones.
      builder.diagnose(
          plans::Severity::Warning, id,
          table.of("column", column.name) +
              " is NOT NULL without a default: an INSERT that leaves it out fails from the step "
              "that adds its NOT NULL check (NOT VALID) on (rows inserted without it before "
              "then get the backfill value: pgshift apply runs the backfill again over them "
              "before the VALIDATE): deploy the application that writes it before applying, or "
              "give it a default");
    }
    const auto fill = column.backfill ? column.backfill : column.default_expr;
    bool filled = false;
    if (fill) filled = add_backfill(table, chain, column.name, *fill, std::nullopt);
    if (not_null && filled) add_not_null(table, chain, column.name, fill, true);
  }
  plan_column_settings(table, &chain, nullptr, column);
  if (column.comment) {
    auto comment =
        Builder::make(Phase::Finalize, id, "comment on " + table.of("column", column.name),
                      "comments are catalog-only");
    comment.step.statements = {
        comment_sql("COLUMN", table.relation + "." + quote_ident(column.name), column.comment)};
    builder.statement(comment, Statement::CommentOnTableMember, table.on());
    comment.requires_.push_back(table.column_token_of(column.name));
    chain.add(std::move(comment));
  }
}

// ---------------------------------------------------------------------------
// Rule 9: column type changes.
// ---------------------------------------------------------------------------

// Changes the column's type. A default whose text changes with the type
// ('new'::text becoming 'new'::status) is one the server may not cast
// automatically ("default for column ... cannot be cast automatically"):
// it is dropped before the type change and set after, in the same
// transaction. Returns true when the step set the desired default that way.
// A generated column stops using the columns of its expression (it is
// dropped or made plain): before their type changes, which it would block.
void release_generation_inputs(const TableContext& table, StepDraft& draft,
                               const schemas::Column& column) {
  if (!column.generated) return;
  const auto words = expression_words(*column.generated);
  for (const auto& other : table.current->columns) {
    if (other.name != column.name && words.count(other.name) != 0) {
      draft.releases.push_back(table.column_token_of(other.name));
    }
  }
}

// The table as the target of a type change of its column `column`, with the
// other table of every foreign key on the column (it references, or is
// referenced through, the column) as Target::Referenced, partitions
// included: the server drops and adds those keys again, locking both sides.
Targets with_foreign_key_partners(const TableContext& table, const std::string& column) {
  Targets targets = table.on();
  const auto add = [&](const std::string& schema, const std::string& name) {
    for (auto& relation : table.builder.with_partitions(schema, name)) {
      if (relation.schema == table.schema && relation.name == table.current->name) continue;
      const bool known = std::any_of(
          targets.referenced.begin(), targets.referenced.end(), [&](const QualifiedName& other) {
            return other.schema == relation.schema && other.name == relation.name;
          });
      if (!known) targets.referenced.push_back(std::move(relation));
    }
  };
  const auto has = [&](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), column) != columns.end();
  };
  for (const auto& fk : table.current->foreign_keys) {
    if (has(fk.columns)) add(fk.ref_schema, fk.ref_table);
  }
  for (const auto& schema : table.builder.current().schemas) {
    for (const auto& other : schema.tables) {
      for (const auto& fk : other.foreign_keys) {
        if (fk.ref_schema == table.schema && fk.ref_table == table.current->name &&
            has(fk.ref_columns)) {
          add(schema.name, other.name);
        }
      }
    }
  }
  return targets;
}

bool alter_column_type(TableContext& table, Chain& chain, const schemas::Column& current,
                       const schemas::Column& desired,
                       const std::vector<const schemas::Column*>& regenerated) {
  Builder& builder = table.builder;
  const std::string from = normalize_type(current.type);
  const std::string to = normalize_type(desired.type);
  // A `using:` expression converts every value: always a rewrite.
  const bool no_rewrite =
      !desired.using_expr &&
      (from == to || planner::type_change_without_rewrite(from, to, builder.current().facts));
  const std::string col = quote_ident(desired.name);
  auto draft = Builder::make(Phase::Alter, table.id(ObjectKind::Column, desired.name),
                             "change the type of " + table.of("column", desired.name) + " from " +
                                 current.type + " to " + desired.type,
                             no_rewrite ? "rule 9: the new type stores the same bytes: no rewrite"
                             : table.populated
                                 ? "rule 9: the cast must convert every row: the table and its "
                                   "indexes are rewritten under ACCESS EXCLUSIVE"
                                 : "the table is empty: the rewrite has nothing to copy");
  table.retyped[desired.name] = desired.type;
  std::string statement = "ALTER COLUMN " + col + " TYPE " + desired.type +
                          collate_clause(desired.collation);
  if (desired.using_expr) {
    statement += " USING (" + *desired.using_expr + ")";
    draft.step.rationale += "; existing values are converted by the using: expression";
  } else if (!no_rewrite) {
    statement += " USING " + col + "::" + desired.type;
  }
  // Generated columns over it: the server refuses the change under them.
  // They are dropped and added again in the same ALTER TABLE (one rewrite,
  // which computes them from the new values); nothing else may use them.
  std::string dropped_generated;
  std::string added_generated;
  for (const schemas::Column* generated : regenerated) {
    dropped_generated += "DROP COLUMN " + quote_ident(generated->name) + ",\n  ";
    added_generated += ",\n  ADD COLUMN " + column_definition(*generated, false,
                                                     effective_not_null(table.desired, *generated));
    builder.statement(draft, Statement::DropGeneratedColumnToAddAgain, table.on());
    builder.statement(draft, Statement::AddColumnRewrite, table.on());
  }
  if (!regenerated.empty()) {
    statement = dropped_generated + statement + added_generated;
    draft.step.rationale += "; the generated columns over it are dropped and added again in the "
                            "same statement, computed from the new values";
  }
  statement = regenerated.empty() ? table.alter() + statement
                                  : "ALTER TABLE " + table.relation + "\n  " + statement;
  const bool around_default =
      current.default_expr &&
      (!desired.default_expr ||
       normalize_expression(*current.default_expr) != normalize_expression(*desired.default_expr));
  if (around_default) {
    draft.step.statements.push_back(table.alter() + "ALTER COLUMN " + col + " DROP DEFAULT");
    builder.statement(draft, Statement::DropDefault, table.on());
    draft.step.rationale += "; its default is dropped first and set again after, in the same "
                            "transaction: the server cannot cast it to the new type";
  }
  // Triggers whose WHEN or UPDATE OF uses the column (by the catalog's
  // dependencies; by the words of WHEN for a model not read from a server):
  // the server refuses to change the type under them. Dropped before and
  // created again after, in the same transaction: no write goes by without
  // them. (One the plan drops goes in an earlier step: its drop releases the
  // column.)
  std::vector<const schemas::Trigger*> triggers_around;
  for (const auto& trigger : table.current->triggers) {
    if (!trigger_uses_column(builder, builder.current(), table.schema, table.current->name, trigger,
                             current.name)) {
      continue;
    }
    const auto* wanted = schemas::find_named(table.desired.triggers, trigger.name);
    if (wanted == nullptr) continue;
    triggers_around.push_back(wanted);
    draft.step.statements.push_back("DROP TRIGGER " + quote_ident(trigger.name) + " ON " +
                                    table.relation);
    builder.statement(draft, Statement::DropTriggerToReplace, table.on());
  }
  if (!triggers_around.empty()) {
    draft.step.rationale += "; the triggers using it are dropped first and created again after, "
                            "in the same transaction: the server refuses the change under them";
  }
  draft.step.statements.push_back(statement);
  builder.statement(draft,
                    no_rewrite ? Statement::AlterColumnType : Statement::AlterColumnTypeRewrite,
                    with_foreign_key_partners(table, current.name));
  // The generated columns added again: their comments, STORAGE and
  // STATISTICS (COMPRESSION is in their ADD COLUMN), in the same step.
  for (const schemas::Column* generated : regenerated) {
    if (generated->comment) {
      draft.step.statements.push_back(comment_sql(
          "COLUMN", table.relation + "." + quote_ident(generated->name), generated->comment));
      builder.statement(draft, Statement::CommentOnTableMember, table.on());
    }
    const schemas::ColumnSettings added{generated->name, std::nullopt, generated->compression,
                                        std::nullopt};
    add_column_settings(
        builder, settings_place(table, generated->name, ""), added,
        {generated->name, generated->storage, generated->compression, generated->statistics},
        draft);
  }
  for (const schemas::Trigger* trigger : triggers_around) {
    draft.step.statements.push_back(
        trigger_sql(table.relation, *trigger, false, builder.version()));
    builder.statement(draft, Statement::CreateTrigger, table.on());
    draft.requires_.push_back("func:" + trigger->function);
  }
  if (around_default && desired.default_expr) {
    draft.step.statements.push_back(table.alter() + "ALTER COLUMN " + col + " SET DEFAULT " +
                                    *desired.default_expr);
    builder.statement(draft, Statement::SetDefault, table.on());
    require_sequences(draft, table.schema, desired.default_expr);
  }
  if (around_default) {
    draft.provides.push_back(default_set_token(table.schema, table.desired.name, desired.name));
    release_sequences(draft, table.schema, current.default_expr);
  }
  if (!no_rewrite && table.populated) {
    draft.step.estimated_rows = table.rows;
    // To a domain: the conversion to its base type, then its constraints,
    // each with its count and examples.
    std::string domain_schema;
    const schemas::Domain* domain =
        domain_of_type(builder.desired(), desired.type, table.schema, domain_schema);
    const std::string cast_to = domain ? normalize_type(domain->base_type) : to;
    const bool converts = desired.using_expr || from != cast_to;
    if (converts) {
      draft.step.data_checks.push_back(cast_check(checked_table(table), current.name,
                                                  desired.name, from, cast_to, builder.version(),
                                                  desired.using_expr));
    }
    if (domain) {
      const std::string what = "domain \"" + domain_schema + "." + domain->name + "\"";
      const std::optional<std::string> convert =
          converts ? std::optional<std::string>(domain->base_type) : std::nullopt;
      if (domain->not_null) {
        draft.step.data_checks.push_back(domain_check(checked_table(table), current.name,
                                                      desired.name, what, std::nullopt, convert,
                                                      desired.using_expr));
      }
      for (const auto& check : domain->checks) {
        draft.step.data_checks.push_back(domain_check(checked_table(table), current.name,
                                                      desired.name, what, check, convert,
                                                      desired.using_expr));
      }
    }
  }
  const std::string token = table.column_token_of(desired.name);
  draft.requires_.push_back(token);
  draft.invalidates.push_back(token);
  draft.provides.push_back(token);
  builder.invalidate(token);
  require_all(draft, type_tokens(desired.type, table.schema));
  for (const auto& type : type_tokens(current.type, table.schema)) draft.releases.push_back(type);
  chain.add(std::move(draft));
  return around_default;
}

// What, besides the table itself, uses column `name` (an index, a key, a
// CHECK, a foreign key, a trigger, a view); empty when nothing does.
std::string regeneration_blocker(const TableContext& table, const std::string& name) {
  const auto words_use = [&](const std::optional<std::string>& text) {
    return text && expression_words(*text).count(name) != 0;
  };
  const auto has = [&](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), name) != columns.end();
  };
  const schemas::Table& current = *table.current;
  for (const auto& index : current.indexes) {
    bool uses = words_use(index.where) || has(index.include);
    for (const auto& key : index.keys) {
      uses = uses || (key.column && *key.column == name) || words_use(key.expression);
    }
    if (uses) return table.of("index", index.name);
  }
  if (current.primary_key && (has(current.primary_key->columns) ||
                              has(current.primary_key->include))) {
    return table.of("primary key", current.primary_key->name);
  }
  for (const auto& unique : current.unique_constraints) {
    if (has(unique.columns) || has(unique.include)) return table.of("unique constraint", unique.name);
  }
  for (const auto& check : current.check_constraints) {
    if (words_use(check.expression)) return table.of("check constraint", check.name);
  }
  for (const auto& fk : current.foreign_keys) {
    if (has(fk.columns)) return table.of("foreign key", fk.name);
  }
  for (const auto& trigger : current.triggers) {
    if (trigger_uses_column(table.builder, table.builder.current(), table.schema, current.name,
                            trigger, name)) {
      return table.of("trigger", trigger.name);
    }
  }
  for (const auto& dependency : table.builder.current().facts.dependencies) {
    if (dependency.referenced.schema == table.schema &&
        dependency.referenced.name == current.name && dependency.referenced_column == name &&
        dependency.dependent.kind != ObjectKind::Table) {
      return label(schemas::object_kind_name(dependency.dependent.kind),
                   dependency.dependent.schema, dependency.dependent.name);
    }
  }
  return {};
}

// ---------------------------------------------------------------------------
// Existing columns: rename, type, default, NOT NULL, identity, comment.
// ---------------------------------------------------------------------------

// SET DEFAULT, or DROP DEFAULT when `desired` has none, on the column
// `desired` names.
StepDraft default_draft(TableContext& table, const schemas::Column& desired,
                        const std::string& rationale) {
  auto draft = Builder::make(Phase::Alter, table.id(ObjectKind::Column, desired.name),
                             (desired.default_expr ? "set the default of " : "drop the default of ") +
                                 table.of("column", desired.name),
                             rationale);
  draft.step.statements = {table.alter() + "ALTER COLUMN " + quote_ident(desired.name) +
                           (desired.default_expr ? " SET DEFAULT " + *desired.default_expr
                                                 : std::string(" DROP DEFAULT"))};
  table.builder.statement(
      draft, desired.default_expr ? Statement::SetDefault : Statement::DropDefault, table.on());
  draft.requires_.push_back(table.column_token_of(desired.name));
  draft.provides.push_back(default_set_token(table.schema, table.desired.name, desired.name));
  require_sequences(draft, table.schema, desired.default_expr);
  return draft;
}

StepDraft drop_not_null_draft(TableContext& table, const std::string& column,
                              const std::string& rationale) {
  auto draft = Builder::make(Phase::Alter, table.id(ObjectKind::Column, column),
                             "drop NOT NULL of " + table.of("column", column), rationale);
  draft.step.statements = {table.alter() + "ALTER COLUMN " + quote_ident(column) +
                           " DROP NOT NULL"};
  table.builder.statement(draft, Statement::DropNotNull, table.on());
  draft.invalidates.push_back(not_null_token(table.schema, table.desired.name, column));
  draft.provides.push_back(nullable_token(table.schema, table.desired.name, column));
  return draft;
}

void alter_column(TableContext& table, const schemas::Column& current,
                  const schemas::Column& desired,
                  const std::vector<const schemas::Column*>& regenerated) {
  Builder& builder = table.builder;
  const ObjectId id = table.id(ObjectKind::Column, desired.name);
  const std::string col = quote_ident(desired.name);
  Chain chain(builder);
  // Renamed: here, or in current() already (assume_column_renames).
  const std::string old_name =
      current.name != desired.name
          ? current.name
          : builder.column_renamed_from(table.schema, table.desired.name, desired.name)
                .value_or(desired.name);
  if (old_name != desired.name) {
    auto rename =
        Builder::make(Phase::Create, id,
                      "rename " + table.of("column", old_name) + " to \"" + desired.name + "\"",
                      "renamed_from: application versions using the old name break; what uses "
                      "the column (keys, indexes, CHECKs, policies, views) follows it in the "
                      "catalog");
    rename.step.statements = {table.alter() + "RENAME COLUMN " + quote_ident(old_name) + " TO " +
                              col};
    builder.statement(rename, Statement::RenameColumn, table.on());
    rename.provides.push_back(table.column_token_of(desired.name));
    rename.requires_.push_back("column:" + table.schema + "." + table.desired.name + "." +
                               old_name);
    chain.add(std::move(rename));
  }
  // A default calling a routine that the plan drops, or drops and creates
  // (its signature changes): dropped before the routine, and set again after
  // it is created: in the routine's own step (fuse_routine_dependents)
  // when the order allows, else in steps of their own (dependent_recreated).
  const std::vector<ObjectId> blocking = current.default_expr
                                             ? dropped_routines_of_default(table, current.name)
                                             : std::vector<ObjectId>{};
  const bool default_blocked = !blocking.empty();
  if (default_blocked) {
    const std::string uses = routines_text(blocking);
    auto draft = Builder::make(
        Phase::Alter, id,
        std::string(desired.default_expr ? "drop (to set again) the default of "
                                         : "drop the default of ") +
            table.of("column", desired.name),
        "it calls " + uses + " (dropped or replaced by drop and create): drop it first" +
            (desired.default_expr ? ", set it again after" : ""));
    draft.step.statements = {table.alter() + "ALTER COLUMN " + col + " DROP DEFAULT"};
    builder.statement(
        draft, desired.default_expr ? Statement::DropDefaultToSetAgain : Statement::DropDefault,
        table.on());
    draft.releases =
        default_uses(builder, builder.current(), table.schema, table.current->name, current.name);
    release_sequences(draft, table.schema, current.default_expr);
    if (desired.default_expr) mark_around_routines(draft, blocking, false);
    chain.add(std::move(draft));
  }
  schemas::Column before = current;
  if (default_blocked) before.default_expr.reset();
  bool default_done = false;
  // ALTER COLUMN TYPE puts STORAGE back to the new type's default and
  // clears COMPRESSION (tablecmds.c ATExecAlterColumnType); the statistics
  // target stays.
  schemas::Column settings = current;
  if (normalize_type(current.type) != normalize_type(desired.type) ||
      current.collation != desired.collation) {
    default_done = alter_column_type(table, chain, before, desired, regenerated);
    settings.storage.reset();
    settings.compression.reset();
  }
  plan_column_settings(table, &chain, &settings, desired);
  if (current.generated && !desired.generated && builder.version() < 130000) {
    // ALTER COLUMN ... DROP EXPRESSION is PostgreSQL 13+.
    builder.diagnose(plans::Severity::Error, id,
                     "cannot make generated " + table.of("column", desired.name) +
                         " a plain column on PostgreSQL " + std::to_string(builder.version() / 10000) +
                         " (DROP EXPRESSION is 13+); add a new column and drop the old one");
  } else if (current.generated && !desired.generated) {
    auto draft = Builder::make(Phase::Alter, id,
                               "make " + table.of("column", desired.name) + " a plain column",
                               "DROP EXPRESSION keeps the stored values: catalog-only");
    draft.step.statements = {table.alter() + "ALTER COLUMN " + col + " DROP EXPRESSION"};
    builder.statement(draft, Statement::DropExpression, table.on());
    release_generation_inputs(table, draft, current);
    chain.add(std::move(draft));
  } else if (desired.generated &&
             (!current.generated || normalize_expression(*current.generated) !=
                                        normalize_expression(*desired.generated))) {
    builder.diagnose(plans::Severity::Error, id,
                     "cannot change the generation expression of " +
                         table.of("column", desired.name) +
                         " in place; add a new column and drop the old one");
  }
  const auto normalized_default = [](const std::optional<std::string>& expr) {
    return expr ? std::optional<std::string>(normalize_expression(*expr)) : std::nullopt;
  };
  if (!default_done && (default_blocked ? desired.default_expr.has_value()
                                        : normalized_default(current.default_expr) !=
                                              normalized_default(desired.default_expr))) {
    auto draft = default_draft(table, desired,
                               default_blocked
                                   ? "set again once the routines it calls are created"
                                   : "rule 10: defaults apply to new rows only: catalog-only");
    require_all(draft, default_uses(builder, builder.desired(), table.schema, table.desired.name,
                                    desired.name));
    if (default_blocked) {
      // By name too, for a desired model without the scratch database's facts.
      require_all(draft, routine_name_tokens(blocking));
      mark_around_routines(draft, blocking, true);
    } else {
      release_sequences(draft, table.schema, current.default_expr);
      for (auto& token : default_uses(builder, builder.current(), table.schema, table.current->name,
                                      current.name)) {
        draft.releases.push_back(std::move(token));
      }
    }
    chain.add(std::move(draft));
  }
  // NOT NULL comes before an identity (the server requires it of ADD
  // GENERATED ... AS IDENTITY) and is dropped after one (DROP NOT NULL is
  // refused on an identity column).
  const bool was_not_null = table.current != nullptr && effective_not_null(*table.current, current);
  const bool is_not_null = effective_not_null(table.desired, desired);
  if (!was_not_null && is_not_null) {
    bool filled = true;
    std::optional<std::string> fill;
    if (desired.backfill && table.populated) {
      filled = add_backfill(table, chain, desired.name, *desired.backfill, std::nullopt);
      fill = desired.backfill;
    }
    if (filled) add_not_null(table, chain, desired.name, fill, false);
  }
  if (current.identity != desired.identity) {
    std::string action;
    if (current.identity == schemas::IdentityKind::None) {
      action = "ADD" + identity_clause(desired);
    } else if (desired.identity == schemas::IdentityKind::None) {
      action = "DROP IDENTITY";
    } else {
      action = desired.identity == schemas::IdentityKind::Always ? "SET GENERATED ALWAYS"
                                                                 : "SET GENERATED BY DEFAULT";
    }
    auto draft = Builder::make(Phase::Alter, id,
                               "change the identity of " + table.of("column", desired.name),
                               "identity is a catalog property of the column");
    draft.step.statements = {table.alter() + "ALTER COLUMN " + col + " " + action};
    builder.statement(draft,
                      current.identity == schemas::IdentityKind::None ? Statement::AddIdentity
                      : desired.identity == schemas::IdentityKind::None
                          ? Statement::DropIdentity
                          : Statement::SetIdentityGeneration,
                      table.on());
    if (current.identity == schemas::IdentityKind::None) {
      draft.requires_.push_back(not_null_token(table.schema, table.desired.name, desired.name));
    }
    chain.add(std::move(draft));
  }
  if (current.identity != schemas::IdentityKind::None &&
      desired.identity != schemas::IdentityKind::None &&
      !(current.identity_options == desired.identity_options)) {
    // Its position is kept once it has handed out a value, which must then
    // be inside the new bounds (the server refuses otherwise); a sequence
    // never called starts again at the new start.
    const auto& usages = builder.current().facts.identity_usage;
    const auto usage = usages.find(table.schema + "." + table.current->name + "." + current.name);
    const bool called = usage == usages.end() || usage->second.is_called;
    const auto& options = desired.identity_options;
    const bool ascending = options.increment.value_or(1) > 0;
    const std::string type = normalize_type(desired.type);
    const int64_t min_value =
        options.min_value.value_or(schemas::default_sequence_min(type, ascending));
    const int64_t max_value =
        options.max_value.value_or(schemas::default_sequence_max(type, ascending));
    if (called && usage != usages.end() &&
        (usage->second.last_value < min_value || usage->second.last_value > max_value)) {
      builder.diagnose(plans::Severity::Error, id,
                       "the identity of " + table.of("column", desired.name) + " has handed out " +
                           std::to_string(usage->second.last_value) +
                           ", outside the desired bounds " + std::to_string(min_value) + ".." +
                           std::to_string(max_value) +
                           ": change the bounds, or move it first (ALTER TABLE ... ALTER COLUMN "
                           "... RESTART)");
      return;
    }
    auto draft = Builder::make(Phase::Alter, id,
                               "set the identity options of " + table.of("column", desired.name),
                               called ? "the identity's sequence is altered in the catalog, every "
                                        "option spelled (a left-out one returns to its default); "
                                        "its position is kept"
                                      : "the identity's sequence is altered in the catalog, every "
                                        "option spelled (a left-out one returns to its default); "
                                        "it never handed out a value: it restarts at the new "
                                        "start");
    draft.step.statements = {table.alter() + "ALTER COLUMN " + col +
                             set_identity_options_sql(desired, !called)};
    builder.statement(draft, Statement::SetIdentityOptions, table.on());
    chain.add(std::move(draft));
  }
  if (was_not_null && !is_not_null) {
    chain.add(drop_not_null_draft(table, desired.name, "relaxing a constraint is catalog-only"));
  }
  if (current.comment != desired.comment) {
    auto draft =
        Builder::make(Phase::Finalize, id, "comment on " + table.of("column", desired.name),
                      "comments are catalog-only");
    draft.step.statements = {comment_sql("COLUMN", table.relation + "." + col, desired.comment)};
    builder.statement(draft, Statement::CommentOnTableMember, table.on());
    draft.requires_.push_back(table.column_token_of(desired.name));
    chain.add(std::move(draft));
  }
}

void drop_column(TableContext& table, const schemas::Column& column) {
  auto draft = Builder::make(Phase::Drop, table.id(ObjectKind::Column, column.name),
                             "drop " + table.of("column", column.name),
                             "rule 10: the column is not in the desired schema; its data is lost");
  draft.step.statements = {table.alter() + "DROP COLUMN " + quote_ident(column.name)};
  table.builder.statement(draft, Statement::DropColumn, table.on());
  const std::string token = column_token(table.schema, table.current->name, column.name);
  draft.invalidates.push_back(token);
  table.builder.invalidate(token);
  for (const auto& type : type_tokens(column.type, table.schema)) draft.releases.push_back(type);
  release_sequences(draft, table.schema, column.default_expr);
  for (auto& used : default_uses(table.builder, table.builder.current(), table.schema,
                                 table.current->name, column.name)) {
    draft.releases.push_back(std::move(used));
  }
  release_generation_inputs(table, draft, column);
  table.builder.add(std::move(draft));
}

}  // namespace

SettingsPlace settings_place(TableContext& table, const std::string& column,
                             std::string default_storage_key) {
  SettingsPlace place;
  place.id = table.id(ObjectKind::Column, column);
  place.label = table.of("column", column);
  // On a partitioned table ONLY: STORAGE and STATISTICS would recurse into
  // the partitions, whose columns are planned as their own.
  place.alter =
      table.desired.partition_by ? "ALTER TABLE ONLY " + table.relation + " " : table.alter();
  place.targets = table.on();
  place.default_storage_key = std::move(default_storage_key);
  place.column_token = table.column_token_of(column);
  return place;
}

void add_column_settings(Builder& builder, const SettingsPlace& place,
                         const schemas::ColumnSettings& before,
                         const schemas::ColumnSettings& desired, StepDraft& draft) {
  if (before.storage != desired.storage) {
    std::string target;
    if (desired.storage) {
      target = *desired.storage;
    } else if (builder.version() >= 160000) {
      target = "default";
    } else {
      // A column the plan creates: its type's default as the scratch
      // database read it.
      const std::string* storage = nullptr;
      for (const auto* facts : {&builder.current().facts, &builder.desired().facts}) {
        const auto found = facts->column_default_storage.find(place.default_storage_key);
        if (found != facts->column_default_storage.end()) {
          storage = &found->second;
          break;
        }
      }
      if (storage == nullptr) {
        builder.diagnose(plans::Severity::Error, place.id,
                         "cannot put the storage of " + place.label +
                             " back to its type's default: the default is not known (a model "
                             "not read from a server)");
      } else {
        target = *storage;
      }
    }
    if (!target.empty()) {
      draft.step.statements.push_back(place.alter + set_storage_clause(desired.name, target));
      builder.statement(draft, Statement::SetColumnStorage, place.targets);
    }
  }
  if (before.compression != desired.compression) {
    draft.step.statements.push_back(place.alter +
                                    set_compression_clause(desired.name, desired.compression));
    builder.statement(draft, Statement::SetColumnCompression, place.targets);
  }
  // -1: the default (an int, not an optional: GCC's -Wmaybe-uninitialized).
  if (before.statistics.value_or(-1) != desired.statistics.value_or(-1)) {
    draft.step.statements.push_back(place.alter +
                                    set_statistics_clause(desired.name, desired.statistics));
    builder.statement(draft, Statement::SetColumnStatistics, place.targets);
  }
}

std::optional<StepDraft> column_settings_draft(Builder& builder, const SettingsPlace& place,
                                               const schemas::ColumnSettings& before,
                                               const schemas::ColumnSettings& desired) {
  if (desired.compression && builder.version() < 140000) {
    builder.diagnose(plans::Severity::Error, place.id,
                     "cannot set the compression of " + place.label + " on PostgreSQL " +
                         std::to_string(builder.version() / 10000) +
                         " (COMPRESSION is 14+); remove compression: from the column");
    return std::nullopt;
  }
  auto draft = Builder::make(Phase::Alter, place.id, "set the storage settings of " + place.label,
                             "catalog-only: values already stored keep their form until written "
                             "again; the statistics target applies from the next ANALYZE");
  add_column_settings(builder, place, before, desired, draft);
  if (draft.step.statements.empty()) return std::nullopt;
  draft.requires_.push_back(place.column_token);
  return draft;
}

void plan_column_settings(TableContext& table, Chain* chain, const schemas::Column* before,
                          const schemas::Column& desired, const std::string& default_storage_key) {
  auto settings_of = [](const schemas::Column& column) {
    return schemas::ColumnSettings{column.name, column.storage, column.compression,
                                   column.statistics};
  };
  // A new column is created with its COMPRESSION (column_definition).
  schemas::ColumnSettings was{desired.name, std::nullopt, desired.compression, std::nullopt};
  if (before != nullptr) was = settings_of(*before);
  // Nothing to set (most columns): no step, and none of the texts a step
  // would be named with (building them was 3% of a no-op plan of 10,000
  // tables).
  if (was.storage == desired.storage && was.compression == desired.compression &&
      was.statistics.value_or(-1) == desired.statistics.value_or(-1) &&
      !(desired.compression && table.builder.version() < 140000)) {
    return;
  }
  SettingsPlace place = settings_place(
      table, desired.name,
      !default_storage_key.empty()
          ? default_storage_key
          : table.schema + "." + (table.current ? table.current->name : table.desired.name) + "." +
                (before ? before->name : desired.name));
  auto draft = column_settings_draft(table.builder, place, was, settings_of(desired));
  if (!draft) return;
  if (chain != nullptr) {
    chain->add(std::move(*draft));
  } else {
    table.builder.add(std::move(*draft));
  }
}

void plan_partition_columns(TableContext& table, bool copies_parent_settings) {
  Builder& builder = table.builder;
  const auto& of = *table.desired.partition_of;
  const schemas::Table* parent_now =
      schemas::find_table(builder.current(), of.parent_schema, of.parent_table);
  const schemas::Table* parent_wanted =
      schemas::find_table(builder.desired(), of.parent_schema, of.parent_table);
  const auto normalized = [](const std::optional<std::string>& expr) {
    return expr ? std::optional<std::string>(normalize_expression(*expr)) : std::nullopt;
  };
  for (const auto& column : table.desired.columns) {
    const schemas::Column* current =
        table.current != nullptr ? schemas::find_named(table.current->columns, column.name)
                                 : nullptr;
    const schemas::Column* parent_before =
        parent_now != nullptr ? schemas::find_named(parent_now->columns, column.name) : nullptr;
    const schemas::Column* parent_after =
        parent_wanted != nullptr ? schemas::find_named(parent_wanted->columns, column.name)
                                 : nullptr;
    // A new partition's columns start with no settings (CREATE TABLE ...
    // LIKE copies none), or with the parent's STORAGE and COMPRESSION
    // (PARTITION OF), as they are when it runs: before or after the
    // parent's own settings step, so each the partition wants otherwise is
    // set on it.
    schemas::Column bare;
    bare.name = column.name;
    std::string default_storage_key;  // the parent's column: the same type
    if (current == nullptr && copies_parent_settings) {
      for (const schemas::Column* parent : {parent_before, parent_after}) {
        if (parent == nullptr) continue;
        if (parent->storage != column.storage) bare.storage = parent->storage;
        if (parent->compression != column.compression) bare.compression = parent->compression;
      }
      default_storage_key = of.parent_schema + "." + of.parent_table + "." + column.name;
    }
    plan_column_settings(table, nullptr, current != nullptr ? current : &bare, column,
                         default_storage_key);
    if (parent_after == nullptr) continue;  // refused before planning (partition_column_problems)
    // What the partition's column is once the parent's steps ran: a new
    // partition copies the parent's defaults and NOT NULL (LIKE ... INCLUDING
    // DEFAULTS, or PARTITION OF), and the parent's ADD COLUMN, SET or DROP
    // DEFAULT, SET and DROP NOT NULL recurse into every partition (checked
    // on PostgreSQL 11, 15 and 18).
    const bool follows = current == nullptr || parent_before == nullptr;
    const bool parent_default_changes =
        follows || normalized(parent_before->default_expr) != normalized(parent_after->default_expr);
    const std::optional<std::string> default_was =
        parent_default_changes ? parent_after->default_expr : current->default_expr;
    const bool parent_not_null = effective_not_null(*parent_wanted, *parent_after);
    const bool parent_was_not_null =
        !follows && effective_not_null(*parent_now, *parent_before);
    const bool was_not_null =
        follows || parent_not_null || parent_was_not_null
            ? parent_not_null
            : effective_not_null(*table.current, *current);
    const bool is_not_null = parent_not_null || effective_not_null(table.desired, column);
    const ObjectId id = table.id(ObjectKind::Column, column.name);
    const std::string col = quote_ident(column.name);
    const std::string parent_label = label("table", of.parent_schema, of.parent_table);
    Chain chain(builder);
    if (normalized(default_was) != normalized(column.default_expr)) {
      chain.add(default_draft(table, column,
                              "the partition's own default, unlike its parent " + parent_label +
                                  "'s (rows inserted through the parent take the parent's): "
                                  "catalog-only"));
    }
    if (!was_not_null && is_not_null) {
      add_not_null(table, chain, column.name, std::nullopt, false);
    } else if (was_not_null && !is_not_null) {
      chain.add(drop_not_null_draft(table, column.name,
                                    "relaxing the partition's own constraint is catalog-only"));
    }
    // After the steps of the parent (and its parents) on the column, which
    // would undo them.
    if (chain.first()) {
      auto& first = builder.at(*chain.first()).requires_;
      std::set<std::string> seen;
      for (const schemas::PartitionOf* up = &of; up != nullptr;) {
        if (!seen.insert(up->parent_schema + "." + up->parent_table).second) break;
        first.push_back(column_token(up->parent_schema, up->parent_table, column.name));
        first.push_back(default_set_token(up->parent_schema, up->parent_table, column.name));
        first.push_back(nullable_token(up->parent_schema, up->parent_table, column.name));
        const schemas::Table* above =
            schemas::find_table(builder.desired(), up->parent_schema, up->parent_table);
        up = above != nullptr && above->partition_of ? &*above->partition_of : nullptr;
      }
    }
    // A new partition's comments are set where it is created.
    if (current != nullptr && current->comment != column.comment) {
      auto draft =
          Builder::make(Phase::Finalize, id, "comment on " + table.of("column", column.name),
                        "comments are catalog-only");
      draft.step.statements = {
          comment_sql("COLUMN", table.relation + "." + col, column.comment)};
      builder.statement(draft, Statement::CommentOnTableMember, table.on());
      draft.requires_.push_back(table.column_token_of(column.name));
      chain.add(std::move(draft));
    }
  }
}

std::string not_null_helper_name(const std::string& column) {
  return truncate_name("pgshift_nn_" + column);
}

void plan_columns(TableContext& table) {
  const auto matches = match_by_name(&table.current->columns, table.desired.columns);
  // Generated columns over a column whose type changes, by that column's
  // current name: dropped and added again by its type change.
  std::map<std::string, std::vector<const schemas::Column*>> regenerated;
  std::set<std::string> readded;
  for (const auto& [current, desired] : matches) {
    if (current == nullptr || desired == nullptr ||
        (normalize_type(current->type) == normalize_type(desired->type) &&
         current->collation == desired->collation)) {
      continue;
    }
    for (const auto& generated : table.current->columns) {
      if (!generated.generated || generated.name == current->name ||
          expression_words(*generated.generated).count(current->name) == 0) {
        continue;
      }
      const auto* wanted = schemas::find_named(table.desired.columns, generated.name);
      if (wanted == nullptr || !wanted->generated) continue;  // dropped or made plain first
      const std::string blocker = regeneration_blocker(table, generated.name);
      if (!blocker.empty() || readded.count(generated.name) != 0) {
        table.builder.diagnose(
            plans::Severity::Error, table.id(ObjectKind::Column, current->name),
            "cannot change the type of " + table.of("column", current->name) + ": generated " +
                table.of("column", generated.name) + " over it would be dropped and added again, " +
                (blocker.empty() ? std::string("and it uses another column whose type changes")
                                 : "and " + blocker + " uses it") +
                "; change them in plans of their own");
        continue;
      }
      readded.insert(generated.name);
      regenerated[current->name].push_back(wanted);
    }
  }
  static const std::vector<const schemas::Column*> kNone;
  for (const auto& [current, desired] : matches) {
    if (desired == nullptr) {
      drop_column(table, *current);
    } else if (current == nullptr) {
      add_column(table, *desired);
    } else if (readded.count(current->name) == 0) {
      const auto found = regenerated.find(current->name);
      alter_column(table, *current, *desired, found == regenerated.end() ? kNone : found->second);
    }
  }
}

}  // namespace pgshift::planner::detail
