// A model as SQL: what `pgshift inspect --format sql` writes, a file that
// `--schema` reads back as a desired state (README "SQL as desired state").
//
// The statements are the plan from a new database to the model, the same
// statements, in the same dependency order, that build a YAML desired state
// in the scratch database (cli/dev_database.cpp): one spelling of each
// statement (planner/sql_text.cpp), one ordering (planner/order.cpp).
#pragma once

#include <string>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::planner {

struct SqlDocument {
  std::string text;                 // the statements, each after a "-- <step>" line
  std::vector<std::string> errors;  // why the model cannot be written (a dependency cycle)
  // What the SQL cannot say: a materialized view that holds no rows (read
  // back, as every SQL one, it is planned as holding rows).
  std::vector<std::string> warnings;
};

// The SQL that builds `db` in a new database (whose public schema is left as
// initdb makes it unless `db` says otherwise). Materialized views are written
// WITH NO DATA: an SQL desired state never runs their queries and plans
// them as holding rows (one that holds none is a warning). Planning hints and `ignore` are not SQL and are left
// out. `db` from the catalog reader: its server version decides the spelling
// (EXECUTE PROCEDURE before PostgreSQL 11).
// REQUIRES: `db` canonicalize()d and validate()d.
SqlDocument write_sql(const schemas::Database& db);

}  // namespace pgshift::planner
