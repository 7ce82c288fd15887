// The dev database: the server's own spelling of a desired schema.
//
// A YAML file says `int`, `'x'` and `price > 0`; the catalog says `integer`,
// `'x'::text` and `(price > (0)::numeric)`. Instead of a pile of string rules,
// pgshift builds the desired schema in a scratch database on a real server
// and reads it back with the catalog reader, as the best schema tools do with
// a "dev database". Both sides of a diff then speak the server's language, and
// facts the planner needs about the desired side (which defaults are
// volatile) come from that server's catalog too.
//
// The scratch database is created with a unique name and always dropped, on
// success and on failure. Nothing is written to any other database.
#pragma once

#include <functional>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "catalog/reader.hpp"
#include "catalog/script.hpp"
#include "cli/scratch_subset.hpp"
#include "schemas/model.hpp"

namespace pgshift::cli {

// A scratch database made ahead of canonicalize_on_server(), while the
// command still reads the target: start() runs, on a thread of its own, a
// check whether the plan will certainly build (build_is_certain(), once the
// columns are read), then, when it will, creates the scratch database and
// connects to it; canonicalize_on_server() builds in it instead of creating
// one (a CREATE DATABASE is 20 to 50 ms, a fifth of a 10-table change's plan
// at 1,000 tables). One made and not used, or not given to
// canonicalize_on_server(), is dropped in the background when this object
// goes (call wait_for_scratch_drop() before the process ends). A failure to
// create it is reported by canonicalize_on_server(), as when it creates one.
// Not thread-safe: call it from one thread.
class ScratchAhead {
 public:
  ScratchAhead();
  ~ScratchAhead();
  ScratchAhead(const ScratchAhead&) = delete;
  ScratchAhead& operator=(const ScratchAhead&) = delete;

  // Starts `certain` (which may wait for what it reads, and must not throw)
  // and, when it returns true, the making of a scratch database on the
  // server at `server_target` (its database part ignored), on a thread of
  // their own. Only the first call does anything; a thread that cannot be
  // had starts nothing.
  void start(const std::string& server_target, std::function<bool()> certain);

  // Waits until `certain` has returned, if started: what it reads may be
  // changed after.
  void wait_for_decision();

  // The scratch database and a session on it (dev_database.cpp), for
  // canonicalize_on_server(): waits for it, and rethrows the failure to make
  // it; nullptr when none was made on `server_target`.
  struct Made;
  std::unique_ptr<Made> take(const std::string& server_target);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// What canonicalize_on_server() does besides building.
struct ScratchOptions {
  // The target session's settings (CatalogFacts::session): the scratch
  // build runs with all of them, so the desired state's unqualified names
  // resolve, and its dates, intervals and times without a zone read, as on
  // the target; the scratch reads use its search_path, so names are read
  // back as on the target. Empty settings: the dev server's own.
  schemas::SessionSettings session;
  // An open session on the dev server (the target's, when it is the dev
  // server), with no transaction in progress, to ask what it runs instead
  // of connecting for that; nullptr: connect.
  pqxx::connection* dev_session = nullptr;
  // The scratch database is dropped on a thread of its own, beside what the
  // caller does next: call wait_for_scratch_drop() before the process ends
  // (the next scratch database's drop waits for it too).
  bool drop_in_background = false;
  // A scratch database made ahead on the same server (ScratchAhead::start
  // with `server_target`), used instead of a new one when it was started.
  ScratchAhead* ahead = nullptr;
};

// Builds `desired` in a new database on the server at `server_target` (a
// libpq target whose database part is ignored: the scratch database is made
// beside it) and returns the model read back from it, with the planning hints
// of `desired` (backfill, renamed_from, backfill_batch_size) and its ignore
// list carried over, and its facts (volatile defaults) filled.
// Throws pgshift::Error naming the redacted server when the scratch database
// cannot be created (e.g. no CREATEDB privilege: the message suggests
// --dev-db), or naming the object whose SQL the server rejected.
// With `current` (the target's model of the same schemas, ignore rules
// applied), only what differs from it is built (cli/scratch_subset.hpp) and
// the objects that match are taken from it: the same model, without building
// what is already in the server's spelling (the YAML's own objects, moved
// out of `desired`: pass it by std::move when it is not needed after).
// Everything is built when
// `current` is nullptr or the dev server runs another major version than
// the target. `chosen`, when given, receives what was built.
// REQUIRES: `desired` is canonical and valid.
schemas::Database canonicalize_on_server(schemas::Database desired,
                                         const std::string& server_target,
                                         const schemas::Database* current = nullptr,
                                         ScratchSubset* chosen = nullptr,
                                         const ScratchOptions& options = {});

// Waits for the drop of a scratch database dropped in the background
// (ScratchOptions::drop_in_background, an unused ScratchAhead), if one runs.
void wait_for_scratch_drop();

// One SQL file of a desired state: its path (for messages) and its text.
using SqlSource = catalog::Script;

// Checks `sources` (schemas::check_sql_script), then runs their statements,
// in order, in a new scratch database on the server at `server_target`
// (materialized views WITH NO DATA, then marked as holding rows: pg_dump
// writes WITH NO DATA for every one), and returns the model
// read back from it (facts filled). The schemas it returns, and so the ones
// pgshift manages, are those the SQL created or changed: a `public` schema
// left as a new database has it is not managed.
// Throws pgshift::Error "path:line:column: CREATE ROLE is not allowed ..."
// (or a syntax error) with the source line and a caret, before connecting,
// for a statement the check refuses; "path:line:column: message (SQLSTATE xxxxx)" when the server
// rejects a statement and reports a position, else "path: message (SQLSTATE
// xxxxx)"; the target is not touched.
// The model is read back with the search_path a session on `read_like` (the
// target) starts with, asked once the files are checked, so that it names
// objects as a read of the target does; the files themselves run with the
// scratch database's own (unqualified names are in `public`, or the files'
// own SET search_path). Empty `read_like`: the scratch database's own.
schemas::Database build_from_sql(std::vector<SqlSource> sources,
                                 const std::string& server_target,
                                 const std::string& read_like = "");

}  // namespace pgshift::cli
