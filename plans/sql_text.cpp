#include "plans/sql_text.hpp"

#include <algorithm>
#include <iterator>

#include "schemas/model.hpp"

namespace pgshift::plans {

namespace {

// Keywords of src/include/parser/kwlist.h whose category is RESERVED_KEYWORD,
// COL_NAME_KEYWORD or TYPE_FUNC_NAME_KEYWORD, union of PostgreSQL 10 to 17
// (json_* and merge_action from 16/17, normalize from 13, system_user from 16).
// Quoting a word that an older server does not reserve is harmless. Sorted.
constexpr std::string_view kQuotedKeywords[] = {"all",
                                                "analyse",
                                                "analyze",
                                                "and",
                                                "any",
                                                "array",
                                                "as",
                                                "asc",
                                                "asymmetric",
                                                "authorization",
                                                "between",
                                                "bigint",
                                                "binary",
                                                "bit",
                                                "boolean",
                                                "both",
                                                "case",
                                                "cast",
                                                "char",
                                                "character",
                                                "check",
                                                "coalesce",
                                                "collate",
                                                "collation",
                                                "column",
                                                "concurrently",
                                                "constraint",
                                                "create",
                                                "cross",
                                                "current_catalog",
                                                "current_date",
                                                "current_role",
                                                "current_schema",
                                                "current_time",
                                                "current_timestamp",
                                                "current_user",
                                                "dec",
                                                "decimal",
                                                "default",
                                                "deferrable",
                                                "desc",
                                                "distinct",
                                                "do",
                                                "else",
                                                "end",
                                                "except",
                                                "exists",
                                                "extract",
                                                "false",
                                                "fetch",
                                                "float",
                                                "for",
                                                "foreign",
                                                "freeze",
                                                "from",
                                                "full",
                                                "grant",
                                                "greatest",
                                                "group",
                                                "grouping",
                                                "having",
                                                "ilike",
                                                "in",
                                                "initially",
                                                "inner",
                                                "inout",
                                                "int",
                                                "integer",
                                                "intersect",
                                                "interval",
                                                "into",
                                                "is",
                                                "isnull",
                                                "join",
                                                "json",
                                                "json_array",
                                                "json_arrayagg",
                                                "json_exists",
                                                "json_object",
                                                "json_objectagg",
                                                "json_query",
                                                "json_scalar",
                                                "json_serialize",
                                                "json_table",
                                                "json_value",
                                                "lateral",
                                                "leading",
                                                "least",
                                                "left",
                                                "like",
                                                "limit",
                                                "localtime",
                                                "localtimestamp",
                                                "merge_action",
                                                "national",
                                                "natural",
                                                "nchar",
                                                "none",
                                                "normalize",
                                                "not",
                                                "notnull",
                                                "null",
                                                "nullif",
                                                "numeric",
                                                "offset",
                                                "on",
                                                "only",
                                                "or",
                                                "order",
                                                "out",
                                                "outer",
                                                "overlaps",
                                                "overlay",
                                                "placing",
                                                "position",
                                                "precision",
                                                "primary",
                                                "real",
                                                "references",
                                                "returning",
                                                "right",
                                                "row",
                                                "select",
                                                "session_user",
                                                "setof",
                                                "similar",
                                                "smallint",
                                                "some",
                                                "substring",
                                                "symmetric",
                                                "system_user",
                                                "table",
                                                "tablesample",
                                                "then",
                                                "time",
                                                "timestamp",
                                                "to",
                                                "trailing",
                                                "treat",
                                                "trim",
                                                "true",
                                                "union",
                                                "unique",
                                                "user",
                                                "using",
                                                "values",
                                                "varchar",
                                                "variadic",
                                                "verbose",
                                                "when",
                                                "where",
                                                "window",
                                                "with",
                                                "xmlattributes",
                                                "xmlconcat",
                                                "xmlelement",
                                                "xmlexists",
                                                "xmlforest",
                                                "xmlnamespaces",
                                                "xmlparse",
                                                "xmlpi",
                                                "xmlroot",
                                                "xmlserialize",
                                                "xmltable"};

}  // namespace

bool is_quoted_keyword(std::string_view word) {
  return std::binary_search(std::begin(kQuotedKeywords), std::end(kQuotedKeywords), word);
}

namespace {

constexpr const char* kHexDigits = "0123456789ABCDEF";

bool has_unprintable(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const auto [cp, length] = schemas::decode_utf8(text, pos);
    if (cp != 0xFFFFFFFF && schemas::is_unprintable(cp)) return true;
    pos += length;
  }
  return false;
}

// "\202E": the U&"" escape of an unprintable code point (all are below U+10000).
std::string hex_escape(char32_t cp) {
  std::string out = "\\";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHexDigits[(cp >> shift) & 0xF];
  return out;
}

}  // namespace

std::string quote_ident(std::string_view name) {
  bool safe = !name.empty() && ((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
  }
  if (safe && !is_quoted_keyword(name)) return std::string(name);
  // A name holding a control, a line break or a bidirectional control is
  // written with Unicode escapes (U&"a\000Ab"), so the SQL text shows it and
  // no line of it starts inside the name.
  const bool escaped = has_unprintable(name);
  std::string quoted = escaped ? "U&\"" : "\"";
  for (std::size_t pos = 0; pos < name.size();) {
    const auto [cp, length] = schemas::decode_utf8(name, pos);
    if (escaped && cp != 0xFFFFFFFF && schemas::is_unprintable(cp)) {
      quoted += hex_escape(cp);
    } else {
      if (name[pos] == '"') quoted += '"';
      if (escaped && name[pos] == '\\') quoted += '\\';
      quoted.append(name, pos, length);
    }
    pos += length;
  }
  quoted += '"';
  return quoted;
}

std::string quote_qualified(std::string_view schema, std::string_view name) {
  if (schema.empty()) return quote_ident(name);
  return quote_ident(schema) + "." + quote_ident(name);
}

std::string quote_dotted(std::string_view dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string_view::npos) return quote_ident(dotted);
  return quote_qualified(dotted.substr(0, dot), dotted.substr(dot + 1));
}

std::string quote_ident_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) {
    if (!text.empty()) text += ", ";
    text += quote_ident(name);
  }
  return text;
}

std::string quote_literal(std::string_view value) {
  // Unprintable characters are written as E'' escapes (\n, \u202E), so no
  // line of the SQL text starts inside the value.
  const bool escaped = has_unprintable(value);
  const bool has_backslash = value.find('\\') != std::string_view::npos;
  std::string quoted = has_backslash || escaped ? "E'" : "'";
  for (std::size_t pos = 0; pos < value.size();) {
    const auto [cp, length] = schemas::decode_utf8(value, pos);
    if (escaped && cp != 0xFFFFFFFF && schemas::is_unprintable(cp)) {
      if (cp < 0x80) {
        quoted += std::string("\\x") + kHexDigits[cp >> 4] + kHexDigits[cp & 0xF];
      } else {
        quoted += "\\u" + hex_escape(cp).substr(1);
      }
    } else {
      if (value[pos] == '\'' || value[pos] == '\\') quoted += value[pos];
      quoted.append(value, pos, length);
    }
    pos += length;
  }
  quoted += '\'';
  return quoted;
}

std::string dollar_quote(std::string_view body) {
  std::string tag = "$pgshift$";
  for (int suffix = 1; body.find(tag) != std::string_view::npos; ++suffix) {
    tag = "$pgshift_" + std::to_string(suffix) + "$";
  }
  return tag + std::string(body) + tag;
}

}  // namespace pgshift::plans
