// Owners of the objects of the managed schemas (with manage_owners: true).
//
// Only objects the desired state gives an `owner:` are compared; the others
// keep whatever owner they have. The role must exist on the server (pgshift
// creates no roles): refused by name.
//   - an object the plan creates, or drops and creates again, is created by
//     the role running the plan (CatalogFacts::current_role): its creating
//     step ends with OWNER TO (OwnerOnCreated, no hazard), before the grants
//     rules_privileges.cpp puts there, so no session ever sees it with
//     another owner;
//   - an existing object whose owner differs gets a step of its own
//     (AlterRelationOwner for tables, views, materialized views, sequences
//     and composite types; AlterObjectOwner for schemas, routines, enums and
//     domains), after the object's other changes and before its privileges
//     step, which compares against the new owner (owner_token).
// A sequence owned by a column follows its table's owner: the loader refuses
// an owner on it, and the catalog reader gives it none.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

namespace {

// "ALTER TABLE s.t", "ALTER FUNCTION s.f(integer)", "ALTER SCHEMA s": what
// OWNER TO follows.
std::string alter_sql(const schemas::Database& desired, const ObjectId& id) {
  switch (id.kind) {
    case ObjectKind::Schema:
      return "ALTER SCHEMA " + quote_ident(id.name);
    case ObjectKind::Table:
      return "ALTER TABLE " + quote_qualified(id.schema, id.name);
    case ObjectKind::View:
      return "ALTER VIEW " + quote_qualified(id.schema, id.name);
    case ObjectKind::MaterializedView:
      return "ALTER MATERIALIZED VIEW " + quote_qualified(id.schema, id.name);
    case ObjectKind::Sequence:
      return "ALTER SEQUENCE " + quote_qualified(id.schema, id.name);
    case ObjectKind::Function:
    case ObjectKind::Procedure: {
      const schemas::Schema* schema = schemas::find_schema(desired, id.schema);
      if (schema != nullptr) {
        for (const auto& function : schema->functions) {
          if (schemas::function_signature(function) == id.name) {
            return std::string(function.is_procedure ? "ALTER PROCEDURE " : "ALTER FUNCTION ") +
                   function_target(id.schema, function);
          }
        }
      }
      break;
    }
    case ObjectKind::Domain:
      return "ALTER DOMAIN " + quote_qualified(id.schema, id.name);
    case ObjectKind::Enum:
    case ObjectKind::CompositeType:
      return "ALTER TYPE " + quote_qualified(id.schema, id.name);
    case ObjectKind::Extension:
    case ObjectKind::Column:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return "ALTER " + std::string(schemas::object_kind_name(id.kind)) + " " +
         quote_qualified(id.schema, id.name);
}

// The statement changing the owner of an existing object: relations (and a
// composite type, whose pg_class entry the server locks) are ALTER TABLE's
// AT_ChangeOwner; the others lock no relation.
Statement existing_statement(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Table:
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
    case ObjectKind::Sequence:
    case ObjectKind::CompositeType:
      return Statement::AlterRelationOwner;
    case ObjectKind::Schema:
    case ObjectKind::Extension:
    case ObjectKind::Column:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::Function:
    case ObjectKind::Procedure:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return Statement::AlterObjectOwner;
}

bool is_relation(ObjectKind kind) {
  return existing_statement(kind) == Statement::AlterRelationOwner;
}

// The current object `id` stands for: a table renamed by renamed_from is
// still under its old name (views, materialized views and sequences are
// renamed in `current` before the rules run, tables moved likewise).
const std::optional<std::string>* current_owner(const Builder& builder, const ObjectId& id) {
  const auto* found = schemas::find_owner(builder.current(), id);
  if (found != nullptr || id.kind != ObjectKind::Table) return found;
  const schemas::Table* table = schemas::find_table(builder.desired(), id.schema, id.name);
  if (table == nullptr || !table->renamed_from) return nullptr;
  return schemas::find_owner(builder.current(),
                             {ObjectKind::Table, id.schema, "", *table->renamed_from});
}

}  // namespace

std::string owner_token(const ObjectId& id) {
  if (id.kind == ObjectKind::Schema) return "owner:schema:" + id.name;
  if (id.kind == ObjectKind::Column) return "owner:" + id.schema + "." + id.table;
  return "owner:" + id.schema + "." + id.name;
}

// The object that owns `id`: a column's relation, else `id` itself.
ObjectId owned_object(const Builder& builder, const ObjectId& id) {
  if (id.kind != ObjectKind::Column) return id;
  ObjectId owned{ObjectKind::Table, id.schema, "", id.table};
  const schemas::Schema* schema = schemas::find_schema(builder.desired(), id.schema);
  if (schema != nullptr && schemas::find_named(schema->views, id.table) != nullptr) {
    owned.kind = ObjectKind::View;
  } else if (schema != nullptr &&
             schemas::find_named(schema->materialized_views, id.table) != nullptr) {
    owned.kind = ObjectKind::MaterializedView;
  }
  return owned;
}

std::optional<std::string> desired_owner(const Builder& builder, const ObjectId& id) {
  if (!builder.desired().manage_owners) return std::nullopt;
  const auto* wanted = schemas::find_owner(builder.desired(), owned_object(builder, id));
  return wanted != nullptr ? *wanted : std::nullopt;
}

std::optional<std::pair<std::string, std::string>> owner_change(const Builder& builder,
                                                                const ObjectId& id,
                                                                bool created) {
  const auto wanted = desired_owner(builder, id);
  if (!wanted) return std::nullopt;
  std::string from;
  if (created) {
    from = builder.current().facts.current_role;
  } else {
    const auto* now = current_owner(builder, owned_object(builder, id));
    if (now == nullptr || !*now) return std::nullopt;
    from = **now;
  }
  if (from.empty() || from == *wanted) return std::nullopt;
  return std::make_pair(from, *wanted);
}

void plan_owners(Builder& builder) {
  const auto& desired = builder.desired();
  if (!desired.manage_owners) return;
  const auto& facts = builder.current().facts;
  // Objects the plan creates or creates again, and the transactional step
  // that does it.
  std::map<ObjectId, size_t> creating;
  std::set<ObjectId> recreated;
  for (size_t draft_idx = 0; draft_idx < builder.drafts().size(); ++draft_idx) {
    const StepDraft& draft = builder.drafts()[draft_idx];
    for (const Statement kind : draft.kinds) {
      if (recreates_object(kind)) recreated.insert(draft.step.object);
      if (creates_object(kind) && draft.step.transactional) creating[draft.step.object] = draft_idx;
    }
  }
  auto find_in = [](const auto& objects, const ObjectId& id) -> std::optional<size_t> {
    for (const auto& entry : objects) {
      if (same_object(entry.first, id)) return entry.second;
    }
    return std::nullopt;
  };
  // A sequence the plan creates for a column (OWNED BY) must have its
  // table's owner before OWNED BY (the server refuses otherwise): the
  // table's current owner when it exists (a later OWNER TO of the table
  // takes the sequence along), else the owner the table is created with.
  for (const auto& schema : desired.schemas) {
    for (const auto& sequence : schema.sequences) {
      if (!sequence.owned_by) continue;
      const ObjectId id{ObjectKind::Sequence, schema.name, "", sequence.name};
      const auto into = find_in(creating, id);
      if (!into) continue;
      const auto parts = split_owned_by(*sequence.owned_by);
      if (!parts) continue;
      const ObjectId table{ObjectKind::Table, parts->schema, "", parts->table};
      const auto* now = current_owner(builder, table);
      std::optional<std::string> role;
      if (now != nullptr) {
        role = *now;
      } else if (const auto* wanted = schemas::find_owner(desired, table)) {
        role = *wanted;
      }
      if (!role || *role == facts.current_role || facts.roles.count(*role) == 0) continue;
      StepDraft& draft = builder.at(*into);
      draft.step.statements.push_back(alter_sql(desired, id) + " OWNER TO " + quote_ident(*role));
      builder.statement(draft, Statement::OwnerOnCreated, {});
      draft.step.summary += " owned by \"" + schemas::printable(*role) + "\" as its table";
    }
  }
  for (const auto& [id, owner] : schemas::owned_objects(desired)) {
    if (!*owner) continue;
    const std::string& role = **owner;
    if (facts.server_version_num != 0 && facts.roles.count(role) == 0) {
      builder.diagnose(plans::Severity::Error, id,
                       "owner of " + schemas::describe(id) + " names role \"" +
                           schemas::printable(role) +
                           "\", which does not exist on the server; pgshift does not create "
                           "roles (they belong to the whole server): create it first");
      continue;
    }
    const bool is_recreated = std::any_of(recreated.begin(), recreated.end(),
                                          [&](const ObjectId& object) {
                                            return same_object(object, id);
                                          });
    const auto* now = current_owner(builder, id);
    const bool existed = now != nullptr && !is_recreated;
    const auto change = owner_change(builder, id, !existed);
    if (!change) continue;
    const std::string statement = alter_sql(desired, id) + " OWNER TO " + quote_ident(role);
    if (!existed) {
      if (const auto into = find_in(creating, id)) {
        StepDraft& draft = builder.at(*into);
        draft.step.statements.push_back(statement);
        builder.statement(draft, Statement::OwnerOnCreated, {});
        draft.step.summary += " owned by \"" + schemas::printable(role) + "\"";
        continue;
      }
    }
    auto draft = Builder::make(
        Phase::Finalize, id,
        "change owner of " + schemas::describe(id) + " from \"" +
            schemas::printable(change->first) + "\" to \"" + schemas::printable(role) + "\"",
        is_relation(id.kind)
            ? "ALTER ... OWNER TO updates the catalog under ACCESS EXCLUSIVE (indexes and owned "
              "sequences follow a table); the new owner gains every right, the old one loses its "
              "own"
            : "OWNER TO updates the catalog, no relation lock; the new owner gains every right, "
              "the old one loses its own");
    draft.step.statements.push_back(statement);
    const Statement kind = existed ? existing_statement(id.kind) : Statement::OwnerOnCreated;
    const bool relation_target = is_relation(id.kind) && existed;
    builder.statement(draft, kind,
                      relation_target
                          ? on_relation(id.schema, id.name,
                                        id.kind == ObjectKind::Table
                                            ? builder.populated(id.schema, id.name)
                                            : true)
                          : Targets{});
    draft.requires_.push_back(object_token(id));
    draft.provides.push_back(owner_token(id));
    draft.sequence = 1;
    builder.add(std::move(draft));
  }
}

}  // namespace pgshift::planner::detail
