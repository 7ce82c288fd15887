// Never silent, through the binary: objects pgshift does not model are named by
// inspect (stderr), plan (a warning diagnostic in every rendering) and drift;
// --strict makes plan and drift refuse.
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

// A table pgshift models, with a rule and a publication membership it does not.
constexpr const char* kUnmodelledSql =
    "CREATE TABLE t (id int PRIMARY KEY, owner text);"
    "CREATE RULE t_keep AS ON DELETE TO t DO INSTEAD NOTHING;"
    "CREATE PUBLICATION t_pub FOR TABLE t";

constexpr const char* kTableYaml = R"yaml(
schemas:
  public:
    tables:
      t:
        primary_key: [id]
        columns:
          id: integer
          owner: text
)yaml";

const char* const kRuleText = "rule \"t_keep\" on \"public.t\" (ON DELETE)";

TEST_CASE("inspect warns on stderr about each object it cannot write, and exits 0",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kUnmodelledSql);
  const auto result = run_pgshift({"inspect", "--db", db.url(), "-o", dir.path() + "/s.yaml"});
  INFO(result.output);
  CHECK(result.exit_code == 0);
  CHECK(contains(result.output, std::string("pgshift inspect: warning: ") + kRuleText +
                                    " is not modelled by pgshift and is not in the YAML"));
  CHECK(contains(result.output,
                 "pgshift inspect: warning: publication membership \"t_pub\" on \"public.t\""));
  const std::string yaml = dir.read("s.yaml");
  CHECK(contains(yaml, "owner"));
  CHECK_FALSE(contains(yaml, "t_keep"));
}

TEST_CASE("plan carries a warning per unmodelled object in every rendering and --strict refuses",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kUnmodelledSql);
  const std::string yaml = dir.write("t.yaml", kTableYaml);
  const std::string warning =
      std::string("the database has ") + kRuleText + ", which pgshift does not model";

  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", yaml});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, "pgshift plan: warning: " + warning));
  for (const char* file : {"plan.json", "plan.md", "plan.sql"}) {
    REQUIRE(run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "-o",
                         dir.path() + "/" + file})
                .exit_code == 0);
    const std::string text = dir.read(file);
    INFO(file << ": " << text);
    // Each rendering escapes names its own way (JSON quotes, Markdown's _).
    CHECK(contains(text, "the database has rule "));
    CHECK(contains(text, "(ON DELETE), which pgshift does not model"));
  }

  const auto strict = run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--strict",
                                   "-o", dir.path() + "/strict.json"});
  INFO(strict.output);
  CHECK(strict.exit_code == 1);
  CHECK(contains(strict.output, "pgshift plan: error: refused: " + warning + " (--strict)"));
  CHECK(contains(strict.output, "pgshift plan: refused"));
  // The refused plan file cannot be applied.
  const auto applied =
      run_pgshift({"apply", "--db", db.url(), "--plan", dir.path() + "/strict.json", "--yes"});
  CHECK(applied.exit_code == 1);
  // apply --schema --strict refuses the same way; with a saved plan it is a usage error.
  const std::string fingerprint = db.scalar("SELECT count(*) FROM pg_class");
  const auto strict_apply =
      run_pgshift({"apply", "--db", db.url(), "--schema", yaml, "--strict", "--yes"});
  INFO(strict_apply.output);
  CHECK(strict_apply.exit_code == 1);
  CHECK(contains(strict_apply.output, "pgshift apply: error: refused: " + warning + " (--strict)"));
  CHECK(db.scalar("SELECT count(*) FROM pg_class") == fingerprint);
  const auto strict_saved = run_pgshift(
      {"apply", "--db", db.url(), "--plan", dir.path() + "/strict.json", "--strict", "--yes"});
  CHECK(strict_saved.exit_code == 64);
  CHECK(contains(strict_saved.output, "--strict is for apply --schema"));

  // An ignored table takes what hangs on it along.
  const auto ignored =
      run_pgshift({"plan", "--db", db.url(), "--schema", yaml, "--strict", "--ignore", "public.t"});
  INFO(ignored.output);
  CHECK(ignored.exit_code == 0);
  CHECK_FALSE(contains(ignored.output, "does not model"));
}

TEST_CASE("drift lists unmodelled objects as warnings and with --strict they are drift (exit 2)",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kUnmodelledSql);
  const std::string yaml = dir.write("t.yaml", kTableYaml);

  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", yaml});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  CHECK(contains(drift.output, std::string("warning: the database has ") + kRuleText));
  CHECK(contains(drift.output, "the database matches the schema; see the warnings below"));
  const auto markdown =
      run_pgshift({"drift", "--db", db.url(), "--schema", yaml, "--format", "markdown"});
  INFO(markdown.output);
  CHECK(markdown.exit_code == 0);
  CHECK(contains(markdown.output, "**No drift**"));
  CHECK(contains(markdown.output, "- **warning**: the database has rule "));

  const auto strict = run_pgshift({"drift", "--db", db.url(), "--schema", yaml, "--strict",
                                   "--format", "json"});
  INFO(strict.output);
  CHECK(strict.exit_code == 2);
  CHECK(contains(strict.output, "\"severity\": \"error\""));
  CHECK(contains(strict.output, std::string("refused: the database has ") +
                                    "rule \\\"t_keep\\\" on \\\"public.t\\\""));

  db.exec("DROP RULE t_keep ON t; DROP PUBLICATION t_pub");
  const auto clean = run_pgshift({"drift", "--db", db.url(), "--schema", yaml, "--strict"});
  INFO(clean.output);
  CHECK(clean.exit_code == 0);
}

TEST_CASE("SQL files that create an unmodelled object are warned about: no plan creates it",
          "[cli][db]") {
  TestDatabase db;
  TempDir dir;
  db.exec("CREATE TABLE t (id int PRIMARY KEY, owner text)");
  const std::string sql = dir.write(
      "schema.sql",
      "CREATE TABLE public.t (id int PRIMARY KEY, owner text);\n"
      "CREATE RULE t_keep AS ON DELETE TO public.t DO INSTEAD NOTHING;\n");
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", sql});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);
  CHECK(contains(planned.output, std::string("pgshift plan: warning: the desired state has ") +
                                     kRuleText +
                                     ", which pgshift does not model and no plan creates"));
  CHECK(run_pgshift({"plan", "--db", db.url(), "--schema", sql, "--strict"}).exit_code == 1);
}

}  // namespace
