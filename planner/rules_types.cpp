// Enums, domains and composite types.
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

// The tables with a column of the domain schema.name in the current model:
// ALTER DOMAIN checks of existing values lock each of them.
Targets domain_users(const schemas::Database& current, const std::string& schema,
                     const std::string& name) {
  Targets targets;
  const std::string token = type_token_of(schema, name);
  for (const auto& table_schema : current.schemas) {
    for (const auto& table : table_schema.tables) {
      const bool uses = std::any_of(
          table.columns.begin(), table.columns.end(), [&](const schemas::Column& column) {
            const auto tokens = type_tokens(column.type, table_schema.name);
            return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
          });
      if (uses) targets.domain_users.push_back({table_schema.name, table.name});
    }
  }
  return targets;
}

// The checks of existing values an ALTER DOMAIN makes (`check`, or its NOT
// NULL without one): for each populated table of the current model, each
// column of the domain (not an array of it), the rows that break it. A
// table the plan renames is named as the step finds it.
std::vector<plans::DataCheck> domain_value_checks(const Builder& builder, const std::string& schema,
                                                  const std::string& name,
                                                  const std::optional<schemas::DomainCheck>& check) {
  std::vector<plans::DataCheck> checks;
  const std::string what = "domain \"" + schema + "." + name + "\"";
  for (const auto& table_schema : builder.current().schemas) {
    for (const auto& table : table_schema.tables) {
      if (!builder.populated(table_schema.name, table.name)) continue;
      const schemas::Table* desired = nullptr;
      if (const auto* desired_schema = schemas::find_named(builder.desired().schemas,
                                                           table_schema.name)) {
        for (const auto& candidate : desired_schema->tables) {
          if (candidate.renamed_from.value_or(candidate.name) == table.name) desired = &candidate;
        }
      }
      const QualifiedName origin = builder.at_plan_time(table_schema.name, table.name);
      CheckedTable checked{
          table_schema.name, origin.name, desired ? desired->name : table.name, {}, {},
          origin.schema};
      if (table.primary_key) {
        checked.plan_key = table.primary_key->columns;
        if (desired && desired->primary_key) checked.step_key = desired->primary_key->columns;
      }
      for (const auto& column : table.columns) {
        std::string domain_schema;
        const schemas::Domain* domain =
            domain_of_type(builder.current(), column.type, table_schema.name, domain_schema);
        if (domain == nullptr || domain_schema != schema || domain->name != name) continue;
        std::string step_column = column.name;
        if (desired) {
          for (const auto& wanted : desired->columns) {
            if (wanted.renamed_from.value_or(wanted.name) == column.name) step_column = wanted.name;
          }
        }
        checks.push_back(domain_check(checked, column.name, step_column, what, check,
                                      std::nullopt, std::nullopt));
      }
    }
  }
  return checks;
}

bool uses_type(const std::string& type, const std::string& schema, const std::string& token) {
  const auto tokens = type_tokens(type, schema);
  return std::find(tokens.begin(), tokens.end(), token) != tokens.end();
}

// Labels removed or reordered: PostgreSQL cannot drop or move an enum value,
// so the type is replaced. In one transaction: the old type is renamed out
// of the way, the new one created under the name with the desired labels,
// every column of a table that keeps the type converted through text (its
// default dropped and set again around the conversion), and the old type
// dropped. Objects whose definition names the type or a converted column
// (domains, composite types, routines, views, CHECKs, index expressions and
// predicates) would keep the old type: the change is refused naming them.
void replace_enum(Builder& builder, const std::string& schema, const schemas::Enum& current,
                  const schemas::Enum& desired) {
  const ObjectId id{ObjectKind::Enum, schema, "", current.name};
  const std::string type = quote_qualified(schema, current.name);
  const std::string token = type_token_of(schema, current.name);
  const std::string old_name = truncate_name(current.name + "_pgshift_old");
  std::vector<std::string> blockers;
  for (const auto& other : builder.current().schemas) {
    for (const auto& domain : other.domains) {
      if (uses_type(domain.base_type, other.name, token)) {
        blockers.push_back(label("domain", other.name, domain.name));
      }
    }
    for (const auto& composite : other.composite_types) {
      for (const auto& attribute : composite.attributes) {
        if (uses_type(attribute.type, other.name, token)) {
          blockers.push_back(label("type", other.name, composite.name));
          break;
        }
      }
    }
    for (const auto& function : other.functions) {
      bool uses = expression_words(function.returns).count(current.name) != 0;
      for (const auto& arg : function.args) uses = uses || uses_type(arg.type, other.name, token);
      if (uses) {
        blockers.push_back(label("routine", other.name, schemas::function_signature(function)));
      }
    }
  }
  struct Conversion {
    std::string schema;
    const schemas::Table* table;
    const schemas::Column* column;
    const schemas::Column* desired;
  };
  std::vector<Conversion> conversions;
  for (const auto& other : builder.current().schemas) {
    for (const auto& table : other.tables) {
      if (table.partition_of) continue;  // converted with its parent
      const auto* kept = schemas::find_table(builder.desired(), other.name, table.name);
      for (const auto& column : table.columns) {
        if (!uses_type(column.type, other.name, token)) continue;
        const auto* wanted = kept ? schemas::find_named(kept->columns, column.name) : nullptr;
        // A column the plan drops or retypes away from the enum goes first.
        if (wanted == nullptr || !uses_type(wanted->type, other.name, token)) continue;
        conversions.push_back({other.name, &table, &column, wanted});
        const auto words_use = [&](const std::string& text) {
          return expression_words(text).count(column.name) != 0;
        };
        for (const auto& check : table.check_constraints) {
          if (words_use(check.expression)) {
            blockers.push_back(
                member_label("check constraint", check.name, other.name, table.name));
          }
        }
        for (const auto& index : table.indexes) {
          bool uses = index.where && words_use(*index.where);
          for (const auto& key : index.keys) {
            uses = uses || (key.expression && words_use(*key.expression));
          }
          if (uses) blockers.push_back(member_label("index", index.name, other.name, table.name));
        }
        for (const auto& dependency : builder.current().facts.dependencies) {
          if (dependency.referenced.schema == other.name &&
              dependency.referenced.name == table.name &&
              dependency.referenced_column == column.name &&
              (dependency.dependent.kind == ObjectKind::View ||
               dependency.dependent.kind == ObjectKind::MaterializedView)) {
            blockers.push_back(label(schemas::object_kind_name(dependency.dependent.kind),
                                     dependency.dependent.schema, dependency.dependent.name));
          }
        }
      }
    }
  }
  if (!blockers.empty()) {
    std::sort(blockers.begin(), blockers.end());
    blockers.erase(std::unique(blockers.begin(), blockers.end()), blockers.end());
    std::string list;
    for (const auto& blocker : blockers) list += (list.empty() ? "" : ", ") + blocker;
    builder.diagnose(plans::Severity::Error, id,
                     "cannot remove or reorder labels of " + describe(id) +
                         " (hazard enum_value_removal): the type is replaced by a new one, and " +
                         list + " would keep the old; change them in a plan of their own first");
    return;
  }
  std::string removed;
  for (const auto& enum_label : current.labels) {
    if (std::find(desired.labels.begin(), desired.labels.end(), enum_label) ==
        desired.labels.end()) {
      removed += (removed.empty() ? "" : ", ") + quote_literal(enum_label);
    }
  }
  auto draft = Builder::make(
      Phase::Alter, id, "replace " + describe(id) + " with one of the desired labels",
      std::string("PostgreSQL cannot drop or move an enum value: a new type takes the name and "
                  "every column is converted through text, in one transaction") +
          (removed.empty() ? "; no label is removed, their order changes"
                           : "; a row holding " + removed + " makes the step fail, changing "
                                                            "nothing") +
          (conversions.empty() ? "" : "; each table using it is rewritten under ACCESS EXCLUSIVE"));
  draft.step.statements.push_back("ALTER TYPE " + type + " RENAME TO " + quote_ident(old_name));
  builder.statement(draft, Statement::RenameTypeToReplace, {});
  draft.step.statements.push_back("CREATE TYPE " + type + " AS ENUM (" +
                                  labels_sql(desired.labels) + ")");
  builder.statement(draft, Statement::CreateEnum, {});
  // One ALTER TABLE per table: one rewrite whatever the number of columns
  // (DROP DEFAULT runs before the type change, SET DEFAULT after it).
  std::optional<int64_t> rows;
  for (size_t first = 0; first < conversions.size();) {
    const Conversion& head = conversions[first];
    const bool populated = builder.populated(head.schema, head.table->name);
    const Targets targets = on_relation(head.schema, head.table->name, populated);
    std::vector<std::string> actions;
    size_t next = first;
    for (; next < conversions.size() && conversions[next].table == head.table; ++next) {
      const Conversion& conversion = conversions[next];
      const std::string column = quote_ident(conversion.column->name);
      std::string array;
      for (std::string base = normalize_type(conversion.column->type);
           base.size() >= 2 && base.compare(base.size() - 2, 2, "[]") == 0;
           base.resize(base.size() - 2)) {
        array += "[]";
      }
      if (conversion.column->default_expr) {
        actions.push_back("ALTER COLUMN " + column + " DROP DEFAULT");
        builder.statement(draft, Statement::DropDefault, targets);
      }
      actions.push_back("ALTER COLUMN " + column + " TYPE " + type + array + " USING " + column +
                        "::text" + array + "::" + type + array);
      builder.statement(draft, Statement::AlterColumnTypeRewrite, targets);
      if (conversion.column->default_expr && conversion.desired->default_expr) {
        actions.push_back("ALTER COLUMN " + column + " SET DEFAULT " +
                          *conversion.desired->default_expr);
        builder.statement(draft, Statement::SetDefault, targets);
      }
      draft.requires_.push_back(
          column_token(conversion.schema, conversion.table->name, conversion.column->name));
    }
    std::string statement = "ALTER TABLE " + quote_qualified(head.schema, head.table->name);
    for (size_t action_idx = 0; action_idx < actions.size(); ++action_idx) {
      statement += (action_idx == 0 ? "\n  " : ",\n  ") + actions[action_idx];
    }
    draft.step.statements.push_back(statement);
    if (populated) {
      const auto estimate = builder.row_estimate(head.schema, head.table->name);
      if (estimate) rows = rows.value_or(0) + *estimate;
    }
    first = next;
  }
  draft.step.statements.push_back("DROP TYPE " + quote_qualified(schema, old_name));
  builder.statement(draft, Statement::DropEnumReplaced, {});
  draft.step.estimated_rows = rows;
  draft.requires_.push_back("name:" + schema + "." + old_name);
  // New users of the type come after it; dropped or retyped ones before.
  draft.provides.push_back(token);
  draft.invalidates.push_back(token);
  builder.add(std::move(draft));
}

void plan_enum(Builder& builder, const std::string& schema, const schemas::Enum* current,
               const schemas::Enum* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Enum, schema, "", name};
  const std::string type = quote_qualified(schema, name);
  const std::string token = type_token_of(schema, name);
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the type is not in the desired schema",
               {{Statement::DropType, "DROP TYPE " + type}}, {}, {}, {token}, {"schema:" + schema});
    return;
  }
  // Labels renamed by their renamed_from (ALTER TYPE ... RENAME VALUE), in
  // steps of their own before the others (sequence): what follows compares
  // the labels as renamed. Stored values follow by OID. A chain (b -> c,
  // then a -> b) is renamed from its free end; a cycle (a swap) through a
  // temporary label, in one step, so that no plan stops with it.
  schemas::Enum renamed;
  std::optional<size_t> last_rename;
  auto pairs = current != nullptr ? label_renames(*current, *desired)
                                  : std::vector<std::pair<std::string, std::string>>{};
  if (!pairs.empty()) {
    renamed = *current;
    const auto has = [&renamed](const std::string& label) {
      return std::find(renamed.labels.begin(), renamed.labels.end(), label) !=
             renamed.labels.end();
    };
    int sequence = -1000;
    while (!pairs.empty()) {
      std::vector<std::pair<std::string, std::string>> steps;
      std::vector<std::pair<std::string, std::string>> named;  // what the summary names
      const auto free = std::find_if(pairs.begin(), pairs.end(),
                                     [&](const auto& pair) { return !has(pair.second); });
      if (free != pairs.end()) {
        steps.push_back(*free);
        named = steps;
        pairs.erase(free);
      } else {
        // Every new label is taken: a cycle, from the first pair back to it.
        std::vector<std::pair<std::string, std::string>> cycle{pairs.front()};
        while (cycle.back().second != cycle.front().first) {
          const std::string next = cycle.back().second;
          cycle.push_back(*std::find_if(pairs.begin(), pairs.end(),
                                        [&](const auto& pair) { return pair.first == next; }));
        }
        std::string spare = "pgshift_label";
        for (int n = 2; has(spare) || std::find(desired->labels.begin(), desired->labels.end(),
                                                 spare) != desired->labels.end();
             ++n) {
          spare = "pgshift_label_" + std::to_string(n);
        }
        steps.push_back({cycle.front().first, spare});
        for (size_t i = cycle.size() - 1; i > 0; --i) steps.push_back(cycle[i]);
        steps.push_back({spare, cycle.front().second});
        named.assign(cycle.rbegin(), cycle.rend());
        pairs.erase(std::remove_if(pairs.begin(), pairs.end(),
                                   [&](const auto& pair) {
                                     return std::find(cycle.begin(), cycle.end(), pair) !=
                                            cycle.end();
                                   }),
                    pairs.end());
      }
      std::string summary;
      for (const auto& [old_label, new_label] : named) {
        summary += (summary.empty() ? "" : ", ") + quote_literal(old_label) + " to " +
                   quote_literal(new_label);
      }
      auto draft = Builder::make(
          Phase::Prepare, id,
          (steps.size() == 1 ? "rename value " : "rename values ") + summary + " of " +
              describe(id),
          std::string("renamed_from: RENAME VALUE is catalog-only; stored values read as the new "
                      "label at once, what writes or compares with the old one breaks") +
              (steps.size() == 1
                   ? ""
                   : "; the labels trade names through " + quote_literal(steps.front().second) +
                         ", in one transaction"));
      for (const auto& [old_label, new_label] : steps) {
        draft.step.statements.push_back("ALTER TYPE " + type + " RENAME VALUE " +
                                        quote_literal(old_label) + " TO " +
                                        quote_literal(new_label));
        builder.statement(draft, Statement::RenameEnumValue, {});
        std::replace(renamed.labels.begin(), renamed.labels.end(), old_label, new_label);
      }
      draft.provides.push_back(token);
      draft.sequence = sequence++;
      if (last_rename) draft.after.push_back(*last_rename);
      last_rename = builder.add(std::move(draft));
    }
    current = &renamed;
  }
  if (current == nullptr) {
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type",
               {{Statement::CreateEnum,
                 "CREATE TYPE " + type + " AS ENUM (" + labels_sql(desired->labels) + ")"}},
               {token}, {"schema:" + schema});
  } else if (current->labels != desired->labels) {
    // Labels can be added anywhere, never removed or moved: the current
    // labels must appear in the desired list in the same order.
    std::vector<std::string> kept;
    for (const auto& enum_label : desired->labels) {
      if (std::find(current->labels.begin(), current->labels.end(), enum_label) !=
          current->labels.end()) {
        kept.push_back(enum_label);
      }
    }
    if (kept != current->labels) {
      replace_enum(builder, schema, *current, *desired);
    } else {
      const bool in_transaction_block =
          statement_row(Statement::AlterEnumAddValue, builder.version()).transactional;
      std::optional<size_t> previous = last_rename;
      int sequence = 0;
      for (size_t label_idx = 0; label_idx < desired->labels.size(); ++label_idx) {
        const std::string& enum_label = desired->labels[label_idx];
        if (std::find(current->labels.begin(), current->labels.end(), enum_label) !=
            current->labels.end()) {
          continue;
        }
        std::string position;
        if (label_idx > 0) {
          position = " AFTER " + quote_literal(desired->labels[label_idx - 1]);
        } else if (desired->labels.size() > 1) {
          position = " BEFORE " + quote_literal(desired->labels[1]);
        }
        auto draft = Builder::make(
            Phase::Prepare, id, "add value " + quote_literal(enum_label) + " to " + describe(id),
            in_transaction_block
                ? "ADD VALUE is catalog-only; the value is usable once committed"
                : "before PostgreSQL 12 ADD VALUE cannot run in a transaction block");
        draft.step.statements = {"ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " +
                                 quote_literal(enum_label) + position};
        builder.statement(draft, Statement::AlterEnumAddValue, {});
        draft.provides.push_back(token);
        draft.sequence = sequence++;
        if (previous) draft.after.push_back(*previous);
        previous = builder.add(std::move(draft));
      }
    }
  }
  maybe_comment(builder, id, "TYPE", type, current ? current->comment : std::nullopt,
                desired->comment, token);
}

void plan_domain(Builder& builder, const std::string& schema, const schemas::Domain* current,
                 const schemas::Domain* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Domain, schema, "", name};
  const std::string domain = quote_qualified(schema, name);
  const std::string token = type_token_of(schema, name);
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the domain is not in the desired schema",
               {{Statement::DropDomain, "DROP DOMAIN " + domain}}, {}, {}, {token},
               {"schema:" + schema, type_token_of(schema, normalize_type(current->base_type))});
    return;
  }
  if (current == nullptr) {
    std::string statement = "CREATE DOMAIN " + domain + " AS " + desired->base_type;
    if (desired->collation) statement += " COLLATE " + plans::quote_dotted(*desired->collation);
    if (desired->default_expr) statement += " DEFAULT " + *desired->default_expr;
    if (desired->not_null) statement += " NOT NULL";
    for (const auto& check : desired->checks) statement += " " + domain_check_sql(check);
    std::vector<std::string> requires_ = type_tokens(desired->base_type, schema);
    requires_.push_back("schema:" + schema);
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type",
               {{Statement::CreateDomain, statement}}, {token}, requires_);
  } else {
    if (normalize_type(current->base_type) != normalize_type(desired->base_type)) {
      builder.diagnose(plans::Severity::Error, id,
                       "cannot change the base type of " + describe(id) +
                           " in place; create a new domain and migrate the columns");
    }
    const std::string alter = "ALTER DOMAIN " + domain + " ";
    const Targets users = domain_users(builder.current(), schema, name);
    if (current->default_expr != desired->default_expr) {
      add_simple(builder, Phase::Alter, id, "change the default of " + describe(id),
                 "defaults apply to new rows only: catalog-only",
                 {{Statement::AlterDomainDefault,
                   alter + (desired->default_expr ? "SET DEFAULT " + *desired->default_expr
                                                  : std::string("DROP DEFAULT"))}});
    }
    if (current->not_null != desired->not_null) {
      const size_t set_not_null = add_simple(
          builder, Phase::Validate, id,
          (desired->not_null ? "set NOT NULL on " : "drop NOT NULL of ") + describe(id),
          desired->not_null ? "checks every column of the domain; tables using it wait for writes"
                            : "relaxing a constraint is catalog-only",
          {desired->not_null ? Sql{Statement::AlterDomainSetNotNull, alter + "SET NOT NULL"}
                             : Sql{Statement::AlterDomainDropNotNull, alter + "DROP NOT NULL"}},
          {}, {}, {}, {}, users);
      if (desired->not_null) {
        builder.at(set_not_null).step.data_checks =
            domain_value_checks(builder, schema, name, std::nullopt);
      }
    }
    for (const auto& [before, wanted] : match_by_name(&current->checks, desired->checks)) {
      if (wanted == nullptr) {
        add_simple(builder, Phase::Drop, id,
                   "drop check \"" + before->name + "\" of " + describe(id),
                   "the check is not in the desired schema",
                   {{Statement::AlterDomainDropConstraint,
                     alter + "DROP CONSTRAINT " + quote_ident(before->name)}});
        continue;
      }
      const schemas::DomainCheck& check = *wanted;
      if (before != nullptr &&
          normalize_expression(before->expression) == normalize_expression(check.expression)) {
        continue;
      }
      std::vector<Sql> statements;
      if (before != nullptr) {
        statements.push_back({Statement::AlterDomainDropConstraintToReplace,
                              alter + "DROP CONSTRAINT " + quote_ident(check.name)});
      }
      statements.push_back({Statement::AlterDomainAddConstraintNotValid,
                            alter + "ADD " + domain_check_sql(check) + " NOT VALID"});
      const size_t added = add_simple(builder, Phase::Constrain, id,
                                      "add check \"" + check.name + "\" to " + describe(id),
                                      "NOT VALID skips the check of existing values", statements);
      auto validate = Builder::make(Phase::Validate, id,
                                    "validate check \"" + check.name + "\" of " + describe(id),
                                    "checks every column of the domain");
      validate.step.statements = {alter + "VALIDATE CONSTRAINT " + quote_ident(check.name)};
      builder.statement(validate, Statement::AlterDomainValidateConstraint, users);
      validate.step.data_checks = domain_value_checks(builder, schema, name, check);
      validate.after.push_back(added);
      validate.sequence = 1;
      builder.add(std::move(validate));
    }
  }
  maybe_comment(builder, id, "DOMAIN", domain, current ? current->comment : std::nullopt,
                desired->comment, token);
}

void plan_composite(Builder& builder, const std::string& schema,
                    const schemas::CompositeType* current, const schemas::CompositeType* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::CompositeType, schema, "", name};
  const std::string type = quote_qualified(schema, name);
  const std::string token = type_token_of(schema, name);
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the type is not in the desired schema",
               {{Statement::DropType, "DROP TYPE " + type}}, {}, {}, {token}, {"schema:" + schema});
    return;
  }
  std::vector<std::string> requires_ = {"schema:" + schema};
  for (const auto& attribute : desired->attributes) {
    for (const auto& dependency : type_tokens(attribute.type, schema))
      requires_.push_back(dependency);
  }
  if (current == nullptr) {
    std::string statement = "CREATE TYPE " + type + " AS (";
    for (size_t attribute_idx = 0; attribute_idx < desired->attributes.size(); ++attribute_idx) {
      statement += (attribute_idx == 0 ? "" : ", ") +
                   composite_attribute_sql(desired->attributes[attribute_idx]);
    }
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type",
               {{Statement::CreateCompositeType, statement + ")"}}, {token}, requires_);
  } else if (!(current->attributes == desired->attributes)) {
    std::vector<std::string> actions;
    bool drops = false;
    for (const auto& attribute : desired->attributes) {
      const auto* before = schemas::find_named(current->attributes, attribute.name);
      if (before == nullptr) {
        actions.push_back("ADD ATTRIBUTE " + composite_attribute_sql(attribute));
      } else if (normalize_type(before->type) != normalize_type(attribute.type) ||
                 before->collation != attribute.collation) {
        actions.push_back("ALTER ATTRIBUTE " + quote_ident(attribute.name) + " TYPE " +
                          attribute.type);
      }
    }
    for (const auto& attribute : current->attributes) {
      if (schemas::find_named(desired->attributes, attribute.name) == nullptr) {
        actions.push_back("DROP ATTRIBUTE " + quote_ident(attribute.name));
        drops = true;
      }
    }
    if (!actions.empty()) {
      std::string statement = "ALTER TYPE " + type + " ";
      for (size_t action_idx = 0; action_idx < actions.size(); ++action_idx) {
        statement += (action_idx == 0 ? "" : ", ") + actions[action_idx];
      }
      add_simple(
          builder, Phase::Prepare, id, "alter " + describe(id),
          "attributes of a composite type are catalog entries",
          {{drops ? Statement::AlterCompositeTypeDropAttribute : Statement::AlterCompositeType,
            statement}},
          {token}, requires_);
    }
  }
  maybe_comment(builder, id, "TYPE", type, current ? current->comment : std::nullopt,
                desired->comment, token);
}

}  // namespace

void plan_types(Builder& builder) {
  for_each_match<schemas::Enum>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.enums; },
      [&builder](const std::string& schema, const schemas::Enum* current,
                 const schemas::Enum* desired) { plan_enum(builder, schema, current, desired); });
  for_each_match<schemas::Domain>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.domains; },
      [&builder](const std::string& schema, const schemas::Domain* current,
                 const schemas::Domain* desired) {
        plan_domain(builder, schema, current, desired);
      });
  for_each_match<schemas::CompositeType>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.composite_types; },
      [&builder](const std::string& schema, const schemas::CompositeType* current,
                 const schemas::CompositeType* desired) {
        plan_composite(builder, schema, current, desired);
      });
}

}  // namespace pgshift::planner::detail
