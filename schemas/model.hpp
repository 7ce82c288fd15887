// The one schema model of pgshift.
//
// Both the YAML loader (schemas/yaml_loader.hpp) and the catalog reader
// (catalog/reader.hpp) produce a `Database`; the planner compares two of them;
// drift detection reports their differences. There is no second model.
//
// Invariants (established by `canonicalize()`, checked by `validate()`; both
// loaders call both before handing a model out):
//   1. Names are stored as PostgreSQL stores them: case preserved, never quoted.
//   2. Every named collection is sorted by name and holds each name once,
//      except `Table::columns`, `CompositeType::attributes`, `Enum::labels` and
//      `Function::args`, whose order is meaningful and kept.
//   3. Cross-object references (foreign keys, `owned_by`, partitions, triggers'
//      functions) are schema-qualified.
//   4. Types and expressions are compared after normalisation by the planner; the
//      model itself keeps the text it was given (from YAML) or the server's
//      canonical text (from the catalog, `format_type`/`pg_get_expr`).
//
// All types are plain values: copyable, comparable with ==, no pointers and no
// third-party types, so a test builds a model in a few lines.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "schemas/optional_text.hpp"

namespace pgshift::schemas {

// Each model struct's static fields(self) is std::tie of every field that
// operator== compares, in declaration order: schemas/model.cpp checks at
// compile time that none is missing (field_count), and the tests walk every
// field through these lists (tests/support/field_walk.hpp).

// ---------------------------------------------------------------------------
// Identity of an object, used for matching, ordering and error messages.
// ---------------------------------------------------------------------------

enum class ObjectKind {
  Schema,
  Extension,
  Table,
  Column,
  PrimaryKey,
  UniqueConstraint,
  CheckConstraint,
  ForeignKey,
  Index,
  Sequence,
  Enum,
  Domain,
  CompositeType,
  View,
  MaterializedView,
  Function,
  Procedure,
  Trigger,
  Policy,
  ExclusionConstraint,
  // ALTER DEFAULT PRIVILEGES: keyed {DefaultPrivileges, schema ("" for the
  // database-wide entries, without IN SCHEMA), table: the FOR ROLE role,
  // name: the objects ("tables", ...)}. Keep last: kLastObjectKind.
  DefaultPrivileges,
};
// The last enumerator of ObjectKind, for loops over every kind.
inline constexpr ObjectKind kLastObjectKind = ObjectKind::DefaultPrivileges;

// Lower-case words as they appear in messages: "table", "foreign key", ...
const char* object_kind_name(ObjectKind kind);

// kind + schema + name (+ table for objects that live on a table; + the input
// argument types for functions and procedures, as in "f(integer, text)").
struct ObjectId {
  ObjectKind kind = ObjectKind::Table;
  std::string schema;  // empty for schemas and extensions
  std::string table;   // owning table (columns, constraints, indexes, triggers)
  std::string name;    // for functions: name(argtypes)

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.kind, self.schema, self.table, self.name);
  }
};
bool operator==(const ObjectId& a, const ObjectId& b);
bool operator!=(const ObjectId& a, const ObjectId& b);
bool operator<(const ObjectId& a, const ObjectId& b);
// A hash of all four fields, for unordered containers keyed by ObjectId.
struct ObjectIdHash {
  std::size_t operator()(const ObjectId& id) const;
};
// Human form: `table "public.orders"`, `index "orders_pkey" on table "public.orders"`.
// Names pass through printable(): a message is always one line.
std::string describe(const ObjectId& id);

// ---------------------------------------------------------------------------
// Text for humans: names are arbitrary strings, messages and comments are not.
// ---------------------------------------------------------------------------

// The code points that may not appear raw where a reviewer reads text (a SQL
// comment, a log line, a Markdown table): C0 controls and DEL (they end lines
// and drive terminals), C1 controls, U+2028 and U+2029 (line and paragraph
// separators), U+FEFF, and the bidirectional controls that reorder what is
// shown (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069).
bool is_unprintable(char32_t code_point);

// One UTF-8 code point of `text` at `pos`: its value and length in bytes, or
// {0xFFFFFFFF, 1} for a byte that does not start a valid sequence.
std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t pos);

// The offset of the first byte of `text` that does not start a valid UTF-8
// sequence; nullopt when all of it is UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// "invalid UTF-8: byte 233 does not start a valid sequence": what a reader
// of YAML or SQL says of the byte `text[at]`.
std::string invalid_utf8_message(std::string_view text, std::size_t at);

// The line of `text` that holds the byte at `at`, printable() and cut to
// about 80 bytes around it ("..." where cut): where a problem is, in a message.
std::string printable_line_at(std::string_view text, std::size_t at);

// One line of a source file as a message shows it under "path:line:column",
// and the caret line under it pointing at its byte `at`: the line is
// printable() but for its tabs, which stay (and stand under themselves in the
// caret line, so that the caret lines up), and a carriage return ending it
// (a CRLF file), which is left out; the caret line is spaces as wide as what
// precedes `at` as shown (a byte that is not UTF-8 is four: \xE9), then "^".
struct ShownLine {
  std::string text;
  std::string caret;
};
ShownLine shown_with_caret(std::string_view line, std::size_t at);

// The byte of `line` where its 1-based `column` (in characters: bytes that do
// not continue a UTF-8 sequence) starts; line.size() past its end.
std::size_t byte_of_column(std::string_view line, int column);

// `text` with every unprintable code point escaped as \n, \r, \t, \x1B or
// \u202E, and every byte that is not UTF-8 as \xFF: always one line, shown in
// logical order. Other text, backslashes included, is kept: printable() of a
// printable text is the text itself.
std::string printable(std::string_view text);

// "1 step", "2 steps", "0 steps": a count and its noun, plural by an "s".
std::string counted(std::size_t count, std::string_view noun);

// ---------------------------------------------------------------------------
// Tables and what hangs off them.
// ---------------------------------------------------------------------------

enum class IdentityKind { None, Always, ByDefault };

// Options of an identity column's or a standalone sequence's generator. Unset
// fields mean "PostgreSQL's default for that type".
struct SequenceOptions {
  std::optional<int64_t> start;
  std::optional<int64_t> increment;
  std::optional<int64_t> min_value;
  std::optional<int64_t> max_value;
  std::optional<int64_t> cache;
  bool cycle = false;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.start, self.increment, self.min_value, self.max_value, self.cache,
                    self.cycle);
  }
};
bool operator==(const SequenceOptions& a, const SequenceOptions& b);

// PostgreSQL's bounds for a sequence of `type` ("smallint", "integer" or
// "bigint") created without MINVALUE/MAXVALUE: 1 to the type's maximum when
// ascending, the type's minimum to -1 when descending.
int64_t default_sequence_min(const std::string& type, bool ascending);
int64_t default_sequence_max(const std::string& type, bool ascending);

// A column change made in two phases that span application deploys (issue
// 15): expand adds the column under its final name (a rename) or a shadow
// name (a type change), keeps it equal to the old one with a trigger and
// backfills it; contract drops the old column. Planning hint (YAML only).
struct ExpandContract {
  // The old column's value from the new one's (an expression over the new
  // column): lets writes through the new name reach the old column during
  // expand. nullopt: a rename's identity, a type change's cast back to the
  // old type; with `using`, writes through the new name alone are refused.
  std::optional<std::string> inverse;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.inverse);
  }
};
bool operator==(const ExpandContract& a, const ExpandContract& b);

struct Column {
  std::string name;
  std::string type;  // as written / format_type(): "character varying(20)"
  bool not_null = false;
  OptionalText default_expr;  // nullopt: no default
  IdentityKind identity = IdentityKind::None;
  SequenceOptions identity_options;      // meaningful only with identity
  OptionalText generated;                // GENERATED ALWAYS AS (expr) STORED
  OptionalText collation;                // nullopt: the type's default collation
  OptionalText comment;
  // Storage settings (ALTER COLUMN ... SET STORAGE / COMPRESSION / STATISTICS):
  // "plain", "external", "extended" or "main", only when it differs from the
  // type's default (pg_type.typstorage); nullopt: the type's default.
  OptionalText storage;
  // "pglz" or "lz4" (PostgreSQL 14+; attcompression); nullopt: none set, the
  // server's default_toast_compression applies.
  OptionalText compression;
  // The statistics target (attstattarget, 0 to 10000); nullopt: the default
  // (-1 before PostgreSQL 17, NULL from 17).
  std::optional<int> statistics;
  // Planning hints (YAML only; the catalog never sets them):
  OptionalText backfill;      // value for existing rows of a new/NOT NULL column
  OptionalText renamed_from;  // previous name; renames are never guessed
  // How existing values become the new type when the type changes (the
  // expression of ALTER COLUMN ... TYPE ... USING); nullopt: a plain cast.
  OptionalText using_expr;
  // A rename or type change made by expand and contract instead of in place.
  std::optional<ExpandContract> expand_contract;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.type, self.not_null, self.default_expr, self.identity,
                    self.identity_options, self.generated, self.collation, self.comment,
                    self.storage, self.compression, self.statistics, self.backfill,
                    self.renamed_from, self.using_expr, self.expand_contract);
  }
};
bool operator==(const Column& a, const Column& b);

struct PrimaryKey {
  std::string name;  // empty in YAML means "<table>_pkey"
  std::vector<std::string> columns;
  std::vector<std::string> include;  // INCLUDE (...) columns of the backing index
  bool deferrable = false;
  bool initially_deferred = false;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.columns, self.include, self.deferrable, self.initially_deferred,
                    self.comment, self.renamed_from);
  }
};
bool operator==(const PrimaryKey& a, const PrimaryKey& b);

struct UniqueConstraint {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::string> include;
  bool nulls_not_distinct = false;  // PostgreSQL 15+
  bool deferrable = false;
  bool initially_deferred = false;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.columns, self.include, self.nulls_not_distinct, self.deferrable,
                    self.initially_deferred, self.comment, self.renamed_from);
  }
};
bool operator==(const UniqueConstraint& a, const UniqueConstraint& b);

struct CheckConstraint {
  std::string name;
  std::string expression;  // without the CHECK keyword and outer parentheses
  bool no_inherit = false;
  bool validated = true;  // catalog state: false while NOT VALID
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.expression, self.no_inherit, self.validated, self.comment,
                    self.renamed_from);
  }
};
bool operator==(const CheckConstraint& a, const CheckConstraint& b);

enum class ReferentialAction { NoAction, Restrict, Cascade, SetNull, SetDefault };
enum class MatchType { Simple, Full, Partial };

struct ForeignKey {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_schema;
  std::string ref_table;
  std::vector<std::string> ref_columns;
  ReferentialAction on_delete = ReferentialAction::NoAction;
  ReferentialAction on_update = ReferentialAction::NoAction;
  MatchType match = MatchType::Simple;
  bool deferrable = false;
  bool initially_deferred = false;
  bool validated = true;  // catalog state: false while NOT VALID
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.columns, self.ref_schema, self.ref_table, self.ref_columns,
                    self.on_delete, self.on_update, self.match, self.deferrable,
                    self.initially_deferred, self.validated, self.comment, self.renamed_from);
  }
};
bool operator==(const ForeignKey& a, const ForeignKey& b);

enum class SortOrder { Asc, Desc };
enum class NullsOrder { Default, First, Last };  // Default: LAST for ASC, FIRST for DESC

// One key of an index: a column or an expression, never both.
struct IndexKey {
  std::optional<std::string> column;
  std::optional<std::string> expression;
  std::optional<std::string> opclass;    // nullopt: the default opclass of the type
  std::optional<std::string> collation;  // nullopt: the column's collation
  SortOrder order = SortOrder::Asc;
  NullsOrder nulls = NullsOrder::Default;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.column, self.expression, self.opclass, self.collation, self.order,
                    self.nulls);
  }
};
bool operator==(const IndexKey& a, const IndexKey& b);

struct Index {
  std::string name;
  bool unique = false;
  bool nulls_not_distinct = false;  // PostgreSQL 15+
  std::string method = "btree";     // btree, hash, gist, gin, brin, spgist
  std::vector<IndexKey> keys;
  std::vector<std::string> include;
  std::optional<std::string> where;            // partial index predicate
  std::map<std::string, std::string> options;  // WITH (fillfactor = 70, ...)
  std::optional<std::string> comment;
  bool valid = true;  // catalog state: false for an INVALID index (failed CONCURRENTLY build)
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.unique, self.nulls_not_distinct, self.method, self.keys,
                    self.include, self.where, self.options, self.comment, self.valid,
                    self.renamed_from);
  }
};
bool operator==(const Index& a, const Index& b);

// EXCLUDE USING <method> (<elements>) [INCLUDE (...)] [WHERE (<where>)]: no
// two rows whose elements all compare true with their operators.
struct ExclusionConstraint {
  std::string name;
  std::string method = "gist";
  // One per key, as pg_get_constraintdef spells it: "room WITH =",
  // "during WITH &&", "lower(name) text_pattern_ops WITH =".
  std::vector<std::string> elements;
  std::vector<std::string> include;  // INCLUDE (...) columns of the backing index
  std::optional<std::string> where;  // the partial index's predicate
  bool deferrable = false;
  bool initially_deferred = false;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.method, self.elements, self.include, self.where,
                    self.deferrable, self.initially_deferred, self.comment, self.renamed_from);
  }
};
bool operator==(const ExclusionConstraint& a, const ExclusionConstraint& b);

enum class TriggerTiming { Before, After, InsteadOf };
// In which sessions a trigger fires (ALTER TABLE ... ENABLE [REPLICA | ALWAYS]
// / DISABLE TRIGGER; pg_trigger.tgenabled): Origin in those whose
// session_replication_role is origin or local (every trigger as created),
// Replica only in replica ones (a logical replication apply worker), Always
// in both, Disabled in none.
enum class TriggerFiring { Origin, Replica, Always, Disabled };

struct Trigger {
  std::string name;
  TriggerTiming timing = TriggerTiming::After;
  std::vector<std::string> events;     // subset of INSERT, UPDATE, DELETE, TRUNCATE, in that order
  std::vector<std::string> update_of;  // UPDATE OF columns
  bool for_each_row = false;           // false: FOR EACH STATEMENT
  std::string function;                // schema-qualified function name, without "()"
  std::vector<std::string> arguments;  // literal arguments passed to the function
  std::optional<std::string> when;     // WHEN condition
  std::optional<std::string> comment;
  // CREATE CONSTRAINT TRIGGER (AFTER, FOR EACH ROW): fired at the end of the
  // statement or, deferred, of the transaction; `from` is the FROM table
  // ("schema.table"), "" for none.
  bool constraint = false;
  bool deferrable = false;
  bool initially_deferred = false;
  std::string from;
  TriggerFiring firing = TriggerFiring::Origin;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.timing, self.events, self.update_of, self.for_each_row,
                    self.function, self.arguments, self.when, self.comment, self.constraint,
                    self.deferrable, self.initially_deferred, self.from, self.firing);
  }
};
bool operator==(const Trigger& a, const Trigger& b);

// Row-level security: a policy of a table (CREATE POLICY). Which rows a
// command may see (USING) and write (WITH CHECK), for which roles.
enum class PolicyCommand { All, Select, Insert, Update, Delete };

// The role list of a policy for every role (TO PUBLIC): the one name "public".
inline constexpr const char* kPublicRole = "public";

struct Policy {
  std::string name;
  PolicyCommand command = PolicyCommand::All;
  bool permissive = true;  // false: AS RESTRICTIVE
  // Role names, sorted; {"public"} (kPublicRole) for every role, the default.
  std::vector<std::string> roles{kPublicRole};
  std::optional<std::string> using_expr;  // USING (...): rows visible / targeted
  std::optional<std::string> with_check;  // WITH CHECK (...): rows written
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only)

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.command, self.permissive, self.roles, self.using_expr,
                    self.with_check, self.comment, self.renamed_from);
  }
};
bool operator==(const Policy& a, const Policy& b);

// ALTER TABLE ... ENABLE / FORCE ROW LEVEL SECURITY (relrowsecurity,
// relforcerowsecurity). Both false: the default, policies are not applied.
struct RowSecurity {
  bool enabled = false;
  bool forced = false;  // the table's owner is subject to the policies too

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.enabled, self.forced);
  }
};
bool operator==(const RowSecurity& a, const RowSecurity& b);

enum class PartitionStrategy { Range, List, Hash };

struct PartitionBy {
  PartitionStrategy strategy = PartitionStrategy::Range;
  std::string key;  // the key list as in PARTITION BY RANGE (<key>), e.g. "created_at"

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.strategy, self.key);
  }
};
bool operator==(const PartitionBy& a, const PartitionBy& b);

struct PartitionOf {
  std::string parent_schema;
  std::string parent_table;
  std::string bound;  // "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" or "DEFAULT"

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.parent_schema, self.parent_table, self.bound);
  }
};
bool operator==(const PartitionOf& a, const PartitionOf& b);

enum class ReplicaIdentity { Default, Full, Nothing, UsingIndex };

struct Table {
  std::string name;
  std::vector<Column> columns;  // in ordinal order
  std::optional<PrimaryKey> primary_key;
  std::vector<UniqueConstraint> unique_constraints;
  std::vector<CheckConstraint> check_constraints;
  std::vector<ForeignKey> foreign_keys;
  std::vector<ExclusionConstraint> exclusion_constraints;  // sorted by name
  std::vector<Index> indexes;  // indexes not backing a primary key or unique constraint
  std::vector<Trigger> triggers;
  std::vector<Policy> policies;  // sorted by name
  RowSecurity row_security;
  std::optional<PartitionBy> partition_by;  // this table is partitioned
  std::optional<PartitionOf> partition_of;  // this table is a partition
  ReplicaIdentity replica_identity = ReplicaIdentity::Default;
  std::optional<std::string> replica_identity_index;  // with UsingIndex
  bool unlogged = false;  // CREATE UNLOGGED TABLE (relpersistence 'u')
  // Storage parameters (reloptions): "fillfactor" -> "70"; the TOAST table's
  // as "toast.autovacuum_enabled" -> "false".
  std::map<std::string, std::string> options;
  std::optional<std::string> comment;
  // Planning hint (YAML only): rows per backfill batch for this table.
  std::optional<int64_t> backfill_batch_size;
  std::optional<std::string> renamed_from;  // planning hint (YAML only)
  // Planning hint (YAML only), with renamed_from: the rename is made by
  // expand and contract (issue 15): expand renames the table and leaves an
  // updatable view under the old name, contract drops the view.
  bool expand_contract = false;
  // The owning role (ALTER ... OWNER TO); only with Database::manage_owners.
  // nullopt: not managed, whatever owner it has is kept.
  std::optional<std::string> owner;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.columns, self.primary_key, self.unique_constraints,
                    self.check_constraints, self.foreign_keys, self.exclusion_constraints,
                    self.indexes, self.triggers, self.policies, self.row_security,
                    self.partition_by, self.partition_of, self.replica_identity,
                    self.replica_identity_index, self.unlogged, self.options, self.comment,
                    self.backfill_batch_size, self.renamed_from, self.expand_contract, self.owner);
  }
};
bool operator==(const Table& a, const Table& b);

// ---------------------------------------------------------------------------
// Other schema objects.
// ---------------------------------------------------------------------------

struct Sequence {
  std::string name;
  std::string type = "bigint";  // smallint, integer or bigint
  SequenceOptions options;
  std::optional<std::string> owned_by;  // "schema.table.column"
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name
  // See Table::owner; never set with owned_by: such a sequence follows its table.
  std::optional<std::string> owner;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.type, self.options, self.owned_by, self.comment,
                    self.renamed_from, self.owner);
  }
};
bool operator==(const Sequence& a, const Sequence& b);

struct Enum {
  std::string name;
  std::vector<std::string> labels;  // in sort order
  std::optional<std::string> comment;
  // Planning hint (YAML only): label -> its previous label, renamed in place
  // (ALTER TYPE ... RENAME VALUE) instead of the enum being replaced.
  std::map<std::string, std::string> label_renamed_from;
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.labels, self.comment, self.label_renamed_from, self.owner);
  }
};
bool operator==(const Enum& a, const Enum& b);

struct DomainCheck {
  std::string name;
  std::string expression;  // uses VALUE

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.expression);
  }
};
bool operator==(const DomainCheck& a, const DomainCheck& b);

struct Domain {
  std::string name;
  std::string base_type;
  std::optional<std::string> default_expr;
  bool not_null = false;
  std::optional<std::string> collation;
  std::vector<DomainCheck> checks;  // sorted by name
  std::optional<std::string> comment;
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.base_type, self.default_expr, self.not_null, self.collation,
                    self.checks, self.comment, self.owner);
  }
};
bool operator==(const Domain& a, const Domain& b);

struct CompositeAttribute {
  std::string name;
  std::string type;
  std::optional<std::string> collation;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.type, self.collation);
  }
};
bool operator==(const CompositeAttribute& a, const CompositeAttribute& b);

struct CompositeType {
  std::string name;
  std::vector<CompositeAttribute> attributes;  // in order
  std::optional<std::string> comment;
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.attributes, self.comment, self.owner);
  }
};
bool operator==(const CompositeType& a, const CompositeType& b);

struct View {
  std::string name;
  std::string definition;                      // the SELECT, as pg_get_viewdef or as written
  std::map<std::string, std::string> options;  // security_barrier, check_option, ...
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.definition, self.options, self.comment, self.renamed_from,
                    self.owner);
  }
};
bool operator==(const View& a, const View& b);

// The storage settings of a materialized view's column, whose name and type
// its query gives; each as Column's.
struct ColumnSettings {
  std::string name;
  OptionalText storage;
  OptionalText compression;
  std::optional<int> statistics;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.storage, self.compression, self.statistics);
  }
};
bool operator==(const ColumnSettings& a, const ColumnSettings& b);
// Whether any setting is set (a column without one is not listed).
bool has_settings(const ColumnSettings& settings);

struct MaterializedView {
  std::string name;
  std::string definition;
  std::map<std::string, std::string> options;  // storage parameters
  bool with_data = true;
  // Its columns with a storage setting (ALTER MATERIALIZED VIEW ... ALTER
  // COLUMN), by name.
  std::vector<ColumnSettings> columns;
  std::vector<Index> indexes;
  std::optional<std::string> comment;
  std::optional<std::string> renamed_from;  // planning hint (YAML only): previous name
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.definition, self.options, self.with_data, self.columns,
                    self.indexes, self.comment, self.renamed_from, self.owner);
  }
};
bool operator==(const MaterializedView& a, const MaterializedView& b);

enum class ArgMode { In, Out, InOut, Variadic, Table };
enum class Volatility { Immutable, Stable, Volatile };

struct FunctionArg {
  std::string name;  // may be empty
  std::string type;
  ArgMode mode = ArgMode::In;
  std::optional<std::string> default_expr;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.type, self.mode, self.default_expr);
  }
};
bool operator==(const FunctionArg& a, const FunctionArg& b);

struct Function {
  std::string name;
  std::vector<FunctionArg> args;
  bool is_procedure = false;
  std::string
      returns;  // "void", "trigger", "SETOF orders", "TABLE(id bigint)"; empty for procedures
  std::string language = "sql";
  // The source between the dollar quotes; with sql_body, the SQL-standard
  // body instead ("RETURN (a + b)" or "BEGIN ATOMIC ... END", PostgreSQL 14+),
  // as pg_get_function_sqlbody spells it.
  std::string body;
  bool sql_body = false;
  Volatility volatility = Volatility::Volatile;
  bool strict = false;
  bool security_definer = false;
  std::optional<std::string> comment;
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.args, self.is_procedure, self.returns, self.language, self.body,
                    self.sql_body, self.volatility, self.strict, self.security_definer,
                    self.comment, self.owner);
  }
};
bool operator==(const Function& a, const Function& b);
// "name(type, type)" from the input arguments: the identity of a function.
std::string function_signature(const Function& function);

// Privileges (GRANT / REVOKE) of one object of a schema, kept as their
// difference from what an untouched object of its kind and owner has: the
// server's default (acldefault) or what initdb recorded (pg_init_privs, the
// `public` schema), compared after the server's normalisation (aclexplode),
// so an owner's implicit rights are never a difference. One collection per
// schema, keyed by the object a grant applies to (issue 12).
struct Grant {
  std::string role;                     // the grantee; kPublicRole for PUBLIC
  std::vector<std::string> privileges;  // upper case, in kPrivilegeOrder's order
  bool with_grant_option = false;       // always false in `revoked`

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.role, self.privileges, self.with_grant_option);
  }
};
bool operator==(const Grant& a, const Grant& b);

struct Privileges {
  // Schema (name: the schema itself), Table, View, MaterializedView, Sequence,
  // Column (table: its relation), Function or Procedure (name: the
  // signature), Enum, Domain or CompositeType.
  ObjectId object;
  std::vector<Grant> grants;   // given beyond the default, one per role and grant option
  std::vector<Grant> revoked;  // of the default, taken away, one per role

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.object, self.grants, self.revoked);
  }
};
bool operator==(const Privileges& a, const Privileges& b);

// Every privilege name, in the order the model keeps them.
inline constexpr const char* kPrivilegeOrder[] = {
    "SELECT",  "INSERT", "UPDATE",   "DELETE", "TRUNCATE", "REFERENCES",
    "TRIGGER", "MAINTAIN", "USAGE", "CREATE", "EXECUTE"};
// The privileges GRANT accepts on an object of `kind` (MAINTAIN: PostgreSQL
// 17+), in kPrivilegeOrder's order; empty for a kind that has none.
std::vector<std::string> privileges_of_kind(ObjectKind kind);
// Whether the object `id` (a Privileges key) is in `schema`: a column of a
// view or materialized view is taken to exist when its relation does.
struct Schema;
bool privileges_target_exists(const Schema& schema, const ObjectId& id);
// "schema.name" of the object (or "schema" for the schema itself,
// "schema.table.column" for a column, "schema.name" of a routine without
// its arguments): the path ignore patterns match.
std::string privileges_path(const ObjectId& id);

// Default privileges (ALTER DEFAULT PRIVILEGES FOR ROLE r [IN SCHEMA s]
// GRANT/REVOKE ... ON TABLES|SEQUENCES|FUNCTIONS|TYPES|SCHEMAS, catalog
// pg_default_acl): what objects `r` creates later get. Kept as Privileges
// entries keyed by default_privileges_id(). A database-wide entry (no IN
// SCHEMA; Database::default_privileges) replaces the server's built-in
// default (acldefault) and is kept as its difference from it: `grants`
// beyond it, `revoked` of it. A schema's entry (Schema::default_privileges)
// adds to the database-wide one or the built-in one: only `grants`.
ObjectId default_privileges_id(const std::string& schema, const std::string& for_role,
                               const std::string& objects);
// The object kinds default privileges name, in their order: "tables",
// "sequences", "functions", "types", "schemas" ("schemas": database-wide only).
inline constexpr const char* kDefaultPrivilegeObjects[] = {"tables", "sequences", "functions",
                                                           "types", "schemas"};
// The privileges GRANT accepts in default privileges on `objects` (one of
// kDefaultPrivilegeObjects); empty for anything else.
std::vector<std::string> default_privileges_of(const std::string& objects);
// The objects default privileges name for an object of `kind` ("tables" for
// a table, view or materialized view, ...), or "" for a kind they do not
// reach (a column, a constraint).
std::string default_privileges_objects(ObjectKind kind);

struct Schema {
  std::string name;
  std::optional<std::string> comment;
  std::vector<Table> tables;
  std::vector<View> views;
  std::vector<MaterializedView> materialized_views;
  std::vector<Sequence> sequences;
  std::vector<Enum> enums;
  std::vector<Domain> domains;
  std::vector<CompositeType> composite_types;
  std::vector<Function> functions;  // functions and procedures, sorted by signature
  std::vector<Privileges> privileges;  // sorted by object; see Privileges
  // IN SCHEMA default privileges of this schema, keyed by
  // default_privileges_id(name, ...), sorted; only `grants`.
  std::vector<Privileges> default_privileges;
  std::optional<std::string> owner;  // see Table::owner

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.comment, self.tables, self.views, self.materialized_views,
                    self.sequences, self.enums, self.domains, self.composite_types, self.functions,
                    self.privileges, self.default_privileges, self.owner);
  }
};
bool operator==(const Schema& a, const Schema& b);

struct Extension {
  std::string name;
  std::string schema;                  // schema it is installed into
  std::optional<std::string> version;  // nullopt: whatever is default

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.name, self.schema, self.version);
  }
};
bool operator==(const Extension& a, const Extension& b);

// ---------------------------------------------------------------------------
// Facts about a live database that the planner needs to choose safe
// sequences. Only the catalog reader fills these; a YAML model leaves them
// empty. They are not part of the schema: operator== on Database ignores them.
// ---------------------------------------------------------------------------

struct TableStats {
  double reltuples = -1;  // planner estimate; -1 when never analyzed (PG 14+)
  int64_t relpages = 0;
  // pg_total_relation_size, of materialized views (a recreate's rationale says
  // it) and of the relations lint reads; 0 for the tables the catalog reader
  // reads (see kTablesQuery in catalog/reader.cpp).
  int64_t total_bytes = 0;
  // Whether the table holds a row, asked of the table itself (SELECT ... LIMIT
  // 1) for the tables a plan changes; nullopt when not asked or not answerable
  // (no SELECT privilege, row-level security), and then the statistics decide.
  std::optional<bool> has_rows;
};

// "a depends on b": e.g. a view on a table's column, an index on a column.
struct Dependency {
  ObjectId dependent;
  ObjectId referenced;
  std::string referenced_column;  // empty when the whole object is referenced
};

// The dependencies of a model read from a catalog, shared between copies of
// the model: a catalog of 10,000 tables has about 50,000, and the desired
// state of a plan takes those of every object it takes from the target. A
// change through rows() or push_back() copies them first when shared.
class Dependencies {
 public:
  using const_iterator = std::vector<Dependency>::const_iterator;
  const_iterator begin() const { return rows_ ? rows_->cbegin() : const_iterator(); }
  const_iterator end() const { return rows_ ? rows_->cend() : const_iterator(); }
  std::size_t size() const { return rows_ ? rows_->size() : 0; }
  bool empty() const { return size() == 0; }
  void push_back(Dependency dependency) { rows().push_back(std::move(dependency)); }
  // Whether both are the same rows, not copies.
  bool shares(const Dependencies& other) const { return rows_ != nullptr && rows_ == other.rows_; }
  // This model's own rows, to change.
  std::vector<Dependency>& rows();

 private:
  std::shared_ptr<std::vector<Dependency>> rows_;
};

// An output column of a view or materialized view, as the catalog has it.
struct ViewColumn {
  std::string name;
  std::string type;  // format_type spelling, e.g. "character varying(20)"
};
bool operator==(const ViewColumn& a, const ViewColumn& b);

struct SequenceUsage {
  int64_t last_value = 0;
  bool is_called = false;
};

// An object in a managed schema that the model does not hold (a policy, a
// grant, a rule, an exclusion constraint, ...), or a database-wide object that
// acts on managed ones (an event trigger, a cast of a managed type; `schema`
// empty). The catalog reader lists every one (catalog/unmodelled.hpp) so that
// inspect, plan and drift report it instead of skipping it.
struct UnmodelledObject {
  std::string kind;      // "policy", "privileges", "rule", ...
  std::string schema;    // "" for a database-wide object
  std::string relation;  // the table, view, sequence or index it belongs to, or ""
  std::string name;      // its own name, or "" for a property of `relation` or `schema`
  std::string detail;    // what exactly, in SQL words where possible; may be ""
};
bool operator==(const UnmodelledObject& a, const UnmodelledObject& b);
bool operator<(const UnmodelledObject& a, const UnmodelledObject& b);
// One line, through printable(): `policy "tenant" on "public.orders" (FOR ALL)`,
// `privileges on "public.orders" (...)`, `aggregate "public.total(integer)"`,
// `privileges of schema "public" (...)`, `event trigger "audit" (ddl_command_end)`.
std::string describe(const UnmodelledObject& object);

// One grant on an object of a managed schema made by a role other than the
// object's owner: a holder of WITH GRANT OPTION passing the privilege on
// (`gr_lead=r*/owner, reader=r/gr_lead`). The model does not tell it apart
// from the owner's (Privileges holds effective privileges, whoever granted
// them), but REVOKE removes only the grants of the role that runs it (a
// superuser, or a member of the owner, acts as the owner: aclchk.c
// select_best_grantor), so the planner revokes it as its grantor.
struct GrantByOther {
  ObjectId object;        // as Privileges::object
  std::string role;       // the grantee; kPublicRole for PUBLIC
  std::string privilege;  // upper case
  std::string grantor;
  bool with_grant_option = false;
  // The owner granted the same privilege to the same role as well.
  bool also_by_owner = false;
  // The user of the reading session (session_user: the one SET ROLE checks)
  // may SET ROLE to the grantor: a member of it, with the SET option on 16+.
  bool can_set_role = false;
  // The grantor is a superuser: run as it, REVOKE acts as the owner, so its
  // own grants cannot be revoked by SET ROLE either.
  bool grantor_superuser = false;
};
bool operator==(const GrantByOther& a, const GrantByOther& b);
bool operator<(const GrantByOther& a, const GrantByOther& b);

// The settings of a session that decide how it reads the text of names and
// constants, as SHOW prints them. Empty: unknown (a model not read from a
// server), or the session's own.
struct SessionSettings {
  // Names of types, functions and relations it reaches are read, and
  // written by the server, unqualified.
  std::string search_path;
  // How a date written other than year first ('04/03/2020') is read: its
  // second word (DMY, MDY, YMD).
  std::string date_style;
  // How an interval written in SQL-standard form is read.
  std::string interval_style;
  // A timestamp with time zone written without a zone is in this one.
  std::string time_zone;
};

struct CatalogFacts {
  int server_version_num = 0;                     // e.g. 150004; 0 when unknown (YAML)
  // The reading session's settings, before the read fixed its own output
  // style: a desired state written for this database means its names and
  // constants as such a session reads them.
  SessionSettings session;
  std::map<std::string, TableStats> table_stats;  // key: "schema.table"
  Dependencies dependencies;
  // Volatility of every function visible to the server, by "schema.name".
  // Overloads with different volatility store the most volatile.
  std::map<std::string, Volatility> function_volatility;
  // Casts that need no work (pg_cast castmethod = 'b'), as (source, target)
  // pairs of format_type spellings.
  std::set<std::pair<std::string, std::string>> binary_coercible_casts;
  // Columns whose default expression calls a volatile function, as
  // "schema.table.column" (decided from pg_depend / provolatile).
  std::set<std::string> volatile_defaults;
  // Column defaults of any schema that use a sequence of the schemas read
  // (nextval('s'): pg_depend), by the sequence's "schema.name": a drop of
  // the sequence fails while one of them is there.
  std::map<std::string, std::vector<ObjectId>> sequence_defaults;
  // The type's default storage (pg_type.typstorage, "extended", ...) of each
  // column whose storage is set (Column::storage, ColumnSettings::storage),
  // by "schema.relation.column":
  // SET STORAGE to it puts the column back to its default before
  // PostgreSQL 16 (which has SET STORAGE DEFAULT).
  std::map<std::string, std::string> column_default_storage;
  std::map<std::string, SequenceUsage> sequence_usage;  // key: "schema.sequence"
  // The same of each identity column's sequence, by "schema.table.column".
  std::map<std::string, SequenceUsage> identity_usage;
  // Output columns of every view and materialized view read, in order, by
  // "schema.view": whether CREATE OR REPLACE VIEW can keep a view's columns is
  // decided from these, on both sides (the desired side's come from the
  // scratch database). Empty for a model that did not come from a catalog.
  std::map<std::string, std::vector<ViewColumn>> view_columns;
  // A partition's copies of its parent's indexes, keys and foreign keys,
  // which the model leaves out (they are the parent's): by "schema.partition",
  // the copy's name by the parent's member's name (an index's, a primary or
  // unique key's, a foreign key's). DETACH PARTITION makes them the table's
  // own under these names. Empty for a model that did not come from a catalog.
  std::map<std::string, std::map<std::string, std::string>> partition_copies;
  // Partitions whose DETACH PARTITION ... CONCURRENTLY was interrupted
  // (pg_inherits.inhdetachpending, PostgreSQL 14+), as "schema.partition":
  // only DETACH PARTITION ... FINALIZE completes them.
  std::set<std::string> pending_detach;
  // Each partition's partition constraint as the server spells it
  // (pg_get_partition_constraintdef), by "schema.partition"; none where the
  // constraint is empty. The desired side's, read in the scratch database,
  // gives the CHECK that proves a bound pgshift does not spell itself (a key
  // of several columns or an expression, the DEFAULT partition) before
  // ATTACH. Empty for a model that did not come from a catalog.
  std::map<std::string, std::string> partition_constraints;
  // What the model cannot hold, sorted by schema, relation, kind and name.
  std::vector<UnmodelledObject> unmodelled;
  // Every role of the server (pg_roles.rolname): a policy may name only
  // these. Empty for a model that did not come from a catalog.
  std::set<std::string> roles;
  // The role the catalog was read as (current_user): the plan creates objects
  // as it, so the default privileges FOR ROLE it apply to them. Empty for a
  // model that did not come from a catalog.
  std::string current_role;
  // Grants made by roles other than their object's owner, on the objects
  // whose privileges are read, sorted. Empty for a model that did not come
  // from a catalog.
  std::vector<GrantByOther> grants_by_others;
  // Digest of the schema as read; a plan records it so the applier can refuse a
  // stale plan.
  std::string fingerprint;
};

// ---------------------------------------------------------------------------
// The whole desired or current state.
// ---------------------------------------------------------------------------

// Where each object of a YAML desired state is defined. Built by the loader
// as it goes and handed over whole: no entry is copied or formatted unless a
// message asks for it (at 10,000 tables, about 170,000 entries).
struct Origins {
  struct Place {
    std::uint32_t file = 0;  // in `files`
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    // The loader's number for the object's key path, for its own messages
    // (schemas/yaml_loader.cpp); no meaning once loaded.
    std::uint32_t path = 0;
  };
  std::vector<std::string> files;
  std::unordered_map<ObjectId, Place, ObjectIdHash> places;

  // "file:line:column" (the file alone without a line).
  std::string location(const Place& place) const;
};

struct Database {
  std::vector<Extension> extensions;  // sorted by name
  std::vector<Schema> schemas;        // sorted by name
  // Patterns of objects managed elsewhere (YAML `ignore:`), e.g.
  // "public.audit_*" or "index:public.*_hotfix". Kept in the order written.
  std::vector<std::string> ignore;
  // Schemas the desired state asks to drop with everything in them (YAML
  // `drop_schemas:`), sorted. pgshift manages only the schemas a desired state
  // names (`schemas` and these); a schema is dropped only when listed here.
  std::vector<std::string> drop_schemas;
  // Database-wide default privileges (no IN SCHEMA), keyed by
  // default_privileges_id("", ...), sorted (YAML top-level
  // `default_privileges:`). Managed as extensions are: the catalog's that the
  // desired state lacks are revoked.
  std::vector<Privileges> default_privileges;
  // Owners are managed (YAML top-level `manage_owners: true`; a catalog read
  // with ReadOptions::owners): the objects' `owner` fields may be set and are
  // planned. false: no object has one, owners are neither compared nor
  // changed.
  bool manage_owners = false;
  CatalogFacts facts;  // not compared by operator==
  // Where each object of a YAML desired state is defined, for messages about
  // it from a server; null for a model read from a catalog. Not compared by
  // operator==. Never changed once loaded, so copies of the model share it
  // (it was a third of copying a loaded state of 10,000 tables, which
  // planning does twice).
  std::shared_ptr<const Origins> origins;

  template <typename Self>
  static auto fields(Self& self) {
    return std::tie(self.extensions, self.schemas, self.ignore, self.drop_schemas,
                    self.default_privileges, self.manage_owners);
  }
};

// Where `id` was defined ("file:line:column"), else where its table or its
// schema was, else "".
std::string origin_of(const Database& db, const ObjectId& id);
bool operator==(const Database& a, const Database& b);
bool operator!=(const Database& a, const Database& b);

// ---------------------------------------------------------------------------
// Invariant helpers.
// ---------------------------------------------------------------------------

// Sorts every named collection by name (invariant 2). Idempotent.
void canonicalize(Database& db);

// The column `from` of `table` named `to` in its key lists: the primary
// key's and unique constraints' columns and INCLUDE columns, the indexes'
// column keys and INCLUDE columns, the foreign keys' own columns. Not in
// expressions, nor in other tables.
void rename_column_in_keys(Table& table, const std::string& from, const std::string& to);

// Planning hints say how to get to the desired schema, not what it is (the
// catalog never has them): resets every one of them (table renamed_from and
// backfill_batch_size, expand_contract; column backfill, renamed_from, using,
// expand_contract; renamed_from of policies, constraints, indexes, sequences,
// views and materialized views; an enum's label_renamed_from).
void remove_planning_hints(Database& db);
void remove_planning_hints(Table& table);    // a table's share of the above
void remove_planning_hints(Column& column);  // a column's share of that
// Whether any of those hints is set: remove_planning_hints would change `db`.
bool has_planning_hints(const Database& db);
bool has_planning_hints(const Table& table);

// One violated invariant, with the object it concerns.
struct ModelProblem {
  ObjectId object;
  std::string message;  // lower case, no final period
};

// Returns every violated invariant: duplicate names, references to objects
// that do not exist (a foreign key to a missing table or column, an index on
// a missing column, a primary key on a missing column, ...). Empty when valid.
// REQUIRES: canonicalize(db) was called.
std::vector<ModelProblem> validate(const Database& db);

// Lookup by name in a sorted or unsorted named collection; nullptr if absent.
// A long collection is first searched as if sorted by name (canonicalize()
// sorts them: 10,000 tables are found in 14 steps, not 5,000), then, when that
// misses, scanned, so an unsorted one is still searched right.
template <typename T>
const T* find_named(const std::vector<T>& items, const std::string& name) {
  if (items.size() > 16) {
    std::size_t low = 0;
    std::size_t high = items.size();
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (items[middle].name < name) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (low < items.size() && items[low].name == name) return &items[low];
  }
  for (const auto& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}
template <typename T>
T* find_named(std::vector<T>& items, const std::string& name) {
  return const_cast<T*>(find_named(static_cast<const std::vector<T>&>(items), name));
}

const Schema* find_schema(const Database& db, const std::string& name);

// The `owner` field of the object `id` (a schema, table, view, materialized
// view, sequence, function or procedure by signature, enum, domain or
// composite type) in `db`; nullptr when there is no such object or its kind
// has no owner.
const std::optional<std::string>* find_owner(const Database& db, const ObjectId& id);
std::optional<std::string>* find_owner(Database& db, const ObjectId& id);
// Every object of `db` whose kind has an owner, with its owner field, in
// schema order then kind order then name (functions by signature).
std::vector<std::pair<ObjectId, const std::optional<std::string>*>> owned_objects(
    const Database& db);
// Resets every owner field and manage_owners.
void remove_owners(Database& db);
// Whether any object of `db` has an owner set (remove_owners would reset it).
bool has_owners(const Database& db);
// Owners are compared only where the desired state gives one: resets the
// owner of every object of `current` that `desired` gives none (a table
// renamed by renamed_from is matched by its old name), and every owner
// (remove_owners) when `desired` does not manage owners.
void keep_compared_owners(Database& current, const Database& desired);
const Table* find_table(const Database& db, const std::string& schema, const std::string& table);

}  // namespace pgshift::schemas
