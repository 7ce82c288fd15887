#include "catalog/preflight.hpp"

#include <algorithm>
#include <cmath>

#include "catalog/connection.hpp"
#include "catalog/lock_wait.hpp"
#include "catalog/reader.hpp"
#include "schemas/error.hpp"

namespace pgshift::catalog {

namespace {

// The planner's estimate of a table's rows (reltuples; -1 when never
// analyzed, and for a partitioned parent).
constexpr const char* kRowEstimateQuery =
    "SELECT c.reltuples::bigint FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = $1 AND c.relname = $2";

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The server's primary message, without libpq's "ERROR:  " prefix.
std::string server_message(const pqxx::sql_error& error) {
  std::string text = first_line(error.what());
  const std::string prefix = "ERROR:  ";
  if (text.rfind(prefix, 0) == 0) text = text.substr(prefix.size());
  return text;
}

// "id=4, region=eu" for one row of a listing query (the count column left out).
std::string example(const pqxx::row& row) {
  std::string text;
  for (pqxx::row::size_type column = 1; column < row.size(); ++column) {
    text += (text.empty() ? "" : ", ") + std::string(row[column].name()) + "=" +
            (row[column].is_null() ? std::string("NULL") : row[column].as<std::string>());
  }
  return text;
}

// How long a check waits for a lock: nine tenths of its statement timeout,
// so that a check that waited for its table the whole time gives up as a
// lock wait (SQLSTATE 55P03), which can name who held the lock, instead of
// as a statement timeout, which cannot tell waiting from reading.
// A statement timeout of 0 (none) waits as long for a lock.
std::chrono::milliseconds lock_wait_of(const CheckOptions& options) {
  if (options.statement_timeout <= std::chrono::milliseconds(0)) return options.statement_timeout;
  return std::max(std::chrono::milliseconds(1), options.statement_timeout * 9 / 10);
}

// What a check that gave up waiting for a lock reports: the sessions that
// hold or wait for ACCESS EXCLUSIVE (all that ACCESS SHARE, the check's
// lock, waits for) on relations of its table's schema, read in `tx`.
std::string lock_wait_failure(pqxx::transaction_base& tx, const CheckQuery& check,
                              const CheckOptions& options) {
  std::string sessions;
  exec_one(tx, "SAVEPOINT pgshift_locks");
  try {
    sessions = exclusive_lock_sessions(tx, array_literal({check.schema}));
    exec_one(tx, "RELEASE SAVEPOINT pgshift_locks");
  } catch (const pqxx::sql_error&) {
    exec_one(tx, "ROLLBACK TO SAVEPOINT pgshift_locks");
  }
  return gave_up_waiting(lock_wait_of(options)) +
         (sessions.empty() ? " another session held (it is gone now)" : ": " + sessions) +
         "; the check takes only ACCESS SHARE locks: run it again once they end, or give it "
         "longer with --data-check-timeout (SQLSTATE " +
         kLockNotAvailable + ")";
}

CheckOutcome run_one(pqxx::transaction_base& tx, const CheckQuery& check,
                     const CheckOptions& options) {
  CheckOutcome outcome;
  const auto started = std::chrono::steady_clock::now();
  int64_t estimate = -1;
  const pqxx::result rows = tx.exec_params(kRowEstimateQuery, check.schema, check.table);
  if (!rows.empty()) estimate = rows[0][0].as<int64_t>();
  const bool sampled = options.sample_above_rows > 0 && estimate > options.sample_above_rows;
  double percent = 100;
  if (sampled) {
    percent = std::max(0.01, 100.0 * static_cast<double>(options.sample_above_rows) /
                                 static_cast<double>(estimate));
    percent = std::round(percent * 100) / 100;
    outcome.sample_percent = percent;
  }
  const std::string& query = sampled ? check.sampled_query : check.query;
  // A savepoint per check: one that fails leaves the snapshot usable. (SQL
  // rather than pqxx::subtransaction, whose savepoint 6.4 does not open
  // before exec_params.)
  exec_one(tx, "SAVEPOINT pgshift_check");
  pqxx::transaction_base& savepoint = tx;
  try {
    if (check.raises) {
      if (sampled) {
        savepoint.exec_params(query, percent);
      } else {
        exec_one(savepoint, query);
      }
    } else {
      // The rows are counted and the first five listed from one run of the
      // query, a CTE referenced twice (so materialized, on every version):
      // planned on its own, for all its rows. (count(*) OVER () under the
      // LIMIT 5 let the planner pick a fast-start plan, a nested loop
      // anti-join over 1M rows for a foreign key, that reads every row
      // anyway: 3.5 s instead of 0.4 s.)
      const std::string listing =
          "WITH pgshift_found AS (" + query +
          ") SELECT (SELECT count(*) FROM pgshift_found) AS pgshift_violations, pgshift_found.* "
          "FROM pgshift_found LIMIT 5";
      const pqxx::result found =
          sampled ? savepoint.exec_params(listing, percent) : exec_one(savepoint, listing);
      if (!found.empty()) outcome.violations = found[0][0].as<int64_t>();
      for (const auto& row : found) outcome.examples.push_back(example(row));
    }
    exec_one(tx, "RELEASE SAVEPOINT pgshift_check");
  } catch (const pqxx::sql_error& error) {
    exec_one(tx, "ROLLBACK TO SAVEPOINT pgshift_check");
    // Class 22 (data exception) from a cast attempt: the conversion rejected
    // a value, which the message names; class 23 (integrity constraint
    // violation): a domain's CHECK or NOT NULL did.
    if (check.raises &&
        (error.sqlstate().rfind("22", 0) == 0 || error.sqlstate().rfind("23", 0) == 0)) {
      outcome.violations = -1;
      outcome.examples.push_back(server_message(error) + " (SQLSTATE " + error.sqlstate() + ")");
    } else if (error.sqlstate() == kLockNotAvailable) {
      outcome.error = lock_wait_failure(tx, check, options);
    } else {
      outcome.error = server_message(error) + " (SQLSTATE " + error.sqlstate() + ")";
    }
  }
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return outcome;
}

}  // namespace

std::vector<CheckOutcome> run_data_checks(pqxx::connection& conn,
                                          const std::vector<CheckQuery>& checks,
                                          const CheckOptions& options) {
  std::vector<CheckOutcome> outcomes;
  if (checks.empty()) return outcomes;
  try {
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
        conn, "pgshift_preflight");
    tx.exec_params(
        "SELECT pg_catalog.set_config('statement_timeout', $1, true), "
        "pg_catalog.set_config('lock_timeout', $2, true), "
        "pg_catalog.set_config('row_security', 'off', true)",
        milliseconds_setting(options.statement_timeout),
        milliseconds_setting(lock_wait_of(options)));
    for (const auto& check : checks) outcomes.push_back(run_one(tx, check, options));
    tx.commit();
  } catch (const pqxx::sql_error& error) {
    throw pgshift::Error(std::string("could not run the pre-flight data checks: ") +
                         first_line(error.what()));
  }
  return outcomes;
}

ReadMeasurement measure_read(pqxx::connection& conn, const std::string& schema,
                             const std::string& table, int64_t max_rows) {
  ReadMeasurement measurement;
  try {
    pqxx::read_transaction tx(conn);
    exec_one(tx, "SET LOCAL lock_timeout = '1s'");
    exec_one(tx, "SET LOCAL statement_timeout = '10s'");
    const auto started = std::chrono::steady_clock::now();
    // Identifiers cannot be bound: quoted by libpq (PQescapeIdentifier).
    // The block number of a ctid: its text "(block,offset)" read as a point.
    const pqxx::result result = tx.exec_params(
        "SELECT count(*), coalesce(sum(pg_catalog.pg_column_size(pgshift_read.whole)), 0)::bigint, "
        "count(DISTINCT (pgshift_read.ctid::text::point)[0]) "
        "FROM (SELECT pgshift_row.ctid, pgshift_row AS whole FROM " +
            conn.quote_name(schema) + "." + conn.quote_name(table) +
            " AS pgshift_row LIMIT $1) AS pgshift_read",
        max_rows);
    measurement.elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    measurement.rows = result[0][0].as<int64_t>();
    measurement.bytes = result[0][1].as<int64_t>();
    measurement.pages = result[0][2].as<int64_t>();
  } catch (const pqxx::sql_error& error) {
    throw pgshift::Error("could not time a read of table \"" + schema + "." + table +
                         "\": " + server_message(error));
  }
  return measurement;
}

}  // namespace pgshift::catalog
