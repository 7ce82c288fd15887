// The pre-flight data checks of issue 14, run against the target: read-only
// queries (written by the planner, planner/data_checks.hpp) that list the
// rows a step would fail on. Reads only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace pgshift::catalog {

struct CheckQuery {
  std::string schema;
  std::string table;          // scanned; its row estimate decides sampling
  std::string query;          // lists the violating rows (their keys) or groups
  std::string sampled_query;  // the same over TABLESAMPLE SYSTEM ($1)
  bool raises = false;        // the query fails on the first violation instead
};

struct CheckOutcome {
  int64_t violations = 0;                // -1: at least one (a raising query failed)
  std::vector<std::string> examples;     // up to 5: "id=4, region=eu", or the server's message
  std::optional<double> sample_percent;  // read a sample of this percentage
  std::string error;                     // the query could not run: the server's message
  std::chrono::milliseconds elapsed{0};
};

struct CheckOptions {
  // Tables whose row estimate (pg_class.reltuples) is larger are read
  // through TABLESAMPLE SYSTEM, about this many rows of them.
  int64_t sample_above_rows = 5000000;
  // Per check; a check's wait for a lock gives up at nine tenths of it,
  // and its outcome names the sessions that held or waited for ACCESS
  // EXCLUSIVE in its table's schema.
  std::chrono::milliseconds statement_timeout{60000};
};

// Runs `checks` in one REPEATABLE READ READ ONLY transaction (one snapshot),
// with row_security off (a policy would hide rows: the query fails instead),
// each in its own savepoint so that one that fails (a timeout, a column the
// plan has yet to add, a value a cast rejects) does not stop the others.
// Each outcome lists the number of violations and up to five examples.
// Throws pgshift::Error only when the transaction itself cannot start.
std::vector<CheckOutcome> run_data_checks(pqxx::connection& conn,
                                          const std::vector<CheckQuery>& checks,
                                          const CheckOptions& options);

// A bounded read of a table, timed: the calibration of step estimates.
struct ReadMeasurement {
  int64_t rows = 0;
  int64_t bytes = 0;  // sum of the rows' sizes (pg_column_size of each row)
  // Heap pages the rows were found on: what the read had to go through, in
  // the unit step estimates are made in (a table's relpages). A lower bound:
  // pages with no live row in between were read too, and are not counted.
  int64_t pages = 0;
  std::chrono::microseconds elapsed{0};
};

// Reads up to `max_rows` rows of "schema"."table" (a sequential scan from the
// start of the table, LIMIT max_rows) in a READ ONLY transaction and times
// it on the client. Throws pgshift::Error naming the table when it fails.
ReadMeasurement measure_read(pqxx::connection& conn, const std::string& schema,
                             const std::string& table, int64_t max_rows);

}  // namespace pgshift::catalog
