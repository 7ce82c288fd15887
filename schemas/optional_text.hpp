// OptionalText: an optional string one pointer wide.
//
// std::optional<std::string> takes 40 bytes set or not. A column holds nine
// optional texts, almost all unset, and a plan of 10,000 tables keeps about
// 90,000 columns in each of its models: with std::optional those fields were
// 32 MB per model, with OptionalText 6.5 MB. A set value costs one more
// allocation than std::optional's.
//
// It reads like std::optional<std::string> (has_value, operator bool, *, ->,
// value_or, reset, emplace, comparisons with nullopt, strings and optional
// strings), converts to one implicitly for functions that take one, and is
// built from one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace pgshift::schemas {

class OptionalText {
 public:
  OptionalText() noexcept = default;
  OptionalText(std::nullopt_t) noexcept {}  // NOLINT: converts like std::optional
  OptionalText(std::string value)           // NOLINT
      : value_(std::make_unique<std::string>(std::move(value))) {}
  OptionalText(const char* value) : OptionalText(std::string(value)) {}  // NOLINT
  OptionalText(const std::optional<std::string>& value) {                // NOLINT
    if (value) value_ = std::make_unique<std::string>(*value);
  }
  OptionalText(std::optional<std::string>&& value) {  // NOLINT
    if (value) value_ = std::make_unique<std::string>(std::move(*value));
  }
  OptionalText(const OptionalText& other)
      : value_(other.value_ ? std::make_unique<std::string>(*other.value_) : nullptr) {}
  OptionalText(OptionalText&& other) noexcept = default;
  OptionalText& operator=(const OptionalText& other) {
    if (this != &other)
      value_ = other.value_ ? std::make_unique<std::string>(*other.value_) : nullptr;
    return *this;
  }
  OptionalText& operator=(OptionalText&& other) noexcept = default;
  OptionalText& operator=(std::nullopt_t) noexcept {
    value_.reset();
    return *this;
  }
  ~OptionalText() = default;

  bool has_value() const noexcept { return value_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  // REQUIRES: has_value().
  const std::string& operator*() const { return *value_; }
  std::string& operator*() { return *value_; }
  const std::string* operator->() const { return value_.get(); }
  std::string* operator->() { return value_.get(); }
  // Throws std::bad_optional_access when unset.
  const std::string& value() const {
    if (!value_) throw std::bad_optional_access();
    return *value_;
  }
  std::string value_or(std::string fallback) const { return value_ ? *value_ : fallback; }
  void reset() noexcept { value_.reset(); }
  template <typename... Args>
  std::string& emplace(Args&&... args) {
    value_ = std::make_unique<std::string>(std::forward<Args>(args)...);
    return *value_;
  }

  operator std::optional<std::string>() const {  // NOLINT: converts like a copy
    return value_ ? std::optional<std::string>(*value_) : std::nullopt;
  }

  friend bool operator==(const OptionalText& a, const OptionalText& b) {
    return a.value_ && b.value_ ? *a.value_ == *b.value_ : a.value_ == b.value_;
  }
  friend bool operator!=(const OptionalText& a, const OptionalText& b) { return !(a == b); }
  friend bool operator==(const OptionalText& a, const std::optional<std::string>& b) {
    return a.value_ && b ? *a.value_ == *b : a.has_value() == b.has_value();
  }
  friend bool operator==(const std::optional<std::string>& a, const OptionalText& b) {
    return b == a;
  }
  friend bool operator!=(const OptionalText& a, const std::optional<std::string>& b) {
    return !(a == b);
  }
  friend bool operator!=(const std::optional<std::string>& a, const OptionalText& b) {
    return !(b == a);
  }
  friend bool operator==(const OptionalText& a, std::nullopt_t) { return !a.has_value(); }
  friend bool operator==(std::nullopt_t, const OptionalText& a) { return !a.has_value(); }
  friend bool operator!=(const OptionalText& a, std::nullopt_t) { return a.has_value(); }
  friend bool operator!=(std::nullopt_t, const OptionalText& a) { return a.has_value(); }
  // As std::optional: equal to a string only when set to it.
  friend bool operator==(const OptionalText& a, const std::string& b) {
    return a.value_ && *a.value_ == b;
  }
  friend bool operator==(const std::string& a, const OptionalText& b) { return b == a; }
  friend bool operator!=(const OptionalText& a, const std::string& b) { return !(a == b); }
  friend bool operator!=(const std::string& a, const OptionalText& b) { return !(b == a); }
  friend bool operator==(const OptionalText& a, const char* b) { return a == std::string(b); }
  friend bool operator!=(const OptionalText& a, const char* b) { return !(a == std::string(b)); }
  // As std::optional: unset sorts first.
  friend bool operator<(const OptionalText& a, const OptionalText& b) {
    if (!b.value_) return false;
    return !a.value_ || *a.value_ < *b.value_;
  }

 private:
  std::unique_ptr<std::string> value_;
};

}  // namespace pgshift::schemas
