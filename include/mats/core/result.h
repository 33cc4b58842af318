// mats::Result<T> — a value or an error Status, shaped like absl::StatusOr.
//
//   Result<Header> ReadHeader(ByteReader& r);
//   MATS_ASSIGN_OR_RETURN(Header h, ReadHeader(r));
//
// Accessing value() of an error Result is a programmer error (checked by
// MATS_DCHECK in debug and _GLIBCXX_ASSERTIONS builds, std::abort otherwise).
#ifndef MATS_CORE_RESULT_H_
#define MATS_CORE_RESULT_H_

#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

#include "mats/core/status.h"

namespace mats {

template <typename T>
class [[nodiscard]] Result {
 public:
  // NOLINTNEXTLINE(google-explicit-constructor): implicit like absl::StatusOr
  Result(T value) : value_(std::move(value)) {}
  // REQUIRES: !status.ok()
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {
    if (status_.ok()) status_ = Status(ErrorCode::kInternal, "ok status given to Result");
  }
  template <typename U,
            typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                        !std::is_same_v<std::decay_t<U>, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status>>>
  // NOLINTNEXTLINE(google-explicit-constructor)
  Result(U&& value) : value_(T(std::forward<U>(value))) {}

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  Status status() && { return std::move(status_); }

  T& value() & { Check(); return *value_; }
  const T& value() const& { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Check() const {
    if (!value_.has_value()) std::abort();
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace mats

#define MATS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return std::move(tmp).status();    \
  lhs = std::move(tmp).value()

// Evaluates `expr` (a Result<T>); on error returns its Status from the
// current function, otherwise assigns the value to `lhs` (which may be a
// declaration such as `uint32_t magic`).
#define MATS_ASSIGN_OR_RETURN(lhs, expr) \
  MATS_ASSIGN_OR_RETURN_IMPL_(MATS_STATUS_CONCAT_(mats_result_, __LINE__), lhs, expr)

#endif  // MATS_CORE_RESULT_H_
