// Rows of the target that a plan must know about before it is made: NULLs in
// a column the desired state makes NOT NULL without a backfill. Reads only.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

namespace pgshift::catalog {

// The number of rows of "schema"."table" whose "column" is NULL, counted in a
// READ ONLY transaction (a full scan of the table; VALIDATE would make the
// same one). Throws pgshift::Error naming the column when the query fails.
int64_t count_nulls(pqxx::connection& conn, const std::string& schema, const std::string& table,
                    const std::string& column);

}  // namespace pgshift::catalog
