#include "mats/core/status.h"

#include <cstring>

#include "mats/core/finding.h"

namespace mats {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kMalformed: return "malformed";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kLimitExceeded: return "limit_exceeded";
    case ErrorCode::kVerificationFailed: return "verification_failed";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, fmt::format("{}: {}", context, message_), offset_);
}

Status Status::ShiftOffset(uint64_t base) const {
  if (ok() || !offset_) return *this;
  return Status(code_, message_, *offset_ + base);
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (offset_) {
    return fmt::format("{}: {} (offset {})", ErrorCodeName(code_), message_,
                       *offset_);
  }
  return fmt::format("{}: {}", ErrorCodeName(code_), message_);
}

bool operator==(const Status& a, const Status& b) {
  return a.code() == b.code() && a.message() == b.message() &&
         a.offset() == b.offset();
}

Status ErrnoError(int errnum, std::string_view what) {
  char buf[256];
  // GNU strerror_r returns a char*.
  const char* text = strerror_r(errnum, buf, sizeof(buf));
  ErrorCode code = ErrorCode::kIo;
  if (errnum == ENOENT) code = ErrorCode::kNotFound;
  return Status(code, fmt::format("{}: {}", what, text));
}

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "info";
}

Result<Severity> ParseSeverity(std::string_view name) {
  for (Severity s : {Severity::kInfo, Severity::kLow, Severity::kMedium,
                     Severity::kHigh, Severity::kCritical}) {
    if (SeverityName(s) == name) return s;
  }
  return InvalidArgument(
      "unknown severity '{}': want info, low, medium, high or critical",
      name.substr(0, 32));
}

}  // namespace mats
