// Which schemas pgshift manages: only those a desired state names. A desired
// state that names none is an error before any connection, never a plan that
// drops the database; extensions living in other schemas are left alone.
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

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

constexpr const char* kTwoTablesSql =
    "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);"
    "CREATE TABLE customers (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);"
    "INSERT INTO orders (note) SELECT 'n' || g FROM generate_series(1, 50) g";

}  // namespace

TEST_CASE("a desired state that names no schema is refused by every command and changes nothing",
          "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kTwoTablesSql);
  const std::vector<std::pair<std::string, std::string>> empties = {
      {"zero_bytes.yaml", ""},
      {"braces.yaml", "{}\n"},
      {"no_schemas.yaml", "schemas: {}\n"},
      {"comments.yaml", "# the schema lives elsewhere now\n# nothing here\n"},
      {"only_ignore.yaml", "ignore: [public.audit_*]\n"},
  };
  for (const auto& [file, text] : empties) {
    const std::string path = dir.write(file, text);
    for (const char* command : {"plan", "apply", "drift"}) {
      std::vector<std::string> args = {command, "--db", db.url(), "--schema", path};
      if (std::string(command) != "drift") {
        args.insert(args.end(), {"--allow-hazard", "data_loss"});
      }
      if (std::string(command) == "apply") args.push_back("--yes");
      const auto result = run_pgshift(args);
      INFO(file << " " << command << ": " << result.output);
      CHECK(result.exit_code == 1);
      CHECK(contains(result.output, "\"" + path + "\" names no schema"));
      CHECK_FALSE(contains(result.output, "DROP"));
    }
  }
  // An empty directory is its own error (no YAML files), also before any plan.
  const auto empty_dir = run_pgshift({"plan", "--db", db.url(), "--schema", dir.path() + "/none"});
  CHECK(empty_dir.exit_code == 1);

  CHECK(db.scalar("SELECT count(*) FROM orders") == "50");
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('orders', 'customers', "
                  "'orders_id_seq')") == "3");
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == "1");
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
}

TEST_CASE("an extension installed in a schema the desired state does not name is never dropped",
          "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  if (db.scalar("SELECT count(*) FROM pg_available_extensions WHERE name = 'citext'") != "1") {
    WARN("citext is not available on this server: nothing to check");
    return;
  }
  db.exec("CREATE SCHEMA extensions; CREATE EXTENSION citext WITH SCHEMA extensions;"
          "CREATE SCHEMA app; CREATE TABLE app.t (id integer)");
  const std::string path = dir.write("app.yaml", R"yaml(
schemas:
  app:
    tables:
      t:
        columns:
          id: integer
)yaml");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK_FALSE(contains(planned.output, "EXTENSION"));

  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citext'") == "1");
}

TEST_CASE("a schema listed in drop_schemas is dropped with its tables, each step with data_loss",
          "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE SCHEMA legacy; CREATE TABLE legacy.reports (id integer PRIMARY KEY);"
          "CREATE VIEW legacy.recent AS SELECT id FROM legacy.reports;"
          "CREATE TABLE public.kept (id integer)");
  const std::string path = dir.write("drop.yaml", R"yaml(
drop_schemas: [legacy]
schemas:
  public:
    tables:
      kept:
        columns:
          id: integer
)yaml");
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "drop schema \"legacy\") has hazard data_loss"));
  CHECK(contains(refused.output, "drop table \"legacy.reports\") has hazard data_loss"));
  CHECK_FALSE(contains(refused.output, "empties_schema"));

  const auto applied = run_pgshift(
      {"apply", "--db", db.url(), "--schema", path, "--yes", "--allow-hazard", "data_loss"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'legacy'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'kept'") == "1");
}

TEST_CASE("a schema the desired state leaves out is neither read, planned nor dropped",
          "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE SCHEMA legacy; CREATE TABLE legacy.reports (id integer);"
          "CREATE TABLE public.kept (id integer)");
  const std::string path = dir.write("public.yaml", R"yaml(
schemas:
  public:
    tables:
      kept:
        columns:
          id: integer
)yaml");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", path, "--allow-hazard", "all"});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK_FALSE(contains(planned.output, "legacy"));
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  CHECK_FALSE(contains(drift.output, "legacy"));
}

TEST_CASE("dropping every table of a managed schema needs empties_schema, not only data_loss",
          "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE a (id integer); CREATE TABLE b (id integer);"
          "INSERT INTO a VALUES (1), (2)");
  const std::string path = dir.write("emptied.yaml", "schemas:\n  public: {}\n");

  const auto refused = run_pgshift(
      {"apply", "--db", db.url(), "--schema", path, "--yes", "--allow-hazard", "data_loss"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "the plan drops every table of schema \"public\" (2 tables)"));
  CHECK(contains(refused.output, "drop table \"public.a\") has hazard empties_schema"));
  CHECK(db.scalar("SELECT count(*) FROM a") == "2");

  // One table kept is an ordinary drop of the other: data_loss is enough.
  const std::string one_kept = dir.write("one_kept.yaml", R"yaml(
schemas:
  public:
    tables:
      a:
        columns:
          id: integer
)yaml");
  const auto dropped_b = run_pgshift(
      {"apply", "--db", db.url(), "--schema", one_kept, "--yes", "--allow-hazard", "data_loss"});
  INFO(dropped_b.output);
  CHECK(dropped_b.exit_code == 0);
  CHECK_FALSE(contains(dropped_b.output, "empties_schema"));

  const auto emptied = run_pgshift({"apply", "--db", db.url(), "--schema", path, "--yes",
                                    "--allow-hazard", "data_loss", "--allow-hazard",
                                    "empties_schema"});
  INFO(emptied.output);
  CHECK(emptied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('a', 'b')") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'") == "1");
}

TEST_CASE(
    "an ignored key that a foreign key references is still built for the desired state, "
    "and neither planned nor reported",
    "[cli][db][scope]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE TABLE accounts (id integer PRIMARY KEY, code text CONSTRAINT accounts_code_key "
      "UNIQUE);"
      "CREATE TABLE entries (account_id integer REFERENCES accounts (id), "
      "code text REFERENCES accounts (code));");
  // The desired state defines both keys the foreign keys need; the patterns
  // say another tool manages them. The scratch database builds them anyway
  // (before, the plan failed: "there is no unique constraint matching given
  // keys"), and the plan leaves them alone.
  const std::string both = dir.write("both.yaml", R"yaml(
ignore: [constraint:public.accounts_pkey, constraint:public.accounts_code_key]
schemas:
  public:
    tables:
      accounts:
        columns:
          id: { type: integer, nullable: false }
          code: text
        primary_key: [id]
        unique:
          - [code]
      entries:
        columns:
          account_id: integer
          code: text
        foreign_keys:
          - { columns: [account_id], references: accounts(id) }
          - { columns: [code], references: accounts(code) }
)yaml");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", both});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, "nothing to do"));

  // Without the keys in the desired state, an ignored key is not dropped.
  db.exec(
      "ALTER TABLE entries DROP CONSTRAINT entries_account_id_fkey, "
      "DROP CONSTRAINT entries_code_fkey");
  const std::string without = dir.write("without.yaml", R"yaml(
ignore: [constraint:public.accounts_*]
schemas:
  public:
    tables:
      accounts:
        columns:
          id: { type: integer, nullable: false }
          code: text
      entries:
        columns:
          account_id: integer
          code: text
)yaml");
  const auto kept = run_pgshift({"plan", "--db", db.url(), "--schema", without});
  INFO(kept.output);
  CHECK(kept.exit_code == 0);
  CHECK_FALSE(contains(kept.output, "DROP CONSTRAINT"));
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", without});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}
