#include "schemas/sql_check_script.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "schemas/sql_check_json.hpp"

namespace pgshift::schemas {

namespace {

using Json = nlohmann::json;

// `text` with pg_dump's guard lines blanked with as many spaces, so offsets
// into it are offsets into `text`.
std::string without_dump_guards(std::string text) {
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string_view line(text.data() + line_start, line_end - line_start);
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0) {
      std::fill(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                text.begin() + static_cast<std::ptrdiff_t>(line_end), ' ');
    }
    line_start = line_end + 1;
  }
  return text;
}

// "CREATE ROLE", "GRANT": the statement's first word, upper case, for
// messages, and its second after a verb that needs one.
std::string statement_words(const std::string& text, size_t at) {
  static const std::set<std::string> kTwoWords = {"CREATE",   "ALTER",   "DROP",    "COMMENT",
                                                  "REFRESH",  "IMPORT",  "PREPARE", "REASSIGN",
                                                  "EXPLAIN",  "SECURITY"};
  std::string words;
  for (int count = 0; count < 2 && at < text.size(); ++count) {
    size_t end = at;
    while (end < text.size() && (std::isalpha(static_cast<unsigned char>(text[end])) != 0 ||
                                 text[end] == '_')) {
      ++end;
    }
    if (end == at) break;
    std::string word;
    for (size_t i = at; i < end; ++i) {
      word += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
    }
    words += (words.empty() ? "" : " ") + word;
    if (kTwoWords.count(word) == 0) break;
    at = end;
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])) != 0) ++at;
  }
  return words.empty() ? "this statement" : words;
}

// Every value under a key named `key`, at any depth.
void collect(const Json& node, const char* key, std::vector<const Json*>& found) {
  if (node.is_object()) {
    for (const auto& [name, value] : node.items()) {
      if (name == key) found.push_back(&value);
      collect(value, key, found);
    }
  } else if (node.is_array()) {
    for (const auto& item : node) collect(item, key, found);
  }
}

std::string string_value(const Json& node) {
  if (node.contains("String")) {
    const Json& string = node["String"];
    if (string.contains("sval")) return string["sval"].get<std::string>();
    if (string.contains("str")) return string["str"].get<std::string>();
  }
  return "";
}

// Objects of the whole server (not of one database): a statement on them
// reaches past the scratch database.
bool shared_object(const std::string& type) {
  static const std::set<std::string> kShared = {"OBJECT_DATABASE", "OBJECT_TABLESPACE",
                                                "OBJECT_ROLE", "OBJECT_PARAMETER_ACL"};
  return kShared.count(type) != 0;
}

constexpr const char* kSharedReason =
    "databases, roles and tablespaces belong to the whole server, not to the database pgshift "
    "builds";

// Statements refused whatever they hold, with the reason.
const std::map<std::string, const char*>& refused_kinds() {
  static const std::map<std::string, const char*> kRefused = {
      {"CreateRoleStmt", kSharedReason},
      {"AlterRoleStmt", kSharedReason},
      {"AlterRoleSetStmt", kSharedReason},
      {"DropRoleStmt", kSharedReason},
      {"GrantRoleStmt", kSharedReason},
      {"CreatedbStmt", kSharedReason},
      {"DropdbStmt", kSharedReason},
      {"AlterDatabaseStmt", kSharedReason},
      {"AlterDatabaseSetStmt", kSharedReason},
      {"AlterDatabaseRefreshCollStmt", kSharedReason},
      {"CreateTableSpaceStmt", kSharedReason},
      {"DropTableSpaceStmt", kSharedReason},
      {"AlterTableSpaceOptionsStmt", kSharedReason},
      {"AlterTableMoveAllStmt", kSharedReason},
      {"DropOwnedStmt", "it also revokes privileges on objects the whole server shares"},
      {"ReassignOwnedStmt", "it also reassigns databases and tablespaces of the whole server"},
      {"AlterSystemStmt", "it changes the server's configuration"},
      {"DoStmt", "it runs code while pgshift builds the desired state"},
      {"CallStmt", "it runs code while pgshift builds the desired state"},
      {"ExecuteStmt", "it runs code while pgshift builds the desired state"},
      {"PrepareStmt", "it prepares code to run while pgshift builds the desired state"},
      {"ExplainStmt", "EXPLAIN ANALYZE runs its statement"},
      {"LoadStmt", "it loads a shared library into the server"},
      {"CreatePLangStmt", "a procedural language loads its handler library into the server"},
      {"CreateEventTrigStmt",
       "an event trigger runs its function on every later statement, while pgshift builds"},
      {"AlterEventTrigStmt",
       "an event trigger runs its function on every later statement, while pgshift builds"},
      {"CreateSubscriptionStmt", "a subscription connects to another server"},
      {"AlterSubscriptionStmt", "a subscription connects to another server"},
      {"ImportForeignSchemaStmt", "it connects to the foreign server"},
      {"InsertStmt", "a desired state holds definitions, not rows"},
      {"UpdateStmt", "a desired state holds definitions, not rows"},
      {"DeleteStmt", "a desired state holds definitions, not rows"},
      {"MergeStmt", "a desired state holds definitions, not rows"},
      {"CopyStmt", "a desired state holds definitions, not rows"},
      {"RefreshMatViewStmt", "it runs the view's query"},
      {"NotifyStmt", "it signals other sessions"},
      {"ListenStmt", "it listens to other sessions"},
      {"LockStmt", "a desired state holds definitions, not locks"},
      {"ClusterStmt", "it rewrites tables"},
      {"VacuumStmt", "it maintains tables"},
      {"ReindexStmt", "it rebuilds indexes"},
      {"CheckPointStmt", "it acts on the whole server"},
      {"DeclareCursorStmt", "a cursor runs a query"},
      {"FetchStmt", "a cursor runs a query"},
  };
  return kRefused;
}

// Statements that define or alter objects of the database they run in,
// and run no code of the file while they do.
const std::set<std::string>& allowed_kinds() {
  static const std::set<std::string> kAllowed = {
      "CreateStmt",          "AlterTableStmt",          "IndexStmt",
      "CreateSchemaStmt",    "CreateSeqStmt",           "AlterSeqStmt",
      "ViewStmt",            "CreateFunctionStmt",      "AlterFunctionStmt",
      "CreateEnumStmt",      "AlterEnumStmt",           "CompositeTypeStmt",
      "CreateRangeStmt",     "CreateDomainStmt",        "AlterDomainStmt",
      "DefineStmt",          "CreateCastStmt",          "CreateConversionStmt",
      "CreateOpClassStmt",   "CreateOpFamilyStmt",      "AlterOpFamilyStmt",
      "AlterOperatorStmt",   "AlterTypeStmt",           "AlterCollationStmt",
      "AlterTSDictionaryStmt", "AlterTSConfigurationStmt", "CreateExtensionStmt",
      "AlterExtensionStmt",  "AlterExtensionContentsStmt", "CreateTrigStmt",
      "RuleStmt",            "CreatePolicyStmt",        "AlterPolicyStmt",
      "CreateStatsStmt",     "AlterStatsStmt",          "CreatePublicationStmt",
      "AlterPublicationStmt", "CreateFdwStmt",          "AlterFdwStmt",
      "CreateForeignServerStmt", "AlterForeignServerStmt", "CreateForeignTableStmt",
      "CreateUserMappingStmt", "AlterUserMappingStmt",  "DropUserMappingStmt",
      "CreateTransformStmt", "CreateAmStmt",            "AlterDefaultPrivilegesStmt",
      "AlterObjectSchemaStmt", "AlterObjectDependsStmt", "DropStmt",
      "TruncateStmt",        "VariableSetStmt",         "VariableShowStmt",
      "DiscardStmt",         "TransactionStmt",         "GrantStmt",
      "CommentStmt",         "SecLabelStmt",            "AlterOwnerStmt",
      "RenameStmt",          "CreateTableAsStmt",       "SelectStmt",
      "ConstraintsSetStmt",
  };
  return kAllowed;
}

// A constant argument: 'x', 1, true, 'seq'::regclass.
bool constant(const Json& node) {
  if (node.contains("A_Const")) return true;
  if (node.contains("TypeCast")) return constant(node["TypeCast"].value("arg", Json::object()));
  return false;
}

// SELECT pg_catalog.set_config(...) or setval(...) with constants only: what
// pg_dump writes. Anything else a SELECT calls would run now.
bool harmless_select(const Json& select) {
  for (const auto& [key, value] : select.items()) {
    if (key != "targetList" && key != "limitOption" && key != "op") return false;
  }
  if (select.value("op", "") != "SETOP_NONE" || !select.contains("targetList")) return false;
  for (const auto& target : select["targetList"]) {
    const Json& val = target.value("ResTarget", Json::object()).value("val", Json::object());
    if (!val.contains("FuncCall")) return false;
    const Json& call = val["FuncCall"];
    const Json& names = call.value("funcname", Json::array());
    if (names.empty()) return false;
    const std::string name = string_value(names.back());
    const std::string schema = names.size() == 2 ? string_value(names[0]) : "pg_catalog";
    if (names.size() > 2 || schema != "pg_catalog" || (name != "set_config" && name != "setval")) {
      return false;
    }
    for (const auto& argument : call.value("args", Json::array())) {
      if (!constant(argument)) return false;
    }
  }
  return true;
}

// Why `statement` (one {"Kind": {...}} node) may not run, or "" when it may.
// A materialized view with data gets `suffix`.
std::string refusal(const std::string& kind, const Json& node, std::string& suffix) {
  if (const auto found = refused_kinds().find(kind); found != refused_kinds().end()) {
    return found->second;
  }
  if (allowed_kinds().count(kind) == 0) {
    return "it is not a statement that defines objects of the database pgshift builds";
  }
  if (kind == "GrantStmt" && shared_object(node.value("objtype", ""))) return kSharedReason;
  if ((kind == "CommentStmt" || kind == "SecLabelStmt") &&
      shared_object(node.value("objtype", ""))) {
    return kSharedReason;
  }
  if (kind == "AlterOwnerStmt" && shared_object(node.value("objectType", ""))) {
    return kSharedReason;
  }
  if (kind == "RenameStmt" && shared_object(node.value("renameType", ""))) return kSharedReason;
  if (kind == "TransactionStmt") {
    const std::string transaction = node.value("kind", "");
    if (transaction == "TRANS_STMT_PREPARE" || transaction == "TRANS_STMT_COMMIT_PREPARED" ||
        transaction == "TRANS_STMT_ROLLBACK_PREPARED") {
      return "a prepared transaction outlives the session and holds its locks";
    }
  }
  if (kind == "SelectStmt" && !harmless_select(node)) {
    return "a SELECT runs the functions it calls (only pg_catalog.set_config and setval with "
           "constants, as pg_dump writes them, may run)";
  }
  if (kind == "CreateFunctionStmt") {
    for (const auto& option : node.value("options", Json::array())) {
      const Json& element = option.value("DefElem", Json::object());
      if (element.value("defname", "") != "language") continue;
      std::string language = string_value(element.value("arg", Json::object()));
      std::transform(language.begin(), language.end(), language.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (language == "c" || language == "internal") {
        return "a LANGUAGE " + language +
               " function loads code into the server when it is created";
      }
      if (language == "plperl" || language == "plperlu") {
        return "PL/Perl compiles the body when the function is created, and Perl runs BEGIN "
               "blocks while it compiles";
      }
    }
  }
  if (kind == "CreateStmt" || kind == "AlterTableStmt") {
    std::vector<const Json*> bounds;
    collect(node, "partbound", bounds);
    collect(node, "bound", bounds);
    for (const Json* bound : bounds) {
      if (detail::contains_node(*bound, "FuncCall") || detail::contains_node(*bound, "SubLink")) {
        return "PostgreSQL evaluates a partition bound's function calls and subqueries when "
               "the partition is created";
      }
    }
  }
  if (kind == "CreateTableAsStmt") {
    const Json& into = node.value("into", Json::object());
    if (into.value("skipData", false)) return "";
    if (node.value("objtype", "") != "OBJECT_MATVIEW") {
      return "CREATE TABLE AS runs its query and stores rows: a desired state holds "
             "definitions (write WITH NO DATA)";
    }
    // On a line of its own: a final "-- comment" of the statement cannot
    // swallow it.
    suffix = "\nWITH NO DATA";
  }
  return "";
}

}  // namespace

ScriptCheck check_sql_script(const std::string& text) {
  ScriptCheck check;
  if (text.find('\0') != std::string::npos) {
    check.problem = SqlProblem{"a NUL byte is not SQL", text.find('\0')};
    return check;
  }
  const std::string sql = without_dump_guards(text);
  SqlProblem parse_problem;
  const std::optional<std::string> tree_text = detail::parse_to_json(sql, &parse_problem);
  if (!tree_text) {
    check.problem = parse_problem;
    return check;
  }
  const Json tree = Json::parse(*tree_text);
  check.runnable = sql;
  for (const auto& raw : tree.value("stmts", Json::array())) {
    ScriptStatement statement;
    statement.offset = raw.value("stmt_location", size_t{0});
    const size_t length = raw.value("stmt_len", size_t{0});
    statement.length = length == 0 ? sql.size() - statement.offset : length;
    const Json& stmt = raw.value("stmt", Json::object());
    if (stmt.empty()) continue;
    const std::string kind = stmt.items().begin().key();
    const std::string reason = refusal(kind, stmt[kind], statement.suffix);
    const size_t start = detail::first_word(sql, statement.offset);
    if (!reason.empty()) {
      check.problem = SqlProblem{
          statement_words(sql, start) + " is not allowed in a desired state's SQL: " + reason,
          start};
      check.runnable.clear();
      check.statements.clear();
      return check;
    }
    check.statements.push_back(statement);
  }
  return check;
}

namespace detail {

size_t first_word(const std::string& text, size_t at) {
  while (at < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[at])) != 0) {
      ++at;
    } else if (text.compare(at, 2, "--") == 0) {
      at = text.find('\n', at);
      if (at == std::string::npos) return text.size();
    } else if (text.compare(at, 2, "/*") == 0) {
      const size_t end = text.find("*/", at + 2);
      if (end == std::string::npos) return text.size();
      at = end + 2;
    } else {
      break;
    }
  }
  return at;
}

}  // namespace detail

}  // namespace pgshift::schemas
