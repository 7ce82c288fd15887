#include "catalog/deparse_key.hpp"

#include <cctype>
#include <cstdlib>

namespace pgshift::catalog {
namespace {

// The length of the integer (an optional '-', then digits) at `text`'s start; 0 if none.
std::size_t integer_length(std::string_view text) {
  std::size_t length = !text.empty() && text[0] == '-' ? 1 : 0;
  const std::size_t sign = length;
  while (length < text.size() && std::isdigit(static_cast<unsigned char>(text[length])) != 0) {
    ++length;
  }
  return length > sign ? length : 0;
}

}  // namespace

std::optional<std::string> shared_deparse_key(
    std::string_view node_tree, const std::function<std::string(int attnum)>& column_name) {
  // A node's fields print as " :name value"; a name or string inside a
  // value has its spaces escaped (outToken), so " :location " and
  // " :varattno " only ever start a field.
  constexpr std::string_view kLocation = " :location ";
  constexpr std::string_view kAttribute = " :varattno ";
  std::string key;
  std::string names;
  key.reserve(node_tree.size());
  std::size_t pos = 0;
  while (pos < node_tree.size()) {
    const std::size_t field = node_tree.find(" :", pos);
    if (field == std::string_view::npos) break;
    const std::string_view rest = node_tree.substr(field);
    if (rest.substr(0, kLocation.size()) == kLocation) {
      const std::size_t digits = integer_length(rest.substr(kLocation.size()));
      if (digits > 0) {
        key.append(node_tree.substr(pos, field - pos));
        pos = field + kLocation.size() + digits;
        continue;
      }
    } else if (rest.substr(0, kAttribute.size()) == kAttribute) {
      const std::string_view number = rest.substr(kAttribute.size());
      const std::size_t digits = integer_length(number);
      if (digits > 0) {
        const int attnum = std::atoi(std::string(number.substr(0, digits)).c_str());
        if (attnum <= 0) return std::nullopt;
        names.append(column_name(attnum));
        names.push_back('\0');
      }
    }
    key.append(node_tree.substr(pos, field + 2 - pos));
    pos = field + 2;
  }
  key.append(node_tree.substr(pos));
  key.push_back('\0');
  key.append(names);
  return key;
}

}  // namespace pgshift::catalog
