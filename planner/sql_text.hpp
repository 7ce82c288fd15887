// SQL text of the statements the planner emits: these functions only spell
// SQL from the model, they decide nothing. Identifiers and literals go
// through plans/sql_text.hpp (quote_ident, quote_qualified, quote_literal);
// types and expressions from the model are SQL already and are pasted as
// they are.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::planner::detail {

// " COLLATE c" or "".
std::string collate_clause(const std::optional<std::string>& collation);
// " GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY [(options)]".
std::string identity_clause(const schemas::Column& column);
// "name type [COMPRESSION m] [COLLATE c] [GENERATED ...] [DEFAULT e] [NOT NULL]"
// (COMPRESSION is PostgreSQL 14+: the planner refuses it on older servers).
std::string column_definition(const schemas::Column& column, bool with_default, bool with_not_null);
// "ALTER COLUMN c SET STORAGE EXTERNAL" (storage as the model spells it,
// "default" on PostgreSQL 16+), "ALTER COLUMN c SET COMPRESSION lz4" (nullopt:
// default), "ALTER COLUMN c SET STATISTICS 500" (nullopt: -1, the default).
std::string set_storage_clause(const std::string& column, const std::string& storage);
std::string set_compression_clause(const std::string& column,
                                   const std::optional<std::string>& compression);
std::string set_statistics_clause(const std::string& column, std::optional<int> target);
// " DEFERRABLE [INITIALLY DEFERRED]" or "".
std::string deferrable_clause(bool deferrable, bool initially_deferred);
// " INCLUDE (a, b)" or "".
std::string include_clause(const std::vector<std::string>& include);
// "NO ACTION", "CASCADE", ...
const char* referential_action(schemas::ReferentialAction action);
// "CONSTRAINT fk FOREIGN KEY (...) REFERENCES s.t (...) [MATCH ...] [ON ...]".
std::string foreign_key_definition(const schemas::ForeignKey& fk);
// "CONSTRAINT c CHECK (expr) [NO INHERIT]".
std::string check_definition(const schemas::CheckConstraint& check);
// "CONSTRAINT k {PRIMARY KEY|UNIQUE [NULLS NOT DISTINCT]} (...) [INCLUDE] [DEFERRABLE]".
std::string unique_definition(const std::string& name, const std::vector<std::string>& columns,
                              const std::vector<std::string>& include, bool nulls_not_distinct,
                              bool deferrable, bool initially_deferred, bool primary);
// " PARTITION BY RANGE (key)".
std::string partition_by_sql(const schemas::PartitionBy& partition_by);
// A CHECK expression equivalent to the partition constraint of `bound` under
// a parent partitioned by `partition_by` (its relation `parent`, quoted), in
// the shape the server's implication test (PartConstraintImpliedByRelConstraint)
// recognises, so that a valid CHECK of it lets ATTACH PARTITION skip its scan:
//   range  "FOR VALUES FROM (lo) TO (hi)"  key IS NOT NULL AND key >= lo AND key < hi
//          (MINVALUE / MAXVALUE leave their side out)
//   list   "FOR VALUES IN (a, b)"          key IS NOT NULL AND key IN (a, b)
//          (with NULL among them: key IS NULL OR key IN (...))
//   hash   "FOR VALUES WITH (modulus m, remainder r)"
//          satisfies_hash_partition('parent'::regclass, m, r, key)
// nullopt for what it does not spell: a key of several columns, an
// expression or an operator class, a DEFAULT bound, a bound it cannot parse.
std::optional<std::string> partition_constraint_sql(const schemas::PartitionBy& partition_by,
                                                    const std::string& bound,
                                                    const std::string& parent);
// A character of an unquoted identifier after its first: a letter or digit,
// _ or $, or any byte of a multibyte character (as the server's scanner).
bool identifier_char(char c);
// The text between the quote character at `at` (' or ") and the one that
// closes it, a doubled quote inside standing for one, and the offset just
// past the closing quote; nullopt when it is not closed.
std::optional<std::pair<std::string, size_t>> quoted_at(const std::string& text, size_t at);
// `list` split at its top-level commas (not inside parentheses or quotes),
// each item trimmed: "a, (b, c)" -> {"a", "(b, c)"}.
std::vector<std::string> split_items(const std::string& list);
// CREATE [OR REPLACE] TRIGGER ... ON relation; EXECUTE PROCEDURE before 11.
std::string trigger_sql(const std::string& relation, const schemas::Trigger& trigger,
                        bool or_replace, int server_version_num);
// CREATE POLICY name ON relation [AS RESTRICTIVE] [FOR cmd] [TO roles]
// [USING (...)] [WITH CHECK (...)].
std::string policy_sql(const std::string& relation, const schemas::Policy& policy);
// "PUBLIC" or the quoted role names, comma-separated.
std::string policy_roles_sql(const std::vector<std::string>& roles);
// "REPLICA IDENTITY ...".
std::string replica_identity_sql(const schemas::Table& table);
// One key of an index: column or (expression), collation, opclass, order.
std::string index_key_sql(const schemas::IndexKey& key);
// CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON relation USING ...
std::string index_sql(const std::string& relation, const schemas::Index& index,
                      const std::string& name, bool concurrently);
// COMMENT ON <what> <target> IS '...' (or IS NULL).
std::string comment_sql(const std::string& what, const std::string& target,
                        const std::optional<std::string>& comment);
// 'a', 'b': the labels of an enum.
std::string labels_sql(const std::vector<std::string>& labels);
// "CONSTRAINT c CHECK (expr)" of a domain.
std::string domain_check_sql(const schemas::DomainCheck& check);
// "name type [COLLATE c]" of a composite type.
std::string composite_attribute_sql(const schemas::CompositeAttribute& attribute);
// " AS type INCREMENT BY ... [NO] CYCLE".
std::string sequence_options_sql(const schemas::Sequence& sequence);
// The options of ALTER SEQUENCE, every one spelled: an option left out of
// ALTER keeps its old value (START too, which a new MINVALUE can make out of
// range), so the bounds the model leaves to the type are NO MINVALUE / NO
// MAXVALUE and the start is the model's or the bound. `restart`: RESTART
// (at the new start), for a sequence nextval() was never called on.
std::string alter_sequence_options_sql(const schemas::Sequence& sequence, bool restart);
// " SET INCREMENT BY ... SET [NO] CYCLE": every option of an identity
// column's sequence, as ALTER COLUMN takes them (each after SET); a left-out
// option is PostgreSQL's default for the column's type; RESTART (at the new
// start) when `restart`.
std::string set_identity_options_sql(const schemas::Column& column, bool restart);
// "schema.table.column" -> quoted, or NONE.
std::string owned_by_sql(const std::optional<std::string>& owned_by);
// A sequence's owned_by, "schema.table.column", split at its first and last
// dots; nullopt without two.
struct OwningColumn {
  std::string schema;
  std::string table;
  std::string column;
};
std::optional<OwningColumn> split_owned_by(const std::string& owned_by);
// The argument list of a routine; identity_only: types of the identity
// arguments only (for DROP, COMMENT).
std::string arguments_sql(const schemas::Function& function, bool identity_only);
// schema.name(identity argument types).
std::string function_target(const std::string& schema, const schemas::Function& function);
// CREATE OR REPLACE {FUNCTION|PROCEDURE} ... AS $pgshift$...$pgshift$, or
// ... RETURN ... / BEGIN ATOMIC ... END for a SQL-standard body.
std::string create_function_sql(const std::string& schema, const schemas::Function& function);
// " WITH (a = 1, b = 2)" or "".
std::string options_sql(const std::map<std::string, std::string>& options);
// "CONSTRAINT x EXCLUDE USING gist (elements) [INCLUDE (...)] [WHERE (...)]
// [DEFERRABLE [INITIALLY DEFERRED]]".
std::string exclusion_definition(const schemas::ExclusionConstraint& exclusion);
// A table's storage parameter as SET (...) takes it: "fillfactor = 70",
// "toast.autovacuum_enabled = false"; without `value`, its name alone (RESET).
std::string table_option_sql(const std::string& option, const std::optional<std::string>& value);
// " WITH (...)" of CREATE TABLE, toast.* included, or "".
std::string table_options_sql(const std::map<std::string, std::string>& options);

}  // namespace pgshift::planner::detail
