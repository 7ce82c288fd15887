// A walk over every field of a schema model, through the model structs'
// fields() lists (schemas/model.hpp): the tests that a change to any field is
// seen (the fingerprint) and that every collection is put in order
// (canonicalize) find a field added to the model without being told of it.
#pragma once

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::testing {

template <typename T, typename = void>
struct HasFields : std::false_type {};
template <typename T>
struct HasFields<T, std::void_t<decltype(T::fields(std::declval<T&>()))>> : std::true_type {};

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {
  using Element = T;
};

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {
  using Element = T;
};

template <typename>
inline constexpr bool kAlwaysFalse = false;

// Changes `value` so that it differs from what it was; true.
struct ChangeField {
  template <typename T>
  bool operator()(T& value) const {
    if constexpr (std::is_same_v<T, bool>) {
      value = !value;
    } else if constexpr (std::is_same_v<T, std::string>) {
      value += "x";
    } else if constexpr (std::is_enum_v<T>) {
      value = static_cast<T>(static_cast<int>(value) + 1);
    } else if constexpr (std::is_integral_v<T>) {
      value += 1;
    } else if constexpr (IsOptional<T>::value || std::is_same_v<T, schemas::OptionalText>) {
      if (value) {
        value.reset();
      } else {
        value.emplace();
      }
    } else if constexpr (IsVector<T>::value) {
      value.emplace_back();
    } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
      value.emplace("x", "y");
    } else {
      static_assert(kAlwaysFalse<T>, "a model field of a type ChangeField does not know: teach it");
    }
    return true;
  }
};

// Reverses a list of at least two elements that are not all equal; false for
// anything else (nothing changed).
struct ReverseList {
  template <typename T>
  bool operator()(T& value) const {
    if constexpr (IsVector<T>::value) {
      for (std::size_t i = 1; i < value.size(); ++i) {
        if (!(value[i] == value[0])) {
          std::reverse(value.begin(), value.end());
          return true;
        }
      }
    }
    return false;
  }
};

// Changes nothing; true for a list of model structs that is not empty and an
// optional model struct that is set: a field that holds objects.
struct HoldsObjects {
  template <typename T>
  bool operator()(T& value) const {
    if constexpr (IsVector<T>::value) {
      return HasFields<typename IsVector<T>::Element>::value && !value.empty();
    } else if constexpr (IsOptional<T>::value) {
      return HasFields<typename IsOptional<T>::Element>::value && value.has_value();
    }
    return false;
  }
};

// Appends a copy of a list's first model struct: a duplicate of an object;
// false for anything else.
struct DuplicateFirst {
  template <typename T>
  bool operator()(T& value) const {
    if constexpr (IsVector<T>::value) {
      if constexpr (HasFields<typename IsVector<T>::Element>::value) {
        if (value.empty()) return false;
        value.push_back(value.front());
        return true;
      }
    }
    return false;
  }
};

inline std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
  return status == 0 ? name.get() : type.name();
}

// One field of one struct type: {"pgshift::schemas::Trigger", 11} (its
// place in Trigger::fields(), from 0).
using FieldId = std::pair<std::string, std::size_t>;

// Visits the fields of a model in order. With `target` set, applies `action`
// to the target-th field that is not itself a struct with fields() (a
// leaf), counting from 0, and says which field it was and whether the action
// changed it. Without, counts the leaves and lists them, and the struct types
// it enters.
template <typename Action>
class FieldWalk {
 public:
  explicit FieldWalk(std::optional<std::size_t> target, Action action = Action())
      : target_(target), action_(action) {}

  template <typename T>
  void visit(T& value) {
    static_assert(HasFields<T>::value);
    const std::string type = type_name(typeid(T));
    types_.insert(type);
    std::size_t index = 0;
    std::apply([&](auto&... field) { (visit_field(field, type, index++), ...); }, T::fields(value));
  }

  std::size_t leaves() const { return leaves_; }
  // The target leaf, once visited.
  const std::optional<FieldId>& target_field() const { return target_field_; }
  // Whether the action changed it.
  bool changed() const { return changed_; }
  // The fields that are not structs with fields() (those are entered).
  const std::set<FieldId>& fields() const { return fields_; }
  const std::set<std::string>& types() const { return types_; }

 private:
  template <typename T>
  void visit_field(T& field, const std::string& type, std::size_t index) {
    if constexpr (HasFields<T>::value) {
      visit(field);
    } else {
      fields_.insert({type, index});
      if (target_ && *target_ == leaves_) {
        changed_ = action_(field);
        target_field_ = FieldId{type, index};
      }
      ++leaves_;
      if constexpr (IsVector<T>::value) {
        if constexpr (HasFields<typename IsVector<T>::Element>::value) {
          for (auto& element : field) visit(element);
        }
      } else if constexpr (IsOptional<T>::value) {
        if constexpr (HasFields<typename IsOptional<T>::Element>::value) {
          if (field) visit(*field);
        }
      }
    }
  }

  std::optional<std::size_t> target_;
  Action action_;
  std::size_t leaves_ = 0;
  std::optional<FieldId> target_field_;
  bool changed_ = false;
  std::set<FieldId> fields_;
  std::set<std::string> types_;
};

}  // namespace pgshift::testing
