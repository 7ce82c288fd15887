#include "catalog/sequence_usage.hpp"

#include "catalog/reader.hpp"

namespace pgshift::catalog {

namespace {

// last_value is NULL until nextval() has been called (and for a sequence the
// role may not read): the position is then the start, not yet handed out.
// Only the rows kept are opened: the filter runs before the projection.
constexpr const char* kSequenceUsageQuery =
    "SELECT n.nspname, c.relname, tn.nspname, tc.relname, ta.attname, s.seqstart, "
    "  CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') "
    "  THEN pg_sequence_last_value(c.oid) END "
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

void read_sequence_usage(pqxx::connection& conn, const std::vector<std::string>& sequences,
                         const std::vector<std::string>& identities,
                         schemas::CatalogFacts& facts) {
  if (sequences.empty() && identities.empty()) return;
  pqxx::result rows;
  try {
    pqxx::read_transaction tx(conn);
    rows = tx.exec_params(kSequenceUsageQuery, array_literal(sequences), array_literal(identities));
  } catch (const pqxx::sql_error& e) {
    throw ReadError("sequence positions", e.what(), e.sqlstate());
  }
  for (const auto& row : rows) {
    const auto last_value = row[6];
    const schemas::SequenceUsage usage{
        last_value.is_null() ? row[5].as<int64_t>() : last_value.as<int64_t>(),
        !last_value.is_null()};
    facts.sequence_usage[row[0].as<std::string>() + "." + row[1].as<std::string>()] = usage;
    if (!row[4].is_null()) {
      facts.identity_usage[row[2].as<std::string>() + "." + row[3].as<std::string>() + "." +
                           row[4].as<std::string>()] = usage;
    }
  }
}

}  // namespace pgshift::catalog
