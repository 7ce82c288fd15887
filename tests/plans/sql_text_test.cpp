#include "plans/sql_text.hpp"

#include <catch2/catch.hpp>

using namespace pgshift::plans;

TEST_CASE("quote_ident leaves plain lower-case names bare", "[plans][sql_text]") {
  CHECK(quote_ident("users") == "users");
  CHECK(quote_ident("_private2") == "_private2");
  CHECK(quote_ident("name") == "name");  // unreserved keyword
  CHECK(quote_ident("text") == "text");  // unreserved keyword
}

TEST_CASE("quote_ident quotes awkward names", "[plans][sql_text]") {
  CHECK(quote_ident("User") == "\"User\"");
  CHECK(quote_ident("select") == "\"select\"");
  CHECK(quote_ident("user") == "\"user\"");
  CHECK(quote_ident("a\"b") == "\"a\"\"b\"");
  CHECK(quote_ident("1st") == "\"1st\"");
  CHECK(quote_ident("naïve") == "\"naïve\"");
  CHECK(quote_ident("with space") == "\"with space\"");
  CHECK(quote_ident("") == "\"\"");
  CHECK(quote_ident("integer") == "\"integer\"");  // column-name keyword
  CHECK(quote_ident("left") == "\"left\"");        // type/function-name keyword
}

TEST_CASE("quote_qualified and quote_dotted quote each part", "[plans][sql_text]") {
  CHECK(quote_qualified("public", "Order") == "public.\"Order\"");
  CHECK(quote_qualified("", "t") == "t");
  CHECK(quote_dotted("billing.touch") == "billing.touch");
  CHECK(quote_dotted("Billing.select") == "\"Billing\".\"select\"");
  CHECK(quote_ident_list({"a", "B"}) == "a, \"B\"");
}

TEST_CASE("quote_literal doubles quotes and switches to E'' for backslashes", "[plans][sql_text]") {
  CHECK(quote_literal("it's") == "'it''s'");
  CHECK(quote_literal("a\\b") == "E'a\\\\b'");
  CHECK(quote_literal("") == "''");
}

TEST_CASE("dollar_quote picks a tag absent from the body", "[plans][sql_text]") {
  CHECK(dollar_quote("SELECT 1") == "$pgshift$SELECT 1$pgshift$");
  CHECK(dollar_quote("x $pgshift$ y") == "$pgshift_1$x $pgshift$ y$pgshift_1$");
}

TEST_CASE("the keyword list is sorted so binary search finds every entry", "[plans][sql_text]") {
  for (const char* word : {"all", "xmltable", "between", "verbose", "json_table", "normalize"}) {
    CHECK(is_quoted_keyword(word));
  }
  CHECK_FALSE(is_quoted_keyword("abort"));
}
