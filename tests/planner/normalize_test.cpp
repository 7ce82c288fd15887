#include "planner/normalize.hpp"

#include <catch2/catch.hpp>

using pgshift::planner::normalize_expression;
using pgshift::planner::normalize_type;

TEST_CASE("type aliases normalise to format_type spellings", "[planner][normalize]") {
  CHECK(normalize_type("int") == "integer");
  CHECK(normalize_type("INT4") == "integer");
  CHECK(normalize_type("int8") == "bigint");
  CHECK(normalize_type("int2") == "smallint");
  CHECK(normalize_type("varchar(20)") == "character varying(20)");
  CHECK(normalize_type("character  varying( 20 )") == "character varying(20)");
  CHECK(normalize_type("timestamptz") == "timestamp with time zone");
  CHECK(normalize_type("timestamptz(3)") == "timestamp(3) with time zone");
  CHECK(normalize_type("timestamp") == "timestamp without time zone");
  CHECK(normalize_type("bool") == "boolean");
  CHECK(normalize_type("float8") == "double precision");
  CHECK(normalize_type("decimal(10, 2)") == "numeric(10,2)");
  CHECK(normalize_type("pg_catalog.int4") == "integer");
  CHECK(normalize_type("int[]") == "integer[]");
  CHECK(normalize_type("  text ") == "text");
  CHECK(normalize_type("char") == "character(1)");
  CHECK(normalize_type("public.\"Mood\"") == "public.\"Mood\"");
}

TEST_CASE("expressions compare without outer whitespace and parentheses", "[planner][normalize]") {
  CHECK(normalize_expression("  now()  ") == "now()");
  CHECK(normalize_expression("(a  >   0)") == "a > 0");
  CHECK(normalize_expression("(a) + (b)") == "(a) + (b)");
  CHECK(normalize_expression("'two  spaces'") == "'two  spaces'");
}
