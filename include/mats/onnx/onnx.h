// ONNX model analysis from the bytes alone (no onnx runtime, no libprotobuf).
//
// An ONNX file is a serialized onnx.ModelProto (no magic number). mats walks
// the model with the bounded wire reader of mats/protobuf/wire.h and an
// explicit work stack: the main graph, graphs nested in node attributes
// (If/Loop/Scan: AttributeProto.g / .graphs), training-info graphs and the
// model-local functions (ModelProto.functions). Field numbers are those of
// https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (see
// docs/formats/onnx.md).
//
//   OnnxModel model;
//   Status s = ParseOnnx(bytes, limits, &model);  // model is filled even on error
//
//   const FormatHandler& h = OnnxHandler();        // registered in src/scan
//
// Rules MATS-ONNX-001..008: unsafe external-data locations, external data
// resolved through symlinks/hardlinks or outside the model folder, missing or
// short external files, non-standard operator domains (policy domain
// "onnx-domain"), custom-op library references, and tensors whose declared
// size disagrees with their data. External data is never read: only its
// location, lstat() metadata and size are examined.
#ifndef MATS_ONNX_ONNX_H_
#define MATS_ONNX_ONNX_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/policy.h"

namespace mats::onnx {

// One TensorProto of interest (every tensor, in walk order). Views alias the
// parsed input.
struct OnnxTensor {
  std::string_view name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;
  bool has_raw_data = false;
  uint64_t raw_data_size = 0;
  // Element counts of the typed repeated fields (float_data, ...), summed.
  uint64_t typed_values = 0;
  uint32_t typed_fields = 0;       // how many distinct typed fields were set
  uint32_t typed_field_number = 0;  // the last typed field seen
  bool has_segment = false;
  int64_t data_location = 0;  // 0 DEFAULT, 1 EXTERNAL
  std::vector<std::pair<std::string_view, std::string_view>> external_data;
  uint64_t offset = 0;  // offset of the TensorProto payload
};

struct OnnxOpUse {
  uint64_t count = 0;
  uint64_t first_offset = 0;
};

struct OnnxModel {
  int64_t ir_version = 0;
  std::string_view producer_name;
  // opset_import of the model and of its functions: (domain, version, offset).
  struct Opset {
    std::string_view domain;
    int64_t version = 0;
    uint64_t offset = 0;
  };
  std::vector<Opset> opsets;
  // (domain, op_type) of every node in every graph and function.
  std::map<std::pair<std::string, std::string>, OnnxOpUse> ops;
  // (domain, name) of model-local functions.
  std::vector<std::pair<std::string_view, std::string_view>> functions;
  std::vector<OnnxTensor> tensors;
  std::vector<std::pair<std::string_view, std::string_view>> metadata_props;
  // Attribute strings (AttributeProto.s / .strings) that name a shared
  // library (.so/.dll/.dylib/.pyd): (attribute name, value, offset).
  struct StringHint {
    std::string_view key;
    std::string_view value;
    uint64_t offset = 0;
  };
  std::vector<StringHint> library_hints;
  uint64_t node_count = 0;
  uint64_t graph_count = 0;
  uint32_t max_depth_seen = 0;
};

// Parses a ModelProto. On error, `*out` holds everything parsed before it.
Status ParseOnnx(ByteSpan data, const Limits& limits, OnnxModel* out);

// Why an external-data `location` is unsafe as a relative path inside the
// model folder ("" when it is acceptable): empty, NUL, absolute, drive
// letter, backslash, URI scheme, or a ".." component.
std::string_view UnsafeLocationReason(std::string_view location);

// True when `s` looks like a shared-library file name or path.
bool LooksLikeSharedLibrary(std::string_view s);

// Element size in bits of an ONNX TensorProto.DataType, 0 when variable or
// unknown (STRING, UNDEFINED, unknown values).
uint32_t OnnxElementBits(int32_t data_type);

SniffResult SniffOnnx(ByteSpan data, std::string_view name);
Status AnalyzeOnnx(ByteSpan data, ScanContext& ctx);

const FormatHandler& OnnxHandler();
std::span<const RuleInfo> OnnxRules();
std::span<const PolicyEntry> OnnxPolicyEntries();

inline constexpr std::string_view kRuleUnsafeLocation = "MATS-ONNX-001";
inline constexpr std::string_view kRuleOutsideFolder = "MATS-ONNX-002";
inline constexpr std::string_view kRuleSymlink = "MATS-ONNX-003";
inline constexpr std::string_view kRuleHardlink = "MATS-ONNX-004";
inline constexpr std::string_view kRuleExternalFile = "MATS-ONNX-005";
inline constexpr std::string_view kRuleCustomDomain = "MATS-ONNX-006";
inline constexpr std::string_view kRuleCustomLibrary = "MATS-ONNX-007";
inline constexpr std::string_view kRuleSizeMismatch = "MATS-ONNX-008";

}  // namespace mats::onnx

#endif  // MATS_ONNX_ONNX_H_
