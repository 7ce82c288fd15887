#include "planner/partition_columns.hpp"

#include <string>

#include "planner/normalize.hpp"

namespace pgshift::planner {

namespace {

using schemas::ObjectId;
using schemas::ObjectKind;

std::string quoted(const std::string& schema, const std::string& name) {
  return "\"" + schema + "." + name + "\"";
}

// The type's spelling without a qualifier naming `schema` or public, so that
// "public.mood" and "mood" compare equal.
std::string comparable_type(const std::string& type, const std::string& schema) {
  std::string spelled = normalize_type(type);
  for (const std::string& prefix : {schema + ".", std::string("public.")}) {
    if (spelled.rfind(prefix, 0) == 0) return spelled.substr(prefix.size());
  }
  return spelled;
}

void check_partition(const std::string& schema, const schemas::Table& partition,
                     const schemas::Table& parent, std::vector<schemas::ModelProblem>& problems) {
  const auto& of = *partition.partition_of;
  const std::string parent_name = quoted(of.parent_schema, of.parent_table);
  const std::string partition_name = quoted(schema, partition.name);
  const std::string fix =
      ": a partition has exactly its parent's columns; change columns on the parent, which the "
      "server carries to every partition";
  for (const auto& column : partition.columns) {
    const ObjectId id{ObjectKind::Column, schema, partition.name, column.name};
    const std::string named = "column \"" + column.name + "\" of partition " + partition_name;
    const schemas::Column* inherited = schemas::find_named(parent.columns, column.name);
    if (inherited == nullptr) {
      problems.push_back({id, named + " is not a column of its parent " + parent_name + fix});
      continue;
    }
    if (comparable_type(column.type, schema) != comparable_type(inherited->type, of.parent_schema)) {
      problems.push_back({id, named + " has type " + column.type + ", its parent " + parent_name +
                                  "'s has " + inherited->type + fix});
    } else if (column.collation && inherited->collation &&
               *column.collation != *inherited->collation) {
      problems.push_back({id, named + " has collation " + *column.collation + ", its parent " +
                                  parent_name + "'s has " + *inherited->collation + fix});
    }
    if (column.renamed_from && column.renamed_from != inherited->renamed_from) {
      problems.push_back({id, "renamed_from on " + named +
                                  ": a partition's column is renamed with its parent's; write "
                                  "renamed_from on the column of " +
                                  parent_name + " (one RENAME COLUMN renames every partition's)"});
    }
  }
}

}  // namespace

std::vector<schemas::ModelProblem> partition_column_problems(const schemas::Database& desired) {
  std::vector<schemas::ModelProblem> problems;
  for (const auto& schema : desired.schemas) {
    for (const auto& table : schema.tables) {
      if (!table.partition_of) continue;
      const schemas::Table* parent = schemas::find_table(desired, table.partition_of->parent_schema,
                                                         table.partition_of->parent_table);
      if (parent != nullptr) check_partition(schema.name, table, *parent, problems);
    }
  }
  return problems;
}

}  // namespace pgshift::planner
