#include "tests/architecture/boundaries.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace pgshift::testing {

namespace {

// Include prefixes of the third-party libraries we build against, by the
// name the table uses.
const std::vector<std::pair<std::string, std::string>> kThirdParty = {
    {"pqxx/", "libpqxx"},
    {"libpq-fe.h", "libpq"},
    {"libpq/", "libpq"},
    {"yaml.h", "libyaml"},
    {"boost/", "Boost"},
    {"nlohmann/", "nlohmann_json"},
    {"fmt/", "fmt"},
    {"CLI/", "CLI11"},
    {"catch2/", "Catch2"},
    {"rapidcheck", "rapidcheck"},
    {"pg_query", "libpg_query"},
};

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

// One cell: items separated by ";", each `pattern` [but not `x`...] [only in `y`...].
std::vector<Allowance> parse_cell(const std::string& cell, int line_no) {
  std::vector<Allowance> items;
  if (trim(cell) == "none") return items;
  for (const std::string& item : split(cell, ';')) {
    if (trim(item).empty()) continue;
    static const std::regex kToken(R"(`([^`]+)`|but not|only in)");
    Allowance allowance;
    std::vector<std::string>* target = nullptr;
    for (std::sregex_iterator it(item.begin(), item.end(), kToken), end; it != end; ++it) {
      const std::string word = (*it)[0];
      if (word == "but not") {
        target = &allowance.except;
      } else if (word == "only in") {
        target = &allowance.only_in;
      } else if (allowance.pattern.empty()) {
        allowance.pattern = (*it)[1];
      } else if (target != nullptr) {
        target->push_back((*it)[1]);
      } else {
        throw std::runtime_error("README.md:" + std::to_string(line_no) + ": boundaries table: \"" +
                                 trim(item) + "\" names two patterns; separate items with ';'");
      }
    }
    if (allowance.pattern.empty()) {
      throw std::runtime_error("README.md:" + std::to_string(line_no) +
                               ": boundaries table: no `pattern` in \"" + trim(item) + "\"");
    }
    items.push_back(std::move(allowance));
  }
  return items;
}

bool matches(const std::string& pattern, const std::string& path) {
  if (!pattern.empty() && pattern.back() == '/') return path.rfind(pattern, 0) == 0;
  return fnmatch(pattern.c_str(), path.c_str(), 0) == 0;
}

bool any_matches(const std::vector<std::string>& patterns, const std::string& path) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& pattern) { return matches(pattern, path); });
}

// True when `allowance` lets `file` include `target` (a path or library name).
bool allows(const Allowance& allowance, const std::string& target, const std::string& file) {
  if (!matches(allowance.pattern, target) || any_matches(allowance.except, target)) return false;
  return allowance.only_in.empty() || any_matches(allowance.only_in, file);
}

std::string library_of(const std::string& header) {
  for (const auto& [prefix, library] : kThirdParty) {
    if (header.rfind(prefix, 0) == 0) return library;
  }
  return "";
}

}  // namespace

std::vector<FolderRule> parse_boundaries(const std::string& readme) {
  std::vector<FolderRule> rules;
  std::istringstream in(readme);
  std::string line;
  int line_no = 0;
  bool inside = false;
  bool found = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find("<!-- boundaries:begin -->") != std::string::npos) {
      inside = found = true;
      continue;
    }
    if (line.find("<!-- boundaries:end -->") != std::string::npos) break;
    if (!inside || line.rfind("|", 0) != 0) continue;
    std::vector<std::string> cells = split(line, '|');  // "", folder, owns, ours, third party
    if (cells.size() < 5) {
      throw std::runtime_error("README.md:" + std::to_string(line_no) +
                               ": boundaries table: a row needs 4 cells");
    }
    const std::string folder_cell = trim(cells[1]);
    if (folder_cell == "folder" || folder_cell.find("---") != std::string::npos) continue;
    static const std::regex kFolder(R"(^`([a-z_]+/)`$)");
    std::smatch folder;
    if (!std::regex_match(folder_cell, folder, kFolder)) {
      throw std::runtime_error("README.md:" + std::to_string(line_no) +
                               ": boundaries table: the first cell must be a `folder/`, got \"" +
                               folder_cell + "\"");
    }
    rules.push_back(
        FolderRule{folder[1], parse_cell(cells[3], line_no), parse_cell(cells[4], line_no)});
  }
  if (!found || rules.empty()) {
    throw std::runtime_error(
        "README.md: no boundaries table between <!-- boundaries:begin --> "
        "and <!-- boundaries:end -->");
  }
  return rules;
}

std::vector<Violation> check_tree(const std::filesystem::path& root,
                                  const std::vector<FolderRule>& rules) {
  namespace fs = std::filesystem;
  static const std::regex kInclude(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Violation> found;
  for (const FolderRule& rule : rules) {
    const fs::path folder = root / rule.folder;
    if (!fs::is_directory(folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      const std::string extension = entry.path().extension().string();
      if (!entry.is_regular_file() || (extension != ".cpp" && extension != ".hpp")) continue;
      const std::string file = fs::relative(entry.path(), root).generic_string();
      std::ifstream in(entry.path());
      std::string line;
      int line_no = 0;
      while (std::getline(in, line)) {
        ++line_no;
        std::smatch include;
        if (!std::regex_search(line, include, kInclude)) continue;
        const bool quoted = include[1] == "\"";
        const std::string header = include[2];
        const std::string written = quoted ? "\"" + header + "\"" : "<" + header + ">";
        if (quoted) {
          const bool ours =
              std::any_of(rule.ours.begin(), rule.ours.end(),
                          [&](const Allowance& a) { return allows(a, header, file); });
          if (!ours) {
            found.push_back(
                Violation{file, line_no, written, header + " is not allowed in " + rule.folder});
          }
          continue;
        }
        const std::string library = library_of(header);
        if (library.empty()) continue;  // the standard library or the system
        const bool allowed =
            std::any_of(rule.third_party.begin(), rule.third_party.end(),
                        [&](const Allowance& a) { return allows(a, library, file); });
        if (!allowed) {
          found.push_back(
              Violation{file, line_no, written, library + " is not allowed in " + rule.folder});
        }
      }
    }
  }
  std::sort(found.begin(), found.end(), [](const Violation& a, const Violation& b) {
    return std::tie(a.file, a.line) < std::tie(b.file, b.line);
  });
  return found;
}

std::string describe(const Violation& violation) {
  return violation.file + ":" + std::to_string(violation.line) + ": #include " + violation.include +
         ": " + violation.reason;
}

}  // namespace pgshift::testing
