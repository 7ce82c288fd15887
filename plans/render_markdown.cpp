#include "plans/render_markdown.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "plans/render_json.hpp"
#include "plans/render_sql.hpp"
#include "schemas/model.hpp"

namespace pgshift::plans {

namespace {

// 150004 -> "15.4"; 90624 -> "9.6.24".
std::string version_text(int version_num) {
  if (version_num >= 100000) return fmt::format("{}.{}", version_num / 10000, version_num % 10000);
  return fmt::format("{}.{}.{}", version_num / 10000, version_num / 100 % 100, version_num % 100);
}

std::string with_separators(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  for (int pos = static_cast<int>(digits.size()) - 3; pos > 0; pos -= 3) {
    digits.insert(static_cast<size_t>(pos), ",");
  }
  return value < 0 ? "-" + digits : digits;
}

// Table cells cannot hold a raw '|' (GitHub splits cells on it even inside a
// code span) or a line break (printable() leaves none).
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::size_t longest_backtick_run(const std::string& text) {
  std::size_t longest = 0;
  std::size_t run = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

// A code span that no backtick of the text can close (CommonMark: a span
// ends at a backtick string as long as the one that opened it).
std::string code_span(const std::string& text) {
  const std::string shown = schemas::printable(text);
  const std::string fence(longest_backtick_run(shown) + 1, '`');
  const bool pad = !shown.empty() && (shown.front() == '`' || shown.back() == '`');
  return fence + (pad ? " " : "") + shown + (pad ? " " : "") + fence;
}

// A fenced block that no line of the text can close: the fence is longer
// than any backtick run inside.
std::string code_block(const std::string& info, const std::string& text) {
  const std::string fence(std::max<std::size_t>(3, longest_backtick_run(text) + 1), '`');
  return fence + info + "\n" + text + fence + "\n";
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

}  // namespace

std::string markdown_text(const std::string& text) {
  std::string out;
  for (char c : schemas::printable(text)) {
    if (std::string_view("\\`*_[]<>&|~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

namespace {

// The objects the plan drops and creates again around a change (the steps
// with the dependent_recreated hazard), each with the step that drops it, the
// step that creates it again and why; "" when there are none.
std::string recreated_dependents(const Plan& plan) {
  std::string rows;
  for (const auto& step : plan.steps) {
    if (std::find(step.hazards.begin(), step.hazards.end(), Hazard::DependentRecreated) ==
        step.hazards.end()) {
      continue;
    }
    std::string again = "—";
    for (const auto& later : plan.steps) {
      if (later.id > step.id && later.object == step.object &&
          std::find(later.hazards.begin(), later.hazards.end(), Hazard::DependentRecreated) ==
              later.hazards.end()) {
        again = std::to_string(later.id);
        break;
      }
    }
    rows += fmt::format("| {} | {} | {} | {} |\n", markdown_text(schemas::describe(step.object)),
                        step.id, again, markdown_text(step.rationale));
  }
  if (rows.empty()) return "";
  return "\n### Recreated dependents\n\n| Object | Dropped in step | Created again in step | Why "
         "|\n|---|---|---|---|\n" +
         rows;
}

// Every step's pre-flight data checks: what each looks for, what it found,
// the time it took and the query that lists the rows; "" when no step has one.
std::string data_checks(const Plan& plan) {
  std::string text;
  for (const auto& step : plan.steps) {
    for (const auto& check : step.data_checks) {
      const std::string result = markdown_text(describe_finding(check));
      text += fmt::format(
          "- Step {}, `{}` on {}: {}{}{}{}\n  lists them: {}\n", step.id,
          data_check_kind_name(check.kind),
          code_span(plan_time_schema(check) + "." + plan_time_table(check)),
          violated(check) ? "**" : "", result, violated(check) ? "**" : "",
          check.finding ? fmt::format(" ({} ms)", check.finding->elapsed_ms) : std::string(),
          code_span(plan_time_query(check, false)));
    }
  }
  if (text.empty()) return "";
  return "\n### Data checks\n\n" + text;
}

}  // namespace

std::string render_markdown(const Plan& plan) {
  std::set<std::string> relations;  // every relation a step locks: tables, views, indexes
  std::map<std::string, std::vector<std::string>> hazard_steps;
  for (const auto& step : plan.steps) {
    for (const auto& lock : step.locks)
      relations.insert(code_span(lock.schema + "." + lock.relation));
    for (Hazard hazard : step.hazards)
      hazard_steps[hazard_name(hazard)].push_back(std::to_string(step.id));
  }
  std::string text = "## pgshift plan\n\n";
  text += fmt::format("**{} step{}** for PostgreSQL {} (catalog fingerprint {})\n\n",
                      plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
                      version_text(plan.server_version_num), code_span(plan.fingerprint));
  text += fmt::format("plan hash: {} (apply exactly this plan with `--expect-hash`)\n\n",
                      code_span(plan_content_hash(plan)));
  text += "- Relations locked: " +
          (relations.empty()
               ? std::string("none")
               : join(std::vector<std::string>(relations.begin(), relations.end()), ", ")) +
          "\n";
  std::vector<std::string> hazards;
  for (const auto& [name, steps] : hazard_steps) {
    hazards.push_back(
        fmt::format("`{}` (step{} {})", name, steps.size() == 1 ? "" : "s", join(steps, ", ")));
  }
  text += "- Hazards: " + (hazards.empty() ? std::string("none") : join(hazards, ", ")) + "\n";
  if (plan.preflight) text += "- Data checks: " + markdown_text(describe_preflight(plan)) + "\n";
  if (plan.throughput) text += "- Estimated: " + markdown_text(describe_estimates(plan)) + "\n";
  if (!plan.diagnostics.empty()) {
    text += "\n### Diagnostics\n\n";
    for (const auto& diagnostic : plan.diagnostics) {
      text += fmt::format("- **{}**: {}\n", severity_name(diagnostic.severity),
                          markdown_text(diagnostic.message));
    }
  }
  text += data_checks(plan);
  if (plan.steps.empty()) return text + "\nNothing to do: the database matches the schema.\n";
  text += recreated_dependents(plan);
  const bool two_stage = has_contract(plan);
  if (two_stage) {
    text += "\n### Two phases: expand, deploy, contract\n\n";
    text += "Run `pgshift apply --phase expand`, then deploy, then `pgshift apply --phase "
            "contract`.\n\n";
    for (const auto& line : plan.deploy) text += "- Deploy: " + markdown_text(line) + "\n";
  }
  text += "\n### Steps\n\n";
  text += "| # | Phase | Step | Lock | Blocks | Duration | Rows | Hazards | Tx |\n";
  text += "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& step : plan.steps) {
    std::vector<std::string> locks;
    std::vector<std::string> blocks;
    // With several relations locked, each "blocks" names its relation: an
    // ATTACH blocks everything on the partition and only DDL on the parent.
    for (const auto& lock : step.locks) {
      const std::string relation = code_span(lock.schema + "." + lock.relation);
      locks.push_back(fmt::format("{} on {}", lock_mode_name(lock.mode), relation));
      blocks.push_back(step.locks.size() > 1
                           ? fmt::format("{}: {}", relation, lock_mode_blocks(lock.mode))
                           : std::string(lock_mode_blocks(lock.mode)));
    }
    std::vector<std::string> step_hazards;
    for (Hazard hazard : step.hazards)
      step_hazards.push_back(std::string("`") + hazard_name(hazard) + "`");
    text += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", step.id,
        two_stage ? std::string(stage_name(step.stage)) + ": " + phase_name(step.phase)
                  : std::string(phase_name(step.phase)),
        markdown_text(step.summary), locks.empty() ? "—" : cell(join(locks, "; ")),
        blocks.empty() ? "—" : cell(join(blocks, "; ")), duration_class_name(step.duration),
        (step.estimated_rows ? "~" + with_separators(*step.estimated_rows) : "—") +
            (step.estimated_ms ? ", about " + format_duration_ms(*step.estimated_ms) : ""),
        step_hazards.empty() ? "—" : join(step_hazards, " "), step.transactional ? "yes" : "no");
  }
  text += "\n### SQL\n";
  for (const auto& step : plan.steps) {
    text += "\n" + code_block("sql", render_step_sql(step));
  }
  return text;
}

}  // namespace pgshift::plans
