#include "lint/lint.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "planner/normalize.hpp"
#include "planner/statements.hpp"
#include "plans/estimates.hpp"
#include "plans/sql_text.hpp"
#include "schemas/sql_check.hpp"
#include "schemas/sql_check_json.hpp"

namespace pgshift::lint {

using Json = nlohmann::json;
using planner::Statement;
using plans::DurationClass;
using plans::Hazard;
using plans::LockMode;

namespace {

const Json kEmpty = Json::object();
const Json kNoItems = Json::array();

const Json& member(const Json& node, const char* key) {
  if (!node.is_object()) return kEmpty;
  const auto found = node.find(key);
  return found == node.end() ? kEmpty : *found;
}
const Json& items(const Json& node, const char* key) {
  const Json& value = member(node, key);
  return value.is_array() ? value : kNoItems;
}
std::string text_of(const Json& node, const char* key) {
  const Json& value = member(node, key);
  return value.is_string() ? value.get<std::string>() : "";
}
bool flag(const Json& node, const char* key) {
  const Json& value = member(node, key);
  return value.is_boolean() && value.get<bool>();
}
// {"String": {"sval": "x"}} -> "x" (libpg_query 15 writes sval, 13 str).
std::string string_node(const Json& node) {
  const Json& string = member(node, "String");
  if (string.contains("sval")) return string["sval"].get<std::string>();
  if (string.contains("str")) return string["str"].get<std::string>();
  return "";
}
std::vector<std::string> string_list(const Json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(string_node(item));
  return out;
}
// The one {"Kind": {...}} entry of a node.
std::pair<std::string, const Json*> kind_of(const Json& node) {
  if (!node.is_object() || node.empty()) return {"", &kEmpty};
  return {node.begin().key(), &node.begin().value()};
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The first schema of a search_path value read as the server reads one
// (SplitIdentifierString: comma-separated, "quoted" names kept as written,
// others folded to lower case), "$user" passed over as a schema a file
// cannot know; empty when the value names none.
std::string first_path_schema(const std::string& value) {
  size_t at = 0;
  while (at < value.size()) {
    while (at < value.size() && (std::isspace(static_cast<unsigned char>(value[at])) != 0)) ++at;
    std::string name;
    if (at < value.size() && value[at] == '"') {
      for (++at; at < value.size(); ++at) {
        if (value[at] != '"') {
          name += value[at];
        } else if (at + 1 < value.size() && value[at + 1] == '"') {
          name += '"';
          ++at;
        } else {
          ++at;
          break;
        }
      }
    } else {
      const size_t end = value.find_first_of(", \t\n\r", at);
      name = lower(value.substr(at, end == std::string::npos ? std::string::npos : end - at));
      at = end == std::string::npos ? value.size() : end;
    }
    if (!name.empty() && name != "$user") return name;
    at = value.find(',', at);
    if (at == std::string::npos) break;
    ++at;
  }
  return "";
}

// "OBJECT_MATVIEW" -> "matview", "AT_SetStatistics" -> "setstatistics": an
// enum of the parse tree as words for a message.
std::string words_of(const std::string& name) {
  for (const char* prefix : {"OBJECT_", "AT_", "CONSTR_"}) {
    const std::string text(prefix);
    if (name.rfind(text, 0) == 0) return lower(name.substr(text.size()));
  }
  return lower(name);
}

std::string qualified(const RelationName& name) {
  return plans::quote_qualified(name.schema, name.name);
}
// "public.customers" as the plan renderings name relations in messages.
std::string display(const RelationName& name) { return name.schema + "." + name.name; }

std::string thousands(long long value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string size_text(int64_t bytes) {
  const char* units[] = {"bytes", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return thousands(static_cast<long long>(value + 0.5)) + " " + units[unit];
}

// --- Positions -----------------------------------------------------------------

struct Positions {
  explicit Positions(const std::string& text) : text_(text) {
    line_starts_.push_back(0);
    for (size_t at = 0; at < text.size(); ++at) {
      if (text[at] == '\n') line_starts_.push_back(at + 1);
    }
  }
  // 1-based line and column (characters) of byte `offset`.
  std::pair<int, int> at(size_t offset) const {
    const auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    const size_t line_idx = static_cast<size_t>(next - line_starts_.begin()) - 1;
    int column = 1;
    for (size_t byte = line_starts_[line_idx]; byte < offset && byte < text_.size(); ++byte) {
      if ((static_cast<unsigned char>(text_[byte]) & 0xC0) != 0x80) ++column;
    }
    return {static_cast<int>(line_idx) + 1, column};
  }
  std::string line(int number) const {
    const size_t start = line_starts_[static_cast<size_t>(number) - 1];
    size_t end = text_.find('\n', start);
    if (end == std::string::npos) end = text_.size();
    std::string out = text_.substr(start, end - start);
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return out;
  }

 private:
  const std::string& text_;
  std::vector<size_t> line_starts_;
};

// Lines of psql meta-commands (a backslash first on the line) blanked with
// spaces, so offsets stay those of the file; their line numbers in `lines`.
std::string without_meta_commands(std::string text, std::vector<int>& lines) {
  size_t line_start = 0;
  int number = 1;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    size_t first = line_start;
    while (first < line_end && (text[first] == ' ' || text[first] == '\t')) ++first;
    if (first < line_end && text[first] == '\\') {
      std::fill(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                text.begin() + static_cast<std::ptrdiff_t>(line_end), ' ');
      lines.push_back(number);
    }
    line_start = line_end + 1;
    ++number;
  }
  return text;
}

// Where an expression that starts at `from` ends: at a comma or closing
// parenthesis outside parentheses and quotes, or at `limit`.
size_t expression_end(const std::string& text, size_t from, size_t limit) {
  int depth = 0;
  size_t at = from;
  while (at < limit) {
    const char c = text[at];
    if (c == '\'' || c == '"') {
      const size_t close = text.find(c, at + 1);
      at = close == std::string::npos || close >= limit ? limit : close + 1;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ',' && depth == 0) break;
    ++at;
  }
  return at;
}

std::string trim(const std::string& text) {
  size_t start = 0;
  size_t end = text.size();
  while (start < end && std::isspace(static_cast<unsigned char>(text[start])) != 0) ++start;
  while (end > start && (std::isspace(static_cast<unsigned char>(text[end - 1])) != 0 ||
                         text[end - 1] == ';')) {
    --end;
  }
  return text.substr(start, end - start);
}

// `statement` with `word` inserted after its first keyword `after` (case
// insensitive, outside quotes is good enough for DDL heads).
std::string insert_after_keyword(const std::string& statement, const std::string& after,
                                 const std::string& word) {
  const std::string folded = lower(statement);
  const std::string key = lower(after);
  size_t at = 0;
  while ((at = folded.find(key, at)) != std::string::npos) {
    const bool starts = at == 0 || std::isspace(static_cast<unsigned char>(folded[at - 1])) != 0;
    const size_t end = at + key.size();
    const bool ends = end == folded.size() || std::isspace(static_cast<unsigned char>(folded[end]));
    if (starts && ends) return statement.substr(0, end) + " " + word + statement.substr(end);
    at = end;
  }
  return statement;
}

// --- Types --------------------------------------------------------------------

// format_type()'s spelling of a TypeName node: "character varying(20)[]".
std::string type_text(const Json& type_name) {
  std::vector<std::string> names = string_list(items(type_name, "names"));
  if (names.size() == 2 && names[0] == "pg_catalog") names.erase(names.begin());
  std::string name;
  for (const auto& part : names) name += (name.empty() ? "" : ".") + part;
  std::string modifiers;
  for (const auto& modifier : items(type_name, "typmods")) {
    const Json& value = member(member(member(modifier, "A_Const"), "ival"), "ival");
    modifiers += (modifiers.empty() ? "" : ",") + std::to_string(value.is_number() ? value.get<int>() : 0);
  }
  std::string text = name;
  if (!modifiers.empty()) text += "(" + modifiers + ")";
  for (size_t bound = 0; bound < items(type_name, "arrayBounds").size(); ++bound) text += "[]";
  return planner::normalize_type(text);
}

bool serial_type(const Json& type_name) {
  const std::vector<std::string> names = string_list(items(type_name, "names"));
  if (names.empty()) return false;
  const std::string name = lower(names.back());
  return name == "serial" || name == "bigserial" || name == "smallserial" || name == "serial4" ||
         name == "serial8" || name == "serial2";
}

// Built-in functions whose pg_proc.provolatile is 'v' and that a column
// default plausibly calls (PostgreSQL 11 to 18). Without --db, other functions
// in pg_catalog are taken as not volatile and functions of other schemas as
// volatile (not knowable without the catalog).
bool builtin_volatile(const std::string& name) {
  static const std::set<std::string> kVolatile = {
      "random",         "random_normal", "clock_timestamp", "timeofday", "gen_random_uuid",
      "nextval",        "setval",        "txid_current",    "uuid_generate_v1",
      "uuid_generate_v1mc", "uuid_generate_v4", "pg_current_xact_id", "gen_random_bytes",
      "uuidv4",         "uuidv7"};
  return kVolatile.count(name) != 0;
}

// Built-in functions a default often calls that are immutable or stable:
// without --db, any other function is taken as volatile.
bool builtin_not_volatile(const std::string& name) {
  static const std::set<std::string> kNotVolatile = {
      "now",       "transaction_timestamp", "statement_timestamp", "current_setting",
      "lower",     "upper",                 "length",              "md5",
      "concat",    "concat_ws",             "to_char",             "to_timestamp",
      "to_date",   "date_trunc",            "make_interval",       "make_date",
      "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array",
      "array_to_string", "string_to_array", "replace",           "substr",
      "substring", "btrim",                 "trim",                "left",
      "right",     "abs",                   "round",               "floor",
      "ceil",      "format",                "encode",              "decode",
      "sha256",    "timezone",              "age",                 "date_part",
      "extract",   "to_jsonb",              "to_json",             "lpad",
      "rpad",      "split_part",            "regexp_replace",      "initcap"};
  return kNotVolatile.count(name) != 0;
}

void collect_function_calls(const Json& node, std::vector<std::vector<std::string>>& calls) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "FuncCall") calls.push_back(string_list(items(value, "funcname")));
      collect_function_calls(value, calls);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) collect_function_calls(item, calls);
  }
}

// --- Judging --------------------------------------------------------------------

// The relations one statement kind touches, by their role (planner::Target).
struct Targets {
  RelationName relation;
  std::optional<RelationName> index;
  std::vector<RelationName> referenced;
  std::optional<RelationName> parent;
  bool domain_users = false;  // TablesUsingDomain: not known from the file
};

// One statement-table kind a statement was judged as, and what a finding on it
// says: `what` names the statement ("CREATE INDEX \"ix\""), `alternative` is
// the sequence pgshift would plan.
struct Part {
  Statement kind;
  Targets targets;
  std::string what;
  std::vector<std::string> alternative;
  std::string rewrite_reason;  // AddColumnRewrite: "a volatile default (random())"
  std::string rule;            // a rule this part triggers whatever its row says
};

struct ConstraintInfo {
  bool foreign = false;
  std::optional<RelationName> referenced;
  std::string not_null_column;  // CHECK (c IS NOT NULL): c
};

struct Held {
  RelationName relation;
  int line = 0;
};

struct State {
  std::string search_schema = "public";
  bool session_timeout = false;
  std::optional<bool> local_timeout;
  bool explicit_transaction = false;
  std::set<RelationName> created;
  std::map<std::pair<RelationName, std::string>, ConstraintInfo> constraints;  // added in file
  std::set<std::pair<RelationName, std::string>> proved_not_null;
  std::vector<Held> exclusive_held;   // ACCESS EXCLUSIVE on existing relations, this transaction
  std::set<RelationName> tx_blocking;  // traffic-blocking locks taken, this transaction
  std::set<std::string> declared_hazards;
  // The relations pgshift's step header before the statement says it locks
  // ("-- phase: ...; locks: ACCESS EXCLUSIVE on public.ev, SHARE on
  // public.ev_2024"): for an ADD of a partitioned table's key, its partitions.
  std::vector<std::string> declared_locks;
  // Unique keys (PRIMARY KEY, UNIQUE, a plain unique index on columns) the
  // file gives each table: their columns, in order.
  std::map<RelationName, std::vector<std::vector<std::string>>> keys_added;
  // Unique indexes on columns the file creates, by "schema.index".
  std::map<std::string, std::vector<std::string>> unique_index_columns;
};

const char* duration_words(DurationClass duration) {
  switch (duration) {
    case DurationClass::CatalogOnly:
      return "for an instant once granted";
    case DurationClass::OnlineScan:
      return "while it scans";
    case DurationClass::BlockingScan:
      return "while it scans the whole table";
    case DurationClass::Rewrite:
      return "while it rewrites the table and its indexes";
  }
  return "";
}

class Linter {
 public:
  Linter(const std::string& path, const std::string& text, const Options& options)
      : options_(options), positions_(text) {
    report_.path = path;
    sql_ = without_meta_commands(text, report_.skipped_meta_commands);
    version_ = options.catalog != nullptr && options.catalog->facts.server_version_num > 0
                   ? options.catalog->facts.server_version_num
                   : options.server_version_num;
  }

  FileReport run() {
    if (sql_.find('\0') != std::string::npos) {
      fail("a NUL byte is not SQL", sql_.find('\0'));
      return report_;
    }
    schemas::SqlProblem problem;
    const std::optional<std::string> tree_text = schemas::detail::parse_to_json(sql_, &problem);
    if (!tree_text) {
      fail(problem.message, problem.offset);
      return report_;
    }
    const Json tree = Json::parse(*tree_text);
    for (const Json& raw : items(tree, "stmts")) {
      const size_t location = raw.value("stmt_location", size_t{0});
      const size_t length = raw.value("stmt_len", size_t{0});
      const size_t end = length == 0 ? sql_.size() : location + length;
      statement(member(raw, "stmt"), location, end);
    }
    return report_;
  }

 private:
  void fail(const std::string& message, std::optional<size_t> offset) {
    LintError error;
    error.message = message;
    if (offset) {
      const auto [line, column] = positions_.at(*offset);
      error.line = line;
      error.column = column;
      error.source_line = positions_.line(line);
    }
    report_.error = error;
  }

  RelationName relation(const Json& range_var) const {
    RelationName name;
    name.schema = text_of(range_var, "schemaname");
    if (name.schema.empty()) name.schema = state_.search_schema;
    name.name = text_of(range_var, "relname");
    return name;
  }
  RelationName relation(const std::vector<std::string>& names) const {
    if (names.size() >= 2) return {names[names.size() - 2], names.back()};
    return {state_.search_schema, names.empty() ? "" : names.back()};
  }

  const schemas::TableStats* stats(const RelationName& name) const {
    if (options_.catalog == nullptr) return nullptr;
    const auto found = options_.catalog->facts.table_stats.find(name.schema + "." + name.name);
    return found == options_.catalog->facts.table_stats.end() ? nullptr : &found->second;
  }
  bool populated(const RelationName& name) const {
    if (state_.created.count(name) != 0) return false;
    const schemas::TableStats* found = stats(name);
    return found == nullptr || planner::table_populated(*found);
  }
  const schemas::Column* catalog_column(const RelationName& table, const std::string& name) const {
    if (options_.catalog == nullptr) return nullptr;
    const schemas::Table* found = schemas::find_table(*options_.catalog, table.schema, table.name);
    if (found == nullptr) return nullptr;
    for (const auto& col : found->columns) {
      if (col.name == name) return &col;
    }
    return nullptr;
  }

  // "public.customers: 200,000 rows, 48 MB" from --db, or "".
  std::string facts_of(const RelationName& name) const {
    const schemas::TableStats* found = stats(name);
    if (found == nullptr) return "";
    std::string text = display(name) + ": ";
    if (found->has_rows == false) return text + "empty";
    if (found->reltuples >= 0) {
      text += thousands(static_cast<long long>(found->reltuples + 0.5)) + " rows (estimate), ";
    } else {
      text += "never analyzed, ";
    }
    return text + size_text(found->total_bytes);
  }

  // Whether an ADD PRIMARY KEY / UNIQUE on `keys` of `table` attaches its
  // partitions' keys instead of building an index: the step header before
  // it (pgshift's plans) names `table` and other relations among its locks,
  // its partitions, and the file gave each of them a key on the same columns
  // earlier (a unique index, ADD ... USING INDEX, or a partitioned
  // partition's own ADD).
  bool attaches_partition_keys(const RelationName& table, const std::vector<std::string>& keys) const {
    const auto& named = state_.declared_locks;
    if (keys.empty() || named.size() < 2 ||
        std::find(named.begin(), named.end(), display(table)) == named.end()) {
      return false;
    }
    for (const auto& other : named) {
      if (other == display(table)) continue;
      bool has_key = false;
      for (const auto& [relation, added] : state_.keys_added) {
        if (display(relation) != other) continue;
        has_key = std::find(added.begin(), added.end(), keys) != added.end();
      }
      if (!has_key) return false;
    }
    return true;
  }

  // The estimated duration of a statement that scans or rewrites `table`,
  // as `plan` estimates a step: its heap size (relpages) over the --db
  // server's read throughput, by the kind of work. nullopt without them, for
  // catalog-only statements and empty tables.
  std::optional<int64_t> estimate_ms(const Part& part, const planner::StatementRow& row,
                                     const RelationName& table) const {
    if (!options_.throughput || options_.throughput->bytes_per_second <= 0 ||
        row.duration == DurationClass::CatalogOnly || table.name.empty() || !populated(table)) {
      return std::nullopt;
    }
    const schemas::TableStats* found = stats(table);
    if (found == nullptr || found->relpages <= 0) return std::nullopt;
    const bool builds_index = part.kind == Statement::CreateIndex ||
                              part.kind == Statement::CreateIndexConcurrently ||
                              part.kind == Statement::AddKey;
    return plans::estimate_scan_ms(row.duration, builds_index, false, found->relpages * 8192,
                                   options_.throughput->bytes_per_second, 0, 0, 0);
  }

  // Whether a default expression calls a volatile function: from --db's
  // pg_proc.provolatile when known, else builtin_volatile. `why` gets the call.
  bool volatile_default(const Json& expression, std::string& why) const {
    std::vector<std::vector<std::string>> calls;
    collect_function_calls(expression, calls);
    for (const auto& call : calls) {
      if (call.empty()) continue;
      const std::string name = call.back();
      const std::string schema = call.size() >= 2 ? call[call.size() - 2] : "";
      std::optional<bool> known;
      if (options_.catalog != nullptr) {
        const auto& volatility = options_.catalog->facts.function_volatility;
        for (const std::string& candidate :
             schema.empty()
                 ? std::vector<std::string>{"pg_catalog." + name, state_.search_schema + "." + name}
                 : std::vector<std::string>{schema + "." + name}) {
          const auto found = volatility.find(candidate);
          if (found != volatility.end()) {
            known = found->second == schemas::Volatility::Volatile;
            break;
          }
        }
      }
      if (known) {
        if (*known) {
          why = "the default calls " + name + "(), which is volatile (pg_proc.provolatile)";
          return true;
        }
        continue;
      }
      if (builtin_volatile(name)) {
        why = "the default calls " + name + "(), which is volatile";
        return true;
      }
      if (!builtin_not_volatile(name) || (!schema.empty() && schema != "pg_catalog")) {
        why = "the default calls " + name +
              "(), taken as volatile (the default of CREATE FUNCTION; --db reads "
              "pg_proc.provolatile)";
        return true;
      }
    }
    return false;
  }

  // --- Classifying -------------------------------------------------------------

  void add_column(std::vector<Part>& parts, const RelationName& table, const Json& def,
                  size_t end) {
    const size_t first = parts.size();  // the column's part goes before its constraints'
    const std::string name = text_of(def, "colname");
    const Json& type_name = member(def, "typeName");
    Part part{Statement::AddColumn, {table}, "ADD COLUMN \"" + name + "\"", {}, "", ""};
    const Json* default_expr = nullptr;
    size_t default_start = 0;
    size_t default_end = end;
    bool not_null = false;
    std::string rewrite;
    const Json& constraints = items(def, "constraints");
    for (size_t idx = 0; idx < constraints.size(); ++idx) {
      const Json& constraint = member(constraints[idx], "Constraint");
      const std::string type = text_of(constraint, "contype");
      if (type == "CONSTR_DEFAULT") {
        default_expr = &member(constraint, "raw_expr");
        default_start = constraint.value("location", size_t{0}) + 7;  // after DEFAULT
        if (idx + 1 < constraints.size()) {
          default_end = member(constraints[idx + 1], "Constraint").value("location", end);
        }
      } else if (type == "CONSTR_NOTNULL") {
        not_null = true;
      } else if (type == "CONSTR_IDENTITY") {
        rewrite = "an identity column computes every existing row";
      } else if (type == "CONSTR_GENERATED") {
        rewrite = "a stored generated column computes every existing row";
      } else if (type == "CONSTR_CHECK") {
        parts.push_back({flag(constraint, "skip_validation") ? Statement::AddCheckNotValid
                                                             : Statement::AddCheck,
                         {table}, "a CHECK on new column \"" + name + "\"", {}, "", ""});
      } else if (type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE") {
        parts.push_back({Statement::AddKey, {table},
                         std::string(type == "CONSTR_PRIMARY" ? "a PRIMARY KEY" : "a UNIQUE") +
                             " constraint on new column \"" + name + "\"",
                         {}, "", ""});
      } else if (type == "CONSTR_FOREIGN") {
        Targets targets{table};
        targets.referenced.push_back(relation(member(constraint, "pktable")));
        parts.push_back({Statement::AddForeignKey, targets,
                         "a REFERENCES constraint on new column \"" + name + "\"", {}, "", ""});
      }
    }
    if (serial_type(type_name)) rewrite = "a serial column's default (nextval()) is volatile";
    std::string call;
    std::string default_text;
    if (default_expr != nullptr) {
      default_text = trim(sql_.substr(default_start,
                                      expression_end(sql_, default_start, default_end) -
                                          default_start));
      if (volatile_default(*default_expr, call)) {
        rewrite = call;
      } else if (version_ < 110000) {
        rewrite = "before PostgreSQL 11 a default is written into every row";
      }
    }
    if (not_null && default_expr == nullptr && rewrite.empty()) {
      // The planner refuses this on a populated table (rules_columns.cpp:
      // "is NOT NULL but has neither a default nor a backfill value").
      const std::string alter = "ALTER TABLE " + qualified(table) + " ";
      const std::string column = plans::quote_ident(name);
      part.rule = "add-column-not-null";
      part.alternative = {
          alter + "ADD COLUMN " + column + " " + type_text(type_name) + ";",
          "-- fill the existing rows in batches by key range, one commit per batch",
          "-- then NOT NULL by rule 4 (CHECK NOT VALID, VALIDATE, SET NOT NULL, drop the CHECK);",
          "-- or give the column a non-volatile DEFAULT: catalog-only from PostgreSQL 11 (rule 2)"};
    }
    if (!rewrite.empty()) {
      part.kind = Statement::AddColumnRewrite;
      part.rewrite_reason = rewrite;
      const std::string alter = "ALTER TABLE " + qualified(table) + " ";
      const std::string column = plans::quote_ident(name);
      const std::string type = serial_type(type_name) ? "bigint" : type_text(type_name);
      if (default_expr != nullptr || serial_type(type_name)) {
        part.rule = "volatile-default";
        part.alternative = {alter + "ADD COLUMN " + column + " " + type + ";"};
        if (default_expr != nullptr) {
          part.alternative.push_back(alter + "ALTER COLUMN " + column + " SET DEFAULT " +
                                     default_text + ";");
        }
        part.alternative.push_back("-- backfill the existing rows in batches by key range, one "
                                   "commit per batch (UPDATE ... WHERE id >= lo AND id < hi AND " +
                                   column + " IS NULL)");
        if (not_null) {
          part.alternative.push_back("-- then NOT NULL by rule 4 (CHECK NOT VALID, VALIDATE, SET "
                                     "NOT NULL, drop the CHECK)");
        }
        part.alternative.push_back(
            "-- rule 3: new rows get the default, existing rows are filled in short batches: no "
            "rewrite");
      } else {
        part.rule = "add-column-rewrite";
        part.alternative = {"-- pgshift plans this only with --allow-hazard table_rewrite (one "
                            "step, the rewrite shown with the row estimate); on a large table "
                            "add a plain column and fill it in batches instead"};
      }
    }
    parts.insert(parts.begin() + static_cast<std::ptrdiff_t>(first), part);
  }

  void add_constraint(std::vector<Part>& parts, const RelationName& table, const Json& constraint,
                      const std::string& statement_text, bool single) {
    const std::string type = text_of(constraint, "contype");
    const std::string name = text_of(constraint, "conname");
    const std::string shown = name.empty() ? "<name>" : plans::quote_ident(name);
    const std::string alter = "ALTER TABLE " + qualified(table) + " ";
    ConstraintInfo info;
    if (type == "CONSTR_CHECK" || type == "CONSTR_FOREIGN") {
      const bool not_valid = flag(constraint, "skip_validation");
      Part part{Statement::AddCheck, {table}, "", {}, "", ""};
      if (type == "CONSTR_CHECK") {
        part.kind = not_valid ? Statement::AddCheckNotValid : Statement::AddCheck;
        part.what = "ADD CONSTRAINT " + shown + " CHECK";
        const Json& expression = member(member(constraint, "raw_expr"), "NullTest");
        if (!expression.empty() && text_of(expression, "nulltesttype") == "IS_NOT_NULL") {
          const std::vector<std::string> fields =
              string_list(items(member(member(expression, "arg"), "ColumnRef"), "fields"));
          if (fields.size() == 1) info.not_null_column = fields[0];
        }
      } else {
        info.foreign = true;
        info.referenced = relation(member(constraint, "pktable"));
        part.kind = not_valid ? Statement::AddForeignKeyNotValid : Statement::AddForeignKey;
        part.targets.referenced.push_back(*info.referenced);
        part.what = "ADD CONSTRAINT " + shown + " FOREIGN KEY";
      }
      part.alternative = {
          single ? trim(statement_text) + " NOT VALID;"
                 : alter + "ADD CONSTRAINT " + shown + " ... NOT VALID;  -- the same constraint",
          alter + "VALIDATE CONSTRAINT " + shown + ";",
          std::string("-- rule ") + (info.foreign ? "6" : "5") +
              ": NOT VALID skips the scan; VALIDATE scans under SHARE UPDATE EXCLUSIVE: reads "
              "and writes go on"};
      parts.push_back(part);
    } else if (type == "CONSTR_PRIMARY" || type == "CONSTR_UNIQUE") {
      const bool primary = type == "CONSTR_PRIMARY";
      const std::string words = primary ? "PRIMARY KEY" : "UNIQUE";
      if (!text_of(constraint, "indexname").empty()) {
        const auto index = state_.unique_index_columns.find(
            table.schema + "." + text_of(constraint, "indexname"));
        if (index != state_.unique_index_columns.end()) {
          state_.keys_added[table].push_back(index->second);
        }
        parts.push_back({Statement::AddKeyUsingIndex, {table},
                         "ADD CONSTRAINT " + shown + " " + words + " USING INDEX", {}, "", ""});
      } else {
        std::vector<std::string> keys = string_list(items(constraint, "keys"));
        if (attaches_partition_keys(table, keys)) {
          parts.push_back({Statement::AddKeyAttachingPartitions, {table},
                           "ADD " + words + (name.empty() ? "" : " constraint " + shown),
                           {}, "", ""});
          report_note("attaches the keys on (" + plans::quote_ident_list(keys) + ") the file " +
                      "gave each partition the step header names (" +
                      std::to_string(state_.declared_locks.size() - 1) +
                      "): a partitioned table's ADD builds no index where each has one");
          state_.keys_added[table].push_back(keys);
          if (!name.empty()) state_.constraints[{table, name}] = info;
          return;
        }
        state_.keys_added[table].push_back(keys);
        std::string columns;
        for (const auto& key : keys) columns += (columns.empty() ? "" : ", ") + plans::quote_ident(key);
        const std::string index = plans::quote_ident(
            (name.empty() ? table.name + "_" + (keys.empty() ? "key" : keys[0]) + "_key" : name) +
            "_idx");
        parts.push_back(
            {Statement::AddKey,
             {table},
             "ADD " + words + (name.empty() ? "" : " constraint " + shown),
             {"CREATE UNIQUE INDEX CONCURRENTLY " + index + " ON " + qualified(table) + " (" +
                  columns + ");  -- outside a transaction block",
              alter + "ADD CONSTRAINT " + shown + " " + words + " USING INDEX " + index + ";",
              "-- rule 7: reads and writes go on during the build; attaching the index is "
              "catalog-only"},
             "",
             ""});
      }
    } else if (type == "CONSTR_EXCLUSION") {
      parts.push_back({Statement::AddExclusionConstraint, {table},
                       "ADD CONSTRAINT " + shown + " EXCLUDE", {}, "", ""});
    } else {
      note_unjudged("ADD CONSTRAINT of type " + words_of(type) +
                    " is not a statement pgshift plans");
    }
    if (type == "CONSTR_CHECK" && !flag(constraint, "skip_validation") &&
        !info.not_null_column.empty()) {
      state_.proved_not_null.insert({table, info.not_null_column});  // validated as it is added
    }
    if (!name.empty()) state_.constraints[{table, name}] = info;
  }

  void alter_table(const Json& node, std::vector<Part>& parts, const std::string& statement_text,
                   size_t end) {
    if (text_of(node, "objtype") != "OBJECT_TABLE") {
      note_unjudged("ALTER " + words_of(text_of(node, "objtype")) +
                    " is not a statement pgshift plans");
      return;
    }
    const RelationName table = relation(member(node, "relation"));
    const Json& commands = items(node, "cmds");
    const bool single = commands.size() == 1;
    const std::string alter = "ALTER TABLE " + qualified(table) + " ";
    for (const auto& wrapped : commands) {
      const Json& cmd = member(wrapped, "AlterTableCmd");
      const std::string subtype = text_of(cmd, "subtype");
      const std::string name = text_of(cmd, "name");
      const std::string column = plans::quote_ident(name);
      if (subtype == "AT_AddColumn") {
        add_column(parts, table, member(member(cmd, "def"), "ColumnDef"), end);
      } else if (subtype == "AT_AlterColumnType") {
        const std::string to = type_text(member(member(member(cmd, "def"), "ColumnDef"), "typeName"));
        Part part{Statement::AlterColumnTypeRewrite, {table},
                  "ALTER COLUMN \"" + name + "\" TYPE " + to, {}, "", ""};
        const schemas::Column* current = catalog_column(table, name);
        const Json& using_expression =
            member(member(member(cmd, "def"), "ColumnDef"), "raw_default");
        const bool plain_using =
            using_expression.empty() || using_expression.contains("ColumnRef") ||
            (using_expression.contains("TypeCast") &&
             member(member(using_expression, "TypeCast"), "arg").contains("ColumnRef"));
        if (!plain_using) {
          part.rewrite_reason = "a USING expression computes every row";
        } else if (current != nullptr) {
          const std::string from = planner::normalize_type(current->type);
          if (from == to ||
              planner::type_change_without_rewrite(from, to, options_.catalog->facts)) {
            part.kind = Statement::AlterColumnType;
          } else {
            part.rewrite_reason = "the cast from " + from + " to " + to + " is not binary-coercible";
          }
        } else {
          part.rewrite_reason =
              "the current type is unknown (--db reads it): only binary-coercible casts, longer "
              "varchar and numeric precision up keep the rows as they are";
        }
        part.alternative = {
            "-- pgshift plans a rewriting type change only with --allow-hazard table_rewrite (rule "
            "9); to keep traffic flowing, add a column of the new type, fill it in batches, move "
            "the application to it, then drop the old column"};
        parts.push_back(part);
      } else if (subtype == "AT_ColumnDefault") {
        parts.push_back({member(cmd, "def").empty() ? Statement::DropDefault : Statement::SetDefault,
                         {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetNotNull") {
        const bool proved = state_.proved_not_null.count({table, name}) != 0;
        const std::string check = plans::quote_ident(table.name + "_" + name + "_not_null");
        parts.push_back(
            {proved ? Statement::SetNotNullProvedByCheck : Statement::SetNotNull,
             {table},
             "ALTER COLUMN \"" + name + "\" SET NOT NULL",
             {alter + "ADD CONSTRAINT " + check + " CHECK (" + column + " IS NOT NULL) NOT VALID;",
              alter + "VALIDATE CONSTRAINT " + check + ";",
              alter + "ALTER COLUMN " + column + " SET NOT NULL;",
              alter + "DROP CONSTRAINT " + check + ";",
              "-- rule 4: the scan runs under SHARE UPDATE EXCLUSIVE; from PostgreSQL 12 SET NOT "
              "NULL uses the valid CHECK and does not scan"},
             "",
             ""});
      } else if (subtype == "AT_DropNotNull") {
        parts.push_back({Statement::DropNotNull, {table}, "", {}, "", ""});
      } else if (subtype == "AT_DropColumn") {
        parts.push_back({Statement::DropColumn, {table}, "DROP COLUMN \"" + name + "\"",
                         {"-- pgshift drops a column only with --allow-hazard data_loss; stop "
                          "using it in the application first, and keep a backup of its values"},
                         "", ""});
      } else if (subtype == "AT_AddConstraint") {
        add_constraint(parts, table, member(member(cmd, "def"), "Constraint"), statement_text,
                       single);
      } else if (subtype == "AT_ValidateConstraint") {
        const auto found = state_.constraints.find({table, name});
        Part part{Statement::ValidateCheck, {table}, "", {}, "", ""};
        if (found != state_.constraints.end()) {
          if (found->second.foreign) {
            part.kind = Statement::ValidateForeignKey;
            if (found->second.referenced) part.targets.referenced.push_back(*found->second.referenced);
          }
          if (!found->second.not_null_column.empty()) {
            state_.proved_not_null.insert({table, found->second.not_null_column});
          }
        }
        parts.push_back(part);
      } else if (subtype == "AT_DropConstraint") {
        const auto found = state_.constraints.find({table, name});
        Part part{Statement::DropConstraint, {table}, "DROP CONSTRAINT \"" + name + "\"",
                  {"-- pgshift drops a constraint only with --allow-hazard data_loss"}, "", ""};
        if (found != state_.constraints.end()) {
          // Added earlier in this file (a helper CHECK of rule 4): nothing
          // that existed before the file is lost.
          part.kind = found->second.foreign ? Statement::DropForeignKeyToReplace
                                            : Statement::DropConstraintToReplace;
          if (found->second.referenced) part.targets.referenced.push_back(*found->second.referenced);
          state_.constraints.erase(found);
        }
        parts.push_back(part);
      } else if (subtype == "AT_AddIdentity") {
        parts.push_back({Statement::AddIdentity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetIdentity") {
        parts.push_back({Statement::SetIdentityGeneration, {table}, "", {}, "", ""});
      } else if (subtype == "AT_DropIdentity") {
        parts.push_back({Statement::DropIdentity, {table}, "DROP IDENTITY of \"" + name + "\"",
                         {"-- pgshift drops an identity only with --allow-hazard data_loss"}, "",
                         ""});
      } else if (subtype == "AT_DropExpression") {
        parts.push_back({Statement::DropExpression, {table}, "", {}, "", ""});
      } else if (subtype == "AT_ReplicaIdentity") {
        parts.push_back({Statement::ReplicaIdentity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_EnableTrig" || subtype == "AT_EnableAlwaysTrig" ||
                 subtype == "AT_EnableTrigAll" || subtype == "AT_EnableTrigUser") {
        // Fires in at least the sessions it did (a hand-written migration
        // does not say from what: ENABLE after ALWAYS is narrower, rare).
        parts.push_back({Statement::SetTriggerFiring, {table}, "", {}, "", ""});
      } else if (subtype == "AT_DisableTrig" || subtype == "AT_EnableReplicaTrig" ||
                 subtype == "AT_DisableTrigAll" || subtype == "AT_DisableTrigUser") {
        parts.push_back({Statement::NarrowTriggerFiring, {table}, "", {}, "", ""});
      } else if (subtype == "AT_EnableRowSecurity") {
        parts.push_back({Statement::EnableRowSecurity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_DisableRowSecurity") {
        parts.push_back({Statement::DisableRowSecurity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_ForceRowSecurity") {
        parts.push_back({Statement::ForceRowSecurity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_NoForceRowSecurity") {
        parts.push_back({Statement::NoForceRowSecurity, {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetLogged") {
        parts.push_back({Statement::SetLogged, {table}, "SET LOGGED", {}, "", ""});
      } else if (subtype == "AT_SetUnLogged") {
        parts.push_back({Statement::SetUnlogged, {table}, "SET UNLOGGED", {}, "", ""});
      } else if (subtype == "AT_SetRelOptions" || subtype == "AT_ResetRelOptions") {
        // The strongest mode of the parameters named (reloptions.c).
        bool exclusive = false;
        for (const auto& option : items(member(member(cmd, "def"), "List"), "items")) {
          exclusive = exclusive ||
                      text_of(member(option, "DefElem"), "defname") == "user_catalog_table";
        }
        parts.push_back({exclusive ? Statement::SetStorageParametersExclusive
                                   : Statement::SetStorageParameters,
                         {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetStorage") {
        parts.push_back({Statement::SetColumnStorage, {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetCompression") {
        parts.push_back({Statement::SetColumnCompression, {table}, "", {}, "", ""});
      } else if (subtype == "AT_SetStatistics") {
        parts.push_back({Statement::SetColumnStatistics, {table}, "", {}, "", ""});
      } else if (subtype == "AT_AttachPartition") {
        Targets targets{relation(member(member(member(cmd, "def"), "PartitionCmd"), "name"))};
        targets.parent = table;
        parts.push_back({Statement::AttachPartition, targets, "", {}, "", ""});
      } else {
        note_unjudged("ALTER TABLE " + words_of(subtype) +
                      " is not a statement pgshift plans");
      }
    }
  }

  void drop(const Json& node, std::vector<Part>& parts) {
    const std::string type = text_of(node, "removeType");
    const bool concurrent = flag(node, "concurrent");
    for (const auto& object : items(node, "objects")) {
      std::vector<std::string> names = string_list(items(member(object, "List"), "items"));
      if (names.empty() && object.contains("String")) names = {string_node(object)};
      const RelationName name = relation(names);
      const std::string advice = "-- pgshift drops only with --allow-hazard data_loss; make "
                                 "sure nothing uses it, and keep a backup";
      if (type == "OBJECT_TABLE") {
        parts.push_back({Statement::DropTable, {name}, "DROP TABLE \"" + display(name) + "\"",
                         {advice}, "", ""});
      } else if (type == "OBJECT_INDEX") {
        Targets targets{RelationName{}};
        targets.index = name;
        Part part{concurrent ? Statement::DropIndexConcurrently : Statement::DropIndex, targets,
                  "DROP INDEX \"" + display(name) + "\"", {advice}, "", ""};
        if (!concurrent) {
          part.alternative = {"DROP INDEX CONCURRENTLY " + qualified(name) +
                                  ";  -- outside a transaction block",
                              "-- rule 8: SHARE UPDATE EXCLUSIVE: reads and writes go on"};
          part.rule = "index-not-concurrent";
        }
        parts.push_back(part);
        report_note("DROP INDEX also locks the index's table, which the file does not name");
      } else if (type == "OBJECT_VIEW") {
        parts.push_back({Statement::DropView, {name}, "DROP VIEW \"" + display(name) + "\"",
                         {advice}, "", ""});
      } else if (type == "OBJECT_MATVIEW") {
        parts.push_back({Statement::DropMaterializedView, {name},
                         "DROP MATERIALIZED VIEW \"" + display(name) + "\"", {advice}, "", ""});
      } else if (type == "OBJECT_SEQUENCE") {
        parts.push_back({Statement::DropSequence, {name},
                         "DROP SEQUENCE \"" + display(name) + "\"", {advice}, "", ""});
      } else if (type == "OBJECT_TRIGGER" && names.size() >= 2) {
        const std::string trigger = names.back();
        names.pop_back();
        parts.push_back({Statement::DropTrigger, {relation(names)},
                         "DROP TRIGGER \"" + trigger + "\"", {advice}, "", ""});
      } else if (type == "OBJECT_POLICY" && names.size() >= 2) {
        // Whether the policy is restrictive is not in the file: judged as a
        // permissive one's drop (data_loss).
        const std::string policy = names.back();
        names.pop_back();
        parts.push_back({Statement::DropPolicy, {relation(names)},
                         "DROP POLICY \"" + policy + "\"", {advice}, "", ""});
      } else {
        const std::map<std::string, Statement> kObjects = {
            {"OBJECT_SCHEMA", Statement::DropSchema},     {"OBJECT_EXTENSION", Statement::DropExtension},
            {"OBJECT_TYPE", Statement::DropType},         {"OBJECT_DOMAIN", Statement::DropDomain},
            {"OBJECT_FUNCTION", Statement::DropFunction}, {"OBJECT_PROCEDURE", Statement::DropFunction}};
        const auto found = kObjects.find(type);
        if (found == kObjects.end()) {
          note_unjudged("DROP " + words_of(type) + " is not a statement pgshift plans");
          return;
        }
        parts.push_back({found->second, {RelationName{}},
                         "DROP " + words_of(type), {advice}, "", ""});
        return;  // one part for the whole list: its row locks no relation
      }
    }
  }

  void note_unjudged(const std::string& why) { current_->notes.push_back("not judged: " + why); }
  void report_note(const std::string& note) {
    if (std::find(current_->notes.begin(), current_->notes.end(), note) == current_->notes.end()) {
      current_->notes.push_back(note);
    }
  }

  // Session and transaction control: SET, set_config, BEGIN/COMMIT.
  bool timeout_value_nonzero(const Json& value) const {
    const Json& constant = member(value, "A_Const");
    if (constant.contains("ival")) {
      const Json& number = member(member(constant, "ival"), "ival");
      return number.is_number() && number.get<long long>() != 0;
    }
    std::string text;
    if (constant.contains("sval")) text = text_of(member(constant, "sval"), "sval");
    const size_t digits = text.find_first_not_of(" 0123456789.");
    const std::string number = text.substr(0, digits);
    return number.find_first_not_of(" 0.") != std::string::npos || number.empty();
  }
  void set_timeout(bool nonzero, bool local) {
    if (local) {
      if (in_transaction()) state_.local_timeout = nonzero;
    } else {
      state_.session_timeout = nonzero;
      state_.local_timeout.reset();
    }
  }
  bool in_transaction() const {
    return state_.explicit_transaction || options_.assume_in_transaction;
  }
  bool lock_timeout_set() const {
    if (state_.local_timeout) return *state_.local_timeout;
    return state_.session_timeout;
  }
  void end_transaction() {
    state_.local_timeout.reset();
    state_.exclusive_held.clear();
    state_.tx_blocking.clear();
  }

  bool control(const std::string& kind, const Json& node) {
    if (kind == "VariableSetStmt") {
      const std::string name = lower(text_of(node, "name"));
      const std::string set_kind = text_of(node, "kind");
      const bool local = flag(node, "is_local");
      if (name == "lock_timeout") {
        const Json& args = items(node, "args");
        set_timeout(set_kind == "VAR_SET_VALUE" && !args.empty() && timeout_value_nonzero(args[0]),
                    local);
      } else if (name == "search_path" && set_kind == "VAR_SET_VALUE") {
        for (const auto& arg : items(node, "args")) {
          const std::string schema = text_of(member(member(arg, "A_Const"), "sval"), "sval");
          if (schema.empty() || schema == "$user") continue;
          state_.search_schema = schema;
          break;
        }
      } else if (set_kind == "VAR_RESET_ALL") {
        set_timeout(false, false);
      }
      return true;
    }
    if (kind == "TransactionStmt") {
      const std::string transaction = text_of(node, "kind");
      if (transaction == "TRANS_STMT_BEGIN" || transaction == "TRANS_STMT_START") {
        state_.explicit_transaction = true;
        end_transaction();
      } else if (transaction == "TRANS_STMT_COMMIT" || transaction == "TRANS_STMT_ROLLBACK") {
        state_.explicit_transaction = false;
        if (!options_.assume_in_transaction) end_transaction();
      }
      return true;
    }
    if (kind == "SelectStmt") {
      // SELECT set_config('lock_timeout', '2s', is_local), and the
      // search_path a rendered plan sets first (whose unqualified names
      // resolve in its first schema).
      for (const auto& target : items(node, "targetList")) {
        const Json& call = member(member(member(target, "ResTarget"), "val"), "FuncCall");
        const std::vector<std::string> names = string_list(items(call, "funcname"));
        const Json& args = items(call, "args");
        if (names.empty() || names.back() != "set_config" || args.size() != 3) continue;
        const std::string setting =
            lower(text_of(member(member(args[0], "A_Const"), "sval"), "sval"));
        const Json& local = member(member(member(args[2], "A_Const"), "boolval"), "boolval");
        if (setting == "lock_timeout") {
          set_timeout(timeout_value_nonzero(args[1]), local.is_boolean() && local.get<bool>());
          return true;
        }
        const Json& value = member(member(args[1], "A_Const"), "sval");
        if (setting == "search_path" && value.is_object()) {
          const std::string schema = first_path_schema(text_of(value, "sval"));
          if (!schema.empty()) state_.search_schema = schema;
          return true;
        }
      }
    }
    return kind == "VariableShowStmt" || kind == "DiscardStmt";
  }

  void classify(const std::string& kind, const Json& node, std::vector<Part>& parts,
                const std::string& statement_text, size_t end) {
    if (kind == "AlterTableStmt") {
      alter_table(node, parts, statement_text, end);
    } else if (kind == "IndexStmt") {
      const RelationName table = relation(member(node, "relation"));
      const bool concurrent = flag(node, "concurrent");
      // ON ONLY a partitioned table: catalog only (its partitions' indexes
      // are built and attached one by one).
      const bool only = !flag(member(node, "relation"), "inh");
      const std::string index = text_of(node, "idxname");
      Part part{concurrent ? Statement::CreateIndexConcurrently
                : only     ? Statement::CreateIndexOnOnly
                           : Statement::CreateIndex,
                {table},
                "CREATE INDEX" + (index.empty() ? "" : " \"" + index + "\""),
                {},
                "",
                ""};
      if (!concurrent && !only) {
        part.alternative = {
            insert_after_keyword(trim(statement_text), "INDEX", "CONCURRENTLY") +
                ";  -- outside a transaction block",
            "-- rule 8: CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and writes "
            "go on"};
      }
      parts.push_back(part);
      if (!index.empty() && state_.created.count(table) != 0) {
        state_.created.insert({table.schema, index});
      }
      // A unique index on plain columns, whole-table: a key a partitioned
      // parent's ADD can attach.
      if (flag(node, "unique") && member(node, "whereClause").empty()) {
        std::vector<std::string> columns;
        for (const auto& param : items(node, "indexParams")) {
          const std::string column = text_of(member(param, "IndexElem"), "name");
          if (column.empty()) {
            columns.clear();
            break;
          }
          columns.push_back(column);
        }
        if (!columns.empty()) {
          if (!index.empty()) state_.unique_index_columns[table.schema + "." + index] = columns;
          if (!only) state_.keys_added[table].push_back(columns);
        }
      }
    } else if (kind == "CreateStmt") {
      const RelationName table = relation(member(node, "relation"));
      Part part{Statement::CreateTable, {table}, "", {}, "", ""};
      const Json& parents = items(node, "inhRelations");
      if (!member(node, "partbound").empty() && !parents.empty()) {
        part.kind = Statement::CreatePartitionOf;
        part.targets.parent = relation(member(parents[0], "RangeVar"));
      } else {
        for (const auto& element : items(node, "tableElts")) {
          if (element.contains("TableLikeClause")) part.kind = Statement::CreateTableLike;
        }
      }
      parts.push_back(part);
      state_.created.insert(table);
    } else if (kind == "CreateTableAsStmt") {
      const RelationName table = relation(member(member(node, "into"), "rel"));
      if (text_of(node, "objtype") == "OBJECT_MATVIEW") {
        parts.push_back({Statement::CreateMaterializedView, {table}, "", {}, "", ""});
      } else {
        note_unjudged("CREATE TABLE AS is not a statement pgshift plans");
      }
      state_.created.insert(table);
    } else if (kind == "ViewStmt") {
      const RelationName view = relation(member(node, "view"));
      const bool replace = flag(node, "replace") && state_.created.count(view) == 0;
      parts.push_back({replace ? Statement::ReplaceView : Statement::CreateView, {view}, "", {}, "",
                       ""});
      if (!replace) state_.created.insert(view);
    } else if (kind == "RenameStmt") {
      const std::string type = text_of(node, "renameType");
      const RelationName table = relation(member(node, "relation"));
      const std::string advice =
          "-- pgshift renames only from renamed_from: with --allow-hazard rename; running "
          "application versions using the old name fail at once: ship code that uses neither "
          "name directly (a view, or both names) first";
      if (type == "OBJECT_COLUMN") {
        parts.push_back({Statement::RenameColumn, {table},
                         "RENAME COLUMN \"" + text_of(node, "subname") + "\" TO \"" +
                             text_of(node, "newname") + "\"",
                         {advice}, "", ""});
      } else if (type == "OBJECT_TABLE") {
        parts.push_back({Statement::RenameTable, {table},
                         "RENAME TABLE \"" + display(table) + "\" TO \"" + text_of(node, "newname") +
                             "\"",
                         {advice}, "", ""});
        if (state_.created.count(table) != 0) state_.created.insert({table.schema, text_of(node, "newname")});
      } else if (type == "OBJECT_INDEX") {
        Targets targets{RelationName{}};
        targets.index = table;
        parts.push_back({Statement::RenameIndex, targets, "", {}, "", ""});
      } else if (type == "OBJECT_TABCONSTRAINT") {
        parts.push_back({Statement::RenameConstraint, {table},
                         "RENAME CONSTRAINT \"" + text_of(node, "subname") + "\" TO \"" +
                             text_of(node, "newname") + "\"",
                         {advice}, "", ""});
      } else if (type == "OBJECT_POLICY") {
        parts.push_back({Statement::RenamePolicy, {table}, "", {}, "", ""});
      } else if (type == "OBJECT_SEQUENCE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW") {
        const Statement statement = type == "OBJECT_SEQUENCE" ? Statement::RenameSequence
                                    : type == "OBJECT_VIEW"   ? Statement::RenameView
                                                              : Statement::RenameMaterializedView;
        parts.push_back({statement, {table},
                         "RENAME \"" + display(table) + "\" TO \"" + text_of(node, "newname") +
                             "\"",
                         {advice}, "", ""});
      } else {
        note_unjudged("RENAME of a " + words_of(type) + " is not a statement pgshift plans");
      }
    } else if (kind == "DropStmt") {
      drop(node, parts);
    } else {
      static const std::map<std::string, Statement> kObjects = {
          {"CreateSchemaStmt", Statement::CreateSchema},
          {"CreateExtensionStmt", Statement::CreateExtension},
          {"CreateEnumStmt", Statement::CreateEnum},
          {"AlterEnumStmt", Statement::AlterEnumAddValue},
          {"CompositeTypeStmt", Statement::CreateCompositeType},
          {"CreateDomainStmt", Statement::CreateDomain},
          {"CreateFunctionStmt", Statement::CreateOrReplaceFunction},
          {"CreateSeqStmt", Statement::CreateSequence},
      };
      const auto found = kObjects.find(kind);
      if (kind == "AlterEnumStmt" && !text_of(node, "oldVal").empty()) {
        parts.push_back({Statement::RenameEnumValue, {RelationName{}},
                         "RENAME VALUE '" + text_of(node, "oldVal") + "' TO '" +
                             text_of(node, "newVal") + "'",
                         {}, "", ""});
      } else if (found != kObjects.end()) {
        parts.push_back({found->second, {RelationName{}}, "", {}, "", ""});
        if (kind == "CreateSeqStmt") state_.created.insert(relation(member(node, "sequence")));
      } else if (kind == "AlterDomainStmt") {
        alter_domain(node, parts);
      } else if (kind == "AlterSeqStmt") {
        parts.push_back({Statement::AlterSequence, {relation(member(node, "sequence"))}, "", {}, "",
                         ""});
      } else if (kind == "CreatePolicyStmt") {
        parts.push_back({Statement::CreatePolicy, {relation(member(node, "table"))}, "", {}, "", ""});
      } else if (kind == "AlterPolicyStmt") {
        parts.push_back({Statement::AlterPolicy, {relation(member(node, "table"))}, "", {}, "", ""});
      } else if (kind == "CreateTrigStmt") {
        parts.push_back({flag(node, "replace") ? Statement::CreateOrReplaceTrigger
                                               : Statement::CreateTrigger,
                         {relation(member(node, "relation"))}, "", {}, "", ""});
      } else if (kind == "CommentStmt") {
        comment(node, parts);
      } else if (kind == "DoStmt") {
        note_unjudged("a DO block's statements are not analysed");
      } else {
        // "VacuumStmt" -> "VACUUM", "CreateTableAsStmt" -> "CREATE TABLE AS".
        std::string words;
        const std::string name = kind.size() > 4 && kind.compare(kind.size() - 4, 4, "Stmt") == 0
                                     ? kind.substr(0, kind.size() - 4)
                                     : kind;
        for (size_t idx = 0; idx < name.size(); ++idx) {
          if (idx > 0 && std::isupper(static_cast<unsigned char>(name[idx])) != 0) words += ' ';
          words += static_cast<char>(std::toupper(static_cast<unsigned char>(name[idx])));
        }
        note_unjudged(words + " is not a statement pgshift plans");
      }
    }
  }

  // ALTER DOMAIN: the rows lock every table with a column of the domain,
  // which the file does not name (a note says so).
  void alter_domain(const Json& node, std::vector<Part>& parts) {
    const std::string subtype = text_of(node, "subtype");
    Targets targets{RelationName{}};
    targets.domain_users = true;
    auto add = [&](Statement kind, std::string what) {
      parts.push_back({kind, targets, std::move(what), {}, "", ""});
    };
    if (subtype == "T") {
      add(Statement::AlterDomainDefault, "");
    } else if (subtype == "N") {
      add(Statement::AlterDomainDropNotNull, "");
    } else if (subtype == "O") {
      add(Statement::AlterDomainSetNotNull, "ALTER DOMAIN ... SET NOT NULL");
    } else if (subtype == "C") {
      add(Statement::AlterDomainAddConstraintNotValid, "");
      if (!flag(member(member(node, "def"), "Constraint"), "skip_validation")) {
        // Validated as it is added: the same scan as VALIDATE CONSTRAINT.
        add(Statement::AlterDomainValidateConstraint, "ALTER DOMAIN ... ADD CONSTRAINT");
      }
    } else if (subtype == "V") {
      add(Statement::AlterDomainValidateConstraint, "ALTER DOMAIN ... VALIDATE CONSTRAINT");
    } else if (subtype == "X") {
      add(Statement::AlterDomainDropConstraint, "ALTER DOMAIN ... DROP CONSTRAINT");
    } else {
      note_unjudged("this ALTER DOMAIN is not a statement pgshift plans");
    }
  }

  void comment(const Json& node, std::vector<Part>& parts) {
    const std::string type = text_of(node, "objtype");
    const std::vector<std::string> names = string_list(items(member(member(node, "object"), "List"), "items"));
    if (type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW" ||
        type == "OBJECT_SEQUENCE") {
      parts.push_back({Statement::CommentOnRelation, {relation(names)}, "", {}, "", ""});
    } else if (type == "OBJECT_INDEX") {
      Targets targets{RelationName{}};
      targets.index = relation(names);
      parts.push_back({Statement::CommentOnIndex, targets, "", {}, "", ""});
    } else if (type == "OBJECT_COLUMN" && names.size() >= 2) {
      parts.push_back({Statement::CommentOnTableMember,
                       {relation(std::vector<std::string>(names.begin(), names.end() - 1))}, "", {},
                       "", ""});
    } else if ((type == "OBJECT_TABCONSTRAINT" || type == "OBJECT_TRIGGER" ||
                type == "OBJECT_POLICY") &&
               names.size() >= 2) {
      parts.push_back({Statement::CommentOnTableMember,
                       {relation(std::vector<std::string>(names.begin(), names.end() - 1))}, "", {},
                       "", ""});
    } else {
      parts.push_back({Statement::CommentOnObject, {RelationName{}}, "", {}, "", ""});
    }
  }

  // --- Rules ------------------------------------------------------------------

  // Declared hazards and ignore comments in `region` (the text from the end
  // of the previous statement to the end of this one's line).
  std::set<std::string> read_annotations(const std::string& region) {
    std::set<std::string> ignored;
    size_t at = 0;
    while ((at = region.find("--", at)) != std::string::npos) {
      size_t end = region.find('\n', at);
      if (end == std::string::npos) end = region.size();
      const std::string comment = trim(region.substr(at + 2, end - at - 2));
      const std::string kIgnore = "pgshift-lint: ignore";
      const std::string kHazards = "hazards:";
      if (comment.rfind(kIgnore, 0) == 0) {
        std::string list = comment.substr(kIgnore.size());
        for (char& c : list) {
          if (c == ',') c = ' ';
        }
        size_t word = 0;
        while ((word = list.find_first_not_of(' ', word)) != std::string::npos) {
          const size_t stop = std::min(list.find(' ', word), list.size());
          ignored.insert(list.substr(word, stop - word));
          word = stop;
        }
      } else if (comment.rfind("phase: ", 0) == 0 && comment.find("locks: ") != std::string::npos) {
        // pgshift's step header: the relations the step locks.
        state_.declared_locks.clear();
        std::string list = comment.substr(comment.find("locks: ") + 7) + ",";
        size_t start = 0;
        for (size_t comma = list.find(", "); ; comma = list.find(", ", start)) {
          if (comma == std::string::npos) comma = list.size() - 1;
          const std::string lock = list.substr(start, comma - start);
          const size_t on = lock.find(" on ");
          if (on != std::string::npos) state_.declared_locks.push_back(lock.substr(on + 4));
          if (comma >= list.size() - 1) break;
          start = comma + 2;
        }
      } else if (comment.rfind(kHazards, 0) == 0) {
        // pgshift's plans declare each step's hazards ("-- hazards:
        // data_loss; estimated rows: 10"): what `plan` was allowed to do.
        state_.declared_hazards.clear();
        std::string list = comment.substr(kHazards.size());
        list = list.substr(0, list.find(';'));
        for (const auto hazard : plans::kAllHazards) {
          if (list.find(plans::hazard_name(hazard)) != std::string::npos) {
            state_.declared_hazards.insert(plans::hazard_name(hazard));
          }
        }
      }
      at = end;
    }
    return ignored;
  }

  void add_finding(const std::string& rule, std::string message, std::vector<std::string> alternative,
                   std::optional<Hazard> hazard = std::nullopt) {
    if (options_.disabled_rules.count(rule) != 0 || ignored_.count(rule) != 0 ||
        ignored_.count("all") != 0) {
      return;
    }
    if (hazard && state_.declared_hazards.count(plans::hazard_name(*hazard)) != 0) return;
    for (const auto& existing : current_->findings) {
      if (existing.rule == rule && existing.message == message) return;
    }
    current_->findings.push_back({rule, std::move(message), std::move(alternative)});
  }

  void add_lock(const RelationName& name, LockMode mode) {
    if (name.name.empty()) return;
    for (auto& lock : current_->locks) {
      if (lock.relation == name) {
        if (mode > lock.mode) lock.mode = mode;
        return;
      }
    }
    current_->locks.push_back({name, mode, state_.created.count(name) != 0});
  }

  void judge(const Part& part) {
    const RelationName& table = part.targets.relation.name.empty() && part.targets.index
                                    ? *part.targets.index
                                    : part.targets.relation;
    const bool is_new = !table.name.empty() && state_.created.count(table) != 0;
    planner::StatementRow row =
        planner::statement_row(part.kind, version_, table.name.empty() || populated(table));
    current_->kinds.push_back(planner::statement_name(part.kind));
    for (const auto& [target, mode] : row.locks) {
      switch (target) {
        case planner::Target::Relation:
          add_lock(part.targets.relation, mode);
          break;
        case planner::Target::Index:
          if (part.targets.index) add_lock(*part.targets.index, mode);
          break;
        case planner::Target::Referenced:
          for (const auto& other : part.targets.referenced) add_lock(other, mode);
          break;
        case planner::Target::PartitionParent:
          if (part.targets.parent) add_lock(*part.targets.parent, mode);
          break;
        case planner::Target::TablesUsingDomain:
          report_note(std::string("locks ") + plans::lock_mode_name(mode) +
                      " on every table with a column of the domain (the file does not name "
                      "them)");
          break;
        case planner::Target::Partitions:
          report_note(std::string("locks ") + plans::lock_mode_name(mode) +
                      " on every partition of the table (the file does not name them)");
          break;
        case planner::Target::ParentIndex:
          if (part.targets.parent) add_lock(*part.targets.parent, mode);
          break;
        case planner::Target::DefaultPartition:
          report_note(std::string("locks ") + plans::lock_mode_name(mode) +
                      " on the parent's DEFAULT partition (the file does not name it)");
          break;
      }
    }
    if (row.duration > current_->duration) current_->duration = row.duration;
    current_->transactional = current_->transactional && row.transactional;
    for (const auto hazard : row.hazards) {
      if (std::find(current_->hazards.begin(), current_->hazards.end(), hazard) ==
          current_->hazards.end()) {
        current_->hazards.push_back(hazard);
      }
    }
    if (!table.name.empty()) {
      const std::string facts = facts_of(table);
      if (!facts.empty()) report_note(facts);
    }
    const std::optional<int64_t> estimate = is_new ? std::nullopt : estimate_ms(part, row, table);
    if (estimate) {
      current_->estimated_ms = current_->estimated_ms.value_or(0) + *estimate;
      report_note("estimated: about " + plans::format_duration_ms(*estimate) + " (read throughput " +
                  std::to_string(options_.throughput->bytes_per_second / (1024 * 1024)) +
                  " MB/s, " + options_.throughput->source + ")");
    }

    if (!row.transactional && in_transaction()) {
      add_finding("concurrently-in-transaction",
                  part.what.empty() ? std::string(planner::statement_name(part.kind)) +
                                          " cannot run inside a transaction block"
                                    : part.what + " cannot run inside a transaction block",
                  {"-- run it on its own, outside BEGIN ... COMMIT (pgshift never groups such a "
                   "step with others)"});
    }
    if (is_new) return;  // created in this file: nobody else sees it or it is empty

    const std::string facts = table.name.empty() ? "" : facts_of(table);
    const std::string prefix = facts.empty() ? "" : facts + ": ";
    LockMode strongest = LockMode::AccessShare;
    for (const auto& [target, mode] : row.locks) strongest = std::max(strongest, mode);
    const std::string where = part.targets.domain_users
                                  ? "every table with a column of the domain"
                                  : "\"" + display(table) + "\"";
    const std::string holds =
        std::string("holds ") + plans::lock_mode_name(strongest) + " on " + where + " " +
        (estimate ? "for about " + plans::format_duration_ms(*estimate) + " " : std::string()) +
        duration_words(row.duration) + ": blocks " + plans::lock_mode_blocks(strongest);
    const bool scans =
        row.duration == DurationClass::BlockingScan || row.duration == DurationClass::Rewrite;
    auto has = [&](Hazard hazard) {
      return std::find(row.hazards.begin(), row.hazards.end(), hazard) != row.hazards.end();
    };

    if (part.rule == "add-column-not-null" && populated(table)) {
      add_finding("add-column-not-null",
                  prefix + part.what + " is NOT NULL without a default: it fails on a table "
                           "that has rows (every existing row would be NULL)",
                  part.alternative);
    }
    if (part.rule == "index-not-concurrent" ||
        (part.kind == Statement::CreateIndex && scans)) {
      add_finding("index-not-concurrent", prefix + part.what + " without CONCURRENTLY " + holds,
                  part.alternative);
    } else if ((part.kind == Statement::AddCheck || part.kind == Statement::AddForeignKey) &&
               scans && !part.alternative.empty()) {
      add_finding("constraint-not-valid", prefix + part.what + " without NOT VALID " + holds,
                  part.alternative);
    } else if (part.kind == Statement::AddKey && scans) {
      add_finding("unique-without-index",
                  prefix + part.what + " builds its index under the table's lock: " + holds,
                  part.alternative, Hazard::AccessExclusiveScan);
    } else if ((part.kind == Statement::SetNotNull ||
                part.kind == Statement::SetNotNullProvedByCheck) &&
               scans) {
      add_finding("set-not-null", prefix + part.what + " " + holds, part.alternative,
                  Hazard::AccessExclusiveScan);
    } else if (part.kind == Statement::AddColumnRewrite && scans) {
      add_finding(part.rule.empty() ? "add-column-rewrite" : part.rule,
                  prefix + part.what + ": " + part.rewrite_reason + ", so PostgreSQL " + holds,
                  part.alternative, Hazard::TableRewrite);
    } else if (part.kind == Statement::AlterColumnTypeRewrite && scans) {
      add_finding("type-change-rewrite",
                  prefix + part.what + ": " + part.rewrite_reason + "; a rewrite " + holds,
                  part.alternative, Hazard::TableRewrite);
    } else if (scans) {
      add_finding("blocking-scan",
                  prefix + (part.what.empty() ? std::string(planner::statement_name(part.kind))
                                              : part.what) +
                      " " + holds,
                  part.alternative);
    }
    if (has(Hazard::Rename)) {
      add_finding(part.kind == Statement::RenameTable ? "rename-table" : "rename-column",
                  part.what + ": application versions still using the old name fail at once",
                  part.alternative, Hazard::Rename);
    }
    if (has(Hazard::DataLoss)) {
      const std::string rule = part.kind == Statement::DropTable    ? "drop-table"
                               : part.kind == Statement::DropColumn ? "drop-column"
                                                                    : "drop-object";
      // A disabled trigger can be enabled again; what it did meanwhile is lost.
      const char* effect = part.kind == Statement::NarrowTriggerFiring
                               ? " stops a trigger firing in sessions it fired in: what it did "
                                 "there is no longer done (data_loss)"
                               : " removes data or a definition for good (data_loss)";
      add_finding(
          rule,
          (part.what.empty() ? std::string(planner::statement_name(part.kind)) : part.what) +
              effect,
          part.alternative, Hazard::DataLoss);
    }
    if (has(Hazard::AccessWidened)) {
      add_finding("access-widened",
                  (part.what.empty() ? std::string(planner::statement_name(part.kind)) : part.what) +
                      " loosens row-level security: rows reach roles the policies kept out "
                      "(access_widened)",
                  part.alternative, Hazard::AccessWidened);
    }
  }

  // After the parts: rules on the whole statement (lock_timeout, locks held
  // across statements of one transaction).
  void judge_statement(int line) {
    std::vector<const Lock*> blocking;
    for (const auto& lock : current_->locks) {
      if (!lock.created_in_file && plans::blocks_traffic(lock.mode)) blocking.push_back(&lock);
    }
    if (!blocking.empty() && !lock_timeout_set()) {
      std::string relations;
      for (size_t idx = 0; idx < blocking.size(); ++idx) {
        relations += std::string(idx == 0 ? "" : idx + 1 == blocking.size() ? " and " : ", ") +
                     plans::lock_mode_name(blocking[idx]->mode) + " on \"" +
                     display(blocking[idx]->relation) + "\"";
      }
      add_finding("missing-lock-timeout",
                  "no lock_timeout is set: while it waits for " + relations +
                      ", every statement " + (blocking.size() == 1 ? "that lock blocks" : "those locks block") +
                      " queues behind it",
                  {"SET lock_timeout = '200ms';  -- before it (or SET LOCAL inside the "
                   "transaction); retry when it times out",
                   "-- pgshift runs every step whose lock blocks traffic under a short "
                   "lock_timeout and retries with backoff"});
    }
    if (in_transaction()) {
      if (!state_.exclusive_held.empty()) {
        const Held& held = state_.exclusive_held.front();
        bool waits_elsewhere = false;
        for (const Lock* lock : blocking) {
          if (state_.tx_blocking.count(lock->relation) == 0) waits_elsewhere = true;
        }
        const bool long_running = current_->duration != DurationClass::CatalogOnly;
        if (waits_elsewhere || long_running) {
          add_finding("access-exclusive-held",
                      "the transaction holds ACCESS EXCLUSIVE on \"" + display(held.relation) +
                          "\" since line " + std::to_string(held.line) + " while this statement " +
                          (long_running ? "scans" : "waits for another lock") +
                          ": every query on \"" + display(held.relation) + "\" waits that long",
                      {"COMMIT;  -- after the ACCESS EXCLUSIVE statement: one such statement "
                       "per transaction, as pgshift's steps are"});
        }
      }
      for (const Lock* lock : blocking) {
        state_.tx_blocking.insert(lock->relation);
        if (lock->mode == LockMode::AccessExclusive) {
          const bool known = std::any_of(
              state_.exclusive_held.begin(), state_.exclusive_held.end(),
              [&](const Held& held) { return held.relation == lock->relation; });
          if (!known) state_.exclusive_held.push_back({lock->relation, line});
        }
      }
    }
  }

  void statement(const Json& stmt, size_t location, size_t end) {
    const auto [kind, node] = kind_of(stmt);
    const size_t start = schemas::detail::first_word(sql_, location);
    size_t line_end = sql_.find('\n', end);
    if (line_end == std::string::npos) line_end = sql_.size();
    // The rest of the previous statement's last line ("...; -- pgshift-lint:
    // ignore x") belongs to that statement, not to this one.
    size_t region = location;
    if (location > 0 && sql_[location - 1] != '\n') {
      const size_t newline = sql_.find('\n', location);
      if (newline != std::string::npos && newline < start) region = newline + 1;
    }
    ignored_ = read_annotations(sql_.substr(region, line_end - region));
    if (kind.empty()) return;
    StatementReport report;
    report.offset = start;
    const auto [line, column] = positions_.at(start);
    report.line = line;
    report.column = column;
    report.source_line = positions_.line(line);
    report_.statements.push_back(report);
    current_ = &report_.statements.back();
    if (control(kind, *node)) return;
    std::vector<Part> parts;
    const std::string text = sql_.substr(start, end - start);
    classify(kind, *node, parts, text, end);
    for (const auto& part : parts) judge(part);
    judge_statement(line);
  }

  const Options& options_;
  Positions positions_;
  std::string sql_;
  int version_ = 150000;
  State state_;
  FileReport report_;
  StatementReport* current_ = nullptr;
  std::set<std::string> ignored_;
};

}  // namespace

bool operator<(const RelationName& a, const RelationName& b) {
  return std::tie(a.schema, a.name) < std::tie(b.schema, b.name);
}
bool operator==(const RelationName& a, const RelationName& b) {
  return a.schema == b.schema && a.name == b.name;
}

const std::vector<RuleInfo>& all_rules() {
  static const std::vector<RuleInfo> kRules = {
      {"missing-lock-timeout",
       "a statement whose lock blocks reads or writes runs without a lock_timeout"},
      {"index-not-concurrent", "CREATE INDEX or DROP INDEX without CONCURRENTLY on an existing table"},
      {"constraint-not-valid", "ADD CONSTRAINT CHECK or FOREIGN KEY without NOT VALID"},
      {"unique-without-index", "ADD PRIMARY KEY or UNIQUE without USING INDEX"},
      {"set-not-null", "SET NOT NULL that scans the table under ACCESS EXCLUSIVE"},
      {"volatile-default", "ADD COLUMN whose default rewrites the table (volatile, serial)"},
      {"add-column-rewrite", "ADD COLUMN of an identity or stored generated column"},
      {"add-column-not-null", "ADD COLUMN ... NOT NULL without a default on a table with rows"},
      {"type-change-rewrite", "ALTER COLUMN TYPE that rewrites the table"},
      {"blocking-scan", "another statement that scans or rewrites under a blocking lock"},
      {"rename-column", "RENAME COLUMN: running application versions break"},
      {"rename-table", "RENAME TABLE: running application versions break"},
      {"drop-table", "DROP TABLE: data loss"},
      {"drop-column", "DROP COLUMN: data loss"},
      {"drop-object", "any other drop the statement table marks data_loss"},
      {"concurrently-in-transaction",
       "a statement that cannot run in a transaction block (CONCURRENTLY) inside one"},
      {"access-exclusive-held",
       "a transaction keeps ACCESS EXCLUSIVE while a later statement scans or waits for another "
       "lock"},
  };
  return kRules;
}

bool known_rule(const std::string& name) {
  const auto& rules = all_rules();
  return std::any_of(rules.begin(), rules.end(),
                     [&](const RuleInfo& rule) { return name == rule.name; });
}

FileReport lint_file(const std::string& path, const std::string& text, const Options& options) {
  return Linter(path, text, options).run();
}

std::size_t finding_count(const std::vector<FileReport>& reports) {
  std::size_t count = 0;
  for (const auto& report : reports) {
    for (const auto& statement : report.statements) count += statement.findings.size();
  }
  return count;
}

bool has_errors(const std::vector<FileReport>& reports) {
  return std::any_of(reports.begin(), reports.end(),
                     [](const FileReport& report) { return report.error.has_value(); });
}

Names names_in(const std::string& text) {
  Names names;
  const FileReport report = lint_file("", text, Options{});
  for (const auto& statement : report.statements) {
    for (const auto& lock : statement.locks) {
      if (!lock.created_in_file) names.relations.insert(lock.relation);
    }
  }
  // Functions called anywhere in ADD COLUMN defaults: every FuncCall of the
  // file is a superset, and the query is bounded by the file's size.
  std::vector<int> skipped;
  schemas::SqlProblem problem;
  const auto tree = schemas::detail::parse_to_json(without_meta_commands(text, skipped), &problem);
  if (tree) {
    std::vector<std::vector<std::string>> calls;
    collect_function_calls(Json::parse(*tree), calls);
    for (const auto& call : calls) {
      if (call.empty()) continue;
      if (call.size() >= 2) {
        names.functions.insert(call[call.size() - 2] + "." + call.back());
      } else {
        names.functions.insert("pg_catalog." + call.back());
        names.functions.insert("public." + call.back());
      }
    }
  }
  return names;
}

}  // namespace pgshift::lint
