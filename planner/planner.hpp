// The planner: from two schema models to a Plan. Pure: no database, file,
// clock or environment; the same inputs give a byte-identical plan.
//
// Callers: the CLI's `plan` command (current model from catalog/, desired
// model from schemas/, canonicalised by the server in a dev database).
#pragma once

#include <chrono>
#include <cstdint>
#include <set>
#include <string>

#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::planner {

struct PlanOptions {
  // Server version to plan for when current.facts.server_version_num is 0
  // (a model that did not come from a catalog); the catalog's wins otherwise.
  int server_version_num = 150000;
  // Every step waits at most this long for its locks, then fails (and can be
  // retried) instead of queueing traffic behind it.
  std::chrono::milliseconds lock_timeout{200};
  // Catalog-only steps.
  std::chrono::milliseconds statement_timeout{10000};
  // VALIDATE CONSTRAINT (reads the table under SHARE UPDATE EXCLUSIVE).
  std::chrono::milliseconds validate_statement_timeout{std::chrono::hours(1)};
  // CREATE/DROP INDEX CONCURRENTLY (two or three table scans).
  std::chrono::milliseconds concurrent_statement_timeout{std::chrono::hours(4)};
  // Steps that rewrite or scan under a blocking lock (accepted hazards).
  std::chrono::milliseconds rewrite_statement_timeout{std::chrono::hours(1)};
  // One backfill batch.
  std::chrono::milliseconds backfill_statement_timeout{std::chrono::minutes(1)};
  // Rows per backfill batch unless the table's backfill_batch_size says otherwise.
  int64_t default_batch_size = 10000;
  // Columns of the desired model whose default is volatile, "schema.table.column":
  // the canonicalised desired model's facts.volatile_defaults.
  std::set<std::string> desired_volatile_defaults;
};

// Returns the steps that change a database holding `current` into `desired`,
// in executable order, with the fingerprint and server version of `current`.
// Changes that cannot be made safely or at all are Error diagnostics in the
// plan (never exceptions); so is a dependency cycle, which leaves no steps.
// Hazards are recorded on the steps; refusing them is the caller's job.
// REQUIRES: both models canonicalize()d and validate()d.
plans::Plan plan_changes(const schemas::Database& current, const schemas::Database& desired,
                         const PlanOptions& options);

// One line per step ("3. add column "email" to table "public.users""), then
// one per diagnostic: a compact view for logs and tests.
std::string diff_summary(const plans::Plan& plan);

}  // namespace pgshift::planner
