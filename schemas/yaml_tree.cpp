#include "schemas/yaml_tree.hpp"

#include <yaml.h>

#include <algorithm>
#include <unordered_map>

namespace pgshift::schemas::yaml {

namespace {

// Owns a libyaml parser and the event being read.
class EventReader {
 public:
  explicit EventReader(std::string_view text) : text_(text) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~EventReader() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The next event. Throws ParseError.
  const yaml_event_t& next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = false;
    if (yaml_parser_parse(&parser_, &event_) == 0) {
      std::string message = parser_.problem != nullptr ? parser_.problem : "unreadable YAML";
      if (parser_.context != nullptr) {
        message += std::string(" (") + parser_.context + " at line " +
                   std::to_string(parser_.context_mark.line + 1) + ", column " +
                   std::to_string(mark_of(parser_.context_mark).column + 1) + ")";
      }
      throw ParseError{mark_of(parser_.problem_mark), message};
    }
    has_event_ = true;
    return event_;
  }

  // libyaml counts columns in characters; the loader shows the source line
  // under a caret placed by bytes, so the column is counted in bytes.
  Mark mark_of(const yaml_mark_t& mark) {
    if (line_starts_.empty()) {
      line_starts_.push_back(0);
      for (std::size_t pos = text_.find('\n'); pos != std::string_view::npos;
           pos = text_.find('\n', pos + 1)) {
        line_starts_.push_back(pos + 1);
      }
    }
    const std::size_t line = std::min<std::size_t>(mark.line, line_starts_.size() - 1);
    std::size_t pos = line_starts_[line];
    for (std::size_t chars = 0; chars < mark.column && pos < text_.size(); ++chars) {
      // Past the lead byte and its continuation bytes (10xxxxxx).
      ++pos;
      while (pos < text_.size() && (static_cast<unsigned char>(text_[pos]) & 0xC0) == 0x80) ++pos;
    }
    return {static_cast<int>(mark.line), static_cast<int>(pos - line_starts_[line])};
  }

 private:
  std::string_view text_;
  std::vector<std::size_t> line_starts_;  // byte offsets, filled on first use
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool has_event_ = false;
};

bool is_null_text(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

std::string anchor_name(const yaml_char_t* anchor) {
  return anchor == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(anchor));
}

}  // namespace

Node::Type Node::type() const {
  return nodes_ == nullptr ? Type::Undefined : nodes_[index_].type;
}

std::string_view Node::scalar() const {
  if (nodes_ == nullptr) return {};
  const detail::NodeData& data = nodes_[index_];
  return data.scalar_length == 0 ? std::string_view()
                                 : std::string_view(text_ + data.scalar_offset, data.scalar_length);
}

bool Node::plain() const {
  return nodes_ != nullptr && nodes_[index_].plain;
}

Mark Node::mark() const {
  return nodes_ == nullptr ? Mark{} : nodes_[index_].mark;
}

std::size_t Node::size() const {
  if (nodes_ == nullptr) return 0;
  const detail::NodeData& data = nodes_[index_];
  switch (data.type) {
    case Type::Sequence:
      return data.child_count;
    case Type::Map:
      return data.child_count / 2;
    case Type::Undefined:
    case Type::Null:
    case Type::Scalar:
      break;
  }
  return 0;
}

Node Node::child(std::size_t position) const {
  return Node(nodes_, children_, text_, children_[nodes_[index_].first_child + position]);
}

Node Node::operator[](std::size_t index) const {
  if (!is_sequence() || index >= size()) return {};
  return child(index);
}

Node Node::operator[](std::string_view key) const {
  if (!is_map()) return {};
  for (std::size_t entry = 0; entry < size(); ++entry) {
    const Node entry_key = child(2 * entry);
    if (entry_key.is_scalar() && entry_key.scalar() == key) return child(2 * entry + 1);
  }
  return {};
}

Node Node::key(std::size_t index) const {
  if (!is_map() || index >= size()) return {};
  return child(2 * index);
}

Node Node::value(std::size_t index) const {
  if (!is_map() || index >= size()) return {};
  return child(2 * index + 1);
}

void Document::merge_keys(std::vector<std::uint32_t>& kids) const {
  const auto is_merge = [&](std::uint32_t key) {
    const Node key_node = node(key);
    return key_node.is_scalar() && key_node.plain() && key_node.scalar() == "<<";
  };
  bool any = false;
  for (std::size_t at = 0; at + 1 < kids.size(); at += 2) any = any || is_merge(kids[at]);
  if (!any) return;
  std::vector<std::string_view> explicit_keys;
  for (std::size_t at = 0; at + 1 < kids.size(); at += 2) {
    if (!is_merge(kids[at])) explicit_keys.emplace_back(node(kids[at]).scalar());
  }
  std::vector<std::string_view> merged_keys;
  std::vector<std::uint32_t> result;
  const auto bring = [&](const Node& source, std::uint32_t key_index) {
    if (!source.is_map()) {
      throw ParseError{node(key_index).mark(),
                       "a merge key (<<) takes a mapping or a list of mappings"};
    }
    for (std::size_t entry = 0; entry < source.size(); ++entry) {
      const std::string_view key = source.key(entry).scalar();
      if (std::find(explicit_keys.begin(), explicit_keys.end(), key) != explicit_keys.end() ||
          std::find(merged_keys.begin(), merged_keys.end(), key) != merged_keys.end()) {
        continue;
      }
      merged_keys.push_back(key);
      const std::uint32_t first = source.nodes_[source.index_].first_child;
      result.push_back(source.children_[first + 2 * entry]);
      result.push_back(source.children_[first + 2 * entry + 1]);
    }
  };
  for (std::size_t at = 0; at + 1 < kids.size(); at += 2) {
    if (!is_merge(kids[at])) {
      result.push_back(kids[at]);
      result.push_back(kids[at + 1]);
      continue;
    }
    const Node value = node(kids[at + 1]);
    if (value.is_sequence()) {
      for (std::size_t item = 0; item < value.size(); ++item) bring(value[item], kids[at]);
    } else {
      bring(value, kids[at]);
    }
  }
  kids = std::move(result);
}

Document parse(std::string_view text) {
  Document document;
  EventReader reader(text);
  // The containers being read, innermost last, each with the children read
  // so far (the vectors are kept for reuse as the depth changes).
  std::vector<std::uint32_t> open;
  std::vector<std::vector<std::uint32_t>> pending;
  std::unordered_map<std::string, std::uint32_t> anchors;
  int documents = 0;
  // A node per ten bytes or so (a schema written by inspect): room made
  // once, not by growing vectors that move every node as they go.
  document.nodes_.reserve(text.size() / 10 + 1);
  document.children_.reserve(text.size() / 10 + 1);
  // The scalars' text is at most the document's (quotes, escapes, block
  // indentation and folded line breaks only shrink it; an alias copies
  // nothing); pages not written are not resident.
  document.text_.reserve(text.size());

  const auto add = [&](detail::NodeData data, const yaml_char_t* anchor) -> std::uint32_t {
    const auto index = static_cast<std::uint32_t>(document.nodes_.size());
    document.nodes_.push_back(std::move(data));
    if (!open.empty()) pending[open.size() - 1].push_back(index);
    if (anchor != nullptr) anchors[anchor_name(anchor)] = index;
    return index;
  };
  const auto start = [&](Node::Type type, const yaml_event_t& event, const yaml_char_t* anchor) {
    detail::NodeData data;
    data.type = type;
    data.plain = false;
    data.mark = reader.mark_of(event.start_mark);
    const std::uint32_t index = add(std::move(data), anchor);
    open.push_back(index);
    if (pending.size() < open.size()) pending.emplace_back();
    pending[open.size() - 1].clear();
  };
  const auto end = [&]() {
    detail::NodeData& data = document.nodes_[open.back()];
    std::vector<std::uint32_t>& kids = pending[open.size() - 1];
    if (data.type == Node::Type::Map) document.merge_keys(kids);
    data.first_child = static_cast<std::uint32_t>(document.children_.size());
    data.child_count = static_cast<std::uint32_t>(kids.size());
    document.children_.insert(document.children_.end(), kids.begin(), kids.end());
    open.pop_back();
  };

  for (bool done = false; !done;) {
    const yaml_event_t& event = reader.next();
    switch (event.type) {
      case YAML_STREAM_END_EVENT:
        done = true;
        break;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1) {
          throw ParseError{reader.mark_of(event.start_mark),
                           "a second document starts here; a desired-state file holds one "
                           "document"};
        }
        break;
      case YAML_SCALAR_EVENT: {
        detail::NodeData data;
        const std::string_view scalar(reinterpret_cast<const char*>(event.data.scalar.value),
                                      event.data.scalar.length);
        if (document.text_.size() + scalar.size() > UINT32_MAX) {
          throw ParseError{reader.mark_of(event.start_mark),
                           "the document's text is over 4 GB; pgshift reads smaller files"};
        }
        data.scalar_offset = static_cast<std::uint32_t>(document.text_.size());
        data.scalar_length = static_cast<std::uint32_t>(scalar.size());
        document.text_.insert(document.text_.end(), scalar.begin(), scalar.end());
        data.plain = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                     event.data.scalar.tag == nullptr;
        data.type = data.plain && is_null_text(scalar) ? Node::Type::Null : Node::Type::Scalar;
        data.mark = reader.mark_of(event.start_mark);
        add(std::move(data), event.data.scalar.anchor);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
        start(Node::Type::Sequence, event, event.data.sequence_start.anchor);
        break;
      case YAML_MAPPING_START_EVENT:
        start(Node::Type::Map, event, event.data.mapping_start.anchor);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        end();
        break;
      case YAML_ALIAS_EVENT: {
        const std::string name = anchor_name(event.data.alias.anchor);
        const auto found = anchors.find(name);
        if (found == anchors.end()) {
          throw ParseError{reader.mark_of(event.start_mark),
                           "the alias *" + name + " names no anchor before it"};
        }
        if (std::find(open.begin(), open.end(), found->second) != open.end()) {
          throw ParseError{reader.mark_of(event.start_mark),
                           "the alias *" + name + " is inside the node it names"};
        }
        if (!open.empty()) pending[open.size() - 1].push_back(found->second);
        break;
      }
      case YAML_NO_EVENT:
      case YAML_STREAM_START_EVENT:
      case YAML_DOCUMENT_END_EVENT:
        break;
    }
  }
  if (document.nodes_.empty()) document.nodes_.emplace_back();  // an empty stream: null
  return document;
}

}  // namespace pgshift::schemas::yaml
