#include "plans/plan.hpp"

#include <algorithm>

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
  return a.id == b.id && a.phase == b.phase && a.object == b.object && a.summary == b.summary &&
         a.rationale == b.rationale && a.statements == b.statements && a.backfill == b.backfill &&
         a.transactional == b.transactional && a.locks == b.locks && a.duration == b.duration &&
         a.hazards == b.hazards && a.estimated_rows == b.estimated_rows &&
         a.lock_timeout == b.lock_timeout && a.statement_timeout == b.statement_timeout &&
         a.depends_on == b.depends_on;
}

bool operator==(const Diagnostic& a, const Diagnostic& b) {
  return a.severity == b.severity && a.object == b.object && a.message == b.message;
}

bool operator==(const Plan& a, const Plan& b) {
  return a.fingerprint == b.fingerprint && a.target_fingerprint == b.target_fingerprint &&
         a.ignore == b.ignore && a.schemas == b.schemas &&
         a.server_version_num == b.server_version_num &&
         a.steps == b.steps && a.diagnostics == b.diagnostics;
}
bool operator!=(const Plan& a, const Plan& b) {
  return !(a == b);
}

bool has_errors(const Plan& plan) {
  return std::any_of(plan.diagnostics.begin(), plan.diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::Error; });
}

}  // namespace pgshift::plans
