// A YAML document as a read-only tree, parsed by libyaml.
//
// The loader reads a desired state of 10,000 tables (about 9 MB) on every
// `plan` and `drift`; yaml-cpp spent about 3 s on such a file building its
// node graph, this tree about a tenth of that. It keeps what the loader
// needs: each node's kind, its scalar text, whether the scalar was plain (a
// quoted "true" is a string), and where it starts in the text.
//
// Storage is flat: every node lives in one vector of the Document, a
// container's children in one shared index vector and every scalar's text in
// one buffer, so a parse allocates nothing per node. Aliases share the
// anchored node.
//
// Thread safety: a Document is immutable after parse; concurrent reads are
// safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pgshift::schemas::yaml {

// Where a node or a problem starts; 0-based line and column (in characters).
struct Mark {
  int line = 0;
  int column = 0;
};

// A document the parser rejects: where, and libyaml's words for why.
struct ParseError {
  Mark mark;
  std::string message;
};

class Document;

namespace detail {
struct NodeData;
}  // namespace detail

// A handle to one node of a Document, or an undefined node (a missing key,
// an index past the end). Cheap to copy. REQUIRES: the Document outlives it.
class Node {
 public:
  enum class Type : std::uint8_t { Undefined, Null, Scalar, Sequence, Map };

  Node() = default;

  Type type() const;
  bool is_defined() const { return type() != Type::Undefined; }
  // A plain, untagged "", "~", "null", "Null" or "NULL" (as YAML's core
  // schema reads it), or a key with no value.
  bool is_null() const { return type() == Type::Null; }
  bool is_scalar() const { return type() == Type::Scalar; }
  bool is_sequence() const { return type() == Type::Sequence; }
  bool is_map() const { return type() == Type::Map; }

  // The scalar's text; empty for any other node. Valid while the Document
  // lives.
  std::string_view scalar() const;
  // True for a plain (unquoted, untagged) scalar: `true` and `10` are plain,
  // `"true"`, `'10'`, `|` blocks and `!!str 10` are not.
  bool plain() const;
  Mark mark() const;

  // Items of a sequence, entries of a mapping; 0 for anything else.
  std::size_t size() const;
  // The item at `index` of a sequence; undefined otherwise.
  Node operator[](std::size_t index) const;
  // The value of the first entry whose key is the scalar `key`; undefined
  // when there is none or this is not a mapping.
  Node operator[](std::string_view key) const;
  // The key and the value of the mapping entry at `index`.
  Node key(std::size_t index) const;
  Node value(std::size_t index) const;

 private:
  friend class Document;
  Node(const detail::NodeData* nodes, const std::uint32_t* children, const char* text,
       std::uint32_t index)
      : nodes_(nodes), children_(children), text_(text), index_(index) {}
  Node child(std::size_t position) const;

  // Into the Document's buffers, which a move of the Document keeps.
  const detail::NodeData* nodes_ = nullptr;
  const std::uint32_t* children_ = nullptr;
  const char* text_ = nullptr;
  std::uint32_t index_ = 0;
};

namespace detail {
struct NodeData {
  Node::Type type = Node::Type::Null;
  bool plain = true;
  Mark mark;
  // The scalar's text: bytes [scalar_offset, scalar_offset + scalar_length)
  // of the Document's text. One buffer for every scalar, not a string per
  // node: a 10,000-table desired state has about 870,000 nodes.
  std::uint32_t scalar_offset = 0;
  std::uint32_t scalar_length = 0;
  // Into the children: a sequence's items, or a mapping's keys and values
  // alternating (2 * size entries).
  std::uint32_t first_child = 0;
  std::uint32_t child_count = 0;
};
}  // namespace detail

// One parsed document. Move-only; its Nodes stay valid when it moves.
class Document {
 public:
  Document() = default;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  Document(Document&&) = default;
  Document& operator=(Document&&) = default;

  // A null node for an empty stream.
  Node root() const { return node(0); }
  // How many nodes the document holds (scalars and collections).
  std::size_t node_count() const { return nodes_.size(); }

 private:
  friend Document parse(std::string_view text);
  Node node(std::uint32_t index) const {
    return Node(nodes_.data(), children_.data(), text_.data(), index);
  }
  // A merge key (`<<: *defaults`, or `<<: [*a, *b]`) brings the entries of
  // the mappings it names that the mapping does not set itself; of two
  // merged mappings setting a key, the first wins. `kids` holds a mapping's
  // keys and values alternating; its merge entries are replaced by what they
  // bring. Throws ParseError when a merge key names something else.
  void merge_keys(std::vector<std::uint32_t>& kids) const;

  std::vector<detail::NodeData> nodes_;  // never empty after parse: [0] is the root
  std::vector<std::uint32_t> children_;
  std::vector<char> text_;  // every scalar's text, one after the other
};

// Parses `text`, which must hold at most one document (a second one is an
// error: a desired state is one document per file). Throws ParseError.
Document parse(std::string_view text);

}  // namespace pgshift::schemas::yaml
