#include "schemas/yaml_writer.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <string_view>
#include <utility>

#include "schemas/error.hpp"
#include "schemas/text_file.hpp"
#include "schemas/yaml_names.hpp"
#include "schemas/yaml_text.hpp"
#include "schemas/yaml_tree.hpp"

namespace pgshift::schemas {

namespace {

// ---------------------------------------------------------------------------
// A small YAML document tree and its emitter. No library emitter is used:
// we need to decide quoting, flow style and block scalars ourselves to get
// minimal, stable output.
// ---------------------------------------------------------------------------

constexpr size_t kLineWidth = 100;  // flow collections longer than this go block
constexpr size_t kIndent = 2;

struct Node {
  enum class Kind { Scalar, Sequence, Mapping };
  Kind kind = Kind::Mapping;
  std::string scalar;
  std::vector<Node> items;                           // Sequence
  std::vector<std::pair<std::string, Node>> fields;  // Mapping, in output order
  bool block = false;  // a collection of objects: never written in flow style
  // A block mapping whose fields are made one at a time as they are written
  // and dropped after (a schema's tables): the document never holds all the
  // tables' nodes at once, which at 10,000 tables were about as large as
  // the model. Set only when there is a field to make: make_fields(sink,
  // begin, end) makes the fields [begin, end) of the `made_fields`, and may
  // be called from two threads at once (append_made_fields).
  using FieldSink = std::function<void(const std::string&, Node&&)>;
  std::function<void(const FieldSink&, std::size_t, std::size_t)> make_fields;
  std::size_t made_fields = 0;

  bool empty() const {
    return kind == Kind::Sequence ? items.empty() : fields.empty() && !make_fields;
  }
  // Nodes are taken by rvalue: a subtree is moved into its parent, never copied.
  void add(const std::string& key, Node&& value) { fields.emplace_back(key, std::move(value)); }
  void add(const std::string& key, const std::string& value);
  void add_if(const std::string& key, const std::optional<std::string>& value) {
    if (value) add(key, *value);
  }
  void add_if(const std::string& key, bool value) {
    if (value) add(key, "true");
  }
  void add_if(const std::string& key, const std::vector<std::string>& values);
  // Adds a collection unless it is empty.
  void add_nonempty(const std::string& key, Node&& value) {
    if (!value.empty()) add(key, std::move(value));
  }
};

Node leaf(const std::string& text) {
  return {Node::Kind::Scalar, text};
}

Node mapping(bool block = false) {
  Node node;
  node.block = block;
  return node;
}

Node sequence(const std::vector<std::string>& items, bool block = false) {
  Node node{Node::Kind::Sequence};
  node.block = block;
  for (const auto& item : items) node.items.push_back(leaf(item));
  return node;
}

void Node::add(const std::string& key, const std::string& value) {
  add(key, leaf(value));
}

void Node::add_if(const std::string& key, const std::vector<std::string>& values) {
  if (!values.empty()) add(key, sequence(values));
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7F;
}

// Whether `text` holds a Unicode line separator (NEL, LS, PS) or a byte
// order mark, which end or start lines for a YAML reader.
bool has_unicode_line_mark(std::string_view text) {
  for (const std::string_view mark :
       {std::string_view("\xC2\x85"), std::string_view("\xE2\x80\xA8"),
        std::string_view("\xE2\x80\xA9"), std::string_view("\xEF\xBB\xBF")}) {
    if (text.find(mark) != std::string_view::npos) return true;
  }
  return false;
}

// Whether `text` reads back as itself when written as a plain scalar; in flow
// context (inside [] or {}) the flow indicators end a scalar too.
// Conservative: anything doubtful is quoted.
bool is_plain(const std::string& text, bool in_flow) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return false;
  }
  if (text.front() == ' ' || text.back() == ' ') return false;
  if (text.rfind("---", 0) == 0 || text.rfind("...", 0) == 0) return false;
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(text.front()) != std::string_view::npos &&
      !(text.front() == '-' && text.size() > 1 &&
        std::isdigit(static_cast<unsigned char>(text[1])))) {
    return false;
  }
  // One pass over the bytes (at 10,000 tables, inspect writes about 300,000
  // scalars: searching each for every special sequence apart was a third of
  // the writer's time).
  bool multibyte = false;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      multibyte = true;
      continue;
    }
    if (is_control(byte) || c == ':' || c == '#') return false;
    // A reader may also stop at '?' in flow context ("[a?]").
    if (in_flow && (c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '?')) {
      return false;
    }
  }
  return !multibyte || !has_unicode_line_mark(text);
}

// Appends `text` double-quoted, escaped, to `out`.
void append_double_quoted(const std::string& text, std::string& out) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (is_control(byte)) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  out += '"';
}

// Thrown while writing a key or value that is not UTF-8; document() then
// finds it again by its path (require_utf8) for the message.
struct NotUtf8 {};

// Appends `text` as a scalar on the line (plain when it reads back as
// itself, else double-quoted) to `out`.
void append_inline_scalar(const std::string& text, bool in_flow, std::string& out) {
  if (first_invalid_utf8(text)) throw NotUtf8{};
  if (is_plain(text, in_flow)) {
    out += text;
  } else {
    append_double_quoted(text, out);
  }
}

// A multi-line text that a literal block scalar (`|`) may hold: printable
// characters (tabs allowed) on more than one line. Whether it holds it
// exactly is decided by reading the block back (literal_form).
bool is_literal(const std::string& text) {
  if (text.find('\n') == std::string::npos || text.find_first_not_of('\n') == std::string::npos) {
    return false;
  }
  for (const char c : text) {
    if (c != '\n' && c != '\t' && is_control(static_cast<unsigned char>(c))) return false;
  }
  return !has_unicode_line_mark(text);
}

// `text` as a literal block scalar whose lines are indented by `indent`, from
// the indicator line on. A first line that starts with a blank needs the
// indentation indicator (the parent's indentation plus kIndent); trailing
// line breaks choose the chomping: none "-", one "", more "+".
std::string literal_block(const std::string& text, size_t indent) {
  size_t trailing = 0;
  while (trailing < text.size() && text[text.size() - 1 - trailing] == '\n') ++trailing;
  const std::string body = text.substr(0, text.size() - trailing);
  const auto first = body.find_first_not_of('\n');
  const bool blank_start =
      first != std::string::npos && (body[first] == ' ' || body[first] == '\t');
  std::string out = "|";
  if (blank_start) out += std::to_string(kIndent);
  out += trailing == 0 ? "-\n" : trailing == 1 ? "\n" : "+\n";
  size_t start = 0;
  while (true) {
    const auto end = body.find('\n', start);
    const std::string line = body.substr(start, end - start);
    if (!line.empty()) out += std::string(indent, ' ') + line;
    out += "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (size_t extra = 1; extra < trailing; ++extra) out += "\n";
  return out;
}

// The literal block of `text` after "key:" (or "-" for a list item) at
// `indent`, when reading it back gives `text` exactly; nullopt otherwise (the
// caller writes it double-quoted). Lines of blanks, a first line that starts
// with one, trailing blanks and line breaks are where block scalars and
// their readers disagree: the read-back decides rather than a rule.
std::optional<std::string> literal_form(const std::string& text, size_t indent, bool list_item) {
  if (!is_literal(text)) return std::nullopt;
  const std::string block_text = literal_block(text, indent + kIndent);
  const std::string head = std::string(indent, ' ') + (list_item ? "-" : "k:");
  try {
    const yaml::Document read = yaml::parse(head + " " + block_text);
    const yaml::Node value = list_item ? read.root()[0] : read.root()["k"];
    if (value.is_scalar() && value.scalar() == text) return block_text;
  } catch (const yaml::ParseError&) {
  }
  return std::nullopt;
}

// Appends the flow form of `node` to `out` and returns true when it is at
// most `limit` characters long; false, with `out` as it was, when it is longer
// or must be written in block style. The text stops as soon as it passes the
// limit: a table's mapping is not written whole in flow style only to be
// thrown away, again at each level below it.
bool append_flow(const Node& node, size_t limit, std::string& out) {
  const size_t start = out.size();
  const auto give_up = [&] {
    out.resize(start);
    return false;
  };
  if (node.kind == Node::Kind::Scalar) {
    if (node.scalar.find('\n') != std::string::npos && is_literal(node.scalar)) return false;
    append_inline_scalar(node.scalar, true, out);
    return out.size() - start <= limit || give_up();
  }
  if (node.block && !node.empty()) return false;
  const bool is_sequence = node.kind == Node::Kind::Sequence;
  if (node.empty()) {
    out += is_sequence ? "[]" : "{}";
    return true;
  }
  const size_t closing = is_sequence ? 1 : 2;  // "]" or " }"
  out += is_sequence ? "[" : "{ ";
  bool first = true;
  const auto append = [&](const std::string* key, const Node& value) {
    if (!first) out += ", ";
    first = false;
    if (key != nullptr) {
      append_inline_scalar(*key, true, out);
      out += ": ";
    }
    const size_t used = out.size() - start;
    if (used + closing > limit) return false;
    return append_flow(value, limit - used - closing, out);
  };
  if (is_sequence) {
    for (const auto& item : node.items) {
      if (!append(nullptr, item)) return give_up();
    }
  } else {
    for (const auto& [key, value] : node.fields) {
      if (!append(&key, value)) return give_up();
    }
  }
  out += is_sequence ? "]" : " }";
  return true;
}

void block(const Node& node, size_t indent, bool first_margin, std::string& out);

// Appends to `out` what follows "key:" or, for a list item, "-" for `value`
// at `indent`, up to the end of its last line; `used` is the width of the
// line so far.
void after_indicator(const Node& value, size_t indent, size_t used, bool list_item,
                     std::string& out) {
  if (value.kind == Node::Kind::Scalar) {
    if (first_invalid_utf8(value.scalar)) throw NotUtf8{};
    out += ' ';
    if (auto literal = literal_form(value.scalar, indent, list_item)) {
      out += *literal;
    } else {
      append_inline_scalar(value.scalar, false, out);
      out += '\n';
    }
    return;
  }
  // An empty collection has no block form: it stays "[]" or "{}" past the width.
  const size_t limit = value.empty()           ? std::string::npos
                       : used + 1 < kLineWidth ? kLineWidth - used - 1
                                               : 0;
  const size_t before = out.size();
  out += ' ';
  if (append_flow(value, limit, out)) {
    out += '\n';
    return;
  }
  out.resize(before);
  if (value.kind == Node::Kind::Mapping && list_item) {
    // A mapping as a list item starts after the dash: "- key: value".
    out += ' ';
    block(value, indent + kIndent, false, out);
    return;
  }
  out += '\n';
  block(value, indent + kIndent, true, out);
}

// Appends the field `key`: `value` of a block mapping at `indent` to `out`,
// indented when `margin` (else it follows a list item's dash).
void append_field(const std::string& key, const Node& value, size_t indent, bool margin,
                  std::string& out) {
  if (margin) out.append(indent, ' ');
  const size_t name_start = out.size();
  append_inline_scalar(key, false, out);
  const size_t name_size = out.size() - name_start;
  out += ':';
  after_indicator(value, indent, indent + name_size + 1, false, out);
}

// From this many made fields on (a schema's tables), the second half is
// written on another thread into its own text, appended after the first
// half's: writing the 10,000 tables was most of the writer's 80 ms, with
// the other core idle.
constexpr std::size_t kFieldsWrittenInTwo = 512;

// Appends the fields `node` makes (Node::make_fields) at `indent` to `out`,
// the first indented when `margin`.
void append_made_fields(const Node& node, size_t indent, bool margin, std::string& out) {
  const auto write = [&node, indent](std::size_t begin, std::size_t end, bool first_margin,
                                     std::string& text) {
    bool indented = first_margin;
    node.make_fields(
        [&](const std::string& key, Node&& value) {
          append_field(key, value, indent, indented, text);
          indented = true;
        },
        begin, end);
  };
  const std::size_t count = node.made_fields;
  if (count < kFieldsWrittenInTwo) {
    write(0, count, margin, out);
    return;
  }
  const std::size_t half = count / 2;
  std::string second;
  std::future<void> later =
      std::async(std::launch::async, [&] { write(half, count, true, second); });
  try {
    write(0, half, margin, out);
  } catch (...) {
    later.wait();  // it uses `second` and `node`; its own failure adds nothing
    throw;
  }
  later.get();
  out += second;
}

// Appends `node` in block style at `indent` to `out`; without `first_margin`
// its first line starts with no indentation (it follows a list item's dash).
void block(const Node& node, size_t indent, bool first_margin, std::string& out) {
  bool first = true;
  if (node.kind == Node::Kind::Mapping) {
    for (const auto& [key, value] : node.fields) {
      append_field(key, value, indent, !first || first_margin, out);
      first = false;
    }
    if (node.make_fields) append_made_fields(node, indent, !first || first_margin, out);
    return;
  }
  for (const auto& item : node.items) {
    if (!first || first_margin) out.append(indent, ' ');
    first = false;
    out += '-';
    after_indicator(item, indent, indent + 1, true, out);
  }
}

// ---------------------------------------------------------------------------
// The model as a document tree. Each function writes one object kind, leaving
// out every value equal to what the loader assumes when it is absent.
// ---------------------------------------------------------------------------

std::string integer(int64_t value) {
  return std::to_string(value);
}

void add_sequence_options(Node& node, const SequenceOptions& options) {
  if (options.start) node.add("start", integer(*options.start));
  if (options.increment) node.add("increment", integer(*options.increment));
  if (options.min_value) node.add("min_value", integer(*options.min_value));
  if (options.max_value) node.add("max_value", integer(*options.max_value));
  if (options.cache) node.add("cache", integer(*options.cache));
  node.add_if("cycle", options.cycle);
}

Node column_node(const Column& column) {
  Node node = mapping();
  node.add("type", column.type);
  if (column.not_null) node.add("nullable", "false");
  node.add_if("default", column.default_expr);
  if (column.identity != IdentityKind::None) {
    const std::string kind = detail::keyword_of(detail::kIdentityKinds, column.identity);
    Node identity = mapping();
    identity.add("kind", kind);
    add_sequence_options(identity, column.identity_options);
    node.add("identity", identity.fields.size() == 1 ? leaf(kind) : std::move(identity));
  }
  node.add_if("generated", column.generated);
  node.add_if("collation", column.collation);
  node.add_if("comment", column.comment);
  node.add_if("storage", column.storage);
  node.add_if("compression", column.compression);
  if (column.statistics) node.add("statistics", integer(*column.statistics));
  node.add_if("backfill", column.backfill);
  node.add_if("renamed_from", column.renamed_from);
  node.add_if("using", column.using_expr);
  if (const auto& request = column.expand_contract) {
    if (request->inverse) {
      Node expand = mapping();
      expand.add_if("inverse", request->inverse);
      node.add("expand_contract", std::move(expand));
    } else {
      node.add("expand_contract", leaf("true"));
    }
  }
  if (node.fields.size() == 1) return leaf(column.type);
  return node;
}

Node primary_key_node(const std::string& table, const PrimaryKey& key) {
  Node node = mapping();
  if (key.name != detail::default_primary_key_name(table)) node.add("name", key.name);
  node.add("columns", sequence(key.columns));
  node.add_if("include", key.include);
  node.add_if("deferrable", key.deferrable);
  node.add_if("initially_deferred", key.initially_deferred);
  node.add_if("comment", key.comment);
  node.add_if("renamed_from", key.renamed_from);
  if (node.fields.size() == 1) return sequence(key.columns);
  return node;
}

Node unique_node(const std::string& table, const UniqueConstraint& unique) {
  Node node = mapping();
  if (unique.name != detail::default_unique_name(table, unique.columns)) {
    node.add("name", unique.name);
  }
  node.add("columns", sequence(unique.columns));
  node.add_if("include", unique.include);
  node.add_if("nulls_not_distinct", unique.nulls_not_distinct);
  node.add_if("deferrable", unique.deferrable);
  node.add_if("initially_deferred", unique.initially_deferred);
  node.add_if("comment", unique.comment);
  node.add_if("renamed_from", unique.renamed_from);
  if (node.fields.size() == 1) return sequence(unique.columns);
  return node;
}

Node check_node(const CheckConstraint& check) {
  Node node = mapping();
  node.add("expression", check.expression);
  node.add_if("no_inherit", check.no_inherit);
  if (!check.validated) node.add("validated", "false");
  node.add_if("comment", check.comment);
  node.add_if("renamed_from", check.renamed_from);
  if (node.fields.size() == 1) return leaf(check.expression);
  return node;
}

Node references_node(const std::string& schema, const ForeignKey& key) {
  bool short_form = !key.ref_columns.empty() && detail::is_reference_name(key.ref_table) &&
                    (key.ref_schema == schema || detail::is_reference_name(key.ref_schema));
  for (const auto& column : key.ref_columns) {
    short_form = short_form && detail::is_reference_name(column);
  }
  if (short_form) {
    std::string text = key.ref_schema == schema ? "" : key.ref_schema + ".";
    text += key.ref_table + "(";
    for (size_t column_idx = 0; column_idx < key.ref_columns.size(); ++column_idx) {
      text += (column_idx > 0 ? ", " : "") + key.ref_columns[column_idx];
    }
    return leaf(text + ")");
  }
  Node node = mapping();
  if (key.ref_schema != schema) node.add("schema", key.ref_schema);
  node.add("table", key.ref_table);
  node.add("columns", sequence(key.ref_columns));
  return node;
}

Node foreign_key_node(const std::string& schema, const std::string& table, const ForeignKey& key) {
  Node node = mapping();
  if (key.name != detail::default_foreign_key_name(table, key.columns)) node.add("name", key.name);
  node.add("columns", sequence(key.columns));
  node.add("references", references_node(schema, key));
  if (key.on_delete != ReferentialAction::NoAction) {
    node.add("on_delete", detail::keyword_of(detail::kReferentialActions, key.on_delete));
  }
  if (key.on_update != ReferentialAction::NoAction) {
    node.add("on_update", detail::keyword_of(detail::kReferentialActions, key.on_update));
  }
  if (key.match != MatchType::Simple) {
    node.add("match", detail::keyword_of(detail::kMatchTypes, key.match));
  }
  node.add_if("deferrable", key.deferrable);
  node.add_if("initially_deferred", key.initially_deferred);
  if (!key.validated) node.add("validated", "false");
  node.add_if("comment", key.comment);
  node.add_if("renamed_from", key.renamed_from);
  return node;
}

Node index_key_node(const IndexKey& key) {
  Node node = mapping();
  node.add_if("column", key.column);
  node.add_if("expression", key.expression);
  node.add_if("opclass", key.opclass);
  node.add_if("collation", key.collation);
  if (key.order != SortOrder::Asc)
    node.add("order", detail::keyword_of(detail::kSortOrders, key.order));
  if (key.nulls != NullsOrder::Default) {
    node.add("nulls", detail::keyword_of(detail::kNullsOrders, key.nulls));
  }
  if (key.column && node.fields.size() == 1) return leaf(*key.column);
  return node;
}

Node options_node(const std::map<std::string, std::string>& options) {
  Node node = mapping();
  for (const auto& [key, value] : options) node.add(key, value);
  return node;
}

Node index_node(const Index& index) {
  Node node = mapping();
  Node keys{Node::Kind::Sequence};
  for (const auto& key : index.keys) keys.items.push_back(index_key_node(key));
  node.add("columns", std::move(keys));
  node.add_if("unique", index.unique);
  node.add_if("nulls_not_distinct", index.nulls_not_distinct);
  if (index.method != "btree") node.add("method", index.method);
  node.add_if("include", index.include);
  node.add_if("where", index.where);
  node.add_nonempty("options", options_node(index.options));
  node.add_if("comment", index.comment);
  if (!index.valid) node.add("valid", "false");
  node.add_if("renamed_from", index.renamed_from);
  return node;
}

Node indexes_node(const std::vector<Index>& indexes) {
  Node node = mapping(true);
  for (const auto& index : indexes) node.add(index.name, index_node(index));
  return node;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

Node trigger_node(const std::string& schema, const Trigger& trigger) {
  Node node = mapping();
  node.add("timing", detail::keyword_of(detail::kTriggerTimings, trigger.timing));
  Node events{Node::Kind::Sequence};
  for (const auto& event : trigger.events) events.items.push_back(leaf(lower(event)));
  node.add("events", std::move(events));
  node.add_if("update_of", trigger.update_of);
  if (trigger.for_each_row) node.add("for_each", "row");
  const std::string prefix = schema + ".";
  // The loader qualifies a name without a dot with the table's schema.
  const bool own_schema = trigger.function.rfind(prefix, 0) == 0 &&
                          trigger.function.size() > prefix.size() &&
                          trigger.function.find('.', prefix.size()) == std::string::npos;
  node.add("function", own_schema ? trigger.function.substr(prefix.size()) : trigger.function);
  node.add_if("arguments", trigger.arguments);
  node.add_if("when", trigger.when);
  node.add_if("comment", trigger.comment);
  if (trigger.firing != TriggerFiring::Origin) {
    node.add("firing", detail::keyword_of(detail::kTriggerFirings, trigger.firing));
  }
  if (trigger.constraint) {
    node.add("constraint", "true");
    node.add_if("deferrable", trigger.deferrable);
    node.add_if("initially_deferred", trigger.initially_deferred);
    if (!trigger.from.empty()) {
      const bool own = trigger.from.rfind(prefix, 0) == 0 &&
                       trigger.from.find('.', prefix.size()) == std::string::npos;
      node.add("from", own ? trigger.from.substr(prefix.size()) : trigger.from);
    }
  }
  return node;
}

Node policy_node(const Policy& policy) {
  Node node = mapping();
  if (policy.command != PolicyCommand::All) {
    node.add("command", detail::keyword_of(detail::kPolicyCommands, policy.command));
  }
  if (!policy.permissive) node.add("kind", "restrictive");
  if (policy.roles != std::vector<std::string>{kPublicRole}) node.add("roles", sequence(policy.roles));
  node.add_if("using", policy.using_expr);
  node.add_if("with_check", policy.with_check);
  node.add_if("comment", policy.comment);
  node.add_if("renamed_from", policy.renamed_from);
  return node;
}

Node exclusion_node(const ExclusionConstraint& exclusion) {
  Node node = mapping();
  if (exclusion.method != "gist") node.add("using", exclusion.method);
  node.add("elements", sequence(exclusion.elements));
  if (!exclusion.include.empty()) node.add("include", sequence(exclusion.include));
  node.add_if("where", exclusion.where);
  node.add_if("deferrable", exclusion.deferrable);
  node.add_if("initially_deferred", exclusion.initially_deferred);
  node.add_if("comment", exclusion.comment);
  node.add_if("renamed_from", exclusion.renamed_from);
  return node;
}

Node table_node(const std::string& schema, const Table& table) {
  Node node = mapping(true);
  node.add_if("renamed_from", table.renamed_from);
  if (table.expand_contract) node.add("expand_contract", leaf("true"));
  node.add_if("comment", table.comment);
  node.add_if("owner", table.owner);
  if (table.backfill_batch_size)
    node.add("backfill_batch_size", integer(*table.backfill_batch_size));
  Node columns = mapping(true);
  for (const auto& column : table.columns) columns.add(column.name, column_node(column));
  node.add_nonempty("columns", std::move(columns));
  if (table.primary_key) node.add("primary_key", primary_key_node(table.name, *table.primary_key));
  Node unique{Node::Kind::Sequence};
  unique.block = true;
  for (const auto& constraint : table.unique_constraints) {
    unique.items.push_back(unique_node(table.name, constraint));
  }
  node.add_nonempty("unique", std::move(unique));
  Node checks = mapping(true);
  for (const auto& check : table.check_constraints) checks.add(check.name, check_node(check));
  node.add_nonempty("checks", std::move(checks));
  Node exclusions = mapping(true);
  for (const auto& exclusion : table.exclusion_constraints) {
    exclusions.add(exclusion.name, exclusion_node(exclusion));
  }
  node.add_nonempty("exclusion_constraints", std::move(exclusions));
  node.add_if("unlogged", table.unlogged);
  node.add_nonempty("options", options_node(table.options));
  Node foreign_keys{Node::Kind::Sequence};
  foreign_keys.block = true;
  for (const auto& key : table.foreign_keys) {
    foreign_keys.items.push_back(foreign_key_node(schema, table.name, key));
  }
  node.add_nonempty("foreign_keys", std::move(foreign_keys));
  node.add_nonempty("indexes", indexes_node(table.indexes));
  Node triggers = mapping(true);
  for (const auto& trigger : table.triggers)
    triggers.add(trigger.name, trigger_node(schema, trigger));
  node.add_nonempty("triggers", std::move(triggers));
  if (table.row_security.enabled || table.row_security.forced) {
    Node row_security = mapping();
    row_security.add("enabled", table.row_security.enabled ? "true" : "false");
    if (table.row_security.forced) row_security.add("forced", "true");
    node.add("row_security", std::move(row_security));
  }
  Node policies = mapping(true);
  for (const auto& policy : table.policies) policies.add(policy.name, policy_node(policy));
  node.add_nonempty("policies", std::move(policies));
  if (table.partition_by) {
    Node partition = mapping();
    partition.add("strategy",
                  detail::keyword_of(detail::kPartitionStrategies, table.partition_by->strategy));
    partition.add("key", table.partition_by->key);
    node.add("partition_by", std::move(partition));
  }
  if (table.partition_of) {
    Node partition = mapping();
    if (table.partition_of->parent_schema != schema) {
      partition.add("schema", table.partition_of->parent_schema);
    }
    partition.add("table", table.partition_of->parent_table);
    partition.add("bound", table.partition_of->bound);
    node.add("partition_of", std::move(partition));
  }
  if (table.replica_identity == ReplicaIdentity::UsingIndex) {
    Node identity = mapping();
    identity.add("using_index", table.replica_identity_index.value_or(""));
    node.add("replica_identity", std::move(identity));
  } else if (table.replica_identity != ReplicaIdentity::Default) {
    node.add("replica_identity",
             detail::keyword_of(detail::kReplicaIdentities, table.replica_identity));
  }
  return node;
}

Node sequence_node(const Sequence& sequence) {
  Node node = mapping();
  if (sequence.type != "bigint") node.add("type", sequence.type);
  add_sequence_options(node, sequence.options);
  node.add_if("owned_by", sequence.owned_by);
  node.add_if("comment", sequence.comment);
  node.add_if("owner", sequence.owner);
  node.add_if("renamed_from", sequence.renamed_from);
  return node;
}

Node enum_node(const Enum& type) {
  // A label with a rename hint is {name: <label>, renamed_from: <previous>}.
  Node labels = sequence(type.labels);
  for (size_t label_idx = 0; label_idx < type.labels.size(); ++label_idx) {
    const auto hint = type.label_renamed_from.find(type.labels[label_idx]);
    if (hint == type.label_renamed_from.end()) continue;
    Node label = mapping();
    label.add("name", type.labels[label_idx]);
    label.add("renamed_from", hint->second);
    labels.items[label_idx] = label;
  }
  if (!type.comment && !type.owner) return labels;
  Node node = mapping();
  node.add("labels", std::move(labels));
  node.add_if("comment", type.comment);
  node.add_if("owner", type.owner);
  return node;
}

Node domain_node(const Domain& domain) {
  Node node = mapping();
  node.add("type", domain.base_type);
  node.add_if("default", domain.default_expr);
  if (domain.not_null) node.add("nullable", "false");
  node.add_if("collation", domain.collation);
  Node checks = mapping(true);
  for (const auto& check : domain.checks) checks.add(check.name, check.expression);
  node.add_nonempty("checks", std::move(checks));
  node.add_if("comment", domain.comment);
  node.add_if("owner", domain.owner);
  return node;
}

Node composite_type_node(const CompositeType& type) {
  Node node = mapping();
  Node attributes = mapping();
  for (const auto& attribute : type.attributes) {
    if (attribute.collation) {
      Node long_form = mapping();
      long_form.add("type", attribute.type);
      long_form.add("collation", *attribute.collation);
      attributes.add(attribute.name, std::move(long_form));
    } else {
      attributes.add(attribute.name, attribute.type);
    }
  }
  node.add("attributes", std::move(attributes));
  node.add_if("comment", type.comment);
  node.add_if("owner", type.owner);
  return node;
}

Node view_node(const View& view) {
  if (view.options.empty() && !view.comment && !view.owner && !view.renamed_from) {
    return leaf(view.definition);
  }
  Node node = mapping();
  node.add("definition", view.definition);
  node.add_nonempty("options", options_node(view.options));
  node.add_if("comment", view.comment);
  node.add_if("owner", view.owner);
  node.add_if("renamed_from", view.renamed_from);
  return node;
}

Node materialized_view_node(const MaterializedView& view) {
  Node node = mapping();
  node.add("definition", view.definition);
  node.add_nonempty("options", options_node(view.options));
  if (!view.with_data) node.add("with_data", "false");
  Node columns = mapping(true);
  for (const auto& column : view.columns) {
    Node settings = mapping();
    settings.add_if("storage", column.storage);
    settings.add_if("compression", column.compression);
    if (column.statistics) settings.add("statistics", integer(*column.statistics));
    columns.add(column.name, std::move(settings));
  }
  node.add_nonempty("columns", std::move(columns));
  node.add_nonempty("indexes", indexes_node(view.indexes));
  node.add_if("comment", view.comment);
  node.add_if("owner", view.owner);
  node.add_if("renamed_from", view.renamed_from);
  if (node.fields.size() == 1) return leaf(view.definition);
  return node;
}

Node argument_node(const FunctionArg& arg) {
  Node node = mapping();
  if (!arg.name.empty()) node.add("name", arg.name);
  node.add("type", arg.type);
  if (arg.mode != ArgMode::In) node.add("mode", detail::keyword_of(detail::kArgModes, arg.mode));
  node.add_if("default", arg.default_expr);
  if (node.fields.size() == 1) return leaf(arg.type);
  return node;
}

Node routine_node(const Function& function) {
  Node node = mapping();
  Node args{Node::Kind::Sequence};
  for (const auto& arg : function.args) args.items.push_back(argument_node(arg));
  node.add_nonempty("args", std::move(args));
  if (!function.is_procedure) {
    node.add("returns", function.returns);
    if (function.volatility != Volatility::Volatile) {
      node.add("volatility", detail::keyword_of(detail::kVolatilities, function.volatility));
    }
    node.add_if("strict", function.strict);
  }
  if (function.language != "sql") node.add("language", function.language);
  node.add_if("security_definer", function.security_definer);
  node.add_if("comment", function.comment);
  node.add_if("owner", function.owner);
  node.add(function.sql_body ? "sql_body" : "body", function.body);
  return node;
}

// Functions or procedures by name; overloads as a list under one name, in
// model (signature) order.
Node routines_node(const std::vector<Function>& functions, bool procedures) {
  Node node = mapping(true);
  for (size_t fn_idx = 0; fn_idx < functions.size();) {
    const std::string& name = functions[fn_idx].name;
    Node overloads{Node::Kind::Sequence};
    overloads.block = true;
    for (; fn_idx < functions.size() && functions[fn_idx].name == name; ++fn_idx) {
      if (functions[fn_idx].is_procedure == procedures) {
        overloads.items.push_back(routine_node(functions[fn_idx]));
      }
    }
    if (overloads.items.size() == 1) {
      node.add(name, std::move(overloads.items.front()));
    } else {
      node.add_nonempty(name, std::move(overloads));
    }
  }
  return node;
}

// The key naming the object of a privileges entry: `table: orders`,
// `table: orders` + `column: note`, `function: add(integer, integer)`.
const char* privileges_key(const Schema& schema, const ObjectId& id) {
  switch (id.kind) {
    case ObjectKind::Schema:
      return "schema";
    case ObjectKind::Table:
      return "table";
    case ObjectKind::View:
      return "view";
    case ObjectKind::MaterializedView:
      return "materialized_view";
    case ObjectKind::Sequence:
      return "sequence";
    case ObjectKind::Function:
      return "function";
    case ObjectKind::Procedure:
      return "procedure";
    case ObjectKind::Enum:
      return "enum";
    case ObjectKind::Domain:
      return "domain";
    case ObjectKind::CompositeType:
      return "composite_type";
    case ObjectKind::Column:
      if (find_named(schema.views, id.table) != nullptr) return "view";
      if (find_named(schema.materialized_views, id.table) != nullptr) return "materialized_view";
      return "table";
    case ObjectKind::Extension:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      break;
  }
  return "table";
}

Node grants_node(const std::vector<Grant>& grants, const char* role_key) {
  Node list{Node::Kind::Sequence};
  list.block = true;
  for (const auto& grant : grants) {
    Node entry = mapping();
    entry.add(role_key, grant.role == kPublicRole ? "PUBLIC" : grant.role);
    entry.add("privileges", sequence(grant.privileges));
    entry.add_if("with_grant_option", grant.with_grant_option);
    list.items.push_back(std::move(entry));
  }
  return list;
}

Node privileges_node(const Schema& schema) {
  Node list{Node::Kind::Sequence};
  list.block = true;
  for (const auto& entry : schema.privileges) {
    Node item = mapping(true);
    item.add(privileges_key(schema, entry.object),
             entry.object.kind == ObjectKind::Column ? entry.object.table : entry.object.name);
    if (entry.object.kind == ObjectKind::Column) item.add("column", entry.object.name);
    item.add_nonempty("grants", grants_node(entry.grants, "to"));
    item.add_nonempty("revoked", grants_node(entry.revoked, "from"));
    list.items.push_back(std::move(item));
  }
  return list;
}

// { for_role, objects, grants, revoked } per entry, in model order.
Node default_privileges_node(const std::vector<Privileges>& entries) {
  Node list{Node::Kind::Sequence};
  list.block = true;
  for (const auto& entry : entries) {
    Node item = mapping(true);
    item.add("for_role", entry.object.table);
    item.add("objects", entry.object.name);
    item.add_nonempty("grants", grants_node(entry.grants, "to"));
    item.add_nonempty("revoked", grants_node(entry.revoked, "from"));
    list.items.push_back(std::move(item));
  }
  return list;
}

Node schema_node(const Schema& schema) {
  Node node = mapping(true);
  node.add_if("comment", schema.comment);
  node.add_if("owner", schema.owner);
  Node tables = mapping(true);
  if (!schema.tables.empty()) {
    // `schema` outlives the document (write_yaml, write_yaml_directory).
    tables.make_fields = [&schema](const Node::FieldSink& sink, std::size_t begin,
                                   std::size_t end) {
      for (std::size_t index = begin; index < end; ++index) {
        const Table& table = schema.tables[index];
        sink(table.name, table_node(schema.name, table));
      }
    };
    tables.made_fields = schema.tables.size();
  }
  node.add_nonempty("tables", std::move(tables));
  Node views = mapping(true);
  for (const auto& view : schema.views) views.add(view.name, view_node(view));
  node.add_nonempty("views", std::move(views));
  Node materialized = mapping(true);
  for (const auto& view : schema.materialized_views) {
    materialized.add(view.name, materialized_view_node(view));
  }
  node.add_nonempty("materialized_views", std::move(materialized));
  Node sequences = mapping(true);
  for (const auto& sequence : schema.sequences) {
    sequences.add(sequence.name, sequence_node(sequence));
  }
  node.add_nonempty("sequences", std::move(sequences));
  Node enums = mapping(true);
  for (const auto& type : schema.enums) enums.add(type.name, enum_node(type));
  node.add_nonempty("enums", std::move(enums));
  Node domains = mapping(true);
  for (const auto& domain : schema.domains) domains.add(domain.name, domain_node(domain));
  node.add_nonempty("domains", std::move(domains));
  Node composites = mapping(true);
  for (const auto& type : schema.composite_types) {
    composites.add(type.name, composite_type_node(type));
  }
  node.add_nonempty("composite_types", std::move(composites));
  node.add_nonempty("functions", routines_node(schema.functions, false));
  node.add_nonempty("procedures", routines_node(schema.functions, true));
  node.add_nonempty("privileges", privileges_node(schema));
  node.add_nonempty("default_privileges", default_privileges_node(schema.default_privileges));
  return node;
}

Node database_node(const Database& db, bool with_top_level, bool with_schemas) {
  Node node = mapping(true);
  if (with_top_level) {
    node.add_if("ignore", db.ignore);
    node.add_if("drop_schemas", db.drop_schemas);
    if (db.manage_owners) node.add("manage_owners", leaf("true"));
    Node extensions = mapping(true);
    for (const auto& extension : db.extensions) {
      Node entry = mapping();
      if (extension.schema != "public") entry.add("schema", extension.schema);
      entry.add_if("version", extension.version);
      extensions.add(extension.name, std::move(entry));
    }
    node.add_nonempty("extensions", std::move(extensions));
    node.add_nonempty("default_privileges", default_privileges_node(db.default_privileges));
  }
  if (with_schemas) {
    Node schemas = mapping(true);
    for (const auto& schema : db.schemas) schemas.add(schema.name, schema_node(schema));
    node.add_nonempty("schemas", std::move(schemas));
  }
  return node;
}

// Refuses a document whose keys or values are not all UTF-8, naming the
// first such one by its path of keys (`path`: the keys down to `node`). YAML
// is UTF-8, and a reader refuses anything else; a database whose encoding is
// SQL_ASCII may hold any bytes in names, comments and expressions, and
// pgshift does not guess what they were meant to be.
void require_utf8(const Node& node, std::string& path) {
  const auto refuse = [&](const std::string& subject) {
    throw pgshift::Error("cannot write YAML: " + subject +
                         ": YAML is UTF-8 and pgshift does not convert text (a SQL_ASCII "
                         "database can hold any bytes). Rename the object or rewrite the text in "
                         "UTF-8");
  };
  const std::size_t length = path.size();
  if (node.kind == Node::Kind::Scalar) {
    if (const auto at = first_invalid_utf8(node.scalar)) {
      refuse("the value of " + path + " is not UTF-8 (" + invalid_utf8_message(node.scalar, *at) +
             "): " + printable_line_at(node.scalar, *at));
    }
  } else if (node.kind == Node::Kind::Sequence) {
    for (std::size_t index = 0; index < node.items.size(); ++index) {
      path += "[" + std::to_string(index) + "]";
      require_utf8(node.items[index], path);
      path.resize(length);
    }
  } else {
    const auto field = [&](const std::string& key, const Node& value) {
      path += (path.empty() ? "" : " > ") + printable(key);
      if (const auto at = first_invalid_utf8(key)) {
        refuse("the name " + path + " is not UTF-8 (" + invalid_utf8_message(key, *at) + ")");
      }
      require_utf8(value, path);
      path.resize(length);
    };
    for (const auto& [key, value] : node.fields) field(key, value);
    if (node.make_fields) node.make_fields(field, 0, node.made_fields);
  }
}

// The text of `root`; refuses it, naming the first key or value that is not
// UTF-8 by its path, when there is one (checked as each is written; the
// path is looked for only then).
std::string document(const Node& root) {
  if (root.empty()) return "{}\n";
  std::string out;
  try {
    block(root, 0, true, out);
  } catch (const NotUtf8&) {
    std::string path;
    require_utf8(root, path);
    throw pgshift::Error("cannot write YAML: a name or value is not UTF-8");
  }
  return out;
}

std::string file_name(const std::string& schema) {
  std::string name;
  for (const char c : schema) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '_' || c == '-' || c == '.') {
      name += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      name += escaped;
    }
  }
  return name + ".yaml";
}

}  // namespace

std::string write_yaml(const Database& db) {
  return document(database_node(db, true, true));
}

void write_yaml_directory(const Database& db, const std::string& dir) {
  namespace fs = std::filesystem;
  // Every file is rendered before the directory is made and any is written:
  // a text that is not UTF-8 refuses them all, not the files after it.
  std::vector<std::pair<fs::path, std::string>> files;
  for (const auto& schema : db.schemas) {
    if (schema.name == "_database") {
      throw pgshift::Error(
          "schema \"_database\" cannot be written to a directory: its file name "
          "is taken by the top-level settings");
    }
    Database one;
    one.schemas.push_back(schema);
    files.emplace_back(fs::path(dir) / file_name(schema.name),
                       document(database_node(one, false, true)));
  }
  const Node top = database_node(db, true, false);
  if (!top.empty()) files.emplace_back(fs::path(dir) / "_database.yaml", document(top));
  std::error_code code;
  fs::create_directories(dir, code);
  if (code) {
    throw pgshift::Error("could not create directory \"" + dir + "\": " + code.message());
  }
  for (const auto& [path, text] : files) write_text_file(path.string(), text);
}

}  // namespace pgshift::schemas
