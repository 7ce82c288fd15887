#include "catalog/null_counts.hpp"

#include "catalog/connection.hpp"
#include "catalog/lock_wait.hpp"
#include "schemas/error.hpp"

namespace pgshift::catalog {

int64_t count_nulls(pqxx::connection& conn, const std::string& schema, const std::string& table,
                    const std::string& column, std::chrono::milliseconds lock_wait) {
  try {
    pqxx::read_transaction tx(conn);
    set_lock_wait(tx, lock_wait);
    // Identifiers cannot be bound as parameters: quoted by libpq
    // (PQescapeIdentifier), one statement.
    return exec_one(tx, "SELECT count(*) FROM " + conn.quote_name(schema) + "." +
                            conn.quote_name(table) + " WHERE " + conn.quote_name(column) +
                            " IS NULL")[0][0]
        .as<int64_t>();
  } catch (const pqxx::sql_error& e) {
    const std::string what =
        "the NULLs of column \"" + column + "\" of table \"" + schema + "." + table + "\"";
    if (e.sqlstate() == kLockNotAvailable) {
      // The transaction has ended (unwound): the locks can be asked for.
      ReadOptions scope;
      scope.include_schemas = {schema};
      scope.lock_wait = lock_wait;
      throw lock_wait_error(conn, scope, ReadError(what, e.what(), e.sqlstate()));
    }
    throw pgshift::Error("could not count " + what + ": " + e.what());
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
