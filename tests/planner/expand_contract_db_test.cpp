// Expand and contract (issue 15), end to end through the binary: a plan of
// two phases applied with `apply --phase expand`, writers through the old and
// the new name in between, drift and plan between the phases, then `apply
// --phase contract`; rows and values kept, nothing left to plan.
#include <signal.h>
#include <sys/wait.h>

#include <pqxx/pqxx>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;
using namespace std::chrono_literals;

namespace {

// `pgshift plan` of `yaml` to `dir`/plan.json (and the Markdown to
// plan.md), every hazard allowed; returns the JSON.
std::string plan_json(const TestDatabase& db, const TempDir& dir, const std::string& yaml,
                      std::string* markdown = nullptr) {
  const std::string schema = dir.write("schema.yaml", yaml);
  const CommandResult json = run_pgshift({"plan", "--db", db.url(), "--schema", schema,
                                      "--allow-hazard", "all", "-o", dir.path() + "/plan.json"});
  INFO(json.output);
  REQUIRE(json.exit_code == 0);
  if (markdown != nullptr) {
    const CommandResult md = run_pgshift({"plan", "--db", db.url(), "--schema", schema,
                                      "--allow-hazard", "all", "-o", dir.path() + "/plan.md"});
    REQUIRE(md.exit_code == 0);
    *markdown = dir.read("plan.md");
  }
  return dir.read("plan.json");
}

CommandResult apply_phase(const TestDatabase& db, const TempDir& dir, const std::string& phase) {
  return run_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/plan.json", "--phase",
                  phase, "--yes", "--pause", "0ms"});
}

// apply_phase, which must succeed.
void apply_phase_ok(const TestDatabase& db, const TempDir& dir, const std::string& phase) {
  const CommandResult applied = apply_phase(db, dir, phase);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
}

// `pgshift plan --detailed-exitcode` of the YAML written by plan_json: 0
// when there is nothing left to do.
CommandResult replan(const TestDatabase& db, const TempDir& dir) {
  return run_pgshift({"plan", "--db", db.url(), "--schema", dir.path() + "/schema.yaml",
                  "--allow-hazard", "all", "--detailed-exitcode", "-o",
                  dir.path() + "/again.sql"});
}

std::string columns_of(const TestDatabase& db, const std::string& table) {
  return db.scalar("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' "
                   "ORDER BY attnum) FROM pg_attribute WHERE attrelid = '" + table +
                   "'::regclass AND attnum > 0 AND NOT attisdropped");
}

// Polls the boolean `sql` until it holds (an error counts as false) or `limit` passes.
bool poll(const TestDatabase& db, const std::string& sql, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (db.scalar(sql) == "t") return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

void kill_and_reap(pid_t child) {
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
}

constexpr const char* kUsersSql =
    "CREATE SCHEMA app;"
    "CREATE TABLE app.users (id integer PRIMARY KEY, email text NOT NULL);"
    "CREATE INDEX users_email_idx ON app.users (email);"
    "INSERT INTO app.users SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 5000) g;"
    "ANALYZE app.users";

constexpr const char* kUsersRenamed = R"yaml(
schemas:
  app:
    tables:
      users:
        primary_key: [id]
        columns:
          id: { type: integer, nullable: false }
          email_address: { type: text, nullable: false, renamed_from: email, expand_contract: true }
        indexes:
          users_email_idx: { columns: [email_address] }
)yaml";

}  // namespace

TEST_CASE("a column renamed by expand/contract stays equal under writers through either name, "
          "and contract leaves only the new column",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec(kUsersSql);
  const TempDir dir;
  std::string markdown;
  const std::string json = plan_json(db, dir, kUsersRenamed, &markdown);
  INFO(json);
  CHECK(contains(json, "\"stage\": \"expand\""));
  CHECK(contains(json, "\"stage\": \"contract\""));
  CHECK(contains(json, "reads and writes column \\\"email_address\\\""));
  CHECK(contains(markdown, "Two phases: expand, deploy, contract"));
  // No direct rename: the old name keeps working until contract.
  CHECK_FALSE(contains(json, "RENAME COLUMN \\\"email\\\""));

  // Writers through both names while expand runs (its backfill included).
  std::atomic<bool> done{false};
  std::atomic<int> inserted{0};
  std::thread writers([&] {
    for (int n = 0; !done || n < 40; ++n) {
      const std::string id = std::to_string(100000 + n);
      if (n % 2 == 0) {
        db.exec("INSERT INTO app.users (id, email) VALUES (" + id + ", 'old" + id + "@x')");
      } else {
        try {
          db.exec("INSERT INTO app.users (id, email_address) VALUES (" + id + ", 'new" + id +
                  "@x')");
        } catch (const std::exception&) {
          // Before expand added the column, the new name does not exist yet.
          db.exec("INSERT INTO app.users (id, email) VALUES (" + id + ", 'new" + id + "@x')");
        }
      }
      ++inserted;
      db.exec("UPDATE app.users SET email = email || '.o' WHERE id = " + std::to_string(1 + n));
    }
  });
  const CommandResult expand = apply_phase(db, dir, "expand");
  done = true;
  writers.join();
  INFO(expand.output);
  REQUIRE(expand.exit_code == 0);
  CHECK(contains(expand.output, "contract pending"));
  CHECK(columns_of(db, "app.users") == "id integer, email text, email_address text");
  CHECK(db.scalar("SELECT count(*) FROM app.users WHERE email IS DISTINCT FROM email_address") ==
        "0");
  CHECK(db.scalar("SELECT count(*) FROM app.users") == std::to_string(5000 + inserted.load()));

  // Between the phases: writes through either name reach the other.
  db.exec("INSERT INTO app.users (id, email) VALUES (900001, 'a@old')");
  db.exec("INSERT INTO app.users (id, email_address) VALUES (900002, 'b@new')");
  db.exec("UPDATE app.users SET email_address = 'c@new' WHERE id = 2");
  db.exec("UPDATE app.users SET email = 'd@old' WHERE id = 3");
  CHECK(db.scalar("SELECT email FROM app.users WHERE id = 900002") == "b@new");
  CHECK(db.scalar("SELECT email_address FROM app.users WHERE id = 900001") == "a@old");
  CHECK(db.scalar("SELECT email FROM app.users WHERE id = 2") == "c@new");
  CHECK(db.scalar("SELECT email_address FROM app.users WHERE id = 3") == "d@old");

  // Expand again does nothing; drift and plan know the middle state.
  const CommandResult again = apply_phase(db, dir, "expand");
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.output, "0 steps run"));
  const CommandResult drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/schema.yaml"});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "contract pending"));
  CHECK_FALSE(contains(drift.output, "Unexpected"));
  const CommandResult middle = replan(db, dir);
  INFO(middle.output);
  CHECK(middle.exit_code == 2);
  const std::string middle_plan = dir.read("again.sql");
  INFO(middle_plan);
  CHECK(contains(middle_plan, "contract: drop column \"email\""));
  CHECK_FALSE(contains(middle_plan, "backfill"));
  CHECK_FALSE(contains(middle_plan, "ADD COLUMN"));

  const std::string before = db.scalar(
      "SELECT count(*) || ':' || md5(string_agg(id || '=' || email_address, ',' ORDER BY id)) "
      "FROM app.users");
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  CHECK(columns_of(db, "app.users") == "id integer, email_address text");
  CHECK(db.scalar("SELECT count(*) || ':' || md5(string_agg(id || '=' || email_address, ',' "
                  "ORDER BY id)) FROM app.users") == before);
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.users'::regclass") == "0");
  CHECK(db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'users_email_idx'") ==
        "CREATE INDEX users_email_idx ON app.users USING btree (email_address)");
  const CommandResult after = replan(db, dir);
  INFO(after.output);
  INFO(dir.read("again.sql"));
  CHECK(after.exit_code == 0);
}

TEST_CASE("contract is refused before expand, and a two-phase plan needs --phase",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec(kUsersSql);
  const TempDir dir;
  plan_json(db, dir, kUsersRenamed);
  const CommandResult whole = run_pgshift(
      {"apply", "--db", db.url(), "--plan", dir.path() + "/plan.json", "--yes"});
  INFO(whole.output);
  CHECK(whole.exit_code == 64);
  CHECK(contains(whole.output, "--phase expand"));
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  CHECK(contract.exit_code == 1);
  CHECK(contains(contract.output, "contract refused"));
  CHECK(columns_of(db, "app.users") == "id integer, email text");
}

TEST_CASE("a type change with using: and inverse: by expand/contract converts every row and "
          "keeps both columns equal in between",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.items (id integer PRIMARY KEY, price text);"
          "INSERT INTO app.items SELECT g, (g * 3)::text FROM generate_series(1, 3000) g;"
          "INSERT INTO app.items VALUES (5000, ' 12 '), (5001, NULL), (5002, '')");
  const TempDir dir;
  const std::string json = plan_json(db, dir, R"yaml(
schemas:
  app:
    tables:
      items:
        primary_key: [id]
        columns:
          id: { type: integer, nullable: false }
          price:
            type: integer
            using: "NULLIF(trim(price), '')::integer"
            expand_contract: { inverse: "price::text" }
)yaml");
  INFO(json);
  CHECK(contains(json, "price_pgshift_new"));
  const CommandResult expand = apply_phase(db, dir, "expand");
  INFO(expand.output);
  REQUIRE(expand.exit_code == 0);
  CHECK(db.scalar("SELECT price_pgshift_new FROM app.items WHERE id = 5000") == "12");
  CHECK(db.scalar("SELECT count(*) FROM app.items WHERE price_pgshift_new IS DISTINCT FROM "
                  "NULLIF(trim(price), '')::integer") == "0");
  // Old writers write text, new ones integers: each reaches the other.
  db.exec("UPDATE app.items SET price = '77' WHERE id = 1");
  db.exec("UPDATE app.items SET price_pgshift_new = 88 WHERE id = 2");
  db.exec("INSERT INTO app.items (id, price) VALUES (6000, '5')");
  CHECK(db.scalar("SELECT price_pgshift_new FROM app.items WHERE id = 1") == "77");
  CHECK(db.scalar("SELECT price FROM app.items WHERE id = 2") == "88");
  CHECK(db.scalar("SELECT price_pgshift_new FROM app.items WHERE id = 6000") == "5");
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  CHECK(columns_of(db, "app.items") == "id integer, price integer");
  CHECK(db.scalar("SELECT sum(price) FROM app.items WHERE id <= 3000") ==
        db.scalar("SELECT 77 + 88 + sum(g * 3) - 3 - 6 FROM generate_series(1, 3000) g"));
  CHECK(replan(db, dir).exit_code == 0);
}

TEST_CASE("an integer primary key with a referencing foreign key and a view becomes bigint by "
          "expand/contract, rows kept",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.orders (id serial PRIMARY KEY, note text);"
          "CREATE TABLE app.payments (id serial PRIMARY KEY, "
          "  order_id integer NOT NULL REFERENCES app.orders (id), amount integer NOT NULL);"
          "CREATE VIEW app.order_totals AS SELECT o.id, sum(p.amount) AS total "
          "  FROM app.orders o JOIN app.payments p ON p.order_id = o.id GROUP BY o.id;"
          "INSERT INTO app.orders (note) SELECT 'n' || g FROM generate_series(1, 4000) g;"
          "INSERT INTO app.payments (order_id, amount) SELECT 1 + g % 4000, g "
          "  FROM generate_series(1, 8000) g;"
          "ANALYZE app.orders; ANALYZE app.payments");
  const TempDir dir;
  // The desired state: inspect's YAML with the two columns made bigint.
  const CommandResult inspect =
      run_pgshift({"inspect", "--db", db.url(), "--only-schema", "app", "-o", dir.path() + "/now.yaml"});
  INFO(inspect.output);
  REQUIRE(inspect.exit_code == 0);
  std::string yaml = dir.read("now.yaml");
  const auto retype = [&yaml](const std::string& from, const std::string& to) {
    const size_t at = yaml.find(from);
    INFO(yaml);
    REQUIRE(at != std::string::npos);
    yaml.replace(at, from.size(), to);
  };
  retype("id: { type: integer, nullable: false, default: \"nextval('app.orders_id_seq'::regclass)\" }",
         "id: { type: bigint, nullable: false, default: \"nextval('app.orders_id_seq'::regclass)\", "
         "expand_contract: true }");
  retype("order_id: { type: integer, nullable: false }",
         "order_id: { type: bigint, nullable: false, expand_contract: true }");
  const std::string checksum_sql =
      "SELECT count(*) || ':' || md5(string_agg(p.id || ',' || p.order_id || ',' || o.note, ';' "
      "ORDER BY p.id)) FROM app.payments p JOIN app.orders o ON o.id = p.order_id";
  const std::string before = db.scalar(checksum_sql);
  const std::string totals = db.scalar("SELECT sum(total) FROM app.order_totals");
  const std::string json = plan_json(db, dir, yaml);
  INFO(json);
  const CommandResult expand = apply_phase(db, dir, "expand");
  INFO(expand.output);
  REQUIRE(expand.exit_code == 0);
  db.exec("INSERT INTO app.orders (note) VALUES ('during expand')");
  CHECK(db.scalar("SELECT id_pgshift_new FROM app.orders WHERE note = 'during expand'") ==
        "4001");
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  // The new column is the table's last, as any column added.
  CHECK(columns_of(db, "app.orders") == "note text, id bigint");
  CHECK(columns_of(db, "app.payments") == "id integer, amount integer, order_id bigint");
  CHECK(db.scalar(checksum_sql) == before);
  CHECK(db.scalar("SELECT sum(total) FROM app.order_totals") == totals);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.payments'::regclass "
                  "AND contype = 'f' AND convalidated") == "1");
  // The sequence moved with the column: new rows still get ids.
  db.exec("INSERT INTO app.orders (note) VALUES ('after contract')");
  CHECK(db.scalar("SELECT id FROM app.orders WHERE note = 'after contract'") == "4002");
  const CommandResult after = replan(db, dir);
  INFO(after.output);
  INFO(dir.read("again.sql"));
  CHECK(after.exit_code == 0);
}

TEST_CASE("expand/contract killed with SIGKILL in the expand backfill and in contract resumes "
          "and converges, no row lost",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.users (id integer PRIMARY KEY, email text NOT NULL);"
          "CREATE INDEX users_email_idx ON app.users (email);"
          "INSERT INTO app.users SELECT g, 'user' || g || '@example.com' "
          "  FROM generate_series(1, 30000) g;"
          "ANALYZE app.users");
  const TempDir dir;
  plan_json(db, dir, kUsersRenamed);
  const std::vector<std::string> expand = {"apply",        "--db",    db.url(),  "--plan",
                                           dir.path() + "/plan.json", "--phase", "expand",
                                           "--yes",        "--batch-size", "300", "--pause",
                                           "20ms"};
  pid_t child = spawn_pgshift(expand, dir.path() + "/expand.log");
  const bool mid_backfill = poll(
      db, "SELECT rows_done > 0 FROM _pgshift.apply_backfills ORDER BY rows_done DESC LIMIT 1",
      30s);
  kill_and_reap(child);
  INFO(dir.read("expand.log"));
  REQUIRE(mid_backfill);
  CHECK(db.scalar("SELECT count(*) > 0 FROM app.users WHERE email_address IS NULL") == "t");
  db.exec("UPDATE app.users SET email = 'changed@x' WHERE id = 29999");
  const CommandResult resumed = apply_phase(db, dir, "expand");
  INFO(resumed.output);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.output, "resuming"));
  CHECK(db.scalar("SELECT count(*) FROM app.users WHERE email IS DISTINCT FROM email_address") ==
        "0");
  CHECK(db.scalar("SELECT email_address FROM app.users WHERE id = 29999") == "changed@x");

  // Contract waits for a lock a reader holds; killed while it waits, it did nothing.
  pqxx::connection reader(db.url());
  pqxx::work hold(reader);
  hold.exec("LOCK TABLE app.users IN ACCESS SHARE MODE");
  child = spawn_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/plan.json",
                         "--phase", "contract", "--yes"},
                        dir.path() + "/contract.log");
  const bool waiting = poll(db,
                            "SELECT count(*) > 0 FROM pg_locks l JOIN pg_class c ON c.oid = "
                            "l.relation WHERE c.relname = 'users' AND NOT l.granted",
                            30s);
  kill_and_reap(child);
  hold.abort();
  INFO(dir.read("contract.log"));
  REQUIRE(waiting);
  CHECK(columns_of(db, "app.users") == "id integer, email text, email_address text");
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  CHECK(columns_of(db, "app.users") == "id integer, email_address text");
  CHECK(db.scalar("SELECT count(*) FROM app.users") == "30000");
  CHECK(replan(db, dir).exit_code == 0);
}

TEST_CASE("an identity primary key becomes bigint by expand/contract and new rows go on from "
          "its sequence",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.events (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
          "  kind text NOT NULL);"
          "INSERT INTO app.events (kind) SELECT 'k' || g FROM generate_series(1, 3000) g;"
          "ANALYZE app.events");
  const TempDir dir;
  const std::string json = plan_json(db, dir, R"yaml(
schemas:
  app:
    tables:
      events:
        primary_key: [id]
        columns:
          id: { type: bigint, identity: always, expand_contract: true }
          kind: { type: text, nullable: false }
)yaml");
  INFO(json);
  const CommandResult expand = apply_phase(db, dir, "expand");
  INFO(expand.output);
  REQUIRE(expand.exit_code == 0);
  db.exec("INSERT INTO app.events (kind) VALUES ('during')");
  CHECK(db.scalar("SELECT id_pgshift_new FROM app.events WHERE kind = 'during'") == "3001");
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  CHECK(columns_of(db, "app.events") == "kind text, id bigint");
  db.exec("INSERT INTO app.events (kind) VALUES ('after')");
  CHECK(db.scalar("SELECT id FROM app.events WHERE kind = 'after'") == "3002");
  CHECK(db.scalar("SELECT pg_get_serial_sequence('app.events', 'id')") == "app.events_id_seq");
  CHECK(db.scalar("SELECT count(*) FROM app.events") == "3002");
  const CommandResult after = replan(db, dir);
  INFO(after.output);
  INFO(dir.read("again.sql"));
  CHECK(after.exit_code == 0);
}

TEST_CASE("a table renamed by expand/contract keeps its old name as an updatable view until "
          "contract",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.purchases (id bigint PRIMARY KEY, amount integer NOT NULL, "
          "  created_at timestamptz NOT NULL DEFAULT now());"
          "INSERT INTO app.purchases (id, amount) SELECT g, g FROM generate_series(1, 1000) g");
  const TempDir dir;
  const std::string json = plan_json(db, dir, R"yaml(
schemas:
  app:
    tables:
      orders:
        renamed_from: purchases
        expand_contract: true
        primary_key: [id]
        columns:
          id: { type: bigint, nullable: false }
          amount: { type: integer, nullable: false }
          created_at: { type: timestamp with time zone, nullable: false, default: now() }
)yaml");
  INFO(json);
  CHECK(contains(json, "uses table \\\"app.orders\\\" instead of \\\"purchases\\\""));
  const CommandResult expand = apply_phase(db, dir, "expand");
  INFO(expand.output);
  REQUIRE(expand.exit_code == 0);
  // Old code reads and writes through the old name, new code through the new one.
  db.exec("INSERT INTO app.purchases (id, amount) VALUES (5001, 7)");
  db.exec("UPDATE app.purchases SET amount = 8 WHERE id = 1");
  db.exec("INSERT INTO app.orders (id, amount) VALUES (5002, 9)");
  CHECK(db.scalar("SELECT count(*) FROM app.purchases") == "1002");
  CHECK(db.scalar("SELECT amount FROM app.orders WHERE id = 1") == "8");
  CHECK(db.scalar("SELECT created_at IS NOT NULL FROM app.orders WHERE id = 5001") == "t");
  const CommandResult drift =
      run_pgshift({"drift", "--db", db.url(), "--schema", dir.path() + "/schema.yaml"});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "renamed from \"purchases\""));
  CHECK_FALSE(contains(drift.output, "Unexpected"));
  const CommandResult middle = replan(db, dir);
  INFO(middle.output);
  CHECK(middle.exit_code == 2);
  CHECK(contains(dir.read("again.sql"), "DROP VIEW app.purchases"));
  const CommandResult contract = apply_phase(db, dir, "contract");
  INFO(contract.output);
  REQUIRE(contract.exit_code == 0);
  CHECK(db.scalar("SELECT to_regclass('app.purchases') IS NULL") == "t");
  CHECK(db.scalar("SELECT count(*) FROM app.orders") == "1002");
  CHECK(replan(db, dir).exit_code == 0);
}

TEST_CASE("the contract of a referencing column locks the referenced table first, so a writer "
          "that read it goes on with its inserts",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.orders (id integer PRIMARY KEY);"
          "CREATE TABLE app.payments (id integer PRIMARY KEY, "
          "  order_id integer NOT NULL REFERENCES app.orders (id));"
          "INSERT INTO app.orders SELECT generate_series(1, 1000);"
          "INSERT INTO app.payments SELECT g, g FROM generate_series(1, 1000) g;"
          "ANALYZE app.orders; ANALYZE app.payments");
  const TempDir dir;
  const CommandResult inspect =
      run_pgshift({"inspect", "--db", db.url(), "--only-schema", "app", "-o", dir.path() + "/now.yaml"});
  REQUIRE(inspect.exit_code == 0);
  std::string yaml = dir.read("now.yaml");
  const std::string from = "order_id: { type: integer, nullable: false }";
  const size_t at = yaml.find(from);
  INFO(yaml);
  REQUIRE(at != std::string::npos);
  yaml.replace(at, from.size(), "order_id: { type: bigint, nullable: false, expand_contract: true }");
  plan_json(db, dir, yaml);
  REQUIRE(apply_phase(db, dir, "expand").exit_code == 0);

  // The old column's foreign key goes with it: its triggers on orders are
  // removed under ACCESS EXCLUSIVE, taken before payments (the writers'
  // order), not as an upgrade while the writer waits for the step.
  pqxx::connection writer(db.url());
  pqxx::work tx(writer);
  tx.exec("SELECT count(*) FROM app.orders");
  CommandResult contract;
  std::thread apply([&] {
    contract = run_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/plan.json",
                            "--phase", "contract", "--yes", "--lock-timeout", "5s", "--retries",
                            "0"});
  });
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (db.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = "
                   "'app.orders'::regclass") == "0" &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  const auto started = std::chrono::steady_clock::now();
  std::string writer_error;
  try {
    tx.exec0("INSERT INTO app.orders VALUES (1001)");
    tx.exec0("INSERT INTO app.payments VALUES (1001, 1001)");
    tx.commit();
  } catch (const std::exception& e) {
    writer_error = e.what();  // in the other order: deadlock detected
  }
  const double writes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  apply.join();
  INFO(contract.output);
  CHECK(writer_error.empty());
  CHECK(writes < 0.5);
  CHECK(contract.exit_code == 0);
  CHECK(columns_of(db, "app.payments") == "id integer, order_id bigint");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.payments'::regclass "
                  "AND contype = 'f' AND convalidated") == "1");
  CHECK(db.scalar("SELECT sum(order_id) FROM app.payments") == (writer_error.empty() ? "501501" : "500500"));
}

TEST_CASE("a column retyped or renamed by expand/contract has its column grants from expand on "
          "and keeps them after contract",
          "[db][expand_contract]") {
  TestDatabase db;
  const std::string role = "pgshift_ec_reader";
  db.exec("DO $$BEGIN CREATE ROLE " + role +
          "; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$");
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.items (id integer PRIMARY KEY, price integer, label text);"
          "INSERT INTO app.items SELECT g, g, 'l' || g FROM generate_series(1, 500) g;"
          "GRANT USAGE ON SCHEMA app TO " + role + ";"
          "GRANT SELECT (price), UPDATE (price), SELECT (label) ON app.items TO " + role);
  const TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  app:
    tables:
      items:
        primary_key: [id]
        columns:
          id: { type: integer, nullable: false }
          price: { type: bigint, expand_contract: true }
          title: { type: text, renamed_from: label, expand_contract: true }
    privileges:
      - schema: app
        grants:
          - { to: pgshift_ec_reader, privileges: [USAGE] }
      - table: items
        column: price
        grants:
          - { to: pgshift_ec_reader, privileges: [SELECT, UPDATE] }
      - table: items
        column: title
        grants:
          - { to: pgshift_ec_reader, privileges: [SELECT] }
)yaml";
  const std::string json = plan_json(db, dir, yaml);
  INFO(json);
  auto holds = [&](const std::string& column, const std::string& privilege) {
    return db.scalar("SELECT has_column_privilege('" + role + "', 'app.items', '" + column +
                     "', '" + privilege + "')");
  };
  apply_phase_ok(db, dir, "expand");
  // The new columns are readable by the role as the old ones are: a reader
  // moved to the new name in the deploy between the phases keeps working.
  CHECK(holds("price_pgshift_new", "SELECT") == "t");
  CHECK(holds("price_pgshift_new", "UPDATE") == "t");
  CHECK(holds("title", "SELECT") == "t");
  CHECK(holds("title", "UPDATE") == "f");
  // Between the phases both sync triggers exist. A new plan plans the
  // contract only (before, each column's sync trigger was taken for a
  // user's trigger firing after the other's, the swap refused and the type
  // changed in place), and gives back a grant the new column lost.
  db.exec("REVOKE UPDATE (price_pgshift_new) ON app.items FROM " + role);
  const TempDir other;
  const std::string between = plan_json(db, other, yaml);
  INFO(between);
  CHECK(contains(between,
                 "GRANT UPDATE (price_pgshift_new) ON TABLE app.items TO pgshift_ec_reader"));
  CHECK_FALSE(contains(between, "change the type"));
  CHECK_FALSE(contains(between, "GRANT SELECT"));
  db.exec("GRANT UPDATE (price_pgshift_new) ON app.items TO " + role);
  apply_phase_ok(db, dir, "contract");
  CHECK(columns_of(db, "app.items") == "id integer, price bigint, title text");
  CHECK(holds("price", "SELECT") == "t");
  CHECK(holds("price", "UPDATE") == "t");
  CHECK(holds("title", "SELECT") == "t");
  CHECK(holds("id", "SELECT") == "f");
  const CommandResult again = replan(db, dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a column retyped by expand/contract has its storage, compression and statistics "
          "target on the new column before the backfill",
          "[db][expand_contract]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app;"
          "CREATE TABLE app.docs (id integer PRIMARY KEY, body varchar(50));"
          "ALTER TABLE app.docs ALTER COLUMN body SET STORAGE EXTERNAL;"
          "ALTER TABLE app.docs ALTER COLUMN body SET STATISTICS 500;"
          "INSERT INTO app.docs SELECT g, repeat('x', 40) FROM generate_series(1, 300) g");
  const bool compression = server_version_num(db) >= 140000;
  const TempDir dir;
  const std::string json = plan_json(db, dir, std::string(R"yaml(
schemas:
  app:
    tables:
      docs:
        primary_key: [id]
        columns:
          id: { type: integer, nullable: false }
          body:
            type: text
            storage: external
            statistics: 500
            expand_contract: true
)yaml") + (compression ? "            compression: pglz\n" : ""));
  INFO(json);
  auto setting = [&](const std::string& column, const std::string& what) {
    return db.scalar("SELECT " + what + " FROM pg_attribute WHERE attrelid = 'app.docs'::regclass "
                     "AND attname = '" + column + "'");
  };
  apply_phase_ok(db, dir, "expand");
  CHECK(setting("body_pgshift_new", "attstorage") == "e");
  CHECK(setting("body_pgshift_new", "attstattarget") == "500");
  if (compression) CHECK(setting("body_pgshift_new", "attcompression") == "p");
  apply_phase_ok(db, dir, "contract");
  CHECK(columns_of(db, "app.docs") == "id integer, body text");
  CHECK(setting("body", "attstorage") == "e");
  CHECK(setting("body", "attstattarget") == "500");
  const CommandResult again = replan(db, dir);
  INFO(again.output);
  CHECK(again.exit_code == 0);
}
