#include "catalog/deparse_key.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <string>

namespace pgshift::catalog {
namespace {

// conbin of CHECK (amount >= 0) on a table whose column 3 is amount, as
// PostgreSQL 15 stores it, with the parse location `at`.
std::string amount_check(int attnum, int at) {
  return "{OPEXPR :opno 525 :opfuncid 150 :opresulttype 16 :opretset false :opcollid 0 "
         ":inputcollid 0 :args ({VAR :varno 1 :varattno " +
         std::to_string(attnum) +
         " :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 "
         ":varnosyn 1 :varattnosyn " +
         std::to_string(attnum) + " :location " + std::to_string(at) +
         "} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
         ":constisnull false :location " +
         std::to_string(at + 10) + " :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location " +
         std::to_string(at + 7) + "}";
}

std::function<std::string(int)> named(std::map<int, std::string> names) {
  return [names](int attnum) { return names.at(attnum); };
}

TEST_CASE("the same CHECK over the same column name shares a deparse wherever it was typed",
          "[catalog]") {
  const auto first = shared_deparse_key(amount_check(3, 41), named({{3, "amount"}}));
  const auto second = shared_deparse_key(amount_check(3, 1187), named({{3, "amount"}}));
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*first == *second);
  CHECK(first->find(":location") == std::string::npos);
  CHECK(first->find(":varattno 3") != std::string::npos);  // other fields are kept
}

TEST_CASE("a CHECK over a column named otherwise, or another CHECK, deparses apart", "[catalog]") {
  const auto amount = shared_deparse_key(amount_check(3, 41), named({{3, "amount"}}));
  const auto price = shared_deparse_key(amount_check(3, 41), named({{3, "price"}}));
  std::string greater = amount_check(3, 41);
  greater.replace(greater.find(":opno 525"), 9, ":opno 521");
  const auto other = shared_deparse_key(greater, named({{3, "amount"}}));
  CHECK(*amount != *price);
  CHECK(*amount != *other);
}

TEST_CASE("columns are keyed in the order the expression reads them", "[catalog]") {
  const std::string x_lt_y =
      "{OPEXPR :opno 97 :args ({VAR :varno 1 :varattno 1 :location 7} "
      "{VAR :varno 1 :varattno 2 :location 11}) :location 9}";
  // The same tree (column 1 < column 2) deparses as (x < y) on a table
  // (x, y) and as (y < x) on a table (y, x).
  const auto in_a = shared_deparse_key(x_lt_y, named({{1, "x"}, {2, "y"}}));
  const auto in_b = shared_deparse_key(x_lt_y, named({{1, "y"}, {2, "x"}}));
  CHECK(*in_a != *in_b);
}

TEST_CASE("a CHECK reading a whole row or a system column is deparsed on its own table",
          "[catalog]") {
  const auto never = [](int) -> std::string {
    FAIL("no column name is asked for");
    return "";
  };
  CHECK_FALSE(shared_deparse_key("{NULLTEST :arg {VAR :varno 1 :varattno 0 :location 7}}", never)
                  .has_value());
  CHECK_FALSE(shared_deparse_key("{OPEXPR :args ({VAR :varno 1 :varattno -6 :location 7})}", never)
                  .has_value());
}

TEST_CASE("a field name that merely starts like location or varattno is kept", "[catalog]") {
  const auto key = shared_deparse_key("{VAR :varno 1 :varattno 2 :varattnosyn 2 :location 5}",
                                      named({{2, "b"}}));
  REQUIRE(key.has_value());
  CHECK(key->find(":varattnosyn 2") != std::string::npos);
  CHECK(key->find(":location") == std::string::npos);
  CHECK(key->substr(key->find('\0') + 1) == std::string("b") + '\0');
}

}  // namespace
}  // namespace pgshift::catalog
