#include "planner/statements.hpp"

#include <algorithm>

#include "planner/normalize.hpp"

namespace pgshift::planner {

namespace {

using plans::DurationClass;
using plans::Hazard;
using plans::LockMode;

// Sources, cited per row:
//   [tablecmds]  src/backend/commands/tablecmds.c: AlterTableGetLockLevel and
//                the AT_* case named; RemoveRelations and
//                RangeVarCallbackForDropRelation for DROP TABLE/INDEX/VIEW/
//                SEQUENCE; RenameRelation; DefineRelation (partitions).
//   [typecmds]   src/backend/commands/typecmds.c (domains, enums, types).
//   [sequence]   src/backend/commands/sequence.c.
//   [indexcmds]  src/backend/commands/indexcmds.c (DefineIndex).
//   [trigger]    src/backend/commands/trigger.c.
//   [policy]     src/backend/commands/policy.c (CreatePolicy, AlterPolicy,
//                rename_policy, RemovePolicyById).
//   [comment]    src/backend/commands/comment.c, CommentObject.
//   [view]       src/backend/commands/view.c, DefineView.
//   [mvcc]       doc/src/sgml/mvcc.sgml, "Table-Level Locks": which command
//                takes which mode.
//   [alter]      doc/src/sgml/ref/alter_table.sgml; for OWNER TO of other
//                objects, src/backend/commands/alter.c (ExecAlterOwnerStmt).
//   [schemacmds] src/backend/commands/schemacmds.c (AlterSchemaOwner).
// Checked against: PostgreSQL 11, 12, 13, 14, 15, 16, 17 and 18, by
// tests/planner/statements_db_test.cpp, which runs every row's statement and
// compares pg_locks with the row (all rows pass on each; DROP EXPRESSION is
// run from 13, CREATE OR REPLACE TRIGGER from 14, the versions that have them).

StatementRow row(std::vector<TargetLock> locks, DurationClass duration = DurationClass::CatalogOnly,
                 TimeoutClass timeout = TimeoutClass::Catalog, std::vector<Hazard> hazards = {},
                 bool transactional = true) {
  return {std::move(locks), transactional, duration, timeout, std::move(hazards)};
}

constexpr LockMode kAccessExclusive = LockMode::AccessExclusive;

bool modifiers_widen(const std::vector<int>& from, const std::vector<int>& to) {
  if (to.empty()) return true;
  return !from.empty() && to[0] >= from[0];
}

}  // namespace

const char* statement_name(Statement statement) {
  switch (statement) {
#define PGSHIFT_STATEMENT_NAME(name, text) \
  case Statement::name:                    \
    return text;
    PGSHIFT_STATEMENTS(PGSHIFT_STATEMENT_NAME)
#undef PGSHIFT_STATEMENT_NAME
  }
  return "?";
}

StatementRow statement_row(Statement statement, int version) {
  switch (statement) {
    // -----------------------------------------------------------------------
    // Objects that are not relations: their own locks are object locks
    // (locktype 'object'), which no query takes. Creating one blocks nobody.
    // -----------------------------------------------------------------------
    case Statement::CreateSchema:
    case Statement::CreateEnum:
    case Statement::CreateCompositeType:
    case Statement::CreateDomain:
    case Statement::CreateSequence:
    case Statement::CreateOrReplaceFunction:
    case Statement::CreateTable:
    case Statement::AlterExtensionSetSchema:
    case Statement::AlterDomainDefault:
    case Statement::AlterDomainDropNotNull:
    // [typecmds] AlterDomainAddConstraint skips validateDomainConstraint when
    // the constraint is NOT VALID: no table is opened.
    case Statement::AlterDomainAddConstraintNotValid:
    case Statement::AlterDomainDropConstraintToReplace:
    case Statement::DropFunctionToReplace:
    // [comment] COMMENT ON SCHEMA/TYPE/DOMAIN/FUNCTION/EXTENSION locks the
    // object, not a relation.
    case Statement::CommentOnObject:
    // [typecmds] AlterTypeAddValue (ALTER TYPE ... ADD VALUE) below is the
    // same except for transactionality.
    // [view] CREATE VIEW / CREATE MATERIALIZED VIEW read the tables of the
    // query under ACCESS SHARE only (not listed: see StatementRow::locks).
    case Statement::CreateView:
      return row({});
    // The extension's script decides what it creates and locks; pgshift can
    // only say that the statement itself locks no existing relation.
    case Statement::CreateExtension:
    case Statement::AlterExtensionUpdate:
      return row({});
    // [typecmds] AlterEnum: ADD VALUE cannot run in a transaction block before
    // PostgreSQL 12 (PreventInTransactionBlock); from 12 it can, the new value
    // being unusable until commit. No relation lock.
    case Statement::AlterEnumAddValue:
      if (version >= 120000) return row({});
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::NonTransactional},
                 false);
    // ALTER TYPE ... RENAME VALUE (PostgreSQL 10+), from a label's
    // renamed_from: pg_enum.c RenameEnumLabel updates the pg_enum row under
    // an ExclusiveLock on the type object, no relation lock; stored values
    // keep their OID and read as the new label at once, so what still writes
    // or compares with the old label fails.
    case Statement::RenameEnumValue:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::Rename});
    // An enum replaced by a new one with other labels: the old type is
    // renamed out of the way (an object lock only), and dropped once every
    // column is converted. A row holding a label the new type lacks makes
    // the conversion, and so the step, fail; the order of labels (ORDER BY)
    // changes: the reviewer accepts enum_value_removal.
    case Statement::RenameTypeToReplace:
      return row({});
    case Statement::DropEnumReplaced:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog,
                 {Hazard::EnumValueRemoval});
    // ALTER TYPE ... ADD/ALTER ATTRIBUTE goes through AlterTable on the
    // composite type's pg_class row (relkind 'c', which no query locks).
    case Statement::AlterCompositeType:
      return row({});
    case Statement::AlterCompositeTypeDropAttribute:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DataLoss});
    // Drops of objects that are not relations: the definition is gone.
    case Statement::DropSchema:
    case Statement::DropExtension:
    case Statement::DropType:
    case Statement::DropDomain:
    case Statement::DropFunction:
    case Statement::AlterDomainDropConstraint:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DataLoss});

    // -----------------------------------------------------------------------
    // Domains: a check of existing values opens every table using the domain.
    // -----------------------------------------------------------------------
    // [typecmds] AlterDomainNotNull -> validateDomainNotNullConstraint and
    // AlterDomainValidateConstraint -> validateDomainCheckConstraint (named
    // validateDomainConstraint before 17) call get_rels_with_domain(domainoid,
    // ShareLock): every table using the domain is locked SHARE while its
    // rows are checked, so writes to it wait.
    case Statement::AlterDomainSetNotNull:
      return row({{Target::TablesUsingDomain, LockMode::Share}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite);
    case Statement::AlterDomainValidateConstraint:
      return row({{Target::TablesUsingDomain, LockMode::Share}}, DurationClass::BlockingScan,
                 TimeoutClass::Validate);

    // -----------------------------------------------------------------------
    // Sequences.
    // -----------------------------------------------------------------------
    // [sequence] AlterSequence opens the sequence ShareRowExclusiveLock
    // (PostgreSQL 10+); nextval_internal takes RowExclusiveLock, which
    // conflicts: nextval(), and so every INSERT using the sequence's
    // default, waits until the ALTER commits.
    case Statement::AlterSequence:
      return row({{Target::Relation, LockMode::ShareRowExclusive}});
    // [sequence] The same, and process_owned_by opens the owning table
    // AccessShareLock.
    case Statement::AlterSequenceOwnedBy:
      return row({{Target::Relation, LockMode::ShareRowExclusive},
                  {Target::Referenced, LockMode::AccessShare}});
    // [sequence] do_setval and nextval_internal open their sequence with
    // RowExclusiveLock (lock_and_open_sequence): SELECT setval(new,
    // nextval(old)) carries an identity's position over to a new sequence
    // (expand/contract); nextval() of other sessions does not wait.
    case Statement::SetSequenceValue:
      return row({{Target::Relation, LockMode::RowExclusive},
                  {Target::Referenced, LockMode::RowExclusive}});
    // [tablecmds] RenameRelation: AccessExclusiveLock, of a sequence that
    // takes the name the dropped one had (expand/contract's identity): no
    // application names an identity's sequence.
    case Statement::RenameSequenceIntoPlace:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] RenameRelation: AccessExclusiveLock, of a sequence renamed
    // by renamed_from. Column defaults follow by OID (nextval's regclass
    // argument); what names the old one (nextval('old') in application SQL)
    // fails.
    case Statement::RenameSequence:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // [alter] ExecAlterObjectSchemaStmt sends ALTER SEQUENCE ... SET SCHEMA
    // to AlterTableNamespace: AccessExclusiveLock on the sequence (one a
    // column owns is refused there: it moves with its table). Defaults follow
    // by OID; what names the old qualified name fails.
    case Statement::SetSequenceSchema:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // [tablecmds] RemoveRelations: DROP SEQUENCE takes AccessExclusiveLock.
    case Statement::DropSequence:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});

    // -----------------------------------------------------------------------
    // Tables.
    // -----------------------------------------------------------------------
    // CREATE TABLE t (LIKE parent INCLUDING ...): transformTableLikeClause
    // opens the parent AccessShareLock (not listed).
    case Statement::CreateTableLike:
      return row({});
    // [tablecmds] DefineRelation opens the parent of a new partition
    // AccessExclusiveLock; doc/src/sgml/ddl.sgml recommends CREATE + ATTACH.
    case Statement::CreatePartitionOf:
      return row({{Target::PartitionParent, kAccessExclusive}});
    // [alter] ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent from
    // PostgreSQL 12 (AT_AttachPartition; ACCESS EXCLUSIVE before) and ACCESS
    // EXCLUSIVE on the partition (AttachPartitionEnsureConstraints).
    case Statement::AttachPartition:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent,
                   version >= 120000 ? LockMode::ShareUpdateExclusive : kAccessExclusive}});
    // The same beside a DEFAULT partition: ATExecAttachPartition locks it
    // AccessExclusiveLock (its partition constraint changes) and queues its
    // validation. The plan first gives the default partition a valid CHECK
    // excluding the new bound (and the table one of its bound), so neither is
    // scanned: catalog only.
    case Statement::AttachPartitionWithDefault:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent,
                   version >= 120000 ? LockMode::ShareUpdateExclusive : kAccessExclusive},
                  {Target::DefaultPartition, kAccessExclusive}});
    // The same when no CHECK proves the bound (the DEFAULT partition while its
    // siblings change, a hash key over a collatable column, a bound without
    // the scratch database's constraint): ATExecAttachPartition queues the
    // table's scan (and the DEFAULT partition's, when it holds rows) under
    // those locks, so every row is read under ACCESS EXCLUSIVE.
    case Statement::AttachPartitionScanning:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent,
                   version >= 120000 ? LockMode::ShareUpdateExclusive : kAccessExclusive},
                  {Target::DefaultPartition, kAccessExclusive}},
                 DurationClass::BlockingScan, TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    // [tablecmds] AT_DetachPartition: AccessExclusiveLock on the parent;
    // ATExecDetachPartition locks the DEFAULT partition, if any (its
    // partition constraint changes), AccessExclusiveLock, and the partition
    // ShareUpdateExclusiveLock before 14, AccessExclusiveLock from 14 (when
    // CONCURRENTLY came). Catalog only (no row is read, bar the foreign keys
    // referencing the parent).
    // Either form: queries on the parent stop returning the partition's rows,
    // and a row inserted through the parent in its bound goes to the DEFAULT
    // partition or fails (partition_detached).
    case Statement::DetachPartition:
      return row({{Target::Relation,
                   version >= 140000 ? kAccessExclusive : LockMode::ShareUpdateExclusive},
                  {Target::PartitionParent, kAccessExclusive},
                  {Target::DefaultPartition, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::PartitionDetached});
    // [tablecmds] AT_DetachPartition with CONCURRENTLY (PostgreSQL 14+), in
    // two transactions; not in a transaction block (PreventInTransactionBlock);
    // refused beside a DEFAULT partition. The first takes
    // ShareUpdateExclusiveLock on the parent and the partition and marks the
    // detach pending. The second waits for every transaction holding a lock
    // on the parent (WaitForLockersMultiple), then takes ShareUpdateExclusive
    // on the parent and AccessExclusiveLock on the partition
    // (ATExecDetachPartition: try_relation_open(partrelid,
    // AccessExclusiveLock)), briefly, to finish. Both waits are lock waits:
    // lock_timeout bounds them, so the step retries like any other; a
    // second transaction that times out leaves the detach pending, and the
    // next attempt finishes it with FINALIZE (Applier::run_outside_transaction).
    // Queries of the parent stop returning the partition's rows at the first
    // commit (partition_detached).
    case Statement::DetachPartitionConcurrently:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent, LockMode::ShareUpdateExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Concurrent,
                 {Hazard::NonTransactional, Hazard::PartitionDetached}, false);
    // The same when foreign keys of other tables reference the parent: the
    // first transaction takes ShareLock on each referencing table
    // (ATDetachCheckNoForeignKeyRefs) and reads it for rows referencing the
    // partition (RI_PartitionRemove_Check), so writes to it wait for that
    // read; the second removes the partition's part of each such key, under
    // AccessExclusiveLock on the referencing table, briefly. Measured: a
    // session holding ROW EXCLUSIVE on the referencing table times the first
    // transaction out, one holding ACCESS SHARE or SHARE the second.
    case Statement::DetachPartitionConcurrentlyReferenced:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent, LockMode::ShareUpdateExclusive},
                  {Target::Referenced, kAccessExclusive}},
                 DurationClass::BlockingScan, TimeoutClass::Concurrent,
                 {Hazard::NonTransactional, Hazard::PartitionDetached}, false);
    // [tablecmds] AT_DetachPartitionFinalize: ShareUpdateExclusiveLock on the
    // parent, AccessExclusiveLock on the partition
    // (ATExecDetachPartitionFinalize), held while it waits for older
    // snapshots (WaitForOlderSnapshots, a lock wait lock_timeout bounds);
    // AccessExclusiveLock on each table whose foreign key references the
    // parent, as the second transaction above.
    case Statement::DetachPartitionFinalize:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent, LockMode::ShareUpdateExclusive},
                  {Target::Referenced, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Concurrent, {}, true);
    // [tablecmds] RenameRelation: AccessExclusiveLock on a table. Application
    // versions still using the old name fail at once.
    case Statement::RenameTable:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // The same, by expand and contract: a view under the old name (created
    // in the same transaction) keeps the old name working until contract.
    case Statement::RenameTableBehindView:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] AlterTableNamespace: AccessExclusiveLock on the table
    // (RangeVarGetRelidExtended in AlterTableNamespace); its indexes, owned
    // sequences and constraints move in the same catalog change
    // (AlterTableNamespaceInternal). Code naming the old qualified name breaks.
    case Statement::SetTableSchema:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // [tablecmds] AT_ReplicaIdentity: AccessExclusiveLock.
    case Statement::ReplicaIdentity:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] AT_SetLogged / AT_SetUnLogged: AccessExclusiveLock, and
    // ATRewriteTables copies the table and its indexes into new files
    // (relpersistence changes); the server also takes SHARE on the table
    // while it copies (statements_db_test sees both). An unlogged table is
    // emptied by crash recovery and not replicated.
    case Statement::SetLogged:
    case Statement::SetUnlogged:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::Rewrite,
                 TimeoutClass::Rewrite, {Hazard::TableRewrite});
    // [tablecmds] AT_SetRelOptions / AT_ResetRelOptions: the strongest mode of
    // the parameters named (reloptions.c AlterTableGetRelOptionsLockLevel,
    // each relopt_gen's lockmode). fillfactor, toast_tuple_target,
    // parallel_workers, vacuum_*, the autovacuum_* and log_autovacuum_* ones
    // (toast.* too) are ShareUpdateExclusiveLock; catalog only (fillfactor
    // applies to pages written later).
    case Statement::SetStorageParameters:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}});
    // The same naming user_catalog_table, which is AccessExclusiveLock.
    case Statement::SetStorageParametersExclusive:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] RemoveRelations: AccessExclusiveLock; heap_drop_with_catalog
    // locks a partition's parent AccessExclusiveLock; dropping the table drops
    // its foreign keys' triggers on each referenced table (RemoveTriggerById:
    // AccessExclusiveLock).
    case Statement::DropTable:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::PartitionParent, kAccessExclusive},
                  {Target::Referenced, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DataLoss});

    // -----------------------------------------------------------------------
    // Columns: every ALTER TABLE subcommand below is AccessExclusiveLock in
    // [tablecmds] AlterTableGetLockLevel ("rewrite the heap" or "change the
    // catalog in a way readers must not see half done").
    // -----------------------------------------------------------------------
    // AT_AddColumn: a nullable column, or a non-volatile default from
    // PostgreSQL 11, is a catalog change (attmissingval).
    case Statement::AddColumn:
    // AT_DropExpression (PostgreSQL 13+): catalog-only.
    case Statement::DropExpression:
    // AT_ColumnDefault.
    case Statement::SetDefault:
    case Statement::DropDefault:
    // Dropped to be set again in the same transaction (around a routine's
    // drop, fuse_routine_dependents): no session sees the column without it.
    case Statement::DropDefaultToReplace:
    // AT_DropNotNull.
    case Statement::DropNotNull:
    // AT_AddIdentity / AT_SetIdentity: the column must already be NOT NULL; the
    // identity sequence is created in the catalog, no row is touched.
    // AT_SetIdentity with sequence options: the identity's sequence is
    // altered in the catalog (its position kept: no RESTART).
    case Statement::AddIdentity:
    case Statement::SetIdentityGeneration:
    case Statement::SetIdentityOptions:
      return row({{Target::Relation, kAccessExclusive}});
    // AT_ColumnDefault, of a default set again by a later step of the plan
    // (it calls a routine dropped and created in between): rows inserted in
    // between get no default.
    case Statement::DropDefaultToSetAgain:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DependentRecreated});
    // AT_RenameColumn (renameatt): as for a table, the old name breaks.
    case Statement::RenameColumn:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // The same, of expand/contract's new column to the name the old one had
    // (contract): the name applications use stays; nothing breaks.
    case Statement::RenameColumnIntoPlace:
      return row({{Target::Relation, kAccessExclusive}});
    // AT_AddColumn of a generated or identity column, or of a volatile
    // default: every row is rewritten.
    case Statement::AddColumnRewrite:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::Rewrite,
                 TimeoutClass::Rewrite, {Hazard::TableRewrite});
    // AT_AlterColumnType when ATColumnChangeRequiresRewrite says no. Either
    // way ATPostAlterTypeCleanup drops and adds again every foreign key on
    // the column (referencing or referenced): dropping one drops its
    // triggers on the other table (RemoveTriggerById: AccessExclusiveLock),
    // adding it checks the rows again. Target::Referenced: the other table of
    // each such foreign key.
    case Statement::AlterColumnType:
      return row({{Target::Relation, kAccessExclusive}, {Target::Referenced, kAccessExclusive}});
    // AT_AlterColumnType with a rewrite (ATColumnChangeRequiresRewrite).
    case Statement::AlterColumnTypeRewrite:
      return row({{Target::Relation, kAccessExclusive}, {Target::Referenced, kAccessExclusive}},
                 DurationClass::Rewrite, TimeoutClass::Rewrite, {Hazard::TableRewrite});
    // AT_SetNotNull: the table is scanned for NULLs under the lock.
    case Statement::SetNotNull:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    // AT_SetNotNull with a valid CHECK (c IS NOT NULL): from PostgreSQL 12
    // NotNullImpliedByRelConstraints skips the scan.
    case Statement::SetNotNullProvedByCheck:
      if (version >= 120000) return row({{Target::Relation, kAccessExclusive}});
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    // AT_DropColumn for a generated column added again by the same ALTER
    // TABLE (its values are computed again): nothing is lost.
    case Statement::DropGeneratedColumnToAddAgain:
      return row({{Target::Relation, kAccessExclusive}});
    // AT_DropIdentity: drops the identity sequence and its position.
    case Statement::DropIdentity:
    // AT_DropColumn: the values are gone.
    case Statement::DropColumn:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});
    // One batch of a backfill: UPDATE takes RowExclusiveLock ([mvcc] "The
    // commands UPDATE, DELETE, and INSERT acquire this lock mode"); each batch
    // commits on its own, so the step is not one transaction.
    case Statement::BackfillBatch:
      return row({{Target::Relation, LockMode::RowExclusive}}, DurationClass::OnlineScan,
                 TimeoutClass::Backfill, {}, false);

    // -----------------------------------------------------------------------
    // Column storage settings: catalog changes only, none rewrites the table
    // (values already stored keep their form until a row is written again).
    // On a partitioned table the planner names it ONLY: STORAGE and
    // STATISTICS would otherwise recurse into every partition, and each
    // partition's columns are planned as its own.
    // -----------------------------------------------------------------------
    // [tablecmds] AT_SetStorage: AccessExclusiveLock, "These subcommands may
    // require addition of toast tables" (ATRewriteCatalogs may create one).
    case Statement::SetColumnStorage:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] AT_SetCompression (PostgreSQL 14+): AccessExclusiveLock,
    // grouped with "These subcommands affect write operations only"; only
    // values written afterwards are compressed with the new method.
    case Statement::SetColumnCompression:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] AT_SetStatistics: ShareUpdateExclusiveLock, "These
    // subcommands affect general strategies for performance and
    // maintenance" (reads and writes go on); the next ANALYZE uses it.
    case Statement::SetColumnStatistics:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}});

    // -----------------------------------------------------------------------
    // Constraints.
    // -----------------------------------------------------------------------
    // [tablecmds] AT_AddConstraint, CONSTR_CHECK: AccessExclusiveLock; the
    // existing rows are checked under it.
    case Statement::AddCheck:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    // The same NOT VALID: no scan.
    case Statement::AddCheckNotValid:
      return row({{Target::Relation, kAccessExclusive}});
    // The same on a filled DEFAULT partition, excluding the bound of a
    // partition about to be attached: from its commit until the ATTACH, a
    // row of that bound written through the parent is routed to the DEFAULT
    // partition and refused by the CHECK (writes_refused). Without it ATTACH
    // scans the DEFAULT partition under ACCESS EXCLUSIVE and fails on such a
    // row instead (check_default_partition_contents in partbounds.c).
    case Statement::AddDefaultPartitionCheckNotValid:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::WritesRefused});
    // [tablecmds] AT_AddConstraint, CONSTR_PRIMARY / CONSTR_UNIQUE:
    // AccessExclusiveLock while the index is built.
    case Statement::AddKey:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    // [tablecmds] AT_AddIndexConstraint: AccessExclusiveLock, catalog-only
    // (the columns are NOT NULL already).
    case Statement::AddKeyUsingIndex:
      return row({{Target::Relation, kAccessExclusive}});
    // The same on a partitioned table whose every partition has a matching
    // key already: [indexcmds] DefineIndex attaches each partition's index
    // and constraint instead of building one, holding AccessExclusiveLock on
    // the parent (AT_AddConstraint) and ShareLock on every partition (as
    // CREATE INDEX) up to 17; from 18 the partitions are locked
    // AccessExclusiveLock too (statements_db_test on 18); catalog-only.
    case Statement::AddKeyAttachingPartitions:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::Partitions, version >= 180000 ? kAccessExclusive : LockMode::Share}});
    // [tablecmds] AT_AddConstraint, CONSTR_FOREIGN: ShareRowExclusiveLock on
    // the table and the referenced table (triggers are added to both);
    // [alter] "ADD FOREIGN KEY requires a SHARE ROW EXCLUSIVE lock on the
    // referenced table". Validated at once, the rows are checked under it.
    case Statement::AddForeignKey:
      return row({{Target::Relation, LockMode::ShareRowExclusive},
                  {Target::Referenced, LockMode::ShareRowExclusive}},
                 DurationClass::BlockingScan, TimeoutClass::Rewrite);
    // On a partitioned table whose every partition has a matching valid
    // key: [tablecmds] addFkRecurseReferencing attaches each partition's key
    // (tryAttachPartitionForeignKey) and checks no row. SHARE ROW EXCLUSIVE
    // on the table and its partitions; the referenced table is locked ACCESS
    // EXCLUSIVE while the partitions' own action triggers on it are removed
    // (RemoveTriggerById), briefly.
    case Statement::AddForeignKeyAttachingPartitions:
      return row({{Target::Relation, LockMode::ShareRowExclusive},
                  {Target::Partitions, LockMode::ShareRowExclusive},
                  {Target::Referenced, kAccessExclusive}});
    // [tablecmds] AT_AddConstraint, CONSTR_EXCLUSION: AccessExclusiveLock
    // while the index is built and every row checked against the others
    // (index_build takes ShareLock as well); nothing builds it CONCURRENTLY.
    case Statement::AddExclusionConstraint:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite, {Hazard::AccessExclusiveScan});
    case Statement::AddForeignKeyNotValid:
      return row({{Target::Relation, LockMode::ShareRowExclusive},
                  {Target::Referenced, LockMode::ShareRowExclusive}});
    // [tablecmds] AT_ValidateConstraint: ShareUpdateExclusiveLock; [alter]
    // "VALIDATE CONSTRAINT ... acquires only a SHARE UPDATE EXCLUSIVE lock".
    case Statement::ValidateCheck:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}}, DurationClass::OnlineScan,
                 TimeoutClass::Validate);
    // [alter] "If the constraint is a foreign key then a ROW SHARE lock is
    // also required on the table referenced by the constraint."
    case Statement::ValidateForeignKey:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive},
                  {Target::Referenced, LockMode::RowShare}},
                 DurationClass::OnlineScan, TimeoutClass::Validate);
    // [tablecmds] RenameConstraint opens the table AccessExclusiveLock; the
    // index of a key is renamed with it (RenameRelationInternal). What names
    // the old one breaks: INSERT ... ON CONFLICT ON CONSTRAINT, code that
    // reads constraint names from errors.
    case Statement::RenameConstraint:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // [tablecmds] AT_DropConstraint: AccessExclusiveLock.
    case Statement::DropConstraint:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});
    // The CHECK the plan added for ATTACH PARTITION to skip its scan, dropped
    // once the partition is attached (the partition constraint holds the
    // same), or for DETACH ... CONCURRENTLY not to add its own: no rule the
    // desired schema has is lost.
    case Statement::DropAttachCheck:
      return row({{Target::Relation, kAccessExclusive}});
    // Dropped to be added again (a changed definition): in the same step, or
    // a step before the type change of a column it uses.
    case Statement::DropConstraintToReplace:
      return row({{Target::Relation, kAccessExclusive}});
    // Dropped a step before a routine it calls is dropped (2BP01 otherwise)
    // and added again after: new rows are unchecked in between.
    case Statement::DropConstraintToAddAgain:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DependentRecreated});
    // AT_DropConstraint of a foreign key: RemoveConstraintById opens the
    // referenced table AccessExclusiveLock to drop its triggers. On a
    // partitioned table the partitions' copies are dropped with it, each
    // table opened AccessExclusiveLock the same way (pg_locks on 11, 15, 18).
    case Statement::DropForeignKey:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::Partitions, kAccessExclusive},
                  {Target::Referenced, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DataLoss});
    case Statement::DropForeignKeyToReplace:
      return row({{Target::Relation, kAccessExclusive},
                  {Target::Partitions, kAccessExclusive},
                  {Target::Referenced, kAccessExclusive}});

    // -----------------------------------------------------------------------
    // Indexes.
    // -----------------------------------------------------------------------
    // [indexcmds] DefineIndex: ShareLock on the table (writes wait for the
    // build); [mvcc] "Acquired by CREATE INDEX (without CONCURRENTLY)".
    case Statement::CreateIndex:
      return row({{Target::Relation, LockMode::Share}}, DurationClass::BlockingScan,
                 TimeoutClass::Rewrite);
    // [indexcmds] DefineIndex with concurrent: ShareUpdateExclusiveLock, held
    // as a session lock across its three transactions; PreventInTransactionBlock.
    case Statement::CreateIndexConcurrently:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}}, DurationClass::OnlineScan,
                 TimeoutClass::Concurrent, {Hazard::NonTransactional}, false);
    // [indexcmds] DefineIndex with ONLY on a partitioned table: ShareLock on
    // the parent alone, no partition is visited and nothing is built (the
    // index stays invalid until every partition has one attached).
    case Statement::CreateIndexOnOnly:
      return row({{Target::Relation, LockMode::Share}});
    // [tablecmds] ATExecAttachPartitionIdx / RangeVarCallbackForAttachIndex:
    // the partition's index AccessExclusiveLock, the partitioned index
    // ShareUpdateExclusiveLock (AccessExclusiveLock on 11), both tables
    // AccessShareLock; catalog only.
    case Statement::AttachPartitionIndex:
      return row({{Target::Relation, LockMode::AccessShare},
                  {Target::PartitionParent, LockMode::AccessShare},
                  {Target::Index, kAccessExclusive},
                  {Target::ParentIndex,
                   version >= 120000 ? LockMode::ShareUpdateExclusive : kAccessExclusive}});
    // [tablecmds] RenameRelation: an index is renamed under
    // ShareUpdateExclusiveLock from PostgreSQL 12 (AccessExclusiveLock
    // before); its table is not locked. No hazard: no query names an index
    // (a rebuilt index taking the old name back, or one renamed by
    // renamed_from).
    case Statement::RenameIndex:
      return row(
          {{Target::Index, version >= 120000 ? LockMode::ShareUpdateExclusive : kAccessExclusive}});
    // [tablecmds] RemoveRelations / RangeVarCallbackForDropRelation: DROP INDEX
    // locks the table and the index AccessExclusiveLock.
    case Statement::DropIndex:
      return row({{Target::Relation, kAccessExclusive}, {Target::Index, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DataLoss});
    case Statement::DropIndexToReplace:
      return row({{Target::Relation, kAccessExclusive}, {Target::Index, kAccessExclusive}});
    // The same with CONCURRENTLY: ShareUpdateExclusiveLock on both, then
    // index_drop waits for every transaction using the index;
    // PreventInTransactionBlock.
    case Statement::DropIndexConcurrently:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive},
                  {Target::Index, LockMode::ShareUpdateExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Concurrent, {Hazard::DataLoss}, false);
    case Statement::DropIndexConcurrentlyToReplace:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive},
                  {Target::Index, LockMode::ShareUpdateExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Concurrent, {}, false);
    // Dropped a step before a routine it calls is dropped and built again
    // after: queries go without it (a unique one enforces nothing) in
    // between.
    case Statement::DropIndexToCreateAgain:
      return row({{Target::Relation, kAccessExclusive}, {Target::Index, kAccessExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::DependentRecreated});
    case Statement::DropIndexConcurrentlyToCreateAgain:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive},
                  {Target::Index, LockMode::ShareUpdateExclusive}},
                 DurationClass::CatalogOnly, TimeoutClass::Concurrent,
                 {Hazard::DependentRecreated}, false);

    // -----------------------------------------------------------------------
    // Triggers.
    // -----------------------------------------------------------------------
    // [trigger] CreateTrigger opens the table ShareRowExclusiveLock; [mvcc]
    // "Acquired by CREATE TRIGGER". OR REPLACE (PostgreSQL 14+) the same.
    case Statement::CreateTrigger:
    case Statement::CreateOrReplaceTrigger:
      return row({{Target::Relation, LockMode::ShareRowExclusive}});
    // [trigger] RemoveTriggerById: AccessExclusiveLock on the table.
    case Statement::DropTrigger:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});
    // Dropped to be created again in the same step (before PostgreSQL 14).
    case Statement::DropTriggerToReplace:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] AT_EnableTrig, AT_EnableAlwaysTrig, AT_EnableReplicaTrig,
    // AT_DisableTrig: ShareRowExclusiveLock; catalog only (tgenabled). The
    // trigger fires in the sessions it fired in and more, or it is the one
    // the same step creates.
    case Statement::SetTriggerFiring:
      return row({{Target::Relation, LockMode::ShareRowExclusive}});
    // It stops firing in sessions it fired in (DISABLE; REPLICA from origin
    // or always; origin from always): what it did there is no longer done.
    case Statement::NarrowTriggerFiring:
      return row({{Target::Relation, LockMode::ShareRowExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});

    // -----------------------------------------------------------------------
    // Row-level security.
    // -----------------------------------------------------------------------
    // [policy] CreatePolicy, AlterPolicy and rename_policy open the table
    // AccessExclusiveLock (RangeVarGetRelidExtended / table_open); catalog
    // only. A policy's expressions are parsed: the tables they read get
    // ACCESS SHARE, not listed.
    case Statement::CreatePolicy:
    case Statement::AlterPolicy:
    case Statement::RenamePolicy:
      return row({{Target::Relation, kAccessExclusive}});
    // [policy] RemovePolicyById: AccessExclusiveLock on the table. A
    // permissive policy dropped narrows access (fewer rows pass); the
    // definition is gone.
    case Statement::DropPolicy:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});
    // A restrictive policy dropped lets through every row it held back.
    case Statement::DropRestrictivePolicy:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss, Hazard::AccessWidened});
    // Dropped to be created again in the same transaction (a changed command
    // or kind, which ALTER POLICY cannot change): no session sees the gap.
    case Statement::DropPolicyToReplace:
      return row({{Target::Relation, kAccessExclusive}});
    // Dropped a step before a routine it calls is dropped and created again
    // after: in between, the rows a permissive policy lets through do not
    // pass, and those a restrictive one holds back do.
    case Statement::DropPolicyToCreateAgain:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DependentRecreated});
    case Statement::DropRestrictivePolicyToCreateAgain:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DependentRecreated, Hazard::AccessWidened});
    // [tablecmds] AT_EnableRowSecurity, AT_DisableRowSecurity,
    // AT_ForceRowSecurity, AT_NoForceRowSecurity: AccessExclusiveLock;
    // catalog only (relrowsecurity, relforcerowsecurity).
    case Statement::EnableRowSecurity:
    case Statement::ForceRowSecurity:
      return row({{Target::Relation, kAccessExclusive}});
    // The policies stop applying (to anyone; to the owner): every row reaches
    // every role with the table privileges.
    case Statement::DisableRowSecurity:
    case Statement::NoForceRowSecurity:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::AccessWidened});

    // -----------------------------------------------------------------------
    // Views and materialized views.
    // -----------------------------------------------------------------------
    // [view] DefineView -> DefineVirtualRelation: CREATE OR REPLACE on an
    // existing view opens it AccessExclusiveLock.
    case Statement::ReplaceView:
      return row({{Target::Relation, kAccessExclusive}});
    // [tablecmds] RemoveRelations: AccessExclusiveLock.
    case Statement::DropView:
    case Statement::DropMaterializedView:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DataLoss});
    // [tablecmds] RenameRelation: AccessExclusiveLock on the view, from
    // renamed_from. Views, rules and SQL-standard bodies that use it follow
    // by OID; queries (and plpgsql bodies) naming the old one fail.
    case Statement::RenameView:
    case Statement::RenameMaterializedView:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // [alter] ALTER VIEW / MATERIALIZED VIEW ... SET SCHEMA: AlterTableNamespace,
    // AccessExclusiveLock on the view; a materialized view's indexes move with
    // it (AlterTableNamespaceInternal). What uses it follows by OID; queries
    // naming the old qualified name fail.
    case Statement::SetViewSchema:
    case Statement::SetMaterializedViewSchema:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::Rename});
    // The view expand left under a renamed table's old name (RenameTableBehindView):
    // the table it shows stays under its new name; what still uses the old
    // name fails, which is what the deploy before contract is for.
    case Statement::DropCompatibilityView:
    // Dropped to be created again in the same transaction (around a
    // routine's drop, fuse_routine_dependents): no session sees it missing.
    case Statement::DropViewToReplace:
      return row({{Target::Relation, kAccessExclusive}});
    // The same, recreated by a later step of the plan: queries on it fail
    // in between.
    case Statement::DropViewToRecreate:
    case Statement::DropMaterializedViewToRecreate:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::DependentRecreated});
    // CREATE MATERIALIZED VIEW runs its query (ExecCreateTableAs) under ACCESS
    // SHARE on the tables it reads: reads and writes go on.
    case Statement::CreateMaterializedView:
      return row({}, DurationClass::OnlineScan);

    // -----------------------------------------------------------------------
    // Comments: [comment] CommentObject resolves its target with
    // get_object_address(..., ShareUpdateExclusiveLock).
    // -----------------------------------------------------------------------
    // COMMENT ON TABLE/VIEW/MATERIALIZED VIEW/SEQUENCE: the relation.
    case Statement::CommentOnRelation:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}});
    // COMMENT ON INDEX: the index, not its table.
    case Statement::CommentOnIndex:
      return row({{Target::Index, LockMode::ShareUpdateExclusive}});
    // COMMENT ON COLUMN / CONSTRAINT ... ON / TRIGGER ... ON / POLICY ... ON: the table
    // (get_object_address_attribute, get_object_address_relobject).
    case Statement::CommentOnTableMember:
      return row({{Target::Relation, LockMode::ShareUpdateExclusive}});

    // -----------------------------------------------------------------------
    // Privileges: [aclchk] ExecuteGrantStmt -> objectNamesToOids resolves a
    // relation with RangeVarGetRelid(..., NoLock) and other objects with no
    // lock; the ACL is a catalog row update (pg_class, pg_attribute, pg_proc,
    // pg_type, pg_namespace). No relation lock, so no lock_timeout wait;
    // pg_locks shows only an ACCESS SHARE on the grantee's pg_authid entry.
    // Checked against: 15.
    // -----------------------------------------------------------------------
    // GRANT on an object that exists before the plan (or giving back a
    // default that was revoked): roles reach what they could not.
    case Statement::GrantPrivileges:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::AccessWidened});
    // REVOKE (or REVOKE GRANT OPTION FOR) on an object that exists before the
    // plan: whoever used the privilege (the application) gets "permission
    // denied". Not data_loss: nothing is gone that a GRANT does not restore.
    case Statement::RevokePrivileges:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::AccessNarrowed});
    // The same for a grant another role made (a holder of WITH GRANT OPTION
    // passing it on): `SET LOCAL ROLE grantor; REVOKE ...; RESET ROLE`.
    // [aclchk] ExecGrant_* revoke only the entries whose grantor
    // select_best_grantor picks for the current user: the owner for the
    // owner, a superuser or a member of the owner, else the user itself when
    // it holds the grant option; `REVOKE ... GRANTED BY` names only the
    // current user ("grantor must be current user", 14 to 18; a syntax error
    // before 14). SET ROLE ([variable] check_role) needs the session user to
    // be a member of the role (with the SET option on 16+); no lock.
    // Checked against: 11, 15, 18.
    case Statement::RevokeAsGrantor:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::AccessNarrowed});
    // The same on an object the plan creates or creates again, in the step
    // that creates it: nobody held anything on it before, and no session sees
    // it with other privileges.
    case Statement::GrantOnCreated:
    case Statement::RevokeOnCreated:
      return row({});

    // -----------------------------------------------------------------------
    // Default privileges: [aclchk] ExecAlterDefaultPrivilegesStmt ->
    // SetDefaultACL updates, inserts or deletes one pg_default_acl row (its
    // ROW EXCLUSIVE on that catalog is no user relation's lock); the schema
    // is looked up by name without a lock. No relation lock.
    // Checked against: 11, 15.
    // -----------------------------------------------------------------------
    // ALTER DEFAULT PRIVILEGES ... GRANT: every object the role creates
    // later (in the schema) is open to the grantee.
    case Statement::AlterDefaultPrivilegesGrant:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::AccessWidened});
    // ALTER DEFAULT PRIVILEGES ... REVOKE: objects created later lack what
    // the application may expect of them (existing objects keep theirs).
    case Statement::AlterDefaultPrivilegesRevoke:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog, {Hazard::AccessNarrowed});

    // -----------------------------------------------------------------------
    // Owners (with manage_owners). The new owner gains every right on the
    // object (an owner's are implicit and include DROP and ALTER), the old
    // one loses its implicit rights (the server rewrites ACL entries naming
    // it, aclnewowner): access_widened and access_narrowed.
    // Checked against: 11, 15.
    // -----------------------------------------------------------------------
    // ALTER TABLE / VIEW / MATERIALIZED VIEW / SEQUENCE ... OWNER TO:
    // [tablecmds] AT_ChangeOwner: AccessExclusiveLock; ATExecChangeOwner
    // takes the same on the table's indexes and owned sequences (they follow
    // it). ALTER TYPE of a composite type: [typecmds] AlterTypeOwner calls
    // ATExecChangeOwner on its pg_class entry with AccessExclusiveLock. An
    // unchanged owner takes nothing; a changed one is a catalog update.
    case Statement::AlterRelationOwner:
      return row({{Target::Relation, kAccessExclusive}}, DurationClass::CatalogOnly,
                 TimeoutClass::Catalog, {Hazard::AccessWidened, Hazard::AccessNarrowed});
    // ALTER SCHEMA / FUNCTION / PROCEDURE / DOMAIN / TYPE (an enum) ...
    // OWNER TO: [alter] ExecAlterOwnerStmt -> AlterObjectOwner_internal,
    // [schemacmds] AlterSchemaOwner, [typecmds] AlterTypeOwner: a catalog row
    // update, no relation lock.
    case Statement::AlterObjectOwner:
      return row({}, DurationClass::CatalogOnly, TimeoutClass::Catalog,
                 {Hazard::AccessWidened, Hazard::AccessNarrowed});
    // OWNER TO in the step that creates the object: nobody held anything on
    // it, and no session sees it with another owner (a relation the step
    // creates blocks nobody).
    case Statement::OwnerOnCreated:
      return row({});
  }
  return row({{Target::Relation, kAccessExclusive}});
}

StatementRow statement_row(Statement statement, int version, bool populated) {
  StatementRow row = statement_row(statement, version);
  const bool scans =
      row.duration == DurationClass::BlockingScan || row.duration == DurationClass::Rewrite;
  if (scans && !populated) {
    row.duration = DurationClass::CatalogOnly;
    row.timeout = TimeoutClass::Catalog;
    row.hazards.erase(std::remove_if(row.hazards.begin(), row.hazards.end(),
                                     [](Hazard hazard) {
                                       return hazard == Hazard::TableRewrite ||
                                              hazard == Hazard::AccessExclusiveScan;
                                     }),
                      row.hazards.end());
  }
  return row;
}

bool table_populated(const schemas::TableStats& stats) {
  // Asked of the table itself (catalog::has_rows): the statistics can lag.
  if (stats.has_rows) return *stats.has_rows;
  // reltuples -1 (PostgreSQL 14+) means never analyzed or vacuumed: a table
  // bulk-loaded a moment ago looks like that, so it proves nothing. Before
  // 14 such a table shows 0 and cannot be told from an empty one.
  return !(stats.reltuples == 0 && stats.relpages == 0);
}

bool type_change_without_rewrite(const std::string& from, const std::string& to,
                                 const schemas::CatalogFacts& facts) {
  for (const auto& [source, target] : facts.binary_coercible_casts) {
    if (normalize_type(source) == from && normalize_type(target) == to) return true;
  }
  const TypeParts old_type = split_type(from);
  const TypeParts new_type = split_type(to);
  if (old_type.array != new_type.array) return false;
  const bool old_string = old_type.name == "character varying" || old_type.name == "text";
  if (old_string && new_type.name == "text") return true;
  if (old_string && new_type.name == "character varying") {
    return new_type.modifiers.empty() || (old_type.name == "character varying" &&
                                          modifiers_widen(old_type.modifiers, new_type.modifiers));
  }
  if (old_type.name != new_type.name) return false;
  if (old_type.name == "numeric") {
    if (new_type.modifiers.empty()) return true;
    return old_type.modifiers.size() == 2 && new_type.modifiers.size() == 2 &&
           new_type.modifiers[1] == old_type.modifiers[1] &&
           new_type.modifiers[0] >= old_type.modifiers[0];
  }
  if (old_type.name == "bit varying" || old_type.name == "timestamp with time zone" ||
      old_type.name == "timestamp without time zone" || old_type.name == "time with time zone" ||
      old_type.name == "time without time zone" || old_type.name == "interval") {
    return modifiers_widen(old_type.modifiers, new_type.modifiers);
  }
  return false;
}

}  // namespace pgshift::planner
