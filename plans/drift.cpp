#include "plans/drift.hpp"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "schemas/expand_contract.hpp"
#include "schemas/yaml_fields.hpp"

namespace pgshift::plans {

namespace {

using schemas::ObjectId;
using schemas::ObjectKind;

// Planning hints say how to get to the desired schema, not what it is: the
// catalog never has them, so they are dropped before fields are compared.
schemas::Database without_planning_hints(schemas::Database db) {
  schemas::remove_planning_hints(db);
  return db;
}

// The YAML writer uses a short form for an object that has only its first
// field (a column that is only a type, a view that is only its query): then
// `columns.status` is "text" on one side while the other has
// `columns.status.type` and `columns.status.default`. The short form is moved
// to the long form's path of that first field, so only real differences
// remain. The candidates are the first fields of every long form that has a
// short one (schemas/yaml_writer.cpp); no long form holds two of them.
schemas::FieldMap with_long_forms(const schemas::FieldMap& fields, const schemas::FieldMap& other) {
  static const char* const kFirstFields[] = {"type", "columns", "expression", "definition"};
  schemas::FieldMap out;
  for (const auto& [path, value] : fields) {
    std::string long_path = path;
    if (other.count(path) == 0) {
      const std::string prefix = path.empty() ? "" : path + ".";
      for (const char* first : kFirstFields) {
        if (other.count(prefix + first) != 0) {
          long_path = prefix + first;
          break;
        }
      }
    }
    out[long_path] = value;
  }
  return out;
}

std::vector<FieldDrift> field_drift(const schemas::FieldMap& before_fields,
                                    const schemas::FieldMap& after_fields) {
  const schemas::FieldMap before = with_long_forms(before_fields, after_fields);
  const schemas::FieldMap after = with_long_forms(after_fields, before_fields);
  std::set<std::string> names;
  for (const auto& entry : before) names.insert(entry.first);
  for (const auto& entry : after) names.insert(entry.first);
  std::vector<FieldDrift> fields;
  for (const auto& name : names) {
    const auto before_it = before.find(name);
    const auto after_it = after.find(name);
    std::optional<std::string> before_value;
    std::optional<std::string> after_value;
    if (before_it != before.end()) before_value = before_it->second;
    if (after_it != after.end()) after_value = after_it->second;
    if (before_value != after_value) fields.push_back({name, before_value, after_value});
  }
  return fields;
}

// The top-level object a plan step belongs to: objects on a table (columns,
// constraints, indexes, triggers) belong to their table or materialized view,
// the others are top-level already.
ObjectId top_level(const ObjectId& id, const std::map<ObjectId, schemas::FieldMap>& before,
                   const std::map<ObjectId, schemas::FieldMap>& after) {
  // Default privileges keep their FOR ROLE role in `table`: top-level.
  if (id.table.empty() || id.kind == ObjectKind::DefaultPrivileges) return id;
  const ObjectId matview{ObjectKind::MaterializedView, id.schema, "", id.table};
  if (before.count(matview) != 0 || after.count(matview) != 0) return matview;
  return ObjectId{ObjectKind::Table, id.schema, "", id.table};
}

// Usage of one sequence. Unset bounds are PostgreSQL's defaults (CREATE
// SEQUENCE reference: ascending 1 .. type max, descending type min .. -1).
// The fraction used is 1 - headroom / range size: values below START that
// were never handed out count as used, since the sequence cannot reach them.
SequenceUse sequence_use(const ObjectId& object, const std::string& type,
                         const schemas::SequenceOptions& options,
                         const schemas::SequenceUsage& usage, double threshold) {
  const bool ascending = options.increment.value_or(1) > 0;
  SequenceUse use;
  use.object = object;
  use.type = type;
  use.last_value = usage.last_value;
  use.is_called = usage.is_called;
  use.min_value = options.min_value.value_or(schemas::default_sequence_min(type, ascending));
  use.max_value = options.max_value.value_or(schemas::default_sequence_max(type, ascending));
  // long double: the range of a bigint sequence does not fit in int64_t.
  const long double size = static_cast<long double>(use.max_value) - use.min_value + 1;
  long double headroom = ascending ? static_cast<long double>(use.max_value) - use.last_value
                                   : static_cast<long double>(use.last_value) - use.min_value;
  if (!use.is_called) headroom += 1;
  use.fraction_used = size > 0 ? static_cast<double>(1 - headroom / size) : 0;
  // A CYCLE sequence wraps around instead of failing.
  use.near_exhaustion = !options.cycle && use.fraction_used >= threshold;
  return use;
}

void add_sequence_uses(const schemas::Database& current, double threshold,
                       std::vector<SequenceUse>& out) {
  const auto& usage = current.facts.sequence_usage;
  for (const auto& schema : current.schemas) {
    for (const auto& sequence : schema.sequences) {
      const auto found = usage.find(schema.name + "." + sequence.name);
      if (found == usage.end()) continue;
      out.push_back(sequence_use(ObjectId{ObjectKind::Sequence, schema.name, "", sequence.name},
                                 sequence.type, sequence.options, found->second, threshold));
    }
    // The catalog keys an identity column's sequence by the sequence's name,
    // which the model does not keep; PostgreSQL names it <table>_<column>_seq
    // unless that name is taken or too long, and only that name is found.
    for (const auto& table : schema.tables) {
      for (const auto& column : table.columns) {
        if (column.identity == schemas::IdentityKind::None) continue;
        const auto found = usage.find(schema.name + "." + table.name + "_" + column.name + "_seq");
        if (found == usage.end()) continue;
        out.push_back(
            sequence_use(ObjectId{ObjectKind::Column, schema.name, table.name, column.name},
                         column.type, column.identity_options, found->second, threshold));
      }
    }
  }
}

// A constraint desired `validated: false` may be NOT VALID or valid: the
// desired side takes the current state, so neither is drift.
schemas::Database accepting_not_valid(schemas::Database desired, const schemas::Database& current) {
  for (auto& schema : desired.schemas) {
    for (auto& table : schema.tables) {
      const schemas::Table* now = schemas::find_table(current, schema.name, table.name);
      if (now == nullptr) continue;
      for (auto& check : table.check_constraints) {
        const auto* before = schemas::find_named(now->check_constraints, check.name);
        if (before != nullptr && !check.validated) check.validated = before->validated;
      }
      for (auto& key : table.foreign_keys) {
        const auto* before = schemas::find_named(now->foreign_keys, key.name);
        if (before != nullptr && !key.validated) key.validated = before->validated;
      }
    }
  }
  return desired;
}

// NOT VALID constraints and INVALID indexes of `current`, except constraints
// that `desired` accepts NOT VALID.
void add_constraint_states(const schemas::Database& current, const schemas::Database& desired,
                           DriftReport& report) {
  for (const auto& schema : current.schemas) {
    for (const auto& table : schema.tables) {
      for (const auto& index : table.indexes) {
        if (!index.valid) {
          report.invalid_indexes.push_back(
              {ObjectKind::Index, schema.name, table.name, index.name});
        }
      }
      const schemas::Table* wanted = schemas::find_table(desired, schema.name, table.name);
      auto accepted = [wanted](const auto* item) { return item != nullptr && !item->validated; };
      for (const auto& check : table.check_constraints) {
        if (!check.validated &&
            !(wanted && accepted(schemas::find_named(wanted->check_constraints, check.name)))) {
          report.not_valid_constraints.push_back(
              {ObjectKind::CheckConstraint, schema.name, table.name, check.name});
        }
      }
      for (const auto& key : table.foreign_keys) {
        if (!key.validated &&
            !(wanted && accepted(schemas::find_named(wanted->foreign_keys, key.name)))) {
          report.not_valid_constraints.push_back(
              {ObjectKind::ForeignKey, schema.name, table.name, key.name});
        }
      }
    }
    for (const auto& view : schema.materialized_views) {
      for (const auto& index : view.indexes) {
        if (!index.valid) {
          report.invalid_indexes.push_back({ObjectKind::Index, schema.name, view.name, index.name});
        }
      }
    }
  }
}

}  // namespace

DriftReport build_drift_report(const schemas::Database& current, schemas::Database desired,
                               const Plan& plan, const DriftOptions& options) {
  DriftReport report;
  report.sequence_threshold = options.sequence_threshold;
  report.plan_step_count = plan.steps.size();
  report.plan_diagnostics = plan.diagnostics;
  report.server_version_num = plan.server_version_num;
  report.fingerprint = plan.fingerprint;

  // Between expand and contract the catalog is compared as it will be after
  // contract; the pending contract is reported as such.
  const auto expanded = schemas::expanded_columns(current);
  const auto views = schemas::compatibility_views(current);
  const bool pending = !expanded.empty() || !views.empty();
  schemas::Database contracted;
  if (pending) {
    contracted = current;
    for (const auto& column : expanded) {
      report.pending_contracts.push_back(schemas::describe(column));
      schemas::assume_contracted(contracted, column);
    }
    for (const auto& view : views) {
      report.pending_contracts.push_back(schemas::describe(view));
      schemas::assume_contracted(contracted, view);
    }
  }
  const schemas::Database& seen = pending ? contracted : current;
  // Objects equal on both sides are not written out: they have no field
  // that differs.
  // `desired` becomes the compared model in place (a copy of it was 107 MB
  // of a drift of 10,000 tables). A constraint it accepts NOT VALID is still
  // one after: accepting_not_valid keeps `validated` false where the
  // catalog's is, which is all add_constraint_states asks.
  const schemas::Database compared =
      without_planning_hints(accepting_not_valid(std::move(desired), current));
  const auto before = schemas::object_fields(seen, &compared);
  const auto after = schemas::object_fields(compared, &seen);
  std::map<ObjectId, std::vector<std::string>> steps_by_object;
  for (const auto& step : plan.steps) {
    if (pending && step.stage == Stage::Contract) continue;
    steps_by_object[top_level(step.object, before, after)].push_back(step.summary);
  }

  std::set<ObjectId> ids;
  for (const auto& entry : before) ids.insert(entry.first);
  for (const auto& entry : after) ids.insert(entry.first);
  for (const auto& [id, summaries] : steps_by_object) ids.insert(id);
  for (const auto& id : ids) {
    const auto before_it = before.find(id);
    const auto after_it = after.find(id);
    const auto steps_it = steps_by_object.find(id);
    if (before_it == before.end() && after_it != after.end()) {
      report.missing.push_back(id);
    } else if (before_it != before.end() && after_it == after.end()) {
      report.unexpected.push_back(id);
    } else {
      ChangedObject changed{id, {}, {}};
      if (before_it != before.end())
        changed.fields = field_drift(before_it->second, after_it->second);
      if (steps_it != steps_by_object.end()) changed.plan_steps = steps_it->second;
      if (!changed.fields.empty() || !changed.plan_steps.empty()) {
        report.changed.push_back(std::move(changed));
      }
    }
  }

  add_constraint_states(current, compared, report);
  add_sequence_uses(current, options.sequence_threshold, report.sequences);
  return report;
}

bool has_drift(const DriftReport& report) {
  bool sequence_near_exhaustion = false;
  for (const auto& use : report.sequences) {
    sequence_near_exhaustion = sequence_near_exhaustion || use.near_exhaustion;
  }
  bool plan_error = false;
  for (const auto& diagnostic : report.plan_diagnostics) {
    plan_error = plan_error || diagnostic.severity == Severity::Error;
  }
  return !report.missing.empty() || !report.unexpected.empty() || !report.changed.empty() ||
         !report.pending_contracts.empty() ||
         !report.invalid_indexes.empty() || !report.not_valid_constraints.empty() ||
         sequence_near_exhaustion || report.plan_step_count > 0 || plan_error;
}

}  // namespace pgshift::plans
