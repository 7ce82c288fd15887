#include "catalog/fingerprint.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string_view>
#include <vector>

namespace pgshift::catalog {

namespace {

// Each value is fed with its length first, so ("ab", "c") and ("a", "bc") differ.
// The bytes fed are the decimal length, ':' and the text; they are hashed as
// they are formatted, without building strings (a plan hashes its whole
// desired state: at 10,000 tables the temporaries were most of the time).
class Digest {
 public:
  void add(std::string_view text) {
    char digits[kDigits];
    add_bytes(decimal(digits, static_cast<int64_t>(text.size())));
    add_bytes(":");
    add_bytes(text);
  }
  void add(const std::string& text) { add(std::string_view(text)); }
  void add(const char* text) { add(std::string_view(text)); }
  void add(bool value) { add_bytes(value ? "T" : "F"); }
  // As the text of the number: its length, ':' and its digits.
  void add(int64_t value) {
    char digits[kDigits];
    add(decimal(digits, value));
  }
  template <typename Enum, typename = std::enable_if_t<std::is_enum_v<Enum>>>
  void add(Enum value) {
    add(static_cast<int64_t>(value));
  }
  template <typename T>
  void add(const std::optional<T>& value) {
    add(value.has_value());
    if (value) add(*value);
  }
  void add(const schemas::OptionalText& value) {
    add(value.has_value());
    if (value) add(*value);
  }
  void add(const std::vector<std::string>& items) {
    add(static_cast<int64_t>(items.size()));
    for (const auto& item : items) add(item);
  }
  void add(const std::map<std::string, std::string>& items) {
    add(static_cast<int64_t>(items.size()));
    for (const auto& [key, value] : items) {
      add(key);
      add(value);
    }
  }
  template <typename... Values>
  void add_all(const Values&... values) {
    (add(values), ...);
  }

  std::string hex() const {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash_));
    return text;
  }

 private:
  static constexpr std::size_t kDigits = 24;  // an int64_t's sign and digits fit

  // `value` in decimal, written into `digits`.
  static std::string_view decimal(char (&digits)[kDigits], int64_t value) {
    const auto end = std::to_chars(digits, digits + kDigits, value).ptr;
    return std::string_view(digits, static_cast<std::size_t>(end - digits));
  }
  void add_bytes(std::string_view bytes) {
    for (const char byte : bytes) {
      hash_ ^= static_cast<unsigned char>(byte);
      hash_ *= 0x100000001b3ULL;
    }
  }

  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

// An owner, only when set (owners managed, catalogs read with them): the
// digests of models without owners stay as they were.
void add_owner(Digest& digest, const std::optional<std::string>& owner) {
  if (owner) digest.add_all("owner", *owner);
}

void add(Digest& digest, const schemas::SequenceOptions& options) {
  digest.add_all(options.start, options.increment, options.min_value, options.max_value,
                 options.cache, options.cycle);
}

void add(Digest& digest, const schemas::Index& index) {
  digest.add_all("index", index.name, index.unique, index.nulls_not_distinct, index.method,
                 static_cast<int64_t>(index.keys.size()));
  for (const auto& key : index.keys) {
    digest.add_all(key.column, key.expression, key.opclass, key.collation, key.order, key.nulls);
  }
  digest.add_all(index.include, index.where, index.options, index.comment, index.valid);
}

void add(Digest& digest, const schemas::Table& table) {
  digest.add_all("table", table.name, static_cast<int64_t>(table.columns.size()));
  for (const auto& column : table.columns) {
    digest.add_all(column.name, column.type, column.not_null, column.default_expr,
                   column.identity);
    add(digest, column.identity_options);
    digest.add_all(column.generated, column.collation, column.comment, column.backfill,
                   column.renamed_from, column.using_expr);
    // Only when set: the digests of models without it stay as they were.
    if (column.expand_contract) digest.add_all("expand_contract", column.expand_contract->inverse);
    if (column.storage) digest.add_all("storage", *column.storage);
    if (column.compression) digest.add_all("compression", *column.compression);
    if (column.statistics) digest.add_all("statistics", static_cast<int64_t>(*column.statistics));
  }
  digest.add(table.primary_key.has_value());
  if (const auto& key = table.primary_key) {
    digest.add_all(key->name, key->columns, key->include, key->deferrable,
                   key->initially_deferred, key->comment);
  }
  for (const auto& unique : table.unique_constraints) {
    digest.add_all("unique", unique.name, unique.columns, unique.include,
                   unique.nulls_not_distinct, unique.deferrable, unique.initially_deferred,
                   unique.comment);
  }
  for (const auto& check : table.check_constraints) {
    digest.add_all("check", check.name, check.expression, check.no_inherit, check.validated,
                   check.comment);
  }
  for (const auto& key : table.foreign_keys) {
    digest.add_all("foreign key", key.name, key.columns, key.ref_schema, key.ref_table,
                   key.ref_columns, key.on_delete, key.on_update, key.match, key.deferrable,
                   key.initially_deferred, key.validated, key.comment);
  }
  for (const auto& index : table.indexes) add(digest, index);
  for (const auto& trigger : table.triggers) {
    digest.add_all("trigger", trigger.name, trigger.timing, trigger.events, trigger.update_of,
                   trigger.for_each_row, trigger.function, trigger.arguments, trigger.when,
                   trigger.comment);
    // Only when it is not the default: other triggers' digests stay as they were.
    if (trigger.firing != schemas::TriggerFiring::Origin) {
      digest.add_all("trigger firing", trigger.firing);
    }
    // Only for a constraint trigger: other triggers' digests stay as they were.
    if (trigger.constraint) {
      digest.add_all("constraint trigger", trigger.deferrable, trigger.initially_deferred,
                     trigger.from);
    }
  }
  // Only when present, so that the digests of tables without them stay as
  // they were before policies were modelled.
  for (const auto& policy : table.policies) {
    digest.add_all("policy", policy.name, policy.command, policy.permissive, policy.roles,
                   policy.using_expr, policy.with_check, policy.comment, policy.renamed_from);
  }
  if (table.row_security.enabled || table.row_security.forced) {
    digest.add_all("row security", table.row_security.enabled, table.row_security.forced);
  }
  digest.add(table.partition_by.has_value());
  if (const auto& by = table.partition_by) digest.add_all(by->strategy, by->key);
  digest.add(table.partition_of.has_value());
  if (const auto& of = table.partition_of) {
    digest.add_all(of->parent_schema, of->parent_table, of->bound);
  }
  digest.add_all(table.replica_identity, table.replica_identity_index, table.comment,
                 table.backfill_batch_size, table.renamed_from);
  if (table.expand_contract) digest.add("expand_contract");
  // Only when set, so that the digests of tables without them stay as they
  // were before exclusion constraints and storage settings were modelled.
  for (const auto& exclusion : table.exclusion_constraints) {
    digest.add_all("exclusion", exclusion.name, exclusion.method, exclusion.elements,
                   exclusion.include, exclusion.where, exclusion.deferrable,
                   exclusion.initially_deferred, exclusion.comment);
  }
  if (table.unlogged) digest.add("unlogged");
  if (!table.options.empty()) digest.add_all("storage parameters", table.options);
  // Rename hints of constraints and indexes, only when set: the digests of
  // tables without them stay as they were.
  const auto hint = [&digest](const char* kind, const std::string& name,
                              const std::optional<std::string>& renamed_from) {
    if (renamed_from) digest.add_all("renamed", kind, name, *renamed_from);
  };
  if (const auto& key = table.primary_key) hint("primary key", key->name, key->renamed_from);
  for (const auto& key : table.unique_constraints) hint("unique", key.name, key.renamed_from);
  for (const auto& check : table.check_constraints) hint("check", check.name, check.renamed_from);
  for (const auto& key : table.foreign_keys) hint("foreign key", key.name, key.renamed_from);
  for (const auto& exclusion : table.exclusion_constraints) {
    hint("exclusion", exclusion.name, exclusion.renamed_from);
  }
  for (const auto& index : table.indexes) hint("index", index.name, index.renamed_from);
  add_owner(digest, table.owner);
}

// Privileges entries (object privileges or default privileges), only when
// present, so that the digests of models without them stay as they were.
void add_privileges(Digest& digest, const char* what,
                    const std::vector<schemas::Privileges>& entries) {
  for (const auto& entry : entries) {
    digest.add_all(what, entry.object.kind, entry.object.schema, entry.object.table,
                   entry.object.name);
    for (const auto* side : {&entry.grants, &entry.revoked}) {
      digest.add(static_cast<int64_t>(side->size()));
      for (const auto& grant : *side) {
        digest.add_all(grant.role, grant.privileges, grant.with_grant_option);
      }
    }
  }
}

// `add_tables`, when given, digests the schema's tables in their place
// instead of schema.tables.
void add(Digest& digest, const schemas::Schema& schema,
         const std::function<void(Digest&)>& add_tables = nullptr) {
  digest.add_all("schema", schema.name, schema.comment);
  add_owner(digest, schema.owner);
  if (add_tables) {
    add_tables(digest);
  } else {
    for (const auto& table : schema.tables) add(digest, table);
  }
  for (const auto& view : schema.views) {
    digest.add_all("view", view.name, view.definition, view.options, view.comment);
    if (view.renamed_from) digest.add_all("renamed", *view.renamed_from);
    add_owner(digest, view.owner);
  }
  for (const auto& view : schema.materialized_views) {
    digest.add_all("materialized view", view.name, view.definition, view.options,
                   view.with_data, view.comment);
    for (const auto& column : view.columns) {
      digest.add_all("column settings", column.name);
      if (column.storage) digest.add_all("storage", *column.storage);
      if (column.compression) digest.add_all("compression", *column.compression);
      if (column.statistics) digest.add_all("statistics", static_cast<int64_t>(*column.statistics));
    }
    for (const auto& index : view.indexes) {
      add(digest, index);
      if (index.renamed_from) digest.add_all("renamed", *index.renamed_from);
    }
    if (view.renamed_from) digest.add_all("renamed", *view.renamed_from);
    add_owner(digest, view.owner);
  }
  for (const auto& sequence : schema.sequences) {
    digest.add_all("sequence", sequence.name, sequence.type);
    add(digest, sequence.options);
    digest.add_all(sequence.owned_by, sequence.comment);
    if (sequence.renamed_from) digest.add_all("renamed", *sequence.renamed_from);
    add_owner(digest, sequence.owner);
  }
  for (const auto& type : schema.enums) {
    digest.add_all("enum", type.name, type.labels, type.comment);
    if (!type.label_renamed_from.empty()) digest.add_all("renamed", type.label_renamed_from);
    add_owner(digest, type.owner);
  }
  for (const auto& domain : schema.domains) {
    digest.add_all("domain", domain.name, domain.base_type, domain.default_expr,
                   domain.not_null, domain.collation, domain.comment);
    for (const auto& check : domain.checks) digest.add_all(check.name, check.expression);
    add_owner(digest, domain.owner);
  }
  for (const auto& type : schema.composite_types) {
    digest.add_all("composite type", type.name, type.comment);
    for (const auto& attribute : type.attributes) {
      digest.add_all(attribute.name, attribute.type, attribute.collation);
    }
    add_owner(digest, type.owner);
  }
  for (const auto& function : schema.functions) {
    digest.add_all("function", function.name, function.is_procedure, function.returns,
                   function.language, function.body, function.volatility, function.strict,
                   function.security_definer, function.comment);
    // Only when set, so that the digests of other routines stay as they were.
    if (function.sql_body) digest.add_all("sql-standard body");
    for (const auto& arg : function.args) {
      digest.add_all(arg.name, arg.type, arg.mode, arg.default_expr);
    }
    add_owner(digest, function.owner);
  }
  // Only when present, so that the digests of schemas without them stay as
  // they were before privileges were modelled.
  add_privileges(digest, "privileges", schema.privileges);
  add_privileges(digest, "default privileges", schema.default_privileges);
}

}  // namespace

std::string fingerprint(const schemas::Database& db) {
  Digest digest;
  for (const auto& extension : db.extensions) {
    digest.add_all("extension", extension.name, extension.schema, extension.version);
  }
  for (const auto& schema : db.schemas) add(digest, schema);
  add_privileges(digest, "default privileges", db.default_privileges);
  digest.add(db.ignore);
  // The one fact in it, only when present: who granted what decides the
  // statements of a revoke (rules_privileges.cpp), so a plan made for other
  // grantors is stale.
  for (const auto& grant : db.facts.grants_by_others) {
    digest.add_all("granted by", grant.object.kind, grant.object.schema, grant.object.table,
                   grant.object.name, grant.role, grant.privilege, grant.grantor,
                   grant.with_grant_option, grant.also_by_owner);
  }
  return digest.hex();
}

namespace {

// What schema_fingerprint leaves out of `db`, except the ignore list and the
// grantors, which only the whole database has.
void prepare_for_target(schemas::Database& db) {
  schemas::remove_planning_hints(db);
  // The target does not cover owners: the desired state sets some, the
  // catalog read after the plan has them all.
  schemas::remove_owners(db);
  for (auto& schema : db.schemas) {
    for (auto& table : schema.tables) {
      std::sort(table.columns.begin(), table.columns.end(),
                [](const schemas::Column& a, const schemas::Column& b) { return a.name < b.name; });
    }
  }
}

}  // namespace

std::string schema_fingerprint(schemas::Database db) {
  db.ignore.clear();
  // Nor who granted a privilege: a role holds it or not.
  db.facts.grants_by_others.clear();
  prepare_for_target(db);
  return fingerprint(db);
}

std::string schema_fingerprint(schemas::Database& db, const TableAdjustment& adjust) {
  // As fingerprint(), over the pieces prepared one at a time; the ignore
  // list and the grantors are left out (empty).
  Digest digest;
  for (const auto& extension : db.extensions) {
    digest.add_all("extension", extension.name, extension.schema, extension.version);
  }
  for (auto& schema : db.schemas) {
    schemas::Database shell;
    {
      std::vector<schemas::Table> tables;
      tables.swap(schema.tables);
      try {
        shell.schemas.push_back(schema);
      } catch (...) {
        schema.tables.swap(tables);
        throw;
      }
      schema.tables.swap(tables);
    }
    prepare_for_target(shell);
    add(digest, shell.schemas.front(), [&](Digest& tables_digest) {
      for (const auto& table : schema.tables) {
        schemas::Database one;
        one.schemas.emplace_back().name = schema.name;
        schemas::Table& copy = one.schemas.front().tables.emplace_back(table);
        adjust(schema.name, copy);
        prepare_for_target(one);
        add(tables_digest, one.schemas.front().tables.front());
      }
    });
  }
  add_privileges(digest, "default privileges", db.default_privileges);
  digest.add(std::vector<std::string>());  // the ignore list, left out
  return digest.hex();
}

}  // namespace pgshift::catalog
