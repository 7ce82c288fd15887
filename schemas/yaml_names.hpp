// The names PostgreSQL chooses for constraints created without a name, so that
// YAML may omit them and still agree with the catalog. Internal to the YAML
// loader and writer.
//
// Source: src/backend/commands/indexcmds.c (ChooseRelationName,
// ChooseIndexNameAddition) and src/backend/catalog/pg_constraint.c
// (ChooseConstraintName), both through makeObjectName: names are cut to fit
// NAMEDATALEN - 1 = 63 bytes, the longer part shortened first, never inside a
// UTF-8 character. PostgreSQL then appends a number when the name is taken; we
// do not, and the loader reports the clash instead.
#pragma once

#include <string>
#include <vector>

namespace pgshift::schemas::detail {

// makeObjectName(name1, name2, label); an empty name2 is left out.
std::string make_object_name(const std::string& name1, const std::string& name2,
                             const std::string& label);

// "<table>_pkey"
std::string default_primary_key_name(const std::string& table);
// "<table>_<col>_<col>_key"
std::string default_unique_name(const std::string& table, const std::vector<std::string>& columns);
// "<table>_<col>_<col>_fkey"
std::string default_foreign_key_name(const std::string& table,
                                     const std::vector<std::string>& columns);

}  // namespace pgshift::schemas::detail
