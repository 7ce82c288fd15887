// SQL as desired state, the parts YAML had alone: planning hints from a
// --hints file reach the planner as YAML hints do, and `inspect --format sql`
// writes a file that --schema reads back and plans nothing against.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::contains;
using pgshift::testing::run_pgshift;
using pgshift::testing::run_command;
using pgshift::testing::server_version_num;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const size_t pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
}

// tests/cli/data/every_kind.yaml without what the server of `db` does not
// have (as in cli_db_test.cpp).
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

}  // namespace

TEST_CASE("rename hints make an SQL desired state plan RENAME, not a drop and an add",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA app;"
      "CREATE TABLE app.users (id bigint PRIMARY KEY, handle text);"
      "INSERT INTO app.users SELECT g, 'h' || g FROM generate_series(1, 50) g;"
      "CREATE TABLE app.log (id bigint, at timestamptz);"
      "INSERT INTO app.log SELECT g, now() FROM generate_series(1, 50) g");
  const std::string schema = dir.write("schema.sql",
                                       "CREATE SCHEMA app;\n"
                                       "CREATE TABLE app.users (id bigint PRIMARY KEY, nickname text);\n"
                                       "CREATE TABLE app.events (id bigint, at timestamptz);\n");
  // Without hints: a drop and an add, refused as data loss.
  const auto unhinted = run_pgshift({"plan", "--db", db.url(), "--schema", schema});
  INFO(unhinted.output);
  CHECK(unhinted.exit_code == 1);
  CHECK(contains(unhinted.output, "DROP COLUMN handle"));

  const std::string hints = dir.write("hints.yaml",
                                      "schemas:\n"
                                      "  app:\n"
                                      "    tables:\n"
                                      "      events: { renamed_from: log }\n"
                                      "      users:\n"
                                      "        columns:\n"
                                      "          nickname: { renamed_from: handle }\n");
  // A rename is allowed as YAML renames are: with --allow-hazard rename.
  const auto planned = run_pgshift(
      {"plan", "--db", db.url(), "--schema", schema, "--hints", hints, "--allow-hazard", "rename"});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, "ALTER TABLE app.users RENAME COLUMN handle TO nickname;"));
  CHECK(contains(planned.output, "ALTER TABLE app.log RENAME TO events;"));
  CHECK_FALSE(contains(planned.output, "DROP "));

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", schema, "--hints",
                                    hints, "--yes", "--allow-hazard", "rename"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT nickname FROM app.users WHERE id = 7") == "h7");
  CHECK(db.scalar("SELECT count(*) FROM app.events") == "50");
  // Once renamed, the hints name what exists; the plan is empty.
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", schema, "--hints", hints,
                     "--detailed-exitcode"})
            .exit_code == 0);
}

TEST_CASE("a backfill hint makes an SQL desired state plan the backfill, in its batch size",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA app;"
      "CREATE TABLE app.users (id bigint PRIMARY KEY, tier text);"
      "INSERT INTO app.users SELECT g FROM generate_series(1, 100) g");
  const std::string schema =
      dir.write("schema.sql",
                "CREATE SCHEMA app;\n"
                "CREATE TABLE app.users (id bigint PRIMARY KEY, tier text NOT NULL);\n");
  // Without a backfill, the NULL rows are counted and the plan refused.
  const auto unhinted = run_pgshift({"plan", "--db", db.url(), "--schema", schema});
  INFO(unhinted.output);
  CHECK(unhinted.exit_code == 1);
  CHECK(contains(unhinted.output, "has 100 rows holding NULL"));
  CHECK(contains(unhinted.output, "--hints"));

  const std::string hints = dir.write("hints.yaml",
                                      "schemas:\n"
                                      "  app:\n"
                                      "    tables:\n"
                                      "      users:\n"
                                      "        backfill_batch_size: 30\n"
                                      "        columns:\n"
                                      "          tier: { backfill: \"'bronze'\" }\n");
  // PostgreSQL 11 scans for SET NOT NULL under ACCESS EXCLUSIVE (12+ use the CHECK).
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", schema, "--hints", hints, "--format",
                   "json", "--allow-hazard", "access_exclusive_scan"});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, "\"backfill\""));
  CHECK(contains(planned.output, "'bronze'"));
  CHECK(contains(planned.output, "\"batch_size\": 30"));

  // The hints file may sit in a directory of SQL files: it is not a YAML desired state.
  TempDir sql_dir;
  sql_dir.write("01_schema.sql", dir.read("schema.sql"));
  const std::string beside = sql_dir.write("hints.yaml", dir.read("hints.yaml"));
  CHECK(contains(run_pgshift({"plan", "--db", db.url(), "--schema", sql_dir.path()}).output,
                 "holds both .sql and YAML files"));
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--schema", sql_dir.path(), "--hints", beside,
                   "--yes", "--allow-hazard", "access_exclusive_scan"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM app.users WHERE tier = 'bronze'") == "100");
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'app.users'::regclass "
                  "AND attname = 'tier'") == "t");
}

TEST_CASE("a using hint is the USING of an SQL desired state's type change", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA app;"
      "CREATE TABLE app.items (id bigint PRIMARY KEY, code text);"
      "INSERT INTO app.items VALUES (1, ' 12 '), (2, '')");
  const std::string schema =
      dir.write("schema.sql",
                "CREATE SCHEMA app;\n"
                "CREATE TABLE app.items (id bigint PRIMARY KEY, code integer);\n");
  const std::string hints = dir.write("hints.yaml",
                                      "schemas:\n"
                                      "  app:\n"
                                      "    tables:\n"
                                      "      items:\n"
                                      "        columns:\n"
                                      "          code: { using: \"NULLIF(trim(code), '')::integer\" }\n");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", schema, "--hints",
                                    hints, "--allow-hazard", "table_rewrite"});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output,
                 "ALTER TABLE app.items ALTER COLUMN code TYPE integer USING (NULLIF(trim(code), "
                 "'')::integer);"));
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", schema, "--hints",
                                    hints, "--yes", "--allow-hazard", "table_rewrite"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT code FROM app.items WHERE id = 1") == "12");
  CHECK(db.scalar("SELECT code FROM app.items WHERE id = 2") == "");
}

TEST_CASE("a hint naming what the SQL does not define is an error at its place, nothing planned",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE SCHEMA app; CREATE TABLE app.users (id bigint PRIMARY KEY, handle text)");
  const std::string schema = dir.write(
      "schema.sql", "CREATE SCHEMA app;\nCREATE TABLE app.users (id bigint PRIMARY KEY, nick text);\n");
  // The hint is keyed by the old name: the SQL does not define it.
  const std::string hints = dir.write("hints.yaml",
                                      "schemas:\n"
                                      "  app:\n"
                                      "    tables:\n"
                                      "      users:\n"
                                      "        columns:\n"
                                      "          handle: { renamed_from: nick }\n");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", schema, "--hints", hints});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, hints + ":6:11: schemas.app.tables.users.columns.handle: column "
                                         "\"handle\" of table \"app.users\" is not defined by "
                                         "the SQL desired state"));
  CHECK_FALSE(contains(planned.output, "ALTER TABLE"));

  // A misshapen hints file is refused before anything connects.
  const std::string bad = dir.write("bad.yaml", "schemas:\n  app:\n    tables:\n      users:\n"
                                                "        columns:\n          nick: { type: text }\n");
  const auto refused = run_pgshift(
      {"plan", "--db", "postgresql://nobody@127.0.0.1:1/none", "--schema", schema, "--hints", bad});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, bad + ":6:19: schemas.app.tables.users.columns.nick.type: "
                                       "unknown key \"type\""));
  CHECK_FALSE(contains(refused.output, "127.0.0.1"));

  // With a YAML desired state, hints are written on its objects.
  const std::string yaml = dir.write(
      "schema.yaml", "schemas:\n  app:\n    tables:\n      users:\n        columns:\n"
                     "          id: bigint\n");
  const auto usage = run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--hints", hints});
  INFO(usage.output);
  CHECK(usage.exit_code == 64);
  CHECK(contains(usage.output, "--hints is for a desired state written in SQL"));
}

TEST_CASE("inspect --format sql of every object kind reads back as a desired state that plans "
          "nothing",
          "[cli][db]") {
  TestDatabase first;
  TestDatabase second;
  TempDir dir;
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(first));
  const auto built = run_pgshift(
      {"apply", "--db", first.url(), "--schema", every_kind, "--yes", "--allow-hazard", "all"});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);

  // The format follows -o's extension.
  const std::string sql = dir.path() + "/every_kind.sql";
  const auto inspected = run_pgshift({"inspect", "--db", first.url(), "-o", sql});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  const std::string text = dir.read("every_kind.sql");
  CHECK(contains(text, "CREATE TABLE"));
  CHECK_FALSE(contains(text, "schemas:"));

  const auto replanned =
      run_pgshift({"plan", "--db", first.url(), "--schema", sql, "--detailed-exitcode"});
  INFO(text);
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);

  // Built from the SQL on an empty database, it inspects to the same YAML.
  const auto rebuilt = run_pgshift(
      {"apply", "--db", second.url(), "--schema", sql, "--yes", "--allow-hazard", "all"});
  INFO(rebuilt.output);
  REQUIRE(rebuilt.exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", first.url(), "-o", dir.path() + "/a.yaml"}).exit_code ==
          0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "-o", dir.path() + "/b.yaml"}).exit_code ==
          0);
  CHECK(dir.read("a.yaml") == dir.read("b.yaml"));

  // --format wins over the extension; to stdout too.
  const auto to_stdout = run_pgshift({"inspect", "--db", first.url(), "--format", "sql"});
  CHECK(to_stdout.exit_code == 0);
  CHECK(contains(to_stdout.output, "CREATE TABLE"));
  const auto in_dir = run_pgshift(
      {"inspect", "--db", first.url(), "--format", "sql", "-o", dir.path() + "/"});
  CHECK(in_dir.exit_code == 64);
}

TEST_CASE("inspect --format sql of the complete example reads back with nothing to plan but an "
          "unfilled materialized view, which it warns about",
          "[cli][db]") {
  TestDatabase db;
  if (server_version_num(db) < 150000) {
    WARN("shop.yaml uses UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+): not built on this server");
    return;
  }
  TempDir dir;
  const auto built = run_pgshift({"apply", "--db", db.url(), "--schema",
                                  std::string(PGSHIFT_EXAMPLES_YAML) + "/shop.yaml", "--yes",
                                  "--allow-hazard", "all"});
  INFO(built.output);
  REQUIRE(built.exit_code == 0);
  const std::string sql = dir.path() + "/shop.sql";
  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "--format", "sql", "-o", sql});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  // shop.yaml's order_totals is `with_data: false`: SQL files cannot say so.
  CHECK(contains(inspected.output, "pgshift inspect: warning: materialized view "
                                   "\"public.order_totals\" holds no rows"));
  const auto replanned = run_pgshift({"plan", "--db", db.url(), "--schema", sql});
  INFO(replanned.output);
  CHECK(contains(replanned.output, "-- steps: 3"));
  CHECK(contains(replanned.output, "drop (to recreate) materialized view \"public.order_totals\""));
  CHECK(contains(replanned.output, "create index \"order_totals_customer_idx\""));

  // Filled, it plans nothing.
  db.exec("REFRESH MATERIALIZED VIEW public.order_totals");
  REQUIRE(run_pgshift({"inspect", "--db", db.url(), "-o", sql}).exit_code == 0);
  const auto filled =
      run_pgshift({"plan", "--db", db.url(), "--schema", sql, "--detailed-exitcode"});
  INFO(filled.output);
  CHECK(filled.exit_code == 0);
}

TEST_CASE("SQL desired state is read back as the target's own search_path names it", "[cli][db]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app; ALTER DATABASE " + db.name() + " SET search_path = app, public");
  TempDir dir;
  // The file runs with the scratch database's search_path, its own SET
  // putting the names in app; read back with the target's, the type is
  // "mood" on both sides, not "app.mood" on one.
  const std::string file = dir.write("schema.sql",
                                     "CREATE SCHEMA app;\n"
                                     "SET search_path = app;\n"
                                     "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
                                     "CREATE TABLE accounts (id int PRIMARY KEY, m mood "
                                     "DEFAULT 'ok');\n");
  const CommandResult applied = run_pgshift({"apply", "--yes", "--db", db.url(), "--schema", file});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(applied.output, "verified"));
  const CommandResult replanned = run_pgshift({"plan", "--db", db.url(), "--schema", file});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);
  CHECK(contains(replanned.output, "nothing to do"));
}
