// The one base of pgshift's exceptions.
//
// Exceptions are thrown only at the I/O edges (YAML loading, catalog reading,
// applying). The CLI catches pgshift::Error once, prints what(), and exits
// non-zero. Inside the planner expected outcomes are values, not throws.
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pgshift {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// ": " and the system's reason for the last failed file operation (errno,
// which a failed std::ifstream or std::ofstream open, write or flush leaves
// set on Linux), or "" when errno holds none. Call it right after the
// failure, before anything else can change errno.
inline std::string system_reason() {
  const int code = errno;
  return code == 0 ? std::string() : std::string(": ") + std::strerror(code);
}

}  // namespace pgshift
