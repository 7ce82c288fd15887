#include "planner/builder.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>

#include "planner/normalize.hpp"

namespace pgshift::planner::detail {

std::string table_token(const std::string& schema, const std::string& table) {
  return "table:" + schema + "." + table;
}

std::string column_token(const std::string& schema, const std::string& table,
                         const std::string& column) {
  return "column:" + schema + "." + table + "." + column;
}

std::string key_token(const std::string& schema, const std::string& table,
                      const std::vector<std::string>& columns) {
  // A foreign key matches a key whatever the order of its columns
  // (tablecmds.c transformFkeyCheckAttrs compares them as a set).
  std::vector<std::string> sorted = columns;
  std::sort(sorted.begin(), sorted.end());
  std::string token = "key:" + schema + "." + table + "(";
  for (size_t column_idx = 0; column_idx < sorted.size(); ++column_idx) {
    if (column_idx > 0) token += ",";
    token += sorted[column_idx];
  }
  return token + ")";
}

std::string helper_check_token(const std::string& schema, const std::string& table,
                               const std::string& name) {
  return "helper_check:" + schema + "." + table + "." + name;
}

bool is_partition_helper_check(const std::string& name) {
  return name.rfind("pgshift_attach_", 0) == 0 || name.rfind("pgshift_detach_", 0) == 0;
}

std::string not_null_token(const std::string& schema, const std::string& table,
                           const std::string& column) {
  return "notnull:" + schema + "." + table + "." + column;
}

std::string default_set_token(const std::string& schema, const std::string& table,
                              const std::string& column) {
  return "default:" + schema + "." + table + "." + column;
}

std::string nullable_token(const std::string& schema, const std::string& table,
                           const std::string& column) {
  return "nullable:" + schema + "." + table + "." + column;
}

std::vector<std::string> type_tokens(const std::string& type, const std::string& schema) {
  std::string base = normalize_type(type);
  while (base.size() >= 2 && base.compare(base.size() - 2, 2, "[]") == 0) {
    base.resize(base.size() - 2);
  }
  if (base.find('.') != std::string::npos) return {"type:" + base};
  return {"type:" + schema + "." + base, "type:public." + base};
}

std::set<std::string> expression_words(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (char c : text + " ") {
    const auto uc = static_cast<unsigned char>(c);
    if (std::isalnum(uc) || c == '_' || uc >= 0x80) {
      word += static_cast<char>(std::tolower(uc));
    } else {
      if (!word.empty()) words.insert(word);
      word.clear();
    }
  }
  return words;
}

std::string label(const char* kind, const std::string& schema, const std::string& name) {
  return std::string(kind) + " \"" +
         schemas::printable(schema.empty() ? name : schema + "." + name) + "\"";
}

std::string member_label(const char* kind, const std::string& name, const std::string& schema,
                         const std::string& table) {
  return std::string(kind) + " \"" + schemas::printable(name) + "\" of " +
         label("table", schema, table);
}

std::string truncate_name(const std::string& name) {
  constexpr size_t kMaxBytes = 63;
  if (name.size() <= kMaxBytes) return name;
  size_t cut = kMaxBytes;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return name.substr(0, cut);
}

Builder::Builder(const schemas::Database& current, const schemas::Database& desired,
                 const PlanOptions& options)
    : current_(current),
      desired_(desired),
      options_(options),
      version_(current.facts.server_version_num != 0 ? current.facts.server_version_num
                                                     : options.server_version_num) {}

namespace {

// A view and a materialized view are one kind for matching dependencies: a
// view made a materialized view keeps what it uses.
schemas::ObjectId dependency_key(schemas::ObjectId id) {
  if (id.kind == schemas::ObjectKind::MaterializedView) id.kind = schemas::ObjectKind::View;
  return id;
}

}  // namespace

std::size_t Builder::TableHash::operator()(const std::pair<std::string, std::string>& table) const {
  const std::hash<std::string> hash;
  return hash(table.first) * 31 + hash(table.second);
}

Builder::DependencyIndex Builder::index_dependencies(const schemas::Database& db) {
  DependencyIndex index;
  index.by_dependent.reserve(db.facts.dependencies.size());
  for (const auto& dependency : db.facts.dependencies) {
    const auto& dependent = dependency.dependent;
    index.by_dependent[dependency_key(dependent)].push_back(&dependency);
    if (!dependent.table.empty()) {
      index.by_table[{dependent.schema, dependent.table}].push_back(&dependency);
    }
  }
  return index;
}

const Builder::DependencyIndex& Builder::index_of(const schemas::Database& db) const {
  const auto current = [&]() -> const DependencyIndex& {
    if (!current_dependencies_) current_dependencies_ = index_dependencies(current_);
    return *current_dependencies_;
  };
  if (&db == &current_) return current();
  if (&db == &desired_) {
    if (desired_.facts.dependencies.shares(current_.facts.dependencies)) return current();
    if (!desired_dependencies_) desired_dependencies_ = index_dependencies(desired_);
    return *desired_dependencies_;
  }
  if (other_ != &db || !other_dependencies_) {
    other_dependencies_ = index_dependencies(db);
    other_ = &db;
  }
  return *other_dependencies_;
}

const std::vector<const schemas::Dependency*>& Builder::dependencies_of(
    const schemas::Database& db, const schemas::ObjectId& dependent) const {
  static const std::vector<const schemas::Dependency*> kNone;
  const auto& index = index_of(db).by_dependent;
  const auto found = index.find(dependency_key(dependent));
  return found == index.end() ? kNone : found->second;
}

const std::vector<const schemas::Dependency*>& Builder::dependencies_of_members(
    const schemas::Database& db, const std::string& schema, const std::string& table) const {
  static const std::vector<const schemas::Dependency*> kNone;
  const auto& index = index_of(db).by_table;
  const auto found = index.find({schema, table});
  return found == index.end() ? kNone : found->second;
}

StepDraft Builder::make(plans::Phase phase, schemas::ObjectId object, std::string summary,
                        std::string rationale) {
  StepDraft draft;
  draft.step.phase = phase;
  draft.step.object = std::move(object);
  draft.step.summary = std::move(summary);
  draft.step.rationale = std::move(rationale);
  return draft;
}

size_t Builder::add(StepDraft draft) {
  drafts_.push_back(std::move(draft));
  return drafts_.size() - 1;
}

void Builder::diagnose(plans::Severity severity, schemas::ObjectId object, std::string message) {
  diagnostics_.push_back({severity, std::move(object), std::move(message)});
}

Targets on_relation(const std::string& schema, const std::string& relation, bool populated) {
  Targets targets;
  targets.schema = schema;
  targets.relation = relation;
  targets.populated = populated;
  return targets;
}

namespace {

void add_lock(plans::Step& step, const std::string& schema, const std::string& relation,
              plans::LockMode mode) {
  for (auto& lock : step.locks) {
    if (lock.schema == schema && lock.relation == relation) {
      if (mode > lock.mode) lock.mode = mode;
      return;
    }
  }
  step.locks.push_back({schema, relation, mode});
}

void add_hazard(plans::Step& step, plans::Hazard hazard) {
  if (std::find(step.hazards.begin(), step.hazards.end(), hazard) == step.hazards.end()) {
    step.hazards.push_back(hazard);
  }
}

}  // namespace

void Builder::statement(StepDraft& draft, Statement statement, const Targets& targets) const {
  StatementRow row = statement_row(statement, version_, targets.populated);
  draft.kinds.push_back(statement);
  auto lock = [&](const std::string& schema, const std::string& relation, plans::LockMode mode,
                  bool require) {
    if (relation.empty()) return;
    add_lock(draft.step, schema, relation, mode);
    const std::string token = table_token(schema, relation);
    if (require &&
        std::find(draft.requires_.begin(), draft.requires_.end(), token) == draft.requires_.end()) {
      draft.requires_.push_back(token);
    }
  };
  for (const auto& [target, mode] : row.locks) {
    switch (target) {
      case Target::Relation:
        lock(targets.schema, targets.relation, mode, true);
        break;
      case Target::Index:
        lock(targets.schema, targets.index, mode, false);
        break;
      case Target::Referenced:
        for (const auto& other : targets.referenced) lock(other.schema, other.name, mode, true);
        break;
      case Target::PartitionParent:
        if (targets.parent) lock(targets.parent->schema, targets.parent->name, mode, true);
        break;
      case Target::TablesUsingDomain:
        for (const auto& user : targets.domain_users) lock(user.schema, user.name, mode, false);
        break;
      case Target::Partitions:
        for (const auto& partition : targets.partitions) {
          lock(partition.schema, partition.name, mode, true);
        }
        break;
      case Target::ParentIndex:
        if (targets.parent) lock(targets.parent->schema, targets.parent_index, mode, false);
        break;
      case Target::DefaultPartition:
        if (targets.default_partition) {
          lock(targets.default_partition->schema, targets.default_partition->name, mode, true);
        }
        break;
    }
  }
  for (const auto hazard : row.hazards) add_hazard(draft.step, hazard);
  draft.step.transactional = draft.step.transactional && row.transactional;
  if (row.duration > draft.step.duration) draft.step.duration = row.duration;
  if (row.timeout > draft.timeout) draft.timeout = row.timeout;
}

std::vector<QualifiedName> Builder::with_partitions(const std::string& schema,
                                                    const std::string& table) const {
  std::vector<QualifiedName> relations = {{schema, table}};
  for (size_t next = 0; next < relations.size(); ++next) {
    for (const auto& other_schema : current_.schemas) {
      for (const auto& other : other_schema.tables) {
        if (other.partition_of && other.partition_of->parent_schema == relations[next].schema &&
            other.partition_of->parent_table == relations[next].name) {
          relations.push_back({other_schema.name, other.name});
        }
      }
    }
  }
  return relations;
}

bool Builder::populated(const std::string& schema, const std::string& current_table) const {
  if (schemas::find_table(current_, schema, current_table) == nullptr) return false;
  const auto stats = current_.facts.table_stats.find(schema + "." + current_table);
  return stats == current_.facts.table_stats.end() || table_populated(stats->second);
}

std::optional<int64_t> Builder::row_estimate(const std::string& schema,
                                             const std::string& current_table) const {
  const auto stats = current_.facts.table_stats.find(schema + "." + current_table);
  if (stats != current_.facts.table_stats.end() && stats->second.has_rows == false) return 0;
  if (stats == current_.facts.table_stats.end() || stats->second.reltuples < 0) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::llround(stats->second.reltuples));
}

void absorb(StepDraft& into, StepDraft&& from, bool first) {
  plans::Step& step = into.step;
  auto splice = [first](auto& to, auto&& more) {
    to.insert(first ? to.begin() : to.end(), std::make_move_iterator(more.begin()),
              std::make_move_iterator(more.end()));
  };
  splice(step.statements, std::move(from.step.statements));
  splice(into.kinds, std::move(from.kinds));
  for (const auto& lock : from.step.locks) add_lock(step, lock.schema, lock.relation, lock.mode);
  for (const auto hazard : from.step.hazards) add_hazard(step, hazard);
  step.transactional = step.transactional && from.step.transactional;
  if (from.step.duration > step.duration) step.duration = from.step.duration;
  if (from.timeout > into.timeout) into.timeout = from.timeout;
  if (from.step.estimated_rows &&
      (!step.estimated_rows || *from.step.estimated_rows > *step.estimated_rows)) {
    step.estimated_rows = from.step.estimated_rows;
  }
  splice(step.data_checks, std::move(from.step.data_checks));
  splice(into.provides, std::move(from.provides));
  splice(into.requires_, std::move(from.requires_));
  splice(into.invalidates, std::move(from.invalidates));
  splice(into.releases, std::move(from.releases));
  splice(into.after, std::move(from.after));
}

std::vector<std::pair<size_t, size_t>> dependency_edges(const std::vector<StepDraft>& drafts,
                                                        const std::vector<size_t>& remap) {
  std::map<std::string, std::vector<size_t>> providers;
  std::map<std::string, std::vector<size_t>> releasers;
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
    for (const auto& token : drafts[draft_idx].provides) providers[token].push_back(draft_idx);
    for (const auto& token : drafts[draft_idx].releases) releasers[token].push_back(draft_idx);
  }
  std::vector<std::pair<size_t, size_t>> edges;
  auto connect = [&edges](const std::map<std::string, std::vector<size_t>>& index,
                          const std::string& token, size_t to) {
    const auto found = index.find(token);
    if (found == index.end()) return;
    for (size_t from : found->second) {
      if (from != to) edges.emplace_back(from, to);
    }
  };
  for (size_t draft_idx = 0; draft_idx < drafts.size(); ++draft_idx) {
    const auto& draft = drafts[draft_idx];
    for (const auto& token : draft.requires_) connect(providers, token, draft_idx);
    for (const auto& token : draft.invalidates) connect(releasers, token, draft_idx);
    for (size_t before : draft.after) {
      if (remap[before] != draft_idx) edges.emplace_back(remap[before], draft_idx);
    }
  }
  std::sort(edges.begin(), edges.end());
  edges.erase(std::unique(edges.begin(), edges.end()), edges.end());
  return edges;
}

}  // namespace pgshift::planner::detail
