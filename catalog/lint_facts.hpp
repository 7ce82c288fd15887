// What `pgshift lint --db` reads from a live database about the relations and
// functions a migration names: only those (the queries take the names as
// array parameters, so their cost is bounded by the file, not the catalog),
// in one REPEATABLE READ READ ONLY transaction, plus one SELECT ... LIMIT 1
// per table to know whether it is empty (catalog::has_rows). Nothing is
// written.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "schemas/model.hpp"

namespace pgshift::catalog {

struct LintQuery {
  std::vector<std::pair<std::string, std::string>> relations;  // (schema, name)
  std::vector<std::string> functions;                          // "schema.name"
};

// Returns a model holding the tables and materialized views of `query` that
// exist (with their columns and format_type spellings), and facts:
// server_version_num, table_stats (reltuples, relpages, pg_total_relation_size,
// has_rows) by "schema.table", function_volatility by "schema.name" (the most
// volatile overload), binary_coercible_casts. Throws ReadError naming what
// was read when a query fails.
// REQUIRES: `conn` is open and has no transaction in progress.
schemas::Database read_lint_facts(pqxx::connection& conn, const LintQuery& query);

}  // namespace pgshift::catalog
