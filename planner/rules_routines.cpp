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
    builder.invalidate(signature_token);
    // It also provides the name: what calls the name is created after the
    // old overload is gone (beside a new overload with a defaulted argument
    // the call would be ambiguous).
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the routine is not in the desired schema",
               {{Statement::DropFunction,
                 std::string("DROP ") + keyword + function_target(schema, *current)}},
               {token}, {}, {token, signature_token}, {"schema:" + schema});
    return;
  }
  std::vector<std::string> requires_ = {"schema:" + schema};
  for (const auto& arg : desired->args) {
    for (const auto& type : type_tokens(arg.type, schema)) requires_.push_back(type);
  }
  schemas::Function current_body = current ? *current : *desired;
  current_body.comment = desired->comment;
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
                                : std::vector<std::string>{signature_token});
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
