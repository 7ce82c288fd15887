// The pre-flight data checks of issue 14 as SQL text: for each kind of step
// that can fail on existing rows, the read-only query that lists the rows
// (or duplicate groups) that would make it fail. Pure: the queries run in
// catalog/preflight.cpp, at plan time and again right before the step.
//
// Every query is one SELECT on one line. Rows are identified by the table's
// primary key when it has one, else by ctid. The sampled variant reads the
// scanned table through TABLESAMPLE SYSTEM ($1), $1 the percentage.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/rules.hpp"
#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::planner::detail {

// The table a check scans: as named when the plan is made and when the step
// runs (they differ when the plan renames it), and the columns that identify
// a row in examples at each time (empty: ctid).
struct CheckedTable {
  std::string schema;  // as the step sees it
  std::string plan_name;
  std::string step_name;
  std::vector<std::string> plan_key;
  std::vector<std::string> step_key;
  std::string plan_schema;  // where the table is at plan time ("": `schema`)

  const std::string& schema_at_plan_time() const {
    return plan_schema.empty() ? schema : plan_schema;
  }
};

// The table of `table` (REQUIRES: table.current), identified by its primary
// key when it has one now (and, right before the step, when both have one).
CheckedTable checked_table(const TableContext& table);

// Rows whose `column` is NULL right before the step. `fill`: the plan's
// backfill sets the NULLs of the column to it first, so at plan time the
// rows that stay NULL are those where it yields NULL; `column_is_new`: the
// plan adds the column (no row has it yet: every row gets `fill`).
plans::DataCheck not_null_check(const CheckedTable& table, const std::string& column,
                                const std::optional<std::string>& fill, bool column_is_new);

// Rows for which the CHECK expression is false (NULL passes, as in the server).
plans::DataCheck check_constraint_check(const CheckedTable& table,
                                        const schemas::CheckConstraint& check);

// Rows whose foreign key columns (none NULL; MATCH FULL: some NULL) have no
// referenced row. `referenced_at_plan_time`: the referenced table as named
// when the plan is made (Builder::at_plan_time), for the plan-time query.
plans::DataCheck foreign_key_check(const CheckedTable& table, const schemas::ForeignKey& fk,
                                   const QualifiedName& referenced_at_plan_time);

// Rows of `table` whose foreign key `fk` (to the parent of `partition`)
// finds its referenced row in `partition`: a detach of the partition would
// leave them without one, and the server refuses it. `partition_at_plan_time`
// as named when the plan is made.
plans::DataCheck detached_reference_check(const CheckedTable& table,
                                          const schemas::ForeignKey& fk,
                                          const QualifiedName& partition_at_plan_time,
                                          const QualifiedName& partition);

// Groups of rows sharing `keys` (SQL expressions; quoted column names for a
// constraint), over the rows where `where` holds (a partial index), NULLs
// distinct unless `nulls_not_distinct`.
plans::DataCheck unique_check(const CheckedTable& table, const std::vector<std::string>& keys,
                              const std::optional<std::string>& where, bool nulls_not_distinct,
                              const std::string& what);

// Rows in conflict with another row under `exclusion`: every element's
// operator true between the two (NULL never conflicts, as in the server),
// both rows inside its WHERE. Elements of `=` alone are grouped, as for a
// unique key; `=` and one `&&` of a built-in range type (a column named in
// `range_columns`, a constructor call or a cast) are checked in one sort of
// the table, listing the first row of each overlapping pair; any other
// operator compares every pair of rows. nullopt when an element is not in
// the form pg_get_constraintdef writes ("<expression> [opclass...] WITH
// <operator>").
std::optional<plans::DataCheck> exclusion_check(const CheckedTable& table,
                                                const schemas::ExclusionConstraint& exclusion,
                                                const std::set<std::string>& range_columns);

// Values of `column` that `column::to` rejects or cuts (the planner's USING
// expression): longer than n for varchar(n)/char(n) (an explicit cast cuts
// them silently); from a string type on PostgreSQL 16+, those
// pg_input_is_valid refuses; otherwise an attempt over every row that fails
// at the first rejected value (DataCheck::raises). With a `using:`
// expression, that attempt of the expression.
plans::DataCheck cast_check(const CheckedTable& table, const std::string& plan_column,
                            const std::string& step_column, const std::string& from,
                            const std::string& to, int server_version,
                            const std::optional<std::string>& using_expr);

// Rows of a domain's column that break one of its constraints: the CHECK
// `check` (false for VALUE; NULL passes, as in the server), or, without one,
// its NOT NULL. `value`: SQL giving the value the domain gets from a row
// (`column_sql` turns a column name into the row's column); the CHECK is
// evaluated with VALUE bound to it. `what`: `domain "public.posint"`.
plans::DataCheck domain_check(const CheckedTable& table, const std::string& plan_column,
                              const std::string& step_column, const std::string& what,
                              const std::optional<schemas::DomainCheck>& check,
                              const std::optional<std::string>& convert_to,
                              const std::optional<std::string>& using_expr);

// The domain a column type names (not an array of it), searched in `db` by
// its qualified name or, unqualified, in `schema` and then "public"; its
// schema in `domain_schema`. nullptr when the type is not a domain of `db`.
const schemas::Domain* domain_of_type(const schemas::Database& db, const std::string& type,
                                      const std::string& schema, std::string& domain_schema);

}  // namespace pgshift::planner::detail
