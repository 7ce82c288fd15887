#include "planner/order.hpp"

#include <algorithm>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>
#include <functional>
#include <queue>

namespace pgshift::planner {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

// Records the first back edge and the DFS tree parents, from which the cycle
// is read back as ninja's VerifyDAG does with its stack.
class CycleFinder : public boost::default_dfs_visitor {
 public:
  CycleFinder(std::vector<Vertex>& parent, std::vector<Vertex>& back_edge)
      : parent_(parent), back_edge_(back_edge) {}
  void tree_edge(Edge edge, const Graph& graph) {
    parent_[boost::target(edge, graph)] = boost::source(edge, graph);
  }
  void back_edge(Edge edge, const Graph& graph) {
    if (back_edge_.empty()) back_edge_ = {boost::source(edge, graph), boost::target(edge, graph)};
  }

 private:
  std::vector<Vertex>& parent_;
  std::vector<Vertex>& back_edge_;
};

std::vector<size_t> find_cycle(const Graph& graph) {
  std::vector<Vertex> parent(boost::num_vertices(graph));
  std::vector<Vertex> back_edge;
  boost::depth_first_search(graph, boost::visitor(CycleFinder(parent, back_edge)));
  // back_edge = {u, v}: v is an ancestor of u; the cycle is v -> ... -> u -> v.
  std::vector<size_t> cycle = {back_edge[0]};
  while (cycle.back() != back_edge[1]) cycle.push_back(parent[cycle.back()]);
  std::reverse(cycle.begin(), cycle.end());
  cycle.push_back(back_edge[1]);
  return cycle;
}

}  // namespace

OrderOutcome order_topologically(size_t vertex_count,
                                 const std::vector<std::pair<size_t, size_t>>& edges) {
  Graph graph(vertex_count);
  for (const auto& [from, to] : edges) {
    if (!boost::edge(from, to, graph).second) boost::add_edge(from, to, graph);
  }
  std::vector<size_t> waiting_on(vertex_count);
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t vertex = 0; vertex < vertex_count; ++vertex) {
    waiting_on[vertex] = boost::in_degree(vertex, graph);
    if (waiting_on[vertex] == 0) ready.push(vertex);
  }
  OrderOutcome outcome;
  while (!ready.empty()) {
    const size_t vertex = ready.top();
    ready.pop();
    outcome.order.push_back(vertex);
    for (auto [edge, end] = boost::out_edges(vertex, graph); edge != end; ++edge) {
      const size_t next = boost::target(*edge, graph);
      if (--waiting_on[next] == 0) ready.push(next);
    }
  }
  if (outcome.order.size() != vertex_count) {
    outcome.order.clear();
    outcome.cycle = find_cycle(graph);
  }
  return outcome;
}

}  // namespace pgshift::planner
