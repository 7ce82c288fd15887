#include <iostream>

#include "cli/commands.hpp"
#include "cli/planning.hpp"
#include "plans/drift.hpp"

namespace pgshift::cli {

namespace {

struct DriftArgs {
  PlanningInputs inputs;
  std::string format = "text";
  double sequence_threshold = 0.8;
  std::string output;
};

std::string render(const plans::DriftReport& report, const std::string& format) {
  if (format == "json") return plans::render_drift_json(report);
  if (format == "markdown") return plans::render_drift_markdown(report);
  return plans::render_drift_text(report);
}

// Exit codes: 0 in sync, 2 drift found, 1 error (thrown, caught in main).
int run_drift(const DriftArgs& args) {
  const PreparedPlan prepared = prepare_plan(args.inputs);
  plans::DriftOptions options;
  options.sequence_threshold = args.sequence_threshold;
  const plans::DriftReport report =
      plans::build_drift_report(prepared.current, prepared.desired, prepared.plan, options);

  write_output(render(report, args.format), args.output, "drift report");
  return plans::has_drift(report) ? 2 : 0;
}

}  // namespace

void add_drift_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "drift",
      "Report where the database differs from the YAML (exit 0: in sync, 2: drift found, "
      "1: error)");
  auto args = std::make_shared<DriftArgs>();
  add_planning_flags(*command, args->inputs, /*schema_required=*/true);
  command->add_option("--format", args->format, "Rendering of the report")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
  command
      ->add_option("--sequence-threshold", args->sequence_threshold,
                   "Report a sequence as near exhaustion once it has used this fraction of its "
                   "range")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  command->add_option("-o,--output", args->output, "Write the report to FILE instead of stdout");
  command->callback([args, &exit_code] { exit_code = run_drift(*args); });
}

}  // namespace pgshift::cli
