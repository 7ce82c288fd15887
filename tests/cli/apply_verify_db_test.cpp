// `pgshift apply --plan` trusts the schema, not the journal, and applies only
// the plan that was reviewed: a forged or stale journal fails verification, a
// plan file edited after review is refused by --expect-hash.
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

constexpr const char* kTableSql =
    "CREATE TABLE t (id bigint PRIMARY KEY, payload text NOT NULL);"
    "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;"
    "CREATE TABLE sentinel (id int);"
    "ANALYZE t";

// t with a new column, an index and a check: several steps.
constexpr const char* kDesiredYaml = R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          payload: { type: text, nullable: false }
          note: text
        indexes:
          t_payload_idx: { columns: [payload] }
        checks:
          t_payload_len: length(payload) = 32
      sentinel:
        columns:
          id: integer
)yaml";

constexpr const char* kChecksum =
    "SELECT count(*) || ':' || md5(string_agg(id || ':' || payload, ',' ORDER BY id)) FROM t";

// `pgshift plan --format json` of kDesiredYaml into dir/plan.json; returns its path.
std::string plan_json(const TestDatabase& db, const TempDir& dir) {
  const std::string yaml = dir.write("schema.yaml", kDesiredYaml);
  const std::string path = dir.path() + "/plan.json";
  const auto planned = run_pgshift(
      {"plan", "--db", db.url(), "--schema", yaml, "--format", "json", "-o", path});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  return path;
}

// The "plan hash: `sha256:...`" of the Markdown rendering of the same plan.
std::string reviewed_hash(const TestDatabase& db, const TempDir& dir) {
  const auto markdown = run_pgshift({"plan", "--db", db.url(), "--schema",
                                     dir.path() + "/schema.yaml", "--format", "markdown"});
  REQUIRE(markdown.exit_code == 0);
  const std::string word = "plan hash: `";
  const size_t at = markdown.output.find(word);
  REQUIRE(at != std::string::npos);
  const size_t end = markdown.output.find('`', at + word.size());
  REQUIRE(end != std::string::npos);
  const std::string hash = markdown.output.substr(at + word.size(), end - at - word.size());
  REQUIRE(hash.size() == 7 + 64);
  return hash;
}

// The journal's key for a plan file, from a dry run's first line
// ("dry run: plan <hash> (N steps) on ...").
std::string journal_key(const std::string& plan_path, const TestDatabase& db) {
  const auto dry = run_pgshift({"apply", "--db", db.url(), "--plan", plan_path, "--dry-run"});
  INFO(dry.output);
  REQUIRE(dry.exit_code == 0);
  const std::string word = "dry run: plan ";
  const size_t at = dry.output.find(word);
  REQUIRE(at != std::string::npos);
  return dry.output.substr(at + word.size(), 16);
}

// Creates the journal tables as a first apply does (the applier, and the
// dry run of journal_key, add its newer columns).
void create_journal(const TestDatabase& db) {
  db.exec(
      "CREATE SCHEMA _pgshift;"
      "CREATE TABLE _pgshift.apply_runs (plan_hash text PRIMARY KEY, fingerprint text NOT NULL,"
      " steps integer NOT NULL, started_at timestamptz NOT NULL DEFAULT now(),"
      " finished_at timestamptz);"
      "CREATE TABLE _pgshift.apply_steps (plan_hash text NOT NULL REFERENCES _pgshift.apply_runs,"
      " step_id integer NOT NULL, summary text NOT NULL, duration_ms bigint NOT NULL,"
      " finished_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (plan_hash, step_id));"
      "CREATE TABLE _pgshift.apply_backfills (plan_hash text NOT NULL REFERENCES"
      " _pgshift.apply_runs, step_id integer NOT NULL, next_key bigint NOT NULL,"
      " upper_key bigint NOT NULL, rows_done bigint NOT NULL,"
      " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (plan_hash, step_id))");
}

// Records step `step` of the plan file `plan_path` as done by an earlier
// run, in a journal made as a first apply makes it.
void forge_step_done(const TestDatabase& db, const std::string& plan_path, int step) {
  create_journal(db);
  const std::string key = journal_key(plan_path, db);
  db.exec("INSERT INTO _pgshift.apply_runs (plan_hash, fingerprint, steps) VALUES ('" + key +
          "', 'forged', 99);"
          "INSERT INTO _pgshift.apply_steps (plan_hash, step_id, summary, duration_ms) "
          "VALUES ('" + key + "', " + std::to_string(step) + ", 'forged', 0)");
}

}  // namespace

TEST_CASE("an owner the plan sets but a forged journal skipped fails verification, naming it",
          "[cli][db][owners]") {
  TestDatabase db;
  db.exec("DO $$BEGIN CREATE ROLE pgshift_verify_owner; "
          "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END$$");
  db.exec("CREATE TABLE owned (id bigint PRIMARY KEY)");
  const TempDir dir;
  const std::string yaml = dir.write("owned.yaml", R"yaml(
manage_owners: true
schemas:
  public:
    tables:
      owned:
        owner: pgshift_verify_owner
        columns:
          id: { type: bigint, nullable: false }
        primary_key: [id]
)yaml");
  const std::string plan = dir.path() + "/plan.json";
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--format", "json", "-o", plan,
                   "--allow-hazard", "all"});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  INFO(dir.read("plan.json"));
  REQUIRE(contains(dir.read("plan.json"), "ALTER TABLE public.owned OWNER TO "
                                          "pgshift_verify_owner"));
  CHECK(contains(dir.read("plan.json"), "\"target_owners\""));
  // The OWNER TO step (the plan's only one) recorded as done, never run: the
  // fingerprint, which leaves owners out, matches; the owners do not.
  forge_step_done(db, plan, 1);
  const auto skipped = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
  INFO(skipped.output);
  CHECK(skipped.exit_code == 1);
  CHECK(contains(skipped.output, "verification failed:"));
  CHECK(contains(skipped.output, "table \"public.owned\" is owned by " +
                                     db.scalar("SELECT current_user") +
                                     ", the plan's target is pgshift_verify_owner"));
  CHECK_FALSE(contains(skipped.output, "catalog fingerprint"));
  // Run for real: verified.
  db.exec("DELETE FROM _pgshift.apply_steps; DELETE FROM _pgshift.apply_runs");
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "verified: the schema is the plan's target"));
  CHECK(db.scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'owned'") ==
        "pgshift_verify_owner");
}

TEST_CASE("rows forged into the journal make apply skip steps, and verification fails",
          "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  const std::string checksum = db.scalar(kChecksum);
  const TempDir dir;
  const std::string plan = plan_json(db, dir);
  // Step 1 (add column "note") recorded as done by an earlier run; the
  // later steps do not need it, so they run.
  forge_step_done(db, plan, 1);

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});

  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "verification failed:"));
  CHECK(contains(applied.output, "the schema is not the one the plan produces (catalog "
                                 "fingerprint "));
  CHECK(contains(applied.output, "step 1 of 4 (add column \"note\" of table \"public.t\") was "
                                 "skipped because the journal records it as done by an "
                                 "earlier run"));
  CHECK_FALSE(contains(applied.output, "verified:"));
  CHECK(db.scalar("SELECT finished_at IS NULL FROM _pgshift.apply_runs") == "t");
  CHECK(db.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'note'") == "0");
  CHECK(db.scalar(kChecksum) == checksum);
}

TEST_CASE("a finished journal does not verify a schema changed since", "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  const TempDir dir;
  const std::string plan = plan_json(db, dir);
  const auto first = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  CHECK(contains(first.output, "verified: the schema is the plan's target, every step done"));

  db.exec("DROP INDEX t_payload_idx");
  const auto again = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});

  INFO(again.output);
  CHECK(again.exit_code == 1);
  CHECK(contains(again.output, "checking finished plan"));
  CHECK(contains(again.output,
                 "this plan was applied in full by an earlier run, and the schema has changed "
                 "since: the schema is not the one the plan produces"));
  CHECK(contains(again.output, "nothing was run: to change the database as it is now, plan again"));
  // Its steps were done by that run, not forged: no step is listed as skipped.
  CHECK_FALSE(contains(again.output, "was skipped because the journal records it"));
  CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 't_payload_idx'") == "0");
}

TEST_CASE("a finished plan applied again after its changes were undone by hand runs again from "
          "its first step",
          "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  const std::string checksum = db.scalar(kChecksum);
  const TempDir dir;
  const std::string plan = plan_json(db, dir);
  REQUIRE(run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"}).exit_code == 0);
  // Undone out of band: the catalog is the plan's start again.
  db.exec("ALTER TABLE t DROP CONSTRAINT t_payload_len; DROP INDEX t_payload_idx; "
          "ALTER TABLE t DROP COLUMN note");
  const auto dry = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--dry-run"});
  INFO(dry.output);
  CHECK(dry.exit_code == 0);
  CHECK(contains(dry.output, "finished earlier, but the catalog is back at the one it was made "
                             "from"));
  CHECK_FALSE(contains(dry.output, "already done"));

  const auto again = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});

  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.output, "its journal is forgotten and the plan runs again"));
  CHECK_FALSE(contains(again.output, "already done"));
  CHECK(contains(again.output, "verified: the schema is the plan's target, every step done"));
  CHECK(db.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'note'") == "1");
  CHECK(db.scalar("SELECT finished_at IS NOT NULL FROM _pgshift.apply_runs") == "t");
  CHECK(db.scalar("SELECT count(*) FROM _pgshift.apply_steps") ==
        db.scalar("SELECT steps::text FROM _pgshift.apply_runs"));
  CHECK(db.scalar(kChecksum) == checksum);
  // Finished and not undone: checked, nothing run.
  const auto third = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});
  INFO(third.output);
  CHECK(third.exit_code == 0);
  CHECK(contains(third.output, "checking finished plan"));
  CHECK_FALSE(contains(third.output, "runs again"));
}

TEST_CASE("a plan file edited after review is refused by --expect-hash and changes nothing",
          "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  const std::string checksum = db.scalar(kChecksum);
  const TempDir dir;
  const std::string plan = plan_json(db, dir);
  const std::string hash = reviewed_hash(db, dir);
  std::string text = dir.read("plan.json");
  const std::string statements = "\"statements\": [";
  const size_t at = text.find(statements);
  REQUIRE(at != std::string::npos);
  text.insert(at + statements.size(), "\n        \"DROP TABLE public.sentinel\",");
  const std::string edited = dir.write("edited.json", text);

  const auto refused =
      run_pgshift({"apply", "--db", db.url(), "--plan", edited, "--expect-hash", hash, "--yes"});

  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "plan file \"" + edited + "\" has hash sha256:"));
  CHECK(contains(refused.output, ", not " + hash +
                                     " (--expect-hash): it is not the plan that was reviewed; "
                                     "nothing was applied"));
  CHECK(db.scalar("SELECT to_regclass('public.sentinel') IS NOT NULL") == "t");
  CHECK(db.scalar("SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass "
                  "AND attname = 'note'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
  CHECK(db.scalar(kChecksum) == checksum);

  // The reviewed file itself, pinned by the same hash, applies and verifies.
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--expect-hash", hash, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar(kChecksum) == checksum);
}

TEST_CASE("a plan file without a target fingerprint is refused", "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  const TempDir dir;
  plan_json(db, dir);
  std::string text = dir.read("plan.json");
  const size_t at = text.find("  \"target_fingerprint\": ");
  REQUIRE(at != std::string::npos);
  text.erase(at, text.find('\n', at) + 1 - at);
  const std::string old = dir.write("old.json", text);

  const auto refused = run_pgshift({"apply", "--db", db.url(), "--plan", old, "--yes"});

  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "plan file \"" + old +
                                     "\" has no target_fingerprint (made by an older pgshift), "
                                     "so its result cannot be verified against the schema; "
                                     "plan again"));
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
}

TEST_CASE("an index redefined under a temporary name verifies once renamed", "[cli][db]") {
  TestDatabase db;
  db.exec(kTableSql);
  db.exec("CREATE INDEX t_payload_idx ON t (payload)");
  const TempDir dir;
  const std::string yaml = dir.write("schema.yaml", R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: bigint
          payload: { type: text, nullable: false }
        indexes:
          t_payload_idx: { columns: [payload], where: "id > 0" }
      sentinel:
        columns:
          id: integer
)yaml");
  const std::string plan = dir.path() + "/plan.json";
  const auto planned = run_pgshift(
      {"plan", "--db", db.url(), "--schema", yaml, "--format", "json", "-o", plan});
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(contains(dir.read("plan.json"), "_pgshift_new"));

  const auto applied = run_pgshift({"apply", "--db", db.url(), "--plan", plan, "--yes"});

  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(contains(applied.output, "verified: the schema is the plan's target"));
  CHECK(db.scalar("SELECT pg_get_indexdef('t_payload_idx'::regclass) LIKE '%WHERE (id > 0)'") ==
        "t");
}
