// Writing the model as the YAML desired-state format (schemas/FORMAT.md).
//
// The output is deterministic (collections in model order, keys in a fixed
// order), quotes a scalar only when YAML needs it, and omits every value that
// equals its default, including names PostgreSQL would choose itself. For every
// model the loader can return, load_yaml_string(write_yaml(m)) == m.
#pragma once

#include <string>

#include "schemas/model.hpp"

namespace pgshift::schemas {

// Returns one YAML document describing `db`.
// REQUIRES: canonicalize(db) was called (as every loader does).
std::string write_yaml(const Database& db);

// Writes one file per schema, `dir/<schema>.yaml`, and the top-level
// `extensions:` and `ignore:` to `dir/_database.yaml` (only when there are
// any). Characters other than letters, digits, '_', '-' and '.' in a schema name
// are written as %XX in its file name. Creates `dir` if needed and overwrites
// the files it writes; other files in `dir` are left alone, so write into an
// empty directory to get exactly `db` back from load_yaml_file(dir).
// REQUIRES: canonicalize(db) was called. Throws pgshift::Error when a file
// cannot be written or a schema is named "_database".
void write_yaml_directory(const Database& db, const std::string& dir);

}  // namespace pgshift::schemas
