// Every row of the statement table (planner/statements.cpp) against the
// server: for each statement kind, a fixture runs the statement on a real
// server and pg_locks is compared with the row's declaration.
//
// Transactional rows run in a transaction; before it commits, the session
// reads its own pg_locks (pid = pg_backend_pid()). Rows that cannot run in a
// transaction (CREATE/DROP INDEX CONCURRENTLY) run on a second session while
// a third holds a conflicting lock on one declared relation at a time; the
// statement's granted and waiting requests are read from pg_locks.
//
// Compared: relations of the fixture's schemas that exist before the
// statement (a relation the statement creates blocks nobody). For each
// declared relation the strongest mode held (or asked for) must be the
// declared one; an undeclared relation may hold ACCESS SHARE (read while
// parsing) or, when it is an index or an owned sequence of a declared table,
// follow its table.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "planner/statements.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;
using pgshift::planner::kAllStatements;
using pgshift::planner::Statement;
using pgshift::planner::statement_name;
using pgshift::planner::statement_row;
using pgshift::planner::Target;
using pgshift::plans::LockMode;

namespace {

// pg_locks' spelling, weakest first as LockMode.
const char* const kPgLockModes[] = {
    "AccessShareLock", "RowShareLock",          "RowExclusiveLock", "ShareUpdateExclusiveLock",
    "ShareLock",       "ShareRowExclusiveLock", "ExclusiveLock",    "AccessExclusiveLock"};

std::optional<LockMode> from_pg_locks(const std::string& mode) {
  for (size_t mode_idx = 0; mode_idx < std::size(kPgLockModes); ++mode_idx) {
    if (mode == kPgLockModes[mode_idx]) return static_cast<LockMode>(mode_idx);
  }
  return std::nullopt;  // SIReadLock and the like: not a table-level mode
}

// Base objects every fixture starts from, in schema t:
//   t.r  referenced table (primary key id), 10 rows
//   t.a  the table most statements alter, 10 rows, foreign-key column ref
constexpr const char* kBase = R"sql(
DROP SCHEMA IF EXISTS t CASCADE;
DROP SCHEMA IF EXISTS t2 CASCADE;
CREATE SCHEMA t;
CREATE TABLE t.r (id bigint PRIMARY KEY);
INSERT INTO t.r SELECT generate_series(1, 10);
CREATE TABLE t.a (id bigint PRIMARY KEY, ref bigint, v text, n integer, vc varchar(5));
INSERT INTO t.a SELECT g, g, 'x', g, 'y' FROM generate_series(1, 10) g;
CREATE FUNCTION t.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
)sql";

// One row's fixture: extra setup, the statement, and the relations the
// row's targets stand for ("t.a"). Empty statement: not run on this server.
struct Fixture {
  std::string setup;
  std::string statement;
  std::map<Target, std::vector<std::string>> names;
  std::string skip_reason;
};

const std::string kDomainUser =
    "CREATE DOMAIN t.d AS integer; ALTER TABLE t.a ADD COLUMN dv t.d DEFAULT 1;";
const std::string kPartitioned =
    "CREATE TABLE t.p (id integer, rid bigint) PARTITION BY RANGE (id);";
const std::string kForeignKey =
    "ALTER TABLE t.a ADD CONSTRAINT fk FOREIGN KEY (ref) REFERENCES t.r (id);";

// The role OWNER TO fixtures give objects to (roles are cluster-wide: made
// once, kept).
const std::string kOwnerRole =
    "DO $$BEGIN CREATE ROLE pgshift_statements_owner; "
    "EXCEPTION WHEN duplicate_object THEN NULL; END$$;";

// The role a grant option is given to, which passes it on.
const std::string kGrantorRole =
    "DO $$BEGIN CREATE ROLE pgshift_statements_grantor; "
    "EXCEPTION WHEN duplicate_object THEN NULL; END$$;";

std::map<Target, std::vector<std::string>> on_a() {
  return {{Target::Relation, {"t.a"}}};
}
std::map<Target, std::vector<std::string>> on_a_and_r() {
  return {{Target::Relation, {"t.a"}}, {Target::Referenced, {"t.r"}}};
}
std::map<Target, std::vector<std::string>> on_a_index() {
  return {{Target::Relation, {"t.a"}}, {Target::Index, {"t.a_v_idx"}}};
}

// The fixture of each statement kind: a switch without default, so a new
// row does not compile until it has a fixture here.
Fixture fixture(Statement statement, int version, const std::string& extension) {
  const std::string no_extension = "no extension available on this server";
  switch (statement) {
    case Statement::CreateSchema:
      return {"", "CREATE SCHEMA t2", {}};
    case Statement::DropSchema:
      return {"CREATE SCHEMA t2", "DROP SCHEMA t2", {}};
    case Statement::CreateExtension:
      if (extension.empty()) return {"", "", {}, no_extension};
      return {"", "CREATE EXTENSION IF NOT EXISTS " + extension + " WITH SCHEMA t", {}};
    case Statement::AlterExtensionSetSchema:
      if (extension.empty()) return {"", "", {}, no_extension};
      return {"CREATE EXTENSION " + extension + " WITH SCHEMA t; CREATE SCHEMA t2",
              "ALTER EXTENSION " + extension + " SET SCHEMA t2",
              {}};
    case Statement::AlterExtensionUpdate:
      if (extension.empty()) return {"", "", {}, no_extension};
      return {"CREATE EXTENSION " + extension + " WITH SCHEMA t",
              "ALTER EXTENSION " + extension + " UPDATE",
              {}};
    case Statement::DropExtension:
      if (extension.empty()) return {"", "", {}, no_extension};
      return {
          "CREATE EXTENSION " + extension + " WITH SCHEMA t", "DROP EXTENSION " + extension, {}};
    case Statement::CreateEnum:
      return {"", "CREATE TYPE t.e AS ENUM ('a')", {}};
    case Statement::RenameEnumValue:
      return {"CREATE TYPE t.e AS ENUM ('a'); ALTER TABLE t.a ADD COLUMN ev t.e DEFAULT 'a'",
              "ALTER TYPE t.e RENAME VALUE 'a' TO 'b'",
              {}};
    case Statement::AlterEnumAddValue:
      return {"CREATE TYPE t.e AS ENUM ('a'); ALTER TABLE t.a ADD COLUMN ev t.e",
              "ALTER TYPE t.e ADD VALUE IF NOT EXISTS 'b' AFTER 'a'",
              {}};
    case Statement::CreateCompositeType:
      return {"", "CREATE TYPE t.c AS (x integer)", {}};
    case Statement::AlterCompositeType:
      return {"CREATE TYPE t.c AS (x integer)", "ALTER TYPE t.c ADD ATTRIBUTE y text", {}};
    case Statement::AlterCompositeTypeDropAttribute:
      return {"CREATE TYPE t.c AS (x integer, y text)", "ALTER TYPE t.c DROP ATTRIBUTE y", {}};
    case Statement::DropType:
    case Statement::DropEnumReplaced:
      return {"CREATE TYPE t.e AS ENUM ('a')", "DROP TYPE t.e", {}};
    case Statement::RenameTypeToReplace:
      return {"CREATE TYPE t.e AS ENUM ('a')", "ALTER TYPE t.e RENAME TO e_old", {}};
    case Statement::CreateDomain:
      return {"", "CREATE DOMAIN t.d AS integer", {}};
    case Statement::AlterDomainDefault:
      return {kDomainUser, "ALTER DOMAIN t.d SET DEFAULT 2", {}};
    case Statement::AlterDomainSetNotNull:
      return {kDomainUser, "ALTER DOMAIN t.d SET NOT NULL", {{Target::TablesUsingDomain, {"t.a"}}}};
    case Statement::AlterDomainDropNotNull:
      return {kDomainUser + "ALTER DOMAIN t.d SET NOT NULL;", "ALTER DOMAIN t.d DROP NOT NULL", {}};
    case Statement::AlterDomainAddConstraintNotValid:
      return {kDomainUser, "ALTER DOMAIN t.d ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID", {}};
    case Statement::AlterDomainValidateConstraint:
      return {kDomainUser + "ALTER DOMAIN t.d ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID;",
              "ALTER DOMAIN t.d VALIDATE CONSTRAINT pos",
              {{Target::TablesUsingDomain, {"t.a"}}}};
    case Statement::AlterDomainDropConstraint:
    case Statement::AlterDomainDropConstraintToReplace:
      return {kDomainUser + "ALTER DOMAIN t.d ADD CONSTRAINT pos CHECK (VALUE > 0);",
              "ALTER DOMAIN t.d DROP CONSTRAINT pos",
              {}};
    case Statement::DropDomain:
      return {"CREATE DOMAIN t.d AS integer", "DROP DOMAIN t.d", {}};
    case Statement::CreateSequence:
      return {"", "CREATE SEQUENCE t.s", {}};
    case Statement::SetSequenceValue:
      return {"CREATE SEQUENCE t.s; CREATE SEQUENCE t.s2",
              "SELECT setval('t.s', nextval('t.s2'), false)",
              {{Target::Relation, {"t.s"}}, {Target::Referenced, {"t.s2"}}}};
    case Statement::RenameSequenceIntoPlace:
      return {"CREATE SEQUENCE t.s", "ALTER SEQUENCE t.s RENAME TO s2",
              {{Target::Relation, {"t.s"}}}};
    case Statement::RenameSequence:
      // A sequence a column's default uses: the table is not locked.
      return {"CREATE SEQUENCE t.s; ALTER TABLE t.a ALTER COLUMN n SET DEFAULT nextval('t.s')",
              "ALTER SEQUENCE t.s RENAME TO s2",
              {{Target::Relation, {"t.s"}}}};
    case Statement::SetSequenceSchema:
      return {
          "CREATE SCHEMA t2; CREATE SEQUENCE t.s; "
          "ALTER TABLE t.a ALTER COLUMN n SET DEFAULT nextval('t.s')",
          "ALTER SEQUENCE t.s SET SCHEMA t2",
          {{Target::Relation, {"t.s"}}}};
    case Statement::AlterSequence:
      return {"CREATE SEQUENCE t.s",
              "ALTER SEQUENCE t.s AS bigint INCREMENT BY 2 CACHE 1",
              {{Target::Relation, {"t.s"}}}};
    case Statement::AlterSequenceOwnedBy:
      return {"CREATE SEQUENCE t.s",
              "ALTER SEQUENCE t.s OWNED BY t.a.n",
              {{Target::Relation, {"t.s"}}, {Target::Referenced, {"t.a"}}}};
    case Statement::DropSequence:
      return {"CREATE SEQUENCE t.s", "DROP SEQUENCE t.s", {{Target::Relation, {"t.s"}}}};
    case Statement::CreateOrReplaceFunction:
      return {
          "", "CREATE OR REPLACE FUNCTION t.f() RETURNS integer LANGUAGE sql AS 'SELECT 1'", {}};
    case Statement::DropFunction:
    case Statement::DropFunctionToReplace:
      return {"CREATE FUNCTION t.f() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
              "DROP FUNCTION t.f()",
              {}};
    case Statement::CreateTable:
      return {"", "CREATE TABLE t.n (id integer PRIMARY KEY, rid bigint)", {}};
    case Statement::CreateTableLike:
      return {kPartitioned,
              "CREATE TABLE t.p3 (LIKE t.p INCLUDING DEFAULTS INCLUDING CONSTRAINTS)",
              {}};
    case Statement::CreatePartitionOf:
      return {kPartitioned,
              "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100)",
              {{Target::PartitionParent, {"t.p"}}}};
    case Statement::AttachPartition:
      return {kPartitioned + "CREATE TABLE t.p3 (LIKE t.p);",
              "ALTER TABLE t.p ATTACH PARTITION t.p3 FOR VALUES FROM (100) TO (200)",
              {{Target::Relation, {"t.p3"}}, {Target::PartitionParent, {"t.p"}}}};
    case Statement::AttachPartitionWithDefault:
      return {kPartitioned +
                  "CREATE TABLE t.pd PARTITION OF t.p DEFAULT; CREATE TABLE t.p3 (LIKE t.p);",
              "ALTER TABLE t.p ATTACH PARTITION t.p3 FOR VALUES FROM (100) TO (200)",
              {{Target::Relation, {"t.p3"}},
               {Target::PartitionParent, {"t.p"}},
               {Target::DefaultPartition, {"t.pd"}}}};
    case Statement::AttachPartitionScanning:
      // A key of two columns: no CHECK spares the scan of the table's row.
      return {"CREATE TABLE t.m (a integer NOT NULL, b integer NOT NULL) "
              "PARTITION BY RANGE (a, b); CREATE TABLE t.md PARTITION OF t.m DEFAULT; "
              "CREATE TABLE t.m3 (LIKE t.m); INSERT INTO t.m3 VALUES (1, 1);",
              "ALTER TABLE t.m ATTACH PARTITION t.m3 FOR VALUES FROM (0, 0) TO (10, 0)",
              {{Target::Relation, {"t.m3"}},
               {Target::PartitionParent, {"t.m"}},
               {Target::DefaultPartition, {"t.md"}}}};
    case Statement::DetachPartition:
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100); "
                  "CREATE TABLE t.pd PARTITION OF t.p DEFAULT;",
              "ALTER TABLE t.p DETACH PARTITION t.p1",
              {{Target::Relation, {"t.p1"}},
               {Target::PartitionParent, {"t.p"}},
               {Target::DefaultPartition, {"t.pd"}}}};
    case Statement::DetachPartitionConcurrently:
      if (version < 140000) return {"", "", {}, "DETACH ... CONCURRENTLY is PostgreSQL 14+"};
      return {kPartitioned + "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);",
              "ALTER TABLE t.p DETACH PARTITION t.p1 CONCURRENTLY",
              {{Target::Relation, {"t.p1"}}, {Target::PartitionParent, {"t.p"}}}};
    case Statement::DetachPartitionConcurrentlyReferenced:
      if (version < 140000) return {"", "", {}, "DETACH ... CONCURRENTLY is PostgreSQL 14+"};
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "CREATE TABLE t.p2 PARTITION OF t.p FOR VALUES FROM (100) TO (200);"
                  "ALTER TABLE t.p ADD PRIMARY KEY (id);"
                  "CREATE TABLE t.f (pid integer REFERENCES t.p (id));"
                  "INSERT INTO t.p (id) VALUES (1), (150); INSERT INTO t.f VALUES (150);",
              "ALTER TABLE t.p DETACH PARTITION t.p1 CONCURRENTLY",
              {{Target::Relation, {"t.p1"}},
               {Target::PartitionParent, {"t.p"}},
               {Target::Referenced, {"t.f"}}}};
    case Statement::DetachPartitionFinalize:
      return {"", "", {},
              "a pending detach needs an interrupted DETACH ... CONCURRENTLY: "
              "partitions_db_test's resume test finishes one"};
    case Statement::RenameTable:
    case Statement::RenameTableBehindView:
      return {"", "ALTER TABLE t.a RENAME TO b", on_a()};
    case Statement::SetTableSchema:
      // With an owned sequence and a foreign key: both follow the table.
      return {"CREATE SCHEMA t2; ALTER TABLE t.a ADD COLUMN s serial;" + kForeignKey,
              "ALTER TABLE t.a SET SCHEMA t2", on_a()};
    case Statement::ReplicaIdentity:
      return {"", "ALTER TABLE t.a REPLICA IDENTITY FULL", on_a()};
    case Statement::SetLogged:
      return {"ALTER TABLE t.a SET UNLOGGED", "ALTER TABLE t.a SET LOGGED", on_a()};
    case Statement::SetUnlogged:
      return {"", "ALTER TABLE t.a SET UNLOGGED", on_a()};
    case Statement::SetStorageParameters:
      // Every parameter a table takes but user_catalog_table, in one statement
      // (the strongest mode of those named), and RESET of some.
      return {"ALTER TABLE t.a SET (fillfactor = 80)",
              std::string("ALTER TABLE t.a SET (fillfactor = 70, autovacuum_enabled = false, "
                          "toast.autovacuum_enabled = false, parallel_workers = 2, "
                          "toast_tuple_target = 256, autovacuum_vacuum_scale_factor = 0.1, "
                          "autovacuum_analyze_threshold = 100, log_autovacuum_min_duration = 0") +
                  (version >= 120000 ? ", vacuum_truncate = false, vacuum_index_cleanup = false"
                                     : "") +
                  (version >= 130000 ? ", autovacuum_vacuum_insert_threshold = 1000" : "") +
                  "); ALTER TABLE t.a RESET (fillfactor)",
              on_a()};
    case Statement::SetStorageParametersExclusive:
      return {"", "ALTER TABLE t.a SET (user_catalog_table = true)", on_a()};
    case Statement::SetColumnStorage:
      return {"", "ALTER TABLE t.a ALTER COLUMN v SET STORAGE EXTERNAL", on_a()};
    case Statement::SetColumnCompression:
      if (version < 140000) return {"", "", {}, "SET COMPRESSION is PostgreSQL 14+"};
      return {"", "ALTER TABLE t.a ALTER COLUMN v SET COMPRESSION pglz", on_a()};
    case Statement::SetColumnStatistics:
      return {"", "ALTER TABLE t.a ALTER COLUMN n SET STATISTICS 500", on_a()};
    case Statement::DropTable:
      // A partition with a foreign key of its own: the row's three targets.
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "ALTER TABLE t.p1 ADD CONSTRAINT p1_fk FOREIGN KEY (rid) REFERENCES t.r (id);",
              "DROP TABLE t.p1",
              {{Target::Relation, {"t.p1"}},
               {Target::PartitionParent, {"t.p"}},
               {Target::Referenced, {"t.r"}}}};
    case Statement::AddColumn:
      return {"", "ALTER TABLE t.a ADD COLUMN z text DEFAULT 'z'", on_a()};
    case Statement::AddColumnRewrite:
      // A volatile default rewrites every row on every version (a stored
      // generated column, the other rewrite the planner emits, is 12+).
      return {"", "ALTER TABLE t.a ADD COLUMN z double precision DEFAULT random()", on_a()};
    case Statement::RenameColumn:
    case Statement::RenameColumnIntoPlace:
      return {"", "ALTER TABLE t.a RENAME COLUMN v TO w", on_a()};
    // On a column of a foreign key, from either side: the other table is
    // locked too (the key is dropped and added again).
    case Statement::AlterColumnType:
      return {"CREATE TABLE t.k (code varchar(20) PRIMARY KEY); INSERT INTO t.k VALUES ('y');"
              "ALTER TABLE t.a ADD CONSTRAINT fkc FOREIGN KEY (vc) REFERENCES t.k (code)",
              "ALTER TABLE t.a ALTER COLUMN vc TYPE varchar(20)",
              {{Target::Relation, {"t.a"}}, {Target::Referenced, {"t.k"}}}};
    case Statement::AlterColumnTypeRewrite:
      return {kForeignKey, "ALTER TABLE t.r ALTER COLUMN id TYPE numeric USING id::numeric",
              {{Target::Relation, {"t.r"}}, {Target::Referenced, {"t.a"}}}};
    case Statement::DropExpression:
      if (version < 130000) return {"", "", {}, "DROP EXPRESSION is PostgreSQL 13+"};
      return {"ALTER TABLE t.a ADD COLUMN z integer GENERATED ALWAYS AS (n * 2) STORED",
              "ALTER TABLE t.a ALTER COLUMN z DROP EXPRESSION", on_a()};
    case Statement::SetDefault:
      return {"", "ALTER TABLE t.a ALTER COLUMN n SET DEFAULT 1", on_a()};
    case Statement::DropDefault:
    case Statement::DropDefaultToSetAgain:
    case Statement::DropDefaultToReplace:
      return {"ALTER TABLE t.a ALTER COLUMN n SET DEFAULT 1",
              "ALTER TABLE t.a ALTER COLUMN n DROP DEFAULT", on_a()};
    case Statement::SetNotNull:
      return {"", "ALTER TABLE t.a ALTER COLUMN n SET NOT NULL", on_a()};
    case Statement::SetNotNullProvedByCheck:
      return {"ALTER TABLE t.a ADD CONSTRAINT nn CHECK (n IS NOT NULL)",
              "ALTER TABLE t.a ALTER COLUMN n SET NOT NULL", on_a()};
    case Statement::DropNotNull:
      return {"ALTER TABLE t.a ALTER COLUMN n SET NOT NULL",
              "ALTER TABLE t.a ALTER COLUMN n DROP NOT NULL", on_a()};
    case Statement::AddIdentity:
      return {"ALTER TABLE t.a ALTER COLUMN n SET NOT NULL",
              "ALTER TABLE t.a ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY", on_a()};
    case Statement::SetIdentityGeneration:
      return {
          "ALTER TABLE t.a ALTER COLUMN n SET NOT NULL;"
          "ALTER TABLE t.a ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY",
          "ALTER TABLE t.a ALTER COLUMN n SET GENERATED ALWAYS", on_a()};
    case Statement::SetIdentityOptions:
      return {
          "ALTER TABLE t.a ALTER COLUMN n SET NOT NULL;"
          "ALTER TABLE t.a ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY",
          "ALTER TABLE t.a ALTER COLUMN n SET INCREMENT BY 5 SET NO MAXVALUE SET CACHE 1", on_a()};
    case Statement::DropIdentity:
      return {
          "ALTER TABLE t.a ALTER COLUMN n SET NOT NULL;"
          "ALTER TABLE t.a ALTER COLUMN n ADD GENERATED BY DEFAULT AS IDENTITY",
          "ALTER TABLE t.a ALTER COLUMN n DROP IDENTITY", on_a()};
    case Statement::DropGeneratedColumnToAddAgain:
      if (version < 120000) return {"", "", {}, "generated columns are PostgreSQL 12+"};
      return {"ALTER TABLE t.a ADD COLUMN g integer GENERATED ALWAYS AS (n * 2) STORED",
              "ALTER TABLE t.a DROP COLUMN g", on_a()};
    case Statement::DropColumn:
      return {"", "ALTER TABLE t.a DROP COLUMN v", on_a()};
    case Statement::BackfillBatch:
      return {"", "UPDATE t.a SET v = 'b' WHERE id >= 1 AND id < 6 AND v IS NOT NULL", on_a()};
    case Statement::AddCheck:
      return {"", "ALTER TABLE t.a ADD CONSTRAINT c1 CHECK (n > 0)", on_a()};
    case Statement::AddCheckNotValid:
    case Statement::AddDefaultPartitionCheckNotValid:
      return {"", "ALTER TABLE t.a ADD CONSTRAINT c1 CHECK (n > 0) NOT VALID", on_a()};
    case Statement::AddKey:
      return {"", "ALTER TABLE t.a ADD CONSTRAINT u1 UNIQUE (n)", on_a()};
    case Statement::AddKeyUsingIndex:
      return {"CREATE UNIQUE INDEX u2 ON t.a (n); ALTER TABLE t.a ALTER COLUMN n SET NOT NULL",
              "ALTER TABLE t.a ADD CONSTRAINT u2 UNIQUE USING INDEX u2", on_a()};
    case Statement::AddKeyAttachingPartitions:
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "CREATE TABLE t.p2 PARTITION OF t.p FOR VALUES FROM (100) TO (200);"
                  "ALTER TABLE t.p1 ADD CONSTRAINT p1_u UNIQUE (id);"
                  "ALTER TABLE t.p2 ADD CONSTRAINT p2_u UNIQUE (id);",
              "ALTER TABLE t.p ADD CONSTRAINT p_u UNIQUE (id)",
              {{Target::Relation, {"t.p"}}, {Target::Partitions, {"t.p1", "t.p2"}}}};
    case Statement::AddForeignKeyAttachingPartitions:
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "CREATE TABLE t.p2 PARTITION OF t.p FOR VALUES FROM (100) TO (200);"
                  "INSERT INTO t.p VALUES (1, 1), (150, 2);"
                  "ALTER TABLE t.p1 ADD CONSTRAINT p1_fk FOREIGN KEY (rid) REFERENCES t.r (id);"
                  "ALTER TABLE t.p2 ADD CONSTRAINT p2_fk FOREIGN KEY (rid) REFERENCES t.r (id);",
              "ALTER TABLE t.p ADD CONSTRAINT p_fk FOREIGN KEY (rid) REFERENCES t.r (id)",
              {{Target::Relation, {"t.p"}},
               {Target::Partitions, {"t.p1", "t.p2"}},
               {Target::Referenced, {"t.r"}}}};
    case Statement::AddForeignKey:
      return {"", "ALTER TABLE t.a ADD CONSTRAINT fk FOREIGN KEY (ref) REFERENCES t.r (id)",
              on_a_and_r()};
    case Statement::AddExclusionConstraint:
      return {"", "ALTER TABLE t.a ADD CONSTRAINT x EXCLUDE USING btree (n WITH =) WHERE (n > 0)",
              on_a()};
    case Statement::AddForeignKeyNotValid:
      return {"",
              "ALTER TABLE t.a ADD CONSTRAINT fk FOREIGN KEY (ref) REFERENCES t.r (id) NOT VALID",
              on_a_and_r()};
    case Statement::ValidateCheck:
      return {"ALTER TABLE t.a ADD CONSTRAINT c1 CHECK (n > 0) NOT VALID",
              "ALTER TABLE t.a VALIDATE CONSTRAINT c1", on_a()};
    case Statement::ValidateForeignKey:
      return {"ALTER TABLE t.a ADD CONSTRAINT fk FOREIGN KEY (ref) REFERENCES t.r (id) NOT VALID",
              "ALTER TABLE t.a VALIDATE CONSTRAINT fk", on_a_and_r()};
    case Statement::RenameConstraint:
      return {"ALTER TABLE t.a ADD CONSTRAINT c1 CHECK (n > 0)",
              "ALTER TABLE t.a RENAME CONSTRAINT c1 TO c2", on_a()};
    case Statement::DropConstraint:
    case Statement::DropConstraintToReplace:
    case Statement::DropConstraintToAddAgain:
      return {"ALTER TABLE t.a ADD CONSTRAINT c1 CHECK (n > 0)",
              "ALTER TABLE t.a DROP CONSTRAINT c1", on_a()};
    case Statement::DropAttachCheck:
      // On a partition just attached: its parent is not locked.
      return {kPartitioned +
                  "CREATE TABLE t.p3 (LIKE t.p); ALTER TABLE t.p3 ADD CONSTRAINT c1 "
                  "CHECK (id IS NOT NULL AND id >= 100 AND id < 200); "
                  "ALTER TABLE t.p ATTACH PARTITION t.p3 FOR VALUES FROM (100) TO (200);",
              "ALTER TABLE t.p3 DROP CONSTRAINT c1", {{Target::Relation, {"t.p3"}}}};
    case Statement::DropForeignKey:
    case Statement::DropForeignKeyToReplace:
      // From a partitioned table: the partitions' copies go with it.
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "CREATE TABLE t.p2 PARTITION OF t.p FOR VALUES FROM (100) TO (200) "
                  "  PARTITION BY RANGE (id);"
                  "CREATE TABLE t.p21 PARTITION OF t.p2 FOR VALUES FROM (100) TO (150);"
                  "ALTER TABLE t.p ADD CONSTRAINT fk FOREIGN KEY (rid) REFERENCES t.r (id);",
              "ALTER TABLE t.p DROP CONSTRAINT fk",
              {{Target::Relation, {"t.p"}},
               {Target::Partitions, {"t.p1", "t.p2", "t.p21"}},
               {Target::Referenced, {"t.r"}}}};
    case Statement::CreateIndex:
      return {"", "CREATE INDEX a_v_idx ON t.a (v)", on_a()};
    case Statement::CreateIndexConcurrently:
      return {"", "CREATE INDEX CONCURRENTLY a_v_idx ON t.a (v)", on_a()};
    case Statement::CreateIndexOnOnly:
      return {kPartitioned + "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);",
              "CREATE INDEX p_id_idx ON ONLY t.p (id)",
              {{Target::Relation, {"t.p"}}}};
    case Statement::AttachPartitionIndex:
      return {kPartitioned +
                  "CREATE TABLE t.p1 PARTITION OF t.p FOR VALUES FROM (0) TO (100);"
                  "CREATE INDEX p_id_idx ON ONLY t.p (id); CREATE INDEX p1_id_idx ON t.p1 (id);",
              "ALTER INDEX t.p_id_idx ATTACH PARTITION t.p1_id_idx",
              {{Target::Relation, {"t.p1"}},
               {Target::PartitionParent, {"t.p"}},
               {Target::Index, {"t.p1_id_idx"}},
               {Target::ParentIndex, {"t.p_id_idx"}}}};
    case Statement::RenameIndex:
      return {"CREATE INDEX a_v_idx ON t.a (v)",
              "ALTER INDEX t.a_v_idx RENAME TO a_v_idx2",
              {{Target::Index, {"t.a_v_idx"}}}};
    case Statement::DropIndex:
    case Statement::DropIndexToReplace:
    case Statement::DropIndexToCreateAgain:
      return {"CREATE INDEX a_v_idx ON t.a (v)", "DROP INDEX t.a_v_idx", on_a_index()};
    case Statement::DropIndexConcurrently:
    case Statement::DropIndexConcurrentlyToReplace:
    case Statement::DropIndexConcurrentlyToCreateAgain:
      return {"CREATE INDEX a_v_idx ON t.a (v)", "DROP INDEX CONCURRENTLY IF EXISTS t.a_v_idx",
              on_a_index()};
    case Statement::CreateTrigger:
      return {"", "CREATE TRIGGER tr BEFORE INSERT ON t.a FOR EACH ROW EXECUTE PROCEDURE t.tf()",
              on_a()};
    case Statement::CreateOrReplaceTrigger:
      if (version < 140000) return {"", "", {}, "CREATE OR REPLACE TRIGGER is PostgreSQL 14+"};
      return {"CREATE TRIGGER tr BEFORE INSERT ON t.a FOR EACH ROW EXECUTE PROCEDURE t.tf()",
              "CREATE OR REPLACE TRIGGER tr BEFORE UPDATE ON t.a FOR EACH ROW EXECUTE PROCEDURE "
              "t.tf()",
              on_a()};
    case Statement::DropTrigger:
    case Statement::DropTriggerToReplace:
      return {"CREATE TRIGGER tr BEFORE INSERT ON t.a FOR EACH ROW EXECUTE PROCEDURE t.tf()",
              "DROP TRIGGER tr ON t.a", on_a()};
    case Statement::SetTriggerFiring:
      return {"CREATE TRIGGER tr BEFORE INSERT ON t.a FOR EACH ROW EXECUTE PROCEDURE t.tf()",
              "ALTER TABLE t.a ENABLE ALWAYS TRIGGER tr", on_a()};
    case Statement::NarrowTriggerFiring:
      return {"CREATE TRIGGER tr BEFORE INSERT ON t.a FOR EACH ROW EXECUTE PROCEDURE t.tf()",
              "ALTER TABLE t.a DISABLE TRIGGER tr", on_a()};
    case Statement::CreatePolicy:
      return {"", "CREATE POLICY pol ON t.a FOR SELECT TO PUBLIC USING (n > 0)", on_a()};
    case Statement::AlterPolicy:
      return {"CREATE POLICY pol ON t.a USING (n > 0)",
              "ALTER POLICY pol ON t.a TO PUBLIC USING (n > 1) WITH CHECK (n > 2)", on_a()};
    case Statement::RenamePolicy:
      return {"CREATE POLICY pol ON t.a USING (n > 0)", "ALTER POLICY pol ON t.a RENAME TO pol2",
              on_a()};
    case Statement::DropPolicy:
    case Statement::DropPolicyToReplace:
    case Statement::DropPolicyToCreateAgain:
      return {"CREATE POLICY pol ON t.a USING (n > 0)", "DROP POLICY pol ON t.a", on_a()};
    case Statement::DropRestrictivePolicy:
    case Statement::DropRestrictivePolicyToCreateAgain:
      return {"CREATE POLICY pol ON t.a AS RESTRICTIVE USING (n > 0)", "DROP POLICY pol ON t.a",
              on_a()};
    case Statement::EnableRowSecurity:
      return {"", "ALTER TABLE t.a ENABLE ROW LEVEL SECURITY", on_a()};
    case Statement::DisableRowSecurity:
      return {"ALTER TABLE t.a ENABLE ROW LEVEL SECURITY",
              "ALTER TABLE t.a DISABLE ROW LEVEL SECURITY", on_a()};
    case Statement::ForceRowSecurity:
      return {"", "ALTER TABLE t.a FORCE ROW LEVEL SECURITY", on_a()};
    case Statement::NoForceRowSecurity:
      return {"ALTER TABLE t.a FORCE ROW LEVEL SECURITY",
              "ALTER TABLE t.a NO FORCE ROW LEVEL SECURITY", on_a()};
    case Statement::CreateView:
      return {"", "CREATE VIEW t.v AS SELECT id, v FROM t.a", {}};
    case Statement::ReplaceView:
      return {"CREATE VIEW t.v AS SELECT id FROM t.a",
              "CREATE OR REPLACE VIEW t.v AS SELECT id, v FROM t.a",
              {{Target::Relation, {"t.v"}}}};
    case Statement::DropView:
    case Statement::DropViewToRecreate:
    case Statement::DropViewToReplace:
    case Statement::DropCompatibilityView:
      return {
          "CREATE VIEW t.v AS SELECT id FROM t.a", "DROP VIEW t.v", {{Target::Relation, {"t.v"}}}};
    case Statement::RenameView:
      // A view another view uses: neither the table nor the dependent view
      // is locked beyond reading.
      return {"CREATE VIEW t.v AS SELECT id FROM t.a; CREATE VIEW t.w AS SELECT id FROM t.v",
              "ALTER VIEW t.v RENAME TO v2",
              {{Target::Relation, {"t.v"}}}};
    case Statement::RenameMaterializedView:
      return {"CREATE MATERIALIZED VIEW t.mv AS SELECT id FROM t.a; "
              "CREATE UNIQUE INDEX mv_id ON t.mv (id)",
              "ALTER MATERIALIZED VIEW t.mv RENAME TO mv2",
              {{Target::Relation, {"t.mv"}}}};
    case Statement::SetViewSchema:
      // A view another view uses: the dependent view and the table stay.
      return {
          "CREATE SCHEMA t2; CREATE VIEW t.v AS SELECT id FROM t.a; "
          "CREATE VIEW t.w AS SELECT id FROM t.v",
          "ALTER VIEW t.v SET SCHEMA t2",
          {{Target::Relation, {"t.v"}}}};
    case Statement::SetMaterializedViewSchema:
      // Its index moves with it.
      return {
          "CREATE SCHEMA t2; CREATE MATERIALIZED VIEW t.mv AS SELECT id FROM t.a; "
          "CREATE UNIQUE INDEX mv_id ON t.mv (id)",
          "ALTER MATERIALIZED VIEW t.mv SET SCHEMA t2",
          {{Target::Relation, {"t.mv"}}}};
    case Statement::CreateMaterializedView:
      return {"", "CREATE MATERIALIZED VIEW t.mv AS SELECT id, v FROM t.a", {}};
    case Statement::DropMaterializedView:
    case Statement::DropMaterializedViewToRecreate:
      return {"CREATE MATERIALIZED VIEW t.mv AS SELECT id FROM t.a",
              "DROP MATERIALIZED VIEW t.mv",
              {{Target::Relation, {"t.mv"}}}};
    case Statement::CommentOnObject:
      return {"CREATE TYPE t.e AS ENUM ('a')", "COMMENT ON TYPE t.e IS 'an enum'", {}};
    case Statement::CommentOnRelation:
      return {"CREATE SEQUENCE t.s",
              "COMMENT ON SEQUENCE t.s IS 'a sequence'",
              {{Target::Relation, {"t.s"}}}};
    case Statement::CommentOnIndex:
      return {"CREATE INDEX a_v_idx ON t.a (v)",
              "COMMENT ON INDEX t.a_v_idx IS 'an index'",
              {{Target::Index, {"t.a_v_idx"}}}};
    case Statement::CommentOnTableMember:
      return {"", "COMMENT ON COLUMN t.a.v IS 'a column'", on_a()};
    // No relation lock: t.a is named by the statement and must hold none
    // stronger than ACCESS SHARE (compare() checks undeclared relations).
    case Statement::GrantPrivileges:
    case Statement::GrantOnCreated:
      return {"", "GRANT SELECT, UPDATE (v) ON t.a TO PUBLIC", {}};
    case Statement::RevokePrivileges:
    case Statement::RevokeOnCreated:
      return {"GRANT SELECT ON t.a TO PUBLIC", "REVOKE SELECT ON t.a FROM PUBLIC", {}};
    // No relation lock: as its grantor, a role given the grant option.
    case Statement::RevokeAsGrantor:
      return {kGrantorRole +
                  "GRANT USAGE ON SCHEMA t TO pgshift_statements_grantor; "
                  "GRANT SELECT ON t.a TO pgshift_statements_grantor WITH GRANT OPTION; "
                  "SET ROLE pgshift_statements_grantor; GRANT SELECT ON t.a TO PUBLIC; "
                  "RESET ROLE;",
              "SET LOCAL ROLE pgshift_statements_grantor; REVOKE SELECT ON t.a FROM PUBLIC; "
              "RESET ROLE",
              {}};
    // No relation lock: a pg_default_acl row.
    case Statement::AlterDefaultPrivilegesGrant:
      return {"", "ALTER DEFAULT PRIVILEGES IN SCHEMA t GRANT SELECT ON TABLES TO PUBLIC", {}};
    case Statement::AlterDefaultPrivilegesRevoke:
      return {"ALTER DEFAULT PRIVILEGES IN SCHEMA t GRANT SELECT ON TABLES TO PUBLIC",
              "ALTER DEFAULT PRIVILEGES IN SCHEMA t REVOKE SELECT ON TABLES FROM PUBLIC", {}};
    // A real change of owner (to an unchanged owner the server takes no
    // lock): the table's index and owned sequence follow it.
    case Statement::AlterRelationOwner:
      return {kOwnerRole + "ALTER TABLE t.a ADD COLUMN s serial;",
              "ALTER TABLE t.a OWNER TO pgshift_statements_owner", on_a()};
    // No relation lock: schema, routine, domain and enum owners are catalog rows.
    case Statement::AlterObjectOwner:
      return {kOwnerRole + "CREATE DOMAIN t.d AS integer; CREATE TYPE t.e AS ENUM ('x');",
              "ALTER SCHEMA t OWNER TO pgshift_statements_owner; "
              "ALTER FUNCTION t.tf() OWNER TO pgshift_statements_owner; "
              "ALTER DOMAIN t.d OWNER TO pgshift_statements_owner; "
              "ALTER TYPE t.e OWNER TO pgshift_statements_owner",
              {}};
    case Statement::OwnerOnCreated:
      return {kOwnerRole, "CREATE TABLE t.n (id integer); ALTER TABLE t.n OWNER TO "
              "pgshift_statements_owner", {}};
  }
  return {};
}

struct Relation {
  std::string name;   // "t.a"
  char kind = 'r';    // pg_class.relkind
  std::string owner;  // the table of an index, or owning a sequence; "" otherwise
};

// Relations of schemas t and t2 before the statement, by oid.
std::map<uint32_t, Relation> relations_before(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  std::map<uint32_t, Relation> relations;
  const auto rows = tx.exec(R"sql(
SELECT c.oid, n.nspname || '.' || c.relname, c.relkind::text,
       COALESCE((SELECT n2.nspname || '.' || t.relname FROM pg_index i
                   JOIN pg_class t ON t.oid = i.indrelid
                   JOIN pg_namespace n2 ON n2.oid = t.relnamespace
                  WHERE i.indexrelid = c.oid),
                (SELECT n2.nspname || '.' || t.relname FROM pg_depend d
                   JOIN pg_class t ON t.oid = d.refobjid
                   JOIN pg_namespace n2 ON n2.oid = t.relnamespace
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
                    AND c.relkind = 'S' LIMIT 1), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('t', 't2') AND c.relkind IN ('r', 'p', 'i', 'I', 'S', 'v', 'm')
)sql");
  for (const auto& row : rows) {
    relations[row[0].as<uint32_t>()] = {row[1].as<std::string>(), row[2].as<std::string>()[0],
                                        row[3].as<std::string>()};
  }
  return relations;
}

// Strongest mode `pid` holds or asks for on each relation of `before`.
std::map<std::string, LockMode> locks_of(pqxx::transaction_base& tx, int pid,
                                         const std::map<uint32_t, Relation>& before,
                                         bool waiting_too) {
  std::map<std::string, LockMode> held;
  const auto rows = tx.exec_params(
      "SELECT relation::oid::bigint, mode FROM pg_locks WHERE pid = $1 AND locktype = "
      "'relation' AND relation IS NOT NULL AND (granted OR $2)",
      pid, waiting_too);
  for (const auto& row : rows) {
    const auto found = before.find(static_cast<uint32_t>(row[0].as<int64_t>()));
    const auto mode = from_pg_locks(row[1].as<std::string>());
    if (found == before.end() || !mode) continue;
    auto [entry, inserted] = held.emplace(found->second.name, *mode);
    if (!inserted && *mode > entry->second) entry->second = *mode;
  }
  return held;
}

// The row's locks resolved to relation names.
std::map<std::string, LockMode> declared_locks(Statement statement, int version,
                                               const Fixture& fixture) {
  std::map<std::string, LockMode> declared;
  for (const auto& lock : statement_row(statement, version).locks) {
    const auto names = fixture.names.find(lock.target);
    REQUIRE(names != fixture.names.end());  // the fixture must exercise every target
    for (const auto& name : names->second) {
      auto [entry, inserted] = declared.emplace(name, lock.mode);
      if (!inserted && lock.mode > entry->second) entry->second = lock.mode;
    }
  }
  return declared;
}

void compare(const std::map<std::string, LockMode>& declared,
             const std::map<std::string, LockMode>& held,
             const std::map<uint32_t, Relation>& before) {
  for (const auto& [relation, mode] : declared) {
    INFO("declared " << pgshift::plans::lock_mode_name(mode) << " on " << relation);
    REQUIRE(held.count(relation) == 1);
    CHECK(pgshift::plans::lock_mode_name(held.at(relation)) ==
          std::string(pgshift::plans::lock_mode_name(mode)));
  }
  for (const auto& [relation, mode] : held) {
    if (declared.count(relation) != 0) continue;
    std::string owner;
    for (const auto& [oid, info] : before) {
      if (info.name == relation) owner = info.owner;
    }
    INFO("undeclared " << pgshift::plans::lock_mode_name(mode) << " on " << relation);
    if (!owner.empty() && declared.count(owner) != 0) continue;  // follows its table
    CHECK(mode == LockMode::AccessShare);
  }
}

// A fresh base and the fixture's setup, in autocommit.
void prepare(pqxx::connection& conn, const Fixture& fixture) {
  pqxx::nontransaction tx(conn);
  tx.exec(kBase);
  if (!fixture.setup.empty()) tx.exec(fixture.setup);
}

// An extension this server can create and move: relocatable, not installed.
std::string pick_extension(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec(
      "SELECT a.name FROM pg_available_extensions a JOIN pg_available_extension_versions v "
      "ON v.name = a.name AND v.version = a.default_version "
      "WHERE a.installed_version IS NULL AND v.relocatable AND v.requires IS NULL "
      "ORDER BY a.name IN ('fuzzystrmatch', 'hstore', 'citext', 'pg_trgm') DESC, a.name LIMIT 1");
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

int server_version(pqxx::connection& conn) {
  pqxx::nontransaction tx(conn);
  return std::stoi(tx.exec("SHOW server_version_num")[0][0].as<std::string>());
}

// A statement that cannot run in a transaction: for each declared relation,
// a blocker holds a conflicting lock on it while the statement runs on its
// own session; what the statement holds and waits for is read then.
void check_alone(const std::string& url, Statement statement, int version, const Fixture& fixture) {
  pqxx::connection setup(url);
  const auto declared = declared_locks(statement, version, fixture);
  REQUIRE_FALSE(declared.empty());
  for (const auto& [blocked, mode] : declared) {
    INFO("blocking " << blocked);
    prepare(setup, fixture);
    const auto before = relations_before(setup);
    char kind = 'r';
    for (const auto& [oid, info] : before) {
      if (info.name == blocked) kind = info.kind;
    }
    pqxx::connection blocker(url);
    pqxx::work hold(blocker);
    // LOCK TABLE takes no index: SET (fillfactor) locks an index SHARE
    // UPDATE EXCLUSIVE, which conflicts with any mode but the weakest two.
    // A table is held in the weakest mode conflicting with the declared one,
    // so that a statement taking a weaker lock on it first (DETACH ...
    // CONCURRENTLY's first transaction) gets it and is seen waiting for the
    // declared one.
    hold.exec(kind == 'i' ? "ALTER INDEX " + blocked + " SET (fillfactor = 70)"
                          : "LOCK TABLE " + blocked + " IN " +
                                pgshift::plans::lock_mode_name(pgshift::plans::blocked_by(mode).front()) +
                                " MODE");
    pqxx::connection runner(url);
    const int pid = runner.backendpid();
    std::atomic<bool> done{false};
    std::string error;
    std::thread run([&] {
      try {
        pqxx::nontransaction tx(runner);
        tx.exec(fixture.statement);
      } catch (const std::exception& e) {
        error = e.what();
      }
      done = true;
    });
    std::map<std::string, LockMode> seen;
    bool waiting = false;
    pqxx::connection observer(url);
    for (int attempt = 0; attempt < 200 && !waiting && !done; ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      pqxx::nontransaction tx(observer);
      waiting =
          !tx.exec_params("SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted", pid).empty();
      if (waiting) seen = locks_of(tx, pid, before, true);
    }
    hold.abort();
    run.join();
    INFO(error);
    CHECK(error.empty());
    REQUIRE(waiting);
    INFO("seen while waiting: " << seen.size() << " relations");
    REQUIRE(seen.count(blocked) == 1);
    CHECK(pgshift::plans::lock_mode_name(seen.at(blocked)) ==
          std::string(pgshift::plans::lock_mode_name(mode)));
    for (const auto& [relation, held_mode] : seen) {
      const auto found = declared.find(relation);
      INFO("on " << relation);
      if (found != declared.end()) CHECK(held_mode <= found->second);
    }
  }
}

}  // namespace

TEST_CASE("every row of the statement table takes exactly the locks it declares on the server",
          "[planner][db]") {
  TestDatabase db;
  pqxx::connection session(db.url());
  const int version = server_version(session);
  const std::string extension = pick_extension(session);
  int checked = 0;
  std::vector<std::string> skipped;
  for (const Statement statement : kAllStatements) {
    const Fixture fixture_of = fixture(statement, version, extension);
    INFO(statement_name(statement) << " on " << version << ": " << fixture_of.statement);
    if (fixture_of.statement.empty()) {
      skipped.push_back(std::string(statement_name(statement)) + " (" + fixture_of.skip_reason +
                        ")");
      continue;
    }
    const auto row = statement_row(statement, version);
    if (!row.transactional && !row.locks.empty()) {
      check_alone(db.url(), statement, version, fixture_of);
      ++checked;
      continue;
    }
    prepare(session, fixture_of);
    const auto before = relations_before(session);
    if (!row.transactional) {
      // ALTER TYPE ... ADD VALUE before 12: no relation lock to observe; it
      // must run, and only outside a transaction block.
      pqxx::nontransaction tx(session);
      tx.exec(fixture_of.statement);
      ++checked;
      continue;
    }
    const auto declared = declared_locks(statement, version, fixture_of);
    pqxx::work tx(session);
    tx.exec(fixture_of.statement);
    const auto held = locks_of(tx, session.backendpid(), before, false);
    compare(declared, held, before);
    tx.abort();
    ++checked;
  }
  for (const auto& reason : skipped) WARN("not run on " << version << ": " << reason);
  // Every row ran but those the server cannot run (named above).
  CHECK(checked + static_cast<int>(skipped.size()) == static_cast<int>(std::size(kAllStatements)));
  CHECK(skipped.size() <= 7);
}
