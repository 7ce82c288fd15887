// The statement table (planner/statements.cpp) against the server: each step of a
// real plan runs in a transaction on one session while another reads
// pg_locks; the strongest mode the session holds on each relation must be
// the mode the step declares for it, and it must hold nothing stronger on
// relations the step does not declare.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

// pg_locks spells modes "AccessExclusiveLock"; plans say "ACCESS EXCLUSIVE".
// Weakest first, as in lockdefs.h.
const std::vector<std::string> kModes = {
    "AccessShareLock",          "RowShareLock",          "RowExclusiveLock",
    "ShareUpdateExclusiveLock", "ShareLock",             "ShareRowExclusiveLock",
    "ExclusiveLock",            "AccessExclusiveLock"};

std::string pg_locks_name(const std::string& plan_mode) {
  std::string name;
  bool upper = true;
  for (char c : plan_mode) {
    if (c == ' ') {
      upper = true;
      continue;
    }
    name += upper ? c : static_cast<char>(c - 'A' + 'a');
    upper = false;
  }
  return name + "Lock";
}

int strength(const std::string& mode) {
  for (size_t mode_idx = 0; mode_idx < kModes.size(); ++mode_idx) {
    if (kModes[mode_idx] == mode) return static_cast<int>(mode_idx);
  }
  return -1;
}

// Strongest relation-level mode `pid` holds, by "schema.relation", for tables.
std::map<std::string, std::string> held_locks(const std::string& url, int pid) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  std::map<std::string, std::string> held;
  const auto rows = tx.exec_params(
      "SELECT n.nspname || '.' || c.relname, l.mode FROM pg_locks l "
      "JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE l.pid = $1 AND l.locktype = 'relation' AND l.granted AND c.relkind IN ('r', 'p') "
      "AND n.nspname = 'public'",
      pid);
  for (const auto& row : rows) {
    const std::string relation = row[0].as<std::string>();
    const std::string mode = row[1].as<std::string>();
    if (strength(mode) > strength(held[relation])) held[relation] = mode;
  }
  return held;
}

constexpr const char* kBefore = R"sql(
CREATE TABLE customers (id bigint PRIMARY KEY, email varchar(50), note text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, qty integer,
                     status text DEFAULT 'new');
INSERT INTO customers SELECT g, 'c' || g || '@example.com', 'n' FROM generate_series(1, 500) g;
INSERT INTO orders SELECT g, 1 + g % 500, g % 7, 'new' FROM generate_series(1, 2000) g;
ANALYZE customers;
ANALYZE orders;
)sql";

constexpr const char* kAfter = R"yaml(
schemas:
  public:
    tables:
      customers:
        columns:
          id: { type: bigint, nullable: false }
          email: { type: varchar(80), nullable: false }
          note: text
          tier: text
        primary_key: [id]
        checks:
          customers_email_check: position('@' in email) > 1
      orders:
        comment: One row per order
        columns:
          id: { type: bigint, nullable: false }
          customer_id: bigint
          qty: { type: integer, default: 1 }
          status: text
        primary_key: [id]
        foreign_keys:
          - { columns: [customer_id], references: customers(id) }
)yaml";

}  // namespace

TEST_CASE("each transactional step takes exactly the locks the lock table declares",
          "[planner][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kBefore);
  // Before PostgreSQL 12 SET NOT NULL scans under its ACCESS EXCLUSIVE lock,
  // the hazard access_exclusive_scan; the lock is what is checked here.
  const auto planned =
      run_command({PGSHIFT_BIN, "plan", "--db", db.url(), "--schema", dir.write("s.yaml", kAfter),
                   "--allow-hazard", "access_exclusive_scan", "--detailed-exitcode", "-o",
                   dir.path() + "/plan.json"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 2);
  const auto plan = nlohmann::json::parse(dir.read("plan.json"));

  pqxx::connection session(db.url());
  int checked = 0;
  for (const auto& step : plan.at("steps")) {
    const auto statements = step.at("statements").get<std::vector<std::string>>();
    if (statements.empty()) continue;
    if (!step.at("transactional").get<bool>()) {
      pqxx::nontransaction tx(session);
      for (const auto& statement : statements) tx.exec(statement);
      continue;
    }
    const std::string summary = step.at("summary").get<std::string>();
    INFO("step " << step.at("id").get<int>() << ": " << summary);
    pqxx::work tx(session);
    for (const auto& statement : statements) tx.exec(statement);
    const auto held = held_locks(db.url(), session.backendpid());

    std::map<std::string, std::string> declared;
    for (const auto& lock : step.at("locks")) {
      declared[lock.at("schema").get<std::string>() + "." +
               lock.at("relation").get<std::string>()] =
          pg_locks_name(lock.at("mode").get<std::string>());
    }
    for (const auto& [relation, mode] : declared) {
      INFO(relation);
      CHECK(held.count(relation) == 1);
      if (held.count(relation) == 1) CHECK(held.at(relation) == mode);
    }
    for (const auto& [relation, mode] : held) {
      INFO("undeclared lock on " << relation);
      if (declared.count(relation) == 0) CHECK(strength(mode) <= strength("AccessShareLock"));
    }
    tx.commit();
    ++checked;
  }
  // add column, widen varchar, set default, NOT NULL sequence, check, FK,
  // comment: every kind of ALTER the plan holds was checked.
  CHECK(checked >= 8);
}
