#include "lint/lint.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "planner/statements.hpp"

namespace {

namespace fs = std::filesystem;
using pgshift::lint::lint_file;
using pgshift::lint::Options;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The ```sql blocks of a Markdown plan, joined.
std::string sql_blocks(const std::string& markdown) {
  std::string sql;
  size_t at = 0;
  const std::string open = "```sql\n";
  while ((at = markdown.find(open, at)) != std::string::npos) {
    const size_t start = at + open.size();
    const size_t end = markdown.find("```", start);
    REQUIRE(end != std::string::npos);
    sql += markdown.substr(start, end - start);
    at = end + 3;
  }
  return sql;
}

std::string text_of(const std::string& path, const std::string& sql, const Options& options = {}) {
  return pgshift::lint::render_text({lint_file(path, sql, options)});
}

}  // namespace

TEST_CASE("a plain CREATE INDEX is reported with its lock, what it blocks and CONCURRENTLY",
          "[lint]") {
  CHECK(text_of("m.sql", "SET lock_timeout = '1s';\nCREATE INDEX orders_c_idx ON orders (c);\n") ==
        "m.sql:2:1: CREATE INDEX orders_c_idx ON orders (c);\n"
        "  judged as: create_index; blocking_scan\n"
        "  locks: SHARE on public.orders (blocks writes (INSERT, UPDATE, DELETE) and DDL; reads go "
        "on)\n"
        "  warning[index-not-concurrent]: CREATE INDEX \"orders_c_idx\" without CONCURRENTLY "
        "holds SHARE on \"public.orders\" while it scans the whole table: blocks writes (INSERT, "
        "UPDATE, DELETE) and DDL; reads go on\n"
        "    instead:\n"
        "      CREATE INDEX CONCURRENTLY orders_c_idx ON orders (c);  -- outside a transaction "
        "block\n"
        "      -- rule 8: CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE: reads and "
        "writes go on\n"
        "1 file, 1 finding\n");
}

TEST_CASE("a syntax error is reported at its file, line and column with a caret", "[lint]") {
  const auto report = lint_file("bad.sql", "SELECT 1;\nALTER TABLE t ADD COLUMN;\n", Options{});
  REQUIRE(report.error);
  CHECK(pgshift::lint::render_text({report}) ==
        "bad.sql:2:25: error: syntax error at or near \";\"\n"
        "  ALTER TABLE t ADD COLUMN;\n"
        "                          ^\n"
        "1 file, 0 findings, 1 error\n");
  CHECK(pgshift::lint::has_errors({report}));
}

TEST_CASE("findings become GitHub warning annotations at the statement's position", "[lint]") {
  const auto report =
      lint_file("db/001.sql", "SET lock_timeout = '1s';\n\n  DROP TABLE old;\n", Options{});
  CHECK(pgshift::lint::render_github({report}) ==
        "::warning file=db/001.sql,line=3,col=3,title=pgshift lint drop-table::DROP TABLE "
        "\"public.old\" removes data or a definition for good (data_loss)%0AInstead:%0A-- pgshift "
        "drops only with --allow-hazard data_loss; make sure nothing uses it, and keep a "
        "backup\n");
  const auto broken = lint_file("a,b.sql", "ALTER TABLE;\n", Options{});
  CHECK(pgshift::lint::render_github({broken}) ==
        "::error file=a%2Cb.sql,line=1,col=12,title=pgshift lint%3A syntax error::syntax error at "
        "or near \";\"\n");
}

TEST_CASE("the JSON report carries locks, blocks, duration, hazards and findings", "[lint]") {
  const auto report = lint_file(
      "m.sql", "ALTER TABLE payments ADD CONSTRAINT p_fk FOREIGN KEY (o) REFERENCES orders (id);\n",
      Options{});
  const auto json = nlohmann::json::parse(pgshift::lint::render_json({report}));
  CHECK(json["findings"] == 2);
  const auto& statement = json["files"][0]["statements"][0];
  CHECK(statement["kinds"] == nlohmann::json::array({"add_foreign_key"}));
  CHECK(statement["duration"] == "blocking_scan");
  CHECK(statement["locks"][0]["relation"] == "payments");
  CHECK(statement["locks"][0]["mode"] == "SHARE ROW EXCLUSIVE");
  CHECK(statement["locks"][1]["relation"] == "orders");
  CHECK(statement["locks"][1]["mode"] == "SHARE ROW EXCLUSIVE");
  CHECK(statement["findings"][0]["rule"] == "constraint-not-valid");
  CHECK(statement["findings"][0]["alternative"][1] ==
        "ALTER TABLE public.payments VALIDATE CONSTRAINT p_fk;");
  CHECK(statement["findings"][1]["rule"] == "missing-lock-timeout");
}

TEST_CASE("locks and durations are the statement table's rows, version by version", "[lint]") {
  using pgshift::planner::Statement;
  struct Case {
    std::string sql;
    Statement kind;
  };
  const std::vector<Case> cases = {
      {"CREATE INDEX i ON t (a);", Statement::CreateIndex},
      {"CREATE INDEX CONCURRENTLY i ON t (a);", Statement::CreateIndexConcurrently},
      {"ALTER TABLE t ADD COLUMN a int;", Statement::AddColumn},
      {"ALTER TABLE t ALTER COLUMN a SET NOT NULL;", Statement::SetNotNull},
      {"ALTER TABLE t VALIDATE CONSTRAINT c;", Statement::ValidateCheck},
      {"ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;", Statement::AddCheckNotValid},
      {"ALTER TABLE t ADD CONSTRAINT c UNIQUE USING INDEX i;", Statement::AddKeyUsingIndex},
      {"ALTER TABLE t RENAME COLUMN a TO b;", Statement::RenameColumn},
      {"ALTER TABLE t ALTER COLUMN a TYPE bigint;", Statement::AlterColumnTypeRewrite},
      {"CREATE TRIGGER g AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();",
       Statement::CreateTrigger},
      {"COMMENT ON TABLE t IS 'x';", Statement::CommentOnRelation},
      {"ALTER TABLE t SET UNLOGGED;", Statement::SetUnlogged},
      {"ALTER TABLE t SET LOGGED;", Statement::SetLogged},
      {"ALTER TABLE t ALTER COLUMN v SET STORAGE EXTERNAL;", Statement::SetColumnStorage},
      {"ALTER TABLE t ALTER COLUMN v SET COMPRESSION lz4;", Statement::SetColumnCompression},
      {"ALTER TABLE t ALTER COLUMN v SET STATISTICS 500;", Statement::SetColumnStatistics},
      {"ALTER TABLE t SET (fillfactor = 70, toast.autovacuum_enabled = false);",
       Statement::SetStorageParameters},
      {"ALTER TABLE t RESET (user_catalog_table);", Statement::SetStorageParametersExclusive},
      {"ALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (during WITH &&);",
       Statement::AddExclusionConstraint},
      {"ALTER TABLE t ENABLE ALWAYS TRIGGER g;", Statement::SetTriggerFiring},
      {"ALTER TABLE t ENABLE TRIGGER ALL;", Statement::SetTriggerFiring},
      {"ALTER TABLE t DISABLE TRIGGER g;", Statement::NarrowTriggerFiring},
      {"ALTER TABLE t ENABLE REPLICA TRIGGER g;", Statement::NarrowTriggerFiring},
      {"ALTER TABLE t DISABLE TRIGGER ALL;", Statement::NarrowTriggerFiring},
  };
  for (const int version : {110000, 150000}) {
    for (const auto& test_case : cases) {
      INFO(test_case.sql << " on " << version);
      Options options;
      options.server_version_num = version;
      const auto report = lint_file("m.sql", test_case.sql, options);
      REQUIRE(report.statements.size() == 1);
      const auto& statement = report.statements[0];
      auto row = pgshift::planner::statement_row(test_case.kind, version);
      // The other table of a foreign key on the column (ALTER COLUMN TYPE):
      // none here, so no lock on it.
      row.locks.erase(std::remove_if(row.locks.begin(), row.locks.end(),
                                     [](const pgshift::planner::TargetLock& lock) {
                                       return lock.target == pgshift::planner::Target::Referenced;
                                     }),
                      row.locks.end());
      CHECK(statement.kinds ==
            std::vector<std::string>{pgshift::planner::statement_name(test_case.kind)});
      REQUIRE(statement.locks.size() == row.locks.size());
      for (size_t idx = 0; idx < row.locks.size(); ++idx) {
        CHECK(statement.locks[idx].mode == row.locks[idx].mode);
      }
      CHECK(statement.duration == row.duration);
      CHECK(statement.transactional == row.transactional);
      CHECK(statement.hazards == row.hazards);
    }
  }
}

TEST_CASE("pgshift's own golden SQL and Markdown plans lint clean", "[lint]") {
  const fs::path golden = PGSHIFT_GOLDEN_DIR;
  for (const auto& [name, sql] :
       std::vector<std::pair<std::string, std::string>>{
           {"small_plan.sql", read(golden / "small_plan.sql")},
           {"small_plan.md", sql_blocks(read(golden / "small_plan.md"))}}) {
    const auto report = lint_file(name, sql, Options{});
    INFO(pgshift::lint::render_text({report}));
    CHECK_FALSE(report.error);
    CHECK(pgshift::lint::finding_count({report}) == 0);
    CHECK(report.skipped_meta_commands.empty());
    // The plan's statements were judged, not skipped: the SET NOT NULL after
    // its validated helper CHECK is the scan-free kind.
    bool proved = false;
    for (const auto& statement : report.statements) {
      for (const auto& kind : statement.kinds) proved = proved || kind == "set_not_null_proved_by_check";
    }
    CHECK(proved);
  }
}

TEST_CASE("the examples' plans lint clean", "[lint]") {
  size_t plans = 0;
  for (const auto& entry : fs::directory_iterator(PGSHIFT_MIGRATIONS_DIR)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 8 || name.substr(name.size() - 8) != ".plan.md") continue;
    const auto report = lint_file(name, sql_blocks(read(entry.path())), Options{});
    INFO(pgshift::lint::render_text({report}));
    CHECK_FALSE(report.error);
    CHECK(pgshift::lint::finding_count({report}) == 0);
    ++plans;
  }
  CHECK(plans == 8);
}

TEST_CASE("a plan step that declares no hazard still gets its drop reported", "[lint]") {
  const std::string sql =
      "-- hazards: none\nSET lock_timeout = '200ms';\nBEGIN;\nALTER TABLE t DROP COLUMN a;\n"
      "COMMIT;\n";
  const auto report = lint_file("p.sql", sql, Options{});
  REQUIRE(pgshift::lint::finding_count({report}) == 1);
  CHECK(report.statements[2].findings[0].rule == "drop-column");
}

TEST_CASE("a disabled rule is not reported, the others are", "[lint]") {
  Options options;
  options.disabled_rules = {"missing-lock-timeout"};
  const auto report = lint_file("m.sql", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n", options);
  REQUIRE(report.statements.size() == 1);
  REQUIRE(report.statements[0].findings.size() == 1);
  CHECK(report.statements[0].findings[0].rule == "set-not-null");
}

TEST_CASE("psql meta-commands are skipped and listed, positions stay the file's", "[lint]") {
  const auto report = lint_file(
      "m.sql", "\\set ON_ERROR_STOP on\nSET lock_timeout = '1s';\nCREATE INDEX i ON t (a);\n",
      Options{});
  CHECK_FALSE(report.error);
  CHECK(report.skipped_meta_commands == std::vector<int>{1});
  REQUIRE(report.statements.size() == 2);
  CHECK(report.statements[1].line == 3);
  CHECK(pgshift::lint::render_text({report}).find(
            "m.sql:1: note: psql meta-command skipped") == 0);
}

TEST_CASE("every rule is documented in lint/RULES.md under its name", "[lint]") {
  const std::string doc = read(PGSHIFT_LINT_RULES_MD);
  for (const auto& rule : pgshift::lint::all_rules()) {
    INFO(rule.name);
    CHECK(doc.find(std::string("`") + rule.name + "`") != std::string::npos);
  }
}

TEST_CASE("the names a file uses are what --db reads, qualified, without what it creates",
          "[lint]") {
  const auto names = pgshift::lint::names_in(
      "CREATE TABLE n (id int);\nCREATE INDEX ON n (id);\nALTER TABLE app.orders ADD COLUMN r "
      "float8 DEFAULT random();\nSET search_path = billing;\nALTER TABLE invoices ALTER COLUMN a "
      "TYPE text;\n");
  CHECK(names.relations ==
        std::set<pgshift::lint::RelationName>{{"app", "orders"}, {"billing", "invoices"}});
  CHECK(names.functions == std::set<std::string>{"pg_catalog.random", "public.random"});
}

TEST_CASE("a trigger disabled by hand is reported as what it stops doing, not as a drop",
          "[lint]") {
  const auto report = lint_file("m.sql", "ALTER TABLE t DISABLE TRIGGER g;\n", Options{});
  REQUIRE(report.statements.size() == 1);
  const auto& findings = report.statements[0].findings;
  const auto found = std::find_if(findings.begin(), findings.end(), [](const auto& finding) {
    return finding.rule == "drop-object";
  });
  REQUIRE(found != findings.end());
  CHECK(found->message ==
        "narrow_trigger_firing stops a trigger firing in sessions it fired in: what it did there "
        "is no longer done (data_loss)");
}

TEST_CASE("statements the table has no row for are listed as not judged, never guessed at",
          "[lint]") {
  const auto report = lint_file(
      "m.sql",
      "UPDATE t SET a = 1;\nDO $$ BEGIN END $$;\nALTER TABLE t INHERIT p;\n"
      "ALTER TABLE t CLUSTER ON t_pkey;\n",
      Options{});
  REQUIRE(report.statements.size() == 4);
  CHECK(report.statements[0].notes ==
        std::vector<std::string>{"not judged: UPDATE is not a statement pgshift plans"});
  CHECK(report.statements[1].notes ==
        std::vector<std::string>{"not judged: a DO block's statements are not analysed"});
  CHECK(report.statements[2].notes ==
        std::vector<std::string>{
            "not judged: ALTER TABLE addinherit is not a statement pgshift plans"});
  CHECK(report.statements[3].notes ==
        std::vector<std::string>{
            "not judged: ALTER TABLE clusteron is not a statement pgshift plans"});
  for (const auto& statement : report.statements) {
    CHECK(statement.findings.empty());
    CHECK(statement.kinds.empty());
  }
}

TEST_CASE("the search_path a rendered plan sets is read as a SET: its first schema names the "
          "unqualified relations",
          "[lint]") {
  const std::string sql =
      "SET lock_timeout = '2s';\n"
      "SELECT pg_catalog.set_config('search_path', '\"$user\", \"Billing Data\",public', false);\n"
      "ALTER TABLE invoices ADD COLUMN note text;\n"
      "SELECT pg_catalog.set_config('search_path', ' APP , public', false);\n"
      "ALTER TABLE orders ADD COLUMN note text;\n"
      "SET search_path = \"$user\", audit;\n"
      "ALTER TABLE events ADD COLUMN note text;\n";
  const auto report = lint_file("plan.sql", sql, Options{});
  INFO(pgshift::lint::render_text({report}));
  REQUIRE(report.statements.size() == 7);
  for (const auto& statement : report.statements) CHECK(statement.notes.empty());
  CHECK(pgshift::lint::finding_count({report}) == 0);
  const auto names = pgshift::lint::names_in(sql);
  CHECK(names.relations == std::set<pgshift::lint::RelationName>{
                               {"Billing Data", "invoices"}, {"app", "orders"}, {"audit", "events"}});
}
