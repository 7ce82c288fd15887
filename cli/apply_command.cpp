// pgshift apply: apply a saved plan (--plan) or plan and apply in one go
// (--schema). Exit codes: 0 applied and verified (or nothing to do, or a dry
// run), 1 error, refusal, or differences left after the last step.
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "catalog/connection.hpp"
#include "cli/commands.hpp"
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
  int retries = 10;
  int64_t batch_size = 0;
  std::string batch_target = "200ms";
  std::string pause = "50ms";
  std::string long_tx_threshold = "5s";
  std::string on_long_tx = "report";
  bool dry_run = false;
  bool yes = false;
  bool lock_timeout_given = false;  // --lock-timeout overrides a saved plan's timeouts
};

// A plan file is read up to this size and one chunk more: a larger file (or
// /dev/zero) is refused without being read to the end.
constexpr std::size_t kMaxPlanBytes = std::size_t{64} << 20;

plans::Plan read_plan_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw pgshift::Error("could not read plan file \"" + path + "\"");
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxPlanBytes && in.read(buffer, sizeof buffer).gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (text.size() > kMaxPlanBytes) {
    throw pgshift::Error("plan file \"" + path + "\" is larger than " +
                         std::to_string(kMaxPlanBytes >> 20) + " MiB, the limit for a plan");
  }
  return plans::plan_from_json(text);
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
  options.pause = parse_duration(args.pause, "--pause");
  options.long_tx_threshold = std::chrono::duration_cast<std::chrono::seconds>(
      parse_duration(args.long_tx_threshold, "--long-tx-threshold"));
  options.on_long_tx = args.on_long_tx == "wait"    ? plans::OnLongTx::Wait
                       : args.on_long_tx == "abort" ? plans::OnLongTx::Abort
                                                    : plans::OnLongTx::Report;
  options.dry_run = args.dry_run;
  options.log = &std::cerr;
  options.progress_bar = ::isatty(STDERR_FILENO) != 0;
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
  std::cerr << plans::render_sql(plan) << "\nApply these " << plan.steps.size() << " steps to \""
            << catalog::describe_target(target) << "\"? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

int run_apply(const ApplyArgs& args) {
  const bool schema_mode = args.plan_path.empty();
  plans::Plan plan;
  schemas::Database desired;  // canonical, in --schema mode
  plans::ApplyOptions options = apply_options(args);
  if (schema_mode) {
    const PreparedPlan prepared = prepare_plan(args.inputs);
    plan = prepared.plan;
    desired = prepared.desired;
    if (report_refusals(plan, args.inputs.allow_hazards, "apply")) return 1;
    if (plan.steps.empty()) {
      std::cerr << "pgshift apply: the database already matches the schema; nothing to do\n";
      return 0;
    }
  } else {
    plan = read_plan_file(args.plan_path);
  }

  // The fingerprint covers the schemas the plan manages, read as when planned.
  options.read_options.include_schemas = plan.schemas;

  if (!args.dry_run && !args.yes && !confirmed(plan, args.inputs.db)) {
    std::cerr << "pgshift apply: not applied\n";
    return 1;
  }
  const plans::ApplyResult result = plans::apply_plan(args.inputs.db, plan, options);
  if (args.dry_run) return 0;
  if (!result.remaining.empty()) return 1;
  if (!schema_mode) return 0;

  // Verify against the desired state: planning again must find nothing to do.
  const PreparedPlan after = replan(args.inputs, desired);
  if (after.plan.steps.empty()) {
    std::cerr << "pgshift apply: the database matches the schema\n";
    return 0;
  }
  std::cerr << "pgshift apply: the database still differs from the schema after the last step:\n";
  for (const auto& step : after.plan.steps) std::cerr << "  " << step.summary << "\n";
  return 1;
}

}  // namespace

void add_apply_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "apply",
      "Apply a saved plan (--plan) or the changes to the YAML (--schema) under live traffic "
      "(exit 0: applied and verified, 1: error, refusal or differences left)");
  auto args = std::make_shared<ApplyArgs>();
  add_planning_flags(*command, args->inputs, /*schema_required=*/false);
  auto* plan = command->add_option("--plan", args->plan_path,
                                   "Apply this plan (JSON from pgshift plan --format json) "
                                   "exactly as reviewed");
  plan->excludes(command->get_option("--schema"));
  command
      ->add_option("--retries", args->retries,
                   "Retries of a step or batch whose lock was not granted in time")
      ->capture_default_str();
  auto* batch_size = command->add_option("--batch-size", args->batch_size,
                                         "Fixed backfill batch, in keys (default: adaptive)");
  command
      ->add_option("--batch-target", args->batch_target,
                   "Adapt backfill batches toward this duration")
      ->capture_default_str()
      ->excludes(batch_size);
  command->add_option("--pause", args->pause, "Pause between backfill batches")
      ->capture_default_str();
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
  command->add_flag("--dry-run", args->dry_run, "Show what would run; change nothing");
  command->add_flag("-y,--yes", args->yes, "Apply without asking");
  command->callback([args, command, &exit_code] {
    if (args->plan_path.empty() && args->inputs.schema_path.empty()) {
      throw pgshift::Error("apply needs --plan FILE or --schema PATH");
    }
    args->lock_timeout_given = command->count("--lock-timeout") > 0;
    exit_code = run_apply(*args);
  });
}

}  // namespace pgshift::cli
