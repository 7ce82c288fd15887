// Running SQL files: the desired state written as SQL (a pg_dump
// --schema-only, a folder of CREATE statements) is run as it is, in a scratch
// database, and read back.
//
// This is the one place where pgshift sends text holding several statements
// (libpq's simple query protocol): everything else goes through exec_one.
// Its callers first check the files with schemas::check_sql_script, which
// admits only statements whose effects stay inside the database they run in.
#pragma once

#include <string>
#include <vector>

namespace pgshift::catalog {

// One SQL file: its path (for messages) and its text.
struct Script {
  std::string path;
  std::string text;
};

// Runs each of `scripts`, in order, as one multi-statement query on one
// connection to `target`. pg_dump's `\restrict` and `\unrestrict` guard
// lines (psql meta-commands, not SQL) are blanked first, keeping positions.
// Notices are dropped.
// Throws pgshift::Error "the desired schema does not build: path:line:column:
// message (SQLSTATE xxxxx)" with the source line and a caret when the server
// reports a position, else "...: path: message"; its detail, hint and the
// first line of its context follow on their own lines.
// REQUIRES: every script passed schemas::check_sql_script.
void run_scripts(const std::string& target, const std::vector<Script>& scripts);

}  // namespace pgshift::catalog
