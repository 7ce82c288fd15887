// Pre-flight data checks (issue 14) through the binary: each kind of step
// that can fail on existing rows is checked before anything runs; a
// violation refuses the plan with the count, examples and the query listing
// the rows, in every rendering, and leaves the database untouched. apply
// checks again before a fresh run of a saved plan and right before each step.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "plans/apply.hpp"
#include "plans/render_json.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
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

// public.t (id, price) with a CHECK that price is positive: its VALIDATE
// scans the table.
constexpr const char* kPricedTable = R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          price: integer
        checks:
          price_positive: price > 0
)yaml";

// `pgshift plan` of `yaml` in every rendering, every hazard allowed.
struct Rendered {
  int exit_code = -1;
  std::string messages;  // stderr and stdout of the SQL run
  std::string sql;
  std::string json;
  std::string markdown;
};

Rendered plan_all(const TestDatabase& db, const std::string& yaml,
                  const std::vector<std::string>& extra = {}) {
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", yaml);
  Rendered rendered;
  for (const std::string format : {"sql", "json", "markdown"}) {
    std::vector<std::string> args = {"plan",
                                     "--db",
                                     db.url(),
                                     "--schema",
                                     schema,
                                     "--allow-hazard",
                                     "all",
                                     "--format",
                                     format,
                                     "-o",
                                     dir.path() + "/plan." + format};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult result = run_pgshift(args);
    if (format == std::string("sql")) {
      rendered.exit_code = result.exit_code;
      rendered.messages = result.output;
    }
    const std::string text = dir.read(std::string("plan.") + format);
    (format == std::string("sql")    ? rendered.sql
     : format == std::string("json") ? rendered.json
                                     : rendered.markdown) = text;
  }
  return rendered;
}

// The text after `marker` up to the end of its line.
std::string rest_of_line(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return "";
  const auto start = at + marker.size();
  return text.substr(start, text.find('\n', start) - start);
}

constexpr const char* kConstraints =
    "SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
    "WHERE t.relname = 't'";

// The finding is in stderr, the SQL comments, the JSON and the Markdown; the
// plan is refused; the database is as it was; the query listed runs and
// returns the count. `finding` is the words every rendering carries.
void check_refused(const TestDatabase& db, const Rendered& rendered, const std::string& finding,
                   int64_t count, const std::string& before) {
  INFO(rendered.messages);
  CHECK(rendered.exit_code == 1);
  CHECK(contains(rendered.messages, "pgshift plan: error: refused: step "));
  CHECK(contains(rendered.messages, finding));
  CHECK(contains(rendered.sql, finding));
  CHECK(contains(rendered.sql, "-- data checks: "));
  CHECK(contains(rendered.markdown, "### Data checks"));
  CHECK(contains(rendered.markdown, "- Data checks: "));
  CHECK(contains(rendered.json, "\"violations\": " + std::to_string(count)));
  // The query the refusal names lists every violating row.
  const std::string query = rest_of_line(rendered.messages, "; list them with: ");
  REQUIRE_FALSE(query.empty());
  CHECK(db.scalar("SELECT count(*) FROM (" + query + ") q") == std::to_string(count));
  // Nothing changed: no constraint, index, column or journal.
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
  CHECK(db.scalar(std::string(kConstraints) +
                  " || ':' || (SELECT count(*) FROM pg_index "
                  "WHERE indrelid = 't'::regclass) || ':' || (SELECT string_agg(attname || "
                  "format_type(atttypid, atttypmod) || attnotnull, ',' ORDER BY attnum) FROM "
                  "pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0)") == before);
}

std::string shape(const TestDatabase& db) {
  return db.scalar(std::string(kConstraints) +
                   " || ':' || (SELECT count(*) FROM pg_index "
                   "WHERE indrelid = 't'::regclass) || ':' || (SELECT string_agg(attname || "
                   "format_type(atttypid, atttypmod) || attnotnull, ',' ORDER BY attnum) FROM "
                   "pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0)");
}

const std::string kParent = R"yaml(
schemas:
  public:
    tables:
      p:
        primary_key: [id]
        columns:
          id: bigint
      t:
        primary_key: [id]
        columns:
          id: bigint
)yaml";

void load(const TestDatabase& db) {
  db.exec(
      "CREATE TABLE p (id bigint PRIMARY KEY);"
      "INSERT INTO p SELECT generate_series(1, 10);"
      "CREATE TABLE t (id bigint PRIMARY KEY, price integer, email text, p_id bigint, "
      "code text, tier text, short character varying(20));"
      "INSERT INTO t SELECT g, CASE WHEN g IN (25, 50, 75) THEN -g ELSE g END, "
      "CASE WHEN g IN (3, 4, 5) THEN 'same@x' WHEN g IN (8, 9) THEN 'twin@x' ELSE 'u' || g || "
      "'@x' END, CASE WHEN g IN (40, 80) THEN 999 ELSE g % 10 + 1 END, "
      "CASE WHEN g = 77 THEN 'abc' ELSE g::text END, CASE WHEN g % 10 = 0 THEN NULL ELSE "
      "'gold' END, CASE WHEN g IN (6, 7) THEN 'much too long' ELSE 'ok' END "
      "FROM generate_series(1, 100) g;"
      "ANALYZE");
}

// The columns of t as they are, for desired states that change one thing.
const std::string kColumns = R"yaml(          price: integer
          email: text
          p_id: bigint
          code: text
          tier: text
          short: character varying(20)
)yaml";

}  // namespace

TEST_CASE("rows breaking a new CHECK refuse the plan with count, examples and the query",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string before = shape(db);
  const auto rendered =
      plan_all(db, kParent + kColumns + "        checks:\n          price_positive: price > 0\n");
  check_refused(db, rendered,
                "rows breaking CHECK \"price_positive\" ((price > 0)): 3 rows violate it (e.g. "
                "id=25; id=50; id=75)",
                3, before);
  CHECK(contains(rendered.json, "\"kind\": \"check\""));
}

TEST_CASE("rows a NOT NULL backfill would leave NULL refuse the plan before anything runs",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string before = shape(db);
  // tier: NULL at 10, 20, ...; the backfill fills all but the multiples of 20.
  std::string columns = kColumns;
  columns.replace(columns.find("tier: text"), std::string("tier: text").size(),
                  "tier: { type: text, nullable: false, backfill: \"CASE WHEN id % 20 = 0 THEN "
                  "NULL ELSE 'x' END\" }");
  const auto existing = plan_all(db, kParent + columns);
  check_refused(db, existing,
                "rows where \"tier\" is NULL after the backfill (CASE WHEN id % 20 = 0 THEN NULL "
                "ELSE 'x' END): 5 rows violate it (e.g. id=20; id=40; id=60; id=80; id=100)",
                5, before);
  CHECK(contains(existing.json, "\"kind\": \"not_null\""));

  // A new column: every row gets the backfill value, NULL for two emails.
  const auto added =
      plan_all(db, kParent + kColumns +
                       "          extra: { type: text, nullable: false, backfill: \"nullif(email, "
                       "'twin@x')\" }\n");
  check_refused(db, added,
                "rows where \"extra\" is NULL after the backfill (nullif(email, 'twin@x')): 2 "
                "rows violate it (e.g. id=8; id=9)",
                2, before);
}

TEST_CASE("foreign key orphans refuse the plan", "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string before = shape(db);
  const auto rendered = plan_all(
      db, kParent + kColumns +
              "        foreign_keys:\n          - { columns: [p_id], references: p(id) }\n");
  check_refused(db, rendered,
                "rows of foreign key \"t_p_id_fkey\" without a row in \"public.p\": 2 rows "
                "violate it (e.g. id=40; id=80)",
                2, before);
}

TEST_CASE("duplicate groups refuse a new unique key", "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string before = shape(db);
  const auto rendered = plan_all(db, kParent + kColumns + "        unique:\n          - [email]\n");
  check_refused(db, rendered,
                "groups of rows sharing the key of unique constraint \"t_email_key\" of table "
                "\"public.t\": 2 duplicate groups",
                2, before);
  CHECK(contains(rendered.messages, "email=same@x, rows=3"));
  CHECK(contains(rendered.messages, "email=twin@x, rows=2"));
}

namespace {

// t with rooms and ranges: 2 and 3 share room 2 and overlap; 4 overlaps 5
// and shares its room but is cancelled, outside the constraints' WHERE; 1
// ends where 2 starts (no overlap); 6 has NULLs, which never conflict.
constexpr const char* kBookings =
    "CREATE TABLE t (id bigint PRIMARY KEY, room integer, lo integer, hi integer, "
    "during int4range, cancelled boolean NOT NULL DEFAULT false);"
    "INSERT INTO t VALUES (1, 1, 0, 10, '[0,10)', false), (2, 2, 10, 20, '[10,20)', false), "
    "(3, 2, 15, 25, '[15,25)', false), (4, 3, 30, 40, '[30,40)', true), "
    "(5, 3, 35, 45, '[35,45)', false), (6, NULL, NULL, NULL, NULL, false);"
    "ANALYZE";

std::string bookings_yaml(const std::string& exclusion) {
  return R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          room: integer
          lo: integer
          hi: integer
          during: int4range
          cancelled: { type: boolean, nullable: false, default: "false" }
        exclusion_constraints:
          t_no_overlap:
)yaml" + exclusion + "            where: NOT cancelled\n";
}

}  // namespace

TEST_CASE("rows in conflict under a new exclusion constraint refuse the plan, inside its WHERE only",
          "[cli][db][preflight]") {
  struct Case {
    const char* name;
    std::string elements;
    std::string finding;
    int64_t count;
    std::string fix;  // SQL removing the conflict
  };
  const std::vector<Case> cases = {
      // Any operator: every pair of rows, through the operators themselves.
      {"an expression compared pairwise",
       "            elements: [\"(CASE WHEN lo IS NULL THEN NULL ELSE int4range(lo, hi) END) "
       "WITH &&\"]\n",
       "rows in conflict with another row under exclusion constraint \"t_no_overlap\" ((CASE "
       "WHEN (lo IS NULL) THEN NULL::int4range ELSE int4range(lo, hi) END) WITH &&): 2 rows "
       "violate it (e.g. id=2; id=3)",
       2, "UPDATE t SET lo = 20 WHERE id = 3"},
      // A range column: one sort, the first row of each overlapping pair.
      {"a range column swept in order",
       "            elements: [\"during WITH &&\"]\n",
       "rows overlapping a later row (by during) under exclusion constraint \"t_no_overlap\" "
       "(during WITH &&): 1 row violates it (e.g. id=2)",
       1, "UPDATE t SET during = '[20,25)' WHERE id = 3"},
      // Equality alone: grouped, every row of a group.
      {"equality grouped",
       "            using: btree\n            elements: [\"room WITH =\"]\n",
       "rows in conflict with another row under exclusion constraint \"t_no_overlap\" (room "
       "WITH =): 2 rows violate it (e.g. id=2; id=3)",
       2, "UPDATE t SET room = 7 WHERE id = 3"},
  };
  for (const auto& test : cases) {
    SECTION(test.name) {
      TestDatabase db;
      db.exec(kBookings);
      const std::string before = shape(db);
      const std::string yaml = bookings_yaml(test.elements);
      const auto rendered = plan_all(db, yaml);
      check_refused(db, rendered, test.finding, test.count, before);
      CHECK(contains(rendered.json, "\"kind\": \"exclusion\""));

      // Once the conflict is gone, the plan is clean and the constraint builds.
      db.exec(test.fix);
      const auto clean = plan_all(db, yaml);
      INFO(clean.messages);
      CHECK(clean.exit_code == 0);
      CHECK(contains(clean.sql, "-- data checks: 1 check in "));
      const TempDir dir;
      const CommandResult applied =
          run_pgshift({"apply", "--db", db.url(), "--schema", dir.write("schema.yaml", yaml),
                       "--allow-hazard", "all", "--yes"});
      INFO(applied.output);
      CHECK(applied.exit_code == 0);
      CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 't_no_overlap'") == "1");
    }
  }
}

TEST_CASE("a type change whose cast cuts or rejects values refuses the plan",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string before = shape(db);
  std::string shorter = kColumns;
  shorter.replace(shorter.find("character varying(20)"), 21, "character varying(5)");
  check_refused(db, plan_all(db, kParent + shorter),
                "values of \"short\" longer than 5 characters (the cast to character varying(5) "
                "would cut them): 2 rows violate it (e.g. id=6; id=7)",
                2, before);

  // Before PostgreSQL 16 there is no pg_input_is_valid: the cast is tried
  // over every row and stops at the first value it rejects.
  std::string integer = kColumns;
  integer.replace(integer.find("code: text"), 10, "code: integer");
  const auto rendered = plan_all(db, kParent + integer);
  INFO(rendered.messages);
  CHECK(rendered.exit_code == 1);
  const std::string version = db.scalar("SHOW server_version_num");
  if (std::stoi(version) >= 160000) {
    CHECK(contains(rendered.messages,
                   "values of \"code\" that integer rejects: 1 row violates "
                   "it (e.g. id=77)"));
  } else {
    CHECK(contains(rendered.messages,
                   std::string("values of \"code\" that the cast to integer rejects: at least one "
                               "row is rejected: invalid input syntax for ") +
                       (std::stoi(version) >= 120000 ? "type integer" : "integer") +
                       ": \"abc\" (SQLSTATE 22P02)"));
    CHECK(contains(rendered.json, "\"violations\": -1"));
  }
  CHECK(contains(rendered.markdown, "### Data checks"));
  CHECK(shape(db) == before);
}

TEST_CASE(
    "on PostgreSQL 16+, a cast the values reject is counted with example keys by "
    "pg_input_is_valid, and before 16 the attempt names the first rejected value",
    "[cli][db][preflight]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, code text, amount text);"
      "INSERT INTO t SELECT g, CASE WHEN g IN (7, 70, 700) THEN 'x' || g ELSE g::text END, "
      "CASE WHEN g = 500 THEN '123456.7' ELSE '1.25' END FROM generate_series(1, 1000) g;"
      "ANALYZE t");
  const std::string before = db.scalar(
      "SELECT string_agg(attname || format_type(atttypid, atttypmod), ',' ORDER BY attnum) "
      "FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0");
  const auto rendered = plan_all(db, R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          code: integer
          amount: numeric(5,2)
)yaml");
  INFO(rendered.messages);
  CHECK(rendered.exit_code == 1);
  if (std::stoi(db.scalar("SHOW server_version_num")) >= 160000) {
    CHECK(contains(rendered.messages,
                   "values of \"code\" that integer rejects: 3 rows violate it (e.g. id=7; id=70; "
                   "id=700); list them with: SELECT pgshift_row.id FROM public.t AS pgshift_row "
                   "WHERE pgshift_row.code IS NOT NULL AND NOT "
                   "pg_input_is_valid(pgshift_row.code::text, 'integer')"));
    // The type modifier counts: 123456.7 does not fit numeric(5,2).
    CHECK(contains(rendered.messages, "values of \"amount\" that numeric(5,2) rejects: 1 row "
                                      "violates it (e.g. id=500)"));
    CHECK(contains(rendered.json, "\"violations\": 3"));
    CHECK(contains(rendered.markdown, "id=7; id=70; id=700"));
    // The query listed returns every one of them (the amount's step, first,
    // lists its own).
    const std::string query = rest_of_line(rendered.messages, "id=700); list them with: ");
    REQUIRE_FALSE(query.empty());
    CHECK(db.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM (" + query + ") q") ==
          "7,70,700");
  } else {
    // PostgreSQL 11 says "for integer", 12 and later "for type integer".
    const std::string type_word =
        std::stoi(db.scalar("SHOW server_version_num")) >= 120000 ? "type " : "";
    CHECK(contains(rendered.messages,
                   "values of \"code\" that the cast to integer rejects: at least one row is "
                   "rejected: invalid input syntax for " +
                       type_word + "integer: \"x7\" (SQLSTATE 22P02)"));
    CHECK(contains(rendered.messages, "values of \"amount\" that the cast to numeric(5,2) "
                                      "rejects: at least one row is rejected: numeric field "
                                      "overflow (SQLSTATE 22003)"));
    CHECK(contains(rendered.json, "\"violations\": -1"));
  }
  CHECK(db.scalar("SELECT string_agg(attname || format_type(atttypid, atttypmod), ',' ORDER BY "
                  "attnum) FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0") ==
        before);
}

TEST_CASE("rows a domain's constraints reject refuse a column's change to the domain and a "
          "domain CHECK added, with count, examples and the query",
          "[cli][db][preflight]") {
  TestDatabase db;
  // t has a column named "value": VALUE in the CHECK is still the domain's.
  db.exec(
      "CREATE DOMAIN posint AS integer CHECK (VALUE > 0);"
      "CREATE DOMAIN code AS text;"
      "CREATE TABLE t (id bigint PRIMARY KEY, qty integer, c code, value integer, n text);"
      "INSERT INTO t SELECT g, CASE WHEN g IN (7, 70) THEN -g ELSE g END, "
      "CASE WHEN g IN (5, 50, 500) THEN 'bad' || g ELSE 'ok' END, g, "
      "CASE WHEN g = 9 THEN '-9' WHEN g = 10 THEN NULL ELSE g::text END "
      "FROM generate_series(1, 1000) g;"
      "ANALYZE t");
  const std::string yaml = R"yaml(
schemas:
  public:
    domains:
      posint:
        type: integer
        checks:
          posint_check: VALUE > 0
      code:
        type: text
        checks:
          code_ok: VALUE ~ '^ok'
      known:
        type: integer
        nullable: false
        checks:
          known_positive: VALUE > 0
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          qty: posint
          c: code
          value: integer
          n: known
)yaml";
  const auto rendered = plan_all(db, yaml);
  INFO(rendered.messages);
  CHECK(rendered.exit_code == 1);
  // integer to a domain over integer: no cast to check, the domain's CHECK.
  CHECK(contains(rendered.messages,
                 "values of \"qty\" that domain \"public.posint\" rejects: CHECK "
                 "\"posint_check\" ((VALUE > 0)): 2 rows violate it (e.g. id=7; id=70); list "
                 "them with: SELECT "));
  // text to a new domain over integer: its NOT NULL and CHECK, each counted.
  CHECK(contains(rendered.messages, "values of \"n\" that domain \"public.known\" rejects: "
                                    "NULL (NOT NULL): 1 row violates it (e.g. id=10)"));
  CHECK(contains(rendered.messages, "values of \"n\" that domain \"public.known\" rejects: "
                                    "CHECK \"known_positive\" ((VALUE > 0)): 1 row violates it "
                                    "(e.g. id=9)"));
  // A CHECK added to a domain in use: the rows of every column of it.
  CHECK(contains(rendered.messages,
                 "(validate check \"code_ok\" of domain \"public.code\") would fail: values of "
                 "\"c\" that domain \"public.code\" rejects: CHECK \"code_ok\""));
  CHECK(contains(rendered.messages, ": 3 rows violate it (e.g. id=5; id=50; id=500)"));
  CHECK(contains(rendered.markdown, "### Data checks"));
  for (const std::string marker : {"domain \"public.posint\" rejects", "domain \"public.code\" rejects"}) {
    const std::string query =
        rest_of_line(rendered.messages.substr(rendered.messages.find(marker)), "; list them with: ");
    REQUIRE_FALSE(query.empty());
    CHECK(std::stoi(db.scalar("SELECT count(*) FROM (" + query + ") q")) >= 2);
  }
  // Nothing changed.
  CHECK(db.scalar("SELECT count(*) FROM pg_type WHERE typname = 'known'") == "0");
  CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                  "'t'::regclass AND attname = 'qty'") == "integer");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'code_ok'") == "0");

  // Once the rows are fixed, the plan goes through and apply succeeds.
  db.exec("UPDATE t SET qty = 1 WHERE qty < 0; UPDATE t SET c = 'ok' WHERE c <> 'ok';"
          "UPDATE t SET n = '1' WHERE n IS NULL OR n = '-9'");
  const TempDir dir;
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--schema", dir.write("s.yaml", yaml),
                   "--allow-hazard", "table_rewrite", "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
                  "'t'::regclass AND attname = 'n'") == "known");
}

TEST_CASE("a table past --data-check-sample-rows is checked on a sample, and says so",
          "[cli][db][preflight]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, price integer);"
      "INSERT INTO t SELECT g, CASE WHEN g % 2 = 0 THEN -1 ELSE 1 END "
      "FROM generate_series(1, 100000) g;"
      "ANALYZE t");
  const std::string yaml = kPricedTable;
  const auto sampled = plan_all(db, yaml, {"--data-check-sample-rows", "5000"});
  INFO(sampled.messages);
  CHECK(sampled.exit_code == 1);
  // 5,000 of about 100,000 rows: a 5% sample, about half of it violating.
  CHECK(contains(sampled.messages, "checked a 5% sample (TABLESAMPLE SYSTEM): "));
  CHECK(contains(sampled.markdown, "checked a 5% sample (TABLESAMPLE SYSTEM): "));
  CHECK(contains(sampled.json, "\"sample_percent\": 5.0"));
  CHECK(contains(sampled.sql, "1 read a sample (tables of over 5000 rows)"));
  CHECK_FALSE(contains(sampled.messages, ": 50000 rows violate it"));

  // A clean table: the sample finds nothing, and the plan says what it read.
  db.exec("UPDATE t SET price = 1; ANALYZE t");
  const auto clean = plan_all(db, yaml, {"--data-check-sample-rows", "5000"});
  INFO(clean.messages);
  CHECK(clean.exit_code == 0);
  CHECK(contains(clean.markdown, "checked a 5% sample (TABLESAMPLE SYSTEM): no violation found"));
  // The default threshold reads the whole table.
  const auto exact = plan_all(db, yaml);
  CHECK(exact.exit_code == 0);
  CHECK(contains(exact.markdown, "((price > 0)): no violation found"));
  CHECK_FALSE(contains(exact.markdown, "sample"));
}

TEST_CASE("a check waiting for its table's lock gives up first, naming the session holding it",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  pqxx::connection holder(db.url());
  {
    pqxx::nontransaction setup(holder);
    setup.exec("SET application_name = 'maintenance'");
  }
  pqxx::work hold(holder);
  hold.exec("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
  const TempDir dir;
  const std::string schema = dir.write(
      "schema.yaml", kParent + kColumns + "        checks:\n          price_small: price < 1000\n");
  const CommandResult result = run_pgshift({"plan", "--db", db.url(), "--schema", schema,
                                            "--allow-hazard", "all", "--data-check-timeout", "2s"});
  INFO(result.output);
  hold.commit();
  // A warning, not a refusal: the lock wait (nine tenths of the 2 s) gave
  // up before the statement timeout, and says who held the lock.
  CHECK(result.exit_code == 0);
  CHECK(contains(result.output,
                 "could not be checked: gave up after waiting 1800 ms for a lock: "
                 "pid " +
                     std::to_string(holder.backendpid()) +
                     " (maintenance, idle in transaction, transaction open "));
  CHECK(contains(result.output,
                 ": LOCK TABLE t IN ACCESS EXCLUSIVE MODE) holds ACCESS EXCLUSIVE on table "
                 "\"public.t\"; the check takes only ACCESS SHARE locks: run it again once they "
                 "end, or give it longer with --data-check-timeout (SQLSTATE 55P03)"));
  CHECK_FALSE(contains(result.output, "statement timeout"));
}

TEST_CASE("a clean plan reports its checks and their time, and --no-data-checks skips them",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const std::string yaml =
      kParent + kColumns + "        checks:\n          price_small: price < 1000\n";
  const auto clean = plan_all(db, yaml);
  INFO(clean.messages);
  CHECK(clean.exit_code == 0);
  CHECK(contains(clean.markdown, "- Data checks: 1 check in "));
  CHECK(contains(clean.markdown, " ms, one REPEATABLE READ READ ONLY snapshot; 0 violated"));
  CHECK(contains(clean.sql,
                 "-- data check (check): rows breaking CHECK \"price_small\" "
                 "((price < 1000)): no violation found; "));

  const auto dirty =
      plan_all(db, kParent + kColumns + "        checks:\n          price_positive: price > 0\n",
               {"--no-data-checks"});
  INFO(dirty.messages);
  CHECK(dirty.exit_code == 0);
  CHECK(contains(dirty.markdown, "- Data checks: 1 skipped (--no-data-checks)"));
  CHECK(contains(dirty.markdown, "not run"));
}

TEST_CASE("apply --plan refuses a plan the data broke since, before any step",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const TempDir dir;
  const std::string schema = dir.write(
      "schema.yaml", kParent + kColumns + "        checks:\n          price_small: price < 1000\n");
  const std::string plan = dir.path() + "/plan.json";
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", schema, "-o", plan});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  db.exec("INSERT INTO t (id, price) VALUES (1000, 5000)");
  const std::string before = shape(db);
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "refused before any step: the data breaks the plan"));
  CHECK(contains(applied.output,
                 "rows breaking CHECK \"price_small\" ((price < 1000)): 1 row "
                 "violates it (e.g. id=1000); list them with: SELECT "));
  CHECK(shape(db) == before);
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
}

TEST_CASE("apply checks a step again right before it and fails it unrun on new violations",
          "[cli][db][preflight]") {
  TestDatabase db;
  load(db);
  const TempDir dir;
  const std::string schema =
      dir.write("schema.yaml", kParent + kColumns +
                                   "        checks:\n          price_small: price < 1000\n"
                                   "        comment: after the validation\n");
  const std::string path = dir.path() + "/plan.json";
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", schema, "-o", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  const pgshift::plans::Plan plan = pgshift::plans::plan_from_json(dir.read("plan.json"));
  int validate = 0;
  for (const auto& step : plan.steps) {
    if (!step.data_checks.empty()) validate = step.id;
  }
  REQUIRE(validate != 0);
  REQUIRE(validate < static_cast<int>(plan.steps.size()));  // a step after it: the comment

  // The data changes between plan and apply; the run starts (no check
  // before the first step), adds the constraint NOT VALID, and stops at the
  // VALIDATE before running it.
  db.exec("INSERT INTO t (id, price) VALUES (1000, 5000), (1001, 7000)");
  std::ostringstream log;
  pgshift::plans::ApplyOptions options;
  options.log = &log;
  try {
    pgshift::plans::apply_plan(db.url(), plan, options);
    FAIL("apply_plan succeeded");
  } catch (const pgshift::plans::ApplyError& error) {
    INFO(log.str());
    CHECK(error.step_id() == validate);
    CHECK(contains(error.what(), "step " + std::to_string(validate) + " of " +
                                     std::to_string(plan.steps.size()) +
                                     " (validate check constraint \"price_small\" of table "
                                     "\"public.t\") would fail: rows breaking CHECK "
                                     "\"price_small\" ((price < 1000)): 2 rows violate it"));
    CHECK(contains(error.what(), "the step was not run"));
  }
  // The steps before it ran; it did not (the constraint is still NOT VALID),
  // nor did any after it (the comment).
  CHECK(db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'price_small'") == "f");
  CHECK(db.scalar("SELECT count(*) FROM pg_description WHERE objoid = 't'::regclass") == "0");
  CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_steps") == std::to_string(validate - 1));
}

TEST_CASE("a step on a partitioned table, which has no heap of its own, gets no estimate "
          "rather than a negative one",
          "[cli][db][estimates][partitions]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE p (id integer NOT NULL, region text NOT NULL, "
      "  PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
      "CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu');"
      "CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us');"
      "INSERT INTO p SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END "
      "FROM generate_series(1, 5000) g; ANALYZE;");
  const std::string columns =
      "        columns:\n          id: { type: integer, nullable: false }\n"
      "          region: { type: text, nullable: false }\n";
  const auto rendered = plan_all(
      db, "schemas:\n  public:\n    tables:\n      p:\n" + columns +
              "        primary_key: { name: p_pkey, columns: [region, id] }\n"
              "        partition_by: { strategy: list, key: region }\n"
              "      p_eu:\n" +
              columns +
              "        partition_of: { table: p, bound: \"FOR VALUES IN ('eu')\" }\n"
              "      p_us:\n" +
              columns + "        partition_of: { table: p, bound: \"FOR VALUES IN ('us')\" }\n");
  INFO(rendered.messages);
  INFO(rendered.sql);
  REQUIRE(rendered.exit_code == 0);
  CHECK(contains(rendered.sql, "CREATE UNIQUE INDEX CONCURRENTLY"));
  CHECK_FALSE(contains(rendered.sql, "about -"));
  CHECK_FALSE(contains(rendered.json, "\"estimated_ms\": -"));
}

TEST_CASE(
    "scanning steps are estimated from a calibrated read, and the journal keeps estimate "
    "and actual side by side",
    "[cli][db][estimates]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, price integer);"
      "INSERT INTO t SELECT g, g FROM generate_series(1, 20000) g;"
      "ANALYZE t");
  const std::string yaml = kPricedTable;
  const auto rendered = plan_all(db, yaml);
  INFO(rendered.messages);
  REQUIRE(rendered.exit_code == 0);
  // The summary, in every rendering and on stderr; the VALIDATE has its own.
  CHECK(contains(rendered.messages, "pgshift plan: 2 steps; about "));
  CHECK(contains(rendered.messages, " blocking traffic (read throughput "));
  CHECK(contains(rendered.markdown, "calibration: read 20000 rows ("));
  CHECK(contains(rendered.markdown, "- Estimated: about "));
  CHECK(contains(rendered.sql, "-- estimated: about "));
  CHECK(contains(rendered.sql, "; estimated time: about "));
  CHECK(contains(rendered.json, "\"estimated_ms\": "));
  CHECK(contains(rendered.json, "\"bytes_per_second\": "));

  const TempDir dir;
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--schema", dir.write("s.yaml", yaml), "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(applied.output, " (estimated about "));
  // The VALIDATE step: estimated and actual, side by side; the catalog-only
  // step has no estimate.
  CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_steps WHERE estimated_ms IS NOT NULL "
                  "AND duration_ms >= 0") == "1");
  CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_steps WHERE estimated_ms IS NULL") == "1");
}

TEST_CASE(
    "a one-row table's scans are estimated from the page its calibration read went through, "
    "not from the size of its row",
    "[cli][db][estimates]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, price integer);"
      "INSERT INTO t VALUES (1, 5);"
      "ANALYZE t");
  const auto rendered =
      plan_all(db, std::string(kPricedTable) +
                       "        indexes:\n          t_price: { columns: [price] }\n");
  INFO(rendered.messages);
  REQUIRE(rendered.exit_code == 0);
  const auto plan = pgshift::plans::plan_from_json(rendered.json);
  REQUIRE(plan.throughput);
  const std::string& source = plan.throughput->source;
  INFO(source);
  const std::string read = "calibration: read 1 row (1 page, 8 kB) of public.t in ";
  REQUIRE(source.rfind(read, 0) == 0);
  REQUIRE(source.size() > read.size() + 3);
  REQUIRE(source.substr(source.size() - 3) == " ms");
  const long long read_ms = std::stoll(source.substr(read.size()));
  // Each step scans that one page: at most three passes over it (an index
  // build), each as long as the read took. Measured by the row's 36 bytes,
  // the page took over 200 times as long.
  int estimated = 0;
  for (const auto& step : plan.steps) {
    if (!step.estimated_ms) continue;
    ++estimated;
    CHECK(*step.estimated_ms <= 3 * (read_ms + 1));
  }
  CHECK(estimated == 2);  // the VALIDATE and the index build
}

TEST_CASE(
    "after an apply, estimates come from the journal's recorded durations instead of a "
    "calibration read, and follow them",
    "[cli][db][estimates]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id bigint PRIMARY KEY, price integer);"
      "INSERT INTO t SELECT g, g FROM generate_series(1, 50000) g;"
      "ANALYZE t");
  const std::string base = kPricedTable;
  const TempDir dir;
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--schema", dir.write("s.yaml", base), "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  // The VALIDATE took a few ms: at least 1 is recorded for the test.
  db.exec("UPDATE _pgshift.apply_steps SET duration_ms = greatest(duration_ms, 1)");
  const std::string estimated =
      db.scalar("SELECT estimated_ms FROM _pgshift.apply_steps WHERE estimated_ms IS NOT NULL");
  const std::string calibrated = db.scalar(
      "SELECT (plan_json::jsonb -> 'throughput' ->> 'bytes_per_second') FROM _pgshift.apply_runs");
  REQUIRE(std::stoll(estimated) > 0);

  // A second change scans the table again: its figure is the first apply's
  // reading (its estimate at the calibrated throughput) over what it took.
  const std::string next = base + "          price_small: price < 1000000\n";
  auto expected = [&] {
    const double actual = std::stod(
        db.scalar("SELECT duration_ms FROM _pgshift.apply_steps WHERE estimated_ms IS NOT NULL"));
    return static_cast<long long>(std::stod(estimated) * std::stod(calibrated) / actual + 0.5);
  };
  auto figure = [](const std::string& json) {
    const std::string marker = "\"bytes_per_second\": ";
    const auto at = json.find(marker);
    return at == std::string::npos ? -1 : std::stoll(json.substr(at + marker.size()));
  };
  const auto learnt = plan_all(db, next);
  INFO(learnt.messages);
  REQUIRE(learnt.exit_code == 0);
  CHECK(contains(learnt.markdown,
                 "journal: 1 scanning step of 1 earlier apply, estimated "));
  CHECK(contains(learnt.json, "\"source\": \"journal: 1 scanning step of 1 earlier apply"));
  CHECK(contains(learnt.messages, "(read throughput "));
  CHECK_FALSE(contains(learnt.markdown, "calibration: read"));
  CHECK(figure(learnt.json) == expected());

  // Had it taken ten times as long, the figure is a tenth.
  db.exec("UPDATE _pgshift.apply_steps SET duration_ms = 10 * " + estimated +
          " WHERE estimated_ms IS NOT NULL");
  const auto slower = plan_all(db, next);
  INFO(slower.messages);
  REQUIRE(slower.exit_code == 0);
  CHECK(figure(slower.json) == expected());
  CHECK(std::llabs(figure(slower.json) - std::stoll(calibrated) / 10) <= 1);
  CHECK(contains(slower.markdown, ", took "));
}
