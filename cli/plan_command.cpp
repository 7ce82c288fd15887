#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/planning.hpp"
#include "plans/render_json.hpp"
#include "plans/render_markdown.hpp"
#include "plans/render_sql.hpp"
#include "schemas/error.hpp"

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

  bool refused = false;
  for (const auto& diagnostic : plan.diagnostics) {
    std::cerr << "pgshift plan: " << plans::severity_name(diagnostic.severity) << ": "
              << diagnostic.message << "\n";
    refused = refused || diagnostic.severity == plans::Severity::Error;
  }
  for (const auto& message : refused_hazards(plan, args.inputs.allow_hazards)) {
    std::cerr << "pgshift plan: refused: " << message << "\n";
    refused = true;
  }
  if (refused) return 1;

  const std::string text = render(plan, args.format);
  if (args.output.empty()) {
    std::cout << text;
  } else {
    std::ofstream out(args.output);
    out << text;
    if (!out) throw pgshift::Error("could not write plan to \"" + args.output + "\"");
  }
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
