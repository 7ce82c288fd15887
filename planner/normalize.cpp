#include "planner/normalize.hpp"

#include <cctype>
#include <map>
#include <string>
#include <unordered_map>

namespace pgshift::planner {

namespace {

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  char quote = 0;
  bool pending_space = false;
  for (char c : text) {
    if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
    } else if (c == quote) {
      quote = 0;
    }
    out += c;
  }
  return out;
}

// Alias -> format_type() name, for names without modifiers.
const std::map<std::string, std::string>& type_aliases() {
  static const std::map<std::string, std::string> aliases = {
      {"int", "integer"},
      {"int4", "integer"},
      {"int2", "smallint"},
      {"int8", "bigint"},
      {"float4", "real"},
      {"float8", "double precision"},
      {"float", "double precision"},
      {"bool", "boolean"},
      {"varchar", "character varying"},
      {"char", "character"},
      {"bpchar", "character"},
      {"decimal", "numeric"},
      {"varbit", "bit varying"},
      {"timestamptz", "timestamp with time zone"},
      {"timestamp", "timestamp without time zone"},
      {"timetz", "time with time zone"},
      {"time", "time without time zone"},
  };
  return aliases;
}

bool is_time_type(const std::string& name) {
  return name.rfind("timestamp ", 0) == 0 || name.rfind("time ", 0) == 0;
}

}  // namespace

TypeParts split_type(const std::string& normalized_type) {
  TypeParts parts;
  std::string text = normalized_type;
  while (text.size() >= 2 && text.compare(text.size() - 2, 2, "[]") == 0) {
    parts.array = true;
    text.resize(text.size() - 2);
  }
  const auto open = text.find('(');
  const auto close = text.find(')', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) {
    parts.name = text;
    return parts;
  }
  std::string modifiers = text.substr(open + 1, close - open - 1);
  parts.name = collapse_whitespace(text.substr(0, open) + text.substr(close + 1));
  std::string number;
  for (char c : modifiers + ",") {
    if (c == ',') {
      if (number.empty()) return TypeParts{text, {}, parts.array};  // not integer modifiers
      parts.modifiers.push_back(std::stoi(number));
      number.clear();
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      number += c;
    } else if (c != ' ') {
      return TypeParts{text, {}, parts.array};
    }
  }
  return parts;
}

namespace {

std::string normalize_type_uncached(std::string_view type);

}  // namespace

// A schema spells few types many times (bigint, text): answered from a
// per-thread memo of the last few thousand spellings.
std::string normalize_type(std::string_view type) {
  thread_local std::unordered_map<std::string, std::string> memo;
  constexpr std::size_t kMaxEntries = 4096;
  if (const auto found = memo.find(std::string(type)); found != memo.end()) return found->second;
  std::string normalized = normalize_type_uncached(type);
  if (memo.size() >= kMaxEntries) memo.clear();
  memo.emplace(std::string(type), normalized);
  return normalized;
}

namespace {

std::string normalize_type_uncached(std::string_view type) {
  std::string text = collapse_whitespace(type);
  if (text.find('"') == std::string::npos) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (text.rfind("pg_catalog.", 0) == 0) text.erase(0, 11);
  TypeParts parts = split_type(text);
  // "timestamp(3) with time zone" splits into "timestamp with time zone" already.
  const auto alias = type_aliases().find(parts.name);
  if (alias != type_aliases().end()) parts.name = alias->second;
  if (parts.name == "character" && parts.modifiers.empty()) parts.modifiers.push_back(1);
  std::string modifiers;
  if (!parts.modifiers.empty()) {
    modifiers = "(";
    for (size_t mod_idx = 0; mod_idx < parts.modifiers.size(); ++mod_idx) {
      if (mod_idx > 0) modifiers += ",";
      modifiers += std::to_string(parts.modifiers[mod_idx]);
    }
    modifiers += ")";
  }
  std::string result;
  if (is_time_type(parts.name) && !modifiers.empty()) {
    const auto space = parts.name.find(' ');
    result = parts.name.substr(0, space) + modifiers + parts.name.substr(space);
  } else {
    result = parts.name + modifiers;
  }
  if (parts.array) result += "[]";
  return result;
}

}  // namespace

std::string normalize_expression(std::string_view expression) {
  std::string text = collapse_whitespace(expression);
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return text;
  // Strip the outer pair only when it encloses everything: "(a) + (b)" keeps its own.
  int depth = 0;
  char quote = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') quote = c;
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0 && pos + 1 < text.size()) return text;
  }
  return collapse_whitespace(text.substr(1, text.size() - 2));
}

}  // namespace pgshift::planner
