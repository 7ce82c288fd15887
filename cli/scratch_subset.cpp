#include "cli/scratch_subset.hpp"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace pgshift::cli {

using schemas::Database;
using schemas::Schema;
using schemas::Table;

std::string unit_key(const std::string& kind, const std::string& schema, const std::string& name) {
  return kind + '\t' + schema + '\t' + name;
}

namespace {

bool word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || c >= 0x80;
}

std::string lower(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_word(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return word_byte(static_cast<unsigned char>(c));
  });
}

// One object of either side: a table, view, materialized view, sequence,
// enum, domain, composite type or function.
struct Unit {
  std::string kind;
  std::string schema;
  std::string name;  // a function's signature
  std::string bare;  // lower-case name (a function's without arguments)
  const void* desired = nullptr;
  const void* current = nullptr;
  std::string text;               // the SQL text of the desired object, for its references
  std::vector<std::string> refs;  // lower-case names of units `text` mentions
  bool dirty = false;
  bool full = false;  // built whole
};

void add_text(std::string& text, const std::string& part) {
  text += part;
  text += '\n';
}
void add_text(std::string& text, const std::optional<std::string>& part) {
  if (part) add_text(text, *part);
}

void index_text(std::string& text, const schemas::Index& index) {
  add_text(text, index.name);
  for (const auto& key : index.keys) {
    add_text(text, key.expression);
    add_text(text, key.opclass);
    add_text(text, key.collation);
  }
  add_text(text, index.where);
}

std::string table_text(const Table& table) {
  std::string text;
  add_text(text, table.name);
  for (const auto& column : table.columns) {
    add_text(text, column.type);
    add_text(text, column.default_expr);
    add_text(text, column.generated);
    add_text(text, column.collation);
  }
  // Index-backed constraints and indexes share the relations' namespace.
  if (table.primary_key) add_text(text, table.primary_key->name);
  for (const auto& unique : table.unique_constraints) add_text(text, unique.name);
  for (const auto& check : table.check_constraints) add_text(text, check.expression);
  for (const auto& index : table.indexes) index_text(text, index);
  for (const auto& trigger : table.triggers) {
    add_text(text, trigger.function);
    for (const auto& argument : trigger.arguments) add_text(text, argument);
    add_text(text, trigger.when);
    add_text(text, trigger.from);  // a constraint trigger's FROM table
  }
  for (const auto& policy : table.policies) {
    add_text(text, policy.using_expr);
    add_text(text, policy.with_check);
  }
  if (table.partition_by) add_text(text, table.partition_by->key);
  if (table.partition_of) add_text(text, table.partition_of->bound);
  return text;
}

// The desired table without the planning hints a catalog never has: itself
// when it holds none, else a copy without them kept in `stripped`.
const Table& without_hints(const Table& table, std::optional<Table>& stripped) {
  if (!schemas::has_planning_hints(table)) return table;
  stripped = table;
  schemas::remove_planning_hints(*stripped);
  return *stripped;
}

bool same_table(const Table& d, const Table& c) {
  std::optional<Table> stripped;
  return without_hints(d, stripped) == c;
}

// Whether foreign keys referencing the table (on `columns`) see the same
// table on both sides: the referenced columns' types and collations, the
// keys that can back a foreign key, the partitioning.
bool same_keys(const Table* a, const Table* b, const std::set<std::string>& columns) {
  if (a == nullptr || b == nullptr) return false;
  for (const auto& name : columns) {
    const auto* x = schemas::find_named(a->columns, name);
    const auto* y = schemas::find_named(b->columns, name);
    if ((x == nullptr) != (y == nullptr)) return false;
    if (x != nullptr && (x->type != y->type || x->collation != y->collation)) return false;
  }
  const auto unique_indexes = [](const Table& table) {
    std::vector<schemas::Index> unique;
    for (const auto& index : table.indexes) {
      if (index.unique) unique.push_back(index);
    }
    return unique;
  };
  return a->primary_key == b->primary_key && a->unique_constraints == b->unique_constraints &&
         unique_indexes(*a) == unique_indexes(*b) && a->partition_by == b->partition_by &&
         a->partition_of.has_value() == b->partition_of.has_value();
}

// Every unit of both sides, by key and by lower-case bare name.
struct Units {
  std::vector<Unit> all;
  std::unordered_map<std::string, std::size_t> by_key;
  std::unordered_map<std::string, std::vector<std::size_t>> by_bare;

  Unit& get(const std::string& kind, const std::string& schema, const std::string& name,
            const std::string& bare) {
    const std::string key = unit_key(kind, schema, name);
    const auto found = by_key.find(key);
    if (found != by_key.end()) return all[found->second];
    by_key.emplace(key, all.size());
    Unit unit;
    unit.kind = kind;
    unit.schema = schema;
    unit.name = name;
    unit.bare = lower(bare);
    by_bare[unit.bare].push_back(all.size());
    all.push_back(std::move(unit));
    return all.back();
  }
  const Unit* find(const std::string& kind, const std::string& schema,
                   const std::string& name) const {
    const auto found = by_key.find(unit_key(kind, schema, name));
    return found == by_key.end() ? nullptr : &all[found->second];
  }
  std::size_t index_of(const std::string& kind, const std::string& schema,
                       const std::string& name) const {
    const auto found = by_key.find(unit_key(kind, schema, name));
    return found == by_key.end() ? all.size() : found->second;
  }
};

template <typename T>
struct Kind {
  const char* name;
  std::function<std::string(const T&)> id;  // the unit's name (a function's signature)
  std::function<std::string(const T&)> text;
  std::function<bool(const T&, const T&)> same;  // desired, current
};

template <typename T>
void collect(Units& units, const Kind<T>& kind, const std::string& schema,
             const std::vector<T>& items, bool desired) {
  for (const auto& item : items) {
    Unit& unit = units.get(kind.name, schema, kind.id(item), item.name);
    if (desired) {
      unit.desired = &item;
      unit.text = kind.text(item);
    } else {
      unit.current = &item;
    }
  }
}

template <typename T>
void judge(Units& units, const Kind<T>& kind, const std::string& schema,
           const std::vector<T>& current_items) {
  for (const auto& item : current_items) {
    Unit& unit = units.all[units.index_of(kind.name, schema, kind.id(item))];
    if (unit.desired != nullptr) {
      unit.dirty = !kind.same(*static_cast<const T*>(unit.desired), item);
    }
  }
}

template <typename T>
bool plain_same(const T& a, const T& b) {
  return a == b;
}

const Kind<Table> kTables{"table", [](const Table& t) { return t.name; }, table_text, same_table};
const Kind<schemas::View> kViews{
    "view", [](const schemas::View& v) { return v.name; },
    [](const schemas::View& v) { return v.name + '\n' + v.definition; }, plain_same<schemas::View>};
const Kind<schemas::MaterializedView> kMatviews{
    "matview", [](const schemas::MaterializedView& v) { return v.name; },
    [](const schemas::MaterializedView& v) {
      std::string text = v.name + '\n' + v.definition + '\n';
      for (const auto& index : v.indexes) index_text(text, index);
      return text;
    },
    plain_same<schemas::MaterializedView>};
const Kind<schemas::Sequence> kSequences{
    "sequence", [](const schemas::Sequence& s) { return s.name; },
    [](const schemas::Sequence& s) {
      return s.name + '\n' + s.type + '\n' + s.owned_by.value_or("");
    },
    plain_same<schemas::Sequence>};
const Kind<schemas::Enum> kEnums{"enum", [](const schemas::Enum& e) { return e.name; },
                                 [](const schemas::Enum& e) { return e.name; },
                                 plain_same<schemas::Enum>};
const Kind<schemas::Domain> kDomains{"domain", [](const schemas::Domain& d) { return d.name; },
                                     [](const schemas::Domain& d) {
                                       std::string text;
                                       add_text(text, d.name);
                                       add_text(text, d.base_type);
                                       add_text(text, d.default_expr);
                                       add_text(text, d.collation);
                                       for (const auto& check : d.checks)
                                         add_text(text, check.expression);
                                       return text;
                                     },
                                     plain_same<schemas::Domain>};
const Kind<schemas::CompositeType> kTypes{"type",
                                          [](const schemas::CompositeType& t) { return t.name; },
                                          [](const schemas::CompositeType& t) {
                                            std::string text;
                                            add_text(text, t.name);
                                            for (const auto& attribute : t.attributes) {
                                              add_text(text, attribute.type);
                                              add_text(text, attribute.collation);
                                            }
                                            return text;
                                          },
                                          plain_same<schemas::CompositeType>};
const Kind<schemas::Function> kFunctions{
    "function", [](const schemas::Function& f) { return schemas::function_signature(f); },
    [](const schemas::Function& f) {
      std::string text;
      add_text(text, f.name);
      for (const auto& arg : f.args) {
        add_text(text, arg.type);
        add_text(text, arg.default_expr);
      }
      add_text(text, f.returns);
      add_text(text, f.body);
      return text;
    },
    plain_same<schemas::Function>};

void collect_schema(Units& units, const Schema& schema, bool desired) {
  collect(units, kTables, schema.name, schema.tables, desired);
  collect(units, kViews, schema.name, schema.views, desired);
  collect(units, kMatviews, schema.name, schema.materialized_views, desired);
  collect(units, kSequences, schema.name, schema.sequences, desired);
  collect(units, kEnums, schema.name, schema.enums, desired);
  collect(units, kDomains, schema.name, schema.domains, desired);
  collect(units, kTypes, schema.name, schema.composite_types, desired);
  collect(units, kFunctions, schema.name, schema.functions, desired);
}

void judge_schema(Units& units, const Schema& current) {
  judge(units, kTables, current.name, current.tables);
  judge(units, kViews, current.name, current.views);
  judge(units, kMatviews, current.name, current.materialized_views);
  judge(units, kSequences, current.name, current.sequences);
  judge(units, kEnums, current.name, current.enums);
  judge(units, kDomains, current.name, current.domains);
  judge(units, kTypes, current.name, current.composite_types);
  judge(units, kFunctions, current.name, current.functions);
}

// Calls `visit` with each word of `text` (a run of word bytes), lower-case.
template <typename Visit>
void for_each_word(const std::string& text, Visit&& visit) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!word_byte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && word_byte(static_cast<unsigned char>(text[j]))) ++j;
    visit(lower(text.substr(i, j - i)));
    i = j;
  }
}

// The names of units `text` mentions: its words that are names, a word
// starting with "_" also without it (array types), and the names that are
// not plain words found as substrings.
std::vector<std::string> references(const std::string& text, const Units& units,
                                    const std::vector<std::string>& odd_names) {
  std::set<std::string> found;
  const auto consider = [&](const std::string& word) {
    if (units.by_bare.count(word) != 0) found.insert(word);
  };
  for_each_word(text, [&](const std::string& word) {
    consider(word);
    if (word.size() > 1 && word[0] == '_') consider(word.substr(1));
  });
  if (!odd_names.empty()) {
    const std::string lowered = lower(text);
    for (const auto& name : odd_names) {
      if (lowered.find(name) != std::string::npos) found.insert(name);
    }
  }
  return {found.begin(), found.end()};
}

std::string key_of_target(const schemas::ForeignKey& key) {
  return unit_key("table", key.ref_schema, key.ref_table);
}

bool same_column_set(std::vector<std::string> a, const std::set<std::string>& b) {
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// `table` reduced to the keys foreign keys on `column_sets` need and their
// columns (types and collations only); nullopt when no such key is found.
std::optional<Table> reduced_to_keys(const Table& table,
                                     const std::vector<std::set<std::string>>& column_sets) {
  const auto wanted = [&](const std::vector<std::string>& columns) {
    return std::any_of(column_sets.begin(), column_sets.end(),
                       [&](const auto& set) { return same_column_set(columns, set); });
  };
  Table reduced;
  reduced.name = table.name;
  std::set<std::string> columns;
  const auto keep = [&](const std::vector<std::string>& keys,
                        const std::vector<std::string>& include) {
    columns.insert(keys.begin(), keys.end());
    columns.insert(include.begin(), include.end());
  };
  if (table.primary_key && wanted(table.primary_key->columns)) {
    reduced.primary_key = table.primary_key;
    reduced.primary_key->comment.reset();
    keep(table.primary_key->columns, table.primary_key->include);
  }
  for (const auto& unique : table.unique_constraints) {
    if (!wanted(unique.columns)) continue;
    reduced.unique_constraints.push_back(unique);
    reduced.unique_constraints.back().comment.reset();
    keep(unique.columns, unique.include);
  }
  for (const auto& index : table.indexes) {
    if (!index.unique || index.where) continue;
    std::vector<std::string> keys;
    for (const auto& key : index.keys) {
      if (key.column) keys.push_back(*key.column);
    }
    if (keys.size() != index.keys.size() || !wanted(keys)) continue;
    reduced.indexes.push_back(index);
    reduced.indexes.back().comment.reset();
    keep(keys, index.include);
  }
  if (columns.empty()) return std::nullopt;
  for (const auto& column : table.columns) {
    if (columns.count(column.name) == 0) continue;
    schemas::Column kept;
    kept.name = column.name;
    kept.type = column.type;
    kept.collation = column.collation;
    kept.not_null = column.not_null;
    reduced.columns.push_back(kept);
  }
  return reduced;
}

bool same_column(const schemas::Column& wanted, const schemas::Column& now) {
  schemas::Column stripped = wanted;
  schemas::remove_planning_hints(stripped);
  return stripped == now;
}

// Everything an index's definition names: its key columns and expressions,
// operator classes, collations, INCLUDE columns and predicate.
std::string index_words(const schemas::Index& index) {
  std::string text;
  for (const auto& key : index.keys) {
    add_text(text, key.column);
    add_text(text, key.expression);
    add_text(text, key.opclass);
    add_text(text, key.collation);
  }
  for (const auto& column : index.include) add_text(text, column);
  add_text(text, index.where);
  return text;
}

std::string reduced_text(const Table& reduced) {
  std::string text;
  for (const auto& column : reduced.columns) {
    add_text(text, column.type);
    add_text(text, column.collation);
  }
  for (const auto& index : reduced.indexes) index_text(text, index);
  return text;
}

template <typename T>
void copy_built(const Units& units, const Kind<T>& kind, const std::string& schema,
                const std::vector<T>& items, std::vector<T>& into) {
  for (const auto& item : items) {
    const Unit* unit = units.find(kind.name, schema, kind.id(item));
    if (unit != nullptr && unit->full) into.push_back(item);
  }
}

}  // namespace

namespace {

// The hash TableShapes keeps of `columns` (never 0).
std::uint64_t columns_hash(const std::vector<schemas::Column>& columns) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a's offset basis
  const auto add = [&hash](const std::string& text) {
    for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
    hash = (hash ^ 0xffU) * 1099511628211ULL;  // a separator no UTF-8 text holds
  };
  for (const auto& column : columns) {
    add(column.name);
    add(column.type);
  }
  return hash == 0 ? 1 : hash;
}

}  // namespace

TableShapes table_shapes(const std::vector<catalog::TableSoFar>& read) {
  TableShapes shapes;
  shapes.reserve(read.size());
  for (const auto& entry : read) {
    const Table& table = *entry.table;
    shapes.emplace(*entry.schema + '.' + table.name,
                   table.partition_of ? 0 : columns_hash(table.columns));
  }
  return shapes;
}

bool build_is_certain(const schemas::Database& desired, const TableShapes& read) {
  const bool columns_comparable =
      std::none_of(desired.ignore.begin(), desired.ignore.end(),
                   [](const std::string& pattern) { return pattern.rfind("column:", 0) == 0; });
  for (const auto& schema : desired.schemas) {
    for (const auto& table : schema.tables) {
      const auto now = read.find(schema.name + '.' + table.name);
      if (now == read.end()) return true;
      if (!columns_comparable || table.partition_of || now->second == 0) continue;
      if (columns_hash(table.columns) != now->second) return true;
    }
  }
  return false;
}

ScratchSubset choose_scratch_subset(
    const Database& desired, const Database& current,
    const std::map<std::string, std::string>& default_extension_versions) {
  ScratchSubset subset;
  // Extensions: their objects are not in the model, and so not in any
  // reference; one that differs decides everything.
  bool extensions_match = desired.extensions.size() == current.extensions.size();
  for (const auto& extension : desired.extensions) {
    const auto* now = schemas::find_named(current.extensions, extension.name);
    std::optional<std::string> version = extension.version;
    if (!version) {
      const auto found = default_extension_versions.find(extension.name);
      if (found != default_extension_versions.end()) version = found->second;
    }
    if (now == nullptr || !version || now->version != version || now->schema != extension.schema) {
      extensions_match = false;
    }
  }
  if (!extensions_match) {
    subset.everything = true;
    subset.build = desired;
    return subset;
  }

  Units units;
  for (const auto& schema : desired.schemas) collect_schema(units, schema, true);
  for (const auto& schema : current.schemas) {
    if (schemas::find_schema(desired, schema.name) == nullptr) continue;
    collect_schema(units, schema, false);
  }
  for (auto& unit : units.all) unit.dirty = unit.desired == nullptr || unit.current == nullptr;
  for (const auto& schema : current.schemas) {
    if (schemas::find_schema(desired, schema.name) != nullptr) judge_schema(units, schema);
  }
  for (const auto& schema : desired.schemas) {
    const Schema* now = schemas::find_schema(current, schema.name);
    if (now == nullptr || now->comment != schema.comment)
      subset.changed_schemas.insert(schema.name);
  }

  std::vector<std::string> odd_names;
  for (const auto& [bare, indexes] : units.by_bare) {
    if (!is_word(bare)) odd_names.push_back(bare);
  }
  std::sort(odd_names.begin(), odd_names.end());
  for (auto& unit : units.all) {
    if (unit.desired != nullptr) unit.refs = references(unit.text, units, odd_names);
  }

  // Foreign keys: the columns each target is referenced on (either side),
  // and whether the target's keys differ.
  std::map<std::string, std::set<std::string>> referenced_columns;
  const auto note_keys = [&](const Database& db) {
    for (const auto& schema : db.schemas) {
      for (const auto& table : schema.tables) {
        for (const auto& key : table.foreign_keys) {
          referenced_columns[key_of_target(key)].insert(key.ref_columns.begin(),
                                                        key.ref_columns.end());
        }
      }
    }
  };
  note_keys(desired);
  note_keys(current);
  std::map<std::string, bool> keys_differ;
  std::map<std::string, std::vector<std::string>> key_type_refs;
  for (const auto& [target, columns] : referenced_columns) {
    const Unit* unit = nullptr;
    const auto found = units.by_key.find(target);
    if (found != units.by_key.end()) unit = &units.all[found->second];
    const auto* wanted = unit ? static_cast<const Table*>(unit->desired) : nullptr;
    const auto* now = unit ? static_cast<const Table*>(unit->current) : nullptr;
    std::optional<Table> stripped;
    keys_differ[target] =
        !same_keys(wanted ? &without_hints(*wanted, stripped) : nullptr, now, columns);
    if (wanted != nullptr) {
      std::string text;
      for (const auto& column : wanted->columns) {
        if (columns.count(column.name) == 0) continue;
        add_text(text, column.type);
        add_text(text, column.collation);
      }
      key_type_refs[target] = references(text, units, odd_names);
    }
  }

  // Partition trees: a parent's partitions.
  std::map<std::size_t, std::vector<std::size_t>> partitions;
  for (std::size_t i = 0; i < units.all.size(); ++i) {
    const Unit& unit = units.all[i];
    if (unit.kind != "table" || unit.desired == nullptr) continue;
    const auto* table = static_cast<const Table*>(unit.desired);
    if (!table->partition_of) continue;
    const std::size_t parent = units.index_of("table", table->partition_of->parent_schema,
                                              table->partition_of->parent_table);
    if (parent < units.all.size()) partitions[parent].push_back(i);
  }
  std::map<std::size_t, std::size_t> parent_of;
  for (const auto& [parent, children] : partitions) {
    for (auto child : children) parent_of[child] = parent;
  }

  // Dirty closure: what mentions a dirty name, references a target whose
  // keys differ, or shares a partition tree with a dirty table.
  std::unordered_set<std::string> dirty_names;
  for (const auto& unit : units.all) {
    if (unit.dirty) dirty_names.insert(unit.bare);
  }
  const auto any_dirty = [&](const std::vector<std::string>& names) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& name) { return dirty_names.count(name) != 0; });
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < units.all.size(); ++i) {
      Unit& unit = units.all[i];
      if (unit.dirty || unit.desired == nullptr) continue;
      bool dirty = any_dirty(unit.refs);
      if (!dirty && unit.kind == "table") {
        const auto* table = static_cast<const Table*>(unit.desired);
        for (const auto& key : table->foreign_keys) {
          const std::string target = key_of_target(key);
          if (keys_differ[target] || any_dirty(key_type_refs[target])) dirty = true;
        }
        const auto parent = parent_of.find(i);
        if (parent != parent_of.end() && units.all[parent->second].dirty) dirty = true;
        const auto children = partitions.find(i);
        if (children != partitions.end()) {
          for (auto child : children->second) dirty = dirty || units.all[child].dirty;
        }
      }
      if (dirty) {
        unit.dirty = true;
        dirty_names.insert(unit.bare);
        changed = true;
      }
    }
  }

  // Members of a changed table that equal the target's and whose canonical
  // text follows nothing that changes are taken from the target, not built:
  // an index, or a foreign key (then its target need not be built). Such a
  // member is on columns that are the target's (type, collation, default:
  // the whole column), names no unit that is built, new or dropped, and
  // backs nothing built (a unique index of a table some foreign key
  // references, a replica identity). Partition trees keep theirs: an
  // index or foreign key of a partitioned table is its partitions' too.
  std::map<std::size_t, TakenMembers> taken;
  for (std::size_t i = 0; i < units.all.size(); ++i) {
    const Unit& unit = units.all[i];
    if (!unit.dirty || unit.kind != "table" || unit.desired == nullptr || unit.current == nullptr) {
      continue;
    }
    const auto& wanted = *static_cast<const Table*>(unit.desired);
    const auto& now = *static_cast<const Table*>(unit.current);
    if (wanted.partition_by || wanted.partition_of || now.partition_by || now.partition_of) {
      continue;
    }
    std::unordered_set<std::string> columns;  // lower-case, either side
    std::unordered_set<std::string> unchanged;
    for (const auto& column : now.columns) columns.insert(lower(column.name));
    for (const auto& column : wanted.columns) {
      columns.insert(lower(column.name));
      const auto* before = schemas::find_named(now.columns, column.name);
      if (before != nullptr && same_column(column, *before)) unchanged.insert(lower(column.name));
    }
    const auto on_unchanged_columns = [&](const std::string& text) {
      bool all = true;
      for_each_word(text, [&](const std::string& word) {
        if (columns.count(word) != 0 && unchanged.count(word) == 0) all = false;
      });
      return all;
    };
    std::set<std::string> constraint_names;  // index-backed, in the relations' namespace
    if (wanted.primary_key) constraint_names.insert(wanted.primary_key->name);
    for (const auto& key : wanted.unique_constraints) constraint_names.insert(key.name);
    for (const auto& key : wanted.exclusion_constraints) constraint_names.insert(key.name);
    // A unique index can back a foreign key when it is whole (no predicate)
    // on columns only, all of them referenced by some foreign key.
    const auto referenced = referenced_columns.find(unit_key("table", unit.schema, wanted.name));
    const auto may_back_a_key = [&](const schemas::Index& index) {
      if (!index.unique || index.where || referenced == referenced_columns.end()) return false;
      return std::all_of(index.keys.begin(), index.keys.end(), [&](const schemas::IndexKey& key) {
        return key.column && referenced->second.count(*key.column) != 0;
      });
    };
    TakenMembers members;
    for (const auto& index : wanted.indexes) {
      const auto* before = schemas::find_named(now.indexes, index.name);
      if (before == nullptr || !(index == *before)) continue;
      if (may_back_a_key(index) || constraint_names.count(index.name) != 0 ||
          wanted.replica_identity_index == index.name || now.replica_identity_index == index.name) {
        continue;
      }
      const std::string text = index_words(index);
      if (!on_unchanged_columns(text) || any_dirty(references(text, units, odd_names))) continue;
      members.indexes.insert(index.name);
    }
    for (const auto& key : wanted.foreign_keys) {
      const auto* before = schemas::find_named(now.foreign_keys, key.name);
      if (before == nullptr || !(key == *before)) continue;
      std::string text;
      for (const auto& column : key.columns) add_text(text, column);
      const std::string target = key_of_target(key);
      const auto differ = keys_differ.find(target);
      if (differ == keys_differ.end() || differ->second || any_dirty(key_type_refs[target]) ||
          !on_unchanged_columns(text)) {
        continue;
      }
      members.foreign_keys.insert(key.name);
    }
    if (!members.indexes.empty() || !members.foreign_keys.empty()) {
      taken.emplace(i, std::move(members));
    }
  }
  const auto is_taken_key = [&](std::size_t unit, const std::string& name) {
    const auto found = taken.find(unit);
    return found != taken.end() && found->second.foreign_keys.count(name) != 0;
  };

  // What to build: the dirty units whole, what they mention whole, the
  // parents of partitions whole, foreign key targets reduced to their keys.
  std::vector<std::size_t> queue;
  const auto build_whole = [&](std::size_t i) {
    Unit& unit = units.all[i];
    if (unit.full || unit.desired == nullptr) return;
    unit.full = true;
    queue.push_back(i);
  };
  const auto build_named = [&](const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const auto found = units.by_bare.find(name);
      if (found == units.by_bare.end()) continue;
      for (auto i : found->second) build_whole(i);
    }
  };
  for (std::size_t i = 0; i < units.all.size(); ++i) {
    if (units.all[i].dirty) build_whole(i);
  }
  std::map<std::size_t, Table> reduced;
  while (true) {
    while (!queue.empty()) {
      const std::size_t i = queue.back();
      queue.pop_back();
      build_named(units.all[i].refs);
      const auto parent = parent_of.find(i);
      if (parent != parent_of.end()) build_whole(parent->second);
    }
    // Foreign key targets not built whole, with the column sets they are
    // referenced on by the tables built whole.
    std::map<std::size_t, std::vector<std::set<std::string>>> targets;
    for (std::size_t i = 0; i < units.all.size(); ++i) {
      const Unit& unit = units.all[i];
      if (!unit.full || unit.kind != "table") continue;
      for (const auto& key : static_cast<const Table*>(unit.desired)->foreign_keys) {
        if (is_taken_key(i, key.name)) continue;
        const std::size_t target = units.index_of("table", key.ref_schema, key.ref_table);
        if (target >= units.all.size() || units.all[target].full) continue;
        targets[target].emplace_back(key.ref_columns.begin(), key.ref_columns.end());
      }
    }
    reduced.clear();
    for (const auto& [target, column_sets] : targets) {
      const auto* table = static_cast<const Table*>(units.all[target].desired);
      std::optional<Table> keys;
      if (!table->partition_by && !table->partition_of) keys = reduced_to_keys(*table, column_sets);
      if (!keys) {
        build_whole(target);
        continue;
      }
      build_named(references(reduced_text(*keys), units, odd_names));
      reduced.emplace(target, std::move(*keys));
    }
    if (queue.empty()) break;
  }
  // A target built whole after it was reduced is not reduced.
  for (auto it = reduced.begin(); it != reduced.end();) {
    it = units.all[it->first].full ? reduced.erase(it) : std::next(it);
  }

  for (const auto& unit : units.all) {
    if (unit.desired == nullptr) continue;
    if (unit.dirty) {
      ++subset.differing;
    } else {
      subset.clean.insert(unit_key(unit.kind, unit.schema, unit.name));
      if (unit.full) ++subset.needed;
    }
  }
  subset.reduced = reduced.size();

  const bool anything =
      subset.differing + subset.needed + subset.reduced > 0 || !subset.changed_schemas.empty();
  if (!anything) return subset;
  Database& build = subset.build;
  build.extensions = desired.extensions;
  build.ignore = desired.ignore;
  build.origins = desired.origins;
  for (const auto& schema : desired.schemas) {
    Schema out;
    out.name = schema.name;
    out.comment = schema.comment;
    copy_built(units, kTables, schema.name, schema.tables, out.tables);
    for (auto& table : out.tables) {
      const auto found = taken.find(units.index_of("table", schema.name, table.name));
      if (found == taken.end()) continue;
      const TakenMembers& members = found->second;
      const auto drop = [](auto& items, const std::set<std::string>& names) {
        items.erase(std::remove_if(items.begin(), items.end(),
                                   [&](const auto& item) { return names.count(item.name) != 0; }),
                    items.end());
      };
      drop(table.indexes, members.indexes);
      drop(table.foreign_keys, members.foreign_keys);
      subset.taken_members.emplace(unit_key("table", schema.name, table.name), members);
    }
    for (const auto& [target, table] : reduced) {
      if (units.all[target].schema == schema.name) out.tables.push_back(table);
    }
    copy_built(units, kViews, schema.name, schema.views, out.views);
    copy_built(units, kMatviews, schema.name, schema.materialized_views, out.materialized_views);
    copy_built(units, kSequences, schema.name, schema.sequences, out.sequences);
    copy_built(units, kEnums, schema.name, schema.enums, out.enums);
    copy_built(units, kDomains, schema.name, schema.domains, out.domains);
    copy_built(units, kTypes, schema.name, schema.composite_types, out.composite_types);
    copy_built(units, kFunctions, schema.name, schema.functions, out.functions);
    // The privileges of what is built, built with it.
    for (const auto& entry : schema.privileges) {
      if (schemas::privileges_target_exists(out, entry.object)) out.privileges.push_back(entry);
    }
    const bool hosts_extension =
        std::any_of(desired.extensions.begin(), desired.extensions.end(),
                    [&](const schemas::Extension& e) { return e.schema == schema.name; });
    const bool empty = out.tables.empty() && out.views.empty() && out.materialized_views.empty() &&
                       out.sequences.empty() && out.enums.empty() && out.domains.empty() &&
                       out.composite_types.empty() && out.functions.empty();
    if (!empty || hosts_extension || subset.changed_schemas.count(schema.name) != 0) {
      build.schemas.push_back(std::move(out));
    }
  }
  schemas::canonicalize(build);
  return subset;
}

namespace {

// Whether the object a privileges entry is keyed by was taken from the
// target (its unit is clean): then the entry of the desired state is in the
// server's spelling already; else the scratch database's entry is.
bool privileges_from_desired(const ScratchSubset& subset, const Schema& out,
                             const schemas::ObjectId& id) {
  using schemas::ObjectKind;
  const std::string& schema = out.name;
  switch (id.kind) {
    case ObjectKind::Schema:
      return true;
    case ObjectKind::Column:
      return subset.clean.count(unit_key("table", schema, id.table)) != 0 ||
             subset.clean.count(unit_key("view", schema, id.table)) != 0 ||
             subset.clean.count(unit_key("matview", schema, id.table)) != 0;
    case ObjectKind::Table:
      return subset.clean.count(unit_key("table", schema, id.name)) != 0;
    case ObjectKind::View:
      return subset.clean.count(unit_key("view", schema, id.name)) != 0;
    case ObjectKind::MaterializedView:
      return subset.clean.count(unit_key("matview", schema, id.name)) != 0;
    case ObjectKind::Sequence:
      return subset.clean.count(unit_key("sequence", schema, id.name)) != 0;
    case ObjectKind::Enum:
      return subset.clean.count(unit_key("enum", schema, id.name)) != 0;
    case ObjectKind::Domain:
      return subset.clean.count(unit_key("domain", schema, id.name)) != 0;
    case ObjectKind::CompositeType:
      return subset.clean.count(unit_key("type", schema, id.name)) != 0;
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return subset.clean.count(unit_key("function", schema, id.name)) != 0;
    case ObjectKind::Extension:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return false;
}

// Appends to `into` the objects of `built` not taken from the target, then,
// moved out of `wanted`, each object of `wanted` the target holds unchanged
// (equal to the target's but for planning hints, which it keeps).
template <typename T>
void assemble_kind(const ScratchSubset& subset, const Kind<T>& kind, const std::string& schema,
                   std::vector<T>* built, std::vector<T>& wanted, const std::vector<T>* current,
                   std::vector<T>& into, std::set<std::string>& from_current) {
  into.reserve((built ? built->size() : 0) + wanted.size());
  if (built != nullptr) {
    for (auto& item : *built) {
      if (subset.clean.count(unit_key(kind.name, schema, kind.id(item))) == 0) {
        into.push_back(std::move(item));
      }
    }
  }
  if (current == nullptr) return;
  std::unordered_set<std::string> held;
  held.reserve(current->size());
  for (const auto& item : *current) held.insert(kind.id(item));
  for (auto& item : wanted) {
    const std::string id = kind.id(item);
    if (subset.clean.count(unit_key(kind.name, schema, id)) == 0 || held.count(id) == 0) continue;
    from_current.insert(schema + "." + item.name);
    into.push_back(std::move(item));
  }
}

}  // namespace

Database assemble_canonical(Database& desired, const Database& current,
                            const ScratchSubset& subset, Database* built) {
  Database result;
  if (built != nullptr) {
    result.facts = std::move(built->facts);
  } else {
    result.facts.server_version_num = current.facts.server_version_num;
  }
  for (const auto& extension : current.extensions) {
    if (schemas::find_named(desired.extensions, extension.name) != nullptr) {
      result.extensions.push_back(extension);
    }
  }
  result.default_privileges = desired.default_privileges;
  result.ignore = desired.ignore;
  result.drop_schemas = desired.drop_schemas;
  result.manage_owners = desired.manage_owners;
  // "schema.relation" of the tables, views and materialized views taken from
  // the target: their facts come from the target's.
  std::set<std::string> from_current;
  for (auto& wanted : desired.schemas) {
    Schema* made = built ? schemas::find_named(built->schemas, wanted.name) : nullptr;
    const Schema* now = schemas::find_schema(current, wanted.name);
    Schema out;
    out.name = wanted.name;
    out.owner = wanted.owner;  // the YAML's (owners are never read from a scratch database)
    if (subset.changed_schemas.count(wanted.name) != 0 || now == nullptr) {
      out.comment = made ? made->comment : wanted.comment;
    } else {
      out.comment = now->comment;
    }
    const auto pick = [&](auto member) { return made ? &(made->*member) : nullptr; };
    const auto mine = [&](auto member) { return now ? &(now->*member) : nullptr; };
    std::set<std::string> unused;
    // A built table's members taken from the target: the desired state's own
    // (equal to the target's), copied before its clean tables move out.
    std::map<std::string, Table> members_of;  // by table name: only those members
    const std::string prefix = unit_key("table", wanted.name, "");
    for (auto it = subset.taken_members.lower_bound(prefix);
         it != subset.taken_members.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
      const TakenMembers& members = it->second;
      const Table* source = schemas::find_named(wanted.tables, it->first.substr(prefix.size()));
      if (source == nullptr) continue;
      Table& kept = members_of[source->name];
      for (const auto& index : source->indexes) {
        if (members.indexes.count(index.name) != 0) kept.indexes.push_back(index);
      }
      for (const auto& foreign_key : source->foreign_keys) {
        if (members.foreign_keys.count(foreign_key.name) != 0) {
          kept.foreign_keys.push_back(foreign_key);
        }
      }
    }
    assemble_kind(subset, kTables, wanted.name, pick(&Schema::tables), wanted.tables,
                  mine(&Schema::tables), out.tables, from_current);
    for (auto& table : out.tables) {
      // Members are taken for tables that differ, which come from the build.
      const auto kept = members_of.find(table.name);
      if (kept == members_of.end()) continue;
      for (auto& index : kept->second.indexes) table.indexes.push_back(std::move(index));
      for (auto& key : kept->second.foreign_keys) table.foreign_keys.push_back(std::move(key));
    }
    assemble_kind(subset, kViews, wanted.name, pick(&Schema::views), wanted.views,
                  mine(&Schema::views), out.views, from_current);
    assemble_kind(subset, kMatviews, wanted.name, pick(&Schema::materialized_views),
                  wanted.materialized_views, mine(&Schema::materialized_views),
                  out.materialized_views, from_current);
    assemble_kind(subset, kSequences, wanted.name, pick(&Schema::sequences), wanted.sequences,
                  mine(&Schema::sequences), out.sequences, unused);
    assemble_kind(subset, kEnums, wanted.name, pick(&Schema::enums), wanted.enums,
                  mine(&Schema::enums), out.enums, unused);
    assemble_kind(subset, kDomains, wanted.name, pick(&Schema::domains), wanted.domains,
                  mine(&Schema::domains), out.domains, unused);
    assemble_kind(subset, kTypes, wanted.name, pick(&Schema::composite_types),
                  wanted.composite_types, mine(&Schema::composite_types), out.composite_types,
                  unused);
    assemble_kind(subset, kFunctions, wanted.name, pick(&Schema::functions), wanted.functions,
                  mine(&Schema::functions), out.functions, unused);
    for (const auto& entry : wanted.privileges) {
      if (privileges_from_desired(subset, out, entry.object)) out.privileges.push_back(entry);
    }
    // Default privileges are never built: the desired state's spelling (role
    // names, `tables`, upper-case privileges) is the server's already.
    out.default_privileges = wanted.default_privileges;
    if (made != nullptr) {
      for (const auto& entry : made->privileges) {
        if (!privileges_from_desired(subset, out, entry.object) &&
            schemas::privileges_target_exists(out, entry.object)) {
          out.privileges.push_back(entry);
        }
      }
    }
    result.schemas.push_back(std::move(out));
  }
  schemas::canonicalize(result);

  // Facts of the objects taken from the target: theirs.
  auto& volatile_defaults = result.facts.volatile_defaults;
  auto& view_columns = result.facts.view_columns;
  for (const auto& schema : result.schemas) {
    for (const auto& table : schema.tables) {
      const std::string relation = schema.name + "." + table.name;
      if (from_current.count(relation) == 0) continue;
      for (const auto& column : table.columns) {
        const std::string key = relation + "." + column.name;
        if (current.facts.volatile_defaults.count(key) != 0) {
          volatile_defaults.insert(key);
        } else {
          volatile_defaults.erase(key);
        }
      }
    }
    const auto take_columns = [&](const std::string& name) {
      const std::string relation = schema.name + "." + name;
      if (from_current.count(relation) == 0) return;
      const auto found = current.facts.view_columns.find(relation);
      if (found != current.facts.view_columns.end()) {
        view_columns[relation] = found->second;
      } else {
        view_columns.erase(relation);
      }
    };
    for (const auto& view : schema.views) take_columns(view.name);
    for (const auto& view : schema.materialized_views) take_columns(view.name);
  }
  // Dependencies (pg_depend) of the objects taken from the target: theirs
  // (the scratch database may not hold them, or holds them reduced to a key
  // or only because a built object needs them). Such an object is clean: its
  // model equals the target's and nothing it names is built, new or dropped,
  // so the target's record of what it uses is the one a full build gives.
  // A table's members (columns' defaults, constraints, indexes, triggers,
  // policies) go with their table.
  const auto member_taken = [&](const schemas::ObjectId& dependent) {
    const bool index = dependent.kind == schemas::ObjectKind::Index;
    if (!index && dependent.kind != schemas::ObjectKind::ForeignKey) return false;
    const auto members =
        subset.taken_members.find(unit_key("table", dependent.schema, dependent.table));
    if (members == subset.taken_members.end()) return false;
    return (index ? members->second.indexes : members->second.foreign_keys).count(dependent.name) !=
           0;
  };
  const auto taken = [&](const schemas::ObjectId& dependent) {
    using schemas::ObjectKind;
    if (member_taken(dependent)) return true;
    switch (dependent.kind) {
      case ObjectKind::Function:
      case ObjectKind::Procedure:
        return subset.clean.count(unit_key("function", dependent.schema, dependent.name)) != 0;
      case ObjectKind::View:
      case ObjectKind::MaterializedView:
      case ObjectKind::Table:
        return from_current.count(dependent.schema + "." + dependent.name) != 0;
      case ObjectKind::Schema:
      case ObjectKind::Extension:
      case ObjectKind::Column:
      case ObjectKind::PrimaryKey:
      case ObjectKind::UniqueConstraint:
      case ObjectKind::CheckConstraint:
      case ObjectKind::ForeignKey:
      case ObjectKind::Index:
      case ObjectKind::Sequence:
      case ObjectKind::Enum:
      case ObjectKind::Domain:
      case ObjectKind::CompositeType:
      case ObjectKind::Trigger:
      case ObjectKind::Policy:
      case ObjectKind::ExclusionConstraint:
      case ObjectKind::DefaultPrivileges:
        break;
    }
    return !dependent.table.empty() &&
           from_current.count(dependent.schema + "." + dependent.table) != 0;
  };
  const auto& theirs = current.facts.dependencies;
  std::vector<bool> take;
  take.reserve(theirs.size());
  for (const auto& dependency : theirs) take.push_back(taken(dependency.dependent));
  const auto count = static_cast<std::size_t>(std::count(take.begin(), take.end(), true));
  if (result.facts.dependencies.empty() && count == theirs.size()) {
    // Nothing was built, or nothing built depends on anything: the
    // target's, shared.
    result.facts.dependencies = theirs;
    return result;
  }
  auto& dependencies = result.facts.dependencies.rows();
  dependencies.erase(std::remove_if(dependencies.begin(), dependencies.end(),
                                    [&](const schemas::Dependency& dependency) {
                                      return taken(dependency.dependent);
                                    }),
                     dependencies.end());
  dependencies.reserve(dependencies.size() + count);
  std::size_t row = 0;
  for (const auto& dependency : theirs) {
    if (take[row++]) dependencies.push_back(dependency);
  }
  return result;
}

}  // namespace pgshift::cli
