#include "planner/lock_levels.hpp"

namespace pgshift::planner {

// Sources, cited per group:
//   [tablecmds]  src/backend/commands/tablecmds.c, AlterTableGetLockLevel and
//                the AT_* case named in the comment;
//   [alter]      doc/src/sgml/ref/alter_table.sgml (ALTER TABLE reference);
//   [index]      doc/src/sgml/ref/create_index.sgml, drop_index.sgml;
//   [mvcc]       doc/src/sgml/mvcc.sgml, "Table-Level Locks" (which command
//                takes which mode).
// Checked against the documentation of PostgreSQL 10 to 17; rows that changed
// between releases say so and use `version`.
LockRequirement lock_requirement(AlterAction action, int version) {
  using plans::LockMode;
  switch (action) {
    // Change the table's row format or what every query sees: ACCESS EXCLUSIVE.
    // [tablecmds] AT_AddColumn, AT_DropColumn, AT_AlterColumnType,
    // AT_ColumnDefault ("change the defaults ... requires AccessExclusiveLock"),
    // AT_SetNotNull, AT_DropNotNull, AT_AddIdentity/AT_SetIdentity/AT_DropIdentity,
    // AT_ReplicaIdentity; [alter] "An ACCESS EXCLUSIVE lock is acquired unless
    // explicitly noted".
    case AlterAction::AddColumn:
    case AlterAction::DropColumn:
    case AlterAction::AlterColumnType:
    case AlterAction::ColumnDefault:
    case AlterAction::SetNotNull:
    case AlterAction::DropNotNull:
    case AlterAction::IdentityColumn:
    case AlterAction::ReplicaIdentity:
      return {LockMode::AccessExclusive, std::nullopt};
    // [tablecmds] AT_AddConstraint (CONSTR_CHECK, CONSTR_PRIMARY, CONSTR_UNIQUE)
    // and AT_AddIndexConstraint: AccessExclusiveLock.
    case AlterAction::AddConstraint:
    case AlterAction::AddIndexConstraint:
      return {LockMode::AccessExclusive, std::nullopt};
    // [tablecmds] AT_AddConstraint / CONSTR_FOREIGN: "add triggers to both
    // tables ... ShareRowExclusiveLock" on the table and the referenced table;
    // [alter] "ADD FOREIGN KEY requires only a SHARE ROW EXCLUSIVE lock on the
    // referenced table" (and the same on the altered table).
    case AlterAction::AddForeignKey:
      return {LockMode::ShareRowExclusive, LockMode::ShareRowExclusive};
    // [tablecmds] AT_ValidateConstraint: ShareUpdateExclusiveLock; [alter]
    // VALIDATE CONSTRAINT "acquires only a SHARE UPDATE EXCLUSIVE lock".
    case AlterAction::ValidateConstraint:
      return {LockMode::ShareUpdateExclusive, std::nullopt};
    // [alter] "If the constraint is a foreign key then a ROW SHARE lock is also
    // required on the table referenced by the constraint."
    case AlterAction::ValidateForeignKey:
      return {LockMode::ShareUpdateExclusive, LockMode::RowShare};
    // [tablecmds] AT_DropConstraint: AccessExclusiveLock.
    case AlterAction::DropConstraint:
      return {LockMode::AccessExclusive, std::nullopt};
    // Dropping a foreign key removes its triggers from the referenced table
    // too: RemoveConstraintById (pg_constraint.c) opens it AccessExclusiveLock.
    case AlterAction::DropForeignKey:
      return {LockMode::AccessExclusive, LockMode::AccessExclusive};
    // [tablecmds] RenameRelation, renameatt: AccessExclusiveLock.
    case AlterAction::RenameRelation:
    case AlterAction::RenameColumn:
      return {LockMode::AccessExclusive, std::nullopt};
    // [alter] ALTER INDEX RENAME takes SHARE UPDATE EXCLUSIVE from PostgreSQL
    // 12 (RenameRelation with is_index); ACCESS EXCLUSIVE before.
    case AlterAction::RenameIndex:
      return {version >= 120000 ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive,
              std::nullopt};
    // [tablecmds] RenameConstraint opens the table AccessExclusiveLock; the
    // index of a PRIMARY KEY or UNIQUE constraint is renamed with it.
    case AlterAction::RenameConstraint:
      return {LockMode::AccessExclusive, std::nullopt};
    // CommentObject (comment.c) locks the object ShareUpdateExclusiveLock.
    case AlterAction::Comment:
      return {LockMode::ShareUpdateExclusive, std::nullopt};
    // CREATE TABLE ... PARTITION OF: the parent is locked AccessExclusiveLock
    // (DefineRelation); doc/src/sgml/ddl.sgml recommends CREATE + ATTACH.
    case AlterAction::CreatePartitionOf:
      return {LockMode::AccessExclusive, LockMode::AccessExclusive};
    // [alter] ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on the parent from
    // PostgreSQL 12 (ACCESS EXCLUSIVE before), ACCESS EXCLUSIVE on the partition.
    case AlterAction::AttachPartition:
      return {LockMode::AccessExclusive,
              version >= 120000 ? LockMode::ShareUpdateExclusive : LockMode::AccessExclusive};
    // [mvcc] DROP TABLE: ACCESS EXCLUSIVE (on the parent too for a partition).
    case AlterAction::DropTable:
      return {LockMode::AccessExclusive, LockMode::AccessExclusive};
    // [index] [mvcc] CREATE INDEX takes SHARE (blocks writes); CONCURRENTLY
    // takes SHARE UPDATE EXCLUSIVE; DROP INDEX takes ACCESS EXCLUSIVE on the
    // table, CONCURRENTLY SHARE UPDATE EXCLUSIVE.
    case AlterAction::CreateIndex:
      return {LockMode::Share, std::nullopt};
    case AlterAction::CreateIndexConcurrently:
    case AlterAction::DropIndexConcurrently:
      return {LockMode::ShareUpdateExclusive, std::nullopt};
    case AlterAction::DropIndex:
      return {LockMode::AccessExclusive, std::nullopt};
    // [mvcc] CREATE TRIGGER: SHARE ROW EXCLUSIVE; DROP TRIGGER (RemoveTriggerById):
    // ACCESS EXCLUSIVE.
    case AlterAction::CreateTrigger:
      return {LockMode::ShareRowExclusive, std::nullopt};
    case AlterAction::DropTrigger:
      return {LockMode::AccessExclusive, std::nullopt};
    // CREATE OR REPLACE VIEW and DROP [MATERIALIZED] VIEW lock the view
    // AccessExclusiveLock (DefineView, RemoveRelations).
    case AlterAction::ReplaceView:
    case AlterAction::DropView:
      return {LockMode::AccessExclusive, std::nullopt};
  }
  return {LockMode::AccessExclusive, std::nullopt};
}

}  // namespace pgshift::planner
