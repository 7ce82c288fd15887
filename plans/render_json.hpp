// The plan as JSON: the applier's input, stable and versioned.
#pragma once

#include <string>

#include "plans/plan.hpp"

namespace pgshift::plans {

// The JSON layout version written in "format_version". Bump it when a field
// changes meaning or disappears; adding a field keeps it.
inline constexpr int kPlanFormatVersion = 1;

// Pretty-printed JSON (two-space indent, keys in a fixed order, trailing
// newline): the same plan always gives the same bytes. Locks also carry the
// modes they block ("blocks"), for readers; plan_from_json ignores them.
std::string render_json(const Plan& plan);

// Reads what render_json wrote: plan_from_json(render_json(p)) == p.
// Throws pgshift::Error when the text is not JSON, a field is missing or of
// the wrong type, a name (phase, lock mode, hazard, ...) is unknown, or the
// format_version is not kPlanFormatVersion.
Plan plan_from_json(const std::string& text);

// "sha256:" and 64 hex digits: SHA-256 (OpenSSL's libcrypto) of
// render_json(plan), the canonical JSON. A reviewer pins it (`apply
// --expect-hash`); a plan file read back and re-rendered hashes the same
// whatever its whitespace, and any change to a field changes it, except the
// times measured while planning (the data checks' elapsed_ms, the
// calibrated throughput and the step estimates made from it), which are
// zeroed or left out first: planning the same input against the same data
// twice gives the same hash. The SQL and Markdown renderings print it.
// Throws pgshift::Error if libcrypto fails.
std::string plan_content_hash(const Plan& plan);

}  // namespace pgshift::plans
