// Planner tests end to end through the binary: `pgshift plan` of a YAML
// against a test database, the SQL rendering run by psql, a second plan that
// must be empty, and row checksums to compare before and after.
//
// Header-only: the including test target defines PGSHIFT_BIN (the pgshift
// binary) and PGSHIFT_PSQL (psql).
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

namespace pgshift::testing {

// Position of `part` in `text`; fails the test when absent.
inline size_t position(const std::string& text, const std::string& part) {
  const size_t at = text.find(part);
  INFO("looking for: " << part);
  REQUIRE(at != std::string::npos);
  return at;
}

// `pgshift plan --detailed-exitcode` of a YAML against a database, every
// hazard allowed.
struct PlanRun {
  int exit_code = -1;
  std::string plan;      // the rendering written with -o
  std::string messages;  // what pgshift printed
};

inline PlanRun run_plan(const TestDatabase& db, const std::string& yaml,
                        const std::string& format = "sql") {
  const TempDir dir;
  const std::string schema = dir.write("schema.yaml", yaml);
  const std::string output = dir.path() + "/plan";
  const CommandResult result =
      run_command({PGSHIFT_BIN, "plan", "--db", db.url(), "--schema", schema, "--allow-hazard",
                   "all", "--format", format, "--detailed-exitcode", "-o", output});
  PlanRun run;
  run.exit_code = result.exit_code;
  run.messages = result.output;
  if (result.exit_code != 1) run.plan = dir.read("plan");
  return run;
}

// Runs a SQL script on `db` with psql, stopping at the first error.
inline CommandResult run_psql(const TestDatabase& db, const std::string& sql) {
  const TempDir dir;
  const std::string script = dir.write("plan.sql", sql);
  return run_command(
      {PGSHIFT_PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", script});
}

// Plans `yaml` against `db` (a plan must be produced), applies the SQL with
// psql (it must succeed), plans again (nothing must be left to do) and
// returns the applied SQL.
inline std::string converge(const TestDatabase& db, const std::string& yaml) {
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  INFO(first.plan);
  // Plain SQL: no psql meta-command (a line starting with a backslash).
  CHECK_FALSE(first.plan.rfind("\\", 0) == 0);
  CHECK_FALSE(contains(first.plan, "\n\\"));
  const CommandResult applied = run_psql(db, first.plan);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  const PlanRun second = run_plan(db, yaml);
  INFO(second.messages);
  INFO(second.plan);
  REQUIRE(second.exit_code == 0);
  return first.plan;
}

// Row count and digest of `columns` of `table`, in id order: equal before
// and after a migration when the migration kept every value.
inline std::string checksum(const TestDatabase& db, const std::string& table,
                            const std::string& columns) {
  return db.scalar("SELECT count(*) || ':' || coalesce(md5(string_agg(ROW(" + columns +
                   ")::text, ',' ORDER BY id)), '') FROM " + table);
}

}  // namespace pgshift::testing
