#include "planner/planner.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "planner/builder.hpp"
#include "planner/order.hpp"
#include "planner/rules.hpp"
#include "schemas/ignore.hpp"
#include "schemas/spelling.hpp"

namespace pgshift::planner {

namespace {

using detail::StepDraft;

// Within a phase, objects go in pg_dump_sort.c's spirit: containers, then
// types, then what uses them.
int kind_rank(schemas::ObjectKind kind) {
  switch (kind) {
    case schemas::ObjectKind::Schema:
      return 0;
    case schemas::ObjectKind::Extension:
    case schemas::ObjectKind::DefaultPrivileges:  // before what they apply to
      return 1;
    case schemas::ObjectKind::Enum:
      return 2;
    case schemas::ObjectKind::Domain:
      return 3;
    case schemas::ObjectKind::CompositeType:
      return 4;
    case schemas::ObjectKind::Sequence:
      return 5;
    case schemas::ObjectKind::Function:
      return 6;
    case schemas::ObjectKind::Procedure:
      return 7;
    case schemas::ObjectKind::Table:
      return 8;
    case schemas::ObjectKind::Column:
      return 9;
    case schemas::ObjectKind::PrimaryKey:
      return 10;
    case schemas::ObjectKind::UniqueConstraint:
      return 11;
    case schemas::ObjectKind::CheckConstraint:
      return 12;
    case schemas::ObjectKind::ForeignKey:
    case schemas::ObjectKind::ExclusionConstraint:
      return 13;
    case schemas::ObjectKind::Index:
      return 14;
    case schemas::ObjectKind::Trigger:
    case schemas::ObjectKind::Policy:
      return 15;
    case schemas::ObjectKind::View:
      return 16;
    case schemas::ObjectKind::MaterializedView:
      return 17;
  }
  return 18;
}

// The stable key of STYLE.md section 6: phase, object kind, schema, name.
auto stable_key(const StepDraft& draft) {
  const auto& step = draft.step;
  return std::tie(step.phase, step.object.schema, step.object.table, step.object.name,
                  draft.sequence, step.summary);
}

bool key_less(const StepDraft& a, const StepDraft& b) {
  const int rank_a = kind_rank(a.step.object.kind);
  const int rank_b = kind_rank(b.step.object.kind);
  if (a.step.stage != b.step.stage) return a.step.stage < b.step.stage;
  if (a.step.phase != b.step.phase) return a.step.phase < b.step.phase;
  if (rank_a != rank_b) return rank_a < rank_b;
  return stable_key(a) < stable_key(b);
}

std::chrono::milliseconds statement_timeout(TimeoutClass timeout, const PlanOptions& options) {
  switch (timeout) {
    case TimeoutClass::Catalog:
      return options.statement_timeout;
    case TimeoutClass::Validate:
      return options.validate_statement_timeout;
    case TimeoutClass::Concurrent:
      return options.concurrent_statement_timeout;
    case TimeoutClass::Rewrite:
      return options.rewrite_statement_timeout;
    case TimeoutClass::Backfill:
      return options.backfill_statement_timeout;
  }
  return options.statement_timeout;
}

// The schemas a desired state manages: those it defines and those it drops.
std::set<std::string> managed_schemas(const schemas::Database& desired) {
  std::set<std::string> names(desired.drop_schemas.begin(), desired.drop_schemas.end());
  for (const auto& schema : desired.schemas) names.insert(schema.name);
  return names;
}

// A plan that drops every table of a schema it keeps is most often a desired
// state read from the wrong file or directory. Its table drops carry
// `empties_schema` on top of `data_loss`, so that allowing intended drops does
// not allow this, and a warning says what is likely wrong. Schemas listed in
// drop_schemas are dropped on purpose and are not flagged.
// What the model does not hold on a relation goes with it when a step drops
// and creates the relation again (a view's INSTEAD OF trigger, a rule, a
// view column's default or comment), and a rule on a table makes the server
// refuse ALTER COLUMN TYPE: refused before step 1, naming the object,
// instead of lost in silence or failing mid-plan.
void refuse_unmodelled_losses(detail::Builder& builder) {
  const auto& facts = builder.current().facts;
  const auto& unmodelled = facts.unmodelled;
  std::vector<std::pair<schemas::ObjectId, std::string>> errors;
  // Rules on other tables whose actions read or write the retyped column
  // (pg_depend names the rule's table, a table kind, not the rule): one
  // text per table, naming its rules.
  const auto rules_elsewhere = [&](const schemas::ObjectId& column) {
    std::set<std::pair<std::string, std::string>> tables;
    for (const auto& dependency : facts.dependencies) {
      const auto& dependent = dependency.dependent;
      if (dependent.kind == schemas::ObjectKind::Table &&
          dependency.referenced.kind == schemas::ObjectKind::Table &&
          dependency.referenced.schema == column.schema &&
          dependency.referenced.name == column.table &&
          dependency.referenced_column == column.name &&
          !(dependent.schema == column.schema && dependent.name == column.table)) {
        tables.emplace(dependent.schema, dependent.name);
      }
    }
    std::vector<std::string> found;
    for (const auto& [schema, table] : tables) {
      std::string rules;
      for (const auto& other : unmodelled) {
        if (other.kind == "rule" && other.schema == schema && other.relation == table) {
          rules += (rules.empty() ? "" : ", ") + other.name + " (" + other.detail + ")";
        }
      }
      found.push_back("a rule on \"" + schema + "." + table + "\" whose action uses the column" +
                      (rules.empty() ? "" : " (its rules: " + rules + ")"));
    }
    return found;
  };
  for (const auto& draft : builder.drafts()) {
    const auto has = [&draft](Statement kind) {
      return std::find(draft.kinds.begin(), draft.kinds.end(), kind) != draft.kinds.end();
    };
    const bool recreated = has(Statement::DropViewToRecreate) ||
                           has(Statement::DropMaterializedViewToRecreate);
    const bool retyped = has(Statement::AlterColumnType) ||
                         has(Statement::AlterColumnTypeRewrite);
    const bool attached = has(Statement::AttachPartition) ||
                          has(Statement::AttachPartitionWithDefault) ||
                          has(Statement::AttachPartitionScanning);
    const bool dropped = has(Statement::DropColumn);
    if (!recreated && !retyped && !attached && !dropped) continue;
    const auto& object = draft.step.object;
    const std::string& relation = object.table.empty() ? object.name : object.table;
    if (attached) {
      // The unmodelled facts name the table as it is before the plan: its
      // old name when the plan renames or moves it too.
      std::string old_schema = object.schema;
      std::string old_name = relation;
      const schemas::Table* wanted = schemas::find_table(builder.desired(), object.schema, relation);
      if (wanted != nullptr && wanted->renamed_from) {
        if (const auto qualified = detail::split_qualified(*wanted->renamed_from)) {
          std::tie(old_schema, old_name) = *qualified;
        } else {
          old_name = *wanted->renamed_from;
        }
      }
      const schemas::Table* now = schemas::find_table(builder.current(), object.schema, relation);
      for (const auto& other : unmodelled) {
        if (other.kind != "trigger transition tables" || other.schema != old_schema ||
            other.relation != old_name) {
          continue;
        }
        // Only a row-level one from PostgreSQL 13 on: a statement-level
        // trigger with transition tables may be on a partition there; 11 and
        // 12 refuse either kind (12.22 and 11.22 tried).
        const schemas::Trigger* trigger =
            now != nullptr ? schemas::find_named(now->triggers, other.name) : nullptr;
        const bool any_kind_refused = builder.version() > 0 && builder.version() < 130000;
        if (trigger != nullptr && !trigger->for_each_row && !any_kind_refused) continue;
        errors.emplace_back(object, "cannot " + draft.step.summary + ": the database has " +
                                        schemas::describe(other) +
                                        ", which pgshift does not model, and the server refuses " +
                                        (any_kind_refused ? "any trigger with transition tables "
                                                            "on a partition before PostgreSQL 13"
                                                          : "a row-level trigger with transition "
                                                            "tables on a partition") +
                                        "; drop it first");
      }
      continue;
    }
    if (dropped) {
      for (const auto& rule : rules_elsewhere(object)) {
        errors.emplace_back(object, "cannot " + draft.step.summary + ": the database has " +
                                        rule +
                                        ", which pgshift does not model, and the server refuses "
                                        "to drop a column a rule uses; drop the rule first");
      }
      continue;
    }
    if (retyped && object.kind == schemas::ObjectKind::Column) {
      for (const auto& rule : rules_elsewhere(object)) {
        errors.emplace_back(object, "cannot " + draft.step.summary + ": the database has " +
                                        rule +
                                        ", which pgshift does not model, and the server refuses "
                                        "ALTER COLUMN TYPE under a rule; drop it first (and "
                                        "create it again after the apply)");
      }
    }
    for (const auto& other : unmodelled) {
      if (other.schema != object.schema || other.relation != relation) continue;
      if (retyped && other.kind != "rule") continue;
      errors.emplace_back(
          object, "cannot " + draft.step.summary + ": the database has " +
                      schemas::describe(other) +
                      (recreated ? ", which pgshift does not model and the drop would take with "
                                   "it; drop it first (and create it again after the apply)"
                                 : ", which pgshift does not model, and the server refuses "
                                   "ALTER COLUMN TYPE under a rule; drop it first (and create "
                                   "it again after the apply)"));
    }
  }
  for (auto& [object, message] : errors) {
    builder.diagnose(plans::Severity::Error, object, std::move(message));
  }
}

// A relation or column the plan drops (or a column it retypes) that an object
// of a schema the desired state does not manage depends on: a foreign key of
// a table there, a view or materialized view there (the catalog read names
// them; pgshift leaves such schemas alone); a sequence it drops that a column
// default there uses. The server would refuse the DROP
// (2BP01) or the ALTER COLUMN TYPE under a view, after the plan's earlier
// steps ran: the plan refuses instead, naming each dependent.
void refuse_unmanaged_dependents(detail::Builder& builder) {
  const auto& dependencies = builder.current().facts.dependencies;
  const auto& sequence_defaults = builder.current().facts.sequence_defaults;
  const std::set<std::string> managed = managed_schemas(builder.desired());
  std::vector<std::pair<schemas::ObjectId, std::string>> errors;
  for (const auto& draft : builder.drafts()) {
    const auto has = [&draft](Statement kind) {
      return std::find(draft.kinds.begin(), draft.kinds.end(), kind) != draft.kinds.end();
    };
    const auto& object = draft.step.object;
    const bool relation_dropped =
        object.table.empty() &&
        (has(Statement::DropTable) || has(Statement::DropView) ||
         has(Statement::DropViewToRecreate) || has(Statement::DropViewToReplace) ||
         has(Statement::DropMaterializedView) || has(Statement::DropMaterializedViewToRecreate));
    const bool column_dropped =
        object.kind == schemas::ObjectKind::Column &&
        (has(Statement::DropColumn) || has(Statement::DropGeneratedColumnToAddAgain));
    const bool column_retyped =
        object.kind == schemas::ObjectKind::Column &&
        (has(Statement::AlterColumnType) || has(Statement::AlterColumnTypeRewrite));
    // A default of an unmanaged schema that calls sequence `name` of the
    // step's schema, which the step drops (`how`: "it", or how it goes).
    const auto refuse_sequence_users = [&](const std::string& name, const std::string& how) {
      const auto users = sequence_defaults.find(object.schema + "." + name);
      if (users == sequence_defaults.end()) return;
      for (const auto& column : users->second) {
        if (managed.count(column.schema) != 0) continue;
        errors.emplace_back(
            object, "cannot " + draft.step.summary + ": " + how + "the default of " +
                        schemas::describe(column) + " uses it, and schema \"" + column.schema +
                        "\" is not managed by the desired state (pgshift leaves it alone), so "
                        "the server refuses the drop; change that default first, or manage "
                        "schema \"" +
                        column.schema + "\" in the desired state too");
      }
    };
    if (object.kind == schemas::ObjectKind::Sequence && has(Statement::DropSequence)) {
      refuse_sequence_users(object.name, "");
      continue;
    }
    if (!relation_dropped && !column_dropped && !column_retyped) continue;
    const std::string& relation = object.table.empty() ? object.name : object.table;
    // The sequences OWNED BY the dropped table's columns, or the dropped
    // column (serial), go with it.
    if ((has(Statement::DropTable) && object.table.empty()) || has(Statement::DropColumn)) {
      if (const auto* schema = schemas::find_schema(builder.current(), object.schema)) {
        const std::string owner = object.schema + "." + relation + "." +
                                  (object.table.empty() ? std::string() : object.name);
        for (const auto& sequence : schema->sequences) {
          if (!sequence.owned_by || (object.table.empty() ? sequence.owned_by->rfind(owner, 0) != 0
                                                          : *sequence.owned_by != owner)) {
            continue;
          }
          refuse_sequence_users(sequence.name, "its sequence \"" + object.schema + "." +
                                                   sequence.name + "\" goes with it, ");
        }
      }
    }
    std::set<schemas::ObjectId> dependents;
    for (const auto& dependency : dependencies) {
      const auto& referenced = dependency.referenced;
      const auto& dependent = dependency.dependent;
      if (managed.count(dependent.schema) != 0 || referenced.schema != object.schema ||
          referenced.name != relation || !referenced.table.empty()) {
        continue;
      }
      if (!relation_dropped && dependency.referenced_column != object.name) continue;
      // ALTER COLUMN TYPE rebuilds a foreign key elsewhere; a view it refuses.
      if (column_retyped && dependent.kind != schemas::ObjectKind::View &&
          dependent.kind != schemas::ObjectKind::MaterializedView) {
        continue;
      }
      dependents.insert(dependent);
    }
    for (const auto& dependent : dependents) {
      errors.emplace_back(
          object, "cannot " + draft.step.summary + ": " + schemas::describe(dependent) +
                      " depends on it, and schema \"" + dependent.schema +
                      "\" is not managed by the desired state (pgshift leaves it alone), so " +
                      (column_retyped ? "the server refuses to change the column's type under it"
                                      : "the server refuses the drop") +
                      "; change or drop it first, or manage schema \"" + dependent.schema +
                      "\" in the desired state too");
    }
  }
  for (auto& [object, message] : errors) {
    builder.diagnose(plans::Severity::Error, object, std::move(message));
  }
}

void flag_emptied_schemas(detail::Builder& builder) {
  for (const auto& current : builder.current().schemas) {
    const schemas::Schema* desired = schemas::find_named(builder.desired().schemas, current.name);
    if (desired == nullptr || current.tables.empty()) continue;
    std::set<std::string> kept;
    for (const auto& table : desired->tables) {
      kept.insert(table.name);
      if (table.renamed_from) kept.insert(*table.renamed_from);
    }
    const bool any_kept =
        std::any_of(current.tables.begin(), current.tables.end(),
                    [&kept](const schemas::Table& table) { return kept.count(table.name) != 0; });
    if (any_kept) continue;
    for (auto& draft : builder.drafts()) {
      const auto& step = draft.step;
      const bool drops_table =
          step.object.kind == schemas::ObjectKind::Table && step.object.schema == current.name &&
          step.phase == plans::Phase::Drop &&
          std::find(step.hazards.begin(), step.hazards.end(), plans::Hazard::DataLoss) !=
              step.hazards.end();
      if (drops_table) draft.step.hazards.push_back(plans::Hazard::EmptiesSchema);
    }
    builder.diagnose(
        plans::Severity::Warning, {schemas::ObjectKind::Schema, "", "", current.name},
        "the plan drops every table of schema \"" + current.name + "\" (" +
            std::to_string(current.tables.size()) +
            (current.tables.size() == 1 ? " table" : " tables") +
            "): if that is not intended, check that the desired state is the right file or "
            "directory; allow it with --allow-hazard empties_schema");
  }
}

// Contract steps run after the deploy, so what must follow one is contract
// too (a view created again over the new column), and so is what must come
// just before one to let it run (a view over the old column, dropped to be
// created again): a step that releases a token only contract steps
// invalidate. Repeated until nothing changes.
void spread_contract_stage(std::vector<StepDraft>& drafts) {
  std::vector<size_t> identity(drafts.size());
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx)
    identity[draft_idx] = draft_idx;
  const auto edges = dependency_edges(drafts, identity);
  std::set<std::string> invalidated_by_expand;
  for (const auto& draft : drafts) {
    if (draft.step.stage == plans::Stage::Expand) {
      invalidated_by_expand.insert(draft.invalidates.begin(), draft.invalidates.end());
    }
  }
  auto contract = [&drafts](size_t index) {
    return drafts[index].step.stage == plans::Stage::Contract;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& [from, to] : edges) {
      if (contract(from) && !contract(to)) {
        drafts[to].step.stage = plans::Stage::Contract;
        changed = true;
      } else if (!contract(from) && contract(to)) {
        const auto& releases = drafts[from].releases;
        const auto& invalidates = drafts[to].invalidates;
        const bool for_contract =
            std::any_of(releases.begin(), releases.end(), [&](const std::string& token) {
              return std::find(invalidates.begin(), invalidates.end(), token) !=
                         invalidates.end() &&
                     invalidated_by_expand.count(token) == 0;
            });
        if (for_contract) {
          drafts[from].step.stage = plans::Stage::Contract;
          changed = true;
        }
      }
    }
  }
}

// A `renamed_from` hint that matches nothing is an error, never ignored: a
// typo would otherwise plan a new object beside the old one (or drop the old
// one). Checked where the container exists on the current side and neither
// the new nor the old name is there (a fresh database, where the container
// does not exist yet or a schema is still empty, has nothing to rename). A
// table's qualified hint is a move to another schema (check_move_hint).
// The error of a `renamed_from` that matches nothing: names the hint, the
// object, where it was looked for and the nearest current name.
template <typename Items>
void no_match(detail::Builder& builder, const schemas::ObjectId& id, const std::string& old_name,
              const std::string& where, const Items& current_items) {
  std::vector<std::string> names;
  for (const auto& item : current_items) names.push_back(item.name);
  const auto near = schemas::closest_name(old_name, names);
  builder.diagnose(plans::Severity::Error, id,
                   "renamed_from \"" + schemas::printable(old_name) + "\" matches no " +
                       schemas::object_kind_name(id.kind) + " of " + where +
                       ", and none is named \"" + schemas::printable(id.name) + "\" yet: " +
                       (near ? "did you mean \"" + schemas::printable(*near) + "\"?"
                             : std::string("is the old name misspelt?")) +
                       " (a hint for a database where the object never existed under either "
                       "name cannot be followed: remove it)");
}

// A hint whose source the desired state keeps as well: an object named
// `old_name` in `desired_items` with no hint of its own, while the current
// side has the source (in `current_items`) and not yet the new name
// (`new_exists` false). No RENAME gives both; creating the new object beside
// the kept one would leave the hint unfollowed, silently.
template <typename DesiredItems, typename CurrentItems>
void check_kept_source(detail::Builder& builder, const schemas::ObjectId& id,
                       const std::string& old_name, const DesiredItems& desired_items,
                       const CurrentItems& current_items, bool new_exists,
                       const std::string& where) {
  if (new_exists) return;
  const auto* kept = schemas::find_named(desired_items, old_name);
  if (kept == nullptr || kept->renamed_from || schemas::find_named(current_items, old_name) == nullptr) {
    return;
  }
  const std::string kind = schemas::object_kind_name(id.kind);
  const char* article = kind.find_first_of("aeiou") == 0 ? "an " : "a ";
  builder.diagnose(plans::Severity::Error, id,
                   "renamed_from \"" + schemas::printable(old_name) + "\" names the " + kind +
                       " of " + where + " that the desired state keeps as well: " + article +
                       kind + " is renamed or kept, not both (remove the hint, or the " + kind +
                       " \"" + schemas::printable(old_name) + "\")");
}

// A relation's qualified hint ("public.audit_events": a move to another
// schema) that assume_table_moves or assume_relation_renames did not
// follow. Its old schema must be managed (listed in the desired state)
// unless the database has no table yet; a hint naming no relation of its
// kind there, where the schema has some, is an error with the nearest
// qualified name. Where the old relation exists (the desired state keeps it
// too, or the move was refused with its own error), nothing more is said.
// `items_of` gives a schema's relations of the kind of `id`.
template <typename ItemsOf>
void check_move_hint(detail::Builder& builder, const schemas::ObjectId& id, const std::string& hint,
                     const std::string& old_schema, const std::string& old_name, ItemsOf items_of) {
  const auto& desired = builder.desired();
  const bool managed =
      schemas::find_schema(desired, old_schema) != nullptr ||
      std::find(desired.drop_schemas.begin(), desired.drop_schemas.end(), old_schema) !=
          desired.drop_schemas.end();
  // A fresh database (a scratch one the desired state is built in, too)
  // has nothing to move.
  const auto& current_schemas = builder.current().schemas;
  const bool fresh = std::all_of(current_schemas.begin(), current_schemas.end(),
                                 [](const schemas::Schema& schema) { return schema.tables.empty(); });
  if (!managed && !fresh) {
    builder.diagnose(plans::Severity::Error, id,
                     "renamed_from \"" + schemas::printable(hint) + "\" names schema \"" +
                         schemas::printable(old_schema) +
                         "\", which the desired state does not manage: list it under schemas "
                         "(or drop_schemas) so that its " +
                         schemas::object_kind_name(id.kind) + " can be moved");
    return;
  }
  const schemas::Schema* current_schema = schemas::find_schema(builder.current(), old_schema);
  if (current_schema == nullptr) return;
  const auto& items = items_of(*current_schema);
  if (items.empty() || schemas::find_named(items, old_name) != nullptr) return;
  struct Named {
    std::string name;
  };
  std::vector<Named> qualified;
  for (const auto& item : items) qualified.push_back({old_schema + "." + item.name});
  no_match(builder, id, hint, "schema \"" + schemas::printable(old_schema) + "\"", qualified);
}

void check_rename_hints(detail::Builder& builder) {
  const auto no_match = [&builder](const schemas::ObjectId& id, const std::string& old_name,
                                   const std::string& where, const auto& current_items) {
    ::pgshift::planner::no_match(builder, id, old_name, where, current_items);
  };
  for (const auto& desired_schema : builder.desired().schemas) {
    const schemas::Schema* current_schema =
        schemas::find_named(builder.current().schemas, desired_schema.name);
    for (const auto& table : desired_schema.tables) {
      const schemas::ObjectId table_id{schemas::ObjectKind::Table, desired_schema.name, "",
                                       table.name};
      const schemas::Table* current_table =
          current_schema == nullptr ? nullptr
                                    : schemas::find_named(current_schema->tables, table.name);
      if (table.renamed_from) {
        const std::string& old_name = *table.renamed_from;
        if (const auto qualified = detail::split_qualified(old_name)) {
          const schemas::Schema* desired_old =
              schemas::find_schema(builder.desired(), qualified->first);
          const schemas::Schema* current_old =
              schemas::find_schema(builder.current(), qualified->first);
          if (desired_old != nullptr && current_old != nullptr) {
            check_kept_source(builder, table_id, qualified->second, desired_old->tables,
                              current_old->tables, current_table != nullptr,
                              "schema \"" + schemas::printable(qualified->first) + "\"");
          }
          // A move to another schema that assume_table_moves could not
          // follow (the hints it followed, or found done, are gone).
          check_move_hint(
              builder, table_id, old_name, qualified->first, qualified->second,
              [](const schemas::Schema& schema) -> const auto& { return schema.tables; });
          continue;
        }
        if (current_schema != nullptr) {
          check_kept_source(builder, table_id, old_name, desired_schema.tables,
                            current_schema->tables, current_table != nullptr,
                            "schema \"" + schemas::printable(desired_schema.name) + "\"");
        }
        if (current_table == nullptr && current_schema != nullptr) {
          current_table = schemas::find_named(current_schema->tables, old_name);
          if (current_table == nullptr && !current_schema->tables.empty()) {
            no_match(table_id, old_name,
                     "schema \"" + schemas::printable(desired_schema.name) + "\"",
                     current_schema->tables);
          }
        }
      }
      if (current_table == nullptr) continue;
      const std::string where = "table \"" + schemas::printable(desired_schema.name) + "." +
                                schemas::printable(current_table->name) + "\"";
      for (const auto& column : table.columns) {
        if (!column.renamed_from) continue;
        const schemas::ObjectId column_id{schemas::ObjectKind::Column, desired_schema.name,
                                          table.name, column.name};
        const std::string& old_name = *column.renamed_from;
        const bool has_new = schemas::find_named(current_table->columns, column.name) != nullptr;
        const bool has_old = schemas::find_named(current_table->columns, old_name) != nullptr;
        if (!has_new && !has_old) {
          no_match(column_id, old_name, where, current_table->columns);
          continue;
        }
        if (old_name == column.name || column.expand_contract) continue;
        // Both names wanted, or both there already: no RENAME can give
        // that, and dropping or keeping the old column silently is a guess.
        const std::string hint = "column \"" + schemas::printable(column.name) +
                                 "\": renamed_from \"" + schemas::printable(old_name) + "\"";
        if (schemas::find_named(table.columns, old_name) != nullptr) {
          builder.diagnose(plans::Severity::Error, column_id,
                           "renamed_from: " + hint +
                               " names a column the desired table keeps as well: a column is "
                               "renamed or kept, not both (remove the hint, or the column \"" +
                               schemas::printable(old_name) + "\")");
        } else if (has_new && has_old) {
          builder.diagnose(plans::Severity::Error, column_id,
                           "renamed_from: " + hint + ", but " + where + " has both columns: the "
                           "rename cannot be made; remove the hint (the old column is then "
                           "dropped, hazard data_loss) or drop the column \"" +
                               schemas::printable(column.name) + "\" first");
        }
      }
      for (const auto& policy : table.policies) {
        if (policy.renamed_from) {
          check_kept_source(
              builder, {schemas::ObjectKind::Policy, desired_schema.name, table.name, policy.name},
              *policy.renamed_from, table.policies, current_table->policies,
              schemas::find_named(current_table->policies, policy.name) != nullptr, where);
        }
        if (policy.renamed_from &&
            schemas::find_named(current_table->policies, policy.name) == nullptr &&
            schemas::find_named(current_table->policies, *policy.renamed_from) == nullptr) {
          no_match({schemas::ObjectKind::Policy, desired_schema.name, table.name, policy.name},
                   *policy.renamed_from, where, current_table->policies);
        }
      }
      // Constraints and indexes: the old name among the current ones of the
      // same kind.
      const auto members = [&](schemas::ObjectKind kind, const auto& desired_items,
                               const auto& current_items) {
        for (const auto& item : desired_items) {
          if (item.renamed_from) {
            check_kept_source(builder, {kind, desired_schema.name, table.name, item.name},
                              *item.renamed_from, desired_items, current_items,
                              schemas::find_named(current_items, item.name) != nullptr, where);
          }
          if (item.renamed_from && schemas::find_named(current_items, item.name) == nullptr &&
              schemas::find_named(current_items, *item.renamed_from) == nullptr) {
            no_match({kind, desired_schema.name, table.name, item.name}, *item.renamed_from,
                     where, current_items);
          }
        }
      };
      std::vector<schemas::PrimaryKey> desired_key;
      std::vector<schemas::PrimaryKey> current_key;
      if (table.primary_key) desired_key.push_back(*table.primary_key);
      if (current_table->primary_key) current_key.push_back(*current_table->primary_key);
      members(schemas::ObjectKind::PrimaryKey, desired_key, current_key);
      members(schemas::ObjectKind::UniqueConstraint, table.unique_constraints,
              current_table->unique_constraints);
      members(schemas::ObjectKind::CheckConstraint, table.check_constraints,
              current_table->check_constraints);
      members(schemas::ObjectKind::ForeignKey, table.foreign_keys, current_table->foreign_keys);
      members(schemas::ObjectKind::ExclusionConstraint, table.exclusion_constraints,
              current_table->exclusion_constraints);
      members(schemas::ObjectKind::Index, table.indexes, current_table->indexes);
    }
    // A schema the plan creates holds nothing yet (a move into it that was
    // not followed is still checked).
    static const schemas::Schema kNoSchema;
    if (current_schema == nullptr) current_schema = &kNoSchema;
    // Sequences, views and materialized views: checked once the schema has
    // relations (an empty one is a fresh database: nothing to rename).
    const bool has_relations =
        !current_schema->tables.empty() || !current_schema->sequences.empty() ||
        !current_schema->views.empty() || !current_schema->materialized_views.empty();
    const std::string in_schema = "schema \"" + schemas::printable(desired_schema.name) + "\"";
    const auto relations = [&](schemas::ObjectKind kind, const auto& desired_items,
                               const auto& current_items, auto items_of) {
      for (const auto& item : desired_items) {
        if (!item.renamed_from || schemas::find_named(current_items, item.name) != nullptr) {
          continue;
        }
        const schemas::ObjectId id{kind, desired_schema.name, "", item.name};
        std::string old_name = *item.renamed_from;
        if (const auto qualified = detail::split_qualified(old_name)) {
          if (qualified->first != desired_schema.name) {
            const schemas::Schema* desired_old =
                schemas::find_schema(builder.desired(), qualified->first);
            const schemas::Schema* current_old =
                schemas::find_schema(builder.current(), qualified->first);
            if (desired_old != nullptr && current_old != nullptr) {
              check_kept_source(builder, id, qualified->second, items_of(*desired_old),
                                items_of(*current_old), false,
                                "schema \"" + schemas::printable(qualified->first) + "\"");
            }
            // A move to another schema that assume_relation_renames could
            // not follow.
            check_move_hint(builder, id, old_name, qualified->first, qualified->second, items_of);
            continue;
          }
          old_name = qualified->second;
        }
        check_kept_source(builder, id, old_name, desired_items, current_items, false, in_schema);
        if (!has_relations || schemas::find_named(current_items, old_name) != nullptr) continue;
        no_match(id, old_name, in_schema, current_items);
      }
    };
    relations(
        schemas::ObjectKind::Sequence, desired_schema.sequences, current_schema->sequences,
        [](const schemas::Schema& schema) -> const auto& { return schema.sequences; });
    relations(
        schemas::ObjectKind::View, desired_schema.views, current_schema->views,
        [](const schemas::Schema& schema) -> const auto& { return schema.views; });
    relations(
        schemas::ObjectKind::MaterializedView, desired_schema.materialized_views,
        current_schema->materialized_views,
        [](const schemas::Schema& schema) -> const auto& { return schema.materialized_views; });
    for (const auto& view : desired_schema.materialized_views) {
      const schemas::MaterializedView* current_view =
          schemas::find_named(current_schema->materialized_views, view.name);
      if (current_view == nullptr && view.renamed_from) {
        current_view = schemas::find_named(current_schema->materialized_views, *view.renamed_from);
      }
      if (current_view == nullptr) continue;
      const std::string where = "materialized view \"" +
                                schemas::printable(desired_schema.name) + "." +
                                schemas::printable(current_view->name) + "\"";
      for (const auto& index : view.indexes) {
        if (index.renamed_from) {
          check_kept_source(
              builder, {schemas::ObjectKind::Index, desired_schema.name, view.name, index.name},
              *index.renamed_from, view.indexes, current_view->indexes,
              schemas::find_named(current_view->indexes, index.name) != nullptr, where);
        }
        if (index.renamed_from && schemas::find_named(current_view->indexes, index.name) == nullptr &&
            schemas::find_named(current_view->indexes, *index.renamed_from) == nullptr) {
          no_match({schemas::ObjectKind::Index, desired_schema.name, view.name, index.name},
                   *index.renamed_from, where, current_view->indexes);
        }
      }
    }
    // Enum labels: the old label among the current enum's.
    for (const auto& type : desired_schema.enums) {
      const schemas::Enum* current_type = schemas::find_named(current_schema->enums, type.name);
      if (current_type == nullptr) continue;
      const auto& labels = current_type->labels;
      for (const auto& [label, old_label] : type.label_renamed_from) {
        if (std::find(labels.begin(), labels.end(), label) != labels.end() ||
            std::find(labels.begin(), labels.end(), old_label) != labels.end()) {
          continue;
        }
        const auto near = schemas::closest_name(old_label, labels);
        builder.diagnose(
            plans::Severity::Error, {schemas::ObjectKind::Enum, desired_schema.name, "", type.name},
            "renamed_from \"" + schemas::printable(old_label) + "\" of label \"" +
                schemas::printable(label) + "\" matches no label of enum \"" +
                schemas::printable(desired_schema.name) + "." + schemas::printable(type.name) +
                "\", and none is \"" + schemas::printable(label) + "\" yet: " +
                (near ? "did you mean \"" + schemas::printable(*near) + "\"?"
                      : std::string("is the old label misspelt?")) +
                " (remove the hint where the label never existed under either name)");
      }
    }
  }
}

}  // namespace

namespace detail {

// Whether plan_changes must rewrite copies of the models before comparing
// them: ignore patterns, owners, a schema of `current` the desired state does
// not name, or a planning hint (renamed_from, expand_contract, ...). Without
// any, every rewrite below leaves both models as they are, and the models are
// compared as given: at 10,000 tables each copy was about 100 MB, the two of
// them 40% of a no-op plan's peak memory (jeprof).
bool models_need_rewrite(const schemas::Database& current, const schemas::Database& desired) {
  if (!desired.ignore.empty() || desired.manage_owners || current.manage_owners ||
      schemas::has_owners(current) || schemas::has_planning_hints(desired)) {
    return true;
  }
  const std::set<std::string> managed = managed_schemas(desired);
  return std::any_of(
      current.schemas.begin(), current.schemas.end(),
      [&managed](const schemas::Schema& schema) { return managed.count(schema.name) == 0; });
}

ModelRewrites rewrite_models(schemas::Database& current, schemas::Database& desired) {
  ModelRewrites rewrites;
  // Objects matching the desired model's `ignore:` patterns are managed
  // elsewhere: they leave both sides before anything is compared.
  const std::vector<std::string> ignore = desired.ignore;
  schemas::remove_ignored(current, ignore);
  schemas::remove_ignored(desired, ignore);
  // pgshift manages only the schemas the desired state names, to keep or to
  // drop: a schema of the current side named nowhere is left alone, whatever
  // the caller read.
  const std::set<std::string> managed = managed_schemas(desired);
  current.schemas.erase(std::remove_if(current.schemas.begin(), current.schemas.end(),
                                       [&managed](const schemas::Schema& schema) {
                                         return managed.count(schema.name) == 0;
                                       }),
                        current.schemas.end());
  // Tables moved to another schema by a qualified renamed_from: the other
  // rules see them moved (and the followed hints gone).
  rewrites.moves = assume_table_moves(current, desired, rewrites.diagnostics);
  // Columns changed by expand and contract: the other rules see them as done.
  rewrites.expand_contract = prepare_expand_contract(current, desired, rewrites.diagnostics);
  // Relations renamed by renamed_from: the other rules see them renamed.
  rewrites.renames = assume_relation_renames(current, desired, rewrites.diagnostics);
  // Columns renamed by renamed_from: what uses them is seen renamed too.
  rewrites.column_renames = assume_column_renames(current, desired);
  // Constraints named after those columns: renamed with them.
  assume_constraint_renames(current, desired, rewrites.column_renames);
  // Enum labels renamed by renamed_from: constants of the old label too.
  assume_label_renames(current, desired);
  // Owners are compared only where the desired state gives one.
  schemas::keep_compared_owners(current, desired);
  return rewrites;
}

}  // namespace detail

plans::Plan plan_changes(const schemas::Database& current_in, const schemas::Database& desired_in,
                         const PlanOptions& options) {
  // The rules see both models as rewrite_models leaves them: copies, made
  // only when a rewrite would change something.
  std::optional<schemas::Database> current_copy;
  std::optional<schemas::Database> desired_copy;
  detail::ModelRewrites rewrites;
  if (detail::models_need_rewrite(current_in, desired_in)) {
    current_copy = current_in;
    desired_copy = desired_in;
    rewrites = detail::rewrite_models(*current_copy, *desired_copy);
  }
  const schemas::Database& current = current_copy ? *current_copy : current_in;
  const schemas::Database& desired = desired_copy ? *desired_copy : desired_in;
  const std::set<std::string> managed = managed_schemas(desired);
  const auto& moves = rewrites.moves;
  const auto& expand_contract = rewrites.expand_contract;
  const auto& renames = rewrites.renames;
  std::vector<plans::Diagnostic>& swap_diagnostics = rewrites.diagnostics;
  detail::Builder builder(current, desired, options);
  for (const auto& move : moves) {
    builder.record_table_move({move.schema, move.to}, {move.from_schema, move.from});
  }
  for (const auto& rename : rewrites.column_renames) {
    builder.record_column_rename(rename.schema, rename.table, rename.to, rename.from);
  }
  for (auto& diagnostic : swap_diagnostics) {
    builder.diagnose(diagnostic.severity, diagnostic.object, std::move(diagnostic.message));
  }
  if (managed.empty()) {
    builder.diagnose(plans::Severity::Error, {},
                     "the desired state names no schema: it would manage nothing (is it the "
                     "right file or directory?); list schemas to drop under drop_schemas");
  }
  check_rename_hints(builder);
  detail::plan_schemas_and_extensions(builder);
  detail::plan_table_moves(builder, moves);
  detail::plan_relation_renames(builder, renames);
  detail::plan_types(builder);
  detail::plan_sequences(builder);
  detail::plan_functions(builder);
  detail::plan_tables(builder);
  detail::plan_expand_contract(builder, expand_contract);
  detail::plan_views(builder);
  detail::plan_owners(builder);
  detail::plan_privileges(builder);
  flag_emptied_schemas(builder);
  refuse_unmodelled_losses(builder);
  refuse_unmanaged_dependents(builder);
  detail::fuse_routine_dependents(builder);
  spread_contract_stage(builder.drafts());

  // Number the drafts by stable key; `after` indices follow the renumbering.
  std::vector<StepDraft>& unsorted = builder.drafts();
  std::vector<size_t> by_key(unsorted.size());
  for (size_t draft_idx = 0; draft_idx < by_key.size(); ++draft_idx) by_key[draft_idx] = draft_idx;
  std::stable_sort(by_key.begin(), by_key.end(),
                   [&unsorted](size_t a, size_t b) { return key_less(unsorted[a], unsorted[b]); });
  std::vector<size_t> remap(unsorted.size());
  std::vector<StepDraft> drafts;
  drafts.reserve(unsorted.size());
  for (size_t rank = 0; rank < by_key.size(); ++rank) {
    remap[by_key[rank]] = rank;
    drafts.push_back(std::move(unsorted[by_key[rank]]));
  }

  plans::Plan plan;
  plan.fingerprint = current.facts.fingerprint;
  plan.schemas.assign(managed.begin(), managed.end());
  plan.owners = desired.manage_owners;
  plan.server_version_num = builder.version();
  plan.search_path = current.facts.session.search_path;
  plan.diagnostics = builder.diagnostics();
  for (const auto& view : expand_contract.views) {
    plan.deploy.push_back("application code that uses table \"" + view.schema + "." + view.table +
                          "\" instead of \"" + view.view +
                          "\" (the old name is an updatable view until contract)");
  }
  for (const auto& swap : expand_contract.swaps) {
    const std::string& name = swap.desired_column.name;
    const std::string where = "table \"" + swap.schema + "." + swap.desired_table->name + "\"";
    plan.deploy.push_back(swap.old_column.name != name
                              ? "application code that reads and writes column \"" + name +
                                    "\" of " + where + " instead of \"" + swap.old_column.name +
                                    "\" (both are kept equal until contract)"
                              : "nothing for column \"" + name + "\" of " + where +
                                    ": its name stays; contract swaps in the new type");
  }

  const auto edges = detail::dependency_edges(drafts, remap);
  const OrderOutcome outcome = order_topologically(drafts.size(), edges);
  if (!outcome.cycle.empty()) {
    std::string message = "dependency cycle: ";
    for (size_t cycle_idx = 0; cycle_idx < outcome.cycle.size(); ++cycle_idx) {
      if (cycle_idx > 0) message += " -> ";
      message += schemas::describe(drafts[outcome.cycle[cycle_idx]].step.object);
    }
    plan.diagnostics.push_back(
        {plans::Severity::Error, drafts[outcome.cycle.front()].step.object, message});
    return plan;
  }
  std::vector<int> id_of(drafts.size());
  for (size_t position = 0; position < outcome.order.size(); ++position) {
    id_of[outcome.order[position]] = static_cast<int>(position) + 1;
  }
  for (size_t draft_idx : outcome.order) {
    plans::Step step = std::move(drafts[draft_idx].step);
    step.id = id_of[draft_idx];
    step.lock_timeout = options.lock_timeout;
    step.statement_timeout = statement_timeout(drafts[draft_idx].timeout, options);
    for (const auto& [from, to] : edges) {
      if (to == draft_idx) step.depends_on.push_back(id_of[from]);
    }
    std::sort(step.depends_on.begin(), step.depends_on.end());
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

std::string diff_summary(const plans::Plan& plan) {
  std::string text;
  for (const auto& step : plan.steps) {
    text += std::to_string(step.id) + ". " + step.summary + "\n";
  }
  for (const auto& diagnostic : plan.diagnostics) {
    text +=
        std::string(plans::severity_name(diagnostic.severity)) + ": " + diagnostic.message + "\n";
  }
  return text;
}

}  // namespace pgshift::planner
