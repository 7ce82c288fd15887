#include <iostream>
#include <utility>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/planning.hpp"
#include "plans/drift.hpp"

namespace pgshift::cli {

namespace {

struct DriftArgs {
  PlanningInputs inputs;
  std::string format;  // "": from the extension of output, else text
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
  const std::string format =
      choose_format(args.format, args.output,
                    {{".json", "json"}, {".md", "markdown"}, {".markdown", "markdown"}}, "text");
  PlanningInputs inputs = args.inputs;
  inputs.data_aware = false;  // drift compares schemas; the data is not its business
  inputs.all_sequence_positions = true;  // its report says how much of each range is used
  PreparedPlan& prepared = keep_until_exit(prepare_plan(inputs));
  prepared.target.reset();
  plans::DriftOptions options;
  options.sequence_threshold = args.sequence_threshold;
  const plans::DriftReport report =
      plans::build_drift_report(prepared.current, std::move(prepared.desired), prepared.plan,
                                options);

  write_output(render(report, format), args.output, "drift report");
  return plans::has_drift(report) ? kExitChanges : kExitOk;
}

}  // namespace

void add_drift_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "drift",
      "Report where the database differs from the YAML (exit 0: in sync, 2: drift found, "
      "1: error)");
  auto args = std::make_shared<DriftArgs>();
  add_planning_flags(*command, args->inputs, PlanningFlags::Drift);
  command
      ->add_option("--format", args->format,
                   "Rendering of the report (default: from -o's extension .json or .md; else "
                   "text)")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
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
