// Walked through the model structs' fields() lists: canonicalize() puts every
// collection of the model in its order, and ignore patterns reach every
// collection of objects. A list added to the model is sorted or named here as
// one whose order means something, and is reached by an ignore kind or named
// here as part of its object; and drift's field report (object_fields) shows a
// change to any field; and validate() finds a duplicate in any collection.
#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>

#include "schemas/ignore.hpp"
#include "schemas/model.hpp"
#include "schemas/yaml_fields.hpp"
#include "schemas/yaml_loader.hpp"
#include "tests/support/field_walk.hpp"

namespace pgshift::schemas {
namespace {

using testing::FieldId;
using ListReversal = testing::FieldWalk<testing::ReverseList>;
using ObjectsHeld = testing::FieldWalk<testing::HoldsObjects>;

// The fields of `db` that still hold objects (a list of model structs that is
// not empty, an optional one that is set).
std::set<FieldId> fields_holding_objects(Database db) {
  ObjectsHeld count(std::nullopt);
  count.visit(db);
  std::set<FieldId> holding;
  for (std::size_t leaf = 0; leaf < count.leaves(); ++leaf) {
    ObjectsHeld walk(leaf);
    walk.visit(db);
    if (walk.changed()) holding.insert(*walk.target_field());
  }
  return holding;
}

FieldId field(const char* type, std::size_t index) {
  return {std::string("pgshift::schemas::") + type, index};
}

}  // namespace

TEST_CASE("canonicalize restores the order of every list whose order means nothing", "[schemas]") {
  Database db = load_yaml_file(PGSHIFT_EVERY_KIND);
  canonicalize(db);
  ListReversal count(std::nullopt);
  count.visit(db);

  std::set<FieldId> kept_reversed;
  std::size_t reversed = 0;
  for (std::size_t leaf = 0; leaf < count.leaves(); ++leaf) {
    Database changed = db;
    ListReversal walk(leaf);
    walk.visit(changed);
    REQUIRE(walk.target_field());
    if (!walk.changed()) continue;
    ++reversed;
    canonicalize(changed);
    if (!(changed == db)) kept_reversed.insert(*walk.target_field());
  }
  INFO(reversed << " lists reversed");
  CHECK(reversed > 15);

  // The lists whose order is part of what they say, kept as written.
  const std::set<FieldId> ordered = {
      field("Table", 1),                // columns: their ordinal order
      field("Trigger", 2),              // events: the server's order, as read and loaded
      field("ExclusionConstraint", 2),  // elements: the index's columns
      field("Enum", 1),                 // labels: their sort order
      field("CompositeType", 1),        // attributes: their order
  };
  for (const FieldId& field : kept_reversed) {
    INFO(field.first << " field " << field.second << " (its place in fields(), from 0)");
    CHECK(ordered.count(field) == 1);
  }
}

TEST_CASE("ignore patterns of every kind reach every collection of objects", "[schemas]") {
  Database db = load_yaml_file(PGSHIFT_EVERY_KIND);
  canonicalize(db);

  // The kinds that live on a table or a materialized view: what stays is the
  // relations, the schemas' other objects and the parts of objects that no
  // ignore kind names.
  Database members = db;
  remove_ignored(members, {"index:*", "constraint:*", "trigger:*", "policy:*", "column:*",
                           "privileges:*", "default_privileges:*", "extension:*"});
  const std::set<FieldId> parts = {
      field("Schema", 2),            // tables
      field("Schema", 3),            // views
      field("Schema", 4),            // materialized_views
      field("Schema", 5),            // sequences
      field("Schema", 6),            // enums
      field("Schema", 7),            // domains
      field("Schema", 8),            // composite_types
      field("Schema", 9),            // functions
      field("Table", 11),            // partition_by: the table's own
      field("Table", 12),            // partition_of: the table's own
      field("Domain", 5),            // checks: a domain's, with it
      field("CompositeType", 1),     // attributes
      field("MaterializedView", 4),  // columns: settings of its query's columns
      field("Function", 1),          // args
      field("Database", 1),          // schemas
  };
  for (const FieldId& held : fields_holding_objects(members)) {
    INFO(held.first << " field " << held.second << " (its place in fields(), from 0)");
    CHECK(parts.count(held) == 1);
  }

  // The top-level kinds: only the schemas stay.
  Database relations = db;
  remove_ignored(relations,
                 {"table:*.*", "view:*.*", "materialized_view:*.*", "sequence:*.*", "type:*.*",
                  "function:*.*", "privileges:*", "default_privileges:*", "extension:*"});
  for (const FieldId& held : fields_holding_objects(relations)) {
    INFO(held.first << " field " << held.second << " (its place in fields(), from 0)");
    CHECK(held == field("Database", 1));
  }
}

TEST_CASE("a change to any field of an object shows in drift's field report", "[schemas]") {
  Database db = load_yaml_file(PGSHIFT_EVERY_KIND);
  canonicalize(db);
  const auto fields = object_fields(db);
  using FieldChange = testing::FieldWalk<testing::ChangeField>;
  FieldChange count(std::nullopt);
  count.visit(db);

  // Not the desired state's objects: the ignore list and the directives of
  // a plan (dropping schemas, managing owners) are no object's fields.
  const std::set<FieldId> not_objects = {field("Database", 2), field("Database", 3),
                                         field("Database", 5)};
  // Changes that make no field: an entry added with nothing in it (a grant of
  // no privilege, a materialized view's column without a setting: the model
  // holds neither), a label rename hint for no label, an index of a replica
  // identity that is not USING INDEX.
  const std::set<FieldId> nothing_to_show = {
      field("Privileges", 1),        // grants
      field("Privileges", 2),        // revoked
      field("MaterializedView", 4),  // columns
      field("Enum", 3),              // label_renamed_from
      field("Table", 14),            // replica_identity_index
  };
  std::set<FieldId> shown;
  for (std::size_t leaf = 0; leaf < count.leaves(); ++leaf) {
    Database changed = db;
    FieldChange walk(leaf);
    walk.visit(changed);
    REQUIRE(walk.target_field());
    if (not_objects.count(*walk.target_field()) != 0) continue;
    try {
      if (object_fields(changed) != fields) shown.insert(*walk.target_field());
    } catch (const std::exception&) {
      // Not shown: the check below names the field.
    }
  }
  for (const FieldId& changed : count.fields()) {
    if (not_objects.count(changed) != 0 || nothing_to_show.count(changed) != 0) continue;
    INFO(changed.first << " field " << changed.second << " (its place in fields(), from 0)");
    CHECK(shown.count(changed) == 1);
  }
}

TEST_CASE("validate finds a duplicate object in every collection", "[schemas]") {
  Database db = load_yaml_file(PGSHIFT_EVERY_KIND);
  canonicalize(db);
  REQUIRE(validate(db).empty());
  using Duplication = testing::FieldWalk<testing::DuplicateFirst>;
  Duplication count(std::nullopt);
  count.visit(db);

  // Lists whose elements may repeat, or that canonicalize merges.
  const std::set<FieldId> may_repeat = {
      field("Privileges", 1),  // grants: merged per role
      field("Privileges", 2),  // revoked: merged per role
      field("Schema", 10),     // privileges: merged per object
      field("Schema", 11),     // default_privileges: merged per object
      field("Database", 4),    // default_privileges: merged per object
      field("Index", 4),       // keys: an index may list a column twice
  };
  std::set<FieldId> duplicated;
  std::set<FieldId> found;
  for (std::size_t leaf = 0; leaf < count.leaves(); ++leaf) {
    Database changed = db;
    Duplication walk(leaf);
    walk.visit(changed);
    if (!walk.changed()) continue;
    duplicated.insert(*walk.target_field());
    canonicalize(changed);
    if (!validate(changed).empty()) found.insert(*walk.target_field());
  }
  CHECK(duplicated.size() > 20);
  for (const FieldId& list : duplicated) {
    if (may_repeat.count(list) != 0) continue;
    INFO(list.first << " field " << list.second << " (its place in fields(), from 0)");
    CHECK(found.count(list) == 1);
  }
}

}  // namespace pgshift::schemas
