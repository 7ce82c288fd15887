// Rows of the target that a plan must know about before it is made: NULLs in
// a column the desired state makes NOT NULL without a backfill. Reads only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

namespace pgshift::catalog {

// The number of rows of "schema"."table" whose "column" is NULL, counted in a
// READ ONLY transaction (a full scan of the table; VALIDATE would make the
// same one). Its ACCESS SHARE lock waits at most `lock_wait` behind another
// session's ACCESS EXCLUSIVE, then fails naming who holds it, as the catalog
// read does (catalog/lock_wait.hpp). Throws pgshift::Error naming the column
// when the query fails.
int64_t count_nulls(pqxx::connection& conn, const std::string& schema, const std::string& table,
                    const std::string& column, std::chrono::milliseconds lock_wait);

// Whether "schema"."table" (with its partitions and inheritance children)
// holds a row, asked in a READ ONLY transaction with row_security off
// (EXISTS: it stops at the first row). nullopt when the table
// cannot answer for all its rows: no SELECT privilege, row-level security
// that would filter them, a lock it could not get within a second.
std::optional<bool> has_rows(pqxx::connection& conn, const std::string& schema,
                             const std::string& table);

// has_rows() of each ("schema", "table") of `tables`, in order, asked in one
// query per hundred tables (EXISTS each) instead of a transaction each; a
// query one of its tables fails (no privilege, row-level security, a lock
// not had within a second) is asked again table by table.
std::vector<std::optional<bool>> has_rows(
    pqxx::connection& conn, const std::vector<std::pair<std::string, std::string>>& tables);

}  // namespace pgshift::catalog
