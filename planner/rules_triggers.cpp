// Triggers: create, replace (in place from PostgreSQL 14), comment, drop.
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

bool same_trigger(const schemas::Trigger& a, const schemas::Trigger& b) {
  return a.constraint == b.constraint && a.deferrable == b.deferrable &&
         a.initially_deferred == b.initially_deferred && a.from == b.from &&
         a.timing == b.timing && a.events == b.events && a.update_of == b.update_of &&
         a.for_each_row == b.for_each_row && a.function == b.function &&
         a.arguments == b.arguments &&
         (a.when ? std::optional<std::string>(normalize_expression(*a.when)) : std::nullopt) ==
             (b.when ? std::optional<std::string>(normalize_expression(*b.when)) : std::nullopt);
}

// ALTER TABLE ... ENABLE [REPLICA | ALWAYS] / DISABLE TRIGGER for `firing`.
std::string firing_sql(const std::string& relation, const std::string& trigger,
                       schemas::TriggerFiring firing) {
  using schemas::TriggerFiring;
  const char* clause = firing == TriggerFiring::Disabled  ? " DISABLE TRIGGER "
                       : firing == TriggerFiring::Replica ? " ENABLE REPLICA TRIGGER "
                       : firing == TriggerFiring::Always  ? " ENABLE ALWAYS TRIGGER "
                                                          : " ENABLE TRIGGER ";
  return "ALTER TABLE " + relation + clause + quote_ident(trigger);
}

// Whether a trigger firing `from` stops firing in some sessions once it is
// `to`: origin fires in origin and local sessions, replica in replica ones,
// always in both, disabled in none.
bool narrows(schemas::TriggerFiring from, schemas::TriggerFiring to) {
  using schemas::TriggerFiring;
  const auto origin = [](TriggerFiring f) {
    return f == TriggerFiring::Origin || f == TriggerFiring::Always;
  };
  const auto replica = [](TriggerFiring f) {
    return f == TriggerFiring::Replica || f == TriggerFiring::Always;
  };
  return (origin(from) && !origin(to)) || (replica(from) && !replica(to));
}

std::string firing_summary(schemas::TriggerFiring firing) {
  using schemas::TriggerFiring;
  return firing == TriggerFiring::Disabled  ? "disable "
         : firing == TriggerFiring::Replica ? "fire only in replica sessions: "
         : firing == TriggerFiring::Always  ? "fire in every session (replica ones too): "
                                            : "enable ";
}

// The token of a constraint trigger's FROM table ("schema.table").
std::string from_token(const std::string& from) {
  const auto dot = from.find('.');
  return table_token(from.substr(0, dot), from.substr(dot + 1));
}

}  // namespace

void plan_triggers(TableContext& table) {
  Builder& builder = table.builder;
  for (const auto& [current, desired_ptr] :
       match_by_name(table.current ? &table.current->triggers : nullptr, table.desired.triggers)) {
    if (desired_ptr == nullptr) {
      auto draft = Builder::make(Phase::Drop, table.id(ObjectKind::Trigger, current->name),
                                 "drop " + table.of("trigger", current->name),
                                 "the trigger is not in the desired schema");
      draft.step.statements = {"DROP TRIGGER " + quote_ident(current->name) + " ON " +
                               table.relation};
      builder.statement(draft, Statement::DropTrigger, table.on());
      draft.releases.push_back("func:" + current->function);
      if (!current->from.empty()) draft.releases.push_back(from_token(current->from));
      // Before a type change of a column it uses (which it would block).
      for (const auto& column : table.current->columns) {
        if (trigger_uses_column(builder, builder.current(), table.schema, table.current->name,
                                *current, column.name)) {
          draft.releases.push_back(table.column_token_of(column.name));
        }
      }
      builder.add(std::move(draft));
      continue;
    }
    const schemas::Trigger& desired = *desired_ptr;
    const ObjectId id = table.id(ObjectKind::Trigger, desired.name);
    if (current == nullptr || !same_trigger(*current, desired)) {
      auto draft =
          Builder::make(Phase::Finalize, id,
                        (current ? "replace " : "create ") + table.of("trigger", desired.name),
                        "CREATE TRIGGER takes SHARE ROW EXCLUSIVE: reads go on");
      // CREATE OR REPLACE TRIGGER is 14+, and never of a constraint trigger.
      const bool replace_in_place = current != nullptr && builder.version() >= 140000 &&
                                    !current->constraint && !desired.constraint;
      if (current != nullptr && !replace_in_place) {
        draft.step.statements.push_back("DROP TRIGGER " + quote_ident(desired.name) + " ON " +
                                        table.relation);
        builder.statement(draft, Statement::DropTriggerToReplace, table.on());
      }
      draft.step.statements.push_back(
          trigger_sql(table.relation, desired, replace_in_place, builder.version()));
      builder.statement(
          draft, replace_in_place ? Statement::CreateOrReplaceTrigger : Statement::CreateTrigger,
          table.on());
      // Created (or replaced) firing as every trigger does: origin.
      if (desired.firing != schemas::TriggerFiring::Origin) {
        draft.step.statements.push_back(firing_sql(table.relation, desired.name, desired.firing));
        builder.statement(draft, Statement::SetTriggerFiring, table.on());
      }
      draft.requires_.push_back("func:" + desired.function);
      if (!desired.from.empty()) draft.requires_.push_back(from_token(desired.from));
      builder.add(std::move(draft));
    } else if (current->firing != desired.firing) {
      auto draft = Builder::make(
          Phase::Finalize, id, firing_summary(desired.firing) + table.of("trigger", desired.name),
          "ALTER TABLE ... ENABLE / DISABLE TRIGGER takes SHARE ROW EXCLUSIVE: catalog only");
      draft.step.statements = {firing_sql(table.relation, desired.name, desired.firing)};
      builder.statement(draft,
                        narrows(current->firing, desired.firing) ? Statement::NarrowTriggerFiring
                                                                 : Statement::SetTriggerFiring,
                        table.on());
      builder.add(std::move(draft));
    }
    if ((current ? current->comment : std::nullopt) != desired.comment) {
      auto draft =
          Builder::make(Phase::Finalize, id, "comment on " + table.of("trigger", desired.name),
                        "comments are catalog-only");
      draft.step.statements = {comment_sql(
          "TRIGGER", quote_ident(desired.name) + " ON " + table.relation, desired.comment)};
      builder.statement(draft, Statement::CommentOnTableMember, table.on());
      draft.sequence = 1;
      builder.add(std::move(draft));
    }
  }
}

}  // namespace pgshift::planner::detail
