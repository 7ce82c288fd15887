// Writing a document (YAML, SQL, a plan) to a stream or a file.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <fstream>
#include <ostream>
#include <string>

#include "schemas/error.hpp"

namespace pgshift::schemas {

// Writes `text` to `out` a megabyte at a time. One write(2) of a whole
// document, the 8.7 MB of a 10,000-table schema, took 45 to 85 ms in most
// runs on this project's VMs (Linux 6.18, ext4), where writes of 1 MB took
// 4 to 8 ms for all of it.
inline void write_text(std::ostream& out, const std::string& text) {
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  for (std::size_t at = 0; at < text.size() && out; at += kChunk) {
    out.write(text.data() + at, static_cast<std::streamsize>(std::min(kChunk, text.size() - at)));
  }
}

// Writes `text` to the file at `path`, replacing what it held.
// Throws Error naming the file and the system's reason.
inline void write_text_file(const std::string& path, const std::string& text) {
  errno = 0;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  write_text(file, text);
  if (!file.flush()) throw Error("could not write file \"" + path + "\"" + system_reason());
}

}  // namespace pgshift::schemas
