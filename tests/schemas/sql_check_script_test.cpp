// SQL files of a desired state run only statements that stay inside the
// scratch database and run no code of the files (schemas/sql_check_script).
#include "schemas/sql_check_script.hpp"

#include <catch2/catch.hpp>
#include <string>

using pgshift::schemas::check_sql_script;

namespace {

std::string problem_of(const std::string& text) {
  const auto check = check_sql_script(text);
  return check.problem ? check.problem->message : "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a pg_dump --schema-only header and the objects of a database pass", "[schemas][sql]") {
  const std::string dump =
      "\\restrict Abc123\n"
      "SET statement_timeout = 0;\n"
      "SET client_encoding = 'UTF8';\n"
      "SELECT pg_catalog.set_config('search_path', '', false);\n"
      "SET default_table_access_method = heap;\n"
      "CREATE SCHEMA app;\n"
      "ALTER SCHEMA app OWNER TO app_owner;\n"
      "COMMENT ON SCHEMA app IS 'the app';\n"
      "CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;\n"
      "CREATE TYPE app.status AS ENUM ('new', 'done');\n"
      "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.at := now(); "
      "RETURN NEW; END$$;\n"
      "CREATE TABLE app.t (id bigint NOT NULL, at timestamptz, s app.status DEFAULT 'new');\n"
      "CREATE SEQUENCE app.t_id_seq;\n"
      "ALTER SEQUENCE app.t_id_seq OWNED BY app.t.id;\n"
      "ALTER TABLE ONLY app.t ALTER COLUMN id SET DEFAULT nextval('app.t_id_seq'::regclass);\n"
      "ALTER TABLE ONLY app.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n"
      "CREATE INDEX t_at_idx ON app.t USING btree (at);\n"
      "CREATE TRIGGER t_touch BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION app.touch();\n"
      "CREATE VIEW app.v AS SELECT id FROM app.t;\n"
      "CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t WITH NO DATA;\n"
      "CREATE POLICY p ON app.t USING (true);\n"
      "GRANT SELECT ON TABLE app.t TO reader;\n"
      "SELECT pg_catalog.setval('app.t_id_seq', 1, false);\n"
      "\\unrestrict Abc123\n";
  const auto check = check_sql_script(dump);
  INFO((check.problem ? check.problem->message : ""));
  REQUIRE_FALSE(check.problem);
  CHECK(check.statements.size() == 22);
  // The guard lines are blanked in the text that runs, offsets unchanged.
  CHECK(check.runnable.size() == dump.size());
  CHECK_FALSE(contains(check.runnable, "\\restrict"));
  const auto& create_schema = check.statements[4];
  CHECK(check.runnable.substr(create_schema.offset, create_schema.length) ==
        "\nCREATE SCHEMA app");
}

TEST_CASE("statements that reach past the scratch database are refused with the reason",
          "[schemas][sql]") {
  const struct {
    const char* sql;
    const char* words;
    const char* reason;
  } cases[] = {
      {"CREATE ROLE pwn LOGIN", "CREATE ROLE", "belong to the whole server"},
      {"alter role app set statement_timeout = 1", "ALTER ROLE", "belong to the whole server"},
      {"GRANT pg_read_server_files TO app", "GRANT", "belong to the whole server"},
      {"ALTER DATABASE shop SET statement_timeout = 1", "ALTER DATABASE", "whole server"},
      {"ALTER DATABASE shop OWNER TO pwn", "ALTER DATABASE", "whole server"},
      {"ALTER DATABASE shop RENAME TO old", "ALTER DATABASE", "whole server"},
      {"CREATE DATABASE other", "CREATE DATABASE", "whole server"},
      {"DROP DATABASE shop", "DROP DATABASE", "whole server"},
      {"GRANT CONNECT ON DATABASE shop TO pwn", "GRANT", "whole server"},
      {"COMMENT ON DATABASE shop IS 'x'", "COMMENT ON", "whole server"},
      {"COMMENT ON ROLE app IS 'x'", "COMMENT ON", "whole server"},
      {"CREATE TABLESPACE ts LOCATION '/tmp'", "CREATE TABLESPACE", "whole server"},
      {"ALTER SYSTEM SET work_mem = '1GB'", "ALTER SYSTEM", "configuration"},
      {"DROP OWNED BY app", "DROP OWNED", "whole server shares"},
      {"REASSIGN OWNED BY app TO pwn", "REASSIGN OWNED", "databases and tablespaces"},
      {"DO $$BEGIN EXECUTE 'CREATE ROLE pwn'; END$$", "DO", "runs code"},
      {"CALL app.setup()", "CALL", "runs code"},
      {"SELECT app.setup()", "SELECT", "runs the functions it calls"},
      {"SELECT pg_catalog.set_config('x', app.f(), false)", "SELECT", "runs the functions"},
      {"VALUES (1)", "VALUES", "runs the functions"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE c AS '/tmp/x.so', 'f'", "CREATE FUNCTION",
       "loads code into the server"},
      {"CREATE FUNCTION f() RETURNS int LANGUAGE plperlu AS 'BEGIN { system(\"id\") } 1'",
       "CREATE FUNCTION", "BEGIN blocks"},
      {"CREATE TABLE p PARTITION OF t FOR VALUES IN (app.f())", "CREATE TABLE",
       "partition bound"},
      {"ALTER TABLE t ATTACH PARTITION p FOR VALUES FROM ((SELECT 1)) TO (10)", "ALTER TABLE",
       "partition bound"},
      {"CREATE TABLE copy AS SELECT app.f()", "CREATE TABLE", "stores rows"},
      {"CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE FUNCTION app.f()", "CREATE EVENT",
       "event trigger"},
      {"LOAD 'plpgsql'", "LOAD", "shared library"},
      {"INSERT INTO t VALUES (1)", "INSERT", "not rows"},
      {"COPY t FROM PROGRAM 'id'", "COPY", "not rows"},
      {"REFRESH MATERIALIZED VIEW mv", "REFRESH MATERIALIZED", "query"},
      {"BEGIN; CREATE TABLE t (); PREPARE TRANSACTION 'x'", "PREPARE TRANSACTION",
       "outlives the session"},
      {"CREATE SUBSCRIPTION s CONNECTION 'host=evil' PUBLICATION p", "CREATE SUBSCRIPTION",
       "another server"},
      {"IMPORT FOREIGN SCHEMA s FROM SERVER f INTO app", "IMPORT FOREIGN", "foreign server"},
      {"EXPLAIN ANALYZE SELECT app.f()", "EXPLAIN ANALYZE", "runs its statement"},
  };
  for (const auto& refused : cases) {
    INFO(refused.sql);
    const std::string message = problem_of(refused.sql);
    CHECK(contains(message, std::string(refused.words) + " is not allowed in a desired state's "
                                                         "SQL: "));
    CHECK(contains(message, refused.reason));
  }
}

TEST_CASE("a refusal points at its statement's first word and nothing runs", "[schemas][sql]") {
  const std::string text =
      "CREATE TABLE t (id int);\n"
      "-- a role for the app\n"
      "  CREATE ROLE pwn;\n"
      "CREATE TABLE u (id int);\n";
  const auto check = check_sql_script(text);
  REQUIRE(check.problem);
  REQUIRE(check.problem->offset);
  CHECK(text.substr(*check.problem->offset, 11) == "CREATE ROLE");
  CHECK(check.statements.empty());
  CHECK(check.runnable.empty());
}

TEST_CASE("a materialized view with data is built without: its query does not run",
          "[schemas][sql]") {
  const auto check = check_sql_script(
      "CREATE MATERIALIZED VIEW app.totals AS SELECT 1 AS n -- no semicolon, a comment\n"
      ";CREATE MATERIALIZED VIEW plain AS SELECT 2 WITH NO DATA;\n"
      "CREATE MATERIALIZED VIEW last AS SELECT 3 -- a final comment, no newline");
  REQUIRE_FALSE(check.problem);
  REQUIRE(check.statements.size() == 3);
  CHECK(check.statements[0].suffix == "\nWITH NO DATA");
  CHECK(check.statements[1].suffix.empty());
  CHECK(check.statements[2].suffix == "\nWITH NO DATA");
}

TEST_CASE("a syntax error and a NUL byte are positioned problems", "[schemas][sql]") {
  const std::string text = "CREATE TABLE é (id int;\n";
  const auto check = check_sql_script(text);
  REQUIRE(check.problem);
  CHECK(contains(check.problem->message, "syntax error at or near \";\""));
  REQUIRE(check.problem->offset);
  CHECK(text.substr(*check.problem->offset, 1) == ";");

  const auto nul = check_sql_script(std::string("CREATE TABLE t ();\0DROP TABLE x;", 32));
  REQUIRE(nul.problem);
  CHECK(nul.problem->offset == std::size_t{18});
}
