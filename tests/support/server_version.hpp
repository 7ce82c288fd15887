// The test server's version, for tests whose SQL, YAML or expected behaviour
// differs by PostgreSQL release. Tests adapt to the version; they are not
// skipped: they assert what that release does, or WARN with the reason when a
// feature does not exist there.
#pragma once

#include <string>
#include <vector>

#include "tests/support/test_db.hpp"

namespace pgshift::testing {

// server_version_num of the server holding `db` (e.g. 150004).
inline int server_version_num(const TestDatabase& db) {
  return std::stoi(db.scalar("SHOW server_version_num"));
}

// Before PostgreSQL 12, SET NOT NULL scans the table under ACCESS EXCLUSIVE
// whatever CHECK proves it (the hazard access_exclusive_scan): the arguments
// that allow it there, none on later servers.
inline std::vector<std::string> allow_not_null_scan_before_12(const TestDatabase& db) {
  if (server_version_num(db) >= 120000) return {};
  return {"--allow-hazard", "access_exclusive_scan"};
}

}  // namespace pgshift::testing
