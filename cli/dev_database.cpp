#include "cli/dev_database.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <sstream>

#include "catalog/connection.hpp"
#include "cli/interrupts.hpp"
#include "planner/planner.hpp"
#include "schemas/error.hpp"

namespace pgshift::cli {

using plans::Plan;
using plans::Severity;

namespace {

std::string first_line(const std::string& text) {
  const auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// The server's message without libpq's "ERROR:  " prefix, and its SQLSTATE
// when libpqxx knows it: "permission denied to create database (SQLSTATE
// 42501)". libpqxx 6.4 leaves sqlstate() empty for some errors (this one);
// then it is left out rather than printed as "(SQLSTATE )".
std::string server_error(const pqxx::sql_error& error) {
  std::string message = first_line(error.what());
  const std::string prefix = "ERROR:  ";
  if (message.rfind(prefix, 0) == 0) message = message.substr(prefix.size());
  if (!error.sqlstate().empty()) message += " (SQLSTATE " + error.sqlstate() + ")";
  return message;
}

std::string scratch_name() {
  std::random_device device;
  std::ostringstream name;
  name << "pgshift_dev_" << std::hex << device() << device();
  return name.str();
}

// Holds the scratch database for the duration of one canonicalisation.
class ScratchDatabase {
 public:
  ScratchDatabase(const std::string& server_target) : admin_(catalog::connect(server_target)) {
    name_ = scratch_name();
    // Registered before it exists: an interrupt waits for the CREATE to end,
    // then drops it (cli/interrupts.hpp).
    std::lock_guard<std::mutex> lock(interrupts::scratch_mutex());
    interrupts::register_scratch(server_target, name_);
    try {
      pqxx::nontransaction work(*admin_);
      catalog::exec_one(work, "CREATE DATABASE " + work.quote_name(name_) + " TEMPLATE template0");
    } catch (const pqxx::sql_error& e) {
      interrupts::unregister_scratch();
      throw pgshift::Error(
          "could not create a scratch database on " + catalog::describe_target(server_target) +
          " to put the desired schema in the server's own spelling: " + server_error(e) +
          "; give a server where pgshift may create databases (CREATEDB) with --dev-db");
    }
    target_ = server_target;
  }

  ~ScratchDatabase() {
    std::lock_guard<std::mutex> lock(interrupts::scratch_mutex());
    interrupts::unregister_scratch();
    try {
      pqxx::nontransaction work(*admin_);
      work.exec_params("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                       name_);
      catalog::exec_one(work, "DROP DATABASE IF EXISTS " + work.quote_name(name_));
    } catch (const std::exception&) {
      // Best effort: a leftover pgshift_dev_* database holds no data.
    }
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  std::unique_ptr<pqxx::connection> connect() const {
    return catalog::connect(catalog::with_database(target_, name_));
  }

  // The scratch database as a libpq target (key=value string).
  std::string target() const { return catalog::with_database(target_, name_); }

 private:
  std::unique_ptr<pqxx::connection> admin_;
  std::string name_;
  std::string target_;
};

// Runs the plan that creates `desired` from nothing. Backfills have nothing to
// fill in an empty database and are skipped.
void build(pqxx::connection& conn, const plans::Plan& plan) {
  for (const auto& step : plan.steps) {
    for (const auto& statement : step.statements) {
      try {
        pqxx::nontransaction work(conn);
        catalog::exec_one(work, statement);
      } catch (const pqxx::sql_error& e) {
        throw pgshift::Error("the desired schema does not build: " + step.summary + ": " +
                             server_error(e) + "\n  in: " + statement);
      }
    }
  }
}

void carry_hints(const schemas::Database& desired, schemas::Database& canonical) {
  canonical.ignore = desired.ignore;
  canonical.drop_schemas = desired.drop_schemas;
  for (auto& schema : canonical.schemas) {
    for (auto& view : schema.materialized_views) {
      for (const auto& wanted_schema : desired.schemas) {
        if (wanted_schema.name != schema.name) continue;
        if (const auto* wanted = schemas::find_named(wanted_schema.materialized_views, view.name)) {
          view.with_data = wanted->with_data;
        }
      }
    }
    for (auto& table : schema.tables) {
      const schemas::Table* wanted = schemas::find_table(desired, schema.name, table.name);
      if (!wanted) continue;
      table.backfill_batch_size = wanted->backfill_batch_size;
      table.renamed_from = wanted->renamed_from;
      for (auto& column : table.columns) {
        const schemas::Column* source = schemas::find_named(wanted->columns, column.name);
        if (!source) continue;
        column.backfill = source->backfill;
        column.renamed_from = source->renamed_from;
      }
    }
  }
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
void run_source(PGconn* conn, const SqlSource& source) {
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

schemas::Database build_from_sql(const std::vector<SqlSource>& sources,
                                 const std::string& server_target) {
  ScratchDatabase scratch(server_target);
  schemas::Database fresh;
  {
    auto conn = scratch.connect();
    fresh = catalog::read_catalog(*conn);
  }
  {
    std::unique_ptr<PGconn, decltype(&PQfinish)> raw(PQconnectdb(scratch.target().c_str()),
                                                     &PQfinish);
    if (PQstatus(raw.get()) != CONNECTION_OK) {
      throw pgshift::Error("could not connect to the scratch database: " +
                           first_line(PQerrorMessage(raw.get())));
    }
    // Notices (CREATE ... IF NOT EXISTS, pg_dump's SETs) are not ours to print.
    PQsetNoticeProcessor(
        raw.get(), [](void*, const char*) {}, nullptr);
    for (const auto& source : sources) run_source(raw.get(), source);
  }
  auto conn = scratch.connect();
  const schemas::Database built = catalog::read_catalog(*conn);
  // Manage the schemas the SQL created or changed: a fresh database's
  // untouched public schema is not a statement about the target's.
  catalog::ReadOptions options;
  for (const auto& schema : built.schemas) {
    const schemas::Schema* before = schemas::find_schema(fresh, schema.name);
    if (before == nullptr || !(*before == schema)) options.include_schemas.push_back(schema.name);
  }
  if (options.include_schemas.empty()) {
    std::string names;
    for (const auto& source : sources) names += (names.empty() ? "" : ", ") + source.path;
    throw pgshift::Error("the desired schema is empty: " + names +
                         " created no object in any schema");
  }
  return catalog::read_catalog(*conn, options);
}

schemas::Database canonicalize_on_server(const schemas::Database& desired,
                                         const std::string& server_target) {
  ScratchDatabase scratch(server_target);
  auto conn = scratch.connect();

  // A new database is not empty (public, with its comment and owner): plan
  // from what it really holds.
  const schemas::Database fresh = catalog::read_catalog(*conn);
  // Materialized views are made WITH NO DATA: filling one runs its query, and
  // so any function of the YAML it calls, on the dev server. Whether the
  // desired view holds data is carried over from the YAML below.
  schemas::Database unfilled = desired;
  for (auto& schema : unfilled.schemas) {
    for (auto& view : schema.materialized_views) view.with_data = false;
  }
  const plans::Plan plan = planner::plan_changes(fresh, unfilled, planner::PlanOptions{});
  if (plans::has_errors(plan)) {
    std::string message = "the desired schema cannot be planned:";
    for (const auto& diagnostic : plan.diagnostics) {
      if (diagnostic.severity == plans::Severity::Error) message += "\n  " + diagnostic.message;
    }
    throw pgshift::Error(message);
  }
  build(*conn, plan);

  catalog::ReadOptions options;
  for (const auto& schema : desired.schemas) options.include_schemas.push_back(schema.name);
  // Schemas to drop do not exist here; naming them keeps the read to the
  // desired state's schemas when it defines none (an empty list reads all).
  options.include_schemas.insert(options.include_schemas.end(), desired.drop_schemas.begin(),
                                 desired.drop_schemas.end());
  schemas::Database canonical = catalog::read_catalog(*conn, options);
  carry_hints(desired, canonical);
  return canonical;
}

}  // namespace pgshift::cli
