// The corpus: hand-written migrations (tests/lint/corpus/*.sql), safe and
// unsafe, each with the findings it must give (NAME.expected: "line:column
// rule" per finding, in report order, or "error line:column"). A first line
// "-- lint-options: ..." sets --pg-version, --assume-in-transaction or
// --disable for that file. Every rule is exercised by at least one file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "lint/lint.hpp"

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

pgshift::lint::Options options_of(const std::string& sql) {
  pgshift::lint::Options options;
  const std::string kPrefix = "-- lint-options:";
  if (sql.rfind(kPrefix, 0) != 0) return options;
  std::istringstream words(sql.substr(kPrefix.size(), sql.find('\n') - kPrefix.size()));
  std::string word;
  while (words >> word) {
    if (word == "--assume-in-transaction") {
      options.assume_in_transaction = true;
    } else if (word == "--pg-version") {
      int major = 0;
      words >> major;
      options.server_version_num = major * 10000;
    } else if (word == "--disable") {
      std::string rule;
      words >> rule;
      options.disabled_rules.insert(rule);
    }
  }
  return options;
}

std::string findings_of(const pgshift::lint::FileReport& report) {
  if (report.error) {
    return "error " + std::to_string(report.error->line) + ":" +
           std::to_string(report.error->column) + "\n";
  }
  std::string out;
  for (const auto& statement : report.statements) {
    for (const auto& finding : statement.findings) {
      out += std::to_string(statement.line) + ":" + std::to_string(statement.column) + " " +
             finding.rule + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("every migration of the corpus gives exactly its expected findings", "[lint]") {
  std::map<std::string, fs::path> files;
  for (const auto& entry : fs::directory_iterator(PGSHIFT_LINT_CORPUS)) {
    if (entry.path().extension() == ".sql") files[entry.path().filename().string()] = entry.path();
  }
  CHECK(files.size() >= 40);
  std::set<std::string> rules_seen;
  size_t safe = 0;
  for (const auto& [name, path] : files) {
    const std::string sql = read(path);
    fs::path expected_path = path;
    expected_path.replace_extension(".expected");
    REQUIRE(fs::exists(expected_path));
    const auto report = pgshift::lint::lint_file(name, sql, options_of(sql));
    INFO(name << "\n" << pgshift::lint::render_text({report}));
    CHECK(findings_of(report) == read(expected_path));
    for (const auto& statement : report.statements) {
      for (const auto& finding : statement.findings) {
        rules_seen.insert(finding.rule);
        CHECK_FALSE(finding.message.empty());
      }
    }
    if (findings_of(report).empty()) ++safe;
  }
  CHECK(safe >= 15);  // safe migrations: no false alarm
  for (const auto& rule : pgshift::lint::all_rules()) {
    INFO("rule " << rule.name);
    CHECK(rules_seen.count(rule.name) == 1);
  }
}
