#include "schemas/yaml_scope.hpp"

#include <string_view>

namespace pgshift::schemas {

namespace {

bool blank_or_comment(std::string_view line) {
  const auto first = line.find_first_not_of(" \t\r");
  return first == std::string_view::npos || line[first] == '#';
}

std::size_t indentation(std::string_view line) {
  const auto first = line.find_first_not_of(' ');
  return first == std::string_view::npos ? line.size() : first;
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

// A value after "key:" up to a comment ("#" after a space).
std::string_view value_text(std::string_view rest) {
  for (std::size_t pos = 0; pos < rest.size(); ++pos) {
    if (rest[pos] == '#' && (pos == 0 || rest[pos - 1] == ' ' || rest[pos - 1] == '\t')) {
      return trimmed(rest.substr(0, pos));
    }
  }
  return trimmed(rest);
}

// A scalar name: plain, 'single' ('' for a quote) or "double" without
// escapes; nullopt for anything the scan does not read.
std::optional<std::string> name_of(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.front() == '"') {
    if (text.size() < 2 || text.back() != '"') return std::nullopt;
    const auto inner = text.substr(1, text.size() - 2);
    if (inner.find_first_of("\\\"") != std::string_view::npos) return std::nullopt;
    return std::string(inner);
  }
  if (text.front() == '\'') {
    if (text.size() < 2 || text.back() != '\'') return std::nullopt;
    const auto inner = text.substr(1, text.size() - 2);
    std::string name;
    for (std::size_t pos = 0; pos < inner.size(); ++pos) {
      if (inner[pos] == '\'') {
        if (pos + 1 >= inner.size() || inner[pos + 1] != '\'') return std::nullopt;
        ++pos;
      }
      name += inner[pos];
    }
    return name;
  }
  // Plain: nothing YAML would read as structure, an alias, a tag or a
  // non-string (a schema named by a number is written quoted).
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos) {
    return std::nullopt;
  }
  if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(text);
}

// "key: value" split at the key's colon; nullopt when the line is not one.
std::optional<std::pair<std::string, std::string_view>> key_of(std::string_view line) {
  line = trimmed(line);
  std::size_t colon = std::string_view::npos;
  if (!line.empty() && (line.front() == '"' || line.front() == '\'')) {
    // The closing quote; in single quotes, '' is a quote of the name.
    std::size_t close = 1;
    for (;; ++close) {
      close = line.find(line.front(), close);
      if (close == std::string_view::npos) return std::nullopt;
      if (line.front() == '\'' && close + 1 < line.size() && line[close + 1] == '\'') {
        ++close;
        continue;
      }
      break;
    }
    colon = close + 1;
    if (colon >= line.size() || line[colon] != ':') return std::nullopt;
  } else {
    for (std::size_t pos = 0; pos < line.size(); ++pos) {
      if (line[pos] == ':' && (pos + 1 == line.size() || line[pos + 1] == ' ')) {
        colon = pos;
        break;
      }
    }
    if (colon == std::string_view::npos) return std::nullopt;
  }
  const auto name = name_of(trimmed(line.substr(0, colon)));
  if (!name) return std::nullopt;
  return std::make_pair(*name, value_text(line.substr(colon + 1)));
}

}  // namespace

std::optional<YamlScope> scan_yaml_scope(const std::string& text) {
  YamlScope scope;
  enum class Section { Other, Schemas, DropSchemas } section = Section::Other;
  std::size_t child_indent = 0;  // of the section's entries; 0 until the first
  bool seen_schemas = false;
  std::size_t start = 0;
  bool first_line = true;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (indentation(line) < line.size() && line[indentation(line)] == '\t') return std::nullopt;
    if (blank_or_comment(line)) continue;
    const bool was_first = first_line;
    first_line = false;
    if (line.rfind("---", 0) == 0 || line.rfind("...", 0) == 0 || line.front() == '%') {
      if (was_first && trimmed(line) == "---") continue;  // one explicit start
      return std::nullopt;
    }
    const std::size_t indent = indentation(line);
    if (indent == 0) {
      const auto key = key_of(line);
      if (!key) return std::nullopt;
      section = Section::Other;
      child_indent = 0;
      if (key->first == "schemas") {
        if (seen_schemas || !key->second.empty()) return std::nullopt;
        seen_schemas = true;
        section = Section::Schemas;
      } else if (key->first == "drop_schemas" && key->second.empty()) {
        section = Section::DropSchemas;  // a block list follows
      } else if (key->first == "drop_schemas") {
        const auto value = key->second;
        if (value.front() != '[' || value.back() != ']') return std::nullopt;
        std::string_view items = value.substr(1, value.size() - 2);
        while (!trimmed(items).empty()) {
          const auto comma = items.find(',');
          const auto name = name_of(trimmed(items.substr(0, comma)));
          if (!name) return std::nullopt;
          scope.drop_schemas.push_back(*name);
          if (comma == std::string_view::npos) break;
          items = items.substr(comma + 1);
        }
      } else if (key->first == "manage_owners") {
        if (key->second == "true") {
          scope.manage_owners = true;
        } else if (key->second != "false") {
          return std::nullopt;
        }
      }
      // Any other key (ignore:, extensions:, ...): its lines are skipped.
      continue;
    }
    if (section == Section::Other) continue;
    if (child_indent == 0) child_indent = indent;
    if (indent < child_indent) return std::nullopt;
    if (indent > child_indent) continue;  // inside an entry
    if (section == Section::Schemas) {
      const auto key = key_of(line);
      if (!key) return std::nullopt;
      scope.schemas.push_back(key->first);
    } else {
      const auto item = trimmed(line);
      if (item.size() < 2 || item[0] != '-' || item[1] != ' ') return std::nullopt;
      const auto name = name_of(value_text(item.substr(2)));
      if (!name) return std::nullopt;
      scope.drop_schemas.push_back(*name);
    }
  }
  return scope;
}

}  // namespace pgshift::schemas
