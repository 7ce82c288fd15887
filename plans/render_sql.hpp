// The plan as a psql script. Pure: Plan in, text out.
#pragma once

#include <string>

#include "plans/plan.hpp"

namespace pgshift::plans {

// A script runnable as is with `psql -v ON_ERROR_STOP=1 -f plan.sql` (it also
// sets ON_ERROR_STOP itself). Per step: a comment block (summary, locks,
// duration, hazards, rationale), SET lock_timeout and statement_timeout, then
//   - a transactional step in its own BEGIN ... COMMIT;
//   - a non-transactional step alone, outside any transaction block;
//   - a backfill as a query that generates one UPDATE per key range, run by
//     psql's \gexec (psql 9.6+): each UPDATE runs and commits on its own, on
//     every server version, without a DO block or procedure.
// Diagnostics are listed as comments at the top.
std::string render_sql(const Plan& plan);

// The SQL of one step as render_sql writes it (SET lines included); the
// Markdown rendering shows the same text.
std::string render_step_sql(const Step& step);

}  // namespace pgshift::plans
