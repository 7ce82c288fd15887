// The pgshift binary end to end on a real server: the exit codes and messages
// users and CI scripts rely on, and the round trip a team adopting pgshift
// goes through (YAML -> apply -> inspect -> YAML).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/sql_ascii_db.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::server_version_num;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

CommandResult run_pgshift(std::vector<std::string> args) {
  args.insert(args.begin(), PGSHIFT_BIN);
  return run_command(args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The orders table of kOrdersSql as YAML, with `extra_columns` after status.
std::string orders_yaml(const std::string& extra_columns) {
  return R"yaml(
schemas:
  public:
    tables:
      orders:
        primary_key: [id]
        columns:
          id: { type: bigint, identity: always }
          status: { type: text, nullable: false, default: "'new'" }
)yaml" + extra_columns;
}

constexpr const char* kOrdersSql =
    "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "status text NOT NULL DEFAULT 'new', note text);"
    "INSERT INTO orders (status, note) SELECT 'new', 'n' || g FROM generate_series(1, 100) g";

// Replaces the one occurrence of `from` in `text` with `to`.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
}

// tests/cli/data/every_kind.yaml, which covers every kind and option of
// PostgreSQL 15, without what the server of `db` does not have.
std::string every_kind_yaml(const TestDatabase& db) {
  std::ifstream file(PGSHIFT_EVERY_KIND);
  std::ostringstream text;
  text << file.rdbuf();
  std::string yaml = text.str();
  replace_once(yaml, "pgshift_every_kind_me", db.scalar("SELECT current_user"));
  const int version = server_version_num(db);
  if (version < 150000) {
    WARN("UNIQUE NULLS NOT DISTINCT exists from PostgreSQL 15: a plain UNIQUE on this server");
    replace_once(yaml, "- { columns: [email], nulls_not_distinct: true }", "- [email]");
  }
  if (version < 140000) {
    WARN("COMPRESSION exists from PostgreSQL 14: none on this server");
    replace_once(yaml, "storage: external, compression: pglz,", "storage: external,");
  }
  if (version < 120000) {
    WARN("generated columns exist from PostgreSQL 12: none on this server");
    replace_once(yaml,
                 "          email_domain: { type: text, generated: "
                 "\"split_part((email)::text, '@'::text, 2)\" }\n",
                 "");
  }
  return yaml;
}

// A desired state of one table, public.accounts (id bigint): `columns` are
// YAML lines after id's, `rest` lines after the columns.
std::string accounts_yaml(const std::string& columns, const std::string& rest = "") {
  return "schemas:\n  public:\n    tables:\n      accounts:\n        columns:\n"
         "          id: bigint\n" +
         columns + rest;
}

}  // namespace

TEST_CASE(
    "inspect --only-schema naming no schema of the database fails naming it and writes nothing",
    "[cli][db]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA sales; CREATE TABLE sales.orders (id bigint PRIMARY KEY)");
  TempDir dir;
  const std::string output = dir.path() + "/out.yaml";
  for (const std::string typo : {"nosuch", "Sales"}) {
    const auto result = run_pgshift({"inspect", "--db", db.url(), "--only-schema", "public",
                                     "--only-schema", typo, "-o", output});
    INFO(result.output);
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, "--only-schema " + typo + ": no schema \"" + typo + "\" in "));
    CHECK_FALSE(std::filesystem::exists(output));
  }
  // An existing schema, even an empty one (public here), is read.
  const auto read = run_pgshift(
      {"inspect", "--db", db.url(), "--only-schema", "sales", "--only-schema", "public"});
  INFO(read.output);
  CHECK(read.exit_code == 0);
  CHECK(contains(read.output, "orders:"));
}

TEST_CASE("an output file that cannot be written is an error naming it and the system's reason",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = dir.write("s.yaml", "schemas:\n  public: {}\n");
  const std::string missing = dir.path() + "/no/such/dir/out";
  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "-o", missing + ".yaml"});
  INFO(inspected.output);
  CHECK(inspected.exit_code == 1);
  CHECK(contains(inspected.output,
                 "could not write file \"" + missing + ".yaml\": No such file or directory"));
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", missing + ".json"});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, "\"" + missing + ".json\": No such file or directory"));
}

TEST_CASE("every object kind built from an empty database inspects back to the same YAML",
          "[cli][db]") {
  TestDatabase first;
  TestDatabase second;
  TempDir dir;
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(first));

  const auto built = run_pgshift(
      {"apply", "--db", first.url(), "--schema", every_kind, "--yes", "--allow-hazard", "all"});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);

  const auto inspected =
      run_pgshift({"inspect", "--db", first.url(), "-o", dir.path() + "/a.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);

  const auto rebuilt = run_pgshift({"apply", "--db", second.url(), "--schema",
                                    dir.path() + "/a.yaml", "--yes", "--allow-hazard", "all"});
  INFO(rebuilt.output);
  REQUIRE(rebuilt.exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "-o", dir.path() + "/b.yaml"}).exit_code ==
          0);
  CHECK(dir.read("a.yaml") == dir.read("b.yaml"));

  // And the hand-written YAML plans nothing against what was built from it.
  const auto replanned = run_pgshift({"plan", "--db", first.url(), "--schema", every_kind});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);

  // With owners: inspect --owners writes manage_owners and the owner of
  // every object that has one; that YAML plans nothing against its
  // database, and the database built from the YAML without owners (by the
  // same role) inspects back to the same text.
  REQUIRE(run_pgshift({"inspect", "--db", first.url(), "--owners", "-o",
                       dir.path() + "/owned_a.yaml"})
              .exit_code == 0);
  const std::string owned = dir.read("owned_a.yaml");
  CHECK(contains(owned, "manage_owners: true"));
  CHECK(contains(owned, "owner: " + first.scalar("SELECT current_user")));
  const auto owned_plan =
      run_pgshift({"plan", "--db", first.url(), "--schema", dir.path() + "/owned_a.yaml",
                   "--detailed-exitcode"});
  INFO(owned_plan.output);
  CHECK(owned_plan.exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "--owners", "-o",
                       dir.path() + "/owned_b.yaml"})
              .exit_code == 0);
  CHECK(owned == dir.read("owned_b.yaml"));
}

TEST_CASE("the YAML examples build on an empty database and then plan nothing", "[cli][db]") {
  for (const char* example : {"shop.yaml", "split"}) {
    TestDatabase db;
    const std::string path = std::string(PGSHIFT_EXAMPLES_YAML) + "/" + example;
    if (std::string(example) == "shop.yaml" && server_version_num(db) < 150000) {
      WARN("shop.yaml uses UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+): not built on this server");
      continue;
    }
    const auto built = run_pgshift(
        {"apply", "--db", db.url(), "--schema", path, "--yes", "--allow-hazard", "all"});
    INFO(example << ":\n" << built.output);
    REQUIRE(built.exit_code == 0);
    CHECK(contains(built.output, "the database matches the schema"));
    const auto replanned =
        run_pgshift({"plan", "--db", db.url(), "--schema", path, "--detailed-exitcode"});
    INFO(replanned.output);
    CHECK(replanned.exit_code == 0);
  }
}

TEST_CASE(
    "SQL files as desired state plan, apply and converge, and an untouched public is not managed",
    "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE public.keep_me (id int)");
  // A directory is run in sorted path order: the type comes before the table.
  dir.write("02_tables.sql",
            "-- tables\n"
            "CREATE TABLE app.tasks (\n"
            "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            "  title text NOT NULL,\n"
            "  status app.status NOT NULL DEFAULT 'new'\n"
            ");\n"
            "CREATE INDEX tasks_status_idx ON app.tasks (status);\n");
  dir.write("01_types.sql",
            "CREATE SCHEMA app;\nCREATE TYPE app.status AS ENUM ('new', 'done');\n");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", dir.path(), "--detailed-exitcode"});
  INFO(planned.output);
  CHECK(planned.exit_code == 2);
  CHECK(contains(planned.output, "CREATE TYPE app.status AS ENUM"));
  CHECK_FALSE(contains(planned.output, "keep_me"));

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", dir.path(), "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "the database matches the schema"));
  CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'tasks_status_idx'") == "1");
  CHECK(db.scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'keep_me'") == "1");
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", dir.path(), "--detailed-exitcode"})
            .exit_code == 0);
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", dir.path()}).exit_code == 0);

  // One file works too, and a change to it is planned.
  const std::string file =
      dir.write("one.sql",
                "CREATE SCHEMA app; CREATE TYPE app.status AS ENUM ('new', 'done');\n"
                "CREATE TABLE app.tasks (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
                "  title text NOT NULL, status app.status NOT NULL DEFAULT 'new', note text);\n"
                "CREATE INDEX tasks_status_idx ON app.tasks (status);\n");
  const auto changed = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(changed.output);
  CHECK(changed.exit_code == 0);
  CHECK(contains(changed.output, "ALTER TABLE app.tasks ADD COLUMN note text;"));
}

TEST_CASE("a pg_dump --schema-only is a desired state that plans nothing against its source",
          "[cli][db]") {
  TestDatabase source;
  TestDatabase target;
  TempDir dir;
  if (server_version_num(source) / 10000 > PGSHIFT_PG_DUMP_MAJOR) {
    WARN("pg_dump " << PGSHIFT_PG_DUMP_MAJOR << " cannot dump this newer server: not tested");
    return;
  }
  source.exec(
      "CREATE EXTENSION IF NOT EXISTS pgcrypto;"
      "CREATE TYPE status AS ENUM ('new', 'done');"
      "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
      "  email text NOT NULL UNIQUE, token uuid DEFAULT gen_random_uuid(),"
      "  s status NOT NULL DEFAULT 'new', created_at timestamptz DEFAULT now());"
      "CREATE INDEX customers_created_at_idx ON customers (created_at);"
      "CREATE VIEW new_customers AS SELECT id, email FROM customers WHERE s = 'new';"
      "CREATE MATERIALIZED VIEW customer_count AS SELECT count(*) AS n FROM customers;"
      "COMMENT ON TABLE customers IS 'one row per customer'");
  const auto dumped =
      run_command({PGSHIFT_PG_DUMP, "--schema-only", "--no-owner", "--no-privileges", "-d",
                   source.url(), "-f", dir.path() + "/dump.sql"});
  INFO(dumped.output);
  REQUIRE(dumped.exit_code == 0);
  const std::string dump = dir.path() + "/dump.sql";
  if (!contains(dir.read("dump.sql"), "\\restrict ")) {
    WARN("this pg_dump writes no \\restrict line: skipping those is not exercised");
  }

  const auto built = run_pgshift({"apply", "--db", target.url(), "--schema", dump, "--yes"});
  INFO(built.output);
  CHECK(built.exit_code == 0);
  CHECK(contains(built.output, "the database matches the schema"));
  for (const TestDatabase* db : {&source, &target}) {
    const auto replanned =
        run_pgshift({"plan", "--db", db->url(), "--schema", dump, "--detailed-exitcode"});
    INFO(replanned.output);
    CHECK(replanned.exit_code == 0);
  }
}

TEST_CASE("an SQL file the server rejects is reported at its file, line and column", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string file = dir.write("schema.sql",
                                     "-- héllo: columns count characters, not bytes\n"
                                     "CREATE TABLE t (\n"
                                     "  id int,\n"
                                     "  total numeric DEFAULT free\n"
                                     ");\n");
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  if (pgshift::testing::server_version_num(db) >= 120000) {
    CHECK(contains(result.output, file + ":4:25: cannot use column reference in DEFAULT "
                                         "expression (SQLSTATE 0A000)\n"
                                         "    total numeric DEFAULT free\n"
                                         "                          ^"));
  } else {
    // PostgreSQL 11 reports the word as a missing column, with no position.
    CHECK(contains(result.output, file + ": column \"free\" does not exist (SQLSTATE 42703)"));
  }
  const std::string syntax = dir.write("syntax.sql", "CREATE TABLE t (id int;\n");
  const auto bad_syntax = run_pgshift({"plan", "--db", db.url(), "--schema", syntax});
  CHECK(bad_syntax.exit_code == 1);
  CHECK(contains(bad_syntax.output, syntax + ":1:23: syntax error at or near \";\""));
  // A psql meta-command is not SQL, and the message says so.
  const std::string meta = dir.write("meta.sql", "CREATE TABLE t (id int);\n\\set x 1\n");
  const auto with_meta = run_pgshift({"plan", "--db", db.url(), "--schema", meta});
  CHECK(with_meta.exit_code == 1);
  CHECK(contains(with_meta.output, meta + ":2:1: syntax error at or near \"\\\""));
  CHECK(contains(with_meta.output, "hint: a psql meta-command is not SQL"));
  // Without a position, the file is still named.
  const std::string twice = dir.write("twice.sql",
                                      "CREATE TABLE t (id int);\n"
                                      "CREATE TABLE t (id int);\n");
  const auto duplicate = run_pgshift({"plan", "--db", db.url(), "--schema", twice});
  CHECK(duplicate.exit_code == 1);
  CHECK(contains(duplicate.output, twice + ": relation \"t\" already exists (SQLSTATE 42P07)"));

  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ==
        "0");
}

TEST_CASE("SQL and YAML files that are not UTF-8 are refused at the first bad byte", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string sql = dir.write("schema.sql",
                                    "CREATE TABLE t (\n"
                                    "  a int CHECK (a <> 0 AND 'caf\xe9' IS NOT NULL)\n"
                                    ");\n");
  const auto from_sql = run_pgshift({"plan", "--db", db.url(), "--schema", sql});
  INFO(from_sql.output);
  CHECK(from_sql.exit_code == 1);
  CHECK(contains(from_sql.output,
                 sql + ":2:31: invalid UTF-8: byte 233 does not start a valid sequence"));
  CHECK_FALSE(contains(from_sql.output, "unexpected error"));
  const auto linted = run_pgshift({"lint", sql});
  INFO(linted.output);
  CHECK(linted.exit_code == 1);
  CHECK(contains(linted.output,
                 sql + ":2:31: error: invalid UTF-8: byte 233 does not start a valid sequence"));
  const std::string yaml = dir.write("schema.yaml",
                                     "schemas:\n"
                                     "  public:\n"
                                     "    tables:\n"
                                     "      t:\n"
                                     "        columns:\n"
                                     "          caf\xe9: int\n");
  const auto from_yaml = run_pgshift({"plan", "--db", db.url(), "--schema", yaml});
  CHECK(from_yaml.exit_code == 1);
  CHECK(contains(from_yaml.output,
                 yaml + ":6:14: invalid UTF-8: byte 233 does not start a valid sequence"));
  // The line under the message shows the byte escaped, the caret under it:
  // printed raw, a terminal shows nothing or a replacement character there.
  const std::string sql_line =
      "  a int CHECK (a <> 0 AND 'caf\\xE9' IS NOT NULL)\n  " + std::string(30, ' ') + "^";
  CHECK(contains(from_sql.output, sql_line));
  CHECK(contains(linted.output, sql_line));
  CHECK(contains(from_yaml.output, "          caf\\xE9: int\n" + std::string(13, ' ') + "^"));
  for (const auto* output : {&from_sql.output, &linted.output, &from_yaml.output}) {
    CHECK_FALSE(contains(*output, "\xe9"));
  }
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ==
        "0");
}

TEST_CASE(
    "inspect of a SQL_ASCII database holding bytes that are not UTF-8 refuses, naming the "
    "object, and writes nothing",
    "[cli][db]") {
  // Such a database takes any bytes; YAML and the SQL pgshift reads back are
  // UTF-8. Written as they are, the file was refused by plan and drift.
  TestDatabase admin;
  const pgshift::testing::SqlAsciiDatabase ascii(admin);
  const std::string url = ascii.url();
  {
    pqxx::connection conn(url);
    pqxx::nontransaction work(conn);
    work.exec(
        "CREATE FUNCTION public.f(\"caf\xe9\" int) RETURNS int LANGUAGE sql IMMUTABLE "
        "AS 'SELECT 1';"
        "CREATE TABLE public.t (a int, CONSTRAINT t_a_check CHECK (public.f(\"caf\xe9\" => a) "
        "> 0));");
  }
  TempDir dir;
  const std::string file = dir.path() + "/schema.yaml";
  const auto to_file = run_pgshift({"inspect", "--db", url, "-o", file});
  INFO(to_file.output);
  CHECK(to_file.exit_code == 1);
  CHECK(contains(to_file.output,
                 "cannot write YAML: the value of schemas > public > tables > t > checks > "
                 "t_a_check is not UTF-8 (invalid UTF-8: byte 233 does not start a valid "
                 "sequence): (f(\"caf\\xE9\" => a) > 0)"));
  CHECK_FALSE(std::filesystem::exists(file));
  const auto to_stdout = run_pgshift({"inspect", "--db", url});
  CHECK(to_stdout.exit_code == 1);
  CHECK_FALSE(contains(to_stdout.output, "schemas:"));
  const std::string directory = dir.path() + "/schema/";
  CHECK(run_pgshift({"inspect", "--db", url, "-o", directory}).exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(directory));
  const std::string sql = dir.path() + "/schema.sql";
  const auto as_sql = run_pgshift({"inspect", "--db", url, "--format", "sql", "-o", sql});
  INFO(as_sql.output);
  CHECK(as_sql.exit_code == 1);
  CHECK(contains(as_sql.output, "cannot write the schema as SQL: its line "));
  CHECK(contains(as_sql.output, "CREATE OR REPLACE FUNCTION public.f(\"caf\\xE9\" integer)"));
  CHECK_FALSE(std::filesystem::exists(sql));
}

TEST_CASE("a YAML default the server rejects names its file, line and column, with a hint",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string file =
      dir.write("schema.yaml", accounts_yaml("          plan: { type: text, default: free }\n"));
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "the desired schema does not build: " + file + ":4:7: "));
  // PostgreSQL 11 reports the word as a missing column; the hint is the same.
  CHECK(contains(result.output, pgshift::testing::server_version_num(db) >= 120000
                                    ? "cannot use column reference in DEFAULT expression"
                                    : "column \"free\" does not exist"));
  CHECK(contains(result.output,
                 "hint: a default is SQL: a string keeps its quotes inside the "
                 "YAML string, e.g. default: \"'free'\""));
}

TEST_CASE(
    "a misspelled type names the column's line and the type meant, a misspelled access method "
    "the method meant",
    "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string typo =
      dir.write("typo.yaml", accounts_yaml("          name: { type: varchr(20) }\n"));
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", typo});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "the desired schema does not build: " + typo + ":7:"));
  CHECK(contains(result.output, "type \"varchr\" does not exist"));
  CHECK(contains(result.output, "hint: did you mean \"varchar\"?"));
  CHECK_FALSE(contains(result.output, "search_path"));

  const std::string method = dir.write(
      "method.yaml",
      accounts_yaml(
          "", "        indexes:\n          accounts_id_idx: { columns: [id], method: btre }\n"));
  const auto wrong = run_pgshift({"plan", "--db", db.url(), "--schema", method});
  INFO(wrong.output);
  CHECK(wrong.exit_code == 1);
  CHECK(contains(wrong.output, "access method \"btre\" does not exist"));
  CHECK(contains(wrong.output, "hint: did you mean \"btree\"?"));
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ==
        "0");
}

TEST_CASE("an SQL file over 64 MiB is refused without being read to the end", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string file = dir.path() + "/big.sql";
  std::filesystem::resize_file(dir.write("big.sql", ""), (std::uintmax_t{64} << 20) + 1);
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output,
                 "\"" + file +
                     "\" is larger than 64 MiB, the limit for an SQL file of a desired "
                     "state"));
}

TEST_CASE("SQL files that reach past the scratch database are refused before anything runs",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string role = "pgshift_refused_" + std::to_string(::getpid());
  const std::string file = dir.write("schema.sql",
                                     "CREATE TABLE t (id int);\n"
                                     "-- the app's login\n"
                                     "  CREATE ROLE " +
                                         role + " LOGIN;\n");
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, file + ":3:3: CREATE ROLE is not allowed in a desired state's "
                                       "SQL: databases, roles and tablespaces belong to the whole "
                                       "server"));
  CHECK(contains(result.output, "    CREATE ROLE " + role + " LOGIN;\n    ^"));
  CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "'") == "0");
  // Refused before anything connects: an unreachable server is never tried.
  const auto offline =
      run_pgshift({"plan", "--db", "postgresql://nobody@127.0.0.1:1/none", "--schema", file});
  CHECK(offline.exit_code == 1);
  CHECK(contains(offline.output, "CREATE ROLE is not allowed"));
  CHECK_FALSE(contains(offline.output, "could not connect"));

  // ALTER DATABASE would change the target's own database.
  const std::string alter =
      dir.write("alter.sql", "ALTER DATABASE " + db.name() + " SET statement_timeout = 1;\n");
  const auto altered = run_pgshift({"drift", "--db", db.url(), "--schema", alter});
  INFO(altered.output);
  CHECK(altered.exit_code == 1);
  CHECK(contains(altered.output, alter + ":1:1: ALTER DATABASE is not allowed"));
  CHECK(db.scalar("SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = "
                  "s.setdatabase WHERE d.datname = current_database()") == "0");
}

TEST_CASE("a materialized view of SQL files is built without running its query, planned with data",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string role = "pgshift_mv_" + std::to_string(::getpid());
  // Its query calls a function that creates a role: building the desired
  // state must not run it.
  const std::string file = dir.write(
      "schema.sql",
      "CREATE SCHEMA app;\n"
      "CREATE FUNCTION app.side_effect() RETURNS int LANGUAGE plpgsql AS $$\n"
      "BEGIN EXECUTE 'CREATE ROLE " +
          role +
          "'; RETURN 1; END $$;\n"
          "CREATE MATERIALIZED VIEW app.totals AS SELECT app.side_effect() AS n -- one row\n");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = '" + role + "'") == "0");
  CHECK(contains(planned.output, "CREATE MATERIALIZED VIEW app.totals AS"));
  CHECK_FALSE(contains(planned.output, "WITH NO DATA"));
  db.exec("DROP ROLE IF EXISTS " + role);
}

TEST_CASE("a role without CREATEDB is told to use --dev-db, with no empty SQLSTATE", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string role = "pgshift_nocreatedb_" + db.name();
  db.exec("CREATE ROLE " + role + " LOGIN NOCREATEDB");
  const std::string yaml = dir.write("orders.yaml", orders_yaml("          note: text\n"));
  // The test database's URL with the role as its user.
  std::string url = db.url();
  const size_t scheme = url.find("://") + 3;
  const size_t at = url.find('@', scheme);
  url = url.substr(0, scheme) + role + (at == std::string::npos ? "@" : "") +
        url.substr(at == std::string::npos ? scheme : at);
  const auto result = run_pgshift({"plan", "--db", url, "--schema", yaml});
  db.exec("DROP ROLE " + role);
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "could not create a scratch database"));
  CHECK(contains(result.output, "permission denied to create database"));
  CHECK(contains(result.output, "--dev-db"));
  CHECK_FALSE(contains(result.output, "(SQLSTATE )"));
  CHECK_FALSE(contains(result.output, "ERROR:  "));
}

// A listening socket nobody accepts from: a connection opens and the
// server's first reply never comes.
class SilentServer {
 public:
  SilentServer() : listener_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(listener_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 4) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    url_ = "postgresql://pgshift@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/silent";
  }
  ~SilentServer() { ::close(listener_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  const std::string& url() const { return url_; }

 private:
  int listener_;
  std::string url_;
};

TEST_CASE("a bad YAML file is reported without waiting for a server that never answers",
          "[cli][db]") {
  // The catalog read started beside the YAML load waits for the connection;
  // the YAML's error must not.
  const SilentServer server;
  const std::string& url = server.url();
  TempDir dir;
  const std::string path = dir.write("bad.yaml",
                                     "schemas:\n"
                                     "  public:\n"
                                     "    tables:\n"
                                     "      orders:\n"
                                     "        columns: { id: { type: bigint, nulable: false } }\n");
  const auto result = run_pgshift({"plan", "--db", url, "--schema", path});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "unknown key \"nulable\", did you mean \"nullable\"?"));
}

TEST_CASE("a bad YAML file is reported at its position and the database is left untouched",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string path = dir.write("bad.yaml", R"yaml(
schemas:
  public:
    tables:
      orders:
        columns:
          id: { type: bigint, nulable: false }
)yaml");
  for (const char* command : {"plan", "apply", "drift"}) {
    std::vector<std::string> args = {command, "--db", db.url(), "--schema", path};
    if (std::string(command) == "apply") args.push_back("--yes");
    const auto result = run_pgshift(args);
    INFO(command << ": " << result.output);
    CHECK(result.exit_code == 1);
    CHECK(contains(result.output, path + ":7:31: schemas.public.tables.orders.columns.id.nulable: "
                                         "unknown key \"nulable\", did you mean \"nullable\"?"));
  }
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                  "AND nspname NOT IN ('public', 'information_schema')") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace") ==
        "0");
}

TEST_CASE("an unreachable server is named without its password", "[cli][db]") {
  const auto result = run_pgshift(
      {"inspect", "--db", "postgresql://app:s3cret@127.0.0.1:1/shop?connect_timeout=2"});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "host=127.0.0.1 port=1 dbname=shop user=app"));
  CHECK_FALSE(contains(result.output, "s3cret"));
}

TEST_CASE("plan exits 0 with a plan, 2 with --detailed-exitcode, 1 when a hazard is refused",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string with_note = dir.write("with_note.yaml", orders_yaml("          note: text\n"));
  const std::string without_note = dir.write("without_note.yaml", orders_yaml(""));

  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", with_note}).exit_code == 0);
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", with_note, "--detailed-exitcode"})
            .exit_code == 0);

  // Refused: still rendered, the refusal above the first step, then exit 1.
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", without_note});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  const std::string refusal =
      "refused: step 1 (drop column \"note\" of table \"public.orders\") has hazard "
      "data_loss; allow it with --allow-hazard data_loss";
  CHECK(contains(refused.output, "-- error: " + refusal + "\n"));
  CHECK(contains(refused.output, "ALTER TABLE public.orders DROP COLUMN note;"));
  CHECK(refused.output.find("-- error: " + refusal) < refused.output.find("-- Step 1:"));

  for (bool detailed : {false, true}) {
    std::vector<std::string> args = {"plan",       "--db",           db.url(),   "--schema",
                                     without_note, "--allow-hazard", "data_loss"};
    if (detailed) args.push_back("--detailed-exitcode");
    const auto allowed = run_pgshift(args);
    INFO(allowed.output);
    CHECK(allowed.exit_code == (detailed ? 2 : 0));
    CHECK(contains(allowed.output, "ALTER TABLE public.orders DROP COLUMN note;"));
    CHECK_FALSE(contains(allowed.output, "refused"));
  }
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") ==
        "1");
}

TEST_CASE("a refused plan is written to -o in its extension's format and cannot be applied",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string without_note = dir.write("without_note.yaml", orders_yaml(""));
  const std::string refusal = "refused: step 1 (drop column \"note\" of table \"public.orders\")";

  const auto json = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.json"});
  INFO(json.output);
  CHECK(json.exit_code == 1);
  const std::string json_text = dir.read("refused.json");
  CHECK(json_text.rfind("{", 0) == 0);
  CHECK(contains(json_text, "\"message\": \"" + std::string("refused: step 1 (drop column "
                                                            "\\\"note\\\" of table ")));
  CHECK(json_text.find("\"diagnostics\"") < json_text.find("\"steps\""));
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/refused.json", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "plan has errors and cannot be applied"));
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") ==
        "1");

  const auto markdown = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.md"});
  CHECK(markdown.exit_code == 1);
  const std::string markdown_text = dir.read("refused.md");
  CHECK(markdown_text.rfind("## pgshift plan", 0) == 0);
  CHECK(contains(markdown_text, "- **error**: " + refusal));
  CHECK(markdown_text.find(refusal) < markdown_text.find("### Steps"));

  const auto sql = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "-o", dir.path() + "/refused.sql"});
  CHECK(sql.exit_code == 1);
  CHECK(contains(dir.read("refused.sql"), "-- error: " + refusal));
}

TEST_CASE("a plan with an error diagnostic is still rendered, the error first, and exits 1",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE t (id int, m mood);"
      "CREATE VIEW v AS SELECT m FROM t");
  // The enum would be replaced, but the view would keep the old type: the
  // planner refuses with an error.
  const std::string yaml = dir.write("mood.yaml", R"yaml(
schemas:
  public:
    enums:
      mood: [happy]
    tables:
      t:
        columns:
          id: integer
          m: mood
          extra: text
    views:
      v: SELECT m FROM t
)yaml");
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--allow-hazard",
                                   "all", "-o", dir.path() + "/plan.md"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  const std::string markdown = dir.read("plan.md");
  INFO(markdown);
  CHECK(contains(markdown, "- **error**: "));
  CHECK(contains(markdown, "cannot remove or reorder labels of enum \"public.mood\""));
  CHECK(markdown.find("- **error**: ") < markdown.find("### Steps"));
  CHECK(contains(markdown, "ADD COLUMN extra text"));
}

TEST_CASE("plan's format follows -o's extension unless --format is given", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml = dir.write("extra.yaml", orders_yaml("          note: text\n"
                                                               "          extra: integer\n"));
  const std::string plan_json = dir.path() + "/plan.json";
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", plan_json}).exit_code ==
          0);
  CHECK(dir.read("plan.json").rfind("{\n  \"format_version\"", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/plan.md"})
              .exit_code == 0);
  CHECK(dir.read("plan.md").rfind("## pgshift plan", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/plan.txt"})
              .exit_code == 0);
  CHECK(dir.read("plan.txt").rfind("-- pgshift plan", 0) == 0);
  REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--format", "sql", "-o",
                       dir.path() + "/forced.json"})
              .exit_code == 0);
  CHECK(dir.read("forced.json").rfind("-- pgshift plan", 0) == 0);

  // The file -o plan.json wrote is what apply --plan reads.
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan_json, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "1");
}

TEST_CASE("drift exits 0 in sync and 2 on drift, in the format of -o's extension", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml = dir.write("orders.yaml", orders_yaml("          note: text\n"));
  const auto in_sync = run_pgshift({"drift", "--db", db.url(), "--schema", yaml});
  INFO(in_sync.output);
  CHECK(in_sync.exit_code == 0);

  db.exec("ALTER TABLE orders ADD COLUMN hotfix integer");
  const auto drifted =
      run_pgshift({"drift", "--db", db.url(), "--schema", yaml, "-o", dir.path() + "/drift.json"});
  INFO(drifted.output);
  CHECK(drifted.exit_code == 2);
  const std::string report = dir.read("drift.json");
  CHECK(report.rfind("{", 0) == 0);
  CHECK(contains(report, "hotfix"));
}

TEST_CASE("apply without a terminal and without --yes changes nothing", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string yaml =
      dir.write("more.yaml", orders_yaml("          note: text\n          extra: integer\n"));
  const auto result = run_pgshift({"apply", "--db", db.url(), "--schema", yaml});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "0");

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", yaml, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'extra'") ==
        "1");
  CHECK(db.scalar("SELECT count(*) FROM orders") == "100");
}

// Runs pgshift with `args` on a pseudo-terminal (util-linux script), with
// `environment` ("NAME=value ..." or "") in front.
CommandResult run_pgshift_on_terminal(const std::string& environment,
                                      const std::vector<std::string>& args) {
  std::string command = environment + " '" + PGSHIFT_BIN + "'";
  for (const auto& arg : args) command += " '" + arg + "'";
  return run_command({"script", "-qec", "env " + command, "/dev/null"});
}

TEST_CASE("backfill progress has escape codes only on a terminal without NO_COLOR", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = dir.write(
      "role.yaml", orders_yaml("          note: text\n"
                               "          role: { type: text, nullable: false, default: \"'user'\","
                               " backfill: \"'user'\" }\n"));
  struct Case {
    std::string environment;  // "": not run on a terminal
    bool escapes;
  };
  for (const Case& run : {Case{"TERM=xterm", true}, Case{"TERM=xterm NO_COLOR=1", false},
                          Case{"TERM=dumb", false}, Case{"", false}}) {
    db.exec("DROP TABLE IF EXISTS orders; DROP SCHEMA IF EXISTS _pgshift CASCADE");
    db.exec(kOrdersSql);
    std::vector<std::string> args = {"apply", "--db", db.url(), "--schema", yaml, "--yes"};
    for (const auto& arg : pgshift::testing::allow_not_null_scan_before_12(db)) args.push_back(arg);
    const auto result = run.environment.empty() ? run_pgshift(args)
                                                : run_pgshift_on_terminal(run.environment, args);
    INFO((run.environment.empty() ? "not a terminal" : run.environment) << ":\n" << result.output);
    REQUIRE(result.exit_code == 0);
    CHECK(contains(result.output, "rows"));  // the backfill's progress
    CHECK(contains(result.output, "\x1b") == run.escapes);
  }
}

TEST_CASE("every command has help, and an unknown command is an error", "[cli][db]") {
  for (const char* command : {"inspect", "plan", "apply", "drift", "version", "help"}) {
    const auto result = run_pgshift({command, "--help"});
    INFO(command);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "Usage:"));
  }
  CHECK(run_pgshift({"--help"}).exit_code == 0);
  CHECK(run_pgshift({"frobnicate"}).exit_code == 64);
}

namespace {

// pgshift started in the background, its stdout and stderr in a file.
class Background {
 public:
  Background(std::vector<std::string> args, const std::string& output_path)
      : output_path_(output_path) {
    args.insert(args.begin(), PGSHIFT_BIN);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int in = ::open("/dev/null", O_RDONLY);
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Background() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  void signal(int number) const { ::kill(pid_, number); }

  CommandResult wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream file(output_path_);
    std::ostringstream text;
    text << file.rdbuf();
    result.output = text.str();
    return result;
  }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
};

// Polls `condition` every 20 ms for up to `seconds`; returns whether it held.
bool eventually(const std::function<bool()>& condition, int seconds = 60) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

std::string unique_application_name() {
  std::random_device device;
  return "pgshift_sigint_test_" + std::to_string(device());
}

}  // namespace

TEST_CASE("SIGINT or SIGTERM while plan or drift builds the scratch database drops it",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(db));
  for (const char* command : {"plan", "drift"}) {
    for (int signal_number : {SIGINT, SIGTERM}) {
      // The scratch database's sessions carry this name: it tells our scratch
      // database from those of tests running in parallel.
      const std::string application = unique_application_name();
      Background run({command, "--db", db.url(), "--schema", every_kind, "--dev-db",
                      db.url() + "?application_name=" + application},
                     dir.path() + "/out.txt");
      std::string scratch;
      const bool seen = eventually([&] {
        scratch = db.scalar(
            "SELECT datname FROM pg_stat_activity WHERE datname LIKE 'pgshift\\_dev\\_%' "
            "AND application_name = '" +
            application + "' LIMIT 1");
        return !scratch.empty();
      });
      INFO(command << ", signal " << signal_number);
      REQUIRE(seen);
      run.signal(signal_number);
      const CommandResult result = run.wait();
      INFO(result.output);
      CHECK(result.exit_code == 130);
      CHECK(
          contains(result.output, "interrupted: dropped the scratch database \"" + scratch + "\""));
      CHECK(db.scalar("SELECT count(*) FROM pg_database WHERE datname = '" + scratch + "'") == "0");
    }
  }
}

TEST_CASE("SIGINT during an apply backfill stops between batches, and the printed command resumes",
          "[cli][db]") {
  // apply --plan resumes with the same command; apply --schema saves its plan
  // and resumes with apply --plan of that file.
  for (const bool saved_plan : {true, false}) {
    TestDatabase db;
    TempDir dir;
    db.exec(
        "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "status text NOT NULL DEFAULT 'new', note text);"
        "INSERT INTO orders (status) SELECT 'new' FROM generate_series(1, 20000)");
    const std::string yaml = dir.write(
        "role.yaml", orders_yaml("          note: text\n"
                                 "          role: { type: text, nullable: false, default: "
                                 "\"'user'\", backfill: \"'member'\" }\n"));
    const std::string plan = dir.path() + "/plan.json";
    const auto allow = pgshift::testing::allow_not_null_scan_before_12(db);
    std::vector<std::string> plan_args = {"plan", "--db", db.url(), "--schema", yaml, "-o", plan};
    plan_args.insert(plan_args.end(), allow.begin(), allow.end());
    REQUIRE(run_pgshift(plan_args).exit_code == 0);

    std::vector<std::string> args = {"apply", "--db", db.url()};
    args.insert(args.end(), {saved_plan ? "--plan" : "--schema", saved_plan ? plan : yaml});
    // A saved plan carries its hazards' permission.
    if (!saved_plan) args.insert(args.end(), allow.begin(), allow.end());
    args.insert(args.end(), {"--yes", "--batch-size", "100", "--pause", "10ms"});
    Background run(args, dir.path() + "/out.txt");
    const auto backfilled = [&] {
      return std::stoll(db.scalar(
          "SELECT CASE WHEN EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'orders'::regclass "
          "AND attname = 'role') THEN (SELECT count(*) FROM orders WHERE to_jsonb(orders) ->> "
          "'role' = 'member') ELSE 0 END"));
    };
    INFO((saved_plan ? "apply --plan" : "apply --schema"));
    REQUIRE(eventually([&] { return backfilled() > 0; }));
    run.signal(SIGINT);
    const CommandResult stopped = run.wait();
    INFO(stopped.output);
    REQUIRE(stopped.exit_code == 130);
    CHECK(contains(stopped.output, "stopped between backfill batches"));
    const int64_t done = backfilled();
    CHECK(done > 0);
    CHECK(done < 20000);
    CHECK(done % 100 == 0);  // whole batches only: never a step's transaction cut short

    const std::string marker = "Resume with:\n  ";
    const size_t at = stopped.output.find(marker);
    REQUIRE(at != std::string::npos);
    const size_t start = at + marker.size();
    const std::string resume =
        stopped.output.substr(start, stopped.output.find('\n', start) - start);
    const std::string head = std::string(PGSHIFT_BIN) + " apply --db " + db.url() + " --plan ";
    const std::string tail = " --batch-size 100 --pause 10ms --yes";
    REQUIRE(resume.rfind(head, 0) == 0);
    REQUIRE(resume.size() > head.size() + tail.size());
    CHECK(resume.substr(resume.size() - tail.size()) == tail);
    const std::string resume_plan =
        resume.substr(head.size(), resume.size() - head.size() - tail.size());
    if (saved_plan) {
      CHECK(resume_plan == plan);
    } else {
      CHECK(contains(resume_plan, "/pgshift-plan-"));
    }

    const CommandResult resumed = run_command({"sh", "-c", resume});
    INFO(resumed.output);
    CHECK(resumed.exit_code == 0);
    CHECK(contains(resumed.output, "resuming plan"));
    CHECK(contains(resumed.output, "continuing after key ("));
    CHECK(backfilled() == 20000);
    CHECK(db.scalar("SELECT count(*) FROM orders WHERE role IS NULL") == "0");
    const auto replanned =
        run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--detailed-exitcode"});
    INFO(replanned.output);
    CHECK(replanned.exit_code == 0);
    if (!saved_plan) std::remove(resume_plan.c_str());
  }
}

// A YAML file of 64 KB or more is loaded on a second thread while the
// target is read (cli/planning.cpp, load_desired); a comment makes one.
std::string padded_to_a_megabyte(const std::string& yaml) {
  return yaml + "# " + std::string(1100 * 1024, 'x') + "\n";
}

TEST_CASE("a YAML file loaded beside the catalog read plans what it plans loaded first",
          "[cli][db]") {
  TestDatabase db;
  db.exec(kOrdersSql);
  TempDir small_dir;
  TempDir large_dir;
  const std::string yaml = "manage_owners: false\n" +
                           orders_yaml("          note: text\n          added: text\n") +
                           "  audit:\n    tables:\n      events:\n        columns:\n"
                           "          id: bigint\n";
  const std::string small = small_dir.write("schema.yaml", yaml);
  const std::string large = large_dir.write("schema.yaml", padded_to_a_megabyte(yaml));
  REQUIRE(std::filesystem::file_size(large) >= 1024 * 1024);
  const auto first = run_pgshift({"plan", "--db", db.url(), "--schema", small, "--format", "sql"});
  const auto beside = run_pgshift({"plan", "--db", db.url(), "--schema", large, "--format", "sql"});
  INFO(first.output);
  INFO(beside.output);
  REQUIRE(first.exit_code == 0);
  CHECK(beside.exit_code == 0);
  CHECK(contains(beside.output, "ADD COLUMN added text"));
  CHECK(contains(beside.output, "CREATE SCHEMA audit"));
  std::string expected = first.output;
  for (auto at = expected.find(small); at != std::string::npos; at = expected.find(small, at)) {
    expected.replace(at, small.size(), large);
    at += large.size();
  }
  CHECK(beside.output == expected);
  // drift reads the same way, and finds the same difference.
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", large});
  CHECK(drift.exit_code == 2);
}

TEST_CASE("a YAML error in a file loaded beside the catalog read is reported as when loaded first",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = orders_yaml("          note: { type: text, nullable: maybe }\n");
  const std::string small = dir.write("small.yaml", yaml);
  const std::string large = dir.write("large.yaml", padded_to_a_megabyte(yaml));
  const auto first = run_pgshift({"plan", "--db", db.url(), "--schema", small});
  INFO(first.output);
  REQUIRE(first.exit_code == 1);
  REQUIRE(contains(first.output, small + ":10:41: "));
  // Transactions the server counted in the test's database, read from
  // another database so that reading them adds none.
  const auto transactions = [&] {
    pqxx::connection admin(std::getenv("PGSHIFT_TEST_URL"));
    pqxx::nontransaction work(admin);
    return work
        .exec_params(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            "WHERE datname = $1",
            db.name())[0][0]
        .as<long long>();
  };
  // Servers before 15 report a session's counts a moment after it ends.
  long long settled = transactions();
  for (int poll = 0; poll < 20; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const long long now = transactions();
    if (now == settled) break;
    settled = now;
  }
  const long long before = settled;
  for (const std::string& target :
       {db.url(), std::string("postgresql://nobody@127.0.0.1:1/none")}) {
    const auto beside = run_pgshift({"plan", "--db", target, "--schema", large});
    INFO(beside.output);
    CHECK(beside.exit_code == 1);
    CHECK(contains(beside.output, large + ":10:41: "));
    CHECK_FALSE(contains(beside.output, "could not connect"));
  }
  // The catalog was read while the file loaded: the read's transaction
  // shows in the statistics (flushed when its session ends; polled, since
  // servers before 15 report them a moment later).
  long long after = transactions();
  for (int poll = 0; poll < 50 && after == before; ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    after = transactions();
  }
  CHECK(after > before);
}

TEST_CASE(
    "a server that never answers is given up after 10 s unless PGCONNECT_TIMEOUT says otherwise",
    "[cli][db]") {
  const SilentServer server;
  TempDir dir;
  const std::string yaml = orders_yaml("");
  const std::string good = dir.write("good.yaml", yaml);
  // pgshift's own limit (cli/main.cpp): libpq alone waits forever here.
  const auto timed = [](std::vector<std::string> args) {
    const auto start = std::chrono::steady_clock::now();
    const CommandResult result = run_command(args);
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
            .count();
    return std::make_pair(result, seconds);
  };
  const auto [unset, unset_seconds] = timed({"env", "-u", "PGCONNECT_TIMEOUT", PGSHIFT_BIN, "plan",
                                             "--db", server.url(), "--schema", good});
  INFO(unset.output);
  CHECK(unset.exit_code == 1);
  CHECK(contains(unset.output, "could not connect"));
  CHECK(contains(unset.output, "timeout expired"));
  CHECK(unset_seconds >= 9);
  CHECK(unset_seconds < 40);
  // The user's setting wins, and a YAML error in a file loaded beside the
  // read comes once the connection attempt has given up.
  const std::string bad = dir.write(
      "bad.yaml",
      padded_to_a_megabyte(orders_yaml("          note: { type: text, nullable: maybe }\n")));
  const auto [given, given_seconds] = timed(
      {"env", "PGCONNECT_TIMEOUT=2", PGSHIFT_BIN, "plan", "--db", server.url(), "--schema", bad});
  INFO(given.output);
  CHECK(given.exit_code == 1);
  CHECK(contains(given.output, bad + ":10:41: "));
  CHECK_FALSE(contains(given.output, "could not connect"));
  CHECK(given_seconds < 9);
}

TEST_CASE("a database whose own search_path reaches another schema is planned with that path",
          "[cli][db]") {
  TestDatabase db;
  // The database's setting: unqualified names mean app's objects there, so
  // inspect writes them unqualified, and the scratch database pgshift builds
  // the desired state in must look them up the same way.
  db.exec("CREATE SCHEMA app; ALTER DATABASE " + db.name() + " SET search_path = app, public");
  db.exec(R"sql(
    SET search_path = app, public;
    CREATE TYPE mood AS ENUM ('ok', 'sad');
    CREATE FUNCTION slug(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
    CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, m mood DEFAULT 'ok');
    CREATE INDEX accounts_slug ON accounts (slug(name));
    INSERT INTO accounts (name) SELECT 'n' || g FROM generate_series(1, 50) g;
  )sql");
  TempDir dir;
  const std::string path = dir.path() + "/schema.yaml";
  REQUIRE(run_pgshift({"inspect", "--db", db.url(), "-o", path}).exit_code == 0);
  std::string yaml = dir.read("schema.yaml");
  REQUIRE(contains(yaml, "type: mood"));
  replace_once(yaml, "          name: { type: text, nullable: false }\n",
               "          name: { type: text, nullable: false }\n"
               "          m2: { type: mood, default: \"'sad'::mood\" }\n"
               "          tag: { type: text, default: \"slug('X')\" }\n");
  dir.write("schema.yaml", yaml);
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(contains(planned.output, "ADD COLUMN m2 mood DEFAULT 'sad'::mood"));
  const auto applied = run_pgshift({"apply", "--yes", "--db", db.url(), "--schema", path});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM app.accounts WHERE m2 = 'sad' AND tag = 'x'") == "50");
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
  // Planned under another search_path, the same YAML names what is not
  // there: the error says where the names were looked up.
  const auto elsewhere = run_pgshift(
      {"plan", "--db", db.url() + "?options=-c%20search_path%3Dpublic", "--schema", path});
  CHECK(elsewhere.exit_code == 1);
  CHECK(contains(elsewhere.output, "search_path (public)"));
}

TEST_CASE("a desired state's dates, intervals and zoneless times read as the target's sessions read them",
          "[cli][db]") {
  // A team whose database reads dates day first, in Tokyo time, with
  // SQL-standard intervals writes its defaults for that database: psql there
  // reads '04/03/2020' as 4 March. The scratch build reads them alike.
  TestDatabase db;
  db.exec("ALTER DATABASE " + db.name() + " SET DateStyle = 'SQL, DMY'; ALTER DATABASE " +
          db.name() + " SET TimeZone = 'Asia/Tokyo'; ALTER DATABASE " + db.name() +
          " SET IntervalStyle = 'sql_standard'");
  db.exec("CREATE TABLE events (id integer PRIMARY KEY); INSERT INTO events VALUES (1)");
  TempDir dir;
  const std::string path = dir.write("schema.yaml", R"yaml(schemas:
  public:
    tables:
      events:
        columns:
          id: { type: integer, nullable: false }
          day: { type: date, default: "'04/03/2020'::date" }
          at: { type: timestamptz, default: "'2020-01-01 09:00'::timestamptz" }
          span: { type: interval, default: "'-1 2:03:04'::interval" }
        primary_key: [id]
)yaml");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  // The plan carries the values in ISO form and UTC, which read alike in
  // any session.
  CHECK(contains(planned.output, "ADD COLUMN day date DEFAULT '2020-03-04'::date"));
  CHECK(contains(planned.output, "DEFAULT '2020-01-01 00:00:00+00'::timestamp with time zone"));
  CHECK(contains(planned.output, "ADD COLUMN span interval DEFAULT '-1 days -02:03:04'::interval"));
  const auto applied = run_pgshift({"apply", "--yes", "--db", db.url(), "--schema", path});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT day = make_date(2020, 3, 4) AND at = '2020-01-01 00:00:00+00' AND "
                  "span = interval '-1 days -02:03:04' FROM events") == "t");
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", path, "--detailed-exitcode"})
            .exit_code == 0);
}

TEST_CASE("a plan applies on the search_path it was planned with, whatever the applying session's",
          "[cli][db]") {
  // A role whose own setting (here the connection's options) puts app first:
  // the server spells app's type and function unqualified in what the plan
  // carries, and a session on the database's default path finds neither.
  TempDir dir;
  const std::string setup = R"sql(
    CREATE SCHEMA app;
    CREATE TYPE app.mood AS ENUM ('ok', 'sad');
    CREATE FUNCTION app.slug(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
    CREATE TABLE app.accounts (id serial PRIMARY KEY, name text NOT NULL);
    INSERT INTO app.accounts (name) SELECT 'n' || g FROM generate_series(1, 20) g;
  )sql";
  TestDatabase db;
  db.exec(setup);
  const std::string on_app = db.url() + "?options=-c%20search_path%3Dapp,public";
  const std::string path = dir.path() + "/schema.yaml";
  REQUIRE(run_pgshift({"inspect", "--db", on_app, "-o", path}).exit_code == 0);
  std::string yaml = dir.read("schema.yaml");
  replace_once(yaml, "          name: { type: text, nullable: false }\n",
               "          name: { type: text, nullable: false }\n"
               "          m: { type: mood, default: \"'sad'::mood\" }\n"
               "          tag: { type: text, default: \"slug('X')\" }\n");
  dir.write("schema.yaml", yaml);
  const std::string plan_json = dir.path() + "/plan.json";
  const std::string plan_sql = dir.path() + "/plan.sql";
  REQUIRE(run_pgshift({"plan", "--db", on_app, "--schema", path, "-o", plan_json}).exit_code == 0);
  REQUIRE(run_pgshift({"plan", "--db", on_app, "--schema", path, "-o", plan_sql}).exit_code == 0);
  CHECK(contains(dir.read("plan.json"), "\"search_path\": \"app,public\""));
  const std::string sql = dir.read("plan.sql");
  CHECK(contains(sql, "SELECT pg_catalog.set_config('search_path', 'app,public', false);"));
  CHECK(contains(sql, "ADD COLUMN m mood DEFAULT 'sad'::mood"));

  // Applied from a session on the default path: the plan's own path is used,
  // and the verification reads the result as planned.
  const auto applied = run_pgshift({"apply", "--yes", "--db", db.url(), "--plan", plan_json});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM app.accounts WHERE m = 'sad' AND tag = 'x'") == "20");
  CHECK(run_pgshift({"drift", "--db", on_app, "--schema", path}).exit_code == 0);

  // The SQL rendering run by psql on the default path: the same result.
  TestDatabase by_psql;
  by_psql.exec(setup);
  const auto ran = run_command(
      {PGSHIFT_PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", by_psql.url(), "-f", plan_sql});
  INFO(ran.output);
  REQUIRE(ran.exit_code == 0);
  CHECK(by_psql.scalar("SELECT count(*) FROM app.accounts WHERE m = 'sad' AND tag = 'x'") ==
        "20");
}
