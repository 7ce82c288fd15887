// The renderings of lint reports: text for people, JSON for tools, GitHub
// workflow commands for annotations on a pull request's diff.
#include <nlohmann/json.hpp>
#include <string>

#include "lint/lint.hpp"
#include "schemas/model.hpp"

namespace pgshift::lint {

namespace {

std::string display(const RelationName& name) { return name.schema + "." + name.name; }

std::string locks_text(const StatementReport& statement) {
  std::string text;
  for (const auto& lock : statement.locks) {
    text += (text.empty() ? "" : "; ") + std::string(plans::lock_mode_name(lock.mode)) + " on " +
            display(lock.relation);
    text += lock.created_in_file ? " (created in this file: nobody waits)"
                                 : std::string(" (blocks ") + plans::lock_mode_blocks(lock.mode) + ")";
  }
  return text;
}

// GitHub's workflow-command escaping: data, then property values.
std::string escape_data(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%') {
      out += "%25";
    } else if (c == '\r') {
      out += "%0D";
    } else if (c == '\n') {
      out += "%0A";
    } else {
      out += c;
    }
  }
  return out;
}
std::string escape_property(const std::string& text) {
  std::string out;
  for (char c : escape_data(text)) {
    if (c == ':') {
      out += "%3A";
    } else if (c == ',') {
      out += "%2C";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_text(const std::vector<FileReport>& reports) {
  std::string out;
  for (const auto& report : reports) {
    for (const int line : report.skipped_meta_commands) {
      out += report.path + ":" + std::to_string(line) +
             ": note: psql meta-command skipped (not SQL: lint does not judge it)\n";
    }
    if (report.error) {
      const LintError& error = *report.error;
      out += report.path;
      if (error.line > 0) out += ":" + std::to_string(error.line) + ":" + std::to_string(error.column);
      out += ": error: " + error.message + "\n";
      if (error.line > 0) {
        const schemas::ShownLine shown = schemas::shown_with_caret(
            error.source_line, schemas::byte_of_column(error.source_line, error.column));
        out += "  " + shown.text + "\n  " + shown.caret + "\n";
      }
      continue;
    }
    for (const auto& statement : report.statements) {
      if (statement.locks.empty() && statement.findings.empty() && statement.notes.empty()) continue;
      out += report.path + ":" + std::to_string(statement.line) + ":" +
             std::to_string(statement.column) + ": " + statement.source_line + "\n";
      if (!statement.kinds.empty()) {
        std::string kinds;
        for (const auto& kind : statement.kinds) kinds += (kinds.empty() ? "" : ", ") + kind;
        out += "  judged as: " + kinds + "; " + plans::duration_class_name(statement.duration) +
               (statement.transactional ? "" : "; cannot run in a transaction block") + "\n";
      }
      if (!statement.locks.empty()) out += "  locks: " + locks_text(statement) + "\n";
      for (const auto& note : statement.notes) out += "  note: " + note + "\n";
      for (const auto& finding : statement.findings) {
        out += "  warning[" + finding.rule + "]: " + finding.message + "\n";
        if (!finding.alternative.empty()) {
          out += "    instead:\n";
          for (const auto& line : finding.alternative) out += "      " + line + "\n";
        }
      }
    }
  }
  const std::size_t findings = finding_count(reports);
  std::size_t errors = 0;
  for (const auto& report : reports) errors += report.error ? 1 : 0;
  out += std::to_string(reports.size()) + (reports.size() == 1 ? " file" : " files") + ", " +
         std::to_string(findings) + (findings == 1 ? " finding" : " findings") +
         (errors > 0 ? ", " + std::to_string(errors) + (errors == 1 ? " error" : " errors") : "") +
         "\n";
  return out;
}

std::string render_json(const std::vector<FileReport>& reports) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& report : reports) {
    nlohmann::ordered_json file;
    file["path"] = report.path;
    if (report.error) {
      file["error"] = {{"message", report.error->message},
                       {"line", report.error->line},
                       {"column", report.error->column}};
    }
    file["skipped_meta_commands"] = report.skipped_meta_commands;
    nlohmann::ordered_json statements = nlohmann::ordered_json::array();
    for (const auto& statement : report.statements) {
      nlohmann::ordered_json item;
      item["line"] = statement.line;
      item["column"] = statement.column;
      item["source_line"] = statement.source_line;
      item["kinds"] = statement.kinds;
      nlohmann::ordered_json locks = nlohmann::ordered_json::array();
      for (const auto& lock : statement.locks) {
        locks.push_back({{"schema", lock.relation.schema},
                         {"relation", lock.relation.name},
                         {"mode", plans::lock_mode_name(lock.mode)},
                         {"blocks", plans::lock_mode_blocks(lock.mode)},
                         {"created_in_file", lock.created_in_file}});
      }
      item["locks"] = locks;
      item["duration"] = plans::duration_class_name(statement.duration);
      if (statement.estimated_ms) item["estimated_ms"] = *statement.estimated_ms;
      item["transactional"] = statement.transactional;
      nlohmann::ordered_json hazards = nlohmann::ordered_json::array();
      for (const auto hazard : statement.hazards) hazards.push_back(plans::hazard_name(hazard));
      item["hazards"] = hazards;
      item["notes"] = statement.notes;
      nlohmann::ordered_json findings = nlohmann::ordered_json::array();
      for (const auto& finding : statement.findings) {
        findings.push_back({{"rule", finding.rule},
                            {"message", finding.message},
                            {"alternative", finding.alternative}});
      }
      item["findings"] = findings;
      statements.push_back(item);
    }
    file["statements"] = statements;
    files.push_back(file);
  }
  nlohmann::ordered_json root;
  root["files"] = files;
  root["findings"] = finding_count(reports);
  root["errors"] = has_errors(reports);
  return root.dump(2) + "\n";
}

std::string render_github(const std::vector<FileReport>& reports) {
  std::string out;
  for (const auto& report : reports) {
    if (report.error) {
      out += "::error file=" + escape_property(report.path);
      if (report.error->line > 0) {
        out += ",line=" + std::to_string(report.error->line) +
               ",col=" + std::to_string(report.error->column);
      }
      out += ",title=" + escape_property("pgshift lint: syntax error") +
             "::" + escape_data(report.error->message) + "\n";
      continue;
    }
    for (const auto& statement : report.statements) {
      for (const auto& finding : statement.findings) {
        std::string message = finding.message;
        if (!finding.alternative.empty()) {
          message += "\nInstead:";
          for (const auto& line : finding.alternative) message += "\n" + line;
        }
        out += "::warning file=" + escape_property(report.path) +
               ",line=" + std::to_string(statement.line) +
               ",col=" + std::to_string(statement.column) +
               ",title=" + escape_property("pgshift lint " + finding.rule) +
               "::" + escape_data(message) + "\n";
      }
    }
  }
  return out;
}

}  // namespace pgshift::lint
