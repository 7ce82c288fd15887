// Pre-flight data checks (issue 14) of a plan's steps against the target:
// before the plan is shown (`plan`, `apply --schema`), before the first step
// of `apply --plan`, and again right before each step that has checks (the
// data may have changed since the plan was made). The queries are the
// planner's (plans::DataCheck); catalog::run_data_checks runs them in one
// REPEATABLE READ READ ONLY snapshot.
#pragma once

#include <chrono>
#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "plans/plan.hpp"

namespace pgshift::plans {

struct DataCheckOptions {
  bool enabled = true;                                 // false: --no-data-checks
  int64_t sample_above_rows = 5000000;                 // larger tables: TABLESAMPLE SYSTEM
  std::chrono::milliseconds statement_timeout{60000};  // per check
};

// Runs the checks of every step of `plan` as the database is before the
// plan's first step (DataCheck::plan_query), fills each finding and
// plan.preflight, and puts at the front of the diagnostics one Error per
// violated check ("refused: step N (...) would fail: ...") and one Warning
// per check that could not run. Steps whose object already has an Error
// diagnostic are not checked (already refused). With !options.enabled, only
// records the pre-flight as skipped. Does nothing when no step has checks.
// Returns whether a check was violated. Throws pgshift::Error when the
// snapshot cannot be taken.
bool preflight_plan(pqxx::connection& conn, Plan& plan, const DataCheckOptions& options);

// Runs `step`'s checks as the database is right before it (DataCheck::query)
// and returns them with their findings.
std::vector<DataCheck> recheck_step(pqxx::connection& conn, const Step& step,
                                    const DataCheckOptions& options);

// "step 5 of 7 (validate ...) would fail: rows where ...: 3 rows violate it
// (e.g. id=1; id=2; id=3); list them with: SELECT ..."
std::string violation_message(const Step& step, size_t step_count, const DataCheck& check,
                              bool at_plan_time);

}  // namespace pgshift::plans
