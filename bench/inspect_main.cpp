// pgshift_inspect_bench: `pgshift inspect --db URL -o FILE` without the rest of
// the CLI: connect, read the catalog, write the YAML. Exit code 0 on success,
// 1 on an error (printed to stderr), 2 on a usage error.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "catalog/connection.hpp"
#include "catalog/reader.hpp"
#include "schemas/error.hpp"
#include "schemas/yaml_writer.hpp"

int main(int argc, char** argv) {
  std::string db;
  std::string output;
  for (int arg_idx = 1; arg_idx < argc; ++arg_idx) {
    if (std::strcmp(argv[arg_idx], "inspect") == 0) continue;
    if (arg_idx + 1 < argc && std::strcmp(argv[arg_idx], "--db") == 0) {
      db = argv[++arg_idx];
    } else if (arg_idx + 1 < argc && std::strcmp(argv[arg_idx], "-o") == 0) {
      output = argv[++arg_idx];
    } else {
      std::cerr << "usage: pgshift_inspect_bench [inspect] [--db URL] -o FILE\n";
      return 2;
    }
  }
  if (output.empty()) {
    std::cerr << "usage: pgshift_inspect_bench [inspect] [--db URL] -o FILE\n";
    return 2;
  }
  try {
    const auto conn = pgshift::catalog::connect(db);
    const auto model = pgshift::catalog::read_catalog(*conn);
    std::ofstream file(output, std::ios::binary | std::ios::trunc);
    file << pgshift::schemas::write_yaml(model);
    if (!file.flush()) throw pgshift::Error("could not write file \"" + output + "\"");
  } catch (const std::exception& e) {
    std::cerr << "pgshift_inspect_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
