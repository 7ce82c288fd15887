// pgshift plan: the plan from the database to the desired schema, rendered as
// SQL, JSON or Markdown. Exit codes (cli/exit_codes.hpp): 0 a plan (or
// nothing to do), 1 error or refusal, 2 with --detailed-exitcode when the
// plan has steps. A refused plan is still written, its refusals at the top.
#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/planning.hpp"
#include "plans/apply.hpp"
#include "plans/render_json.hpp"
#include "plans/render_markdown.hpp"
#include "plans/render_sql.hpp"

namespace pgshift::cli {

namespace {

struct PlanArgs {
  PlanningInputs inputs;
  std::string format;  // "": from the extension of output, else sql
  std::string output;
  bool detailed_exitcode = false;
};

std::string render(const plans::Plan& plan, const std::string& format) {
  if (format == "json") return plans::render_json(plan);
  if (format == "markdown") return plans::render_markdown(plan);
  return plans::render_sql(plan);
}

int run_plan(const PlanArgs& args) {
  const std::string format = choose_format(
      args.format, args.output,
      {{".json", "json"}, {".md", "markdown"}, {".markdown", "markdown"}, {".sql", "sql"}}, "sql");
  PreparedPlan& prepared = keep_until_exit(prepare_plan(args.inputs));
  plans::Plan& plan = prepared.plan;

  // A killed or failed apply is resumed, not re-planned: say so, since this
  // plan starts from its half-done catalog and cannot be applied before it.
  for (const auto& run : plans::unfinished_applies(target_session(args.inputs, prepared))) {
    std::cerr << "pgshift plan: warning: the database has an unfinished apply ("
              << plans::describe_unfinished(run)
              << "); `pgshift apply` with the command that started it resumes it, and no other "
                 "plan can be applied until it is finished or abandoned (`pgshift apply "
                 "--abandon`)\n";
  }
  prepared.target.reset();
  // A refused plan is still shown (the reviewer needs it most then), with the
  // refusals first; as a file it cannot be applied (an Error diagnostic).
  add_refusals(plan, args.inputs.allow_hazards);
  print_diagnostics(plan, "plan");
  write_output(render(plan, format), args.output, "plan");
  if (plans::has_errors(plan)) {
    std::cerr << "pgshift plan: refused: the plan above cannot be applied as it is\n";
    return kExitError;
  }
  if (plan.steps.empty()) {
    std::cerr << "pgshift plan: the database already matches the schema; nothing to do\n";
    return kExitOk;
  }
  std::cerr << "pgshift plan: " << plan.steps.size() << (plan.steps.size() == 1 ? " step" : " steps");
  if (plan.throughput) std::cerr << "; " << plans::describe_estimates(plan);
  std::cerr << "\n";
  return args.detailed_exitcode ? kExitChanges : kExitOk;
}

}  // namespace

void add_plan_command(CLI::App& app, int& exit_code) {
  auto* command = app.add_subcommand(
      "plan",
      "Plan the changes from the database to the YAML (exit 0: a plan or nothing to do, "
      "1: error or refused hazard, 2: changes with --detailed-exitcode)");
  auto args = std::make_shared<PlanArgs>();
  add_planning_flags(*command, args->inputs, PlanningFlags::Plan);
  add_data_check_flags(*command, args->inputs);
  command
      ->add_option("--format", args->format,
                   "Rendering of the plan (default: from -o's extension .sql, .json or .md; "
                   "else sql)")
      ->check(CLI::IsMember({"sql", "json", "markdown"}));
  command->add_option("-o,--output", args->output, "Write the plan to FILE instead of stdout");
  command->add_flag("--detailed-exitcode", args->detailed_exitcode,
                    "Exit 2 when the plan has steps (0: nothing to do)");
  command->callback([args, &exit_code] { exit_code = run_plan(*args); });
}

}  // namespace pgshift::cli
