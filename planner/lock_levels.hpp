// Which lock each statement pgshift emits takes. All lock-mode decisions of the
// planner are made here only (as AlterTableGetLockLevel in tablecmds.c does
// for ALTER TABLE); the rules ask, they never spell a mode themselves.
#pragma once

#include <optional>

#include "plans/plan.hpp"

namespace pgshift::planner {

// Every relation-level statement the planner emits. Names follow tablecmds.c's
// AlterTableType (AT_AddColumn, ...) where one exists.
enum class AlterAction {
  AddColumn,           // ADD COLUMN (any default; rewrite decided by the rules)
  DropColumn,          // DROP COLUMN
  AlterColumnType,     // ALTER COLUMN TYPE
  ColumnDefault,       // ALTER COLUMN SET/DROP DEFAULT
  SetNotNull,          // ALTER COLUMN SET NOT NULL
  DropNotNull,         // ALTER COLUMN DROP NOT NULL
  IdentityColumn,      // ADD/SET/DROP IDENTITY
  AddConstraint,       // ADD CONSTRAINT CHECK / PRIMARY KEY / UNIQUE (own index)
  AddIndexConstraint,  // ADD CONSTRAINT ... USING INDEX
  AddForeignKey,       // ADD CONSTRAINT FOREIGN KEY [NOT VALID]
  ValidateConstraint,  // VALIDATE CONSTRAINT (CHECK)
  ValidateForeignKey,  // VALIDATE CONSTRAINT (FOREIGN KEY)
  DropConstraint,      // DROP CONSTRAINT (CHECK, PRIMARY KEY, UNIQUE)
  DropForeignKey,      // DROP CONSTRAINT (FOREIGN KEY)
  RenameRelation,      // ALTER TABLE/VIEW RENAME TO
  RenameColumn,        // ALTER TABLE RENAME COLUMN
  RenameIndex,         // ALTER INDEX RENAME TO
  RenameConstraint,    // ALTER TABLE RENAME CONSTRAINT
  ReplicaIdentity,     // REPLICA IDENTITY
  Comment,             // COMMENT ON TABLE/COLUMN/INDEX/...
  CreatePartitionOf,   // CREATE TABLE ... PARTITION OF parent
  AttachPartition,     // ALTER TABLE parent ATTACH PARTITION
  DropTable,           // DROP TABLE
  CreateIndex,         // CREATE INDEX
  CreateIndexConcurrently,
  DropIndex,  // DROP INDEX
  DropIndexConcurrently,
  CreateTrigger,  // CREATE [OR REPLACE] TRIGGER
  DropTrigger,    // DROP TRIGGER
  ReplaceView,    // CREATE OR REPLACE VIEW on an existing view
  DropView,       // DROP VIEW / DROP MATERIALIZED VIEW
};

struct LockRequirement {
  plans::LockMode mode;  // on the table the statement names
  // On the other relation the statement touches: the referenced table of a
  // foreign key, the parent of a partition.
  std::optional<plans::LockMode> other_mode;
};

// The locks `action` takes on a server of version `server_version_num`.
LockRequirement lock_requirement(AlterAction action, int server_version_num);

}  // namespace pgshift::planner
