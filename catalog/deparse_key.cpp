#include "catalog/deparse_key.hpp"

#include <charconv>

namespace pgshift::catalog {

std::optional<std::string> shared_deparse_key(
    std::string_view shape, const std::function<std::string(int attnum)>& column_name) {
  const std::size_t space = shape.find(' ');
  if (space == 0 || space == std::string_view::npos) return std::nullopt;
  std::string key(shape.substr(0, space));
  key.push_back('\0');
  const char* pos = shape.data() + space + 1;
  const char* const end = shape.data() + shape.size();
  while (pos < end) {
    int attnum = 0;
    const auto [next, error] = std::from_chars(pos, end, attnum);
    if (error != std::errc() || attnum <= 0 || (next != end && *next != ' ')) return std::nullopt;
    key.append(column_name(attnum));
    key.push_back('\0');
    pos = next == end ? end : next + 1;
  }
  return key;
}

}  // namespace pgshift::catalog
