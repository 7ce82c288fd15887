#include "schemas/yaml_names.hpp"

#include <cstddef>

namespace pgshift::schemas::detail {

namespace {

constexpr size_t kNameDataLen = 64;  // NAMEDATALEN

// pg_mbcliplen for UTF-8: the longest prefix of at most `limit` bytes that does
// not end inside a character.
size_t clip_length(const std::string& text, size_t limit) {
  if (limit >= text.size()) return text.size();
  while (limit > 0 && (static_cast<unsigned char>(text[limit]) & 0xC0) == 0x80) --limit;
  return limit;
}

// ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: column
// names joined by '_', each cut to 63 bytes, stopping once 64 bytes are reached.
std::string name_addition(const std::vector<std::string>& columns) {
  std::string buffer;
  for (const auto& column : columns) {
    if (!buffer.empty()) buffer += '_';
    buffer += column.substr(0, kNameDataLen - 1);
    if (buffer.size() >= kNameDataLen) break;
  }
  return buffer;
}

}  // namespace

std::string make_object_name(const std::string& name1, const std::string& name2,
                             const std::string& label) {
  size_t overhead = label.size() + 1;
  if (!name2.empty()) ++overhead;
  const size_t available = kNameDataLen - 1 - overhead;
  size_t name1_chars = name1.size();
  size_t name2_chars = name2.size();
  while (name1_chars + name2_chars > available) {
    if (name1_chars > name2_chars) {
      --name1_chars;
    } else {
      --name2_chars;
    }
  }
  std::string name = name1.substr(0, clip_length(name1, name1_chars));
  if (!name2.empty()) name += "_" + name2.substr(0, clip_length(name2, name2_chars));
  return name + "_" + label;
}

std::string default_primary_key_name(const std::string& table) {
  return make_object_name(table, "", "pkey");
}

std::string default_unique_name(const std::string& table, const std::vector<std::string>& columns) {
  return make_object_name(table, name_addition(columns), "key");
}

std::string default_foreign_key_name(const std::string& table,
                                     const std::vector<std::string>& columns) {
  return make_object_name(table, name_addition(columns), "fkey");
}

}  // namespace pgshift::schemas::detail
