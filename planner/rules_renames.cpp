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
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "planner/view_renames.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

// `spelled` (an identifier as SQL spells it) as a regclass literal, quoted
// as the server quotes it: 'name'::regclass.
std::string regclass_literal(const std::string& spelled) {
  std::string quoted = "'";
  for (const char c : spelled) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'::regclass";
}

// `text` with every `before` replaced by `after`.
void replace_all(std::string& text, const std::string& before, const std::string& after) {
  for (size_t at = text.find(before); at != std::string::npos;
       at = text.find(before, at + after.size())) {
    text.replace(at, before.size(), after);
  }
}

// An identifier of a query, as rewrite_identifiers meets it.
struct IdentifierToken {
  std::string name;            // unquoted
  std::string spelled;         // as written (quoted or bare)
  bool after_dot = false;      // the previous token was "."
  std::string qualifier;       // the identifier before that "."
  size_t qualifier_start = 0;  // where the qualifier starts in the output
  bool followed_by_dot = false;
  size_t end = 0;  // just past it in the query
};

// `query` with each identifier outside string literals (bare or
// double-quoted) replaced by what `rewrite(token, output)` appends to the
// output; everything else is copied as it is.
template <typename Rewrite>
std::string rewrite_identifiers(const std::string& query, Rewrite rewrite) {
  std::string result;
  std::string previous;       // the previous identifier, when followed by "."
  size_t previous_start = 0;  // where it starts in `result`
  IdentifierToken token;
  size_t at = 0;
  const auto followed_by_dot = [&query](size_t from_at) {
    while (from_at < query.size() && std::isspace(static_cast<unsigned char>(query[from_at]))) {
      ++from_at;
    }
    return from_at < query.size() && query[from_at] == '.';
  };
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
      token.after_dot = false;
      previous.clear();
      continue;
    }
    if (c == '"' || detail::identifier_char(c)) {
      const size_t start = at;
      token.name.clear();
      if (c == '"') {
        ++at;
        while (at < query.size()) {
          if (query[at] == '"' && at + 1 < query.size() && query[at + 1] == '"') {
            token.name += '"';
            at += 2;
          } else if (query[at] == '"') {
            ++at;
            break;
          } else {
            token.name += query[at++];
          }
        }
      } else {
        while (at < query.size() && detail::identifier_char(query[at])) token.name += query[at++];
      }
      token.spelled = query.substr(start, at - start);
      token.followed_by_dot = followed_by_dot(at);
      token.end = at;
      const size_t here = result.size();
      rewrite(token, result);
      previous = token.name;
      previous_start = here;
      token.after_dot = false;
      continue;
    }
    if (c == '.') {
      token.qualifier = previous;
      token.qualifier_start = previous_start;
      token.after_dot = true;
      result += c;
      ++at;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      token.after_dot = false;
      previous.clear();
    }
    result += c;
    ++at;
  }
  return result;
}

// `text` with the regclass literals naming `schema`.`from` ('from'::regclass,
// 'schema.from'::regclass, quoted as the server quotes them) naming `to`.
std::string rename_regclass_literals(const std::string& text, const std::string& schema,
                                     const std::string& from, const std::string& to) {
  std::string result = text;
  replace_all(result, regclass_literal(quote_ident(from)), regclass_literal(quote_ident(to)));
  replace_all(result, regclass_literal(quote_ident(schema) + "." + quote_ident(from)),
              regclass_literal(quote_ident(schema) + "." + quote_ident(to)));
  return result;
}

// `query` with the identifier `from` (bare or double-quoted, outside string
// literals, unqualified or qualified by `schema`) spelled `to`, as the
// server's pg_get_viewdef spells a query once the relation it names is
// renamed. A column of the same name is renamed too: then the texts differ
// and the view is only replaced in place (CREATE OR REPLACE), never wrong.
std::string rename_identifier(const std::string& query, const std::string& schema,
                              const std::string& from, const std::string& to) {
  return rewrite_identifiers(query, [&](const IdentifierToken& token, std::string& result) {
    const bool qualified_elsewhere = token.after_dot && token.qualifier != schema;
    result += token.name == from && !qualified_elsewhere ? quote_ident(to) : token.spelled;
  });
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
  const std::string from = rename.from_schema + "." + rename.from;
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
    if (id.schema != rename.from_schema) return;
    if (id.kind == rename.kind && id.table.empty() && id.name == rename.from) {
      id.schema = rename.schema;
      id.name = rename.to;
    }
    // An index of a renamed materialized view names it as its table.
    if (id.table == rename.from && rename.kind == ObjectKind::MaterializedView) {
      id.schema = rename.schema;
      id.table = rename.to;
    }
  };
  for (auto& dependency : facts.dependencies.rows()) {
    rename_id(dependency.dependent);
    rename_id(dependency.referenced);
  }
}


// `query` with the table `schema`.`from` (qualified, or bare when
// `bare_old`: its schema is on the reading session's search_path) spelled
// as pg_get_viewdef spells it once moved to `new_schema` and named `to`:
// qualified as a relation unless `bare_new`, bare as a column qualifier
// ("from.id" -> "to.id"). Texts in string literals are left alone.
std::string move_identifier(const std::string& query, const std::string& schema,
                            const std::string& from, const std::string& new_schema,
                            const std::string& to, bool bare_old, bool bare_new) {
  return rewrite_identifiers(query, [&](const IdentifierToken& token, std::string& result) {
    const std::string moved = token.followed_by_dot || bare_new ? quote_ident(to)
                                                                : quote_qualified(new_schema, to);
    if (token.name == from && token.after_dot && token.qualifier == schema) {
      result.resize(token.qualifier_start);
      result += moved;
    } else if (token.name == from && !token.after_dot && bare_old) {
      result += moved;
    } else {
      result += token.spelled;
    }
  });
}

// `text` with the regclass literals naming sequence `schema`.`name` (bare
// or qualified) naming `new_schema`.`new_name`, bare when `bare_new`.
std::string move_regclass_literals(const std::string& text, const std::string& schema,
                                   const std::string& name, const std::string& new_schema,
                                   const std::string& new_name, bool bare_new) {
  std::string result = text;
  const std::string after = regclass_literal(
      bare_new ? quote_ident(new_name) : quote_ident(new_schema) + "." + quote_ident(new_name));
  for (const auto& before : {regclass_literal(quote_ident(name)),
                             regclass_literal(quote_ident(schema) + "." + quote_ident(name))}) {
    if (before != after) replace_all(result, before, after);
  }
  return result;
}

// Every relation name of a schema: tables, views, sequences, indexes and
// the indexes of keys.
std::set<std::string> relation_names(const schemas::Schema& schema) {
  std::set<std::string> names;
  for (const auto& table : schema.tables) {
    names.insert(table.name);
    for (const auto& index : table.indexes) names.insert(index.name);
    if (table.primary_key) names.insert(table.primary_key->name);
    for (const auto& key : table.unique_constraints) names.insert(key.name);
    for (const auto& key : table.exclusion_constraints) names.insert(key.name);
  }
  for (const auto& view : schema.views) names.insert(view.name);
  for (const auto& view : schema.materialized_views) {
    names.insert(view.name);
    for (const auto& index : view.indexes) names.insert(index.name);
  }
  for (const auto& sequence : schema.sequences) names.insert(sequence.name);
  return names;
}

// The desired text of `candidates` (the spelling chosen when the desired
// side has it), else the first.
const std::string& spelled_as(const std::vector<std::string>& candidates,
                              const std::optional<std::string>& desired) {
  for (const auto& candidate : candidates) {
    if (desired && candidate == *desired) return candidate;
  }
  return candidates.front();
}

// The queries of the views and materialized views of `current` naming the
// relation `from_schema`.`from`, as pg_get_viewdef spells them once it is
// moved to `schema`.`to`: qualified by the new schema unless that is on the
// search path (spelled as `desired` spells the view, when it does).
void move_in_queries(schemas::Database& current, const schemas::Database& desired,
                     const std::string& from_schema, const std::string& from,
                     const std::string& schema_to, const std::string& to) {
  const auto& facts = current.facts;
  const auto depends_on_it = [&](ObjectKind kind, const std::string& schema,
                                 const std::string& name) {
    return std::any_of(
        facts.dependencies.begin(), facts.dependencies.end(),
        [&](const schemas::Dependency& dependency) {
          return dependency.dependent.kind == kind && dependency.dependent.schema == schema &&
                 dependency.dependent.name == name && dependency.referenced.schema == from_schema &&
                 dependency.referenced.name == from && dependency.referenced.table.empty();
        });
  };
  const bool no_facts = facts.dependencies.empty();
  for (auto& schema : current.schemas) {
    const schemas::Schema* wanted_schema = schemas::find_named(desired.schemas, schema.name);
    const auto rewrite = [&](auto& items, const auto* wanted_items, ObjectKind kind) {
      for (auto& view : items) {
        const bool bare_old = no_facts || depends_on_it(kind, schema.name, view.name);
        const auto* wanted =
            wanted_items != nullptr ? schemas::find_named(*wanted_items, view.name) : nullptr;
        view.definition = spelled_as(
            {move_identifier(view.definition, from_schema, from, schema_to, to, bare_old, false),
             move_identifier(view.definition, from_schema, from, schema_to, to, bare_old, true)},
            wanted != nullptr ? std::optional<std::string>(wanted->definition) : std::nullopt);
      }
    };
    rewrite(schema.views, wanted_schema ? &wanted_schema->views : nullptr, ObjectKind::View);
    rewrite(schema.materialized_views, wanted_schema ? &wanted_schema->materialized_views : nullptr,
            ObjectKind::MaterializedView);
  }
}

// Moves table `move.from_schema`.`move.from` of `current` as the server
// would (see assume_table_moves).
void move_in_current(schemas::Database& current, const schemas::Database& desired,
                     const TableMove& move) {
  schemas::Schema* from_schema = schemas::find_named(current.schemas, move.from_schema);
  schemas::Schema* to_schema = schemas::find_named(current.schemas, move.schema);
  auto found = std::find_if(from_schema->tables.begin(), from_schema->tables.end(),
                            [&move](const schemas::Table& table) { return table.name == move.from; });
  schemas::Table table = std::move(*found);
  from_schema->tables.erase(found);
  table.name = move.to;
  const std::string old_prefix = move.from_schema + "." + move.from + ".";
  const std::string new_prefix = move.schema + "." + move.to + ".";
  const schemas::Table* desired_table = schemas::find_table(desired, move.schema, move.to);
  // Owned sequences go with it; the defaults calling them name them there.
  for (const auto& sequence_name : move.sequences) {
    auto at = std::find_if(from_schema->sequences.begin(), from_schema->sequences.end(),
                           [&](const schemas::Sequence& item) { return item.name == sequence_name; });
    schemas::Sequence sequence = std::move(*at);
    from_schema->sequences.erase(at);
    if (sequence.owned_by && sequence.owned_by->rfind(old_prefix, 0) == 0) {
      sequence.owned_by = new_prefix + sequence.owned_by->substr(old_prefix.size());
    }
    to_schema->sequences.push_back(std::move(sequence));
    for (auto& column : table.columns) {
      if (!column.default_expr) continue;
      const schemas::Column* wanted =
          desired_table != nullptr ? schemas::find_named(desired_table->columns, column.name)
                                   : nullptr;
      column.default_expr =
          spelled_as({move_regclass_literals(*column.default_expr, move.from_schema, sequence_name,
                                             move.schema, sequence_name, false),
                      move_regclass_literals(*column.default_expr, move.from_schema, sequence_name,
                                             move.schema, sequence_name, true)},
                     wanted != nullptr ? wanted->default_expr : std::nullopt);
    }
  }
  to_schema->tables.push_back(std::move(table));
  const auto moved_table = [&move](std::string& schema, std::string& name) {
    if (schema == move.from_schema && name == move.from) {
      schema = move.schema;
      name = move.to;
    }
  };
  // Foreign keys to it and partitions of it name it by schema.
  for (auto& schema : current.schemas) {
    for (auto& table_item : schema.tables) {
      for (auto& fk : table_item.foreign_keys) moved_table(fk.ref_schema, fk.ref_table);
      if (table_item.partition_of) {
        moved_table(table_item.partition_of->parent_schema, table_item.partition_of->parent_table);
      }
    }
  }
  // Privileges of it, its columns and its sequences.
  const auto moves_privileges = [&move](const schemas::Privileges& entry) {
    const auto& object = entry.object;
    return (object.kind == ObjectKind::Table && object.name == move.from) ||
           (object.kind == ObjectKind::Column && object.table == move.from) ||
           (object.kind == ObjectKind::Sequence &&
            std::find(move.sequences.begin(), move.sequences.end(), object.name) !=
                move.sequences.end());
  };
  for (auto at = from_schema->privileges.begin(); at != from_schema->privileges.end();) {
    if (!moves_privileges(*at)) {
      ++at;
      continue;
    }
    schemas::Privileges entry = std::move(*at);
    at = from_schema->privileges.erase(at);
    entry.object.schema = move.schema;
    if (entry.object.kind == ObjectKind::Table) entry.object.name = move.to;
    if (entry.object.kind == ObjectKind::Column) entry.object.table = move.to;
    to_schema->privileges.push_back(std::move(entry));
  }
  // Views and materialized views over it.
  move_in_queries(current, desired, move.from_schema, move.from, move.schema, move.to);
  auto& facts = current.facts;
  // The facts, keyed by the new names.
  const std::string from_key = move.from_schema + "." + move.from;
  const std::string to_key = move.schema + "." + move.to;
  const auto move_key = [](auto& map, const std::string& from, const std::string& to) {
    auto at = map.find(from);
    if (at == map.end()) return;
    auto value = at->second;
    map.erase(at);
    map[to] = value;
  };
  move_key(facts.table_stats, from_key, to_key);
  for (const auto& sequence : move.sequences) {
    move_key(facts.sequence_usage, move.from_schema + "." + sequence,
             move.schema + "." + sequence);
  }
  const auto rekey_columns = [&](auto& keys) {
    std::vector<std::pair<std::string, std::string>> changes;
    for (const auto& entry : keys) {
      std::string key;
      if constexpr (std::is_same_v<std::decay_t<decltype(entry)>, std::string>) {
        key = entry;
      } else {
        key = entry.first;
      }
      if (key.rfind(old_prefix, 0) == 0) {
        changes.emplace_back(key, new_prefix + key.substr(old_prefix.size()));
      }
    }
    return changes;
  };
  for (const auto& [from, to] : rekey_columns(facts.volatile_defaults)) {
    facts.volatile_defaults.erase(from);
    facts.volatile_defaults.insert(to);
  }
  for (const auto& [from, to] : rekey_columns(facts.column_default_storage)) {
    move_key(facts.column_default_storage, from, to);
  }
  const auto move_id = [&move](schemas::ObjectId& id) {
    if (id.schema != move.from_schema) return;
    if (id.table.empty() && id.name == move.from &&
        (id.kind == ObjectKind::Table || id.kind == ObjectKind::Column)) {
      id.schema = move.schema;
      id.name = move.to;
    } else if (id.table == move.from) {
      id.schema = move.schema;
      id.table = move.to;
    } else if (id.kind == ObjectKind::Sequence && id.table.empty() &&
               std::find(move.sequences.begin(), move.sequences.end(), id.name) !=
                   move.sequences.end()) {
      id.schema = move.schema;
    }
  };
  for (auto& dependency : facts.dependencies.rows()) {
    move_id(dependency.dependent);
    move_id(dependency.referenced);
  }
}

}  // namespace

namespace {

// The items of `kind` (Sequence, View or MaterializedView) of `schema`.
template <typename Schema, typename Visit>
void with_relations(Schema& schema, ObjectKind kind, Visit visit) {
  if (kind == ObjectKind::Sequence) {
    visit(schema.sequences);
  } else if (kind == ObjectKind::View) {
    visit(schema.views);
  } else {
    visit(schema.materialized_views);
  }
}

template <typename T>
bool has_named(const std::vector<T>& items, const std::string& name) {
  return schemas::find_named(items, name) != nullptr;
}

// The rename or move `item`'s hint asks for (see assume_relation_renames),
// checked against `current`; nullopt when there is none to make now.
template <typename T>
std::optional<RelationRename> hinted_rename(schemas::Database& current,
                                            const schemas::Database& desired,
                                            const schemas::Schema& wanted, ObjectKind kind,
                                            const T& item,
                                            std::vector<plans::Diagnostic>& diagnostics) {
  if (!item.renamed_from) return std::nullopt;
  const auto qualified = split_qualified(*item.renamed_from);
  RelationRename rename{kind, wanted.name, qualified ? qualified->second : *item.renamed_from,
                        item.name, qualified ? qualified->first : wanted.name};
  const auto holds = [&](const schemas::Database& model, const std::string& schema,
                         const std::string& name) {
    const schemas::Schema* found = schemas::find_named(model.schemas, schema);
    bool held = false;
    if (found != nullptr) {
      with_relations(*found, kind, [&](const auto& items) { held = has_named(items, name); });
    }
    return held;
  };
  // Done already, nothing under the old name (planner.cpp's check says why),
  // or the old one is kept too.
  if (holds(current, rename.schema, rename.to) ||
      !holds(current, rename.from_schema, rename.from) ||
      holds(desired, rename.from_schema, rename.from)) {
    return std::nullopt;
  }
  if (!rename.moves()) return rename;
  const schemas::ObjectId id{kind, wanted.name, "", item.name};
  const std::string what = schemas::describe({kind, rename.from_schema, "", rename.from});
  const schemas::Schema& from_schema = *schemas::find_named(current.schemas, rename.from_schema);
  if (kind == ObjectKind::Sequence) {
    const auto& sequence = *schemas::find_named(from_schema.sequences, rename.from);
    if (sequence.owned_by) {
      diagnostics.push_back(
          {plans::Severity::Error, id,
           "renamed_from \"" + schemas::printable(*item.renamed_from) + "\" moves " + what +
               ", which column \"" + schemas::printable(*sequence.owned_by) +
               "\" owns: it moves only with its table (put renamed_from on the table)"});
      return std::nullopt;
    }
  }
  if (kind == ObjectKind::MaterializedView) {
    for (const auto& index :
         schemas::find_named(from_schema.materialized_views, rename.from)->indexes) {
      rename.relations.push_back(index.name);
    }
  }
  const schemas::Schema* to_schema = schemas::find_named(current.schemas, rename.schema);
  const std::set<std::string> taken =
      to_schema != nullptr ? relation_names(*to_schema) : std::set<std::string>{};
  std::vector<std::string> clashes;
  for (const auto& name : rename.relations) {
    if (taken.count(name) != 0) clashes.push_back(name);
  }
  if (taken.count(rename.to) != 0) clashes.push_back(rename.to);
  rename.rename_first = rename.from != rename.to && taken.count(rename.from) != 0;
  if (rename.rename_first && relation_names(from_schema).count(rename.to) != 0) {
    clashes.push_back(rename.from);
  }
  if (!clashes.empty()) {
    std::string names;
    for (const auto& name : clashes) {
      names += (names.empty() ? "\"" : ", \"") + schemas::printable(name) + "\"";
    }
    diagnostics.push_back({plans::Severity::Error, id,
                           "cannot move " + what + " to schema \"" +
                               schemas::printable(rename.schema) + "\": " + names +
                               (clashes.size() == 1 ? " is" : " are") +
                               " taken there by another relation (a materialized view's indexes "
                               "move with it and keep their names); rename it first"});
    return std::nullopt;
  }
  return rename;
}

// `current` as if `rename` were done: the object, its privileges, the
// defaults and queries naming it, the facts.
void apply_relation_rename(schemas::Database& current, const schemas::Database& desired,
                           RelationRename& rename, std::set<std::string>& created_schemas) {
  if (schemas::find_named(current.schemas, rename.schema) == nullptr) {
    schemas::Schema created;
    created.name = rename.schema;
    current.schemas.push_back(std::move(created));
    rename.creates_schema = created_schemas.insert(rename.schema).second;
  }
  schemas::Schema& from_schema = *schemas::find_named(current.schemas, rename.from_schema);
  schemas::Schema& to_schema = *schemas::find_named(current.schemas, rename.schema);
  const auto relocate = [&rename](auto& items, auto& into) {
    const auto at = std::find_if(items.begin(), items.end(),
                                 [&](const auto& item) { return item.name == rename.from; });
    auto moved = std::move(*at);
    items.erase(at);
    moved.name = rename.to;
    into.push_back(std::move(moved));
  };
  if (rename.kind == ObjectKind::Sequence) {
    relocate(from_schema.sequences, to_schema.sequences);
  } else if (rename.kind == ObjectKind::View) {
    relocate(from_schema.views, to_schema.views);
  } else {
    relocate(from_schema.materialized_views, to_schema.materialized_views);
  }
  for (auto at = from_schema.privileges.begin(); at != from_schema.privileges.end();) {
    auto& object = at->object;
    const bool named = object.kind == rename.kind && object.name == rename.from;
    // Column privileges of a view name it as their table.
    const bool column = object.kind == ObjectKind::Column && object.table == rename.from &&
                        rename.kind != ObjectKind::Sequence;
    if (!named && !column) {
      ++at;
      continue;
    }
    (named ? object.name : object.table) = rename.to;
    object.schema = rename.schema;
    if (!rename.moves()) {
      ++at;
      continue;
    }
    to_schema.privileges.push_back(std::move(*at));
    at = from_schema.privileges.erase(at);
  }
  // The texts that name it, as the catalog shows them once renamed or moved
  // (spelled as the desired state spells them, where a move leaves a choice).
  for (auto& schema : current.schemas) {
    const schemas::Schema* wanted_schema = schemas::find_named(desired.schemas, schema.name);
    if (rename.kind == ObjectKind::Sequence) {
      for (auto& table : schema.tables) {
        const schemas::Table* wanted_table =
            wanted_schema != nullptr ? schemas::find_named(wanted_schema->tables, table.name)
                                     : nullptr;
        for (auto& column : table.columns) {
          if (!column.default_expr) continue;
          if (!rename.moves()) {
            column.default_expr = rename_regclass_literals(*column.default_expr, rename.schema,
                                                           rename.from, rename.to);
            continue;
          }
          const schemas::Column* wanted =
              wanted_table != nullptr ? schemas::find_named(wanted_table->columns, column.name)
                                      : nullptr;
          column.default_expr =
              spelled_as({move_regclass_literals(*column.default_expr, rename.from_schema,
                                                 rename.from, rename.schema, rename.to, false),
                          move_regclass_literals(*column.default_expr, rename.from_schema,
                                                 rename.from, rename.schema, rename.to, true)},
                         wanted != nullptr ? wanted->default_expr : std::nullopt);
        }
      }
    }
    const auto rename_in_query = [&](std::string& definition, const auto* wanted_items,
                                     const std::string& name) {
      if (rename.kind != ObjectKind::Sequence) {
        if (!rename.moves()) {
          definition = rename_identifier(definition, rename.schema, rename.from, rename.to);
        }
        return;  // a move: move_in_queries below
      }
      if (!rename.moves()) {
        definition = rename_regclass_literals(definition, rename.schema, rename.from, rename.to);
        return;
      }
      const auto* wanted =
          wanted_items != nullptr ? schemas::find_named(*wanted_items, name) : nullptr;
      definition = spelled_as(
          {move_regclass_literals(definition, rename.from_schema, rename.from, rename.schema,
                                  rename.to, false),
           move_regclass_literals(definition, rename.from_schema, rename.from, rename.schema,
                                  rename.to, true)},
          wanted != nullptr ? std::optional<std::string>(wanted->definition) : std::nullopt);
    };
    for (auto& view : schema.views) {
      rename_in_query(view.definition, wanted_schema ? &wanted_schema->views : nullptr, view.name);
    }
    for (auto& view : schema.materialized_views) {
      rename_in_query(view.definition, wanted_schema ? &wanted_schema->materialized_views : nullptr,
                      view.name);
    }
  }
  if (rename.moves() && rename.kind != ObjectKind::Sequence) {
    move_in_queries(current, desired, rename.from_schema, rename.from, rename.schema, rename.to);
  }
  rename_in_facts(current.facts, rename);
}

}  // namespace

std::vector<RelationRename> assume_relation_renames(schemas::Database& current,
                                                    const schemas::Database& desired,
                                                    std::vector<plans::Diagnostic>& diagnostics) {
  std::vector<RelationRename> renames;
  for (const auto& wanted : desired.schemas) {
    for (const ObjectKind kind :
         {ObjectKind::Sequence, ObjectKind::View, ObjectKind::MaterializedView}) {
      with_relations(wanted, kind, [&](const auto& items) {
        for (const auto& item : items) {
          if (auto rename = hinted_rename(current, desired, wanted, kind, item, diagnostics)) {
            renames.push_back(std::move(*rename));
          }
        }
      });
    }
  }
  std::set<std::string> created_schemas;
  for (auto& rename : renames) apply_relation_rename(current, desired, rename, created_schemas);
  schemas::canonicalize(current);
  return renames;
}

namespace {

// `text` (an expression the server deparsed on the table) with the column
// `from` spelled `to`: every identifier `from`, bare or quoted, outside
// string literals, unqualified or qualified by the table's name (or NEW and
// OLD), that is not a function's name (followed by "("). The server's deparse after
// RENAME COLUMN spells it so.
std::string rename_column_in(const std::string& text, const std::string& table,
                             const std::string& from, const std::string& to) {
  return rewrite_identifiers(text, [&](const IdentifierToken& token, std::string& out) {
    size_t after = token.end;
    while (after < text.size() && std::isspace(static_cast<unsigned char>(text[after])) != 0) {
      ++after;
    }
    const bool called = after < text.size() && text[after] == '(';
    // A trigger's WHEN names the row as NEW and OLD.
    const bool other_qualifier = token.after_dot && token.qualifier != table &&
                                 token.qualifier != "new" && token.qualifier != "old";
    out += token.name == from && !called && !other_qualifier && !token.followed_by_dot
               ? quote_ident(to)
               : token.spelled;
  });
}

void rename_in(std::vector<std::string>& names, const std::string& from, const std::string& to) {
  for (auto& name : names) {
    if (name == from) name = to;
  }
}

// `text` (std::optional<std::string> or schemas::OptionalText), when set,
// with column `from` of `table` renamed to `to`.
template <typename Text>
void rename_in(Text& text, const std::string& table, const std::string& from,
               const std::string& to) {
  if (text) *text = rename_column_in(*text, table, from, to);
}

// The current table's members and the references to its column, as the
// catalog shows them after ALTER TABLE ... RENAME COLUMN.
void apply_column_rename(schemas::Database& current, schemas::Schema& schema,
                         schemas::Table& table, const ColumnRename& rename) {
  const std::string& from = rename.from;
  const std::string& to = rename.to;
  const std::string& name = table.name;
  for (auto& column : table.columns) {
    if (column.name == from) column.name = to;
    rename_in(column.generated, name, from, to);
  }
  schemas::rename_column_in_keys(table, from, to);
  for (auto& check : table.check_constraints) {
    check.expression = rename_column_in(check.expression, name, from, to);
  }
  for (auto& exclusion : table.exclusion_constraints) {
    for (auto& element : exclusion.elements) element = rename_column_in(element, name, from, to);
    rename_in(exclusion.include, from, to);
    rename_in(exclusion.where, name, from, to);
  }
  for (auto& index : table.indexes) {
    for (auto& key : index.keys) rename_in(key.expression, name, from, to);
    rename_in(index.where, name, from, to);
  }
  for (auto& trigger : table.triggers) {
    rename_in(trigger.update_of, from, to);
    rename_in(trigger.when, name, from, to);
  }
  for (auto& policy : table.policies) {
    rename_in(policy.using_expr, name, from, to);
    rename_in(policy.with_check, name, from, to);
  }
  if (table.partition_by) {
    table.partition_by->key = rename_column_in(table.partition_by->key, name, from, to);
  }
  for (auto& other_schema : current.schemas) {
    for (auto& other : other_schema.tables) {
      for (auto& fk : other.foreign_keys) {
        if (fk.ref_schema == schema.name && fk.ref_table == name) rename_in(fk.ref_columns, from, to);
      }
    }
  }
  for (auto& entry : schema.privileges) {
    if (entry.object.kind == ObjectKind::Column && entry.object.table == name &&
        entry.object.name == from) {
      entry.object.name = to;
    }
  }
  auto& facts = current.facts;
  const std::string old_key = schema.name + "." + name + "." + from;
  const std::string new_key = schema.name + "." + name + "." + to;
  if (facts.volatile_defaults.erase(old_key) != 0) facts.volatile_defaults.insert(new_key);
  const auto rekey = [&](auto& map) {
    const auto found = map.find(old_key);
    if (found == map.end()) return;
    auto value = found->second;
    map.erase(found);
    map[new_key] = value;
  };
  rekey(facts.identity_usage);
  rekey(facts.column_default_storage);
  for (auto& dependency : facts.dependencies.rows()) {
    if (dependency.referenced.schema == schema.name && dependency.referenced.name == name &&
        dependency.referenced_column == from) {
      dependency.referenced_column = to;
    }
  }
}

// The views and materialized views the catalog records as reading column
// `from` of `schema`.`table` (pg_depend), as the server shows them once it
// is renamed `to`; one whose text cannot be followed exactly is left as
// read (and then replaced in place by the view rules).
void rename_column_in_views(schemas::Database& current, const std::string& schema,
                            const std::string& table, const std::string& from,
                            const std::string& to) {
  std::set<std::pair<std::string, std::string>> readers;
  for (const auto& dependency : current.facts.dependencies) {
    const auto kind = dependency.dependent.kind;
    if ((kind == ObjectKind::View || kind == ObjectKind::MaterializedView) &&
        dependency.referenced.kind == ObjectKind::Table &&
        dependency.referenced.schema == schema && dependency.referenced.name == table &&
        dependency.referenced_column == from) {
      readers.insert({dependency.dependent.schema, dependency.dependent.name});
    }
  }
  if (readers.empty()) return;
  size_t named_so = 0;
  for (const auto& other : current.schemas) {
    named_so += schemas::find_named(other.tables, table) != nullptr;
    named_so += schemas::find_named(other.views, table) != nullptr;
    named_so += schemas::find_named(other.materialized_views, table) != nullptr;
  }
  const auto rewrite = [&](std::string& definition) {
    if (auto renamed = rename_column_in_view(definition, schema, table, from, to, named_so == 1)) {
      definition = std::move(*renamed);
    }
  };
  for (auto& view_schema : current.schemas) {
    for (auto& view : view_schema.views) {
      if (readers.count({view_schema.name, view.name}) != 0) rewrite(view.definition);
    }
    for (auto& view : view_schema.materialized_views) {
      if (readers.count({view_schema.name, view.name}) != 0) rewrite(view.definition);
    }
  }
}

// The partitions of `parent` (and theirs) as the server leaves them: it
// renames their column with the parent's (a partition's own is refused).
void apply_column_rename_to_partitions(schemas::Database& current, const std::string& schema,
                                       const std::string& parent, const std::string& from,
                                       const std::string& to) {
  for (auto& partition_schema : current.schemas) {
    for (auto& partition : partition_schema.tables) {
      const auto& of = partition.partition_of;
      if (!of || of->parent_schema != schema || of->parent_table != parent ||
          schemas::find_named(partition.columns, from) == nullptr) {
        continue;
      }
      apply_column_rename(current, partition_schema, partition,
                          {partition_schema.name, partition.name, from, to});
      if (partition.partition_by) {
        apply_column_rename_to_partitions(current, partition_schema.name, partition.name, from,
                                          to);
      }
    }
  }
}

}  // namespace

std::vector<ColumnRename> assume_column_renames(schemas::Database& current,
                                                const schemas::Database& desired) {
  std::vector<ColumnRename> renames;
  for (const auto& wanted_schema : desired.schemas) {
    auto* schema = schemas::find_named(current.schemas, wanted_schema.name);
    if (schema == nullptr) continue;
    for (const auto& wanted : wanted_schema.tables) {
      auto* table = schemas::find_named(schema->tables, wanted.name);
      if (table == nullptr && wanted.renamed_from) {
        table = schemas::find_named(schema->tables, *wanted.renamed_from);
      }
      // A partition's column is renamed by its parent's RENAME COLUMN (the
      // server recurses), never alone; partitioning that changes is left to
      // the column rules.
      if (table == nullptr || table->partition_of || wanted.partition_of ||
          table->partition_by.has_value() != wanted.partition_by.has_value() ||
          wanted.expand_contract) {
        continue;
      }
      for (const auto& column : wanted.columns) {
        // (A desired table that keeps the old column too is refused by
        // check_rename_hints.)
        if (!column.renamed_from || column.expand_contract ||
            schemas::find_named(wanted.columns, *column.renamed_from) != nullptr ||
            schemas::find_named(table->columns, column.name) != nullptr ||
            schemas::find_named(table->columns, *column.renamed_from) == nullptr) {
          continue;
        }
        ColumnRename rename{wanted_schema.name, wanted.name, *column.renamed_from, column.name};
        rename_column_in_views(current, schema->name, table->name, rename.from, rename.to);
        apply_column_rename(current, *schema, *table, rename);
        if (table->partition_by) {
          apply_column_rename_to_partitions(current, schema->name, table->name, rename.from,
                                            rename.to);
        }
        renames.push_back(std::move(rename));
      }
    }
  }
  if (!renames.empty()) schemas::canonicalize(current);
  return renames;
}

namespace {

// For each constraint of `desired` with no renamed_from and a name
// `current` lacks, the constraint of `current` under a name `desired` lacks
// (and no other renamed_from claims) whose definition is the same but for
// its name and comment: its renamed_from. The definitions already see the
// table's renamed columns under their new names (assume_column_renames).
template <typename Constraint>
void follow_renamed_names(const std::vector<Constraint>& current,
                          std::vector<Constraint>& desired) {
  for (auto& wanted : desired) {
    if (wanted.renamed_from || schemas::find_named(current, wanted.name) != nullptr) continue;
    for (const auto& was : current) {
      if (schemas::find_named(desired, was.name) != nullptr ||
          std::any_of(desired.begin(), desired.end(),
                      [&was](const Constraint& other) { return other.renamed_from == was.name; })) {
        continue;
      }
      Constraint same = was;
      same.name = wanted.name;
      same.comment = wanted.comment;
      if (same == wanted) {
        wanted.renamed_from = was.name;
        break;
      }
    }
  }
}

}  // namespace

void assume_constraint_renames(const schemas::Database& current, schemas::Database& desired,
                               const std::vector<ColumnRename>& column_renames) {
  for (const auto& rename : column_renames) {
    auto* wanted_schema = schemas::find_named(desired.schemas, rename.schema);
    const auto* schema = schemas::find_named(current.schemas, rename.schema);
    if (wanted_schema == nullptr || schema == nullptr) continue;
    auto* wanted = schemas::find_named(wanted_schema->tables, rename.table);
    if (wanted == nullptr) continue;
    const auto* table = schemas::find_named(schema->tables, rename.table);
    if (table == nullptr && wanted->renamed_from) {
      table = schemas::find_named(schema->tables, *wanted->renamed_from);
    }
    if (table == nullptr) continue;
    follow_renamed_names(table->unique_constraints, wanted->unique_constraints);
    follow_renamed_names(table->check_constraints, wanted->check_constraints);
    follow_renamed_names(table->foreign_keys, wanted->foreign_keys);
    follow_renamed_names(table->exclusion_constraints, wanted->exclusion_constraints);
  }
}

// CREATE SCHEMA for a move into a schema the plan creates.
void plan_created_schema(Builder& builder, const std::string& schema) {
  add_simple(builder, Phase::Prepare, {ObjectKind::Schema, "", "", schema},
             "create " + schemas::describe({ObjectKind::Schema, "", "", schema}), "a new schema",
             {{Statement::CreateSchema, "CREATE SCHEMA " + quote_ident(schema)}},
             {"schema:" + schema});
}

void plan_relation_renames(Builder& builder, const std::vector<RelationRename>& renames) {
  for (const auto& rename : renames) {
    if (rename.creates_schema) plan_created_schema(builder, rename.schema);
    const schemas::ObjectId id{rename.kind, rename.schema, "", rename.to};
    const std::string old_label =
        schemas::describe({rename.kind, rename.from_schema, "", rename.from});
    const std::string alter = rename.kind == ObjectKind::Sequence ? "ALTER SEQUENCE "
                              : rename.kind == ObjectKind::View   ? "ALTER VIEW "
                                                                  : "ALTER MATERIALIZED VIEW ";
    const Statement rename_statement =
        rename.kind == ObjectKind::Sequence ? Statement::RenameSequence
        : rename.kind == ObjectKind::View   ? Statement::RenameView
                                            : Statement::RenameMaterializedView;
    const Statement move_statement =
        rename.kind == ObjectKind::Sequence ? Statement::SetSequenceSchema
        : rename.kind == ObjectKind::View   ? Statement::SetViewSchema
                                            : Statement::SetMaterializedViewSchema;
    const auto rename_sql = [&](const std::string& schema) {
      return Sql{rename_statement, alter + quote_qualified(schema, rename.from) + " RENAME TO " +
                                       quote_ident(rename.to)};
    };
    std::vector<Sql> statements;
    const bool renamed = rename.from != rename.to;
    if (!rename.moves()) {
      statements.push_back(rename_sql(rename.schema));
    } else if (rename.rename_first) {
      statements.push_back(rename_sql(rename.from_schema));
      statements.push_back({move_statement, alter + quote_qualified(rename.from_schema, rename.to) +
                                                " SET SCHEMA " + quote_ident(rename.schema)});
    } else {
      statements.push_back({move_statement, alter +
                                                quote_qualified(rename.from_schema, rename.from) +
                                                " SET SCHEMA " + quote_ident(rename.schema)});
      if (renamed) statements.push_back(rename_sql(rename.schema));
    }
    std::vector<std::string> provides = {"name:" + rename.from_schema + "." + rename.from};
    for (const auto& name : rename.relations) {
      provides.push_back("name:" + rename.from_schema + "." + name);
    }
    if (rename.kind == ObjectKind::Sequence) {
      provides.push_back("seq:" + rename.schema + "." + rename.to);
    } else {
      provides.push_back("view:" + rename.schema + "." + rename.to);
      provides.push_back(table_token(rename.schema, rename.to));
    }
    std::vector<std::string> requires_ = {"schema:" + rename.schema};
    std::vector<std::string> releases;
    if (rename.moves()) {
      requires_.push_back("name:" + rename.schema + "." + rename.to);
      releases.push_back("schema:" + rename.from_schema);
    }
    std::string summary;
    if (rename.moves()) {
      summary = "move " + old_label + " to schema \"" + rename.schema + "\"";
      if (renamed) summary += " as \"" + rename.to + "\"";
    } else {
      summary = "rename " + old_label + " to \"" + rename.to + "\"";
    }
    const std::string uses = rename.kind == ObjectKind::Sequence ? "(column defaults) "
                                                                 : "(views, SQL-standard bodies) ";
    const std::string rationale =
        rename.moves()
            ? "renamed_from names another schema: SET SCHEMA is a catalog change under ACCESS "
              "EXCLUSIVE" +
                  std::string(rename.kind == ObjectKind::MaterializedView
                                  ? "; its indexes move with it"
                                  : "") +
                  "; what uses it " + uses +
                  "follows by OID, what names the old qualified name "
                  "breaks"
            : "renamed_from: a catalog change under ACCESS EXCLUSIVE; what uses it " + uses +
                  "follows by OID, what names the old name breaks";
    const size_t added =
        add_simple(builder, Phase::Prepare, id, summary, rationale, statements, provides, requires_,
                   {}, releases, on_relation(rename.from_schema, rename.from));
    // Before the other steps on the object, which name it by its new name.
    builder.at(added).sequence = -1;
  }
}

std::optional<std::pair<std::string, std::string>> split_qualified(const std::string& name) {
  const size_t dot = name.find('.');
  if (dot == std::string::npos) return std::nullopt;
  return std::pair{name.substr(0, dot), name.substr(dot + 1)};
}

std::vector<TableMove> assume_table_moves(schemas::Database& current, schemas::Database& desired,
                                          std::vector<plans::Diagnostic>& diagnostics) {
  std::vector<TableMove> moves;
  std::set<std::string> created_schemas;
  for (auto& desired_schema : desired.schemas) {
    for (auto& table : desired_schema.tables) {
      if (!table.renamed_from) continue;
      const auto qualified = split_qualified(*table.renamed_from);
      if (!qualified) continue;
      const auto& [old_schema, old_name] = *qualified;
      const schemas::ObjectId id{ObjectKind::Table, desired_schema.name, "", table.name};
      if (old_schema == desired_schema.name) {
        // Qualified by its own schema: an in-place rename.
        table.renamed_from = old_name;
        continue;
      }
      if (schemas::find_table(current, desired_schema.name, table.name) != nullptr) {
        // Moved already: the hint left in place plans nothing.
        table.renamed_from.reset();
        continue;
      }
      const schemas::Table* old_table = schemas::find_table(current, old_schema, old_name);
      if (old_table == nullptr || schemas::find_table(desired, old_schema, old_name) != nullptr) {
        continue;  // planner.cpp's check of rename hints says why
      }
      const std::string what = "table \"" + schemas::printable(old_schema) + "." +
                               schemas::printable(old_name) + "\"";
      if (table.expand_contract) {
        diagnostics.push_back(
            {plans::Severity::Error, id,
             "renamed_from \"" + schemas::printable(*table.renamed_from) +
                 "\" moves " + what +
                 " to another schema, which expand and contract does not do (a compatibility "
                 "view under the old name is not planned across schemas): remove "
                 "expand_contract to move it with ALTER TABLE ... SET SCHEMA"});
        continue;
      }
      TableMove move{old_schema, old_name, desired_schema.name, table.name, false, false, {}, {}};
      const schemas::Schema* from_schema = schemas::find_schema(current, old_schema);
      for (const auto& sequence : from_schema->sequences) {
        if (sequence.owned_by &&
            sequence.owned_by->rfind(old_schema + "." + old_name + ".", 0) == 0) {
          move.sequences.push_back(sequence.name);
        }
      }
      schemas::Schema solo;
      solo.tables.push_back(*old_table);
      for (const auto& name : relation_names(solo)) {
        if (name != old_name) move.relations.push_back(name);
      }
      move.relations.insert(move.relations.end(), move.sequences.begin(), move.sequences.end());
      const schemas::Schema* to_schema = schemas::find_schema(current, desired_schema.name);
      const std::set<std::string> taken =
          to_schema != nullptr ? relation_names(*to_schema) : std::set<std::string>{};
      const std::set<std::string> taken_here = relation_names(*from_schema);
      std::vector<std::string> clashes;
      for (const auto& name : move.relations) {
        if (taken.count(name) != 0) clashes.push_back(name);
      }
      move.rename_first = old_name != table.name && taken.count(old_name) != 0;
      if (move.rename_first && taken_here.count(table.name) != 0) clashes.push_back(old_name);
      if (!clashes.empty()) {
        std::string names;
        for (const auto& name : clashes) {
          names += (names.empty() ? "\"" : ", \"") + schemas::printable(name) + "\"";
        }
        diagnostics.push_back(
            {plans::Severity::Error, id,
             "cannot move " + what + " to schema \"" + schemas::printable(desired_schema.name) +
                 "\": " + names +
                 (clashes.size() == 1 ? " is" : " are") +
                 " taken there by another relation (an index, key or owned sequence moves with "
                 "its table and keeps its name); rename it first"});
        continue;
      }
      if (to_schema == nullptr) {
        schemas::Schema created;
        created.name = desired_schema.name;
        current.schemas.push_back(std::move(created));
        move.creates_schema = created_schemas.insert(desired_schema.name).second;
      }
      move_in_current(current, desired, move);
      table.renamed_from.reset();
      moves.push_back(std::move(move));
    }
  }
  schemas::canonicalize(current);
  return moves;
}

void plan_table_moves(Builder& builder, const std::vector<TableMove>& moves) {
  for (const auto& move : moves) {
    if (move.creates_schema) plan_created_schema(builder, move.schema);
    const ObjectId id{ObjectKind::Table, move.schema, "", move.to};
    const std::string old_label = label("table", move.from_schema, move.from);
    const bool renamed = move.from != move.to;
    std::vector<Sql> statements;
    const std::string set_schema = " SET SCHEMA " + quote_ident(move.schema);
    if (renamed && move.rename_first) {
      statements.push_back({Statement::RenameTable, "ALTER TABLE " +
                                                        quote_qualified(move.from_schema, move.from) +
                                                        " RENAME TO " + quote_ident(move.to)});
      statements.push_back({Statement::SetTableSchema,
                            "ALTER TABLE " + quote_qualified(move.from_schema, move.to) +
                                set_schema});
    } else {
      statements.push_back({Statement::SetTableSchema,
                            "ALTER TABLE " + quote_qualified(move.from_schema, move.from) +
                                set_schema});
      if (renamed) {
        statements.push_back({Statement::RenameTable, "ALTER TABLE " +
                                                          quote_qualified(move.schema, move.from) +
                                                          " RENAME TO " + quote_ident(move.to)});
      }
    }
    std::vector<std::string> provides = {table_token(move.schema, move.to),
                                         "name:" + move.from_schema + "." + move.from};
    // The names moving with it are free in the new schema (assume_table_moves
    // refuses a clash); a later step of the plan may free one of them there
    // (a key of the moved table renamed), so they are not required.
    std::vector<std::string> requires_ = {"schema:" + move.schema,
                                          "name:" + move.schema + "." + move.to};
    for (const auto& name : move.relations) {
      provides.push_back("name:" + move.from_schema + "." + name);
    }
    for (const auto& sequence : move.sequences) {
      provides.push_back("seq:" + move.schema + "." + sequence);
      provides.push_back(table_token(move.schema, sequence));
    }
    if (const auto* table = schemas::find_table(builder.current(), move.schema, move.to)) {
      for (const auto& column : table->columns) {
        provides.push_back(column_token(move.schema, move.to, column.name));
      }
    }
    std::string summary = "move " + old_label + " to schema \"" + move.schema + "\"";
    if (renamed) summary += " as \"" + move.to + "\"";
    const size_t added = add_simple(
        builder, Phase::Prepare, id, summary,
        "renamed_from names another schema: SET SCHEMA is a catalog change under ACCESS "
        "EXCLUSIVE; its indexes, constraints, triggers and owned sequences move with it, views "
        "over it follow by OID, what names the old qualified name breaks",
        statements, provides, requires_, {}, {"schema:" + move.from_schema},
        on_relation(move.from_schema, move.from));
    // Before the other steps on the table, which name it by its new name.
    builder.at(added).sequence = -1;
  }
}

namespace {

// One renamed label as the server spells it in an expression: the old
// constant ('closed'::ticket_state, or qualified by its schema) and the new.
struct LabelSpelling {
  std::string from;
  std::string to;
};

// Replaces in `text` each occurrence of a spelling's `from` that `whole`
// accepts (given the characters before and after it, ' ' at either end), all
// spellings at once: in one pass, so that 'a' -> 'b' and 'b' -> 'a' swap.
template <typename Whole>
void replace_spellings(std::string& text, const std::vector<LabelSpelling>& spellings,
                       const Whole& whole) {
  std::string out;
  size_t copied = 0;
  for (size_t at = 0; at < text.size();) {
    const LabelSpelling* match = nullptr;
    for (const auto& spelling : spellings) {
      const size_t end = at + spelling.from.size();
      if (text.compare(at, spelling.from.size(), spelling.from) == 0 &&
          whole(at == 0 ? ' ' : text[at - 1], end < text.size() ? text[end] : ' ')) {
        match = &spelling;
        break;
      }
    }
    if (match == nullptr) {
      ++at;
      continue;
    }
    out.append(text, copied, at - copied);
    out += match->to;
    at += match->from.size();
    copied = at;
  }
  if (copied == 0) return;  // nothing replaced
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

// The labels an enum's renames give, and how its array constants end:
// '{open,closed}'::ticket_state[] names labels inside one literal.
struct ArrayLabels {
  std::vector<std::string> suffixes;         // "::ticket_state[]", "::public.ticket_state[]"
  std::map<std::string, std::string> renamed;  // old label -> new label
};

struct LabelRenames {
  std::vector<LabelSpelling> constants;  // 'closed'::ticket_state -> 'shut'::ticket_state
  std::vector<ArrayLabels> arrays;
};

bool array_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// An element as array_out writes it: double-quoted when empty, NULL in any
// case, or holding a brace, comma, quote, backslash or white space.
std::string array_element_out(const std::string& element) {
  bool quote = element.empty() || (element.size() == 4 && std::toupper(element[0]) == 'N' &&
                                   std::toupper(element[1]) == 'U' &&
                                   std::toupper(element[2]) == 'L' &&
                                   std::toupper(element[3]) == 'L');
  for (const char c : element) {
    if (c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || array_space(c)) quote = true;
  }
  if (!quote) return element;
  std::string out = "\"";
  for (const char c : element) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The text of an array literal as array_out writes it ({a,"b c",NULL},
// nested for several dimensions) with each label `renamed` names replaced,
// all at once; nullopt when it is not such a text.
std::optional<std::string> rename_array_elements(const std::string& literal,
                                                 const std::map<std::string, std::string>& renamed) {
  if (literal.empty() || literal.front() != '{') return std::nullopt;
  std::string out;
  for (size_t at = 0; at < literal.size();) {
    const char c = literal[at];
    if (c == '{' || c == '}' || c == ',') {
      out += c;
      ++at;
      continue;
    }
    std::string element;
    bool quoted = false;
    if (c == '"') {
      quoted = true;
      for (++at; at < literal.size() && literal[at] != '"'; ++at) {
        if (literal[at] == '\\' && ++at == literal.size()) return std::nullopt;
        element += literal[at];
      }
      if (at == literal.size()) return std::nullopt;
      ++at;
    } else {
      while (at < literal.size() && literal[at] != ',' && literal[at] != '}' &&
             literal[at] != '{') {
        element += literal[at++];
      }
    }
    if (!quoted && element == "NULL") {
      out += element;
      continue;
    }
    const auto found = renamed.find(element);
    out += array_element_out(found != renamed.end() ? found->second : element);
  }
  return out;
}

// Renames the labels inside `text`'s array constants of `array`'s type:
// each literal '...' (not E'...') followed by one of its suffixes.
void rename_array_labels(std::string& text, const ArrayLabels& array) {
  std::string out;
  size_t copied = 0;
  for (size_t at = 0; at < text.size(); ++at) {
    if (text[at] == '"') {  // a quoted identifier: its quotes are not a literal's
      const auto identifier = quoted_at(text, at);
      if (!identifier) break;
      at = identifier->second - 1;
      continue;
    }
    if (text[at] != '\'') continue;
    const auto quoted = quoted_at(text, at);
    if (!quoted) break;  // an unterminated literal: leave the rest
    const std::string& literal = quoted->first;
    const size_t end = quoted->second - 1;  // the closing quote
    const bool escaped = at > 0 && (text[at - 1] == 'E' || text[at - 1] == 'e');
    const bool typed = std::any_of(array.suffixes.begin(), array.suffixes.end(),
                                   [&](const std::string& suffix) {
                                     return text.compare(end + 1, suffix.size(), suffix) == 0;
                                   });
    if (typed && !escaped) {
      // (A backslash, which quote_literal writes in the E'' form the server
      // does not use, leaves the literal as written.)
      const auto renamed = rename_array_elements(literal, array.renamed);
      if (renamed && renamed->find('\\') == std::string::npos) {
        out.append(text, copied, at - copied);
        out += plans::quote_literal(*renamed);
        copied = end + 1;
      }
    }
    at = end;
  }
  if (copied == 0) return;  // nothing replaced
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

void rename_labels_in(std::string& text, const LabelRenames& renames) {
  // 'closed'::ticket_state, not 'closed'::ticket_states nor a schema's.
  replace_spellings(text, renames.constants, [](char, char after) {
    return !detail::identifier_char(after) && after != '"' && after != '.';
  });
  for (const auto& array : renames.arrays) rename_array_labels(text, array);
}

void rename_labels_in(std::optional<std::string>& text, const LabelRenames& renames) {
  if (text) rename_labels_in(*text, renames);
}
void rename_labels_in(schemas::OptionalText& text, const LabelRenames& renames) {
  if (text) rename_labels_in(*text, renames);
}

void rename_labels_in(schemas::Index& index, const LabelRenames& renames) {
  for (auto& key : index.keys) rename_labels_in(key.expression, renames);
  rename_labels_in(index.where, renames);
}

}  // namespace

// A partition bound over a key that is one column of a renamed enum names
// its labels as bare literals: FOR VALUES IN ('closed', 'archived').
void rename_labels_in_bounds(schemas::Database& current, const std::string& type_schema,
                             const std::string& type_name,
                             const std::vector<LabelSpelling>& literals) {
  const auto of_type = [&](const std::string& type) {
    return type == type_name || type == quote_ident(type_name) ||
           type == quote_qualified(type_schema, type_name) ||
           type == type_schema + "." + type_name;
  };
  for (auto& schema : current.schemas) {
    for (auto& partition : schema.tables) {
      if (!partition.partition_of) continue;
      const auto& of = *partition.partition_of;
      const schemas::Table* parent = schemas::find_table(current, of.parent_schema, of.parent_table);
      if (parent == nullptr || !parent->partition_by) continue;
      const schemas::Column* key = schemas::find_named(parent->columns, parent->partition_by->key);
      if (key == nullptr || !of_type(key->type)) continue;
      // A whole literal of the list: ('closed', 'archived').
      replace_spellings(partition.partition_of->bound, literals, [](char before, char after) {
        return (before == '(' || before == ' ' || before == ',') &&
               (after == ')' || after == ',' || after == ' ');
      });
    }
  }
}

std::vector<std::pair<std::string, std::string>> label_renames(const schemas::Enum& current,
                                                               const schemas::Enum& desired) {
  const auto has = [](const std::vector<std::string>& labels, const std::string& label) {
    return std::find(labels.begin(), labels.end(), label) != labels.end();
  };
  std::map<std::string, std::string> by_old;  // old -> new
  std::set<std::string> doubled;
  for (const auto& [new_label, old_label] : desired.label_renamed_from) {
    if (old_label == new_label || !has(current.labels, old_label)) continue;
    if (!by_old.emplace(old_label, new_label).second) doubled.insert(old_label);
  }
  for (const auto& old_label : doubled) by_old.erase(old_label);
  // A new label still among the current ones must be renamed away, and an
  // old one still desired must be renamed into: drop the hints that are
  // not, until none is left to drop.
  for (bool changed = true; changed;) {
    changed = false;
    std::set<std::string> news;
    for (const auto& [old_label, new_label] : by_old) news.insert(new_label);
    for (auto it = by_old.begin(); it != by_old.end();) {
      const bool clash = has(current.labels, it->second) && by_old.count(it->second) == 0;
      const bool kept = has(desired.labels, it->first) && news.count(it->first) == 0;
      if (clash || kept) {
        it = by_old.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  // A cycle (a swap) leaves the same labels in another order: made when
  // the current order is not the desired one and the renamed order is (so
  // that, applied, the same hints plan nothing again).
  const auto in_order = [&desired](const std::vector<std::string>& labels) {
    std::vector<std::string> common;
    for (const auto& label : labels) {
      if (std::find(desired.labels.begin(), desired.labels.end(), label) != desired.labels.end()) {
        common.push_back(label);
      }
    }
    auto wanted = desired.labels;
    wanted.erase(std::remove_if(wanted.begin(), wanted.end(),
                                [&common](const std::string& label) {
                                  return std::find(common.begin(), common.end(), label) ==
                                         common.end();
                                }),
                 wanted.end());
    return common == wanted;
  };
  std::vector<std::string> renamed = current.labels;
  for (auto& label : renamed) {
    if (const auto found = by_old.find(label); found != by_old.end()) label = found->second;
  }
  if (in_order(current.labels) || !in_order(renamed)) {
    std::set<std::string> cyclic;
    for (const auto& [start, unused] : by_old) {
      std::string at = start;
      for (size_t steps = 0; steps <= by_old.size() && by_old.count(at) != 0; ++steps) {
        at = by_old.at(at);
        if (at == start) {
          cyclic.insert(start);
          break;
        }
      }
    }
    for (const auto& label : cyclic) by_old.erase(label);
  }
  return {by_old.begin(), by_old.end()};
}

void assume_label_renames(schemas::Database& current, const schemas::Database& desired) {
  LabelRenames spellings;
  for (const auto& wanted_schema : desired.schemas) {
    const auto* schema = schemas::find_named(current.schemas, wanted_schema.name);
    if (schema == nullptr) continue;
    for (const auto& wanted : wanted_schema.enums) {
      const auto* type = schemas::find_named(schema->enums, wanted.name);
      if (type == nullptr) continue;
      std::vector<LabelSpelling> literals;
      ArrayLabels array;
      const std::vector<std::string> type_names = {
          quote_ident(wanted.name), quote_qualified(wanted_schema.name, wanted.name)};
      for (const auto& type_name : type_names) array.suffixes.push_back("::" + type_name + "[]");
      for (const auto& [old_label, label] : label_renames(*type, wanted)) {
        for (const auto& type_name : type_names) {
          spellings.constants.push_back({plans::quote_literal(old_label) + "::" + type_name,
                                         plans::quote_literal(label) + "::" + type_name});
        }
        literals.push_back({plans::quote_literal(old_label), plans::quote_literal(label)});
        array.renamed.emplace(old_label, label);
      }
      if (!literals.empty()) {
        rename_labels_in_bounds(current, wanted_schema.name, wanted.name, literals);
        spellings.arrays.push_back(std::move(array));
      }
    }
  }
  if (spellings.constants.empty()) return;
  for (auto& schema : current.schemas) {
    for (auto& table : schema.tables) {
      for (auto& column : table.columns) {
        rename_labels_in(column.default_expr, spellings);
        rename_labels_in(column.generated, spellings);
      }
      for (auto& check : table.check_constraints) rename_labels_in(check.expression, spellings);
      for (auto& index : table.indexes) rename_labels_in(index, spellings);
      for (auto& exclusion : table.exclusion_constraints) {
        for (auto& element : exclusion.elements) rename_labels_in(element, spellings);
        rename_labels_in(exclusion.where, spellings);
      }
      for (auto& trigger : table.triggers) rename_labels_in(trigger.when, spellings);
      for (auto& policy : table.policies) {
        rename_labels_in(policy.using_expr, spellings);
        rename_labels_in(policy.with_check, spellings);
      }
    }
    for (auto& view : schema.views) rename_labels_in(view.definition, spellings);
    for (auto& view : schema.materialized_views) {
      rename_labels_in(view.definition, spellings);
      for (auto& index : view.indexes) rename_labels_in(index, spellings);
    }
    for (auto& domain : schema.domains) {
      rename_labels_in(domain.default_expr, spellings);
      for (auto& check : domain.checks) rename_labels_in(check.expression, spellings);
    }
    for (auto& function : schema.functions) {
      for (auto& arg : function.args) rename_labels_in(arg.default_expr, spellings);
      if (function.sql_body) rename_labels_in(function.body, spellings);
    }
  }
}

}  // namespace pgshift::planner::detail
