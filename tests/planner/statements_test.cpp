// The statement table (planner/statements.cpp) without a server: every
// statement that removes data or a definition carries data_loss, and the
// rows whose modes are easy to get wrong say what the server does.
#include "planner/statements.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <set>
#include <string>

using pgshift::planner::kAllStatements;
using pgshift::planner::Statement;
using pgshift::planner::statement_name;
using pgshift::planner::statement_row;
using pgshift::planner::Target;
using pgshift::plans::Hazard;
using pgshift::plans::LockMode;

namespace {

// What each statement takes away for good, decided here, independently of
// the table: a switch without default, so a new statement kind does not
// compile until someone says whether it removes something.
bool removes_data_or_definition(Statement statement) {
  switch (statement) {
    case Statement::DropSchema:
    case Statement::DropExtension:
    case Statement::AlterCompositeTypeDropAttribute:
    case Statement::DropType:
    case Statement::AlterDomainDropConstraint:
    case Statement::DropDomain:
    case Statement::DropSequence:
    case Statement::DropFunction:
    case Statement::DropTable:
    case Statement::DropIdentity:  // the identity sequence and its position
    case Statement::DropColumn:
    case Statement::DropConstraint:
    case Statement::DropForeignKey:
    case Statement::DropIndex:
    case Statement::DropIndexConcurrently:
    case Statement::DropTrigger:
    case Statement::DropPolicy:
    case Statement::DropRestrictivePolicy:
    case Statement::DropView:
    case Statement::DropMaterializedView:
    // The trigger stops firing in sessions it fired in: what it did there
    // (an audit row, a derived value) is no longer done, as with its drop.
    case Statement::NarrowTriggerFiring:
      return true;
    // Dropped to be created again under the same name, in the same step or
    // (an index, a view) by a later step of the same plan: the definition
    // is replaced, not removed. A view dropped to be recreated carries
    // dependent_recreated instead.
    case Statement::AlterDomainDropConstraintToReplace:
    case Statement::DropFunctionToReplace:
    case Statement::DropConstraintToReplace:
    case Statement::DropForeignKeyToReplace:
    case Statement::DropIndexToReplace:
    case Statement::DropIndexConcurrentlyToReplace:
    // The old enum, every value converted to its replacement (a value the
    // new type lacks fails the step: enum_value_removal).
    case Statement::DropEnumReplaced:
    // A generated column added again in the same ALTER TABLE, computed anew.
    case Statement::DropGeneratedColumnToAddAgain:
    case Statement::DropTriggerToReplace:
    case Statement::DropPolicyToReplace:
    case Statement::DropViewToRecreate:
    case Statement::DropViewToReplace:
    // The view expand left under a renamed table's old name: the table stays.
    case Statement::DropCompatibilityView:
    case Statement::DropMaterializedViewToRecreate:
    // A default set again by a later step (dependent_recreated); the same
    // of CHECKs, indexes and policies around a routine's drop.
    case Statement::DropDefaultToSetAgain:
    case Statement::DropDefaultToReplace:
    case Statement::DropConstraintToAddAgain:
    // The CHECK added for ATTACH PARTITION to skip its scan: the partition
    // constraint holds the same rule once attached.
    case Statement::DropAttachCheck:
    case Statement::DropIndexToCreateAgain:
    case Statement::DropIndexConcurrentlyToCreateAgain:
    case Statement::DropPolicyToCreateAgain:
    case Statement::DropRestrictivePolicyToCreateAgain:
    // Relaxations: the object stays, new rows are merely allowed more.
    case Statement::DropDefault:
    case Statement::DropNotNull:
    case Statement::AlterDomainDropNotNull:
    // A generated column becomes a plain one and keeps its stored values.
    case Statement::DropExpression:
    // The policies stop applying; they are kept (access_widened says what
    // changes).
    case Statement::DisableRowSecurity:
    case Statement::NoForceRowSecurity:
    // Persistence and storage parameters change how rows are kept, not which.
    case Statement::SetLogged:
    case Statement::SetUnlogged:
    case Statement::SetStorageParameters:
    case Statement::SetStorageParametersExclusive:
    // Column storage settings change how values are kept, not which.
    case Statement::SetColumnStorage:
    case Statement::SetColumnCompression:
    case Statement::SetColumnStatistics:
    case Statement::AddExclusionConstraint:
    // The partition's rows leave the parent's scans but stay in the table.
    case Statement::DetachPartition:
    case Statement::DetachPartitionConcurrently:
    case Statement::DetachPartitionConcurrentlyReferenced:
    case Statement::DetachPartitionFinalize:
    // Fires in the sessions it did and more, or the trigger is new.
    case Statement::SetTriggerFiring:
      return false;
    case Statement::CreateSchema:
    case Statement::CreateExtension:
    case Statement::AlterExtensionSetSchema:
    case Statement::AlterExtensionUpdate:
    case Statement::CreateEnum:
    case Statement::AlterEnumAddValue:
    case Statement::CreateCompositeType:
    case Statement::AlterCompositeType:
    case Statement::CreateDomain:
    case Statement::AlterDomainDefault:
    case Statement::AlterDomainSetNotNull:
    case Statement::AlterDomainAddConstraintNotValid:
    case Statement::AlterDomainValidateConstraint:
    case Statement::CreateSequence:
    case Statement::AlterSequence:
    case Statement::AlterSequenceOwnedBy:
    case Statement::CreateOrReplaceFunction:
    case Statement::CreateTable:
    case Statement::CreateTableLike:
    case Statement::CreatePartitionOf:
    case Statement::AttachPartition:
    case Statement::AttachPartitionWithDefault:
    case Statement::AttachPartitionScanning:
    case Statement::RenameTable:
    case Statement::RenameTableBehindView:
    case Statement::SetTableSchema:
    case Statement::ReplicaIdentity:
    case Statement::AddColumn:
    case Statement::AddColumnRewrite:
    case Statement::RenameColumn:
    case Statement::RenameColumnIntoPlace:
    case Statement::AlterColumnType:
    case Statement::AlterColumnTypeRewrite:
    case Statement::SetDefault:
    case Statement::SetNotNull:
    case Statement::SetNotNullProvedByCheck:
    case Statement::AddIdentity:
    case Statement::SetIdentityGeneration:
    case Statement::SetIdentityOptions:
    case Statement::SetSequenceValue:
    case Statement::RenameSequenceIntoPlace:
    // Renames from renamed_from: the object and what it holds stay, under
    // the new name (rename).
    case Statement::RenameSequence:
    case Statement::RenameView:
    case Statement::RenameMaterializedView:
    case Statement::SetSequenceSchema:
    case Statement::SetViewSchema:
    case Statement::SetMaterializedViewSchema:
    case Statement::RenameEnumValue:
    case Statement::BackfillBatch:
    case Statement::AddCheck:
    case Statement::AddCheckNotValid:
    case Statement::AddDefaultPartitionCheckNotValid:
    case Statement::AddKey:
    case Statement::AddKeyUsingIndex:
    case Statement::AddForeignKey:
    case Statement::AddForeignKeyNotValid:
    case Statement::ValidateCheck:
    case Statement::ValidateForeignKey:
    case Statement::RenameConstraint:
    case Statement::CreateIndex:
    case Statement::CreateIndexConcurrently:
    case Statement::CreateIndexOnOnly:
    case Statement::RenameTypeToReplace:
    case Statement::AddKeyAttachingPartitions:
    case Statement::AddForeignKeyAttachingPartitions:
    case Statement::AttachPartitionIndex:
    case Statement::RenameIndex:
    case Statement::CreateTrigger:
    case Statement::CreateOrReplaceTrigger:
    case Statement::CreatePolicy:
    case Statement::AlterPolicy:
    case Statement::RenamePolicy:
    case Statement::EnableRowSecurity:
    case Statement::ForceRowSecurity:
    case Statement::CreateView:
    case Statement::ReplaceView:
    case Statement::CreateMaterializedView:
    case Statement::CommentOnObject:
    case Statement::CommentOnRelation:
    case Statement::CommentOnIndex:
    case Statement::CommentOnTableMember:
    case Statement::GrantPrivileges:
    case Statement::RevokePrivileges:  // a GRANT restores what it takes
    case Statement::RevokeAsGrantor:   // its grantor's GRANT restores it
    case Statement::GrantOnCreated:
    case Statement::RevokeOnCreated:
    case Statement::AlterDefaultPrivilegesGrant:
    case Statement::AlterDefaultPrivilegesRevoke:  // a GRANT restores what it takes
    case Statement::AlterRelationOwner:  // OWNER TO the old owner restores it
    case Statement::AlterObjectOwner:
    case Statement::OwnerOnCreated:
      return false;
  }
  return true;
}

bool has(const std::vector<Hazard>& hazards, Hazard hazard) {
  return std::find(hazards.begin(), hazards.end(), hazard) != hazards.end();
}

LockMode mode_on(Statement statement, Target target, int version) {
  for (const auto& lock : statement_row(statement, version).locks) {
    if (lock.target == target) return lock.mode;
  }
  FAIL("no lock on that target");
  return LockMode::AccessShare;
}

const int kVersions[] = {110000, 120000, 130000, 140000, 150000, 160000, 170000, 180000};

}  // namespace

TEST_CASE("every statement that removes data or a definition carries data_loss on every version",
          "[planner][statements]") {
  int removing = 0;
  for (const Statement statement : kAllStatements) {
    if (!removes_data_or_definition(statement)) continue;
    ++removing;
    for (const int version : kVersions) {
      INFO(statement_name(statement) << " on " << version);
      CHECK(has(statement_row(statement, version).hazards, Hazard::DataLoss));
    }
  }
  CHECK(removing >= 18);
}

TEST_CASE("a statement that only replaces a definition carries no data_loss",
          "[planner][statements]") {
  for (const Statement statement : kAllStatements) {
    const std::string name = statement_name(statement);
    const bool replaces = name.find("to_replace") != std::string::npos ||
                          name.find("to_recreate") != std::string::npos;
    if (!replaces) continue;
    INFO(name);
    CHECK_FALSE(has(statement_row(statement, 150000).hazards, Hazard::DataLoss));
    CHECK_FALSE(removes_data_or_definition(statement));
  }
}

TEST_CASE("every statement kind has a distinct name", "[planner][statements]") {
  std::set<std::string> names;
  for (const Statement statement : kAllStatements) names.insert(statement_name(statement));
  CHECK(names.size() == std::size(kAllStatements));
}

TEST_CASE("adding a foreign key locks both tables SHARE ROW EXCLUSIVE", "[planner][locks]") {
  CHECK(mode_on(Statement::AddForeignKeyNotValid, Target::Relation, 150000) ==
        LockMode::ShareRowExclusive);
  CHECK(mode_on(Statement::AddForeignKeyNotValid, Target::Referenced, 150000) ==
        LockMode::ShareRowExclusive);
}

TEST_CASE("validating a foreign key takes ROW SHARE on the referenced table", "[planner][locks]") {
  CHECK(mode_on(Statement::ValidateForeignKey, Target::Relation, 150000) ==
        LockMode::ShareUpdateExclusive);
  CHECK(mode_on(Statement::ValidateForeignKey, Target::Referenced, 150000) == LockMode::RowShare);
}

TEST_CASE("dropping a foreign key to replace it locks both tables ACCESS EXCLUSIVE",
          "[planner][locks]") {
  CHECK(mode_on(Statement::DropForeignKeyToReplace, Target::Relation, 150000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::DropForeignKeyToReplace, Target::Referenced, 150000) ==
        LockMode::AccessExclusive);
}

TEST_CASE("concurrent index builds and drops take SHARE UPDATE EXCLUSIVE outside a transaction",
          "[planner][locks]") {
  for (const Statement statement :
       {Statement::CreateIndexConcurrently, Statement::DropIndexConcurrently}) {
    CHECK(mode_on(statement, Target::Relation, 150000) == LockMode::ShareUpdateExclusive);
    CHECK_FALSE(statement_row(statement, 150000).transactional);
  }
  CHECK(mode_on(Statement::CreateIndex, Target::Relation, 150000) == LockMode::Share);
}

TEST_CASE("renaming an index takes a weaker lock from PostgreSQL 12", "[planner][locks]") {
  CHECK(mode_on(Statement::RenameIndex, Target::Index, 110000) == LockMode::AccessExclusive);
  CHECK(mode_on(Statement::RenameIndex, Target::Index, 120000) == LockMode::ShareUpdateExclusive);
}

TEST_CASE("attaching a partition locks the parent SHARE UPDATE EXCLUSIVE from 12",
          "[planner][locks]") {
  CHECK(mode_on(Statement::AttachPartition, Target::PartitionParent, 110000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::AttachPartition, Target::PartitionParent, 120000) ==
        LockMode::ShareUpdateExclusive);
}

TEST_CASE("attaching beside a default partition locks the default partition ACCESS EXCLUSIVE",
          "[planner][locks]") {
  CHECK(mode_on(Statement::AttachPartitionWithDefault, Target::DefaultPartition, 150000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::AttachPartitionWithDefault, Target::PartitionParent, 110000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::AttachPartitionWithDefault, Target::PartitionParent, 120000) ==
        LockMode::ShareUpdateExclusive);
}

TEST_CASE("a plain detach locks the parent ACCESS EXCLUSIVE and the partition more from 14",
          "[planner][locks]") {
  CHECK(mode_on(Statement::DetachPartition, Target::PartitionParent, 110000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::DetachPartition, Target::Relation, 130000) ==
        LockMode::ShareUpdateExclusive);
  CHECK(mode_on(Statement::DetachPartition, Target::Relation, 140000) ==
        LockMode::AccessExclusive);
  CHECK(mode_on(Statement::DetachPartitionConcurrently, Target::PartitionParent, 140000) ==
        LockMode::ShareUpdateExclusive);
  CHECK_FALSE(statement_row(Statement::DetachPartitionConcurrently, 140000).transactional);
}

TEST_CASE("validating a domain constraint locks every table using the domain SHARE",
          "[planner][locks]") {
  CHECK(mode_on(Statement::AlterDomainValidateConstraint, Target::TablesUsingDomain, 150000) ==
        LockMode::Share);
  CHECK(mode_on(Statement::AlterDomainSetNotNull, Target::TablesUsingDomain, 150000) ==
        LockMode::Share);
}

TEST_CASE("altering a sequence blocks nextval with SHARE ROW EXCLUSIVE", "[planner][locks]") {
  CHECK(mode_on(Statement::AlterSequence, Target::Relation, 150000) == LockMode::ShareRowExclusive);
}

TEST_CASE("ADD VALUE runs in a transaction from PostgreSQL 12 only", "[planner][statements]") {
  CHECK_FALSE(statement_row(Statement::AlterEnumAddValue, 110000).transactional);
  CHECK(has(statement_row(Statement::AlterEnumAddValue, 110000).hazards, Hazard::NonTransactional));
  CHECK(statement_row(Statement::AlterEnumAddValue, 120000).transactional);
}

TEST_CASE("loosening row-level security carries access_widened, tightening it does not",
          "[planner][statements]") {
  for (const int version : kVersions) {
    INFO(version);
    for (const Statement statement :
         {Statement::DisableRowSecurity, Statement::NoForceRowSecurity,
          Statement::DropRestrictivePolicy, Statement::DropRestrictivePolicyToCreateAgain}) {
      CHECK(has(statement_row(statement, version).hazards, Hazard::AccessWidened));
    }
    // A permissive policy dropped lets fewer rows through; replaced in one
    // transaction, nothing is seen without it.
    for (const Statement statement :
         {Statement::EnableRowSecurity, Statement::ForceRowSecurity, Statement::CreatePolicy,
          Statement::AlterPolicy, Statement::DropPolicy, Statement::DropPolicyToReplace,
          Statement::DropPolicyToCreateAgain}) {
      CHECK_FALSE(has(statement_row(statement, version).hazards, Hazard::AccessWidened));
    }
  }
}

TEST_CASE("policy statements lock their table ACCESS EXCLUSIVE", "[planner][locks]") {
  for (const Statement statement :
       {Statement::CreatePolicy, Statement::AlterPolicy, Statement::RenamePolicy,
        Statement::DropPolicy, Statement::EnableRowSecurity, Statement::NoForceRowSecurity}) {
    CHECK(mode_on(statement, Target::Relation, 110000) == LockMode::AccessExclusive);
    CHECK(statement_row(statement, 150000).transactional);
  }
}
