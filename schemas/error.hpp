// The one base of pgshift's exceptions.
//
// Exceptions are thrown only at the I/O edges (YAML loading, catalog reading,
// applying). The CLI catches pgshift::Error once, prints what(), and exits
// non-zero. Inside the planner expected outcomes are values, not throws.
#pragma once

#include <stdexcept>
#include <string>

namespace pgshift {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace pgshift
