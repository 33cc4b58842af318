// GGUF (llama.cpp / ggml model files) v1-v3: header, key/value metadata and
// tensor infos parsed with limits; tensor data is never read, so work is
// constant in the weights' size. Chat templates in the metadata
// (`tokenizer.chat_template`, `tokenizer.chat_template.<name>`) are analysed
// with the Jinja analyser (mats/jinja/jinja.h), findings attributed to the key.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
//
//   MATS_ASSIGN_OR_RETURN(gguf::File f, gguf::AnalyzeFile(bytes, ctx));
//   for (const gguf::TensorInfo& t : f.tensors) ...
//
// Thread-compatible; no global state.
#ifndef MATS_GGUF_GGUF_H_
#define MATS_GGUF_GGUF_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/result.h"
#include "mats/core/scan_context.h"

namespace mats::gguf {

inline constexpr std::string_view kRuleDeclaredSize = "MATS-GGUF-001";
inline constexpr std::string_view kRuleBigEndian = "MATS-GGUF-002";
inline constexpr std::string_view kRuleUnknownValueType = "MATS-GGUF-003";
inline constexpr std::string_view kRuleArrayDepth = "MATS-GGUF-004";
inline constexpr std::string_view kRuleTooManyDims = "MATS-GGUF-005";
inline constexpr std::string_view kRuleElementCount = "MATS-GGUF-006";
inline constexpr std::string_view kRuleUnknownGgmlType = "MATS-GGUF-007";
inline constexpr std::string_view kRuleMisaligned = "MATS-GGUF-008";
inline constexpr std::string_view kRulePastEof = "MATS-GGUF-009";
inline constexpr std::string_view kRuleOverlap = "MATS-GGUF-010";
inline constexpr std::string_view kRuleAlignment = "MATS-GGUF-011";
inline constexpr std::string_view kRuleDuplicate = "MATS-GGUF-012";

// Metadata value types.
enum class ValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

struct GgmlType {
  uint32_t id;
  std::string_view name;
  uint32_t block_size;  // elements per block
  uint32_t type_size;   // bytes per block
};
// nullptr for ids ggml does not know (or removed ones without a layout).
const GgmlType* FindGgmlType(uint32_t id);

struct KeyValue {
  std::string key;
  ValueType type = ValueType::kU8;
  uint64_t offset = 0;                    // of the value (after the type field)
  std::string_view string;                // kString: views the input bytes
  uint64_t integer = 0;                   // unsigned integer types and bool
  ValueType array_type = ValueType::kU8;  // kArray
  uint64_t array_count = 0;               // kArray
};

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims;
  uint32_t type = 0;
  uint64_t offset = 0;       // relative to the data section
  uint64_t bytes = 0;        // computed size (0 when invalid)
  uint64_t info_offset = 0;  // where the tensor info starts in the file
  bool valid = false;
};

struct File {
  uint32_t version = 0;
  bool big_endian = false;
  uint64_t tensor_count = 0;
  uint64_t kv_count = 0;
  std::vector<KeyValue> kvs;  // string views point into the input
  std::vector<TensorInfo> tensors;
  uint32_t alignment = 32;
  uint64_t data_offset = 0;  // start of the data section
};

// Parses and validates; reports anomalies (MATS-GGUF-*) and chat-template
// findings (MATS-JINJA-*) through `ctx`. Errors: kMalformed for truncation
// or an unknown value type, kUnsupported for an unknown version,
// kLimitExceeded for counts/strings over Limits (max_entries for kv and
// tensor counts, max_string_bytes for strings, max_depth for nested
// arrays). The returned File's string views live as long as `data`.
Result<File> AnalyzeFile(ByteSpan data, ScanContext& ctx);
Status AnalyzeGguf(ByteSpan data, ScanContext& ctx);

// Handler "gguf": magic "GGUF".
const FormatHandler& GgufHandler();
std::span<const RuleInfo> GgufRules();

}  // namespace mats::gguf

#endif  // MATS_GGUF_GGUF_H_
