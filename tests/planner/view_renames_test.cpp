// rename_column_in_view: a view's text as the server prints it once a column
// it reads is renamed (the expected texts are pg_get_viewdef's on
// PostgreSQL 11, 15 and 18 after ALTER TABLE ... RENAME COLUMN), and the
// texts it declines to follow.
#include <catch2/catch.hpp>
#include <string>

#include "planner/view_renames.hpp"

using pgshift::planner::rename_column_in_view;

TEST_CASE(
    "a bare reference to a renamed column keeps its output name with AS, and a named one, a "
    "condition and an ordering only change the name",
    "[planner][rename]") {
  CHECK(rename_column_in_view(" SELECT t.id,\n    t.w\n   FROM t\n  WHERE t.w <> 'x'::text\n"
                              "  ORDER BY t.w",
                              "public", "t", "w", "w2", true) ==
        " SELECT t.id,\n    t.w2 AS w\n   FROM t\n  WHERE t.w2 <> 'x'::text\n  ORDER BY t.w2");
  CHECK(rename_column_in_view(" SELECT t.w AS label\n   FROM t", "public", "t", "w", "w2", true) ==
        " SELECT t.w2 AS label\n   FROM t");
  // PostgreSQL 16 on prints a one-relation view's references unqualified.
  CHECK(rename_column_in_view(" SELECT w\n   FROM t", "public", "t", "w", "w2", true) ==
        " SELECT w2 AS w\n   FROM t");
}

TEST_CASE(
    "references through an alias, in subqueries and in every arm of a UNION follow the "
    "rename, and another table's column of the same name does not",
    "[planner][rename]") {
  CHECK(rename_column_in_view(" SELECT a.w,\n    b.w AS bw\n   FROM app.zt a\n     JOIN zu b ON "
                              "a.id = b.id\nUNION\n SELECT zt.w,\n    zt.w AS bw\n   FROM app.zt",
                              "app", "zt", "w", "w2", true) ==
        " SELECT a.w2 AS w,\n    b.w AS bw\n   FROM app.zt a\n     JOIN zu b ON a.id = b.id\n"
        "UNION\n SELECT zt.w2 AS w,\n    zt.w2 AS bw\n   FROM app.zt");
  CHECK(rename_column_in_view(" SELECT s.w AS sw,\n    (EXISTS ( SELECT zt2.w\n           FROM zt "
                              "zt2)) AS e\n   FROM ( SELECT zt_1.w\n           FROM zt zt_1) s",
                              "public", "zt", "w", "w2", true) ==
        " SELECT s.w AS sw,\n    (EXISTS ( SELECT zt2.w2 AS w\n           FROM zt zt2)) AS e\n"
        "   FROM ( SELECT zt_1.w2 AS w\n           FROM zt zt_1) s");
  // Quoted names stay quoted where they must be.
  CHECK(rename_column_in_view(" SELECT \"T\".\"W\"\n   FROM \"T\"", "public", "T", "W", "New W",
                              true) == " SELECT \"T\".\"New W\" AS \"W\"\n   FROM \"T\"");
}

TEST_CASE("a view text the rename cannot be followed in exactly is declined", "[planner][rename]") {
  // A join with USING or NATURAL, or with an alias of its own.
  CHECK_FALSE(rename_column_in_view(" SELECT t.w\n   FROM t\n     JOIN u USING (id)", "public", "t",
                                    "w", "w2", true));
  CHECK_FALSE(rename_column_in_view(" SELECT t.w\n   FROM t\n     NATURAL JOIN u", "public", "t", "w",
                                    "w2", true));
  CHECK_FALSE(rename_column_in_view(" SELECT j.w\n   FROM (t\n     JOIN u ON t.id = u.id) j",
                                    "public", "t", "w", "w2", true));
  // A WITH query named as the table; a subquery under the table's name.
  CHECK_FALSE(rename_column_in_view(" WITH t AS (\n         SELECT 1 AS w\n        )\n SELECT t.w\n"
                                    "   FROM t",
                                    "public", "t", "w", "w2", true));
  CHECK_FALSE(rename_column_in_view(" SELECT t.w\n   FROM t,\n    ( SELECT 1 AS w) t", "public", "t",
                                    "w", "w2", true));
  // An unqualified reference where several relations are read.
  CHECK_FALSE(rename_column_in_view(" SELECT w\n   FROM t,\n    u", "public", "t", "w", "w2", true));
  // The table is not read at all (another schema's, or unqualified while
  // another schema has a table of its name), or the text does not parse.
  CHECK_FALSE(rename_column_in_view(" SELECT t.w\n   FROM other.t", "public", "t", "w", "w2", true));
  CHECK_FALSE(rename_column_in_view(" SELECT t.w\n   FROM t", "app", "t", "w", "w2", false));
  CHECK_FALSE(rename_column_in_view(" SELECT t.w FROM", "public", "t", "w", "w2", true));
}
