// safetensors: full validation of the header of a .safetensors file without
// reading tensor data (work and memory are constant in the weights' size).
//
// Layout: u64 LE N, N bytes of UTF-8 JSON (starts with '{', may be padded
// with spaces), then the data buffer. Every key but "__metadata__" maps to
// {"dtype", "shape", "data_offsets": [begin, end]} relative to the buffer.
// Spec: https://github.com/huggingface/safetensors#format
//
//   MATS_ASSIGN_OR_RETURN(safetensors::Header h,
//                         safetensors::ParseHeader(bytes, limits, &anomalies));
//   // or, in a scan:
//   MATS_RETURN_IF_ERROR(safetensors::AnalyzeSafetensors(bytes, ctx));
//
// Thread-compatible; no global state.
#ifndef MATS_SAFETENSORS_SAFETENSORS_H_
#define MATS_SAFETENSORS_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"
#include "mats/core/scan_context.h"

namespace mats::safetensors {

inline constexpr std::string_view kRuleDuplicateKey = "MATS-ST-001";
inline constexpr std::string_view kRuleHeaderFraming = "MATS-ST-002";
inline constexpr std::string_view kRuleSchema = "MATS-ST-003";
inline constexpr std::string_view kRuleUnknownDtype = "MATS-ST-004";
inline constexpr std::string_view kRuleSizeMismatch = "MATS-ST-005";
inline constexpr std::string_view kRuleOutOfBounds = "MATS-ST-006";
inline constexpr std::string_view kRuleOverlap = "MATS-ST-007";
inline constexpr std::string_view kRuleHiddenBytes = "MATS-ST-008";
inline constexpr std::string_view kRuleMetadataType = "MATS-ST-009";
inline constexpr std::string_view kRuleMetadataUrl = "MATS-ST-010";
inline constexpr std::string_view kRuleMetadataCode = "MATS-ST-011";
inline constexpr std::string_view kRulePolyglot = "MATS-ST-012";

// The reference implementation's header cap (100 MB).
inline constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct TensorInfo {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;  // relative to the data buffer
  uint64_t end = 0;
  bool has_range = false;  // data_offsets parsed and inside the buffer
  bool valid = false;      // schema, dtype, size and range checks all passed
};

struct Header {
  uint64_t header_bytes = 0;                    // N
  uint64_t data_offset = 0;                     // 8 + N
  uint64_t data_bytes = 0;                      // file size - 8 - N
  std::vector<TensorInfo> tensors;              // in key order
  std::map<std::string, std::string> metadata;  // string values only
};

// Size in bits of one element of `dtype`, 0 when the dtype is unknown.
uint32_t DtypeBits(std::string_view dtype);

// Parses and validates the header; reports every anomaly through `ctx`
// (MATS-ST-*), hands polyglot content and hidden bytes to ctx.ScanNested.
// Errors: kMalformed when the header cannot be read at all (bad length,
// invalid JSON, top level not an object), kLimitExceeded for N over the cap
// or max_json_bytes, or more tensors than max_entries. Never reads the data
// buffer except bytes no tensor covers.
Result<Header> AnalyzeHeader(ByteSpan data, ScanContext& ctx);
Status AnalyzeSafetensors(ByteSpan data, ScanContext& ctx);

// Handler "safetensors": sniffs u64 N <= size-8 and byte 8 == '{'.
const FormatHandler& SafetensorsHandler();
std::span<const RuleInfo> SafetensorsRules();

}  // namespace mats::safetensors

#endif  // MATS_SAFETENSORS_SAFETENSORS_H_
