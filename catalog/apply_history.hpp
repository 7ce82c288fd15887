// What earlier applies on the target took: the scanning steps (backfill,
// VALIDATE, index build, rewrite) the apply journal (schema "_pgshift",
// plans/journal.hpp) records with their estimate and actual duration, and
// the read throughput each estimate was made from (in the run's plan).
// Step estimates learn from them (plans::throughput_from_history). Reads only.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace pgshift::catalog {

struct EarlierScan {
  std::string plan_hash;
  int step_id = 0;
  int64_t estimated_ms = 0;           // the plan's estimate of the step
  int64_t actual_ms = 0;              // how long the step took
  int64_t plan_bytes_per_second = 0;  // the read throughput the estimate was made from
  int64_t estimated_rows = 0;         // the step's rows (0: unknown)
  int64_t batch_size = 0;             // a backfill's rows per batch; 0: not a backfill
};

// The `limit` most recently finished steps of the journal that have an
// estimate, an actual duration over 0 ms and a run whose plan names its
// throughput, newest first. Empty when there is no journal (or one of a
// pgshift that kept no estimates). Throws pgshift::Error when the journal
// exists but cannot be read (a privilege).
// REQUIRES: `conn` has no transaction in progress.
std::vector<EarlierScan> read_earlier_scans(pqxx::connection& conn, int limit);

}  // namespace pgshift::catalog
