#include "catalog/apply_history.hpp"

#include "catalog/connection.hpp"
#include "schemas/error.hpp"

namespace pgshift::catalog {

namespace {

// The journal with estimates: apply_steps.estimated_ms exists.
constexpr const char* kHasEstimates =
    "SELECT to_regclass('_pgshift.apply_steps') IS NOT NULL AND EXISTS (SELECT 1 FROM "
    "pg_catalog.pg_attribute WHERE attrelid = to_regclass('_pgshift.apply_steps') "
    "AND attname = 'estimated_ms' AND NOT attisdropped)";

// Each step's own entry of its run's plan (render_json: "steps", "throughput").
constexpr const char* kEarlierScans = R"sql(
SELECT s.plan_hash, s.step_id, s.estimated_ms, s.duration_ms,
       (p.plan -> 'throughput' ->> 'bytes_per_second')::bigint,
       coalesce((e.step ->> 'estimated_rows')::bigint, 0),
       coalesce((e.step -> 'backfill' ->> 'batch_size')::bigint, 0)
FROM _pgshift.apply_steps s
JOIN _pgshift.apply_runs r ON r.plan_hash = s.plan_hash
CROSS JOIN LATERAL (SELECT r.plan_json::jsonb AS plan) p
CROSS JOIN LATERAL (SELECT x AS step FROM jsonb_array_elements(p.plan -> 'steps') AS x
                    WHERE (x ->> 'id')::int = s.step_id) e
WHERE s.estimated_ms > 0 AND s.duration_ms > 0 AND coalesce(r.plan_json, '') <> ''
  AND (p.plan -> 'throughput' ->> 'bytes_per_second')::bigint > 0
ORDER BY s.finished_at DESC, s.plan_hash, s.step_id
LIMIT $1)sql";

}  // namespace

std::vector<EarlierScan> read_earlier_scans(pqxx::connection& conn, int limit) {
  std::vector<EarlierScan> scans;
  try {
    pqxx::read_transaction tx(conn);
    exec_one(tx, "SET LOCAL statement_timeout = '5s'");
    exec_one(tx, "SET LOCAL lock_timeout = '1s'");
    if (!exec_one(tx, kHasEstimates)[0][0].as<bool>()) return scans;
    for (const auto& row : tx.exec_params(kEarlierScans, limit)) {
      EarlierScan scan;
      scan.plan_hash = row[0].as<std::string>();
      scan.step_id = row[1].as<int>();
      scan.estimated_ms = row[2].as<int64_t>();
      scan.actual_ms = row[3].as<int64_t>();
      scan.plan_bytes_per_second = row[4].as<int64_t>();
      scan.estimated_rows = row[5].as<int64_t>();
      scan.batch_size = row[6].as<int64_t>();
      scans.push_back(std::move(scan));
    }
  } catch (const pqxx::sql_error& error) {
    std::string text = error.what();
    throw pgshift::Error("could not read earlier applies from the journal (_pgshift): " +
                         text.substr(0, text.find('\n')));
  }
  return scans;
}

}  // namespace pgshift::catalog
