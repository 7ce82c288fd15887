// Pieces of JSON shared by the plan (render_json.cpp) and the drift report
// (drift_render.cpp), so an object or a diagnostic reads the same in both.
// Internal to plans/: not part of any public header.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "plans/plan.hpp"
#include "schemas/model.hpp"

namespace pgshift::plans::detail {

using Json = nlohmann::ordered_json;

// {"kind", "schema", "table", "name"}.
Json object_json(const schemas::ObjectId& id);
// [{"severity", "object", "message"}, ...].
Json diagnostics_json(const std::vector<Diagnostic>& diagnostics);

}  // namespace pgshift::plans::detail
