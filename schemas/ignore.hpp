// Ignore rules: objects managed elsewhere, left out of plans and drift reports.
//
// A pattern is `[kind:]path`, where path is a dot-separated, schema-qualified
// name with shell wildcards (`*`, `?`, `[...]`, as fnmatch(3)):
//   public.audit_*            tables, views, sequences, types, functions named so
//   legacy                    ... and, with no dot, a whole schema
//   index:public.*_hotfix     indexes (on any table) whose name matches
//   column:public.orders.tmp_*  columns of a table
// Kinds: schema, table, view, materialized_view, sequence, type (enum, domain,
// composite), function, index, constraint (primary keys too), trigger, column,
// extension.
// Without a kind, a pattern with no dot names schemas; with one dot it names
// top-level objects of any kind.
#pragma once

#include <string>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::schemas {

// An invalid pattern (unknown kind, empty path), with the pattern's text.
struct IgnorePatternError {
  std::string pattern;
  std::string message;
};

// Returns the problems of `patterns`; empty when all are valid.
std::vector<IgnorePatternError> check_ignore_patterns(const std::vector<std::string>& patterns);

// Removes from `db` every object one of `patterns` matches. Objects inside a
// removed object (a table's indexes) go with it, and so do the entries of
// db.facts.unmodelled in a matched schema, on a matched relation, or whose
// own name a top-level pattern matches (database-wide ones always stay).
// REQUIRES: check_ignore_patterns(patterns) is empty.
void remove_ignored(Database& db, const std::vector<std::string>& patterns);

}  // namespace pgshift::schemas
