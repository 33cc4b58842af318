// mats::Status — an error as a value.
//
// No public mats function throws. Functions that can fail return Status (or
// Result<T>, see result.h). A Status carries an ErrorCode, a lowercase message
// in the form "<format>: <what>: got X, want Y", and, for errors found in
// input bytes, the byte offset where the problem was detected.
//
//   Status s = reader.Skip(n);
//   if (!s.ok()) return s;
//   return Malformed(r.offset(), "gguf: bad magic {:#010x}", magic);
//
// An error is not a finding: a pickle that calls os.system parsed fine and
// yields a Finding; an error means "could not analyse".
#ifndef MATS_CORE_STATUS_H_
#define MATS_CORE_STATUS_H_

#include <fmt/core.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mats {

enum class ErrorCode : uint8_t {
  kOk,
  kInvalidArgument,     // caller's options, flags or paths are wrong
  kMalformed,           // input violates its format
  kUnsupported,         // valid input, feature not implemented
  kLimitExceeded,       // a Limits field was hit
  kVerificationFailed,  // signature, digest or proof mismatch
  kNotFound,
  kIo,
  kInternal,
};

// Stable lowercase name of a code ("malformed", "limit_exceeded", ...).
std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorCode code, std::string message,
         std::optional<uint64_t> offset = std::nullopt)
      : code_(code), offset_(offset), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Byte offset in the analysed input where the error was detected, if any.
  std::optional<uint64_t> offset() const { return offset_; }

  // Returns a copy whose message is prefixed with `context` and ": ", and
  // whose offset is shifted by `base` (used when a nested parser reports an
  // offset relative to its slice).
  Status WithContext(std::string_view context) const;
  Status ShiftOffset(uint64_t base) const;

  // "malformed: pickle: ... (offset 12)"
  std::string ToString() const;

  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::optional<uint64_t> offset_;
  std::string message_;
};

bool operator==(const Status& a, const Status& b);

template <typename... Args>
Status InvalidArgument(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kInvalidArgument,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Malformed(uint64_t offset, fmt::format_string<Args...> f,
                 Args&&... args) {
  return Status(ErrorCode::kMalformed,
                fmt::format(f, std::forward<Args>(args)...), offset);
}
template <typename... Args>
Status Unsupported(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kUnsupported,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status UnsupportedAt(uint64_t offset, fmt::format_string<Args...> f,
                     Args&&... args) {
  return Status(ErrorCode::kUnsupported,
                fmt::format(f, std::forward<Args>(args)...), offset);
}
template <typename... Args>
Status LimitExceeded(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kLimitExceeded,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status LimitExceededAt(uint64_t offset, fmt::format_string<Args...> f,
                       Args&&... args) {
  return Status(ErrorCode::kLimitExceeded,
                fmt::format(f, std::forward<Args>(args)...), offset);
}
template <typename... Args>
Status VerificationFailed(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kVerificationFailed,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status NotFound(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kNotFound,
                fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status IoError(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kIo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
Status Internal(fmt::format_string<Args...> f, Args&&... args) {
  return Status(ErrorCode::kInternal,
                fmt::format(f, std::forward<Args>(args)...));
}

// Status for a failed libc call: "<what>: <strerror(errnum)>".
Status ErrnoError(int errnum, std::string_view what);

}  // namespace mats

#define MATS_STATUS_CONCAT_INNER_(a, b) a##b
#define MATS_STATUS_CONCAT_(a, b) MATS_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function if `expr` (a Status) is not ok.
#define MATS_RETURN_IF_ERROR(expr)                                       \
  do {                                                                   \
    ::mats::Status MATS_STATUS_CONCAT_(mats_status_, __LINE__) = (expr); \
    if (!MATS_STATUS_CONCAT_(mats_status_, __LINE__).ok())               \
      return MATS_STATUS_CONCAT_(mats_status_, __LINE__);                \
  } while (0)

#endif  // MATS_CORE_STATUS_H_
