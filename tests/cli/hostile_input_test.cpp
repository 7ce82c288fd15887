// Hostile desired states against the pgshift binary and a real server: SQL
// text that would close its place is refused by the loader, with its position,
// before any connection, so plan and drift leave roles and database settings
// as they were.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

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

// Settings of this test's database and of every database (role-wide): other
// tests running beside this one make databases with settings of their own.
constexpr const char* kSettings =
    "SELECT coalesce(string_agg(array_to_string(setconfig, ','), ';'), '') FROM pg_db_role_setting "
    "WHERE setdatabase IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))";

// The routes: each SQL-text field with text that closes its place.
std::vector<std::pair<std::string, std::string>> routes(const std::string& statement) {
  const std::string s = "\"0); " + statement + "; SELECT (1\"";
  const std::string t = "    tables:\n      t:\n        columns:\n";
  return {
      {"default", t + "          c: { type: int, default: " + s + " }\n"},
      {"type", t + "          c: { type: " + s + " }\n"},
      {"generated", t + "          c: { type: int, generated: " + s + " }\n"},
      {"check", t + "          c: int\n        checks: { k: " + s + " }\n"},
      {"index where",
       t + "          c: int\n        indexes: { i: { columns: [c], where: " + s + " } }\n"},
      {"index options", t +
                            "          c: int\n        indexes: { i: { columns: [c], options: { "
                            "fillfactor: " +
                            s + " } } }\n"},
      {"trigger when", t +
                           "          c: int\n        triggers: { g: { timing: before, events: "
                           "[insert], function: f, when: " +
                           s + " } }\n"},
      {"backfill", t + "          c: { type: int, backfill: " + s + " }\n"},
      {"view", "    views: { v: \"SELECT 1 AS a; " + statement + "\" }\n"},
      {"domain check", "    domains: { d: { type: int, checks: { k: " + s + " } } }\n"},
      {"argument default", "    functions: { f: { args: [{ type: int, default: " + s +
                               " }], returns: int, body: SELECT 1 } }\n"},
      {"partition bound",
       "    tables:\n      p: { columns: { c: int }, partition_by: { strategy: "
       "list, key: c } }\n      q: { columns: { c: int }, partition_of: { "
       "table: p, bound: \"FOR VALUES IN (1); " +
           statement + "\" } }\n"},
  };
}

}  // namespace

TEST_CASE("SQL text that closes its place never reaches the server in plan or drift", "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  const std::string settings = db.scalar(kSettings);
  const std::string alter = "ALTER DATABASE " + db.name() + " SET statement_timeout = 1";
  for (const char* command : {"plan", "drift"}) {
    for (const std::string& statement : {std::string("CREATE ROLE pwn_default"), alter}) {
      for (const auto& [field, body] : routes(statement)) {
        INFO(command << " " << field << ": " << statement);
        const std::string path = dir.write("hostile.yaml", "schemas:\n  public:\n" + body);
        const CommandResult result = run_pgshift({command, "--db", db.url(), "--schema", path});
        CHECK(result.exit_code == 1);
        CHECK_THAT(result.output, Catch::Contains(path + ":") && Catch::Contains(": invalid "));
        CHECK(db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'pwn_default'") == "0");
        CHECK(db.scalar(kSettings) == settings);
      }
    }
  }
}

TEST_CASE("an endless schema or plan file is refused at its size limit", "[cli][db]") {
  TestDatabase db;
  const CommandResult schema = run_pgshift({"plan", "--db", db.url(), "--schema", "/dev/zero"});
  CHECK(schema.exit_code == 1);
  CHECK(schema.output ==
        "pgshift: /dev/zero: file is larger than 16 MiB, the limit for a desired-state file\n");
  const CommandResult plan =
      run_pgshift({"apply", "--db", db.url(), "--plan", "/dev/zero", "--yes"});
  CHECK(plan.exit_code == 1);
  CHECK(plan.output ==
        "pgshift: \"/dev/zero\" is larger than 64 MiB, the limit for a plan file\n");
}
