// Topological order of plan steps. The only user of Boost.Graph.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace pgshift::planner {

struct OrderOutcome {
  // Vertices in an order that respects every edge; empty when `cycle` is not.
  std::vector<size_t> order;
  // A cycle, as vertices v0 -> v1 -> ... -> v0 (first repeated at the end);
  // empty when the graph is acyclic.
  std::vector<size_t> cycle;
};

// Orders vertices 0..vertex_count-1 so that for each edge (from, to), `from`
// comes first. Among the vertices that are ready, the smallest index goes
// first (Kahn's algorithm with a min-heap): numbering the vertices by their
// stable sort key gives the order that disturbs that key least, as
// pg_dump_sort.c does. Deterministic. REQUIRES: every index < vertex_count.
OrderOutcome order_topologically(size_t vertex_count,
                                 const std::vector<std::pair<size_t, size_t>>& edges);

}  // namespace pgshift::planner
