#include "schemas/yaml_tree.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>

namespace yaml = pgshift::schemas::yaml;

namespace {

// The message and 1-based position of the error parsing `text` throws.
std::string parse_error_of(const std::string& text) {
  try {
    yaml::parse(text);
  } catch (const yaml::ParseError& error) {
    return std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1) +
           ": " + error.message;
  }
  return "no error";
}

}  // namespace

TEST_CASE("the YAML tree reads null only from plain untagged scalars", "[schemas]") {
  const yaml::Document document =
      yaml::parse("a:\nb: ~\nc: null\nd: NULL\ne: ''\nf: 'null'\ng: !!str null\nh: nil\n");
  const yaml::Node root = document.root();
  for (const char* key : {"a", "b", "c", "d"}) {
    INFO(key);
    CHECK(root[std::string(key)].is_null());
  }
  for (const char* key : {"e", "f", "g", "h"}) {
    INFO(key);
    CHECK(root[std::string(key)].is_scalar());
  }
  CHECK(root["f"].scalar() == "null");
  CHECK(root["h"].plain());
  CHECK_FALSE(root["f"].plain());
  CHECK_FALSE(root["g"].plain());
  CHECK_FALSE(root["missing"].is_defined());
}

TEST_CASE("the YAML tree tells plain scalars from quoted and block ones", "[schemas]") {
  const yaml::Document document = yaml::parse("- true\n- \"true\"\n- '10'\n- 10\n- |\n  text\n");
  const yaml::Node list = document.root();
  REQUIRE(list.is_sequence());
  REQUIRE(list.size() == 5);
  CHECK(list[0].plain());
  CHECK_FALSE(list[1].plain());
  CHECK_FALSE(list[2].plain());
  CHECK(list[3].plain());
  CHECK_FALSE(list[4].plain());
  CHECK(list[4].scalar() == "text\n");
  CHECK_FALSE(list[5].is_defined());
}

TEST_CASE("the YAML tree keeps mapping entries in order, repeated keys included", "[schemas]") {
  const yaml::Document document = yaml::parse("{ b: 1, a: 2, b: 3 }");
  const yaml::Node map = document.root();
  REQUIRE(map.size() == 3);
  CHECK(map.key(0).scalar() == "b");
  CHECK(map.key(1).scalar() == "a");
  CHECK(map.key(2).scalar() == "b");
  CHECK(map.value(2).scalar() == "3");
  CHECK(map["b"].scalar() == "1");
  CHECK_FALSE(map.key(3).is_defined());
}

TEST_CASE("the YAML tree places nodes by line and byte column", "[schemas]") {
  const yaml::Document document = yaml::parse("t:\n  \xC3\xA9t\xC3\xA9: [x, \"y\"]\n");
  const yaml::Node list = document.root()["t"]["\xC3\xA9t\xC3\xA9"];
  REQUIRE(list.size() == 2);
  // "  été: [x, " holds two 2-byte characters before the quote of "y".
  CHECK(list.mark().line == 1);
  CHECK(list.mark().column == 9);
  CHECK(list[1].mark().line == 1);
  CHECK(list[1].mark().column == 13);
}

TEST_CASE("a YAML alias reads as the node its anchor names", "[schemas]") {
  const yaml::Document document = yaml::parse("base: &cols { id: int }\ncopy: *cols\n");
  const yaml::Node copy = document.root()["copy"];
  REQUIRE(copy.is_map());
  CHECK(copy["id"].scalar() == "int");
  CHECK(parse_error_of("a: &x [1, *x]\n") == "1:11: the alias *x is inside the node it names");
  CHECK(parse_error_of("a: *nothing\n").find("1:4: ") == 0);
}

TEST_CASE("a YAML stream of two documents is refused at the second", "[schemas]") {
  CHECK(parse_error_of("a: 1\n---\nb: 2\n") ==
        "2:1: a second document starts here; a desired-state file holds one document");
  CHECK(yaml::parse("---\na: 1\n...\n").root()["a"].scalar() == "1");
}

TEST_CASE("an empty YAML stream is a null document", "[schemas]") {
  CHECK(yaml::parse("").root().is_null());
  CHECK(yaml::parse("# only a comment\n").root().is_null());
}

TEST_CASE("a moved YAML document keeps its nodes valid", "[schemas]") {
  yaml::Document first = yaml::parse("a: [1, 2]\n");
  const yaml::Node list = first.root()["a"];
  const yaml::Document second = std::move(first);
  CHECK(list[1].scalar() == "2");
  CHECK(second.root()["a"].size() == 2);
}

TEST_CASE("a YAML syntax error names libyaml's problem and where its context began",
          "[schemas]") {
  CHECK(parse_error_of("a: [1, 2\nb: 3\n") ==
        "2:2: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column "
        "4)");
}

TEST_CASE("a YAML merge key brings the entries its mappings set and the mapping does not",
          "[schemas]") {
  const yaml::Document document = yaml::parse(
      "base: &base { type: text, nullable: false }\n"
      "more: &more { default: \"'x'\", type: integer }\n"
      "one: { <<: *base, nullable: true }\n"
      "two:\n"
      "  comment: c\n"
      "  <<: [*more, *base]\n");
  const yaml::Node one = document.root()["one"];
  REQUIRE(one.size() == 2);
  CHECK(one["type"].scalar() == "text");
  CHECK(one["nullable"].scalar() == "true");
  const yaml::Node two = document.root()["two"];
  REQUIRE(two.size() == 4);
  CHECK(two.key(0).scalar() == "comment");
  CHECK(two["default"].scalar() == "'x'");
  CHECK(two["type"].scalar() == "integer");  // the first merged mapping wins
  CHECK(two["nullable"].scalar() == "false");
  // A merged entry is placed where its anchor defined it.
  CHECK(two["nullable"].mark().line == 0);
  CHECK(parse_error_of("a: { <<: 5 }\n") ==
        "1:6: a merge key (<<) takes a mapping or a list of mappings");
  // Quoted, "<<" is a key like any other.
  CHECK(yaml::parse("a: { \"<<\": 5 }\n").root()["a"]["<<"].scalar() == "5");
}
