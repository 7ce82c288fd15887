// Planning hints of an SQL desired state (schemas/yaml_loader.hpp,
// apply_yaml_hints): set on the objects the SQL defined, spelled and checked
// as in a desired-state file, every mistake at its file:line:column.
#include <catch2/catch.hpp>

#include "schemas/yaml_loader.hpp"

using namespace pgshift::schemas;

namespace {

// What the SQL of a desired state built, as read back from the scratch database.
Database built() {
  Database db;
  Schema app{"app"};
  Table users{"users"};
  users.columns = {Column{"id", "bigint"}, Column{"nickname", "text"}, Column{"tier", "text"},
                   Column{"code", "integer"}};
  app.tables.push_back(users);
  db.schemas.push_back(app);
  return db;
}

std::string error_of(const std::string& hints) {
  Database db = built();
  try {
    apply_yaml_hints_string(hints, "hints.yaml", db);
  } catch (const LoadError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("hints of a table and its columns are set on the objects the SQL defined",
          "[schemas]") {
  Database db = built();
  apply_yaml_hints_string(R"(
schemas:
  app:
    tables:
      users:
        renamed_from: clients
        backfill_batch_size: 500
        columns:
          nickname: { renamed_from: handle }
          tier: { backfill: "'bronze'" }
          code: { using: "NULLIF(trim(code), '')::integer" }
)",
                          "hints.yaml", db);
  const Table& users = *find_table(db, "app", "users");
  CHECK(users.renamed_from == std::optional<std::string>("clients"));
  CHECK(users.backfill_batch_size == std::optional<int64_t>(500));
  CHECK(find_named(users.columns, "nickname")->renamed_from == std::optional<std::string>("handle"));
  CHECK(find_named(users.columns, "tier")->backfill == std::optional<std::string>("'bronze'"));
  CHECK(find_named(users.columns, "code")->using_expr ==
        std::optional<std::string>("NULLIF(trim(code), '')::integer"));
  CHECK_FALSE(find_named(users.columns, "id")->renamed_from);
}

TEST_CASE("an empty hints file sets nothing", "[schemas]") {
  Database db = built();
  apply_yaml_hints_string("# no hints after the last migration\n", "hints.yaml", db);
  CHECK(db == built());
}

TEST_CASE("a hint on a schema, table or column the SQL does not define is an error at its key",
          "[schemas]") {
  CHECK(error_of("schemas:\n  other:\n    tables: {}\n")
            .find("hints.yaml:2:3: schemas.other: schema \"other\" is not defined by the SQL "
                  "desired state") == 0);
  CHECK(error_of("schemas:\n  app:\n    tables:\n      clients: { renamed_from: x }\n")
            .find("hints.yaml:4:7: schemas.app.tables.clients: table \"app.clients\" is not "
                  "defined by the SQL desired state (a hint is keyed by the name the SQL gives "
                  "the table)") == 0);
  const std::string column = error_of(
      "schemas:\n  app:\n    tables:\n      users:\n        columns:\n"
      "          handle: { renamed_from: nick }\n");
  CHECK(column.find("hints.yaml:6:11: schemas.app.tables.users.columns.handle: column "
                    "\"handle\" of table \"app.users\" is not defined by the SQL desired "
                    "state") == 0);
  // With the line and a caret under the key.
  CHECK(column.find("\n          handle: { renamed_from: nick }\n          ^") !=
        std::string::npos);
}

TEST_CASE("a hints file holds hints only, each checked as in a desired-state file", "[schemas]") {
  const std::string prefix = "schemas:\n  app:\n    tables:\n      users:\n";
  // Not a hint: the SQL says what a column is.
  CHECK(error_of(prefix + "        columns:\n          tier: { type: text }\n")
            .find("hints.yaml:6:19: schemas.app.tables.users.columns.tier.type: unknown key "
                  "\"type\"") == 0);
  CHECK(error_of(prefix + "        columns:\n          tier: text\n")
            .find("the column's type comes from the SQL") != std::string::npos);
  CHECK(error_of(prefix + "        comment: x\n").find("unknown key \"comment\"") !=
        std::string::npos);
  // A backfill is one SQL expression.
  CHECK(error_of(prefix + "        columns:\n          tier: { backfill: \"1); DROP TABLE x\" }\n")
            .find("invalid expression") != std::string::npos);
  CHECK(error_of(prefix + "        backfill_batch_size: 0\n")
            .find("expected a positive integer") != std::string::npos);
  CHECK(error_of("schemas: [app]\n").find("hints.yaml:1:10") == 0);
  CHECK(error_of("schemas:\n  app: {\n").find("hints.yaml:") == 0);
}

TEST_CASE("a hints file is checked alone before the SQL is built, names left for later",
          "[schemas]") {
  // check_yaml_hints reads a file; an unreadable one is an error naming it.
  try {
    check_yaml_hints("/nonexistent/hints.yaml");
    FAIL("no error");
  } catch (const LoadError& error) {
    CHECK(std::string(error.what()) ==
          "/nonexistent/hints.yaml: could not read the hints file: No such file or directory");
  }
}
