// What a desired-state YAML file says about the catalog read it needs, taken
// from its text without loading it: the schemas it names and manage_owners.
// A guess, for starting the target's read while the file is loaded
// (cli/planning.cpp); the caller compares it with the loaded state.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgshift::schemas {

struct YamlScope {
  std::vector<std::string> schemas;       // the keys under the top-level `schemas:`
  std::vector<std::string> drop_schemas;  // the items of `drop_schemas:`
  bool manage_owners = false;
};

// The scope of `text` when it is written as `inspect` writes YAML (block
// mappings at the top two levels, plain or quoted names without escapes);
// nullopt for anything else (flow style there, anchors, tags, several
// documents, escapes), which the caller loads before reading.
std::optional<YamlScope> scan_yaml_scope(const std::string& text);

}  // namespace pgshift::schemas
