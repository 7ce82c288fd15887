#include "plans/plan.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace pgshift::plans;

TEST_CASE("lock conflicts are symmetric", "[plans]") {
  for (LockMode held : kAllLockModes) {
    for (LockMode wanted : blocked_by(held)) {
      const auto back = blocked_by(wanted);
      CHECK(std::find(back.begin(), back.end(), held) != back.end());
    }
  }
}

TEST_CASE("ACCESS SHARE is blocked only by ACCESS EXCLUSIVE", "[plans]") {
  CHECK(blocked_by(LockMode::AccessShare) == std::vector<LockMode>{LockMode::AccessExclusive});
  CHECK(blocked_by(LockMode::AccessExclusive).size() == 8);
  CHECK(std::string(lock_mode_name(LockMode::ShareUpdateExclusive)) == "SHARE UPDATE EXCLUSIVE");
}

TEST_CASE("only SHARE UPDATE EXCLUSIVE and weaker requests leave traffic alone", "[plans]") {
  std::vector<LockMode> harmless;
  for (LockMode mode : kAllLockModes) {
    if (!blocks_traffic(mode)) harmless.push_back(mode);
  }
  CHECK(harmless == std::vector<LockMode>{LockMode::AccessShare, LockMode::RowShare,
                                          LockMode::RowExclusive, LockMode::ShareUpdateExclusive});
}

TEST_CASE("a step may wait for its locks only when none of them blocks traffic", "[plans]") {
  Step build;
  build.statements = {"CREATE INDEX CONCURRENTLY i ON public.t (c)"};
  build.locks = {RelationLock{"public", "t", LockMode::ShareUpdateExclusive}};
  CHECK(may_wait_for_locks(build));

  Step validate_fk = build;
  validate_fk.locks.push_back(RelationLock{"public", "parent", LockMode::RowShare});
  CHECK(may_wait_for_locks(validate_fk));

  Step add_fk = build;
  add_fk.locks = {RelationLock{"public", "t", LockMode::ShareRowExclusive},
                  RelationLock{"public", "parent", LockMode::ShareRowExclusive}};
  CHECK_FALSE(may_wait_for_locks(add_fk));

  Step mixed = validate_fk;
  mixed.locks.push_back(RelationLock{"public", "other", LockMode::AccessExclusive});
  CHECK_FALSE(may_wait_for_locks(mixed));

  Step undeclared = build;
  undeclared.locks.clear();
  CHECK_FALSE(may_wait_for_locks(undeclared));

  Step backfill;
  backfill.backfill = BackfillSpec{};
  backfill.locks = {RelationLock{"public", "t", LockMode::RowExclusive}};
  CHECK_FALSE(may_wait_for_locks(backfill));
}

TEST_CASE("SHARE UPDATE EXCLUSIVE lets reads and writes through", "[plans]") {
  const auto blocked = blocked_by(LockMode::ShareUpdateExclusive);
  for (LockMode traffic : {LockMode::AccessShare, LockMode::RowShare, LockMode::RowExclusive}) {
    CHECK(std::find(blocked.begin(), blocked.end(), traffic) == blocked.end());
  }
}
