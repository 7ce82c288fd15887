// Checking SQL text of the desired state with PostgreSQL's own parser.
//
// pgshift pastes SQL text of the YAML (a default, a check, a view's query, a
// type name, ...) into the statements it plans. Each such text must be exactly
// what its place allows, or it could close its place and add SQL of its own
// that the reviewed plan does not show. libpg_query (PostgreSQL's parser as a
// library) parses the text inside a statement of the right shape followed by a
// sentinel at a known position: the text passes only when the parse tree is
// that statement, the text fills exactly its slot, and the sentinel is found
// where it was put (so no comment, quote or parenthesis of the text swallowed
// what follows it).
//
// Thread safety: pure functions; libpg_query keeps its state per thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace pgshift::schemas {

enum class SqlKind {
  Expression,       // one scalar expression: a default, a check, a WHEN condition
  TypeName,         // a type: "integer", "character varying(20)", "public.mood[]"
  Query,            // one SELECT, VALUES or WITH ... SELECT, without a final ";"
  OptionValue,      // the value of a storage parameter: WITH (fillfactor = <value>)
  PartitionBound,   // FOR VALUES ... or DEFAULT, constants only
  PartitionKey,     // the column list of PARTITION BY RANGE (<key>)
  FunctionReturns,  // what RETURNS takes: a type, SETOF type, TABLE (...)
  SqlFunctionBody,  // the statements of a LANGUAGE sql function
  SqlStandardBody,  // "RETURN expr" or "BEGIN ATOMIC ... END" (PostgreSQL 14+)
  ExclusionElement,  // one element of EXCLUDE (...): "room WITH =", "(lower(name)) WITH ="
};

// What its place calls the text in messages: "expression", "type name", ...
const char* sql_kind_name(SqlKind kind);

struct SqlProblem {
  std::string message;                // lower case, no final period
  std::optional<std::size_t> offset;  // byte offset in the text, when known
};

// Returns nullopt when `text` is exactly one `kind`, else what is wrong with
// it. A NUL byte, an empty text, a parse error, a second statement, a clause
// or parameter ($1) its place does not allow are problems.
std::optional<SqlProblem> check_sql(SqlKind kind, const std::string& text);

// Checks a LANGUAGE plpgsql body with PL/pgSQL's own parser, as the body of
// "CREATE FUNCTION f(<arguments>) RETURNS <returns>" (a procedure when
// `returns` is empty). Reports syntax errors only: what PL/pgSQL resolves
// against the catalog is left to the server.
std::optional<SqlProblem> check_plpgsql_body(const std::string& body, const std::string& arguments,
                                             const std::string& returns);

}  // namespace pgshift::schemas
