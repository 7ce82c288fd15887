#include "cli/dev_database.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <thread>

#include "catalog/connection.hpp"
#include "catalog/script.hpp"
#include "cli/interrupts.hpp"
#include "planner/normalize.hpp"
#include "planner/planner.hpp"
#include "schemas/error.hpp"
#include "schemas/spelling.hpp"
#include "schemas/sql_check_script.hpp"

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

// The drop of the last scratch database dropped in the background, running.
// Waited for before the next one starts, by wait_for_scratch_drop() and, last,
// when the process exits (this object's destructor runs before those of the
// interrupt watcher's state, made before main()).
class ScratchDrops {
 public:
  static ScratchDrops& instance() {
    static ScratchDrops drops;
    return drops;
  }
  // Called from the thread that made a ScratchAhead as well as the main one.
  template <typename Drop>
  void start(Drop drop) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_.joinable()) running_.join();
    running_ = std::thread(std::move(drop));
  }
  void wait() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (running_.joinable()) running_.join();
  }
  ~ScratchDrops() { wait(); }

 private:
  ScratchDrops() = default;
  std::mutex mutex_;
  std::thread running_;
};

// Holds the scratch database for the duration of one canonicalisation.
class ScratchDatabase {
 public:
  // `drop_in_background`: the destructor starts the drop on a thread of its
  // own (wait_for_scratch_drop() waits for it) instead of dropping.
  explicit ScratchDatabase(const std::string& server_target, bool drop_in_background = false)
      : admin_(catalog::connect(server_target)), drop_in_background_(drop_in_background) {
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

  // In the background, the drop runs beside what the command does next
  // (planning, asking the target): about 10 ms a plan does not wait for.
  ~ScratchDatabase() {
    auto drop = [admin = std::shared_ptr<pqxx::connection>(std::move(admin_)), name = name_] {
      std::lock_guard<std::mutex> lock(interrupts::scratch_mutex());
      interrupts::unregister_scratch();
      try {
        pqxx::nontransaction work(*admin);
        work.exec_params(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name);
        catalog::exec_one(work, "DROP DATABASE IF EXISTS " + work.quote_name(name));
      } catch (const std::exception&) {
        // Best effort: a leftover pgshift_dev_* database holds no data.
      }
    };
    if (!drop_in_background_) {
      drop();
      return;
    }
    try {
      ScratchDrops::instance().start(drop);
    } catch (const std::exception&) {
      drop();  // no thread to be had: here and now
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
  const bool drop_in_background_;
  std::string name_;
  std::string target_;
};

// `conn`'s session looks names up in `search_path` (none given: the
// database's own).
void use_search_path(pqxx::connection& conn, const std::string& search_path) {
  if (search_path.empty()) return;
  pqxx::nontransaction work(conn);
  work.exec_params("SELECT pg_catalog.set_config('search_path', $1, false)", search_path);
}

// A connection to the scratch database whose session looks names up in
// `search_path` (none given: the database's own).
std::unique_ptr<pqxx::connection> reading_connection(const ScratchDatabase& scratch,
                                                     const std::string& search_path) {
  auto conn = scratch.connect();
  use_search_path(*conn, search_path);
  return conn;
}

}  // namespace

struct ScratchAhead::Made {
  std::unique_ptr<ScratchDatabase> scratch;  // dropped in the background
  std::unique_ptr<pqxx::connection> conn;    // a session on it, the database's own settings
};

namespace {

// A new scratch database on the server at `server_target` and a session on it.
std::unique_ptr<ScratchAhead::Made> make_scratch(const std::string& server_target,
                                                 bool drop_in_background) {
  auto made = std::make_unique<ScratchAhead::Made>();
  made->scratch = std::make_unique<ScratchDatabase>(server_target, drop_in_background);
  made->conn = made->scratch->connect();
  return made;
}

}  // namespace

struct ScratchAhead::State {
  std::string server_target;
  std::shared_future<bool> decided;
  std::future<std::unique_ptr<Made>> making;
};

ScratchAhead::ScratchAhead() = default;

ScratchAhead::~ScratchAhead() {
  if (!state_ || !state_->making.valid()) return;
  try {
    state_->making.get();  // not used: its ScratchDatabase drops it
  } catch (const std::exception&) {
    // Not made: nothing to drop; a command that needed it would have said why.
  }
}

void ScratchAhead::start(const std::string& server_target, std::function<bool()> certain) {
  if (state_) return;
  auto state = std::make_unique<State>();
  state->server_target = server_target;
  auto decision = std::make_shared<std::promise<bool>>();
  state->decided = decision->get_future().share();
  try {
    state->making = std::async(
        std::launch::async,
        [server_target, certain = std::move(certain), decision]() -> std::unique_ptr<Made> {
          const bool build = certain();
          decision->set_value(build);
          if (!build) return nullptr;
          return make_scratch(server_target, /*drop_in_background=*/true);
        });
  } catch (const std::system_error&) {
    return;  // no thread: canonicalize_on_server creates its own, as without
  }
  state_ = std::move(state);
}

void ScratchAhead::wait_for_decision() {
  if (state_) state_->decided.wait();
}

std::unique_ptr<ScratchAhead::Made> ScratchAhead::take(const std::string& server_target) {
  if (!state_ || state_->server_target != server_target || !state_->making.valid()) return nullptr;
  return state_->making.get();
}

namespace {

// Whether the server refused `statement` because a DEFAULT names a column: a
// YAML `default: free` meant as the string 'free'. PostgreSQL 12 on says so
// (0A000 "cannot use column reference in DEFAULT expression"); 11 reports the
// name as a missing column (42703 column "free" does not exist), which is
// this case when the statement has `DEFAULT free`.
bool default_names_a_column(const catalog::BatchFailure& failure, const std::string& statement) {
  if (failure.sqlstate == "0A000") {
    return failure.message.find("column reference in DEFAULT") != std::string::npos;
  }
  if (failure.sqlstate != "42703") return false;
  const std::string prefix = "column \"";
  const auto start = failure.message.find(prefix);
  if (start == std::string::npos) return false;
  const auto end = failure.message.find('"', start + prefix.size());
  if (end == std::string::npos) return false;
  const std::string name = failure.message.substr(start + prefix.size(), end - start - prefix.size());
  const std::string words = "DEFAULT " + name;
  for (auto at = statement.find(words); at != std::string::npos;
       at = statement.find(words, at + 1)) {
    const auto after = at + words.size();
    if (after == statement.size() ||
        !(std::isalnum(static_cast<unsigned char>(statement[after])) || statement[after] == '_')) {
      return true;
    }
  }
  return false;
}

// The name in a server message "<kind> "<name>" does not exist" (a type, an
// access method), or "".
std::string missing_name(const std::string& message, const std::string& kind) {
  const std::string prefix = kind + " \"";
  const std::string suffix = "\" does not exist";
  if (message.rfind(prefix, 0) != 0) return "";
  const auto end = message.find('"', prefix.size());
  if (end == std::string::npos || message.compare(end, suffix.size(), suffix) != 0) return "";
  return message.substr(prefix.size(), end - prefix.size());
}

// The name nearest a misspelled type or access method, from PostgreSQL's
// built-in names and the desired state's own types, or "".
std::string nearest_known(const std::string& message, const schemas::Database& desired) {
  if (const std::string type = missing_name(message, "type"); !type.empty()) {
    std::vector<std::string> known = {
        "smallint",  "integer",     "bigint",    "int2",     "int4",      "int8",      "numeric",
        "decimal",   "real",        "float4",    "float8",   "text",      "varchar",   "char",
        "character", "bpchar",      "boolean",   "bool",     "date",      "time",      "timetz",
        "timestamp", "timestamptz", "interval",  "uuid",     "json",      "jsonb",     "bytea",
        "inet",      "cidr",        "macaddr",   "macaddr8", "money",     "xml",       "tsvector",
        "tsquery",   "oid",         "point",     "line",     "lseg",      "box",       "path",
        "polygon",   "circle",      "bit",       "varbit",   "int4range", "int8range", "numrange",
        "tsrange",   "tstzrange",   "daterange", "regclass"};
    for (const auto& schema : desired.schemas) {
      for (const auto& item : schema.enums) known.push_back(item.name);
      for (const auto& item : schema.domains) known.push_back(item.name);
      for (const auto& item : schema.composite_types) known.push_back(item.name);
    }
    // The desired state's own type, spelled right but not found: where the
    // server looked (the search_path hint), not a spelling.
    if (auto found = schemas::closest_name(type, known); found && *found != type) return *found;
  }
  if (const std::string method = missing_name(message, "access method"); !method.empty()) {
    if (auto found =
            schemas::closest_name(method, {"btree", "hash", "gist", "gin", "spgist", "brin"})) {
      return *found;
    }
  }
  return "";
}

// Runs the plan that creates `desired` from nothing, in the scratch database
// at `target`: in a few transactions and round trips (catalog::run_batch).
// Backfills have nothing to fill in an empty database and are skipped.
// A server error names the YAML place of the step's object (or its table's).
void build(const std::string& target, const plans::Plan& plan, const schemas::Database& desired,
           const schemas::SessionSettings& session) {
  std::vector<catalog::BatchStatement> statements;
  std::vector<std::pair<const plans::Step*, const std::string*>> sources;
  for (const auto& step : plan.steps) {
    for (const auto& statement : step.statements) {
      statements.push_back({statement, step.transactional});
      sources.emplace_back(&step, &statement);
    }
  }
  const auto failure = catalog::run_batch(target, statements, session);
  if (!failure) return;
  const plans::Step& step = *sources[failure->index].first;
  const std::string& statement = *sources[failure->index].second;
  std::string origin = schemas::origin_of(desired, step.object);
  // A type the server does not know, in a new table: the column that names
  // it is the place to fix, not the table's first line.
  if (const std::string type = missing_name(failure->message, "type");
      !type.empty() && step.object.kind == schemas::ObjectKind::Table) {
    const schemas::Schema* schema = schemas::find_schema(desired, step.object.schema);
    const schemas::Table* table =
        schema == nullptr ? nullptr : schemas::find_named(schema->tables, step.object.name);
    const std::vector<schemas::Column> none;
    for (const auto& column : table != nullptr ? table->columns : none) {
      const bool names_it =
          column.type.rfind(type, 0) == 0 &&
          (column.type.size() == type.size() ||
           std::string("([ ").find(column.type[type.size()]) != std::string::npos);
      if (!names_it) continue;
      const std::string place = schemas::origin_of(
          desired,
          {schemas::ObjectKind::Column, step.object.schema, step.object.name, column.name});
      if (!place.empty()) origin = place;
      break;
    }
  }
  std::string message = "the desired schema does not build: ";
  if (!origin.empty()) message += origin + ": ";
  message += step.summary + ": " + failure->message + "\n  in: " + statement;
  if (default_names_a_column(*failure, statement)) {
    message +=
        "\n  hint: a default is SQL: a string keeps its quotes inside the YAML string, "
        "e.g. default: \"'free'\"";
  }
  // A misspelled type or access method: the name meant, not the search_path.
  const std::string meant =
      failure->sqlstate == "42704" ? nearest_known(failure->message, desired) : "";
  if (!meant.empty()) {
    message += "\n  hint: did you mean \"" + meant + "\"?";
  } else if (!session.search_path.empty() &&
             // undefined_table, undefined_function, undefined_object (a type)
             (failure->sqlstate == "42P01" || failure->sqlstate == "42883" ||
              failure->sqlstate == "42704")) {
    message += "\n  hint: unqualified names are looked up in the target session's search_path (" +
               session.search_path +
               "), as inspect wrote them: qualify the name (schema.name), or plan with the "
               "search_path the YAML was written with";
  }
  throw pgshift::Error(message);
}

void carry_hints(const schemas::Database& desired, schemas::Database& canonical) {
  canonical.ignore = desired.ignore;
  canonical.drop_schemas = desired.drop_schemas;
  // renamed_from of what the scratch catalog names as the YAML does.
  const auto carry_renames = [](auto& items, const auto& wanted_items) {
    for (auto& item : items) {
      if (const auto* source = schemas::find_named(wanted_items, item.name)) {
        item.renamed_from = source->renamed_from;
      }
    }
  };
  for (auto& schema : canonical.schemas) {
    for (auto& view : schema.materialized_views) {
      for (const auto& wanted_schema : desired.schemas) {
        if (wanted_schema.name != schema.name) continue;
        if (const auto* wanted = schemas::find_named(wanted_schema.materialized_views, view.name)) {
          view.with_data = wanted->with_data;
          view.renamed_from = wanted->renamed_from;
          carry_renames(view.indexes, wanted->indexes);
        }
      }
    }
    if (const auto* wanted_schema = schemas::find_named(desired.schemas, schema.name)) {
      carry_renames(schema.sequences, wanted_schema->sequences);
      carry_renames(schema.views, wanted_schema->views);
      for (auto& type : schema.enums) {
        if (const auto* source = schemas::find_named(wanted_schema->enums, type.name)) {
          type.label_renamed_from = source->label_renamed_from;
        }
      }
    }
    for (auto& table : schema.tables) {
      const schemas::Table* wanted = schemas::find_table(desired, schema.name, table.name);
      if (!wanted) continue;
      table.backfill_batch_size = wanted->backfill_batch_size;
      table.renamed_from = wanted->renamed_from;
      table.expand_contract = wanted->expand_contract;
      carry_renames(table.policies, wanted->policies);
      carry_renames(table.unique_constraints, wanted->unique_constraints);
      carry_renames(table.check_constraints, wanted->check_constraints);
      carry_renames(table.foreign_keys, wanted->foreign_keys);
      carry_renames(table.exclusion_constraints, wanted->exclusion_constraints);
      carry_renames(table.indexes, wanted->indexes);
      if (table.primary_key && wanted->primary_key &&
          table.primary_key->name == wanted->primary_key->name) {
        table.primary_key->renamed_from = wanted->primary_key->renamed_from;
      }
      for (auto& column : table.columns) {
        const schemas::Column* source = schemas::find_named(wanted->columns, column.name);
        if (!source) continue;
        column.backfill = source->backfill;
        column.renamed_from = source->renamed_from;
        column.using_expr = source->using_expr;
        column.expand_contract = source->expand_contract;
      }
      // `validated: false` says NOT VALID is acceptable (rows may break the
      // constraint): the scratch tables are empty and validate everything.
      for (auto& check : table.check_constraints) {
        const auto* source = schemas::find_named(wanted->check_constraints, check.name);
        if (source && !source->validated) check.validated = false;
      }
      for (auto& key : table.foreign_keys) {
        const auto* source = schemas::find_named(wanted->foreign_keys, key.name);
        if (source && !source->validated) key.validated = false;
      }
    }
  }
}

// The desired state's owners (YAML only: the scratch database is built by
// one role) on the canonical model. A routine is matched by its signature
// with each argument type normalised, as the YAML may spell them otherwise.
void carry_owners(const schemas::Database& desired, schemas::Database& canonical) {
  schemas::remove_owners(canonical);
  canonical.manage_owners = desired.manage_owners;
  if (!desired.manage_owners) return;
  const auto routine_key = [](const schemas::Function& function) {
    std::string key = function.name + (function.is_procedure ? "/p(" : "/f(");
    for (const auto& arg : function.args) {
      if (arg.mode == schemas::ArgMode::Out || arg.mode == schemas::ArgMode::Table) continue;
      key += planner::normalize_type(arg.type) + ",";
    }
    return key + ")";
  };
  for (const auto& [id, owner] : schemas::owned_objects(desired)) {
    if (!*owner || id.kind == schemas::ObjectKind::Function ||
        id.kind == schemas::ObjectKind::Procedure) {
      continue;
    }
    if (auto* target = schemas::find_owner(canonical, id)) *target = *owner;
  }
  for (const auto& wanted_schema : desired.schemas) {
    auto* schema = schemas::find_named(canonical.schemas, wanted_schema.name);
    if (schema == nullptr) continue;
    for (const auto& wanted : wanted_schema.functions) {
      if (!wanted.owner) continue;
      const std::string key = routine_key(wanted);
      for (auto& function : schema->functions) {
        if (routine_key(function) == key) function.owner = wanted.owner;
      }
    }
  }
}

}  // namespace

schemas::Database build_from_sql(std::vector<SqlSource> sources,
                                 const std::string& server_target,
                                 const std::string& read_like) {
  // Every file is checked before anything connects: only statements that
  // stay inside the scratch database and run no code of the files may run.
  for (auto& source : sources) {
    source.checked = schemas::check_sql_script(source.text);
    if (const auto& problem = source.checked.problem) {
      throw pgshift::Error(problem->offset ? catalog::positioned(source.path, source.text,
                                                                 *problem->offset, problem->message)
                                           : source.path + ": " + problem->message);
    }
  }
  const std::string search_path = read_like.empty() ? "" : catalog::session_search_path(read_like);
  ScratchDatabase scratch(server_target);
  schemas::Database fresh;
  {
    auto conn = reading_connection(scratch, search_path);
    fresh = catalog::read_catalog(*conn);
  }
  {
    catalog::run_scripts(scratch.target(), sources);
  }
  auto conn = reading_connection(scratch, search_path);
  const schemas::Database built = catalog::read_catalog(*conn);
  // Manage the schemas the SQL created or changed: a fresh database's
  // untouched public schema is not a statement about the target's.
  catalog::ReadOptions options;
  options.sequence_usage = false;  // the scratch database's own: never used
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
  schemas::Database desired = catalog::read_catalog(*conn, options);
  // Materialized views were built WITH NO DATA (their queries would have run
  // here). Whether one holds rows is not said by SQL files: pg_dump
  // --schema-only writes WITH NO DATA for every one, populated or not. A
  // desired materialized view holds its rows.
  for (auto& schema : desired.schemas) {
    for (auto& view : schema.materialized_views) view.with_data = true;
  }
  return desired;
}

namespace {

// A build of this many tables or more analyzes the scratch catalogs before
// reading them back (build_and_read).
constexpr std::size_t kAnalyzeFromTables = 500;

std::size_t tables_in(const schemas::Database& database) {
  std::size_t count = 0;
  for (const auto& schema : database.schemas) count += schema.tables.size();
  return count;
}

// Builds `desired` in a new scratch database and reads back the schemas
// `read_schemas` names.
schemas::Database build_and_read(const schemas::Database& desired,
                                 const std::vector<std::string>& read_schemas,
                                 const std::string& server_target, const ScratchOptions& options) {
  const schemas::SessionSettings& session = options.session;
  std::unique_ptr<ScratchAhead::Made> made =
      options.ahead != nullptr ? options.ahead->take(server_target) : nullptr;
  if (made == nullptr) made = make_scratch(server_target, options.drop_in_background);
  const ScratchDatabase& scratch = *made->scratch;
  pqxx::connection* const conn = made->conn.get();
  use_search_path(*conn, session.search_path);

  // A new database is not empty (public, with its comment and owner): plan
  // from what it really holds, in the schemas to build (the others are not
  // the plan's): of those only public can exist, empty, so that the read
  // is of what is database-wide (catalog::read_catalog sends no query on
  // objects of schemas that hold none).
  catalog::ReadOptions fresh_options;
  fresh_options.sequence_usage = false;
  fresh_options.unmodelled = false;
  fresh_options.include_schemas = read_schemas;
  const schemas::Database fresh = catalog::read_catalog(*conn, fresh_options);
  // Materialized views are made WITH NO DATA: filling one runs its query, and
  // so any function of the YAML it calls, on the dev server. Whether the
  // desired view holds data is carried over from the YAML below.
  schemas::Database unfilled = desired;
  for (auto& schema : unfilled.schemas) {
    for (auto& view : schema.materialized_views) view.with_data = false;
  }
  // What the desired state defines is built whether its ignore patterns name
  // it or not: a key they name that a foreign key references must exist for
  // the foreign key. The canonical model drops the ignored objects after.
  unfilled.ignore.clear();
  const plans::Plan plan = planner::plan_changes(fresh, unfilled, planner::PlanOptions{});
  if (plans::has_errors(plan)) {
    std::string message = "the desired schema cannot be planned:";
    for (const auto& diagnostic : plan.diagnostics) {
      if (diagnostic.severity == plans::Severity::Error) message += "\n  " + diagnostic.message;
    }
    throw pgshift::Error(message);
  }
  build(scratch.target(), plan, desired, session);
  // The new database's catalogs have statistics of an empty database: their
  // planner would take tables holding thousands of rows for nearly empty
  // ones and pick nested loops for the reader's joins (twice the time at
  // 10,000 tables). A build of a few tables leaves them about as they were,
  // and analyzing them took about 40 ms of a 10-table change's plan.
  if (tables_in(desired) >= kAnalyzeFromTables) catalog::analyze_catalogs(*conn);

  catalog::ReadOptions built_options;
  built_options.sequence_usage = false;
  // Built by pgshift from a model: nothing the model does not hold.
  built_options.unmodelled = false;
  built_options.include_schemas = read_schemas;
  return catalog::read_catalog(*conn, built_options);
}

// The dev server's default version of each extension `desired` lists
// without a version (what CREATE EXTENSION installs there), and whether the
// dev server runs the major version `server_version_num` names.
struct DevServer {
  bool same_major = false;
  std::map<std::string, std::string> default_versions;
};

DevServer ask_dev_server(const schemas::Database& desired, const std::string& server_target,
                         int server_version_num, pqxx::connection* session) {
  DevServer server;
  std::unique_ptr<pqxx::connection> own;
  pqxx::connection* conn = session;
  if (conn == nullptr) {
    own = catalog::connect(server_target);
    conn = own.get();
  }
  server.same_major = conn->server_version() / 10000 == server_version_num / 10000;
  std::vector<std::string> names;
  for (const auto& extension : desired.extensions) {
    if (!extension.version) names.push_back(extension.name);
  }
  if (names.empty()) return server;
  pqxx::read_transaction work(*conn);
  for (const auto& row :
       work.exec_params("SELECT name, default_version FROM pg_catalog.pg_available_extensions "
                        "WHERE name = ANY ($1::text[]) AND default_version IS NOT NULL",
                        catalog::array_literal(names))) {
    server.default_versions[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return server;
}

}  // namespace

void wait_for_scratch_drop() {
  ScratchDrops::instance().wait();
}

schemas::Database canonicalize_on_server(schemas::Database desired,
                                         const std::string& server_target,
                                         const schemas::Database* current, ScratchSubset* chosen,
                                         const ScratchOptions& options) {
  std::vector<std::string> all_schemas;
  for (const auto& schema : desired.schemas) all_schemas.push_back(schema.name);
  // Schemas to drop do not exist here; naming them keeps the read to the
  // desired state's schemas when it defines none (an empty list reads all).
  all_schemas.insert(all_schemas.end(), desired.drop_schemas.begin(), desired.drop_schemas.end());

  ScratchSubset subset;
  subset.everything = true;
  if (current != nullptr) {
    const DevServer server = ask_dev_server(desired, server_target,
                                            current->facts.server_version_num, options.dev_session);
    // Another major version spells some things its own way: its spelling
    // of everything, as before.
    if (server.same_major)
      subset = choose_scratch_subset(desired, *current, server.default_versions);
  }
  schemas::Database canonical;
  if (subset.everything) {
    canonical = build_and_read(desired, all_schemas, server_target, options);
    carry_hints(desired, canonical);
    carry_owners(desired, canonical);
  } else if (subset.build.schemas.empty() && subset.build.extensions.empty()) {
    canonical = assemble_canonical(desired, *current, subset, nullptr);
    if (!canonical.manage_owners) schemas::remove_owners(canonical);
  } else {
    std::vector<std::string> built_schemas;
    for (const auto& schema : subset.build.schemas) built_schemas.push_back(schema.name);
    if (built_schemas.empty()) built_schemas = all_schemas;
    // The hints go on what was built while `desired` is whole; the clean
    // objects moved out of it by assemble_canonical carry their own.
    schemas::Database built = build_and_read(subset.build, built_schemas, server_target, options);
    carry_hints(desired, built);
    carry_owners(desired, built);
    canonical = assemble_canonical(desired, *current, subset, &built);
    if (!canonical.manage_owners) schemas::remove_owners(canonical);
  }
  if (chosen != nullptr) *chosen = std::move(subset);
  return canonical;
}

}  // namespace pgshift::cli
