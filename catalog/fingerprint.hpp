// A stable digest of a schema model.
#pragma once

#include <string>

#include "schemas/model.hpp"

namespace pgshift::catalog {

// 16 hex digits of FNV-1a (64 bit) over every schema field of `db` (not its
// facts, except the grants made by roles other than their object's owner,
// CatalogFacts::grants_by_others, when there are any), in the canonical
// order. The same schema always gives the same digest; any change to a
// compared field changes it (up to hash collisions).
// Table data and statistics never enter it.
// REQUIRES: schemas::canonicalize(db) was called.
std::string fingerprint(const schemas::Database& db);

// The fingerprint of `db` as a catalog shows it once a plan has run: the
// planning hints (backfill, renamed_from, backfill_batch_size), the ignore
// list, owners (a desired state sets some, a catalog read with owners has
// them all), grantors (CatalogFacts::grants_by_others) and the order of
// columns (a column added to an existing table comes last, wherever the YAML
// puts it) are left out. A plan records it for the
// desired model canonicalised by the server (Plan::target_fingerprint); the
// applier compares it with the catalog read back, ignored objects removed.
// REQUIRES: schemas::canonicalize(db) was called.
std::string schema_fingerprint(schemas::Database db);

}  // namespace pgshift::catalog
