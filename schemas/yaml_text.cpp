#include "schemas/yaml_text.hpp"

namespace pgshift::schemas::detail {

const Keywords<IdentityKind> kIdentityKinds = {{"always", IdentityKind::Always},
                                               {"by_default", IdentityKind::ByDefault}};
const Keywords<ReferentialAction> kReferentialActions = {
    {"no_action", ReferentialAction::NoAction},
    {"restrict", ReferentialAction::Restrict},
    {"cascade", ReferentialAction::Cascade},
    {"set_null", ReferentialAction::SetNull},
    {"set_default", ReferentialAction::SetDefault}};
const Keywords<MatchType> kMatchTypes = {
    {"simple", MatchType::Simple}, {"full", MatchType::Full}, {"partial", MatchType::Partial}};
const Keywords<SortOrder> kSortOrders = {{"asc", SortOrder::Asc}, {"desc", SortOrder::Desc}};
const Keywords<NullsOrder> kNullsOrders = {{"first", NullsOrder::First},
                                           {"last", NullsOrder::Last}};
const Keywords<TriggerTiming> kTriggerTimings = {{"before", TriggerTiming::Before},
                                                 {"after", TriggerTiming::After},
                                                 {"instead_of", TriggerTiming::InsteadOf}};
const Keywords<TriggerFiring> kTriggerFirings = {{"origin", TriggerFiring::Origin},
                                                 {"replica", TriggerFiring::Replica},
                                                 {"always", TriggerFiring::Always},
                                                 {"disabled", TriggerFiring::Disabled}};
const Keywords<PartitionStrategy> kPartitionStrategies = {{"range", PartitionStrategy::Range},
                                                          {"list", PartitionStrategy::List},
                                                          {"hash", PartitionStrategy::Hash}};
const Keywords<ReplicaIdentity> kReplicaIdentities = {{"default", ReplicaIdentity::Default},
                                                      {"full", ReplicaIdentity::Full},
                                                      {"nothing", ReplicaIdentity::Nothing}};
const Keywords<ArgMode> kArgModes = {{"in", ArgMode::In},
                                     {"out", ArgMode::Out},
                                     {"inout", ArgMode::InOut},
                                     {"variadic", ArgMode::Variadic},
                                     {"table", ArgMode::Table}};
const Keywords<Volatility> kVolatilities = {{"immutable", Volatility::Immutable},
                                            {"stable", Volatility::Stable},
                                            {"volatile", Volatility::Volatile}};
const Keywords<bool> kForEach = {{"row", true}, {"statement", false}};
const Keywords<PolicyCommand> kPolicyCommands = {{"all", PolicyCommand::All},
                                                 {"select", PolicyCommand::Select},
                                                 {"insert", PolicyCommand::Insert},
                                                 {"update", PolicyCommand::Update},
                                                 {"delete", PolicyCommand::Delete}};
const Keywords<bool> kPolicyKinds = {{"permissive", true}, {"restrictive", false}};
const std::vector<std::pair<const char*, const char*>> kTriggerEvents = {
    {"insert", "INSERT"}, {"update", "UPDATE"}, {"delete", "DELETE"}, {"truncate", "TRUNCATE"}};

namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace

bool is_reference_name(const std::string& name) {
  return !name.empty() && trim(name) == name && name.find_first_of(".(),\"") == std::string::npos;
}

std::optional<TableReference> parse_table_reference(const std::string& text) {
  const auto open = text.find('(');
  if (open == std::string::npos || text.empty() || text.back() != ')') return std::nullopt;
  TableReference reference;
  std::string qualified = trim(text.substr(0, open));
  const auto dot = qualified.find('.');
  if (dot != std::string::npos) {
    reference.schema = trim(qualified.substr(0, dot));
    if (!is_reference_name(reference.schema)) return std::nullopt;
    qualified = trim(qualified.substr(dot + 1));
  }
  reference.table = qualified;
  if (!is_reference_name(reference.table)) return std::nullopt;
  const std::string list = text.substr(open + 1, text.size() - open - 2);
  size_t start = 0;
  while (true) {
    const auto comma = list.find(',', start);
    const std::string column = trim(list.substr(start, comma - start));
    if (!is_reference_name(column)) return std::nullopt;
    reference.columns.push_back(column);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return reference;
}

}  // namespace pgshift::schemas::detail
