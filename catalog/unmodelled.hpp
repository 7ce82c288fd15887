// What the catalog holds in the managed schemas that the model does not.
//
// pgshift never skips an object silently: read_catalog() calls
// read_unmodelled() in its snapshot and keeps the result in
// CatalogFacts::unmodelled, so that `inspect` warns, `plan` carries a warning
// diagnostic per object (an error with --strict) and `drift` reports them.
//
// Reported (each checked against what catalog/reader.cpp reads):
//   - privileges differing from the owner's default (acldefault) of what
//     the model does not hold (foreign tables and their columns, aggregates,
//     window functions, range and base types; catalog/privileges.cpp reads
//     the others into the model); default privileges on large objects
//     (PostgreSQL 18; those on tables, sequences, functions, types and
//     schemas are modelled);
//   - UNLOGGED sequences (not those owned by an unlogged table); column
//     STORAGE, COMPRESSION, STATISTICS and attribute options; non-heap table
//     access methods; tablespaces;
//     WITH OIDS (PostgreSQL 11); typed tables (OF type); inheritance
//     (non-partition pg_inherits); CLUSTER ON;
//   - rules other than a view's _RETURN; view column defaults; comments on
//     columns of views, materialized views and composite types; NOT VALID
//     domain constraints;
//   - triggers on views and foreign tables, the firing of foreign keys' internal
//     triggers (DISABLE TRIGGER ALL), transition tables (REFERENCING);
//   - extended statistics, operators, operator classes and families,
//     collations, conversions, text search configurations, dictionaries,
//     parsers and templates, aggregates and window functions, range, base and
//     shell types, foreign tables, routine options (SET, PARALLEL, LEAKPROOF,
//     COST, ROWS);
//   - publication memberships of managed tables and schemas (15+), and
//     publications FOR ALL TABLES; casts from or to a managed type or through
//     a managed function; event triggers (database-wide).
// Objects owned by an extension are left out, as the reader leaves them out.
// Not reported: owners (pgshift plans as whatever role runs it), security
// labels, comments on objects that are themselves reported.
//
// One query per family of kinds, never one per object.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "schemas/model.hpp"

namespace pgshift::catalog {

// Every object of the schemas named in `schemas_literal` (a text[] literal)
// that the model does not hold, plus the database-wide ones that act on them,
// sorted (schema, relation, kind, name). Throws ReadError (catalog/reader.hpp)
// naming the kind whose query failed.
// `schemas_hold_objects` false (nothing depends on any of those schemas in
// pg_depend) leaves out the queries of objects in them, which would return
// nothing.
// REQUIRES: `tx` is read_catalog()'s transaction on a server of
// `server_version_num` (PostgreSQL 11 to 18).
std::vector<schemas::UnmodelledObject> read_unmodelled(pqxx::transaction_base& tx,
                                                       const std::string& schemas_literal,
                                                       int server_version_num,
                                                       bool schemas_hold_objects = true);

}  // namespace pgshift::catalog
