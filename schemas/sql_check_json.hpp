// What the SQL checkers (sql_check.cpp, sql_check_script.cpp) and `pgshift
// lint` (lint/) share: libpg_query's parse as JSON, a search in it, and where
// a statement's first word is. lint/ reuses them rather than parsing again.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "schemas/sql_check.hpp"

namespace pgshift::schemas::detail {

// Parses `sql` with libpg_query: its parse tree as JSON text, or nullopt and
// `*problem` set to PostgreSQL's error at its byte offset in `sql` (or to the
// first byte that is not UTF-8: the tree of such text is not JSON).
std::optional<std::string> parse_to_json(const std::string& sql, SqlProblem* problem);

// Whether `node` (libpg_query's JSON parse tree, or part of it) holds a node
// of `type` ("FuncCall", "SubLink", ...) at any depth.
bool contains_node(const nlohmann::json& node, const char* type);

// The byte offset of the first word at or after `at` in `text`: blanks,
// "--" and "/* */" comments skipped (libpg_query's stmt_location points at
// the end of the previous statement).
std::size_t first_word(const std::string& text, std::size_t at);

}  // namespace pgshift::schemas::detail
