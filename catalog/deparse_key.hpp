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

// An expression's shape as the catalog read gets it (PGSHIFT_EXPRESSION_SHAPE
// in reader.cpp): a digest of the stored tree (a pg_node_tree's text)
// without its parse locations (":location N", which only point into the
// statement that created it), a space, then the attribute numbers of the
// table's columns it reads (":varattno N"), in the order it reads them,
// separated by spaces: "3HAQ...= 3 5".
//
// The key under which such expressions deparse alike: the digest, then the
// names of those columns (`column_name` names a column of the expression's
// table by attribute number). Deparsing with the table as its only relation
// prints a column by its name alone and everything else from the tree, so
// two expressions with equal keys deparse to the same text on whichever of
// their tables. nullopt when the expression reads a whole row or a system
// column (attribute number 0 or below; its text names the table, or may) or
// the shape is not one.
std::optional<std::string> shared_deparse_key(
    std::string_view shape, const std::function<std::string(int attnum)>& column_name);

}  // namespace pgshift::catalog
