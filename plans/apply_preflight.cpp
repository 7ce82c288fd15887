#include "plans/apply_preflight.hpp"

#include <algorithm>

#include "catalog/preflight.hpp"

namespace pgshift::plans {

namespace {

catalog::CheckQuery check_query(const DataCheck& check, bool at_plan_time) {
  catalog::CheckQuery query;
  query.schema = check.schema;
  query.raises = check.raises;
  if (at_plan_time) {
    query.schema = plan_time_schema(check);
    query.table = plan_time_table(check);
    query.query = plan_time_query(check, false);
    query.sampled_query = plan_time_query(check, true);
  } else {
    query.table = check.table;
    query.query = check.query;
    query.sampled_query = check.sampled_query;
  }
  return query;
}

catalog::CheckOptions check_options(const DataCheckOptions& options) {
  catalog::CheckOptions converted;
  converted.sample_above_rows = options.sample_above_rows;
  converted.statement_timeout = options.statement_timeout;
  return converted;
}

DataFinding finding_of(const catalog::CheckOutcome& outcome) {
  DataFinding finding;
  finding.violations = outcome.violations;
  finding.examples = outcome.examples;
  finding.sample_percent = outcome.sample_percent;
  finding.error = outcome.error;
  finding.elapsed_ms = outcome.elapsed.count();
  return finding;
}

}  // namespace

std::string violation_message(const Step& step, size_t step_count, const DataCheck& check,
                              bool at_plan_time) {
  return "step " + std::to_string(step.id) + " of " + std::to_string(step_count) + " (" +
         step.summary + ") would fail: " + describe_finding(check) +
         "; list them with: " + (at_plan_time ? plan_time_query(check, false) : check.query);
}

bool preflight_plan(pqxx::connection& conn, Plan& plan, const DataCheckOptions& options) {
  std::vector<DataCheck*> checks;
  std::vector<const Step*> owners;
  for (auto& step : plan.steps) {
    const bool refused =
        std::any_of(plan.diagnostics.begin(), plan.diagnostics.end(), [&](const Diagnostic& d) {
          return d.severity == Severity::Error && d.object == step.object;
        });
    if (refused) continue;
    for (auto& check : step.data_checks) {
      checks.push_back(&check);
      owners.push_back(&step);
    }
  }
  if (checks.empty()) return false;
  Preflight preflight;
  preflight.sample_above_rows = options.sample_above_rows;
  if (!options.enabled) {
    preflight.skipped = true;
    plan.preflight = preflight;
    return false;
  }
  std::vector<catalog::CheckQuery> queries;
  for (const DataCheck* check : checks) queries.push_back(check_query(*check, true));
  const auto started = std::chrono::steady_clock::now();
  const auto outcomes = catalog::run_data_checks(conn, queries, check_options(options));
  preflight.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
  plan.preflight = preflight;
  std::vector<Diagnostic> refusals;
  std::vector<Diagnostic> warnings;
  for (size_t check_idx = 0; check_idx < checks.size(); ++check_idx) {
    DataCheck& check = *checks[check_idx];
    check.finding = finding_of(outcomes[check_idx]);
    const Step& step = *owners[check_idx];
    if (violated(check)) {
      refusals.push_back({Severity::Error, step.object,
                          "refused: " + violation_message(step, plan.steps.size(), check, true)});
    } else if (!check.finding->error.empty()) {
      warnings.push_back({Severity::Warning, step.object,
                          "step " + std::to_string(step.id) + " (" + step.summary +
                              "): data check " + describe_finding(check) +
                              "; the step may still fail on existing rows"});
    }
  }
  plan.diagnostics.insert(plan.diagnostics.begin(), refusals.begin(), refusals.end());
  plan.diagnostics.insert(plan.diagnostics.end(), warnings.begin(), warnings.end());
  return !refusals.empty();
}

std::vector<DataCheck> recheck_step(pqxx::connection& conn, const Step& step,
                                    const DataCheckOptions& options) {
  std::vector<DataCheck> checks = step.data_checks;
  std::vector<catalog::CheckQuery> queries;
  for (const auto& check : checks) queries.push_back(check_query(check, false));
  const auto outcomes = catalog::run_data_checks(conn, queries, check_options(options));
  for (size_t check_idx = 0; check_idx < checks.size(); ++check_idx) {
    checks[check_idx].finding = finding_of(outcomes[check_idx]);
  }
  return checks;
}

}  // namespace pgshift::plans
