// The README's architecture table is enforced on the sources: a folder that
// includes what its row does not allow fails this test.
#include "tests/architecture/boundaries.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using pgshift::testing::check_tree;
using pgshift::testing::describe;
using pgshift::testing::parse_boundaries;

std::string read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch source tree, removed when the test ends.
struct TempTree {
  TempTree() {
    std::random_device device;
    root = fs::temp_directory_path() / ("pgshift_boundaries_" + std::to_string(device()));
    fs::create_directories(root);
  }
  ~TempTree() { fs::remove_all(root); }
  void write(const std::string& path, const std::string& text) const {
    fs::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
  }
  fs::path root;
};

std::string described(const std::vector<pgshift::testing::Violation>& violations) {
  std::string text;
  for (const auto& violation : violations) text += describe(violation) + "\n";
  return text;
}

const fs::path kSource = PGSHIFT_SOURCE_DIR;

}  // namespace

TEST_CASE("every folder includes only what its row of the README's architecture table allows",
          "[architecture]") {
  const auto rules = parse_boundaries(read(kSource / "README.md"));
  std::vector<std::string> folders;
  for (const auto& rule : rules) folders.push_back(rule.folder);
  CHECK(folders == std::vector<std::string>{"schemas/", "catalog/", "planner/", "plans/", "lint/", "cli/"});

  CHECK(described(check_tree(kSource, rules)) == "");
}

TEST_CASE("the boundaries check fails on a forbidden include in a scratch tree", "[architecture]") {
  const auto rules = parse_boundaries(read(kSource / "README.md"));
  TempTree tree;
  tree.write("planner/ok.cpp",
             "#include \"planner/ok.hpp\"\n#include <vector>\n"
             "#include \"plans/plan.hpp\"\n");
  tree.write("planner/bad.cpp",
             "#include \"planner/bad.hpp\"\n"
             "#include <pqxx/pqxx>\n"
             "#include <yaml.h>\n"
             "#include <libpq-fe.h>\n"
             "#include \"catalog/reader.hpp\"\n"
             "#include \"cli/planning.hpp\"\n"
             "#include \"plans/apply.hpp\"\n"
             "#include <boost/graph/adjacency_list.hpp>\n");
  tree.write("planner/order.cpp", "#include <boost/graph/adjacency_list.hpp>\n");
  tree.write("schemas/model.cpp", "#include <yaml.h>\n");
  tree.write("schemas/yaml_tree.cpp", "#include <yaml.h>\n");
  tree.write("catalog/reader.cpp",
             "#include <pqxx/pqxx>\n#include \"planner/planner.hpp\"\n"
             "#include \"plans/plan.hpp\"\n#include \"cli/commands.hpp\"\n");
  tree.write("plans/render_sql.cpp",
             "#include \"planner/planner.hpp\"\n#include \"cli/dev_database.hpp\"\n"
             "#include <pqxx/pqxx>\n#include \"catalog/connection.hpp\"\n");
  tree.write("lint/lint.cpp",
             "#include \"lint/lint.hpp\"\n#include \"planner/statements.hpp\"\n"
             "#include \"planner/planner.hpp\"\n#include <pqxx/pqxx>\n"
             "#include \"catalog/reader.hpp\"\n#include <nlohmann/json.hpp>\n");
  tree.write("plans/apply_steps.cpp",
             "#include <pqxx/pqxx>\n#include \"catalog/connection.hpp\"\n");

  CHECK(described(check_tree(tree.root, rules)) ==
        "catalog/reader.cpp:2: #include \"planner/planner.hpp\": planner/planner.hpp is not "
        "allowed in catalog/\n"
        "catalog/reader.cpp:3: #include \"plans/plan.hpp\": plans/plan.hpp is not allowed in "
        "catalog/\n"
        "catalog/reader.cpp:4: #include \"cli/commands.hpp\": cli/commands.hpp is not allowed in "
        "catalog/\n"
        "lint/lint.cpp:3: #include \"planner/planner.hpp\": planner/planner.hpp is not allowed "
        "in lint/\n"
        "lint/lint.cpp:4: #include <pqxx/pqxx>: libpqxx is not allowed in lint/\n"
        "lint/lint.cpp:5: #include \"catalog/reader.hpp\": catalog/reader.hpp is not allowed in "
        "lint/\n"
        "planner/bad.cpp:2: #include <pqxx/pqxx>: libpqxx is not allowed in planner/\n"
        "planner/bad.cpp:3: #include <yaml.h>: libyaml is not allowed in planner/\n"
        "planner/bad.cpp:4: #include <libpq-fe.h>: libpq is not allowed in planner/\n"
        "planner/bad.cpp:5: #include \"catalog/reader.hpp\": catalog/reader.hpp is not allowed "
        "in planner/\n"
        "planner/bad.cpp:6: #include \"cli/planning.hpp\": cli/planning.hpp is not allowed in "
        "planner/\n"
        "planner/bad.cpp:7: #include \"plans/apply.hpp\": plans/apply.hpp is not allowed in "
        "planner/\n"
        "planner/bad.cpp:8: #include <boost/graph/adjacency_list.hpp>: Boost is not allowed in "
        "planner/\n"
        "plans/render_sql.cpp:1: #include \"planner/planner.hpp\": planner/planner.hpp is not "
        "allowed in plans/\n"
        "plans/render_sql.cpp:2: #include \"cli/dev_database.hpp\": cli/dev_database.hpp is not "
        "allowed in plans/\n"
        "plans/render_sql.cpp:3: #include <pqxx/pqxx>: libpqxx is not allowed in plans/\n"
        "plans/render_sql.cpp:4: #include \"catalog/connection.hpp\": catalog/connection.hpp is "
        "not allowed in plans/\n"
        "schemas/model.cpp:1: #include <yaml.h>: libyaml is not allowed in schemas/\n");
}

TEST_CASE("a boundaries table that cannot be read is an error naming its line", "[architecture]") {
  CHECK_THROWS_WITH(parse_boundaries("# no table here\n"),
                    "README.md: no boundaries table between <!-- boundaries:begin --> and "
                    "<!-- boundaries:end -->");
  CHECK_THROWS_WITH(parse_boundaries("<!-- boundaries:begin -->\n"
                                     "| folder | owns | pgshift code | third party |\n"
                                     "|---|---|---|---|\n"
                                     "| planner | x | `planner/` | none |\n"),
                    "README.md:4: boundaries table: the first cell must be a `folder/`, got "
                    "\"planner\"");
}
