#include "schemas/expand_contract.hpp"

#include <algorithm>

namespace pgshift::schemas {

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// At most 63 bytes (NAMEDATALEN - 1), cut at a UTF-8 character boundary.
std::string truncated(std::string name) {
  if (name.size() <= 63) return name;
  size_t end = 63;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  name.resize(end);
  return name;
}

void rename_in(std::vector<std::string>& columns, const std::string& from, const std::string& to) {
  std::replace(columns.begin(), columns.end(), from, to);
}

bool uses(const std::vector<std::string>& columns, const std::string& column) {
  return std::find(columns.begin(), columns.end(), column) != columns.end();
}

// An object expand made on the new column: a temporary name, or the NOT NULL helper.
bool temporary(const std::string& name) {
  return ends_with(name, kShadowSuffix) || starts_with(name, "pgshift_nn_");
}

}  // namespace

std::string shadow_name(const std::string& column) {
  return truncated(column + kShadowSuffix);
}

std::string final_name(const ExpandedColumn& expanded) {
  return expanded.new_column == shadow_name(expanded.old_column) ? expanded.old_column
                                                                  : expanded.new_column;
}

std::vector<ExpandedColumn> expanded_columns(const Database& db) {
  std::vector<ExpandedColumn> found;
  for (const auto& schema : db.schemas) {
    for (const auto& table : schema.tables) {
      for (const auto& trigger : table.triggers) {
        if (!starts_with(trigger.name, kSyncTriggerPrefix) || trigger.arguments.size() != 2 ||
            !starts_with(trigger.function, std::string(kSyncFunctionSchema) + ".")) {
          continue;
        }
        ExpandedColumn expanded{schema.name,          table.name, trigger.arguments[0],
                                trigger.arguments[1], trigger.name,
                                trigger.comment == std::string(kExpandedComment)};
        found.push_back(std::move(expanded));
      }
    }
  }
  return found;
}

std::string describe(const ExpandedColumn& expanded) {
  return "expand of column \"" + expanded.old_column + "\" of table \"" + expanded.schema + "." +
         expanded.table + "\" applied" + (expanded.complete ? "" : " in part") +
         " (new column \"" + expanded.new_column + "\", kept in sync by trigger \"" +
         expanded.trigger + "\"): contract pending";
}

void assume_contracted(Database& db, const ExpandedColumn& expanded) {
  const std::string& from = expanded.old_column;
  const std::string& shadow = expanded.new_column;
  const std::string to = final_name(expanded);
  for (auto& schema : db.schemas) {
    for (auto& table : schema.tables) {
      for (auto& fk : table.foreign_keys) {
        if (fk.ref_schema == expanded.schema && fk.ref_table == expanded.table) {
          rename_in(fk.ref_columns, from, to);
        }
      }
      if (schema.name != expanded.schema || table.name != expanded.table) continue;
      auto& columns = table.columns;
      const auto old_at = std::find_if(columns.begin(), columns.end(),
                                       [&](const Column& column) { return column.name == from; });
      const auto new_at = std::find_if(columns.begin(), columns.end(),
                                       [&](const Column& column) { return column.name == shadow; });
      if (old_at != columns.end() && new_at != columns.end() && old_at != new_at) {
        Column taken = *new_at;
        taken.name = to;
        if (!taken.default_expr) taken.default_expr = old_at->default_expr;
        if (!taken.comment) taken.comment = old_at->comment;
        *old_at = taken;
        columns.erase(std::find_if(columns.begin(), columns.end(),
                                   [&](const Column& column) { return column.name == shadow; }));
      } else if (old_at != columns.end()) {
        old_at->name = to;
      }
      auto& triggers = table.triggers;
      triggers.erase(std::remove_if(triggers.begin(), triggers.end(),
                                    [&](const Trigger& trigger) {
                                      return trigger.name == expanded.trigger;
                                    }),
                     triggers.end());
      // Objects expand made on the new column under temporary names.
      auto& indexes = table.indexes;
      indexes.erase(std::remove_if(indexes.begin(), indexes.end(),
                                   [&](const Index& index) {
                                     bool uses_shadow = uses(index.include, shadow);
                                     for (const auto& key : index.keys) {
                                       uses_shadow = uses_shadow || key.column == shadow;
                                     }
                                     return uses_shadow && temporary(index.name);
                                   }),
                    indexes.end());
      auto& checks = table.check_constraints;
      checks.erase(std::remove_if(checks.begin(), checks.end(),
                                  [&](const CheckConstraint& check) {
                                    return temporary(check.name) &&
                                           check.expression.find(shadow) != std::string::npos;
                                  }),
                   checks.end());
      auto& fks = table.foreign_keys;
      fks.erase(std::remove_if(fks.begin(), fks.end(),
                               [&](const ForeignKey& fk) {
                                 return temporary(fk.name) && uses(fk.columns, shadow);
                               }),
                fks.end());
      rename_column_in_keys(table, from, to);
    }
  }
}

std::vector<CompatibilityView> compatibility_views(const Database& db) {
  std::vector<CompatibilityView> found;
  for (const auto& schema : db.schemas) {
    for (const auto& view : schema.views) {
      if (view.comment && starts_with(*view.comment, kCompatibilityViewComment)) {
        found.push_back({schema.name, view.name,
                         view.comment->substr(std::string(kCompatibilityViewComment).size())});
      }
    }
  }
  return found;
}

std::string describe(const CompatibilityView& view) {
  return "table \"" + view.schema + "." + view.table + "\" renamed from \"" + view.view +
         "\" (compatibility view \"" + view.view + "\"): contract pending";
}

void assume_contracted(Database& db, const CompatibilityView& view) {
  for (auto& schema : db.schemas) {
    if (schema.name != view.schema) continue;
    schema.views.erase(std::remove_if(schema.views.begin(), schema.views.end(),
                                      [&](const View& candidate) {
                                        return candidate.name == view.view;
                                      }),
                       schema.views.end());
  }
}

}  // namespace pgshift::schemas
