// TFLite model analysis from the bytes alone (no TFLite runtime, no
// flatbuffers library): a bounded FlatBuffers reader walks the Model table's
// operator_codes and every subgraph's operators (tensorflow/lite/schema/
// schema.fbs), and lists custom ops and Flex ops (TensorFlow ops run by the
// Flex delegate, custom_code "Flex<TfOp>").
//
//   TfliteModel m;
//   Status s = ParseTflite(bytes, limits, &m);  // m filled even on error
//
// Rules MATS-TFL-001..003, policy domain "tflite-op": custom ops by their
// custom_code, Flex ops as "Flex.<TfOp>" (and the TF op is also checked
// against the "tf-op" policy, so FlexReadFile is as bad as ReadFile).
#ifndef MATS_TFLITE_TFLITE_H_
#define MATS_TFLITE_TFLITE_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/policy.h"

namespace mats::tflite {

struct TfliteOpCode {
  int8_t deprecated_builtin_code = 0;
  int32_t builtin_code = 0;
  bool has_custom_code = false;
  std::string_view custom_code;  // aliases the input
  int32_t version = 1;
  uint64_t offset = 0;           // position of the OperatorCode table
  uint64_t uses = 0;             // operators referring to this code
};

struct TfliteModel {
  uint32_t version = 0;
  std::vector<TfliteOpCode> op_codes;
  uint64_t subgraph_count = 0;
  uint64_t operator_count = 0;
};

// BuiltinOperator CUSTOM.
inline constexpr int32_t kBuiltinCustom = 32;
// Highest BuiltinOperator value mats knows (schema.fbs of TensorFlow 2.16+).
inline constexpr int32_t kMaxKnownBuiltin = 210;

// The operator's builtin code: max(builtin_code, deprecated_builtin_code),
// as TFLite's GetBuiltinCode() computes it.
int32_t EffectiveBuiltinCode(const TfliteOpCode& c);

Status ParseTflite(ByteSpan data, const Limits& limits, TfliteModel* out);

SniffResult SniffTflite(ByteSpan data, std::string_view name);
Status AnalyzeTflite(ByteSpan data, ScanContext& ctx);

const FormatHandler& TfliteHandler();  // "tflite"
std::span<const RuleInfo> TfliteRules();
std::span<const PolicyEntry> TflitePolicyEntries();

inline constexpr std::string_view kRuleCustomOp = "MATS-TFL-001";
inline constexpr std::string_view kRuleFlexOp = "MATS-TFL-002";
inline constexpr std::string_view kRuleUnknownBuiltin = "MATS-TFL-003";

}  // namespace mats::tflite

#endif  // MATS_TFLITE_TFLITE_H_
