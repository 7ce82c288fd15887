// SQL text of the desired state is exactly what its place allows, checked by
// PostgreSQL's parser (libpg_query) before anything reaches a server.
#include "schemas/sql_check.hpp"

#include <catch2/catch.hpp>
#include <string>

using pgshift::schemas::check_sql;
using pgshift::schemas::SqlKind;

namespace {

std::string problem_of(SqlKind kind, const std::string& text) {
  const auto problem = check_sql(kind, text);
  return problem ? problem->message : "";
}

}  // namespace

TEST_CASE("ordinary SQL text of every kind passes", "[schemas][sql]") {
  for (const char* text :
       {"0", "'new'::text", "now()", "price > 0 AND price < 10", "VALUE ~ '^[a-z]+$'",
        "NEW.x IS DISTINCT FROM OLD.x", "(a, b)", "CASE WHEN a THEN 1 ELSE 2 END", "-1",
        "nextval('s'::regclass)", "1 -- a comment\n", "/* c */ 1", "ARRAY[1, 2]"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::Expression, text) == "");
  }
  for (const char* text : {"integer", "character varying(20)", "public.mood[]", "numeric(10, 2)",
                           "timestamp with time zone", "\"char\"", "double precision"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::TypeName, text) == "");
  }
  for (const char* text :
       {"SELECT 1 AS a", "VALUES (1), (2)", "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT a FROM t WHERE b -- trailing\n  AND c"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::Query, text) == "");
  }
  for (const char* text : {"room WITH =", "during WITH &&", "(lower(name)) WITH =",
                           "lower(name) text_pattern_ops WITH =", "\"Odd\" WITH OPERATOR(public.=)"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::ExclusionElement, text) == "");
  }
  for (const char* text : {"room WITH =, during WITH &&", "room WITH =) WHERE (true",
                           "room WITH =) INCLUDE (x", "room", "room WITH = --", "($1) WITH =",
                           "room WITH =); DROP TABLE t; SELECT (1"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::ExclusionElement, text) != "");
  }
  CHECK(problem_of(SqlKind::OptionValue, "70") == "");
  CHECK(problem_of(SqlKind::OptionValue, "on") == "");
  CHECK(problem_of(SqlKind::PartitionBound, "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')") ==
        "");
  CHECK(problem_of(SqlKind::PartitionBound, "FOR VALUES IN (1, 2)") == "");
  CHECK(problem_of(SqlKind::PartitionBound, "FOR VALUES WITH (MODULUS 4, REMAINDER 0)") == "");
  CHECK(problem_of(SqlKind::PartitionBound, "DEFAULT") == "");
  CHECK(problem_of(SqlKind::PartitionKey, "created_at") == "");
  CHECK(problem_of(SqlKind::PartitionKey, "a, lower(b)") == "");
  for (const char* text :
       {"integer", "void", "trigger", "SETOF orders", "TABLE(id bigint, n text)"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::FunctionReturns, text) == "");
  }
  CHECK(problem_of(SqlKind::SqlFunctionBody, "SELECT 1; SELECT 2") == "");
}

TEST_CASE("SQL text that leaves its place is refused", "[schemas][sql]") {
  const std::string escape = "0); CREATE ROLE pwn_default; SELECT (1";
  CHECK(problem_of(SqlKind::Expression, escape) != "");
  for (const char* text :
       {"1; SELECT 2", "1) + (2", "1 --", "1 AS a", "1, 2", "*", "SELECT 1", "1 FROM pg_roles",
        "ALL 1", "DISTINCT 1", "$1", "-1 WHERE $1::bigint IS NOT NULL --", "1) WHERE true --",
        "1 /*", "'unterminated", "", "  "}) {
    INFO(text);
    CHECK(problem_of(SqlKind::Expression, text) != "");
  }
  for (const char* text : {"int) FROM pg_roles --", "integer; DROP TABLE t", "int --", "int + 1",
                           "int COLLATE \"C\"", "int::text", "1"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::TypeName, text) != "");
  }
  for (const char* text :
       {"SELECT 1; DROP TABLE t", "SELECT 1 --", "SELECT 1) AS q, (SELECT 2",
        "DELETE FROM t RETURNING *", "SELECT 1 INTO t2", "SELECT $1", "SELECT 1; "}) {
    INFO(text);
    CHECK(problem_of(SqlKind::Query, text) != "");
  }
  for (const char* text :
       {"70); DROP TABLE t; SELECT (1", "70, autovacuum_enabled = off", "70 --"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::OptionValue, text) != "");
  }
  for (const char* text :
       {"FOR VALUES IN (1); DROP TABLE t", "FOR VALUES IN (pwn())", "FOR VALUES IN ((SELECT 1))",
        "FOR VALUES IN (1) PARTITION BY LIST (a) --", "DEFAULT WITH (fillfactor = 10)"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::PartitionBound, text) != "");
  }
  for (const char* text : {"a) WITH (fillfactor = 10", "a); DROP TABLE t; SELECT (1", "a --"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::PartitionKey, text) != "");
  }
  for (const char* text : {"integer SECURITY DEFINER",
                           "integer LANGUAGE sql AS 'x'; DROP TABLE t --", "TABLE(a int) --"}) {
    INFO(text);
    CHECK(problem_of(SqlKind::FunctionReturns, text) != "");
  }
  CHECK(problem_of(SqlKind::SqlFunctionBody, "SELECT FROM WHERE") != "");
}

TEST_CASE("a NUL byte in SQL text is an error at its offset, not a truncation", "[schemas][sql]") {
  const std::string text("SELECT 1 AS a\0; DROP TABLE t", 28);
  const auto problem = check_sql(SqlKind::Query, text);
  REQUIRE(problem);
  CHECK(problem->message == "contains a NUL byte");
  CHECK(problem->offset == std::optional<std::size_t>(13));
}

TEST_CASE("SQL text that is not UTF-8 is an error at its first bad byte", "[schemas][sql]") {
  // libpg_query takes such bytes, and its parse tree (JSON) then cannot be read.
  for (const SqlKind kind : {SqlKind::Expression, SqlKind::Query, SqlKind::SqlFunctionBody}) {
    const auto problem = check_sql(kind, "'caf\xe9' IS NOT NULL");
    REQUIRE(problem);
    CHECK(problem->message == "invalid UTF-8: byte 233 does not start a valid sequence");
    CHECK(problem->offset == std::optional<std::size_t>(4));
  }
  CHECK_FALSE(check_sql(SqlKind::Expression, "'caf\xc3\xa9' IS NOT NULL"));
}

TEST_CASE("a semicolon that would end the statement is named at its place", "[schemas][sql]") {
  const auto type = check_sql(SqlKind::TypeName, "int; drop table orders");
  REQUIRE(type);
  CHECK(type->message ==
        "a ';' ends the statement here: this place takes one part of a statement, not "
        "statements");
  CHECK(type->offset == std::optional<std::size_t>(3));
  const auto spaced = check_sql(SqlKind::OptionValue, "70 ; DROP TABLE t");
  REQUIRE(spaced);
  CHECK(spaced->offset == std::optional<std::size_t>(3));
  // A ';' in a literal or quoted name does not end anything: the error is
  // the parser's own, where it is.
  const auto quoted = check_sql(SqlKind::Expression, "'a;b' >> > 0");
  REQUIRE(quoted);
  CHECK(quoted->message == "syntax error at or near \">\"");
}

TEST_CASE("a parse error points into the text", "[schemas][sql]") {
  const auto problem = check_sql(SqlKind::Expression, "price >> > 0");
  REQUIRE(problem);
  CHECK(problem->message == "syntax error at or near \">\"");
  CHECK(problem->offset == std::optional<std::size_t>(9));
}
