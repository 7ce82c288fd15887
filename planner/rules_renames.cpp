// Sequences, views and materialized views renamed by `renamed_from`
// (ALTER SEQUENCE / VIEW / MATERIALIZED VIEW ... RENAME TO).
//
// A renamed relation keeps its OID: column defaults calling nextval on a
// sequence, views over a view, privileges and comments follow it, and the
// catalog shows their texts with the new name at once. So before the other
// rules run, assume_relation_renames rewrites `current` as if every rename
// were done (the object under its new name, the facts keyed by it, the
// column defaults and view queries that name it, its privileges), and the
// other rules plan only what else changes; plan_relation_renames adds the
// rename steps, which come first (phase Prepare, no requirement) and provide
// the renamed object's tokens for the steps that use the new name.
#include <cctype>
#include <string>
#include <vector>

#include "planner/rules.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using plans::quote_qualified;
using schemas::ObjectKind;

namespace {

bool identifier_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) != 0 || c == '_' || c == '$' || byte >= 0x80;
}

// `text` with the regclass literals naming `schema`.`from` ('from'::regclass,
// 'schema.from'::regclass, quoted as the server quotes them) naming `to`.
std::string rename_regclass_literals(const std::string& text, const std::string& schema,
                                     const std::string& from, const std::string& to) {
  std::string result = text;
  const auto literal = [](const std::string& name) {
    std::string quoted = "'";
    for (const char c : name) quoted += c == '\'' ? std::string("''") : std::string(1, c);
    return quoted + "'::regclass";
  };
  for (const auto& [before, after] :
       {std::pair{literal(quote_ident(from)), literal(quote_ident(to))},
        std::pair{literal(quote_ident(schema) + "." + quote_ident(from)),
                  literal(quote_ident(schema) + "." + quote_ident(to))}}) {
    for (size_t at = result.find(before); at != std::string::npos;
         at = result.find(before, at + after.size())) {
      result.replace(at, before.size(), after);
    }
  }
  return result;
}

// `query` with the identifier `from` (bare or double-quoted, outside string
// literals, unqualified or qualified by `schema`) spelled `to`, as the
// server's pg_get_viewdef spells a query once the relation it names is
// renamed. A column of the same name is renamed too: then the texts differ
// and the view is only replaced in place (CREATE OR REPLACE), never wrong.
std::string rename_identifier(const std::string& query, const std::string& schema,
                              const std::string& from, const std::string& to) {
  std::string result;
  std::string previous;        // the previous identifier, when followed by "."
  bool after_dot = false;      // the previous token was "."
  std::string qualifier;       // the identifier before that "."
  size_t at = 0;
  while (at < query.size()) {
    const char c = query[at];
    if (c == '\'') {
      const size_t start = at++;
      while (at < query.size()) {
        if (query[at] == '\'' && at + 1 < query.size() && query[at + 1] == '\'') {
          at += 2;
        } else if (query[at++] == '\'') {
          break;
        }
      }
      result += query.substr(start, at - start);
      after_dot = false;
      previous.clear();
      continue;
    }
    if (c == '"' || identifier_char(c)) {
      const size_t start = at;
      std::string name;
      if (c == '"') {
        ++at;
        while (at < query.size()) {
          if (query[at] == '"' && at + 1 < query.size() && query[at + 1] == '"') {
            name += '"';
            at += 2;
          } else if (query[at] == '"') {
            ++at;
            break;
          } else {
            name += query[at++];
          }
        }
      } else {
        while (at < query.size() && identifier_char(query[at])) name += query[at++];
      }
      const bool qualified_elsewhere = after_dot && qualifier != schema;
      if (name == from && !qualified_elsewhere) {
        result += quote_ident(to);
      } else {
        result += query.substr(start, at - start);
      }
      previous = name;
      after_dot = false;
      continue;
    }
    if (c == '.') {
      qualifier = previous;
      after_dot = true;
      result += c;
      ++at;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      after_dot = false;
      previous.clear();
    }
    result += c;
    ++at;
  }
  return result;
}

template <typename T>
const T* find_renamed(const std::vector<T>& current, const std::vector<T>& desired,
                      const T& wanted) {
  if (!wanted.renamed_from || schemas::find_named(current, wanted.name) != nullptr ||
      schemas::find_named(desired, *wanted.renamed_from) != nullptr) {
    return nullptr;
  }
  return schemas::find_named(current, *wanted.renamed_from);
}

void rename_in_facts(schemas::CatalogFacts& facts, const RelationRename& rename) {
  const std::string from = rename.schema + "." + rename.from;
  const std::string to = rename.schema + "." + rename.to;
  const auto move_key = [&](auto& map) {
    auto found = map.find(from);
    if (found == map.end()) return;
    auto value = found->second;
    map.erase(found);
    map[to] = value;
  };
  move_key(facts.table_stats);
  move_key(facts.view_columns);
  move_key(facts.sequence_usage);
  const auto rename_id = [&](schemas::ObjectId& id) {
    if (id.schema != rename.schema) return;
    if (id.kind == rename.kind && id.table.empty() && id.name == rename.from) id.name = rename.to;
    // An index of a renamed materialized view names it as its table.
    if (id.table == rename.from && rename.kind == ObjectKind::MaterializedView) {
      id.table = rename.to;
    }
  };
  for (auto& dependency : facts.dependencies) {
    rename_id(dependency.dependent);
    rename_id(dependency.referenced);
  }
}

}  // namespace

std::vector<RelationRename> assume_relation_renames(schemas::Database& current,
                                                    const schemas::Database& desired) {
  std::vector<RelationRename> renames;
  for (auto& schema : current.schemas) {
    const schemas::Schema* wanted = schemas::find_named(desired.schemas, schema.name);
    if (wanted == nullptr) continue;
    for (const auto& sequence : wanted->sequences) {
      if (const auto* old = find_renamed(schema.sequences, wanted->sequences, sequence)) {
        renames.push_back({ObjectKind::Sequence, schema.name, old->name, sequence.name});
      }
    }
    for (const auto& view : wanted->views) {
      if (const auto* old = find_renamed(schema.views, wanted->views, view)) {
        renames.push_back({ObjectKind::View, schema.name, old->name, view.name});
      }
    }
    for (const auto& view : wanted->materialized_views) {
      if (const auto* old =
              find_renamed(schema.materialized_views, wanted->materialized_views, view)) {
        renames.push_back({ObjectKind::MaterializedView, schema.name, old->name, view.name});
      }
    }
  }
  for (const auto& rename : renames) {
    for (auto& schema : current.schemas) {
      if (schema.name == rename.schema) {
        const auto rename_named = [&rename](auto& items) {
          for (auto& item : items) {
            if (item.name == rename.from) item.name = rename.to;
          }
        };
        if (rename.kind == ObjectKind::Sequence) {
          rename_named(schema.sequences);
        } else if (rename.kind == ObjectKind::View) {
          rename_named(schema.views);
        } else {
          rename_named(schema.materialized_views);
        }
        for (auto& entry : schema.privileges) {
          if (entry.object.kind == rename.kind && entry.object.name == rename.from) {
            entry.object.name = rename.to;
          }
          // Column privileges of a view name it as their table.
          if (entry.object.kind == ObjectKind::Column && entry.object.table == rename.from &&
              rename.kind != ObjectKind::Sequence) {
            entry.object.table = rename.to;
          }
        }
      }
      // The texts that name it, as the catalog shows them once renamed.
      for (auto& table : schema.tables) {
        for (auto& column : table.columns) {
          if (column.default_expr && rename.kind == ObjectKind::Sequence) {
            column.default_expr =
                rename_regclass_literals(*column.default_expr, rename.schema, rename.from,
                                         rename.to);
          }
        }
      }
      const auto rename_in_query = [&rename](std::string& definition) {
        definition =
            rename.kind == ObjectKind::Sequence
                ? rename_regclass_literals(definition, rename.schema, rename.from, rename.to)
                : rename_identifier(definition, rename.schema, rename.from, rename.to);
      };
      for (auto& view : schema.views) rename_in_query(view.definition);
      for (auto& view : schema.materialized_views) rename_in_query(view.definition);
    }
    rename_in_facts(current.facts, rename);
  }
  schemas::canonicalize(current);
  return renames;
}

void plan_relation_renames(Builder& builder, const std::vector<RelationRename>& renames) {
  for (const auto& rename : renames) {
    const schemas::ObjectId id{rename.kind, rename.schema, "", rename.to};
    const std::string old_label = schemas::describe({rename.kind, rename.schema, "", rename.from});
    const char* keyword = rename.kind == ObjectKind::Sequence   ? "SEQUENCE "
                          : rename.kind == ObjectKind::View     ? "VIEW "
                                                                : "MATERIALIZED VIEW ";
    const Statement statement = rename.kind == ObjectKind::Sequence ? Statement::RenameSequence
                                : rename.kind == ObjectKind::View   ? Statement::RenameView
                                                                    : Statement::RenameMaterializedView;
    std::vector<std::string> provides = {"name:" + rename.schema + "." + rename.from};
    if (rename.kind == ObjectKind::Sequence) {
      provides.push_back("seq:" + rename.schema + "." + rename.to);
    } else {
      provides.push_back("view:" + rename.schema + "." + rename.to);
      provides.push_back(table_token(rename.schema, rename.to));
    }
    const size_t added = add_simple(builder, Phase::Prepare, id, "rename " + old_label + " to \"" + rename.to + "\"",
               std::string("renamed_from: a catalog change under ACCESS EXCLUSIVE; what uses it ") +
                   (rename.kind == ObjectKind::Sequence ? "(column defaults) "
                                                        : "(views, SQL-standard bodies) ") +
                   "follows by OID, what names the old name breaks",
               {{statement, "ALTER " + std::string(keyword) +
                                quote_qualified(rename.schema, rename.from) + " RENAME TO " +
                                quote_ident(rename.to)}},
               provides, {"schema:" + rename.schema}, {}, {},
               on_relation(rename.schema, rename.from));
    // Before the other steps on the object, which name it by its new name.
    builder.at(added).sequence = -1;
  }
}

}  // namespace pgshift::planner::detail
