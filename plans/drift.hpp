// Drift: where a live database no longer matches its YAML, as a plain value.
//
// `pgshift drift` runs the same pipeline as `pgshift plan` (cli/planning.hpp:
// the desired model in the server's spelling, ignore rules applied to both
// sides, then the planner) and hands the two models and the plan to
// build_drift_report(). Pure: no database, file or clock; renderers are
// DriftReport in, text out.
//
// Invariants of a DriftReport built here:
//   1. `missing`, `unexpected` and `changed` name top-level objects (schemas,
//      extensions, tables with everything on them, views, sequences, types,
//      functions) in ObjectId order; an object appears in at most one of them.
//   2. A changed object lists every field (as schemas/yaml_fields.hpp spells
//      it) whose value differs, in field order; an object whose fields are
//      equal but which the plan changes anyway (an INVALID index to rebuild)
//      is listed with no fields and the plan's step summaries as the reason.
//   3. has_drift() is true whenever the plan has steps or errors, so `drift`
//      and `plan` never disagree on whether there is a difference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::plans {

struct DriftOptions {
  // A sequence that has used at least this fraction of its range is flagged.
  double sequence_threshold = 0.8;
};

// One field of an object whose value differs. nullopt: the field is absent on
// that side (not set, or left at its default).
struct FieldDrift {
  std::string field;                  // "columns.status.default"
  std::optional<std::string> before;  // in the database
  std::optional<std::string> after;   // in the YAML
};

struct ChangedObject {
  schemas::ObjectId object;
  std::vector<FieldDrift> fields;
  std::vector<std::string> plan_steps;  // summaries of the plan's steps on this object
};

// How much of a sequence's range has been handed out.
struct SequenceUse {
  schemas::ObjectId object;  // the sequence; for an identity column, its column
  std::string type;          // smallint, integer or bigint
  int64_t last_value = 0;
  bool is_called = false;  // false: nextval() has not been called yet
  int64_t min_value = 0;
  int64_t max_value = 0;
  double fraction_used = 0;      // values handed out / values in the range
  bool near_exhaustion = false;  // fraction_used >= the threshold, and no CYCLE
};

struct DriftReport {
  std::vector<schemas::ObjectId> missing;     // in the YAML, not in the database
  std::vector<schemas::ObjectId> unexpected;  // in the database, not in the YAML
  std::vector<ChangedObject> changed;
  std::vector<schemas::ObjectId> invalid_indexes;        // Index::valid false in the database
  std::vector<schemas::ObjectId> not_valid_constraints;  // checks and foreign keys NOT VALID
  std::vector<SequenceUse> sequences;  // every sequence whose usage the catalog reported
  // Columns between the phases of an expand/contract plan
  // (schemas::describe(ExpandedColumn)): compared as if contracted, their
  // new columns and sync triggers are not listed as unexpected. Drift.
  std::vector<std::string> pending_contracts;
  double sequence_threshold = 0.8;
  std::size_t plan_step_count = 0;
  std::vector<Diagnostic> plan_diagnostics;
  int server_version_num = 0;
  std::string fingerprint;
};

// Compares `current` (read from the database) with `desired` (the YAML in the
// server's spelling), both with ignore rules applied, and adds the operational
// state of `current`. `plan` is plan_changes(current, desired, ...).
// Planning hints of `desired` (backfill, renamed_from, backfill_batch_size)
// are not schema and never count as drift.
// REQUIRES: both models canonicalize()d; 0 <= options.sequence_threshold <= 1.
DriftReport build_drift_report(const schemas::Database& current, schemas::Database desired,
                               const Plan& plan, const DriftOptions& options);

// True when the database differs from the YAML (any missing, unexpected or
// changed object, a plan step or an error diagnostic), or an operational
// finding exists (an INVALID index, a NOT VALID constraint, a sequence near
// exhaustion).
bool has_drift(const DriftReport& report);

// Plain text for terminals and cron mail: one line per finding, field changes
// indented below their object, ending with the verdict.
std::string render_drift_text(const DriftReport& report);

// JSON for programs, format_version 1, keys in a fixed order (plans/DRIFT.md).
std::string render_drift_json(const DriftReport& report);

// Markdown for a pull-request comment or an issue: a summary, then a section
// per kind of finding with tables of fields before and after.
std::string render_drift_markdown(const DriftReport& report);

}  // namespace pgshift::plans
