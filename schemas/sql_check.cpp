#include "schemas/sql_check.hpp"

#include <pg_query.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "schemas/model.hpp"
#include "schemas/sql_check_json.hpp"

#if defined(__SANITIZE_ADDRESS__)
// libpg_query 15-4.0 (Debian 12) leaks one byte per pg_query_parse_plpgsql
// call: pg_query_raw_parse strdup()s an empty stderr buffer that the plpgsql
// path never frees. LeakSanitizer reads this hook from the program; the
// suppression names that one upstream function.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:pg_query_raw_parse\n";
}
#endif

namespace pgshift::schemas {

namespace {

using detail::contains_node;

using Json = nlohmann::json;

constexpr const char* kSentinel = "pgshift_sentinel";

// The parse of one SQL string: the tree, or PostgreSQL's error with the
// offset in `text` it points at.
struct Parse {
  Json tree;
  std::optional<SqlProblem> problem;
};

// Where the first statement of `text` ends with a ';' (PostgreSQL's scanner
// splits it, so a ';' in a literal, quoted name or comment does not count),
// if it does.
std::optional<std::size_t> statement_end(const std::string& text) {
  PgQuerySplitResult split = pg_query_split_with_scanner(text.c_str());
  std::optional<std::size_t> semicolon;
  if (split.error == nullptr && split.n_stmts > 0) {
    const auto end = static_cast<std::size_t>(split.stmts[0]->stmt_location) +
                     static_cast<std::size_t>(split.stmts[0]->stmt_len);
    const auto found = text.find_first_not_of(" \t\r\n\f", end);
    if (found != std::string::npos && text[found] == ';') semicolon = found;
  }
  pg_query_free_split_result(split);
  return semicolon;
}

// Parses `prefix + text + suffix`; an error is placed in `text`. Text that
// is not UTF-8 is refused where it starts: the parser would take it, and its
// tree (JSON) could not be read.
Parse parse(const std::string& prefix, const std::string& text, const std::string& suffix) {
  if (const auto invalid = first_invalid_utf8(text)) {
    return Parse{Json(), SqlProblem{invalid_utf8_message(text, *invalid), *invalid}};
  }
  const std::string sql = prefix + text + suffix;
  PgQueryParseResult result = pg_query_parse(sql.c_str());
  Parse out;
  if (result.error != nullptr) {
    SqlProblem problem{result.error->message, std::nullopt};
    const std::optional<std::size_t> semicolon = statement_end(text);
    const long position =
        static_cast<long>(result.error->cursorpos) - 1 - static_cast<long>(prefix.size());
    if (semicolon) {
      // "int; DROP TABLE orders": the text is one part of a statement.
      problem.message =
          "a ';' ends the statement here: this place takes one part of a statement, not "
          "statements";
      problem.offset = *semicolon;
    } else if (result.error->cursorpos > 0 && position >= static_cast<long>(text.size())) {
      // Past the text, in what pgshift wrapped around it: the server's words
      // would name that ("at or near \"PARTITION\""), not the text.
      problem.message =
          "syntax error at the end of the text (an unclosed parenthesis or quote, or a clause "
          "cut short?)";
      problem.offset = text.size();
    } else if (result.error->cursorpos > 0 && position >= 0) {
      problem.offset = static_cast<std::size_t>(position);
    }
    out.problem = problem;
  } else {
    out.tree = Json::parse(result.parse_tree);
  }
  pg_query_free_parse_result(result);
  return out;
}

// The statements of a tree, each {"NodeType": {...}}.
Json statements(const Json& tree) {
  Json list = Json::array();
  if (tree.contains("stmts")) {
    for (const auto& raw : tree["stmts"]) list.push_back(raw.value("stmt", Json::object()));
  }
  return list;
}

// The single statement of `tree` if it is a `type`, else null.
const Json* only_statement(const Json& tree, const char* type) {
  if (!tree.contains("stmts")) return nullptr;
  const Json& stmts = tree["stmts"];
  if (stmts.size() != 1 || !stmts[0].contains("stmt")) return nullptr;
  const Json& stmt = stmts[0]["stmt"];
  if (!stmt.contains(type)) return nullptr;
  return &stmt[type];
}

// Keys of `node` outside `allowed`: clauses the place does not allow.
bool only_keys(const Json& node, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : node.items()) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&key = key](const char* name) { return key == name; })) {
      return false;
    }
  }
  return true;
}

int location_of(const Json& node) {
  return node.is_object() ? node.value("location", -1) : -1;
}

SqlProblem problem(const std::string& message) {
  return SqlProblem{message, std::nullopt};
}

std::optional<SqlProblem> no_parameters(const Json& node) {
  if (contains_node(node, "ParamRef")) {
    return problem("parameters ($1, ...) are not allowed here");
  }
  return std::nullopt;
}

// A plain SELECT holding only a target list: SELECT <targets>.
const Json* plain_select(const Json& tree) {
  const Json* select = only_statement(tree, "SelectStmt");
  if (select == nullptr || !only_keys(*select, {"targetList", "limitOption", "op"}) ||
      select->value("op", "") != "SETOP_NONE" ||
      select->value("limitOption", "") != "LIMIT_OPTION_DEFAULT") {
    return nullptr;
  }
  return select;
}

// "SELECT <text>, 1": the text is one target, unnamed, starting where the
// text starts, and the sentinel 1 is the second target, where it was put.
std::optional<SqlProblem> check_expression(const std::string& text) {
  const std::string prefix = "SELECT ";
  const Parse parsed = parse(prefix, text, ", 1");
  if (parsed.problem) return parsed.problem;
  const Json* select = plain_select(parsed.tree);
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 2);
  if (select == nullptr || !select->contains("targetList") || (*select)["targetList"].size() != 2 ||
      location_of((*select)["targetList"][1].value("ResTarget", Json::object())) != sentinel_at) {
    return problem("expected one expression, found more (a second statement, clause or item)");
  }
  const Json& target = (*select)["targetList"][0].value("ResTarget", Json::object());
  if (target.contains("name")) return problem("expected one expression, found an alias after it");
  const auto start = text.find_first_not_of(" \t\r\n\f");
  const bool commented = start != std::string::npos &&
                         (text.compare(start, 2, "--") == 0 || text.compare(start, 2, "/*") == 0);
  if (!commented && location_of(target) != static_cast<int>(prefix.size() + start)) {
    return problem("expected one expression, found a word before it");
  }
  const Json& value = target.value("val", Json::object());
  if (contains_node(value.value("ColumnRef", Json::object()), "A_Star")) {
    return problem("expected one expression, found *");
  }
  return no_parameters(value);
}

// "SELECT NULL::<text>, 1": a cast of NULL to the type, nothing else.
std::optional<SqlProblem> check_type_name(const std::string& text) {
  const std::string prefix = "SELECT NULL::";
  const Parse parsed = parse(prefix, text, ", 1");
  if (parsed.problem) return parsed.problem;
  const Json* select = plain_select(parsed.tree);
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 2);
  if (select == nullptr || !select->contains("targetList") || (*select)["targetList"].size() != 2 ||
      location_of((*select)["targetList"][1].value("ResTarget", Json::object())) != sentinel_at) {
    return problem("expected one type name, found more");
  }
  const Json& target = (*select)["targetList"][0].value("ResTarget", Json::object());
  const Json& value = target.value("val", Json::object());
  if (target.contains("name") || !value.contains("TypeCast") ||
      !value["TypeCast"].value("arg", Json::object()).contains("A_Const") ||
      !value["TypeCast"]["arg"]["A_Const"].value("isnull", false)) {
    return problem("expected one type name, found an expression");
  }
  return no_parameters(value);
}

// The text alone is one SELECT (VALUES, WITH ... SELECT) without INTO, and
// "SELECT 1 FROM (<text>) AS q" parses: nothing after it is swallowed.
std::optional<SqlProblem> check_query(const std::string& text) {
  const Parse alone = parse("", text, "");
  if (alone.problem) return alone.problem;
  const Json stmts = statements(alone.tree);
  if (stmts.size() != 1) {
    return problem("expected one query, found " + std::to_string(stmts.size()) + " statements");
  }
  const Json* select = only_statement(alone.tree, "SelectStmt");
  if (select == nullptr) return problem("expected a SELECT, VALUES or WITH query");
  if (select->contains("intoClause")) return problem("expected a query, found SELECT INTO");
  const Parse wrapped = parse("SELECT 1 FROM (", text, ") AS q");
  if (wrapped.problem || only_statement(wrapped.tree, "SelectStmt") == nullptr) {
    return problem(
        "expected one query that ends where the text ends (no final ';' or '--' comment)");
  }
  return no_parameters(*select);
}

// "CREATE INDEX i ON t (c) WITH (k = <text>, pgshift_sentinel = 1)".
std::optional<SqlProblem> check_option_value(const std::string& text) {
  const std::string prefix = "CREATE INDEX i ON t (c) WITH (k = ";
  const Parse parsed = parse(prefix, text, std::string(", ") + kSentinel + " = 1)");
  if (parsed.problem) return parsed.problem;
  const Json* index = only_statement(parsed.tree, "IndexStmt");
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 2);
  if (index == nullptr || !index->contains("options") || (*index)["options"].size() != 2 ||
      location_of((*index)["options"][1].value("DefElem", Json::object())) != sentinel_at) {
    return problem("expected one option value");
  }
  return std::nullopt;
}

// "CREATE TABLE p PARTITION OF t <text> PARTITION BY LIST (pgshift_sentinel)".
std::optional<SqlProblem> check_partition_bound(const std::string& text) {
  const std::string prefix = "CREATE TABLE p PARTITION OF t ";
  const std::string suffix = std::string(" PARTITION BY LIST (") + kSentinel + ")";
  const Parse parsed = parse(prefix, text, suffix);
  if (parsed.problem) return parsed.problem;
  const Json* create = only_statement(parsed.tree, "CreateStmt");
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 20);
  if (create == nullptr ||
      !only_keys(*create, {"relation", "inhRelations", "partbound", "partspec", "oncommit"}) ||
      !create->contains("partbound") || !create->contains("partspec") ||
      (*create)["partspec"].value("partParams", Json::array()).size() != 1 ||
      location_of((*create)["partspec"]["partParams"][0].value("PartitionElem", Json::object())) !=
          sentinel_at) {
    return problem("expected one partition bound: FOR VALUES ... or DEFAULT");
  }
  const Json& bound = (*create)["partbound"];
  for (const char* node : {"FuncCall", "SubLink", "ParamRef"}) {
    if (contains_node(bound, node)) {
      return problem(
          "expected constants in a partition bound, found a function call or subquery "
          "(PostgreSQL evaluates them when the partition is created, also while planning)");
    }
  }
  return std::nullopt;
}

// "CREATE TABLE t () PARTITION BY RANGE (<text>) WITH (pgshift_sentinel = 1)".
std::optional<SqlProblem> check_partition_key(const std::string& text) {
  const std::string prefix = "CREATE TABLE t () PARTITION BY RANGE (";
  const Parse parsed = parse(prefix, text, std::string(") WITH (") + kSentinel + " = 1)");
  if (parsed.problem) return parsed.problem;
  const Json* create = only_statement(parsed.tree, "CreateStmt");
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 8);
  if (create == nullptr || !only_keys(*create, {"relation", "partspec", "options", "oncommit"}) ||
      (*create)["options"].size() != 1 ||
      location_of((*create)["options"][0].value("DefElem", Json::object())) != sentinel_at) {
    return problem("expected a partition key: columns or expressions separated by commas");
  }
  return no_parameters((*create)["partspec"]);
}

// "CREATE FUNCTION f() RETURNS <text> LANGUAGE pgshift_sentinel AS ''".
std::optional<SqlProblem> check_function_returns(const std::string& text) {
  const std::string prefix = "CREATE FUNCTION f() RETURNS ";
  const Parse parsed = parse(prefix, text, std::string(" LANGUAGE ") + kSentinel + " AS ''");
  if (parsed.problem) return parsed.problem;
  const Json* create = only_statement(parsed.tree, "CreateFunctionStmt");
  const int sentinel_at = static_cast<int>(prefix.size() + text.size() + 1);
  bool ok = create != nullptr && create->contains("returnType") &&
            only_keys(*create, {"funcname", "parameters", "returnType", "options"}) &&
            (*create)["options"].size() == 2 &&
            location_of((*create)["options"][0].value("DefElem", Json::object())) == sentinel_at;
  if (ok) {
    for (const auto& parameter : create->value("parameters", Json::array())) {
      ok = ok && parameter.value("FunctionParameter", Json::object()).value("mode", "") ==
                     "FUNC_PARAM_TABLE";
    }
  }
  if (!ok) return problem("expected a return type: a type, SETOF type or TABLE (...)");
  return std::nullopt;
}

std::optional<SqlProblem> check_sql_function_body(const std::string& text) {
  const Parse parsed = parse("", text, "");
  return parsed.problem;
}

// The text must be exactly the body clause of one CREATE FUNCTION: no second
// statement, no further option (a volatility or SECURITY DEFINER slipped in).
std::optional<SqlProblem> check_sql_standard_body(const std::string& text) {
  const Parse parsed = parse("CREATE FUNCTION f() RETURNS integer LANGUAGE sql ", text, "");
  if (parsed.problem) return parsed.problem;
  const Json* create = only_statement(parsed.tree, "CreateFunctionStmt");
  const bool ok = create != nullptr && create->contains("sql_body") &&
                  create->value("options", Json::array()).size() == 1;
  if (!ok)
    return problem("expected a SQL-standard body: RETURN expression or BEGIN ATOMIC ... END");
  return std::nullopt;
}

// "ALTER TABLE t ADD EXCLUDE (<text>)": exactly one element and nothing else
// (no WHERE, INCLUDE or further constraint slipped in through a parenthesis).
std::optional<SqlProblem> check_exclusion_element(const std::string& text) {
  const Parse parsed = parse("ALTER TABLE t ADD EXCLUDE (", text, ")");
  if (parsed.problem) return parsed.problem;
  const Json* alter = only_statement(parsed.tree, "AlterTableStmt");
  bool ok = alter != nullptr && alter->value("cmds", Json::array()).size() == 1;
  if (ok) {
    const Json& command = (*alter)["cmds"][0].value("AlterTableCmd", Json::object());
    const Json& constraint =
        command.value("def", Json::object()).value("Constraint", Json::object());
    ok = constraint.value("exclusions", Json::array()).size() == 1 &&
         only_keys(constraint, {"contype", "exclusions", "location", "access_method"});
    if (ok) return no_parameters(constraint);
  }
  return problem("expected one exclusion element: a column or (expression), then WITH operator");
}

}  // namespace

const char* sql_kind_name(SqlKind kind) {
  switch (kind) {
    case SqlKind::Expression:
      return "expression";
    case SqlKind::TypeName:
      return "type name";
    case SqlKind::Query:
      return "query";
    case SqlKind::OptionValue:
      return "option value";
    case SqlKind::PartitionBound:
      return "partition bound";
    case SqlKind::PartitionKey:
      return "partition key";
    case SqlKind::FunctionReturns:
      return "return type";
    case SqlKind::SqlFunctionBody:
      return "function body";
    case SqlKind::SqlStandardBody:
      return "SQL-standard body";
    case SqlKind::ExclusionElement:
      return "exclusion element";
  }
  return "SQL text";
}

namespace {

std::optional<SqlProblem> check_sql_uncached(SqlKind kind, const std::string& text);

// The answers for short texts already checked, per kind: a schema repeats the
// same types and defaults thousands of times (`bigint`, `now()`), and a parse
// through libpg_query and its JSON costs far more than a lookup. Bounded:
// emptied when full.
class CheckCache {
 public:
  std::optional<SqlProblem> check(SqlKind kind, const std::string& text) {
    if (text.size() > kMaxText) return check_sql_uncached(kind, text);
    std::string key(1, static_cast<char>(kind));
    key += text;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto found = answers_.find(key);
      if (found != answers_.end()) return found->second;
    }
    auto answer = check_sql_uncached(kind, text);
    std::lock_guard<std::mutex> lock(mutex_);
    if (answers_.size() >= kMaxEntries) answers_.clear();
    answers_.emplace(std::move(key), answer);
    return answer;
  }

 private:
  static constexpr std::size_t kMaxText = 256;
  static constexpr std::size_t kMaxEntries = 8192;
  std::mutex mutex_;
  std::unordered_map<std::string, std::optional<SqlProblem>> answers_;
};

}  // namespace

std::optional<SqlProblem> check_sql(SqlKind kind, const std::string& text) {
  static CheckCache cache;
  return cache.check(kind, text);
}

namespace {

std::optional<SqlProblem> check_sql_uncached(SqlKind kind, const std::string& text) {
  const auto nul = text.find('\0');
  if (nul != std::string::npos) return SqlProblem{"contains a NUL byte", nul};
  if (text.find_first_not_of(" \t\r\n\f") == std::string::npos) {
    return problem(std::string("expected ") + (kind == SqlKind::Expression ? "an " : "a ") +
                   sql_kind_name(kind) + ", found empty text");
  }
  switch (kind) {
    case SqlKind::Expression:
      return check_expression(text);
    case SqlKind::TypeName:
      return check_type_name(text);
    case SqlKind::Query:
      return check_query(text);
    case SqlKind::OptionValue:
      return check_option_value(text);
    case SqlKind::PartitionBound:
      return check_partition_bound(text);
    case SqlKind::PartitionKey:
      return check_partition_key(text);
    case SqlKind::FunctionReturns:
      return check_function_returns(text);
    case SqlKind::SqlFunctionBody:
      return check_sql_function_body(text);
    case SqlKind::SqlStandardBody:
      return check_sql_standard_body(text);
    case SqlKind::ExclusionElement:
      return check_exclusion_element(text);
  }
  return std::nullopt;
}

}  // namespace

std::optional<SqlProblem> check_plpgsql_body(const std::string& body, const std::string& arguments,
                                             const std::string& returns) {
  if (body.find('\0') != std::string::npos)
    return SqlProblem{"contains a NUL byte", body.find('\0')};
  std::string tag = "$pgshift$";
  for (int suffix = 1; body.find(tag) != std::string::npos; ++suffix) {
    tag = "$pgshift_" + std::to_string(suffix) + "$";
  }
  const std::string sql =
      (returns.empty() ? "CREATE PROCEDURE pgshift_check(" + arguments + ")"
                       : "CREATE FUNCTION pgshift_check(" + arguments + ") RETURNS " + returns) +
      " LANGUAGE plpgsql AS " + tag + body + tag;
  PgQueryPlpgsqlParseResult result = pg_query_parse_plpgsql(sql.c_str());
  std::optional<SqlProblem> problem;
  if (result.error != nullptr && std::string(result.error->message).rfind("syntax error", 0) == 0) {
    problem = SqlProblem{result.error->message, std::nullopt};
  }
  pg_query_free_plpgsql_parse_result(result);
  return problem;
}

namespace detail {

bool contains_node(const nlohmann::json& node, const char* type) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == type || contains_node(value, type)) return true;
    }
  } else if (node.is_array()) {
    for (const auto& item : node) {
      if (contains_node(item, type)) return true;
    }
  }
  return false;
}

std::optional<std::string> parse_to_json(const std::string& sql, SqlProblem* problem) {
  if (const auto invalid = first_invalid_utf8(sql)) {
    *problem = SqlProblem{invalid_utf8_message(sql, *invalid), *invalid};
    return std::nullopt;
  }
  PgQueryParseResult result = pg_query_parse(sql.c_str());
  std::optional<std::string> tree;
  if (result.error != nullptr) {
    *problem = SqlProblem{result.error->message, std::nullopt};
    // cursorpos counts characters from 1: the byte offset of that character.
    long characters = 0;
    for (std::size_t byte = 0; result.error->cursorpos > 0 && byte < sql.size(); ++byte) {
      if ((static_cast<unsigned char>(sql[byte]) & 0xC0) == 0x80) continue;
      if (++characters == result.error->cursorpos) {
        problem->offset = byte;
        break;
      }
    }
    if (result.error->cursorpos > 0 && !problem->offset) problem->offset = sql.size();
  } else {
    tree = result.parse_tree;
  }
  pg_query_free_parse_result(result);
  return tree;
}

}  // namespace detail

}  // namespace pgshift::schemas
