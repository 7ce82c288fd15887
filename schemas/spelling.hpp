// Spelling suggestions for names a user typed: "did you mean ...?", after
// ninja's src/edit_distance.cc.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace pgshift::schemas {

// Suggestions are made up to this distance (as ninja's kMaxValidEditDistance).
inline constexpr std::size_t kMaxSuggestionDistance = 3;

// Levenshtein distance: insertions, deletions and substitutions of bytes.
std::size_t edit_distance(const std::string& from, const std::string& to);

// The candidate nearest to `typed` within kMaxSuggestionDistance (the first
// of equally near ones), or nullopt.
std::optional<std::string> closest_name(const std::string& typed,
                                        const std::vector<std::string>& candidates);

}  // namespace pgshift::schemas
