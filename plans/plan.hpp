// The Plan: what pgshift intends to do to a database, as a plain value.
//
// The planner (planner/planner.hpp) produces it; the renderers turn it into
// SQL, JSON and Markdown; the applier executes it step by step. A Plan is
// self-contained: an executor needs nothing but this value.
//
// Invariants (established by planner::plan_changes, kept by plan_from_json):
//   1. `steps` are in executable order; `steps[i].id == i + 1`.
//   2. Every step lists the relations it locks and in which mode, its duration
//      class, and its hazards; `depends_on` names only earlier steps.
//   3. A step that cannot run inside a transaction block (CREATE INDEX
//      CONCURRENTLY, ALTER TYPE ... ADD VALUE before PostgreSQL 12, a
//      backfill) has `transactional == false` and is never grouped with others.
//   4. `statements` hold the exact SQL to run, without the SET lines: the
//      timeouts are fields. A backfill step has no statements but a
//      `backfill` spec, executed in batches by key (or block), one commit per batch.
//   5. Diagnostics are values: a plan with an Error diagnostic must not be
//      applied (the CLI refuses it); its steps are what could be planned.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::plans {

// PostgreSQL's table-level lock modes, weakest first (lockdefs.h, mvcc.sgml).
enum class LockMode {
  AccessShare,
  RowShare,
  RowExclusive,
  ShareUpdateExclusive,
  Share,
  ShareRowExclusive,
  Exclusive,
  AccessExclusive,
};
inline constexpr std::array<LockMode, 8> kAllLockModes = {
    LockMode::AccessShare,  LockMode::RowShare,
    LockMode::RowExclusive, LockMode::ShareUpdateExclusive,
    LockMode::Share,        LockMode::ShareRowExclusive,
    LockMode::Exclusive,    LockMode::AccessExclusive};

// "ACCESS EXCLUSIVE", as written in LOCK TABLE and the documentation.
const char* lock_mode_name(LockMode mode);
// The modes that conflict with `mode`: a session holding `mode` blocks every
// other session asking for one of these (and waits for holders of them).
// Source: doc/src/sgml/mvcc.sgml, table "Conflicting Lock Modes". Symmetric.
std::vector<LockMode> blocked_by(LockMode mode);
// The same in words for reviewers: which ordinary statements wait.
const char* lock_mode_blocks(LockMode mode);
// True when a request for `mode`, granted or still queued, makes ordinary
// traffic wait: it conflicts with ROW EXCLUSIVE (INSERT, UPDATE, DELETE) or
// ACCESS SHARE (SELECT). Derived from blocked_by(): SHARE UPDATE EXCLUSIVE and
// weaker modes block neither.
bool blocks_traffic(LockMode mode);

// When a step runs relative to the others; also the first sort key of a step.
enum class Phase {
  Prepare,    // schemas, extensions, types, sequences, functions
  Create,     // new tables, new and renamed columns
  Alter,      // column types, defaults, identity
  Backfill,   // batched UPDATEs of existing rows
  Constrain,  // constraints NOT VALID, index builds
  Validate,   // VALIDATE CONSTRAINT, SET NOT NULL, ADD CONSTRAINT ... USING INDEX
  Finalize,   // views, triggers, comments, replica identity
  Drop,       // drops of what the desired schema no longer has
};
inline constexpr std::array<Phase, 8> kAllPhases = {
    Phase::Prepare,   Phase::Create,   Phase::Alter,    Phase::Backfill,
    Phase::Constrain, Phase::Validate, Phase::Finalize, Phase::Drop};
const char* phase_name(Phase phase);  // "prepare", ...

// Expand and contract (issue 15): a plan that makes a column change across
// application deploys has two stages. Expand steps run first (`apply --phase
// expand`); the deploy named by Plan::deploy happens; contract steps run
// last (`apply --phase contract`). A plan without a contract stage has only
// expand steps and runs as one.
enum class Stage { Expand, Contract };
inline constexpr std::array<Stage, 2> kAllStages = {Stage::Expand, Stage::Contract};
const char* stage_name(Stage stage);  // "expand", "contract"

// How long the step holds its locks, in kind rather than in seconds.
enum class DurationClass {
  CatalogOnly,   // touches the catalog only: instant once the lock is granted
  OnlineScan,    // reads the table under a lock that lets reads and writes go on
  BlockingScan,  // reads the whole table under a lock that blocks traffic
  Rewrite,       // rewrites the table (and its indexes) under ACCESS EXCLUSIVE
};
inline constexpr std::array<DurationClass, 4> kAllDurationClasses = {
    DurationClass::CatalogOnly, DurationClass::OnlineScan, DurationClass::BlockingScan,
    DurationClass::Rewrite};
const char* duration_class_name(DurationClass duration);  // "catalog_only", ...

// What a reviewer must accept before a step runs. The names are stable: the
// CLI's --allow-hazard flag and the JSON use them. See planner/HAZARDS.md.
enum class Hazard {
  DataLoss,             // drops a table, column, constraint, index or other object
  TableRewrite,         // rewrites the table under ACCESS EXCLUSIVE
  AccessExclusiveScan,  // scans the table under ACCESS EXCLUSIVE (SET NOT NULL before 12)
  Rename,               // renames a table or column: running app versions break
  EnumValueRemoval,     // a label the desired enum lacks cannot be removed in place
  NonTransactional,     // cannot run in a transaction; a failure leaves partial state
  DependentRecreated,   // a view is dropped and recreated around a change
  EmptiesSchema,        // drops every table of a managed schema (often the wrong file)
  AccessWidened,        // row-level security loosened, or a privilege granted on an existing object
  AccessNarrowed,       // a privilege revoked on an existing object: the application may lose it
  PartitionDetached,    // a partition leaves its parent: its rows no longer reached through it
  WritesRefused,        // writes the server accepted before are refused for a while
};
inline constexpr std::array<Hazard, 12> kAllHazards = {
    Hazard::DataLoss,         Hazard::TableRewrite,     Hazard::AccessExclusiveScan,
    Hazard::Rename,           Hazard::EnumValueRemoval, Hazard::NonTransactional,
    Hazard::DependentRecreated, Hazard::EmptiesSchema, Hazard::AccessWidened,
    Hazard::AccessNarrowed,   Hazard::PartitionDetached, Hazard::WritesRefused};
const char* hazard_name(Hazard hazard);  // "data_loss", ...

// One relation locked by a step.
struct RelationLock {
  std::string schema;
  std::string relation;
  LockMode mode = LockMode::AccessExclusive;
};
bool operator==(const RelationLock& a, const RelationLock& b);

// A batched UPDATE of the rows existing when the backfill starts, one short
// transaction per batch (plans/apply_backfill.cpp carries the details):
//  - with `key_columns` (a primary key or a unique key of NOT NULL columns,
//    of any types), by keyset: the next `batch_size` keys after the last
//    batch's, in key order, up to the highest key seen at the start:
//      UPDATE schema.table SET set_column = (set_expression)
//       WHERE (k1, k2) > (last) AND (k1, k2) <= (the batch_size-th key after last,
//                                                 or the highest)
//         AND (where)
//  - without (a table with no usable key), by ranges of heap blocks
//    (ctid), then a sweep of the rows that moved to blocks already done;
//    `where` must then be set, as it keeps the sweep from repeating a row.
// Rows inserted later get the column default, set before the backfill.
struct BackfillSpec {
  std::string schema;
  std::string table;
  std::vector<std::string> key_columns;  // unique together, each NOT NULL; empty: by ctid
  std::string set_column;
  std::string set_expression;  // SQL expression, as in the model
  std::string where;           // SQL condition, e.g. "email" IS NULL
  int64_t batch_size = 10000;  // rows per batch (the first batch, when adaptive)
};
bool operator==(const BackfillSpec& a, const BackfillSpec& b);

// Pre-flight data checks (issue 14): a step that can fail on existing rows
// (VALIDATE of a CHECK or NOT NULL, a foreign key's VALIDATE, a unique index
// build, a type change whose cast may reject values) carries the read-only
// queries that find those rows. The planner writes them (pure SQL text);
// the CLI runs them before the plan is shown (catalog/preflight.hpp), the
// applier again right before the step runs.
enum class DataCheckKind {
  NotNull,     // rows whose column is (still, after the plan's backfill) NULL
  Check,       // rows for which the CHECK expression is false
  ForeignKey,  // rows whose key has no referenced row (orphans)
  Unique,      // groups of rows sharing a key (UNIQUE / PRIMARY KEY)
  Cast,        // rows whose value the new type's conversion rejects or cuts
  Exclusion,   // rows in conflict with another row under an exclusion constraint
};
inline constexpr std::array<DataCheckKind, 6> kAllDataCheckKinds = {
    DataCheckKind::NotNull, DataCheckKind::Check,     DataCheckKind::ForeignKey,
    DataCheckKind::Unique,  DataCheckKind::Cast,      DataCheckKind::Exclusion};
const char* data_check_kind_name(DataCheckKind kind);  // "not_null", ...

// What one run of a data check found.
struct DataFinding {
  // Violating rows (groups for Unique); -1: at least one, count unknown (a
  // cast attempt that failed: the server stops at the first bad value).
  int64_t violations = 0;
  std::vector<std::string> examples;  // up to 5 keys: "id=4", or the server's message
  // Set when the check read a TABLESAMPLE SYSTEM sample of the table: the
  // percentage read (a clean sample does not prove the table clean).
  std::optional<double> sample_percent;
  std::string error;  // non-empty: the check could not run (timeout, ...); why
  int64_t elapsed_ms = 0;
};
bool operator==(const DataFinding& a, const DataFinding& b);

struct DataCheck {
  DataCheckKind kind = DataCheckKind::Check;
  std::string schema;       // of the table scanned
  std::string table;        // as named when the step runs
  std::string description;  // "rows where \"email\" IS NULL", for reviewers
  // Lists every violating row's key (or duplicate group), as the database is
  // right before the step runs; `sampled_query` is the same over
  // TABLESAMPLE SYSTEM ($1), $1 the percentage.
  std::string query;
  std::string sampled_query;
  // The same as the database is when the plan is made, when that differs:
  // earlier steps of the plan rename the table or backfill the column. "":
  // as `query`.
  std::string plan_table;
  std::string plan_schema;  // "": `schema` (an earlier step moves the table when not)
  std::string plan_query;
  std::string plan_sampled_query;
  // True for a cast attempt: the query lists nothing and fails (SQLSTATE
  // class 22) on the first value the conversion rejects.
  bool raises = false;
  std::optional<DataFinding> finding;  // of the pre-flight; nullopt when not run
};
bool operator==(const DataCheck& a, const DataCheck& b);

// The query the pre-flight runs at plan time (plan_query, else query) and
// the table it reads (plan_schema.plan_table, else schema.table).
const std::string& plan_time_query(const DataCheck& check, bool sampled);
const std::string& plan_time_table(const DataCheck& check);
const std::string& plan_time_schema(const DataCheck& check);

// "rows where ...: 3 rows violate it (e.g. id=1, id=2, id=3)", "checked a
// 2% sample: no violation found", "could not be checked: ...", "not run": the
// finding in words for every rendering and message. Without the time taken.
std::string describe_finding(const DataCheck& check);
// True when the check's finding is a violation (a refusal).
bool violated(const DataCheck& check);

// The pre-flight as a whole, when it ran or was skipped.
struct Preflight {
  bool skipped = false;            // --no-data-checks
  int64_t elapsed_ms = 0;          // all checks, one snapshot
  int64_t sample_above_rows = 0;   // tables estimated larger were sampled
};
bool operator==(const Preflight& a, const Preflight& b);

// The read throughput step estimates are made from, and where it came from.
struct Throughput {
  int64_t bytes_per_second = 0;
  std::string source;  // "calibration: read 12 MB of public.orders in 85 ms"
};
bool operator==(const Throughput& a, const Throughput& b);

struct Plan;
// "4 checks on 3 tables in 35 ms, one REPEATABLE READ snapshot; 1 violated;
// tables over 5000000 rows sampled", or "skipped (--no-data-checks)".
// REQUIRES: plan.preflight.
std::string describe_preflight(const Plan& plan);

struct Step {
  int id = 0;  // 1-based position in the plan
  Stage stage = Stage::Expand;  // every contract step comes after every expand step
  Phase phase = Phase::Prepare;
  schemas::ObjectId object;             // the object the step changes
  std::string summary;                  // `add column "email" to table "public.users"`
  std::string rationale;                // one line: why this shape
  std::vector<std::string> statements;  // SQL, in order; empty for a backfill
  std::optional<BackfillSpec> backfill;
  bool transactional = true;  // false: run outside any transaction block
  std::vector<RelationLock> locks;
  DurationClass duration = DurationClass::CatalogOnly;
  std::vector<Hazard> hazards;
  std::optional<int64_t> estimated_rows;  // rows the step reads or writes, when known
  std::chrono::milliseconds lock_timeout{0};
  std::chrono::milliseconds statement_timeout{0};  // per batch for a backfill
  std::vector<int> depends_on;                     // ids of earlier steps this one needs
  std::vector<DataCheck> data_checks;              // rows that would make it fail
  // Estimated duration of a scanning step (backfill, VALIDATE, index build,
  // rewrite), from the table's size and the plan's throughput; nullopt for
  // catalog-only steps and when no throughput was measured.
  std::optional<int64_t> estimated_ms;
};
bool operator==(const Step& a, const Step& b);

// True when the applier may let `step` wait for its locks (and, for a
// concurrent index build, for older snapshots) up to its statement timeout
// instead of a short lock_timeout: it declares at least one lock, none of
// which blocks traffic (blocks_traffic), and it is not a backfill, whose row
// locks (which Step::locks does not list) make writers of the same rows wait.
bool may_wait_for_locks(const Step& step);

enum class Severity { Error, Warning };
const char* severity_name(Severity severity);  // "error", "warning"

// A change that was refused or could not be planned safely.
struct Diagnostic {
  Severity severity = Severity::Error;
  schemas::ObjectId object;
  std::string message;  // lower case, no final period, names in double quotes
};
bool operator==(const Diagnostic& a, const Diagnostic& b);

struct Plan {
  std::string fingerprint;     // of the catalog the plan was made from
  // catalog::schema_fingerprint of the catalog the plan must produce: the
  // desired model as the server spells it, objects matching `ignore` left out.
  // The applier verifies against it. Empty in plans made before it existed.
  std::string target_fingerprint;
  // The ignore patterns the plan was made with (schemas/ignore.hpp): objects
  // they match are left out of target_fingerprint.
  std::vector<std::string> ignore;
  // The schemas the plan manages (the desired model's), sorted: the catalog is
  // read with exactly these when the fingerprint is made and checked.
  std::vector<std::string> schemas;
  // The catalog was read with owners (the desired state sets manage_owners):
  // the fingerprint covers them, and the applier reads them to check it.
  bool owners = false;
  // Every owner the desired state sets (manage_owners), by object: the
  // applier's verification compares them with the catalog after the last
  // step. target_fingerprint leaves owners out (an object the desired state
  // gives no owner keeps any).
  std::vector<std::pair<schemas::ObjectId, std::string>> target_owners;
  int server_version_num = 0;  // of that server, e.g. 150004
  // The search_path of the session whose catalog the plan was made from
  // (schemas::CatalogFacts::session). The server spelled every name on it
  // unqualified in the defaults, CHECKs, views and bodies the statements
  // carry, so they mean what was planned only under that path: the applier
  // and the SQL rendering set it. Empty: not read from a server (the session's
  // own path is used).
  std::string search_path;
  std::vector<Step> steps;
  std::vector<Diagnostic> diagnostics;
  std::optional<Preflight> preflight;  // nullopt: no step has data checks to run
  std::optional<Throughput> throughput;  // nullopt: no step scans a populated table
  // A plan with contract steps: what must happen between the stages (the
  // application deploy), one line per expanded column. Empty otherwise.
  std::vector<std::string> deploy;
};

// True when the plan has a contract stage (two phases).
bool has_contract(const Plan& plan);

// "about 4 min, of which 0 s blocking traffic (throughput 120 MB/s, calibration: ...)";
// "" when no step has an estimate. Blocking: the estimates of steps that
// scan or rewrite under a lock that blocks reads or writes.
std::string describe_estimates(const Plan& plan);
// "350 ms", "12 s", "4 min", "2.5 h".
std::string format_duration_ms(int64_t ms);

// Sets estimated_ms on every scanning step of `plan` whose table size is in
// `heap_bytes` ("schema.table" -> bytes), from `throughput` and a rough
// factor per kind of work over a plain read: VALIDATE 1, a blocking scan 1,
// an index build 3, a rewrite 4, a backfill 8 plus its pauses between
// batches (`backfill_pause_ms` per batch). Sets plan.throughput.
void estimate_steps(Plan& plan, const std::map<std::string, int64_t>& heap_bytes,
                    const Throughput& throughput, int64_t backfill_pause_ms);
bool operator==(const Plan& a, const Plan& b);
bool operator!=(const Plan& a, const Plan& b);

// True when the plan has an Error diagnostic.
bool has_errors(const Plan& plan);

}  // namespace pgshift::plans
