// Names are arbitrary strings: a plan for objects with hostile names
// (newlines, psql meta-commands, backquotes, "*/", quotes, backslashes, bidi
// controls, terminal escapes) renders in every format without a name
// escaping its place, and the SQL rendering run by psql does exactly the
// plan: a sentinel in another schema survives and no shell command runs.
#include <catch2/catch.hpp>
#include <filesystem>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/reader.hpp"
#include "planner/planner.hpp"
#include "plans/render_json.hpp"
#include "plans/render_markdown.hpp"
#include "plans/render_sql.hpp"
#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::run_command;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;
namespace schemas = pgshift::schemas;
namespace plans = pgshift::plans;

namespace {

std::vector<std::string> hostile_names(const std::string& marker) {
  return {
      "r\n\\! touch " + marker + "\n",
      "r\nDROP TABLE other.sentinel;\n--",
      "three ``` backquotes",
      "```sql",
      "close */ comment /* open",
      "back\\slash\\",
      "quote\"d 'and' single",
      "bidi \u202E evil \u2066",
      "cr\rreturn \u2028 sep",
      "esc \x1b[2J clear",
      "pipe | <b>html</b> & [link](http://x) *em* _u_",
  };
}

schemas::Database desired_with(const std::vector<std::string>& names) {
  schemas::Schema schema{"app"};
  for (const auto& name : names) {
    schemas::Table table{name};
    table.columns.push_back(schemas::Column{name, "integer"});
    table.comment = name;
    table.check_constraints.push_back(schemas::CheckConstraint{name, "true"});
    schema.tables.push_back(table);
  }
  schemas::Database db;
  db.schemas.push_back(schema);
  schemas::canonicalize(db);
  return db;
}

// `line` without the contents of its code spans (CommonMark: a span opened by
// n backticks ends at the next run of exactly n), which show text literally.
std::string without_code_spans(const std::string& line) {
  std::string out;
  for (std::size_t pos = 0; pos < line.size();) {
    if (line[pos] != '`') {
      out += line[pos++];
      continue;
    }
    std::size_t run = line.find_first_not_of('`', pos);
    if (run == std::string::npos) run = line.size();
    const std::string fence = line.substr(pos, run - pos);
    std::size_t close = run;
    for (;;) {
      close = line.find(fence, close);
      if (close == std::string::npos) return out + line.substr(pos);
      const std::size_t close_end = close + fence.size();
      if (close_end >= line.size() || line[close_end] != '`') break;
      close = line.find_first_not_of('`', close_end);
    }
    pos = close + fence.size();
  }
  return out;
}

bool has_raw(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("hostile names render escaped in every format and psql runs exactly the plan",
          "[plans][db]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA other; CREATE TABLE other.sentinel (id int); CREATE SCHEMA app");
  const TempDir dir;
  const std::string marker = dir.path() + "/pwned";
  const auto names = hostile_names(marker);

  pqxx::connection conn(db.url());
  pgshift::catalog::ReadOptions read_options;
  read_options.include_schemas = {"app"};
  const schemas::Database current = pgshift::catalog::read_catalog(conn, read_options);
  const plans::Plan plan =
      pgshift::planner::plan_changes(current, desired_with(names), pgshift::planner::PlanOptions{});
  REQUIRE_FALSE(plans::has_errors(plan));
  REQUIRE(plan.steps.size() >= names.size());

  const std::string sql = plans::render_sql(plan);
  for (const char* raw : {"\r", "\x1b", "\u202E", "\u2066", "\u2028"}) {
    INFO("raw " << raw);
    CHECK_FALSE(has_raw(sql, raw));
  }
  for (std::istringstream lines(sql); !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    INFO(line);
    const bool meta = line.rfind("\\", 0) == 0;
    CHECK((!meta || line == "\\set ON_ERROR_STOP on" || line == "\\gexec"));
    CHECK(line.rfind("DROP", 0) != 0);
  }
  const std::string script = dir.write("plan.sql", sql);
  const auto psql = run_command(
      {PGSHIFT_PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f", script});
  INFO(sql);
  INFO(psql.output);
  REQUIRE(psql.exit_code == 0);
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK(db.scalar("SELECT to_regclass('other.sentinel') IS NOT NULL") == "t");
  const schemas::Database built = pgshift::catalog::read_catalog(conn, read_options);
  REQUIRE(built.schemas.size() == 1);
  std::set<std::string> tables;
  for (const auto& table : built.schemas[0].tables) {
    tables.insert(table.name);
    CHECK(table.comment == std::optional<std::string>(table.name));
    REQUIRE(table.columns.size() == 1);
    CHECK(table.columns[0].name == table.name);
    REQUIRE(table.check_constraints.size() == 1);
    CHECK(table.check_constraints[0].name == table.name);
  }
  CHECK(tables == std::set<std::string>(names.begin(), names.end()));

  // Outside its code blocks, the Markdown holds no raw control, no HTML and
  // no link; no name opens or closes a code block or a table row.
  const std::string markdown = plans::render_markdown(plan);
  for (const char* raw : {"\r", "\x1b", "\u202E", "\u2066", "\u2028"}) {
    INFO("raw " << raw);
    CHECK_FALSE(has_raw(markdown, raw));
  }
  std::string prose;
  std::size_t fences = 0;
  std::size_t rows = 0;
  bool in_table = false;
  for (std::istringstream lines(markdown); !lines.eof();) {
    std::string line;
    std::getline(lines, line);
    if (line.rfind("```", 0) == 0) ++fences;
    if (fences % 2 == 0 && line.rfind("```", 0) != 0) prose += without_code_spans(line) + "\n";
    if (line == "### Steps") in_table = true;
    if (in_table && line.rfind("| ", 0) == 0 &&
        line !=
            "| # | Phase | Step | Lock | Blocks | "
            "Duration | Rows | Hazards | Tx |") {
      ++rows;
    }
    if (line == "### SQL") in_table = false;
  }
  INFO(prose);
  for (const char* raw : {"<b>", "[link](http", " *em*", " _u_"}) {
    INFO("raw " << raw);
    CHECK_FALSE(has_raw(prose, raw));
  }
  CHECK(fences == 2 * plan.steps.size());
  CHECK(rows == plan.steps.size());

  const std::string json = plans::render_json(plan);
  CHECK_FALSE(has_raw(json, "\n\\!"));
  CHECK(plans::plan_from_json(json) == plan);
}

TEST_CASE("a NUL byte in a name the model holds is escaped in every rendering", "[plans]") {
  const plans::Plan plan = pgshift::planner::plan_changes(
      schemas::Database{}, desired_with({std::string("nul\0byte", 8)}),
      pgshift::planner::PlanOptions{});
  for (const std::string& text :
       {plans::render_sql(plan), plans::render_markdown(plan), plans::render_json(plan)}) {
    CHECK(text.find('\0') == std::string::npos);
  }
  CHECK_THAT(plans::render_sql(plan), Catch::Contains("U&\"nul\\0000byte\""));
}
