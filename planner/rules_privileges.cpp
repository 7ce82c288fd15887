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

struct Change {
  Statement kind;
  std::string text;
};

// The statements from `before` to `after` on one object, one per role and
// direction: "GRANT SELECT, INSERT ON TABLE s.t TO r".
// `prefix` goes before each statement ("ALTER DEFAULT PRIVILEGES FOR ROLE r
// "), the statement kinds are `grant_kind` and `revoke_kind`.
std::vector<Change> changes(const ObjectId& id, const std::string& target, const Flat& before,
                            const Flat& after, const std::string& prefix, Statement grant_kind,
                            Statement revoke_kind) {
  // role -> privileges, by statement form.
  std::map<std::string, std::vector<std::string>> grant, grant_option, revoke, revoke_option;
  for (const auto& [key, option] : after.grants) {
    const auto found = before.grants.find(key);
    if (found == before.grants.end() || (option && !found->second)) {
      (option ? grant_option : grant)[key.first].push_back(key.second);
    } else if (!option && found->second) {
      revoke_option[key.first].push_back(key.second);
    }
  }
  for (const auto& [key, option] : before.grants) {
    if (after.grants.count(key) == 0) revoke[key.first].push_back(key.second);
  }
  for (const auto& key : after.revoked) {
    if (before.revoked.count(key) == 0) revoke[key.first].push_back(key.second);
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
  for (const auto& [role, privileges] : revoke_option) {
    out.push_back({revoke_kind, prefix + "REVOKE GRANT OPTION FOR " + list(privileges) + " ON " +
                                    target + " FROM " + role_sql(role)});
  }
  for (const auto& [role, privileges] : revoke) {
    out.push_back({revoke_kind, prefix + "REVOKE " + list(privileges) + " ON " + target +
                                    " FROM " + role_sql(role)});
  }
  for (const auto& [role, privileges] : grant) {
    out.push_back({grant_kind, prefix + "GRANT " + list(privileges) + " ON " + target + " TO " +
                                   role_sql(role)});
  }
  for (const auto& [role, privileges] : grant_option) {
    out.push_back({grant_kind, prefix + "GRANT " + list(privileges) + " ON " + target + " TO " +
                                   role_sql(role) + " WITH GRANT OPTION"});
  }
  return out;
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
        draft.step.statements.push_back(change.text);
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
      const auto statements =
          changes(id, object_sql(desired, id), before, after, "",
                  existed ? Statement::GrantPrivileges : Statement::GrantOnCreated,
                  existed ? Statement::RevokePrivileges : Statement::RevokeOnCreated);
      if (statements.empty()) continue;
      const std::optional<size_t> into = existed ? std::nullopt : creation_step(id);
      if (into) {
        StepDraft& draft = builder.at(*into);
        for (const auto& change : statements) {
          draft.step.statements.push_back(change.text);
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
        draft.step.statements.push_back(change.text);
        builder.statement(draft, change.kind, {});
      }
      draft.requires_.push_back(object_token(id));
      draft.requires_.push_back(owner_token(id));
      draft.sequence = 2;
      builder.add(std::move(draft));
    }
  }
}

}  // namespace pgshift::planner::detail
