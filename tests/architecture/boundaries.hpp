// The architecture table of README.md as a build fact: which folder may
// include what. The table is read from README.md itself (between the
// `<!-- boundaries:begin -->` and `<!-- boundaries:end -->` markers), so it
// lives in one place; check_tree() reports every #include that breaks it.
//
// Table cells (items separated by ";"):
//   pgshift code:  `schemas/` | `plans/plan.hpp` [but not `glob`...] [only in `glob`...]
//   third party:   `libpqxx` | `libyaml` | ... [only in `glob`...]; "none" for nothing
// Patterns ending in "/" match a folder; others are fnmatch globs on the
// path from the repository root. "only in" names the files of the row's
// folder that may use the item. Third-party libraries are recognised by their
// include prefix (kThirdParty in boundaries.cpp); other <...> includes are the
// standard library or the system and always allowed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace pgshift::testing {

struct Allowance {
  std::string pattern;               // "schemas/", "plans/plan.hpp", "libpqxx"
  std::vector<std::string> except;   // include paths it does not cover
  std::vector<std::string> only_in;  // files that may use it; empty: every file of the folder
};

struct FolderRule {
  std::string folder;  // "planner/"
  std::vector<Allowance> ours;
  std::vector<Allowance> third_party;
};

struct Violation {
  std::string file;     // from the repository root
  int line = 0;         // 1-based
  std::string include;  // as written, with its brackets or quotes
  std::string reason;
};

// The rules of the boundaries table in `readme` (the text of README.md).
// Throws std::runtime_error naming the line when the table is missing or a
// row cannot be read.
std::vector<FolderRule> parse_boundaries(const std::string& readme);

// Every #include in the .cpp/.hpp files under the rules' folders of `root`
// that its folder's row does not allow, sorted by file and line.
std::vector<Violation> check_tree(const std::filesystem::path& root,
                                  const std::vector<FolderRule>& rules);

// "planner/x.cpp:3: #include <pqxx/pqxx>: libpqxx is not allowed in planner/".
std::string describe(const Violation& violation);

}  // namespace pgshift::testing
