#include "catalog/sequence_usage.hpp"

#include "catalog/lock_wait.hpp"

namespace pgshift::catalog {

namespace {

// Only the rows kept are opened: the filter runs before the projection.
constexpr const char* kSequenceUsageQuery =
    "SELECT n.nspname, c.relname, tn.nspname, tc.relname, ta.attname, s.seqstart, "
    PGSHIFT_SEQUENCE_LAST_VALUE " "
    "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_depend dep ON dep.classid = 'pg_class'::regclass AND dep.objid = c.oid "
    "  AND dep.refclassid = 'pg_class'::regclass AND dep.deptype = 'i' "
    "LEFT JOIN pg_class tc ON tc.oid = dep.refobjid "
    "LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace "
    "LEFT JOIN pg_attribute ta ON ta.attrelid = dep.refobjid AND ta.attnum = dep.refobjsubid "
    "WHERE n.nspname || '.' || c.relname = ANY($1::text[]) "
    "   OR tn.nspname || '.' || tc.relname || '.' || ta.attname = ANY($2::text[])";

}  // namespace

schemas::SequenceUsage sequence_position(int64_t start, std::optional<int64_t> last_value) {
  if (!last_value) return {start, false};
  return {*last_value, true};
}

void read_sequence_usage(pqxx::connection& conn, const std::vector<std::string>& sequences,
                         const std::vector<std::string>& identities,
                         schemas::CatalogFacts& facts, const ReadOptions& options) {
  if (sequences.empty() && identities.empty()) return;
  pqxx::result rows;
  try {
    pqxx::read_transaction tx(conn);
    set_lock_wait(tx, options.lock_wait);
    rows = tx.exec_params(kSequenceUsageQuery, array_literal(sequences), array_literal(identities));
  } catch (const pqxx::sql_error& e) {
    const std::string message = e.what();
    ReadError failure("sequence positions", message.substr(0, message.find('\n')), e.sqlstate());
    if (e.sqlstate() == kLockNotAvailable) throw lock_wait_error(conn, options, failure);
    throw failure;
  }
  for (const auto& row : rows) {
    const schemas::SequenceUsage usage = sequence_position(
        row[5].as<int64_t>(),
        row[6].is_null() ? std::nullopt : std::optional<int64_t>(row[6].as<int64_t>()));
    facts.sequence_usage[row[0].as<std::string>() + "." + row[1].as<std::string>()] = usage;
    if (!row[4].is_null()) {
      facts.identity_usage[row[2].as<std::string>() + "." + row[3].as<std::string>() + "." +
                           row[4].as<std::string>()] = usage;
    }
  }
}

}  // namespace pgshift::catalog
