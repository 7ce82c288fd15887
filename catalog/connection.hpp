// Connecting to a server, and keeping passwords out of every message.
//
// A target follows libpq's conventions: a URI ("postgresql://user@host/db"), a
// key=value string ("host=db port=5432"), or "" for libpq's defaults (the PG*
// environment variables and ~/.pgpass). Nothing here prints a password.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace pgshift::catalog {

// Opens a connection to `target`.
// Throws pgshift::Error with a one-line message naming describe_target(target)
// when the server cannot be reached or refuses the login, or saying libpq
// cannot parse the target (without the pieces it cites); the password never
// appears, also where libpq's message would echo it.
std::unique_ptr<pqxx::connection> connect(const std::string& target);

// The search_path a session on `target` starts with (as SHOW prints it:
// the server's, database's or role's setting, or the target's options):
// how a catalog read there names objects. Throws as connect() does.
std::string session_search_path(const std::string& target);

// `target` pointed at database `dbname`, as a key=value string. libpq parses
// the target, so a URI, a key=value string and "" (libpq's defaults) keep
// their meaning; only the database changes.
// Throws pgshift::Error when libpq cannot parse it, without citing it.
std::string with_database(const std::string& target, const std::string& dbname);

// `target` without its password (and sslpassword), as a key=value string
// holding every other option the target sets: a command printed for the user
// to run (the one that resumes an interrupted apply) connects the same way,
// with the password from PGPASSWORD or ~/.pgpass. Returns "" for "", and
// `target` itself when it holds no password.
// Throws pgshift::Error when libpq cannot parse it, without citing it.
std::string without_password(const std::string& target);

// Runs `statement` in `tx` through the extended query protocol (libpq's
// PQexecParams), which the server refuses when the text holds more than one
// statement ("cannot insert multiple commands into a prepared statement",
// SQLSTATE 42601). Every statement pgshift sends goes through here or through
// exec_params, so SQL text that escaped its place still cannot add a statement.
// Throws what pqxx throws.
pqxx::result exec_one(pqxx::transaction_base& tx, const std::string& statement);

// How a target is named in messages and prompts: "host=H port=P dbname=D
// user=U", read by libpq's own parser (PQconninfoParse) from a URI or a
// key=value string, with what the target leaves out taken from libpq's
// defaults (the PG* environment variables); nothing else of the target, so no
// password whatever it holds. "an invalid connection string" when libpq
// cannot parse it.
std::string describe_target(const std::string& target);

}  // namespace pgshift::catalog
