// Checking SQL files of a desired state before they run.
//
// A desired state written as SQL (a pg_dump --schema-only, a folder of
// CREATE statements) comes from a pull request, and pgshift runs it in a
// scratch database on the target's server (or --dev-db). Only statements
// whose effects stay inside that scratch database, and that run no code of
// the files while they build, may run: each statement is parsed by
// PostgreSQL's own parser (libpg_query) and checked against an allow list.
// Refused, with the reason: roles, databases, tablespaces and other objects
// the whole server shares (CREATE ROLE, ALTER DATABASE, GRANT ... ON
// DATABASE, COMMENT ON ROLE, ...), server settings (ALTER SYSTEM), code that
// runs now (DO, CALL, SELECT of anything but set_config/setval with
// constants, CREATE TABLE AS with data, partition bounds calling functions,
// event triggers, LOAD, functions in C or Perl, whose creation loads or runs
// code), data (INSERT, COPY, ...), and connections elsewhere (subscriptions,
// IMPORT FOREIGN SCHEMA). A materialized view is built WITH NO DATA: its
// query would run.
//
// Thread safety: pure functions; libpg_query keeps its state per thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "schemas/sql_check.hpp"

namespace pgshift::schemas {

// One statement of a checked file, as it is to run.
struct ScriptStatement {
  std::size_t offset = 0;  // byte offset of the statement in the file's text
  std::size_t length = 0;  // its bytes, without the ";" that ends it
  std::string suffix;      // appended when it runs ("\nWITH NO DATA")
};

struct ScriptCheck {
  std::string runnable;  // the text the statements' offsets point into: guard lines blanked
  std::vector<ScriptStatement> statements;
  // The first refused statement or the parse error; its offset points at the
  // statement's first word (or where the parser stopped).
  std::optional<SqlProblem> problem;
};

// Checks `text`, a file of SQL statements. pg_dump's `\restrict KEY` and
// `\unrestrict KEY` lines (psql meta-commands guarding psql against a hostile
// dump, written since 17.6, 16.10, 15.14, ...) are skipped.
ScriptCheck check_sql_script(const std::string& text);

}  // namespace pgshift::schemas
