#include "plans/render_markdown.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "plans/render_json.hpp"
#include "plans/render_sql.hpp"

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

// Table cells cannot hold a raw '|' or a newline.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

}  // namespace

std::string render_markdown(const Plan& plan) {
  std::set<std::string> tables;
  std::map<std::string, std::vector<std::string>> hazard_steps;
  for (const auto& step : plan.steps) {
    for (const auto& lock : step.locks)
      tables.insert("`" + lock.schema + "." + lock.relation + "`");
    for (Hazard hazard : step.hazards)
      hazard_steps[hazard_name(hazard)].push_back(std::to_string(step.id));
  }
  std::string text = "## pgshift plan\n\n";
  text += fmt::format("**{} step{}** for PostgreSQL {} (catalog fingerprint `{}`)\n\n",
                      plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
                      version_text(plan.server_version_num), plan.fingerprint);
  text += fmt::format("plan hash: `{}` (apply exactly this plan with `--expect-hash`)\n\n",
                      plan_content_hash(plan));
  text += "- Tables touched: " +
          (tables.empty() ? std::string("none")
                          : join(std::vector<std::string>(tables.begin(), tables.end()), ", ")) +
          "\n";
  std::vector<std::string> hazards;
  for (const auto& [name, steps] : hazard_steps) {
    hazards.push_back(
        fmt::format("`{}` (step{} {})", name, steps.size() == 1 ? "" : "s", join(steps, ", ")));
  }
  text += "- Hazards: " + (hazards.empty() ? std::string("none") : join(hazards, ", ")) + "\n";
  if (!plan.diagnostics.empty()) {
    text += "\n### Diagnostics\n\n";
    for (const auto& diagnostic : plan.diagnostics) {
      text += fmt::format("- **{}**: {}\n", severity_name(diagnostic.severity), diagnostic.message);
    }
  }
  if (plan.steps.empty()) return text + "\nNothing to do: the database matches the schema.\n";
  text += "\n### Steps\n\n";
  text += "| # | Phase | Step | Lock | Blocks | Duration | Rows | Hazards | Tx |\n";
  text += "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& step : plan.steps) {
    std::vector<std::string> locks;
    std::vector<std::string> blocks;
    for (const auto& lock : step.locks) {
      locks.push_back(
          fmt::format("{} on `{}.{}`", lock_mode_name(lock.mode), lock.schema, lock.relation));
      blocks.push_back(lock_mode_blocks(lock.mode));
    }
    std::vector<std::string> step_hazards;
    for (Hazard hazard : step.hazards)
      step_hazards.push_back(std::string("`") + hazard_name(hazard) + "`");
    text += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", step.id, phase_name(step.phase),
        cell(step.summary), locks.empty() ? "—" : cell(join(locks, "; ")),
        blocks.empty() ? "—" : cell(join(blocks, "; ")), duration_class_name(step.duration),
        step.estimated_rows ? "~" + with_separators(*step.estimated_rows) : "—",
        step_hazards.empty() ? "—" : join(step_hazards, " "), step.transactional ? "yes" : "no");
  }
  text += "\n### SQL\n";
  for (const auto& step : plan.steps) {
    text += "\n```sql\n" + render_step_sql(step) + "```\n";
  }
  return text;
}

}  // namespace pgshift::plans
