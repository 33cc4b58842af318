// Overflow-checked arithmetic on values read from input.
//
//   uint64_t bytes;
//   if (!CheckedMul(declared_count, kRecordSize, &bytes)) return LimitExceeded(...);
#ifndef MATS_CORE_CHECKED_MATH_H_
#define MATS_CORE_CHECKED_MATH_H_

#include <cstdint>
#include <optional>

namespace mats {

// Each returns false (and leaves *out unspecified) on overflow.
template <typename T>
[[nodiscard]] constexpr bool CheckedAdd(T a, T b, T* out) {
  return !__builtin_add_overflow(a, b, out);
}
template <typename T>
[[nodiscard]] constexpr bool CheckedMul(T a, T b, T* out) {
  return !__builtin_mul_overflow(a, b, out);
}
template <typename T>
[[nodiscard]] constexpr std::optional<T> CheckedAdd(T a, T b) {
  T r{};
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
template <typename T>
[[nodiscard]] constexpr std::optional<T> CheckedMul(T a, T b) {
  T r{};
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// True when [offset, offset+len) lies inside a buffer of `size` bytes,
// written so that it cannot overflow.
[[nodiscard]] constexpr bool RangeInside(uint64_t offset, uint64_t len,
                                         uint64_t size) {
  return len <= size && offset <= size - len;
}

}  // namespace mats

#endif  // MATS_CORE_CHECKED_MATH_H_
