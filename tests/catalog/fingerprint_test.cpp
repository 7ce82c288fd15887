// The fingerprint covers every field of the model (walked through the
// structs' fields() lists), and the target fingerprint taken table by table
// equals the one of a whole adjusted copy (catalog/fingerprint.hpp).
#include "catalog/fingerprint.hpp"

#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>

#include "schemas/yaml_loader.hpp"
#include "tests/support/field_walk.hpp"

namespace pgshift::catalog {
namespace {

using testing::FieldId;
using FieldChange = testing::FieldWalk<testing::ChangeField>;

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

  FieldChange count(std::nullopt);
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
    FieldChange walk(leaf);
    walk.visit(changed);
    REQUIRE(walk.target_field());
    INFO(walk.target_field()->first << " field " << walk.target_field()->second);
    CHECK_FALSE(changed == db);
    if (fingerprint(changed) != digest) covered.insert(*walk.target_field());
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
