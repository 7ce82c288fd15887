#include "schemas/ignore.hpp"

#include <algorithm>
#include <set>

#include <fnmatch.h>

namespace pgshift::schemas {

namespace {

const std::set<std::string> kKinds = {
    "schema", "table",    "view",       "materialized_view", "sequence", "type",
    "function", "index",  "constraint", "trigger",           "column",   "extension",
    "policy", "privileges", "default_privileges"};

struct Pattern {
  std::string kind;  // empty: any top-level kind
  std::string glob;
};

Pattern parse(const std::string& text) {
  const auto colon = text.find(':');
  if (colon == std::string::npos) return {"", text};
  return {text.substr(0, colon), text.substr(colon + 1)};
}

bool glob_matches(const std::string& glob, const std::string& name) {
  return fnmatch(glob.c_str(), name.c_str(), 0) == 0;
}

class Matcher {
 public:
  explicit Matcher(const std::vector<std::string>& patterns) {
    for (const auto& text : patterns) patterns_.push_back(parse(text));
  }

  // `kind` of the object, `path` its dotted qualified name.
  bool matches(const std::string& kind, const std::string& path, bool top_level) const {
    for (const auto& pattern : patterns_) {
      const bool kind_ok = pattern.kind.empty() ? (top_level || kind == "schema")
                                                : pattern.kind == kind;
      if (kind_ok && glob_matches(pattern.glob, path)) return true;
    }
    return false;
  }

 private:
  std::vector<Pattern> patterns_;
};

template <typename T, typename Pred>
void erase_if(std::vector<T>& items, Pred pred) {
  items.erase(std::remove_if(items.begin(), items.end(), pred), items.end());
}

}  // namespace

std::vector<IgnorePatternError> check_ignore_patterns(const std::vector<std::string>& patterns) {
  std::vector<IgnorePatternError> errors;
  for (const auto& text : patterns) {
    const Pattern pattern = parse(text);
    if (!pattern.kind.empty() && kKinds.count(pattern.kind) == 0) {
      errors.push_back({text, "unknown object kind \"" + pattern.kind +
                                  "\" in ignore pattern; expected one of schema, table, view, "
                                  "materialized_view, sequence, type, function, index, "
                                  "constraint, trigger, column, extension, policy, "
                                  "privileges, default_privileges"});
    } else if (pattern.glob.empty()) {
      errors.push_back({text, "empty ignore pattern"});
    }
  }
  return errors;
}

void remove_ignored(Database& db, const std::vector<std::string>& patterns) {
  if (patterns.empty()) return;
  const Matcher matcher(patterns);
  erase_if(db.extensions,
           [&](const Extension& ext) { return matcher.matches("extension", ext.name, false); });
  erase_if(db.schemas,
           [&](const Schema& schema) { return matcher.matches("schema", schema.name, false); });
  for (auto& schema : db.schemas) {
    const std::string prefix = schema.name + ".";
    auto top = [&](const std::string& kind) {
      return [&matcher, &prefix, kind](const auto& object) {
        return matcher.matches(kind, prefix + object.name, true);
      };
    };
    erase_if(schema.tables, top("table"));
    erase_if(schema.views, top("view"));
    erase_if(schema.materialized_views, top("materialized_view"));
    erase_if(schema.sequences, top("sequence"));
    erase_if(schema.enums, top("type"));
    erase_if(schema.domains, top("type"));
    erase_if(schema.composite_types, top("type"));
    erase_if(schema.functions, top("function"));
    for (auto& table : schema.tables) {
      auto nested = [&](const std::string& kind) {
        return [&matcher, &prefix, &table, kind](const auto& object) {
          return matcher.matches(kind, prefix + object.name, false) ||
                 matcher.matches(kind, prefix + table.name + "." + object.name, false);
        };
      };
      erase_if(table.indexes, nested("index"));
      if (table.primary_key && nested("constraint")(*table.primary_key)) {
        table.primary_key.reset();
      }
      erase_if(table.unique_constraints, nested("constraint"));
      erase_if(table.check_constraints, nested("constraint"));
      erase_if(table.foreign_keys, nested("constraint"));
      erase_if(table.exclusion_constraints, nested("constraint"));
      erase_if(table.triggers, nested("trigger"));
      erase_if(table.policies, nested("policy"));
      erase_if(table.columns, [&](const Column& column) {
        return matcher.matches("column", prefix + table.name + "." + column.name, false);
      });
    }
    for (auto& view : schema.materialized_views) {
      erase_if(view.indexes, [&](const Index& index) {
        return matcher.matches("index", prefix + index.name, false);
      });
    }
    // Privileges go with their object, or by `privileges:` patterns of the
    // object's path ("public.orders", "public.orders.note", "public").
    erase_if(schema.privileges, [&](const Privileges& entry) {
      return !privileges_target_exists(schema, entry.object) ||
             matcher.matches("privileges", privileges_path(entry.object), false);
    });
    // Default privileges by `default_privileges:` patterns of "schema.role".
    erase_if(schema.default_privileges, [&](const Privileges& entry) {
      return matcher.matches("default_privileges", prefix + entry.object.table, false);
    });
  }
  // Database-wide default privileges by `default_privileges:` patterns of the
  // FOR ROLE role.
  erase_if(db.default_privileges, [&](const Privileges& entry) {
    return matcher.matches("default_privileges", entry.object.table, false);
  });
  // What the model does not hold goes with its schema, with the relation it
  // belongs to, or by its own name as a top-level object.
  erase_if(db.facts.unmodelled, [&](const UnmodelledObject& object) {
    if (object.schema.empty()) return false;
    if (matcher.matches("schema", object.schema, false)) return true;
    const std::string path =
        object.schema + "." + (object.relation.empty() ? object.name : object.relation);
    if (object.relation.empty() && object.name.empty()) return false;
    for (const char* kind : {"table", "view", "materialized_view", "sequence", "type", "function"}) {
      if (matcher.matches(kind, path, true)) return true;
    }
    return false;
  });
}

}  // namespace pgshift::schemas
