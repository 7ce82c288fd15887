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

// amount >= 1 as PostgreSQL 15 stores it, on a column at `attnum`, parsed
// at `location` in the statement that created it.
std::string at_least_one(int attnum, int location) {
  return "{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :opcollid 0 "
         ":inputcollid 0 :args ({VAR :varno 1 :varattno " +
         std::to_string(attnum) +
         " :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 :varattnosyn " +
         std::to_string(attnum) + " :location " + std::to_string(location) +
         "} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
         ":constisnull false :location " +
         std::to_string(location + 10) + " :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}) :location " +
         std::to_string(location + 7) + "}";
}

TEST_CASE("a tree's key leaves out its parse locations and names the columns it reads",
          "[catalog]") {
  const auto first = shared_deparse_key(at_least_one(3, 40), named({{3, "amount"}}));
  const auto second = shared_deparse_key(at_least_one(3, 1234), named({{3, "amount"}}));
  REQUIRE(first.has_value());
  CHECK(*first == *second);
  CHECK(first->find(":location") == std::string::npos);
  CHECK(first->find(":varattno 3 :vartype") != std::string::npos);
  CHECK(first->substr(first->size() - 8) == std::string("\0amount\0", 8));
}

TEST_CASE(
    "an expression over columns named otherwise or in another order, or another "
    "expression, has another key",
    "[catalog]") {
  const std::string tree = at_least_one(3, 40);
  const auto amount = shared_deparse_key(tree, named({{3, "amount"}}));
  CHECK(*amount != *shared_deparse_key(tree, named({{3, "price"}})));
  CHECK(*amount != *shared_deparse_key(at_least_one(4, 40), named({{4, "amount"}})));
  std::string two =
      "{OPEXPR :opno 97 :args ({VAR :varattno 1 :location 3} {VAR :varattno 2 "
      ":location 7}) :location 5}";
  // Column 1 < column 2 deparses as (x < y) on a table (x, y), (y < x) on (y, x).
  CHECK(*shared_deparse_key(two, named({{1, "x"}, {2, "y"}})) !=
        *shared_deparse_key(two, named({{1, "y"}, {2, "x"}})));
  CHECK(*shared_deparse_key(two, named({{1, "x"}, {2, "y"}})) ==
        std::string("{OPEXPR :opno 97 :args ({VAR :varattno 1} {VAR :varattno 2})}\0x\0y\0", 66));
}

TEST_CASE("an expression reading no column is keyed by its tree alone", "[catalog]") {
  CHECK(*shared_deparse_key("{CONST :consttype 16 :location -1}", never) ==
        std::string("{CONST :consttype 16}\0", 22));
}

TEST_CASE("an expression reading a whole row or a system column has no shared key", "[catalog]") {
  CHECK_FALSE(shared_deparse_key("{VAR :varno 1 :varattno 0 :location 4}", never).has_value());
  CHECK_FALSE(shared_deparse_key("{VAR :varno 1 :varattno -6 :location 4}", never).has_value());
  CHECK_FALSE(shared_deparse_key("({VAR :varattno 2} {VAR :varattno 0})", [](int) {
                return std::string("b");
              }).has_value());
  CHECK_FALSE(shared_deparse_key("{VAR :varattno x}", never).has_value());
}

TEST_CASE("a field named like location or varattno but longer is kept as it is", "[catalog]") {
  CHECK(*shared_deparse_key("{VAR :varattnosyn 0 :locationx 5}", never) ==
        std::string("{VAR :varattnosyn 0 :locationx 5}\0", 34));
}

}  // namespace
}  // namespace pgshift::catalog
