// Privileges (GRANT / REVOKE) of the objects of the managed schemas.
//
// The model keeps each object's privileges as their difference from the
// default of an untouched object (schemas::Privileges), so the plan compares
// that difference on both sides, privilege by privilege:
//   - on an object the plan creates, or drops and creates again (a view
//     around a column type change, a routine whose result changes, an enum
//     replaced), the object starts from its default: every desired grant and
//     revoke goes into the very step that creates it (GrantOnCreated /
//     RevokeOnCreated, no hazard), so no session ever sees it with other
//     privileges (a function meant to be revoked from PUBLIC is never
//     callable by everyone, a recreated view never lacks its grants);
//   - on an object that exists and stays, a step after it of GRANTs
//     (GrantPrivileges: access_widened) and REVOKEs (RevokePrivileges:
//     access_narrowed), a renamed table or column keeping its own;
//   - an object the plan drops needs no revoke.
// A role a desired grant names must exist on the server (pgshift creates no
// roles): refused by name.
//
// Default privileges (ALTER DEFAULT PRIVILEGES, keyed like privileges by
// schemas::default_privileges_id) are compared the same way, one step per
// entry (AlterDefaultPrivilegesGrant: access_widened; ...Revoke:
// access_narrowed), and run before every step of the plan that creates an
// object in their schema (database-wide ones: before every creating step),
// so the objects the plan creates get them. An object the plan creates then
// starts from what they give it when the role running the plan
// (CatalogFacts::current_role) creates it, not from the built-in default:
// its creating step grants and revokes only the difference to its own
// desired privileges.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;
using schemas::Privileges;

namespace {

// (role, privilege) -> with grant option.
using Held = std::map<std::pair<std::string, std::string>, bool>;

struct Flat {
  Held grants;
  std::set<std::pair<std::string, std::string>> revoked;
};

Flat flatten(const Privileges* entry) {
  Flat flat;
  if (entry == nullptr) return flat;
  for (const auto& grant : entry->grants) {
    for (const auto& privilege : grant.privileges) {
      bool& option = flat.grants[{grant.role, privilege}];
      option = option || grant.with_grant_option;
    }
  }
  for (const auto& grant : entry->revoked) {
    for (const auto& privilege : grant.privileges) flat.revoked.insert({grant.role, privilege});
  }
  return flat;
}

// `flat` as the server leaves it when the object's owner changes from
// `change->first` to `change->second` (aclnewowner): entries naming the old
// owner name the new one, merged with what the new owner held, so a grant to
// the new owner is one of its implicit rights and a right the old owner had
// revoked from itself stays revoked unless the new owner held it.
Flat after_owner_change(Flat flat,
                        const std::optional<std::pair<std::string, std::string>>& change) {
  if (!change) return flat;
  const auto& [from, to] = *change;
  std::set<std::string> held;
  for (auto grant = flat.grants.begin(); grant != flat.grants.end();) {
    if (grant->first.first == to) {
      held.insert(grant->first.second);
      grant = flat.grants.erase(grant);
    } else {
      ++grant;
    }
  }
  std::set<std::pair<std::string, std::string>> revoked;
  for (const auto& [role, privilege] : flat.revoked) {
    if (role == to) continue;
    if (role == from) {
      if (held.count(privilege) == 0) revoked.insert({to, privilege});
      continue;
    }
    revoked.insert({role, privilege});
  }
  flat.revoked = std::move(revoked);
  return flat;
}

const Privileges* find_entry(const schemas::Schema* schema, const ObjectId& id) {
  if (schema == nullptr) return nullptr;
  for (const auto& entry : schema->privileges) {
    if (entry.object == id) return &entry;
  }
  return nullptr;
}

std::string role_sql(const std::string& role) {
  return role == schemas::kPublicRole ? "PUBLIC" : quote_ident(role);
}

// The privilege (role, privilege) an untouched object of `objects` made by
// `owner` holds by the built-in default (acldefault): the owner everything,
// PUBLIC EXECUTE on functions and USAGE on types.
bool built_in(const std::string& objects, const std::string& owner, const std::string& role,
              const std::string& privilege) {
  if (role == owner) return true;
  if (role != schemas::kPublicRole) return false;
  return (objects == "functions" && privilege == "EXECUTE") ||
         (objects == "types" && privilege == "USAGE");
}

const Privileges* find_default(const std::vector<Privileges>& entries, const ObjectId& id) {
  for (const auto& entry : entries) {
    if (entry.object == id) return &entry;
  }
  return nullptr;
}

// What an object of `kind` that the plan creates in `schema` holds, as its
// difference from the built-in default: the desired database-wide default
// privileges for the role running the plan (or the built-in default), with
// the schema's added. Nothing when the role is unknown (not read from a
// catalog) or the kind has no default privileges (a column).
Flat created_with_defaults(const Builder& builder, const std::string& schema, ObjectKind kind) {
  const std::string& owner = builder.current().facts.current_role;
  const std::string objects = schemas::default_privileges_objects(kind);
  if (owner.empty() || objects.empty()) return {};
  const auto& desired = builder.desired();
  Flat flat = flatten(
      find_default(desired.default_privileges, schemas::default_privileges_id("", owner, objects)));
  const schemas::Schema* in = schemas::find_schema(desired, schema);
  if (in == nullptr || kind == ObjectKind::Schema) return flat;
  const Flat added = flatten(
      find_default(in->default_privileges, schemas::default_privileges_id(schema, owner, objects)));
  for (const auto& [key, option] : added.grants) {
    const bool taken = flat.revoked.erase(key) > 0;
    if (!taken && flat.grants.count(key) == 0 && built_in(objects, owner, key.first, key.second)) {
      if (option) flat.grants[key] = true;
      continue;
    }
    if (taken && !option) continue;
    bool& held = flat.grants[key];
    held = held || option;
  }
  return flat;
}

// What GRANT ... ON names: "TABLE s.t", "FUNCTION s.f(integer)", "SCHEMA s".
std::string object_sql(const schemas::Schema& schema, const ObjectId& id) {
  switch (id.kind) {
    case ObjectKind::Schema:
      return "SCHEMA " + quote_ident(id.name);
    case ObjectKind::Column:
      return "TABLE " + quote_qualified(id.schema, id.table);
    case ObjectKind::Table:
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return "TABLE " + quote_qualified(id.schema, id.name);
    case ObjectKind::Sequence:
      return "SEQUENCE " + quote_qualified(id.schema, id.name);
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      for (const auto& function : schema.functions) {
        if (schemas::function_signature(function) == id.name) {
          return std::string(function.is_procedure ? "PROCEDURE " : "FUNCTION ") +
                 function_target(schema.name, function);
        }
      }
      return "FUNCTION " + quote_qualified(id.schema, id.name);
    case ObjectKind::Domain:
      return "DOMAIN " + quote_qualified(id.schema, id.name);
    case ObjectKind::Enum:
    case ObjectKind::CompositeType:
      return "TYPE " + quote_qualified(id.schema, id.name);
    case ObjectKind::Extension:
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
  return quote_qualified(id.schema, id.name);
}

// The object a step creates: a column's relation.
ObjectId created_with(const ObjectId& id) {
  if (id.kind != ObjectKind::Column) return id;
  return {ObjectKind::Table, id.schema, "", id.table};
}

// Desired ids by the ids their objects have in the current model: a table
// or column renamed (renamed_from) keeps its privileges under the new name.
std::map<ObjectId, ObjectId> renames(const schemas::Schema& desired,
                                     const schemas::Schema* current) {
  std::map<ObjectId, ObjectId> previous;
  if (current == nullptr) return previous;
  for (const auto& table : desired.tables) {
    std::string old_table = table.name;
    if (table.renamed_from && schemas::find_named(current->tables, table.name) == nullptr &&
        schemas::find_named(current->tables, *table.renamed_from) != nullptr) {
      old_table = *table.renamed_from;
      previous[{ObjectKind::Table, desired.name, "", table.name}] = {ObjectKind::Table,
                                                                     desired.name, "", old_table};
    }
    const schemas::Table* before = schemas::find_named(current->tables, old_table);
    if (before == nullptr) continue;
    for (const auto& column : table.columns) {
      std::string old_column = column.name;
      if (column.renamed_from && schemas::find_named(before->columns, column.name) == nullptr) {
        old_column = *column.renamed_from;
      }
      if (old_table != table.name || old_column != column.name) {
        previous[{ObjectKind::Column, desired.name, table.name, column.name}] = {
            ObjectKind::Column, desired.name, old_table, old_column};
      }
    }
  }
  return previous;
}

// One statement kind and its SQL: one statement, or for a revoke as the
// grantor `SET LOCAL ROLE`, the REVOKE and `RESET ROLE`.
struct Change {
  Statement kind;
  std::vector<std::string> texts;
};

// Grants on one existing object made by roles other than its owner
// (CatalogFacts::grants_by_others), by (grantee, privilege).
using Grantors =
    std::map<std::pair<std::string, std::string>, std::vector<const schemas::GrantByOther*>>;

Grantors grantors_of(const schemas::CatalogFacts& facts, const ObjectId& id) {
  Grantors grantors;
  for (const auto& grant : facts.grants_by_others) {
    if (grant.object == id) grantors[{grant.role, grant.privilege}].push_back(&grant);
  }
  return grantors;
}

// One REVOKE (or REVOKE GRANT OPTION FOR) of `privileges` from `role` as
// `grantor` ("": the role running the plan, which acts as the owner).
struct Revoke {
  std::string grantor;
  bool option = false;
  std::string role;
  std::vector<std::string> privileges;
};

// The revokes of (role, privilege) pairs, each as every role that granted
// it: as the owner (the role running the plan) when it granted it or no other
// role did, and as each other grantor (a revoke of the grant option: each
// that gave it with the grant option). Ordered so that the grants a role
// made are revoked before that role loses the privilege or its grant option:
// the server refuses to revoke a grant option that dependent grants rest on
// (without CASCADE).
std::vector<Revoke> revokes(const std::map<std::pair<std::string, std::string>, bool>& pairs,
                            const Grantors& grantors) {
  std::map<std::tuple<std::string, bool, std::string>, std::vector<std::string>> grouped;
  for (const auto& [key, option] : pairs) {
    const auto& [role, privilege] = key;
    const auto found = grantors.find(key);
    const bool by_owner =
        found == grantors.end() ||
        std::any_of(found->second.begin(), found->second.end(),
                    [](const schemas::GrantByOther* grant) { return grant->also_by_owner; });
    if (by_owner) grouped[{"", option, role}].push_back(privilege);
    if (found == grantors.end()) continue;
    for (const auto* grant : found->second) {
      if (option && !grant->with_grant_option) continue;
      grouped[{grant->grantor, option, role}].push_back(privilege);
    }
  }
  std::vector<Revoke> pending;
  for (auto& [key, privileges] : grouped) {
    pending.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), privileges});
  }
  // A revoke waits while another one revokes a grant its role made.
  auto waits = [&](const Revoke& revoke) {
    return std::any_of(pending.begin(), pending.end(), [&](const Revoke& other) {
      if (&other == &revoke || other.grantor != revoke.role) return false;
      return std::any_of(
          revoke.privileges.begin(), revoke.privileges.end(), [&](const std::string& privilege) {
            return std::find(other.privileges.begin(), other.privileges.end(), privilege) !=
                   other.privileges.end();
          });
    });
  };
  std::vector<Revoke> ordered;
  while (!pending.empty()) {
    auto next = std::find_if(pending.begin(), pending.end(),
                             [&](const Revoke& revoke) { return !waits(revoke); });
    if (next == pending.end()) next = pending.begin();  // a cycle: the server names it
    ordered.push_back(std::move(*next));
    pending.erase(next);
  }
  return ordered;
}

// The statements from `before` to `after` on one object, one per role and
// direction: "GRANT SELECT, INSERT ON TABLE s.t TO r".
// `prefix` goes before each statement ("ALTER DEFAULT PRIVILEGES FOR ROLE r
// "), the statement kinds are `grant_kind` and `revoke_kind`; a grant another
// role made (`grantors`, only on an existing object) is revoked as it
// (RevokeAsGrantor).
std::vector<Change> changes(const ObjectId& id, const std::string& target, const Flat& before,
                            const Flat& after, const std::string& prefix, Statement grant_kind,
                            Statement revoke_kind, const Grantors& grantors = {}) {
  // role -> privileges, by statement form.
  std::map<std::string, std::vector<std::string>> grant, grant_option;
  // (role, privilege) -> whether only its grant option is revoked.
  std::map<std::pair<std::string, std::string>, bool> revoke;
  for (const auto& [key, option] : after.grants) {
    const auto found = before.grants.find(key);
    if (found == before.grants.end() || (option && !found->second)) {
      (option ? grant_option : grant)[key.first].push_back(key.second);
    } else if (!option && found->second) {
      revoke[key] = true;
    }
  }
  for (const auto& [key, option] : before.grants) {
    if (after.grants.count(key) == 0) revoke[key] = false;
  }
  for (const auto& key : after.revoked) {
    if (before.revoked.count(key) == 0) revoke[key] = false;
  }
  for (const auto& key : before.revoked) {
    if (after.revoked.count(key) == 0) grant[key.first].push_back(key.second);
  }
  auto list = [&](std::vector<std::string> privileges) {
    std::string text;
    for (const auto& privilege : privileges) {
      text += (text.empty() ? "" : ", ") + privilege;
      if (id.kind == ObjectKind::Column) text += " (" + quote_ident(id.name) + ")";
    }
    return text;
  };
  std::vector<Change> out;
  for (const auto& revoke : revokes(revoke, grantors)) {
    const std::string text = prefix + "REVOKE " + (revoke.option ? "GRANT OPTION FOR " : "") +
                             list(revoke.privileges) + " ON " + target + " FROM " +
                             role_sql(revoke.role);
    if (revoke.grantor.empty()) {
      out.push_back({revoke_kind, {text}});
    } else {
      out.push_back({Statement::RevokeAsGrantor,
                     {"SET LOCAL ROLE " + quote_ident(revoke.grantor), text, "RESET ROLE"}});
    }
  }
  for (const auto& [role, privileges] : grant) {
    out.push_back(
        {grant_kind,
         {prefix + "GRANT " + list(privileges) + " ON " + target + " TO " + role_sql(role)}});
  }
  for (const auto& [role, privileges] : grant_option) {
    out.push_back({grant_kind,
                   {prefix + "GRANT " + list(privileges) + " ON " + target + " TO " +
                    role_sql(role) + " WITH GRANT OPTION"}});
  }
  return out;
}

// Refusals of the revokes on one existing object that a REVOKE cannot do: a
// grant by a role the planning role cannot SET ROLE to, or by a superuser (as
// which REVOKE acts as the owner); a role losing a privilege or its grant
// option while a grant it made of that privilege stays (the server refuses
// the REVOKE without CASCADE, and CASCADE would take it from its grantee).
// A relation's grant option revoked also strands the column grants its
// holder made on that relation (the server checks only the relation's ACL):
// refused as well when the desired state keeps such a column grant
// (`desired`: the relation's schema).
void check_revokes(Builder& builder, const ObjectId& id, const ObjectId& old_id,
                   const std::string& target, const Flat& before, const Flat& after,
                   const Grantors& grantors, const schemas::Schema& desired) {
  std::set<std::pair<std::string, std::string>> lost, option_lost;
  for (const auto& [key, option] : before.grants) {
    const auto found = after.grants.find(key);
    if (found == after.grants.end()) {
      lost.insert(key);
    } else if (option && !found->second) {
      option_lost.insert(key);
    }
  }
  for (const auto& key : after.revoked) {
    if (before.revoked.count(key) == 0) lost.insert(key);
  }
  const std::string& planner_role = builder.current().facts.current_role;
  const std::string what = "privileges of " + schemas::describe(id) + ": ";
  for (const auto& [key, grants] : grantors) {
    const auto& [role, privilege] = key;
    const bool revoked = lost.count(key) > 0;
    for (const auto* grant : grants) {
      if (!revoked && !(option_lost.count(key) > 0 && grant->with_grant_option)) continue;
      const std::string names =
          privilege + " granted to " +
          (role == schemas::kPublicRole ? std::string("PUBLIC")
                                        : "role \"" + schemas::printable(role) + "\"") +
          " by role \"" + schemas::printable(grant->grantor) + "\" (not the owner)";
      const std::string column =
          id.kind == ObjectKind::Column ? " (" + quote_ident(id.name) + ")" : "";
      const std::string by_hand =
          "revoke it as \"" + schemas::printable(grant->grantor) + "\" (SET ROLE " +
          quote_ident(grant->grantor) + "; REVOKE " + (revoked ? "" : "GRANT OPTION FOR ") +
          privilege + column + " ON " + target + " FROM " + role_sql(role) + "), then plan again";
      if (grant->grantor_superuser) {
        builder.diagnose(plans::Severity::Error, id,
                         what + names +
                             " cannot be revoked: a REVOKE removes only the grants "
                             "of the role running it, and run as \"" +
                             schemas::printable(grant->grantor) +
                             "\", a superuser, it acts as the owner; as the owner, REVOKE GRANT "
                             "OPTION FOR " +
                             privilege + column + " ON " + target + " FROM " +
                             quote_ident(grant->grantor) +
                             " CASCADE removes the grants it made (and its grant option), "
                             "then plan again");
      } else if (!grant->can_set_role) {
        builder.diagnose(plans::Severity::Error, id,
                         what + names +
                             " cannot be revoked: a REVOKE removes only the grants "
                             "of the role running it (REVOKE ... GRANTED BY accepts only the "
                             "current user), and the planning role (\"" +
                             schemas::printable(planner_role) + "\") may not SET ROLE to \"" +
                             schemas::printable(grant->grantor) +
                             "\" (not a member of it, or on PostgreSQL 16+ without the SET "
                             "option); run the plan as a role that may, or " +
                             by_hand);
      }
    }
  }
  auto refuse_kept = [&](const std::string& grantor, const std::string& privilege,
                         const std::string& role, const std::string& on) {
    const std::pair<std::string, std::string> from{grantor, privilege};
    builder.diagnose(
        plans::Severity::Error, id,
        what + "role \"" + schemas::printable(grantor) + "\" loses " + privilege +
            (lost.count(from) > 0 ? "" : "'s grant option") + ", but it granted " + privilege + on +
            " to " +
            (role == schemas::kPublicRole ? std::string("PUBLIC")
                                          : "role \"" + schemas::printable(role) + "\"") +
            ", which the desired state keeps: the server refuses the REVOKE while that grant "
            "rests on it (or, for a column, keeps a grant its grantor can no longer revoke), "
            "and CASCADE would take the privilege from its grantee too; remove that grant from "
            "the desired state as well, or grant it again as the owner and revoke it as \"" +
            schemas::printable(grantor) + "\" by hand first");
  };
  auto loses = [&](const std::string& grantor, const std::string& privilege) {
    const std::pair<std::string, std::string> from{grantor, privilege};
    return lost.count(from) > 0 || option_lost.count(from) > 0;
  };
  // Column grants a losing role made on the relation that stay.
  if (id.kind == ObjectKind::Table || id.kind == ObjectKind::View ||
      id.kind == ObjectKind::MaterializedView) {
    for (const auto& grant : builder.current().facts.grants_by_others) {
      const ObjectId& column = grant.object;
      if (column.kind != ObjectKind::Column || column.schema != old_id.schema ||
          column.table != old_id.name || !loses(grant.grantor, grant.privilege)) {
        continue;
      }
      const Flat kept =
          flatten(find_entry(&desired, {ObjectKind::Column, desired.name, id.name, column.name}));
      if (kept.grants.count({grant.role, grant.privilege}) == 0) continue;
      refuse_kept(grant.grantor, grant.privilege, grant.role,
                  " (" + quote_ident(column.name) + ")");
    }
  }
  if (grantors.empty()) return;
  // Grants a losing role made that stay.
  for (const auto& [key, grants] : grantors) {
    const auto& [role, privilege] = key;
    if (lost.count(key) > 0) continue;
    for (const auto* grant : grants) {
      if (loses(grant->grantor, privilege)) refuse_kept(grant->grantor, privilege, role, "");
    }
  }
}

void check_roles(Builder& builder, const Privileges& entry) {
  const auto& facts = builder.current().facts;
  if (facts.server_version_num == 0) return;  // not read from a catalog
  std::set<std::string> missing;
  const bool defaults = entry.object.kind == ObjectKind::DefaultPrivileges;
  if (defaults && facts.roles.count(entry.object.table) == 0) missing.insert(entry.object.table);
  for (const auto* side : {&entry.grants, &entry.revoked}) {
    for (const auto& grant : *side) {
      if (grant.role != schemas::kPublicRole && facts.roles.count(grant.role) == 0) {
        missing.insert(grant.role);
      }
    }
  }
  for (const auto& role : missing) {
    builder.diagnose(plans::Severity::Error, entry.object,
                     (defaults ? "" : "privileges of ") + schemas::describe(entry.object) +
                         " name role \"" +
                         schemas::printable(role) +
                         "\", which does not exist on the server; pgshift does not create roles "
                         "(they belong to the whole server): create it first");
  }
}

// "TABLES", ... as ALTER DEFAULT PRIVILEGES names them.
std::string objects_sql(const std::string& objects) {
  std::string upper = objects;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

// One step per default privileges entry that differs; returns the steps'
// indices by schema ("" for the database-wide ones).
std::map<std::string, std::vector<size_t>> plan_default_privileges(Builder& builder) {
  std::map<std::string, std::vector<size_t>> steps;
  auto compare = [&](const std::string& schema, const std::vector<Privileges>* current,
                     const std::vector<Privileges>& desired) {
    std::set<ObjectId> keys;
    for (const auto& entry : desired) keys.insert(entry.object);
    if (current != nullptr) {
      for (const auto& entry : *current) keys.insert(entry.object);
    }
    for (const auto& id : keys) {
      const Privileges* wanted = find_default(desired, id);
      if (wanted != nullptr) check_roles(builder, *wanted);
      const Flat before = flatten(current != nullptr ? find_default(*current, id) : nullptr);
      const std::string prefix =
          "ALTER DEFAULT PRIVILEGES FOR ROLE " + quote_ident(id.table) +
          (schema.empty() ? std::string(" ") : " IN SCHEMA " + quote_ident(schema) + " ");
      const auto statements =
          changes(id, objects_sql(id.name), before, flatten(wanted), prefix,
                  Statement::AlterDefaultPrivilegesGrant, Statement::AlterDefaultPrivilegesRevoke);
      if (statements.empty()) continue;
      auto draft = Builder::make(
          Phase::Prepare, id, "set " + schemas::describe(id),
          "a pg_default_acl row, no relation lock; before the plan creates objects" +
              std::string(schema.empty() ? "" : " in the schema") +
              ", so those it creates as the role get them");
      for (const auto& change : statements) {
        for (const auto& text : change.texts) draft.step.statements.push_back(text);
        builder.statement(draft, change.kind, {});
      }
      if (!schema.empty()) draft.requires_.push_back("schema:" + schema);
      steps[schema].push_back(builder.add(std::move(draft)));
    }
  };
  compare("", &builder.current().default_privileges, builder.desired().default_privileges);
  for (const auto& desired : builder.desired().schemas) {
    const schemas::Schema* current = schemas::find_schema(builder.current(), desired.name);
    compare(desired.name, current != nullptr ? &current->default_privileges : nullptr,
            desired.default_privileges);
  }
  return steps;
}

}  // namespace

void plan_privileges(Builder& builder) {
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
  auto creation_step = [&](const ObjectId& id) -> std::optional<size_t> {
    const ObjectId relation = created_with(id);
    for (const auto& [object, index] : creating) {
      if (same_object(object, relation)) return index;
    }
    return std::nullopt;
  };
  auto is_recreated = [&](const ObjectId& id) {
    const ObjectId relation = created_with(id);
    for (const auto& object : recreated) {
      if (same_object(object, relation)) return true;
    }
    return false;
  };

  // Default privileges come before every step that creates an object they
  // may apply to: the schema's before what is created in it, the
  // database-wide ones before all (a schema too).
  const size_t planned = builder.drafts().size();
  const auto defaults = plan_default_privileges(builder);
  for (size_t draft_idx = 0; draft_idx < planned; ++draft_idx) {
    StepDraft& draft = builder.at(draft_idx);
    const bool creating = std::any_of(draft.kinds.begin(), draft.kinds.end(), creates_object);
    if (!creating) continue;
    const ObjectId& object = draft.step.object;
    const std::string schema = object.kind == ObjectKind::Schema ? "" : object.schema;
    for (const std::string& key : std::set<std::string>{std::string(), schema}) {
      const auto found = defaults.find(key);
      if (found == defaults.end()) continue;
      draft.after.insert(draft.after.end(), found->second.begin(), found->second.end());
    }
  }

  // The privileges steps of existing relations and of their columns, by
  // (schema, relation): a column's run first. A revoke from a role of its
  // table-level grant option leaves the column grants it made in place (the
  // server checks only the table's ACL for dependent grants), and once the
  // role has lost the option it may no longer revoke them. Likewise a
  // schema's runs after those of the objects in it: a role revoking its
  // grants on them names them, which takes USAGE on the schema.
  std::map<std::pair<std::string, std::string>, size_t> relation_steps;
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> column_steps;
  std::map<std::string, size_t> schema_steps;
  std::map<std::string, std::vector<size_t>> object_steps;
  for (const auto& desired : builder.desired().schemas) {
    const schemas::Schema* current = schemas::find_schema(builder.current(), desired.name);
    const auto previous = renames(desired, current);
    std::map<ObjectId, ObjectId> next;  // current id -> desired id
    for (const auto& [now, before] : previous) next[before] = now;
    std::set<ObjectId> keys;
    for (const auto& entry : desired.privileges) keys.insert(entry.object);
    if (current != nullptr) {
      for (const auto& entry : current->privileges) {
        const auto moved = next.find(entry.object);
        keys.insert(moved != next.end() ? moved->second : entry.object);
      }
    }
    // Objects the plan creates start with what the default privileges give
    // them: those without an entry of their own may need revokes.
    for (const auto& [object, index] : creating) {
      const bool here = object.kind == ObjectKind::Schema ? object.name == desired.name
                                                          : object.schema == desired.name;
      if (here && object.table.empty() &&
          !schemas::default_privileges_objects(object.kind).empty()) {
        keys.insert(object);
      }
    }
    for (const auto& id : keys) {
      if (!schemas::privileges_target_exists(desired, id)) continue;  // dropped: nothing to revoke
      const Privileges* wanted = find_entry(&desired, id);
      if (wanted != nullptr) check_roles(builder, *wanted);
      const auto moved = previous.find(id);
      const ObjectId old_id = moved != previous.end() ? moved->second : id;
      const bool existed = current != nullptr &&
                           schemas::privileges_target_exists(*current, old_id) &&
                           !is_recreated(id);
      // Privileges compare against the owner the plan leaves (rules_owners.cpp).
      const Flat before = after_owner_change(
          existed ? flatten(find_entry(current, old_id))
                  : created_with_defaults(builder, desired.name, id.kind),
          owner_change(builder, id, !existed));
      Flat after = flatten(wanted);
      // A grant to the desired owner is one of its implicit rights: the
      // server keeps no entry for it, so it is left out (said once).
      if (const auto owner = desired_owner(builder, id)) {
        bool dropped = false;
        for (auto grant = after.grants.begin(); grant != after.grants.end();) {
          if (grant->first.first == *owner) {
            grant = after.grants.erase(grant);
            dropped = true;
          } else {
            ++grant;
          }
        }
        if (dropped) {
          builder.diagnose(plans::Severity::Warning, id,
                           "privileges of " + schemas::describe(id) + " grant to role \"" +
                               schemas::printable(*owner) +
                               "\", its owner, which holds every privilege on it: the grant is "
                               "left out (remove it from the desired state)");
        }
      }
      // A column rebuilt by expand and contract is, from expand on, the new
      // column (its shadow), which starts without grants: the column's
      // desired privileges go onto the shadow when it is added, so that
      // neither a reader moved to it between the phases nor the column
      // after contract lacks them (the old column's go with it). A grant
      // the old column did not have widens access (access_widened).
      if (const auto* swap = id.kind == ObjectKind::Column
                                 ? builder.column_swap(id.schema, id.table, id.name)
                                 : nullptr) {
        const ObjectId shadow{ObjectKind::Column, id.schema, id.table, swap->shadow};
        const Flat on_shadow = flatten(find_entry(
            current, {ObjectKind::Column, id.schema, swap->current_table, swap->shadow}));
        const Flat old_column = flatten(find_entry(
            current, {ObjectKind::Column, id.schema, swap->current_table, swap->old_column}));
        const bool widens =
            std::any_of(after.grants.begin(), after.grants.end(), [&](const auto& grant) {
              const auto held = old_column.grants.find(grant.first);
              return held == old_column.grants.end() || (grant.second && !held->second);
            });
        const auto statements =
            changes(shadow, object_sql(desired, id), on_shadow, after, "",
                    widens ? Statement::GrantPrivileges : Statement::GrantOnCreated,
                    Statement::RevokePrivileges);
        if (statements.empty()) continue;
        const auto add_statements = [&](StepDraft& draft) {
          for (const auto& change : statements) {
            for (const auto& text : change.texts) draft.step.statements.push_back(text);
            builder.statement(draft, change.kind, {});
          }
        };
        if (swap->add_step) {
          // The shadow is added by this plan: in the step that adds it.
          StepDraft& add = builder.at(*swap->add_step);
          add_statements(add);
          add.step.summary += " with the column's privileges";
          continue;
        }
        // The shadow exists (between the phases): a step of its own in expand.
        StepDraft own = Builder::make(
            Phase::Create, id,
            "expand: give column \"" + swap->shadow + "\" the privileges of " +
                schemas::describe(id),
            "GRANT and REVOKE change the column's ACL, a catalog row; no relation lock");
        add_statements(own);
        own.step.stage = plans::Stage::Expand;
        own.requires_.push_back(column_token(id.schema, id.table, swap->shadow));
        const size_t index = builder.add(std::move(own));
        builder.at(swap->contract_step).after.push_back(index);
        continue;
      }
      // Grants other roles made are revoked as them (an object created
      // again has none).
      const Grantors grantors = existed ? grantors_of(builder.current().facts, old_id) : Grantors{};
      const std::string target = object_sql(desired, id);
      if (existed) check_revokes(builder, id, old_id, target, before, after, grantors, desired);
      const auto statements =
          changes(id, target, before, after, "",
                  existed ? Statement::GrantPrivileges : Statement::GrantOnCreated,
                  existed ? Statement::RevokePrivileges : Statement::RevokeOnCreated, grantors);
      if (statements.empty()) continue;
      const std::optional<size_t> into = existed ? std::nullopt : creation_step(id);
      if (into) {
        StepDraft& draft = builder.at(*into);
        for (const auto& change : statements) {
          for (const auto& text : change.texts) draft.step.statements.push_back(text);
          builder.statement(draft, change.kind, {});
        }
        if (draft.step.summary.find(" with its privileges") == std::string::npos) {
          draft.step.summary += " with its privileges";
        }
        continue;
      }
      auto draft = Builder::make(
          Phase::Finalize, id, "set privileges of " + schemas::describe(id),
          existed ? "GRANT and REVOKE change the object's ACL, a catalog row; no relation lock"
                  : "the object is new: it had its default privileges");
      for (const auto& change : statements) {
        for (const auto& text : change.texts) draft.step.statements.push_back(text);
        builder.statement(draft, change.kind, {});
      }
      draft.requires_.push_back(object_token(id));
      draft.requires_.push_back(owner_token(id));
      draft.sequence = 2;
      const size_t index = builder.add(std::move(draft));
      if (id.kind == ObjectKind::Schema) {
        schema_steps[id.name] = index;
      } else {
        object_steps[id.schema].push_back(index);
      }
      if (id.kind == ObjectKind::Column) {
        column_steps[{id.schema, id.table}].push_back(index);
      } else if (id.kind == ObjectKind::Table || id.kind == ObjectKind::View ||
                 id.kind == ObjectKind::MaterializedView) {
        relation_steps[{id.schema, id.name}] = index;
      }
    }
  }
  for (const auto& [relation, index] : relation_steps) {
    const auto columns = column_steps.find(relation);
    if (columns == column_steps.end()) continue;
    StepDraft& draft = builder.at(index);
    draft.after.insert(draft.after.end(), columns->second.begin(), columns->second.end());
  }
  for (const auto& [schema, index] : schema_steps) {
    const auto objects = object_steps.find(schema);
    if (objects == object_steps.end()) continue;
    StepDraft& draft = builder.at(index);
    draft.after.insert(draft.after.end(), objects->second.begin(), objects->second.end());
  }
}

}  // namespace pgshift::planner::detail
