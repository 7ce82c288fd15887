#include "catalog/lock_wait.hpp"

#include <string>

namespace pgshift::catalog {

std::string milliseconds_setting(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + "ms";
}

void set_lock_wait(pqxx::transaction_base& tx, std::chrono::milliseconds wait) {
  tx.exec_params("SELECT pg_catalog.set_config('lock_timeout', $1, true)",
                 milliseconds_setting(wait));
}

namespace {

// ACCESS EXCLUSIVE locks other sessions hold or wait for on relations of
// the schemas read ($1; empty: all but the system schemas), with who holds
// them: what a catalog read that gave up waiting was waiting behind.
constexpr const char* kExclusiveLocksQuery = R"SQL(
SELECT n.nspname, c.relname, c.relkind::text, l.granted, l.pid,
       coalesce(a.application_name, ''), coalesce(a.state, ''),
       coalesce(extract(epoch FROM now() - a.xact_start)::bigint, 0),
       coalesce(left(regexp_replace(a.query, '\s+', ' ', 'g'), 120), ''),
       CASE WHEN l.granted THEN '' ELSE array_to_string(pg_blocking_pids(l.pid), ', ') END
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid <> pg_backend_pid()
  AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
  AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1::text[]))
ORDER BY l.granted DESC, n.nspname, c.relname, l.pid
LIMIT 10
)SQL";

std::string relation_kind(const std::string& relkind) {
  if (relkind == "r" || relkind == "p") return "table";
  if (relkind == "i" || relkind == "I") return "index";
  if (relkind == "v") return "view";
  if (relkind == "m") return "materialized view";
  if (relkind == "S") return "sequence";
  return "relation";
}

}  // namespace

std::string gave_up_waiting(std::chrono::milliseconds wait) {
  const auto count = wait.count();
  return "gave up after waiting " +
         (count % 1000 == 0 ? std::to_string(count / 1000) + " s" : std::to_string(count) + " ms") +
         " for a lock";
}

std::string exclusive_lock_sessions(pqxx::transaction_base& tx, const std::string& schemas) {
  std::string sessions;
  for (const auto& row : tx.exec_params(kExclusiveLocksQuery, schemas)) {
    std::string who = "pid " + row[4].as<std::string>() + " (";
    if (!row[5].as<std::string>().empty()) who += row[5].as<std::string>() + ", ";
    if (!row[6].as<std::string>().empty()) who += row[6].as<std::string>() + ", ";
    who += "transaction open " + row[7].as<std::string>() + " s";
    if (!row[8].as<std::string>().empty()) who += ": " + row[8].as<std::string>();
    who += ")";
    const std::string relation = relation_kind(row[2].as<std::string>()) + " \"" +
                                 row[0].as<std::string>() + "." + row[1].as<std::string>() + "\"";
    if (!sessions.empty()) sessions += "; ";
    if (row[3].as<bool>()) {
      sessions += who + " holds ACCESS EXCLUSIVE on " + relation;
    } else {
      sessions += who + " waits for ACCESS EXCLUSIVE on " + relation;
      if (!row[9].as<std::string>().empty()) sessions += " behind pid " + row[9].as<std::string>();
    }
  }
  return sessions;
}

ReadError lock_wait_error(pqxx::connection& conn, const ReadOptions& options,
                          const ReadError& failure) {
  std::string message = gave_up_waiting(options.lock_wait);
  try {
    pqxx::nontransaction work(conn);
    const std::string sessions =
        exclusive_lock_sessions(work, array_literal(options.include_schemas));
    if (sessions.empty()) {
      message += " another session held (it is gone now: run again)";
    } else {
      message += ": " + sessions +
                 "; the read takes only ACCESS SHARE locks, queued behind these: run again once "
                 "they end";
    }
  } catch (const std::exception& e) {
    message += " (" + std::string(e.what()).substr(0, std::string(e.what()).find('\n')) + ")";
  }
  return ReadError(failure.what_was_read(), message, kLockNotAvailable);
}

ReadError statement_timeout_error(pqxx::connection& conn, const ReadError& failure) {
  if (std::string(failure.what()).find("statement timeout") == std::string::npos) return failure;
  std::string timeout;
  try {
    pqxx::nontransaction work(conn);
    timeout = work.exec("SHOW statement_timeout")[0][0].as<std::string>();
  } catch (const std::exception&) {
    return failure;
  }
  return ReadError(failure.what_was_read(),
                   "canceled by the session's statement_timeout (" + timeout +
                       ", as the server, database or role sets it, or PGOPTIONS) before the "
                       "read ended; give pgshift's session more, e.g. "
                       "PGOPTIONS='-c statement_timeout=10min'",
                   kQueryCanceled);
}

}  // namespace pgshift::catalog
