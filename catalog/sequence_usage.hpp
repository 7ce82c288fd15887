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

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "catalog/reader.hpp"
#include "schemas/model.hpp"

// A sequence's last value, from pg_class row `c`, as the catalog read and
// read_sequence_usage select it: NULL until nextval() has been called, and
// for a sequence the role may not read.
#define PGSHIFT_SEQUENCE_LAST_VALUE \
  "CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid) END"

namespace pgshift::catalog {

// The position of a sequence whose start is `start` and whose
// PGSHIFT_SEQUENCE_LAST_VALUE is `last_value`: none (NULL) is the start, not
// yet handed out.
schemas::SequenceUsage sequence_position(int64_t start, std::optional<int64_t> last_value);

// Reads, in one READ ONLY query, the position of each sequence named
// "schema.sequence" in `sequences` into facts.sequence_usage and of the
// sequence of each identity column named "schema.table.column" in
// `identities` into facts.identity_usage (and sequence_usage under the
// sequence's own name), with the values read_catalog gives with
// ReadOptions::sequence_usage on. Names that match nothing are left out.
// Waits for a sequence's lock at most options.lock_wait, like the catalog
// read, and then throws the same ReadError naming the blocking sessions on
// options.include_schemas; throws ReadError naming what was read when the
// query fails otherwise.
// REQUIRES: `conn` has no transaction in progress.
void read_sequence_usage(pqxx::connection& conn, const std::vector<std::string>& sequences,
                         const std::vector<std::string>& identities,
                         schemas::CatalogFacts& facts, const ReadOptions& options = {});

}  // namespace pgshift::catalog
