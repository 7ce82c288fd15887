// The plan as a plain SQL script. Pure: Plan in, text out.
#pragma once

#include <string>

#include "plans/plan.hpp"

namespace pgshift::plans {

// Plain SQL, with no psql meta-command: any client can run it statement by
// statement in autocommit mode, stopping at the first error (`psql -X -v
// ON_ERROR_STOP=1 -f plan.sql`), and any SQL parser or linter reads it.
// Per step: a comment block (summary, locks, duration, hazards, rationale),
// SET lock_timeout and statement_timeout, then
//   - a transactional step in its own BEGIN ... COMMIT;
//   - a non-transactional step alone, outside any transaction block;
//   - a backfill as one DO block that updates the next keys (or blocks) per iteration and
//     COMMITs after each (PostgreSQL 11+, outside a transaction block). Its
//     statement_timeout is 0, since it would time the whole block; its
//     per-batch value is in a comment (pgshift apply enforces it per batch).
// Diagnostics are listed as comments at the top.
std::string render_sql(const Plan& plan);

// The SQL of one step as render_sql writes it (SET lines included); the
// Markdown rendering shows the same text.
std::string render_step_sql(const Step& step);

}  // namespace pgshift::plans
