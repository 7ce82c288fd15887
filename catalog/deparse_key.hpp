// Which stored expressions deparse to the same text, so that a catalog read
// deparses each distinct one once.
//
// Deparsing a table's CHECK (pg_get_constraintdef) opens the table: a
// relation cache entry built per table in a new backend, about 0.09 ms each,
// most of the constraint query's time on a catalog of thousands of tables.
// Tables often hold the same CHECK over the same column names (a schema per
// tenant, copies and partitions of a table): those share one deparse.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pgshift::catalog {

// The key under which a table's stored expression (a pg_node_tree's text, as
// pg_constraint.conbin holds it) deparses alike: the tree without its parse
// locations (":location N", which only point into the statement that created
// it), then the names of the columns it reads, in the order it reads them
// (`column_name` gives the name of a column of the expression's table by
// attribute number). Deparsing with the table as its only relation prints a
// column by its name alone and everything else from the tree, so two
// expressions with equal keys deparse to the same text on whichever of their
// tables. nullopt when the expression reads a whole row or a system column
// (attribute number 0 or below): its text names the table, or may.
std::optional<std::string> shared_deparse_key(
    std::string_view node_tree, const std::function<std::string(int attnum)>& column_name);

}  // namespace pgshift::catalog
