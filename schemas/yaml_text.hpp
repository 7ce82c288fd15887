// Spellings shared by the YAML loader and writer, so that the two cannot
// disagree. Internal to schemas/yaml_*.cpp.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::schemas::detail {

// The YAML word for each value of an enumeration, in the order documented.
template <typename E>
using Keywords = std::vector<std::pair<const char*, E>>;

extern const Keywords<IdentityKind> kIdentityKinds;  // without None
extern const Keywords<ReferentialAction> kReferentialActions;
extern const Keywords<MatchType> kMatchTypes;
extern const Keywords<SortOrder> kSortOrders;
extern const Keywords<NullsOrder> kNullsOrders;  // without Default
extern const Keywords<TriggerTiming> kTriggerTimings;
extern const Keywords<TriggerFiring> kTriggerFirings;
extern const Keywords<PartitionStrategy> kPartitionStrategies;
extern const Keywords<ReplicaIdentity> kReplicaIdentities;  // without UsingIndex
extern const Keywords<ArgMode> kArgModes;
extern const Keywords<Volatility> kVolatilities;
extern const Keywords<bool> kForEach;  // row: true, statement: false
extern const Keywords<PolicyCommand> kPolicyCommands;
extern const Keywords<bool> kPolicyKinds;  // permissive: true, restrictive: false
// Trigger events: YAML word and model word, in the model's order.
extern const std::vector<std::pair<const char*, const char*>> kTriggerEvents;

template <typename E>
const char* keyword_of(const Keywords<E>& keywords, E value) {
  for (const auto& [text, candidate] : keywords) {
    if (candidate == value) return text;
  }
  return "";
}

// "a, b or c" for messages.
template <typename E>
std::string keyword_list(const Keywords<E>& keywords) {
  std::string text;
  for (size_t keyword_idx = 0; keyword_idx < keywords.size(); ++keyword_idx) {
    if (keyword_idx > 0) text += keyword_idx + 1 == keywords.size() ? " or " : ", ";
    text += keywords[keyword_idx].first;
  }
  return text;
}

// The short form of a reference, "[schema.]table(column, ...)".
struct TableReference {
  std::string schema;  // empty when not written
  std::string table;
  std::vector<std::string> columns;
};
// nullopt when `text` is not of that form.
std::optional<TableReference> parse_table_reference(const std::string& text);
// Whether `name` can appear in a short-form reference and read back the same:
// not empty, no surrounding blanks, none of . ( ) , "
bool is_reference_name(const std::string& name);

}  // namespace pgshift::schemas::detail
