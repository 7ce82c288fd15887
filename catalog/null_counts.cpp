#include "catalog/null_counts.hpp"

#include "catalog/connection.hpp"
#include "schemas/error.hpp"

namespace pgshift::catalog {

int64_t count_nulls(pqxx::connection& conn, const std::string& schema, const std::string& table,
                    const std::string& column) {
  try {
    pqxx::read_transaction tx(conn);
    // Identifiers cannot be bound as parameters: quoted by libpq
    // (PQescapeIdentifier), one statement.
    return exec_one(tx, "SELECT count(*) FROM " + conn.quote_name(schema) + "." +
                            conn.quote_name(table) + " WHERE " + conn.quote_name(column) +
                            " IS NULL")[0][0]
        .as<int64_t>();
  } catch (const pqxx::sql_error& e) {
    throw pgshift::Error("could not count the NULLs of column \"" + column + "\" of table \"" +
                         schema + "." + table + "\": " + e.what());
  }
}

std::optional<bool> has_rows(pqxx::connection& conn, const std::string& schema,
                             const std::string& table) {
  try {
    pqxx::read_transaction tx(conn);
    // Policies would hide rows: with row_security off the query fails instead.
    exec_one(tx, "SET LOCAL row_security = off");
    exec_one(tx, "SET LOCAL lock_timeout = '1s'");
    return !exec_one(tx, "SELECT 1 FROM " + conn.quote_name(schema) + "." + conn.quote_name(table) +
                             " LIMIT 1")
                .empty();
  } catch (const pqxx::sql_error&) {
    return std::nullopt;
  }
}

}  // namespace pgshift::catalog
