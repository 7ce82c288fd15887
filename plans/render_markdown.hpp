// The plan as Markdown for a pull-request comment.
#pragma once

#include <string>

#include "plans/plan.hpp"

namespace pgshift::plans {

// A summary (steps, tables touched, hazards, diagnostics), a table of steps
// with lock mode, what it blocks, duration class and row estimate, then the
// SQL of each step as render_sql writes it.
std::string render_markdown(const Plan& plan);

}  // namespace pgshift::plans
