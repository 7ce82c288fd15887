// Row-level security: policies (create, alter in place, rename, replace,
// comment, drop) and ENABLE / FORCE ROW LEVEL SECURITY of a table.
//
// ALTER POLICY changes a policy's roles, USING and WITH CHECK in place, and
// renames it; it cannot change its command or kind (permissive/restrictive),
// nor remove an expression: those are a DROP POLICY and CREATE POLICY in one
// step (one transaction), so no session ever sees the table without it.
// Policies are created, and row-level security enabled, after the columns and
// routines they use exist (Finalize, tokens); a table's security is enabled
// after its new policies exist (never a moment where it denies every row by
// mistake), and disabled before its dropped policies go. A dropped policy
// goes before the columns and routines it used are dropped.
#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::Phase;
using plans::quote_ident;
using schemas::ObjectId;
using schemas::ObjectKind;
using schemas::Policy;

namespace {

std::optional<std::string> normalized(const std::optional<std::string>& expression) {
  if (!expression) return std::nullopt;
  return normalize_expression(*expression);
}

// ALTER POLICY can set roles and expressions, not the command or the kind,
// and not take an expression away.
bool alterable(const Policy& current, const Policy& desired) {
  return current.command == desired.command && current.permissive == desired.permissive &&
         (!current.using_expr || desired.using_expr) &&
         (!current.with_check || desired.with_check);
}

std::string policy_token(const TableContext& table, const std::string& name) {
  return "policy:" + table.schema + "." + table.desired.name + "." + name;
}

// The current policy's id, on the current table.
ObjectId current_id(const TableContext& table, const Policy& policy) {
  return {ObjectKind::Policy, table.schema, table.current->name, policy.name};
}

// Column tokens of the current table's columns a current policy uses: by
// the catalog's dependencies, else by the words of its expressions.
std::vector<std::string> current_columns_in(const TableContext& table, const Policy& policy) {
  std::vector<std::string> tokens;
  const auto& recorded =
      table.builder.dependencies_of(table.builder.current(), current_id(table, policy));
  if (!recorded.empty()) {
    for (const auto* dependency : recorded) {
      const auto& used = dependency->referenced;
      if (used.kind == ObjectKind::Table && used.schema == table.schema &&
          used.name == table.current->name && !dependency->referenced_column.empty()) {
        tokens.push_back(
            column_token(table.schema, table.current->name, dependency->referenced_column));
      }
    }
    return tokens;
  }
  std::set<std::string> words;
  for (const auto& text : {policy.using_expr, policy.with_check}) {
    if (!text) continue;
    const auto found = expression_words(*text);
    words.insert(found.begin(), found.end());
  }
  for (const auto& column : table.current->columns) {
    if (words.count(column.name) != 0) {
      tokens.push_back(column_token(table.schema, table.current->name, column.name));
    }
  }
  return tokens;
}

// What a desired policy needs first: the columns, tables and views it names
// and the routines it calls.
void require_uses(const TableContext& table, StepDraft& draft, const Policy& policy) {
  // By the scratch database's catalog; by the words of its expressions for
  // a model not read from a server.
  if (const auto recorded = recorded_tokens(table.builder, table.builder.desired(),
                                            table.id(ObjectKind::Policy, policy.name))) {
    require_all(draft, *recorded);
    return;
  }
  for (const auto& text : {policy.using_expr, policy.with_check}) {
    if (!text) continue;
    require_all(draft, columns_in(table, *text));
    require_all(draft, query_tokens(table.builder.desired(), *text));
    require_all(draft, routine_tokens(table.builder.desired(), *text));
  }
}

// What a dropped policy no longer holds back: the current columns and
// routines it used may go after it.
void release_uses(const TableContext& table, StepDraft& draft, const Policy& policy) {
  if (const auto recorded =
          recorded_tokens(table.builder, table.builder.current(), current_id(table, policy))) {
    draft.releases.insert(draft.releases.end(), recorded->begin(), recorded->end());
    return;
  }
  for (const auto& token : current_columns_in(table, policy)) draft.releases.push_back(token);
  for (const auto& text : {policy.using_expr, policy.with_check}) {
    if (!text) continue;
    for (const auto& token : routine_tokens(table.builder.current(), *text)) {
      draft.releases.push_back(token);
    }
  }
}

// A role the desired policy names must exist on the target's server:
// roles belong to the whole server, and pgshift does not create them.
void check_roles(const TableContext& table, const Policy& policy) {
  const auto& facts = table.builder.current().facts;
  if (facts.server_version_num == 0) return;  // not read from a catalog
  for (const auto& role : policy.roles) {
    if (role == schemas::kPublicRole || facts.roles.count(role) != 0) continue;
    table.builder.diagnose(plans::Severity::Error, table.id(ObjectKind::Policy, policy.name),
                           table.of("policy", policy.name) + " names role \"" +
                               schemas::printable(role) +
                               "\", which does not exist on the server; pgshift does not "
                               "create roles (they belong to the whole server): create it first");
  }
}

// The server refuses ALTER COLUMN ... TYPE under a policy that uses the
// column ("cannot alter type of a column used in a policy definition").
// A policy the plan keeps is not dropped around the change (the table would
// be without it between two steps): refused, naming both.
void refuse_type_change_under(const TableContext& table, const Policy& current,
                              const Policy& desired) {
  for (const auto& column : table.current->columns) {
    const schemas::Column* wanted = nullptr;
    for (const auto& candidate : table.desired.columns) {
      if (candidate.name == column.name ||
          (candidate.renamed_from && *candidate.renamed_from == column.name)) {
        wanted = &candidate;
      }
    }
    if (wanted == nullptr || normalize_type(wanted->type) == normalize_type(column.type)) {
      continue;
    }
    const auto tokens = current_columns_in(table, current);
    if (std::find(tokens.begin(), tokens.end(),
                  column_token(table.schema, table.current->name, column.name)) == tokens.end()) {
      continue;
    }
    table.builder.diagnose(
        plans::Severity::Error, table.id(ObjectKind::Column, wanted->name),
        "cannot change the type of " + table.of("column", wanted->name) + ": " +
            table.of("policy", desired.name) +
            " uses it and the server refuses the change under a policy; drop the policy in one "
            "release (or change it not to use the column) and bring it back in the next");
  }
}

// The desired policy's comment, set in the step that creates it (a policy
// dropped and created has lost its comment).
void set_comment_in_step(const TableContext& table, StepDraft& draft, const Policy& desired) {
  if (!desired.comment) return;
  draft.step.statements.push_back(comment_sql(
      "POLICY", quote_ident(desired.name) + " ON " + table.relation, desired.comment));
  table.builder.statement(draft, Statement::CommentOnTableMember, table.on());
}

void drop_policy(TableContext& table, const Policy& current) {
  auto draft = Builder::make(
      Phase::Drop, table.id(ObjectKind::Policy, current.name),
      "drop " + table.of("policy", current.name),
      current.permissive
          ? "the policy is not in the desired schema; the rows it let through no longer pass"
          : "the policy is not in the desired schema; the rows it held back now pass");
  draft.step.statements = {"DROP POLICY " + quote_ident(current.name) + " ON " + table.relation};
  table.builder.statement(
      draft, current.permissive ? Statement::DropPolicy : Statement::DropRestrictivePolicy,
      table.on());
  release_uses(table, draft, current);
  table.builder.add(std::move(draft));
}

void plan_row_security(TableContext& table, const std::vector<std::string>& created) {
  const schemas::RowSecurity before =
      table.current ? table.current->row_security : schemas::RowSecurity{};
  const schemas::RowSecurity& after = table.desired.row_security;
  if (before == after) return;
  auto draft = Builder::make(Phase::Finalize, table.table_id(),
                             "set row-level security of " +
                                 label("table", table.schema, table.desired.name) + ": " +
                                 (after.enabled ? "enabled" : "disabled") +
                                 (after.forced ? ", forced" : ""),
                             "a catalog change under ACCESS EXCLUSIVE");
  if (before.enabled != after.enabled) {
    draft.step.statements.push_back(table.alter() + (after.enabled ? "ENABLE" : "DISABLE") +
                                    " ROW LEVEL SECURITY");
    table.builder.statement(
        draft, after.enabled ? Statement::EnableRowSecurity : Statement::DisableRowSecurity,
        table.on());
  }
  if (before.forced != after.forced) {
    draft.step.statements.push_back(table.alter() + (after.forced ? "FORCE" : "NO FORCE") +
                                    " ROW LEVEL SECURITY");
    table.builder.statement(
        draft, after.forced ? Statement::ForceRowSecurity : Statement::NoForceRowSecurity,
        table.on());
  }
  if (after.enabled && !before.enabled) {
    draft.step.rationale += "; after the table's new policies exist";
  }
  require_all(draft, created);
  table.builder.add(std::move(draft));
}

}  // namespace

std::vector<std::string> routine_tokens(const schemas::Database& db,
                                        const std::string& expression) {
  const auto words = expression_words(expression);
  std::vector<std::string> tokens;
  for (const auto& schema : db.schemas) {
    for (const auto& function : schema.functions) {
      std::string lowered = function.name;
      for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (words.count(lowered) != 0 || words.count(function.name) != 0) {
        tokens.push_back("func:" + schema.name + "." + function.name);
      }
    }
  }
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

void plan_policies(TableContext& table) {
  Builder& builder = table.builder;
  std::vector<std::string> created;  // tokens of the policies this plan creates or changes
  for (const auto& [current_ptr, desired_ptr] :
       match_by_name(table.current ? &table.current->policies : nullptr, table.desired.policies)) {
    const Policy* const current = current_ptr;
    if (desired_ptr == nullptr) {
      drop_policy(table, *current);
      continue;
    }
    const Policy& desired = *desired_ptr;
    const ObjectId id = table.id(ObjectKind::Policy, desired.name);
    check_roles(table, desired);
    if (current != nullptr) refuse_type_change_under(table, *current, desired);
    const bool same = current != nullptr && current->command == desired.command &&
                      current->permissive == desired.permissive &&
                      current->roles == desired.roles &&
                      normalized(current->using_expr) == normalized(desired.using_expr) &&
                      normalized(current->with_check) == normalized(desired.with_check);
    const bool renamed = current != nullptr && current->name != desired.name;
    bool commented = false;  // a replaced policy's comment is set in its step
    const std::vector<ObjectId> blocking =
        current == nullptr ? std::vector<ObjectId>{}
                           : dropped_routines_of(builder, current_id(table, *current));
    if (!blocking.empty()) {
      // It calls a routine the plan drops (or drops and creates): dropped a
      // step before the routine, created again after it.
      auto dropped = Builder::make(
          Phase::Drop, id, "drop (to create again) " + table.of("policy", current->name),
          "it calls " + routines_text(blocking) +
              " (dropped or replaced by drop and create): drop it first, create it again "
              "after; in between, " +
              (current->permissive ? "the rows it lets through do not pass"
                                   : "the rows it holds back pass"));
      dropped.step.statements = {"DROP POLICY " + quote_ident(current->name) + " ON " +
                                 table.relation};
      builder.statement(dropped,
                        current->permissive ? Statement::DropPolicyToCreateAgain
                                            : Statement::DropRestrictivePolicyToCreateAgain,
                        table.on());
      release_uses(table, dropped, *current);
      for (auto& token : routine_release_tokens(blocking)) {
        dropped.releases.push_back(std::move(token));
      }
      const std::string gone = "policy_dropped:" + table.schema + "." + table.desired.name + "." +
                               current->name;
      dropped.provides.push_back(gone);
      // In the routine's own step when the order allows
      // (fuse_routine_dependents): no session sees the table without it.
      mark_around_routines(dropped, blocking, false);
      builder.add(std::move(dropped));
      // Phase Create: picked as soon as the routines are back, before the
      // index builds and validations still waiting for them; the table is
      // without the policy for as few steps as the order allows.
      auto draft = Builder::make(Phase::Create, id,
                                 "create again " + table.of("policy", desired.name),
                                 "once the routines it calls are created; CREATE POLICY is a "
                                 "catalog change under ACCESS EXCLUSIVE");
      draft.step.statements = {policy_sql(table.relation, desired)};
      builder.statement(draft, Statement::CreatePolicy, table.on());
      set_comment_in_step(table, draft, desired);
      commented = true;
      require_uses(table, draft, desired);
      require_all(draft, routine_name_tokens(blocking));
      draft.requires_.push_back(gone);
      draft.provides.push_back(policy_token(table, desired.name));
      created.push_back(policy_token(table, desired.name));
      mark_around_routines(draft, blocking, true);
      builder.add(std::move(draft));
    } else if (current == nullptr || !same || renamed) {
      auto draft = Builder::make(Phase::Finalize, id, "", "");
      if (current == nullptr) {
        draft.step.summary = "create " + table.of("policy", desired.name);
        draft.step.rationale = "CREATE POLICY is a catalog change under ACCESS EXCLUSIVE";
        draft.step.statements = {policy_sql(table.relation, desired)};
        builder.statement(draft, Statement::CreatePolicy, table.on());
      } else if (same || alterable(*current, desired)) {
        draft.step.summary = std::string(same ? "rename " : "alter ") +
                             table.of("policy", desired.name) +
                             (renamed ? " (was \"" + current->name + "\")" : "");
        draft.step.rationale = "ALTER POLICY changes it in place, a catalog change under ACCESS "
                               "EXCLUSIVE";
        if (renamed) {
          draft.step.statements.push_back("ALTER POLICY " + quote_ident(current->name) + " ON " +
                                          table.relation + " RENAME TO " +
                                          quote_ident(desired.name));
          builder.statement(draft, Statement::RenamePolicy, table.on());
        }
        if (!same) {
          std::string alter = "ALTER POLICY " + quote_ident(desired.name) + " ON " + table.relation;
          if (current->roles != desired.roles) alter += " TO " + policy_roles_sql(desired.roles);
          if (normalized(current->using_expr) != normalized(desired.using_expr)) {
            alter += " USING (" + *desired.using_expr + ")";
          }
          if (normalized(current->with_check) != normalized(desired.with_check)) {
            alter += " WITH CHECK (" + *desired.with_check + ")";
          }
          draft.step.statements.push_back(alter);
          builder.statement(draft, Statement::AlterPolicy, table.on());
        }
      } else {
        draft.step.summary = "replace " + table.of("policy", desired.name);
        draft.step.rationale =
            "ALTER POLICY cannot change a policy's command or kind, nor remove an expression: "
            "dropped and created again in one transaction, no session sees the table without it";
        draft.step.statements = {"DROP POLICY " + quote_ident(current->name) + " ON " +
                                     table.relation,
                                 policy_sql(table.relation, desired)};
        builder.statement(draft, Statement::DropPolicyToReplace, table.on());
        builder.statement(draft, Statement::CreatePolicy, table.on());
        release_uses(table, draft, *current);
        // The comment went with the old policy: set again in the same step.
        set_comment_in_step(table, draft, desired);
        commented = true;
      }
      require_uses(table, draft, desired);
      draft.provides.push_back(policy_token(table, desired.name));
      created.push_back(policy_token(table, desired.name));
      builder.add(std::move(draft));
    }
    if (!commented && (current ? current->comment : std::nullopt) != desired.comment) {
      auto draft =
          Builder::make(Phase::Finalize, id, "comment on " + table.of("policy", desired.name),
                        "comments are catalog-only");
      draft.step.statements = {comment_sql(
          "POLICY", quote_ident(desired.name) + " ON " + table.relation, desired.comment)};
      builder.statement(draft, Statement::CommentOnTableMember, table.on());
      draft.requires_.push_back(policy_token(table, desired.name));
      draft.sequence = 1;
      builder.add(std::move(draft));
    }
  }
  plan_row_security(table, created);
  // Enabled with no permissive policy, the table shows no row to any role
  // but its owner (unless forced), superusers and BYPASSRLS roles.
  const bool newly_enabled =
      table.desired.row_security.enabled &&
      !(table.current != nullptr && table.current->row_security.enabled);
  const bool any_permissive =
      std::any_of(table.desired.policies.begin(), table.desired.policies.end(),
                  [](const Policy& policy) { return policy.permissive; });
  if (newly_enabled && !any_permissive) {
    builder.diagnose(plans::Severity::Warning, table.table_id(),
                     "row-level security is enabled on " +
                         label("table", table.schema, table.desired.name) +
                         " without a permissive policy: no role but its owner" +
                         (table.desired.row_security.forced ? " (not even that: forced)" : "") +
                         ", superusers and BYPASSRLS roles sees or changes any row");
  }
}

}  // namespace pgshift::planner::detail
