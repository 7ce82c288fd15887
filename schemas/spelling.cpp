#include "schemas/spelling.hpp"

#include <algorithm>

namespace pgshift::schemas {

std::size_t edit_distance(const std::string& from, const std::string& to) {
  std::vector<std::size_t> row(to.size() + 1);
  for (std::size_t to_idx = 0; to_idx <= to.size(); ++to_idx) row[to_idx] = to_idx;
  for (std::size_t from_idx = 1; from_idx <= from.size(); ++from_idx) {
    std::size_t diagonal = row[0];
    row[0] = from_idx;
    for (std::size_t to_idx = 1; to_idx <= to.size(); ++to_idx) {
      const std::size_t above = row[to_idx];
      row[to_idx] = std::min({row[to_idx] + 1, row[to_idx - 1] + 1,
                              diagonal + (from[from_idx - 1] == to[to_idx - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[to.size()];
}

std::optional<std::string> closest_name(const std::string& typed,
                                        const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(typed, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace pgshift::schemas
