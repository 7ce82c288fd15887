// Everything that is not a table: schemas, extensions, enums, domains,
// composite types, sequences, functions and procedures, views and
// materialized views.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "planner/builder.hpp"
#include "planner/normalize.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

namespace {

using plans::DurationClass;
using plans::Hazard;
using plans::Phase;
using plans::quote_ident;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

// Adds a draft that changes a non-relation object: no relation lock, so the
// lock list stays empty; the step still gets the plan's timeouts.
size_t add_simple(Builder& builder, Phase phase, ObjectId id, std::string summary,
                  std::string rationale, std::vector<std::string> statements,
                  std::vector<std::string> provides = {}, std::vector<std::string> requires_ = {},
                  std::vector<std::string> invalidates = {},
                  std::vector<std::string> releases = {}) {
  auto draft = Builder::make(phase, std::move(id), std::move(summary), std::move(rationale));
  draft.step.statements = std::move(statements);
  draft.provides = std::move(provides);
  draft.requires_ = std::move(requires_);
  draft.invalidates = std::move(invalidates);
  draft.releases = std::move(releases);
  return builder.add(std::move(draft));
}

void maybe_comment(Builder& builder, const ObjectId& id, const std::string& what,
                   const std::string& target, const std::optional<std::string>& before,
                   const std::optional<std::string>& after, const std::string& token) {
  if (before == after) return;
  add_simple(builder, Phase::Finalize, id, "comment on " + describe(id),
             "comments are catalog-only", {comment_sql(what, target, after)}, {}, {token});
}

template <typename T>
std::map<std::string, const T*> by_name(const std::vector<T>& items) {
  std::map<std::string, const T*> map;
  for (const auto& item : items) map[item.name] = &item;
  return map;
}

// Calls visit(schema, current_or_null, desired_or_null) for every object of a
// collection in either model, schemas and names in order.
template <typename T, typename Collection, typename Visit>
void for_each_pair(Builder& builder, Collection collection, Visit visit) {
  std::map<std::pair<std::string, std::string>, std::pair<const T*, const T*>> pairs;
  for (const auto& schema : builder.current().schemas) {
    for (const auto& item : collection(schema)) pairs[{schema.name, item.name}].first = &item;
  }
  for (const auto& schema : builder.desired().schemas) {
    for (const auto& item : collection(schema)) pairs[{schema.name, item.name}].second = &item;
  }
  for (const auto& [key, pair] : pairs) {
    visit(key.first, pair.first, pair.second);
  }
}

// ---------------------------------------------------------------------------
// Enums, domains, composite types.
// ---------------------------------------------------------------------------

std::string type_token_of(const std::string& schema, const std::string& name) {
  return "type:" + schema + "." + name;
}

std::string labels_sql(const std::vector<std::string>& labels) {
  std::string text;
  for (const auto& enum_label : labels)
    text += (text.empty() ? "" : ", ") + quote_literal(enum_label);
  return text;
}

void plan_enum(Builder& builder, const std::string& schema, const schemas::Enum* current,
               const schemas::Enum* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Enum, schema, "", name};
  const std::string type = quote_qualified(schema, name);
  const std::string token = type_token_of(schema, name);
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the type is not in the desired schema", {"DROP TYPE " + type}, {}, {}, {token},
               {"schema:" + schema});
    return;
  }
  if (current == nullptr) {
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type",
               {"CREATE TYPE " + type + " AS ENUM (" + labels_sql(desired->labels) + ")"}, {token},
               {"schema:" + schema});
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
      builder.diagnose(plans::Severity::Error, id,
                       "cannot remove or reorder labels of " + describe(id) +
                           " (hazard enum_value_removal): PostgreSQL cannot drop enum values; "
                           "create a new type and migrate the columns");
    } else {
      const bool transactional = builder.version() >= 120000;
      std::optional<size_t> previous;
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
            transactional ? "ADD VALUE is catalog-only; the value is usable once committed"
                          : "before PostgreSQL 12 ADD VALUE cannot run in a transaction block");
        draft.step.statements = {"ALTER TYPE " + type + " ADD VALUE IF NOT EXISTS " +
                                 quote_literal(enum_label) + position};
        draft.step.transactional = transactional;
        if (!transactional) draft.step.hazards.push_back(Hazard::NonTransactional);
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

std::string domain_check_sql(const schemas::DomainCheck& check) {
  return "CONSTRAINT " + quote_ident(check.name) + " CHECK (" + check.expression + ")";
}

void plan_domain(Builder& builder, const std::string& schema, const schemas::Domain* current,
                 const schemas::Domain* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Domain, schema, "", name};
  const std::string domain = quote_qualified(schema, name);
  const std::string token = type_token_of(schema, name);
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the domain is not in the desired schema", {"DROP DOMAIN " + domain}, {}, {},
               {token},
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
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type", {statement},
               {token}, requires_);
  } else {
    if (normalize_type(current->base_type) != normalize_type(desired->base_type)) {
      builder.diagnose(plans::Severity::Error, id,
                       "cannot change the base type of " + describe(id) +
                           " in place; create a new domain and migrate the columns");
    }
    const std::string alter = "ALTER DOMAIN " + domain + " ";
    if (current->default_expr != desired->default_expr) {
      add_simple(builder, Phase::Alter, id, "change the default of " + describe(id),
                 "defaults apply to new rows only: catalog-only",
                 {alter + (desired->default_expr ? "SET DEFAULT " + *desired->default_expr
                                                 : std::string("DROP DEFAULT"))});
    }
    if (current->not_null != desired->not_null) {
      const size_t index = add_simple(
          builder, Phase::Validate, id,
          (desired->not_null ? "set NOT NULL on " : "drop NOT NULL of ") + describe(id),
          desired->not_null ? "checks every column of the domain; tables using it wait for writes"
                            : "relaxing a constraint is catalog-only",
          {alter + (desired->not_null ? "SET NOT NULL" : "DROP NOT NULL")});
      if (desired->not_null) {
        builder.at(index).step.duration = DurationClass::BlockingScan;
        builder.at(index).timeout = TimeoutKind::Rewrite;
      }
    }
    for (const auto& check : desired->checks) {
      const auto* before = schemas::find_named(current->checks, check.name);
      if (before != nullptr &&
          normalize_expression(before->expression) == normalize_expression(check.expression)) {
        continue;
      }
      std::vector<std::string> statements;
      if (before != nullptr)
        statements.push_back(alter + "DROP CONSTRAINT " + quote_ident(check.name));
      statements.push_back(alter + "ADD " + domain_check_sql(check) + " NOT VALID");
      const size_t added = add_simple(builder, Phase::Constrain, id,
                                      "add check \"" + check.name + "\" to " + describe(id),
                                      "NOT VALID skips the check of existing values", statements);
      auto validate = Builder::make(Phase::Validate, id,
                                    "validate check \"" + check.name + "\" of " + describe(id),
                                    "checks every column of the domain");
      validate.step.statements = {alter + "VALIDATE CONSTRAINT " + quote_ident(check.name)};
      validate.step.duration = DurationClass::OnlineScan;
      validate.timeout = TimeoutKind::Validate;
      validate.after.push_back(added);
      validate.sequence = 1;
      builder.add(std::move(validate));
    }
    for (const auto& check : current->checks) {
      if (schemas::find_named(desired->checks, check.name) != nullptr) continue;
      add_simple(builder, Phase::Drop, id, "drop check \"" + check.name + "\" of " + describe(id),
                 "the check is not in the desired schema",
                 {alter + "DROP CONSTRAINT " + quote_ident(check.name)});
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
  auto attribute_sql = [](const schemas::CompositeAttribute& attribute) {
    return quote_ident(attribute.name) + " " + attribute.type +
           (attribute.collation ? " COLLATE " + plans::quote_dotted(*attribute.collation) : "");
  };
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the type is not in the desired schema", {"DROP TYPE " + type}, {}, {}, {token},
               {"schema:" + schema});
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
      statement +=
          (attribute_idx == 0 ? "" : ", ") + attribute_sql(desired->attributes[attribute_idx]);
    }
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new type",
               {statement + ")"}, {token}, requires_);
  } else if (!(current->attributes == desired->attributes)) {
    std::vector<std::string> actions;
    bool drops = false;
    for (const auto& attribute : desired->attributes) {
      const auto* before = schemas::find_named(current->attributes, attribute.name);
      if (before == nullptr) {
        actions.push_back("ADD ATTRIBUTE " + attribute_sql(attribute));
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
      const size_t index = add_simple(builder, Phase::Prepare, id, "alter " + describe(id),
                                      "attributes of a composite type are catalog entries",
                                      {statement}, {token}, requires_);
      if (drops) builder.at(index).step.hazards.push_back(Hazard::DataLoss);
    }
  }
  maybe_comment(builder, id, "TYPE", type, current ? current->comment : std::nullopt,
                desired->comment, token);
}

// ---------------------------------------------------------------------------
// Sequences.
// ---------------------------------------------------------------------------

std::string sequence_options_sql(const schemas::Sequence& sequence) {
  std::string text = " AS " + sequence.type;
  auto option = [&text](const char* keyword, const std::optional<int64_t>& value) {
    if (value) text += std::string(" ") + keyword + " " + std::to_string(*value);
  };
  option("INCREMENT BY", sequence.options.increment);
  option("MINVALUE", sequence.options.min_value);
  option("MAXVALUE", sequence.options.max_value);
  option("START WITH", sequence.options.start);
  option("CACHE", sequence.options.cache);
  text += sequence.options.cycle ? " CYCLE" : " NO CYCLE";
  return text;
}

// "schema.table.column" -> quoted, or NONE.
std::string owned_by_sql(const std::optional<std::string>& owned_by) {
  if (!owned_by) return "NONE";
  const auto first = owned_by->find('.');
  const auto last = owned_by->rfind('.');
  return quote_qualified(owned_by->substr(0, first),
                         owned_by->substr(first + 1, last - first - 1)) +
         "." + quote_ident(owned_by->substr(last + 1));
}

void plan_sequence(Builder& builder, const std::string& schema, const schemas::Sequence* current,
                   const schemas::Sequence* desired) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectId id{ObjectKind::Sequence, schema, "", name};
  const std::string sequence = quote_qualified(schema, name);
  const std::string token = "seq:" + schema + "." + name;
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the sequence is not in the desired schema", {"DROP SEQUENCE " + sequence}, {}, {},
               {token}, {"schema:" + schema});
    return;
  }
  if (current == nullptr) {
    add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new sequence",
               {"CREATE SEQUENCE " + sequence + sequence_options_sql(*desired)}, {token},
               {"schema:" + schema});
  } else if (normalize_type(current->type) != normalize_type(desired->type) ||
             !(current->options == desired->options)) {
    add_simple(builder, Phase::Prepare, id, "alter " + describe(id),
               "sequence options are catalog entries",
               {"ALTER SEQUENCE " + sequence + sequence_options_sql(*desired)}, {token});
  }
  if ((current ? current->owned_by : std::nullopt) != desired->owned_by) {
    std::vector<std::string> requires_ = {token};
    if (desired->owned_by) requires_.push_back("column:" + *desired->owned_by);
    add_simple(builder, Phase::Finalize, id, "set the owner column of " + describe(id),
               "OWNED BY ties the sequence's life to the column",
               {"ALTER SEQUENCE " + sequence + " OWNED BY " + owned_by_sql(desired->owned_by)}, {},
               requires_);
  }
  maybe_comment(builder, id, "SEQUENCE", sequence, current ? current->comment : std::nullopt,
                desired->comment, token);
}

// ---------------------------------------------------------------------------
// Functions and procedures.
// ---------------------------------------------------------------------------

std::string arguments_sql(const schemas::Function& function, bool identity_only) {
  std::string text;
  for (const auto& arg : function.args) {
    std::string mode;
    switch (arg.mode) {
      case schemas::ArgMode::In:
        break;
      case schemas::ArgMode::Out:
        mode = "OUT ";
        break;
      case schemas::ArgMode::InOut:
        mode = "INOUT ";
        break;
      case schemas::ArgMode::Variadic:
        mode = "VARIADIC ";
        break;
      case schemas::ArgMode::Table:
        continue;  // part of RETURNS TABLE(...)
    }
    if (identity_only && arg.mode == schemas::ArgMode::Out) continue;
    std::string item =
        identity_only ? arg.type
                      : mode + (arg.name.empty() ? "" : quote_ident(arg.name) + " ") + arg.type +
                            (arg.default_expr ? " DEFAULT " + *arg.default_expr : "");
    text += (text.empty() ? "" : ", ") + item;
  }
  return text;
}

std::string function_target(const std::string& schema, const schemas::Function& function) {
  return quote_qualified(schema, function.name) + "(" + arguments_sql(function, true) + ")";
}

std::string create_function_sql(const std::string& schema, const schemas::Function& function) {
  std::string text =
      std::string("CREATE OR REPLACE ") + (function.is_procedure ? "PROCEDURE " : "FUNCTION ") +
      quote_qualified(schema, function.name) + "(" + arguments_sql(function, false) + ")";
  if (!function.is_procedure) text += " RETURNS " + function.returns;
  text += " LANGUAGE " + quote_ident(function.language);
  if (!function.is_procedure) {
    switch (function.volatility) {
      case schemas::Volatility::Immutable:
        text += " IMMUTABLE";
        break;
      case schemas::Volatility::Stable:
        text += " STABLE";
        break;
      case schemas::Volatility::Volatile:
        text += " VOLATILE";
        break;
    }
    if (function.strict) text += " STRICT";
  }
  if (function.security_definer) text += " SECURITY DEFINER";
  return text + " AS " + plans::dollar_quote(function.body);
}

void plan_function(Builder& builder, const std::string& schema, const schemas::Function* current,
                   const schemas::Function* desired) {
  const schemas::Function& any = desired ? *desired : *current;
  const ObjectKind kind = any.is_procedure ? ObjectKind::Procedure : ObjectKind::Function;
  const ObjectId id{kind, schema, "", schemas::function_signature(any)};
  const std::string token = "func:" + schema + "." + any.name;
  const char* keyword = any.is_procedure ? "PROCEDURE " : "FUNCTION ";
  if (desired == nullptr) {
    add_simple(builder, Phase::Drop, id, "drop " + describe(id),
               "the routine is not in the desired schema",
               {std::string("DROP ") + keyword + function_target(schema, *current)}, {}, {},
               {token}, {"schema:" + schema});
    return;
  }
  std::vector<std::string> requires_ = {"schema:" + schema};
  for (const auto& arg : desired->args) {
    for (const auto& type : type_tokens(arg.type, schema)) requires_.push_back(type);
  }
  schemas::Function current_body = current ? *current : *desired;
  current_body.comment = desired->comment;
  if (current == nullptr || !(current_body == *desired)) {
    // CREATE OR REPLACE cannot change the result type, argument names or
    // defaults, or turn a function into a procedure: drop and create then.
    const bool replace_in_place =
        current == nullptr ||
        (current->returns == desired->returns && current->args == desired->args &&
         current->is_procedure == desired->is_procedure);
    std::vector<std::string> statements;
    if (!replace_in_place) {
      statements.push_back(std::string("DROP ") +
                           (current->is_procedure ? "PROCEDURE " : "FUNCTION ") +
                           function_target(schema, *current));
    }
    statements.push_back(create_function_sql(schema, *desired));
    add_simple(builder, Phase::Prepare, id, (current ? "replace " : "create ") + describe(id),
               replace_in_place ? "CREATE OR REPLACE swaps the definition atomically"
                                : "the signature's result changes: drop and create in one "
                                  "transaction",
               statements, {token}, requires_);
  }
  maybe_comment(builder, id, keyword, function_target(schema, *desired),
                current ? current->comment : std::nullopt, desired->comment, token);
}

// ---------------------------------------------------------------------------
// Views and materialized views.
// ---------------------------------------------------------------------------

// Tokens a current view or materialized view uses, from the catalog's
// dependencies.
std::vector<std::string> dependency_tokens(const schemas::Database& current,
                                           const std::string& schema, const std::string& name) {
  std::vector<std::string> tokens;
  for (const auto& dependency : current.facts.dependencies) {
    const auto& dependent = dependency.dependent;
    if ((dependent.kind != ObjectKind::View && dependent.kind != ObjectKind::MaterializedView) ||
        dependent.schema != schema || dependent.name != name) {
      continue;
    }
    const auto& referenced = dependency.referenced;
    switch (referenced.kind) {
      case ObjectKind::Table:
        tokens.push_back(table_token(referenced.schema, referenced.name));
        if (!dependency.referenced_column.empty()) {
          tokens.push_back(
              column_token(referenced.schema, referenced.name, dependency.referenced_column));
        }
        break;
      case ObjectKind::View:
      case ObjectKind::MaterializedView:
        tokens.push_back("view:" + referenced.schema + "." + referenced.name);
        break;
      case ObjectKind::Schema:
      case ObjectKind::Extension:
      case ObjectKind::Column:
      case ObjectKind::PrimaryKey:
      case ObjectKind::UniqueConstraint:
      case ObjectKind::CheckConstraint:
      case ObjectKind::ForeignKey:
      case ObjectKind::Index:
      case ObjectKind::Sequence:
      case ObjectKind::Enum:
      case ObjectKind::Domain:
      case ObjectKind::CompositeType:
      case ObjectKind::Function:
      case ObjectKind::Procedure:
      case ObjectKind::Trigger:
        break;
    }
  }
  return tokens;
}

// Tokens a desired view's query may use: tables, their columns and other
// views of the desired model named in the text. A heuristic that only adds
// ordering edges; a word that names nothing adds nothing.
std::vector<std::string> query_tokens(const schemas::Database& desired, const std::string& query) {
  const auto words = expression_words(query);
  std::vector<std::string> tokens;
  for (const auto& schema : desired.schemas) {
    for (const auto& table : schema.tables) {
      if (words.count(table.name) == 0) continue;
      tokens.push_back(table_token(schema.name, table.name));
      for (const auto& column : table.columns) {
        if (words.count(column.name) != 0) {
          tokens.push_back(column_token(schema.name, table.name, column.name));
        }
      }
    }
    for (const auto& view : schema.views) {
      if (words.count(view.name) != 0) tokens.push_back("view:" + schema.name + "." + view.name);
    }
    for (const auto& view : schema.materialized_views) {
      if (words.count(view.name) != 0) tokens.push_back("view:" + schema.name + "." + view.name);
    }
  }
  return tokens;
}

std::string options_sql(const std::map<std::string, std::string>& options) {
  if (options.empty()) return "";
  std::string text;
  for (const auto& [option, value] : options) {
    text += (text.empty() ? "" : ", ") + quote_ident(option) + " = " + value;
  }
  return " WITH (" + text + ")";
}

// Current views and materialized views that must be dropped and recreated
// because something they use is dropped or retyped, transitively.
std::set<std::string> views_to_recreate(Builder& builder) {
  std::set<std::string> invalid = builder.invalidated();
  std::set<std::string> recreate;
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& schema : builder.current().schemas) {
      auto visit = [&](const std::string& name) {
        const std::string token = "view:" + schema.name + "." + name;
        if (recreate.count(token) != 0) return;
        for (const auto& used : dependency_tokens(builder.current(), schema.name, name)) {
          if (invalid.count(used) != 0) {
            recreate.insert(token);
            invalid.insert(token);
            changed = true;
            return;
          }
        }
      };
      for (const auto& view : schema.views) visit(view.name);
      for (const auto& view : schema.materialized_views) visit(view.name);
    }
  }
  return recreate;
}

template <typename View>
void plan_view(Builder& builder, const std::string& schema, const View* current,
               const View* desired, const std::set<std::string>& recreate, bool materialized) {
  const std::string name = desired ? desired->name : current->name;
  const ObjectKind kind = materialized ? ObjectKind::MaterializedView : ObjectKind::View;
  const ObjectId id{kind, schema, "", name};
  const std::string relation = quote_qualified(schema, name);
  const std::string token = "view:" + schema + "." + name;
  const char* keyword = materialized ? "MATERIALIZED VIEW " : "VIEW ";
  const bool must_recreate = current != nullptr && recreate.count(token) != 0;
  bool changed =
      current != nullptr && desired != nullptr &&
      (normalize_expression(current->definition) != normalize_expression(desired->definition) ||
       current->options != desired->options);
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    if (current != nullptr && desired != nullptr && current->with_data != desired->with_data) {
      changed = true;
    }
  }
  const bool drop_first =
      current != nullptr && (desired == nullptr || must_recreate || (materialized && changed));
  std::optional<size_t> dropped;
  if (drop_first) {
    auto draft = Builder::make(
        desired ? Phase::Alter : Phase::Drop, id,
        std::string(desired ? "drop (to recreate) " : "drop ") + describe(id),
        desired == nullptr ? "the view is not in the desired schema"
        : must_recreate    ? "a column or table it uses is dropped or retyped: drop it first, "
                             "recreate it after"
                           : "a materialized view cannot be replaced in place");
    draft.step.statements = {"DROP " + std::string(keyword) + relation};
    builder.lock(draft, AlterAction::DropView, schema, name);
    draft.requires_.clear();  // the relation token is the recreated view's, which comes after
    if (desired) draft.step.hazards.push_back(Hazard::DependentRecreated);
    draft.invalidates.push_back(token);
    draft.releases = dependency_tokens(builder.current(), schema, name);
    draft.releases.push_back("schema:" + schema);
    dropped = builder.add(std::move(draft));
  }
  if (desired == nullptr) return;
  const bool create = current == nullptr || drop_first;
  if (create || changed) {
    // The server's pg_get_viewdef ends the query with ";": nothing may follow
    // it in the statement (WITH NO DATA), so trailing ";" and blanks go.
    std::string query = desired->definition;
    while (!query.empty() &&
           (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())) != 0)) {
      query.pop_back();
    }
    std::string statement;
    if (materialized) {
      statement =
          "CREATE MATERIALIZED VIEW " + relation + options_sql(desired->options) + " AS " + query;
      if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
        if (!desired->with_data) statement += " WITH NO DATA";
      }
    } else {
      statement = std::string(create ? "CREATE VIEW " : "CREATE OR REPLACE VIEW ") + relation +
                  options_sql(desired->options) + " AS " + query;
    }
    auto draft =
        Builder::make(Phase::Finalize, id, (create ? "create " : "replace ") + describe(id),
                      create ? "views hold no rows: creating one is catalog-only"
                             : "CREATE OR REPLACE VIEW swaps the query atomically (the "
                               "server refuses it if the columns change incompatibly)");
    draft.step.statements = {statement};
    if (!create) builder.lock(draft, AlterAction::ReplaceView, schema, name);
    if (materialized) draft.step.duration = DurationClass::OnlineScan;
    draft.requires_ = query_tokens(builder.desired(), desired->definition);
    if (current != nullptr) {
      for (const auto& used : dependency_tokens(builder.current(), schema, name)) {
        draft.requires_.push_back(used);
      }
    }
    draft.requires_.push_back("schema:" + schema);
    draft.provides.push_back(token);
    draft.provides.push_back(table_token(schema, name));  // a relation: its indexes need it
    draft.sequence = 1;
    if (dropped) draft.after.push_back(*dropped);
    builder.add(std::move(draft));
  }
  if constexpr (std::is_same_v<View, schemas::MaterializedView>) {
    const bool keeps_indexes = current != nullptr && !drop_first;
    plan_relation_indexes(builder, schema, name, keeps_indexes ? &current->indexes : nullptr,
                          desired->indexes, keeps_indexes, false);
  }
  const auto before = current != nullptr && !drop_first ? current->comment : std::nullopt;
  maybe_comment(builder, id, materialized ? "MATERIALIZED VIEW" : "VIEW", relation, before,
                desired->comment, token);
}

}  // namespace

void plan_schemas_and_extensions(Builder& builder) {
  std::map<std::string, std::pair<const schemas::Schema*, const schemas::Schema*>> pairs;
  for (const auto& schema : builder.current().schemas) pairs[schema.name].first = &schema;
  for (const auto& schema : builder.desired().schemas) pairs[schema.name].second = &schema;
  for (const auto& [name, pair] : pairs) {
    const auto& [current, desired] = pair;
    const ObjectId id{ObjectKind::Schema, "", "", name};
    const std::string token = "schema:" + name;
    if (desired == nullptr) {
      add_simple(builder, Phase::Drop, id, "drop " + describe(id),
                 "the schema is not in the desired model; its objects are dropped first",
                 {"DROP SCHEMA " + quote_ident(name)}, {}, {}, {token});
      continue;
    }
    if (current == nullptr) {
      add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new schema",
                 {"CREATE SCHEMA " + quote_ident(name)}, {token});
    }
    maybe_comment(builder, id, "SCHEMA", quote_ident(name),
                  current ? current->comment : std::nullopt, desired->comment, token);
  }
  const auto current_extensions = by_name(builder.current().extensions);
  const auto desired_extensions = by_name(builder.desired().extensions);
  for (const auto& [name, desired] : desired_extensions) {
    const ObjectId id{ObjectKind::Extension, "", "", name};
    const auto found = current_extensions.find(name);
    const schemas::Extension* current = found == current_extensions.end() ? nullptr : found->second;
    if (current == nullptr) {
      add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new extension",
                 {"CREATE EXTENSION IF NOT EXISTS " + quote_ident(name) + " WITH SCHEMA " +
                  quote_ident(desired->schema) +
                  (desired->version ? " VERSION " + quote_literal(*desired->version) : "")},
                 {"ext:" + name}, {"schema:" + desired->schema});
      continue;
    }
    if (current->schema != desired->schema) {
      add_simple(
          builder, Phase::Prepare, id, "move " + describe(id), "SET SCHEMA is catalog-only",
          {"ALTER EXTENSION " + quote_ident(name) + " SET SCHEMA " + quote_ident(desired->schema)},
          {}, {"schema:" + desired->schema}, {}, {"schema:" + current->schema});
    }
    if (desired->version && current->version != desired->version) {
      add_simple(builder, Phase::Prepare, id, "update " + describe(id),
                 "the extension's update script decides what changes",
                 {"ALTER EXTENSION " + quote_ident(name) + " UPDATE TO " +
                  quote_literal(*desired->version)});
    }
  }
  for (const auto& [name, current] : current_extensions) {
    if (desired_extensions.count(name) != 0) continue;
    add_simple(builder, Phase::Drop, {ObjectKind::Extension, "", "", name},
               "drop extension \"" + name + "\"", "the extension is not in the desired model",
               {"DROP EXTENSION " + quote_ident(name)}, {}, {}, {"ext:" + name},
               {"schema:" + current->schema});
  }
}

void plan_types(Builder& builder) {
  for_each_pair<schemas::Enum>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.enums; },
      [&builder](const std::string& schema, const schemas::Enum* current,
                 const schemas::Enum* desired) { plan_enum(builder, schema, current, desired); });
  for_each_pair<schemas::Domain>(
      builder,
      [](const schemas::Schema& s) -> const auto& { return s.domains; },
      [&builder](const std::string& schema, const schemas::Domain* current,
                 const schemas::Domain* desired) {
        plan_domain(builder, schema, current, desired);
      });
  for_each_pair<schemas::CompositeType>(
      builder,
      [](const schemas::Schema& s) -> const auto& { return s.composite_types; },
      [&builder](const std::string& schema, const schemas::CompositeType* current,
                 const schemas::CompositeType* desired) {
        plan_composite(builder, schema, current, desired);
      });
}

void plan_sequences(Builder& builder) {
  for_each_pair<schemas::Sequence>(
      builder,
      [](const schemas::Schema& s) -> const auto& { return s.sequences; },
      [&builder](const std::string& schema, const schemas::Sequence* current,
                 const schemas::Sequence* desired) {
        plan_sequence(builder, schema, current, desired);
      });
}

void plan_functions(Builder& builder) {
  std::map<std::pair<std::string, std::string>,
           std::pair<const schemas::Function*, const schemas::Function*>>
      pairs;
  for (const auto& schema : builder.current().schemas) {
    for (const auto& function : schema.functions) {
      pairs[{schema.name, schemas::function_signature(function)}].first = &function;
    }
  }
  for (const auto& schema : builder.desired().schemas) {
    for (const auto& function : schema.functions) {
      pairs[{schema.name, schemas::function_signature(function)}].second = &function;
    }
  }
  for (const auto& [key, pair] : pairs) {
    plan_function(builder, key.first, pair.first, pair.second);
  }
}

void plan_views(Builder& builder) {
  const std::set<std::string> recreate = views_to_recreate(builder);
  for_each_pair<schemas::View>(
      builder, [](const schemas::Schema& s) -> const auto& { return s.views; },
      [&](const std::string& schema, const schemas::View* current, const schemas::View* desired) {
        plan_view(builder, schema, current, desired, recreate, false);
      });
  for_each_pair<schemas::MaterializedView>(
      builder,
      [](const schemas::Schema& s) -> const auto& { return s.materialized_views; },
      [&](const std::string& schema, const schemas::MaterializedView* current,
          const schemas::MaterializedView* desired) {
        plan_view(builder, schema, current, desired, recreate, true);
      });
}

}  // namespace pgshift::planner::detail
