// The one place where pgshift turns names and values into SQL text.
//
// Every identifier in generated SQL goes through quote_ident/quote_qualified
// and every literal through quote_literal; no other file writes a double
// quote around a name. Types and expressions from the model are SQL already
// and are emitted as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgshift::plans {

// PostgreSQL's quote_identifier rule (src/backend/utils/adt/ruleutils.c):
// bare when the name is lower-case ASCII letters, digits and underscores, does
// not start with a digit and is not a keyword other than an unreserved one
// (src/include/parser/kwlist.h); otherwise in double quotes with inner double
// quotes doubled. `User` -> "User", `select` -> "select", `a"b` -> "a""b".
std::string quote_ident(std::string_view name);

// quote_ident(schema) + "." + quote_ident(name); just quote_ident(name) when
// schema is empty.
std::string quote_qualified(std::string_view schema, std::string_view name);

// "schema.name" split at its first dot and quoted as quote_qualified; a name
// without a dot is quoted alone. REQUIRES: the schema name has no dot.
std::string quote_dotted(std::string_view dotted);

// Comma-separated quote_ident of each name: "a", "B" -> a, "B".
std::string quote_ident_list(const std::vector<std::string>& names);

// A string literal valid whatever standard_conforming_strings is (as
// quote_literal in src/backend/utils/adt/quote.c): quotes doubled; with a
// backslash, backslashes doubled and the E'' form.
std::string quote_literal(std::string_view value);

// body between dollar quotes whose tag does not occur in body: $pgshift$...
std::string dollar_quote(std::string_view body);

// True for the keywords quote_ident must quote (reserved, column-name and
// type/function-name keywords of PostgreSQL 10 to 17).
bool is_quoted_keyword(std::string_view word);

}  // namespace pgshift::plans
