// How a catalog read waits for locks, and what it says when it gives up.
//
// Reading the catalog takes ACCESS SHARE locks (deparsing a CHECK opens its
// table, pg_sequence_last_value opens a sequence). Behind a session that holds
// or waits for ACCESS EXCLUSIVE they queue; every read of this folder waits
// at most ReadOptions::lock_wait, then names who it waited behind.
#pragma once

#include <chrono>
#include <pqxx/pqxx>
#include <string>

#include "catalog/reader.hpp"

namespace pgshift::catalog {

// The SQLSTATE of a lock_timeout expiry (lock_not_available).
inline constexpr const char* kLockNotAvailable = "55P03";

// The SQLSTATE of a statement cancelled, by statement_timeout among others
// (query_canceled).
inline constexpr const char* kQueryCanceled = "57014";

// `duration` as a setting's value: "1800ms".
std::string milliseconds_setting(std::chrono::milliseconds duration);

// Sets lock_timeout to `wait` for the rest of `tx` (set_config(..., true)).
void set_lock_wait(pqxx::transaction_base& tx, std::chrono::milliseconds wait);

// "gave up after waiting 10 s for a lock" (or "1800 ms").
std::string gave_up_waiting(std::chrono::milliseconds wait);

// The sessions that hold or wait for ACCESS EXCLUSIVE on relations of
// `schemas` (a text[] literal; "{}": every schema but the system ones), read
// in `tx`, at most 10: "pid 12 (psql, idle in transaction, transaction open
// 40 s: LOCK TABLE t) holds ACCESS EXCLUSIVE on table \"public.t\"; ...";
// "" when none does. Throws pqxx errors.
std::string exclusive_lock_sessions(pqxx::transaction_base& tx, const std::string& schemas);

// The error for `failure` (a read of options.include_schemas that gave up
// waiting for a lock): how long it waited and the sessions that hold or wait
// for ACCESS EXCLUSIVE on relations of those schemas, read on `conn`.
// REQUIRES: the failed read's transaction has ended.
ReadError lock_wait_error(pqxx::connection& conn, const ReadOptions& options,
                          const ReadError& failure);

// The error for `failure` (a read cancelled, SQLSTATE 57014) when the
// session's statement_timeout, read on `conn`, is what cancelled it: the
// setting pgshift inherited (server, database, role or PGOPTIONS) and how to
// give the read longer. `failure` itself otherwise (a cancel request).
// REQUIRES: the failed read's transaction has ended.
ReadError statement_timeout_error(pqxx::connection& conn, const ReadError& failure);

}  // namespace pgshift::catalog
