// Loading the YAML desired-state format (schemas/FORMAT.md) into the model.
//
// The loader is the only code that reads YAML. It builds a `Database`, calls
// `canonicalize()` and `validate()` (schemas/model.hpp), and reports every
// problem it finds in the input as a positioned `Diagnostic`: shape errors
// (unknown or duplicate keys, wrong types, missing keys) and names defined
// twice first; references between objects (a foreign key to a missing table,
// an index on a missing column) once the shape is right, since a misshapen
// file would otherwise cascade into references that only look broken.
//
// Thread safety: the functions are pure apart from reading files; they may be
// called concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "schemas/error.hpp"
#include "schemas/model.hpp"

namespace pgshift::schemas {

// One problem in the input. `line` and `column` are 1-based; both are 0 when
// the problem has no position (an unreadable file). `path` is the node's path
// from the document root, e.g. "schemas.public.tables.orders.columns.amount",
// with list positions as "[0]"; empty for the whole document.
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;
  std::string message;  // lower case, no final period, says what was expected
};

// Thrown when an input cannot be loaded. what() holds every diagnostic, in
// file order and then by position, each as ninja prints its errors:
//   file:line:column: path: message
//   <the source line>
//   <a caret under the column>
class LoadError : public pgshift::Error {
 public:
  explicit LoadError(std::vector<Diagnostic> diagnostics,
                     const std::vector<std::pair<std::string, std::string_view>>& sources = {});
  std::vector<Diagnostic> diagnostics;
};

// The largest file (or document) the loader reads: a desired state is text
// written by people; a larger input is refused before it is parsed.
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;

// Loads a file, or a directory holding *.yaml and *.yml files (recursively,
// read in sorted path order). Files of a directory are merged: a schema may be
// spread over several files, but any other object defined twice is an error
// naming both places.
// Returns a canonical, valid model. Throws LoadError.
Database load_yaml_file(const std::string& path);

// Loads one document; `filename` is used in diagnostics only.
// Returns a canonical, valid model. Throws LoadError.
Database load_yaml_string(const std::string& text, const std::string& filename = "<string>");

// Planning hints of a desired state written in SQL (README "SQL as desired
// state"): a YAML file holding only hints, keyed as a desired-state file keys
// its objects, each hint spelled and checked as there:
//
//   schemas:
//     <schema>:
//       tables:
//         <table>:                  # the name the SQL gives it
//           renamed_from: <old name>
//           backfill_batch_size: <positive integer>
//           columns:
//             <column>: { renamed_from: <old name>, backfill: <expression>, using: <expression> }
//
// apply_yaml_hints sets the hints on `db`'s objects. Throws LoadError
// (file:line:column, every problem) for a shape error, SQL text that is not
// one expression, or a schema, table or column that `db` does not define.
void apply_yaml_hints(const std::string& path, Database& db);
// The same for a document; `filename` is used in diagnostics only.
void apply_yaml_hints_string(const std::string& text, const std::string& filename, Database& db);
// Checks the file alone (shape and SQL text, not the names), before anything
// connects. Throws LoadError.
void check_yaml_hints(const std::string& path);

}  // namespace pgshift::schemas
