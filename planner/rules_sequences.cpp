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

void plan_sequence(Builder& builder, const std::string& schema, const schemas::Sequence* current,
                   const schemas::Sequence* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Sequence, schema, "", name};
  const std::string sequence = quote_qualified(schema, name);
  const std::string token = "seq:" + schema + "." + name;
  const Targets on_sequence = on_relation(schema, name);
  if (desired == nullptr) {
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
    add_simple(
        builder, Phase::Prepare, id, "alter " + describe(id),
        "sequence options are catalog entries",
        {{Statement::AlterSequence, "ALTER SEQUENCE " + sequence + sequence_options_sql(*desired)}},
        {token}, {}, {}, {}, on_sequence);
  }
  if ((current ? current->owned_by : std::nullopt) != desired->owned_by) {
    std::vector<std::string> requires_ = {token};
    Targets targets = on_sequence;
    if (desired->owned_by) {
      requires_.push_back("column:" + *desired->owned_by);
      const auto first = desired->owned_by->find('.');
      const auto last = desired->owned_by->rfind('.');
      targets.referenced.push_back({desired->owned_by->substr(0, first),
                                    desired->owned_by->substr(first + 1, last - first - 1)});
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
