#include "planner/lock_levels.hpp"

#include <catch2/catch.hpp>

using pgshift::planner::AlterAction;
using pgshift::planner::lock_requirement;
using pgshift::plans::LockMode;

TEST_CASE("adding a foreign key locks both tables SHARE ROW EXCLUSIVE", "[planner][locks]") {
  const auto lock = lock_requirement(AlterAction::AddForeignKey, 150000);
  CHECK(lock.mode == LockMode::ShareRowExclusive);
  CHECK(lock.other_mode == LockMode::ShareRowExclusive);
}

TEST_CASE("validating a foreign key takes ROW SHARE on the referenced table", "[planner][locks]") {
  const auto lock = lock_requirement(AlterAction::ValidateForeignKey, 150000);
  CHECK(lock.mode == LockMode::ShareUpdateExclusive);
  CHECK(lock.other_mode == LockMode::RowShare);
}

TEST_CASE("concurrent index builds and drops take SHARE UPDATE EXCLUSIVE", "[planner][locks]") {
  CHECK(lock_requirement(AlterAction::CreateIndexConcurrently, 150000).mode ==
        LockMode::ShareUpdateExclusive);
  CHECK(lock_requirement(AlterAction::DropIndexConcurrently, 150000).mode ==
        LockMode::ShareUpdateExclusive);
  CHECK(lock_requirement(AlterAction::CreateIndex, 150000).mode == LockMode::Share);
}

TEST_CASE("renaming an index takes a weaker lock from PostgreSQL 12", "[planner][locks]") {
  CHECK(lock_requirement(AlterAction::RenameIndex, 110000).mode == LockMode::AccessExclusive);
  CHECK(lock_requirement(AlterAction::RenameIndex, 120000).mode == LockMode::ShareUpdateExclusive);
}

TEST_CASE("renaming a constraint takes ACCESS EXCLUSIVE on its table", "[planner][locks]") {
  CHECK(lock_requirement(AlterAction::RenameConstraint, 150000).mode == LockMode::AccessExclusive);
  CHECK_FALSE(lock_requirement(AlterAction::RenameConstraint, 150000).other_mode);
}

TEST_CASE("attaching a partition locks the parent SHARE UPDATE EXCLUSIVE from 12",
          "[planner][locks]") {
  CHECK(lock_requirement(AlterAction::AttachPartition, 110000).other_mode ==
        LockMode::AccessExclusive);
  CHECK(lock_requirement(AlterAction::AttachPartition, 120000).other_mode ==
        LockMode::ShareUpdateExclusive);
}
