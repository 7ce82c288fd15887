// Functions and procedures: CREATE OR REPLACE, or drop and create when
// the signature's result changes; comment; drop.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::DurationClass;
using plans::Hazard;
using plans::Phase;
using plans::quote_dotted;
using plans::quote_ident;
using plans::quote_ident_list;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

// What the current routine uses by the catalog's record (a SQL-standard body
// depends on the tables, columns and views it names): tokens its drop or
// replacement releases, so that a dropped table goes after it.
std::vector<std::string> used_tokens(const Builder& builder, const ObjectId& id) {
  std::vector<std::string> tokens;
  for (const auto& dependency : builder.current().facts.dependencies) {
    const auto& dependent = dependency.dependent;
    if (dependent.kind != id.kind || dependent.schema != id.schema || dependent.name != id.name) {
      continue;
    }
    const auto& used = dependency.referenced;
    if (used.kind == ObjectKind::Table) {
      tokens.push_back(table_token(used.schema, used.name));
      if (!dependency.referenced_column.empty()) {
        tokens.push_back(column_token(used.schema, used.name, dependency.referenced_column));
      }
    } else if (used.kind == ObjectKind::View || used.kind == ObjectKind::MaterializedView) {
      tokens.push_back("view:" + used.schema + "." + used.name);
    }
  }
  return tokens;
}

void plan_function(Builder& builder, const std::string& schema, const schemas::Function* current,
                   const schemas::Function* desired) {
  const schemas::Function& any = desired ? *desired : *current;
  const ObjectKind kind = any.is_procedure ? ObjectKind::Procedure : ObjectKind::Function;
  const ObjectId id{kind, schema, "", schemas::function_signature(any)};
  const std::string token = "func:" + schema + "." + any.name;
  const char* keyword = any.is_procedure ? "PROCEDURE " : "FUNCTION ";
  // Views calling a routine that is dropped are dropped first and created
  // again after (plan_views), by the signature they call.
  const std::string signature_token = "routine:" + schema + "." + schemas::function_signature(any);
  if (desired == nullptr) {
    std::vector<std::string> releases = used_tokens(builder, id);
    releases.push_back("schema:" + schema);
    builder.invalidate(signature_token);
    // It also provides the name: what calls the name is created after the
    // old overload is gone (beside a new overload with a defaulted argument
    // the call would be ambiguous).
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the routine is not in the desired schema",
               {{Statement::DropFunction,
                 std::string("DROP ") + keyword + function_target(schema, *current)}},
               {token}, {}, {token, signature_token}, releases);
    return;
  }
  if (desired->sql_body && builder.version() < 140000) {
    builder.diagnose(plans::Severity::Error, id,
                     "cannot create " + describe(id) +
                         " with a SQL-standard body (sql_body: RETURN or BEGIN ATOMIC): the "
                         "server is PostgreSQL " +
                         std::to_string(builder.version() / 10000) +
                         ", SQL-standard bodies need 14 or later; write the body as a string "
                         "(body:) instead");
    return;
  }
  std::vector<std::string> requires_ = {"schema:" + schema};
  for (const auto& arg : desired->args) {
    for (const auto& type : type_tokens(arg.type, schema)) requires_.push_back(type);
  }
  if (const auto recorded = recorded_tokens(builder, builder.desired(), id)) {
    // What the scratch database's catalog recorded of it (a SQL-standard
    // body's tables, columns, views and routines): those come first.
    for (const auto& token : *recorded) {
      if (token != "func:" + schema + "." + desired->name) requires_.push_back(token);
    }
  } else if (desired->sql_body) {
    // The server resolves a SQL-standard body at creation (and records its
    // dependencies): the tables, views and routines it names come first.
    for (const auto& token : query_tokens(builder.desired(), desired->body)) {
      requires_.push_back(token);
    }
    const auto words = expression_words(desired->body);
    for (const auto& other_schema : builder.desired().schemas) {
      for (const auto& other : other_schema.functions) {
        if (words.count(other.name) != 0 &&
            !(other_schema.name == schema && other.name == desired->name)) {
          requires_.push_back("func:" + other_schema.name + "." + other.name);
        }
      }
    }
  }
  schemas::Function current_body = current ? *current : *desired;
  current_body.comment = desired->comment;
  current_body.owner = desired->owner;  // rules_owners.cpp
  if (current == nullptr || !(current_body == *desired)) {
    // CREATE OR REPLACE cannot change the result type, argument names or
    // defaults, or turn a function into a procedure: drop and create then.
    const bool replace_in_place =
        current == nullptr ||
        (current->returns == desired->returns && current->args == desired->args &&
         current->is_procedure == desired->is_procedure);
    std::vector<Sql> statements;
    if (!replace_in_place) builder.invalidate(signature_token);
    if (!replace_in_place) {
      statements.push_back({Statement::DropFunctionToReplace,
                            std::string("DROP ") +
                                (current->is_procedure ? "PROCEDURE " : "FUNCTION ") +
                                function_target(schema, *current)});
    }
    statements.push_back(
        {Statement::CreateOrReplaceFunction, create_function_sql(schema, *desired)});
    add_simple(builder, Phase::Prepare, id, (current ? "replace " : "create ") + describe(id),
               replace_in_place ? "CREATE OR REPLACE swaps the definition atomically"
                                : "the signature's result changes: drop and create in one "
                                  "transaction",
               statements, {token}, requires_,
               replace_in_place ? std::vector<std::string>{}
                                : std::vector<std::string>{signature_token},
               current ? used_tokens(builder, id) : std::vector<std::string>{});
  }
  maybe_comment(builder, id, keyword, function_target(schema, *desired),
                current ? current->comment : std::nullopt, desired->comment, token);
}

}  // namespace

void plan_functions(Builder& builder) {
  for_each_match<schemas::Function>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.functions; },
      [&builder](const std::string& schema, const schemas::Function* current,
                 const schemas::Function* desired) {
        plan_function(builder, schema, current, desired);
      },
      [](const schemas::Function& function) { return schemas::function_signature(function); });
}

}  // namespace pgshift::planner::detail
