// The test server's version, for tests whose SQL, YAML or expected behaviour
// differs by PostgreSQL release. Tests adapt to the version; they are not
// skipped: they assert what that release does, or WARN with the reason when a
// feature does not exist there.
#pragma once

#include <string>

#include "tests/support/test_db.hpp"

namespace pgshift::testing {

// server_version_num of the server holding `db` (e.g. 150004).
inline int server_version_num(const TestDatabase& db) {
  return std::stoi(db.scalar("SHOW server_version_num"));
}

}  // namespace pgshift::testing
