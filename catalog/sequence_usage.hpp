// The positions of the sequences a plan changes, read for those alone.
//
// A sequence's position (last_value, is_called) is not in pg_sequence: the
// server opens each sequence to tell it (pg_sequence_last_value), a relcache
// entry per sequence, about half a second at 10,000 on a fresh connection.
// `plan` and `apply` need the position only of the sequences and identity
// columns whose options change (to RESTART one never called, to refuse one
// that handed out a value outside its new bounds), so their catalog read
// leaves positions out (ReadOptions::sequence_usage) and asks here for those.
// `drift` reports every sequence's use and reads them all with the catalog.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "schemas/model.hpp"

namespace pgshift::catalog {

// Reads, in one READ ONLY query, the position of each sequence named
// "schema.sequence" in `sequences` into facts.sequence_usage and of the
// sequence of each identity column named "schema.table.column" in
// `identities` into facts.identity_usage (and sequence_usage under the
// sequence's own name), with the values read_catalog gives with
// ReadOptions::sequence_usage on. Names that match nothing are left out.
// Throws ReadError naming what was read when the query fails.
// REQUIRES: `conn` has no transaction in progress.
void read_sequence_usage(pqxx::connection& conn, const std::vector<std::string>& sequences,
                         const std::vector<std::string>& identities,
                         schemas::CatalogFacts& facts);

}  // namespace pgshift::catalog
