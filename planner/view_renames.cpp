#include "planner/view_renames.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"
#include "schemas/sql_check_json.hpp"

namespace pgshift::planner {

namespace {

using Json = nlohmann::json;

// What a walk over the parse tree finds.
struct Tree {
  struct Range {
    std::string refname;  // how column references name it
    bool is_table = false;
  };
  std::vector<Range> ranges;
  std::set<std::string> ctes;
  struct Reference {
    std::vector<std::string> fields;  // "*" for A_Star
    int location = -1;
  };
  std::vector<Reference> references;
  std::set<int> bare_outputs;  // locations of bare references that name an output column
  bool unsupported = false;
};

std::string string_value(const Json& node) {
  if (const auto found = node.find("String"); found != node.end() && found->is_object()) {
    // libpg_query 15 spells it "sval", 13 "str".
    if (found->contains("sval")) return (*found)["sval"].get<std::string>();
    if (found->contains("str")) return (*found)["str"].get<std::string>();
  }
  return "*";
}

std::string alias_of(const Json& node) {
  const auto alias = node.find("alias");
  if (alias == node.end() || !alias->is_object()) return "";
  return alias->value("aliasname", "");
}

// The bare references of a SELECT's target list, and of each arm of a set
// operation (its arms are SelectStmt values held without a node name).
void note_bare_outputs(const Json& select, Tree& tree) {
  for (const auto& item : select.value("targetList", Json::array())) {
    const auto target = item.find("ResTarget");
    if (target == item.end() || target->contains("name")) continue;
    const auto val = target->find("val");
    if (val == target->end() || !val->contains("ColumnRef")) continue;
    tree.bare_outputs.insert((*val)["ColumnRef"].value("location", -1));
  }
  for (const char* arm : {"larg", "rarg"}) {
    if (const auto found = select.find(arm); found != select.end() && found->is_object()) {
      note_bare_outputs(*found, tree);
    }
  }
}

void walk(const Json& node, const std::string& schema, const std::string& table,
          bool unqualified_is_table, Tree& tree) {
  if (node.is_array()) {
    for (const auto& item : node) walk(item, schema, table, unqualified_is_table, tree);
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.items()) {
    if (key == "RangeVar") {
      const std::string relname = value.value("relname", "");
      const std::string schemaname = value.value("schemaname", "");
      const std::string alias = alias_of(value);
      tree.ranges.push_back(
          {alias.empty() ? relname : alias,
           relname == table && (schemaname == schema ||
                                (schemaname.empty() && unqualified_is_table))});
    } else if (key == "RangeSubselect" || key == "RangeFunction" || key == "RangeTableFunc") {
      tree.ranges.push_back({alias_of(value), false});
    } else if (key == "JoinExpr") {
      if (value.value("isNatural", false) || value.contains("usingClause") ||
          value.contains("alias") || value.contains("join_using_alias")) {
        tree.unsupported = true;
      }
    } else if (key == "CommonTableExpr") {
      tree.ctes.insert(value.value("ctename", ""));
    } else if (key == "ColumnRef") {
      Tree::Reference reference;
      for (const auto& field : value.value("fields", Json::array())) {
        reference.fields.push_back(string_value(field));
      }
      reference.location = value.value("location", -1);
      tree.references.push_back(std::move(reference));
    } else if (key == "SelectStmt") {
      note_bare_outputs(value, tree);
    }
    walk(value, schema, table, unqualified_is_table, tree);
  }
}

// The identifier starting at `at` as the parser reads it (quoted: as
// written; unquoted: folded to lower case), and where it ends.
std::optional<std::pair<std::string, size_t>> identifier_at(const std::string& text, size_t at) {
  if (at >= text.size()) return std::nullopt;
  if (text[at] == '"') return detail::quoted_at(text, at);
  std::string name;
  size_t end = at;
  while (end < text.size() && detail::identifier_char(text[end])) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(text[end])));
    ++end;
  }
  if (end == at) return std::nullopt;
  return std::make_pair(name, end);
}

struct Edit {
  size_t begin;
  size_t end;
  std::string text;
};

}  // namespace

std::optional<std::string> rename_column_in_view(const std::string& definition,
                                                 const std::string& schema,
                                                 const std::string& table,
                                                 const std::string& from, const std::string& to,
                                                 bool unqualified_is_table) {
  schemas::SqlProblem problem;
  const auto tree_text = schemas::detail::parse_to_json(definition, &problem);
  if (!tree_text) return std::nullopt;
  const Json parsed = Json::parse(*tree_text, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  const auto& statements = parsed.value("stmts", Json::array());
  if (statements.size() != 1 || !statements[0].value("stmt", Json::object()).contains("SelectStmt")) {
    return std::nullopt;
  }
  Tree tree;
  walk(statements[0]["stmt"], schema, table, unqualified_is_table, tree);
  if (tree.unsupported || (unqualified_is_table && tree.ctes.count(table) != 0)) {
    return std::nullopt;
  }
  std::set<std::string> table_names;
  std::set<std::string> other_names;
  for (const auto& range : tree.ranges) {
    (range.is_table ? table_names : other_names).insert(range.refname);
  }
  if (table_names.empty()) return std::nullopt;
  for (const auto& name : table_names) {
    if (other_names.count(name) != 0) return std::nullopt;
  }
  // A reference without a range name is printed only where the query
  // reads one relation (PostgreSQL 16 on): then it is the table's.
  const bool table_alone = tree.ranges.size() == 1 && tree.ranges.front().is_table;
  std::vector<Edit> edits;
  for (const auto& reference : tree.references) {
    if (reference.fields.empty() || reference.fields.back() != from) continue;
    if (reference.location < 0) return std::nullopt;
    size_t at = static_cast<size_t>(reference.location);
    if (reference.fields.size() == 2) {
      if (table_names.count(reference.fields.front()) == 0) continue;
      const auto range = identifier_at(definition, at);
      if (!range || range->first != reference.fields.front() || range->second >= definition.size() ||
          definition[range->second] != '.') {
        return std::nullopt;
      }
      at = range->second + 1;
    } else if (reference.fields.size() != 1 || !table_alone) {
      return std::nullopt;
    }
    const auto column = identifier_at(definition, at);
    if (!column || column->first != from) return std::nullopt;
    std::string replacement = plans::quote_ident(to);
    if (tree.bare_outputs.count(reference.location) != 0) {
      replacement += " AS " + plans::quote_ident(from);
    }
    edits.push_back({at, column->second, std::move(replacement)});
  }
  if (edits.empty()) return std::nullopt;
  std::sort(edits.begin(), edits.end(),
            [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string text = definition;
  for (const auto& edit : edits) text.replace(edit.begin, edit.end - edit.begin, edit.text);
  return text;
}

}  // namespace pgshift::planner
