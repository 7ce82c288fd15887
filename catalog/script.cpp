#include "catalog/script.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "schemas/error.hpp"
#include "schemas/model.hpp"

namespace pgshift::catalog {

namespace {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// The 1-based line and column (in characters) of byte `offset` of UTF-8
// `text`, and the text of that line.
struct SourcePosition {
  int line = 1;
  int column = 1;
  std::string line_text;
};

SourcePosition locate(const std::string& text, size_t offset) {
  SourcePosition at;
  size_t line_start = 0;
  for (size_t byte = 0; byte < text.size() && byte < offset; ++byte) {
    const unsigned char c = static_cast<unsigned char>(text[byte]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    if (c == '\n') {
      ++at.line;
      at.column = 1;
      line_start = byte + 1;
    } else {
      ++at.column;
    }
  }
  const size_t line_end = text.find('\n', line_start);
  at.line_text = text.substr(
      line_start, line_end == std::string::npos ? std::string::npos : line_end - line_start);
  return at;
}

// The byte offset in `text`, from `start`, of the 1-based character `position`.
size_t byte_of_character(const std::string& text, size_t start, long position) {
  size_t byte = start;
  long characters = 0;
  for (; byte < text.size(); ++byte) {
    const unsigned char c = static_cast<unsigned char>(text[byte]);
    if ((c & 0xC0) == 0x80) continue;
    if (++characters == position) break;
  }
  return byte;
}

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

// Runs one statement of `script` on `conn`; throws pgshift::Error at the
// server's position.
void run_statement(PGconn* conn, const Script& script, const schemas::ScriptStatement& statement) {
  const std::string sql =
      script.checked.runnable.substr(statement.offset, statement.length) + statement.suffix;
  // The extended query protocol: should the server split the text into more
  // statements than libpg_query did, it refuses instead of running them.
  std::unique_ptr<PGresult, decltype(&PQclear)> result(
      PQexecParams(conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0), &PQclear);
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_FATAL_ERROR && status != PGRES_BAD_RESPONSE &&
      status != PGRES_NONFATAL_ERROR) {
    return;
  }
  if (!result) throw pgshift::Error(script.path + ": " + PQerrorMessage(conn));
  std::string message = field(result.get(), PG_DIAG_MESSAGE_PRIMARY);
  if (message.empty()) message = first_line(PQresultErrorMessage(result.get()));
  const std::string sqlstate = field(result.get(), PG_DIAG_SQLSTATE);
  if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";
  const std::string detail = field(result.get(), PG_DIAG_MESSAGE_DETAIL);
  const std::string hint = field(result.get(), PG_DIAG_MESSAGE_HINT);
  const std::string context = field(result.get(), PG_DIAG_CONTEXT);
  std::string text = "the desired schema does not build: ";
  const std::string position = field(result.get(), PG_DIAG_STATEMENT_POSITION);
  if (!position.empty()) {
    const size_t offset = std::min(
        byte_of_character(script.checked.runnable, statement.offset, std::stol(position)),
        statement.offset + statement.length);
    text += positioned(script.path, script.text, offset, message);
  } else {
    text += script.path + ": " + message;
  }
  if (!detail.empty()) text += "\n  detail: " + detail;
  if (!hint.empty()) text += "\n  hint: " + hint;
  if (!context.empty()) text += "\n  context: " + first_line(context);
  throw pgshift::Error(text);
}

}  // namespace

void run_scripts(const std::string& target, const std::vector<Script>& scripts) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(target.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw pgshift::Error("could not connect to the scratch database: " +
                         first_line(PQerrorMessage(conn.get())));
  }
  // Notices (CREATE ... IF NOT EXISTS, pg_dump's SETs) are not ours to print.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  for (const auto& script : scripts) {
    for (const auto& statement : script.checked.statements) {
      run_statement(conn.get(), script, statement);
    }
  }
}

namespace {

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

bool failed(ExecStatusType status) {
  return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ||
         status == PGRES_NONFATAL_ERROR;
}

BatchFailure failure_of(PGconn* conn, const PGresult* result, std::size_t index) {
  BatchFailure failure;
  failure.index = index;
  if (result != nullptr) {
    failure.message = field(result, PG_DIAG_MESSAGE_PRIMARY);
    failure.sqlstate = field(result, PG_DIAG_SQLSTATE);
    if (failure.message.empty()) failure.message = first_line(PQresultErrorMessage(result));
  }
  if (failure.message.empty()) failure.message = first_line(PQerrorMessage(conn));
  if (!failure.sqlstate.empty()) failure.message += " (SQLSTATE " + failure.sqlstate + ")";
  return failure;
}

[[noreturn]] void lost(PGconn* conn) {
  throw pgshift::Error("lost the connection to the scratch database: " +
                       first_line(PQerrorMessage(conn)));
}

// Runs one statement outside pipeline mode (and so, as it is alone, outside
// any transaction block).
std::optional<BatchFailure> run_alone(PGconn* conn, const std::string& sql, std::size_t index) {
  Result result(PQexecParams(conn, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0),
                &PQclear);
  if (!result) lost(conn);
  if (failed(PQresultStatus(result.get()))) return failure_of(conn, result.get(), index);
  return std::nullopt;
}

// How many statements go out before the client reads their results: a bound
// on what either side buffers while the other is not reading.
constexpr std::size_t kPipelineChunk = 250;

// How many statements one transaction holds at most: every relation a
// transaction creates keeps a lock until it ends, and the server's lock table
// (max_locks_per_transaction x max_connections, 6,400 by default) is shared by
// every session: 10,000 tables in one transaction exhaust it.
constexpr std::size_t kStatementsPerTransaction = 500;

// Sends statements[first, last) through pipeline mode, as one transaction
// (BEGIN and COMMIT included), a sync after every kPipelineChunk of them, and
// reads every result. Returns the first failure.
std::optional<BatchFailure> run_transaction(PGconn* conn,
                                            const std::vector<BatchStatement>& statements,
                                            std::size_t first, std::size_t last) {
  if (PQenterPipelineMode(conn) != 1) lost(conn);
  // The statement each sent query is: BEGIN is charged to the first one,
  // COMMIT (deferred checks) to the last.
  std::optional<BatchFailure> failure;
  std::size_t next = first;
  bool began = false;
  bool committed = false;
  while (!committed && !failure) {
    std::vector<std::size_t> sent;
    const auto send = [&](const char* sql, std::size_t index) {
      if (PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) lost(conn);
      sent.push_back(index);
    };
    if (!began) {
      send("BEGIN", first);
      began = true;
    }
    while (next < last && sent.size() < kPipelineChunk) {
      send(statements[next].sql.c_str(), next);
      ++next;
    }
    if (next == last) {
      send("COMMIT", last - 1);
      committed = true;
    }
    if (PQpipelineSync(conn) != 1) lost(conn);
    for (const std::size_t index : sent) {
      Result result(PQgetResult(conn), &PQclear);
      if (!result) lost(conn);
      const ExecStatusType status = PQresultStatus(result.get());
      if (failed(status) && !failure) {
        failure = failure_of(conn, result.get(), index);
      }
      // Each query's results end with a null.
      while (Result more{PQgetResult(conn), &PQclear}) {
      }
    }
    Result sync(PQgetResult(conn), &PQclear);
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) lost(conn);
  }
  if (PQexitPipelineMode(conn) != 1) lost(conn);
  if (failure && !committed) {
    Result rollback(PQexec(conn, "ROLLBACK"), &PQclear);
  }
  return failure;
}

}  // namespace

std::optional<BatchFailure> run_batch(const std::string& target,
                                      const std::vector<BatchStatement>& statements,
                                      const schemas::SessionSettings& session) {
  Connection conn(PQconnectdb(target.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw pgshift::Error("could not connect to the scratch database: " +
                         first_line(PQerrorMessage(conn.get())));
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  Result set(PQexec(conn.get(), "SET synchronous_commit = off"), &PQclear);
  if (!set || failed(PQresultStatus(set.get()))) lost(conn.get());
  const std::pair<const char*, const std::string*> settings[] = {
      {"search_path", &session.search_path},
      {"DateStyle", &session.date_style},
      {"IntervalStyle", &session.interval_style},
      {"TimeZone", &session.time_zone}};
  for (const auto& [name, value] : settings) {
    if (value->empty()) continue;
    const char* values[] = {name, value->c_str()};
    Result set_one(PQexecParams(conn.get(), "SELECT pg_catalog.set_config($1, $2, false)", 2,
                                nullptr, values, nullptr, nullptr, 0),
                   &PQclear);
    if (!set_one || failed(PQresultStatus(set_one.get()))) lost(conn.get());
  }
  std::size_t next = 0;
  while (next < statements.size()) {
    std::optional<BatchFailure> failure;
    if (!statements[next].transactional) {
      failure = run_alone(conn.get(), statements[next].sql, next);
      ++next;
    } else {
      std::size_t end = next;
      while (end < statements.size() && statements[end].transactional &&
             end - next < kStatementsPerTransaction) {
        ++end;
      }
      failure = run_transaction(conn.get(), statements, next, end);
      next = end;
    }
    if (failure) return failure;
  }
  return std::nullopt;
}

std::string positioned(const std::string& path, const std::string& text, size_t offset,
                       const std::string& message) {
  const SourcePosition at = locate(text, offset);
  offset = std::min(offset, text.size());
  const size_t line_start = offset == 0 ? 0 : text.rfind('\n', offset - 1) + 1;  // npos + 1: 0
  const schemas::ShownLine shown = schemas::shown_with_caret(at.line_text, offset - line_start);
  std::string out = path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                    message + "\n  " + shown.text + "\n  " + shown.caret;
  if (at.line_text.rfind('\\', 0) == 0) {
    out +=
        "\n  hint: a psql meta-command is not SQL: the files run as plain SQL (pg_dump's "
        "\\restrict and \\unrestrict lines are skipped)";
  }
  return out;
}

}  // namespace pgshift::catalog
