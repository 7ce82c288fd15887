// A stable digest of a schema model.
#pragma once

#include <string>

#include "schemas/model.hpp"

namespace pgshift::catalog {

// 16 hex digits of FNV-1a (64 bit) over every schema field of `db` (not its
// facts), in the canonical order. The same schema always gives the same
// digest; any change to a compared field changes it (up to hash collisions).
// Table data and statistics never enter it.
// REQUIRES: schemas::canonicalize(db) was called.
std::string fingerprint(const schemas::Database& db);

}  // namespace pgshift::catalog
