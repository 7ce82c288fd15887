#include "planner/data_checks.hpp"

#include <array>
#include <cctype>
#include <functional>
#include <set>

#include "planner/normalize.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::DataCheck;
using plans::DataCheckKind;
using plans::quote_ident;
using plans::quote_literal;
using plans::quote_qualified;

namespace {

// The alias of the scanned table in every query.
constexpr const char* kAlias = "pgshift_row";

// The columns that identify a row in examples: the key, else ctid.
std::string key_select(const std::vector<std::string>& key) {
  if (key.empty()) return std::string(kAlias) + ".ctid";
  std::string text;
  for (const auto& column : key) {
    text += (text.empty() ? "" : ", ") + std::string(kAlias) + "." + quote_ident(column);
  }
  return text;
}

// SELECT <select> FROM <relation> AS pgshift_row [TABLESAMPLE SYSTEM ($1)] <rest>
std::string query(const std::string& select, const std::string& schema, const std::string& table,
                  const std::string& rest, bool sampled) {
  return "SELECT " + select + " FROM " + quote_qualified(schema, table) + " AS " + kAlias +
         (sampled ? " TABLESAMPLE SYSTEM ($1)" : "") + (rest.empty() ? "" : " " + rest);
}

// Where `check` reads `table` at plan time, when not where its step does.
void note_plan_table(DataCheck& check, const CheckedTable& table) {
  const bool moved = table.schema_at_plan_time() != table.schema;
  check.plan_schema = moved ? table.plan_schema : "";
  check.plan_table = moved || table.plan_name != table.step_name ? table.plan_name : "";
}

// A check whose query is `SELECT <key> FROM <table> <rest>`, with `rest` as
// at plan time and as right before the step.
DataCheck listing(DataCheckKind kind, const CheckedTable& table, std::string description,
                  const std::string& plan_rest, const std::string& step_rest) {
  DataCheck check;
  check.kind = kind;
  check.schema = table.schema;
  check.table = table.step_name;
  check.description = std::move(description);
  const std::string step_key = key_select(table.step_key);
  check.query = query(step_key, table.schema, table.step_name, step_rest, false);
  check.sampled_query = query(step_key, table.schema, table.step_name, step_rest, true);
  const std::string plan_key = key_select(table.plan_key);
  const std::string plan_query =
      query(plan_key, table.schema_at_plan_time(), table.plan_name, plan_rest, false);
  if (plan_query != check.query) {
    note_plan_table(check, table);
    check.plan_query = plan_query;
    check.plan_sampled_query =
        query(plan_key, table.schema_at_plan_time(), table.plan_name, plan_rest, true);
  }
  return check;
}

std::string column_of_row(const std::string& column) {
  return std::string(kAlias) + "." + quote_ident(column);
}

// Follows '...' and "..." through a text, one character at a time.
class Quotes {
 public:
  // Whether `c`, the next character, is outside quotes (and no quote mark).
  bool outside(char c) {
    if (quote_ != 0) {
      if (c == quote_) quote_ = 0;
      return false;
    }
    if (c == '\'' || c == '"') {
      quote_ = c;
      return false;
    }
    return true;
  }

 private:
  char quote_ = 0;
};

// `text` on one line: each run of white space outside quotes one space
// (the server pretty-prints a CASE over several lines).
std::string one_line(const std::string& text) {
  std::string line;
  Quotes quotes;
  for (const char c : text) {
    const bool bare = quotes.outside(c);
    if (bare && std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!line.empty() && line.back() != ' ' && line.back() != '(') line += ' ';
      continue;
    }
    if (bare && c == ')' && !line.empty() && line.back() == ' ') line.pop_back();
    line += c;
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// The words of `text` at parenthesis depth 0, split at spaces outside
// quotes ('...' and "...").
std::vector<std::string> top_level_words(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  int depth = 0;
  Quotes quotes;
  for (const char c : text) {
    if (quotes.outside(c)) {
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        --depth;
      } else if (c == ' ' && depth == 0) {
        if (!word.empty()) words.push_back(word);
        word.clear();
        continue;
      }
    }
    word += c;
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

}  // namespace

CheckedTable checked_table(const TableContext& table) {
  const QualifiedName origin = table.builder.at_plan_time(table.schema, table.current->name);
  CheckedTable checked{table.schema, origin.name, table.desired.name, {}, {}, origin.schema};
  if (table.current->primary_key) {
    checked.plan_key = table.current->primary_key->columns;
    if (table.desired.primary_key) checked.step_key = table.desired.primary_key->columns;
  }
  return checked;
}

DataCheck not_null_check(const CheckedTable& table, const std::string& column,
                         const std::optional<std::string>& fill, bool column_is_new) {
  const std::string step_rest = "WHERE " + column_of_row(column) + " IS NULL";
  std::string plan_rest = step_rest;
  std::string description = "rows where \"" + column + "\" is NULL";
  if (fill) {
    description += " after the backfill (" + *fill + ")";
    plan_rest = column_is_new ? "WHERE (" + *fill + ") IS NULL"
                              : step_rest + " AND (" + *fill + ") IS NULL";
  }
  return listing(DataCheckKind::NotNull, table, description, plan_rest, step_rest);
}

DataCheck check_constraint_check(const CheckedTable& table, const schemas::CheckConstraint& check) {
  // NOT (NULL) is NULL: rows for which the expression is NULL pass, as they
  // pass the constraint.
  const std::string rest = "WHERE NOT (" + check.expression + ")";
  return listing(DataCheckKind::Check, table,
                 "rows breaking CHECK \"" + check.name + "\" (" + check.expression + ")", rest,
                 rest);
}

namespace {

// A foreign key's columns in a data check's row: all of them set, any of
// them set, and each equal to its referenced column of `pgshift_ref`.
struct KeyConditions {
  std::string all_set;
  std::string any_set;
  std::string match;
};

KeyConditions key_conditions(const schemas::ForeignKey& fk) {
  KeyConditions key;
  for (size_t column_idx = 0; column_idx < fk.columns.size(); ++column_idx) {
    const std::string column = column_of_row(fk.columns[column_idx]);
    key.all_set += (key.all_set.empty() ? "" : " AND ") + column + " IS NOT NULL";
    key.any_set += (key.any_set.empty() ? "" : " OR ") + column + " IS NOT NULL";
    key.match += (key.match.empty() ? "" : " AND ") + std::string("pgshift_ref.") +
                 quote_ident(fk.ref_columns.at(column_idx)) + " = " + column;
  }
  return key;
}

}  // namespace

DataCheck foreign_key_check(const CheckedTable& table, const schemas::ForeignKey& fk,
                            const QualifiedName& referenced_at_plan_time) {
  const auto [all_set, any_set, match] = key_conditions(fk);
  // MATCH SIMPLE: a row with a NULL key column is not checked. MATCH FULL:
  // such a row violates unless every key column is NULL. The referenced
  // table is named where it is when the query runs: at plan time, before a
  // move the plan makes; right before the step, after it.
  const auto rest = [&](const std::string& ref_schema, const std::string& ref_table) {
    const std::string orphan = "NOT EXISTS (SELECT 1 FROM " +
                               quote_qualified(ref_schema, ref_table) + " AS pgshift_ref WHERE " +
                               match + ")";
    if (fk.match == schemas::MatchType::Full) {
      return "WHERE (" + all_set + " AND " + orphan + ") OR (NOT (" + all_set + ") AND (" +
             any_set + "))";
    }
    return "WHERE " + all_set + " AND " + orphan;
  };
  return listing(DataCheckKind::ForeignKey, table,
                 "rows of foreign key \"" + fk.name + "\" without a row in \"" + fk.ref_schema +
                     "." + fk.ref_table + "\"",
                 rest(referenced_at_plan_time.schema, referenced_at_plan_time.name),
                 rest(fk.ref_schema, fk.ref_table));
}

DataCheck detached_reference_check(const CheckedTable& table, const schemas::ForeignKey& fk,
                                   const QualifiedName& partition_at_plan_time,
                                   const QualifiedName& partition) {
  const KeyConditions key = key_conditions(fk);
  // A row with a NULL key column references nothing (MATCH FULL allows
  // only all of them NULL): only rows with every column set can.
  const auto rest = [&](const QualifiedName& referenced) {
    return "WHERE " + key.all_set + " AND EXISTS (SELECT 1 FROM " +
           quote_qualified(referenced.schema, referenced.name) + " AS pgshift_ref WHERE " +
           key.match + ")";
  };
  return listing(DataCheckKind::ForeignKey, table,
                 "rows of foreign key \"" + fk.name + "\" referencing rows of \"" +
                     partition.schema + "." + partition.name + "\", which the detach takes out of \"" +
                     fk.ref_schema + "." + fk.ref_table + "\"",
                 rest(partition_at_plan_time), rest(partition));
}

DataCheck unique_check(const CheckedTable& table, const std::vector<std::string>& keys,
                       const std::optional<std::string>& where, bool nulls_not_distinct,
                       const std::string& what) {
  std::string list;
  std::string conditions;
  for (const auto& key : keys) {
    list += (list.empty() ? "" : ", ") + key;
    if (!nulls_not_distinct)
      conditions += (conditions.empty() ? "" : " AND ") + key + " IS NOT NULL";
  }
  if (where) conditions += (conditions.empty() ? "(" : " AND (") + *where + ")";
  const std::string rest = (conditions.empty() ? "" : "WHERE " + conditions + " ") + "GROUP BY " +
                           list + " HAVING count(*) > 1";
  DataCheck check;
  check.kind = DataCheckKind::Unique;
  check.schema = table.schema;
  check.table = table.step_name;
  check.description = "groups of rows sharing the key of " + what;
  const std::string select = list + ", count(*) AS \"rows\"";
  check.query = query(select, table.schema, table.step_name, rest, false);
  check.sampled_query = query(select, table.schema, table.step_name, rest, true);
  if (table.plan_name != table.step_name || table.schema_at_plan_time() != table.schema) {
    note_plan_table(check, table);
    check.plan_query = query(select, table.schema_at_plan_time(), table.plan_name, rest, false);
    check.plan_sampled_query =
        query(select, table.schema_at_plan_time(), table.plan_name, rest, true);
  }
  return check;
}

namespace {

constexpr std::array<const char*, 6> kRangeTypes = {"int4range", "int8range", "numrange",
                                                    "tsrange",   "tstzrange", "daterange"};

// Whether `expression` (an element of an exclusion constraint) is a value
// of a built-in range type: a column of one, a call of its constructor, or
// a cast to one.
bool range_valued(const std::string& expression, const std::set<std::string>& range_columns) {
  for (const auto& column : range_columns) {
    if (expression == quote_ident(column)) return true;
  }
  for (const char* type : kRangeTypes) {
    const std::string name = type;
    if (expression.rfind(name + "(", 0) == 0 || expression.rfind("pg_catalog." + name + "(", 0) == 0) {
      return true;
    }
    const std::string cast = "::" + name + ")";
    if (expression.size() > cast.size() &&
        expression.compare(expression.size() - cast.size(), cast.size(), cast) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<DataCheck> exclusion_check(const CheckedTable& table,
                                         const schemas::ExclusionConstraint& exclusion,
                                         const std::set<std::string>& range_columns) {
  struct Element {
    std::string expression;
    std::string op;
  };
  std::vector<Element> parsed;
  std::vector<std::string> equal;
  std::vector<std::string> overlap;
  for (const auto& element : exclusion.elements) {
    const std::vector<std::string> words = top_level_words(one_line(element));
    if (words.size() < 3 || words[words.size() - 2] != "WITH") return std::nullopt;
    parsed.push_back({words.front(), words.back()});
    if (words.back() == "=") equal.push_back(words.front());
    if (words.back() == "&&") overlap.push_back(words.front());
  }
  if (parsed.empty()) return std::nullopt;
  const std::optional<std::string> where =
      exclusion.where ? std::optional<std::string>(one_line(*exclusion.where)) : std::nullopt;
  // Rows with a NULL element never conflict (the operator yields NULL).
  std::string present;
  for (const auto& element : parsed) {
    present += (present.empty() ? "" : " AND ") + element.expression + " IS NOT NULL";
  }
  if (where) present += " AND (" + *where + ")";
  std::string elements;
  for (const auto& element : exclusion.elements) {
    elements += (elements.empty() ? "" : ", ") + one_line(element);
  }
  const std::string what = "exclusion constraint \"" + exclusion.name + "\" (" + elements + ")";
  std::string equal_list;
  for (const auto& expression : equal) equal_list += (equal_list.empty() ? "" : ", ") + expression;
  const bool sweepable = equal.size() + overlap.size() == parsed.size() &&
                         (overlap.empty() || (overlap.size() == 1 &&
                                              range_valued(overlap.front(), range_columns)));
  std::function<std::string(const std::string&, const std::string&)> rest;
  std::string description;
  if (sweepable && overlap.empty()) {
    // Only equality: the groups of rows sharing the values, as for a
    // unique key, found in one pass.
    description = "rows in conflict with another row under " + what;
    rest = [&](const std::string& schema, const std::string& name) {
      return "WHERE " + present + " AND (" + equal_list + ") IN (SELECT " + equal_list + " FROM " +
             quote_qualified(schema, name) + " AS pgshift_other WHERE " + present + " GROUP BY " +
             equal_list + " HAVING count(*) > 1)";
    };
  } else if (sweepable) {
    // Ranges that overlap, among rows sharing the equal elements: in the
    // ranges' order, a row overlaps some later row exactly when it
    // overlaps the next one (every later row starts no earlier than the
    // next). One sort instead of comparing every pair; each conflicting
    // pair shows at least its first row.
    const std::string& range = overlap.front();
    description = "rows overlapping a later row (by " + range + ") under " + what;
    rest = [&, range](const std::string& schema, const std::string& name) {
      return std::string("WHERE ") + kAlias +
             ".ctid IN (SELECT pgshift_sorted.pgshift_ctid FROM (SELECT "
             "ctid AS pgshift_ctid, " +
             range + " && lead(" + range + ") OVER (" +
             (equal.empty() ? std::string() : "PARTITION BY " + equal_list + " ") + "ORDER BY " +
             range + ") AS pgshift_overlaps FROM " + quote_qualified(schema, name) +
             " AS pgshift_other WHERE " + present + " AND NOT isempty(" + range +
             ")) AS pgshift_sorted WHERE pgshift_sorted.pgshift_overlaps)";
    };
  } else {
    // Any other operators: each row against every other, through the
    // operators themselves. Each element's value for the row listed is
    // computed once, in a LATERAL subquery whose column names can only be
    // the row's; inside EXISTS the same expressions, unqualified, are the
    // other row's (the innermost scope). The operators of an exclusion
    // constraint are commutative: each pair is found from both of its rows.
    std::string mine;
    std::string conflict;
    for (std::size_t idx = 0; idx < parsed.size(); ++idx) {
      const std::string value = "pgshift_value_" + std::to_string(idx + 1);
      mine += (mine.empty() ? "" : ", ") + parsed[idx].expression + " AS " + value;
      conflict += " AND pgshift_mine." + value + " " + parsed[idx].op + " " +
                  parsed[idx].expression;
    }
    const std::string inside = where ? " AND (" + *where + ")" : "";
    description = "rows in conflict with another row under " + what;
    rest = [&, mine, conflict, inside](const std::string& schema, const std::string& name) {
      return ", LATERAL (SELECT " + mine + ") AS pgshift_mine WHERE " +
             (where ? "(" + *where + ") AND " : "") + "EXISTS (SELECT 1 FROM " +
             quote_qualified(schema, name) + " AS pgshift_other WHERE pgshift_other.ctid <> " +
             kAlias + ".ctid" + inside + conflict + ")";
    };
  }
  return listing(DataCheckKind::Exclusion, table, description,
                 rest(table.schema_at_plan_time(), table.plan_name),
                 rest(table.schema, table.step_name));
}

DataCheck cast_check(const CheckedTable& table, const std::string& plan_column,
                     const std::string& step_column, const std::string& from, const std::string& to,
                     int server_version, const std::optional<std::string>& using_expr) {
  const TypeParts source = split_type(from);
  const TypeParts target = split_type(to);
  const bool string_source =
      !source.array &&
      (source.name == "text" || source.name == "character varying" || source.name == "character");
  const bool bounded_string = !target.array && !target.modifiers.empty() &&
                              (target.name == "character varying" || target.name == "character");
  auto rest = [&](const std::string& column) {
    const std::string value = column_of_row(column);
    if (bounded_string) {
      return "WHERE char_length(" + value + "::text) > " + std::to_string(target.modifiers[0]);
    }
    return "WHERE " + value + " IS NOT NULL AND NOT pg_input_is_valid(" + value + "::text, " +
           quote_literal(to) + ")";
  };
  if (!using_expr && (bounded_string || (string_source && server_version >= 160000))) {
    return listing(DataCheckKind::Cast, table,
                   bounded_string ? "values of \"" + step_column + "\" longer than " +
                                        std::to_string(target.modifiers[0]) +
                                        " characters (the cast to " + to + " would cut them)"
                                  : "values of \"" + step_column + "\" that " + to + " rejects",
                   rest(plan_column), rest(step_column));
  }
  // No test for the conversion without running it: the server's cast over
  // every row, which fails at the first value it rejects.
  DataCheck check;
  check.kind = DataCheckKind::Cast;
  check.schema = table.schema;
  check.table = table.step_name;
  check.description = using_expr ? "values of \"" + step_column +
                                       "\" that the using: expression (to " + to + ") rejects"
                                 : "values of \"" + step_column + "\" that the cast to " + to +
                                       " rejects";
  check.raises = true;
  // The using: expression names the column as the step sees it; it is run
  // over the rows as they are (its column names resolve to the table's).
  auto attempt = [&](const std::string& column, const std::string& schema, const std::string& name,
                     bool sampled) {
    const std::string value = using_expr ? "(" + *using_expr + ")" : column_of_row(column);
    return query("count((" + value + ")::" + to + ")", schema, name, "", sampled);
  };
  check.query = attempt(step_column, table.schema, table.step_name, false);
  check.sampled_query = attempt(step_column, table.schema, table.step_name, true);
  const std::string plan_query =
      attempt(plan_column, table.schema_at_plan_time(), table.plan_name, false);
  if (plan_query != check.query) {
    note_plan_table(check, table);
    check.plan_query = plan_query;
    check.plan_sampled_query =
        attempt(plan_column, table.schema_at_plan_time(), table.plan_name, true);
  }
  return check;
}

DataCheck domain_check(const CheckedTable& table, const std::string& plan_column,
                       const std::string& step_column, const std::string& what,
                       const std::optional<schemas::DomainCheck>& check,
                       const std::optional<std::string>& convert_to,
                       const std::optional<std::string>& using_expr) {
  // The value as the domain gets it: the column, or the type change's
  // conversion to the domain's base type. VALUE in the CHECK is a column
  // named value of a one-row subquery: the innermost scope, so a column of
  // the table named "value" does not take its place.
  auto rest = [&](const std::string& column) {
    std::string value = using_expr ? "(" + *using_expr + ")" : column_of_row(column);
    if (convert_to) value = "(" + value + ")::" + *convert_to;
    if (!check) return "WHERE (" + value + ") IS NULL";
    return "WHERE NOT (SELECT (" + check->expression + ") FROM (SELECT " + value +
           " AS value) AS pgshift_value)";
  };
  const std::string description =
      "values of \"" + step_column + "\" that " + what + " rejects: " +
      (check ? "CHECK \"" + check->name + "\" (" + check->expression + ")"
             : std::string("NULL (NOT NULL)"));
  return listing(check ? DataCheckKind::Check : DataCheckKind::NotNull, table, description,
                 rest(plan_column), rest(step_column));
}

const schemas::Domain* domain_of_type(const schemas::Database& db, const std::string& type,
                                      const std::string& schema, std::string& domain_schema) {
  const std::string normalized = normalize_type(type);
  if (normalized.size() >= 2 && normalized.compare(normalized.size() - 2, 2, "[]") == 0) {
    return nullptr;
  }
  for (const auto& token : type_tokens(normalized, schema)) {
    for (const auto& candidate : db.schemas) {
      for (const auto& domain : candidate.domains) {
        if (type_token_of(candidate.name, domain.name) == token) {
          domain_schema = candidate.name;
          return &domain;
        }
      }
    }
  }
  return nullptr;
}

}  // namespace pgshift::planner::detail
