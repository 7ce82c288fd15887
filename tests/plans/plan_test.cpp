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

TEST_CASE("SHARE UPDATE EXCLUSIVE lets reads and writes through", "[plans]") {
  const auto blocked = blocked_by(LockMode::ShareUpdateExclusive);
  for (LockMode traffic : {LockMode::AccessShare, LockMode::RowShare, LockMode::RowExclusive}) {
    CHECK(std::find(blocked.begin(), blocked.end(), traffic) == blocked.end());
  }
}
