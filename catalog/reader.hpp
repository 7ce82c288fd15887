// Reading a live database's schema into the schema model.
//
// read_catalog() is the only entry point: it runs a fixed, small set of
// set-based queries (one per object kind, never one per table) inside one
// REPEATABLE READ READ ONLY transaction, so everything comes from one snapshot,
// as pg_dump does. It produces the same `schemas::Database` the YAML loader
// produces, canonicalized, plus the `CatalogFacts` the planner needs.
//
// Skipped: the system schemas (pg_catalog, information_schema, pg_toast*,
// pg_temp*), pgshift's own journal schema "_pgshift", the plpgsql extension
// that initdb installs everywhere, and every object owned by an extension.
// Objects the model has no place for (policies, grants, exclusion constraints,
// rules, aggregates, ...) are listed in CatalogFacts::unmodelled
// (catalog/unmodelled.hpp), never skipped silently. Objects a partition
// inherits from its parent (constraints, indexes, triggers) are reported on the
// parent only.
//
// Supported servers: PostgreSQL 11 to 18; columns that differ by version are
// chosen from server_version_num.
#pragma once

#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "schemas/error.hpp"
#include "schemas/model.hpp"

namespace pgshift::catalog {

// A table as far as read_catalog() has read it when it calls
// ReadOptions::columns_read: its own fields (name, partitioning, comment,
// ...) and its columns; its constraints, indexes, triggers and the rest are
// not read yet. Both pointers are valid during the call only.
struct TableSoFar {
  const std::string* schema;
  const schemas::Table* table;
};

struct ReadOptions {
  std::vector<std::string> include_schemas;  // empty: every non-system schema
  std::vector<std::string> exclude_schemas;
  std::vector<std::string> exclude_tables;  // glob patterns on "schema.table"
  // false: no sequence's last value (CatalogFacts::sequence_usage stays
  // empty, which the planner takes as "called"), without opening every
  // sequence: for inspect and a scratch database, which do not use them.
  bool sequence_usage = true;
  // false: CatalogFacts::dependencies stays empty (no pg_depend read), for
  // inspect's YAML, which writes objects and not the order they need. About
  // 0.1 s of server time and 80,000 rows at 10,000 tables.
  bool dependencies = true;
  // false: CatalogFacts::unmodelled stays empty (no query of the objects the
  // model does not hold), for a scratch database built from a YAML desired
  // state, which can only hold what the model says. Nine queries, among
  // the costliest to plan.
  bool unmodelled = true;
  // false: CatalogFacts::fingerprint stays empty, for inspect, which writes
  // the schema and no plan to check it against later (12 ms at 10,000
  // tables).
  bool fingerprint = true;
  // From this many tables on, the constraints, indexes and sequences are read on a
  // second connection in the same snapshot, beside the other queries; below
  // it (and on a standby, which cannot export a snapshot), one connection.
  std::size_t parallel_from_tables = 300;
  // How long a catalog query waits for a lock on a relation (its lock_timeout).
  // The read takes only ACCESS SHARE locks, which wait for nothing but an
  // ACCESS EXCLUSIVE one held or queued by another session (a rewrite, a
  // LOCK TABLE left open); past this wait the read fails with SQLSTATE 55P03
  // naming those relations and sessions, instead of waiting silently.
  // Zero waits forever.
  std::chrono::milliseconds lock_wait = std::chrono::seconds(10);
  // Read every object's owner into its `owner` field and set
  // Database::manage_owners (inspect --owners, a desired state with
  // manage_owners: true); false: no owner is set. A sequence owned by a
  // column never gets one: it follows its table's owner.
  bool owners = false;
  // Called once, on the reading thread, as soon as the tables and their
  // columns are read (with none when the schemas read hold nothing), before
  // the constraints, indexes and the rest: a caller can start what a
  // difference there makes certain beside the rest of the read (cli: the
  // scratch database a plan will build in). It must not throw.
  std::function<void(const std::vector<TableSoFar>&)> columns_read;
};

// A catalog query failed. Names the object kind being read and keeps the
// server's SQLSTATE ("" when the failure did not come from the server).
class ReadError : public pgshift::Error {
 public:
  ReadError(std::string what_was_read, const std::string& message, std::string sqlstate);
  const std::string& what_was_read() const { return what_was_read_; }
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string what_was_read_;  // "indexes", "functions", ...
  std::string sqlstate_;
};

// A PostgreSQL array literal of `items` ("{\"a\",\"b\"}", quotes and
// backslashes escaped), to bind as a text[] parameter.
std::string array_literal(const std::vector<std::string>& items);

// The first major version whose catalog this reader knows, and the last.
constexpr int kMinServerVersionNum = 110000;
constexpr int kMaxServerVersionNum = 189999;

// Reads the schema visible through `conn`, filtered by `options`.
// Returns a canonicalized Database with every CatalogFacts field filled.
// Throws ReadError when a query fails (e.g. permission denied, SQLSTATE 42501)
// or when the server's version is outside the supported range.
// REQUIRES: `conn` is open and has no transaction in progress.
schemas::Database read_catalog(pqxx::connection& conn, const ReadOptions& options = {});

// `whole` (a read of some schemas) with the schemas `reread` was read for
// (`schemas`, a subset) replaced by `reread`'s, and its extensions and the
// facts of those schemas taken from `reread`: what reading everything again
// gives when only those schemas changed (a schema of `schemas` that `reread`
// lacks is gone). Facts keyed "schema.name" of the other schemas are kept.
schemas::Database splice_schemas(schemas::Database whole, schemas::Database reread,
                                 const std::vector<std::string>& schemas);

// Gathers planner statistics (ANALYZE) on the system catalogs read_catalog()
// joins, for a database whose catalogs just grew from nothing (a scratch
// database): without them the server takes them for nearly empty and picks
// nested loops (twice the read time at 10,000 tables). Catalogs the role may
// not analyze are skipped with a notice by the server.
// REQUIRES: `conn` is open and has no transaction in progress.
void analyze_catalogs(pqxx::connection& conn);

}  // namespace pgshift::catalog
