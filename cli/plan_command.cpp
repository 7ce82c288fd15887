#include <iostream>

#include "cli/commands.hpp"
#include "cli/planning.hpp"
#include "plans/apply.hpp"
#include "plans/render_json.hpp"
#include "plans/render_markdown.hpp"
#include "plans/render_sql.hpp"

namespace pgshift::cli {

namespace {

struct PlanArgs {
  PlanningInputs inputs;
  std::string format = "sql";
  std::string output;
};

std::string render(const plans::Plan& plan, const std::string& format) {
  if (format == "json") return plans::render_json(plan);
  if (format == "markdown") return plans::render_markdown(plan);
  return plans::render_sql(plan);
}

// Exit codes: 0 nothing to do, 2 a plan was produced, 1 error or refusal.
int run_plan(const PlanArgs& args) {
  const PreparedPlan prepared = prepare_plan(args.inputs);
  const plans::Plan& plan = prepared.plan;

  // A killed or failed apply is resumed, not re-planned: say so, since this
  // plan starts from its half-done catalog and cannot be applied before it.
  for (const auto& run : plans::unfinished_applies(args.inputs.db)) {
    std::cerr << "pgshift plan: warning: the database has an unfinished apply ("
              << plans::describe_unfinished(run)
              << "); `pgshift apply` with the command that started it resumes it, and no other "
                 "plan can be applied until it is finished or abandoned (`pgshift apply "
                 "--abandon`)\n";
  }
  if (report_refusals(plan, args.inputs.allow_hazards, "plan")) return 1;
  write_output(render(plan, args.format), args.output, "plan");
  if (plan.steps.empty()) {
    std::cerr << "pgshift plan: the database already matches the schema; nothing to do\n";
    return 0;
  }
  std::cerr << "pgshift plan: " << plan.steps.size() << " steps\n";
  return 2;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "plan",
      "Plan the changes from the database to the YAML (exit 0: nothing to do, 2: a plan, "
      "1: error or refused hazard)");
  auto args = std::make_shared<PlanArgs>();
  add_planning_flags(*command, args->inputs, /*schema_required=*/true);
  command->add_option("--format", args->format, "Rendering of the plan")
      ->check(CLI::IsMember({"sql", "json", "markdown"}))
      ->capture_default_str();
  command->add_option("-o,--output", args->output, "Write the plan to FILE instead of stdout");
  command->callback([args, &exit_code] { exit_code = run_plan(*args); });
}

}  // namespace pgshift::cli
