// Hand-built plans and helpers for the applier's database tests, so they do
// not depend on the planner.
#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catalog/reader.hpp"
#include "plans/apply.hpp"
#include "plans/plan.hpp"
#include "tests/support/test_db.hpp"

namespace pgshift::testing {

// A plan of `steps` (ids set in order) carrying the fingerprint of `db` now.
inline plans::Plan plan_for(const TestDatabase& db, std::vector<plans::Step> steps) {
  pqxx::connection conn(db.url());
  plans::Plan plan;
  plan.fingerprint = catalog::read_catalog(conn).facts.fingerprint;
  plan.server_version_num = conn.server_version();
  for (std::size_t step_idx = 0; step_idx < steps.size(); ++step_idx) {
    steps[step_idx].id = static_cast<int>(step_idx + 1);
  }
  plan.steps = std::move(steps);
  return plan;
}

inline plans::Step ddl_step(const std::string& table, const std::string& summary,
                            std::vector<std::string> statements,
                            plans::LockMode mode = plans::LockMode::AccessExclusive) {
  plans::Step step;
  step.phase = plans::Phase::Create;
  step.object = schemas::ObjectId{schemas::ObjectKind::Table, "public", "", table};
  step.summary = summary;
  step.statements = std::move(statements);
  step.locks = {plans::RelationLock{"public", table, mode}};
  return step;
}

inline plans::Step index_step(const std::string& table, const std::string& index,
                              const std::string& statement) {
  plans::Step step;
  step.phase = plans::Phase::Constrain;
  step.object = schemas::ObjectId{schemas::ObjectKind::Index, "public", table, index};
  step.summary = "create index \"" + index + "\" on table \"public." + table + "\"";
  step.statements = {statement};
  step.transactional = false;
  step.locks = {plans::RelationLock{"public", table, plans::LockMode::ShareUpdateExclusive}};
  step.duration = plans::DurationClass::OnlineScan;
  step.hazards = {plans::Hazard::NonTransactional};
  return step;
}

inline plans::Step backfill_step(const std::string& table, const std::string& key,
                                 const std::string& column, const std::string& expression,
                                 const std::string& where, int64_t batch_size) {
  plans::Step step;
  step.phase = plans::Phase::Backfill;
  step.object = schemas::ObjectId{schemas::ObjectKind::Column, "public", table, column};
  step.summary = "backfill column \"" + column + "\" of table \"public." + table + "\"";
  step.transactional = false;
  // `key`: one column, "" for none (by block ranges); several in backfill_step_keyed.
  step.backfill = plans::BackfillSpec{"public", table,
                                      key.empty() ? std::vector<std::string>{}
                                                  : std::vector<std::string>{key},
                                      column,   expression, where, batch_size};
  step.locks = {plans::RelationLock{"public", table, plans::LockMode::RowExclusive}};
  return step;
}

// Options for tests: quick retries, log kept in `log`.
inline plans::ApplyOptions test_options(std::ostringstream& log) {
  plans::ApplyOptions options;
  options.retry_base = std::chrono::milliseconds(20);
  options.retry_max = std::chrono::milliseconds(100);
  options.pause = std::chrono::milliseconds(0);
  options.log = &log;
  return options;
}

// Polls `sql` (a boolean query on `url`) every 20 ms until true; false after
// `limit`. An error counts as false: the relation polled may not exist yet.
inline bool wait_until(const std::string& url, const std::string& sql,
                       std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  pqxx::connection conn(url);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      pqxx::nontransaction tx(conn);
      if (tx.exec(sql)[0][0].as<bool>()) return true;
    } catch (const pqxx::sql_error&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace pgshift::testing
