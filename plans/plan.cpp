#include "plans/plan.hpp"

#include "plans/estimates.hpp"

#include <algorithm>
#include <cstdio>

namespace pgshift::plans {

const char* lock_mode_name(LockMode mode) {
  switch (mode) {
    case LockMode::AccessShare:
      return "ACCESS SHARE";
    case LockMode::RowShare:
      return "ROW SHARE";
    case LockMode::RowExclusive:
      return "ROW EXCLUSIVE";
    case LockMode::ShareUpdateExclusive:
      return "SHARE UPDATE EXCLUSIVE";
    case LockMode::Share:
      return "SHARE";
    case LockMode::ShareRowExclusive:
      return "SHARE ROW EXCLUSIVE";
    case LockMode::Exclusive:
      return "EXCLUSIVE";
    case LockMode::AccessExclusive:
      return "ACCESS EXCLUSIVE";
  }
  return "";
}

// Source: doc/src/sgml/mvcc.sgml, "Conflicting Lock Modes" (table-lock
// compatibility), identical in PostgreSQL 10 to 17; the same matrix is
// LockConflicts[] in src/backend/storage/lmgr/lock.c.
std::vector<LockMode> blocked_by(LockMode mode) {
  using M = LockMode;
  switch (mode) {
    case M::AccessShare:
      return {M::AccessExclusive};
    case M::RowShare:
      return {M::Exclusive, M::AccessExclusive};
    case M::RowExclusive:
      return {M::Share, M::ShareRowExclusive, M::Exclusive, M::AccessExclusive};
    case M::ShareUpdateExclusive:
      return {M::ShareUpdateExclusive, M::Share, M::ShareRowExclusive, M::Exclusive,
              M::AccessExclusive};
    case M::Share:
      return {M::RowExclusive, M::ShareUpdateExclusive, M::ShareRowExclusive, M::Exclusive,
              M::AccessExclusive};
    case M::ShareRowExclusive:
      return {M::RowExclusive, M::ShareUpdateExclusive, M::Share, M::ShareRowExclusive,
              M::Exclusive,    M::AccessExclusive};
    case M::Exclusive:
      return {M::RowShare,          M::RowExclusive, M::ShareUpdateExclusive, M::Share,
              M::ShareRowExclusive, M::Exclusive,    M::AccessExclusive};
    case M::AccessExclusive:
      return {M::AccessShare, M::RowShare,          M::RowExclusive, M::ShareUpdateExclusive,
              M::Share,       M::ShareRowExclusive, M::Exclusive,    M::AccessExclusive};
  }
  return {};
}

bool blocks_traffic(LockMode mode) {
  const std::vector<LockMode> conflicts = blocked_by(mode);
  return std::find(conflicts.begin(), conflicts.end(), LockMode::RowExclusive) != conflicts.end() ||
         std::find(conflicts.begin(), conflicts.end(), LockMode::AccessShare) != conflicts.end();
}

bool may_wait_for_locks(const Step& step) {
  if (step.backfill || step.locks.empty()) return false;
  return std::none_of(step.locks.begin(), step.locks.end(),
                      [](const RelationLock& lock) { return blocks_traffic(lock.mode); });
}

// Which statements take the conflicting modes: mvcc.sgml, "Table-Level Lock
// Modes" (SELECT takes ACCESS SHARE; SELECT FOR UPDATE/SHARE ROW SHARE;
// INSERT/UPDATE/DELETE/MERGE ROW EXCLUSIVE; VACUUM, ANALYZE, CREATE INDEX
// CONCURRENTLY SHARE UPDATE EXCLUSIVE; CREATE INDEX SHARE).
const char* lock_mode_blocks(LockMode mode) {
  switch (mode) {
    case LockMode::AccessShare:
      return "only ACCESS EXCLUSIVE (DROP, most ALTER TABLE)";
    case LockMode::RowShare:
      return "EXCLUSIVE and ACCESS EXCLUSIVE (most ALTER TABLE)";
    case LockMode::RowExclusive:
      return "CREATE INDEX and stronger DDL; reads and writes go on";
    case LockMode::ShareUpdateExclusive:
      return "VACUUM, ANALYZE, CREATE INDEX, other DDL; reads and writes go on";
    case LockMode::Share:
      return "writes (INSERT, UPDATE, DELETE) and DDL; reads go on";
    case LockMode::ShareRowExclusive:
      return "writes (INSERT, UPDATE, DELETE) and DDL; reads go on";
    case LockMode::Exclusive:
      return "writes and SELECT FOR UPDATE/SHARE; plain reads go on";
    case LockMode::AccessExclusive:
      return "everything, reads (SELECT) included";
  }
  return "";
}

const char* stage_name(Stage stage) {
  return stage == Stage::Contract ? "contract" : "expand";
}

bool has_contract(const Plan& plan) {
  return std::any_of(plan.steps.begin(), plan.steps.end(),
                     [](const Step& step) { return step.stage == Stage::Contract; });
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::Prepare:
      return "prepare";
    case Phase::Create:
      return "create";
    case Phase::Alter:
      return "alter";
    case Phase::Backfill:
      return "backfill";
    case Phase::Constrain:
      return "constrain";
    case Phase::Validate:
      return "validate";
    case Phase::Finalize:
      return "finalize";
    case Phase::Drop:
      return "drop";
  }
  return "";
}

const char* duration_class_name(DurationClass duration) {
  switch (duration) {
    case DurationClass::CatalogOnly:
      return "catalog_only";
    case DurationClass::OnlineScan:
      return "online_scan";
    case DurationClass::BlockingScan:
      return "blocking_scan";
    case DurationClass::Rewrite:
      return "rewrite";
  }
  return "";
}

const char* hazard_name(Hazard hazard) {
  switch (hazard) {
    case Hazard::DataLoss:
      return "data_loss";
    case Hazard::TableRewrite:
      return "table_rewrite";
    case Hazard::AccessExclusiveScan:
      return "access_exclusive_scan";
    case Hazard::Rename:
      return "rename";
    case Hazard::EnumValueRemoval:
      return "enum_value_removal";
    case Hazard::NonTransactional:
      return "non_transactional";
    case Hazard::DependentRecreated:
      return "dependent_recreated";
    case Hazard::EmptiesSchema:
      return "empties_schema";
    case Hazard::AccessWidened:
      return "access_widened";
    case Hazard::AccessNarrowed:
      return "access_narrowed";
    case Hazard::PartitionDetached:
      return "partition_detached";
    case Hazard::WritesRefused:
      return "writes_refused";
  }
  return "";
}

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
  }
  return "";
}

bool operator==(const RelationLock& a, const RelationLock& b) {
  return a.schema == b.schema && a.relation == b.relation && a.mode == b.mode;
}

bool operator==(const BackfillSpec& a, const BackfillSpec& b) {
  return a.schema == b.schema && a.table == b.table && a.key_columns == b.key_columns &&
         a.set_column == b.set_column && a.set_expression == b.set_expression &&
         a.where == b.where && a.batch_size == b.batch_size;
}

bool operator==(const Step& a, const Step& b) {
  return a.id == b.id && a.stage == b.stage && a.phase == b.phase && a.object == b.object && a.summary == b.summary &&
         a.rationale == b.rationale && a.statements == b.statements && a.backfill == b.backfill &&
         a.transactional == b.transactional && a.locks == b.locks && a.duration == b.duration &&
         a.hazards == b.hazards && a.estimated_rows == b.estimated_rows &&
         a.lock_timeout == b.lock_timeout && a.statement_timeout == b.statement_timeout &&
         a.depends_on == b.depends_on && a.data_checks == b.data_checks &&
         a.estimated_ms == b.estimated_ms;
}

const char* data_check_kind_name(DataCheckKind kind) {
  switch (kind) {
    case DataCheckKind::NotNull:
      return "not_null";
    case DataCheckKind::Check:
      return "check";
    case DataCheckKind::ForeignKey:
      return "foreign_key";
    case DataCheckKind::Unique:
      return "unique";
    case DataCheckKind::Cast:
      return "cast";
    case DataCheckKind::Exclusion:
      return "exclusion";
  }
  return "?";
}

bool operator==(const DataFinding& a, const DataFinding& b) {
  return a.violations == b.violations && a.examples == b.examples &&
         a.sample_percent == b.sample_percent && a.error == b.error &&
         a.elapsed_ms == b.elapsed_ms;
}

bool operator==(const DataCheck& a, const DataCheck& b) {
  return a.kind == b.kind && a.schema == b.schema && a.table == b.table &&
         a.description == b.description && a.query == b.query &&
         a.sampled_query == b.sampled_query && a.plan_table == b.plan_table &&
         a.plan_schema == b.plan_schema && a.plan_query == b.plan_query &&
         a.plan_sampled_query == b.plan_sampled_query && a.raises == b.raises &&
         a.finding == b.finding;
}

const std::string& plan_time_query(const DataCheck& check, bool sampled) {
  if (check.plan_query.empty()) return sampled ? check.sampled_query : check.query;
  return sampled ? check.plan_sampled_query : check.plan_query;
}

const std::string& plan_time_table(const DataCheck& check) {
  return check.plan_table.empty() ? check.table : check.plan_table;
}

const std::string& plan_time_schema(const DataCheck& check) {
  return check.plan_schema.empty() ? check.schema : check.plan_schema;
}

bool violated(const DataCheck& check) {
  return check.finding && check.finding->error.empty() && check.finding->violations != 0;
}

std::string describe_finding(const DataCheck& check) {
  std::string text = check.description + ": ";
  if (!check.finding) return text + "not run";
  const DataFinding& finding = *check.finding;
  if (!finding.error.empty()) return text + "could not be checked: " + finding.error;
  if (finding.sample_percent) {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.3g", *finding.sample_percent);
    text += std::string("checked a ") + percent + "% sample (TABLESAMPLE SYSTEM): ";
  }
  std::string examples;
  for (const auto& example : finding.examples) {
    examples += (examples.empty() ? "" : "; ") + example;
  }
  if (finding.violations == 0) return text + "no violation found";
  if (finding.violations < 0) return text + "at least one row is rejected: " + examples;
  const bool groups = check.kind == DataCheckKind::Unique;
  const bool one = finding.violations == 1;
  text += std::to_string(finding.violations) + (groups ? " duplicate group" : " row") +
          (one ? "" : "s") + (groups ? "" : one ? " violates it" : " violate it");
  return text + " (e.g. " + examples + ")";
}

std::string describe_preflight(const Plan& plan) {
  const Preflight& preflight = *plan.preflight;
  int checks = 0;
  int run = 0;
  int violations = 0;
  int errors = 0;
  int sampled = 0;
  for (const auto& step : plan.steps) {
    for (const auto& check : step.data_checks) {
      ++checks;
      if (!check.finding) continue;
      ++run;
      if (violated(check)) ++violations;
      if (!check.finding->error.empty()) ++errors;
      if (check.finding->sample_percent) ++sampled;
    }
  }
  if (preflight.skipped) {
    return std::to_string(checks) + " skipped (--no-data-checks): failures on existing rows "
           "show only when the steps run";
  }
  std::string text = std::to_string(run) + (run == 1 ? " check" : " checks") + " in " +
                     std::to_string(preflight.elapsed_ms) +
                     " ms, one REPEATABLE READ READ ONLY snapshot; " +
                     std::to_string(violations) + " violated";
  if (errors > 0) text += ", " + std::to_string(errors) + " could not be checked";
  if (sampled > 0) {
    text += ", " + std::to_string(sampled) + " read a sample (tables of over " +
            std::to_string(preflight.sample_above_rows) + " rows)";
  }
  return text;
}

bool operator==(const Throughput& a, const Throughput& b) {
  return a.bytes_per_second == b.bytes_per_second && a.source == b.source;
}

std::string format_duration_ms(int64_t ms) {
  char text[32];
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms < 60 * 1000) return std::to_string((ms + 500) / 1000) + " s";
  if (ms < 3600 * 1000) return std::to_string((ms + 30000) / 60000) + " min";
  std::snprintf(text, sizeof text, "%.1f h", static_cast<double>(ms) / 3600000.0);
  return text;
}

namespace {

bool blocks_traffic_while_running(const Step& step) {
  if (step.duration != DurationClass::Rewrite && step.duration != DurationClass::BlockingScan) {
    return false;
  }
  return std::any_of(step.locks.begin(), step.locks.end(),
                     [](const RelationLock& lock) { return blocks_traffic(lock.mode); });
}

bool builds_index(const Step& step) {
  return std::any_of(step.statements.begin(), step.statements.end(), [](const std::string& sql) {
    return sql.rfind("CREATE ", 0) == 0 && sql.find(" INDEX ") != std::string::npos;
  });
}

}  // namespace

void estimate_steps(Plan& plan, const std::map<std::string, int64_t>& heap_bytes,
                    const Throughput& throughput, int64_t backfill_pause_ms) {
  if (throughput.bytes_per_second <= 0) return;
  bool any = false;
  for (auto& step : plan.steps) {
    if (step.duration == DurationClass::CatalogOnly || !step.estimated_rows) continue;
    const std::string table = step.backfill ? step.backfill->schema + "." + step.backfill->table
                              : !step.object.table.empty()
                                  ? step.object.schema + "." + step.object.table
                                  : step.object.schema + "." + step.object.name;
    const auto bytes = heap_bytes.find(table);
    if (bytes == heap_bytes.end()) continue;
    step.estimated_ms = estimate_scan_ms(
        step.duration, builds_index(step), step.backfill.has_value(), bytes->second,
        throughput.bytes_per_second, *step.estimated_rows,
        step.backfill ? step.backfill->batch_size : 0, backfill_pause_ms);
    any = true;
  }
  if (any) plan.throughput = throughput;
}

std::string describe_estimates(const Plan& plan) {
  int64_t total = 0;
  int64_t blocking = 0;
  bool any = false;
  for (const auto& step : plan.steps) {
    if (!step.estimated_ms) continue;
    any = true;
    total += *step.estimated_ms;
    if (blocks_traffic_while_running(step)) blocking += *step.estimated_ms;
  }
  if (!any || !plan.throughput) return "";
  return "about " + format_duration_ms(total) + " of scans, of which " +
         format_duration_ms(blocking) + " blocking traffic (read throughput " +
         std::to_string(plan.throughput->bytes_per_second / (1024 * 1024)) + " MB/s, " +
         plan.throughput->source + ")";
}

bool operator==(const Preflight& a, const Preflight& b) {
  return a.skipped == b.skipped && a.elapsed_ms == b.elapsed_ms &&
         a.sample_above_rows == b.sample_above_rows;
}

bool operator==(const Diagnostic& a, const Diagnostic& b) {
  return a.severity == b.severity && a.object == b.object && a.message == b.message;
}

bool operator==(const Plan& a, const Plan& b) {
  return a.fingerprint == b.fingerprint && a.target_fingerprint == b.target_fingerprint &&
         a.owners == b.owners && a.target_owners == b.target_owners &&
         a.ignore == b.ignore && a.schemas == b.schemas &&
         a.server_version_num == b.server_version_num && a.search_path == b.search_path &&
         a.steps == b.steps && a.diagnostics == b.diagnostics && a.preflight == b.preflight &&
         a.throughput == b.throughput && a.deploy == b.deploy;
}
bool operator!=(const Plan& a, const Plan& b) {
  return !(a == b);
}

bool has_errors(const Plan& plan) {
  return std::any_of(plan.diagnostics.begin(), plan.diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace pgshift::plans
