#include "catalog/null_counts.hpp"

#include <algorithm>

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

namespace {

using Tables = std::vector<std::pair<std::string, std::string>>;

// Whether each of tables[first, end) holds a row, in one READ ONLY query
// (EXISTS each, which stops at the first row); nullopt when the query fails
// (no privilege, row-level security, a lock not had within a second).
std::optional<std::vector<bool>> exists_each(pqxx::connection& conn, const Tables& tables,
                                             std::size_t first, std::size_t end) {
  std::string query = "SELECT ";
  for (std::size_t i = first; i < end; ++i) {
    query += std::string(i == first ? "" : ", ") + "EXISTS (SELECT 1 FROM " +
             conn.quote_name(tables[i].first) + "." + conn.quote_name(tables[i].second) + ")";
  }
  try {
    pqxx::read_transaction tx(conn);
    // Policies would hide rows: with row_security off the query fails
    // instead. Set before the query: its tables are locked as it is planned.
    tx.exec("SET LOCAL row_security = off; SET LOCAL lock_timeout = '1s'");
    const pqxx::row row = exec_one(tx, query)[0];
    std::vector<bool> answers;
    for (std::size_t i = first; i < end; ++i) {
      answers.push_back(row[static_cast<int>(i - first)].as<bool>());
    }
    return answers;
  } catch (const pqxx::sql_error&) {
    return std::nullopt;
  }
}

}  // namespace

std::optional<bool> has_rows(pqxx::connection& conn, const std::string& schema,
                             const std::string& table) {
  const auto answer = exists_each(conn, {{schema, table}}, 0, 1);
  if (!answer) return std::nullopt;
  return (*answer)[0];
}

std::vector<std::optional<bool>> has_rows(pqxx::connection& conn, const Tables& tables) {
  std::vector<std::optional<bool>> answers(tables.size());
  // One query asks up to this many tables: a statement's text stays short,
  // and a table that cannot answer costs its chunk a retry.
  constexpr std::size_t kTablesPerQuery = 100;
  for (std::size_t first = 0; first < tables.size(); first += kTablesPerQuery) {
    const std::size_t end = std::min(tables.size(), first + kTablesPerQuery);
    if (const auto chunk = exists_each(conn, tables, first, end)) {
      for (std::size_t i = first; i < end; ++i) answers[i] = (*chunk)[i - first];
      continue;
    }
    // One of them cannot answer: each is asked alone.
    for (std::size_t i = first; i < end; ++i) {
      answers[i] = has_rows(conn, tables[i].first, tables[i].second);
    }
  }
  return answers;
}

}  // namespace pgshift::catalog
