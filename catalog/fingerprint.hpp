// A stable digest of a schema model.
#pragma once

#include <functional>
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

// Changes a copy of one table of `schema` before it is digested.
using TableAdjustment = std::function<void(const std::string& schema, schemas::Table& table)>;

// schema_fingerprint of `db` with `adjust` applied to each of its tables,
// without copying `db` whole: each table is copied, adjusted and digested in
// turn, and each schema copied without its tables (a no-op plan of 10,000
// tables held a second copy of the desired model, 110 MB, for this digest).
// `db` is as it was on return; its schemas' table lists are moved out and
// back while the rest of each schema is copied.
// REQUIRES: schemas::canonicalize(db) was called.
std::string schema_fingerprint(schemas::Database& db, const TableAdjustment& adjust);

}  // namespace pgshift::catalog
