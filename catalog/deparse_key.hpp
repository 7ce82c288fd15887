// Which stored expressions deparse to the same text, so that a catalog read
// deparses each distinct one once.
//
// Deparsing a table's CHECK (pg_get_constraintdef) or an index's predicate
// opens the table: a relation cache entry built per table in a new backend,
// about 0.09 ms each, most of the constraint and index queries' time on a
// catalog of thousands of tables. Tables often hold the same expression over
// the same column names (a schema per tenant, copies of a table): those share
// one deparse.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pgshift::catalog {

// The key under which stored expressions deparse alike. `tree` is the
// expression as stored (a pg_node_tree's text, as the catalog read gets it:
// keying it here costs the server nothing, where stripping and hashing it in
// SQL cost about a fifth of the constraint and index queries). The key is the
// tree without its parse locations (":location N", which only point into the
// statement that created it), then the names of the table's columns it reads
// (":varattno N", in the order it reads them; `column_name` names a column of
// the expression's table by attribute number). Deparsing with the table as
// its only relation prints a column by its name alone and everything else
// from the tree, so two expressions with equal keys deparse to the same text
// on whichever of their tables. nullopt when the expression reads a whole row
// or a system column (attribute number 0 or below; its text names the table,
// or may) or a ":varattno" is not followed by a number.
std::optional<std::string> shared_deparse_key(
    std::string_view tree, const std::function<std::string(int attnum)>& column_name);

}  // namespace pgshift::catalog
