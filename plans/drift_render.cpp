// The renderings of a DriftReport declared in plans/drift.hpp.
#include <fmt/format.h>

#include "plans/drift.hpp"
#include "plans/json_detail.hpp"
#include "plans/render_markdown.hpp"

namespace pgshift::plans {

namespace {

using detail::Json;
using detail::object_json;

std::string percent(double fraction) {
  return fmt::format("{:.1f}%", fraction * 100);
}

std::vector<const SequenceUse*> near_exhaustion(const DriftReport& report) {
  std::vector<const SequenceUse*> uses;
  for (const auto& use : report.sequences) {
    if (use.near_exhaustion) uses.push_back(&use);
  }
  return uses;
}

std::string sequence_line(const SequenceUse& use) {
  return fmt::format("{} ({}): {} used, last value {} of {}..{}", schemas::describe(use.object),
                     use.type, percent(use.fraction_used),
                     use.is_called ? std::to_string(use.last_value) : "none", use.min_value,
                     use.max_value);
}

// An object that is a single value (a view's query, an enum's labels) has
// one field with an empty path.
std::string field_label(const FieldDrift& field) {
  return field.field.empty() ? "(value)" : field.field;
}

std::string steps_line(std::size_t count) {
  return fmt::format("pgshift plan would run {} step{}", count, count == 1 ? "" : "s");
}

// ---------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------

// A value on its own lines below its field: multi-line values (view
// definitions, function bodies) keep their shape, indented.
std::string text_value(const char* label, const std::optional<std::string>& value) {
  if (!value) return fmt::format("      {}: (absent)\n", label);
  std::string text = fmt::format("      {}: ", label);
  for (char c : *value) {
    text += c;
    if (c == '\n') text += "        ";
  }
  return text + "\n";
}

void text_ids(const char* heading, const std::vector<schemas::ObjectId>& ids, std::string& text) {
  if (ids.empty()) return;
  text += fmt::format("\n{}:\n", heading);
  for (const auto& id : ids) text += "  " + schemas::describe(id) + "\n";
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

Json ids_json(const std::vector<schemas::ObjectId>& ids) {
  Json list = Json::array();
  for (const auto& id : ids) list.push_back(object_json(id));
  return list;
}

Json optional_json(const std::optional<std::string>& value) {
  return value ? Json(*value) : Json(nullptr);
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

// Table cells cannot hold a raw '|' or a newline; code spans cannot hold a
// backtick, so values go in <code> with their markup escaped.
std::string md_code(const std::optional<std::string>& value) {
  if (!value) return "*absent*";
  std::string out = "<code>";
  // Line breaks become <br>; other controls and bidi controls are escaped.
  std::string shown;
  for (std::size_t start = 0; start <= value->size();) {
    auto end = value->find('\n', start);
    if (end == std::string::npos) end = value->size();
    shown += (start == 0 ? "" : "\n") + schemas::printable(value->substr(start, end - start));
    start = end + 1;
  }
  for (char c : shown) {
    switch (c) {
      case '|':
        out += "&#124;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
        out += "<br>";
        break;
      default:
        out += c;
    }
  }
  return out + "</code>";
}

void md_ids(const char* heading, const std::vector<schemas::ObjectId>& ids, std::string& text) {
  if (ids.empty()) return;
  text += fmt::format("\n### {}\n\n", heading);
  for (const auto& id : ids) text += "- " + markdown_text(schemas::describe(id)) + "\n";
}

}  // namespace

std::string render_drift_text(const DriftReport& report) {
  // Without drift, diagnostics are warnings (objects pgshift does not model,
  // ...): the verdict points at them.
  std::string text = has_drift(report) ? "pgshift drift: the database differs from the schema\n"
                     : report.plan_diagnostics.empty()
                         ? "pgshift drift: the database matches the schema\n"
                         : "pgshift drift: the database matches the schema; see the warnings "
                           "below\n";
  text_ids("Missing from the database (in the YAML only)", report.missing, text);
  text_ids("Not in the YAML (in the database only)", report.unexpected, text);
  if (!report.changed.empty()) {
    text += "\nChanged (database -> YAML):\n";
    for (const auto& changed : report.changed) {
      text += "  " + schemas::describe(changed.object) + "\n";
      for (const auto& field : changed.fields) {
        text += "    " + field_label(field) + "\n";
        text += text_value("database", field.before);
        text += text_value("yaml", field.after);
      }
      for (const auto& summary : changed.plan_steps) text += "    plan: " + summary + "\n";
    }
  }
  if (!report.pending_contracts.empty()) {
    text += "\nExpand applied, contract pending (pgshift apply --phase contract):\n";
    for (const auto& line : report.pending_contracts) text += "  " + line + "\n";
  }
  text_ids("INVALID indexes", report.invalid_indexes, text);
  text_ids("NOT VALID constraints", report.not_valid_constraints, text);
  const auto sequences = near_exhaustion(report);
  if (!sequences.empty()) {
    text += fmt::format("\nSequences that used {} or more of their range:\n",
                        percent(report.sequence_threshold));
    for (const auto* use : sequences) text += "  " + sequence_line(*use) + "\n";
  }
  if (!report.plan_diagnostics.empty()) {
    text += "\nPlan diagnostics:\n";
    for (const auto& diagnostic : report.plan_diagnostics) {
      text += fmt::format("  {}: {}\n", severity_name(diagnostic.severity), diagnostic.message);
    }
  }
  return text + "\n" + steps_line(report.plan_step_count) + "\n";
}

std::string render_drift_json(const DriftReport& report) {
  Json json;
  json["format_version"] = 1;
  json["drift"] = has_drift(report);
  json["server_version_num"] = report.server_version_num;
  json["fingerprint"] = report.fingerprint;
  json["plan_steps"] = report.plan_step_count;
  json["missing"] = ids_json(report.missing);
  json["unexpected"] = ids_json(report.unexpected);
  Json changed = Json::array();
  for (const auto& object : report.changed) {
    Json fields = Json::array();
    for (const auto& field : object.fields) {
      fields.push_back(Json{{"field", field.field},
                            {"before", optional_json(field.before)},
                            {"after", optional_json(field.after)}});
    }
    changed.push_back(Json{{"object", object_json(object.object)},
                           {"fields", fields},
                           {"plan_steps", object.plan_steps}});
  }
  json["changed"] = changed;
  if (!report.pending_contracts.empty()) json["pending_contracts"] = report.pending_contracts;
  json["invalid_indexes"] = ids_json(report.invalid_indexes);
  json["not_valid_constraints"] = ids_json(report.not_valid_constraints);
  json["sequence_threshold"] = report.sequence_threshold;
  Json sequences = Json::array();
  for (const auto& use : report.sequences) {
    sequences.push_back(Json{{"object", object_json(use.object)},
                             {"type", use.type},
                             {"last_value", use.last_value},
                             {"is_called", use.is_called},
                             {"min_value", use.min_value},
                             {"max_value", use.max_value},
                             {"fraction_used", use.fraction_used},
                             {"near_exhaustion", use.near_exhaustion}});
  }
  json["sequences"] = sequences;
  json["diagnostics"] = detail::diagnostics_json(report.plan_diagnostics);
  return json.dump(2) + "\n";
}

namespace {

// The plan's diagnostics, with or without drift: warnings name what pgshift
// does not model.
void markdown_diagnostics(const DriftReport& report, std::string& text) {
  if (report.plan_diagnostics.empty()) return;
  text += "\n### Plan diagnostics\n\n";
  for (const auto& diagnostic : report.plan_diagnostics) {
    text += fmt::format("- **{}**: {}\n", severity_name(diagnostic.severity),
                        markdown_text(diagnostic.message));
  }
}

}  // namespace

std::string render_drift_markdown(const DriftReport& report) {
  std::string text = "## pgshift drift\n\n";
  if (!has_drift(report)) {
    text += "**No drift**: the database matches the schema.\n";
    markdown_diagnostics(report, text);
    return text;
  }
  text += fmt::format(
      "**Drift found**: {} missing, {} unexpected, {} changed; {} INVALID index{}, {} NOT VALID "
      "constraint{}, {} sequence{} near exhaustion. {}.\n",
      report.missing.size(), report.unexpected.size(), report.changed.size(),
      report.invalid_indexes.size(), report.invalid_indexes.size() == 1 ? "" : "es",
      report.not_valid_constraints.size(), report.not_valid_constraints.size() == 1 ? "" : "s",
      near_exhaustion(report).size(), near_exhaustion(report).size() == 1 ? "" : "s",
      steps_line(report.plan_step_count));
  md_ids("Missing from the database", report.missing, text);
  md_ids("Not in the YAML", report.unexpected, text);
  if (!report.changed.empty()) {
    text += "\n### Changed\n";
    for (const auto& changed : report.changed) {
      text += "\n#### " + markdown_text(schemas::describe(changed.object)) + "\n\n";
      if (!changed.fields.empty()) {
        text += "| Field | Database | YAML |\n|---|---|---|\n";
        for (const auto& field : changed.fields) {
          text += fmt::format("| `{}` | {} | {} |\n", field_label(field), md_code(field.before),
                              md_code(field.after));
        }
      }
      if (!changed.fields.empty() && !changed.plan_steps.empty()) text += "\n";
      for (const auto& summary : changed.plan_steps) {
        text += "- plan: " + markdown_text(summary) + "\n";
      }
    }
  }
  if (!report.pending_contracts.empty()) {
    text += "\n### Expand applied, contract pending\n\n";
    for (const auto& line : report.pending_contracts) text += "- " + markdown_text(line) + "\n";
  }
  md_ids("INVALID indexes", report.invalid_indexes, text);
  md_ids("NOT VALID constraints", report.not_valid_constraints, text);
  const auto sequences = near_exhaustion(report);
  if (!sequences.empty()) {
    text += fmt::format("\n### Sequences near exhaustion (≥ {})\n\n",
                        percent(report.sequence_threshold));
    for (const auto* use : sequences) text += "- " + sequence_line(*use) + "\n";
  }
  markdown_diagnostics(report, text);
  return text;
}

}  // namespace pgshift::plans
