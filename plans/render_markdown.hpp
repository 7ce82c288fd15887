// The plan as Markdown for a pull-request comment.
#pragma once

#include <string>

#include "plans/plan.hpp"

namespace pgshift::plans {

// A summary (steps, tables touched, hazards, diagnostics), a table of steps
// with lock mode, what it blocks, duration class and row estimate, then the
// SQL of each step as render_sql writes it.
std::string render_markdown(const Plan& plan);

// `text` (a message naming objects) as Markdown prose: one line
// (schemas::printable), with every character Markdown would read as emphasis,
// a link, HTML, a code span or a table border backslash-escaped.
std::string markdown_text(const std::string& text);

}  // namespace pgshift::plans
