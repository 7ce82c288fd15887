#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "schemas/yaml_loader.hpp"
#include "schemas/yaml_writer.hpp"

using namespace pgshift::schemas;

namespace {

// The full text of the LoadError `text` raises, or "(loaded)".
std::string errors_of(const std::string& text) {
  try {
    load_yaml_string(text, "f.yaml");
  } catch (const LoadError& error) {
    return error.what();
  }
  return "(loaded)";
}

// A table "t" in schema "public" with the given lines under it (8 spaces in).
std::string table(const std::string& lines) {
  return "schemas:\n  public:\n    tables:\n      t:\n" + lines;
}

// A fresh directory under the system's temporary directory, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pgshift-yaml-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace

TEST_CASE("an unknown key close to a known one suggests it", "[schemas]") {
  REQUIRE(errors_of(table("        columns:\n          id: { type: int, nulable: false }\n")) ==
          "f.yaml:6:28: schemas.public.tables.t.columns.id.nulable: unknown key \"nulable\", did "
          "you mean \"nullable\"?\n"
          "          id: { type: int, nulable: false }\n"
          "                           ^");
}

TEST_CASE("an unknown key far from any known one lists the known keys", "[schemas]") {
  REQUIRE(errors_of("schemas: {}\nextras: 1\n") ==
          "f.yaml:2:1: extras: unknown key \"extras\"; expected one of: ignore, drop_schemas, extensions, "
          "default_privileges, manage_owners, schemas\n"
          "extras: 1\n"
          "^");
}

TEST_CASE("a duplicate key is reported at the second with the first's position", "[schemas]") {
  REQUIRE(errors_of(table("        columns:\n          id: int\n          id: text\n")) ==
          "f.yaml:7:11: schemas.public.tables.t.columns.id: duplicate key \"id\", first defined "
          "at f.yaml:6:11\n"
          "          id: text\n"
          "          ^");
}

TEST_CASE("every error of a file is reported, in order", "[schemas]") {
  const auto text = table(
      "        columns:\n"
      "          id: { nullable: false }\n"
      "          b: { type: int, nullable: yes }\n"
      "        primary_key: { columns: id }\n"
      "        backfill_batch_size: 0\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:6:15: schemas.public.tables.t.columns.id: missing required key \"type\"\n"
          "          id: { nullable: false }\n"
          "              ^\n"
          "f.yaml:7:37: schemas.public.tables.t.columns.b.nullable: expected true or false, found "
          "\"yes\"\n"
          "          b: { type: int, nullable: yes }\n"
          "                                    ^\n"
          "f.yaml:8:33: schemas.public.tables.t.primary_key.columns: expected a list of names, "
          "found \"id\"\n"
          "        primary_key: { columns: id }\n"
          "                                ^\n"
          "f.yaml:9:30: schemas.public.tables.t.backfill_batch_size: expected a positive "
          "integer, found \"0\"\n"
          "        backfill_batch_size: 0\n"
          "                             ^");
}

TEST_CASE("diagnostics carry file, position and path as fields", "[schemas]") {
  try {
    load_yaml_string(table("        columns: [id]\n"), "f.yaml");
    FAIL("no error");
  } catch (const LoadError& error) {
    REQUIRE(error.diagnostics.size() == 1);
    const Diagnostic& diagnostic = error.diagnostics[0];
    REQUIRE(diagnostic.file == "f.yaml");
    REQUIRE(diagnostic.line == 5);
    REQUIRE(diagnostic.column == 18);
    REQUIRE(diagnostic.path == "schemas.public.tables.t.columns");
    REQUIRE(diagnostic.message == "expected a mapping, found a sequence");
  }
}

TEST_CASE("a quoted boolean or integer is a string, not a boolean or integer", "[schemas]") {
  REQUIRE(errors_of("schemas:\n  s:\n    sequences:\n      q: { start: \"1\", cycle: ten }\n") ==
          "f.yaml:4:19: schemas.s.sequences.q.start: expected an integer, found the quoted "
          "string \"1\"\n"
          "      q: { start: \"1\", cycle: ten }\n"
          "                  ^\n"
          "f.yaml:4:31: schemas.s.sequences.q.cycle: expected true or false, found \"ten\"\n"
          "      q: { start: \"1\", cycle: ten }\n"
          "                              ^");
}

TEST_CASE("a keyword outside its set names the allowed words", "[schemas]") {
  REQUIRE(errors_of(table("        replica_identity: partial\n")) ==
          "f.yaml:5:27: schemas.public.tables.t.replica_identity: expected default, full or "
          "nothing, found \"partial\"\n"
          "        replica_identity: partial\n"
          "                          ^");
}

TEST_CASE("a required key given as null is reported at the null", "[schemas]") {
  REQUIRE(errors_of(table("        columns:\n          id: { type: ~ }\n")) ==
          "f.yaml:6:23: schemas.public.tables.t.columns.id.type: expected a value, found null\n"
          "          id: { type: ~ }\n"
          "                      ^");
}

TEST_CASE("a malformed short foreign key reference says the expected form", "[schemas]") {
  const auto text = table(
      "        columns: { id: int }\n"
      "        foreign_keys:\n"
      "          - { columns: [id], references: \"t id\" }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:7:42: schemas.public.tables.t.foreign_keys[0].references: expected "
          "\"table(column, ...)\" or \"schema.table(column, ...)\", found \"t id\"\n"
          "          - { columns: [id], references: \"t id\" }\n"
          "                                         ^");
}

TEST_CASE("a reference of several columns cut at a comma of a flow mapping says to quote it",
          "[schemas]") {
  const auto text = table(
      "        columns: { id: int, d: date }\n"
      "        foreign_keys:\n"
      "          - { columns: [id, d], references: u(id, d) }\n");
  const std::string errors = errors_of(text);
  CHECK(errors.find("f.yaml:7:45: schemas.public.tables.t.foreign_keys[0].references: expected "
                    "\"table(column, ...)\" or \"schema.table(column, ...)\", found \"u(id\" "
                    "(in a { ... } mapping a comma ends an unquoted value: quote it, "
                    "references: \"u(id, ...)\")\n") == 0);
}

TEST_CASE("a trigger's firing is one of origin, replica, always and disabled", "[schemas]") {
  CHECK_THAT(errors_of(table("        triggers:\n"
                             "          tr: { timing: after, events: [update], function: f, "
                             "firing: off }\n")),
             Catch::StartsWith("f.yaml:6:71: schemas.public.tables.t.triggers.tr.firing: expected "
                               "origin, replica, always or disabled, found \"off\""));
  CHECK(errors_of(table("        triggers:\n"
                        "          tr: { timing: after, events: [update], function: f, "
                        "firing: replica }\n")) == "(loaded)");
}

TEST_CASE("trigger events must be known and listed once", "[schemas]") {
  const auto text = table(
      "        triggers:\n"
      "          tr: { timing: after, events: [update, update, upsert], function: f }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:6:49: schemas.public.tables.t.triggers.tr.events[1]: event \"update\" is listed "
          "twice\n"
          "          tr: { timing: after, events: [update, update, upsert], function: f }\n"
          "                                                ^\n"
          "f.yaml:6:57: schemas.public.tables.t.triggers.tr.events[2]: expected insert, update, "
          "delete or truncate, found \"upsert\"\n"
          "          tr: { timing: after, events: [update, update, upsert], function: f }\n"
          "                                                        ^");
}

TEST_CASE("an index key is a column or an expression, not both", "[schemas]") {
  const auto text = table(
      "        columns: { id: int }\n"
      "        indexes:\n"
      "          i: { columns: [{ column: id, expression: id + 1 }] }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:7:26: schemas.public.tables.t.indexes.i.columns[0]: expected either \"column\" "
          "or \"expression\", found both\n"
          "          i: { columns: [{ column: id, expression: id + 1 }] }\n"
          "                         ^");
}

TEST_CASE("an exclusion element is one element, positioned at its item, and elements are required",
          "[schemas]") {
  const auto text = table(
      "        columns: { room: int, during: tstzrange }\n"
      "        exclusion_constraints:\n"
      "          x: { elements: [\"room WITH =\", \"during WITH &&) WHERE (true\"] }\n"
      "          y: { using: gist }\n");
  const std::string errors = errors_of(text);
  INFO(errors);
  CHECK(errors.find("f.yaml:7:42: schemas.public.tables.t.exclusion_constraints.x.elements[1]: "
                    "invalid exclusion element") == 0);
  CHECK(errors.find("schemas.public.tables.t.exclusion_constraints.y: missing required key "
                    "\"elements\"") != std::string::npos);
}

TEST_CASE("a column's storage, compression and statistics are checked, each positioned",
          "[schemas]") {
  const auto text = table(
      "        columns:\n"
      "          a: { type: text, storage: compressed }\n"
      "          b: { type: text, compression: zstd }\n"
      "          c: { type: text, statistics: 20000 }\n"
      "          d: { type: text, statistics: many }\n");
  const std::string errors = errors_of(text);
  INFO(errors);
  CHECK(errors.find("f.yaml:6:37: schemas.public.tables.t.columns.a.storage: expected plain, "
                    "external, extended or main, found \"compressed\"") == 0);
  CHECK(errors.find("f.yaml:7:41: schemas.public.tables.t.columns.b.compression: expected pglz or "
                    "lz4, found \"zstd\"") !=
        std::string::npos);
  CHECK(errors.find("f.yaml:8:40: schemas.public.tables.t.columns.c.statistics: expected a "
                    "statistics target from 0 to 10000 (or -1, the default), found 20000") !=
        std::string::npos);
  CHECK(errors.find("f.yaml:9:40: schemas.public.tables.t.columns.d.statistics: expected an "
                    "integer") != std::string::npos);
}

TEST_CASE("a function needs a return type and a procedure has none", "[schemas]") {
  const auto text =
      "schemas:\n"
      "  public:\n"
      "    functions:\n"
      "      f: { language: plpgsql, body: x }\n"
      "    procedures:\n"
      "      p: { language: plpgsql, body: x, returns: void }\n";
  REQUIRE(errors_of(text) ==
          "f.yaml:4:10: schemas.public.functions.f: missing required key \"returns\"\n"
          "      f: { language: plpgsql, body: x }\n"
          "         ^\n"
          "f.yaml:6:40: schemas.public.procedures.p.returns: unknown key \"returns\"; expected one "
          "of: args, language, body, sql_body, security_definer, comment, owner\n"
          "      p: { language: plpgsql, body: x, returns: void }\n"
          "                                       ^");
}

TEST_CASE("a SQL-standard body is one RETURN or BEGIN ATOMIC clause of a sql routine",
          "[schemas]") {
  const auto text =
      "schemas:\n"
      "  public:\n"
      "    functions:\n"
      "      a: { returns: int, sql_body: RETURN 1 }\n"
      "      b: { returns: int, sql_body: \"RETURN 1; DROP TABLE t\" }\n"
      "      c: { returns: int, sql_body: IMMUTABLE RETURN 1 }\n"
      "      d: { returns: int, body: SELECT 1, sql_body: RETURN 1 }\n"
      "      e: { returns: int, language: plpgsql, sql_body: RETURN 1 }\n";
  const std::string errors = errors_of(text);
  INFO(errors);
  CHECK(errors.find("functions.a") == std::string::npos);
  CHECK(errors.find("f.yaml:5:") != std::string::npos);
  CHECK(errors.find("expected a SQL-standard body: RETURN expression or BEGIN ATOMIC ... END\n"
                    "      c:") != std::string::npos);
  CHECK(errors.find("give either body (the source of the routine) or sql_body") !=
        std::string::npos);
  CHECK(errors.find("a SQL-standard body (sql_body) needs language sql, found plpgsql") !=
        std::string::npos);
}

TEST_CASE("a YAML syntax error is positioned", "[schemas]") {
  REQUIRE(errors_of("schemas: { public: { tables: { t: { columns: { id: [int }\n") ==
          "f.yaml:1:57: did not find expected ',' or ']' (while parsing a flow sequence at line 1, "
          "column 52)\n"
          "schemas: { public: { tables: { t: { columns: { id: [int }\n"
          "                                                        ^");
}

TEST_CASE("a foreign key to a missing table is reported at the foreign key", "[schemas]") {
  const auto text = table(
      "        columns: { id: int }\n"
      "        foreign_keys:\n"
      "          - { columns: [id], references: missing(id) }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:7:13: schemas.public.tables.t.foreign_keys[0]: foreign key \"t_id_fkey\" of "
          "table \"public.t\" references table \"public.missing\", which is not defined\n"
          "          - { columns: [id], references: missing(id) }\n"
          "            ^");
}

TEST_CASE("an index on a missing column is reported at the index", "[schemas]") {
  const auto text = table(
      "        columns: { id: int }\n"
      "        indexes:\n"
      "          t_idx: { columns: [nope] }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:7:11: schemas.public.tables.t.indexes.t_idx: index \"t_idx\" of table "
          "\"public.t\" uses column \"nope\", which table \"public.t\" does not have\n"
          "          t_idx: { columns: [nope] }\n"
          "          ^");
}

TEST_CASE("names PostgreSQL keeps in one namespace must differ across kinds", "[schemas]") {
  const auto text =
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      t:\n"
      "        columns: { id: int }\n"
      "        primary_key: [id]\n"
      "        indexes:\n"
      "          t_pkey: { columns: [id] }\n"
      "    views:\n"
      "      t: SELECT 1\n";
  REQUIRE(errors_of(text) ==
          "f.yaml:8:11: schemas.public.tables.t.indexes.t_pkey: index \"t_pkey\" of table "
          "\"public.t\" has the same name as primary key \"t_pkey\" of table \"public.t\", "
          "defined at f.yaml:6:9\n"
          "          t_pkey: { columns: [id] }\n"
          "          ^\n"
          "f.yaml:10:7: schemas.public.views.t: view \"public.t\" has the same name as table "
          "\"public.t\", defined at f.yaml:4:7\n"
          "      t: SELECT 1\n"
          "      ^");
}

TEST_CASE("two constraints given the same default name clash", "[schemas]") {
  const auto text = table(
      "        columns: { a: int }\n"
      "        unique:\n"
      "          - [a]\n"
      "          - { columns: [a], deferrable: true }\n");
  REQUIRE(errors_of(text) ==
          "f.yaml:8:13: schemas.public.tables.t.unique[1]: unique constraint \"t_a_key\" of table "
          "\"public.t\" is defined more than once; first defined at f.yaml:7:13\n"
          "          - { columns: [a], deferrable: true }\n"
          "            ^");
}

TEST_CASE("an object defined in two files names both places", "[schemas]") {
  TempDir dir;
  dir.write("a.yaml", "schemas:\n  public:\n    tables:\n      t: { columns: { id: int } }\n");
  dir.write("b.yml", "schemas:\n  public:\n    tables:\n      t: { columns: { id: int } }\n");
  try {
    load_yaml_file(dir.path());
    FAIL("no error");
  } catch (const LoadError& error) {
    REQUIRE(error.diagnostics.size() == 1);
    const Diagnostic& diagnostic = error.diagnostics[0];
    REQUIRE(diagnostic.file == dir.path() + "/b.yml");
    REQUIRE(diagnostic.line == 4);
    REQUIRE(diagnostic.column == 7);
    REQUIRE(diagnostic.message ==
            "table \"public.t\" is defined more than once; first defined "
            "at " +
                dir.path() + "/a.yaml:4:7");
  }
}

TEST_CASE("a schema comment given in two files is an error", "[schemas]") {
  TempDir dir;
  dir.write("a.yaml", "schemas: { public: { comment: one } }\n");
  dir.write("b.yaml", "schemas: { public: { comment: two } }\n");
  try {
    load_yaml_file(dir.path());
    FAIL("no error");
  } catch (const LoadError& error) {
    REQUIRE(error.diagnostics.size() == 1);
    REQUIRE(error.diagnostics[0].message ==
            "comment of schema \"public\" is defined more than once; first defined at " +
                dir.path() + "/a.yaml:1:22");
  }
}

TEST_CASE("a directory without YAML files is an error, not an empty database", "[schemas]") {
  TempDir dir;
  try {
    load_yaml_file(dir.path());
    FAIL("no error");
  } catch (const LoadError& error) {
    REQUIRE(std::string(error.what()) == dir.path() + ": directory has no *.yaml or *.yml files");
  }
}

TEST_CASE("a missing file is an error naming the file", "[schemas]") {
  REQUIRE_THROWS_WITH(load_yaml_file("/nonexistent/db.yaml"),
                      "/nonexistent/db.yaml: could not read file: No such file or directory");
}

TEST_CASE("SQL text that closes its place is reported where the parser stopped", "[schemas]") {
  // The default: plain, double-quoted and block scalars are placed alike.
  CHECK(errors_of(
            table("        columns:\n"
                  "          c: { type: int, default: \"0); CREATE ROLE pwn; SELECT (1\" }\n")) ==
        "f.yaml:6:38: schemas.public.tables.t.columns.c.default: invalid expression: syntax error "
        "at or near \")\"\n"
        "          c: { type: int, default: \"0); CREATE ROLE pwn; SELECT (1\" }\n"
        "                                     ^");
  CHECK(errors_of(table("        columns:\n"
                        "          c:\n"
                        "            type: int\n"
                        "            default: |\n"
                        "              0\n"
                        "              ); DROP TABLE x; SELECT (1\n")) ==
        "f.yaml:10:15: schemas.public.tables.t.columns.c.default: invalid expression: syntax "
        "error at or near \")\"\n"
        "              ); DROP TABLE x; SELECT (1\n"
        "              ^");
  CHECK(errors_of(table("        columns:\n"
                        "          c: int); CREATE ROLE pwn; CREATE TABLE x (a int\n")) ==
        "f.yaml:6:17: schemas.public.tables.t.columns.c: invalid type name: syntax error at or "
        "near \")\"\n"
        "          c: int); CREATE ROLE pwn; CREATE TABLE x (a int\n"
        "                ^");
}

TEST_CASE("every SQL-text field is checked for its kind", "[schemas]") {
  const std::pair<std::string, std::string> cases[] = {
      {table("        columns: { c: { type: int, generated: \"1 AS a\" } }\n"),
       "columns.c.generated: invalid expression: expected one expression, found an alias"},
      {table(
           "        columns: { c: { type: int, backfill: \"-1 WHERE $1::bigint IS NOT NULL --\" } "
           "}\n"),
       "columns.c.backfill: invalid expression: expected one expression, found more"},
      {table("        checks: { k: \"c > 0)) NOT VALID, ADD CHECK ((true\" }\n"),
       "checks.k: invalid expression: syntax error at or near \")\""},
      {table("        columns: { c: int }\n"
             "        indexes: { i: { columns: [c], where: \"c > 0 --\" } }\n"),
       "indexes.i.where: invalid expression: expected one expression, found more"},
      {table("        columns: { c: int }\n"
             "        indexes: { i: { columns: [c], options: { fillfactor: \"70, x = 1\" } } }\n"),
       "indexes.i.options.fillfactor: invalid option value: expected one option value"},
      {table("        columns: { c: int }\n"
             "        triggers: { g: { timing: before, events: [insert], function: f, "
             "when: \"$1 > 0\" } }\n"),
       "triggers.g.when: invalid expression: parameters ($1, ...) are not allowed here"},
      {table("        columns: { c: int }\n"
             "        partition_by: { strategy: range, key: \"c) WITH (fillfactor = 10\" }\n"),
       "partition_by.key: invalid partition key: syntax error at the end of the text"},
      // An error past the text is not named by pgshift's wrapping ("at or
      // near \"PARTITION\""): it is where the text ends.
      {"schemas: { public: { tables: { p: { columns: { c: text }, partition_by: { strategy: "
       "list, key: c } }, q: { columns: { c: text }, partition_of: { table: p, bound: \"FOR "
       "VALUES IN ('us'\" } } } } }\n",
       "partition_of.bound: invalid partition bound: syntax error at the end of the text (an "
       "unclosed parenthesis or quote, or a clause cut short?)"},
      {"schemas: { public: { tables: { p: { columns: { c: int }, partition_by: { strategy: list, "
       "key: c } }, q: { columns: { c: int }, partition_of: { table: p, bound: \"FOR VALUES IN "
       "(pwn())\" } } } } }\n",
       "partition_of.bound: invalid partition bound: expected constants in a partition bound"},
      {"schemas: { public: { views: { v: \"SELECT 1; DROP TABLE t\" } } }\n",
       "views.v: invalid query: expected one query, found 2 statements"},
      {"schemas: { public: { materialized_views: { m: { definition: \"SELECT 1 --\" } } } }\n",
       "materialized_views.m.definition: invalid query: expected one query that ends where"},
      {"schemas: { public: { domains: { d: { type: int, checks: { k: \"VALUE > 0); DROP TABLE "
       "t; SELECT (1\" } } } } }\n",
       "domains.d.checks.k: invalid expression: syntax error at or near \")\""},
      {"schemas: { public: { functions: { f: { args: [{ name: a, type: int, default: \"0) "
       "RETURNS int AS 'x'; DROP TABLE t; --\" }], returns: int, body: SELECT 1 } } } }\n",
       "args[0].default: invalid expression: syntax error at or near \")\""},
      {"schemas: { public: { functions: { f: { returns: \"int SECURITY DEFINER\", body: SELECT 1 "
       "} } } }\n",
       "functions.f.returns: invalid return type: expected a return type"},
      {"schemas: { public: { composite_types: { y: { attributes: { a: \"int, b text\" } } } } }\n",
       "attributes.a: invalid type name: expected one type name, found more"},
  };
  for (const auto& [text, message] : cases) {
    INFO(text);
    CHECK_THAT(errors_of(text), Catch::Contains(message));
  }
}

TEST_CASE("a NUL byte in any string is an error at its position, not a truncation", "[schemas]") {
  CHECK(errors_of("schemas: { public: { views: { v: \"SELECT 1 AS a\\0; DROP TABLE t\" } } }\n") ==
        "f.yaml:1:48: schemas.public.views.v: invalid query: contains a NUL byte\n"
        "schemas: { public: { views: { v: \"SELECT 1 AS a\\0; DROP TABLE t\" } } }\n"
        "                                               ^");
  CHECK_THAT(errors_of(table("        comment: \"a\\0b\"\n")),
             Catch::Contains("contains a NUL byte"));
}

TEST_CASE("an input larger than the limit is refused without being read to the end", "[schemas]") {
  try {
    load_yaml_file("/dev/zero");
    FAIL("/dev/zero loaded");
  } catch (const LoadError& error) {
    CHECK(std::string(error.what()) ==
          "/dev/zero: file is larger than 16 MiB, the limit for a desired-state file");
  }
  CHECK(errors_of(std::string(kMaxFileBytes + 1, ' ')) ==
        "f.yaml: document is larger than 16 MiB, the limit for a desired-state file");
}

TEST_CASE("invalid UTF-8 is reported at its line and column", "[schemas]") {
  CHECK(errors_of("schemas:\n  public:\n    comment: \"ab\xff\"\n") ==
        "f.yaml:3:17: invalid UTF-8: byte 255 does not start a valid sequence\n"
        "    comment: \"ab\\xFF\"\n"
        "                ^");
  // A character before the place is one column under the caret, a byte that
  // is not UTF-8 after it does not move it.
  CHECK(errors_of("schemas:\n  public:\n    comment: \"\xc3\xa9\xff\xff\"\n") ==
        "f.yaml:3:16: invalid UTF-8: byte 255 does not start a valid sequence\n"
        "    comment: \"\xc3\xa9\\xFF\\xFF\"\n"
        "               ^");
  CHECK_THAT(errors_of("schemas: { \xc0\xaf: {} }\n"),
             Catch::StartsWith("f.yaml:1:12: invalid UTF-8: byte 192"));
  CHECK_THAT(errors_of("schemas: { \xed\xa0\x80: {} }\n"),
             Catch::StartsWith("f.yaml:1:12: invalid UTF-8: byte 237"));
}

TEST_CASE("a plpgsql body is checked by PL/pgSQL's parser", "[schemas]") {
  CHECK_THAT(errors_of("schemas: { public: { functions: { f: { returns: int, language: plpgsql, "
                       "body: \"BEGIN RETURN 1 END\" } } } }\n"),
             Catch::StartsWith("f.yaml:1:79: schemas.public.functions.f.body: invalid plpgsql "
                               "body: syntax error at end of input"));
  CHECK(errors_of("schemas: { public: { functions: { f: { args: [{ name: a, type: int, mode: out "
                  "}], language: plpgsql, returns: int, body: \"BEGIN a := 1; END\" }, g: { "
                  "returns: trigger, language: plpgsql, body: \"BEGIN NEW.x := now(); RETURN NEW; "
                  "END\" } } } }\n") == "(loaded)");
}

TEST_CASE("a function in C or PL/Perl is refused at its language: creating it runs code",
          "[schemas]") {
  CHECK_THAT(errors_of("schemas: { public: { functions: { f: { returns: int, language: C, "
                       "body: \"/tmp/x.so\" } } } }\n"),
             Catch::StartsWith("f.yaml:1:64: schemas.public.functions.f.language: LANGUAGE c is "
                               "not supported: creating the function loads code"));
  CHECK_THAT(errors_of("schemas: { public: { functions: { f: { returns: int, language: plperlu, "
                       "body: \"BEGIN { system('id') } 1\" } } } }\n"),
             Catch::Contains("LANGUAGE plperlu is not supported: PL/Perl compiles the body"));
}

TEST_CASE("a policy's command, kind, roles and expressions are checked at their place",
          "[schemas]") {
  CHECK(errors_of(table("        policies:\n          p: { command: upsert }\n")) ==
        "f.yaml:6:25: schemas.public.tables.t.policies.p.command: expected all, select, insert, "
        "update or delete, found \"upsert\"\n"
        "          p: { command: upsert }\n"
        "                        ^");
  CHECK(errors_of(table("        policies:\n          p: { kind: strict }\n")) ==
        "f.yaml:6:22: schemas.public.tables.t.policies.p.kind: expected permissive or "
        "restrictive, found \"strict\"\n"
        "          p: { kind: strict }\n"
        "                     ^");
  CHECK(errors_of(table("        policies:\n          p: { roles: [app, PUBLIC] }\n")) ==
        "f.yaml:6:23: schemas.public.tables.t.policies.p.roles: public stands for every role: "
        "list it alone, or name the roles without it\n"
        "          p: { roles: [app, PUBLIC] }\n"
        "                      ^");
  CHECK(errors_of(table("        policies:\n          p: { roles: [app, app] }\n")) ==
        "f.yaml:6:29: schemas.public.tables.t.policies.p.roles[1]: role \"app\" is listed twice\n"
        "          p: { roles: [app, app] }\n"
        "                            ^");
  CHECK(errors_of(table("        policies:\n          p: { command: insert, using: \"true\" }\n")) ==
        "f.yaml:6:33: schemas.public.tables.t.policies.p.using: an insert policy has no USING "
        "expression (rows are only written): use with_check\n"
        "          p: { command: insert, using: \"true\" }\n"
        "                                ^");
  CHECK(errors_of(table("        policies:\n          p: { command: delete, with_check: \"true\" }\n")) ==
        "f.yaml:6:33: schemas.public.tables.t.policies.p.with_check: a delete policy has no WITH "
        "CHECK expression (no row is written): use using\n"
        "          p: { command: delete, with_check: \"true\" }\n"
        "                                ^");
  CHECK(errors_of(table("        policies:\n          p: { using: \"a = \" }\n")).rfind(
            "f.yaml:6:", 0) == 0);
  CHECK(errors_of(table("        row_security: { enabled: yes }\n")) ==
        "f.yaml:5:34: schemas.public.tables.t.row_security.enabled: expected true or false, "
        "found \"yes\"\n"
        "        row_security: { enabled: yes }\n"
        "                                 ^");
}

TEST_CASE("privileges entries are checked at their place: the object, its kind's privileges",
          "[schemas]") {
  const std::string head = "schemas:\n  public:\n    tables:\n      t: { columns: { id: int } }\n"
                           "    privileges:\n";
  // EXECUTE is no privilege of a table: the list of its kind's.
  CHECK(errors_of(head + "      - { table: t, grants: [{ to: app, privileges: [EXECUTE] }] }\n") ==
        "f.yaml:6:54: schemas.public.privileges[0].grants[0].privileges[0]: \"EXECUTE\" is not a "
        "privilege of a table; expected one of: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, "
        "REFERENCES, TRIGGER, MAINTAIN\n"
        "      - { table: t, grants: [{ to: app, privileges: [EXECUTE] }] }\n"
        "                                                     ^");
  // ALL is refused with why.
  CHECK(errors_of(head + "      - { table: t, revoked: [{ from: PUBLIC, privileges: [ALL] }] }\n")
            .find("(ALL is not accepted: list them)") != std::string::npos);
  // An object the schema does not define, at the entry.
  CHECK(errors_of(head + "      - { view: t, grants: [{ to: app, privileges: [SELECT] }] }\n") ==
        "f.yaml:6:9: schemas.public.privileges[0]: privileges of view \"public.t\": no such "
        "object in schema \"public\"\n"
        "      - { view: t, grants: [{ to: app, privileges: [SELECT] }] }\n"
        "        ^");
  CHECK(errors_of(head + "      - { table: t, column: nope, grants: [{ to: a, privileges: "
                         "[SELECT] }] }\n")
            .find("privileges of column \"nope\" of table \"public.t\": no such object") !=
        std::string::npos);
  // One object per entry, and none is an error too.
  CHECK(errors_of(head + "      - { table: t, sequence: t }\n")
            .find("a privileges entry names one object; found \"table\" and \"sequence\"") !=
        std::string::npos);
  CHECK(errors_of(head + "      - { grants: [] }\n").find("names its object with one of") !=
        std::string::npos);
  // The schema itself under its own name only; with_grant_option only in grants.
  CHECK(errors_of(head + "      - { schema: other }\n")
            .find("privileges of schema \"other\" belong under schemas.other") !=
        std::string::npos);
  CHECK(errors_of(head + "      - { table: t, revoked: [{ from: a, privileges: [SELECT], "
                         "with_grant_option: true }] }\n")
            .find("unknown key \"with_grant_option\"") != std::string::npos);
  // Listed twice.
  CHECK(errors_of(head + "      - { table: t }\n      - { table: t }\n")
            .find("privileges of table \"public.t\" are listed more than once; first at f.yaml:6:9") !=
        std::string::npos);
}

TEST_CASE("default privileges entries are checked at their place: kind, privileges, IN SCHEMA",
          "[schemas]") {
  const std::string top = "default_privileges:\n";
  const std::string schema = "schemas:\n  public:\n    default_privileges:\n";
  // An unknown kind of objects, with the kinds there are.
  CHECK(errors_of(top + "  - { for_role: app, objects: tablez }\n") ==
        "f.yaml:2:31: default_privileges[0].objects: \"tablez\" is not an object kind of default "
        "privileges; expected one of: tables, sequences, functions, types, schemas\n"
        "  - { for_role: app, objects: tablez }\n"
        "                              ^");
  // A misspelt privilege, with its kind's.
  CHECK(errors_of(top + "  - { for_role: app, objects: tables, grants: [{ to: ro, privileges: "
                        "[SELCT] }] }\n") ==
        "f.yaml:2:71: default_privileges[0].grants[0].privileges[0]: \"SELCT\" is not a privilege "
        "of tables; expected one of: SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, "
        "TRIGGER, MAINTAIN\n"
        "  - { for_role: app, objects: tables, grants: [{ to: ro, privileges: [SELCT] }] }\n"
        "                                                                      ^");
  CHECK(errors_of(top + "  - { for_role: app, objects: types, grants: [{ to: ro, privileges: "
                        "[EXECUTE] }] }\n")
            .find("\"EXECUTE\" is not a privilege of types; expected one of: USAGE") !=
        std::string::npos);
  // for_role and objects are required.
  CHECK(errors_of(top + "  - { objects: tables }\n").find("for_role") != std::string::npos);
  // In a schema: no revokes, no schemas.
  CHECK(errors_of(schema + "      - { for_role: app, objects: tables, revoked: [{ from: ro, "
                           "privileges: [SELECT] }] }\n")
            .find("f.yaml:4:43: schemas.public.default_privileges[0].revoked: a schema's default "
                  "privileges only add") != std::string::npos);
  CHECK(errors_of(schema + "      - { for_role: app, objects: schemas }\n")
            .find("f.yaml:4:35: schemas.public.default_privileges[0].objects: default privileges "
                  "on schemas are database-wide only") != std::string::npos);
  // Listed twice.
  CHECK(errors_of(top + "  - { for_role: app, objects: tables }\n  - { for_role: app, objects: "
                        "TABLES }\n")
            .find("default privileges for role \"app\" on tables (database-wide) are listed more "
                  "than once; first at f.yaml:2:5") != std::string::npos);
}

TEST_CASE("default privileges load in any case and are written back as loaded", "[schemas]") {
  const Database db = load_yaml_string(
      "default_privileges:\n"
      "  - { for_role: app, objects: FUNCTIONS, revoked: [{ from: public, privileges: "
      "[execute] }] }\n"
      "schemas:\n  public:\n    default_privileges:\n"
      "      - { for_role: app, objects: tables, grants: [{ to: ro, privileges: [select, insert] "
      "}] }\n",
      "f.yaml");
  REQUIRE(db.default_privileges.size() == 1);
  CHECK(db.default_privileges[0].object == default_privileges_id("", "app", "functions"));
  REQUIRE(db.default_privileges[0].revoked.size() == 1);
  CHECK(db.default_privileges[0].revoked[0] == Grant{kPublicRole, {"EXECUTE"}, false});
  const auto& in_schema = db.schemas.at(0).default_privileges;
  REQUIRE(in_schema.size() == 1);
  CHECK(in_schema[0].object == default_privileges_id("public", "app", "tables"));
  CHECK(in_schema[0].grants == std::vector<Grant>{Grant{"ro", {"SELECT", "INSERT"}, false}});
  CHECK(load_yaml_string(write_yaml(db), "g.yaml") == db);
}

TEST_CASE("privileges load in any case, merged and sorted, and PUBLIC in any case",
          "[schemas]") {
  const Database db = load_yaml_string(
      "schemas:\n  public:\n    functions:\n      f: { args: [integer], returns: integer, body: "
      "SELECT 1 }\n    tables:\n      t: { columns: { id: int } }\n    privileges:\n"
      "      - { function: f(integer), revoked: [{ from: public, privileges: [execute] }] }\n"
      "      - { table: t, grants: [{ to: b, privileges: [update, SELECT] }, "
      "{ to: a, privileges: [SELECT], with_grant_option: true }, "
      "{ to: a, privileges: [SELECT, INSERT] }] }\n",
      "f.yaml");
  const auto& privileges = db.schemas.at(0).privileges;
  REQUIRE(privileges.size() == 2);
  CHECK(privileges[0].object == ObjectId{ObjectKind::Table, "public", "", "t"});
  REQUIRE(privileges[0].grants.size() == 3);
  CHECK(privileges[0].grants[0] == Grant{"a", {"INSERT"}, false});
  CHECK(privileges[0].grants[1] == Grant{"a", {"SELECT"}, true});
  CHECK(privileges[0].grants[2] == Grant{"b", {"SELECT", "UPDATE"}, false});
  CHECK(privileges[1].object == ObjectId{ObjectKind::Function, "public", "", "f(integer)"});
  REQUIRE(privileges[1].revoked.size() == 1);
  CHECK(privileges[1].revoked[0] == Grant{kPublicRole, {"EXECUTE"}, false});
}

TEST_CASE("an owner without manage_owners is refused at its place, naming the setting", "[schemas]") {
  REQUIRE(errors_of(table("        owner: app\n        columns: { id: int }\n")) ==
          "f.yaml:5:9: schemas.public.tables.t.owner: owner is set but owners are not managed: "
          "add manage_owners: true at the top level, or remove owner:\n"
          "        owner: app\n"
          "        ^");
  REQUIRE(errors_of("manage_owners: false\nschemas:\n  public:\n    owner: app\n") ==
          "f.yaml:4:5: schemas.public.owner: owner is set but owners are not managed: add "
          "manage_owners: true at the top level, or remove owner:\n"
          "    owner: app\n"
          "    ^");
}

TEST_CASE("manage_owners in one file of a directory allows owners in another", "[schemas]") {
  TempDir dir;
  dir.write("a.yaml", "schemas:\n  public:\n    owner: app\n");
  dir.write("b.yaml", "manage_owners: true\n");
  const Database db = load_yaml_file(dir.path());
  REQUIRE(db.manage_owners);
  REQUIRE(db.schemas.at(0).owner == std::optional<std::string>("app"));
}

TEST_CASE("an owner of a sequence owned by a column is refused: it follows its table", "[schemas]") {
  REQUIRE(errors_of("manage_owners: true\nschemas:\n  public:\n    sequences:\n"
                    "      s: { owned_by: public.t.id, owner: app }\n"
                    "    tables:\n      t:\n        columns: { id: int }\n") ==
          "f.yaml:5:35: schemas.public.sequences.s.owner: a sequence owned by a column follows "
          "its table's owner (the server refuses to change it alone): give the owner to table "
          "instead, or remove owned_by\n"
          "      s: { owned_by: public.t.id, owner: app }\n"
          "                                  ^");
}

TEST_CASE("owners of every kind load and are written back as loaded", "[schemas]") {
  const std::string text =
      "manage_owners: true\n"
      "schemas:\n"
      "  app:\n"
      "    owner: a\n"
      "    tables:\n"
      "      t:\n"
      "        owner: b\n"
      "        columns:\n"
      "          id: integer\n"
      "    views:\n"
      "      v: { definition: SELECT 1, owner: a }\n"
      "    materialized_views:\n"
      "      m: { definition: SELECT 1, owner: a }\n"
      "    sequences:\n"
      "      s: { owner: b }\n"
      "    enums:\n"
      "      e: { labels: [x], owner: a }\n"
      "    domains:\n"
      "      d: { type: integer, owner: a }\n"
      "    composite_types:\n"
      "      c: { attributes: { x: integer }, owner: b }\n"
      "    functions:\n"
      "      f: { returns: integer, owner: a, body: SELECT 1 }\n"
      "    procedures:\n"
      "      p: { owner: b, body: SELECT 1 }\n";
  REQUIRE(write_yaml(load_yaml_string(text, "f.yaml")) == text);
}
