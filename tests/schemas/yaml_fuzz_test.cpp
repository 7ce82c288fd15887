// The loader under random and mutated input: it never crashes and never
// throws anything but a LoadError whose every diagnostic has a position.
// Bounded: rapidcheck's default 100 cases per property (RC_PARAMS raises it);
// CI runs it with the unit suite, under ASan and UBSan.
#include <rapidcheck.h>
#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "schemas/yaml_loader.hpp"

using pgshift::schemas::load_yaml_string;
using pgshift::schemas::LoadError;

namespace {

// The seeds: every example document, and a small one.
const std::vector<std::string>& seeds() {
  static const std::vector<std::string> documents = [] {
    std::vector<std::string> found = {
        "schemas:\n  public:\n    tables:\n      t:\n        columns: { id: bigint, note: text }\n"
        "        primary_key: [id]\n"};
    for (const auto& entry : std::filesystem::recursive_directory_iterator(PGSHIFT_EXAMPLES_DIR)) {
      if (entry.path().extension() != ".yaml") continue;
      std::ifstream file(entry.path(), std::ios::binary);
      std::ostringstream text;
      text << file.rdbuf();
      found.push_back(text.str());
    }
    return found;
  }();
  return documents;
}

// Pieces that matter to YAML, to SQL and to the loader's checks.
const std::vector<std::string> kPieces = {": ",
                                          "- ",
                                          "\n",
                                          "\n  ",
                                          "{",
                                          "}",
                                          "[",
                                          "]",
                                          ",",
                                          "\"",
                                          "'",
                                          "#",
                                          "&a ",
                                          "*a",
                                          "!!str ",
                                          "? ",
                                          "|\n",
                                          ">-\n",
                                          "\t",
                                          "~",
                                          "null",
                                          "true",
                                          "0x1",
                                          "-1",
                                          "\\",
                                          "\\0",
                                          "\\x00",
                                          std::string(1, '\0'),
                                          "\xff",
                                          "\xc3\xa9",
                                          "\xe2\x80\xae",
                                          ");",
                                          "; DROP TABLE t; --",
                                          "$1",
                                          "SELECT 1",
                                          "--",
                                          "/*",
                                          "*/",
                                          "tables:",
                                          "columns:",
                                          "type: int",
                                          "default: ",
                                          "checks:",
                                          "indexes:",
                                          "views:",
                                          "functions:",
                                          "partition_by:",
                                          "x"};

void check_load(const std::string& text) {
  try {
    load_yaml_string(text, "f.yaml");
  } catch (const LoadError& error) {
    RC_ASSERT(!error.diagnostics.empty());
    for (const auto& diagnostic : error.diagnostics) {
      RC_ASSERT(diagnostic.file == "f.yaml");
      RC_ASSERT(diagnostic.line >= 1);
      RC_ASSERT(diagnostic.column >= 1);
      RC_ASSERT(!diagnostic.message.empty());
    }
  }
}

}  // namespace

TEST_CASE("the loader survives mutated documents and positions every error", "[schemas]") {
  rc::prop("mutated seeds load or fail with positioned errors", [] {
    std::string text = *rc::gen::elementOf(seeds());
    const int mutations = *rc::gen::inRange(1, 12);
    for (int mutation = 0; mutation < mutations; ++mutation) {
      const std::size_t pos = text.empty() ? 0 : *rc::gen::inRange<std::size_t>(0, text.size());
      switch (*rc::gen::inRange(0, 4)) {
        case 0:
          text.insert(pos, *rc::gen::elementOf(kPieces));
          break;
        case 1:
          text.erase(pos, *rc::gen::inRange<std::size_t>(1, 40));
          break;
        case 2:
          text.insert(pos, text.substr(pos, *rc::gen::inRange<std::size_t>(1, 80)));
          break;
        default:
          if (pos < text.size()) text[pos] = *rc::gen::arbitrary<char>();
      }
    }
    check_load(text);
  });
}

TEST_CASE("the loader survives random documents and positions every error", "[schemas]") {
  rc::prop("random pieces load or fail with positioned errors", [] {
    std::string text = "schemas:\n  public:\n";
    for (const auto& piece :
         *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(kPieces))) {
      text += piece;
    }
    check_load(text);
  });
}
