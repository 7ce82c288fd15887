// Running SQL files: the desired state written as SQL (a pg_dump
// --schema-only, a folder of CREATE statements) is run as it is, in a scratch
// database, and read back.
//
// This is the one place where pgshift sends SQL text it did not write, through
// libpq's simple query protocol, one statement of the file at a time:
// everything else goes through exec_one, or through run_batch (the statements
// pgshift writes to build a desired schema, one extended-protocol message
// each). The files are first checked by schemas::check_sql_script, which admits only statements whose effects stay
// inside the database they run in and that run no code of the files.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "schemas/model.hpp"
#include "schemas/sql_check_script.hpp"

namespace pgshift::catalog {

// One SQL file: its path (for messages), its text, and what
// schemas::check_sql_script made of it: the statements that run.
struct Script {
  std::string path;
  std::string text;
  schemas::ScriptCheck checked;
};

// Runs the checked statements of each of `scripts`, in order, one at a time
// (so CREATE INDEX CONCURRENTLY runs too) on one connection to `target`.
// Notices are dropped.
// Throws pgshift::Error "the desired schema does not build: path:line:column:
// message (SQLSTATE xxxxx)" with the source line and a caret when the server
// reports a position, else "...: path: message"; its detail, hint and the
// first line of its context follow on their own lines.
// REQUIRES: every script's `checked` is check_sql_script(text), without a problem.
void run_scripts(const std::string& target, const std::vector<Script>& scripts);

// One statement pgshift wrote, for run_batch(): its SQL (one statement) and
// whether it may run inside a transaction block (CREATE INDEX CONCURRENTLY
// may not).
struct BatchStatement {
  std::string sql;
  bool transactional = true;
};

// The statement of a batch the server refused: its index in the batch and
// the server's message, "message (SQLSTATE xxxxx)" (the primary message only).
struct BatchFailure {
  std::size_t index = 0;
  std::string message;
  std::string sqlstate;
};

// Runs `statements`, in order, on one new connection to `target` (a scratch
// database), with synchronous_commit off: each run of transactional
// statements as one transaction (of at most 500 statements: the objects a
// transaction creates hold locks in the server's shared lock table until it
// ends), sent through libpq's pipeline mode in a few round trips (each statement still its own extended-protocol message, so a
// statement cannot carry a second one); a non-transactional statement on its
// own, outside any transaction. Stops at the first statement the server
// refuses and returns it (what ran before it in its transaction is rolled
// back); nullopt when every statement ran. Notices are dropped.
// The session first takes each of `session`'s settings that is set
// (search_path, DateStyle, IntervalStyle, TimeZone), as a session of the
// target has them.
// Throws pgshift::Error when the connection fails.
std::optional<BatchFailure> run_batch(const std::string& target,
                                      const std::vector<BatchStatement>& statements,
                                      const schemas::SessionSettings& session = {});

// "path:line:column: message", then the line of `text` holding byte `offset`
// and a caret under it (columns count characters); with a hint when that line
// is a psql meta-command.
std::string positioned(const std::string& path, const std::string& text, size_t offset,
                       const std::string& message);

}  // namespace pgshift::catalog
