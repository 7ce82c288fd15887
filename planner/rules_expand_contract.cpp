// Expand and contract (issue 15): a column renamed or retyped across
// application deploys instead of in one ALTER.
//
// Expand: the new column is added (nullable, catalog-only) under its final
// name (a rename) or a temporary one (a type change: <column>_pgshift_new);
// a BEFORE INSERT OR UPDATE trigger keeps the two equal whichever one a
// writer uses (the conversion one way, its inverse the other); the existing
// rows are backfilled in batches; NOT NULL goes through CHECK NOT VALID; the
// indexes and keys on the old column are built on the new one CONCURRENTLY
// under temporary names; the trigger's comment then marks expand complete.
// Contract, one short transaction: the sync trigger and its function go, the
// foreign keys that reference the old column are dropped, the old column is
// dropped and the new one takes its name, the keys are attached to their
// new indexes (ADD CONSTRAINT ... USING INDEX), the indexes get their names,
// and the foreign keys come back NOT VALID, to be validated in steps of
// their own. Views over the old column are dropped before and created again
// after (rules_views.cpp, through Builder::invalidate).
#include <algorithm>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"
#include "schemas/expand_contract.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectKind;

namespace {

bool same_type(const schemas::Column& a, const schemas::Column& b) {
  return normalize_type(a.type) == normalize_type(b.type) && a.collation == b.collation;
}

bool contains(const std::vector<std::string>& columns, const std::string& name) {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

// Why expand/contract cannot change `column` of `table`; "" when it can.
// `expanded`: the columns of the schema's tables between the phases, whose
// sync triggers write only their own two columns.
std::string refusal(const std::string& schema, const schemas::Table& table,
                    const schemas::Column& column, const schemas::Column& desired,
                    const std::string& shadow,
                    const std::vector<schemas::ExpandedColumn>& expanded) {
  if (table.partition_by || table.partition_of) {
    return "the table is partitioned or a partition (not supported yet)";
  }
  if ((column.identity == schemas::IdentityKind::None) !=
      (desired.identity == schemas::IdentityKind::None)) {
    return "it would become or stop being an identity column (make that change in a plan of "
           "its own)";
  }
  if (column.generated || desired.generated) return "it is a generated column";
  for (const auto& other : table.columns) {
    if (other.generated && expression_words(*other.generated).count(column.name) != 0) {
      return "generated column \"" + other.name + "\" uses it";
    }
  }
  for (const auto& index : table.indexes) {
    bool uses = index.where && expression_words(*index.where).count(column.name) != 0;
    for (const auto& key : index.keys) {
      uses = uses || (key.expression && expression_words(*key.expression).count(column.name));
    }
    if (uses) {
      return "index \"" + index.name + "\" uses it in an expression or predicate (rebuild it "
             "in a plan of its own)";
    }
  }
  for (const auto& check : table.check_constraints) {
    if (check.name.rfind("pgshift_nn_", 0) == 0) continue;
    if (expression_words(check.expression).count(column.name) != 0) {
      return "check constraint \"" + check.name + "\" uses it (drop it, or change it in a plan "
             "of its own)";
    }
  }
  for (const auto& policy : table.policies) {
    const auto uses = [&](const std::optional<std::string>& text) {
      return text && expression_words(*text).count(column.name) != 0;
    };
    if (uses(policy.using_expr) || uses(policy.with_check)) {
      return "policy \"" + policy.name + "\" uses it (the old column could not be dropped)";
    }
  }
  const std::string sync = truncate_name(schemas::kSyncTriggerPrefix + shadow);
  // Another column's sync trigger (two columns of the table expanded
  // together) may fire in either order unless this column's conversion reads
  // one of the columns it writes.
  const auto other_sync = [&](const schemas::Trigger& trigger) {
    return std::any_of(expanded.begin(), expanded.end(), [&](const auto& other) {
      if (other.schema != schema || other.table != table.name || other.trigger != trigger.name ||
          other.old_column == column.name) {
        return false;
      }
      if (!desired.using_expr) return true;
      const auto words = expression_words(*desired.using_expr);
      return words.count(other.old_column) == 0 && words.count(other.new_column) == 0;
    });
  };
  for (const auto& trigger : table.triggers) {
    if (trigger.name == sync || other_sync(trigger)) continue;
    if (trigger_uses_column(trigger, column.name)) {
      return "trigger \"" + trigger.name + "\" names it in WHEN or UPDATE OF";
    }
    const bool before_row_write =
        trigger.timing == schemas::TriggerTiming::Before && trigger.for_each_row &&
        (contains(trigger.events, "INSERT") || contains(trigger.events, "UPDATE"));
    if (before_row_write && trigger.name > sync) {
      return "BEFORE trigger \"" + trigger.name + "\" fires after the sync trigger \"" + sync +
             "\" (triggers fire in name order) and could change the old column after it was "
             "copied";
    }
  }
  return {};
}

// The conversion of the old value, over the row's columns (backfill) or the
// row NEW (trigger).
std::string forward(const schemas::Column& old_column, const schemas::Column& desired,
                    bool in_trigger) {
  if (desired.using_expr) {
    return in_trigger ? "(SELECT (" + *desired.using_expr + ") FROM (SELECT NEW.*) AS pgshift_row)"
                      : "(" + *desired.using_expr + ")";
  }
  const std::string value = (in_trigger ? "NEW." : "") + quote_ident(old_column.name);
  if (same_type(old_column, desired)) return value;
  return value + "::" + desired.type;
}

// The old value from the new one, in the trigger; nullopt when there is none
// (a using: expression without inverse:).
std::optional<std::string> inverse(const schemas::Column& old_column,
                                   const schemas::Column& desired, const std::string& shadow) {
  const std::string value = "NEW." + quote_ident(shadow);
  if (desired.expand_contract && desired.expand_contract->inverse) {
    return "(SELECT (" + *desired.expand_contract->inverse + ") FROM (SELECT " + value + " AS " +
           quote_ident(desired.name) + ") AS pgshift_row)";
  }
  if (desired.using_expr) return std::nullopt;
  if (same_type(old_column, desired)) return value;
  return value + "::" + old_column.type;
}

std::string sync_function(const std::string& schema, const std::string& table,
                          const std::string& shadow) {
  return quote_qualified(schemas::kSyncFunctionSchema,
                         truncate_name("sync_" + schema + "_" + table + "_" + shadow));
}

std::string sync_function_sql(const ColumnSwap& swap, const std::string& relation_label) {
  const std::string old_name = quote_ident(swap.old_column.name);
  const std::string new_name = quote_ident(swap.shadow);
  const std::string converted = forward(swap.old_column, swap.desired_column, true);
  const auto back = inverse(swap.old_column, swap.desired_column, swap.shadow);
  const std::string write_back =
      back ? "      NEW." + old_name + " := " + *back + ";\n"
           : "      RAISE EXCEPTION USING ERRCODE = 'object_not_in_prerequisite_state', MESSAGE = " +
                 quote_literal("pgshift expand/contract: column \"" + swap.shadow + "\" of " +
                               relation_label + " is written through \"" +
                               swap.old_column.name +
                               "\" only until contract (no inverse: given)") +
                 ";\n";
  const std::string body =
      "\nBEGIN\n"
      "  IF TG_OP = 'INSERT' THEN\n"
      "    IF NEW." + new_name + " IS NULL THEN\n"
      "      NEW." + new_name + " := " + converted + ";\n"
      "    ELSIF NEW." + new_name + " IS DISTINCT FROM " + converted + " THEN\n" + write_back +
      "    END IF;\n"
      "  ELSIF NEW." + old_name + " IS DISTINCT FROM OLD." + old_name + " AND NEW." + new_name +
      " IS NOT DISTINCT FROM OLD." + new_name + " THEN\n"
      "    NEW." + new_name + " := " + converted + ";\n"
      "  ELSIF NEW." + new_name + " IS DISTINCT FROM OLD." + new_name + " AND NEW." + new_name +
      " IS DISTINCT FROM " + converted + " THEN\n" + write_back +
      "  END IF;\n"
      "  RETURN NEW;\n"
      "END\n";
  std::string tag = "$pgshift$";
  while (body.find(tag) != std::string::npos) tag.insert(tag.size() - 1, "_");
  return "CREATE OR REPLACE FUNCTION " +
         sync_function(swap.schema, swap.desired_table->name, swap.shadow) +
         "() RETURNS trigger LANGUAGE plpgsql AS " + tag + body + tag;
}

// The index that backs a key over `columns`, on the new column.
schemas::Index key_index(const std::string& name, const std::vector<std::string>& columns,
                         const std::vector<std::string>& include) {
  schemas::Index index;
  index.name = name;
  index.unique = true;
  for (const auto& column : columns) {
    schemas::IndexKey key;
    key.column = column;
    index.keys.push_back(key);
  }
  index.include = include;
  return index;
}

std::vector<std::string> renamed(std::vector<std::string> columns, const std::string& from,
                                 const std::string& to) {
  std::replace(columns.begin(), columns.end(), from, to);
  return columns;
}

const schemas::Index* find_valid(const std::vector<schemas::Index>& indexes,
                                 const std::string& name) {
  const auto* index = schemas::find_named(indexes, name);
  return index != nullptr && index->valid ? index : nullptr;
}

}  // namespace

ExpandContract prepare_expand_contract(schemas::Database& current,
                                       const schemas::Database& desired,
                                       std::vector<plans::Diagnostic>& diagnostics) {
  ExpandContract changes;
  std::vector<ColumnSwap>& swaps = changes.swaps;
  const std::vector<schemas::ExpandedColumn> expanded = schemas::expanded_columns(current);
  const std::vector<schemas::CompatibilityView> views = schemas::compatibility_views(current);
  for (const auto& desired_schema : desired.schemas) {
    for (const auto& desired_table : desired_schema.tables) {
      if (desired_table.expand_contract && desired_table.renamed_from) {
        const std::string& old_name = *desired_table.renamed_from;
        const auto found = std::find_if(views.begin(), views.end(), [&](const auto& view) {
          return view.schema == desired_schema.name && view.view == old_name &&
                 view.table == desired_table.name;
        });
        if (found != views.end()) {
          // Between the phases: the other rules do not see the view.
          schemas::assume_contracted(current, *found);
          changes.views.push_back({found->schema, found->view, found->table});
        } else if (schemas::find_table(current, desired_schema.name, desired_table.name) ==
                       nullptr &&
                   schemas::find_table(current, desired_schema.name, old_name) != nullptr) {
          changes.views.push_back({desired_schema.name, old_name, desired_table.name});
        }
      }
      for (const auto& column : desired_table.columns) {
        if (!column.expand_contract) continue;
        const schemas::ObjectId id{ObjectKind::Column, desired_schema.name, desired_table.name,
                                   column.name};
        const schemas::Table* table =
            schemas::find_table(current, desired_schema.name, desired_table.name);
        if (table == nullptr && desired_table.renamed_from) {
          table = schemas::find_table(current, desired_schema.name, *desired_table.renamed_from);
        }
        if (table == nullptr) continue;  // a new table: nothing to expand
        ColumnSwap swap;
        swap.schema = desired_schema.name;
        swap.desired_table = &desired_table;
        swap.desired_column = column;
        const auto pending =
            std::find_if(expanded.begin(), expanded.end(), [&](const auto& candidate) {
              return candidate.schema == desired_schema.name && candidate.table == table->name &&
                     schemas::final_name(candidate) == column.name;
            });
        const schemas::Column* old_column = nullptr;
        if (pending != expanded.end()) {
          old_column = schemas::find_named(table->columns, pending->old_column);
          swap.shadow = pending->new_column;
          swap.trigger_exists = true;
          swap.complete = pending->complete;
        } else {
          old_column = schemas::find_named(table->columns, column.name);
          if (old_column == nullptr && column.renamed_from) {
            old_column = schemas::find_named(table->columns, *column.renamed_from);
          }
          if (old_column == nullptr) continue;  // a new column: added as usual
          if (old_column->name == column.name && same_type(*old_column, column)) continue;
          swap.shadow =
              old_column->name != column.name ? column.name : schemas::shadow_name(column.name);
        }
        if (old_column == nullptr) {
          diagnostics.push_back({plans::Severity::Error, id,
                                 "expand/contract of column \"" + column.name + "\" of table \"" +
                                     desired_schema.name + "." + table->name +
                                     "\": the sync trigger names column \"" +
                                     pending->old_column + "\", which does not exist"});
          continue;
        }
        swap.old_column = *old_column;
        swap.trigger = truncate_name(schemas::kSyncTriggerPrefix + swap.shadow);
        const auto* shadow = schemas::find_named(table->columns, swap.shadow);
        swap.shadow_exists = shadow != nullptr && shadow != old_column;
        const std::string reason =
            refusal(desired_schema.name, *table, *old_column, column, swap.shadow, expanded);
        if (!reason.empty()) {
          diagnostics.push_back({plans::Severity::Error, id,
                                 "cannot change column \"" + old_column->name + "\" of table \"" +
                                     desired_schema.name + "." + table->name +
                                     "\" by expand/contract: " + reason});
          continue;
        }
        swap.original = *table;
        for (const auto& schema : current.schemas) {
          for (const auto& other : schema.tables) {
            for (const auto& fk : other.foreign_keys) {
              if (fk.ref_schema == swap.schema && fk.ref_table == table->name &&
                  contains(fk.ref_columns, old_column->name)) {
                swap.referencing.push_back({{schema.name, other.name}, fk});
              }
            }
          }
          for (const auto& sequence : schema.sequences) {
            if (sequence.owned_by ==
                swap.schema + "." + table->name + "." + old_column->name) {
              swap.owned_sequences.push_back({schema.name, sequence.name});
            }
          }
        }
        schemas::ExpandedColumn view{swap.schema,  table->name, old_column->name,
                                     swap.shadow,  swap.trigger, swap.complete};
        const std::string table_name = table->name;
        schemas::assume_contracted(current, view);
        // The other rules see the column as the desired model has it.
        for (auto& schema : current.schemas) {
          if (schema.name != swap.schema) continue;
          for (auto& changed : schema.tables) {
            if (changed.name != table_name) continue;
            for (auto& taken : changed.columns) {
              if (taken.name != column.name) continue;
              taken = column;
              taken.backfill.reset();
              taken.renamed_from.reset();
              taken.using_expr.reset();
              taken.expand_contract.reset();
            }
          }
        }
        swaps.push_back(std::move(swap));
      }
    }
  }
  return changes;
}

void plan_expand_contract(Builder& builder, const ExpandContract& changes) {
  for (const CompatibilityView& view : changes.views) {
    auto draft = Builder::make(
        Phase::Drop, {ObjectKind::View, view.schema, "", view.view},
        "contract: drop the view \"" + view.view + "\" that kept the old name of " +
            label("table", view.schema, view.table),
        "after the deploy nothing uses the old name");
    draft.step.stage = plans::Stage::Contract;
    draft.step.statements = {"DROP VIEW " + quote_qualified(view.schema, view.view)};
    builder.statement(draft, Statement::DropCompatibilityView,
                      on_relation(view.schema, view.view));
    draft.requires_.clear();
    draft.requires_.push_back(table_token(view.schema, view.table));
    builder.add(std::move(draft));
  }
  for (const ColumnSwap& swap : changes.swaps) {
    const schemas::Table& desired = *swap.desired_table;
    const std::string& schema = swap.schema;
    TableContext table{builder,
                       schema,
                       &swap.original,
                       desired,
                       builder.populated(schema, swap.original.name),
                       builder.row_estimate(schema, swap.original.name),
                       quote_qualified(schema, desired.name)};
    const schemas::Column& old_column = swap.old_column;
    const schemas::Column& column = swap.desired_column;
    const std::string old_name = quote_ident(old_column.name);
    const std::string shadow = quote_ident(swap.shadow);
    const auto id = table.id(ObjectKind::Column, column.name);
    const std::string what = table.of("column", old_column.name);
    const std::string relation_label = label("table", schema, desired.name);
    Chain chain(builder);
    std::vector<size_t> expand_steps;
    auto expand = [&](StepDraft draft) {
      draft.step.stage = plans::Stage::Expand;
      expand_steps.push_back(chain.add(std::move(draft)));
    };

    // Expand.
    std::optional<size_t> add_step;
    if (!swap.shadow_exists) {
      auto add = Builder::make(Phase::Create, id,
                               "expand: add column \"" + swap.shadow + "\" to " + relation_label +
                                   " for " + what,
                               "a nullable column without default is a catalog-only change");
      add.step.statements = {table.alter() + "ADD COLUMN " + shadow + " " + column.type +
                             collate_clause(column.collation)};
      builder.statement(add, Statement::AddColumn, table.on());
      add.provides.push_back(table.column_token_of(swap.shadow));
      require_all(add, type_tokens(column.type, schema));
      expand(std::move(add));
      add_step = expand_steps.back();
    }
    // The column's STORAGE, COMPRESSION and STATISTICS on the new column,
    // before the backfill writes its values (a new column starts at its
    // type's defaults; one that exists, as the catalog shows it).
    {
      const auto* existing = swap.shadow_exists
                                 ? schemas::find_named(swap.original.columns, swap.shadow)
                                 : nullptr;
      schemas::ColumnSettings was{swap.shadow, std::nullopt, std::nullopt, std::nullopt};
      if (existing != nullptr) {
        was = {swap.shadow, existing->storage, existing->compression, existing->statistics};
      }
      SettingsPlace place =
          settings_place(table, swap.shadow, schema + "." + swap.original.name + "." + swap.shadow);
      place.id = id;  // every step of the expand is the expanded column's
      auto settings = column_settings_draft(
          builder, place, was,
          {swap.shadow, column.storage, column.compression, column.statistics});
      if (settings) {
        settings->step.summary = "expand: " + settings->step.summary;
        expand(std::move(*settings));
      }
    }
    if (!swap.trigger_exists) {
      auto sync = Builder::make(
          Phase::Create, id, "expand: keep \"" + swap.shadow + "\" equal to " + what,
          inverse(old_column, column, swap.shadow)
              ? "a trigger copies every write through either name to the other column"
              : "a trigger copies every write through the old name to the new column; writes "
                "through the new name alone are refused until contract (no inverse:)");
      sync.step.statements = {
          "CREATE SCHEMA IF NOT EXISTS " + quote_ident(schemas::kSyncFunctionSchema),
          sync_function_sql(swap, relation_label),
          "CREATE TRIGGER " + quote_ident(swap.trigger) +
              " BEFORE INSERT OR UPDATE ON " + table.relation +
              " FOR EACH ROW EXECUTE FUNCTION " +
              sync_function(schema, desired.name, swap.shadow) + "(" +
              quote_literal(old_column.name) + ", " + quote_literal(swap.shadow) + ")"};
      builder.statement(sync, Statement::CreateSchema, {});
      builder.statement(sync, Statement::CreateOrReplaceFunction, {});
      builder.statement(sync, Statement::CreateTrigger, table.on());
      sync.requires_.push_back(table.column_token_of(swap.shadow));
      expand(std::move(sync));
    }
    const std::string converted = forward(old_column, column, false);
    if (!swap.complete && table.populated) {
      if (!add_backfill(table, chain, swap.shadow, converted,
                        shadow + " IS DISTINCT FROM " + converted)) {
        continue;
      }
      expand_steps.push_back(builder.drafts().size() - 1);
    }
    const auto* current_shadow = schemas::find_named(swap.original.columns, swap.shadow);
    const bool shadow_not_null = current_shadow != nullptr && current_shadow->not_null &&
                                 current_shadow != schemas::find_named(swap.original.columns,
                                                                       old_column.name);
    const bool not_null =
        effective_not_null(desired, column) || column.identity != schemas::IdentityKind::None;
    if (not_null && !shadow_not_null) {
      const size_t before = builder.drafts().size();
      add_not_null(table, chain, swap.shadow, converted, true);
      for (size_t added = before; added < builder.drafts().size(); ++added) {
        expand_steps.push_back(added);
      }
    }
    // The keys and indexes on the old column, built on the new one.
    struct Rebuilt {
      std::string temporary;
      std::string name;                 // the key's or index's name
      ObjectKind kind;                  // PrimaryKey, UniqueConstraint or Index
    };
    std::vector<Rebuilt> rebuilt;
    auto build = [&](const schemas::Index& on_new, const std::string& name, ObjectKind kind) {
      const std::string temporary = schemas::shadow_name(name);
      rebuilt.push_back({temporary, name, kind});
      if (find_valid(swap.original.indexes, temporary) != nullptr) return;
      auto draft = Builder::make(Phase::Constrain, table.id(kind, name),
                                 "expand: build " + table.of("index", temporary) + " for " +
                                     table.of(schemas::object_kind_name(kind), name),
                                 "CONCURRENTLY: reads and writes go on while it is built");
      draft.step.statements = {index_sql(table.relation, on_new, temporary, true)};
      Targets targets = table.on();
      builder.statement(draft, Statement::CreateIndexConcurrently, targets);
      draft.requires_.push_back(table.column_token_of(swap.shadow));
      draft.step.estimated_rows = table.rows;
      expand(std::move(draft));
    };
    if (const auto& key = swap.original.primary_key;
        key && (contains(key->columns, old_column.name) || contains(key->include, old_column.name))) {
      build(key_index(key->name, renamed(key->columns, old_column.name, swap.shadow),
                      renamed(key->include, old_column.name, swap.shadow)),
            key->name, ObjectKind::PrimaryKey);
    }
    for (const auto& unique : swap.original.unique_constraints) {
      if (!contains(unique.columns, old_column.name) && !contains(unique.include, old_column.name)) {
        continue;
      }
      auto index = key_index(unique.name, renamed(unique.columns, old_column.name, swap.shadow),
                             renamed(unique.include, old_column.name, swap.shadow));
      index.nulls_not_distinct = unique.nulls_not_distinct;
      build(index, unique.name, ObjectKind::UniqueConstraint);
    }
    for (const auto& index : swap.original.indexes) {
      bool uses = contains(index.include, old_column.name);
      schemas::Index on_new = index;
      for (auto& key : on_new.keys) {
        if (key.column == old_column.name) {
          key.column = swap.shadow;
          uses = true;
        }
      }
      if (!uses) continue;
      on_new.include = renamed(on_new.include, old_column.name, swap.shadow);
      build(on_new, index.name, ObjectKind::Index);
    }
    if (!swap.complete) {
      auto mark = Builder::make(Phase::Finalize, id,
                                "expand: mark the expand of " + what + " complete",
                                "the sync trigger's comment tells plan and drift that only "
                                "contract is left");
      mark.step.statements = {comment_sql("TRIGGER",
                                          quote_ident(swap.trigger) + " ON " + table.relation,
                                          std::string(schemas::kExpandedComment))};
      builder.statement(mark, Statement::CommentOnTableMember, table.on());
      expand(std::move(mark));
    }

    // Contract: one transaction.
    const std::string renaming =
        swap.shadow != column.name
            ? " and rename \"" + swap.shadow + "\" to \"" + column.name + "\""
            : "; the new column \"" + column.name + "\" stays";
    auto contract = Builder::make(
        Phase::Alter, id, "contract: drop " + what + renaming,
        "one short transaction: the sync trigger goes, the old column is dropped, the keys "
        "attach to the indexes built in expand");
    std::vector<std::string>& sql = contract.step.statements;
    for (const auto& [other, fk] : swap.referencing) {
      sql.push_back("ALTER TABLE " + quote_qualified(other.schema, other.name) +
                    " DROP CONSTRAINT " + quote_ident(fk.name));
      Targets targets = on_relation(other.schema, other.name);
      targets.referenced.push_back({schema, desired.name});
      builder.statement(contract, Statement::DropForeignKeyToReplace, targets);
    }
    sql.push_back("DROP TRIGGER " + quote_ident(swap.trigger) + " ON " + table.relation);
    builder.statement(contract, Statement::DropTriggerToReplace, table.on());
    sql.push_back("DROP FUNCTION " + sync_function(schema, desired.name, swap.shadow) + "()");
    builder.statement(contract, Statement::DropFunctionToReplace, {});
    for (const auto& sequence : swap.owned_sequences) {
      sql.push_back("ALTER SEQUENCE " + quote_qualified(sequence.schema, sequence.name) +
                    " OWNED BY " + table.relation + "." + shadow);
      Targets targets = on_relation(sequence.schema, sequence.name);
      targets.referenced.push_back({schema, desired.name});
      builder.statement(contract, Statement::AlterSequenceOwnedBy, targets);
    }
    // An identity: the new column gets its own, which starts where the old
    // one's sequence is, before the old column (and its sequence) goes.
    const bool identity = old_column.identity != schemas::IdentityKind::None;
    const std::string temporary_sequence =
        truncate_name(desired.name + "_" + swap.shadow + "_seq");
    if (identity) {
      std::string clause = identity_clause(column);
      const std::string name = "SEQUENCE NAME " + quote_qualified(schema, temporary_sequence);
      clause = clause.back() == ')' ? clause.insert(clause.find('(') + 1, name + " ")
                                    : clause + " (" + name + ")";
      sql.push_back(table.alter() + "ALTER COLUMN " + shadow + " ADD" + clause);
      builder.statement(contract, Statement::AddIdentity, table.on());
      sql.push_back("SELECT setval(" + quote_literal(quote_qualified(schema, temporary_sequence)) +
                    ", nextval(pg_get_serial_sequence(" + quote_literal(table.relation) + ", " +
                    quote_literal(old_column.name) + ")), false)");
      Targets targets = on_relation(schema, temporary_sequence);
      targets.referenced.push_back(
          {schema, truncate_name(swap.original.name + "_" + old_column.name + "_seq")});
      builder.statement(contract, Statement::SetSequenceValue, targets);
    }
    // The old column's own foreign keys (as they are, or as the contract of
    // the column they reference added them back NOT VALID) would go with the
    // column, their triggers removed from the referenced table under ACCESS
    // EXCLUSIVE: dropped by name first, so that the step declares that lock
    // and the applier takes it in the writers' order, not as an upgrade of
    // the SHARE ROW EXCLUSIVE the new foreign key takes.
    for (const auto& fk : swap.original.foreign_keys) {
      if (!contains(fk.columns, old_column.name)) continue;
      sql.push_back(table.alter() + "DROP CONSTRAINT IF EXISTS " + quote_ident(fk.name));
      Targets targets = table.on();
      targets.referenced.push_back({fk.ref_schema, fk.ref_table});
      builder.statement(contract, Statement::DropForeignKeyToReplace, targets);
    }
    sql.push_back(table.alter() + "DROP COLUMN " + old_name);
    builder.statement(contract, Statement::DropColumn, table.on());
    if (swap.shadow != column.name) {
      sql.push_back(table.alter() + "RENAME COLUMN " + shadow + " TO " + quote_ident(column.name));
      builder.statement(contract, Statement::RenameColumnIntoPlace, table.on());
    }
    const std::string final_sequence = truncate_name(desired.name + "_" + column.name + "_seq");
    if (identity && final_sequence != temporary_sequence) {
      sql.push_back("ALTER SEQUENCE " + quote_qualified(schema, temporary_sequence) +
                    " RENAME TO " + quote_ident(final_sequence));
      builder.statement(contract, Statement::RenameSequenceIntoPlace,
                        on_relation(schema, temporary_sequence));
    }
    if (column.default_expr) {
      sql.push_back(table.alter() + "ALTER COLUMN " + quote_ident(column.name) + " SET DEFAULT " +
                    *column.default_expr);
      builder.statement(contract, Statement::SetDefault, table.on());
    }
    for (const auto& index : rebuilt) {
      if (index.kind == ObjectKind::Index) {
        sql.push_back("ALTER INDEX " + quote_qualified(schema, index.temporary) + " RENAME TO " +
                      quote_ident(index.name));
        Targets targets = table.on();
        targets.index = index.temporary;
        builder.statement(contract, Statement::RenameIndex, targets);
        continue;
      }
      const bool primary = index.kind == ObjectKind::PrimaryKey;
      sql.push_back(table.alter() + "ADD CONSTRAINT " + quote_ident(index.name) +
                    (primary ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                    quote_ident(index.temporary));
      builder.statement(contract, Statement::AddKeyUsingIndex, table.on());
    }
    // Foreign keys dropped with the old column or above come back NOT VALID:
    // checked for new rows at once, validated in steps of their own.
    struct Readded {
      QualifiedName table;
      schemas::ForeignKey fk;
    };
    std::vector<Readded> readded;
    for (const auto& fk : desired.foreign_keys) {
      if (contains(fk.columns, column.name)) readded.push_back({{schema, desired.name}, fk});
    }
    for (const auto& [other, fk] : swap.referencing) {
      const auto* other_table = schemas::find_table(builder.desired(), other.schema, other.name);
      const auto* wanted = other_table ? schemas::find_named(other_table->foreign_keys, fk.name)
                                       : nullptr;
      if (wanted == nullptr) continue;  // the desired model drops it
      const bool already = std::any_of(readded.begin(), readded.end(), [&](const Readded& done) {
        return done.table.schema == other.schema && done.table.name == other.name &&
               done.fk.name == fk.name;
      });
      if (!already) readded.push_back({other, *wanted});
    }
    for (const auto& [owner, fk] : readded) {
      sql.push_back("ALTER TABLE " + quote_qualified(owner.schema, owner.name) +
                    " ADD " + foreign_key_definition(fk) + " NOT VALID");
      Targets targets = on_relation(owner.schema, owner.name);
      targets.referenced.push_back({fk.ref_schema, fk.ref_table});
      builder.statement(contract, Statement::AddForeignKeyNotValid, targets);
    }
    if (column.comment && column.comment != old_column.comment) {
      sql.push_back(comment_sql("COLUMN", table.relation + "." + quote_ident(column.name),
                                column.comment));
      builder.statement(contract, Statement::CommentOnTableMember, table.on());
    }
    contract.step.stage = plans::Stage::Contract;
    contract.requires_.push_back(table.column_token_of(swap.shadow));
    const std::string old_token = column_token(schema, desired.name, old_column.name);
    contract.invalidates.push_back(old_token);
    builder.invalidate(old_token);
    // A rename's new column has its final name from expand on.
    if (swap.shadow != column.name) contract.provides.push_back(table.column_token_of(column.name));
    for (const auto& type : type_tokens(old_column.type, schema)) contract.releases.push_back(type);
    contract.after = expand_steps;
    const size_t contracted = chain.add(std::move(contract));
    // The new column's privileges: plan_privileges gives them in expand.
    builder.record_column_swap(schema, desired.name, column.name,
                               {swap.original.name, old_column.name, swap.shadow, add_step,
                                contracted});
    for (const auto& [owner, fk] : readded) {
      auto validate = Builder::make(
          Phase::Validate, {ObjectKind::ForeignKey, owner.schema, owner.name, fk.name},
          "contract: validate " + member_label("foreign key", fk.name, owner.schema, owner.name),
          "VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads and writes go on");
      validate.step.stage = plans::Stage::Contract;
      validate.step.statements = {"ALTER TABLE " + quote_qualified(owner.schema, owner.name) +
                                  " VALIDATE CONSTRAINT " + quote_ident(fk.name)};
      Targets targets = on_relation(owner.schema, owner.name);
      targets.referenced.push_back({fk.ref_schema, fk.ref_table});
      builder.statement(validate, Statement::ValidateForeignKey, targets);
      validate.after.push_back(contracted);
      builder.add(std::move(validate));
    }
  }
}

}  // namespace pgshift::planner::detail
