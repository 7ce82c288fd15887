#include "schemas/yaml_fields.hpp"

#include <algorithm>

#include "schemas/yaml_tree.hpp"
#include "schemas/yaml_writer.hpp"

namespace pgshift::schemas {

namespace {

void flatten(const yaml::Node& node, const std::string& path, FieldMap& fields) {
  switch (node.type()) {
    case yaml::Node::Type::Map:
      // A member with every field at its default (a policy FOR ALL TO
      // PUBLIC) is written as an empty mapping: a field of its own.
      if (node.size() == 0 && !path.empty()) fields[path] = "{}";
      for (size_t entry_idx = 0; entry_idx < node.size(); ++entry_idx) {
        const std::string key(node.key(entry_idx).scalar());
        flatten(node.value(entry_idx), path.empty() ? key : path + "." + key, fields);
      }
      return;
    case yaml::Node::Type::Sequence: {
      bool scalars = true;
      for (size_t item_idx = 0; item_idx < node.size(); ++item_idx) {
        scalars = scalars && node[item_idx].is_scalar();
      }
      if (scalars) {
        std::string joined = "[";
        for (size_t item_idx = 0; item_idx < node.size(); ++item_idx) {
          if (item_idx > 0) joined += ", ";
          joined += node[item_idx].scalar();
        }
        fields[path] = joined + "]";
        return;
      }
      for (size_t item_idx = 0; item_idx < node.size(); ++item_idx) {
        flatten(node[item_idx], path + "[" + std::to_string(item_idx) + "]", fields);
      }
      return;
    }
    case yaml::Node::Type::Scalar:
      fields[path] = node.scalar();
      return;
    case yaml::Node::Type::Null:
    case yaml::Node::Type::Undefined:
      fields[path] = "";
      return;
  }
}

// Writes `single` (a database holding one object) and flattens the node at
// schemas.<schema>.<section>.<name>, or the whole document's `section.<name>`
// when `schema` is empty.
FieldMap fields_of(const Database& single, const std::string& schema, const std::string& section,
                   const std::string& name) {
  const yaml::Document document = yaml::parse(write_yaml(single));
  yaml::Node node = schema.empty() ? document.root()[section][name]
                                   : document.root()["schemas"][schema][section][name];
  // A function name may hold a list of overloads; `single` holds one.
  if (node.is_sequence() && node.size() == 1) node = node[0];
  FieldMap fields;
  if (node.is_defined()) flatten(node, "", fields);
  return fields;
}

template <typename T>
void add_objects(const Schema& schema, const std::vector<T>& objects,
                 std::vector<T> Schema::*member, ObjectKind kind, const char* section,
                 const Schema* unchanged_in, std::map<ObjectId, FieldMap>& out) {
  for (const auto& object : objects) {
    if (unchanged_in != nullptr) {
      const T* same = find_named(unchanged_in->*member, object.name);
      if (same != nullptr && *same == object) {
        out[ObjectId{kind, schema.name, "", object.name}];
        continue;
      }
    }
    Database single;
    Schema holder{schema.name};
    (holder.*member).push_back(object);
    single.schemas.push_back(holder);
    out[ObjectId{kind, schema.name, "", object.name}] =
        fields_of(single, schema.name, section, object.name);
  }
}

// The privileges of a schema's objects as fields of the objects they apply
// to: "privileges.grants.app_reader: [SELECT]", "privileges.revoked.PUBLIC:
// [EXECUTE]", a column's under "columns.<name>.privileges...", a privilege
// held with the grant option as "SELECT WITH GRANT OPTION".
void add_privileges(const Schema& schema, std::map<ObjectId, FieldMap>& out) {
  for (const auto& entry : schema.privileges) {
    ObjectId owner = entry.object;
    std::string prefix = "privileges.";
    if (owner.kind == ObjectKind::Column) {
      prefix = "columns." + owner.name + ".privileges.";
      const bool view = find_named(schema.views, owner.table) != nullptr;
      const bool materialized = find_named(schema.materialized_views, owner.table) != nullptr;
      owner = {view           ? ObjectKind::View
               : materialized ? ObjectKind::MaterializedView
                              : ObjectKind::Table,
               owner.schema, "", owner.table};
    }
    FieldMap& fields = out[owner];
    for (const auto* side : {&entry.grants, &entry.revoked}) {
      std::map<std::string, std::vector<std::string>> by_role;
      for (const auto& grant : *side) {
        for (const auto& privilege : grant.privileges) {
          by_role[grant.role == kPublicRole ? "PUBLIC" : grant.role].push_back(
              privilege + (grant.with_grant_option ? " WITH GRANT OPTION" : ""));
        }
      }
      for (const auto& [role, privileges] : by_role) {
        std::string joined;
        for (const auto& privilege : privileges) joined += (joined.empty() ? "" : ", ") + privilege;
        fields[prefix + (side == &entry.grants ? "grants." : "revoked.") + role] =
            "[" + joined + "]";
      }
    }
  }
}

// Default privileges, one object per entry (database-wide ones with an
// empty schema): "grants.readonly: [SELECT]", "revoked.PUBLIC: [EXECUTE]".
void add_default_privileges(const std::vector<Privileges>& entries,
                            std::map<ObjectId, FieldMap>& out) {
  for (const auto& entry : entries) {
    FieldMap& fields = out[entry.object];
    for (const auto* side : {&entry.grants, &entry.revoked}) {
      std::map<std::string, std::vector<std::string>> by_role;
      for (const auto& grant : *side) {
        for (const auto& privilege : grant.privileges) {
          by_role[grant.role == kPublicRole ? "PUBLIC" : grant.role].push_back(
              privilege + (grant.with_grant_option ? " WITH GRANT OPTION" : ""));
        }
      }
      for (const auto& [role, privileges] : by_role) {
        std::string joined;
        for (const auto& privilege : privileges) joined += (joined.empty() ? "" : ", ") + privilege;
        fields[(side == &entry.grants ? "grants." : "revoked.") + role] = "[" + joined + "]";
      }
    }
  }
}

}  // namespace

std::map<ObjectId, FieldMap> object_fields(const Database& db, const Database* unchanged_in) {
  std::map<ObjectId, FieldMap> out;
  for (const auto& extension : db.extensions) {
    if (unchanged_in != nullptr) {
      const Extension* same = find_named(unchanged_in->extensions, extension.name);
      if (same != nullptr && *same == extension) {
        out[ObjectId{ObjectKind::Extension, "", "", extension.name}];
        continue;
      }
    }
    Database single;
    single.extensions.push_back(extension);
    out[ObjectId{ObjectKind::Extension, "", "", extension.name}] =
        fields_of(single, "", "extensions", extension.name);
  }
  for (const auto& schema : db.schemas) {
    FieldMap own;
    if (schema.comment) own["comment"] = *schema.comment;
    if (schema.owner) own["owner"] = *schema.owner;
    out[ObjectId{ObjectKind::Schema, "", "", schema.name}] = own;
    const Schema* other = unchanged_in ? find_schema(*unchanged_in, schema.name) : nullptr;
    add_objects(schema, schema.tables, &Schema::tables, ObjectKind::Table, "tables", other, out);
    add_objects(schema, schema.views, &Schema::views, ObjectKind::View, "views", other, out);
    add_objects(schema, schema.materialized_views, &Schema::materialized_views,
                ObjectKind::MaterializedView, "materialized_views", other, out);
    add_objects(schema, schema.sequences, &Schema::sequences, ObjectKind::Sequence, "sequences",
                other, out);
    add_objects(schema, schema.enums, &Schema::enums, ObjectKind::Enum, "enums", other, out);
    add_objects(schema, schema.domains, &Schema::domains, ObjectKind::Domain, "domains", other,
                out);
    add_objects(schema, schema.composite_types, &Schema::composite_types, ObjectKind::CompositeType,
                "composite_types", other, out);
    for (const auto& function : schema.functions) {
      const ObjectKind kind = function.is_procedure ? ObjectKind::Procedure : ObjectKind::Function;
      if (other != nullptr) {
        const std::string signature = function_signature(function);
        const bool same = std::any_of(
            other->functions.begin(), other->functions.end(),
            [&](const Function& f) { return f == function && function_signature(f) == signature; });
        if (same) {
          out[ObjectId{kind, schema.name, "", signature}];
          continue;
        }
      }
      Database single;
      Schema holder{schema.name};
      holder.functions.push_back(function);
      single.schemas.push_back(holder);
      out[ObjectId{kind, schema.name, "", function_signature(function)}] = fields_of(
          single, schema.name, function.is_procedure ? "procedures" : "functions", function.name);
    }
    add_privileges(schema, out);
    add_default_privileges(schema.default_privileges, out);
  }
  add_default_privileges(db.default_privileges, out);
  return out;
}

}  // namespace pgshift::schemas
