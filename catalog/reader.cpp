#include "catalog/reader.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "catalog/cells.hpp"
#include "catalog/connection.hpp"
#include "catalog/deparse_key.hpp"
#include "catalog/fingerprint.hpp"
#include "catalog/lock_wait.hpp"
#include "catalog/privileges.hpp"
#include "catalog/sequence_usage.hpp"
#include "catalog/unmodelled.hpp"

namespace pgshift::catalog {

std::string array_literal(const std::vector<std::string>& items) {
  std::string literal = "{";
  for (const auto& item : items) {
    if (literal.size() > 1) literal += ",";
    literal += "\"";
    for (const char ch : item) {
      if (ch == '"' || ch == '\\') literal += '\\';
      literal += ch;
    }
    literal += "\"";
  }
  return literal + "}";
}

ReadError::ReadError(std::string what_was_read, const std::string& message, std::string sqlstate)
    : Error("could not read " + what_was_read + ": " + message +
            (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")")),
      what_was_read_(std::move(what_was_read)),
      sqlstate_(std::move(sqlstate)) {}

namespace {

using schemas::Database;
using ReadOnlyTransaction =
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;

// ---------------------------------------------------------------------------
// Queries. Every query but the facts about pg_catalog takes $1, the text[] of
// the schemas being read. Tokens in @...@ differ by server version and are
// replaced by versioned().
// ---------------------------------------------------------------------------

// Objects owned by an extension (pg_depend deptype 'e') are never reported.
#define PGSHIFT_NOT_EXTENSION_MEMBER(catalog, oid)                     \
  " NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '" catalog \
  "'::regclass AND e.objid = " oid " AND e.deptype = 'e') "

// The settings every read's transaction runs under, set in one round trip
// (each is local to the transaction); $1 is the lock_timeout. The first four
// columns are the session's own search_path, DateStyle, IntervalStyle and
// TimeZone, which the read records (CatalogFacts::session): read in a
// subquery that OFFSET 0 keeps apart, so they are read before the outer row
// sets the transaction's.
//
// jit: catalog queries grow with the schema read, and on wide schemas some
// cross jit_above_cost; compiling them took longer than running them (the
// index keys on bench/inspect_wide.sh).
//
// max_parallel_workers_per_gather: a parallel worker starts with empty
// catalog caches, and the deparsing functions (pg_get_expr,
// pg_get_constraintdef) open the relation they deparse for: a worker
// builds again what the session's own backend has built. On the 2-core
// machine, inspect of the bench/plan_wide.sh schema at 10,000 tables took
// 3.4 s with parallel plans and 2.5 s without; no catalog query here scans
// enough rows to gain from a worker.
//
// work_mem: at least 64MB. At 10,000 tables the column query's hash of
// 90,000 attributes (about 8 MB) and the trigger and policy dependencies'
// spilled to disk under the default 4MB: the column query took 0.67 s
// with it, 0.46 s without the spill. A setting already larger is kept.
//
// DateStyle, IntervalStyle, TimeZone, bytea_output: the server's output of
// constants follows them. Fixed, a default or CHECK holding a date, time or
// interval constant is written the same whatever the database, role or client
// (PGDATESTYLE, PGTZ) sets, and ISO dates read back alike under any DateStyle
// ('2020-03-04', never '04/03/2020', which a DMY and an MDY session read as
// different days).
constexpr const char* kReadSettings =
    "SELECT own.*, "
    "  pg_catalog.set_config('jit', 'off', true), "
    "  pg_catalog.set_config('max_parallel_workers_per_gather', '0', true), "
    "  pg_catalog.set_config('DateStyle', 'ISO, MDY', true), "
    "  pg_catalog.set_config('IntervalStyle', 'postgres', true), "
    "  pg_catalog.set_config('TimeZone', 'UTC', true), "
    "  pg_catalog.set_config('bytea_output', 'hex', true), "
    "  pg_catalog.set_config('lock_timeout', $1, true), "
    "  CASE WHEN pg_catalog.pg_size_bytes(pg_catalog.current_setting('work_mem')) < 67108864 "
    "    THEN pg_catalog.set_config('work_mem', '64MB', true) END "
    "FROM (SELECT pg_catalog.current_setting('search_path'), "
    "    pg_catalog.current_setting('DateStyle'), pg_catalog.current_setting('IntervalStyle'), "
    "    pg_catalog.current_setting('TimeZone') OFFSET 0) own";

// $1: schemas to include (empty: all), $2: schemas to exclude. The fourth
// column says whether anything is in the schema: every object that lives in
// a schema (a relation, type, routine, operator, collation, statistics
// object...) depends on it in pg_depend, and what lives on a relation or a
// type (constraints, indexes, triggers, policies) needs one.
constexpr const char* kSchemasQuery =
    "SELECT n.nspname, d.description, pg_get_userbyid(n.nspowner), "
    "  EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.refclassid = 'pg_namespace'::regclass "
    "    AND dep.refobjid = n.oid) "
    "FROM pg_namespace n "
    "LEFT JOIN pg_description d ON d.objoid = n.oid "
    "  AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0 "
    // initdb's comment on public is a default, omitted like other defaults.
    "  AND NOT (n.nspname = 'public' AND d.description = 'standard public schema') "
    "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', '_pgshift') "
    "  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
    "  AND (cardinality($1::text[]) = 0 OR n.nspname = ANY($1::text[])) "
    "  AND NOT n.nspname = ANY($2::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER(
        "pg_namespace", "n.oid") "ORDER BY n.nspname";

// plpgsql is installed by initdb into every database: not part of anyone's schema.
// What the schemas read ($1) hold, for the readers whose every row needs
// it: views or materialized views (their _RETURN rule), sequences,
// partitions (pg_inherits), enums, domains, routines, triggers other than
// internal ones, policies, exclusion constraints (their index). A reader
// whose kind is absent is not sent (its query, about 1 ms of server parse,
// plan and execution at 1,000 tables, would return no row). Each flag may
// say more than its reader reads, never less. Each is asked of the smallest
// catalog that knows it: 16 ms at 10,000 tables, 1 ms at 1,000.
constexpr const char* kContentsQuery =
    "WITH s AS (SELECT n.oid FROM pg_namespace n WHERE n.nspname = ANY($1::text[])), "
    "types AS (SELECT bool_or(t.typtype = 'e') AS enums, bool_or(t.typtype = 'd') AS domains "
    "  FROM pg_type t WHERE t.typtype IN ('e', 'd') AND t.typnamespace IN (SELECT oid FROM s)) "
    "SELECT "
    "  EXISTS (SELECT 1 FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
    "    WHERE c.relnamespace IN (SELECT oid FROM s)), "
    "  EXISTS (SELECT 1 FROM pg_sequence q JOIN pg_class c ON c.oid = q.seqrelid "
    "    WHERE c.relnamespace IN (SELECT oid FROM s)), "
    "  EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "    WHERE c.relnamespace IN (SELECT oid FROM s)), "
    "  COALESCE(types.enums, false), COALESCE(types.domains, false), "
    "  EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM s)), "
    "  EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "    WHERE NOT t.tgisinternal AND c.relnamespace IN (SELECT oid FROM s)), "
    "  EXISTS (SELECT 1 FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
    "    WHERE c.relnamespace IN (SELECT oid FROM s)), "
    "  EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid "
    "    WHERE i.indisexclusion AND c.relnamespace IN (SELECT oid FROM s)) "
    "FROM types";

constexpr const char* kExtensionsQuery =
    "SELECT x.extname, n.nspname, x.extversion FROM pg_extension x "
    "JOIN pg_namespace n ON n.oid = x.extnamespace "
    "WHERE x.extname <> 'plpgsql' ORDER BY x.extname";

// A table's size is not read (TableStats::total_bytes stays 0): nothing
// planned from a table uses it, and pg_total_relation_size opens the table
// and each of its indexes (a relcache entry each) and stats their files:
// 3.3 s of a 3.5 s query for 10,000 tables holding a row each. The replica
// identity index is looked up only for the tables that use one.
constexpr const char* kTablesQuery =
    "SELECT c.oid, n.nspname, c.relname, c.relreplident, d.description, c.reltuples, "
    "  c.relpages, "
    "  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
    "  pn.nspname, pc.relname, "
    "  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END, "
    "  CASE WHEN c.relreplident = 'i' THEN (SELECT ic.relname FROM pg_index i "
    "    JOIN pg_class ic ON ic.oid = i.indexrelid "
    "    WHERE i.indrelid = c.oid AND i.indisreplident) END, "
    "  c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner), "
    "  coalesce(@inhdetachpending@, false), "
    "  CASE WHEN c.relispartition THEN pg_get_partition_constraintdef(c.oid) END, "
    "  c.relnatts "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_inherits inh ON c.relispartition AND inh.inhrelid = c.oid "
    "LEFT JOIN pg_class pc ON pc.oid = inh.inhparent "
    "LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = c.oid "
    "  AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_class", "c.oid");

// Collation names are qualified unless they live in pg_catalog.
#define PGSHIFT_COLLATION_NAME(alias)                       \
  "CASE WHEN " alias "n.nspname = 'pg_catalog' THEN " alias \
  ".collname "                                              \
  "ELSE " alias "n.nspname || '.' || " alias ".collname END"

// pg_get_expr with a relation opens it (a relcache entry and a lock per table,
// 10x the cost of the deparse); only expressions with a Var need the relation
// for their column names, so the others are deparsed without it.
// Views' and materialized views' columns are read too: the constraint, index
// and dependency readers name columns from here (by relation and attnum)
// rather than joining pg_attribute once per key, which took about a fifth of
// the server's time on bench/inspect_wide.sh. Rows come unordered (sorting
// them spilled to disk); the reader orders columns by attnum.
constexpr const char* kColumnsQuery =
    "SELECT a.attrelid, a.attnum, a.attname, a.attcollation, "
    "  format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "  pg_get_expr(ad.adbin, CASE WHEN ad.adbin::text LIKE '%{VAR %' THEN ad.adrelid "
    "    ELSE 0 END), a.attidentity, @attgenerated@, "
    "  CASE WHEN a.attcollation <> t.typcollation THEN " PGSHIFT_COLLATION_NAME("co") " END, "
    "  d.description, "
    // Storage settings: STORAGE only where it differs from the type's
    // default (with that default, to go back to it); COMPRESSION where set
    // (14+); the statistics target unless the default (-1, NULL from 17).
    "  CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, t.typstorage, "
    "  CASE @attcompression@ WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END, "
    "  NULLIF(a.attstattarget::int, -1), "
    // Whether the column has privileges of its own: the privileges queries
    // look for column grants in the relations of these only
    // (privileges_query).
    "  COALESCE(cardinality(a.attacl) > 0, false) "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
    "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
    "LEFT JOIN pg_namespace con ON con.oid = co.collnamespace "
    "LEFT JOIN pg_description d ON d.objoid = a.attrelid "
    "  AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped "
    "  AND n.nspname = ANY($1::text[])";

// Names of the columns of `rel` at the attribute numbers in `keys`, in order.
#define PGSHIFT_COLUMN_NAMES(rel, keys, filter)                                 \
  "ARRAY(SELECT a.attname FROM unnest(" keys                                    \
  ") WITH ORDINALITY k(attnum, ord) "                                           \
  "JOIN pg_attribute a ON a.attrelid = " rel " AND a.attnum = k.attnum " filter \
  " "                                                                           \
  "ORDER BY k.ord)"

// Constraints a partition inherits from its parent (conparentid) or a child
// from its parent (not conislocal) are reported on the parent only. NOT NULL
// constraints (contype 'n', PostgreSQL 18) are the columns' not_null.
// Key and INCLUDE columns come as attnums, named from the columns read; only a
// foreign key to a table outside the schemas read has its referenced columns
// named here. A CHECK comes as its stored tree (keyed by shared_deparse_key), and
// is deparsed afterwards once per distinct expression (read_constraints):
// deparsing opens the table, a relcache entry per table, which was most of
// this query's time (pg_get_expr(conbin, conrelid) opens it too).
constexpr const char* kConstraintsQuery =
    "SELECT co.conrelid, co.conname, co.contype, co.condeferrable, co.condeferred, "
    "  co.convalidated, co.connoinherit, co.conkey, "
    "  fn.nspname, fc.relname, co.confrelid, co.confkey, "
    "  CASE WHEN co.contype = 'f' AND NOT fn.nspname = ANY($1::text[]) THEN "
    PGSHIFT_COLUMN_NAMES("co.confrelid", "co.confkey", "") " END, "
    "  co.confupdtype, co.confdeltype, co.confmatchtype, "
    "  CASE WHEN co.contype = 'c' THEN co.conbin END, "
    "  CASE WHEN i.indnatts > i.indnkeyatts THEN i.indkey END, i.indnkeyatts, "
    "  COALESCE(@indnullsnotdistinct@, false), d.description, co.oid "
    "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_index i ON co.contype IN ('p', 'u') AND i.indexrelid = co.conindid "
    "LEFT JOIN pg_class fc ON fc.oid = co.confrelid "
    "LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = co.oid "
    "  AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0 "
    "WHERE co.contype IN ('p', 'u', 'c', 'f') AND c.relkind IN ('r', 'p') "
    "  AND co.conislocal AND co.conparentid = 0 AND n.nspname = ANY($1::text[]) "
    // NOT ENFORCED and temporal (WITHOUT OVERLAPS, PERIOD) constraints,
    // PostgreSQL 18, are not modelled: reported (catalog/unmodelled.cpp).
    "  AND @conenforced@ AND NOT @conperiod@";

// Indexes backing a primary key, unique or exclusion constraint are represented
// by the constraint; indexes attached to a partitioned parent's index by the parent's.
// Keys come as vectors, one element per key column: indkey (attnums, then
// those of the INCLUDE columns; 0 for an expression), indclass, indcollation
// and indoption (bits: 1 DESC, 2 NULLS FIRST). Columns are named, and their
// collations compared, from the columns read; operator classes and
// collations are named from kOperatorClassesQuery and kCollationsQuery.
// Expression keys come with the collation of their type (the index's own
// attribute), which is the default a key's collation is compared with. A
// query with a row per key cost more than the indexes. Expression keys and
// predicates come as stored trees (keyed by shared_deparse_key), deparsed afterwards
// once per distinct index (kIndexExpressionsQuery): deparsing opens the table.
constexpr const char* kIndexesQuery =
    "SELECT i.indrelid, i.indexrelid, ic.relname, i.indisunique, "
    "  COALESCE(@indnullsnotdistinct@, false), am.amname, i.indkey, i.indnkeyatts, "
    "  i.indclass, i.indcollation, i.indoption, "
    "  CASE WHEN 0 = ANY(i.indkey::int2[]) THEN i.indexprs END, "
    "  CASE WHEN 0 = ANY(i.indkey::int2[]) THEN ARRAY("
    "    SELECT t.typcollation FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
    "    JOIN pg_attribute ia ON ia.attrelid = i.indexrelid AND ia.attnum = k.ord "
    "    JOIN pg_type t ON t.oid = ia.atttypid WHERE k.attnum = 0 ORDER BY k.ord) END, "
    "  i.indpred, ic.reloptions, i.indisvalid, d.description "
    "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
    "JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace "
    "JOIN pg_am am ON am.oid = ic.relam "
    "LEFT JOIN pg_description d ON d.objoid = i.indexrelid "
    "  AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 "
    "WHERE tc.relkind IN ('r', 'p', 'm') AND n.nspname = ANY($1::text[]) "
    "  AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = i.indexrelid "
    "    AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) "
    "  AND NOT EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = i.indexrelid)";

// The predicate and expression keys, in order, of the indexes in $1, in its order.
constexpr const char* kIndexExpressionsQuery =
    "SELECT pg_get_expr(x.indpred, x.indrelid), "
    "  CASE WHEN 0 = ANY(x.indkey::int2[]) THEN ARRAY("
    "    SELECT pg_get_indexdef(x.indexrelid, k.ord::int, true) "
    "    FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord) "
    "    WHERE k.attnum = 0 ORDER BY k.ord) END "
    "FROM unnest($1::oid[]) WITH ORDINALITY u(oid, ord) "
    "JOIN pg_index x ON x.indexrelid = u.oid ORDER BY u.ord";

// Operator classes an index key names: those that are not their type's default.
constexpr const char* kOperatorClassesQuery =
    "SELECT opc.oid, CASE WHEN opcn.nspname = 'pg_catalog' THEN opc.opcname "
    "  ELSE opcn.nspname || '.' || opc.opcname END "
    "FROM pg_opclass opc JOIN pg_namespace opcn ON opcn.oid = opc.opcnamespace "
    "WHERE NOT opc.opcdefault";

constexpr const char* kCollationsQuery =
    "SELECT co.oid, " PGSHIFT_COLLATION_NAME("co") " FROM pg_collation co "
    "JOIN pg_namespace con ON con.oid = co.collnamespace";

// tgtype bits (pg_trigger.h): 1 ROW, 2 BEFORE, 4 INSERT, 8 DELETE, 16 UPDATE,
// 32 TRUNCATE, 64 INSTEAD. Triggers cloned onto partitions are internal before 13
// and have tgparentid from 13.
constexpr const char* kTriggersQuery =
    "SELECT t.tgrelid, t.tgname, t.tgtype, "
    "  " PGSHIFT_COLUMN_NAMES("t.tgrelid", "t.tgattr::int2[]", "") ", "
    "  pn.nspname || '.' || p.proname, t.tgnargs, t.tgargs, "
    "  CASE WHEN t.tgqual IS NOT NULL THEN substring(pg_get_triggerdef(t.oid) "
    "    FROM ' WHEN \\((.*)\\) EXECUTE (?:FUNCTION|PROCEDURE) ') END, "
    "  d.description, t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred, "
    "  COALESCE(fn.nspname || '.' || fc.relname, ''), t.tgenabled "
    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace "
    "LEFT JOIN pg_class fc ON fc.oid = t.tgconstrrelid "
    "LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = t.oid "
    "  AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0 "
    "WHERE NOT t.tgisinternal AND @tgparentid@ = 0 AND c.relkind IN ('r', 'p') "
    "  AND n.nspname = ANY($1::text[])";

// Row-level security policies (PostgreSQL 9.5+; AS RESTRICTIVE, polpermissive,
// 10+). polcmd: r SELECT, a INSERT, w UPDATE, d DELETE, * ALL. polroles holds
// role OIDs, 0 for PUBLIC; the names are sorted by canonicalize().
constexpr const char* kPoliciesQuery =
    "SELECT p.polrelid, p.polname, p.polcmd, p.polpermissive, "
    "  ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE a.rolname END "
    "    FROM unnest(p.polroles) r(oid) LEFT JOIN pg_roles a ON a.oid = r.oid), "
    "  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid), "
    "  d.description "
    "FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = p.oid "
    "  AND d.classoid = 'pg_policy'::regclass AND d.objsubid = 0 "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])";

// Exclusion constraints (contype 'x'), with their index's access method,
// INCLUDE columns (as attnums, named from the columns read) and predicate;
// the elements are cut from pg_get_constraintdef.
constexpr const char* kExclusionConstraintsQuery =
    "SELECT co.conrelid, co.conname, pg_get_constraintdef(co.oid), am.amname, "
    "  co.condeferrable, co.condeferred, "
    "  CASE WHEN i.indnatts > i.indnkeyatts THEN i.indkey END, i.indnkeyatts, "
    "  pg_get_expr(i.indpred, i.indrelid), d.description "
    "FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_index i ON i.indexrelid = co.conindid "
    "JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam "
    "LEFT JOIN pg_description d ON d.objoid = co.oid "
    "  AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0 "
    "WHERE co.contype = 'x' AND c.relkind IN ('r', 'p') "
    "  AND co.conislocal AND co.conparentid = 0 AND n.nspname = ANY($1::text[])";

// UNLOGGED and storage parameters of tables, the TOAST table's too, for the
// tables that have any.
constexpr const char* kTableStorageQuery =
    "SELECT c.oid, c.relpersistence = 'u', c.reloptions, tc.reloptions "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_class tc ON tc.oid = c.reltoastrelid "
    "WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) "
    "  AND (c.relpersistence = 'u' OR c.reloptions IS NOT NULL OR tc.reloptions IS NOT NULL)";

// A partition's copies of its parent's members (CatalogFacts::partition_copies):
// indexes attached to a partitioned index (pg_inherits between indexes; a
// key's index is named as its constraint), and keys and foreign keys whose
// conparentid is the parent's constraint.
constexpr const char* kPartitionCopiesQuery =
    "SELECT n.nspname, c.relname, pi.relname, ci.relname "
    "FROM pg_inherits inh JOIN pg_class ci ON ci.oid = inh.inhrelid "
    "JOIN pg_class pi ON pi.oid = inh.inhparent "
    "JOIN pg_index x ON x.indexrelid = ci.oid JOIN pg_class c ON c.oid = x.indrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE ci.relkind IN ('i', 'I') AND n.nspname = ANY($1::text[]) "
    "UNION ALL "
    "SELECT n.nspname, c.relname, pco.conname, co.conname "
    "FROM pg_constraint co JOIN pg_constraint pco ON pco.oid = co.conparentid "
    "JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE co.conparentid <> 0 AND co.contype IN ('p', 'u', 'f') AND c.relispartition "
    "  AND n.nspname = ANY($1::text[])";

// Every role: a policy names roles, which live outside any database.
constexpr const char* kRolesQuery = "SELECT rolname FROM pg_roles";

// Sequences with their owner: deptype 'i' for an identity column's sequence,
// 'a' for OWNED BY. last_value is NULL until nextval() has been called;
// reading it opens every sequence (a third of a second at 10,000), so a read
// that does not need it (ReadOptions::sequence_usage) takes the second form.
// The owning column comes as (refobjid, refobjsubid), named by the client
// from the columns read (joining pg_class, pg_namespace and pg_attribute for
// every identity sequence was two thirds of this query's time).
#define PGSHIFT_SEQUENCES_QUERY(last_value)                                                  \
  "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, " \
  "  s.seqmin, s.seqmax, s.seqcache, s.seqcycle, dep.deptype, dep.refobjid, "                \
  "  dep.refobjsubid, " last_value                                                           \
  ", d.description, pg_get_userbyid(c.relowner) "                                            \
  "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "                                \
  "JOIN pg_namespace n ON n.oid = c.relnamespace "                                           \
  "LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = c.oid "     \
  "  AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i') "               \
  "LEFT JOIN pg_description d ON d.objoid = c.oid "                                          \
  "  AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 "                              \
  "WHERE n.nspname = ANY($1::text[]) AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_class", "c.oid")
constexpr const char* kSequencesQuery = PGSHIFT_SEQUENCES_QUERY(PGSHIFT_SEQUENCE_LAST_VALUE);
constexpr const char* kSequencesWithoutUsageQuery = PGSHIFT_SEQUENCES_QUERY("NULL::bigint");

#define PGSHIFT_TYPE_COMMENT                        \
  "LEFT JOIN pg_description d ON d.objoid = t.oid " \
  "  AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0 "

constexpr const char* kEnumsQuery =
    "SELECT n.nspname, t.typname, "
    "  ARRAY(SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = t.oid "
    "        ORDER BY e.enumsortorder), d.description, pg_get_userbyid(t.typowner) "
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace " PGSHIFT_TYPE_COMMENT
    "WHERE t.typtype = 'e' AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid");

constexpr const char* kDomainsQuery =
    "SELECT n.nspname, t.typname, format_type(t.typbasetype, t.typtypmod), "
    // Not typdefault: the text kept from CREATE DOMAIN, stale once a label
    // it names is renamed.
    "  pg_get_expr(t.typdefaultbin, 0), "
    "  t.typnotnull, CASE WHEN t.typcollation <> bt.typcollation "
    "    THEN " PGSHIFT_COLLATION_NAME("co") " END, "
    "  ARRAY(SELECT dc.conname FROM pg_constraint dc WHERE dc.contypid = t.oid "
    "        AND dc.contype = 'c' ORDER BY dc.conname), "
    "  ARRAY(SELECT pg_get_constraintdef(dc.oid) FROM pg_constraint dc "
    "        WHERE dc.contypid = t.oid AND dc.contype = 'c' ORDER BY dc.conname), "
    "  d.description, pg_get_userbyid(t.typowner) "
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
    "JOIN pg_type bt ON bt.oid = t.typbasetype "
    "LEFT JOIN pg_collation co ON co.oid = t.typcollation "
    "LEFT JOIN pg_namespace con ON con.oid = co.collnamespace " PGSHIFT_TYPE_COMMENT
    "WHERE t.typtype = 'd' AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid");

// One row per attribute, in order.
constexpr const char* kCompositeTypesQuery =
    "SELECT n.nspname, t.typname, d.description, a.attname, "
    "  format_type(a.atttypid, a.atttypmod), "
    "  CASE WHEN a.attcollation <> at.typcollation THEN " PGSHIFT_COLLATION_NAME("co") " END, "
    "  pg_get_userbyid(t.typowner) "
    "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
    "JOIN pg_class c ON c.oid = t.typrelid AND c.relkind = 'c' "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "JOIN pg_type at ON at.oid = a.atttypid "
    "LEFT JOIN pg_collation co ON co.oid = a.attcollation "
    "LEFT JOIN pg_namespace con ON con.oid = co.collnamespace " PGSHIFT_TYPE_COMMENT
    "WHERE t.typtype = 'c' AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_type", "t.oid")
    "ORDER BY t.oid, a.attnum";

constexpr const char* kViewsQuery =
    "SELECT c.oid, n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid), c.reloptions, "
    "  c.relispopulated, d.description, c.reltuples, c.relpages, "
    "  CASE c.relkind WHEN 'm' THEN pg_total_relation_size(c.oid) ELSE 0 END, "
    "  pg_get_userbyid(c.relowner) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = c.oid "
    "  AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0 "
    "WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_class", "c.oid");

// Functions ('f') and procedures ('p'); aggregates and window functions are not modelled.
constexpr const char* kFunctionsQuery =
    "SELECT p.oid, n.nspname, p.proname, p.prokind, pg_get_function_result(p.oid), "
    "  l.lanname, p.prosrc, p.provolatile, p.proisstrict, p.prosecdef, d.description, "
    "  @sqlbody@, pg_get_userbyid(p.proowner) "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "JOIN pg_language l ON l.oid = p.prolang "
    "LEFT JOIN pg_description d ON d.objoid = p.oid "
    "  AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0 "
    "WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY($1::text[]) "
    "  AND" PGSHIFT_NOT_EXTENSION_MEMBER("pg_proc", "p.oid")
    // Made with a type and part of it (deptype 'i'): a range type's
    // constructors (and its multirange's, 14+), which the range type (reported
    // as unmodelled) brings and takes with it.
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend part WHERE part.classid = 'pg_proc'::regclass "
    "    AND part.objid = p.oid AND part.refclassid = 'pg_type'::regclass "
    "    AND part.deptype = 'i')";

// One row per argument, in order; proargmodes is NULL when all are IN.
constexpr const char* kFunctionArgsQuery =
    "SELECT p.oid, COALESCE(p.proargnames[k.ord], ''), format_type(k.typ, NULL), "
    "  COALESCE(p.proargmodes[k.ord], 'i'), pg_get_function_arg_default(p.oid, k.ord::int) "
    "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
    "CROSS JOIN LATERAL unnest(COALESCE(p.proallargtypes, p.proargtypes::oid[])) "
    "  WITH ORDINALITY k(typ, ord) "
    "WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY($1::text[]) "
    "ORDER BY p.oid, k.ord";

// --- Facts --------------------------------------------------------------------

constexpr const char* kFunctionVolatilityQuery =
    "SELECT n.nspname || '.' || p.proname, p.provolatile FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace";

constexpr const char* kBinaryCastsQuery =
    "SELECT format_type(castsource, NULL), format_type(casttarget, NULL) FROM pg_cast "
    "WHERE castmethod = 'b'";

// Views and functions depending on tables, views and materialized views (and
// their columns) of the schemas read. Dependencies on a view's own columns
// from its rewrite rule are left out. One branch per dependent's catalog,
// each with inner joins only: the server plans each branch well whatever its
// settings. The single pass with a LEFT JOIN per catalog it replaces needed
// hash joins forced (enable_nestloop off), and with parallel query off as
// well (max_parallel_workers_per_gather = 0) its plan hashed 50,000 rows on a
// NULL key: 43 s at 10,000 tables instead of 0.4 s.
// Referenced columns come as attnums, named from the columns read (a
// pg_attribute lookup per row cost a quarter of this query).
#define PGSHIFT_DEPENDENCY_REFERENCE                                                     \
  "rn.nspname, rc.relname, rc.relkind, dep.refobjid, dep.refobjsubid "                   \
  "FROM pg_depend dep JOIN pg_class rc ON rc.oid = dep.refobjid "                        \
  "JOIN pg_namespace rn ON rn.oid = rc.relnamespace "
#define PGSHIFT_DEPENDENCY_FILTER(catalog)                                               \
  "WHERE dep.classid = '" catalog "'::regclass AND dep.refclassid = 'pg_class'::regclass " \
  "  AND dep.deptype IN ('n', 'a') AND rc.relkind IN ('r', 'p', 'v', 'm') "              \
  "  AND rn.nspname = ANY($1::text[]) "
constexpr const char* kDependenciesQuery =
    "SELECT vc.relkind::text, vn.nspname, '', vc.relname, 0::oid, "
    PGSHIFT_DEPENDENCY_REFERENCE
    "JOIN pg_rewrite r ON r.oid = dep.objid JOIN pg_class vc ON vc.oid = r.ev_class "
    "JOIN pg_namespace vn ON vn.oid = vc.relnamespace "
    PGSHIFT_DEPENDENCY_FILTER("pg_rewrite") "AND vc.oid <> dep.refobjid "
    "UNION ALL "
    "SELECT 'function', '', '', '', dep.objid, "
    PGSHIFT_DEPENDENCY_REFERENCE
    PGSHIFT_DEPENDENCY_FILTER("pg_proc");
#undef PGSHIFT_DEPENDENCY_FILTER
#undef PGSHIFT_DEPENDENCY_REFERENCE

// Constraints and indexes depending on relations (and their columns): about
// five rows a table, most of them a constraint's or an index's own table's
// columns (80,000 rows at 10,000 tables). Joining each row to its relations'
// names on the server (pg_class and pg_namespace, for the referenced relation
// and the dependent's table) was three quarters of the query's time (0.2 s of
// 0.35 s at 10,000 tables); the rows come as oids, named by the client from
// kDependencyRelationsQuery, the indexes read and, for the few left (a
// foreign key from a schema not read, a partition's index),
// kOtherRelationsQuery. Rows on relations outside the schemas read are
// dropped there. Constraints the model does not hold (NOT NULL rows from
// PostgreSQL 18, exclusion constraints, constraint triggers) are left out.
constexpr const char* kConstraintDependenciesQuery =
    "SELECT co.contype, co.conrelid, co.conname, dep.refobjid, dep.refobjsubid "
    "FROM pg_depend dep JOIN pg_constraint co ON co.oid = dep.objid "
    "WHERE dep.classid = 'pg_constraint'::regclass AND dep.refclassid = 'pg_class'::regclass "
    "  AND dep.deptype IN ('n', 'a') AND co.contype IN ('p', 'u', 'c', 'f')";
constexpr const char* kIndexDependenciesQuery =
    "SELECT dep.objid, i.indrelid, dep.refobjid, dep.refobjsubid "
    "FROM pg_depend dep JOIN pg_index i ON i.indexrelid = dep.objid "
    "WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_class'::regclass "
    "  AND dep.deptype IN ('n', 'a')";

// The relations a dependency may reference: tables, views and materialized
// views of the schemas read.
constexpr const char* kDependencyRelationsQuery =
    "SELECT c.oid, n.nspname, c.relname, c.relkind "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY($1::text[])";

// Relations in $1 (oids) with their columns' names at attnum - 1 (dropped
// ones too): those a dependency or a sequence names that were not read.
constexpr const char* kOtherRelationsQuery =
    "SELECT c.oid, n.nspname, c.relname, "
    "  ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 "
    "        ORDER BY a.attnum) "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY($1::oid[])";

// Views and materialized views of the schemas read that call a function or
// procedure (their rewrite rule depends on it): the view must be dropped
// before the routine can be (2BP01) and created again after.
constexpr const char* kViewRoutineDependenciesQuery =
    "SELECT vn.nspname, vc.relname, vc.relkind, dep.refobjid "
    "FROM pg_depend dep JOIN pg_rewrite r ON r.oid = dep.objid "
    "JOIN pg_class vc ON vc.oid = r.ev_class "
    "JOIN pg_namespace vn ON vn.oid = vc.relnamespace "
    "WHERE dep.classid = 'pg_rewrite'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND vc.relkind IN ('v', 'm') AND vn.nspname = ANY($1::text[])";

// Triggers and policies of the schemas read on the tables, views and
// materialized views (and their columns) they use: a trigger's UPDATE OF
// columns and the columns of its WHEN clause (CreateTrigger records both), a
// policy's table and the columns and relations of its expressions. The
// whole-table rows (deptype 'a') say that the catalog recorded the object's
// dependencies; internal triggers (of foreign keys) are left out. Same
// columns as kDependenciesQuery.
constexpr const char* kTriggerPolicyDependenciesQuery =
    "SELECT CASE WHEN t.oid IS NOT NULL THEN 'trigger' ELSE 'policy' END, n.nspname, c.relname, "
    "  COALESCE(t.tgname, pol.polname), 0::oid, rn.nspname, rc.relname, rc.relkind, "
    "  dep.refobjid, dep.refobjsubid "
    "FROM pg_depend dep "
    "LEFT JOIN pg_trigger t ON dep.classid = 'pg_trigger'::regclass AND t.oid = dep.objid "
    "  AND NOT t.tgisinternal "
    "LEFT JOIN pg_policy pol ON dep.classid = 'pg_policy'::regclass AND pol.oid = dep.objid "
    "JOIN pg_class c ON c.oid = COALESCE(t.tgrelid, pol.polrelid) "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_class rc ON rc.oid = dep.refobjid "
    "JOIN pg_namespace rn ON rn.oid = rc.relnamespace "
    "WHERE dep.classid IN ('pg_trigger'::regclass, 'pg_policy'::regclass) "
    "  AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('n', 'a') "
    "  AND rc.relkind IN ('r', 'p', 'v', 'm') AND n.nspname = ANY($1::text[]) "
    "  AND rn.nspname = ANY($1::text[])";

// Column defaults, policies, indexes, CHECKs and routines of the schemas
// read that call a routine: a default must be dropped before the routine can
// be (2BP01) and set again after, a table before the routines its indexes
// call; a routine's SQL-standard body (14+) records the routines it calls.
// (kind, schema, table, its column, policy, index or constraint or "", the
// calling routine's oid or 0, the called routine's oid.)
constexpr const char* kRoutineUsersQuery =
    "SELECT 'default', n.nspname, c.relname, a.attname, 0::oid, dep.refobjid "
    "FROM pg_depend dep JOIN pg_attrdef ad ON ad.oid = dep.objid "
    "JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
    "WHERE dep.classid = 'pg_attrdef'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND n.nspname = ANY($1::text[]) "
    "UNION ALL "
    "SELECT 'policy', n.nspname, c.relname, pol.polname, 0::oid, dep.refobjid "
    "FROM pg_depend dep JOIN pg_policy pol ON pol.oid = dep.objid "
    "JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE dep.classid = 'pg_policy'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND n.nspname = ANY($1::text[]) "
    "UNION ALL "
    "SELECT 'index', n.nspname, c.relname, ic.relname, 0::oid, dep.refobjid "
    "FROM pg_depend dep JOIN pg_index i ON i.indexrelid = dep.objid "
    "JOIN pg_class ic ON ic.oid = i.indexrelid "
    "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE dep.classid = 'pg_class'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND n.nspname = ANY($1::text[]) "
    "UNION ALL "
    "SELECT 'check', n.nspname, c.relname, co.conname, 0::oid, dep.refobjid "
    "FROM pg_depend dep JOIN pg_constraint co ON co.oid = dep.objid AND co.contype = 'c' "
    "JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE dep.classid = 'pg_constraint'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND n.nspname = ANY($1::text[]) "
    "UNION ALL "
    "SELECT 'function', '', '', '', dep.objid, dep.refobjid "
    "FROM pg_depend dep JOIN pg_proc p ON p.oid = dep.objid "
    "JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE dep.classid = 'pg_proc'::regclass AND dep.refclassid = 'pg_proc'::regclass "
    "  AND dep.deptype = 'n' AND dep.objid <> dep.refobjid AND n.nspname = ANY($1::text[])";

// Column defaults that call a volatile function, directly or through an
// operator. pg_depend records no dependency on built-in (pinned) functions;
// those are found from the default's text (see scan_volatile_calls).
// Column defaults (of any schema) that use a sequence of the schemas read:
// a normal dependency of the default on the sequence (nextval('s'::regclass)).
// The defaults' few normal dependencies on relations first (OFFSET 0 keeps
// them first): driven from the sequences instead, the server probed pg_depend
// once per sequence, 41 ms instead of 25 ms at 10,000 identity sequences.
constexpr const char* kSequenceDefaultsQuery =
    "SELECT sn.nspname, s.relname, n.nspname, c.relname, a.attname "
    "FROM (SELECT d.objid, d.refobjid FROM pg_depend d "
    "      WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass "
    "        AND d.deptype = 'n' OFFSET 0) dep "
    "JOIN pg_class s ON s.oid = dep.refobjid AND s.relkind = 'S' "
    "JOIN pg_namespace sn ON sn.oid = s.relnamespace "
    "JOIN pg_attrdef ad ON ad.oid = dep.objid "
    "JOIN pg_class c ON c.oid = ad.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
    "WHERE sn.nspname = ANY($1::text[])";

constexpr const char* kVolatileDefaultsQuery =
    "SELECT n.nspname || '.' || c.relname || '.' || a.attname "
    "FROM pg_attrdef ad JOIN pg_class c ON c.oid = ad.adrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum "
    "WHERE n.nspname = ANY($1::text[]) AND EXISTS ("
    "  SELECT 1 FROM pg_depend dep "
    "  LEFT JOIN pg_operator o ON dep.refclassid = 'pg_operator'::regclass "
    "    AND o.oid = dep.refobjid "
    "  JOIN pg_proc p ON p.oid = CASE WHEN dep.refclassid = 'pg_proc'::regclass "
    "    THEN dep.refobjid ELSE o.oprcode::oid END "
    "  WHERE dep.classid = 'pg_attrdef'::regclass AND dep.objid = ad.oid "
    "    AND dep.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass) "
    "    AND p.provolatile = 'v')";

#undef PGSHIFT_NOT_EXTENSION_MEMBER
#undef PGSHIFT_COLLATION_NAME
#undef PGSHIFT_COLUMN_NAMES
#undef PGSHIFT_TYPE_COMMENT

// Catalog columns that appeared after PostgreSQL 11, and what stands in for
// them on older servers.
struct VersionedColumn {
  const char* token;
  int since;  // server_version_num
  const char* column;
  const char* fallback;
};
constexpr VersionedColumn kVersionedColumns[] = {
    {"@attgenerated@", 120000, "a.attgenerated", "''::\"char\""},
    {"@attcompression@", 140000, "a.attcompression", "''::\"char\""},
    {"@indnullsnotdistinct@", 150000, "i.indnullsnotdistinct", "NULL::boolean"},
    {"@tgparentid@", 130000, "t.tgparentid", "0::oid"},
    // NULL unless the routine has a SQL-standard body (prosqlbody).
    {"@sqlbody@", 140000, "pg_get_function_sqlbody(p.oid)", "NULL::text"},
    // A partition an interrupted DETACH ... CONCURRENTLY left pending (14+).
    {"@inhdetachpending@", 140000, "inh.inhdetachpending", "false"},
    {"@conenforced@", 180000, "co.conenforced", "true"},
    {"@conperiod@", 180000, "co.conperiod", "false"},
};

std::string versioned(std::string query, int server_version_num) {
  for (const auto& column : kVersionedColumns) {
    const std::string token = column.token;
    const char* text = server_version_num >= column.since ? column.column : column.fallback;
    for (auto pos = query.find(token); pos != std::string::npos; pos = query.find(token, pos)) {
      query.replace(pos, token.size(), text);
    }
  }
  return query;
}

// ---------------------------------------------------------------------------
// Field helpers.
// ---------------------------------------------------------------------------

// Runs `sql`, a query on the schemas read, in `tx` for the server's version:
// $1 is the schemas' names (a text[] literal). The privileges queries take,
// as $2, the relations whose columns have privileges of their own
// (`column_grant_relations`, an oid[] literal; read_columns learns which):
// the column grants are looked for there only instead of in a scan of all
// of pg_attribute.
pqxx::result exec_on_schemas(pqxx::transaction_base& tx, const char* sql, int server_version_num,
                             const std::string& schema_names,
                             const std::string& column_grant_relations) {
  const std::string text = versioned(sql, server_version_num);
  if (sql == privileges_query() || sql == grants_by_others_query()) {
    return tx.exec_params(text, schema_names, column_grant_relations);
  }
  return tx.exec_params(text, schema_names);
}

std::string oid_array_literal(const std::vector<pqxx::oid>& oids) {
  std::string literal = "{";
  for (const pqxx::oid oid : oids) {
    if (literal.size() > 1) literal += ',';
    literal += std::to_string(oid);
  }
  return literal + "}";
}
std::optional<std::string> optional_text(const Cell& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}
std::string text_or_empty(const Cell& field) {
  return field.is_null() ? std::string() : field.as<std::string>();
}
char char_of(const Cell& field) {
  const char* text = field.c_str();
  return field.is_null() ? '\0' : text[0];
}

// pg_attribute.attstorage / pg_type.typstorage as the YAML spells it.
std::string storage_name(char storage) {
  switch (storage) {
    case 'p':
      return "plain";
    case 'e':
      return "external";
    case 'm':
      return "main";
    default:
      return "extended";
  }
}

// The elements of a one-dimensional text[] (NULL elements become "").
std::vector<std::string> text_array(const Cell& field) {
  std::vector<std::string> items;
  if (field.is_null()) return items;
  auto parser = field.as_array();
  for (auto item = parser.get_next(); item.first != pqxx::array_parser::done;
       item = parser.get_next()) {
    if (item.first == pqxx::array_parser::string_value) items.push_back(item.second);
    if (item.first == pqxx::array_parser::null_value) items.emplace_back();
  }
  return items;
}

// The numbers in an array ("{1,3}") or a vector type (int2vector, oidvector:
// "1 3"): attnums, oids, indoption flags. NULL gives none.
template <typename Number>
std::vector<Number> numbers(const Cell& field) {
  std::vector<Number> items;
  if (field.is_null()) return items;
  const char* text = field.c_str();
  while (*text != '\0') {
    if (*text == '-' || std::isdigit(static_cast<unsigned char>(*text))) {
      char* end = nullptr;
      items.push_back(static_cast<Number>(std::strtoll(text, &end, 10)));
      text = end;
    } else {
      ++text;
    }
  }
  return items;
}
std::vector<int> attnums(const Cell& field) {
  return numbers<int>(field);
}

// reloptions ("fillfactor=70") as a map.
std::map<std::string, std::string> options_map(const Cell& field) {
  std::map<std::string, std::string> options;
  for (const auto& option : text_array(field)) {
    const auto eq = option.find('=');
    options[option.substr(0, eq)] = eq == std::string::npos ? "" : option.substr(eq + 1);
  }
  return options;
}

schemas::ReferentialAction referential_action(char code) {
  switch (code) {
    case 'r':
      return schemas::ReferentialAction::Restrict;
    case 'c':
      return schemas::ReferentialAction::Cascade;
    case 'n':
      return schemas::ReferentialAction::SetNull;
    case 'd':
      return schemas::ReferentialAction::SetDefault;
    default:
      return schemas::ReferentialAction::NoAction;  // 'a'
  }
}

schemas::MatchType match_type(char code) {
  switch (code) {
    case 'f':
      return schemas::MatchType::Full;
    case 'p':
      return schemas::MatchType::Partial;
    default:
      return schemas::MatchType::Simple;  // 's'
  }
}

schemas::Volatility volatility(char code) {
  switch (code) {
    case 'i':
      return schemas::Volatility::Immutable;
    case 's':
      return schemas::Volatility::Stable;
    default:
      return schemas::Volatility::Volatile;  // 'v'
  }
}

schemas::ArgMode arg_mode(char code) {
  switch (code) {
    case 'o':
      return schemas::ArgMode::Out;
    case 'b':
      return schemas::ArgMode::InOut;
    case 'v':
      return schemas::ArgMode::Variadic;
    case 't':
      return schemas::ArgMode::Table;
    default:
      return schemas::ArgMode::In;  // 'i'
  }
}

// pg_get_constraintdef of a CHECK: "CHECK ((a > 0)) NO INHERIT NOT VALID" -> "(a > 0)".
std::string check_expression(std::string definition) {
  for (const std::string suffix : {" NOT VALID", " NO INHERIT"}) {
    if (definition.size() >= suffix.size() &&
        definition.compare(definition.size() - suffix.size(), suffix.size(), suffix) == 0) {
      definition.erase(definition.size() - suffix.size());
    }
  }
  const std::string prefix = "CHECK (";
  if (definition.rfind(prefix, 0) == 0 && !definition.empty() && definition.back() == ')') {
    return definition.substr(prefix.size(), definition.size() - prefix.size() - 1);
  }
  return definition;
}

// pg_get_constraintdef of an exclusion constraint: "EXCLUDE USING gist (room
// WITH =, during WITH &&) WHERE (...)" -> {"room WITH =", "during WITH &&"}:
// the list in the first parentheses, cut at its commas outside parentheses,
// quoted identifiers and literals.
std::vector<std::string> exclusion_elements(const std::string& definition) {
  std::vector<std::string> elements;
  const auto open = definition.find('(');
  if (open == std::string::npos) return elements;
  int depth = 0;
  char quote = 0;
  std::string element;
  const auto finish = [&] {
    const auto first = element.find_first_not_of(' ');
    const auto last = element.find_last_not_of(' ');
    if (first != std::string::npos) elements.push_back(element.substr(first, last - first + 1));
    element.clear();
  };
  for (std::size_t pos = open + 1; pos < definition.size(); ++pos) {
    const char ch = definition[pos];
    if (quote != 0) {
      if (ch == quote) quote = 0;  // a doubled quote closes and opens again
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
    } else if (ch == '(') {
      ++depth;
    } else if (ch == ')') {
      if (depth == 0) break;
      --depth;
    } else if (ch == ',' && depth == 0) {
      finish();
      continue;
    }
    element += ch;
  }
  finish();
  return elements;
}

// pg_get_partkeydef: "RANGE (created_at)" -> {Range, "created_at"}.
schemas::PartitionBy partition_by(const std::string& definition) {
  schemas::PartitionBy result;
  const auto paren = definition.find(" (");
  const std::string strategy = definition.substr(0, paren);
  result.strategy = strategy == "LIST"   ? schemas::PartitionStrategy::List
                    : strategy == "HASH" ? schemas::PartitionStrategy::Hash
                                         : schemas::PartitionStrategy::Range;
  if (paren != std::string::npos && definition.back() == ')') {
    result.key = definition.substr(paren + 2, definition.size() - paren - 3);
  }
  return result;
}

// Sequence options from pg_sequence columns 3..8 of `row`, keeping only those
// that differ from what PostgreSQL chooses when they are not given (CREATE
// SEQUENCE reference: ascending 1..type max, descending type min..-1, start at
// the bound, cache 1, no cycle).
schemas::SequenceOptions sequence_options(const Cells& row, const std::string& type) {
  const auto start = row[3].as<int64_t>();
  const auto increment = row[4].as<int64_t>();
  const auto min_value = row[5].as<int64_t>();
  const auto max_value = row[6].as<int64_t>();
  const auto cache = row[7].as<int64_t>();
  const bool ascending = increment > 0;
  const int64_t default_min = schemas::default_sequence_min(type, ascending);
  const int64_t default_max = schemas::default_sequence_max(type, ascending);
  schemas::SequenceOptions options;
  if (increment != 1) options.increment = increment;
  if (min_value != default_min) options.min_value = min_value;
  if (max_value != default_max) options.max_value = max_value;
  if (start != (ascending ? min_value : max_value)) options.start = start;
  if (cache != 1) options.cache = cache;
  options.cycle = row[8].as<bool>();
  return options;
}

// Names of functions called in `expression`, as "name" or "schema.name":
// identifiers directly followed by "(", outside string literals and quotes.
std::vector<std::string> called_functions(const std::string& expression) {
  std::vector<std::string> names;
  std::string word;
  bool in_literal = false;
  for (const char ch : expression) {
    if (in_literal) {
      in_literal = ch != '\'';
      continue;
    }
    if (ch == '\'') {
      in_literal = true;
      word.clear();
    } else if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.') {
      word += ch;
    } else {
      if (ch == '(' && !word.empty()) names.push_back(word);
      word.clear();
    }
  }
  return names;
}

// ---------------------------------------------------------------------------
// The read.
// ---------------------------------------------------------------------------

struct TableSlot {
  std::string schema;
  schemas::Table table;
};

struct MaterializedViewSlot {
  std::string schema;
  schemas::MaterializedView view;
};

struct FunctionSlot {
  std::string schema;
  schemas::Function function;
};

// A column of a relation read, as the other readers need it to name keys.
// A relation named by a dependency or a sequence that the read does not
// model (a foreign key's table in a schema not read, a partition's index, a
// foreign table owning a sequence).
struct OtherRelation {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;  // at attnum - 1
};

// A table, view or materialized view of the schemas read, which a
// dependency may reference.
struct DependencyRelation {
  std::string schema;
  std::string name;
  char kind = 'r';
};

struct Attribute {
  std::string name;  // empty for a dropped column
  pqxx::oid collation = 0;
  std::string type;  // format_type spelling
};

// Schema queries run ahead on a second connection, in the read's own
// snapshot (pg_export_snapshot, SET TRANSACTION SNAPSHOT), while the first
// connection runs the others. On a catalog of thousands of tables the
// deparsing queries (constraints, index predicates, sequences) open every relation, each a
// relcache entry built in that backend; a server with a spare core does
// them beside the rest. Anything going wrong here (no second connection
// allowed, a failed query) only means the query runs on the first
// connection as it would without this: the read's result and errors are
// the same either way.
class Prefetch {
 public:
  Prefetch(std::string connection_options, std::string snapshot, std::string schema_names,
           int server_version_num, std::chrono::milliseconds lock_wait,
           std::vector<const char*> queries)
      : connection_options_(std::move(connection_options)),
        snapshot_(std::move(snapshot)),
        schema_names_(std::move(schema_names)),
        server_version_num_(server_version_num),
        lock_wait_(lock_wait),
        queries_(std::move(queries)),
        results_(queries_.size()) {
    thread_ = std::thread([this] { run(); });
  }
  ~Prefetch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ready_.notify_all();
    }
    thread_.join();
  }
  Prefetch(const Prefetch&) = delete;
  Prefetch& operator=(const Prefetch&) = delete;

  // The result of `sql` once it was run ahead (waits for it); nullopt when
  // it is not one of the queries or could not be run here.
  std::optional<pqxx::result> take(const char* sql) {
    const auto position = std::find(queries_.begin(), queries_.end(), sql);
    if (position == queries_.end()) return std::nullopt;
    const auto index = static_cast<std::size_t>(position - queries_.begin());
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return finished_ > index || failed_; });
    std::optional<pqxx::result> result = std::move(results_[index]);
    results_[index].reset();
    return result;
  }

  // Lets the queries after the first run. They wait for the first
  // connection to have read the columns (the largest result): their results
  // would otherwise all be held beside it, the peak of a read (about 8 MB
  // more for a no-op plan of 10,000 tables once the CHECKs were no longer
  // deparsed here, which made them arrive that early).
  // `column_grant_relations` is the privileges queries' $2.
  void release(std::string column_grant_relations) {
    std::lock_guard<std::mutex> lock(mutex_);
    column_grant_relations_ = std::move(column_grant_relations);
    released_ = true;
    ready_.notify_all();
  }

  // The server's message when a query here gave up waiting for a lock
  // (lock_timeout): the first connection would only wait as long again.
  std::optional<std::string> lock_failure() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lock_failure_;
  }

 private:
  void run() {
    try {
      pqxx::connection conn(connection_options_);
      ReadOnlyTransaction tx(conn);
      tx.exec0("SET TRANSACTION SNAPSHOT " + tx.quote(snapshot_));
      tx.exec_params(kReadSettings, milliseconds_setting(lock_wait_));
      for (std::size_t index = 0; index < queries_.size() && !stop_; ++index) {
        if (index == 1) {
          std::unique_lock<std::mutex> lock(mutex_);
          ready_.wait(lock, [&] { return released_ || stop_; });
        }
        pqxx::result result = exec_on_schemas(tx, queries_[index], server_version_num_,
                                              schema_names_, column_grant_relations_);
        std::lock_guard<std::mutex> lock(mutex_);
        results_[index] = std::move(result);
        finished_ = index + 1;
        ready_.notify_all();
      }
    } catch (const pqxx::sql_error& e) {
      // The first connection runs what is left (see the class comment),
      // unless a lock was waited for in vain.
      if (e.sqlstate() == kLockNotAvailable) {
        std::lock_guard<std::mutex> lock(mutex_);
        lock_failure_ = e.what();
      }
    } catch (const std::exception&) {
      // The first connection runs what is left (see the class comment).
    }
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;  // nothing more comes: a waiter past the last result runs its own
    ready_.notify_all();
  }

  const std::string connection_options_;
  const std::string snapshot_;
  const std::string schema_names_;
  const int server_version_num_;
  const std::chrono::milliseconds lock_wait_;
  const std::vector<const char*> queries_;
  std::mutex mutex_;
  std::optional<std::string> lock_failure_;            // guarded by mutex_
  std::condition_variable ready_;
  std::vector<std::optional<pqxx::result>> results_;  // guarded by mutex_
  std::size_t finished_ = 0;                           // guarded by mutex_
  bool failed_ = false;                                // guarded by mutex_
  bool released_ = false;                              // guarded by mutex_
  std::string column_grant_relations_;                 // set before released_, read after
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class CatalogRead {
 public:
  CatalogRead(pqxx::connection& conn, const ReadOptions& options)
      : tx_(conn),
        options_(options),
        server_version_num_(conn.server_version()),
        connection_options_(conn.options()) {}

  Database run() {
    facts_.server_version_num = server_version_num_;
    const pqxx::result own = guarded("settings", [&] {
      return tx_.exec_params(kReadSettings, milliseconds_setting(options_.lock_wait));
    });
    facts_.session.search_path = own[0][0].as<std::string>();
    facts_.session.date_style = own[0][1].as<std::string>();
    facts_.session.interval_style = own[0][2].as<std::string>();
    facts_.session.time_zone = own[0][3].as<std::string>();
    read_schemas();
    read_extensions();
    if (!schemas_hold_objects_) {
      if (options_.columns_read) options_.columns_read({});
      return read_database_wide();
    }
    read_contents();
    read_tables();
    start_prefetch();
    read_columns();
    if (options_.columns_read) report_columns();
    if (prefetch_ != nullptr) {
      prefetch_->release(column_grant_relations_);
      fetch_ahead();
    }
    read_constraints();
    if (holds_.views) read_views();
    read_indexes();
    if (holds_.triggers) read_triggers();
    if (holds_.policies) read_policies();
    if (holds_.exclusion_constraints) read_exclusion_constraints();
    read_table_storage();
    if (holds_.sequences) read_sequences();
    if (holds_.enums) read_enums();
    if (holds_.domains) read_domains();
    read_composite_types();
    if (holds_.routines) read_functions();
    read_function_volatility();
    read_binary_casts();
    if (options_.dependencies) {
      read_dependencies();
      read_sequence_defaults();
    }
    read_volatile_defaults();
    read_roles();
    if (holds_.partitions) read_partition_copies();
    if (options_.unmodelled) read_unmodelled_objects();
    read_privileges();
    read_default_privileges();
    prefetch_.reset();
    tx_.commit();
    return assemble();
  }

 private:
  // The read of schemas that hold nothing (or of no schema: a new database
  // before anything is built in it, reading only the schemas to build):
  // each query on the objects of the schemas read would return no row and
  // is not sent; what is database-wide (and the schemas' own privileges) is
  // read as always. 10 queries instead of about 45.
  Database read_database_wide() {
    read_function_volatility();
    read_binary_casts();
    read_roles();
    if (options_.unmodelled) read_unmodelled_objects();
    if (!schemas_.empty()) read_privileges();
    read_default_privileges();
    tx_.commit();
    return assemble();
  }

  // ReadOptions::columns_read, with every table read so far.
  void report_columns() {
    std::vector<TableSoFar> tables;
    tables.reserve(tables_.size());
    for (const auto& [oid, slot] : tables_) tables.push_back({&slot.schema, &slot.table});
    options_.columns_read(tables);
  }

  // What the schemas read hold (kContentsQuery).
  void read_contents() {
    const pqxx::result rows = query("schema contents", kContentsQuery);
    const pqxx::row row = rows[0];
    holds_.views = row[0].as<bool>();
    holds_.sequences = row[1].as<bool>();
    holds_.partitions = row[2].as<bool>();
    holds_.enums = row[3].as<bool>();
    holds_.domains = row[4].as<bool>();
    holds_.routines = row[5].as<bool>();
    holds_.triggers = row[6].as<bool>();
    holds_.policies = row[7].as<bool>();
    holds_.exclusion_constraints = row[8].as<bool>();
  }

  // Runs `run` and turns a failure into a ReadError naming `what`.
  template <typename Run>
  static pqxx::result guarded(const std::string& what, Run run) {
    try {
      return run();
    } catch (const pqxx::insufficient_privilege& e) {
      // libpqxx 6.4 throws this one without its SQLSTATE.
      throw ReadError(what, first_line(e.what()), e.sqlstate().empty() ? "42501" : e.sqlstate());
    } catch (const pqxx::sql_error& e) {
      throw ReadError(what, first_line(e.what()), e.sqlstate());
    } catch (const pqxx::failure& e) {
      throw ReadError(what, first_line(e.what()), "");
    }
  }

  // The constraints, indexes and sequences are read ahead on a second connection
  // (Prefetch) when the schemas hold ReadOptions::parallel_from_tables
  // tables or more, and the server can export a snapshot (not a standby).
  void start_prefetch() {
    if (tables_.size() < options_.parallel_from_tables) return;
    const pqxx::result snapshot = guarded("snapshot", [&] {
      return exec_one(tx_,
                      "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_export_snapshot() END");
    });
    if (snapshot[0][0].is_null()) return;
    prefetch_ = std::make_unique<Prefetch>(connection_options_, snapshot[0][0].as<std::string>(),
                                           schema_names_, server_version_num_, options_.lock_wait,
                                           prefetched_queries());
  }

  // What the second connection reads: the constraints, indexes and
  // sequences, then the privileges (13 ms of the first connection's 120 at
  // 1,000 tables, 134 ms at 10,000, while the second one had finished
  // before it).
  std::vector<const char*> prefetched_queries() const {
    std::vector<const char*> queries{kConstraintsQuery, kIndexesQuery};
    if (holds_.sequences) queries.push_back(sequences_query());
    queries.push_back(privileges_query());
    queries.push_back(grants_by_others_query());
    return queries;
  }

  // With the constraint, index and sequence queries running on the second
  // connection, the first one would wait for the first of them once its
  // columns are read (about 0.6 s at 10,000 tables): it runs the queries
  // whose rows need nothing read before them (dependencies, objects not
  // modelled) now and keeps their rows; each reader below
  // takes them at its turn. Same transaction, same snapshot: the rows are
  // the ones it would get later.
  void fetch_ahead() {
    if (options_.dependencies) fetch_dependencies();
    if (options_.unmodelled) {
      unmodelled_ahead_ =
          read_unmodelled(tx_, schema_names_, server_version_num_, schemas_hold_objects_);
    }
  }

  void fetch_dependencies() {
    dependency_rows_ = query("dependencies", kDependenciesQuery);
    member_dependency_rows_ = holds_.triggers || holds_.policies
                                  ? query("dependencies", kTriggerPolicyDependenciesQuery)
                                  : pqxx::result();
    dependency_relation_rows_ = query("dependencies", kDependencyRelationsQuery);
    constraint_dependency_rows_ = query_server("dependencies", kConstraintDependenciesQuery);
    index_dependency_rows_ = query_server("dependencies", kIndexDependenciesQuery);
  }

  // From the second connection when it read them (start_prefetch).
  void fetch_privileges() {
    privilege_rows_ = privilege_rows(query("privileges", privileges_query()));
    grant_by_other_rows_ = grants_by_others(query("privileges", grants_by_others_query()));
    privileges_fetched_ = true;
  }

  // A query on the schemas read: $1 is their names.
  pqxx::result query(const std::string& what, const char* sql) {
    if (prefetch_ != nullptr) {
      if (std::optional<pqxx::result> ahead = prefetch_->take(sql)) return std::move(*ahead);
      if (std::optional<std::string> failure = prefetch_->lock_failure()) {
        throw ReadError(what, first_line(*failure), kLockNotAvailable);
      }
    }
    return guarded(what, [&] {
      return exec_on_schemas(tx_, sql, server_version_num_, schema_names_, column_grant_relations_);
    });
  }

  // A query on the whole server (extensions, facts), without parameters.
  pqxx::result query_server(const std::string& what, const char* sql) {
    return guarded(what, [&] { return exec_one(tx_, sql); });
  }

  static std::string first_line(const std::string& message) {
    const std::string prefix = "ERROR:  ";
    const auto start = message.rfind(prefix, 0) == 0 ? prefix.size() : 0;
    return message.substr(start, message.find('\n') - start);
  }

  bool table_excluded(const std::string& schema, const std::string& table) const {
    const std::string qualified = schema + "." + table;
    for (const auto& pattern : options_.exclude_tables) {
      if (::fnmatch(pattern.c_str(), qualified.c_str(), 0) == 0) return true;
    }
    return false;
  }

  schemas::Table* table(pqxx::oid oid) {
    const auto found = tables_.find(oid);
    return found == tables_.end() ? nullptr : &found->second.table;
  }

  // The column `attnum` of `relation`, from the columns read.
  // Throws ReadError naming `what` when it was not read.
  // REQUIRES: read_columns() has run and `relation` is a table, view or
  // materialized view of the schemas read.
  const Attribute& attribute(const std::string& what, pqxx::oid relation, int attnum) const {
    const auto found = attributes_.find(relation);
    if (found == attributes_.end() || attnum < 1 ||
        static_cast<std::size_t>(attnum) > found->second.size() ||
        found->second[attnum - 1].name.empty()) {
      throw ReadError(what,
                      "column " + std::to_string(attnum) + " of relation with OID " +
                          std::to_string(relation) + " was not among the columns read",
                      "");
    }
    return found->second[attnum - 1];
  }

  // Names of the columns of `relation` at `numbers`, from position `first` on.
  std::vector<std::string> column_names(const std::string& what, pqxx::oid relation,
                                        const std::vector<int>& numbers,
                                        std::size_t first = 0) const {
    std::vector<std::string> names;
    for (std::size_t number_idx = first; number_idx < numbers.size(); ++number_idx) {
      names.push_back(attribute(what, relation, numbers[number_idx]).name);
    }
    return names;
  }

  // INCLUDE columns of an index: its indkey from position indnkeyatts on.
  std::vector<std::string> include_names(const std::string& what, pqxx::oid relation,
                                         const Cell& indkey, const Cell& key_count) const {
    if (indkey.is_null()) return {};
    return column_names(what, relation, attnums(indkey), key_count.as<std::size_t>());
  }

  // An object's owner when owners are read (ReadOptions::owners), else nullopt.
  std::optional<std::string> owner_of(const Cell& field) const {
    if (!options_.owners) return std::nullopt;
    return field.as<std::string>();
  }

  void read_schemas() {
    const pqxx::result rows = guarded("schemas", [&] {
      return tx_.exec_params(kSchemasQuery, array_literal(options_.include_schemas),
                             array_literal(options_.exclude_schemas));
    });
    std::vector<std::string> names;
    for (const Cells& row : cells(rows)) {
      schemas::Schema schema;
      schema.name = row[0].as<std::string>();
      schema.comment = optional_text(row[1]);
      schema.owner = owner_of(row[2]);
      if (row[3].as<bool>()) schemas_hold_objects_ = true;
      names.push_back(schema.name);
      schemas_.emplace(schema.name, std::move(schema));
    }
    schema_names_ = array_literal(names);
  }

  void read_extensions() {
    for (const Cells& row : cells(query_server("extensions", kExtensionsQuery))) {
      extensions_.push_back(
          {row[0].as<std::string>(), row[1].as<std::string>(), optional_text(row[2])});
    }
  }

  void read_tables() {
    for (const Cells& row : cells(query("tables", kTablesQuery))) {
      TableSlot slot;
      slot.schema = row[1].as<std::string>();
      auto& table = slot.table;
      table.name = row[2].as<std::string>();
      if (table_excluded(slot.schema, table.name)) continue;
      switch (char_of(row[3])) {
        case 'f':
          table.replica_identity = schemas::ReplicaIdentity::Full;
          break;
        case 'n':
          table.replica_identity = schemas::ReplicaIdentity::Nothing;
          break;
        case 'i':
          table.replica_identity = schemas::ReplicaIdentity::UsingIndex;
          break;
        default:
          table.replica_identity = schemas::ReplicaIdentity::Default;
          break;
      }
      table.comment = optional_text(row[4]);
      facts_.table_stats[slot.schema + "." + table.name] = {row[5].as<double>(),
                                                            row[6].as<int64_t>()};
      if (!row[7].is_null()) table.partition_by = partition_by(row[7].as<std::string>());
      if (!row[8].is_null()) {
        table.partition_of = schemas::PartitionOf{row[8].as<std::string>(),
                                                  row[9].as<std::string>(), text_or_empty(row[10])};
      }
      if (table.replica_identity == schemas::ReplicaIdentity::UsingIndex) {
        table.replica_identity_index = optional_text(row[11]);
      }
      table.row_security.enabled = row[12].as<bool>();
      table.row_security.forced = row[13].as<bool>();
      table.owner = owner_of(row[14]);
      if (row[15].as<bool>()) facts_.pending_detach.insert(slot.schema + "." + table.name);
      if (!row[16].is_null()) {
        facts_.partition_constraints[slot.schema + "." + table.name] = row[16].as<std::string>();
      }
      // Room for every attribute (dropped ones included): read_columns
      // places each at its attnum without growing the vectors one by one.
      const auto attributes = row[17].as<std::size_t>();
      table.columns.reserve(attributes);
      attributes_[row[0].as<pqxx::oid>()].reserve(attributes);
      tables_.emplace(row[0].as<pqxx::oid>(), std::move(slot));
    }
  }

  // Columns arrive unordered: each is put at its attnum, and the places of
  // dropped columns (left with no name) are removed at the end.
  void read_columns() {
    std::vector<pqxx::oid> grant_relations;  // whose columns have privileges of their own
    for (const Cells& row : cells(query("columns", kColumnsQuery))) {
      const auto relation = row[0].as<pqxx::oid>();
      const int attnum = row[1].as<int>();
      auto& attributes = attributes_[relation];
      if (attributes.size() < static_cast<std::size_t>(attnum)) attributes.resize(attnum);
      attributes[attnum - 1] = {row[2].as<std::string>(), row[3].as<pqxx::oid>(),
                                row[4].as<std::string>()};
      if (row[15].as<bool>()) grant_relations.push_back(relation);
      auto* owner = table(relation);
      if (owner == nullptr) {
        // A materialized view's (read_views keeps them); a view has none.
        schemas::ColumnSettings settings{row[2].as<std::string>()};
        if (!row[11].is_null()) settings.storage = storage_name(char_of(row[11]));
        settings.compression = optional_text(row[13]);
        if (!row[14].is_null()) settings.statistics = row[14].as<int>();
        if (schemas::has_settings(settings)) {
          relation_settings_[relation].push_back({std::move(settings), storage_name(char_of(row[12]))});
        }
        continue;
      }
      schemas::Column column;
      column.name = row[2].as<std::string>();
      column.type = row[4].as<std::string>();
      column.not_null = row[5].as<bool>();
      switch (char_of(row[8])) {
        case 's':
          column.generated = optional_text(row[6]);
          break;
        case 'v':
          // PostgreSQL 18. The model holds stored generated columns only, and
          // reading this one as a default would plan changes nobody asked for.
          throw ReadError("columns",
                          "column \"" + column.name + "\" of table \"" + owner->name +
                              "\" is a virtual generated column, which pgshift does not support",
                          "");
        default:
          column.default_expr = optional_text(row[6]);
          break;
      }
      switch (char_of(row[7])) {
        case 'a':
          column.identity = schemas::IdentityKind::Always;
          break;
        case 'd':
          column.identity = schemas::IdentityKind::ByDefault;
          break;
        default:
          column.identity = schemas::IdentityKind::None;
          break;
      }
      column.collation = optional_text(row[9]);
      column.comment = optional_text(row[10]);
      if (!row[11].is_null()) {
        column.storage = storage_name(char_of(row[11]));
        facts_.column_default_storage[tables_.at(relation).schema + "." + owner->name + "." +
                                      column.name] = storage_name(char_of(row[12]));
      }
      column.compression = optional_text(row[13]);
      if (!row[14].is_null()) column.statistics = row[14].as<int>();
      auto& columns = owner->columns;
      if (columns.size() + 1 == static_cast<std::size_t>(attnum)) {
        columns.push_back(std::move(column));  // the usual order: no empty place to fill
      } else {
        if (columns.size() < static_cast<std::size_t>(attnum)) columns.resize(attnum);
        columns[attnum - 1] = std::move(column);
      }
    }
    std::sort(grant_relations.begin(), grant_relations.end());
    grant_relations.erase(std::unique(grant_relations.begin(), grant_relations.end()),
                          grant_relations.end());
    column_grant_relations_ = oid_array_literal(grant_relations);
    for (auto& [oid, slot] : tables_) {
      auto& columns = slot.table.columns;
      columns.erase(
          std::remove_if(columns.begin(), columns.end(),
                         [](const schemas::Column& column) { return column.name.empty(); }),
          columns.end());
    }
  }

  // REQUIRES: read_columns() has run.
  void read_constraints() {
    // A table's check_constraints[n].
    DeparseGroups<std::pair<schemas::Table*, std::size_t>> checks;
    for (const Cells& row : cells(query("constraints", kConstraintsQuery))) {
      auto* owner = table(row[0].as<pqxx::oid>());
      if (owner == nullptr) continue;
      const std::string name = row[1].as<std::string>();
      const bool deferrable = row[3].as<bool>();
      const bool deferred = row[4].as<bool>();
      const auto comment = optional_text(row[20]);
      const auto relation = row[0].as<pqxx::oid>();
      const auto key_columns = [&] {
        return column_names("constraints", relation, attnums(row[7]));
      };
      const auto include = [&] { return include_names("constraints", relation, row[17], row[18]); };
      switch (char_of(row[2])) {
        case 'p':
          owner->primary_key =
              schemas::PrimaryKey{name, key_columns(), include(), deferrable, deferred, comment};
          break;
        case 'u':
          owner->unique_constraints.push_back(
              {name, key_columns(), include(), row[19].as<bool>(), deferrable, deferred, comment});
          break;
        case 'c': {
          const bool no_inherit = row[6].as<bool>();
          const bool validated = row[5].as<bool>();
          owner->check_constraints.push_back({name, "", no_inherit, validated, comment});
          // pg_get_constraintdef ends with NOT VALID and NO INHERIT as they are.
          std::optional<std::string> key = shared_deparse_key(
              std::string_view(row[16].c_str(), row[16].size()),
              [&](int attnum) { return attribute("constraints", relation, attnum).name; });
          if (key) key->append({validated ? 'v' : 'n', no_inherit ? 'n' : 'i'});
          checks.add(row[21].as<pqxx::oid>(), std::move(key),
                     {owner, owner->check_constraints.size() - 1});
          break;
        }
        default: {  // 'f'
          schemas::ForeignKey key;
          key.name = name;
          key.columns = key_columns();
          key.ref_schema = row[8].as<std::string>();
          key.ref_table = row[9].as<std::string>();
          key.ref_columns = row[12].is_null() ? column_names("constraints", row[10].as<pqxx::oid>(),
                                                             attnums(row[11]))
                                              : text_array(row[12]);
          key.on_update = referential_action(char_of(row[13]));
          key.on_delete = referential_action(char_of(row[14]));
          key.match = match_type(char_of(row[15]));
          key.deferrable = deferrable;
          key.initially_deferred = deferred;
          key.validated = row[5].as<bool>();
          key.comment = comment;
          owner->foreign_keys.push_back(std::move(key));
          break;
        }
      }
    }
    if (checks.representatives.empty()) return;
    const pqxx::result texts = guarded("constraints", [&] {
      return tx_.exec_params(
          "SELECT pg_catalog.pg_get_constraintdef(u.oid) "
          "FROM unnest($1::oid[]) WITH ORDINALITY u(oid, ord) ORDER BY u.ord",
          array_literal(checks.representatives));
    });
    for (const auto& [slot, group] : checks.slots) {
      slot.first->check_constraints[slot.second].expression =
          check_expression(texts[static_cast<pqxx::result::size_type>(group)][0].as<std::string>());
    }
  }

  // Objects whose stored expressions are deparsed once per group of those
  // that deparse alike (shared_deparse_key): `representatives` holds one
  // object of each group, in the order the deparse query returns their text.
  template <typename Slot>
  struct DeparseGroups {
    std::vector<std::string> representatives;             // oids, one per group
    std::vector<std::pair<Slot, std::size_t>> slots;      // each object and its group
    std::unordered_map<std::string, std::size_t> groups;  // by key

    // `key`: nullopt for an object deparsed on its own.
    void add(pqxx::oid object, std::optional<std::string> key, Slot slot) {
      if (key) {
        const auto [found, inserted] = groups.emplace(std::move(*key), representatives.size());
        if (!inserted) {
          slots.emplace_back(slot, found->second);
          return;
        }
      }
      slots.emplace_back(slot, representatives.size());
      representatives.push_back(std::to_string(object));
    }
  };

  // pg_get_viewdef ends the query with ";": the model holds the query alone,
  // so that statements can go on after it ("WITH NO DATA").
  static std::string view_query(const Cell& field) {
    std::string query = field.as<std::string>();
    while (!query.empty() &&
           (query.back() == ';' || std::isspace(static_cast<unsigned char>(query.back())))) {
      query.pop_back();
    }
    return query;
  }

  // REQUIRES: read_columns() has run.
  void read_views() {
    for (const Cells& row : cells(query("views", kViewsQuery))) {
      const std::string schema = row[1].as<std::string>();
      auto& columns = facts_.view_columns[schema + "." + row[2].as<std::string>()];
      for (const auto& attribute : attributes_[row[0].as<pqxx::oid>()]) {
        if (!attribute.name.empty()) columns.push_back({attribute.name, attribute.type});
      }
      if (char_of(row[3]) == 'v') {
        schemas_[schema].views.push_back({row[2].as<std::string>(), view_query(row[4]),
                                          options_map(row[5]), optional_text(row[7]),
                                          std::nullopt, owner_of(row[11])});
        continue;
      }
      MaterializedViewSlot slot;
      slot.schema = schema;
      slot.view.name = row[2].as<std::string>();
      slot.view.definition = view_query(row[4]);
      slot.view.options = options_map(row[5]);
      slot.view.with_data = row[6].as<bool>();
      slot.view.comment = optional_text(row[7]);
      slot.view.owner = owner_of(row[11]);
      if (auto found = relation_settings_.find(row[0].as<pqxx::oid>());
          found != relation_settings_.end()) {
        for (auto& [settings, default_storage] : found->second) {
          if (settings.storage) {
            facts_.column_default_storage[schema + "." + slot.view.name + "." + settings.name] =
                default_storage;
          }
          slot.view.columns.push_back(std::move(settings));
        }
      }
      // A materialized view holds rows: recreating one computes them again.
      facts_.table_stats[schema + "." + slot.view.name] = {
          row[8].as<double>(), row[9].as<int64_t>(), row[10].as<int64_t>()};
      materialized_views_.emplace(row[0].as<pqxx::oid>(), std::move(slot));
    }
  }

  void read_indexes() {
    std::unordered_map<pqxx::oid, std::string> operator_classes;  // non-default ones
    for (const Cells& row : cells(query_server("operator classes", kOperatorClassesQuery))) {
      operator_classes.emplace(row[0].as<pqxx::oid>(), row[1].as<std::string>());
    }
    std::unordered_map<pqxx::oid, std::string> collations;
    for (const Cells& row : cells(query_server("collations", kCollationsQuery))) {
      collations.emplace(row[0].as<pqxx::oid>(), row[1].as<std::string>());
    }
    // An index's predicate and expression keys: indexes->at(n) of a table
    // or materialized view.
    DeparseGroups<std::pair<std::vector<schemas::Index>*, std::size_t>> deparsed;
    for (const Cells& row : cells(query("indexes", kIndexesQuery))) {
      const auto relation = row[0].as<pqxx::oid>();
      schemas::Index index;
      index.name = row[2].as<std::string>();
      index_names_.emplace(row[1].as<pqxx::oid>(), index.name);
      index.unique = row[3].as<bool>();
      index.nulls_not_distinct = row[4].as<bool>();
      index.method = row[5].as<std::string>();
      const auto key_attnums = attnums(row[6]);
      const auto key_count = row[7].as<std::size_t>();
      const auto key_classes = numbers<pqxx::oid>(row[8]);
      const auto key_collations = numbers<pqxx::oid>(row[9]);
      const auto key_options = numbers<int>(row[10]);
      const auto expression_collations = numbers<pqxx::oid>(row[12]);
      std::size_t expression_idx = 0;
      for (std::size_t key_idx = 0; key_idx < key_count; ++key_idx) {
        schemas::IndexKey key;
        pqxx::oid default_collation = 0;
        if (key_attnums.at(key_idx) == 0) {
          key.expression = std::string();  // deparsed below
          default_collation = expression_collations.at(expression_idx);
          ++expression_idx;
        } else {
          const auto& column = attribute("indexes", relation, key_attnums[key_idx]);
          key.column = column.name;
          default_collation = column.collation;
        }
        if (const auto found = operator_classes.find(key_classes.at(key_idx));
            found != operator_classes.end()) {
          key.opclass = found->second;
        }
        const auto collation = key_collations.at(key_idx);
        if (collation != 0 && collation != default_collation) {
          const auto found = collations.find(collation);
          if (found != collations.end()) key.collation = found->second;
        }
        const int option = key_options.at(key_idx);
        const bool descending = (option & 1) != 0;
        const bool nulls_first = (option & 2) != 0;
        key.order = descending ? schemas::SortOrder::Desc : schemas::SortOrder::Asc;
        if (nulls_first != descending) {
          key.nulls = nulls_first ? schemas::NullsOrder::First : schemas::NullsOrder::Last;
        }
        index.keys.push_back(std::move(key));
      }
      index.include = column_names("indexes", relation, key_attnums, key_count);
      if (!row[13].is_null()) index.where = std::string();  // deparsed below
      index.options = options_map(row[14]);
      index.valid = row[15].as<bool>();
      index.comment = optional_text(row[16]);
      std::vector<schemas::Index>* indexes = nullptr;
      if (auto* owner = table(relation)) {
        indexes = &owner->indexes;
      } else if (const auto view = materialized_views_.find(relation);
                 view != materialized_views_.end()) {
        indexes = &view->second.view.indexes;
      }
      if (indexes == nullptr) continue;
      indexes->push_back(std::move(index));
      if (row[11].is_null() && row[13].is_null()) continue;
      // Indexes deparse alike when their expressions and predicates do (the
      // expressions come in order, whatever their key positions).
      std::optional<std::string> key = std::string();
      for (const int field : {11, 13}) {
        if (!row[field].is_null()) {
          std::optional<std::string> part = shared_deparse_key(
              std::string_view(row[field].c_str(), row[field].size()),
              [&](int attnum) { return attribute("indexes", relation, attnum).name; });
          if (!part) {
            key.reset();
            break;
          }
          key->append(*part);
        }
        key->push_back('\1');
      }
      deparsed.add(row[1].as<pqxx::oid>(), std::move(key), {indexes, indexes->size() - 1});
    }
    if (deparsed.representatives.empty()) return;
    const pqxx::result texts = guarded("indexes", [&] {
      return tx_.exec_params(versioned(kIndexExpressionsQuery, server_version_num_),
                             array_literal(deparsed.representatives));
    });
    for (const auto& [slot, group] : deparsed.slots) {
      const Cells text(texts[static_cast<pqxx::result::size_type>(group)]);
      schemas::Index& index = slot.first->at(slot.second);
      if (index.where) index.where = text[0].as<std::string>();
      const std::vector<std::string> expressions = text_array(text[1]);
      std::size_t expression_idx = 0;
      for (schemas::IndexKey& key : index.keys) {
        if (key.expression) key.expression = expressions.at(expression_idx++);
      }
    }
  }

  void read_triggers() {
    for (const Cells& row : cells(query("triggers", kTriggersQuery))) {
      auto* owner = table(row[0].as<pqxx::oid>());
      if (owner == nullptr) continue;
      schemas::Trigger trigger;
      trigger.name = row[1].as<std::string>();
      const int type = row[2].as<int>();
      trigger.for_each_row = (type & 1) != 0;
      trigger.timing = (type & 64) != 0  ? schemas::TriggerTiming::InsteadOf
                       : (type & 2) != 0 ? schemas::TriggerTiming::Before
                                         : schemas::TriggerTiming::After;
      for (const auto& [bit, event] : std::vector<std::pair<int, const char*>>{
               {4, "INSERT"}, {16, "UPDATE"}, {8, "DELETE"}, {32, "TRUNCATE"}}) {
        if ((type & bit) != 0) trigger.events.emplace_back(event);
      }
      trigger.update_of = text_array(row[3]);
      trigger.function = row[4].as<std::string>();
      // tgargs holds tgnargs NUL-terminated strings.
      const pqxx::binarystring args(row[6].field());
      std::string arg;
      for (const auto byte : args) {
        if (byte == 0) {
          trigger.arguments.push_back(arg);
          arg.clear();
        } else {
          arg += static_cast<char>(byte);
        }
      }
      trigger.arguments.resize(row[5].as<std::size_t>());
      trigger.when = optional_text(row[7]);
      trigger.comment = optional_text(row[8]);
      trigger.constraint = row[9].as<bool>();
      if (trigger.constraint) {
        trigger.deferrable = row[10].as<bool>();
        trigger.initially_deferred = row[11].as<bool>();
        trigger.from = row[12].as<std::string>();
      }
      switch (char_of(row[13])) {
        case 'D':
          trigger.firing = schemas::TriggerFiring::Disabled;
          break;
        case 'R':
          trigger.firing = schemas::TriggerFiring::Replica;
          break;
        case 'A':
          trigger.firing = schemas::TriggerFiring::Always;
          break;
        default:
          trigger.firing = schemas::TriggerFiring::Origin;
          break;
      }
      owner->triggers.push_back(std::move(trigger));
    }
  }

  void read_policies() {
    for (const Cells& row : cells(query("policies", kPoliciesQuery))) {
      auto* owner = table(row[0].as<pqxx::oid>());
      if (owner == nullptr) continue;
      schemas::Policy policy;
      policy.name = row[1].as<std::string>();
      switch (char_of(row[2])) {
        case 'r':
          policy.command = schemas::PolicyCommand::Select;
          break;
        case 'a':
          policy.command = schemas::PolicyCommand::Insert;
          break;
        case 'w':
          policy.command = schemas::PolicyCommand::Update;
          break;
        case 'd':
          policy.command = schemas::PolicyCommand::Delete;
          break;
        default:
          policy.command = schemas::PolicyCommand::All;
          break;
      }
      policy.permissive = row[3].as<bool>();
      policy.roles = text_array(row[4]);
      policy.using_expr = optional_text(row[5]);
      policy.with_check = optional_text(row[6]);
      policy.comment = optional_text(row[7]);
      owner->policies.push_back(std::move(policy));
    }
  }

  void read_exclusion_constraints() {
    for (const Cells& row : cells(query("exclusion constraints", kExclusionConstraintsQuery))) {
      const auto relation = row[0].as<pqxx::oid>();
      auto* owner = table(relation);
      if (owner == nullptr) continue;
      schemas::ExclusionConstraint exclusion;
      exclusion.name = row[1].as<std::string>();
      exclusion.elements = exclusion_elements(row[2].as<std::string>());
      exclusion.method = row[3].as<std::string>();
      exclusion.deferrable = row[4].as<bool>();
      exclusion.initially_deferred = row[5].as<bool>();
      exclusion.include = include_names("exclusion constraints", relation, row[6], row[7]);
      exclusion.where = optional_text(row[8]);
      exclusion.comment = optional_text(row[9]);
      owner->exclusion_constraints.push_back(std::move(exclusion));
    }
  }

  void read_table_storage() {
    for (const Cells& row : cells(query("table storage", kTableStorageQuery))) {
      auto* owner = table(row[0].as<pqxx::oid>());
      if (owner == nullptr) continue;
      owner->unlogged = row[1].as<bool>();
      owner->options = options_map(row[2]);
      for (const auto& [option, value] : options_map(row[3])) {
        owner->options["toast." + option] = value;
      }
    }
  }

  void read_partition_copies() {
    for (const auto& row : query("partitions' copies of their parent's members",
                                 kPartitionCopiesQuery)) {
      facts_.partition_copies[row[0].as<std::string>() + "." + row[1].as<std::string>()]
                             [row[2].as<std::string>()] = row[3].as<std::string>();
    }
  }

  void read_roles() {
    for (const Cells& row : cells(query_server("roles", kRolesQuery))) {
      facts_.roles.insert(row[0].as<std::string>());
    }
    for (const Cells& row : cells(query_server("roles", "SELECT current_user::text"))) {
      facts_.current_role = row[0].as<std::string>();
    }
  }

  // Default privileges (catalog/privileges.hpp): database-wide ones and those
  // of the schemas read.
  void read_default_privileges() {
    guarded("default privileges", [&] {
      for (const auto& row : read_default_privilege_rows(tx_, schema_names_)) {
        const schemas::ObjectId id =
            schemas::default_privileges_id(row.schema, row.for_role, row.objects);
        schemas::Privileges entry{id, {}, {}};
        schemas::Grant grant{row.role, {row.privilege}, row.granted && row.grantable};
        (row.granted ? entry.grants : entry.revoked).push_back(std::move(grant));
        if (row.schema.empty()) {
          default_privileges_.push_back(std::move(entry));
        } else if (const auto schema = schemas_.find(row.schema); schema != schemas_.end()) {
          schema->second.default_privileges.push_back(std::move(entry));
        }
      }
      return pqxx::result();
    });
  }

  const char* sequences_query() const {
    return options_.sequence_usage ? kSequencesQuery : kSequencesWithoutUsageQuery;
  }

  void read_sequences() {
    const pqxx::result rows = query("sequences", sequences_query());
    // Owning columns of relations not read (an excluded table, a foreign
    // table): named by one more query.
    std::vector<pqxx::oid> unread;
    for (const Cells& row : cells(rows)) {
      if (char_of(row[9]) == 'a' && tables_.count(row[10].as<pqxx::oid>()) == 0) {
        unread.push_back(row[10].as<pqxx::oid>());
      }
    }
    name_other_relations(unread);
    for (const Cells& row : cells(rows)) {
      const std::string schema = row[0].as<std::string>();
      const std::string name = row[1].as<std::string>();
      const std::string type = row[2].as<std::string>();
      if (options_.sequence_usage) {
        facts_.sequence_usage[schema + "." + name] = sequence_position(
            row[3].as<int64_t>(),
            row[12].is_null() ? std::nullopt : std::optional<int64_t>(row[12].as<int64_t>()));
      }
      std::optional<std::string> owning_column;  // "schema.table.column"
      std::string column_name;
      if (!row[10].is_null()) {
        const auto relation = row[10].as<pqxx::oid>();
        const int attnum = row[11].as<int>();
        if (const auto found = tables_.find(relation); found != tables_.end()) {
          column_name = attribute("sequences", relation, attnum).name;
          owning_column = found->second.schema + "." + found->second.table.name + "." + column_name;
        } else if (const auto other = other_relations_.find(relation);
                   other != other_relations_.end() && attnum >= 1 &&
                   static_cast<std::size_t>(attnum) <= other->second.columns.size()) {
          column_name = other->second.columns[attnum - 1];
          owning_column = other->second.schema + "." + other->second.name + "." + column_name;
        } else if (char_of(row[9]) == 'a') {
          throw ReadError("sequences",
                          "the column owning sequence \"" + schema + "." + name +
                              "\" (relation OID " + std::to_string(relation) + ", column " +
                              std::to_string(attnum) + ") was not found",
                          "");
        }
      }
      if (char_of(row[9]) == 'i') {
        auto* owner = table(row[10].as<pqxx::oid>());
        if (owner == nullptr) continue;
        if (options_.sequence_usage) {
          facts_.identity_usage[*owning_column] = facts_.sequence_usage[schema + "." + name];
        }
        if (auto* column = schemas::find_named(owner->columns, column_name)) {
          column->identity_options = sequence_options(row, type);
        }
        continue;
      }
      schemas::Sequence sequence;
      sequence.name = name;
      sequence.type = type;
      sequence.options = sequence_options(row, type);
      sequence.owned_by = std::move(owning_column);
      sequence.comment = optional_text(row[13]);
      // A sequence owned by a column follows its table's owner (the server
      // refuses to change it alone): not modelled.
      if (!sequence.owned_by) sequence.owner = owner_of(row[14]);
      schemas_[schema].sequences.push_back(std::move(sequence));
    }
  }

  // Names relations in `oids` not read (and not named before) into
  // other_relations_, with their columns, in one query.
  void name_other_relations(std::vector<pqxx::oid> oids) {
    std::vector<std::string> wanted;
    std::sort(oids.begin(), oids.end());
    oids.erase(std::unique(oids.begin(), oids.end()), oids.end());
    for (const pqxx::oid oid : oids) {
      if (other_relations_.count(oid) == 0) wanted.push_back(std::to_string(oid));
    }
    if (wanted.empty()) return;
    const pqxx::result rows = guarded("relation names", [&] {
      return tx_.exec_params(kOtherRelationsQuery, array_literal(wanted));
    });
    for (const Cells& row : cells(rows)) {
      other_relations_[row[0].as<pqxx::oid>()] = {row[1].as<std::string>(),
                                                  row[2].as<std::string>(), text_array(row[3])};
    }
  }

  void read_enums() {
    for (const Cells& row : cells(query("enums", kEnumsQuery))) {
      schemas_[row[0].as<std::string>()].enums.push_back(
          {row[1].as<std::string>(), text_array(row[2]), optional_text(row[3]), {},
           owner_of(row[4])});
    }
  }

  void read_domains() {
    for (const Cells& row : cells(query("domains", kDomainsQuery))) {
      schemas::Domain domain;
      domain.name = row[1].as<std::string>();
      domain.base_type = row[2].as<std::string>();
      domain.default_expr = optional_text(row[3]);
      domain.not_null = row[4].as<bool>();
      domain.collation = optional_text(row[5]);
      const auto names = text_array(row[6]);
      const auto definitions = text_array(row[7]);
      for (std::size_t check_idx = 0; check_idx < names.size(); ++check_idx) {
        domain.checks.push_back({names[check_idx], check_expression(definitions[check_idx])});
      }
      domain.comment = optional_text(row[8]);
      domain.owner = owner_of(row[9]);
      schemas_[row[0].as<std::string>()].domains.push_back(std::move(domain));
    }
  }

  void read_composite_types() {
    schemas::CompositeType* current = nullptr;
    std::string current_schema;
    for (const Cells& row : cells(query("composite types", kCompositeTypesQuery))) {
      const std::string schema = row[0].as<std::string>();
      const std::string name = row[1].as<std::string>();
      if (current == nullptr || current_schema != schema || current->name != name) {
        auto& types = schemas_[schema].composite_types;
        types.push_back({name, {}, optional_text(row[2]), owner_of(row[6])});
        current = &types.back();
        current_schema = schema;
      }
      current->attributes.push_back(
          {row[3].as<std::string>(), row[4].as<std::string>(), optional_text(row[5])});
    }
  }

  void read_functions() {
    for (const Cells& row : cells(query("functions", kFunctionsQuery))) {
      FunctionSlot slot;
      slot.schema = row[1].as<std::string>();
      auto& function = slot.function;
      function.name = row[2].as<std::string>();
      function.is_procedure = char_of(row[3]) == 'p';
      function.returns = function.is_procedure ? "" : text_or_empty(row[4]);
      function.language = row[5].as<std::string>();
      function.body = text_or_empty(row[6]);
      function.volatility = volatility(char_of(row[7]));
      function.strict = row[8].as<bool>();
      function.security_definer = row[9].as<bool>();
      function.comment = optional_text(row[10]);
      function.owner = owner_of(row[12]);
      if (!row[11].is_null()) {
        function.body = row[11].as<std::string>();
        function.sql_body = true;
      }
      functions_.emplace(row[0].as<pqxx::oid>(), std::move(slot));
    }
    for (const Cells& row : cells(query("function arguments", kFunctionArgsQuery))) {
      const auto found = functions_.find(row[0].as<pqxx::oid>());
      if (found == functions_.end()) continue;
      found->second.function.args.push_back({row[1].as<std::string>(), row[2].as<std::string>(),
                                             arg_mode(char_of(row[3])), optional_text(row[4])});
    }
  }

  void read_function_volatility() {
    for (const Cells& row : cells(query_server("function volatility", kFunctionVolatilityQuery))) {
      const auto read = volatility(char_of(row[1]));
      auto [entry, inserted] = facts_.function_volatility.emplace(row[0].as<std::string>(), read);
      // Volatile > Stable > Immutable; keep the most volatile overload.
      if (!inserted && static_cast<int>(read) > static_cast<int>(entry->second)) {
        entry->second = read;
      }
    }
  }

  void read_binary_casts() {
    for (const Cells& row : cells(query_server("casts", kBinaryCastsQuery))) {
      facts_.binary_coercible_casts.emplace(row[0].as<std::string>(), row[1].as<std::string>());
    }
  }

  static schemas::ObjectKind relation_kind(char relkind) {
    switch (relkind) {
      case 'v':
        return schemas::ObjectKind::View;
      case 'm':
        return schemas::ObjectKind::MaterializedView;
      default:
        return schemas::ObjectKind::Table;
    }
  }

  // The name of a dependency's referenced column (refobjid, refobjsubid);
  // "" for the whole relation.
  std::string referenced_column(const Cell& relation, const Cell& attnum) const {
    const int number = attnum.as<int>();
    return number > 0 ? attribute("dependencies", relation.as<pqxx::oid>(), number).name
                      : std::string();
  }

  // Constraints (kConstraintDependenciesQuery) and indexes
  // (kIndexDependenciesQuery) depending on the relations in `relation_rows`,
  // named from those, the indexes read and other_relations_.
  void read_constraint_and_index_dependencies(const pqxx::result& relation_rows,
                                              const pqxx::result& constraint_rows,
                                              const pqxx::result& index_rows) {
    std::unordered_map<pqxx::oid, DependencyRelation> relations;
    relations.reserve(relation_rows.size());
    for (const Cells& row : cells(relation_rows)) {
      relations[row[0].as<pqxx::oid>()] = {row[1].as<std::string>(), row[2].as<std::string>(),
                                           char_of(row[3])};
    }
    // Dependents on relations of the schemas read whose table or index was
    // not read: named by one more query.
    std::vector<pqxx::oid> unread;
    for (const Cells& row : cells(constraint_rows)) {
      if (row[1].as<pqxx::oid>() != 0 && relations.count(row[3].as<pqxx::oid>()) != 0 &&
          relations.count(row[1].as<pqxx::oid>()) == 0) {
        unread.push_back(row[1].as<pqxx::oid>());
      }
    }
    for (const Cells& row : cells(index_rows)) {
      if (relations.count(row[2].as<pqxx::oid>()) == 0) continue;
      if (index_names_.count(row[0].as<pqxx::oid>()) == 0) unread.push_back(row[0].as<pqxx::oid>());
      if (relations.count(row[1].as<pqxx::oid>()) == 0) unread.push_back(row[1].as<pqxx::oid>());
    }
    name_other_relations(std::move(unread));
    // Schema and name of the dependent's table (or index).
    const auto named = [&](pqxx::oid oid) -> std::pair<const std::string*, const std::string*> {
      if (const auto found = relations.find(oid); found != relations.end()) {
        return {&found->second.schema, &found->second.name};
      }
      if (const auto found = other_relations_.find(oid); found != other_relations_.end()) {
        return {&found->second.schema, &found->second.name};
      }
      throw ReadError("dependencies", "relation with OID " + std::to_string(oid) + " was not found",
                      "");
    };
    const auto referenced = [&](const DependencyRelation& relation, const Cells& row, int column) {
      schemas::Dependency dependency;
      dependency.referenced = {relation_kind(relation.kind), relation.schema, "", relation.name};
      dependency.referenced_column = referenced_column(row[column], row[column + 1]);
      return dependency;
    };
    for (const Cells& row : cells(constraint_rows)) {
      const auto relation = relations.find(row[3].as<pqxx::oid>());
      // A domain's constraint (conrelid 0) is no table's.
      if (relation == relations.end() || row[1].as<pqxx::oid>() == 0) continue;
      schemas::Dependency dependency = referenced(relation->second, row, 3);
      const auto [schema, table] = named(row[1].as<pqxx::oid>());
      const char contype = char_of(row[0]);
      dependency.dependent = {contype == 'p'   ? schemas::ObjectKind::PrimaryKey
                              : contype == 'u' ? schemas::ObjectKind::UniqueConstraint
                              : contype == 'c' ? schemas::ObjectKind::CheckConstraint
                                               : schemas::ObjectKind::ForeignKey,
                              *schema, *table, row[2].as<std::string>()};
      facts_.dependencies.push_back(std::move(dependency));
    }
    for (const Cells& row : cells(index_rows)) {
      const auto relation = relations.find(row[2].as<pqxx::oid>());
      if (relation == relations.end()) continue;
      schemas::Dependency dependency = referenced(relation->second, row, 2);
      const auto [schema, table] = named(row[1].as<pqxx::oid>());
      const auto index = index_names_.find(row[0].as<pqxx::oid>());
      dependency.dependent = {
          schemas::ObjectKind::Index, *schema, *table,
          index != index_names_.end() ? index->second : *named(row[0].as<pqxx::oid>()).second};
      facts_.dependencies.push_back(std::move(dependency));
    }
  }

  void read_dependencies() {
    if (!dependency_rows_) fetch_dependencies();
    const pqxx::result rows = std::move(*dependency_rows_);
    const pqxx::result member_rows = std::move(*member_dependency_rows_);
    const pqxx::result relation_rows = std::move(*dependency_relation_rows_);
    const pqxx::result constraint_rows = std::move(*constraint_dependency_rows_);
    const pqxx::result index_rows = std::move(*index_dependency_rows_);
    dependency_rows_.reset();
    member_dependency_rows_.reset();
    dependency_relation_rows_.reset();
    constraint_dependency_rows_.reset();
    index_dependency_rows_.reset();
    facts_.dependencies.rows().reserve(rows.size() + member_rows.size() + constraint_rows.size() +
                                       index_rows.size());
    // In the order the single query's branches had: views and routines,
    // constraints and indexes, then triggers and policies.
    const auto read_rows = [&](const pqxx::result& result) {
      for (const Cells& row : cells(result)) {
        schemas::Dependency dependency;
        const std::string kind = row[0].as<std::string>();
        auto& dependent = dependency.dependent;
        if (kind == "function") {
          const auto found = functions_.find(row[4].as<pqxx::oid>());
          if (found == functions_.end()) continue;
          dependent.kind = found->second.function.is_procedure ? schemas::ObjectKind::Procedure
                                                               : schemas::ObjectKind::Function;
          dependent.schema = found->second.schema;
          dependent.name = schemas::function_signature(found->second.function);
        } else {
          dependent.kind = kind == "trigger"  ? schemas::ObjectKind::Trigger
                           : kind == "policy" ? schemas::ObjectKind::Policy
                                              : relation_kind(kind[0]);
          dependent.schema = row[1].as<std::string>();
          dependent.table = row[2].as<std::string>();
          dependent.name = row[3].as<std::string>();
        }
        dependency.referenced = {relation_kind(char_of(row[7])), row[5].as<std::string>(), "",
                                 row[6].as<std::string>()};
        dependency.referenced_column = referenced_column(row[8], row[9]);
        facts_.dependencies.push_back(std::move(dependency));
      }
    };
    read_rows(rows);
    read_constraint_and_index_dependencies(relation_rows, constraint_rows, index_rows);
    read_rows(member_rows);
    const pqxx::result view_routine_rows =
        holds_.views && holds_.routines ? query("dependencies", kViewRoutineDependenciesQuery)
                                        : pqxx::result();
    for (const Cells& row : cells(view_routine_rows)) {
      // Routines outside the schemas read are not planned: nothing to order.
      const auto found = functions_.find(row[3].as<pqxx::oid>());
      if (found == functions_.end()) continue;
      const auto& routine = found->second.function;
      schemas::Dependency dependency;
      dependency.dependent = {relation_kind(char_of(row[2])), row[0].as<std::string>(), "",
                              row[1].as<std::string>()};
      dependency.referenced = {
          routine.is_procedure ? schemas::ObjectKind::Procedure : schemas::ObjectKind::Function,
          found->second.schema, "", schemas::function_signature(routine)};
      facts_.dependencies.push_back(std::move(dependency));
    }
    const auto routine_id = [this](pqxx::oid oid) -> std::optional<schemas::ObjectId> {
      const auto found = functions_.find(oid);
      if (found == functions_.end()) return std::nullopt;
      const auto& routine = found->second.function;
      return schemas::ObjectId{
          routine.is_procedure ? schemas::ObjectKind::Procedure : schemas::ObjectKind::Function,
          found->second.schema, "", schemas::function_signature(routine)};
    };
    for (const Cells& row : cells(query("dependencies", kRoutineUsersQuery))) {
      // Routines outside the schemas read are not planned: nothing to order.
      const auto called = routine_id(row[5].as<pqxx::oid>());
      if (!called) continue;
      schemas::Dependency dependency;
      dependency.referenced = *called;
      const std::string kind = row[0].as<std::string>();
      if (kind != "function") {
        dependency.dependent = {kind == "default"  ? schemas::ObjectKind::Column
                                : kind == "policy" ? schemas::ObjectKind::Policy
                                : kind == "index"  ? schemas::ObjectKind::Index
                                                   : schemas::ObjectKind::CheckConstraint,
                                row[1].as<std::string>(), row[2].as<std::string>(),
                                row[3].as<std::string>()};
      } else {
        const auto caller = routine_id(row[4].as<pqxx::oid>());
        if (!caller) continue;
        dependency.dependent = *caller;
      }
      facts_.dependencies.push_back(std::move(dependency));
    }
  }

  void read_sequence_defaults() {
    for (const Cells& row : cells(query("column defaults", kSequenceDefaultsQuery))) {
      facts_.sequence_defaults[row[0].as<std::string>() + "." + row[1].as<std::string>()].push_back(
          {schemas::ObjectKind::Column, row[2].as<std::string>(), row[3].as<std::string>(),
           row[4].as<std::string>()});
    }
  }

  void read_volatile_defaults() {
    for (const Cells& row : cells(query("column defaults", kVolatileDefaultsQuery))) {
      facts_.volatile_defaults.insert(row[0].as<std::string>());
    }
    // Built-in functions (random(), clock_timestamp(), nextval(), ...) are pinned,
    // so pg_depend does not list them: look them up by the name in the text.
    for (const auto& [oid, slot] : tables_) {
      for (const auto& column : slot.table.columns) {
        if (!column.default_expr) continue;
        for (const auto& name : called_functions(*column.default_expr)) {
          const auto found = facts_.function_volatility.find(
              name.find('.') == std::string::npos ? "pg_catalog." + name : name);
          if (found != facts_.function_volatility.end() &&
              found->second == schemas::Volatility::Volatile) {
            facts_.volatile_defaults.insert(slot.schema + "." + slot.table.name + "." +
                                            column.name);
          }
        }
      }
    }
  }

  // What the model has no place for, except what belongs to a table the
  // options exclude.
  void read_unmodelled_objects() {
    auto objects = unmodelled_ahead_ ? std::move(*unmodelled_ahead_)
                                     : read_unmodelled(tx_, schema_names_, server_version_num_,
                                                       schemas_hold_objects_);
    unmodelled_ahead_.reset();
    objects.erase(std::remove_if(objects.begin(), objects.end(),
                                 [&](const schemas::UnmodelledObject& object) {
                                   return !object.relation.empty() &&
                                          table_excluded(object.schema, object.relation);
                                 }),
                  objects.end());
    facts_.unmodelled = std::move(objects);
  }

  // Privileges that differ from the objects' defaults (catalog/privileges.hpp).
  void read_privileges() {
    if (!privileges_fetched_) fetch_privileges();
    auto name_routine = [&](PrivilegeRow& row) {
      if (row.kind != 'f' && row.kind != 'p') return;
      const auto found = functions_.find(row.oid);
      if (found != functions_.end()) row.name = schemas::function_signature(found->second.function);
    };
    for (auto& row : privilege_rows_) name_routine(row);
    for (auto& row : grant_by_other_rows_) name_routine(row.grant);
  }

  // The object a privileges row is about, as Privileges keys it.
  static schemas::ObjectId privileges_object(const PrivilegeRow& row) {
    schemas::ObjectKind kind = schemas::ObjectKind::Table;
    switch (row.kind) {
      case 'n': kind = schemas::ObjectKind::Schema; break;
      case 'v': kind = schemas::ObjectKind::View; break;
      case 'm': kind = schemas::ObjectKind::MaterializedView; break;
      case 'S': kind = schemas::ObjectKind::Sequence; break;
      case 'c': kind = schemas::ObjectKind::Column; break;
      case 'f': kind = schemas::ObjectKind::Function; break;
      case 'p': kind = schemas::ObjectKind::Procedure; break;
      case 'e': kind = schemas::ObjectKind::Enum; break;
      case 'd': kind = schemas::ObjectKind::Domain; break;
      case 'C': kind = schemas::ObjectKind::CompositeType; break;
      default: break;
    }
    return {kind, kind == schemas::ObjectKind::Schema ? "" : row.schema, row.relation, row.name};
  }

  // The privileges read, on the schemas assembled: an entry whose object the
  // model does not hold (an identity column's sequence) is reported as
  // unmodelled, except on a table the options exclude.
  void assemble_privileges() {
    std::map<std::string, std::vector<schemas::Privileges>> by_schema;
    for (const auto& row : grant_by_other_rows_) {
      schemas::GrantByOther grant;
      grant.object = privileges_object(row.grant);
      grant.role = row.grant.role;  // "public": kPublicRole
      grant.privilege = row.grant.privilege;
      grant.grantor = row.grantor;
      grant.with_grant_option = row.grant.grantable;
      grant.also_by_owner = row.also_by_owner;
      grant.can_set_role = row.can_set_role;
      grant.grantor_superuser = row.grantor_superuser;
      facts_.grants_by_others.push_back(std::move(grant));
    }
    std::sort(facts_.grants_by_others.begin(), facts_.grants_by_others.end());
    for (const auto& row : privilege_rows_) {
      schemas::Privileges entry;
      entry.object = privileges_object(row);
      schemas::Grant grant{row.role, {row.privilege}, row.granted && row.grantable};
      (row.granted ? entry.grants : entry.revoked).push_back(std::move(grant));
      by_schema[row.schema].push_back(std::move(entry));
    }
    for (auto& [name, entries] : by_schema) {
      const auto schema = schemas_.find(name);
      if (schema == schemas_.end()) continue;
      for (auto& entry : entries) {
        if (schemas::privileges_target_exists(schema->second, entry.object)) {
          schema->second.privileges.push_back(std::move(entry));
          continue;
        }
        const auto& id = entry.object;
        const std::string relation = id.kind == schemas::ObjectKind::Column ? id.table : id.name;
        if (table_excluded(name, relation)) continue;
        std::string detail;
        for (const auto* side : {&entry.grants, &entry.revoked}) {
          for (const auto& grant : *side) {
            detail += std::string(detail.empty() ? "" : "; ") +
                      (side == &entry.grants ? "GRANT " : "REVOKE ") + grant.privileges[0] +
                      (side == &entry.grants ? " TO " : " FROM ") + grant.role;
          }
        }
        facts_.unmodelled.push_back({"privileges", name, relation,
                                     id.kind == schemas::ObjectKind::Column ? id.name : "",
                                     detail});
      }
    }
    std::sort(facts_.unmodelled.begin(), facts_.unmodelled.end());
    facts_.unmodelled.erase(std::unique(facts_.unmodelled.begin(), facts_.unmodelled.end()),
                            facts_.unmodelled.end());
  }

  Database assemble() {
    for (auto& [oid, slot] : tables_) {
      schemas_[slot.schema].tables.push_back(std::move(slot.table));
    }
    for (auto& [oid, slot] : materialized_views_) {
      schemas_[slot.schema].materialized_views.push_back(std::move(slot.view));
    }
    for (auto& [oid, slot] : functions_) {
      schemas_[slot.schema].functions.push_back(std::move(slot.function));
    }
    assemble_privileges();
    Database db;
    db.extensions = std::move(extensions_);
    db.manage_owners = options_.owners;
    db.default_privileges = std::move(default_privileges_);
    for (auto& [name, schema] : schemas_) db.schemas.push_back(std::move(schema));
    db.facts = std::move(facts_);
    schemas::canonicalize(db);
    if (options_.fingerprint) db.facts.fingerprint = fingerprint(db);
    return db;
  }

  ReadOnlyTransaction tx_;
  const ReadOptions& options_;
  const int server_version_num_;
  const std::string connection_options_;
  std::unique_ptr<Prefetch> prefetch_;  // started once the tables are read
  std::string schema_names_;  // $1 of every query: the schemas read, as a text[] literal
  bool schemas_hold_objects_ = false;  // any object in any schema read
  // What kinds they hold (read_contents); all of them until it is read.
  struct Contents {
    bool views = true;
    bool sequences = true;
    bool partitions = true;
    bool enums = true;
    bool domains = true;
    bool routines = true;
    bool triggers = true;
    bool policies = true;
    bool exclusion_constraints = true;
  } holds_;
  std::map<std::string, schemas::Schema> schemas_;
  std::vector<schemas::Extension> extensions_;
  std::vector<schemas::Privileges> default_privileges_;  // database-wide ones
  std::unordered_map<pqxx::oid, TableSlot> tables_;
  std::unordered_map<pqxx::oid, MaterializedViewSlot> materialized_views_;
  // Storage settings of the columns of relations other than tables, with the
  // type's default storage: read_columns() to read_views().
  std::unordered_map<pqxx::oid, std::vector<std::pair<schemas::ColumnSettings, std::string>>>
      relation_settings_;
  std::unordered_map<pqxx::oid, FunctionSlot> functions_;
  std::vector<PrivilegeRow> privilege_rows_;
  std::vector<GrantByOtherRow> grant_by_other_rows_;
  bool privileges_fetched_ = false;
  // The relations read whose columns have privileges of their own
  // (read_columns), an oid[] literal: the privileges queries' $2.
  std::string column_grant_relations_ = "{}";
  // Rows fetched ahead (fetch_ahead), until their reader takes them.
  std::optional<pqxx::result> dependency_rows_;
  std::optional<pqxx::result> member_dependency_rows_;
  std::optional<std::vector<schemas::UnmodelledObject>> unmodelled_ahead_;
  std::optional<pqxx::result> dependency_relation_rows_;
  std::optional<pqxx::result> constraint_dependency_rows_;
  std::optional<pqxx::result> index_dependency_rows_;
  // Columns of the tables, views and materialized views read, by relation, at attnum - 1.
  std::unordered_map<pqxx::oid, std::vector<Attribute>> attributes_;
  // Names of the indexes read, by oid: read_indexes() to read_dependencies().
  std::unordered_map<pqxx::oid, std::string> index_names_;
  std::unordered_map<pqxx::oid, OtherRelation> other_relations_;
  schemas::CatalogFacts facts_;
};

}  // namespace

void analyze_catalogs(pqxx::connection& conn) {
  pqxx::nontransaction work(conn);
  for (const char* catalog :
       {"pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index", "pg_depend",
        "pg_description", "pg_type", "pg_sequence", "pg_namespace", "pg_proc", "pg_trigger",
        "pg_rewrite", "pg_inherits"}) {
    exec_one(work, std::string("ANALYZE pg_catalog.") + catalog);
  }
}

Database read_catalog(pqxx::connection& conn, const ReadOptions& options) {
  const int version = conn.server_version();
  if (version < kMinServerVersionNum || version > kMaxServerVersionNum) {
    throw ReadError("server version",
                    "unsupported server version " + std::to_string(version) +
                        ": pgshift reads PostgreSQL 11 to 18",
                    "");
  }
  try {
    return CatalogRead(conn, options).run();
  } catch (const ReadError& e) {
    if (e.sqlstate() == kQueryCanceled) throw statement_timeout_error(conn, e);
    if (e.sqlstate() != kLockNotAvailable) throw;
    throw lock_wait_error(conn, options, e);
  }
}

Database splice_schemas(Database whole, Database reread, const std::vector<std::string>& schemas) {
  const auto touched = [&](const std::string& schema) {
    return std::find(schemas.begin(), schemas.end(), schema) != schemas.end();
  };
  // A fact keyed "schema.name..." belongs to a touched schema.
  const auto touched_key = [&](const std::string& key) {
    return std::any_of(schemas.begin(), schemas.end(), [&](const std::string& schema) {
      return key.size() > schema.size() && key.compare(0, schema.size(), schema) == 0 &&
             key[schema.size()] == '.';
    });
  };
  whole.schemas.erase(std::remove_if(whole.schemas.begin(), whole.schemas.end(),
                                     [&](const schemas::Schema& s) { return touched(s.name); }),
                      whole.schemas.end());
  for (auto& schema : reread.schemas) {
    if (touched(schema.name)) whole.schemas.push_back(std::move(schema));
  }
  whole.extensions = std::move(reread.extensions);
  whole.default_privileges = std::move(reread.default_privileges);
  schemas::canonicalize(whole);

  schemas::CatalogFacts facts = std::move(reread.facts);
  const schemas::CatalogFacts& before = whole.facts;
  const auto keep = [&](const auto& from, auto& into) {
    for (const auto& entry : from) {
      if (!touched_key(entry.first)) into.insert(entry);
    }
  };
  keep(before.table_stats, facts.table_stats);
  keep(before.sequence_usage, facts.sequence_usage);
  keep(before.identity_usage, facts.identity_usage);
  keep(before.sequence_defaults, facts.sequence_defaults);
  keep(before.view_columns, facts.view_columns);
  keep(before.function_volatility, facts.function_volatility);
  for (const auto& column : before.volatile_defaults) {
    if (!touched_key(column)) facts.volatile_defaults.insert(column);
  }
  for (const auto& dependency : before.dependencies) {
    if (!touched(dependency.dependent.schema)) facts.dependencies.push_back(dependency);
  }
  for (const auto& object : before.unmodelled) {
    if (!object.schema.empty() && !touched(object.schema)) facts.unmodelled.push_back(object);
  }
  std::sort(facts.unmodelled.begin(), facts.unmodelled.end());
  for (const auto& grant : before.grants_by_others) {
    const auto& id = grant.object;
    if (!touched(id.kind == schemas::ObjectKind::Schema ? id.name : id.schema)) {
      facts.grants_by_others.push_back(grant);
    }
  }
  std::sort(facts.grants_by_others.begin(), facts.grants_by_others.end());
  whole.facts = std::move(facts);
  whole.facts.fingerprint = fingerprint(whole);
  return whole;
}

}  // namespace pgshift::catalog
