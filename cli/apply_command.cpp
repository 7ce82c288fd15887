// pgshift apply: apply a saved plan (--plan) or plan and apply in one go
// (--schema), resuming an unfinished run of the same desired state; --abandon
// gives up unfinished runs. Exit codes (cli/exit_codes.hpp): 0 applied and
// verified (or nothing to do, a dry run, or abandoned), 1 error, refusal, or
// differences left after the last step.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>

#include "catalog/connection.hpp"
#include "catalog/fingerprint.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/interrupts.hpp"
#include "cli/planning.hpp"
#include "plans/apply.hpp"
#include "plans/render_json.hpp"
#include "plans/render_sql.hpp"
#include "schemas/error.hpp"

namespace pgshift::cli {

namespace {

struct ApplyArgs {
  PlanningInputs inputs;
  std::string plan_path;
  std::string expect_hash;  // --expect-hash: the content hash of the reviewed plan
  int retries = 10;
  int64_t batch_size = 0;
  std::string batch_target = "200ms";
  std::string pause = "0ms";
  std::string max_replica_lag = "1s";
  std::string max_wal_rate = "64MB";
  int max_blocked_sessions = 2;
  std::string max_transaction_age = "10min";
  bool no_vacuum_pause = false;
  std::string json_log;  // --json-log FILE
  std::string long_tx_threshold = "5s";
  std::string on_long_tx = "report";
  bool dry_run = false;
  bool yes = false;
  bool abandon = false;             // --abandon: mark unfinished runs abandoned, apply nothing
  std::string phase;                // --phase expand|contract: one stage of a two-phase plan
  bool lock_timeout_given = false;  // --lock-timeout overrides a saved plan's timeouts
};

// A plan file is read up to this size and one chunk more: a larger file (or
// /dev/zero) is refused without being read to the end.
constexpr std::size_t kMaxPlanBytes = std::size_t{64} << 20;

// Reads a plan file for `apply --plan`; refuses one whose content hash is
// not `expect_hash` (when given), and one without a target fingerprint (made
// before pgshift recorded it): its result could not be verified.
plans::Plan read_plan_file(const std::string& path, const std::string& expect_hash) {
  const std::string content = read_bounded(path, kMaxPlanBytes, "a plan file");
  const size_t first = content.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || content[first] != '{') {
    throw pgshift::Error("\"" + path +
                         "\" is not a JSON plan; apply --plan reads the JSON rendering: "
                         "pgshift plan --format json -o plan.json (or any -o FILE.json)");
  }
  plans::Plan plan;
  try {
    plan = plans::plan_from_json(content);
  } catch (const pgshift::Error& e) {
    throw pgshift::Error("\"" + path + "\": " + e.what());
  }
  if (!expect_hash.empty()) {
    const std::string expected =
        expect_hash.rfind("sha256:", 0) == 0 ? expect_hash : "sha256:" + expect_hash;
    const std::string found = plans::plan_content_hash(plan);
    if (found != expected) {
      throw pgshift::Error("plan file \"" + path + "\" has hash " + found + ", not " + expected +
                           " (--expect-hash): it is not the plan that was reviewed; nothing "
                           "was applied");
    }
  }
  if (plan.target_fingerprint.empty()) {
    throw pgshift::Error("plan file \"" + path +
                         "\" has no target_fingerprint (made by an older pgshift), so its "
                         "result cannot be verified against the schema; plan again");
  }
  return plan;
}

// Redrawing one progress line needs escape codes: only on a terminal, and
// not when NO_COLOR (https://no-color.org) is set or TERM is dumb.
bool terminal_effects(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  if (no_color != nullptr && *no_color != '\0') return false;
  if (term != nullptr && std::strcmp(term, "dumb") == 0) return false;
  return ::isatty(fd) != 0;
}

// "64MB", "512kB", "1GB", "1000" (bytes), per second.
int64_t parse_bytes(const std::string& text, const std::string& flag) {
  return parse_with_unit(
      text, flag, "size",
      {{"", 1}, {"B", 1}, {"kB", 1024}, {"MB", 1024.0 * 1024}, {"GB", 1024.0 * 1024 * 1024}},
      "B, kB, MB or GB (e.g. 64MB)");
}

plans::ApplyOptions apply_options(const ApplyArgs& args) {
  plans::ApplyOptions options;
  if (args.lock_timeout_given && !args.plan_path.empty()) {
    options.lock_timeout_override = parse_duration(args.inputs.lock_timeout, "--lock-timeout");
  }
  options.retries = args.retries;
  options.batch_size = args.batch_size;
  // A fixed --batch-size means fixed batches; otherwise adapt to the target.
  options.batch_target = args.batch_size > 0 ? std::chrono::milliseconds(0)
                                             : parse_duration(args.batch_target, "--batch-target");
  if (args.batch_size == 0 && options.batch_target.count() == 0) {
    throw UsageError("--batch-target: batches cannot aim at 0 ms (e.g. 500ms)");
  }
  options.pause = parse_duration(args.pause, "--pause");
  options.pacing.max_replica_lag = parse_duration(args.max_replica_lag, "--max-replica-lag");
  options.pacing.max_wal_rate = parse_bytes(args.max_wal_rate, "--max-wal-rate");
  options.pacing.max_blocked_sessions = args.max_blocked_sessions;
  options.pacing.max_transaction_age = std::chrono::duration_cast<std::chrono::seconds>(
      parse_duration(args.max_transaction_age, "--max-transaction-age"));
  options.pacing.pause_for_autovacuum = !args.no_vacuum_pause;
  // Test and rehearsal only: signal values replacing the measured ones.
  if (const char* inject = std::getenv("PGSHIFT_PACING_INJECT")) {
    options.pacing.inject_file = inject;
  }
  options.long_tx_threshold = std::chrono::duration_cast<std::chrono::seconds>(
      parse_duration(args.long_tx_threshold, "--long-tx-threshold"));
  options.on_long_tx = args.on_long_tx == "wait"    ? plans::OnLongTx::Wait
                       : args.on_long_tx == "abort" ? plans::OnLongTx::Abort
                                                    : plans::OnLongTx::Report;
  options.dry_run = args.dry_run;
  if (args.phase == "expand") options.stage = plans::Stage::Expand;
  if (args.phase == "contract") options.stage = plans::Stage::Contract;
  options.data_checks = data_check_options(args.inputs);
  // apply --schema has just run them while planning.
  options.preflight_at_start = !args.plan_path.empty();
  options.log = &std::cerr;
  options.progress_bar = terminal_effects(STDERR_FILENO);
  return options;
}

// Shows the plan and asks on the terminal. Without a terminal, refuses: a
// script must say --yes.
bool confirmed(const plans::Plan& plan, const std::string& target) {
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDERR_FILENO) == 0) {
    throw pgshift::Error(
        "refusing to change the database without confirmation: not a "
        "terminal; review the plan and pass --yes");
  }
  std::cerr << plans::render_sql(plan) << "\nApply "
            << (plan.steps.size() == 1 ? "this step"
                                       : "these " + schemas::counted(plan.steps.size(), "step"))
            << " to \"" << catalog::describe_target(target) << "\"? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

// The command that resumes an interrupted run: apply --plan of the same plan
// (in --schema mode, saved now as JSON), the same apply options, --yes.
std::string resume_command(const ApplyArgs& args, const plans::Plan& plan) {
  std::string plan_path = args.plan_path;
  if (plan_path.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    plan_path = (std::filesystem::path(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") /
                 ("pgshift-plan-" + plans::plan_hash(plan) + ".json"))
                    .string();
    write_output(plans::render_json(plan), plan_path, "the plan to resume");
  }
  std::string command = shell_quote(program_path()) + " apply";
  if (!args.inputs.db.empty()) {
    command += " --db " + shell_quote(catalog::without_password(args.inputs.db));
  }
  command += " --plan " + shell_quote(plan_path);
  if (args.lock_timeout_given)
    command += " --lock-timeout " + shell_quote(args.inputs.lock_timeout);
  const ApplyArgs defaults;
  if (args.retries != defaults.retries) command += " --retries " + std::to_string(args.retries);
  if (args.batch_size > 0) command += " --batch-size " + std::to_string(args.batch_size);
  if (args.batch_size == 0 && args.batch_target != defaults.batch_target) {
    command += " --batch-target " + shell_quote(args.batch_target);
  }
  if (args.pause != defaults.pause) command += " --pause " + shell_quote(args.pause);
  if (args.max_replica_lag != defaults.max_replica_lag) {
    command += " --max-replica-lag " + shell_quote(args.max_replica_lag);
  }
  if (args.max_wal_rate != defaults.max_wal_rate) {
    command += " --max-wal-rate " + shell_quote(args.max_wal_rate);
  }
  if (args.max_blocked_sessions != defaults.max_blocked_sessions) {
    command += " --max-blocked-sessions " + std::to_string(args.max_blocked_sessions);
  }
  if (args.max_transaction_age != defaults.max_transaction_age) {
    command += " --max-transaction-age " + shell_quote(args.max_transaction_age);
  }
  if (args.no_vacuum_pause) command += " --no-vacuum-pause";
  if (args.long_tx_threshold != defaults.long_tx_threshold) {
    command += " --long-tx-threshold " + shell_quote(args.long_tx_threshold);
  }
  if (args.on_long_tx != defaults.on_long_tx) command += " --on-long-tx " + args.on_long_tx;
  if (!args.phase.empty()) command += " --phase " + args.phase;
  return command + " --yes";
}

// Registers a stop flag with the interrupt watcher for the life of a run.
class StopFlag {
 public:
  StopFlag() { interrupts::set_stop_flag(&flag_); }
  ~StopFlag() { interrupts::set_stop_flag(nullptr); }
  StopFlag(const StopFlag&) = delete;
  StopFlag& operator=(const StopFlag&) = delete;
  const std::atomic<bool>* get() const { return &flag_; }

 private:
  std::atomic<bool> flag_{false};
};

// apply --abandon: the journal forgets its unfinished runs, so that a new
// plan may be made and applied. The schema is left as the runs left it.
int run_abandon(const ApplyArgs& args) {
  const auto runs = plans::abandon_unfinished_applies(args.inputs.db);
  if (runs.empty()) std::cerr << "pgshift apply: no unfinished apply to abandon\n";
  for (const auto& run : runs) {
    std::cerr << "pgshift apply: abandoned the unfinished apply of " << describe_unfinished(run)
              << "; what it did stays in the database\n";
  }
  return 0;
}

int run_apply(const ApplyArgs& args) {
  if (args.abandon) return run_abandon(args);
  const bool schema_mode = args.plan_path.empty();
  plans::Plan plan;
  schemas::Database desired;  // canonical, in --schema mode
  PreparedPlan prepared;      // in --schema mode: the target as read, and the plan
  plans::ApplyOptions options = apply_options(args);
  std::ofstream json_log;
  if (!args.json_log.empty()) {
    json_log.open(args.json_log, std::ios::app);
    if (!json_log) {
      throw pgshift::Error("could not open the JSON log \"" + args.json_log +
                           "\": " + std::strerror(errno));
    }
    options.json_log = &json_log;
  }
  if (schema_mode) {
    // Resume is the default: an unfinished run of this desired state goes on
    // with its own plan. Planning again from the half-done catalog would not
    // know what the run was in the middle of (a column added, not yet filled).
    prepared = prepare_states(args.inputs);
    desired = prepared.desired;
    options.desired_fingerprint = catalog::fingerprint(desired);
    const auto unfinished = plans::unfinished_applies(target_session(args.inputs, prepared));
    const auto same = std::find_if(unfinished.begin(), unfinished.end(), [&](const auto& run) {
      return run.desired_fingerprint == options.desired_fingerprint && run.plan.has_value();
    });
    if (same != unfinished.end()) {
      plan = *same->plan;
      std::cerr << "pgshift apply: resuming the unfinished apply of this schema: "
                << plans::describe_unfinished(*same)
                << "; to plan anew instead, abandon it with `pgshift apply --abandon`\n";
      if (report_refusals(plan, args.inputs.allow_hazards, "apply")) return kExitError;
    } else if (!unfinished.empty()) {
      std::cerr << "pgshift apply: the database has an unfinished apply of another plan ("
                << plans::describe_unfinished(unfinished.front())
                << "): run the command that started it again to resume it, or abandon it with "
                   "`pgshift apply --abandon`, then plan again\n";
      return kExitError;
    } else {
      plan_prepared(args.inputs, prepared);
      plan = prepared.plan;
      if (report_refusals(plan, args.inputs.allow_hazards, "apply")) return kExitError;
      if (plan.steps.empty()) {
        std::cerr << "pgshift apply: the database already matches the schema; nothing to do\n";
        return kExitOk;
      }
    }
  } else {
    plan = read_plan_file(args.plan_path, args.expect_hash);
  }
  prepared.target.reset();  // the apply opens its own sessions

  // The fingerprint covers the schemas the plan manages, read as when planned
  // (with owners when it manages them).
  options.read_options.include_schemas = plan.schemas;
  options.read_options.owners = plan.owners;
  // No sequence positions: the fingerprint does not hold them, and a plan
  // made again after the apply asks for those it needs.
  options.read_options.sequence_usage = false;
  if (plans::has_contract(plan) && args.phase.empty()) {
    std::cerr << "pgshift apply: the plan has two phases (expand/contract): run it with "
                 "--phase expand, deploy the application, then run it with --phase contract\n";
    for (const auto& line : plan.deploy) std::cerr << "  deploy: " << line << "\n";
    return kExitUsage;
  }

  if (!args.dry_run && !args.yes && !confirmed(plan, args.inputs.db)) {
    std::cerr << "pgshift apply: not applied\n";
    return kExitError;
  }
  plans::ApplyResult result;
  {
    StopFlag stop;
    options.stop = stop.get();
    result = plans::apply_plan(args.inputs.db, plan, options);
    options.stop = nullptr;
  }
  if (result.stopped) {
    const bool redacted = catalog::without_password(args.inputs.db) != args.inputs.db;
    std::cerr << "pgshift apply: interrupted: " << result.steps_run + result.steps_skipped << " of "
              << plan.steps.size() << " steps done";
    if (result.stopped_in_step != 0) {
      std::cerr << ", step " << result.stopped_in_step << " stopped between backfill batches ("
                << result.rows_backfilled << " rows this run; its checkpoint is saved)";
    }
    std::cerr << "; nothing is half-done. Resume with:\n  " << resume_command(args, plan) << "\n";
    if (redacted) {
      std::cerr << "(the password is left out of --db: give it through PGPASSWORD or "
                   "~/.pgpass)\n";
    }
    return kExitInterrupted;
  }
  if (args.dry_run) return kExitOk;
  if (!result.remaining.empty()) return kExitError;
  if (!schema_mode) return kExitOk;
  if (plans::has_contract(plan) && options.stage == plans::Stage::Expand) {
    std::cerr << "pgshift apply: expand applied; deploy, then run the same command with "
                 "--phase contract\n";
    return kExitOk;
  }

  // Verify against the desired state: planning again must find nothing to do.
  // The applier's verification read the schemas the steps touched again:
  // planning from that catalog reads nothing more.
  const PreparedPlan after = result.catalog_after
                                 ? replan_from(args.inputs, desired, *result.catalog_after)
                                 : replan(args.inputs, desired);
  if (after.plan.steps.empty()) {
    std::cerr << "pgshift apply: the database matches the schema\n";
    return kExitOk;
  }
  std::cerr << "pgshift apply: the database still differs from the schema after the last step:\n";
  for (const auto& step : after.plan.steps) std::cerr << "  " << step.summary << "\n";
  return kExitError;
}

}  // namespace

void add_apply_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "apply",
      "Apply a saved plan (--plan) or the changes to the YAML (--schema) under live traffic "
      "(exit 0: applied and verified, 1: error, refusal or differences left)");
  auto args = std::make_shared<ApplyArgs>();
  add_planning_flags(*command, args->inputs, PlanningFlags::Apply);
  add_data_check_flags(*command, args->inputs);
  auto* plan = command->add_option("--plan", args->plan_path,
                                   "Apply this plan (JSON from pgshift plan -o plan.json) "
                                   "exactly as reviewed");
  // A saved plan was planned already: the planning flags would do nothing.
  // (--lock-timeout stays: it overrides the saved plan's lock timeouts.)
  for (const char* planning_only :
       {"--schema", "--hints", "--dev-db", "--ignore", "--allow-hazard", "--statement-timeout"}) {
    plan->excludes(command->get_option(planning_only));
  }
  command
      ->add_option("--expect-hash", args->expect_hash,
                   "Refuse the plan file unless its content hash is this one (the "
                   "\"plan hash: sha256:...\" line of the reviewed rendering)")
      ->needs(plan);
  command
      ->add_option("--retries", args->retries,
                   "Retries of a step or batch whose lock was not granted in time")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  auto* batch_size = command
                         ->add_option("--batch-size", args->batch_size,
                                      "Fixed backfill batch, in rows (default: adaptive)")
                         ->check(CLI::PositiveNumber);
  command
      ->add_option("--batch-target", args->batch_target,
                   "Adapt backfill batches toward this duration")
      ->capture_default_str()
      ->excludes(batch_size);
  command->add_option("--pause", args->pause, "Pause between backfill batches")
      ->capture_default_str();
  command
      ->add_option("--max-replica-lag", args->max_replica_lag,
                   "Pause a backfill while a standby's replay lag is over this (0: never)")
      ->capture_default_str();
  command
      ->add_option("--max-wal-rate", args->max_wal_rate,
                   "Hold a backfill to this much WAL per second, waiting between batches (0: never)")
      ->capture_default_str();
  command
      ->add_option("--max-blocked-sessions", args->max_blocked_sessions,
                   "Halve backfill batches when a batch made more sessions wait "
                   "(-1: never)")
      ->check(CLI::Range(-1, std::numeric_limits<int>::max()))
      ->capture_default_str();
  command
      ->add_option("--max-transaction-age", args->max_transaction_age,
                   "Pause a backfill while a transaction older than this is open (0: never)")
      ->capture_default_str();
  command->add_flag("--no-vacuum-pause", args->no_vacuum_pause,
                    "Go on with a backfill while a vacuum runs on its table");
  command->add_option("--json-log", args->json_log,
                      "Also write backfill progress, pauses and resumes to FILE as JSON lines");
  command
      ->add_option("--long-tx-threshold", args->long_tx_threshold,
                   "Before a step that blocks writes, report transactions older than this "
                   "on its tables")
      ->capture_default_str();
  command
      ->add_option("--on-long-tx", args->on_long_tx,
                   "What to do about them: report and go on, wait for them, or abort")
      ->check(CLI::IsMember({"report", "wait", "abort"}))
      ->capture_default_str();
  command
      ->add_option("--phase", args->phase,
                   "Run one phase of an expand/contract plan: expand (before the deploy) or "
                   "contract (after it; refused until expand is complete)")
      ->check(CLI::IsMember({"expand", "contract"}));
  command->add_flag("--dry-run", args->dry_run, "Show what would run; change nothing");
  command->add_flag("-y,--yes", args->yes, "Apply without asking");
  command
      ->add_flag("--abandon", args->abandon,
                 "Abandon the unfinished applies in the journal (a killed or failed run) "
                 "instead of resuming them, so that a new plan can be applied; changes "
                 "nothing else")
      ->excludes(plan)
      ->excludes(command->get_option("--schema"));
  command->callback([args, command, &exit_code] {
    if (!args->abandon && args->plan_path.empty() && args->inputs.schema_path.empty()) {
      throw UsageError("apply needs --plan FILE, --schema PATH or --abandon");
    }
    if (args->inputs.strict && args->inputs.schema_path.empty()) {
      throw UsageError(
          "--strict is for apply --schema: a saved plan made with plan --strict is refused "
          "already when unmodelled objects were found");
    }
    args->lock_timeout_given = command->count("--lock-timeout") > 0;
    exit_code = run_apply(*args);
  });
}

}  // namespace pgshift::cli
