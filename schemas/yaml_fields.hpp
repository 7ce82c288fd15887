// Objects of a model as flat field maps, spelled as the YAML format spells them.
//
// Drift reports show, for an object that differs, which fields differ and how
// ("columns.status.default: 'new'::text -> 'pending'::text"). Rather than a
// second description of every model type, the fields come from the YAML
// writer: each top-level object is written alone and its document flattened,
// so a report names fields exactly as a user writes them.
#pragma once

#include <map>
#include <string>

#include "schemas/model.hpp"

namespace pgshift::schemas {

// Dotted path within the object ("columns.email.nullable", "primary_key",
// "indexes.orders_created_idx.columns[0].order") to the scalar written there;
// a list of scalars is one field, "[a, b]".
using FieldMap = std::map<std::string, std::string>;

// Every schema, extension and top-level object of `db` (tables with everything
// on them, views, materialized views, sequences, enums, domains, composite
// types, functions and procedures), keyed by identity. A schema's own entry
// holds only its own fields (its comment). Values left at their default are
// absent, as the writer leaves them out.
// REQUIRES: canonicalize(db) was called.
// With `unchanged_in`, an object that `unchanged_in` holds as it is (equal,
// in the same schema) maps to an empty FieldMap without being written: two
// equal objects have no field that differs, and writing every object of a
// large schema to YAML and back is most of a drift report's cost.
std::map<ObjectId, FieldMap> object_fields(const Database& db,
                                           const Database* unchanged_in = nullptr);

}  // namespace pgshift::schemas
