// The pgshift binary end to end on a real server: the exit codes and messages
// users and CI scripts rely on, and the round trip a team adopting pgshift
// goes through (YAML -> apply -> inspect -> YAML).
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
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
  const int version = server_version_num(db);
  if (version < 150000) {
    WARN("UNIQUE NULLS NOT DISTINCT exists from PostgreSQL 15: a plain UNIQUE on this server");
    replace_once(yaml, "- { columns: [email], nulls_not_distinct: true }", "- [email]");
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

  const auto inspected = run_pgshift({"inspect", "--db", first.url(), "-o", dir.path() + "/a.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);

  const auto rebuilt = run_pgshift({"apply", "--db", second.url(), "--schema", dir.path() + "/a.yaml",
                                "--yes", "--allow-hazard", "all"});
  INFO(rebuilt.output);
  REQUIRE(rebuilt.exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "-o", dir.path() + "/b.yaml"}).exit_code == 0);
  CHECK(dir.read("a.yaml") == dir.read("b.yaml"));

  // And the hand-written YAML plans nothing against what was built from it.
  const auto replanned = run_pgshift({"plan", "--db", first.url(), "--schema", every_kind});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);
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
  const auto result =
      run_pgshift({"inspect", "--db", "postgresql://app:s3cret@127.0.0.1:1/shop?connect_timeout=2"});
  CHECK(result.exit_code == 1);
  CHECK(contains(result.output, "host=127.0.0.1 port=1 dbname=shop user=app"));
  CHECK_FALSE(contains(result.output, "s3cret"));
}

TEST_CASE("plan exits 0 when in sync, 2 with a plan, 1 when a hazard is not allowed",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kOrdersSql);
  const std::string with_note = dir.write("with_note.yaml", orders_yaml("          note: text\n"));
  const std::string without_note = dir.write("without_note.yaml", orders_yaml(""));

  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", with_note}).exit_code == 0);

  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", without_note});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output,
                 "refused: step 1 (drop column \"note\" of table \"public.orders\") has hazard "
                 "data_loss; allow it with --allow-hazard data_loss"));

  const auto allowed = run_pgshift(
      {"plan", "--db", db.url(), "--schema", without_note, "--allow-hazard", "data_loss"});
  CHECK(allowed.exit_code == 2);
  CHECK(contains(allowed.output, "ALTER TABLE public.orders DROP COLUMN note;"));
  CHECK(db.scalar("SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'") ==
        "1");
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

TEST_CASE("every command has help, and an unknown command is an error", "[cli][db]") {
  for (const char* command : {"inspect", "plan", "apply", "drift", "version"}) {
    const auto result = run_pgshift({command, "--help"});
    INFO(command);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "Usage:"));
  }
  CHECK(run_pgshift({"--help"}).exit_code == 0);
  CHECK(run_pgshift({"frobnicate"}).exit_code != 0);
}
