// The dev database refuses a second statement hidden in SQL text: every
// statement goes through the extended query protocol (catalog::run_batch), so
// a desired state that got past the YAML loader's checks (here: built in C++,
// the loader is bypassed) still cannot create a role or change a database
// setting on the dev server.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "catalog/script.hpp"
#include "cli/dev_database.hpp"
#include "schemas/yaml_loader.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::TestDatabase;
namespace schemas = pgshift::schemas;

namespace {

schemas::Database base_model() {
  schemas::Table table{"t"};
  table.columns.push_back(schemas::Column{"id", "bigint"});
  table.columns.push_back(schemas::Column{"c", "integer"});
  table.primary_key = schemas::PrimaryKey{"t_pkey", {"id"}};
  schemas::Schema schema{"public"};
  schema.tables.push_back(table);
  schemas::Database db;
  db.schemas.push_back(schema);
  return db;
}

schemas::Table& table_of(schemas::Database& db) { return db.schemas[0].tables[0]; }

struct Route {
  const char* field;
  // Puts `payload` (SQL that closes its place, adds `statement`, reopens) in the model.
  std::function<void(schemas::Database&, const std::string& statement)> inject;
};

const Route kRoutes[] = {
    {"column default",
     [](schemas::Database& db, const std::string& s) {
       table_of(db).columns[1].default_expr = "0); " + s + "; CREATE TABLE pwn (id int, c integer DEFAULT 1";
     }},
    {"column type",
     [](schemas::Database& db, const std::string& s) {
       table_of(db).columns[1].type = "integer); " + s + "; CREATE TABLE pwn_type (a int";
     }},
    {"generated expression",
     [](schemas::Database& db, const std::string& s) {
       table_of(db).columns[1].generated = "id) STORED); " + s + "; CREATE TABLE pwn (id int, c int GENERATED ALWAYS AS (id";
     }},
    {"check",
     [](schemas::Database& db, const std::string& s) {
       table_of(db).check_constraints.push_back(
           schemas::CheckConstraint{"c_check", "c > 0)); " + s + "; SELECT ((1"});
     }},
    {"index where",
     [](schemas::Database& db, const std::string& s) {
       schemas::Index index{"t_c_idx"};
       index.keys.push_back(schemas::IndexKey{std::string("c")});
       index.where = "c > 0; " + s;
       table_of(db).indexes.push_back(index);
     }},
    {"index options",
     [](schemas::Database& db, const std::string& s) {
       schemas::Index index{"t_c_idx"};
       index.keys.push_back(schemas::IndexKey{std::string("c")});
       index.options["fillfactor"] = "70); " + s + "; SELECT (1";
       table_of(db).indexes.push_back(index);
     }},
    {"view query",
     [](schemas::Database& db, const std::string& s) {
       db.schemas[0].views.push_back(schemas::View{"v", "SELECT 1 AS a; " + s});
     }},
    {"domain check",
     [](schemas::Database& db, const std::string& s) {
       schemas::Domain domain{"positive", "integer"};
       domain.checks.push_back({"positive_check", "VALUE > 0); " + s + "; SELECT (1"});
       db.schemas[0].domains.push_back(domain);
     }},
    {"trigger when",
     [](schemas::Database& db, const std::string& s) {
       schemas::Function function{"touch"};
       function.returns = "trigger";
       function.language = "plpgsql";
       function.body = "BEGIN RETURN NEW; END";
       db.schemas[0].functions.push_back(function);
       schemas::Trigger trigger{"t_touch"};
       trigger.timing = schemas::TriggerTiming::Before;
       trigger.events = {"UPDATE"};
       trigger.for_each_row = true;
       trigger.function = "public.touch";
       trigger.when = "true) EXECUTE FUNCTION public.touch(); " + s +
                      "; CREATE TRIGGER pwn BEFORE UPDATE ON public.t FOR EACH ROW WHEN (true";
       table_of(db).triggers.push_back(trigger);
     }},
    {"function argument default",
     [](schemas::Database& db, const std::string& s) {
       schemas::Function function{"f"};
       schemas::FunctionArg arg;
       arg.name = "a";
       arg.type = "integer";
       arg.default_expr = "0) RETURNS integer LANGUAGE sql AS 'SELECT 1'; " + s +
                          "; CREATE FUNCTION pwn(a integer DEFAULT 0";
       function.args.push_back(arg);
       function.returns = "integer";
       function.body = "SELECT 1";
       db.schemas[0].functions.push_back(function);
     }},
    {"partition bound",
     [](schemas::Database& db, const std::string& s) {
       table_of(db).primary_key.reset();
       schemas::PartitionBy by;
       by.strategy = schemas::PartitionStrategy::Range;
       by.key = "id";
       table_of(db).partition_by = by;
       schemas::Table part{"t_1"};
       part.columns = table_of(db).columns;
       schemas::PartitionOf of;
       of.parent_schema = "public";
       of.parent_table = "t";
       of.bound = "FOR VALUES FROM (0) TO (10); " + s + "; SELECT 1";
       part.partition_of = of;
       db.schemas[0].tables.push_back(part);
     }},
};

}  // namespace

TEST_CASE("a second statement in any SQL text field is refused by the dev server",
          "[cli][db]") {
  TestDatabase db;
  // This database's settings and every database's (role-wide): other tests
  // running beside this one make databases with settings of their own.
  const std::string settings_query =
      "SELECT coalesce(string_agg(array_to_string(setconfig, ','), ';'), '') "
      "FROM pg_db_role_setting WHERE setdatabase IN "
      "(0, (SELECT oid FROM pg_database WHERE datname = current_database()))";
  const std::string settings_before = db.scalar(settings_query);
  for (const Route& route : kRoutes) {
    for (const std::string& statement :
         {std::string("CREATE ROLE pwn_role"),
          "ALTER DATABASE " + db.name() + " SET statement_timeout = 1"}) {
      INFO(route.field << ": " << statement);
      schemas::Database desired = base_model();
      route.inject(desired, statement);
      schemas::canonicalize(desired);
      try {
        pgshift::cli::canonicalize_on_server(desired, db.url());
        FAIL("the desired schema built");
      } catch (const std::exception& e) {
        // PostgreSQL 11 has no generated columns: its parser stops first.
        const bool no_generated = std::string(route.field) == "generated expression" &&
                                  pgshift::testing::server_version_num(db) < 120000;
        CHECK_THAT(e.what(), Catch::Contains(no_generated ? "syntax error at or near \"(\""
                                                           : "cannot insert multiple commands"));
      }
      CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'pwn_role'") == "0");
      CHECK(db.scalar(settings_query) == settings_before);
    }
  }
}

TEST_CASE("a materialized view is built without data, so its query runs no function of the YAML",
          "[cli][db]") {
  TestDatabase db;
  schemas::Database desired;
  schemas::Schema schema{"public"};
  schemas::Function function{"pwn"};
  function.returns = "integer";
  function.language = "plpgsql";
  function.body = "BEGIN CREATE ROLE pwn_matview; RETURN 1; END";
  schema.functions.push_back(function);
  schemas::MaterializedView view{"m", "SELECT public.pwn() AS a"};
  schema.materialized_views.push_back(view);
  desired.schemas.push_back(schema);
  schemas::canonicalize(desired);

  const schemas::Database canonical = pgshift::cli::canonicalize_on_server(desired, db.url());
  CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'pwn_matview'") == "0");
  REQUIRE(canonical.schemas.size() == 1);
  REQUIRE(canonical.schemas[0].materialized_views.size() == 1);
  CHECK(canonical.schemas[0].materialized_views[0].with_data);
}

TEST_CASE("a statement refused deep in a large scratch build names its object's YAML place",
          "[cli][db]") {
  TestDatabase db;
  // 700 tables: the scratch build sends them in several pipeline chunks, and
  // the refused one (t600) is far past the first.
  std::string yaml = "schemas:\n  app:\n    tables:\n";
  int bad_line = 0;
  for (int n = 1; n <= 700; ++n) {
    if (n == 600) bad_line = static_cast<int>(std::count(yaml.begin(), yaml.end(), '\n')) + 1;
    yaml += "      t" + std::to_string(n) + ":\n        columns:\n          id: bigint\n";
    yaml += n == 600 ? "          plan: { type: text, default: free }\n"
                     : "          plan: { type: text, default: \"'free'\" }\n";
    yaml += "        primary_key: [id]\n";
  }
  const schemas::Database desired = schemas::load_yaml_string(yaml, "wide.yaml");
  try {
    pgshift::cli::canonicalize_on_server(desired, db.url());
    FAIL("the desired schema built");
  } catch (const std::exception& e) {
    const std::string message = e.what();
    INFO(message);
    CHECK_THAT(message, Catch::StartsWith("the desired schema does not build: wide.yaml:" +
                                          std::to_string(bad_line) + ":7: "));
    CHECK_THAT(message, Catch::Contains("\"app.t600\""));
    // PostgreSQL 11 reports the word as a missing column.
    CHECK_THAT(message, Catch::Contains(pgshift::testing::server_version_num(db) >= 120000
                                            ? "cannot use column reference in DEFAULT expression "
                                              "(SQLSTATE 0A000)"
                                            : "column \"free\" does not exist (SQLSTATE 42703)"));
    CHECK_THAT(message, Catch::Contains("hint: a default is SQL"));
  }
}

TEST_CASE("a batch runs its transactional statements as one transaction and the others alone",
          "[cli][db]") {
  TestDatabase db;
  const auto table_count = [&] {
    return db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace");
  };
  // CREATE INDEX CONCURRENTLY cannot run in a transaction block: it runs alone.
  std::vector<pgshift::catalog::BatchStatement> statements;
  for (int n = 0; n < 600; ++n) statements.push_back({"CREATE TABLE t" + std::to_string(n) + " (id int)", true});
  statements.push_back({"CREATE INDEX CONCURRENTLY t0_id ON t0 (id)", false});
  statements.push_back({"CREATE TABLE after_index (id int)", true});
  CHECK_FALSE(pgshift::catalog::run_batch(db.url(), statements));
  CHECK(table_count() == "602");  // 601 tables and the index

  // A refusal in the second chunk of a transaction names its statement, and
  // nothing of that transaction stays: not even the tables sent before it.
  std::vector<pgshift::catalog::BatchStatement> failing;
  for (int n = 0; n < 400; ++n) failing.push_back({"CREATE TABLE u" + std::to_string(n) + " (id int)", true});
  failing[300].sql = "CREATE TABLE t0 (id int)";
  const auto failure = pgshift::catalog::run_batch(db.url(), failing);
  REQUIRE(failure);
  CHECK(failure->index == 300);
  CHECK(failure->sqlstate == "42P07");
  CHECK(failure->message == "relation \"t0\" already exists (SQLSTATE 42P07)");
  CHECK(table_count() == "602");
}
