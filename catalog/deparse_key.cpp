#include "catalog/deparse_key.hpp"

#include <charconv>

namespace pgshift::catalog {

namespace {

constexpr std::string_view kLocation = " :location ";
constexpr std::string_view kAttribute = " :varattno ";

// The integer at the start of `text`, and where it ends; nullopt if none.
std::optional<std::pair<int, std::size_t>> leading_integer(std::string_view text) {
  int value = 0;
  const auto [next, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc()) return std::nullopt;
  return std::make_pair(value, static_cast<std::size_t>(next - text.data()));
}

}  // namespace

std::optional<std::string> shared_deparse_key(
    std::string_view tree, const std::function<std::string(int attnum)>& column_name) {
  // A node's fields are written " :name value"; a string value escapes its
  // spaces (outToken), so " :" starts a field wherever it appears.
  std::string key;
  key.reserve(tree.size() + 32);
  std::string names;
  std::size_t copied = 0;
  for (std::size_t field = tree.find(" :"); field != std::string_view::npos;
       field = tree.find(" :", field + 2)) {
    const std::string_view rest = tree.substr(field);
    if (rest.compare(0, kLocation.size(), kLocation) == 0) {
      const auto number = leading_integer(rest.substr(kLocation.size()));
      if (!number) continue;
      key.append(tree, copied, field - copied);
      copied = field + kLocation.size() + number->second;
    } else if (rest.compare(0, kAttribute.size(), kAttribute) == 0) {
      const auto number = leading_integer(rest.substr(kAttribute.size()));
      if (!number || number->first <= 0) return std::nullopt;
      names.append(column_name(number->first));
      names.push_back('\0');
    }
  }
  key.append(tree, copied, std::string_view::npos);
  key.push_back('\0');
  key.append(names);
  return key;
}

}  // namespace pgshift::catalog
