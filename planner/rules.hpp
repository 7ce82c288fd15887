// Internals shared by the rule files (rules_*.cpp): the per-table context,
// the chain of drafts, the generic current/desired matcher and the
// functions one family of rules calls in another. Not part of the API.
//
// Layout: one rule file per family of objects (tables, columns,
// constraints, indexes, triggers, types, sequences, routines, views,
// namespaces); the SQL text they emit is spelled in sql_text.cpp.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "planner/builder.hpp"
#include "schemas/model.hpp"

namespace pgshift::planner::detail {

// Appends drafts one after the other: each follows the previous one.
class Chain {
 public:
  explicit Chain(Builder& builder) : builder_(builder) {}
  size_t add(StepDraft draft) {
    if (last_) draft.after.push_back(*last_);
    draft.sequence = sequence_++;
    last_ = builder_.add(std::move(draft));
    if (!first_) first_ = last_;
    return *last_;
  }
  // The first draft added, if any.
  std::optional<size_t> first() const { return first_; }

 private:
  Builder& builder_;
  std::optional<size_t> first_;
  std::optional<size_t> last_;
  int sequence_ = 0;
};

// One table being compared: `current` is nullptr when the plan creates it.
struct TableContext {
  Builder& builder;
  std::string schema;
  const schemas::Table* current;
  const schemas::Table& desired;
  bool populated;
  std::optional<int64_t> rows;
  std::string relation;  // quoted, under the desired name
  // The columns whose type the plan changes in place (ALTER COLUMN ... TYPE),
  // by name, with their new type: the server rebuilds the indexes over them
  // from their definitions (plan_relation_indexes).
  std::map<std::string, std::string> retyped = {};

  schemas::ObjectId id(schemas::ObjectKind kind, const std::string& name) const {
    return {kind, schema, desired.name, name};
  }
  schemas::ObjectId table_id() const {
    return {schemas::ObjectKind::Table, schema, "", desired.name};
  }
  std::string alter() const { return "ALTER TABLE " + relation + " "; }
  std::string of(const char* kind, const std::string& name) const {
    return member_label(kind, name, schema, desired.name);
  }
  std::string column_token_of(const std::string& column) const {
    return column_token(schema, desired.name, column);
  }
  // The table as the target of a statement.
  Targets on() const { return on_relation(schema, desired.name, populated); }
  // The same with the referenced table of a foreign key.
  Targets with_referenced(const std::string& ref_schema, const std::string& ref_table) const {
    Targets targets = on();
    targets.referenced.push_back({ref_schema, ref_table});
    return targets;
  }
};

// ---------------------------------------------------------------------------
// The generic current/desired matcher.
// ---------------------------------------------------------------------------

// One object in either model: `current` is nullptr when the plan creates it,
// `desired` is nullptr when the plan drops it.
template <typename T>
struct Match {
  const T* current;
  const T* desired;
};

template <typename T, typename = void>
struct HasRenamedFrom : std::false_type {};
template <typename T>
struct HasRenamedFrom<T, std::void_t<decltype(std::declval<const T&>().renamed_from)>>
    : std::true_type {};

// Pairs the objects of one collection by name. First every desired object,
// in order, with the current object of the same name or, failing that and
// when T has `renamed_from`, with the current object of its previous name
// (unless a desired object has that name); then every current object that
// no desired object names or renames (a drop), in order. `current` is
// nullptr for a collection of an object the plan creates.
template <typename T>
std::vector<Match<T>> match_by_name(const std::vector<T>* current, const std::vector<T>& desired) {
  std::vector<Match<T>> matches;
  std::set<std::string> claimed;
  for (const auto& item : desired) {
    claimed.insert(item.name);
    const T* before = current != nullptr ? schemas::find_named(*current, item.name) : nullptr;
    if constexpr (HasRenamedFrom<T>::value) {
      if (item.renamed_from) {
        claimed.insert(*item.renamed_from);
        if (before == nullptr && current != nullptr &&
            schemas::find_named(desired, *item.renamed_from) == nullptr) {
          before = schemas::find_named(*current, *item.renamed_from);
        }
      }
    }
    matches.push_back({before, &item});
  }
  if (current != nullptr) {
    for (const auto& item : *current) {
      if (claimed.count(item.name) == 0) matches.push_back({&item, nullptr});
    }
  }
  return matches;
}

// Calls visit(schema, current_or_null, desired_or_null) for every object of a
// schema-level collection in either model, by schema name then by key (the
// object's name unless `key` says otherwise, e.g. a routine's signature).
template <typename T, typename Collection, typename Visit, typename Key>
void for_each_match(Builder& builder, Collection collection, Visit visit, Key key) {
  std::map<std::pair<std::string, std::string>, std::pair<const T*, const T*>> pairs;
  for (const auto& schema : builder.current().schemas) {
    for (const auto& item : collection(schema)) pairs[{schema.name, key(item)}].first = &item;
  }
  for (const auto& schema : builder.desired().schemas) {
    for (const auto& item : collection(schema)) pairs[{schema.name, key(item)}].second = &item;
  }
  for (const auto& [schema_and_key, pair] : pairs) {
    visit(schema_and_key.first, pair.first, pair.second);
  }
}

template <typename T, typename Collection, typename Visit>
void for_each_match(Builder& builder, Collection collection, Visit visit) {
  for_each_match<T>(builder, collection, visit, [](const T& item) { return item.name; });
}

// ---------------------------------------------------------------------------
// Helpers of several families (rules_common.cpp).
// ---------------------------------------------------------------------------

bool in_primary_key(const schemas::Table& table, const std::string& column);
// A primary key makes its columns NOT NULL whether the model says so or not.
bool effective_not_null(const schemas::Table& table, const schemas::Column& column);
// The primary key's name, "<table>_pkey" when the model leaves it empty.
std::string primary_key_name(const schemas::Table& table);
// Column tokens of the table's columns named in an expression.
std::vector<std::string> columns_in(const TableContext& table, const std::string& expression);
void require_all(StepDraft& draft, const std::vector<std::string>& tokens);
// Sequences named in a default (nextval('s')) must exist first.
void require_sequences(StepDraft& draft, const std::string& schema,
                       const std::optional<std::string>& expression);
// The sequences a default may use (nextval('s')), as tokens to release when
// the default goes: a sequence dropped by the plan is dropped after.
void release_sequences(StepDraft& draft, const std::string& schema,
                       const std::optional<std::string>& expression);
// Tokens a desired view's query or SQL-standard routine body may use: tables,
// their columns and views of the desired model named in the text (a heuristic
// that only adds ordering edges).
std::vector<std::string> query_tokens(const schemas::Database& desired, const std::string& query);
// "type:schema.name".
std::string type_token_of(const std::string& schema, const std::string& name);

// One statement of a step: its kind in the statement table and its text.
struct Sql {
  Statement kind;
  std::string text;
};

// Adds a draft of `statements`, each declared through Builder::statement on
// `targets` (none for objects that are not relations).
size_t add_simple(Builder& builder, plans::Phase phase, schemas::ObjectId id, std::string summary,
                  std::string rationale, const std::vector<Sql>& statements,
                  std::vector<std::string> provides = {}, std::vector<std::string> requires_ = {},
                  std::vector<std::string> invalidates = {}, std::vector<std::string> releases = {},
                  const Targets& targets = {});
// A COMMENT step when the comment changes: on a relation (sequence, view,
// materialized view) when `relation` is given, else on an object that is not
// a relation.
void maybe_comment(Builder& builder, const schemas::ObjectId& id, const std::string& what,
                   const std::string& target, const std::optional<std::string>& before,
                   const std::optional<std::string>& after, const std::string& token,
                   const Targets* relation = nullptr);

// ---------------------------------------------------------------------------
// Rules of one table, by family.
// ---------------------------------------------------------------------------

// rules_columns.cpp
void plan_columns(TableContext& table);
// Where a column's STORAGE, COMPRESSION and STATISTICS are set: a table's or
// a materialized view's.
struct SettingsPlace {
  schemas::ObjectId id;             // the column's, or the relation's
  std::string label;                // `column "c" of table "s.t"`
  std::string alter;                // "ALTER TABLE s.t ", "ALTER MATERIALIZED VIEW s.m "
  Targets targets;
  std::string default_storage_key;  // CatalogFacts::column_default_storage's
  std::string column_token;         // what the step requires: the column exists
};
// Where the settings of `column` of `table` are set (ONLY on a partitioned
// table); `default_storage_key` as in SettingsPlace.
SettingsPlace settings_place(TableContext& table, const std::string& column,
                             std::string default_storage_key);
// The statements taking the column from `before` to `desired`, added to
// `draft`: none when they agree.
void add_column_settings(Builder& builder, const SettingsPlace& place,
                         const schemas::ColumnSettings& before,
                         const schemas::ColumnSettings& desired, StepDraft& draft);
// One catalog-only step taking the column from `before` to `desired`;
// nullopt when they agree, or (with an error) for COMPRESSION before 14.
std::optional<StepDraft> column_settings_draft(Builder& builder, const SettingsPlace& place,
                                               const schemas::ColumnSettings& before,
                                               const schemas::ColumnSettings& desired);
// The STORAGE, COMPRESSION and STATISTICS of `desired`, from what the column
// has once the earlier steps ran (`before`; nullptr: a new column, created
// with its COMPRESSION only), in one step after the column exists (after
// the previous step of `chain` when given). Catalog-only. COMPRESSION before
// PostgreSQL 14 is refused, naming the column.
// `default_storage_key`: CatalogFacts::column_default_storage's key of a
// column of the same type, when not the column's own (a new partition's:
// its parent's column).
void plan_column_settings(TableContext& table, Chain* chain, const schemas::Column* before,
                          const schemas::Column& desired,
                          const std::string& default_storage_key = "");
// Every column of a partition (`table.current` nullptr: a new partition):
// its name and type come from the parent (a YAML that says otherwise is
// refused before planning: partition_column_problems); its default, NOT
// NULL, comment and storage settings are its own, compared with what the
// parent's steps leave on it.
void plan_partition_columns(TableContext& table, bool copies_parent_settings = false);
// Rule 12: a batched backfill of `column` with `expression`, of the rows
// `where` selects (default: the column IS NULL), after the chain's last
// draft. Returns false (with an Error diagnostic) when the table cannot be
// batched.
bool add_backfill(TableContext& table, Chain& chain, const std::string& column,
                  const std::string& expression, const std::optional<std::string>& where);
// Rule 4: NOT NULL on a populated table through CHECK NOT VALID, VALIDATE,
// SET NOT NULL and the helper's drop. `fill`: the plan backfills the column
// with it first; `column_is_new`: the plan adds the column (for the
// pre-flight check of its NULLs).
void add_not_null(TableContext& table, Chain& chain, const std::string& column,
                  const std::optional<std::string>& fill, bool column_is_new);
// The name of rule 4's helper CHECK (column IS NOT NULL) NOT VALID.
std::string not_null_helper_name(const std::string& column);

// rules_constraints.cpp
void plan_primary_key(TableContext& table);
// ALTER TABLE ... RENAME CONSTRAINT `from` TO `to` (a key's index with it),
// a step of its own; returns the token a later step on it requires.
std::string rename_constraint(TableContext& table, schemas::ObjectKind kind,
                              const std::string& from, const std::string& to);
void plan_unique_constraints(TableContext& table);
void plan_check_constraints(TableContext& table);
void plan_foreign_keys(TableContext& table);

// rules_triggers.cpp
void plan_triggers(TableContext& table);

// rules_policies.cpp: policies and ENABLE / FORCE ROW LEVEL SECURITY.
void plan_policies(TableContext& table);
// Tokens of the routines of `db` an expression may call ("func:s.f"), by
// name (a heuristic that only adds ordering edges).
std::vector<std::string> routine_tokens(const schemas::Database& db, const std::string& expression);

// rules_storage.cpp: exclusion constraints; UNLOGGED / LOGGED and storage
// parameters, changed from `before` (the current table, or a bare one for a
// table created without them: a partition).
void plan_exclusion_constraints(TableContext& table);
void plan_table_storage(TableContext& table, const schemas::Table& before);

// rules_tables.cpp: replica identity and the table's comment.
void plan_table_attributes(TableContext& table);

// rules_expand_contract.cpp: columns changed by expand and contract (issue
// 15). Before the other rules run, prepare_expand_contract finds them in the
// desired model, refuses those it cannot make safely, and rewrites `current`
// as if their change were done (schemas::assume_contracted), so that the
// other rules plan nothing for them; plan_expand_contract then plans each
// one's expand and contract steps from what it kept of the catalog.
struct ColumnSwap {
  std::string schema;
  const schemas::Table* desired_table = nullptr;  // in the desired model
  schemas::Table original;                        // the current table, as read
  schemas::Column old_column;
  schemas::Column desired_column;
  std::string shadow;      // the new column's name until contract
  std::string trigger;     // the sync trigger's name
  bool shadow_exists = false;
  bool trigger_exists = false;
  bool complete = false;   // every expand step done: plan contract only
  // Foreign keys of other tables (or this one) that reference the old column.
  std::vector<std::pair<QualifiedName, schemas::ForeignKey>> referencing;
  // Sequences owned by the old column (serial), qualified.
  std::vector<QualifiedName> owned_sequences;
};
// A table renamed by expand and contract: the view under its old name that
// contract drops (created by the rename's step in expand, or found in the
// catalog between the phases, then left out of `current`).
struct CompatibilityView {
  std::string schema;
  std::string view;   // the old name
  std::string table;  // the new name
};
struct ExpandContract {
  std::vector<ColumnSwap> swaps;
  std::vector<CompatibilityView> views;
};
ExpandContract prepare_expand_contract(schemas::Database& current,
                                       const schemas::Database& desired,
                                       std::vector<plans::Diagnostic>& diagnostics);
void plan_expand_contract(Builder& builder, const ExpandContract& changes);

// rules_renames.cpp: sequences, views and materialized views renamed by
// renamed_from, or moved to another schema by a qualified one
// ("public.daily_totals" on reports.daily_totals: SET SCHEMA, and RENAME when
// the name changes too; a materialized view's indexes move with it).
// assume_relation_renames rewrites `current` as if each rename or move were
// done (names, facts, the defaults and queries that name it, privileges) and
// returns them; a move it cannot make (a sequence a column owns, a name taken
// in the new schema) is an Error diagnostic, a hint naming nothing is left
// for planner.cpp's check of rename hints. plan_relation_renames plans their
// steps.
struct RelationRename {
  schemas::ObjectKind kind;  // Sequence, View or MaterializedView
  std::string schema;        // where it is afterwards
  std::string from;
  std::string to;
  std::string from_schema;  // `schema` unless it moves
  // A move whose old name is taken in the new schema: RENAME (in the old
  // schema) before SET SCHEMA, instead of after.
  bool rename_first = false;
  // The new schema is created by the plan (added to `current` for the move).
  bool creates_schema = false;
  std::vector<std::string> relations;  // other relation names moving with it (indexes)
  bool moves() const { return from_schema != schema; }
};
std::vector<RelationRename> assume_relation_renames(schemas::Database& current,
                                                    const schemas::Database& desired,
                                                    std::vector<plans::Diagnostic>& diagnostics);
void plan_relation_renames(Builder& builder, const std::vector<RelationRename>& renames);

// rules_renames.cpp: tables moved to another schema by a qualified
// renamed_from ("public.audit_events" on archive.audit_events): ALTER TABLE
// ... SET SCHEMA, and RENAME when the name changes too. Its indexes, key
// indexes, constraints, triggers and owned (serial, identity) sequences move
// with it. assume_table_moves runs before the other rules and rewrites
// `current` as if each move were done (the table, its owned sequences, the
// facts, privileges, foreign keys and partitions naming it, the defaults and
// view queries naming them, as the server spells them after the move) and
// drops the followed hint from `desired`; a hint whose move is already done
// is dropped too (it plans nothing). A move it cannot make (a name taken in
// the new schema, expand_contract) is an Error diagnostic; a hint naming
// nothing is left for planner.cpp's check of rename hints.
struct TableMove {
  std::string from_schema;
  std::string from;
  std::string schema;
  std::string to;
  // The old name is taken in the new schema: RENAME (in the old schema)
  // before SET SCHEMA, instead of after.
  bool rename_first = false;
  // The new schema is created by the plan (assume_table_moves added it to
  // `current`): plan_table_moves plans its CREATE SCHEMA.
  bool creates_schema = false;
  std::vector<std::string> sequences;  // owned sequences (serial) moving with it
  std::vector<std::string> relations;  // every relation name moving with it
};
std::vector<TableMove> assume_table_moves(schemas::Database& current, schemas::Database& desired,
                                          std::vector<plans::Diagnostic>& diagnostics);
void plan_table_moves(Builder& builder, const std::vector<TableMove>& moves);
// "schema.name" split at its first dot; nullopt when unqualified.
std::optional<std::pair<std::string, std::string>> split_qualified(const std::string& name);

// planner.cpp: what the rules above do to the models before the other rules
// run, in order: objects matching the `ignore:` patterns leave both, the
// current side keeps only the schemas the desired state names, then
// assume_table_moves, prepare_expand_contract, assume_relation_renames and
// schemas::keep_compared_owners.
// A column renamed by renamed_from (not by expand and contract) on a table
// that is not a partition (a partitioned table's rename reaches its
// partitions). assume_column_renames rewrites `current` as the catalog
// shows it once ALTER TABLE ... RENAME COLUMN ran (the table's keys,
// indexes, CHECKs, triggers, policies, generated columns, privileges, the
// foreign keys referencing it; the same on every partition below it): only
// the rename is planned, never a rebuild of what uses the column; the column
// rules plan the RENAME COLUMN (Builder::column_renamed_from).
struct ColumnRename {
  std::string schema;
  std::string table;  // the desired table's name
  std::string from;
  std::string to;
};
std::vector<ColumnRename> assume_column_renames(schemas::Database& current,
                                                const schemas::Database& desired);
// A constraint whose name follows a column the plan renames (a unique
// constraint, CHECK, foreign key or exclusion constraint the desired state
// leaves unnamed takes the server's default name, "orders_customer_id_fkey"
// becoming "orders_client_id_fkey") is renamed, not dropped and made again:
// on the tables of `column_renames`, a desired constraint under a name the
// table lacks, without renamed_from, whose definition is the same as one the
// desired table no longer names, gets that one's name as renamed_from.
// REQUIRES: assume_column_renames(current, desired) gave `column_renames`.
void assume_constraint_renames(const schemas::Database& current, schemas::Database& desired,
                               const std::vector<ColumnRename>& column_renames);

// Enum labels renamed by renamed_from (ALTER TYPE ... RENAME VALUE, planned
// by the type rules): assume_label_renames rewrites the texts of `current`
// that name an old label as a constant of its type ('closed'::ticket_state,
// qualified or not) as the server shows them after the rename (the constant
// keeps the label's OID): defaults, generated columns, CHECKs, index and
// exclusion expressions and predicates, trigger WHEN, policies, views,
// materialized views, domains, routines' argument defaults and SQL-standard
// bodies; and the bounds of partitions keyed on one column of the type,
// where labels are bare literals. The enums' own labels are left for the
// type rules.
void assume_label_renames(schemas::Database& current, const schemas::Database& desired);
// The label renames `desired`'s renamed_from hints make of `current`'s
// labels, as (old, new): each old label is one of `current`'s, and the
// labels stay distinct once all are renamed together (a chain b -> c, a -> b
// or a swap a <-> b included: a cycle only while the current order is not
// the desired one and the renamed order is). A hint that breaks that is
// left out (the type is then replaced, or the hint reported as matching
// nothing).
std::vector<std::pair<std::string, std::string>> label_renames(const schemas::Enum& current,
                                                               const schemas::Enum& desired);

struct ModelRewrites {
  std::vector<TableMove> moves;
  ExpandContract expand_contract;
  std::vector<RelationRename> renames;
  std::vector<ColumnRename> column_renames;
  std::vector<plans::Diagnostic> diagnostics;
};
ModelRewrites rewrite_models(schemas::Database& current, schemas::Database& desired);
// False when rewrite_models would leave both models as they are (no ignore
// pattern, no owner, no planning hint, no schema the desired state does not
// name): plan_changes then compares them without copying them.
bool models_need_rewrite(const schemas::Database& current, const schemas::Database& desired);

// ---------------------------------------------------------------------------
// Partitioned tables (an index or key is built on each partition, then
// attached to the parent's).
// ---------------------------------------------------------------------------

// Whether `name` names a relation (table, view, sequence, index) of `schema`
// in either model.
bool relation_name_taken(const Builder& builder, const std::string& schema,
                         const std::string& name);
// A partition of the current model, with its schema.
struct Partition {
  std::string schema;
  const schemas::Table* table;
};
// The partitions of a table in the current catalog that the desired schema
// keeps under the same parent and bound.
std::vector<Partition> kept_partitions(const Builder& builder, const std::string& schema,
                                       const std::string& table);
// A free name for the partition's copy of the parent's index or key `name`
// ("<partition>_<name>", numbered if taken); recorded in `chosen`
// ("schema.name") so one plan does not choose it twice.
std::string partition_member_name(const Builder& builder, const std::string& schema,
                                  const std::string& partition, const std::string& name,
                                  std::set<std::string>& chosen);

// Whether a trigger's UPDATE OF list or WHEN condition names `column` (the
// condition by its words: a trigger named by mistake is only recreated).
bool trigger_uses_column(const schemas::Trigger& trigger, const std::string& column);
// The same for a trigger of table `schema`.`table` in `db`, from the
// catalog's dependencies (pg_depend: its UPDATE OF columns and the columns of
// its WHEN) when `db` came from a catalog that recorded the trigger's; by
// the words above otherwise (a model not read from a server).
bool trigger_uses_column(const Builder& builder, const schemas::Database& db,
                         const std::string& schema, const std::string& table,
                         const schemas::Trigger& trigger, const std::string& column);

// ---------------------------------------------------------------------------
// The catalog's dependencies (CatalogFacts::dependencies): the current side's
// read from the target, the desired side's from the scratch database the
// desired state is built in (cli/dev_database.hpp).
// ---------------------------------------------------------------------------

// The tokens of what `dependency` references: its table (and column token
// when it references one column), view ("view:s.v"), or routine (by name,
// "func:s.f", which its creation provides, and by signature,
// "routine:s.f(integer)", which its drop or replacement by drop and create
// invalidates). Empty for kinds no ordering needs.
std::vector<std::string> referenced_tokens(const schemas::Dependency& dependency);
// (Builder::dependencies_of gives the dependencies themselves.)
// The tokens of everything `dependent` uses by `db`'s catalog, or nullopt
// when the catalog recorded nothing for it (then callers infer from words).
std::optional<std::vector<std::string>> recorded_tokens(const Builder& builder,
                                                        const schemas::Database& db,
                                                        const schemas::ObjectId& dependent);

// The routines `dependent` (an object of the current schema: a column's
// default, a CHECK, an index, a policy) calls that the plan drops, or drops
// and creates (a changed signature). The server refuses to drop a routine
// something calls (2BP01): the dependent is dropped first and, when kept,
// created again once the routines are (dependent_recreated).
std::vector<schemas::ObjectId> dropped_routines_of(const Builder& builder,
                                                   const schemas::ObjectId& dependent);
// "function \"public.f(integer)\", ..." for a rationale.
std::string routines_text(const std::vector<schemas::ObjectId>& routines);
// What a dependent dropped before `routines` releases (their signatures, so
// that their drop comes after), and what its creation after them requires
// (their names, which the creating and the dropping steps provide).
std::vector<std::string> routine_release_tokens(const std::vector<schemas::ObjectId>& routines);
std::vector<std::string> routine_name_tokens(const std::vector<schemas::ObjectId>& routines);
// Marks `draft` as the drop (`recreates` false) or the creation of a
// dependent around `routines`, for fuse_routine_dependents.
void mark_around_routines(StepDraft& draft, const std::vector<schemas::ObjectId>& routines,
                          bool recreates);

// Objects that have privileges and owners (rules_privileges.cpp,
// rules_owners.cpp):
// The token a step on the object `id` (a Privileges key or an owned object)
// must follow: "schema:s", "table:s.t", "view:s.v", "func:s.f", a type's, a
// column's.
std::string object_token(const schemas::ObjectId& id);
// Whether a statement creates its step's object (CREATE TABLE, VIEW, ...),
// or drops it to create it again (a view around a column type change, a
// routine whose result changes, an enum replaced).
bool creates_object(Statement kind);
bool recreates_object(Statement kind);
// A step's object matched with a privileges or owner key: views are keyed as
// the steps key them, a column by its relation (a table, view or
// materialized view step).
bool same_object(const schemas::ObjectId& step, const schemas::ObjectId& key);

// Owners (rules_owners.cpp): the owner change the plan makes on object `id`
// (for a column: its relation's), as {from, to}: from an existing object's
// current owner, or, for an object the plan creates or creates again, from
// the role running the plan (CatalogFacts::current_role). nullopt when
// owners are not managed, the desired state gives the object no owner, or
// it stays the same. The server rewrites ACL entries naming `from` to name
// `to` (aclnewowner): privileges compare after it.
std::optional<std::pair<std::string, std::string>> owner_change(const Builder& builder,
                                                                const schemas::ObjectId& id,
                                                                bool created);
// The owner the desired state gives object `id` (for a column: its
// relation's); nullopt when owners are not managed or it gives none.
std::optional<std::string> desired_owner(const Builder& builder, const schemas::ObjectId& id);
// The token of the step changing the owner of an existing object `id`
// (privileges steps on it come after: they compare against the new owner).
std::string owner_token(const schemas::ObjectId& id);

}  // namespace pgshift::planner::detail
