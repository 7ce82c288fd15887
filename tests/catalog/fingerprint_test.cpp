// The target fingerprint taken table by table equals the one of a whole
// adjusted copy (catalog/fingerprint.hpp).
#include "catalog/fingerprint.hpp"

#include <catch2/catch.hpp>
#include <string>

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

// Marks every constraint of tables whose name sorts before "m" valid.
void validate_first_half(const std::string&, schemas::Table& table) {
  if (table.name >= "m") return;
  for (auto& check : table.check_constraints) check.validated = true;
  for (auto& key : table.foreign_keys) key.validated = true;
}

}  // namespace

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
