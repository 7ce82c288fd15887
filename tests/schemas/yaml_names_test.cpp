#include "schemas/yaml_names.hpp"

#include <catch2/catch.hpp>

using namespace pgshift::schemas::detail;

TEST_CASE("default constraint names follow PostgreSQL", "[schemas]") {
  REQUIRE(default_primary_key_name("orders") == "orders_pkey");
  REQUIRE(default_unique_name("orders", {"a", "b"}) == "orders_a_b_key");
  REQUIRE(default_foreign_key_name("orders", {"customer_id"}) == "orders_customer_id_fkey");
}

TEST_CASE("a long default name is cut to 63 bytes, the longer part first", "[schemas]") {
  REQUIRE(default_primary_key_name(std::string(70, 'a')) == std::string(58, 'a') + "_pkey");
  REQUIRE(default_unique_name(std::string(40, 'a'), {std::string(40, 'b')}) ==
          std::string(29, 'a') + "_" + std::string(29, 'b') + "_key");
  REQUIRE(default_foreign_key_name("t", {std::string(70, 'c')}) ==
          "t_" + std::string(56, 'c') + "_fkey");
}

TEST_CASE("a default name is never cut inside a UTF-8 character", "[schemas]") {
  std::string table = "x";
  for (int char_idx = 0; char_idx < 40; ++char_idx) table += "\xC3\xA9";  // é
  std::string expected = "x";
  for (int char_idx = 0; char_idx < 28; ++char_idx) expected += "\xC3\xA9";
  REQUIRE(default_primary_key_name(table) == expected + "_pkey");
}

TEST_CASE("the columns of a default name are cut once they pass 63 bytes", "[schemas]") {
  const std::vector<std::string> columns(5, std::string(30, 'c'));
  const std::string joined =
      std::string(30, 'c') + "_" + std::string(30, 'c') + "_" + std::string(30, 'c');
  REQUIRE(make_object_name("t", joined, "key") == default_unique_name("t", columns));
}
