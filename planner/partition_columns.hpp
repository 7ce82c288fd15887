// What a partition's column list in a desired model may say.
//
// PostgreSQL gives a partition exactly its parent's columns: names, types
// and collations (ALTER TABLE refuses to add, drop, rename or retype a
// partition's column; ATTACH PARTITION refuses a table whose columns
// differ). A partition's own defaults, NOT NULL, comments and storage
// settings may differ, and are planned (rules_columns.cpp). A YAML that
// writes anything else on a partition would be silently not planned: it is
// refused, naming the column, before anything is built.
#pragma once

#include <vector>

#include "schemas/model.hpp"

namespace pgshift::planner {

// Each column a partition of `desired` (with its parent in `desired`) lists
// that its parent lacks, or with a type or collation unlike its parent's, or
// a renamed_from its parent's column does not have too. A parent's column the
// partition does not list is the partition's all the same (the server adds
// it), with the parent's default and NOT NULL. REQUIRES: `desired` is
// canonical and valid.
std::vector<schemas::ModelProblem> partition_column_problems(const schemas::Database& desired);

}  // namespace pgshift::planner
