// Rules 10, 11 and 14 for whole tables: create (partitions created alone and
// attached), rename, drop, attach and detach existing tables; replica
// identity and comments. The members of a
// table (columns, constraints, indexes, triggers) have rule files of their own.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/data_checks.hpp"
#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"
#include "schemas/expand_contract.hpp"

namespace pgshift::planner::detail {

using plans::DurationClass;
using plans::Hazard;
using plans::Phase;
using plans::quote_dotted;
using plans::quote_ident;
using plans::quote_ident_list;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

// ---------------------------------------------------------------------------
// Whole tables.
// ---------------------------------------------------------------------------

// A new partition joins after its parent's new indexes exist: ATTACH gives
// it a copy of each (it is empty), and a partitioned index created ON ONLY
// the parent would otherwise stay invalid waiting for the partition's.
void require_parent_indexes(const Builder& builder, StepDraft& draft,
                            const schemas::PartitionOf& parent) {
  const auto* desired_parent =
      schemas::find_table(builder.desired(), parent.parent_schema, parent.parent_table);
  if (desired_parent == nullptr) return;
  for (const auto& index : desired_parent->indexes) {
    draft.requires_.push_back("index:" + parent.parent_schema + "." + index.name);
  }
}


// ---------------------------------------------------------------------------
// An existing table attached as a partition (issue 12).
// ---------------------------------------------------------------------------

bool same_index_but_name(schemas::Index a, schemas::Index b) {
  a.name = b.name;
  a.comment = b.comment;
  a.renamed_from = b.renamed_from;
  return a == b;
}

bool same_foreign_key_but_name(schemas::ForeignKey a, schemas::ForeignKey b) {
  a.name = b.name;
  a.comment = b.comment;
  a.renamed_from = b.renamed_from;
  return a == b;
}

// The reasons the server would refuse ATTACH PARTITION of `current` under
// `parent`, or the plan could not make it without a build under ACCESS
// EXCLUSIVE (ATExecAttachPartition, MergeAttributesIntoExisting,
// MergeConstraintsIntoExisting, AttachPartitionEnsureIndexes in tablecmds.c).
// A scan no CHECK can spare is not a reason: it is planned with its hazard.
std::vector<std::string> attach_refusals(const schemas::Table& current,
                                         const schemas::Table* parent,
                                         const schemas::Table* desired_parent) {
  std::vector<std::string> reasons;
  if (parent == nullptr || desired_parent == nullptr || !parent->partition_by) {
    reasons.push_back("its parent is not an existing partitioned table the plan keeps");
    return reasons;
  }
  if (parent->partition_of) {
    reasons.push_back("its parent is itself a partition (the partition constraint would include "
                      "the parent's)");
  }
  if (current.partition_by) reasons.push_back("it is partitioned itself");
  if (!(parent->columns == desired_parent->columns) ||
      !(parent->indexes == desired_parent->indexes) ||
      !(parent->primary_key == desired_parent->primary_key) ||
      !(parent->unique_constraints == desired_parent->unique_constraints) ||
      !(parent->check_constraints == desired_parent->check_constraints) ||
      !(parent->foreign_keys == desired_parent->foreign_keys)) {
    reasons.push_back("the parent's columns, indexes or constraints change in the same plan");
  }
  if (!parent->exclusion_constraints.empty()) {
    reasons.push_back("the parent has exclusion constraints");
  }
  for (const auto& column : current.columns) {
    if (column.identity != schemas::IdentityKind::None) {
      reasons.push_back("its column \"" + column.name +
                        "\" is an identity column (a partition may not have its own)");
    }
    const auto* theirs = schemas::find_named(parent->columns, column.name);
    if (theirs == nullptr) {
      reasons.push_back("its column \"" + column.name + "\" is not in the parent");
      continue;
    }
    if (normalize_type(theirs->type) != normalize_type(column.type)) {
      reasons.push_back("its column \"" + column.name + "\" is " + column.type +
                        ", the parent's is " + theirs->type);
    }
    if (theirs->collation != column.collation) {
      reasons.push_back("its column \"" + column.name + "\" has another collation than the "
                        "parent's");
    }
    if (effective_not_null(*parent, *theirs) && !effective_not_null(current, column)) {
      reasons.push_back("its column \"" + column.name + "\" is nullable, the parent's is NOT "
                        "NULL");
    }
    if (theirs->generated != column.generated) {
      reasons.push_back("its column \"" + column.name + "\" is generated differently than the "
                        "parent's");
    }
  }
  for (const auto& column : parent->columns) {
    if (schemas::find_named(current.columns, column.name) == nullptr) {
      reasons.push_back("it lacks the parent's column \"" + column.name + "\"");
    }
  }
  if (current.primary_key && parent->primary_key &&
      current.primary_key->columns != parent->primary_key->columns) {
    reasons.push_back("its primary key is not on the parent's key columns");
  }
  for (const auto& check : parent->check_constraints) {
    if (check.no_inherit) continue;
    const auto* mine = schemas::find_named(current.check_constraints, check.name);
    if (mine != nullptr && mine->expression != check.expression) {
      reasons.push_back("its CHECK \"" + check.name + "\" differs from the parent's of that name");
    }
  }
  return reasons;
}

// One error: `action` ("cannot attach ...") and every reason, "; " between.
void refuse(Builder& builder, const ObjectId& id, const std::string& action,
            const std::vector<std::string>& reasons) {
  std::string message = action + ": ";
  for (size_t reason_idx = 0; reason_idx < reasons.size(); ++reason_idx) {
    message += (reason_idx == 0 ? "" : "; ") + reasons[reason_idx];
  }
  builder.diagnose(plans::Severity::Error, id, message);
}

// Provided by the steps detaching a table, required by those attaching it.
std::string detached_token(const std::string& schema, const std::string& table) {
  return "detached:" + schema + "." + table;
}

// Provided by the steps an attach needs done before the same table's detach
// (the DEFAULT partition's CHECK excluding the new bound), required by the
// detach's steps.
std::string before_detach_token(const std::string& schema, const std::string& table) {
  return "before_detach:" + schema + "." + table;
}

// The default partition of `parent` in the current model; `table` nullptr
// when it has none.
Partition default_partition_of(const Builder& builder, const schemas::PartitionOf& parent) {
  for (const auto& schema : builder.current().schemas) {
    for (const auto& candidate : schema.tables) {
      if (candidate.partition_of && candidate.partition_of->parent_schema == parent.parent_schema &&
          candidate.partition_of->parent_table == parent.parent_table &&
          candidate.partition_of->bound == "DEFAULT") {
        return Partition{schema.name, &candidate};
      }
    }
  }
  return Partition{"", nullptr};
}

// The step validating `check`, added NOT VALID on `relation` (`where` names
// it; `scanned` is its table for the pre-flight data check listing the rows
// the VALIDATE would refuse), begun by `begin` as its caller's other steps.
template <typename Begin>
void validate_check(Builder& builder, Chain& chain, Begin&& begin, const std::string& relation,
                    const Targets& targets, const schemas::CheckConstraint& check,
                    const CheckedTable& scanned, const std::string& where) {
  auto validate = begin(Phase::Validate, "validate the CHECK \"" + check.name + "\" on " + where,
                        "VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE: reads and "
                        "writes go on");
  validate.step.statements = {"ALTER TABLE " + relation + " VALIDATE CONSTRAINT " +
                              quote_ident(check.name)};
  builder.statement(validate, Statement::ValidateCheck, targets);
  validate.step.data_checks.push_back(check_constraint_check(scanned, check));
  validate.step.estimated_rows = builder.row_estimate(targets.schema, targets.relation);
  chain.add(std::move(validate));
}

// The CHECK on a filled DEFAULT partition excluding the bound of a partition
// about to be attached, so that ATTACH PARTITION scans nothing there: added
// NOT VALID, validated under SHARE UPDATE EXCLUSIVE, dropped once attached.
// From its add until the attach, a row of the new bound written through the
// parent lands in the DEFAULT partition and is refused (writes_refused).
// `begin(phase, summary, rationale)` starts each step as its caller's others.
class DefaultPartitionCheck {
 public:
  DefaultPartitionCheck(const Partition& partition, const std::string& attached,
                        const std::string& constraint)
      : relation_(quote_qualified(partition.schema, partition.table->name)),
        where_(label("table", partition.schema, partition.table->name)),
        targets_(on_relation(partition.schema, partition.table->name, true)),
        scanned_{partition.schema, partition.table->name, partition.table->name, {}, {}, ""} {
    if (partition.table->primary_key) {
      scanned_.plan_key = scanned_.step_key = partition.table->primary_key->columns;
    }
    check_.name = truncate_name("pgshift_attach_" + attached);
    check_.expression = "NOT (" + constraint + ")";
  }

  template <typename Begin>
  void add_and_validate(Builder& builder, Chain& chain, Begin&& begin) const {
    auto add = begin(Phase::Constrain,
                     "add the CHECK \"" + check_.name + "\" on " + where_ + " NOT VALID",
                     "ATTACH checks that the DEFAULT partition holds no row of the new bound, "
                     "under ACCESS EXCLUSIVE, unless a valid CHECK says so; until the attach, "
                     "a row of the bound written through the parent is refused");
    add.step.statements = {"ALTER TABLE " + relation_ + " ADD " + check_definition(check_) +
                           " NOT VALID"};
    builder.statement(add, Statement::AddDefaultPartitionCheckNotValid, targets_);
    add.requires_.push_back(helper_check_token(scanned_.schema, scanned_.plan_name, check_.name));
    chain.add(std::move(add));
    validate_check(builder, chain, begin, relation_, targets_, check_, scanned_, where_);
  }

  template <typename Begin>
  void drop(Builder& builder, Chain& chain, Begin&& begin) const {
    auto draft = begin(Phase::Validate, "drop the CHECK \"" + check_.name + "\" on " + where_,
                       "the attach is done: the DEFAULT partition's constraint now excludes the "
                       "bound");
    draft.step.statements = {"ALTER TABLE " + relation_ + " DROP CONSTRAINT " +
                             quote_ident(check_.name)};
    builder.statement(draft, Statement::DropAttachCheck, targets_);
    chain.add(std::move(draft));
  }

 private:
  std::string relation_;
  std::string where_;
  Targets targets_;
  CheckedTable scanned_;
  schemas::CheckConstraint check_;
};

// Whether every column of a hash key is of a type without collation. The
// server builds a hash bound's satisfies_hash_partition() call with no input
// collation, while a CHECK calling it on a text column gets the column's: the
// two never compare equal, so no CHECK proves a hash bound over a
// collatable column (checked: ATTACH then logs "verifying table"), and the
// attach scans. Types not listed count as collatable.
bool hash_key_without_collation(const schemas::Table& parent) {
  static const char* const kPlain[] = {"smallint", "integer", "bigint", "numeric", "real",
                                       "double precision", "boolean", "date", "timestamp",
                                       "time", "interval", "uuid", "bytea", "oid", "inet",
                                       "cidr", "macaddr", "money"};
  for (const auto& item : split_items(parent.partition_by->key)) {
    const auto* column = schemas::find_named(parent.columns, item);
    if (column == nullptr) return false;  // an expression, or a quoted name
    const std::string type = normalize_type(column->type);
    const bool plain = std::any_of(std::begin(kPlain), std::end(kPlain), [&](const char* name) {
      const std::string prefix = name;
      return type.compare(0, prefix.size(), prefix) == 0 &&
             (type.size() == prefix.size() || type[prefix.size()] == '(' ||
              type[prefix.size()] == ' ');
    });
    if (!plain) return false;
  }
  return true;
}

// partition_constraint_sql's spelling of `bound` under the partitioned table
// `parent` (quoted `parent_relation`), where a CHECK of it proves the bound:
// nullopt for a hash key over a collatable column, and for what
// partition_constraint_sql does not spell.
std::optional<std::string> spelled_constraint(const schemas::Table& parent,
                                              const std::string& bound,
                                              const std::string& parent_relation) {
  if (parent.partition_by->strategy == schemas::PartitionStrategy::Hash &&
      !hash_key_without_collation(parent)) {
    return std::nullopt;
  }
  return partition_constraint_sql(*parent.partition_by, bound, parent_relation);
}

// The CHECK expression that proves the rows of the desired partition
// `schema.table` fit `bound` under `parent` (the current model's partitioned
// table, quoted `parent_relation`), so that ATTACH scans nothing:
// partition_constraint_sql's spelling; else, for a key of several columns or
// an expression, and for the DEFAULT partition, the partition constraint the
// scratch database gave that partition (CatalogFacts::partition_constraints:
// pg_get_partition_constraintdef, which the server's implication test
// recognises as its own). nullopt when neither proves it: the attach scans.
// A DEFAULT partition's constraint is every sibling bound's negation: it is
// used only when every partition of the parent now is kept with its bound,
// so that the siblings at the attach are some of those the scratch database
// had (a weaker constraint, still implied). The server's constraint is
// taken only under a parent that is not a partition itself: it would
// include the parent's own bound, which the attach does not check.
std::optional<std::string> proving_constraint(const Builder& builder, const schemas::Table& parent,
                                              const std::string& parent_relation,
                                              const std::string& bound, const std::string& schema,
                                              const std::string& table) {
  if (!parent.partition_by) return std::nullopt;
  if (auto spelled = spelled_constraint(parent, bound, parent_relation)) return spelled;
  // No CHECK matches a hash bound over a collatable column, the server's
  // spelling included.
  if (parent.partition_by->strategy == schemas::PartitionStrategy::Hash &&
      !hash_key_without_collation(parent)) {
    return std::nullopt;
  }
  if (parent.partition_of) return std::nullopt;
  const auto* desired = schemas::find_table(builder.desired(), schema, table);
  if (desired == nullptr || !desired->partition_of || desired->partition_of->bound != bound) {
    return std::nullopt;
  }
  if (bound == "DEFAULT") {
    const auto& of = *desired->partition_of;
    for (const auto& current_schema : builder.current().schemas) {
      for (const auto& sibling : current_schema.tables) {
        if (!sibling.partition_of || sibling.partition_of->parent_schema != of.parent_schema ||
            sibling.partition_of->parent_table != of.parent_table) {
          continue;
        }
        const auto* kept = schemas::find_table(builder.desired(), current_schema.name, sibling.name);
        if (kept == nullptr || !(kept->partition_of == sibling.partition_of)) return std::nullopt;
      }
    }
  }
  const auto found = builder.desired().facts.partition_constraints.find(schema + "." + table);
  if (found == builder.desired().facts.partition_constraints.end()) return std::nullopt;
  std::string text = found->second;
  // A hash bound's constraint names the parent by its OID in the scratch
  // database ("satisfies_hash_partition('16384'::oid, 4, 0, a, b)"): named
  // here by its name, as partition_constraint_sql does. Any other OID is
  // not the target's: no CHECK.
  const std::string hash_call = "satisfies_hash_partition('";
  if (text.compare(0, hash_call.size(), hash_call) == 0) {
    const size_t digits_end = text.find_first_not_of("0123456789", hash_call.size());
    const std::string oid_end = "'::oid, ";
    if (digits_end == hash_call.size() || digits_end == std::string::npos ||
        text.compare(digits_end, oid_end.size(), oid_end) != 0) {
      return std::nullopt;
    }
    text = "satisfies_hash_partition(" + quote_literal(parent_relation) + "::regclass, " +
           text.substr(digits_end + oid_end.size());
  }
  if (text.find("::oid") != std::string::npos) return std::nullopt;
  return text;
}

// Rule 14: an existing table becomes a partition without a scan or a build
// under ACCESS EXCLUSIVE. ATTACH PARTITION (tablecmds.c ATExecAttachPartition)
// scans the table for rows outside the bound unless a valid CHECK implies the
// partition constraint, builds every index of the parent the table has no
// match for (AttachPartitionEnsureIndexes; keys need a matching constraint),
// adds the parent's foreign keys and validates them, and scans the parent's
// DEFAULT partition unless a valid CHECK there excludes the new bound. So,
// in order: each missing index of the parent built CONCURRENTLY, each
// missing key built CONCURRENTLY and added USING INDEX, each missing CHECK
// and foreign key added NOT VALID and validated, a CHECK of the bound on the
// table (and its negation on the DEFAULT partition) added NOT VALID and
// validated under SHARE UPDATE EXCLUSIVE; then ATTACH, which only records;
// then those two CHECKs are dropped. `effective` becomes the table as the
// catalog will show it after the attach: what the parent's members absorb
// leaves its own members (the rest is planned as any partition's).
// Returns false, with an error naming every reason, when it cannot.
bool attach_existing_table(TableContext& table, schemas::Table& effective) {
  Builder& builder = table.builder;
  const schemas::Table& current = *table.current;
  const auto& partition_of = *table.desired.partition_of;
  const auto* parent =
      schemas::find_table(builder.current(), partition_of.parent_schema, partition_of.parent_table);
  const auto* desired_parent =
      schemas::find_table(builder.desired(), partition_of.parent_schema, partition_of.parent_table);
  const std::string& bound = partition_of.bound;
  const std::string parent_relation =
      quote_qualified(partition_of.parent_schema, partition_of.parent_table);
  std::vector<std::string> reasons =
      attach_refusals(current, parent, desired_parent);
  Partition default_partition =
      bound == "DEFAULT" ? Partition{"", nullptr} : default_partition_of(builder, partition_of);
  if (default_partition.table != nullptr && default_partition.schema == table.schema &&
      default_partition.table->name == current.name) {
    default_partition.table = nullptr;  // the DEFAULT partition itself, detached first
  }
  bool default_populated = false;
  if (default_partition.table != nullptr) {
    const auto* kept =
        schemas::find_table(builder.desired(), default_partition.schema,
                            default_partition.table->name);
    if (kept == nullptr || !(kept->partition_of == default_partition.table->partition_of)) {
      reasons.push_back("the parent's DEFAULT partition changes in the same plan");
    }
    default_populated = builder.populated(default_partition.schema, default_partition.table->name);
    if (default_populated && default_partition.table->partition_by) {
      reasons.push_back("the parent's DEFAULT partition is partitioned and holds rows");
    }
  }
  const std::string what = label("table", table.schema, table.desired.name);
  if (!reasons.empty()) {
    refuse(builder, table.table_id(),
           "cannot attach " + what + " to " +
               label("table", partition_of.parent_schema, partition_of.parent_table),
           reasons);
    return false;
  }
  effective.partition_of = table.desired.partition_of;
  const bool populated = table.populated;
  const ObjectId id = table.table_id();
  const std::string on_table = " on " + what;
  Chain chain(builder);
  std::set<std::string> chosen;
  auto member_name = [&](const std::string& name) {
    return partition_member_name(builder, table.schema, table.desired.name, name, chosen);
  };
  auto begin = [&](Phase phase, std::string summary, std::string rationale) {
    auto draft = Builder::make(phase, id, std::move(summary), std::move(rationale));
    draft.requires_.push_back(table_token(table.schema, table.desired.name));
    draft.requires_.push_back(detached_token(table.schema, table.desired.name));
    return draft;
  };
  // Indexes of the parent (not backing a key).
  for (const auto& index : parent->indexes) {
    const auto mine = std::find_if(
        effective.indexes.begin(), effective.indexes.end(),
        [&](const schemas::Index& candidate) {
          return candidate.valid && same_index_but_name(candidate, index);
        });
    if (mine != effective.indexes.end()) {
      effective.indexes.erase(mine);  // ATTACH attaches it to the parent's
      continue;
    }
    const std::string child = member_name(index.name);
    auto build = begin(Phase::Constrain,
                       "build the index \"" + child + "\"" + on_table + " for \"" + index.name +
                           "\" before attaching it",
                       populated ? "rule 8: CREATE INDEX CONCURRENTLY lets reads and writes go "
                                   "on; ATTACH then attaches it instead of building one"
                                 : "rule 11: the table is empty: a plain build is instant");
    build.step.statements = {index_sql(table.relation, index, child, populated)};
    builder.statement(build, populated ? Statement::CreateIndexConcurrently : Statement::CreateIndex,
                      table.on());
    build.requires_.push_back("name:" + table.schema + "." + child);
    if (populated) build.step.estimated_rows = table.rows;
    chain.add(std::move(build));
  }
  // Keys of the parent: ATTACH needs a key of the same kind on the same
  // columns, else it builds one.
  auto add_key = [&](const std::string& name, const std::vector<std::string>& columns,
                     const std::vector<std::string>& include, bool nulls_not_distinct,
                     bool deferrable, bool initially_deferred, bool primary) {
    const std::string child = member_name(name);
    if (!populated) {
      auto draft = begin(Phase::Constrain, "add the key \"" + child + "\"" + on_table,
                         "rule 11: the table is empty: the index build is instant");
      draft.step.statements = {table.alter() + "ADD " +
                               unique_definition(child, columns, include, nulls_not_distinct,
                                                 deferrable, initially_deferred, primary)};
      builder.statement(draft, Statement::AddKey, table.on());
      chain.add(std::move(draft));
      return;
    }
    auto build = begin(Phase::Constrain, "build the unique index \"" + child + "\"" + on_table,
                       "rule 7: CREATE UNIQUE INDEX CONCURRENTLY lets reads and writes go on");
    build.step.statements = {"CREATE UNIQUE INDEX CONCURRENTLY " + quote_ident(child) + " ON " +
                             table.relation + " (" + quote_ident_list(columns) + ")" +
                             include_clause(include) +
                             (nulls_not_distinct ? " NULLS NOT DISTINCT" : "")};
    builder.statement(build, Statement::CreateIndexConcurrently, table.on());
    build.requires_.push_back("name:" + table.schema + "." + child);
    build.step.estimated_rows = table.rows;
    std::vector<std::string> keys;
    for (const auto& column : columns) keys.push_back(quote_ident(column));
    build.step.data_checks.push_back(unique_check(checked_table(table), keys, std::nullopt,
                                                  nulls_not_distinct,
                                                  "key \"" + child + "\"" + on_table));
    chain.add(std::move(build));
    auto attach = begin(Phase::Validate, "add the key \"" + child + "\"" + on_table + " using its index",
                        "ADD CONSTRAINT ... USING INDEX only records the constraint");
    attach.step.statements = {table.alter() + "ADD CONSTRAINT " + quote_ident(child) +
                              (primary ? " PRIMARY KEY" : " UNIQUE") + " USING INDEX " +
                              quote_ident(child) + deferrable_clause(deferrable, initially_deferred)};
    builder.statement(attach, Statement::AddKeyUsingIndex, table.on());
    chain.add(std::move(attach));
  };
  if (parent->primary_key) {
    const auto& key = *parent->primary_key;
    if (effective.primary_key && effective.primary_key->columns == key.columns &&
        effective.primary_key->include == key.include) {
      effective.primary_key.reset();
    } else {
      add_key(key.name, key.columns, key.include, false, key.deferrable, key.initially_deferred,
              true);
    }
  }
  for (const auto& key : parent->unique_constraints) {
    const auto mine = std::find_if(
        effective.unique_constraints.begin(), effective.unique_constraints.end(),
        [&](const schemas::UniqueConstraint& candidate) {
          return candidate.columns == key.columns && candidate.include == key.include &&
                 candidate.nulls_not_distinct == key.nulls_not_distinct;
        });
    if (mine != effective.unique_constraints.end()) {
      effective.unique_constraints.erase(mine);
    } else {
      add_key(key.name, key.columns, key.include, key.nulls_not_distinct, key.deferrable,
              key.initially_deferred, false);
    }
  }
  // A CHECK added NOT VALID, then validated (SHARE UPDATE EXCLUSIVE).
  auto add_check = [&](const std::string& relation, const Targets& targets,
                       const schemas::CheckConstraint& check, bool on_populated,
                       const std::string& where, const std::string& why) {
    if (!on_populated) {
      auto draft = begin(Phase::Constrain, "add the CHECK \"" + check.name + "\" on " + where,
                         "rule 11: the table is empty: nothing to scan");
      draft.step.statements = {"ALTER TABLE " + relation + " ADD " + check_definition(check)};
      builder.statement(draft, Statement::AddCheck, targets);
      draft.requires_.push_back(helper_check_token(table.schema, current.name, check.name));
      chain.add(std::move(draft));
      return;
    }
    auto add = begin(Phase::Constrain, "add the CHECK \"" + check.name + "\" on " + where +
                     " NOT VALID", why);
    add.step.statements = {"ALTER TABLE " + relation + " ADD " + check_definition(check) +
                           " NOT VALID"};
    builder.statement(add, Statement::AddCheckNotValid, targets);
    add.requires_.push_back(helper_check_token(table.schema, current.name, check.name));
    chain.add(std::move(add));
    validate_check(builder, chain, begin, relation, targets, check, checked_table(table), where);
  };
  for (const auto& check : parent->check_constraints) {
    if (check.no_inherit) continue;
    const auto mine = std::find_if(
        effective.check_constraints.begin(), effective.check_constraints.end(),
        [&](const schemas::CheckConstraint& candidate) { return candidate.name == check.name; });
    if (mine != effective.check_constraints.end()) {
      if (!mine->validated) {
        auto validate = begin(Phase::Validate,
                              "validate the CHECK \"" + check.name + "\"" + on_table,
                              "the parent's CHECK is valid: the partition's must be");
        validate.step.statements = {table.alter() + "VALIDATE CONSTRAINT " +
                                    quote_ident(check.name)};
        builder.statement(validate, Statement::ValidateCheck, table.on());
        chain.add(std::move(validate));
      }
      effective.check_constraints.erase(mine);
      continue;
    }
    schemas::CheckConstraint copy = check;
    copy.comment.reset();
    add_check(table.relation, table.on(), copy, populated, what,
              "ATTACH needs the parent's CHECK on the partition, by name");
  }
  for (const auto& fk : parent->foreign_keys) {
    const auto mine = std::find_if(effective.foreign_keys.begin(), effective.foreign_keys.end(),
                                   [&](const schemas::ForeignKey& candidate) {
                                     return same_foreign_key_but_name(candidate, fk);
                                   });
    if (mine != effective.foreign_keys.end()) {
      effective.foreign_keys.erase(mine);
      continue;
    }
    schemas::ForeignKey copy = fk;
    copy.name = member_name(fk.name);
    copy.comment.reset();
    const Targets targets = table.with_referenced(fk.ref_schema, fk.ref_table);
    auto add = begin(Phase::Constrain,
                     "add the foreign key \"" + copy.name + "\"" + on_table +
                         (populated ? " NOT VALID" : ""),
                     "ATTACH would add the parent's foreign key and check every row under "
                     "ACCESS EXCLUSIVE; a matching one is attached instead");
    add.step.statements = {table.alter() + "ADD " + foreign_key_definition(copy) +
                           (populated ? " NOT VALID" : "")};
    builder.statement(add, populated ? Statement::AddForeignKeyNotValid : Statement::AddForeignKey,
                      targets);
    add.requires_.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
    chain.add(std::move(add));
    if (populated) {
      auto validate = begin(Phase::Validate,
                            "validate the foreign key \"" + copy.name + "\"" + on_table,
                            "VALIDATE CONSTRAINT checks the rows under SHARE UPDATE EXCLUSIVE");
      validate.step.statements = {table.alter() + "VALIDATE CONSTRAINT " +
                                  quote_ident(copy.name)};
      builder.statement(validate, Statement::ValidateForeignKey, targets);
      validate.step.estimated_rows = table.rows;
      chain.add(std::move(validate));
    }
  }
  // The bound, proved by CHECKs so that ATTACH scans nothing. Where none
  // proves it, ATTACH scans the rows under ACCESS EXCLUSIVE
  // (access_exclusive_scan).
  std::optional<schemas::CheckConstraint> bound_check;
  std::optional<DefaultPartitionCheck> default_check;
  const auto constraint =
      proving_constraint(builder, *parent, parent_relation, bound, table.schema, table.desired.name);
  const bool scans = (populated || default_populated) && !constraint;
  if (populated && constraint) {
    bound_check = schemas::CheckConstraint{};
    bound_check->name = truncate_name("pgshift_attach_" + table.desired.name);
    bound_check->expression = *constraint;
    add_check(table.relation, table.on(), *bound_check, true, what,
              "a valid CHECK implying the partition constraint lets ATTACH skip its scan under "
              "ACCESS EXCLUSIVE");
  }
  if (default_populated && constraint) {
    default_check.emplace(default_partition, table.desired.name, *constraint);
    const auto* now = schemas::find_table(builder.current(), table.schema, current.name);
    if (now != nullptr && now->partition_of) {
      // A change of bound: the CHECK goes on before the detach. From the
      // detach on, a row of the old bound written through the parent lands
      // in the DEFAULT partition; one of the new bound would then fail the
      // CHECK's validation, and the table would stay detached.
      Chain before(builder);
      auto first = [&](Phase, std::string summary, std::string rationale) {
        auto draft = Builder::make(Phase::Alter, id, std::move(summary), std::move(rationale));
        draft.provides.push_back(before_detach_token(table.schema, current.name));
        return draft;
      };
      default_check->add_and_validate(builder, before, first);
    } else {
      default_check->add_and_validate(builder, chain, begin);
    }
  }
  auto attach = begin(Phase::Validate,
                      "attach " + what + " to " +
                          label("table", partition_of.parent_schema, partition_of.parent_table),
                      scans ? std::string(
                                  "rule 14: no CHECK proves this bound (") +
                                  (bound == "DEFAULT"
                                       ? "the DEFAULT partition's constraint is every other "
                                         "bound's negation, and the other partitions change in "
                                         "the same plan"
                                       : "a hash key over a collatable column, whose "
                                         "satisfies_hash_partition() no CHECK matches, or a "
                                         "bound whose constraint no scratch database gave") +
                                  "): ATTACH PARTITION reads every row of " +
                                  (populated ? "the table" : "the DEFAULT partition") +
                                  (populated && default_populated ? " and of the DEFAULT partition"
                                                                  : "") +
                                  " under ACCESS EXCLUSIVE"
                      : populated || default_populated
                          ? "rule 14: valid CHECKs prove the bound: ATTACH PARTITION scans nothing and "
                            "only records the partition and attaches its indexes and keys"
                          : "rule 14: the table is empty: ATTACH PARTITION only records it");
  attach.step.statements = {"ALTER TABLE " + parent_relation + " ATTACH PARTITION " +
                            table.relation + " " + bound};
  attach.requires_.push_back(before_detach_token(table.schema, current.name));
  // A partition the plan drops goes first: its bound may overlap.
  for (const auto& current_schema : builder.current().schemas) {
    for (const auto& sibling : current_schema.tables) {
      if (sibling.partition_of && sibling.partition_of->parent_schema == partition_of.parent_schema &&
          sibling.partition_of->parent_table == partition_of.parent_table &&
          schemas::find_table(builder.desired(), current_schema.name, sibling.name) == nullptr) {
        attach.requires_.push_back("name:" + current_schema.name + "." + sibling.name);
      }
    }
  }
  Targets targets = on_relation(table.schema, table.desired.name, false);
  targets.parent = QualifiedName{partition_of.parent_schema, partition_of.parent_table};
  if (default_partition.table != nullptr) {
    targets.default_partition =
        QualifiedName{default_partition.schema, default_partition.table->name};
  }
  if (scans) {
    // What the scan reads: the table, the DEFAULT partition, or both.
    targets.populated = true;
    attach.step.estimated_rows = populated ? table.rows : std::nullopt;
    if (default_populated) {
      const auto default_rows =
          builder.row_estimate(default_partition.schema, default_partition.table->name);
      attach.step.estimated_rows =
          default_rows && (!populated || attach.step.estimated_rows)
              ? std::optional<int64_t>(attach.step.estimated_rows.value_or(0) + *default_rows)
              : std::nullopt;
    }
  }
  builder.statement(attach,
                    scans                                  ? Statement::AttachPartitionScanning
                    : default_partition.table != nullptr ? Statement::AttachPartitionWithDefault
                                                         : Statement::AttachPartition,
                    targets);
  chain.add(std::move(attach));
  if (bound_check) {
    auto drop = begin(Phase::Validate, "drop the CHECK \"" + bound_check->name + "\"" + on_table,
                      "the attach is done: the partition constraint holds the same rule");
    drop.step.statements = {table.alter() + "DROP CONSTRAINT " + quote_ident(bound_check->name)};
    builder.statement(drop, Statement::DropAttachCheck, table.on());
    chain.add(std::move(drop));
  }
  if (default_check) default_check->drop(builder, chain, begin);
  return true;
}


// Rule 14 (detach): a partition leaves its parent and stays as a table.
// DETACH PARTITION makes the partition's copies of the parent's indexes,
// keys and foreign keys its own under their names (CatalogFacts::
// partition_copies), and its inherited CHECKs local under the parent's
// names; its copies of the parent's row triggers go (DetachPartitionFinalize,
// DropClonedTriggersFromPartition in tablecmds.c). From PostgreSQL 14 it is
// DETACH ... CONCURRENTLY (SHARE UPDATE EXCLUSIVE on the parent, outside a
// transaction block), which the server refuses beside a DEFAULT partition and
// which adds a CHECK of the bound unless one implies it: the plan adds one
// first (NOT VALID, then validated) and drops it after, so the table ends as
// planned. Before 14, or beside a DEFAULT partition, plain DETACH locks the
// parent (and the DEFAULT partition) ACCESS EXCLUSIVE, briefly.
// `effective` becomes the table as the catalog will show it once detached.
// A detach left pending by an interrupted CONCURRENTLY is finished by
// DETACH ... FINALIZE. Returns false, with an error, when it cannot.
bool detach_partition(TableContext& table, schemas::Table& effective) {
  Builder& builder = table.builder;
  const schemas::Table& current = *table.current;
  const auto& partition_of = *current.partition_of;
  const auto* parent =
      schemas::find_table(builder.current(), partition_of.parent_schema, partition_of.parent_table);
  const std::string what = label("table", table.schema, current.name);
  const std::string key = table.schema + "." + current.name;
  const auto copies_found = builder.current().facts.partition_copies.find(key);
  static const std::map<std::string, std::string> kNoCopies;
  const auto& copies =
      copies_found == builder.current().facts.partition_copies.end() ? kNoCopies
                                                                      : copies_found->second;
  std::vector<std::string> reasons;
  if (parent == nullptr || !parent->partition_by) {
    reasons.push_back("its parent is not in the current schema");
  }
  if (current.name != table.desired.name) reasons.push_back("it is renamed in the same plan");
  auto copy_name = [&](const std::string& member) -> std::string {
    const auto found = copies.find(member);
    if (found != copies.end()) return found->second;
    reasons.push_back("its copy of the parent's \"" + member + "\" was not found in the catalog");
    return member;
  };
  effective.partition_of.reset();
  if (parent != nullptr) {
    for (const auto& index : parent->indexes) {
      schemas::Index copy = index;
      copy.name = copy_name(index.name);
      copy.comment.reset();
      effective.indexes.push_back(copy);
    }
    if (parent->primary_key) {
      schemas::PrimaryKey copy = *parent->primary_key;
      copy.name = copy_name(copy.name);
      copy.comment.reset();
      effective.primary_key = copy;
    }
    for (const auto& key_constraint : parent->unique_constraints) {
      schemas::UniqueConstraint copy = key_constraint;
      copy.name = copy_name(copy.name);
      copy.comment.reset();
      effective.unique_constraints.push_back(copy);
    }
    for (const auto& check : parent->check_constraints) {
      if (check.no_inherit || schemas::find_named(effective.check_constraints, check.name)) {
        continue;
      }
      schemas::CheckConstraint copy = check;
      copy.comment.reset();
      effective.check_constraints.push_back(copy);
    }
    for (const auto& fk : parent->foreign_keys) {
      schemas::ForeignKey copy = fk;
      copy.name = copy_name(fk.name);
      copy.comment.reset();
      effective.foreign_keys.push_back(copy);
    }
    if (!parent->exclusion_constraints.empty()) {
      reasons.push_back("the parent has exclusion constraints");
    }
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::sort(effective.indexes.begin(), effective.indexes.end(), by_name);
    std::sort(effective.unique_constraints.begin(), effective.unique_constraints.end(), by_name);
    std::sort(effective.check_constraints.begin(), effective.check_constraints.end(), by_name);
    std::sort(effective.foreign_keys.begin(), effective.foreign_keys.end(), by_name);
  }
  if (!reasons.empty()) {
    refuse(builder, table.table_id(),
           "cannot detach " + what + " from " +
               label("table", partition_of.parent_schema, partition_of.parent_table),
           reasons);
    return false;
  }
  const std::string parent_relation =
      quote_qualified(partition_of.parent_schema, partition_of.parent_table);
  const ObjectId id = table.table_id();
  Targets targets = table.on();
  targets.parent = QualifiedName{partition_of.parent_schema, partition_of.parent_table};
  Chain chain(builder);
  // Every step of the detach provides the token an attach of the same table
  // requires: a change of bound attaches once the detach is done.
  auto make = [&](Phase phase, std::string summary, std::string rationale) {
    auto draft = Builder::make(phase, id, std::move(summary), std::move(rationale));
    draft.requires_.push_back(table_token(table.schema, current.name));
    draft.requires_.push_back(before_detach_token(table.schema, current.name));
    draft.provides.push_back(detached_token(table.schema, current.name));
    return draft;
  };
  const std::string detach_summary =
      "detach " + what + " from " +
      label("table", partition_of.parent_schema, partition_of.parent_table);
  // Tables whose foreign keys reference the parent: the detach reads them
  // for rows referencing the partition, and changes their keys.
  std::vector<QualifiedName> referencing;
  std::vector<std::pair<CheckedTable, const schemas::ForeignKey*>> references;
  bool referencing_populated = false;
  for (const auto& schema : builder.current().schemas) {
    for (const auto& other : schema.tables) {
      for (const auto& fk : other.foreign_keys) {
        if (fk.ref_schema != partition_of.parent_schema ||
            fk.ref_table != partition_of.parent_table) {
          continue;
        }
        const QualifiedName origin = builder.at_plan_time(schema.name, other.name);
        CheckedTable checked{schema.name, origin.name, other.name, {}, {}, origin.schema};
        if (other.primary_key) checked.plan_key = checked.step_key = other.primary_key->columns;
        references.emplace_back(std::move(checked), &fk);
        const QualifiedName name{schema.name, other.name};
        if (std::none_of(referencing.begin(), referencing.end(), [&](const QualifiedName& seen) {
              return seen.schema == name.schema && seen.name == name.name;
            })) {
          referencing.push_back(name);
          referencing_populated =
              referencing_populated || builder.populated(schema.name, other.name);
        }
      }
    }
  }
  targets.referenced = referencing;
  if (builder.current().facts.pending_detach.count(key) != 0) {
    auto finalize = make(Phase::Alter, detach_summary + " (finish the pending detach)",
                         "an interrupted DETACH ... CONCURRENTLY left it pending: FINALIZE "
                         "completes it");
    finalize.step.statements = {"ALTER TABLE " + parent_relation + " DETACH PARTITION " +
                                table.relation + " FINALIZE"};
    builder.statement(finalize, Statement::DetachPartitionFinalize, targets);
    chain.add(std::move(finalize));
    return true;
  }
  const Partition default_partition = default_partition_of(builder, partition_of);
  const auto constraint =
      parent != nullptr ? spelled_constraint(*parent, partition_of.bound, parent_relation)
                        : std::nullopt;
  const bool concurrently = builder.version() >= 140000 && default_partition.table == nullptr &&
                            partition_of.bound != "DEFAULT" && constraint && !current.partition_by;
  if (!concurrently) {
    if (!references.empty()) {
      const auto& [checked, fk] = references.front();
      builder.diagnose(plans::Severity::Error, table.table_id(),
                       "cannot detach " + what + ": the foreign key \"" + fk->name + "\" of " +
                           label("table", checked.schema, checked.step_name) +
                           " references its parent, and a plain DETACH PARTITION checks "
                           "its rows under ACCESS EXCLUSIVE on the parent");
      return false;
    }
    auto detach = make(
        Phase::Alter, detach_summary,
        builder.version() < 140000
            ? "rule 14: DETACH PARTITION CONCURRENTLY is PostgreSQL 14+: the parent is locked ACCESS "
              "EXCLUSIVE, briefly (catalog only)"
            : default_partition.table != nullptr
                  ? "rule 14: the parent has a DEFAULT partition, beside which the server refuses "
                    "DETACH ... CONCURRENTLY: the parent and the DEFAULT partition are locked "
                    "ACCESS EXCLUSIVE, briefly (catalog only)"
                  : "rule 14: the bound's constraint cannot be spelled as a CHECK (DETACH ... "
                    "CONCURRENTLY would add one pgshift cannot name): the parent is locked "
                    "ACCESS EXCLUSIVE, briefly (catalog only)");
    detach.step.statements = {"ALTER TABLE " + parent_relation + " DETACH PARTITION " +
                              table.relation};
    Targets plain = targets;
    if (default_partition.table != nullptr) {
      plain.default_partition =
          QualifiedName{default_partition.schema, default_partition.table->name};
    }
    builder.statement(detach, Statement::DetachPartition, plain);
    chain.add(std::move(detach));
    return true;
  }
  // The CHECK the server would add, added first under a name of ours.
  schemas::CheckConstraint bound_check;
  bound_check.name = truncate_name("pgshift_detach_" + current.name);
  bound_check.expression = *constraint;
  auto add = make(Phase::Alter, "add the CHECK \"" + bound_check.name + "\" on " + what +
                  " NOT VALID",
                  "DETACH ... CONCURRENTLY adds a CHECK of the bound unless one implies it: "
                  "this one, dropped after, leaves the table as desired");
  add.step.statements = {table.alter() + "ADD " + check_definition(bound_check) + " NOT VALID"};
  builder.statement(add, Statement::AddCheckNotValid, table.on());
  add.requires_.push_back(helper_check_token(table.schema, current.name, bound_check.name));
  chain.add(std::move(add));
  auto validate_phase = [&](Phase, std::string summary, std::string rationale) {
    return make(Phase::Alter, std::move(summary), std::move(rationale));
  };
  validate_check(builder, chain, validate_phase, table.relation, table.on(), bound_check,
                 checked_table(table), what);
  auto detach = make(Phase::Alter, detach_summary + " CONCURRENTLY",
                     std::string("rule 14: DETACH PARTITION ... CONCURRENTLY takes SHARE UPDATE "
                                 "EXCLUSIVE on the parent: reads and writes go on; its second "
                                 "transaction takes ACCESS EXCLUSIVE on the partition, briefly") +
                         (referencing.empty()
                              ? ""
                              : "; foreign keys reference the parent: writes to their tables "
                                "wait while the first transaction reads them for rows "
                                "referencing the partition (SHARE), and the second changes "
                                "their keys under ACCESS EXCLUSIVE, briefly") +
                         "; an interrupted one is finished by FINALIZE");
  detach.step.statements = {"ALTER TABLE " + parent_relation + " DETACH PARTITION " +
                            table.relation + " CONCURRENTLY"};
  // A row referencing the partition's rows makes the server refuse the
  // detach (its first transaction reads for them): refused before step 1.
  for (const auto& [checked, fk] : references) {
    detach.step.data_checks.push_back(detached_reference_check(
        checked, *fk, builder.at_plan_time(table.schema, current.name),
        QualifiedName{table.schema, current.name}));
  }
  Targets detach_targets = targets;
  detach_targets.populated = referencing_populated;
  builder.statement(detach,
                    referencing.empty() ? Statement::DetachPartitionConcurrently
                                        : Statement::DetachPartitionConcurrentlyReferenced,
                    detach_targets);
  chain.add(std::move(detach));
  auto drop = make(Phase::Alter, "drop the CHECK \"" + bound_check.name + "\" on " + what,
                   "the detach is done; the desired table does not have it");
  drop.step.statements = {table.alter() + "DROP CONSTRAINT " + quote_ident(bound_check.name)};
  builder.statement(drop, Statement::DropAttachCheck, table.on());
  chain.add(std::move(drop));
  return true;
}

void create_table(Builder& builder, const std::string& schema, const schemas::Table& desired) {
  TableContext table{builder,
                     schema,
                     nullptr,
                     desired,
                     false,
                     std::nullopt,
                     quote_qualified(schema, desired.name)};
  const ObjectId id = table.table_id();
  auto draft = Builder::make(Phase::Create, id, "create " + label("table", schema, desired.name),
                             "a new table: no traffic to block");
  draft.requires_.push_back("schema:" + schema);
  draft.requires_.push_back("name:" + schema + "." + desired.name);
  draft.provides.push_back(table_token(schema, desired.name));
  for (const auto& column : desired.columns) {
    draft.provides.push_back(table.column_token_of(column.name));
    if (effective_not_null(desired, column)) {
      draft.provides.push_back(not_null_token(schema, desired.name, column.name));
    }
    require_all(draft, type_tokens(column.type, schema));
    require_sequences(draft, schema, column.default_expr);
  }
  // CREATE TABLE ... PARTITION OF: the columns copy the parent's STORAGE
  // and COMPRESSION as they are when it runs.
  bool copies_parent_settings = false;
  if (desired.partition_of) {
    const auto& parent = *desired.partition_of;
    // A partition partitioned in turn.
    const std::string partitioned_by =
        desired.partition_by ? partition_by_sql(*desired.partition_by) : std::string();
    const std::string parent_relation = quote_qualified(parent.parent_schema, parent.parent_table);
    const auto* current_parent =
        schemas::find_table(builder.current(), parent.parent_schema, parent.parent_table);
    const bool parent_exists = current_parent != nullptr;
    // A DEFAULT partition holding rows is scanned under ACCESS EXCLUSIVE for
    // rows of the new bound (check_default_partition_contents in
    // partbounds.c) unless a valid CHECK there excludes the bound.
    Partition default_partition{"", nullptr};
    bool default_populated = false;
    bool default_kept = false;
    if (parent_exists && parent.bound != "DEFAULT") {
      default_partition = default_partition_of(builder, parent);
    }
    if (default_partition.table != nullptr) {
      default_populated =
          builder.populated(default_partition.schema, default_partition.table->name);
      const auto* kept = schemas::find_table(builder.desired(), default_partition.schema,
                                             default_partition.table->name);
      default_kept = kept != nullptr && kept->partition_of == default_partition.table->partition_of;
    }
    const std::optional<std::string> bound_constraint =
        default_populated && current_parent->partition_by && !default_partition.table->partition_by
            ? proving_constraint(builder, *current_parent, parent_relation, parent.bound, schema,
                                 desired.name)
            : std::nullopt;
    if (parent_exists && (builder.version() >= 120000 || default_populated)) {
      // CREATE TABLE ... PARTITION OF would lock the parent ACCESS EXCLUSIVE;
      // creating the table alone and attaching it takes SHARE UPDATE EXCLUSIVE.
      draft.step.rationale =
          "created alone, then attached: the parent is never locked ACCESS "
          "EXCLUSIVE";
      draft.step.statements = {"CREATE TABLE " + table.relation + " (LIKE " + parent_relation +
                               " INCLUDING DEFAULTS INCLUDING CONSTRAINTS)" + partitioned_by};
      draft.requires_.push_back(table_token(parent.parent_schema, parent.parent_table));
      builder.statement(draft, Statement::CreateTableLike,
                        on_relation(schema, desired.name, false));
      Chain chain(builder);
      chain.add(std::move(draft));
      // The DEFAULT partition's CHECK excluding the new bound. A new
      // partition's steps all run in the create phase.
      auto begin = [&](Phase, std::string summary, std::string rationale) {
        return Builder::make(Phase::Create, id, std::move(summary), std::move(rationale));
      };
      std::optional<DefaultPartitionCheck> default_check;
      if (default_populated && default_kept && bound_constraint) {
        default_check.emplace(default_partition, desired.name, *bound_constraint);
        default_check->add_and_validate(builder, chain, begin);
      }
      const bool scans = default_populated && !default_check;
      auto attach = Builder::make(
          Phase::Create, id,
          "attach " + label("table", schema, desired.name) + " to " +
              label("table", parent.parent_schema, parent.parent_table),
          scans ? "the parent's DEFAULT partition holds rows and no CHECK can exclude this bound "
                  "from it (the DEFAULT partition changes in the same plan, the parent is itself "
                  "a partition, or no scratch database gave this bound's constraint): ATTACH "
                  "PARTITION reads them under ACCESS EXCLUSIVE"
          : default_check
              ? "a valid CHECK on the DEFAULT partition excludes the bound: ATTACH PARTITION "
                "scans nothing; SHARE UPDATE EXCLUSIVE on the parent (PostgreSQL 12+)"
              : "ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent (PostgreSQL 12+); "
                "the new partition is empty");
      attach.step.statements = {"ALTER TABLE " + parent_relation + " ATTACH PARTITION " +
                                table.relation + " " + parent.bound};
      Targets targets = on_relation(schema, desired.name, scans);
      targets.parent = QualifiedName{parent.parent_schema, parent.parent_table};
      if (default_partition.table != nullptr) {
        targets.default_partition =
            QualifiedName{default_partition.schema, default_partition.table->name};
      }
      if (scans) {
        attach.step.estimated_rows =
            builder.row_estimate(default_partition.schema, default_partition.table->name);
      }
      builder.statement(attach,
                        scans                                  ? Statement::AttachPartitionScanning
                        : default_partition.table != nullptr ? Statement::AttachPartitionWithDefault
                                                             : Statement::AttachPartition,
                        targets);
      require_parent_indexes(builder, attach, parent);
      chain.add(std::move(attach));
      if (default_check) default_check->drop(builder, chain, begin);
    } else {
      copies_parent_settings = true;
      draft.step.statements = {"CREATE TABLE " + table.relation + " PARTITION OF " +
                               parent_relation + " " + parent.bound + partitioned_by};
      Targets targets = on_relation(schema, desired.name, false);
      targets.parent = QualifiedName{parent.parent_schema, parent.parent_table};
      builder.statement(draft, Statement::CreatePartitionOf, targets);
      require_parent_indexes(builder, draft, parent);
      builder.add(std::move(draft));
    }
  } else {
    std::vector<std::string> elements;
    for (const auto& column : desired.columns) {
      elements.push_back(column_definition(column, true, effective_not_null(desired, column)));
    }
    if (desired.primary_key) {
      elements.push_back(unique_definition(
          primary_key_name(desired), desired.primary_key->columns, desired.primary_key->include,
          false, desired.primary_key->deferrable, desired.primary_key->initially_deferred, true));
      draft.provides.push_back(key_token(schema, desired.name, desired.primary_key->columns));
    }
    for (const auto& unique : desired.unique_constraints) {
      elements.push_back(unique_definition(unique.name, unique.columns, unique.include,
                                           unique.nulls_not_distinct, unique.deferrable,
                                           unique.initially_deferred, false));
      draft.provides.push_back(key_token(schema, desired.name, unique.columns));
    }
    for (const auto& check : desired.check_constraints) elements.push_back(check_definition(check));
    std::string statement =
        std::string(desired.unlogged ? "CREATE UNLOGGED TABLE " : "CREATE TABLE ") +
        table.relation + " (";
    for (size_t element_idx = 0; element_idx < elements.size(); ++element_idx) {
      statement += (element_idx == 0 ? "\n  " : ",\n  ") + elements[element_idx];
    }
    statement += "\n)";
    if (desired.partition_by) statement += partition_by_sql(*desired.partition_by);
    statement += table_options_sql(desired.options);
    draft.step.statements = {statement};
    builder.statement(draft, Statement::CreateTable, on_relation(schema, desired.name, false));
    builder.add(std::move(draft));
  }
  // Comments ride along with the table: nobody else can see it yet.
  auto comment =
      Builder::make(Phase::Finalize, id,
                    "comment on " + label("table", schema, desired.name) + " and its columns",
                    "comments are catalog-only");
  if (desired.comment) {
    comment.step.statements.push_back(comment_sql("TABLE", table.relation, desired.comment));
    builder.statement(comment, Statement::CommentOnRelation, table.on());
  }
  for (const auto& column : desired.columns) {
    if (column.comment) {
      comment.step.statements.push_back(
          comment_sql("COLUMN", table.relation + "." + quote_ident(column.name), column.comment));
      builder.statement(comment, Statement::CommentOnTableMember, table.on());
    }
  }
  if (!comment.step.statements.empty()) builder.add(std::move(comment));
  if (desired.partition_of) {
    // A partition is created without its own keys and checks (those it
    // inherits come with ATTACH): they are added to the empty table.
    schemas::Table bare;
    bare.name = desired.name;
    bare.partition_of = desired.partition_of;
    TableContext created{builder, schema, &bare, desired, false, std::nullopt, table.relation};
    plan_primary_key(created);
    plan_unique_constraints(created);
    plan_check_constraints(created);
    plan_table_storage(created, bare);
    plan_partition_columns(created, copies_parent_settings);
  } else {
    // STORAGE and STATISTICS need the table (COMPRESSION is in its columns).
    for (const auto& column : desired.columns) plan_column_settings(table, nullptr, nullptr, column);
  }
  plan_foreign_keys(table);
  plan_exclusion_constraints(table);
  plan_relation_indexes(builder, schema, desired.name, nullptr, desired.indexes, false,
                        desired.partition_by.has_value());
  plan_triggers(table);
  plan_policies(table);
  plan_table_attributes(table);
}

void drop_table(Builder& builder, const std::string& schema, const schemas::Table& current) {
  auto draft = Builder::make(Phase::Drop, {ObjectKind::Table, schema, "", current.name},
                             "drop " + label("table", schema, current.name),
                             "rule 10: the table is not in the desired schema; its rows are lost");
  draft.step.statements = {"DROP TABLE " + quote_qualified(schema, current.name)};
  // Sequences OWNED BY its columns (serial, bigserial) are dropped with it;
  // rules_sequences.cpp plans no DROP SEQUENCE for them.
  if (const auto* current_schema = schemas::find_schema(builder.current(), schema)) {
    for (const auto& sequence : current_schema->sequences) {
      if (sequence.owned_by &&
          sequence.owned_by->rfind(schema + "." + current.name + ".", 0) == 0) {
        draft.step.rationale += "; its sequence \"" + sequence.name + "\" goes with it";
      }
    }
  }
  Targets targets = on_relation(schema, current.name);
  if (current.partition_of) {
    targets.parent =
        QualifiedName{current.partition_of->parent_schema, current.partition_of->parent_table};
  }
  // Its foreign keys' triggers on the referenced tables go with it.
  for (const auto& fk : current.foreign_keys) {
    if (!(fk.ref_schema == schema && fk.ref_table == current.name)) {
      for (auto& referenced : builder.with_partitions(fk.ref_schema, fk.ref_table)) {
        targets.referenced.push_back(std::move(referenced));
      }
    }
  }
  builder.statement(draft, Statement::DropTable, targets);
  draft.step.estimated_rows = builder.row_estimate(schema, current.name);
  const std::string token = table_token(schema, current.name);
  draft.invalidates.push_back(token);
  builder.invalidate(token);
  draft.releases.push_back("schema:" + schema);
  draft.provides.push_back("name:" + schema + "." + current.name);
  for (const auto& column : current.columns) {
    for (const auto& type : type_tokens(column.type, schema)) draft.releases.push_back(type);
    release_sequences(draft, schema, column.default_expr);
    builder.invalidate(column_token(schema, current.name, column.name));
  }
  for (const auto& fk : current.foreign_keys) {
    for (const auto& referenced : builder.with_partitions(fk.ref_schema, fk.ref_table)) {
      draft.releases.push_back(table_token(referenced.schema, referenced.name));
    }
    draft.releases.push_back(key_token(fk.ref_schema, fk.ref_table, fk.ref_columns));
  }
  // What its defaults, indexes, CHECKs, triggers and policies use, by the
  // catalog: routines and other tables may be dropped after.
  for (const auto* dependency :
       builder.dependencies_of_members(builder.current(), schema, current.name)) {
    for (auto& token : referenced_tokens(*dependency)) draft.releases.push_back(std::move(token));
  }
  for (const auto& trigger : current.triggers) draft.releases.push_back("func:" + trigger.function);
  for (const auto& policy : current.policies) {
    for (const auto& text : {policy.using_expr, policy.with_check}) {
      if (!text) continue;
      for (auto& token : routine_tokens(builder.current(), *text)) {
        draft.releases.push_back(std::move(token));
      }
    }
  }
  for (const auto& index : current.indexes)
    draft.provides.push_back("name:" + schema + "." + index.name);
  builder.add(std::move(draft));
}

void alter_table(Builder& builder, const std::string& schema, const schemas::Table& current,
                 const schemas::Table& desired) {
  TableContext table{builder,
                     schema,
                     &current,
                     desired,
                     builder.populated(schema, current.name),
                     builder.row_estimate(schema, current.name),
                     quote_qualified(schema, desired.name)};
  if (current.name != desired.name) {
    auto draft = Builder::make(
        Phase::Create, table.table_id(),
        "rename " + label("table", schema, current.name) + " to \"" + desired.name + "\"" +
            (desired.expand_contract ? ", a view under the old name until contract" : ""),
        desired.expand_contract
            ? "expand/contract: a simple view under the old name is updatable, so application "
              "versions using the old name keep reading and writing until contract drops it"
            : "renamed_from: application versions using the old name break");
    draft.step.statements = {"ALTER TABLE " + quote_qualified(schema, current.name) +
                             " RENAME TO " + quote_ident(desired.name)};
    builder.statement(draft,
                      desired.expand_contract ? Statement::RenameTableBehindView
                                              : Statement::RenameTable,
                      on_relation(schema, current.name));
    if (desired.expand_contract) {
      const std::string view = quote_qualified(schema, current.name);
      draft.step.statements.push_back("CREATE VIEW " + view + " AS SELECT * FROM " +
                                      quote_qualified(schema, desired.name));
      builder.statement(draft, Statement::CreateView, {});
      draft.step.statements.push_back(comment_sql(
          "VIEW", view, std::string(schemas::kCompatibilityViewComment) + desired.name));
      builder.statement(draft, Statement::CommentOnRelation, on_relation(schema, current.name));
    }
    draft.provides.push_back(table_token(schema, desired.name));
    draft.requires_.push_back("name:" + schema + "." + desired.name);
    for (const auto& column : current.columns) {
      draft.provides.push_back(table.column_token_of(column.name));
    }
    builder.add(std::move(draft));
  }
  if (!(current.partition_by == desired.partition_by)) {
    builder.diagnose(plans::Severity::Error, table.table_id(),
                     "cannot change the partitioning of " + label("table", schema, desired.name) +
                         " in place; create a new table and move the rows");
  }
  // The table as the catalog shows it once detached and attached (rule 14):
  // a change of parent or bound is a detach, then an attach.
  schemas::Table detached;
  schemas::Table attached;
  // A detach left pending (an interrupted DETACH ... CONCURRENTLY) hides the
  // partition's rows from its parent: finished, then attached again when the
  // desired schema keeps it.
  const bool pending = builder.current().facts.pending_detach.count(schema + "." + current.name) != 0;
  const bool detaches =
      current.partition_of && (pending || !(current.partition_of == desired.partition_of));
  if (detaches) {
    detached = current;
    if (!detach_partition(table, detached)) return;
    table.current = &detached;
  }
  if (desired.partition_of && !(table.current->partition_of == desired.partition_of)) {
    attached = *table.current;
    if (!attach_existing_table(table, attached)) return;
    table.current = &attached;
  }
  if (desired.partition_of) {
    // A partition's columns come from its parent, their defaults, NOT NULL
    // and settings are its own; its own keys, checks, foreign keys, indexes
    // and triggers (those it inherits are not in either model) are planned
    // like any table's.
    plan_partition_columns(table);
  } else {
    plan_columns(table);  // a detached table's columns are its own
  }
  plan_primary_key(table);
  plan_unique_constraints(table);
  plan_check_constraints(table);
  plan_foreign_keys(table);
  plan_exclusion_constraints(table);
  plan_relation_indexes(builder, schema, desired.name, &table.current->indexes, desired.indexes,
                        table.populated, desired.partition_by.has_value(), table.retyped);
  plan_table_storage(table, *table.current);
  plan_triggers(table);
  plan_policies(table);
  plan_table_attributes(table);
}

}  // namespace

void plan_table_attributes(TableContext& table) {
  Builder& builder = table.builder;
  const schemas::Table* current = table.current;
  const bool identity_changed =
      current != nullptr ? (current->replica_identity != table.desired.replica_identity ||
                            current->replica_identity_index != table.desired.replica_identity_index)
                         : table.desired.replica_identity != schemas::ReplicaIdentity::Default;
  if (identity_changed) {
    auto draft = Builder::make(
        Phase::Finalize, table.table_id(),
        "set the replica identity of " + label("table", table.schema, table.desired.name),
        "replica identity is a catalog property");
    draft.step.statements = {table.alter() + replica_identity_sql(table.desired)};
    builder.statement(draft, Statement::ReplicaIdentity, table.on());
    if (table.desired.replica_identity_index) {
      draft.requires_.push_back("index:" + table.schema + "." +
                                *table.desired.replica_identity_index);
    }
    builder.add(std::move(draft));
  }
  if (current != nullptr && current->comment != table.desired.comment) {
    auto draft = Builder::make(Phase::Finalize, table.table_id(),
                               "comment on " + label("table", table.schema, table.desired.name),
                               "comments are catalog-only");
    draft.step.statements = {comment_sql("TABLE", table.relation, table.desired.comment)};
    builder.statement(draft, Statement::CommentOnRelation, table.on());
    builder.add(std::move(draft));
  }
}

void plan_tables(Builder& builder) {
  for (const auto& [current_schema, desired_schema] :
       match_by_name(&builder.current().schemas, builder.desired().schemas)) {
    const std::string& schema = (desired_schema ? desired_schema : current_schema)->name;
    static const std::vector<schemas::Table> kNone;
    for (const auto& [current, desired] :
         match_by_name(current_schema ? &current_schema->tables : nullptr,
                       desired_schema ? desired_schema->tables : kNone)) {
      if (desired == nullptr) {
        drop_table(builder, schema, *current);
      } else if (current == nullptr) {
        create_table(builder, schema, *desired);
      } else {
        alter_table(builder, schema, *current, *desired);
      }
    }
  }
}

}  // namespace pgshift::planner::detail
