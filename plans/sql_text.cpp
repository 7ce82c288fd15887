#include "plans/sql_text.hpp"

#include <algorithm>
#include <iterator>

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

std::string quote_ident(std::string_view name) {
  bool safe = !name.empty() && ((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_');
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
  }
  if (safe && !is_quoted_keyword(name)) return std::string(name);
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
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
  const bool has_backslash = value.find('\\') != std::string_view::npos;
  std::string quoted = has_backslash ? "E'" : "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += c;
    quoted += c;
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
