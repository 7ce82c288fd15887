// Canonical spellings for comparison, decided here only.
//
// The desired model normally arrives in the server's spelling (canonicalised
// in a dev database), so these only have to make hand-written YAML and unit
// tests compare sanely: aliases of built-in types and whitespace.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgshift::planner {

// format_type()'s spelling of a type name: "int4" and "int" -> "integer",
// "varchar(20)" -> "character varying(20)", "timestamptz" -> "timestamp with
// time zone", "numeric(10, 2)" -> "numeric(10,2)", "pg_catalog.bool" ->
// "boolean". Array suffixes are kept ("int[]" -> "integer[]"). Names it does
// not know are returned trimmed, whitespace collapsed, case kept.
std::string normalize_type(std::string_view type);

// Expression text trimmed, runs of whitespace outside quotes collapsed to one
// space, and one pair of parentheses around the whole expression removed.
std::string normalize_expression(std::string_view expression);

// A normalised type split into its name and integer modifiers:
// "character varying(20)" -> {"character varying", {20}}; "timestamp(3) with
// time zone" -> {"timestamp with time zone", {3}}.
struct TypeParts {
  std::string name;
  std::vector<int> modifiers;
  bool array = false;
};
TypeParts split_type(const std::string& normalized_type);

}  // namespace pgshift::planner
