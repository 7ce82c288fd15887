// Sequences: create, alter options, OWNED BY, comment, drop.
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

// The column "schema.table.column" exists in the current model and the plan
// drops it or its table (neither is in the desired model, by name or by
// renamed_from).
bool owner_dropped(const Builder& builder, const std::string& owned_by) {
  const auto parts = split_owned_by(owned_by);
  if (!parts) return false;
  const std::string& schema = parts->schema;
  const std::string& table = parts->table;
  const std::string& column = parts->column;
  const auto* current = schemas::find_table(builder.current(), schema, table);
  if (current == nullptr || schemas::find_named(current->columns, column) == nullptr) return false;
  const auto* desired_schema = schemas::find_schema(builder.desired(), schema);
  if (desired_schema == nullptr) return true;
  const schemas::Table* desired = schemas::find_named(desired_schema->tables, table);
  if (desired == nullptr) {
    for (const auto& candidate : desired_schema->tables) {
      if (candidate.renamed_from == table) desired = &candidate;
    }
  }
  if (desired == nullptr) return true;
  if (schemas::find_named(desired->columns, column) != nullptr) return false;
  return std::none_of(
      desired->columns.begin(), desired->columns.end(),
      [&column](const schemas::Column& candidate) { return candidate.renamed_from == column; });
}

void plan_sequence(Builder& builder, const std::string& schema, const schemas::Sequence* current,
                   const schemas::Sequence* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Sequence, schema, "", name};
  const std::string sequence = quote_qualified(schema, name);
  const std::string token = "seq:" + schema + "." + name;
  const Targets on_sequence = on_relation(schema, name);
  if (desired == nullptr) {
    // A sequence OWNED BY a column the plan drops (serial, bigserial) goes
    // with it: DROP TABLE / DROP COLUMN drop it (pg_depend deptype 'a'), and
    // dropping it first fails while the column's default uses it (2BP01).
    if (current->owned_by && owner_dropped(builder, *current->owned_by)) return;
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the sequence is not in the desired schema",
               {{Statement::DropSequence, "DROP SEQUENCE " + sequence}}, {}, {}, {token},
               {"schema:" + schema}, on_sequence);
    return;
  }
  if (current == nullptr) {
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new sequence",
               {{Statement::CreateSequence,
                 "CREATE SEQUENCE " + sequence + sequence_options_sql(*desired)}},
               {token}, {"schema:" + schema});
  } else if (normalize_type(current->type) != normalize_type(desired->type) ||
             !(current->options == desired->options)) {
    // ALTER SEQUENCE checks the sequence's position against the new bounds.
    // One never called sits at its old start: RESTART moves it to the new
    // one, nothing was handed out. One called outside the new bounds is
    // refused: moving it is a choice about values already in use.
    const auto usage = builder.current().facts.sequence_usage.find(schema + "." + name);
    const bool called =
        usage == builder.current().facts.sequence_usage.end() || usage->second.is_called;
    const int64_t increment = desired->options.increment.value_or(1);
    const int64_t min_value = desired->options.min_value.value_or(
        schemas::default_sequence_min(desired->type, increment > 0));
    const int64_t max_value = desired->options.max_value.value_or(
        schemas::default_sequence_max(desired->type, increment > 0));
    if (called && usage != builder.current().facts.sequence_usage.end() &&
        (usage->second.last_value < min_value || usage->second.last_value > max_value)) {
      builder.diagnose(plans::Severity::Error, id,
                       describe(id) + " has handed out " +
                           std::to_string(usage->second.last_value) +
                           ", outside the desired bounds " + std::to_string(min_value) + ".." +
                           std::to_string(max_value) +
                           ": change the bounds, or move it first (ALTER SEQUENCE ... RESTART)");
      return;
    }
    add_simple(builder, Phase::Prepare, id, "alter " + describe(id),
               "sequence options are catalog entries",
               {{Statement::AlterSequence,
                 "ALTER SEQUENCE " + sequence + alter_sequence_options_sql(*desired, !called)}},
               {token}, {}, {}, {}, on_sequence);
  }
  if ((current ? current->owned_by : std::nullopt) != desired->owned_by) {
    std::vector<std::string> requires_ = {token};
    Targets targets = on_sequence;
    if (desired->owned_by) {
      requires_.push_back("column:" + *desired->owned_by);
      if (const auto parts = split_owned_by(*desired->owned_by)) {
        targets.referenced.push_back({parts->schema, parts->table});
      }
    }
    add_simple(builder, Phase::Finalize, id, "set the owner column of " + describe(id),
               "OWNED BY ties the sequence's life to the column",
               {{Statement::AlterSequenceOwnedBy,
                 "ALTER SEQUENCE " + sequence + " OWNED BY " + owned_by_sql(desired->owned_by)}},
               {}, requires_, {}, {}, targets);
  }
  maybe_comment(builder, id, "SEQUENCE", sequence, current ? current->comment : std::nullopt,
                desired->comment, token, &on_sequence);
}

}  // namespace

void plan_sequences(Builder& builder) {
  for_each_match<schemas::Sequence>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.sequences; },
      [&builder](const std::string& schema, const schemas::Sequence* current,
                 const schemas::Sequence* desired) {
        plan_sequence(builder, schema, current, desired);
      });
}

}  // namespace pgshift::planner::detail
