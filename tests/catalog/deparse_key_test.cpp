#include "catalog/deparse_key.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace pgshift::catalog {
namespace {

std::function<std::string(int)> named(std::map<int, std::string> names) {
  return [names](int attnum) { return names.at(attnum); };
}

const auto never = [](int) -> std::string {
  FAIL("no column name is asked for");
  return "";
};

TEST_CASE("expressions of one digest over the same column names have one key", "[catalog]") {
  const auto first = shared_deparse_key("D1 3 5", named({{3, "amount"}, {5, "total"}}));
  const auto second = shared_deparse_key("D1 1 2", named({{1, "amount"}, {2, "total"}}));
  REQUIRE(first.has_value());
  CHECK(*first == *second);
  CHECK(*first == std::string("D1\0amount\0total\0", 16));
}

TEST_CASE(
    "an expression over columns named otherwise or in another order, or another "
    "expression, has another key",
    "[catalog]") {
  const auto amount = shared_deparse_key("D1 3", named({{3, "amount"}}));
  CHECK(*amount != *shared_deparse_key("D1 3", named({{3, "price"}})));
  CHECK(*amount != *shared_deparse_key("D2 3", named({{3, "amount"}})));
  // Column 1 < column 2 deparses as (x < y) on a table (x, y), (y < x) on (y, x).
  CHECK(*shared_deparse_key("D3 1 2", named({{1, "x"}, {2, "y"}})) !=
        *shared_deparse_key("D3 1 2", named({{1, "y"}, {2, "x"}})));
}

TEST_CASE("an expression reading no column is keyed by its digest alone", "[catalog]") {
  CHECK(*shared_deparse_key("D4 ", never) == std::string("D4\0", 3));
}

TEST_CASE("an expression reading a whole row or a system column has no shared key", "[catalog]") {
  CHECK_FALSE(shared_deparse_key("D5 0", never).has_value());
  CHECK_FALSE(shared_deparse_key("D5 -6", never).has_value());
  CHECK_FALSE(shared_deparse_key("D5 2 0", [](int) { return std::string("b"); }).has_value());
}

TEST_CASE("a shape that is not one has no key", "[catalog]") {
  CHECK_FALSE(shared_deparse_key("", never).has_value());
  CHECK_FALSE(shared_deparse_key("D6", never).has_value());
  CHECK_FALSE(shared_deparse_key(" 3", never).has_value());
  CHECK_FALSE(shared_deparse_key("D6 3x", never).has_value());
}

}  // namespace
}  // namespace pgshift::catalog
