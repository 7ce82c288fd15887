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
// Throws pgshift::Error with a one-line message naming redact(target) when the
// server cannot be reached or refuses the login; the password never appears.
std::unique_ptr<pqxx::connection> connect(const std::string& target);

// `target` with every password replaced by "***": the user-info password of a
// URI, a "password" URI query parameter, and a password=... key of a key=value
// string (quoted or not). Other text is kept as is.
std::string redact(const std::string& target);

// `target` pointed at database `dbname`, as a key=value string. libpq parses
// the target, so a URI, a key=value string and "" (libpq's defaults) keep
// their meaning; only the database changes.
// Throws pgshift::Error naming redact(target) when libpq cannot parse it.
std::string with_database(const std::string& target, const std::string& dbname);

// Runs `statement` in `tx` through the extended query protocol (libpq's
// PQexecParams), which the server refuses when the text holds more than one
// statement ("cannot insert multiple commands into a prepared statement",
// SQLSTATE 42601). Every statement pgshift sends goes through here or through
// exec_params, so SQL text that escaped its place still cannot add a statement.
// Throws what pqxx throws.
pqxx::result exec_one(pqxx::transaction_base& tx, const std::string& statement);

// How a target is named in messages: redact(target), or a description of the
// libpq defaults when `target` is empty.
std::string describe_target(const std::string& target);

}  // namespace pgshift::catalog
