#include "catalog/lint_facts.hpp"

#include <algorithm>
#include <map>

#include "catalog/null_counts.hpp"
#include "catalog/reader.hpp"

namespace pgshift::catalog {

namespace {

constexpr const char* kRelationsQuery =
    "SELECT n.nspname, c.relname, c.reltuples, c.relpages, pg_total_relation_size(c.oid) "
    "FROM unnest($1::text[], $2::text[]) AS r(schema_name, relation_name) "
    "JOIN pg_namespace n ON n.nspname = r.schema_name "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.relation_name "
    "WHERE c.relkind IN ('r', 'p', 'm') ORDER BY 1, 2";

constexpr const char* kColumnsQuery =
    "SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
    "FROM unnest($1::text[], $2::text[]) AS r(schema_name, relation_name) "
    "JOIN pg_namespace n ON n.nspname = r.schema_name "
    "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = r.relation_name "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
    "WHERE c.relkind IN ('r', 'p', 'm') ORDER BY 1, 2, a.attnum";

constexpr const char* kVolatilityQuery =
    "SELECT n.nspname || '.' || p.proname, p.provolatile FROM pg_proc p "
    "JOIN pg_namespace n ON n.oid = p.pronamespace "
    "WHERE n.nspname || '.' || p.proname = ANY($1::text[])";

constexpr const char* kBinaryCastsQuery =
    "SELECT format_type(castsource, NULL), format_type(casttarget, NULL) FROM pg_cast "
    "WHERE castmethod = 'b'";

schemas::Volatility volatility_of(const std::string& code) {
  if (code == "i") return schemas::Volatility::Immutable;
  if (code == "s") return schemas::Volatility::Stable;
  return schemas::Volatility::Volatile;
}

}  // namespace

schemas::Database read_lint_facts(pqxx::connection& conn, const LintQuery& query) {
  schemas::Database db;
  std::vector<std::string> schema_names;
  std::vector<std::string> relation_names;
  for (const auto& [schema, name] : query.relations) {
    schema_names.push_back(schema);
    relation_names.push_back(name);
  }
  const std::string schemas_param = array_literal(schema_names);
  const std::string relations_param = array_literal(relation_names);
  std::map<std::string, std::map<std::string, schemas::Table>> tables;
  const char* reading = "the server version";
  try {
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only> tx(
        conn);
    db.facts.server_version_num = conn.server_version();
    reading = "tables";
    for (const auto& row : tx.exec_params(kRelationsQuery, schemas_param, relations_param)) {
      const std::string schema = row[0].as<std::string>();
      const std::string name = row[1].as<std::string>();
      tables[schema][name].name = name;
      schemas::TableStats stats;
      stats.reltuples = row[2].as<double>();
      stats.relpages = row[3].as<int64_t>();
      stats.total_bytes = row[4].as<int64_t>();
      db.facts.table_stats[schema + "." + name] = stats;
    }
    reading = "columns";
    for (const auto& row : tx.exec_params(kColumnsQuery, schemas_param, relations_param)) {
      schemas::Column column;
      column.name = row[2].as<std::string>();
      column.type = row[3].as<std::string>();
      tables[row[0].as<std::string>()][row[1].as<std::string>()].columns.push_back(column);
    }
    reading = "function volatility";
    for (const auto& row : tx.exec_params(kVolatilityQuery, array_literal(query.functions))) {
      const auto read = volatility_of(row[1].as<std::string>());
      auto [entry, inserted] = db.facts.function_volatility.emplace(row[0].as<std::string>(), read);
      if (!inserted && static_cast<int>(read) > static_cast<int>(entry->second)) {
        entry->second = read;
      }
    }
    reading = "casts";
    for (const auto& row : tx.exec(kBinaryCastsQuery)) {
      db.facts.binary_coercible_casts.emplace(row[0].as<std::string>(), row[1].as<std::string>());
    }
    tx.commit();
  } catch (const pqxx::sql_error& e) {
    throw ReadError(reading, e.what(), e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw ReadError(reading, e.what(), "");
  }
  for (auto& [schema_name, by_name] : tables) {
    schemas::Schema schema;
    schema.name = schema_name;
    for (auto& [name, table] : by_name) {
      db.facts.table_stats[schema_name + "." + name].has_rows = has_rows(conn, schema_name, name);
      schema.tables.push_back(std::move(table));
    }
    db.schemas.push_back(std::move(schema));
  }
  schemas::canonicalize(db);
  return db;
}

}  // namespace pgshift::catalog
