#include "schemas/yaml_scope.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using pgshift::schemas::scan_yaml_scope;

TEST_CASE("the scope scan reads the schema names of a document written as inspect writes",
          "[schemas]") {
  const auto scope = scan_yaml_scope(
      "# the shop\n"
      "---\n"
      "ignore: [\"public.tmp_*\"]\n"
      "manage_owners: true  # owners too\n"
      "drop_schemas: [old, 'legacy data']\n"
      "schemas:\n"
      "  public: {}\n"
      "  \"Sales: EU\":\n"
      "    comment: \"schemas:\"\n"
      "    tables:\n"
      "      orders:\n"
      "        columns:\n"
      "          id: bigint\n"
      "\n"
      "  # a comment between schemas\n"
      "  'it''s':\n"
      "    functions:\n"
      "      f():\n"
      "        body: |\n"
      "          select 1\n"
      "          schemas:\n"
      "  app: { tables: {} }\n"
      "extensions:\n"
      "  pgcrypto: { schema: public }\n");
  REQUIRE(scope.has_value());
  CHECK(scope->schemas == std::vector<std::string>{"public", "Sales: EU", "it's", "app"});
  CHECK(scope->drop_schemas == std::vector<std::string>{"old", "legacy data"});
  CHECK(scope->manage_owners);
}

TEST_CASE("the scope scan reads drop_schemas written as a block list", "[schemas]") {
  const auto scope = scan_yaml_scope("drop_schemas:\n  - old\n  - \"older\"\nschemas:\n  a: {}\n");
  REQUIRE(scope.has_value());
  CHECK(scope->schemas == std::vector<std::string>{"a"});
  CHECK(scope->drop_schemas == std::vector<std::string>{"old", "older"});
  CHECK_FALSE(scope->manage_owners);
}

TEST_CASE("the scope scan gives up on what it does not read rather than guess", "[schemas]") {
  const std::vector<std::string> documents = {
      "schemas: { a: {} }\n",                         // flow style at the top
      "schemas:\n  - a\n",                            // a sequence
      "schemas:\n  &base a: {}\n",                    // an anchor
      "schemas:\n  a: {}\n---\nschemas:\n  b: {}\n",  // two documents
      "schemas:\n  \"a\\tb\": {}\n",                  // an escape
      "schemas:\n  a: {}\nschemas:\n  b: {}\n",       // a duplicate key (the loader reports it)
      "manage_owners: yes\nschemas:\n  a: {}\n",      // not a boolean the loader takes
      "drop_schemas:\n- a\nschemas:\n  b: {}\n",      // a list at the key's indentation
      "%YAML 1.2\n---\nschemas:\n  a: {}\n",          // a directive
      "schemas:\n    a: {}\n  b: {}\n",               // indentation going back
  };
  for (const auto& document : documents) {
    INFO(document);
    CHECK_FALSE(scan_yaml_scope(document).has_value());
  }
}

TEST_CASE("the scope scan of a document without schemas is empty", "[schemas]") {
  const auto scope = scan_yaml_scope("# nothing yet\n");
  REQUIRE(scope.has_value());
  CHECK(scope->schemas.empty());
  CHECK(scope->drop_schemas.empty());
}
