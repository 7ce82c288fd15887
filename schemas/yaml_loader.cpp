#include "schemas/yaml_loader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "schemas/spelling.hpp"
#include "schemas/sql_check.hpp"
#include "schemas/yaml_names.hpp"
#include "schemas/yaml_text.hpp"
#include "schemas/yaml_tree.hpp"

namespace pgshift::schemas {

namespace {

using detail::Keywords;

// ---------------------------------------------------------------------------
// Formatting diagnostics.
// ---------------------------------------------------------------------------

std::string location(const Diagnostic& diagnostic) {
  if (diagnostic.line == 0) return diagnostic.file;
  return diagnostic.file + ":" + std::to_string(diagnostic.line) + ":" +
         std::to_string(diagnostic.column);
}

// Line `line` (from 1) of `text`, without its newline; "" past the end.
std::string source_line(std::string_view text, int line) {
  std::size_t start = 0;
  for (int line_idx = 1; start < text.size(); ++line_idx) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    if (line_idx == line) return std::string(text.substr(start, end - start));
    start = end + 1;
  }
  return "";
}

std::string format_diagnostics(
    const std::vector<Diagnostic>& diagnostics,
    const std::vector<std::pair<std::string, std::string_view>>& sources) {
  std::string text;
  for (const auto& diagnostic : diagnostics) {
    if (!text.empty()) text += "\n";
    text += location(diagnostic) + ": ";
    if (!diagnostic.path.empty()) text += diagnostic.path + ": ";
    text += diagnostic.message;
    const auto source = std::find_if(sources.begin(), sources.end(), [&](const auto& entry) {
      return entry.first == diagnostic.file;
    });
    if (diagnostic.line == 0 || source == sources.end()) continue;
    const std::string line = source_line(source->second, diagnostic.line);
    const ShownLine shown = shown_with_caret(line, byte_of_column(line, diagnostic.column));
    text += "\n" + shown.text + "\n" + shown.caret;
  }
  return text;
}

// ---------------------------------------------------------------------------
// The reader.
// ---------------------------------------------------------------------------

std::string child_path(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string item_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string found(const yaml::Node& node) {
  if (node.is_null()) return "null";
  if (node.is_map()) return "a mapping";
  if (node.is_sequence()) return "a sequence";
  return "\"" + std::string(node.scalar()) + "\"";
}

std::string quoted(const std::string& text) {
  return "\"" + text + "\"";
}

// For a boolean or an integer: a quoted "true" or "10" is a string.
std::string found_instead_of_plain(const yaml::Node& node) {
  if (node.is_scalar() && node.plain() == false)
    return "the quoted string " + quoted(std::string(node.scalar()));
  return found(node);
}

// A key of a mapping with its nodes, in document order.
struct Entry {
  std::string key;
  yaml::Node key_node;
  yaml::Node value;
  std::string path;  // of the value
};

class Fields;

// Builds one Database from one or more documents, collecting every problem.
class Loader {
 public:
  // `text` must outlive the loader: its messages quote lines of it.
  void load_document(const std::string& file, const std::string& text);
  // A hints file of an SQL desired state (apply_yaml_hints): its hints are
  // set on `target`'s objects; a null `target` checks the file alone.
  void load_hints_document(const std::string& file, const std::string& text, Database* target);
  // Throws LoadError when anything was reported.
  void throw_if_reported();
  void report(const std::string& message) { diagnostics_.push_back({file_, 0, 0, "", message}); }
  void set_file(const std::string& file) { file_ = file; }
  // Canonicalizes and validates the model; returns it or throws LoadError.
  Database finish();

 private:
  friend class Fields;

  // Sizes the maps of names for the objects `document` may define (about one
  // per six nodes in a schema written by inspect): once, not rehashed as
  // they grow.
  void reserve_names(const yaml::Document& document) {
    origins_.places.reserve(origins_.places.size() + document.node_count() / 6);
    path_spans_.reserve(path_spans_.size() + document.node_count() / 6);
    names_.reserve(names_.size() + document.node_count() / 6);
  }
  Diagnostic place(const yaml::Node& node, const std::string& path) const {
    const yaml::Mark mark = node.mark();
    return {file_, mark.line + 1, mark.column + 1, path, ""};
  }
  // Where an object is defined, its key path kept for the loader's messages.
  Origins::Place origin_place(const yaml::Node& node, const std::string& path) {
    const yaml::Mark mark = node.mark();
    path_spans_.emplace_back(path_text_.size(), path.size());
    path_text_ += path;
    return {file_number_, static_cast<std::uint32_t>(mark.line + 1),
            static_cast<std::uint32_t>(mark.column + 1),
            static_cast<std::uint32_t>(path_spans_.size() - 1)};
  }
  Diagnostic diagnostic_at(const Origins::Place& where) const {
    Diagnostic diagnostic{origins_.files[where.file], static_cast<int>(where.line),
                          static_cast<int>(where.column), "", ""};
    const auto [offset, length] = path_spans_[where.path];
    diagnostic.path = path_text_.substr(offset, length);
    return diagnostic;
  }
  void error(const yaml::Node& node, const std::string& path, const std::string& message) {
    Diagnostic diagnostic = place(node, path);
    diagnostic.message = message;
    diagnostics_.push_back(diagnostic);
  }

  // Where byte `offset` of the scalar `node` (whose text is `text`) is in the
  // source: found by matching the text's line against the source, so plain,
  // quoted and block scalars are placed alike; the node's own place when the
  // source spells it differently (escapes, folding).
  Diagnostic place_in(const yaml::Node& node, const std::string& path, const std::string& text,
                      std::size_t offset) const;
  // A view's query without the final ";" pg_get_viewdef writes (and people
  // copy), checked as one query.
  std::string query_text(const yaml::Node& node, const std::string& path, std::string text);
  // Reports a syntax error in a LANGUAGE plpgsql body (schemas/sql_check.hpp).
  void check_plpgsql(Fields& fields, const Function& function);
  // Reports SQL text that is not exactly one `kind` (schemas/sql_check.hpp).
  void check_sql(const yaml::Node& node, const std::string& path, SqlKind kind,
                 const std::string& text);

  // Scalar conversions; each reports and returns nullopt on a wrong node.
  std::optional<std::string> as_string(const yaml::Node& node, const std::string& path);
  std::optional<bool> as_bool(const yaml::Node& node, const std::string& path);
  std::optional<int64_t> as_integer(const yaml::Node& node, const std::string& path);
  template <typename E>
  std::optional<E> as_keyword(const yaml::Node& node, const std::string& path,
                              const Keywords<E>& keywords);
  std::vector<std::string> as_string_list(const yaml::Node& node, const std::string& path);

  // The entries of a mapping (null is an empty mapping); reports anything else,
  // keys that are not scalars, and duplicate keys (keeping the first).
  std::vector<Entry> entries(const yaml::Node& node, const std::string& path);

  // Remembers where an object is defined; reports a second definition of the
  // same object, and a name PostgreSQL keeps in the same namespace as another
  // object's (relations, types, a table's constraints, routines). Returns
  // whether the object is new.
  bool define(const ObjectId& id, const yaml::Node& node, const std::string& path);

  // Reports invalid UTF-8 or a YAML syntax error and returns false.
  bool parse(const std::string& file, const std::string& text, yaml::Document& document);
  Schema& schema_named(const std::string& name);
  void load_extension(const Entry& entry);
  void load_schema(const Entry& entry);
  Table load_table(const std::string& schema, const Entry& entry);
  Column load_column(const Entry& entry);
  void load_column_storage(Fields& fields, OptionalText& storage, OptionalText& compression,
                           std::optional<int>& statistics);
  void load_identity(const yaml::Node& node, const std::string& path, Column& column);
  void load_expand_contract(const yaml::Node& node, const std::string& path, Column& column);
  SequenceOptions load_sequence_options(Fields& fields);
  void load_primary_key(const std::string& schema, const Entry& entry, Table& table);
  void load_unique(const std::string& schema, const Entry& entry, Table& table);
  void load_checks(const std::string& schema, const Entry& entry, Table& table);
  void load_exclusions(const std::string& schema, const Entry& entry, Table& table);
  void load_foreign_keys(const std::string& schema, const Entry& entry, Table& table);
  Index load_index(const Entry& entry);
  IndexKey load_index_key(const yaml::Node& node, const std::string& path);
  void load_indexes(const std::string& schema, const std::string& table, const Entry& entry,
                    std::vector<Index>& indexes);
  void load_triggers(const std::string& schema, const Entry& entry, Table& table);
  void load_policies(const std::string& schema, const Entry& entry, Table& table);
  void load_row_security(const Entry& entry, Table& table);
  void load_replica_identity(const Entry& entry, Table& table);
  void load_sequence(const std::string& schema, const Entry& entry, Schema& target);
  void load_enum(const std::string& schema, const Entry& entry, Schema& target);
  void load_enum_labels(const yaml::Node& node, const std::string& path, Enum& type);
  void load_domain(const std::string& schema, const Entry& entry, Schema& target);
  void load_composite_type(const std::string& schema, const Entry& entry, Schema& target);
  void load_view(const std::string& schema, const Entry& entry, Schema& target);
  void load_materialized_view(const std::string& schema, const Entry& entry, Schema& target);
  void load_routines(const std::string& schema, const Entry& entry, bool procedures,
                     Schema& target);
  void load_privileges(const std::string& schema, const Entry& entry, Schema& target);
  // An object's `owner:` (checked against manage_owners in finish()).
  void load_owner(const Fields& fields, std::optional<std::string>& owner);
  // `schema` empty: the top-level (database-wide) list.
  void load_default_privileges(const std::string& schema, const Entry& entry,
                               std::vector<Privileges>& target);
  std::vector<Grant> load_grants(const Entry& entry, ObjectKind kind, const char* role_key,
                                 bool revoked);
  // `allowed`: the privileges accepted, named in errors as those of `what`
  // ("a table", "tables").
  std::vector<Grant> load_grants(const Entry& entry, const std::vector<std::string>& allowed,
                                 const std::string& what, const char* role_key, bool revoked);
  void load_routine(const std::string& schema, const std::string& name, const yaml::Node& node,
                    const std::string& path, const yaml::Node& name_node, bool procedure,
                    Schema& target);

  std::string file_;
  std::uint32_t file_number_ = 0;  // file_'s in origins_.files
  Database db_;
  std::vector<Diagnostic> diagnostics_;
  // Each document's file and text, for the source lines of messages: the
  // text is the caller's (it outlives the loader), not a copy.
  std::vector<std::pair<std::string, std::string_view>> sources_;
  // Where each object is defined, handed over whole by finish(); a place's
  // `path` numbers its key path in path_spans_ (offset and length in
  // path_text_), which only the loader's own messages need.
  Origins origins_;
  std::string path_text_;
  std::vector<std::pair<std::size_t, std::size_t>> path_spans_;
  // (namespace, schema, table for constraints, name) -> first object so named.
  // By name_key(): the names each kind shares with others in PostgreSQL.
  // The value points at the object's key in origins_ (its nodes never move).
  std::unordered_map<std::string, const ObjectId*> names_;
  std::map<std::string, Diagnostic> schema_comments_;
  // Where each privileges entry is, for problems validate() finds in it.
  std::unordered_map<ObjectId, Diagnostic, ObjectIdHash> privilege_origins_;
  // Where each `owner:` key is: an error unless some document says
  // manage_owners: true (which may come in a later file).
  std::vector<Diagnostic> owner_places_;
};

// The fields of one object's mapping, with typed accessors. Reports unknown
// keys on construction and wrong values on access.
class Fields {
 public:
  Fields(Loader& loader, const yaml::Node& node, const std::string& path,
         std::vector<const char*> known)
      : loader_(loader), node_(node), path_(path) {
    for (auto& entry : loader.entries(node, path)) {
      if (std::find_if(known.begin(), known.end(),
                       [&](const char* key) { return entry.key == key; }) == known.end()) {
        report_unknown(entry, known);
        continue;
      }
      entries_.push_back(std::move(entry));
    }
  }

  const Entry* find(const char* key) const {
    for (const auto& entry : entries_) {
      if (entry.key == key && !entry.value.is_null()) return &entry;
    }
    return nullptr;
  }
  // Reports a missing key and returns nullptr.
  const Entry* require(const char* key) const {
    const Entry* entry = find(key);
    if (!entry) {
      for (const auto& present : entries_) {
        if (present.key == key) {
          loader_.error(present.value, present.path, "expected a value, found null");
          return nullptr;
        }
      }
      loader_.error(node_, path_, "missing required key " + quoted(key));
    }
    return entry;
  }

  void string(const char* key, std::string& out, bool required) {
    const Entry* entry = required ? require(key) : find(key);
    if (!entry) return;
    if (auto value = loader_.as_string(entry->value, entry->path)) out = *value;
  }
  void optional_string(const char* key, std::optional<std::string>& out) {
    if (const Entry* entry = find(key)) out = loader_.as_string(entry->value, entry->path);
  }
  void optional_string(const char* key, OptionalText& out) {
    if (const Entry* entry = find(key)) out = loader_.as_string(entry->value, entry->path);
  }
  void boolean(const char* key, bool& out) {
    const Entry* entry = find(key);
    if (!entry) return;
    if (auto value = loader_.as_bool(entry->value, entry->path)) out = *value;
  }
  void integer(const char* key, std::optional<int64_t>& out) {
    if (const Entry* entry = find(key)) out = loader_.as_integer(entry->value, entry->path);
  }
  void string_list(const char* key, std::vector<std::string>& out, bool required) {
    const Entry* entry = required ? require(key) : find(key);
    if (entry) out = loader_.as_string_list(entry->value, entry->path);
  }
  // Checks the SQL text read from `key` (if any) is exactly one `kind`.
  void sql(const char* key, SqlKind kind) {
    const Entry* entry = find(key);
    if (entry && entry->value.is_scalar()) {
      loader_.check_sql(entry->value, entry->path, kind, std::string(entry->value.scalar()));
    }
  }
  template <typename E>
  void keyword(const char* key, const Keywords<E>& keywords, E& out, bool required) {
    const Entry* entry = required ? require(key) : find(key);
    if (!entry) return;
    if (auto value = loader_.as_keyword(entry->value, entry->path, keywords)) out = *value;
  }
  // Values are storage parameter values, checked as SQL (SqlKind::OptionValue).
  void option_map(const char* key, std::map<std::string, std::string>& out) {
    const Entry* entry = find(key);
    if (!entry) return;
    for (const auto& option : loader_.entries(entry->value, entry->path)) {
      if (auto value = loader_.as_string(option.value, option.path)) {
        loader_.check_sql(option.value, option.path, SqlKind::OptionValue, *value);
        out[option.key] = *value;
      }
    }
  }

 private:
  void report_unknown(const Entry& entry, const std::vector<const char*>& known) {
    const char* best = nullptr;
    size_t best_distance = kMaxSuggestionDistance + 1;
    for (const char* candidate : known) {
      const size_t distance = edit_distance(entry.key, candidate);
      if (distance < best_distance) {
        best = candidate;
        best_distance = distance;
      }
    }
    std::string message = "unknown key " + quoted(entry.key);
    if (best) {
      message += ", did you mean " + quoted(best) + "?";
    } else {
      message += "; expected one of: ";
      for (size_t key_idx = 0; key_idx < known.size(); ++key_idx) {
        message += (key_idx > 0 ? ", " : "") + std::string(known[key_idx]);
      }
    }
    loader_.error(entry.key_node, entry.path, message);
  }

  Loader& loader_;
  yaml::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
};

Diagnostic Loader::place_in(const yaml::Node& node, const std::string& path,
                            const std::string& text, std::size_t offset) const {
  Diagnostic where = place(node, path);
  if (sources_.empty() || sources_.back().first != file_) return where;
  const std::string_view source = sources_.back().second;
  const std::size_t line_start = offset == 0 ? 0 : text.rfind('\n', offset - 1);
  const std::size_t text_line_start =
      line_start == std::string::npos || offset == 0 ? 0 : line_start + 1;
  const int text_line =
      static_cast<int>(std::count(text.begin(), text.begin() + text_line_start, '\n'));
  // The text of the line up to the offset: what must stand before it in the source.
  const std::string before = text.substr(text_line_start, offset - text_line_start);
  // A block scalar ("|", ">") starts on the line after its indicator; a plain
  // or quoted one where its node starts.
  const std::string first = source_line(source, where.line);
  const std::size_t node_column = static_cast<std::size_t>(where.column - 1);
  const bool block =
      node_column < first.size() && (first[node_column] == '|' || first[node_column] == '>');
  const int source_line_number = where.line + text_line + (block ? 1 : 0);
  const std::string line = source_line(source, source_line_number);
  const std::size_t from = !block && text_line == 0 ? node_column : 0;
  const auto found_at = before.empty() && block ? line.find_first_not_of(' ')
                                                : line.find(before, std::min(from, line.size()));
  if (found_at == std::string::npos || (!block && text_line == 0 && found_at > from + 1)) {
    return where;
  }
  where.line = source_line_number;
  where.column = static_cast<int>(found_at + before.size()) + 1;
  return where;
}

void Loader::check_sql(const yaml::Node& node, const std::string& path, SqlKind kind,
                       const std::string& text) {
  const auto problem = schemas::check_sql(kind, text);
  if (!problem) return;
  Diagnostic diagnostic =
      problem->offset ? place_in(node, path, text, *problem->offset) : place(node, path);
  diagnostic.message = std::string("invalid ") + sql_kind_name(kind) + ": " + problem->message;
  diagnostics_.push_back(diagnostic);
}

std::string Loader::query_text(const yaml::Node& node, const std::string& path, std::string text) {
  auto end = text.find_last_not_of(" \t\r\n\f");
  if (end != std::string::npos && text[end] == ';') {
    text.erase(end);
    end = text.find_last_not_of(" \t\r\n\f");
    text.erase(end == std::string::npos ? 0 : end + 1);
  }
  check_sql(node, path, SqlKind::Query, text);
  return text;
}

std::optional<std::string> Loader::as_string(const yaml::Node& node, const std::string& path) {
  if (node.is_scalar()) {
    const auto nul = node.scalar().find('\0');
    if (nul == std::string::npos) return std::string(node.scalar());
    Diagnostic diagnostic = place_in(node, path, std::string(node.scalar()), nul);
    diagnostic.message = "contains a NUL byte";
    diagnostics_.push_back(diagnostic);
    return std::nullopt;
  }
  error(node, path, "expected a string, found " + found(node));
  return std::nullopt;
}

// Booleans and integers must be plain scalars: `"true"` is a string.
std::optional<bool> Loader::as_bool(const yaml::Node& node, const std::string& path) {
  if (node.is_scalar() && node.plain()) {
    if (node.scalar() == "true") return true;
    if (node.scalar() == "false") return false;
  }
  error(node, path, "expected true or false, found " + found_instead_of_plain(node));
  return std::nullopt;
}

std::optional<int64_t> Loader::as_integer(const yaml::Node& node, const std::string& path) {
  if (node.is_scalar() && node.plain()) {
    const std::string text(node.scalar());
    int64_t value = 0;
    const auto [end, status] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (status == std::errc() && end == text.data() + text.size()) return value;
  }
  error(node, path, "expected an integer, found " + found_instead_of_plain(node));
  return std::nullopt;
}

template <typename E>
std::optional<E> Loader::as_keyword(const yaml::Node& node, const std::string& path,
                                    const Keywords<E>& keywords) {
  if (node.is_scalar()) {
    for (const auto& [text, value] : keywords) {
      if (node.scalar() == text) return value;
    }
  }
  error(node, path, "expected " + detail::keyword_list(keywords) + ", found " + found(node));
  return std::nullopt;
}

std::vector<std::string> Loader::as_string_list(const yaml::Node& node, const std::string& path) {
  std::vector<std::string> items;
  if (!node.is_sequence()) {
    error(node, path, "expected a list of names, found " + found(node));
    return items;
  }
  for (size_t item_idx = 0; item_idx < node.size(); ++item_idx) {
    if (auto item = as_string(node[item_idx], item_path(path, item_idx))) items.push_back(*item);
  }
  return items;
}

std::vector<Entry> Loader::entries(const yaml::Node& node, const std::string& path) {
  std::vector<Entry> result;
  if (node.is_null()) return result;
  if (!node.is_map()) {
    error(node, path, "expected a mapping, found " + found(node));
    return result;
  }
  std::unordered_map<std::string, std::size_t> positions;
  for (std::size_t entry_idx = 0; entry_idx < node.size(); ++entry_idx) {
    const yaml::Node key_node = node.key(entry_idx);
    if (!key_node.is_scalar()) {
      error(key_node, path, "expected a name as key, found " + found(key_node));
      continue;
    }
    const std::string key(key_node.scalar());
    // A map of the keys seen, not a search of `result`: a schema of 10,000
    // tables is one mapping of 10,000 keys.
    const auto [seen, inserted] = positions.emplace(key, result.size());
    if (!inserted) {
      const auto first = result.begin() + static_cast<std::ptrdiff_t>(seen->second);
      Diagnostic where = place(first->key_node, first->path);
      error(key_node, child_path(path, key),
            "duplicate key " + quoted(key) + ", first defined at " + location(where));
      continue;
    }
    result.push_back({key, key_node, node.value(entry_idx), child_path(path, key)});
  }
  return result;
}

bool Loader::define(const ObjectId& id, const yaml::Node& node, const std::string& path) {
  const auto [origin, inserted] = origins_.places.try_emplace(id);
  if (!inserted) {
    error(node, path,
          describe(id) + " is defined more than once; first defined at " +
              origins_.location(origin->second));
    return false;
  }
  origin->second = origin_place(node, path);
  // The name spaces the object shares: relation names (pg_class), type
  // names (pg_type: a table has a row type), constraint names per table,
  // routine names.
  std::vector<const char*> namespaces;
  switch (id.kind) {
    case ObjectKind::Table:
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      namespaces = {"relation", "type"};
      break;
    case ObjectKind::Sequence:
    case ObjectKind::Index:
      namespaces = {"relation"};
      break;
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::ExclusionConstraint:
      namespaces = {"relation", "constraint"};
      break;
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
      namespaces = {"constraint"};
      break;
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::CompositeType:
      namespaces = {"type"};
      break;
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      namespaces = {"routine"};
      break;
    case ObjectKind::Schema:
    case ObjectKind::Extension:
    case ObjectKind::Column:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  for (const char* space : namespaces) {
    const bool per_table = std::string_view(space) == "constraint";
    std::string key = space;
    key += '\0';
    key += id.schema;
    key += '\0';
    if (per_table) key += id.table;
    key += '\0';
    key += id.name;
    const auto [named, fresh] = names_.emplace(std::move(key), &origin->first);
    if (fresh) continue;
    error(node, path,
          describe(id) + " has the same name as " + describe(*named->second) + ", defined at " +
              origins_.location(origins_.places.at(*named->second)));
    return false;
  }
  return true;
}

Schema& Loader::schema_named(const std::string& name) {
  if (Schema* existing = find_named(db_.schemas, name)) return *existing;
  db_.schemas.push_back(Schema{name});
  return db_.schemas.back();
}

bool Loader::parse(const std::string& file, const std::string& text, yaml::Document& document) {
  file_ = file;
  const auto known = std::find(origins_.files.begin(), origins_.files.end(), file);
  file_number_ = static_cast<std::uint32_t>(known - origins_.files.begin());
  if (known == origins_.files.end()) origins_.files.push_back(file);
  sources_.emplace_back(file, text);
  // Names and SQL must be text: invalid UTF-8 is refused where it starts.
  if (const auto at = first_invalid_utf8(text)) {
    const auto line = std::count(text.begin(), text.begin() + *at, '\n') + 1;
    const std::size_t line_start = *at == 0 ? 0 : text.rfind('\n', *at - 1) + 1;  // npos + 1 == 0
    // In characters, as libyaml's marks: the bytes that do not continue one.
    const auto column = 1 + std::count_if(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                                          text.begin() + static_cast<std::ptrdiff_t>(*at),
                                          [](char c) { return (c & 0xC0) != 0x80; });
    diagnostics_.push_back({file, static_cast<int>(line), static_cast<int>(column), "",
                            invalid_utf8_message(text, *at)});
    return false;
  }
  try {
    document = yaml::parse(text);
  } catch (const yaml::ParseError& parse_error) {
    diagnostics_.push_back(
        {file, parse_error.mark.line + 1, parse_error.mark.column + 1, "", parse_error.message});
    return false;
  }
  return true;
}

void Loader::load_document(const std::string& file, const std::string& text) {
  yaml::Document document;
  if (!parse(file, text, document)) return;
  reserve_names(document);
  const yaml::Node root = document.root();
  Fields top(*this, root, "",
             {"ignore", "drop_schemas", "extensions", "default_privileges", "manage_owners",
              "schemas"});
  bool manage_owners = false;
  top.boolean("manage_owners", manage_owners);
  db_.manage_owners = db_.manage_owners || manage_owners;
  std::vector<std::string> ignore;
  top.string_list("ignore", ignore, false);
  db_.ignore.insert(db_.ignore.end(), ignore.begin(), ignore.end());
  std::vector<std::string> drop_schemas;
  top.string_list("drop_schemas", drop_schemas, false);
  db_.drop_schemas.insert(db_.drop_schemas.end(), drop_schemas.begin(), drop_schemas.end());
  if (const Entry* extensions = top.find("extensions")) {
    for (const auto& entry : entries(extensions->value, extensions->path)) load_extension(entry);
  }
  if (const Entry* defaults = top.find("default_privileges")) {
    load_default_privileges("", *defaults, db_.default_privileges);
  }
  if (const Entry* schemas = top.find("schemas")) {
    for (const auto& entry : entries(schemas->value, schemas->path)) load_schema(entry);
  }
}

void Loader::load_extension(const Entry& entry) {
  Fields fields(*this, entry.value, entry.path, {"schema", "version"});
  Extension extension{entry.key, "public"};
  fields.string("schema", extension.schema, false);
  fields.optional_string("version", extension.version);
  define({ObjectKind::Extension, "", "", extension.name}, entry.key_node, entry.path);
  db_.extensions.push_back(extension);
}

void Loader::load_schema(const Entry& entry) {
  Fields fields(*this, entry.value, entry.path,
                {"comment", "tables", "views", "materialized_views", "sequences", "enums",
                 "domains", "composite_types", "functions", "procedures", "privileges",
                 "default_privileges", "owner"});
  const std::string& name = entry.key;
  if (const auto [origin, inserted] =
          origins_.places.try_emplace(ObjectId{ObjectKind::Schema, "", "", name});
      inserted) {
    origin->second = origin_place(entry.key_node, entry.path);
  }
  if (const Entry* comment = fields.find("comment")) {
    const Diagnostic where = place(comment->key_node, comment->path);
    const auto [first, inserted] = schema_comments_.emplace(name, where);
    if (!inserted) {
      error(comment->key_node, comment->path,
            "comment of schema " + quoted(name) + " is defined more than once; first defined at " +
                location(first->second));
    }
  }
  Schema loaded{name};
  fields.optional_string("comment", loaded.comment);
  load_owner(fields, loaded.owner);
  if (const Entry* tables = fields.find("tables")) {
    const std::vector<Entry> listed = entries(tables->value, tables->path);
    loaded.tables.reserve(listed.size());
    for (const auto& table : listed) {
      loaded.tables.push_back(load_table(name, table));
    }
  }
  const std::pair<const char*, void (Loader::*)(const std::string&, const Entry&, Schema&)>
      sections[] = {{"views", &Loader::load_view},
                    {"materialized_views", &Loader::load_materialized_view},
                    {"sequences", &Loader::load_sequence},
                    {"enums", &Loader::load_enum},
                    {"domains", &Loader::load_domain},
                    {"composite_types", &Loader::load_composite_type}};
  for (const auto& [key, load] : sections) {
    if (const Entry* section = fields.find(key)) {
      for (const auto& object : entries(section->value, section->path)) {
        (this->*load)(name, object, loaded);
      }
    }
  }
  for (const bool procedures : {false, true}) {
    if (const Entry* section = fields.find(procedures ? "procedures" : "functions")) {
      for (const auto& object : entries(section->value, section->path)) {
        load_routines(name, object, procedures, loaded);
      }
    }
  }

  if (const Entry* privileges = fields.find("privileges")) {
    load_privileges(name, *privileges, loaded);
  }
  if (const Entry* defaults = fields.find("default_privileges")) {
    load_default_privileges(name, *defaults, loaded.default_privileges);
  }

  Schema& target = schema_named(name);
  if (loaded.comment) target.comment = loaded.comment;
  if (loaded.owner) target.owner = loaded.owner;
  auto append = [](auto& into, auto& from) {
    into.insert(into.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
  };
  append(target.tables, loaded.tables);
  append(target.views, loaded.views);
  append(target.materialized_views, loaded.materialized_views);
  append(target.sequences, loaded.sequences);
  append(target.enums, loaded.enums);
  append(target.domains, loaded.domains);
  append(target.composite_types, loaded.composite_types);
  append(target.functions, loaded.functions);
  append(target.privileges, loaded.privileges);
  append(target.default_privileges, loaded.default_privileges);
}

// default_privileges: a list of { for_role, objects, grants, revoked } (no
// `revoked` under a schema: IN SCHEMA only adds; no `objects: schemas` under
// a schema: the server refuses IN SCHEMA with ON SCHEMAS).
void Loader::load_default_privileges(const std::string& schema, const Entry& entry,
                                     std::vector<Privileges>& target) {
  if (!entry.value.is_sequence()) {
    error(entry.value, entry.path,
          "expected a list of default privileges entries, found " + found(entry.value));
    return;
  }
  for (size_t item_idx = 0; item_idx < entry.value.size(); ++item_idx) {
    const yaml::Node node = entry.value[item_idx];
    const std::string path = item_path(entry.path, item_idx);
    Fields fields(*this, node, path, {"for_role", "objects", "grants", "revoked"});
    std::string role;
    std::string objects;
    fields.string("for_role", role, true);
    fields.string("objects", objects, true);
    if (role.empty() || objects.empty()) continue;
    const Entry* objects_entry = fields.find("objects");
    std::string lowered = objects;
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto allowed = default_privileges_of(lowered);
    if (allowed.empty()) {
      error(objects_entry->value, objects_entry->path,
            quoted(std::string(objects)) +
                " is not an object kind of default privileges; expected one of: tables, "
                "sequences, functions, types, schemas");
      continue;
    }
    if (!schema.empty() && lowered == "schemas") {
      error(objects_entry->value, objects_entry->path,
            "default privileges on schemas are database-wide only (PostgreSQL refuses IN SCHEMA "
            "with ON SCHEMAS): list them under the top-level default_privileges");
      continue;
    }
    const ObjectId id = default_privileges_id(schema, role, lowered);
    Privileges defaults{id, {}, {}};
    if (const Entry* grants = fields.find("grants")) {
      defaults.grants = load_grants(*grants, allowed, lowered, "to", false);
    }
    if (const Entry* revoked = fields.find("revoked")) {
      if (!schema.empty()) {
        error(revoked->key_node, revoked->path,
              "a schema's default privileges only add to the database-wide ones (REVOKE IN "
              "SCHEMA takes back only what GRANT IN SCHEMA gave): revoke in the top-level "
              "default_privileges");
        continue;
      }
      defaults.revoked = load_grants(*revoked, allowed, lowered, "from", true);
    }
    const Diagnostic where = place(node, path);
    const auto [first, inserted] = privilege_origins_.emplace(id, where);
    if (!inserted) {
      error(node, path,
            describe(id) + " are listed more than once; first at " + location(first->second));
      continue;
    }
    target.push_back(std::move(defaults));
  }
}

// privileges: a list of entries, each naming one object by its kind's key
// (`table: orders`, `table: orders` + `column: note`, `function: f(integer)`,
// `schema: <this schema>`) with `grants` and `revoked`.
void Loader::load_privileges(const std::string& schema, const Entry& entry, Schema& target) {
  if (!entry.value.is_sequence()) {
    error(entry.value, entry.path, "expected a list of privileges entries, found " +
                                       found(entry.value));
    return;
  }
  static const std::pair<const char*, ObjectKind> kTargets[] = {
      {"schema", ObjectKind::Schema},
      {"table", ObjectKind::Table},
      {"view", ObjectKind::View},
      {"materialized_view", ObjectKind::MaterializedView},
      {"sequence", ObjectKind::Sequence},
      {"function", ObjectKind::Function},
      {"procedure", ObjectKind::Procedure},
      {"enum", ObjectKind::Enum},
      {"domain", ObjectKind::Domain},
      {"composite_type", ObjectKind::CompositeType}};
  for (size_t item_idx = 0; item_idx < entry.value.size(); ++item_idx) {
    const yaml::Node node = entry.value[item_idx];
    const std::string path = item_path(entry.path, item_idx);
    std::vector<const char*> known;
    for (const auto& target_key : kTargets) known.push_back(target_key.first);
    for (const char* key : {"column", "grants", "revoked"}) known.push_back(key);
    Fields fields(*this, node, path, known);
    std::optional<ObjectId> id;
    std::vector<const char*> named;
    for (const auto& [key, kind] : kTargets) {
      std::string name;
      fields.string(key, name, false);
      if (name.empty()) continue;
      named.push_back(key);
      id = ObjectId{kind, kind == ObjectKind::Schema ? "" : schema, "", name};
    }
    if (named.size() != 1) {
      error(node, path,
            named.empty()
                ? std::string("a privileges entry names its object with one of: schema, table, "
                              "view, materialized_view, sequence, function, procedure, enum, "
                              "domain, composite_type")
                : "a privileges entry names one object; found " + quoted(named[0]) + " and " +
                      quoted(named[1]));
      continue;
    }
    if (id->kind == ObjectKind::Schema && id->name != schema) {
      error(fields.find("schema")->value, child_path(path, "schema"),
            "privileges of schema " + quoted(std::string(id->name)) + " belong under schemas." + id->name +
                ", not under schema " + quoted(schema));
      continue;
    }
    if (const Entry* column = fields.find("column")) {
      const bool relation = id->kind == ObjectKind::Table || id->kind == ObjectKind::View ||
                            id->kind == ObjectKind::MaterializedView;
      if (!relation) {
        error(column->key_node, column->path,
              "column privileges need the column's table, view or materialized_view");
        continue;
      }
      if (auto name = as_string(column->value, column->path)) {
        id = ObjectId{ObjectKind::Column, schema, id->name, *name};
      }
    }
    Privileges privileges{*id, {}, {}};
    if (const Entry* grants = fields.find("grants")) {
      privileges.grants = load_grants(*grants, id->kind, "to", false);
    }
    if (const Entry* revoked = fields.find("revoked")) {
      privileges.revoked = load_grants(*revoked, id->kind, "from", true);
    }
    const Diagnostic where = place(node, path);
    const auto [first, inserted] = privilege_origins_.emplace(*id, where);
    if (!inserted) {
      error(node, path,
            "privileges of " + describe(*id) + " are listed more than once; first at " +
                location(first->second));
      continue;
    }
    target.privileges.push_back(std::move(privileges));
  }
}

std::vector<Grant> Loader::load_grants(const Entry& entry, ObjectKind kind, const char* role_key,
                                       bool revoked) {
  return load_grants(entry, privileges_of_kind(kind), std::string("a ") + object_kind_name(kind),
                     role_key, revoked);
}

std::vector<Grant> Loader::load_grants(const Entry& entry, const std::vector<std::string>& allowed,
                                       const std::string& what, const char* role_key,
                                       bool revoked) {
  std::vector<Grant> grants;
  if (!entry.value.is_sequence()) {
    error(entry.value, entry.path,
          std::string("expected a list of {") + role_key + ": role, privileges: [...]}, found " +
              found(entry.value));
    return grants;
  }
  for (size_t item_idx = 0; item_idx < entry.value.size(); ++item_idx) {
    const yaml::Node node = entry.value[item_idx];
    const std::string path = item_path(entry.path, item_idx);
    std::vector<const char*> known = {role_key, "privileges"};
    if (!revoked) known.push_back("with_grant_option");
    Fields fields(*this, node, path, known);
    Grant grant;
    fields.string(role_key, grant.role, true);
    std::string lowered = grant.role;
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lowered == "public") grant.role = kPublicRole;
    fields.boolean("with_grant_option", grant.with_grant_option);
    const Entry* list = fields.require("privileges");
    if (list == nullptr) continue;
    if (!list->value.is_sequence() || list->value.size() == 0) {
      error(list->value, list->path, "expected a non-empty list of privileges, found " +
                                         found(list->value));
      continue;
    }
    for (size_t privilege_idx = 0; privilege_idx < list->value.size(); ++privilege_idx) {
      const std::string privilege_path = item_path(list->path, privilege_idx);
      auto name = as_string(list->value[privilege_idx], privilege_path);
      if (!name) continue;
      std::string upper = *name;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (std::find(allowed.begin(), allowed.end(), upper) == allowed.end()) {
        std::string expected;
        for (const auto& one : allowed) expected += (expected.empty() ? "" : ", ") + one;
        error(list->value[privilege_idx], privilege_path,
              quoted(std::string(*name)) + " is not a privilege of " + what +
                  "; expected one of: " + expected +
                  (upper == "ALL" ? " (ALL is not accepted: list them)" : ""));
        continue;
      }
      grant.privileges.push_back(upper);
    }
    if (!grant.role.empty() && !grant.privileges.empty()) grants.push_back(std::move(grant));
  }
  return grants;
}

Table Loader::load_table(const std::string& schema, const Entry& entry) {
  Table table{entry.key};
  // A second definition is reported once, not once per column and index.
  if (!define({ObjectKind::Table, schema, "", table.name}, entry.key_node, entry.path)) {
    return table;
  }
  Fields fields(*this, entry.value, entry.path,
                {"renamed_from", "comment", "columns", "primary_key", "unique", "checks",
                 "foreign_keys", "indexes", "triggers", "partition_by", "partition_of",
                 "replica_identity", "backfill_batch_size", "row_security", "policies",
                 "expand_contract", "exclusion_constraints", "unlogged", "options", "owner"});
  load_owner(fields, table.owner);
  fields.optional_string("renamed_from", table.renamed_from);
  fields.boolean("expand_contract", table.expand_contract);
  fields.optional_string("comment", table.comment);
  if (const Entry* columns = fields.find("columns")) {
    const std::vector<Entry> listed = entries(columns->value, columns->path);
    table.columns.reserve(listed.size());
    for (const auto& column : listed) {
      define({ObjectKind::Column, schema, table.name, column.key}, column.key_node, column.path);
      table.columns.push_back(load_column(column));
    }
  }
  if (const Entry* primary_key = fields.find("primary_key")) {
    load_primary_key(schema, *primary_key, table);
  }
  if (const Entry* unique = fields.find("unique")) load_unique(schema, *unique, table);
  if (const Entry* checks = fields.find("checks")) load_checks(schema, *checks, table);
  if (const Entry* exclusions = fields.find("exclusion_constraints")) {
    load_exclusions(schema, *exclusions, table);
  }
  fields.boolean("unlogged", table.unlogged);
  fields.option_map("options", table.options);
  if (const Entry* foreign_keys = fields.find("foreign_keys")) {
    load_foreign_keys(schema, *foreign_keys, table);
  }
  if (const Entry* indexes = fields.find("indexes")) {
    load_indexes(schema, table.name, *indexes, table.indexes);
  }
  if (const Entry* triggers = fields.find("triggers")) load_triggers(schema, *triggers, table);
  if (const Entry* policies = fields.find("policies")) load_policies(schema, *policies, table);
  if (const Entry* row_security = fields.find("row_security")) {
    load_row_security(*row_security, table);
  }
  if (const Entry* partition_by = fields.find("partition_by")) {
    Fields partition(*this, partition_by->value, partition_by->path, {"strategy", "key"});
    PartitionBy by;
    partition.keyword("strategy", detail::kPartitionStrategies, by.strategy, true);
    partition.string("key", by.key, true);
    partition.sql("key", SqlKind::PartitionKey);
    table.partition_by = by;
  }
  if (const Entry* partition_of = fields.find("partition_of")) {
    Fields partition(*this, partition_of->value, partition_of->path, {"schema", "table", "bound"});
    PartitionOf of{schema};
    partition.string("schema", of.parent_schema, false);
    partition.string("table", of.parent_table, true);
    partition.string("bound", of.bound, true);
    partition.sql("bound", SqlKind::PartitionBound);
    table.partition_of = of;
  }
  if (const Entry* replica_identity = fields.find("replica_identity")) {
    load_replica_identity(*replica_identity, table);
  }
  if (const Entry* batch = fields.find("backfill_batch_size")) {
    table.backfill_batch_size = as_integer(batch->value, batch->path);
    if (table.backfill_batch_size && *table.backfill_batch_size <= 0) {
      error(batch->value, batch->path, "expected a positive integer, found " + found(batch->value));
    }
  }
  return table;
}

Column Loader::load_column(const Entry& entry) {
  Column column{entry.key};
  if (entry.value.is_scalar()) {
    column.type = entry.value.scalar();
    check_sql(entry.value, entry.path, SqlKind::TypeName, column.type);
    return column;
  }
  Fields fields(*this, entry.value, entry.path,
                {"type", "nullable", "default", "identity", "generated", "collation", "comment",
                 "storage", "compression", "statistics", "backfill", "renamed_from", "using",
                 "expand_contract"});
  fields.string("type", column.type, true);
  fields.sql("type", SqlKind::TypeName);
  bool nullable = true;
  fields.boolean("nullable", nullable);
  column.not_null = !nullable;
  fields.optional_string("default", column.default_expr);
  fields.sql("default", SqlKind::Expression);
  if (const Entry* identity = fields.find("identity")) {
    load_identity(identity->value, identity->path, column);
  }
  fields.optional_string("generated", column.generated);
  fields.sql("generated", SqlKind::Expression);
  fields.optional_string("collation", column.collation);
  fields.optional_string("comment", column.comment);
  load_column_storage(fields, column.storage, column.compression, column.statistics);
  fields.optional_string("backfill", column.backfill);
  fields.sql("backfill", SqlKind::Expression);
  fields.optional_string("renamed_from", column.renamed_from);
  fields.optional_string("using", column.using_expr);
  fields.sql("using", SqlKind::Expression);
  if (const Entry* request = fields.find("expand_contract")) {
    load_expand_contract(request->value, request->path, column);
  }
  return column;
}

// storage: plain | external | extended | main; compression: pglz | lz4;
// statistics: 0 to 10000, or -1 (the default, the same as leaving it out).
void Loader::load_column_storage(Fields& fields, OptionalText& storage_setting,
                                 OptionalText& compression_setting,
                                 std::optional<int>& statistics) {
  static const detail::Keywords<std::string> kStorages = {
      {"plain", "plain"}, {"external", "external"}, {"extended", "extended"}, {"main", "main"}};
  static const detail::Keywords<std::string> kCompressions = {{"pglz", "pglz"}, {"lz4", "lz4"}};
  std::string storage;
  fields.keyword("storage", kStorages, storage, false);
  if (!storage.empty()) storage_setting = storage;
  std::string compression;
  fields.keyword("compression", kCompressions, compression, false);
  if (!compression.empty()) compression_setting = compression;
  if (const Entry* entry = fields.find("statistics")) {
    if (auto target = as_integer(entry->value, entry->path)) {
      if (*target < -1 || *target > 10000) {
        error(entry->value, entry->path,
              "expected a statistics target from 0 to 10000 (or -1, the default), found " +
                  std::to_string(*target));
      } else if (*target >= 0) {
        statistics = static_cast<int>(*target);
      }
    }
  }
}

SequenceOptions Loader::load_sequence_options(Fields& fields) {
  SequenceOptions options;
  fields.integer("start", options.start);
  fields.integer("increment", options.increment);
  fields.integer("min_value", options.min_value);
  fields.integer("max_value", options.max_value);
  fields.integer("cache", options.cache);
  fields.boolean("cycle", options.cycle);
  return options;
}

void Loader::load_identity(const yaml::Node& node, const std::string& path, Column& column) {
  if (node.is_scalar()) {
    if (auto kind = as_keyword(node, path, detail::kIdentityKinds)) column.identity = *kind;
    return;
  }
  Fields fields(*this, node, path,
                {"kind", "start", "increment", "min_value", "max_value", "cache", "cycle"});
  fields.keyword("kind", detail::kIdentityKinds, column.identity, true);
  column.identity_options = load_sequence_options(fields);
}

// `expand_contract: true` or `expand_contract: { inverse: <expression> }`;
// `false` is the same as leaving it out.
void Loader::load_expand_contract(const yaml::Node& node, const std::string& path,
                                  Column& column) {
  if (node.is_scalar()) {
    if (auto requested = as_bool(node, path); requested && *requested) {
      column.expand_contract = ExpandContract{};
    }
    return;
  }
  Fields fields(*this, node, path, {"inverse"});
  ExpandContract request;
  fields.optional_string("inverse", request.inverse);
  fields.sql("inverse", SqlKind::Expression);
  column.expand_contract = request;
}

void Loader::load_primary_key(const std::string& schema, const Entry& entry, Table& table) {
  PrimaryKey key;
  if (entry.value.is_sequence()) {
    key.columns = as_string_list(entry.value, entry.path);
  } else {
    Fields fields(*this, entry.value, entry.path,
                  {"name", "columns", "include", "deferrable", "initially_deferred", "comment",
                   "renamed_from"});
    fields.string("name", key.name, false);
    fields.string_list("columns", key.columns, true);
    fields.string_list("include", key.include, false);
    fields.boolean("deferrable", key.deferrable);
    fields.boolean("initially_deferred", key.initially_deferred);
    fields.optional_string("comment", key.comment);
    fields.optional_string("renamed_from", key.renamed_from);
  }
  if (key.name.empty()) key.name = detail::default_primary_key_name(table.name);
  define({ObjectKind::PrimaryKey, schema, table.name, key.name}, entry.key_node, entry.path);
  table.primary_key = key;
}

void Loader::load_unique(const std::string& schema, const Entry& entry, Table& table) {
  if (!entry.value.is_sequence()) {
    error(entry.value, entry.path,
          "expected a list of unique constraints, found " + found(entry.value));
    return;
  }
  for (size_t item_idx = 0; item_idx < entry.value.size(); ++item_idx) {
    const yaml::Node node = entry.value[item_idx];
    const std::string path = item_path(entry.path, item_idx);
    UniqueConstraint unique;
    if (node.is_sequence()) {
      unique.columns = as_string_list(node, path);
    } else {
      Fields fields(*this, node, path,
                    {"name", "columns", "include", "nulls_not_distinct", "deferrable",
                     "initially_deferred", "comment", "renamed_from"});
      fields.string("name", unique.name, false);
      fields.string_list("columns", unique.columns, true);
      fields.string_list("include", unique.include, false);
      fields.boolean("nulls_not_distinct", unique.nulls_not_distinct);
      fields.boolean("deferrable", unique.deferrable);
      fields.boolean("initially_deferred", unique.initially_deferred);
      fields.optional_string("comment", unique.comment);
      fields.optional_string("renamed_from", unique.renamed_from);
    }
    if (unique.name.empty()) unique.name = detail::default_unique_name(table.name, unique.columns);
    define({ObjectKind::UniqueConstraint, schema, table.name, unique.name}, node, path);
    table.unique_constraints.push_back(unique);
  }
}

void Loader::load_checks(const std::string& schema, const Entry& entry, Table& table) {
  for (const auto& item : entries(entry.value, entry.path)) {
    CheckConstraint check{item.key};
    define({ObjectKind::CheckConstraint, schema, table.name, check.name}, item.key_node, item.path);
    if (item.value.is_scalar()) {
      check.expression = item.value.scalar();
      check_sql(item.value, item.path, SqlKind::Expression, check.expression);
    } else {
      Fields fields(*this, item.value, item.path,
                    {"expression", "no_inherit", "validated", "comment", "renamed_from"});
      fields.string("expression", check.expression, true);
      fields.sql("expression", SqlKind::Expression);
      fields.boolean("no_inherit", check.no_inherit);
      fields.boolean("validated", check.validated);
      fields.optional_string("comment", check.comment);
      fields.optional_string("renamed_from", check.renamed_from);
    }
    table.check_constraints.push_back(check);
  }
}

void Loader::load_exclusions(const std::string& schema, const Entry& entry, Table& table) {
  for (const auto& item : entries(entry.value, entry.path)) {
    ExclusionConstraint exclusion;
    exclusion.name = item.key;
    define({ObjectKind::ExclusionConstraint, schema, table.name, exclusion.name}, item.key_node,
           item.path);
    Fields fields(*this, item.value, item.path,
                  {"using", "elements", "include", "where", "deferrable", "initially_deferred",
                   "comment", "renamed_from"});
    fields.string("using", exclusion.method, false);
    fields.string_list("elements", exclusion.elements, true);
    if (const Entry* elements = fields.find("elements")) {
      if (elements->value.is_sequence()) {
        for (size_t element_idx = 0; element_idx < elements->value.size(); ++element_idx) {
          const yaml::Node node = elements->value[element_idx];
          if (node.is_scalar()) {
            check_sql(node, item_path(elements->path, element_idx), SqlKind::ExclusionElement,
                      std::string(node.scalar()));
          }
        }
      }
    }
    fields.string_list("include", exclusion.include, false);
    fields.optional_string("where", exclusion.where);
    fields.sql("where", SqlKind::Expression);
    fields.boolean("deferrable", exclusion.deferrable);
    fields.boolean("initially_deferred", exclusion.initially_deferred);
    fields.optional_string("comment", exclusion.comment);
    fields.optional_string("renamed_from", exclusion.renamed_from);
    table.exclusion_constraints.push_back(exclusion);
  }
}

void Loader::load_foreign_keys(const std::string& schema, const Entry& entry, Table& table) {
  if (!entry.value.is_sequence()) {
    error(entry.value, entry.path, "expected a list of foreign keys, found " + found(entry.value));
    return;
  }
  for (size_t item_idx = 0; item_idx < entry.value.size(); ++item_idx) {
    const yaml::Node node = entry.value[item_idx];
    const std::string path = item_path(entry.path, item_idx);
    Fields fields(*this, node, path,
                  {"name", "columns", "references", "on_delete", "on_update", "match", "deferrable",
                   "initially_deferred", "validated", "comment", "renamed_from"});
    ForeignKey key;
    key.ref_schema = schema;
    fields.string("name", key.name, false);
    fields.string_list("columns", key.columns, true);
    if (const Entry* references = fields.require("references")) {
      if (references->value.is_scalar()) {
        if (auto parsed = detail::parse_table_reference(std::string(references->value.scalar()))) {
          if (!parsed->schema.empty()) key.ref_schema = parsed->schema;
          key.ref_table = parsed->table;
          key.ref_columns = parsed->columns;
        } else {
          const std::string text(references->value.scalar());
          // In a { ... } mapping an unquoted comma ends the value.
          const bool cut_at_comma =
              text.find('(') != std::string::npos && text.find(')') == std::string::npos;
          error(references->value, references->path,
                "expected \"table(column, ...)\" or \"schema.table(column, ...)\", found " +
                    found(references->value) +
                    (cut_at_comma ? " (in a { ... } mapping a comma ends an unquoted value: "
                                    "quote it, references: \"" + text + ", ...)\")"
                                  : std::string()));
        }
      } else {
        Fields target(*this, references->value, references->path, {"schema", "table", "columns"});
        target.string("schema", key.ref_schema, false);
        target.string("table", key.ref_table, true);
        target.string_list("columns", key.ref_columns, true);
      }
    }
    fields.keyword("on_delete", detail::kReferentialActions, key.on_delete, false);
    fields.keyword("on_update", detail::kReferentialActions, key.on_update, false);
    fields.keyword("match", detail::kMatchTypes, key.match, false);
    fields.boolean("deferrable", key.deferrable);
    fields.boolean("initially_deferred", key.initially_deferred);
    fields.boolean("validated", key.validated);
    fields.optional_string("comment", key.comment);
    fields.optional_string("renamed_from", key.renamed_from);
    if (key.name.empty()) key.name = detail::default_foreign_key_name(table.name, key.columns);
    define({ObjectKind::ForeignKey, schema, table.name, key.name}, node, path);
    table.foreign_keys.push_back(key);
  }
}

IndexKey Loader::load_index_key(const yaml::Node& node, const std::string& path) {
  IndexKey key;
  if (node.is_scalar()) {
    key.column = node.scalar();
    return key;
  }
  Fields fields(*this, node, path,
                {"column", "expression", "opclass", "collation", "order", "nulls"});
  fields.optional_string("column", key.column);
  fields.optional_string("expression", key.expression);
  fields.sql("expression", SqlKind::Expression);
  if (fields.find("column") && fields.find("expression")) {
    error(node, path, "expected either \"column\" or \"expression\", found both");
  } else if (!fields.find("column") && !fields.find("expression")) {
    error(node, path, "missing required key \"column\" or \"expression\"");
  }
  fields.optional_string("opclass", key.opclass);
  fields.optional_string("collation", key.collation);
  fields.keyword("order", detail::kSortOrders, key.order, false);
  fields.keyword("nulls", detail::kNullsOrders, key.nulls, false);
  return key;
}

Index Loader::load_index(const Entry& entry) {
  Index index{entry.key};
  Fields fields(*this, entry.value, entry.path,
                {"columns", "unique", "nulls_not_distinct", "method", "include", "where", "options",
                 "comment", "valid", "renamed_from"});
  if (const Entry* columns = fields.require("columns")) {
    if (!columns->value.is_sequence()) {
      error(columns->value, columns->path,
            "expected a list of columns or expressions, found " + found(columns->value));
    } else {
      for (size_t key_idx = 0; key_idx < columns->value.size(); ++key_idx) {
        index.keys.push_back(
            load_index_key(columns->value[key_idx], item_path(columns->path, key_idx)));
      }
    }
  }
  fields.boolean("unique", index.unique);
  fields.boolean("nulls_not_distinct", index.nulls_not_distinct);
  fields.string("method", index.method, false);
  fields.string_list("include", index.include, false);
  fields.optional_string("where", index.where);
  fields.sql("where", SqlKind::Expression);
  fields.option_map("options", index.options);
  fields.optional_string("comment", index.comment);
  fields.boolean("valid", index.valid);
  fields.optional_string("renamed_from", index.renamed_from);
  return index;
}

void Loader::load_indexes(const std::string& schema, const std::string& table, const Entry& entry,
                          std::vector<Index>& indexes) {
  for (const auto& item : entries(entry.value, entry.path)) {
    define({ObjectKind::Index, schema, table, item.key}, item.key_node, item.path);
    indexes.push_back(load_index(item));
  }
}

void Loader::load_triggers(const std::string& schema, const Entry& entry, Table& table) {
  for (const auto& item : entries(entry.value, entry.path)) {
    Trigger trigger{item.key};
    define({ObjectKind::Trigger, schema, table.name, trigger.name}, item.key_node, item.path);
    Fields fields(*this, item.value, item.path,
                  {"timing", "events", "update_of", "for_each", "function", "arguments", "when",
                   "comment", "constraint", "deferrable", "initially_deferred", "from", "firing"});
    fields.keyword("timing", detail::kTriggerTimings, trigger.timing, true);
    fields.keyword("firing", detail::kTriggerFirings, trigger.firing, false);
    if (const Entry* events = fields.require("events")) {
      const std::vector<std::string> words = as_string_list(events->value, events->path);
      for (const auto& [word, event] : detail::kTriggerEvents) {
        if (std::count(words.begin(), words.end(), word) > 0) trigger.events.push_back(event);
      }
      for (size_t word_idx = 0; word_idx < words.size(); ++word_idx) {
        const auto& word = words[word_idx];
        const bool known = std::any_of(detail::kTriggerEvents.begin(), detail::kTriggerEvents.end(),
                                       [&](const auto& event) { return word == event.first; });
        const std::string path = item_path(events->path, word_idx);
        if (!known) {
          error(events->value[word_idx], path,
                "expected insert, update, delete or truncate, found " + quoted(word));
        } else if (std::find(words.begin(), words.begin() + word_idx, word) !=
                   words.begin() + word_idx) {
          error(events->value[word_idx], path, "event " + quoted(word) + " is listed twice");
        }
      }
    }
    fields.string_list("update_of", trigger.update_of, false);
    fields.keyword("for_each", detail::kForEach, trigger.for_each_row, false);
    fields.string("function", trigger.function, true);
    if (!trigger.function.empty() && trigger.function.find('.') == std::string::npos) {
      trigger.function = schema + "." + trigger.function;
    }
    fields.string_list("arguments", trigger.arguments, false);
    fields.optional_string("when", trigger.when);
    fields.sql("when", SqlKind::Expression);
    fields.optional_string("comment", trigger.comment);
    fields.boolean("constraint", trigger.constraint);
    fields.boolean("deferrable", trigger.deferrable);
    fields.boolean("initially_deferred", trigger.initially_deferred);
    fields.string("from", trigger.from, false);
    if (!trigger.from.empty() && trigger.from.find('.') == std::string::npos) {
      trigger.from = schema + "." + trigger.from;
    }
    // What CREATE CONSTRAINT TRIGGER accepts, reported where it is written.
    if (const Entry* constraint = fields.find("constraint"); constraint && trigger.constraint) {
      if (trigger.timing != TriggerTiming::After || !trigger.for_each_row) {
        error(constraint->value, constraint->path,
              "a constraint trigger is timing: after and for_each: row");
      }
    } else {
      for (const char* key : {"deferrable", "initially_deferred", "from"}) {
        if (const Entry* only = fields.find(key)) {
          if (std::string(key) == "from" ||
              (only->value.is_scalar() && only->value.scalar() != "false")) {
            error(only->value, only->path,
                  std::string(key) + " is for a constraint trigger (constraint: true)");
          }
        }
      }
    }
    if (const Entry* deferred = fields.find("initially_deferred");
        deferred && trigger.constraint && trigger.initially_deferred && !trigger.deferrable) {
      error(deferred->value, deferred->path, "initially_deferred needs deferrable: true");
    }
    table.triggers.push_back(trigger);
  }
}

void Loader::load_policies(const std::string& schema, const Entry& entry, Table& table) {
  for (const auto& item : entries(entry.value, entry.path)) {
    Policy policy{item.key};
    define({ObjectKind::Policy, schema, table.name, policy.name}, item.key_node, item.path);
    Fields fields(*this, item.value, item.path,
                  {"command", "kind", "roles", "using", "with_check", "comment", "renamed_from"});
    fields.keyword("command", detail::kPolicyCommands, policy.command, false);
    fields.keyword("kind", detail::kPolicyKinds, policy.permissive, false);
    if (const Entry* roles = fields.find("roles")) {
      policy.roles = as_string_list(roles->value, roles->path);
      for (size_t role_idx = 0; role_idx < policy.roles.size(); ++role_idx) {
        std::string& role = policy.roles[role_idx];
        const std::string path = item_path(roles->path, role_idx);
        // PUBLIC is a keyword, in any case; a role cannot be named "public".
        std::string lowered = role;
        for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lowered == kPublicRole) role = kPublicRole;
        if (role.empty()) {
          error(roles->value[role_idx], path, "expected a role name, found """);
        } else if (std::find(policy.roles.begin(), policy.roles.begin() + role_idx, role) !=
                   policy.roles.begin() + role_idx) {
          error(roles->value[role_idx], path, "role \"" + role + "\" is listed twice");
        }
      }
      if (policy.roles.empty() && roles->value.is_sequence()) {
        error(roles->value, roles->path,
              "expected at least one role (public, the default, for every role)");
      } else if (policy.roles.size() > 1 &&
                 std::find(policy.roles.begin(), policy.roles.end(), kPublicRole) !=
                     policy.roles.end()) {
        error(roles->value, roles->path,
              "public stands for every role: list it alone, or name the roles without it");
      }
    }
    fields.optional_string("using", policy.using_expr);
    fields.sql("using", SqlKind::Expression);
    fields.optional_string("with_check", policy.with_check);
    fields.sql("with_check", SqlKind::Expression);
    // What CREATE POLICY refuses (policy.c): no USING for INSERT, no WITH
    // CHECK for SELECT and DELETE.
    if (policy.command == PolicyCommand::Insert && policy.using_expr) {
      const Entry* using_entry = fields.find("using");
      error(using_entry->key_node, using_entry->path,
            "an insert policy has no USING expression (rows are only written): use with_check");
    }
    if ((policy.command == PolicyCommand::Select || policy.command == PolicyCommand::Delete) &&
        policy.with_check) {
      const Entry* check_entry = fields.find("with_check");
      error(check_entry->key_node, check_entry->path,
            std::string("a ") + detail::keyword_of(detail::kPolicyCommands, policy.command) +
                " policy has no WITH CHECK expression (no row is written): use using");
    }
    fields.optional_string("comment", policy.comment);
    fields.optional_string("renamed_from", policy.renamed_from);
    table.policies.push_back(policy);
  }
}

void Loader::load_row_security(const Entry& entry, Table& table) {
  // `row_security: true` is short for {enabled: true}.
  if (entry.value.is_scalar()) {
    if (auto enabled = as_bool(entry.value, entry.path)) table.row_security.enabled = *enabled;
    return;
  }
  Fields fields(*this, entry.value, entry.path, {"enabled", "forced"});
  fields.boolean("enabled", table.row_security.enabled);
  fields.boolean("forced", table.row_security.forced);
}

void Loader::load_replica_identity(const Entry& entry, Table& table) {
  if (entry.value.is_scalar()) {
    if (auto identity = as_keyword(entry.value, entry.path, detail::kReplicaIdentities)) {
      table.replica_identity = *identity;
    }
    return;
  }
  Fields fields(*this, entry.value, entry.path, {"using_index"});
  table.replica_identity = ReplicaIdentity::UsingIndex;
  std::string index;
  fields.string("using_index", index, true);
  table.replica_identity_index = index;
}

void Loader::load_sequence(const std::string& schema, const Entry& entry, Schema& target) {
  Sequence sequence{entry.key};
  define({ObjectKind::Sequence, schema, "", sequence.name}, entry.key_node, entry.path);
  Fields fields(*this, entry.value, entry.path,
                {"type", "start", "increment", "min_value", "max_value", "cache", "cycle",
                 "owned_by", "comment", "renamed_from", "owner"});
  load_owner(fields, sequence.owner);
  if (sequence.owner && fields.find("owned_by") != nullptr) {
    const Entry* owner = fields.find("owner");
    error(owner->key_node, owner->path,
          "a sequence owned by a column follows its table's owner (the server refuses to change "
          "it alone): give the owner to table instead, or remove owned_by");
  }
  fields.string("type", sequence.type, false);
  fields.sql("type", SqlKind::TypeName);
  sequence.options = load_sequence_options(fields);
  fields.optional_string("owned_by", sequence.owned_by);
  if (sequence.owned_by) {
    // schema.table.column; table.column is a table of the sequence's schema.
    const auto dots = std::count(sequence.owned_by->begin(), sequence.owned_by->end(), '.');
    if (dots == 1) {
      sequence.owned_by = schema + "." + *sequence.owned_by;
    } else if (dots != 2) {
      const Entry* owned_by = fields.find("owned_by");
      error(owned_by->value, owned_by->path,
            "expected the owning column as table.column or schema.table.column, found \"" +
                *sequence.owned_by + "\"");
      sequence.owned_by.reset();
    }
  }
  fields.optional_string("comment", sequence.comment);
  fields.optional_string("renamed_from", sequence.renamed_from);
  target.sequences.push_back(sequence);
}

void Loader::load_enum(const std::string& schema, const Entry& entry, Schema& target) {
  Enum type{entry.key};
  define({ObjectKind::Enum, schema, "", type.name}, entry.key_node, entry.path);
  if (entry.value.is_sequence()) {
    load_enum_labels(entry.value, entry.path, type);
  } else {
    Fields fields(*this, entry.value, entry.path, {"labels", "comment", "owner"});
    load_owner(fields, type.owner);
    if (const Entry* labels = fields.require("labels")) {
      load_enum_labels(labels->value, labels->path, type);
    }
    fields.optional_string("comment", type.comment);
  }
  target.enums.push_back(type);
}

// A label is a string, or {name: <label>, renamed_from: <previous label>}
// (a planning hint: ALTER TYPE ... RENAME VALUE).
void Loader::load_enum_labels(const yaml::Node& node, const std::string& path, Enum& type) {
  if (!node.is_sequence()) {
    error(node, path, "expected a list of names, found " + found(node));
    return;
  }
  for (size_t label_idx = 0; label_idx < node.size(); ++label_idx) {
    const yaml::Node label = node[label_idx];
    const std::string label_path = item_path(path, label_idx);
    if (!label.is_map()) {
      if (auto text = as_string(label, label_path)) type.labels.push_back(*text);
      continue;
    }
    Fields fields(*this, label, label_path, {"name", "renamed_from"});
    std::string name;
    std::optional<std::string> renamed_from;
    fields.string("name", name, true);
    fields.optional_string("renamed_from", renamed_from);
    type.labels.push_back(name);
    if (renamed_from) type.label_renamed_from[name] = *renamed_from;
  }
}

void Loader::load_domain(const std::string& schema, const Entry& entry, Schema& target) {
  Domain domain{entry.key};
  define({ObjectKind::Domain, schema, "", domain.name}, entry.key_node, entry.path);
  Fields fields(*this, entry.value, entry.path,
                {"type", "default", "nullable", "collation", "checks", "comment", "owner"});
  load_owner(fields, domain.owner);
  fields.string("type", domain.base_type, true);
  fields.sql("type", SqlKind::TypeName);
  fields.optional_string("default", domain.default_expr);
  fields.sql("default", SqlKind::Expression);
  bool nullable = true;
  fields.boolean("nullable", nullable);
  domain.not_null = !nullable;
  fields.optional_string("collation", domain.collation);
  if (const Entry* checks = fields.find("checks")) {
    for (const auto& check : entries(checks->value, checks->path)) {
      if (auto expression = as_string(check.value, check.path)) {
        check_sql(check.value, check.path, SqlKind::Expression, *expression);
        domain.checks.push_back({check.key, *expression});
      }
    }
  }
  fields.optional_string("comment", domain.comment);
  target.domains.push_back(domain);
}

void Loader::load_composite_type(const std::string& schema, const Entry& entry, Schema& target) {
  CompositeType type{entry.key};
  define({ObjectKind::CompositeType, schema, "", type.name}, entry.key_node, entry.path);
  Fields fields(*this, entry.value, entry.path, {"attributes", "comment", "owner"});
  load_owner(fields, type.owner);
  if (const Entry* attributes = fields.require("attributes")) {
    for (const auto& attribute : entries(attributes->value, attributes->path)) {
      CompositeAttribute loaded{attribute.key};
      if (attribute.value.is_scalar()) {
        loaded.type = attribute.value.scalar();
        check_sql(attribute.value, attribute.path, SqlKind::TypeName, loaded.type);
      } else {
        Fields attribute_fields(*this, attribute.value, attribute.path, {"type", "collation"});
        attribute_fields.string("type", loaded.type, true);
        attribute_fields.sql("type", SqlKind::TypeName);
        attribute_fields.optional_string("collation", loaded.collation);
      }
      type.attributes.push_back(loaded);
    }
  }
  fields.optional_string("comment", type.comment);
  target.composite_types.push_back(type);
}

void Loader::load_view(const std::string& schema, const Entry& entry, Schema& target) {
  View view{entry.key};
  define({ObjectKind::View, schema, "", view.name}, entry.key_node, entry.path);
  if (entry.value.is_scalar()) {
    view.definition = query_text(entry.value, entry.path, std::string(entry.value.scalar()));
  } else {
    Fields fields(*this, entry.value, entry.path,
                  {"definition", "options", "comment", "renamed_from", "owner"});
    load_owner(fields, view.owner);
    fields.string("definition", view.definition, true);
    if (const Entry* definition = fields.find("definition")) {
      view.definition = query_text(definition->value, definition->path, view.definition);
    }
    fields.option_map("options", view.options);
    fields.optional_string("comment", view.comment);
    fields.optional_string("renamed_from", view.renamed_from);
  }
  target.views.push_back(view);
}

void Loader::load_materialized_view(const std::string& schema, const Entry& entry, Schema& target) {
  MaterializedView view{entry.key};
  define({ObjectKind::MaterializedView, schema, "", view.name}, entry.key_node, entry.path);
  if (entry.value.is_scalar()) {
    view.definition = query_text(entry.value, entry.path, std::string(entry.value.scalar()));
  } else {
    Fields fields(*this, entry.value, entry.path,
                  {"definition", "options", "with_data", "columns", "indexes", "comment",
                   "renamed_from", "owner"});
    load_owner(fields, view.owner);
    fields.string("definition", view.definition, true);
    if (const Entry* definition = fields.find("definition")) {
      view.definition = query_text(definition->value, definition->path, view.definition);
    }
    fields.option_map("options", view.options);
    fields.boolean("with_data", view.with_data);
    if (const Entry* columns = fields.find("columns")) {
      for (const auto& column : entries(columns->value, columns->path)) {
        ColumnSettings settings{column.key};
        Fields settings_fields(*this, column.value, column.path,
                               {"storage", "compression", "statistics"});
        load_column_storage(settings_fields, settings.storage, settings.compression,
                            settings.statistics);
        view.columns.push_back(std::move(settings));
      }
    }
    if (const Entry* indexes = fields.find("indexes")) {
      load_indexes(schema, view.name, *indexes, view.indexes);
    }
    fields.optional_string("comment", view.comment);
    fields.optional_string("renamed_from", view.renamed_from);
  }
  target.materialized_views.push_back(view);
}

void Loader::load_routines(const std::string& schema, const Entry& entry, bool procedures,
                           Schema& target) {
  if (!entry.value.is_sequence()) {
    load_routine(schema, entry.key, entry.value, entry.path, entry.key_node, procedures, target);
    return;
  }
  for (size_t overload_idx = 0; overload_idx < entry.value.size(); ++overload_idx) {
    const yaml::Node node = entry.value[overload_idx];
    load_routine(schema, entry.key, node, item_path(entry.path, overload_idx), node, procedures,
                 target);
  }
}

void Loader::load_routine(const std::string& schema, const std::string& name,
                          const yaml::Node& node, const std::string& path,
                          const yaml::Node& name_node, bool procedure, Schema& target) {
  Function function{name};
  function.is_procedure = procedure;
  const std::size_t problems_before = diagnostics_.size();
  std::vector<const char*> known = {"args",     "language",         "body",   "sql_body",
                                    "security_definer", "comment", "owner"};
  if (!procedure) known.insert(known.end(), {"returns", "volatility", "strict"});
  Fields fields(*this, node, path, known);
  if (const Entry* args = fields.find("args")) {
    if (!args->value.is_sequence()) {
      error(args->value, args->path, "expected a list of arguments, found " + found(args->value));
    } else {
      for (size_t arg_idx = 0; arg_idx < args->value.size(); ++arg_idx) {
        const yaml::Node arg_node = args->value[arg_idx];
        FunctionArg arg;
        if (arg_node.is_scalar()) {
          arg.type = arg_node.scalar();
          check_sql(arg_node, item_path(args->path, arg_idx), SqlKind::TypeName, arg.type);
        } else {
          Fields arg_fields(*this, arg_node, item_path(args->path, arg_idx),
                            {"name", "type", "mode", "default"});
          arg_fields.string("name", arg.name, false);
          arg_fields.string("type", arg.type, true);
          arg_fields.sql("type", SqlKind::TypeName);
          arg_fields.keyword("mode", detail::kArgModes, arg.mode, false);
          arg_fields.optional_string("default", arg.default_expr);
          arg_fields.sql("default", SqlKind::Expression);
        }
        function.args.push_back(arg);
      }
    }
  }
  if (!procedure) {
    fields.string("returns", function.returns, true);
    fields.sql("returns", SqlKind::FunctionReturns);
    fields.keyword("volatility", detail::kVolatilities, function.volatility, false);
    fields.boolean("strict", function.strict);
  }
  fields.string("language", function.language, false);
  // The dev database creates the function: these languages load or run code
  // of the YAML on the server while it is created.
  if (const Entry* language = fields.find("language")) {
    std::string lower = function.language;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "c" || lower == "internal") {
      error(language->value, language->path,
            "LANGUAGE " + lower +
                " is not supported: creating the function loads code into the server that "
                "builds the desired state");
    } else if (lower == "plperl" || lower == "plperlu") {
      error(language->value, language->path,
            "LANGUAGE " + lower +
                " is not supported: PL/Perl compiles the body when the function is created, and "
                "Perl runs BEGIN blocks while it compiles, on the server that builds the desired "
                "state");
    }
  }
  if (const Entry* sql_body = fields.find("sql_body")) {
    // A SQL-standard body (PostgreSQL 14+): RETURN expr or BEGIN ATOMIC ... END.
    function.sql_body = true;
    fields.string("sql_body", function.body, true);
    fields.sql("sql_body", SqlKind::SqlStandardBody);
    if (const Entry* body = fields.find("body")) {
      error(body->key_node, body->path,
            "give either body (the source of the routine) or sql_body (a SQL-standard body), "
            "not both");
    }
    if (function.language != "sql") {
      error(sql_body->key_node, sql_body->path,
            "a SQL-standard body (sql_body) needs language sql, found " + function.language);
    }
  } else {
    fields.string("body", function.body, true);
    if (function.language == "sql") fields.sql("body", SqlKind::SqlFunctionBody);
  }
  // Checked inside a CREATE FUNCTION of its arguments: only when they are valid.
  if (function.language == "plpgsql" && !function.sql_body &&
      diagnostics_.size() == problems_before) {
    check_plpgsql(fields, function);
  }
  fields.boolean("security_definer", function.security_definer);
  fields.optional_string("comment", function.comment);
  load_owner(fields, function.owner);
  define({procedure ? ObjectKind::Procedure : ObjectKind::Function, schema, "",
          function_signature(function)},
         name_node, path);
  target.functions.push_back(function);
}

void Loader::check_plpgsql(Fields& fields, const Function& function) {
  const Entry* body = fields.find("body");
  if (body == nullptr || !body->value.is_scalar()) return;
  std::string arguments;
  for (const auto& arg : function.args) {
    const char* mode = "";
    switch (arg.mode) {
      case ArgMode::In:
        break;
      case ArgMode::Out:
        mode = "OUT ";
        break;
      case ArgMode::InOut:
        mode = "INOUT ";
        break;
      case ArgMode::Variadic:
        mode = "VARIADIC ";
        break;
      case ArgMode::Table:
        continue;  // part of RETURNS TABLE (...)
    }
    std::string name;
    if (!arg.name.empty()) {
      name = "\"";
      for (char c : arg.name) name += c == '"' ? std::string("\"\"") : std::string(1, c);
      name += "\" ";
    }
    arguments += (arguments.empty() ? "" : ", ") + std::string(mode) + name + arg.type;
  }
  const auto problem =
      check_plpgsql_body(function.body, arguments, function.is_procedure ? "" : function.returns);
  if (problem) error(body->value, body->path, "invalid plpgsql body: " + problem->message);
}

// The hints of a table or column are spelled and checked as in a desired-state
// file (load_table, load_column); the object must be one the SQL defined,
// keyed by the name the SQL gives it.
void Loader::load_hints_document(const std::string& file, const std::string& text,
                                 Database* target) {
  yaml::Document document;
  if (!parse(file, text, document)) return;
  reserve_names(document);
  const yaml::Node root = document.root();
  const std::string undefined = " is not defined by the SQL desired state";
  Fields top(*this, root, "", {"schemas"});
  const Entry* schemas = top.find("schemas");
  if (schemas == nullptr) return;
  for (const auto& schema_entry : entries(schemas->value, schemas->path)) {
    Schema* schema = target ? find_named(target->schemas, schema_entry.key) : nullptr;
    Fields schema_fields(*this, schema_entry.value, schema_entry.path, {"tables"});
    if (target && !schema) {
      error(schema_entry.key_node, schema_entry.path,
            "schema " + quoted(schema_entry.key) + undefined +
                " (pgshift manages the schemas the SQL creates or changes)");
      continue;
    }
    const Entry* tables = schema_fields.find("tables");
    if (tables == nullptr) continue;
    for (const auto& table_entry : entries(tables->value, tables->path)) {
      Table scratch{table_entry.key};
      Table* table = schema ? find_named(schema->tables, table_entry.key) : &scratch;
      Fields fields(*this, table_entry.value, table_entry.path,
                    {"renamed_from", "backfill_batch_size", "expand_contract", "columns"});
      if (!table) {
        error(table_entry.key_node, table_entry.path,
              "table " + quoted(schema_entry.key + "." + table_entry.key) + undefined +
                  " (a hint is keyed by the name the SQL gives the table)");
        continue;
      }
      fields.optional_string("renamed_from", table->renamed_from);
      fields.boolean("expand_contract", table->expand_contract);
      if (const Entry* batch = fields.find("backfill_batch_size")) {
        table->backfill_batch_size = as_integer(batch->value, batch->path);
        if (table->backfill_batch_size && *table->backfill_batch_size <= 0) {
          error(batch->value, batch->path,
                "expected a positive integer, found " + found(batch->value));
        }
      }
      const Entry* columns = fields.find("columns");
      if (columns == nullptr) continue;
      for (const auto& column_entry : entries(columns->value, columns->path)) {
        Column scratch_column{column_entry.key};
        Column* column =
            schema ? find_named(table->columns, column_entry.key) : &scratch_column;
        if (column_entry.value.is_scalar()) {
          error(column_entry.value, column_entry.path,
                "expected a mapping of hints (backfill, renamed_from, using, expand_contract), "
                "found " +
                    found(column_entry.value) + "; the column's type comes from the SQL");
          continue;
        }
        Fields hints(*this, column_entry.value, column_entry.path,
                     {"backfill", "renamed_from", "using", "expand_contract"});
        if (!column) {
          error(column_entry.key_node, column_entry.path,
                "column " + quoted(column_entry.key) + " of table " +
                    quoted(schema_entry.key + "." + table_entry.key) + undefined +
                    " (a hint is keyed by the name the SQL gives the column)");
          continue;
        }
        hints.optional_string("backfill", column->backfill);
        hints.sql("backfill", SqlKind::Expression);
        hints.optional_string("renamed_from", column->renamed_from);
        hints.optional_string("using", column->using_expr);
        hints.sql("using", SqlKind::Expression);
        if (const Entry* request = hints.find("expand_contract")) {
          load_expand_contract(request->value, request->path, *column);
        }
      }
    }
  }
}

void Loader::throw_if_reported() {
  if (diagnostics_.empty()) return;
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::make_pair(a.line, a.column) < std::make_pair(b.line, b.column);
                   });
  throw LoadError(diagnostics_, sources_);
}

void Loader::load_owner(const Fields& fields, std::optional<std::string>& owner) {
  const Entry* entry = fields.find("owner");
  if (entry == nullptr) return;
  owner = as_string(entry->value, entry->path);
  if (owner && owner->empty()) {
    error(entry->value, entry->path, "expected a role name, found an empty string");
    owner.reset();
    return;
  }
  Diagnostic where = place(entry->key_node, entry->path);
  where.message =
      "owner is set but owners are not managed: add manage_owners: true at the top level, or "
      "remove owner:";
  owner_places_.push_back(where);
}

Database Loader::finish() {
  if (!db_.manage_owners) {
    diagnostics_.insert(diagnostics_.end(), owner_places_.begin(), owner_places_.end());
  }
  canonicalize(db_);
  if (diagnostics_.empty()) {
    for (const auto& problem : validate(db_)) {
      Diagnostic diagnostic{file_};
      const auto& places = origins_.places;
      const auto privileges = privilege_origins_.find(problem.object);
      auto origin = places.find(problem.object);
      if (origin == places.end()) {
        origin = places.find({ObjectKind::Table, problem.object.schema, "", problem.object.table});
      }
      if ((problem.message.rfind("privileges of ", 0) == 0 ||
           problem.object.kind == ObjectKind::DefaultPrivileges) &&
          privileges != privilege_origins_.end()) {
        diagnostic = privileges->second;
      } else if (origin != places.end()) {
        diagnostic = diagnostic_at(origin->second);
      }
      diagnostic.message = problem.message;
      diagnostics_.push_back(diagnostic);
    }
  }
  if (diagnostics_.empty()) {
    names_.clear();  // it points into origins_, handed over below
    db_.origins = std::make_shared<const Origins>(std::move(origins_));
    return std::move(db_);
  }
  auto rank = [&](const Diagnostic& diagnostic) {
    const auto source = std::find_if(sources_.begin(), sources_.end(), [&](const auto& entry) {
      return entry.first == diagnostic.file;
    });
    return std::make_tuple(source - sources_.begin(), diagnostic.line, diagnostic.column);
  };
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return rank(a) < rank(b); });
  throw LoadError(diagnostics_, sources_);
}

// The contents of `path`, read up to kMaxFileBytes and one byte more, so that
// a larger file (or /dev/zero) is recognized without being read to the end.
// nullopt when it cannot be read, with the system's reason in `why`.
std::optional<std::string> read_file(const std::filesystem::path& path, std::string& why) {
  errno = 0;
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    why = system_reason();
    return std::nullopt;
  }
  std::string text;
  char buffer[65536];
  while (text.size() <= kMaxFileBytes && stream.read(buffer, sizeof buffer).gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(stream.gcount()));
  }
  if (stream.bad()) {
    why = system_reason();  // a directory: "Is a directory"
    return std::nullopt;
  }
  return text;
}

}  // namespace

LoadError::LoadError(std::vector<Diagnostic> diagnostics_in,
                     const std::vector<std::pair<std::string, std::string_view>>& sources)
    : pgshift::Error(format_diagnostics(diagnostics_in, sources)),
      diagnostics(std::move(diagnostics_in)) {}

Database load_yaml_string(const std::string& text, const std::string& filename) {
  if (text.size() > kMaxFileBytes) {
    throw LoadError({{filename, 0, 0, "",
                      "document is larger than " + std::to_string(kMaxFileBytes >> 20) +
                          " MiB, the limit for a desired-state file"}});
  }
  Loader loader;
  loader.load_document(filename, text);
  return loader.finish();
}

namespace {

void load_hints(const std::string& path, Database* target) {
  Loader loader;
  loader.set_file(path);
  std::string why;
  const auto text = read_file(path, why);
  if (!text) {
    loader.report("could not read the hints file" + why);
  } else if (text->size() > kMaxFileBytes) {
    loader.report("file is larger than " + std::to_string(kMaxFileBytes >> 20) +
                  " MiB, the limit for a hints file");
  } else {
    loader.load_hints_document(path, *text, target);
  }
  loader.throw_if_reported();
}

}  // namespace

void check_yaml_hints(const std::string& path) { load_hints(path, nullptr); }

void apply_yaml_hints(const std::string& path, Database& db) { load_hints(path, &db); }

void apply_yaml_hints_string(const std::string& text, const std::string& filename, Database& db) {
  Loader loader;
  loader.load_hints_document(filename, text, &db);
  loader.throw_if_reported();
}

Database load_yaml_file(const std::string& path) {
  namespace fs = std::filesystem;
  Loader loader;
  loader.set_file(path);
  std::error_code code;
  std::vector<fs::path> files;
  // A path that cannot be inspected is read as a file, which reports it.
  if (std::error_code ignored; fs::is_directory(path, ignored)) {
    for (fs::recursive_directory_iterator it(path, code), end; !code && it != end;
         it.increment(code)) {
      const auto extension = it->path().extension();
      if (it->is_regular_file() && (extension == ".yaml" || extension == ".yml")) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    if (!code && files.empty()) loader.report("directory has no *.yaml or *.yml files");
  } else {
    files.emplace_back(path);
  }
  if (code) loader.report("could not read directory: " + code.message());
  // The loader keeps views of the texts, for its messages: they live until
  // it has finished (a deque: a text never moves, even a short one).
  std::deque<std::string> texts;
  for (const auto& file : files) {
    std::string why;
    if (auto text = read_file(file, why)) {
      if (text->size() > kMaxFileBytes) {
        loader.set_file(file.string());
        loader.report("file is larger than " + std::to_string(kMaxFileBytes >> 20) +
                      " MiB, the limit for a desired-state file");
        continue;
      }
      texts.push_back(std::move(*text));
      loader.load_document(file.string(), texts.back());
    } else {
      loader.set_file(file.string());
      loader.report("could not read file" + why);
    }
  }
  return loader.finish();
}

}  // namespace pgshift::schemas
