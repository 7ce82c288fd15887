// A view's query as the server shows it once a column it reads is renamed.
//
// ALTER TABLE ... RENAME COLUMN changes no view: a view holds its query as a
// tree of column numbers, and pg_get_viewdef prints it again with the new
// name. Where an output column had taken its name from the renamed one, it
// keeps that name, and the server prints it with AS: `t.w` becomes
// `t.w2 AS w`. The planner compares views by their text, so it must know
// that text to plan only the rename.
//
// Thread safety: a pure function (libpg_query, through schemas/sql_check_json.hpp,
// keeps its state per thread).
#pragma once

#include <optional>
#include <string>

namespace pgshift::planner {

// `definition` (a SELECT as pg_get_viewdef writes it) once column `from` of
// the table `schema`.`table` is renamed to `to`: each reference to the
// column names `to`, and each output column named after it by a bare
// reference gets `AS from`. `unqualified_is_table`: an unqualified range
// item named `table` is that table (no other schema has a table of its
// name). nullopt when the text is not one this follows exactly: a parse
// error, a join with USING, NATURAL or an alias, a WITH query named as the
// table, another range item under one of the table's reference names, a
// reference it cannot place, or no reference at all.
std::optional<std::string> rename_column_in_view(const std::string& definition,
                                                 const std::string& schema,
                                                 const std::string& table,
                                                 const std::string& from, const std::string& to,
                                                 bool unqualified_is_table);

}  // namespace pgshift::planner
