// The planning pipeline shared by `plan`, `apply --schema` and `drift`:
// YAML and catalog become models, the desired model is put in the server's
// spelling in a dev database, ignore rules apply to both, the planner diffs.
//
// Nothing here writes to the target database: it is only read (one
// REPEATABLE READ READ ONLY snapshot). A scratch database is created and
// dropped on the dev server (--dev-db, by default the target's server).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "planner/planner.hpp"
#include "plans/apply_preflight.hpp"
#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::cli {

struct PlanningInputs {
  std::string db;                          // libpq target; "" for the PG* environment
  std::string schema_path;                 // YAML file or directory
  std::string hints_path;                  // --hints: planning hints of an SQL desired state
  std::string dev_db;                      // server for the scratch database; "" for db's server
  std::vector<std::string> ignore;         // ignore patterns from the command line
  std::vector<std::string> allow_hazards;  // hazard names, or "all"
  std::string lock_timeout = "200ms";
  std::string statement_timeout = "10s";
  // --strict (plan, apply --schema, drift): objects pgshift does not model are errors.
  bool strict = false;
  // Pre-flight data checks (plan, apply): --no-data-checks,
  // --data-check-sample-rows, --data-check-timeout.
  bool no_data_checks = false;
  // False for drift: no data checks, no calibration read, no estimates.
  bool data_aware = true;
  // True for drift, whose report says how much of its range each sequence
  // has used: every sequence's position is read with the catalog. plan and
  // apply ask only for those of the sequences whose options may change
  // (catalog/sequence_usage.hpp).
  bool all_sequence_positions = false;
  int64_t data_check_sample_rows = 5000000;
  std::string data_check_timeout = "60s";
};

// Registers --no-data-checks, --data-check-sample-rows and
// --data-check-timeout on `command` (plan, apply in both modes).
void add_data_check_flags(CLI::App& command, PlanningInputs& inputs);

// Which planning flags a command offers: a flag that would do nothing is not
// offered (CLI11 then rejects it as a usage error).
enum class PlanningFlags {
  Plan,   // all of them, --schema required
  Apply,  // all of them, --schema optional (apply --plan reads a saved plan)
  Drift,  // --db, --schema (required), --dev-db, --ignore, --strict: no hazards, no timeouts
};

// Registers the planning flags (--db, --schema, --hints, --dev-db, --ignore,
// --strict, and for Plan and Apply --allow-hazard, --lock-timeout,
// --statement-timeout) on `command`.
void add_planning_flags(CLI::App& command, PlanningInputs& inputs, PlanningFlags flags);

// The rendering to write: `format_flag` when given, else the one `output`'s
// extension names in `by_extension` (".json" -> "json"), else `fallback`.
std::string choose_format(const std::string& format_flag, const std::string& output,
                          const std::vector<std::pair<std::string, std::string>>& by_extension,
                          const std::string& fallback);

struct PreparedPlan {
  schemas::Database current;  // read from the database, ignore rules applied
  schemas::Database desired;  // canonicalised by the server, ignore rules applied
  plans::Plan plan;
  // The session the target was read on, kept for the plan's own questions
  // to the target (which tables hold rows, data checks, estimates, the
  // journal) rather than a new connection for each (target_session()).
  // Reset it once they are asked, not to hold an idle session open.
  std::shared_ptr<pqxx::connection> target;
};

// prepared.target, connected to inputs.db first when it is not open.
pqxx::connection& target_session(const PlanningInputs& inputs, PreparedPlan& prepared);

// `value` (a PreparedPlan, a model), moved to memory the process's exit
// returns: a command's last use of its models, so that they are not freed
// object by object just before the process ends (80 ms of a no-op plan of
// 10,000 tables, 30 ms of an inspect). The previous one of the same type
// kept is freed; it stays reachable (no leak to report).
template <typename T>
T& keep_until_exit(T value) {
  static T* kept = nullptr;
  delete kept;
  kept = new T(std::move(value));
  return *kept;
}

// Throws pgshift::Error naming `path` when `desired` names no schema (not even
// one to drop): such a desired state would manage nothing, and is almost
// always the wrong file or an empty directory.
void require_named_schemas(const schemas::Database& desired, const std::string& path);

// Loads the desired state, reads the target (once: its model is both what
// the plan starts from and where the objects that already match are taken
// from) and canonicalises the desired state on the dev server, building only
// what differs from the target (PGSHIFT_FULL_DEV_BUILD=1 in the environment
// builds everything); ignored objects removed from both. The plan is left
// empty. Throws pgshift::Error (a LoadError for a bad YAML file, before any
// connection is made).
PreparedPlan prepare_states(const PlanningInputs& inputs);

// Plans from prepared.current to prepared.desired (prepare_states()) into
// prepared.plan, with the data checks and estimates `inputs` asks for.
void plan_prepared(const PlanningInputs& inputs, PreparedPlan& prepared);

// One diagnostic per object pgshift does not model (CatalogFacts::unmodelled):
// each of the database's, and each of the desired state's (SQL files can
// create them) that the database does not have. Warnings, or Errors with
// `strict`, so that every rendering lists them and a strict plan is refused.
std::vector<plans::Diagnostic> unmodelled_diagnostics(const schemas::Database& current,
                                                      const schemas::Database& desired,
                                                      bool strict);

// The read throughput step estimates are made from, on the database of
// `conn`: the one earlier applies in its journal show
// (plans::throughput_from_history), else a calibration read of up to
// 100,000 rows of `table` ("schema.table"), timed and counted as the heap
// pages they were found on (the unit of a table's relpages, which estimates
// divide by it). nullopt when that read finds no row. A journal that cannot be read adds a warning. Throws
// pgshift::Error when the read fails.
std::optional<plans::Throughput> read_throughput(pqxx::connection& conn, const std::string& table,
                                                 std::vector<std::string>& warnings);

// The data-check options of `inputs`. Throws pgshift::Error on a bad
// --data-check-timeout or a negative --data-check-sample-rows.
plans::DataCheckOptions data_check_options(const PlanningInputs& inputs);

// Loads, reads, canonicalises and plans. Throws pgshift::Error (a LoadError
// for a bad YAML file, before any connection is made).
PreparedPlan prepare_plan(const PlanningInputs& inputs);

// Reads the target again and plans against `desired`, a model prepare_plan()
// returned: after an apply, to verify that nothing is left, without building
// the desired schema in a dev database a second time.
PreparedPlan replan(const PlanningInputs& inputs, const schemas::Database& desired);

// replan() from `catalog`, the target's catalog of the schemas `desired`
// manages as already read (the applier's verification read), without
// reading it again.
PreparedPlan replan_from(const PlanningInputs& inputs, const schemas::Database& desired,
                         schemas::Database catalog);

// Returns one message per step hazard that `allowed` does not allow, naming
// the hazard and the step: `step 4 (drop column "x" of table "public.t") has
// hazard data_loss; allow it with --allow-hazard data_loss`. The hazard
// non_transactional (CREATE INDEX CONCURRENTLY, the safe way) is always allowed.
// Throws pgshift::Error on an unknown hazard name in `allowed`.
std::vector<std::string> refused_hazards(const plans::Plan& plan,
                                         const std::vector<std::string>& allowed);

// Adds one Error diagnostic "refused: <message>" per refused_hazards()
// message to the front of `plan`'s diagnostics, so that every rendering shows
// the refusals at its top and the applier refuses the plan. Returns whether
// any was added.
bool add_refusals(plans::Plan& plan, const std::vector<std::string>& allowed);

// Prints the plan's diagnostics on stderr, each prefixed with
// "pgshift <command>: ".
void print_diagnostics(const plans::Plan& plan, const std::string& command);

// Prints the plan's diagnostics and the hazards `allowed` does not allow on
// stderr, each prefixed with "pgshift <command>: ". Returns true when the plan
// must not go further: an error diagnostic or a refused hazard.
bool report_refusals(const plans::Plan& plan, const std::vector<std::string>& allowed,
                     const std::string& command);

// Writes `text` to `path`, or to stdout when `path` is empty. Throws
// pgshift::Error naming `what` and the path when the file cannot be written.
void write_output(const std::string& text, const std::string& path, const std::string& what);

// The contents of file `path`, read up to `limit` bytes and one chunk more,
// so that a larger file (or /dev/zero) is refused without being read to the
// end. Throws pgshift::Error "could not read <what> \"path\"" or "<what>
// \"path\" is larger than N MiB, the limit for <what>".
std::string read_bounded(const std::string& path, std::size_t limit, const std::string& what);

// The program as it was started (argv[0]), for commands pgshift prints.
std::string& program_path();

// `text` as one word of a POSIX shell: as is when it has only safe
// characters, else in single quotes.
std::string shell_quote(const std::string& text);

// "200ms", "2s", "1.5s", "5min", "1h", or a bare number of milliseconds.
// Throws pgshift::Error naming `flag` when `text` is not a duration.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& flag);

// A non-negative number followed by one of `units` (name, factor; "" for a
// bare number), times the factor. Throws pgshift::Error naming `flag`, the
// kind of value (`what`) and the `expected` units when `text` is not one.
int64_t parse_with_unit(const std::string& text, const std::string& flag, const char* what,
                        const std::vector<std::pair<std::string, double>>& units,
                        const std::string& expected);

}  // namespace pgshift::cli
