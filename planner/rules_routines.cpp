// Functions and procedures: CREATE OR REPLACE, or drop and create when
// the signature's result changes; comment; drop. And, once every rule has
// run, the dependents dropped and created again around a routine's drop
// moved into its step (fuse_routine_dependents).
#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/order.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

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

// What the current routine uses by the catalog's record (a SQL-standard body
// depends on the tables, columns and views it names): tokens its drop or
// replacement releases, so that a dropped table goes after it.
std::vector<std::string> used_tokens(const Builder& builder, const ObjectId& id) {
  std::vector<std::string> tokens;
  for (const auto& dependency : builder.current().facts.dependencies) {
    const auto& dependent = dependency.dependent;
    if (dependent.kind != id.kind || dependent.schema != id.schema || dependent.name != id.name) {
      continue;
    }
    const auto& used = dependency.referenced;
    if (used.kind == ObjectKind::Table) {
      tokens.push_back(table_token(used.schema, used.name));
      if (!dependency.referenced_column.empty()) {
        tokens.push_back(column_token(used.schema, used.name, dependency.referenced_column));
      }
    } else if (used.kind == ObjectKind::View || used.kind == ObjectKind::MaterializedView) {
      tokens.push_back("view:" + used.schema + "." + used.name);
    }
  }
  return tokens;
}

void plan_function(Builder& builder, const std::string& schema, const schemas::Function* current,
                   const schemas::Function* desired) {
  const schemas::Function& any = desired ? *desired : *current;
  const ObjectKind kind = any.is_procedure ? ObjectKind::Procedure : ObjectKind::Function;
  const ObjectId id{kind, schema, "", schemas::function_signature(any)};
  const std::string token = "func:" + schema + "." + any.name;
  const char* keyword = any.is_procedure ? "PROCEDURE " : "FUNCTION ";
  // Views calling a routine that is dropped are dropped first and created
  // again after (plan_views), by the signature they call.
  const std::string signature_token = "routine:" + schema + "." + schemas::function_signature(any);
  if (desired == nullptr) {
    std::vector<std::string> releases = used_tokens(builder, id);
    releases.push_back("schema:" + schema);
    builder.invalidate(signature_token);
    // It also provides the name: what calls the name is created after the
    // old overload is gone (beside a new overload with a defaulted argument
    // the call would be ambiguous).
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the routine is not in the desired schema",
               {{Statement::DropFunction,
                 std::string("DROP ") + keyword + function_target(schema, *current)}},
               {token}, {}, {token, signature_token}, releases);
    return;
  }
  if (desired->sql_body && builder.version() < 140000) {
    builder.diagnose(plans::Severity::Error, id,
                     "cannot create " + describe(id) +
                         " with a SQL-standard body (sql_body: RETURN or BEGIN ATOMIC): the "
                         "server is PostgreSQL " +
                         std::to_string(builder.version() / 10000) +
                         ", SQL-standard bodies need 14 or later; write the body as a string "
                         "(body:) instead");
    return;
  }
  std::vector<std::string> requires_ = {"schema:" + schema};
  for (const auto& arg : desired->args) {
    for (const auto& type : type_tokens(arg.type, schema)) requires_.push_back(type);
  }
  if (const auto recorded = recorded_tokens(builder, builder.desired(), id)) {
    // What the scratch database's catalog recorded of it (a SQL-standard
    // body's tables, columns, views and routines): those come first.
    for (const auto& token : *recorded) {
      if (token != "func:" + schema + "." + desired->name) requires_.push_back(token);
    }
  } else if (desired->sql_body) {
    // The server resolves a SQL-standard body at creation (and records its
    // dependencies): the tables, views and routines it names come first.
    for (const auto& token : query_tokens(builder.desired(), desired->body)) {
      requires_.push_back(token);
    }
    const auto words = expression_words(desired->body);
    for (const auto& other_schema : builder.desired().schemas) {
      for (const auto& other : other_schema.functions) {
        if (words.count(other.name) != 0 &&
            !(other_schema.name == schema && other.name == desired->name)) {
          requires_.push_back("func:" + other_schema.name + "." + other.name);
        }
      }
    }
  }
  schemas::Function current_body = current ? *current : *desired;
  current_body.comment = desired->comment;
  current_body.owner = desired->owner;  // rules_owners.cpp
  if (current == nullptr || !(current_body == *desired)) {
    // CREATE OR REPLACE cannot change the result type, argument names or
    // defaults, or turn a function into a procedure: drop and create then.
    const bool replace_in_place =
        current == nullptr ||
        (current->returns == desired->returns && current->args == desired->args &&
         current->is_procedure == desired->is_procedure);
    std::vector<Sql> statements;
    if (!replace_in_place) builder.invalidate(signature_token);
    if (!replace_in_place) {
      statements.push_back({Statement::DropFunctionToReplace,
                            std::string("DROP ") +
                                (current->is_procedure ? "PROCEDURE " : "FUNCTION ") +
                                function_target(schema, *current)});
    }
    statements.push_back(
        {Statement::CreateOrReplaceFunction, create_function_sql(schema, *desired)});
    add_simple(builder, Phase::Prepare, id, (current ? "replace " : "create ") + describe(id),
               replace_in_place ? "CREATE OR REPLACE swaps the definition atomically"
                                : "CREATE OR REPLACE cannot change its result type, argument "
                                  "names or defaults, or its kind: drop and create in one "
                                  "transaction",
               statements, {token}, requires_,
               replace_in_place ? std::vector<std::string>{}
                                : std::vector<std::string>{signature_token},
               current ? used_tokens(builder, id) : std::vector<std::string>{});
  }
  maybe_comment(builder, id, keyword, function_target(schema, *desired),
                current ? current->comment : std::nullopt, desired->comment, token);
}

}  // namespace

void plan_functions(Builder& builder) {
  for_each_match<schemas::Function>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.functions; },
      [&builder](const std::string& schema, const schemas::Function* current,
                 const schemas::Function* desired) {
        plan_function(builder, schema, current, desired);
      },
      [](const schemas::Function& function) { return schemas::function_signature(function); });
}

namespace {

// The statement that drops a dependent to create it again in the same
// transaction: the same lock, no window without it.
std::optional<Statement> within_one_step(Statement kind) {
  switch (kind) {
    case Statement::DropDefaultToSetAgain:
      return Statement::DropDefaultToReplace;
    case Statement::DropConstraintToAddAgain:
      return Statement::DropConstraintToReplace;
    case Statement::DropIndexToCreateAgain:
      return Statement::DropIndexToReplace;
    case Statement::DropPolicyToCreateAgain:
    case Statement::DropRestrictivePolicyToCreateAgain:
      return Statement::DropPolicyToReplace;
    case Statement::DropViewToRecreate:
      return Statement::DropViewToReplace;
    default:
      return std::nullopt;
  }
}

// A dependent's two drafts around one routine.
struct Around {
  size_t drop = 0;
  size_t create = 0;
};

// The drop's kinds turned into their one-step forms, and the hazards only
// the gap between two steps had (dependent_recreated; a restrictive
// policy's access_widened) taken off unless another statement of the draft
// has them too.
void close_gap(StepDraft& drop, int version) {
  std::set<Hazard> gone;
  for (auto& kind : drop.kinds) {
    const auto replacement = within_one_step(kind);
    if (!replacement) continue;
    for (const Hazard hazard : statement_row(kind, version).hazards) gone.insert(hazard);
    kind = *replacement;
  }
  for (const Statement kind : drop.kinds) {
    for (const Hazard hazard : statement_row(kind, version).hazards) gone.erase(hazard);
  }
  auto& hazards = drop.step.hazards;
  hazards.erase(std::remove_if(hazards.begin(), hazards.end(),
                               [&gone](Hazard hazard) { return gone.count(hazard) != 0; }),
                hazards.end());
}

// `drafts` with the drafts of `routines` made one step, in the order `rank`
// gives them (a topological order of the plan), and every pair of `around`
// moved into it: the drops first, then the routines' statements, then the
// creations, each in `rank` order (a view dropped before the view it uses,
// created after it). The moved drafts are removed and every `after`
// renumbered.
std::vector<StepDraft> fused(std::vector<StepDraft> drafts, std::vector<size_t> routines,
                             std::vector<Around> around, const std::vector<size_t>& rank,
                             int version) {
  const auto by_rank = [&rank](size_t a, size_t b) { return rank[a] < rank[b]; };
  std::sort(routines.begin(), routines.end(), by_rank);
  const size_t into = routines.front();
  std::vector<bool> moved(drafts.size(), false);
  for (size_t other = 1; other < routines.size(); ++other) {
    drafts[into].step.summary += " and " + drafts[routines[other]].step.summary;
    absorb(drafts[into], std::move(drafts[routines[other]]), false);
    moved[routines[other]] = true;
  }
  std::sort(around.begin(), around.end(),
            [&by_rank](const Around& a, const Around& b) { return by_rank(a.drop, b.drop); });
  for (auto pair = around.rbegin(); pair != around.rend(); ++pair) {
    close_gap(drafts[pair->drop], version);
    absorb(drafts[into], std::move(drafts[pair->drop]), true);
    moved[pair->drop] = true;
  }
  std::sort(around.begin(), around.end(),
            [&by_rank](const Around& a, const Around& b) { return by_rank(a.create, b.create); });
  std::string created;
  for (const auto& pair : around) {
    created += (created.empty() ? "" : "; ") + drafts[pair.create].step.summary;
    absorb(drafts[into], std::move(drafts[pair.create]), false);
    moved[pair.create] = true;
  }
  const char* them = routines.size() > 1 ? "them" : "it";
  drafts[into].step.rationale += std::string("; what calls ") + them +
                                 " is dropped first and created again after " + them +
                                 " in this transaction (no session sees it missing): " + created;
  std::vector<size_t> position(drafts.size());
  std::vector<StepDraft> kept;
  kept.reserve(drafts.size());
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
    if (!moved[draft_idx]) {
      position[draft_idx] = kept.size();
      kept.push_back(std::move(drafts[draft_idx]));
    }
  }
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
    if (moved[draft_idx]) position[draft_idx] = position[into];
  }
  for (size_t draft_idx = 0; draft_idx < kept.size(); ++draft_idx) {
    auto& after = kept[draft_idx].after;
    for (auto& before : after) before = position[before];
    after.erase(std::remove(after.begin(), after.end(), draft_idx), after.end());
    std::sort(after.begin(), after.end());
    after.erase(std::unique(after.begin(), after.end()), after.end());
  }
  return kept;
}

// Each draft's position in a topological order of `drafts`; nullopt when
// they have a cycle.
std::optional<std::vector<size_t>> ranks(const std::vector<StepDraft>& drafts) {
  std::vector<size_t> identity(drafts.size());
  std::iota(identity.begin(), identity.end(), size_t{0});
  const auto outcome = order_topologically(drafts.size(), dependency_edges(drafts, identity));
  if (!outcome.cycle.empty()) return std::nullopt;
  std::vector<size_t> rank(drafts.size());
  for (size_t position = 0; position < outcome.order.size(); ++position) {
    rank[outcome.order[position]] = position;
  }
  return rank;
}

}  // namespace

void fuse_routine_dependents(Builder& builder) {
  auto& drafts = builder.drafts();
  // Routines sharing a dependent share a step: their signature tokens are
  // joined into groups (union-find), named by a root token.
  std::map<std::string, std::string> parent;
  const auto root = [&parent](std::string token) {
    while (parent[token] != token) token = parent[token] = parent[parent[token]];
    return token;
  };
  for (const auto& draft : drafts) {
    for (const auto& token : draft.around_routines) parent.emplace(token, token);
    for (const auto& token : draft.around_routines) {
      parent[root(token)] = root(draft.around_routines.front());
    }
  }
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& entry : parent) groups[root(entry.first)].push_back(entry.first);
  for (const auto& [group, signatures] : groups) {
    // Each routine's own step: the one that drops it (invalidates its
    // signature), exactly one and transactional, else nothing is fused.
    std::vector<size_t> routines;
    bool found_each = true;
    for (const auto& signature : signatures) {
      std::vector<size_t> dropping;
      for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
        const auto& draft = drafts[draft_idx];
        if ((draft.step.object.kind == ObjectKind::Function ||
             draft.step.object.kind == ObjectKind::Procedure) &&
            std::find(draft.invalidates.begin(), draft.invalidates.end(), signature) !=
                draft.invalidates.end()) {
          dropping.push_back(draft_idx);
        }
      }
      found_each = found_each && dropping.size() == 1 && drafts[dropping[0]].step.transactional;
      if (found_each) routines.push_back(dropping[0]);
    }
    if (!found_each) continue;
    std::map<schemas::ObjectId, Around> pairs;
    std::map<schemas::ObjectId, int> halves;
    for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
      const auto& draft = drafts[draft_idx];
      if (draft.around_routines.empty() || root(draft.around_routines.front()) != group) continue;
      auto& pair = pairs[draft.step.object];
      (draft.recreates ? pair.create : pair.drop) = draft_idx;
      halves[draft.step.object] += draft.recreates ? 2 : 1;
    }
    std::vector<Around> around;
    for (const auto& [object, pair] : pairs) {
      // Both halves, each once, both able to run in a transaction.
      if (halves[object] != 3 || !drafts[pair.drop].step.transactional ||
          !drafts[pair.create].step.transactional) {
        continue;
      }
      around.push_back(pair);
    }
    if (around.empty()) continue;
    const auto rank = ranks(drafts);
    if (!rank) return;  // planner.cpp reports the cycle
    auto candidate = fused(drafts, routines, around, *rank, builder.version());
    if (ranks(candidate)) drafts = std::move(candidate);
  }
}

}  // namespace pgshift::planner::detail
