// What the two SQL checkers (sql_check.cpp, sql_check_script.cpp) share:
// libpg_query's parse as JSON and a search in it. Internal to schemas/sql_check*.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "schemas/sql_check.hpp"

namespace pgshift::schemas::detail {

// Parses `sql` with libpg_query: its parse tree as JSON text, or nullopt and
// `*problem` set to PostgreSQL's error at its byte offset in `sql`.
std::optional<std::string> parse_to_json(const std::string& sql, SqlProblem* problem);

// Whether `node` (libpg_query's JSON parse tree, or part of it) holds a node
// of `type` ("FuncCall", "SubLink", ...) at any depth.
bool contains_node(const nlohmann::json& node, const char* type);

}  // namespace pgshift::schemas::detail
