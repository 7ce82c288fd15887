// The test server's version, for catalog tests whose SQL or expected text
// differs by PostgreSQL release. Tests adapt to the version; they are not skipped.
#pragma once

#include <string>

#include "tests/support/test_db.hpp"

namespace pgshift::catalog {

// server_version_num of the server holding `db` (e.g. 150004).
inline int server_version_num(const testing::TestDatabase& db) {
  return std::stoi(db.scalar("SHOW server_version_num"));
}

}  // namespace pgshift::catalog
