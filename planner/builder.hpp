// Internals of the planner: the step drafts the rules emit and the Builder
// that collects them. Not part of the public API (planner/planner.hpp).
//
// Ordering is declared, not computed by the rules: each draft names the
// resources ("tokens") it provides, requires, invalidates and releases, and
// dependency_edges (builder.cpp) turns them into graph edges:
//   - a step that requires T comes after every step that provides T
//     (creating table T, adding column T, building key T);
//   - a step that invalidates T (drops or retypes T) comes after every step
//     that releases T (drops something that used T).
// Tokens: "schema:s", "table:s.t", "column:s.t.c", "key:s.t(c1,c2)" (columns
// sorted; provided by keys and by unique indexes without WHERE or expressions),
// "notnull:s.t.c", "type:s.n", "seq:s.n", "func:s.n", "view:s.v",
// "name:s.n" (a relation name freed by a drop).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "planner/planner.hpp"
#include "planner/statements.hpp"
#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::planner::detail {

struct StepDraft {
  plans::Step step;  // id and depends_on are filled when the plan is ordered
  TimeoutClass timeout = TimeoutClass::Catalog;  // set by Builder::statement only
  int sequence = 0;                              // position within the expansion of one change
  std::vector<std::string> provides;
  std::vector<std::string> requires_;
  std::vector<std::string> invalidates;
  std::vector<std::string> releases;
  std::vector<size_t> after;  // drafts this one follows (same expansion)
  // The statement kinds of the step, in order (set by Builder::statement
  // only): what a later rule may ask of an earlier one's step (rules_privileges:
  // which step creates or recreates an object).
  std::vector<Statement> kinds;
  // A dependent (a view, a default, a CHECK, an index, a policy) dropped
  // before the drop of the routines it calls and created again after (their
  // "routine:s.sig" tokens; `recreates`: this is the creating draft):
  // fuse_routine_dependents moves both into the routines' step when the
  // order allows, so no session sees the dependent missing.
  std::vector<std::string> around_routines;
  bool recreates = false;
};

// Graph edges (from, to) between `drafts` from their tokens and `after`s
// (the rules at the top of this file); `remap` maps the indices in `after`
// to positions in `drafts`. No edge from a draft to itself.
std::vector<std::pair<size_t, size_t>> dependency_edges(const std::vector<StepDraft>& drafts,
                                                        const std::vector<size_t>& remap);

// Moves `from`'s statements into `into`'s step, before its own (`first`) or
// after them, with their kinds, locks (the stronger mode per relation),
// hazards, duration, timeout, data checks, tokens and `after`s: one step,
// one transaction.
void absorb(StepDraft& into, StepDraft&& from, bool first);

// Token spellings, so that every rule writes them the same way.
std::string table_token(const std::string& schema, const std::string& table);
std::string column_token(const std::string& schema, const std::string& table,
                         const std::string& column);
// The columns in any order: the token of a set of columns a foreign key may
// reference, provided by a primary key, a unique constraint or a unique index.
std::string key_token(const std::string& schema, const std::string& table,
                      const std::vector<std::string>& columns);
// Provided by the drop of a CHECK an interrupted plan's attach or detach left
// on `table` (named pgshift_attach_* or pgshift_detach_*), required by the
// step adding it again under the same name.
std::string helper_check_token(const std::string& schema, const std::string& table,
                               const std::string& name);
// Whether `name` is one of the CHECKs rule 14 adds and drops.
bool is_partition_helper_check(const std::string& name);
std::string not_null_token(const std::string& schema, const std::string& table,
                           const std::string& column);
// Provided by a step that sets or drops a column's default, and by one that
// drops its NOT NULL: both recurse into a partitioned table's partitions, so
// a partition's own default or NOT NULL is set after them.
std::string default_set_token(const std::string& schema, const std::string& table,
                              const std::string& column);
std::string nullable_token(const std::string& schema, const std::string& table,
                           const std::string& column);
// The type tokens a type text may refer to: "type:<schema>.<base>" for the
// given schema and for "public", or the qualified name as written.
std::vector<std::string> type_tokens(const std::string& type, const std::string& schema);
// Identifier-like words of an expression or query, lower-cased, for the
// heuristic dependencies of views and defaults on tables, columns, sequences.
std::set<std::string> expression_words(const std::string& text);

// `table "public.users"`-style label used in summaries and diagnostics.
std::string label(const char* kind, const std::string& schema, const std::string& name);
// `column "email" of table "public.users"`.
std::string member_label(const char* kind, const std::string& name, const std::string& schema,
                         const std::string& table);

// A name PostgreSQL will not truncate: at most 63 bytes, cut at a UTF-8
// character boundary (NAMEDATALEN - 1).
std::string truncate_name(const std::string& name);

// A relation by schema and name.
struct QualifiedName {
  std::string schema;
  std::string name;
};

// The relations one statement touches, by their role (planner::Target).
struct Targets {
  std::string schema;                       // of `relation` and `index`
  std::string relation;                     // Target::Relation: the table, view, sequence it names
  std::string index;                        // Target::Index: the index it names
  std::vector<QualifiedName> referenced;    // Target::Referenced
  std::optional<QualifiedName> parent;      // Target::PartitionParent
  std::string parent_index;                 // Target::ParentIndex, in the parent's schema
  std::vector<QualifiedName> partitions;    // Target::Partitions
  std::optional<QualifiedName> default_partition;  // Target::DefaultPartition
  std::vector<QualifiedName> domain_users;  // Target::TablesUsingDomain
  // False when the relation is created by the plan or the catalog shows it
  // empty: a blocking scan or rewrite of it is instant.
  bool populated = true;
};

// Targets of a statement that names one relation.
Targets on_relation(const std::string& schema, const std::string& relation, bool populated = true);

class Builder {
 public:
  Builder(const schemas::Database& current, const schemas::Database& desired,
          const PlanOptions& options);

  const schemas::Database& current() const { return current_; }
  const schemas::Database& desired() const { return desired_; }
  const PlanOptions& options() const { return options_; }
  int version() const { return version_; }

  // A new draft with phase, object, summary and rationale set.
  static StepDraft make(plans::Phase phase, schemas::ObjectId object, std::string summary,
                        std::string rationale);
  // Adds a draft and returns its index.
  size_t add(StepDraft draft);
  StepDraft& at(size_t index) { return drafts_[index]; }
  std::vector<StepDraft>& drafts() { return drafts_; }

  void diagnose(plans::Severity severity, schemas::ObjectId object, std::string message);
  std::vector<plans::Diagnostic>& diagnostics() { return diagnostics_; }

  // Adds one statement's row of the statement table (planner/statements.hpp)
  // to the step: its locks on the relations of `targets` (the strongest mode
  // per relation over the step's statements), its hazards, duration, timeout
  // class and transactionality; requires the table token of every relation it
  // names (not of indexes and tables using a domain). Rules never set those
  // fields themselves: they call this once per statement they put in a step.
  void statement(StepDraft& draft, Statement statement, const Targets& targets) const;

  // The current table has rows, or may have: false only for a table the
  // catalog shows empty (reltuples == 0 and relpages == 0; a table never
  // analyzed, reltuples -1, may have rows) or that is absent from the current
  // model (created by the plan).
  bool populated(const std::string& schema, const std::string& current_table) const;
  // The catalog's row estimate of a current table, when it has one.
  std::optional<int64_t> row_estimate(const std::string& schema,
                                      const std::string& current_table) const;

  // The current table and, under a partitioned one, every current partition
  // (at any depth): the relations a foreign key to it has triggers on, which
  // dropping the key or its table locks and changes.
  std::vector<QualifiedName> with_partitions(const std::string& schema,
                                             const std::string& table) const;

  // Tokens of tables and columns dropped or retyped: views that depend on
  // them are dropped before and recreated after.
  void invalidate(const std::string& token) { invalidated_.insert(token); }
  const std::set<std::string>& invalidated() const { return invalidated_; }

  // Tables moved to another schema by the plan (assume_table_moves): where
  // the current table `schema`.`table` (its place in current(), as moved) is
  // while the plan is made, before its move step; itself when not moved.
  void record_table_move(const QualifiedName& now, const QualifiedName& at_plan_time) {
    table_origins_[{now.schema, now.name}] = at_plan_time;
  }
  QualifiedName at_plan_time(const std::string& schema, const std::string& table) const {
    const auto found = table_origins_.find({schema, table});
    return found == table_origins_.end() ? QualifiedName{schema, table} : found->second;
  }

  // Columns renamed by renamed_from that current() already shows renamed
  // (assume_column_renames): the name column `column` of the desired table
  // `schema`.`table` has before the plan's RENAME COLUMN, if any.
  void record_column_rename(const std::string& schema, const std::string& table,
                            const std::string& column, const std::string& old_name) {
    column_origins_[{schema, table, column}] = old_name;
  }
  std::optional<std::string> column_renamed_from(const std::string& schema,
                                                 const std::string& table,
                                                 const std::string& column) const {
    const auto found = column_origins_.find({schema, table, column});
    if (found == column_origins_.end()) return std::nullopt;
    return found->second;
  }

  // Columns rebuilt by expand and contract (plan_expand_contract): column
  // `column` of the desired table `schema`.`table` is, until contract, the
  // new column `shadow` of the current table `current_table` beside
  // `old_column`. plan_privileges gives `shadow` the column's desired
  // privileges in `add_step` (the shadow's ADD; none when it exists), or in
  // a step of its own before `contract_step`.
  struct ColumnSwapRecord {
    std::string current_table;
    std::string old_column;
    std::string shadow;
    std::optional<size_t> add_step;
    size_t contract_step = 0;
  };
  void record_column_swap(const std::string& schema, const std::string& table,
                          const std::string& column, ColumnSwapRecord record) {
    column_swaps_[{schema, table, column}] = std::move(record);
  }
  const ColumnSwapRecord* column_swap(const std::string& schema, const std::string& table,
                                     const std::string& column) const {
    const auto found = column_swaps_.find({schema, table, column});
    return found == column_swaps_.end() ? nullptr : &found->second;
  }

  // The dependencies the catalog of `db` (current() or desired()) recorded
  // for `dependent`, matched by kind (a view and a materialized view alike),
  // schema, table and name; and those of every member of table
  // `schema`.`table` (its columns' defaults, constraints, indexes, triggers,
  // policies). Indexed once per plan; empty for a model not read from a
  // server.
  const std::vector<const schemas::Dependency*>& dependencies_of(
      const schemas::Database& db, const schemas::ObjectId& dependent) const;
  const std::vector<const schemas::Dependency*>& dependencies_of_members(
      const schemas::Database& db, const std::string& schema, const std::string& table) const;

 private:
  // Looked up, never walked in order: hashed (a no-op plan of 10,000 tables
  // spent a quarter of its planning building these as sorted maps).
  struct TableHash {
    std::size_t operator()(const std::pair<std::string, std::string>& table) const;
  };
  struct DependencyIndex {
    std::unordered_map<schemas::ObjectId, std::vector<const schemas::Dependency*>,
                       schemas::ObjectIdHash>
        by_dependent;
    std::unordered_map<std::pair<std::string, std::string>, std::vector<const schemas::Dependency*>,
                       TableHash>
        by_table;
  };
  static DependencyIndex index_dependencies(const schemas::Database& db);
  const DependencyIndex& index_of(const schemas::Database& db) const;

  const schemas::Database& current_;
  const schemas::Database& desired_;
  const PlanOptions& options_;
  int version_;
  std::vector<StepDraft> drafts_;
  std::vector<plans::Diagnostic> diagnostics_;
  std::set<std::string> invalidated_;
  std::map<std::pair<std::string, std::string>, QualifiedName> table_origins_;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> column_origins_;
  std::map<std::tuple<std::string, std::string, std::string>, ColumnSwapRecord> column_swaps_;
  // Built when first asked for (a plan that touches no view, routine or
  // column type asks for none); the desired state's is the target's when it
  // shares the target's dependencies (schemas::Dependencies).
  mutable std::optional<DependencyIndex> current_dependencies_;
  mutable std::optional<DependencyIndex> desired_dependencies_;
  mutable std::optional<DependencyIndex> other_dependencies_;
  mutable const schemas::Database* other_ = nullptr;
};

// The rules, one function per family of objects (rules_*.cpp; rules.hpp
// holds what they share). Each appends drafts and diagnostics to the builder.
void plan_schemas_and_extensions(Builder& builder);
void plan_tables(Builder& builder);
void plan_types(Builder& builder);
void plan_sequences(Builder& builder);
void plan_functions(Builder& builder);
// After every rule: routines dropped (or dropped and created) with
// dependents marked around_routines take their drops and their creations
// into one step with them, one transaction (routines sharing a dependent
// share the step), unless that would make a dependency cycle (something
// else the plan does must come between them) or a step is not
// transactional (a concurrent index build); those keep their own steps and
// dependent_recreated.
void fuse_routine_dependents(Builder& builder);
// After plan_tables: needs the invalidated tokens.
void plan_views(Builder& builder);
// After every creating rule: OWNER TO goes into the steps that create or
// recreate their objects, or a step of its own (rules_owners.cpp).
void plan_owners(Builder& builder);
// Last: grants and revokes go into the steps that create or recreate their
// objects (rules_privileges.cpp).
void plan_privileges(Builder& builder);

// Index changes of one relation (a table or a materialized view), shared by
// both: `current` is nullptr when the relation is created by the plan.
// `populated`: the relation has rows (build CONCURRENTLY); `partitioned`:
// CONCURRENTLY is impossible, build under SHARE. `retyped`: the columns whose
// type the plan changes in place, with their new type (TableContext::retyped):
// the server rebuilds an index over them from its definition, where a cast
// of such a column to its new type is then a no-op and goes; an index whose
// definition differs from the desired one only by those casts is left to
// that rebuild.
void plan_relation_indexes(Builder& builder, const std::string& schema, const std::string& relation,
                           const std::vector<schemas::Index>* current,
                           const std::vector<schemas::Index>& desired, bool populated,
                           bool partitioned,
                           const std::map<std::string, std::string>& retyped = {});

}  // namespace pgshift::planner::detail
