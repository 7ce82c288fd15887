// The number of fields of an aggregate, counted by the compiler: the most
// initializers a braced list of T accepts. Used to check at compile time that
// a model struct's fields() lists every field (schemas/model.cpp), so that a
// field added to the struct but not to its list is a compile error rather than
// a difference operator== and the fingerprint silently miss.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace pgshift::schemas::detail {

// Converts to any type, in unevaluated contexts only (never defined).
struct AnyField {
  template <typename T, typename = std::enable_if_t<!std::is_lvalue_reference_v<T>>>
  operator T() const;
};

template <std::size_t>
using AnyFieldAt = AnyField;

template <typename T, typename Indexes, typename = void>
struct BracesAccept : std::false_type {};
template <typename T, std::size_t... I>
struct BracesAccept<T, std::index_sequence<I...>, std::void_t<decltype(T{AnyFieldAt<I>{}...})>>
    : std::true_type {};

template <typename T, std::size_t N = 0>
constexpr std::size_t field_count() {
  static_assert(std::is_aggregate_v<T>, "field_count counts the fields of aggregates only");
  if constexpr (BracesAccept<T, std::make_index_sequence<N + 1>>::value) {
    return field_count<T, N + 1>();
  } else {
    return N;
  }
}

// Whether T::fields() lists `uncompared` fields fewer than T has.
template <typename T, std::size_t uncompared = 0>
constexpr bool fields_list_all_but() {
  using Listed = decltype(T::fields(std::declval<const T&>()));
  return std::tuple_size_v<Listed> + uncompared == field_count<T>();
}

}  // namespace pgshift::schemas::detail
