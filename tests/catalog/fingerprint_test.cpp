// The fingerprint covers every field of the model (walked through the
// structs' fields() lists), and the target fingerprint taken table by table
// equals the one of a whole adjusted copy (catalog/fingerprint.hpp).
#include "catalog/fingerprint.hpp"

#include <cxxabi.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "schemas/yaml_loader.hpp"

namespace pgshift::catalog {
namespace {

// The every-kind fixture, with what schema_fingerprint leaves out added:
// planning hints, owners, an ignore list, a grantor, columns out of order,
// and constraints desired NOT VALID.
schemas::Database fixture() {
  schemas::Database db = schemas::load_yaml_file(PGSHIFT_EVERY_KIND);
  db.ignore = {"public.scratch_*"};
  db.manage_owners = true;
  schemas::GrantByOther grant;
  grant.role = "reporting";
  grant.privilege = "SELECT";
  grant.grantor = "admin";
  db.facts.grants_by_others.push_back(grant);
  for (auto& schema : db.schemas) {
    schema.owner = "app_owner";
    for (auto& table : schema.tables) {
      table.owner = "app_owner";
      if (table.columns.size() > 1) std::swap(table.columns.front(), table.columns.back());
      if (!table.columns.empty()) table.columns.front().renamed_from = "old_name";
      for (auto& check : table.check_constraints) check.validated = false;
      for (auto& key : table.foreign_keys) key.validated = false;
      for (auto& index : table.indexes) index.renamed_from = "old_" + index.name;
    }
    for (auto& sequence : schema.sequences) sequence.renamed_from = "old_" + sequence.name;
  }
  return db;
}

// --- A walk over every field of a model, through the fields() lists. ---

template <typename T, typename = void>
struct HasFields : std::false_type {};
template <typename T>
struct HasFields<T, std::void_t<decltype(T::fields(std::declval<T&>()))>> : std::true_type {};

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {
  using Element = T;
};

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {
  using Element = T;
};

template <typename>
inline constexpr bool kAlwaysFalse = false;

// `value` changed so that it differs from what it was.
template <typename T>
void change(T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    value = !value;
  } else if constexpr (std::is_same_v<T, std::string>) {
    value += "x";
  } else if constexpr (std::is_enum_v<T>) {
    value = static_cast<T>(static_cast<int>(value) + 1);
  } else if constexpr (std::is_integral_v<T>) {
    value += 1;
  } else if constexpr (IsOptional<T>::value || std::is_same_v<T, schemas::OptionalText>) {
    if (value) {
      value.reset();
    } else {
      value.emplace();
    }
  } else if constexpr (IsVector<T>::value) {
    value.emplace_back();
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    value.emplace("x", "y");
  } else {
    static_assert(kAlwaysFalse<T>, "a model field of a type change() does not know: teach it");
  }
}

std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 ? name.get() : type.name();
}

// One field of one struct type: "pgshift::schemas::Trigger field 11" (its
// place in Trigger::fields(), from 0).
using FieldId = std::pair<std::string, std::size_t>;

// Visits the fields of a model in order. With `target` set, changes the
// target-th field that is not itself a struct with fields() (a leaf),
// counting from 0, and says which. Without, counts the leaves and lists
// them, and the struct types it enters.
class FieldWalk {
 public:
  explicit FieldWalk(std::optional<std::size_t> target) : target_(target) {}

  template <typename T>
  void visit(T& value) {
    static_assert(HasFields<T>::value);
    const std::string type = type_name(typeid(T));
    types_.insert(type);
    std::size_t index = 0;
    std::apply([&](auto&... field) { (visit_field(field, type, index++), ...); }, T::fields(value));
  }

  std::size_t leaves() const { return leaves_; }
  const std::optional<FieldId>& changed() const { return changed_; }
  // The fields that are not structs with fields() (those are entered).
  const std::set<FieldId>& fields() const { return fields_; }
  const std::set<std::string>& types() const { return types_; }

 private:
  template <typename T>
  void visit_field(T& field, const std::string& type, std::size_t index) {
    if constexpr (HasFields<T>::value) {
      visit(field);
    } else {
      fields_.insert({type, index});
      if (target_ && *target_ == leaves_) {
        change(field);
        changed_ = FieldId{type, index};
      }
      ++leaves_;
      if constexpr (IsVector<T>::value) {
        if constexpr (HasFields<typename IsVector<T>::Element>::value) {
          for (auto& element : field) visit(element);
        }
      } else if constexpr (IsOptional<T>::value) {
        if constexpr (HasFields<typename IsOptional<T>::Element>::value) {
          if (field) visit(*field);
        }
      }
    }
  }

  std::optional<std::size_t> target_;
  std::size_t leaves_ = 0;
  std::optional<FieldId> changed_;
  std::set<FieldId> fields_;
  std::set<std::string> types_;
};

// Marks every constraint of tables whose name sorts before "m" valid.
void validate_first_half(const std::string&, schemas::Table& table) {
  if (table.name >= "m") return;
  for (auto& check : table.check_constraints) check.validated = true;
  for (auto& key : table.foreign_keys) key.validated = true;
}

}  // namespace

TEST_CASE("a change to any field of the model changes the fingerprint", "[catalog]") {
  schemas::Database db = fixture();
  // What the every-kind fixture does not have: a column made by expand and
  // contract, a materialized view's column setting.
  db.schemas.front().tables.front().columns.front().expand_contract =
      schemas::ExpandContract{std::string("old_id")};
  for (auto& schema : db.schemas) {
    for (auto& view : schema.materialized_views) {
      schemas::ColumnSettings& settings = view.columns.emplace_back();
      settings.name = "n";
      settings.statistics = 100;
    }
  }
  const std::string digest = fingerprint(db);

  FieldWalk count(std::nullopt);
  count.visit(db);
  REQUIRE(count.leaves() > 500);

  // Not in the digest, on purpose: what a desired state asks of the plan,
  // never a difference between two catalogs (owners are digested on their
  // objects).
  const std::set<FieldId> not_digested = {
      {"pgshift::schemas::Database", 3},  // drop_schemas
      {"pgshift::schemas::Database", 5},  // manage_owners
  };
  // A field counts as covered when changing it somewhere changes the digest:
  // a constraint trigger's deferral is digested only on constraint triggers.
  std::set<FieldId> covered;
  for (std::size_t leaf = 0; leaf < count.leaves(); ++leaf) {
    schemas::Database changed = db;
    FieldWalk walk(leaf);
    walk.visit(changed);
    REQUIRE(walk.changed());
    INFO(walk.changed()->first << " field " << walk.changed()->second);
    CHECK_FALSE(changed == db);
    if (fingerprint(changed) != digest) covered.insert(*walk.changed());
  }

  // Every struct type is entered: a fixture that lacks a kind would leave
  // its fields unchecked.
  for (const char* type : {"Database",
                           "Extension",
                           "Schema",
                           "Table",
                           "Column",
                           "SequenceOptions",
                           "ExpandContract",
                           "PrimaryKey",
                           "UniqueConstraint",
                           "CheckConstraint",
                           "ForeignKey",
                           "ExclusionConstraint",
                           "Index",
                           "IndexKey",
                           "Trigger",
                           "Policy",
                           "RowSecurity",
                           "PartitionBy",
                           "PartitionOf",
                           "Sequence",
                           "Enum",
                           "Domain",
                           "DomainCheck",
                           "CompositeType",
                           "CompositeAttribute",
                           "View",
                           "MaterializedView",
                           "ColumnSettings",
                           "Function",
                           "FunctionArg",
                           "Privileges",
                           "Grant",
                           "ObjectId"}) {
    INFO(type);
    CHECK(count.types().count(std::string("pgshift::schemas::") + type) == 1);
  }
  for (const FieldId& field : count.fields()) {
    INFO(field.first << " field " << field.second << " (its place in fields(), from 0)");
    CHECK((covered.count(field) == 1 || not_digested.count(field) == 1));
  }
}

TEST_CASE("the target fingerprint taken table by table equals the one of an adjusted copy",
          "[catalog]") {
  schemas::Database db = fixture();
  const schemas::Database before = db;
  REQUIRE(!db.schemas.empty());

  schemas::Database adjusted = db;
  for (auto& schema : adjusted.schemas) {
    for (auto& table : schema.tables) validate_first_half(schema.name, table);
  }
  const std::string whole = schema_fingerprint(adjusted);
  CHECK(schema_fingerprint(db, validate_first_half) == whole);
  // The model is as it was: tables moved back, nothing adjusted in place.
  CHECK(db == before);
  CHECK(db.ignore == before.ignore);
  CHECK(db.schemas.front().tables.size() == before.schemas.front().tables.size());

  // Without the adjustment: the digest of the model as it is.
  const auto as_is = [](const std::string&, schemas::Table&) {};
  CHECK(schema_fingerprint(db, as_is) == schema_fingerprint(db));
  CHECK(schema_fingerprint(db, as_is) != whole);
}

}  // namespace pgshift::catalog
