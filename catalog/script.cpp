#include "catalog/script.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>

#include "schemas/error.hpp"

namespace pgshift::catalog {

namespace {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// The 1-based line and column (in characters) of the 1-based character
// `position` of UTF-8 `text`, and the text of that line.
struct SourcePosition {
  int line = 1;
  int column = 1;
  std::string line_text;
};

SourcePosition locate(const std::string& text, long position) {
  SourcePosition at;
  size_t line_start = 0;
  long characters = 0;
  size_t byte = 0;
  for (; byte < text.size(); ++byte) {
    const unsigned char c = static_cast<unsigned char>(text[byte]);
    if ((c & 0xC0) == 0x80) continue;  // a UTF-8 continuation byte
    if (++characters == position) break;
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

std::string field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

// `text` with pg_dump's `\restrict KEY` and `\unrestrict KEY` lines (psql
// meta-commands pg_dump writes since 17.6, 16.10, 15.14, ...: they only
// guard psql against a hostile dump) blanked with as many spaces, so that the
// server's positions still point into the original text.
std::string without_dump_guards(std::string text) {
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string::npos) line_end = text.size();
    const std::string line = text.substr(line_start, line_end - line_start);
    if (line.rfind("\\restrict ", 0) == 0 || line.rfind("\\unrestrict ", 0) == 0) {
      std::fill(text.begin() + static_cast<std::ptrdiff_t>(line_start),
                text.begin() + static_cast<std::ptrdiff_t>(line_end), ' ');
    }
    line_start = line_end + 1;
  }
  return text;
}

// Runs `source` on `conn`; throws pgshift::Error at the server's position.
void run_source(PGconn* conn, const Script& source) {
  const std::string sql = without_dump_guards(source.text);
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql.c_str()), &PQclear);
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_FATAL_ERROR && status != PGRES_BAD_RESPONSE &&
      status != PGRES_NONFATAL_ERROR) {
    return;
  }
  if (!result) throw pgshift::Error(source.path + ": " + PQerrorMessage(conn));
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
    const SourcePosition at = locate(source.text, std::stol(position));
    text += source.path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
            message + "\n  " + at.line_text + "\n  " +
            std::string(static_cast<size_t>(at.column - 1), ' ') + "^";
    if (at.line_text.rfind('\\', 0) == 0) {
      text +=
          "\n  hint: a psql meta-command is not SQL: the files run as plain SQL (pg_dump's "
          "\\restrict and \\unrestrict lines are skipped)";
    }
  } else {
    text += source.path + ": " + message;
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
  for (const auto& script : scripts) run_source(conn.get(), script);
}

}  // namespace pgshift::catalog
