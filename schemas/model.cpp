#include "schemas/model.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "schemas/field_count.hpp"

namespace pgshift::schemas {

// Each model struct's fields() lists every field it has: a field added to a
// struct and not to its list is a compile error here, not a difference that
// operator== (and with it the planner and drift) would never see. The
// fingerprint's test (tests/catalog/fingerprint_test.cpp) walks the same lists.
static_assert(detail::fields_list_all_but<ObjectId>(), "ObjectId::fields() misses a field");
static_assert(detail::fields_list_all_but<SequenceOptions>(),
              "SequenceOptions::fields() misses a field");
static_assert(detail::fields_list_all_but<ExpandContract>(),
              "ExpandContract::fields() misses a field");
static_assert(detail::fields_list_all_but<Column>(), "Column::fields() misses a field");
static_assert(detail::fields_list_all_but<PrimaryKey>(), "PrimaryKey::fields() misses a field");
static_assert(detail::fields_list_all_but<UniqueConstraint>(),
              "UniqueConstraint::fields() misses a field");
static_assert(detail::fields_list_all_but<CheckConstraint>(),
              "CheckConstraint::fields() misses a field");
static_assert(detail::fields_list_all_but<ForeignKey>(), "ForeignKey::fields() misses a field");
static_assert(detail::fields_list_all_but<IndexKey>(), "IndexKey::fields() misses a field");
static_assert(detail::fields_list_all_but<Index>(), "Index::fields() misses a field");
static_assert(detail::fields_list_all_but<ExclusionConstraint>(),
              "ExclusionConstraint::fields() misses a field");
static_assert(detail::fields_list_all_but<Trigger>(), "Trigger::fields() misses a field");
static_assert(detail::fields_list_all_but<Policy>(), "Policy::fields() misses a field");
static_assert(detail::fields_list_all_but<RowSecurity>(), "RowSecurity::fields() misses a field");
static_assert(detail::fields_list_all_but<PartitionBy>(), "PartitionBy::fields() misses a field");
static_assert(detail::fields_list_all_but<PartitionOf>(), "PartitionOf::fields() misses a field");
static_assert(detail::fields_list_all_but<Table>(), "Table::fields() misses a field");
static_assert(detail::fields_list_all_but<Sequence>(), "Sequence::fields() misses a field");
static_assert(detail::fields_list_all_but<Enum>(), "Enum::fields() misses a field");
static_assert(detail::fields_list_all_but<DomainCheck>(), "DomainCheck::fields() misses a field");
static_assert(detail::fields_list_all_but<Domain>(), "Domain::fields() misses a field");
static_assert(detail::fields_list_all_but<CompositeAttribute>(),
              "CompositeAttribute::fields() misses a field");
static_assert(detail::fields_list_all_but<CompositeType>(),
              "CompositeType::fields() misses a field");
static_assert(detail::fields_list_all_but<View>(), "View::fields() misses a field");
static_assert(detail::fields_list_all_but<ColumnSettings>(),
              "ColumnSettings::fields() misses a field");
static_assert(detail::fields_list_all_but<MaterializedView>(),
              "MaterializedView::fields() misses a field");
static_assert(detail::fields_list_all_but<FunctionArg>(), "FunctionArg::fields() misses a field");
static_assert(detail::fields_list_all_but<Function>(), "Function::fields() misses a field");
static_assert(detail::fields_list_all_but<Grant>(), "Grant::fields() misses a field");
static_assert(detail::fields_list_all_but<Privileges>(), "Privileges::fields() misses a field");
static_assert(detail::fields_list_all_but<Schema>(), "Schema::fields() misses a field");
static_assert(detail::fields_list_all_but<Extension>(), "Extension::fields() misses a field");
// Database: its facts and origins are not part of the schema (model.hpp).
static_assert(detail::fields_list_all_but<Database, 2>(), "Database::fields() misses a field");

const char* object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Schema:
      return "schema";
    case ObjectKind::Extension:
      return "extension";
    case ObjectKind::Table:
      return "table";
    case ObjectKind::Column:
      return "column";
    case ObjectKind::PrimaryKey:
      return "primary key";
    case ObjectKind::UniqueConstraint:
      return "unique constraint";
    case ObjectKind::CheckConstraint:
      return "check constraint";
    case ObjectKind::ForeignKey:
      return "foreign key";
    case ObjectKind::Index:
      return "index";
    case ObjectKind::Sequence:
      return "sequence";
    case ObjectKind::Enum:
      return "enum";
    case ObjectKind::Domain:
      return "domain";
    case ObjectKind::CompositeType:
      return "composite type";
    case ObjectKind::View:
      return "view";
    case ObjectKind::MaterializedView:
      return "materialized view";
    case ObjectKind::Function:
      return "function";
    case ObjectKind::Procedure:
      return "procedure";
    case ObjectKind::Trigger:
      return "trigger";
    case ObjectKind::Policy:
      return "policy";
    case ObjectKind::ExclusionConstraint:
      return "exclusion constraint";
    case ObjectKind::DefaultPrivileges:
      return "default privileges";
  }
  return "object";
}

namespace {
std::string qualified(const std::string& schema, const std::string& name) {
  return schema.empty() ? name : schema + "." + name;
}
}  // namespace

bool operator==(const ObjectId& a, const ObjectId& b) {
  return ObjectId::fields(a) == ObjectId::fields(b);
}
bool operator!=(const ObjectId& a, const ObjectId& b) {
  return !(a == b);
}
bool operator<(const ObjectId& a, const ObjectId& b) {
  return ObjectId::fields(a) < ObjectId::fields(b);
}

std::size_t ObjectIdHash::operator()(const ObjectId& id) const {
  const std::hash<std::string> hash;
  return ((static_cast<std::size_t>(id.kind) * 31 + hash(id.schema)) * 31 + hash(id.table)) * 31 +
         hash(id.name);
}

std::string describe(const ObjectId& id) {
  if (id.kind == ObjectKind::DefaultPrivileges) {
    return "default privileges for role \"" + printable(id.table) + "\" on " +
           printable(id.name) +
           (id.schema.empty() ? std::string(" (database-wide)")
                              : " in schema \"" + printable(id.schema) + "\"");
  }
  std::string text = std::string(object_kind_name(id.kind)) + " \"";
  if (id.table.empty()) return text + printable(qualified(id.schema, id.name)) + "\"";
  return text + printable(id.name) + "\" of table \"" + printable(qualified(id.schema, id.table)) +
         "\"";
}

bool is_unprintable(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
         cp == 0x200F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

std::pair<char32_t, std::size_t> decode_utf8(std::string_view text, std::size_t pos) {
  constexpr std::pair<char32_t, std::size_t> kInvalid{0xFFFFFFFF, 1};
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;
  char32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return kInvalid;
  }
  if (pos + length > text.size()) return kInvalid;
  for (std::size_t idx = 1; idx < length; ++idx) {
    if ((byte(pos + idx) & 0xC0) != 0x80) return kInvalid;
    cp = (cp << 6) | (byte(pos + idx) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((length == 3 && cp < 0x800) || (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return kInvalid;
  }
  return {cp, length};
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {  // ASCII: always valid
      ++pos;
      continue;
    }
    const auto [code_point, length] = decode_utf8(text, pos);
    if (code_point == 0xFFFFFFFF) return pos;
    pos += length;
  }
  return std::nullopt;
}

std::string printable_line_at(std::string_view text, std::size_t at) {
  constexpr std::size_t kAround = 40;
  const std::size_t line_start = at == 0 ? 0 : text.rfind('\n', at - 1) + 1;  // npos + 1 == 0
  const std::size_t line_end = std::min(text.find('\n', at), text.size());
  const std::size_t from = std::max(line_start, at > kAround ? at - kAround : 0);
  const std::size_t to = std::min(line_end, at + kAround);
  return (from > line_start ? "..." : "") + printable(text.substr(from, to - from)) +
         (to < line_end ? "..." : "");
}

std::string invalid_utf8_message(std::string_view text, std::size_t at) {
  return "invalid UTF-8: byte " + std::to_string(static_cast<unsigned char>(text[at])) +
         " does not start a valid sequence";
}

std::string counted(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string printable(std::string_view text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    const auto [cp, length] = decode_utf8(text, pos);
    if (cp == 0xFFFFFFFF) {
      const auto value = static_cast<unsigned char>(text[pos]);
      out += std::string("\\x") + kHex[value >> 4] + kHex[value & 0xF];
    } else if (!is_unprintable(cp)) {
      out.append(text, pos, length);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x80) {
      out += std::string("\\x") + kHex[cp >> 4] + kHex[cp & 0xF];
    } else {
      out += std::string("\\u") + kHex[(cp >> 12) & 0xF] + kHex[(cp >> 8) & 0xF] +
             kHex[(cp >> 4) & 0xF] + kHex[cp & 0xF];
    }
    pos += length;
  }
  return out;
}

ShownLine shown_with_caret(std::string_view line, std::size_t at) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ShownLine shown;
  for (std::size_t pos = 0; pos < line.size();) {
    const std::size_t length = decode_utf8(line, pos).second;
    const std::string_view unit = line.substr(pos, length);
    const std::string part = unit == "\t" ? std::string("\t") : printable(unit);
    shown.text += part;
    if (pos + length <= at) {
      // A code point printed as itself takes one column; an escape, its length.
      const bool itself = part.size() == length;
      shown.caret += unit == "\t" ? std::string("\t") : std::string(itself ? 1 : part.size(), ' ');
    }
    pos += length;
  }
  shown.caret += "^";
  return shown;
}

std::size_t byte_of_column(std::string_view line, int column) {
  std::size_t byte = 0;
  for (int at = 1; byte < line.size(); ++byte) {
    if ((static_cast<unsigned char>(line[byte]) & 0xC0) == 0x80) continue;
    if (at++ == column) break;
  }
  return byte;
}

bool operator==(const SequenceOptions& a, const SequenceOptions& b) {
  return SequenceOptions::fields(a) == SequenceOptions::fields(b);
}

int64_t default_sequence_min(const std::string& type, bool ascending) {
  if (ascending) return 1;
  if (type == "smallint") return std::numeric_limits<int16_t>::min();
  if (type == "integer") return std::numeric_limits<int32_t>::min();
  return std::numeric_limits<int64_t>::min();
}

int64_t default_sequence_max(const std::string& type, bool ascending) {
  if (!ascending) return -1;
  if (type == "smallint") return std::numeric_limits<int16_t>::max();
  if (type == "integer") return std::numeric_limits<int32_t>::max();
  return std::numeric_limits<int64_t>::max();
}

bool operator==(const ExpandContract& a, const ExpandContract& b) {
  return ExpandContract::fields(a) == ExpandContract::fields(b);
}

bool operator==(const Column& a, const Column& b) {
  return Column::fields(a) == Column::fields(b);
}

bool operator==(const PrimaryKey& a, const PrimaryKey& b) {
  return PrimaryKey::fields(a) == PrimaryKey::fields(b);
}

bool operator==(const UniqueConstraint& a, const UniqueConstraint& b) {
  return UniqueConstraint::fields(a) == UniqueConstraint::fields(b);
}

bool operator==(const CheckConstraint& a, const CheckConstraint& b) {
  return CheckConstraint::fields(a) == CheckConstraint::fields(b);
}

bool operator==(const ForeignKey& a, const ForeignKey& b) {
  return ForeignKey::fields(a) == ForeignKey::fields(b);
}

bool operator==(const IndexKey& a, const IndexKey& b) {
  return IndexKey::fields(a) == IndexKey::fields(b);
}

bool operator==(const Index& a, const Index& b) {
  return Index::fields(a) == Index::fields(b);
}

bool operator==(const Trigger& a, const Trigger& b) {
  return Trigger::fields(a) == Trigger::fields(b);
}

bool operator==(const Policy& a, const Policy& b) {
  return Policy::fields(a) == Policy::fields(b);
}

bool operator==(const ExclusionConstraint& a, const ExclusionConstraint& b) {
  return ExclusionConstraint::fields(a) == ExclusionConstraint::fields(b);
}

bool operator==(const Grant& a, const Grant& b) {
  return Grant::fields(a) == Grant::fields(b);
}

bool operator==(const Privileges& a, const Privileges& b) {
  return Privileges::fields(a) == Privileges::fields(b);
}

std::vector<std::string> privileges_of_kind(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Table:
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER",
              "MAINTAIN"};
    case ObjectKind::Column:
      return {"SELECT", "INSERT", "UPDATE", "REFERENCES"};
    case ObjectKind::Sequence:
      return {"SELECT", "UPDATE", "USAGE"};
    case ObjectKind::Schema:
      return {"USAGE", "CREATE"};
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return {"EXECUTE"};
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::CompositeType:
      return {"USAGE"};
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
      return {};
  }
  return {};
}

ObjectId default_privileges_id(const std::string& schema, const std::string& for_role,
                               const std::string& objects) {
  return {ObjectKind::DefaultPrivileges, schema, for_role, objects};
}

std::vector<std::string> default_privileges_of(const std::string& objects) {
  if (objects == "tables") return privileges_of_kind(ObjectKind::Table);
  if (objects == "sequences") return privileges_of_kind(ObjectKind::Sequence);
  if (objects == "functions") return privileges_of_kind(ObjectKind::Function);
  if (objects == "types") return privileges_of_kind(ObjectKind::Enum);
  if (objects == "schemas") return privileges_of_kind(ObjectKind::Schema);
  return {};
}

std::string default_privileges_objects(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::Table:
    case ObjectKind::View:
    case ObjectKind::MaterializedView:
      return "tables";
    case ObjectKind::Sequence:
      return "sequences";
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return "functions";
    case ObjectKind::Enum:
    case ObjectKind::Domain:
    case ObjectKind::CompositeType:
      return "types";
    case ObjectKind::Schema:
      return "schemas";
    case ObjectKind::Extension:
    case ObjectKind::Column:
    case ObjectKind::PrimaryKey:
    case ObjectKind::UniqueConstraint:
    case ObjectKind::CheckConstraint:
    case ObjectKind::ForeignKey:
    case ObjectKind::Index:
    case ObjectKind::Trigger:
    case ObjectKind::Policy:
    case ObjectKind::ExclusionConstraint:
    case ObjectKind::DefaultPrivileges:
      return "";
  }
  return "";
}

bool operator==(const RowSecurity& a, const RowSecurity& b) {
  return RowSecurity::fields(a) == RowSecurity::fields(b);
}

bool operator==(const PartitionBy& a, const PartitionBy& b) {
  return PartitionBy::fields(a) == PartitionBy::fields(b);
}

bool operator==(const PartitionOf& a, const PartitionOf& b) {
  return PartitionOf::fields(a) == PartitionOf::fields(b);
}

bool operator==(const Table& a, const Table& b) {
  return Table::fields(a) == Table::fields(b);
}

bool operator==(const Sequence& a, const Sequence& b) {
  return Sequence::fields(a) == Sequence::fields(b);
}

bool operator==(const Enum& a, const Enum& b) {
  return Enum::fields(a) == Enum::fields(b);
}

bool operator==(const DomainCheck& a, const DomainCheck& b) {
  return DomainCheck::fields(a) == DomainCheck::fields(b);
}

bool operator==(const Domain& a, const Domain& b) {
  return Domain::fields(a) == Domain::fields(b);
}

bool operator==(const CompositeAttribute& a, const CompositeAttribute& b) {
  return CompositeAttribute::fields(a) == CompositeAttribute::fields(b);
}

bool operator==(const CompositeType& a, const CompositeType& b) {
  return CompositeType::fields(a) == CompositeType::fields(b);
}

bool operator==(const View& a, const View& b) {
  return View::fields(a) == View::fields(b);
}

bool operator==(const ColumnSettings& a, const ColumnSettings& b) {
  return ColumnSettings::fields(a) == ColumnSettings::fields(b);
}

bool has_settings(const ColumnSettings& settings) {
  return settings.storage || settings.compression || settings.statistics;
}

bool operator==(const MaterializedView& a, const MaterializedView& b) {
  return MaterializedView::fields(a) == MaterializedView::fields(b);
}

bool operator==(const FunctionArg& a, const FunctionArg& b) {
  return FunctionArg::fields(a) == FunctionArg::fields(b);
}

bool operator==(const Function& a, const Function& b) {
  return Function::fields(a) == Function::fields(b);
}

std::string function_signature(const Function& function) {
  std::string text = function.name + "(";
  bool first = true;
  for (const auto& arg : function.args) {
    if (arg.mode == ArgMode::Out || arg.mode == ArgMode::Table) continue;
    if (!first) text += ", ";
    if (arg.mode == ArgMode::Variadic) text += "VARIADIC ";
    text += arg.type;
    first = false;
  }
  return text + ")";
}

bool operator==(const Schema& a, const Schema& b) {
  return Schema::fields(a) == Schema::fields(b);
}

bool operator==(const Extension& a, const Extension& b) {
  return Extension::fields(a) == Extension::fields(b);
}

bool operator==(const UnmodelledObject& a, const UnmodelledObject& b) {
  return std::tie(a.kind, a.schema, a.relation, a.name, a.detail) ==
         std::tie(b.kind, b.schema, b.relation, b.name, b.detail);
}
bool operator<(const UnmodelledObject& a, const UnmodelledObject& b) {
  return std::tie(a.schema, a.relation, a.kind, a.name, a.detail) <
         std::tie(b.schema, b.relation, b.kind, b.name, b.detail);
}

bool operator==(const GrantByOther& a, const GrantByOther& b) {
  return std::tie(a.object, a.role, a.privilege, a.grantor, a.with_grant_option, a.also_by_owner,
                  a.can_set_role, a.grantor_superuser) ==
         std::tie(b.object, b.role, b.privilege, b.grantor, b.with_grant_option, b.also_by_owner,
                  b.can_set_role, b.grantor_superuser);
}
bool operator<(const GrantByOther& a, const GrantByOther& b) {
  return std::tie(a.object, a.role, a.privilege, a.grantor) <
         std::tie(b.object, b.role, b.privilege, b.grantor);
}

bool operator==(const ViewColumn& a, const ViewColumn& b) {
  return std::tie(a.name, a.type) == std::tie(b.name, b.type);
}

std::string describe(const UnmodelledObject& object) {
  std::string text = object.kind;
  const std::string qualified = object.schema.empty() ? "" : object.schema + ".";
  if (!object.relation.empty()) {
    if (!object.name.empty()) text += " \"" + object.name + "\"";
    text += " on \"" + qualified + object.relation + "\"";
  } else if (!object.name.empty()) {
    text += " \"" + qualified + object.name + "\"";
  } else if (!object.schema.empty()) {
    text += " of schema \"" + object.schema + "\"";
  }
  if (!object.detail.empty()) text += " (" + object.detail + ")";
  return printable(text);
}

bool operator==(const Database& a, const Database& b) {
  return Database::fields(a) == Database::fields(b);
}
bool operator!=(const Database& a, const Database& b) {
  return !(a == b);
}

void rename_column_in_keys(Table& table, const std::string& from, const std::string& to) {
  const auto rename = [&](std::vector<std::string>& columns) {
    std::replace(columns.begin(), columns.end(), from, to);
  };
  if (table.primary_key) {
    rename(table.primary_key->columns);
    rename(table.primary_key->include);
  }
  for (auto& unique : table.unique_constraints) {
    rename(unique.columns);
    rename(unique.include);
  }
  for (auto& index : table.indexes) {
    for (auto& key : index.keys) {
      if (key.column == from) key.column = to;
    }
    rename(index.include);
  }
  for (auto& fk : table.foreign_keys) rename(fk.columns);
}

std::vector<Dependency>& Dependencies::rows() {
  if (rows_ == nullptr) {
    rows_ = std::make_shared<std::vector<Dependency>>();
  } else if (rows_.use_count() > 1) {
    rows_ = std::make_shared<std::vector<Dependency>>(*rows_);
  }
  return *rows_;
}

std::string Origins::location(const Place& place) const {
  if (place.file >= files.size()) return "";
  const std::string& file = files[place.file];
  if (place.line == 0) return file;
  return file + ":" + std::to_string(place.line) + ":" + std::to_string(place.column);
}

std::string origin_of(const Database& db, const ObjectId& id) {
  if (db.origins == nullptr) return "";
  const auto& places = db.origins->places;
  for (const ObjectId& where : {id, ObjectId{ObjectKind::Table, id.schema, "", id.table},
                                ObjectId{ObjectKind::Schema, "", "", id.schema}}) {
    if (const auto found = places.find(where); found != places.end()) {
      return db.origins->location(found->second);
    }
  }
  return "";
}

namespace {

template <typename T>
void sort_by_name(std::vector<T>& items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const T& a, const T& b) { return a.name < b.name; });
}

template <typename T>
void report_duplicates(const std::vector<T>& items, ObjectKind kind, const std::string& schema,
                       const std::string& table, std::vector<ModelProblem>& problems) {
  for (size_t item_idx = 1; item_idx < items.size(); ++item_idx) {
    if (items[item_idx].name == items[item_idx - 1].name) {
      ObjectId id{kind, schema, table, items[item_idx].name};
      problems.push_back({id, describe(id) + " is defined more than once"});
    }
  }
}

}  // namespace

void remove_planning_hints(Column& column) {
  column.backfill.reset();
  column.renamed_from.reset();
  column.using_expr.reset();
  column.expand_contract.reset();
}

void remove_planning_hints(Table& table) {
  table.backfill_batch_size.reset();
  table.renamed_from.reset();
  table.expand_contract = false;
  for (auto& column : table.columns) remove_planning_hints(column);
  for (auto& policy : table.policies) policy.renamed_from.reset();
  if (table.primary_key) table.primary_key->renamed_from.reset();
  for (auto& key : table.unique_constraints) key.renamed_from.reset();
  for (auto& check : table.check_constraints) check.renamed_from.reset();
  for (auto& fk : table.foreign_keys) fk.renamed_from.reset();
  for (auto& exclusion : table.exclusion_constraints) exclusion.renamed_from.reset();
  for (auto& index : table.indexes) index.renamed_from.reset();
}

void remove_planning_hints(Database& db) {
  for (auto& schema : db.schemas) {
    for (auto& table : schema.tables) remove_planning_hints(table);
    for (auto& sequence : schema.sequences) sequence.renamed_from.reset();
    for (auto& view : schema.views) view.renamed_from.reset();
    for (auto& view : schema.materialized_views) {
      view.renamed_from.reset();
      for (auto& index : view.indexes) index.renamed_from.reset();
    }
    for (auto& type : schema.enums) type.label_renamed_from.clear();
  }
}

bool has_planning_hints(const Table& table) {
  if (table.backfill_batch_size || table.renamed_from || table.expand_contract) return true;
  for (const auto& column : table.columns) {
    if (column.backfill || column.renamed_from || column.using_expr || column.expand_contract) {
      return true;
    }
  }
  auto renamed = [](const auto& items) {
    return std::any_of(items.begin(), items.end(),
                       [](const auto& item) { return item.renamed_from.has_value(); });
  };
  return (table.primary_key && table.primary_key->renamed_from) || renamed(table.policies) ||
         renamed(table.unique_constraints) || renamed(table.check_constraints) ||
         renamed(table.foreign_keys) || renamed(table.exclusion_constraints) ||
         renamed(table.indexes);
}

bool has_planning_hints(const Database& db) {
  for (const auto& schema : db.schemas) {
    for (const auto& table : schema.tables) {
      if (has_planning_hints(table)) return true;
    }
    for (const auto& sequence : schema.sequences) {
      if (sequence.renamed_from) return true;
    }
    for (const auto& view : schema.views) {
      if (view.renamed_from) return true;
    }
    for (const auto& view : schema.materialized_views) {
      if (view.renamed_from) return true;
      for (const auto& index : view.indexes) {
        if (index.renamed_from) return true;
      }
    }
    for (const auto& type : schema.enums) {
      if (!type.label_renamed_from.empty()) return true;
    }
  }
  return false;
}

namespace {

int privilege_rank(const std::string& privilege) {
  int rank = 0;
  for (const char* name : kPrivilegeOrder) {
    if (privilege == name) return rank;
    ++rank;
  }
  return rank;
}

void sort_privileges(std::vector<std::string>& privileges) {
  std::sort(privileges.begin(), privileges.end(), [](const std::string& a, const std::string& b) {
    return std::make_pair(privilege_rank(a), a) < std::make_pair(privilege_rank(b), b);
  });
  privileges.erase(std::unique(privileges.begin(), privileges.end()), privileges.end());
}

// One entry per object; per object one grant per role and grant option (a
// privilege granted with the option is not also listed without it), one
// revoked entry per role; empty entries go.
void canonicalize_privileges(std::vector<Privileges>& entries) {
  std::map<ObjectId, std::pair<std::map<std::string, std::map<std::string, bool>>,
                               std::map<std::string, std::set<std::string>>>>
      merged;
  for (const auto& entry : entries) {
    auto& [granted, revoked] = merged[entry.object];
    for (const auto& grant : entry.grants) {
      for (const auto& privilege : grant.privileges) {
        bool& option = granted[grant.role][privilege];
        option = option || grant.with_grant_option;
      }
    }
    for (const auto& grant : entry.revoked) {
      revoked[grant.role].insert(grant.privileges.begin(), grant.privileges.end());
    }
  }
  entries.clear();
  for (const auto& [object, sides] : merged) {
    Privileges entry{object, {}, {}};
    for (const auto& [role, privileges] : sides.first) {
      Grant plain{role, {}, false};
      Grant optioned{role, {}, true};
      for (const auto& [privilege, option] : privileges) {
        (option ? optioned : plain).privileges.push_back(privilege);
      }
      for (Grant* grant : {&plain, &optioned}) {
        if (grant->privileges.empty()) continue;
        sort_privileges(grant->privileges);
        entry.grants.push_back(std::move(*grant));
      }
    }
    for (const auto& [role, privileges] : sides.second) {
      if (privileges.empty()) continue;
      Grant grant{role, {privileges.begin(), privileges.end()}, false};
      sort_privileges(grant.privileges);
      entry.revoked.push_back(std::move(grant));
    }
    if (!entry.grants.empty() || !entry.revoked.empty()) entries.push_back(std::move(entry));
  }
}

}  // namespace

void canonicalize(Database& db) {
  std::sort(db.drop_schemas.begin(), db.drop_schemas.end());
  db.drop_schemas.erase(std::unique(db.drop_schemas.begin(), db.drop_schemas.end()),
                        db.drop_schemas.end());
  sort_by_name(db.extensions);
  sort_by_name(db.schemas);
  for (auto& schema : db.schemas) {
    sort_by_name(schema.tables);
    for (auto& table : schema.tables) {
      sort_by_name(table.unique_constraints);
      sort_by_name(table.check_constraints);
      sort_by_name(table.foreign_keys);
      sort_by_name(table.indexes);
      sort_by_name(table.triggers);
      sort_by_name(table.policies);
      sort_by_name(table.exclusion_constraints);
      for (auto& policy : table.policies) {
        std::sort(policy.roles.begin(), policy.roles.end());
        policy.roles.erase(std::unique(policy.roles.begin(), policy.roles.end()),
                           policy.roles.end());
      }
    }
    sort_by_name(schema.views);
    sort_by_name(schema.materialized_views);
    for (auto& view : schema.materialized_views) {
      sort_by_name(view.indexes);
      // A column listed with no setting is the same as one not listed.
      view.columns.erase(std::remove_if(view.columns.begin(), view.columns.end(),
                                        [](const ColumnSettings& c) { return !has_settings(c); }),
                         view.columns.end());
      sort_by_name(view.columns);
    }
    sort_by_name(schema.sequences);
    sort_by_name(schema.enums);
    sort_by_name(schema.domains);
    for (auto& domain : schema.domains) sort_by_name(domain.checks);
    sort_by_name(schema.composite_types);
    std::stable_sort(schema.functions.begin(), schema.functions.end(),
                     [](const Function& a, const Function& b) {
                       return function_signature(a) < function_signature(b);
                     });
    canonicalize_privileges(schema.privileges);
    canonicalize_privileges(schema.default_privileges);
  }
  canonicalize_privileges(db.default_privileges);
}

const Schema* find_schema(const Database& db, const std::string& name) {
  return find_named(db.schemas, name);
}

const Table* find_table(const Database& db, const std::string& schema, const std::string& table) {
  const Schema* found = find_schema(db, schema);
  return found ? find_named(found->tables, table) : nullptr;
}

namespace {

// Calls visit(id, owner field) for every object of `schema` whose kind has an
// owner: the schema, then tables, views, materialized views, sequences,
// functions and procedures, enums, domains, composite types.
template <typename SchemaT, typename Visit>
void visit_owners(SchemaT& schema, Visit&& visit) {
  visit(ObjectId{ObjectKind::Schema, "", "", schema.name}, schema.owner);
  for (auto& table : schema.tables) {
    visit(ObjectId{ObjectKind::Table, schema.name, "", table.name}, table.owner);
  }
  for (auto& view : schema.views) {
    visit(ObjectId{ObjectKind::View, schema.name, "", view.name}, view.owner);
  }
  for (auto& view : schema.materialized_views) {
    visit(ObjectId{ObjectKind::MaterializedView, schema.name, "", view.name}, view.owner);
  }
  for (auto& sequence : schema.sequences) {
    visit(ObjectId{ObjectKind::Sequence, schema.name, "", sequence.name}, sequence.owner);
  }
  for (auto& function : schema.functions) {
    visit(ObjectId{function.is_procedure ? ObjectKind::Procedure : ObjectKind::Function,
                   schema.name, "", function_signature(function)},
          function.owner);
  }
  for (auto& type : schema.enums) {
    visit(ObjectId{ObjectKind::Enum, schema.name, "", type.name}, type.owner);
  }
  for (auto& domain : schema.domains) {
    visit(ObjectId{ObjectKind::Domain, schema.name, "", domain.name}, domain.owner);
  }
  for (auto& type : schema.composite_types) {
    visit(ObjectId{ObjectKind::CompositeType, schema.name, "", type.name}, type.owner);
  }
}

}  // namespace

const std::optional<std::string>* find_owner(const Database& db, const ObjectId& id) {
  const Schema* schema =
      find_schema(db, id.kind == ObjectKind::Schema ? id.name : id.schema);
  if (schema == nullptr || !id.table.empty()) return nullptr;
  switch (id.kind) {
    case ObjectKind::Schema:
      return &schema->owner;
    case ObjectKind::Table:
      if (const auto* found = find_named(schema->tables, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::View:
      if (const auto* found = find_named(schema->views, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::MaterializedView:
      if (const auto* found = find_named(schema->materialized_views, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::Sequence:
      if (const auto* found = find_named(schema->sequences, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::Enum:
      if (const auto* found = find_named(schema->enums, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::Domain:
      if (const auto* found = find_named(schema->domains, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::CompositeType:
      if (const auto* found = find_named(schema->composite_types, id.name)) return &found->owner;
      return nullptr;
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      for (const auto& function : schema->functions) {
        if (function_signature(function) == id.name &&
            function.is_procedure == (id.kind == ObjectKind::Procedure)) {
          return &function.owner;
        }
      }
      return nullptr;
    case ObjectKind::Extension:
    case ObjectKind::Column:
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
  return nullptr;
}

std::optional<std::string>* find_owner(Database& db, const ObjectId& id) {
  return const_cast<std::optional<std::string>*>(
      find_owner(static_cast<const Database&>(db), id));
}

std::vector<std::pair<ObjectId, const std::optional<std::string>*>> owned_objects(
    const Database& db) {
  std::vector<std::pair<ObjectId, const std::optional<std::string>*>> out;
  for (const auto& schema : db.schemas) {
    visit_owners(schema, [&](ObjectId id, const std::optional<std::string>& owner) {
      out.emplace_back(std::move(id), &owner);
    });
  }
  return out;
}

void keep_compared_owners(Database& current, const Database& desired) {
  if (!desired.manage_owners) {
    remove_owners(current);
    return;
  }
  std::map<std::pair<std::string, std::string>, std::string> renamed;  // old -> new table
  for (const auto& schema : desired.schemas) {
    for (const auto& table : schema.tables) {
      if (table.renamed_from) renamed[{schema.name, *table.renamed_from}] = table.name;
    }
  }
  for (auto& schema : current.schemas) {
    visit_owners(schema, [&](const ObjectId& id, std::optional<std::string>& owner) {
      if (!owner) return;
      const auto* wanted = find_owner(desired, id);
      if (wanted == nullptr && id.kind == ObjectKind::Table) {
        const auto found = renamed.find({id.schema, id.name});
        if (found != renamed.end()) {
          wanted = find_owner(desired, {ObjectKind::Table, id.schema, "", found->second});
        }
      }
      if (wanted == nullptr || !*wanted) owner.reset();
    });
  }
}

bool has_owners(const Database& db) {
  bool found = false;
  for (const auto& schema : db.schemas) {
    visit_owners(schema, [&found](const ObjectId&, const std::optional<std::string>& owner) {
      found = found || owner.has_value();
    });
    if (found) return true;
  }
  return false;
}

void remove_owners(Database& db) {
  db.manage_owners = false;
  for (auto& schema : db.schemas) {
    visit_owners(schema, [](const ObjectId&, std::optional<std::string>& owner) { owner.reset(); });
  }
}

namespace {

void check_columns_exist(const Table& table, const std::vector<std::string>& columns,
                         const ObjectId& owner, const std::string& what,
                         std::vector<ModelProblem>& problems) {
  for (const auto& column : columns) {
    if (!find_named(table.columns, column)) {
      problems.push_back({owner, describe(owner) + " " + what + " column \"" + column +
                                     "\", which table \"" + owner.schema + "." + table.name +
                                     "\" does not have"});
    }
  }
}

void validate_table(const Database& db, const Schema& schema, const Table& table,
                    std::vector<ModelProblem>& problems) {
  const std::string& sname = schema.name;
  std::vector<Column> columns = table.columns;
  sort_by_name(columns);
  report_duplicates(columns, ObjectKind::Column, sname, table.name, problems);
  report_duplicates(table.unique_constraints, ObjectKind::UniqueConstraint, sname, table.name,
                    problems);
  report_duplicates(table.check_constraints, ObjectKind::CheckConstraint, sname, table.name,
                    problems);
  report_duplicates(table.foreign_keys, ObjectKind::ForeignKey, sname, table.name, problems);
  report_duplicates(table.indexes, ObjectKind::Index, sname, table.name, problems);
  report_duplicates(table.triggers, ObjectKind::Trigger, sname, table.name, problems);
  report_duplicates(table.policies, ObjectKind::Policy, sname, table.name, problems);
  report_duplicates(table.exclusion_constraints, ObjectKind::ExclusionConstraint, sname,
                    table.name, problems);

  if (table.primary_key) {
    ObjectId id{ObjectKind::PrimaryKey, sname, table.name, table.primary_key->name};
    check_columns_exist(table, table.primary_key->columns, id, "uses", problems);
    check_columns_exist(table, table.primary_key->include, id, "includes", problems);
  }
  for (const auto& unique : table.unique_constraints) {
    ObjectId id{ObjectKind::UniqueConstraint, sname, table.name, unique.name};
    check_columns_exist(table, unique.columns, id, "uses", problems);
    check_columns_exist(table, unique.include, id, "includes", problems);
  }
  for (const auto& index : table.indexes) {
    ObjectId id{ObjectKind::Index, sname, table.name, index.name};
    for (const auto& key : index.keys) {
      if (key.column) check_columns_exist(table, {*key.column}, id, "uses", problems);
    }
    check_columns_exist(table, index.include, id, "includes", problems);
  }
  for (const auto& trigger : table.triggers) {
    ObjectId id{ObjectKind::Trigger, sname, table.name, trigger.name};
    check_columns_exist(table, trigger.update_of, id, "watches", problems);
  }
  for (const auto& exclusion : table.exclusion_constraints) {
    ObjectId id{ObjectKind::ExclusionConstraint, sname, table.name, exclusion.name};
    check_columns_exist(table, exclusion.include, id, "includes", problems);
  }
  for (const auto& fk : table.foreign_keys) {
    ObjectId id{ObjectKind::ForeignKey, sname, table.name, fk.name};
    check_columns_exist(table, fk.columns, id, "uses", problems);
    const Table* target = find_table(db, fk.ref_schema, fk.ref_table);
    if (!target) {
      problems.push_back({id, describe(id) + " references table \"" + fk.ref_schema + "." +
                                  fk.ref_table + "\", which is not defined"});
      continue;
    }
    check_columns_exist(*target, fk.ref_columns, id, "references", problems);
    if (fk.columns.size() != fk.ref_columns.size() && !fk.ref_columns.empty()) {
      problems.push_back({id, describe(id) + " has " + std::to_string(fk.columns.size()) +
                                  " columns but references " +
                                  std::to_string(fk.ref_columns.size())});
    }
  }
  if (table.partition_of &&
      !find_table(db, table.partition_of->parent_schema, table.partition_of->parent_table)) {
    ObjectId id{ObjectKind::Table, sname, "", table.name};
    problems.push_back({id, describe(id) + " is a partition of table \"" +
                                table.partition_of->parent_schema + "." +
                                table.partition_of->parent_table + "\", which is not defined"});
  }
}

}  // namespace

bool privileges_target_exists(const Schema& schema, const ObjectId& id) {
  switch (id.kind) {
    case ObjectKind::Schema:
      return id.name == schema.name;
    case ObjectKind::Table:
      return find_named(schema.tables, id.name) != nullptr;
    case ObjectKind::View:
      return find_named(schema.views, id.name) != nullptr;
    case ObjectKind::MaterializedView:
      return find_named(schema.materialized_views, id.name) != nullptr;
    case ObjectKind::Sequence:
      return find_named(schema.sequences, id.name) != nullptr;
    case ObjectKind::Enum:
      return find_named(schema.enums, id.name) != nullptr;
    case ObjectKind::Domain:
      return find_named(schema.domains, id.name) != nullptr;
    case ObjectKind::CompositeType:
      return find_named(schema.composite_types, id.name) != nullptr;
    case ObjectKind::Function:
    case ObjectKind::Procedure:
      return std::any_of(schema.functions.begin(), schema.functions.end(),
                         [&](const Function& function) {
                           return function.is_procedure == (id.kind == ObjectKind::Procedure) &&
                                  function_signature(function) == id.name;
                         });
    case ObjectKind::Column: {
      if (const Table* table = find_named(schema.tables, id.table)) {
        return find_named(table->columns, id.name) != nullptr;
      }
      // A view's columns are its query's: the catalog's check is the server's.
      return find_named(schema.views, id.table) != nullptr ||
             find_named(schema.materialized_views, id.table) != nullptr;
    }
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
      return false;
  }
  return false;
}

std::string privileges_path(const ObjectId& id) {
  if (id.kind == ObjectKind::Schema) return id.name;
  if (id.kind == ObjectKind::Column) return id.schema + "." + id.table + "." + id.name;
  if (id.kind == ObjectKind::Function || id.kind == ObjectKind::Procedure) {
    return id.schema + "." + id.name.substr(0, id.name.find('('));
  }
  return id.schema + "." + id.name;
}

namespace {

void validate_privileges(const Schema& schema, std::vector<ModelProblem>& problems) {
  for (const auto& entry : schema.privileges) {
    const std::string what = "privileges of " + describe(entry.object);
    if (!privileges_target_exists(schema, entry.object)) {
      problems.push_back({entry.object, what + ": no such object in schema \"" + schema.name +
                                            "\""});
      continue;
    }
    const auto allowed = privileges_of_kind(entry.object.kind);
    for (const auto* side : {&entry.grants, &entry.revoked}) {
      for (const auto& grant : *side) {
        if (grant.role.empty()) {
          problems.push_back({entry.object, what + " name an empty role"});
        }
        for (const auto& privilege : grant.privileges) {
          if (std::find(allowed.begin(), allowed.end(), privilege) == allowed.end()) {
            problems.push_back({entry.object, what + ": " + privilege + " is not a privilege of a " +
                                                  object_kind_name(entry.object.kind)});
          }
        }
      }
    }
  }
}

// Default privileges: a known objects word, its privileges, a role; a
// schema's entries only add (REVOKE IN SCHEMA takes back only what a GRANT IN
// SCHEMA gave) and never name schemas (the server refuses IN SCHEMA with ON
// SCHEMAS).
void validate_default_privileges(const std::vector<Privileges>& entries,
                                 std::vector<ModelProblem>& problems) {
  for (const auto& entry : entries) {
    const ObjectId& id = entry.object;
    const std::string what = describe(id);
    if (id.table.empty()) problems.push_back({id, what + " name no role (for_role)"});
    const auto allowed = default_privileges_of(id.name);
    if (allowed.empty()) {
      problems.push_back({id, what + ": \"" + printable(id.name) +
                                  "\" is not an object kind of default privileges; expected one "
                                  "of: tables, sequences, functions, types, schemas"});
      continue;
    }
    if (!id.schema.empty() && id.name == "schemas") {
      problems.push_back({id, what + ": default privileges on schemas are database-wide only "
                                     "(PostgreSQL refuses IN SCHEMA with ON SCHEMAS)"});
    }
    if (!id.schema.empty() && !entry.revoked.empty()) {
      problems.push_back({id, what + ": a schema's default privileges only add to the "
                                     "database-wide ones; revoke in the top-level "
                                     "default_privileges"});
    }
    for (const auto* side : {&entry.grants, &entry.revoked}) {
      for (const auto& grant : *side) {
        if (grant.role.empty()) problems.push_back({id, what + " name an empty role"});
        for (const auto& privilege : grant.privileges) {
          if (std::find(allowed.begin(), allowed.end(), privilege) == allowed.end()) {
            problems.push_back(
                {id, what + ": " + privilege + " is not a privilege of " + id.name});
          }
        }
      }
    }
  }
}

}  // namespace

std::vector<ModelProblem> validate(const Database& db) {
  std::vector<ModelProblem> problems;
  report_duplicates(db.extensions, ObjectKind::Extension, "", "", problems);
  report_duplicates(db.schemas, ObjectKind::Schema, "", "", problems);
  for (const auto& name : db.drop_schemas) {
    if (find_named(db.schemas, name) == nullptr) continue;
    const ObjectId id{ObjectKind::Schema, "", "", name};
    problems.push_back({id, describe(id) + " is both defined and listed in drop_schemas"});
  }
  for (const auto& schema : db.schemas) {
    report_duplicates(schema.tables, ObjectKind::Table, schema.name, "", problems);
    report_duplicates(schema.views, ObjectKind::View, schema.name, "", problems);
    report_duplicates(schema.materialized_views, ObjectKind::MaterializedView, schema.name, "",
                      problems);
    report_duplicates(schema.sequences, ObjectKind::Sequence, schema.name, "", problems);
    report_duplicates(schema.enums, ObjectKind::Enum, schema.name, "", problems);
    report_duplicates(schema.domains, ObjectKind::Domain, schema.name, "", problems);
    report_duplicates(schema.composite_types, ObjectKind::CompositeType, schema.name, "", problems);
    for (size_t fn_idx = 1; fn_idx < schema.functions.size(); ++fn_idx) {
      const std::string signature = function_signature(schema.functions[fn_idx]);
      if (signature == function_signature(schema.functions[fn_idx - 1])) {
        ObjectId id{ObjectKind::Function, schema.name, "", signature};
        problems.push_back({id, describe(id) + " is defined more than once"});
      }
    }
    for (const auto& view : schema.materialized_views) {
      report_duplicates(view.indexes, ObjectKind::Index, schema.name, view.name, problems);
      report_duplicates(view.columns, ObjectKind::Column, schema.name, view.name, problems);
    }
    // A domain's CHECKs (sorted by name) and a composite type's attributes
    // (in their order): each name once.
    const auto repeated = [&](ObjectKind kind, const std::string& name, const char* what,
                              const std::vector<std::string>& names) {
      std::set<std::string> seen;
      for (const auto& item : names) {
        if (seen.insert(item).second) continue;
        const ObjectId id{kind, schema.name, "", name};
        problems.push_back(
            {id, describe(id) + " has " + what + " \"" + printable(item) + "\" more than once"});
      }
    };
    for (const auto& domain : schema.domains) {
      std::vector<std::string> names;
      for (const auto& check : domain.checks) names.push_back(check.name);
      repeated(ObjectKind::Domain, domain.name, "check", names);
    }
    for (const auto& type : schema.composite_types) {
      std::vector<std::string> names;
      for (const auto& attribute : type.attributes) names.push_back(attribute.name);
      repeated(ObjectKind::CompositeType, type.name, "attribute", names);
    }
    for (const auto& table : schema.tables) validate_table(db, schema, table, problems);
    validate_privileges(schema, problems);
    validate_default_privileges(schema.default_privileges, problems);
  }
  validate_default_privileges(db.default_privileges, problems);
  return problems;
}

}  // namespace pgshift::schemas
