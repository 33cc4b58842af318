// Keras model configurations: the analyser behind the "keras-config" format.
//
// A Keras config is JSON: Keras 3 `config.json` inside a `.keras` zip, the
// `model_config` attribute of a legacy tf.keras `.h5` file, or the layer
// configs of `keras_metadata.pb`. Every serialized object looks like
// {"module", "class_name", "config", "registered_name"}; models nest layers
// and models to any depth. The analyser walks the whole tree with an explicit
// stack and reports Lambda layers (with what their marshalled bytecode names),
// callables and classes outside Keras' own namespaces (policy domain
// "keras"), calls that disable safe mode, file downloads, wrapped torch
// modules, TFSMLayer and lookup layers whose vocabulary is a path or URL.
//
//   RecordingContext ctx;
//   MATS_RETURN_IF_ERROR(AnalyzeKerasConfig(AsBytes(json_text), ctx));
//
// Other analysers (HDF5, TensorFlow) hand embedded configs to it through
// ctx.ScanNested(bytes, name, "keras-config").
#ifndef MATS_KERAS_KERAS_H_
#define MATS_KERAS_KERAS_H_

#include <span>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/policy.h"
#include "mats/core/scan_context.h"

namespace mats::keras {

// Handler id "keras-config". Sniff: a JSON object whose first 64 KiB name
// "class_name" together with "config" or "module"/"registered_name", and
// none of the Hugging Face config keys ("model_type", "architectures",
// "auto_map") at its start.
const FormatHandler& KerasConfigHandler();

// Rules MATS-KERAS-001..009.
std::span<const RuleInfo> KerasRules();

// Default policy entries of domain "keras": allow keras.*, tf_keras.*,
// keras_hub/keras_nlp/keras_cv; deny process, code and file-system modules.
std::span<const PolicyEntry> KerasPolicyEntries();

// Analyses a Keras config (JSON text). kMalformed if it is not strict JSON;
// kLimitExceeded past max_json_bytes / max_depth. Findings are reported
// through ctx before any error is returned.
Status AnalyzeKerasConfig(ByteSpan data, ScanContext& ctx);

inline constexpr std::string_view kRuleLambda = "MATS-KERAS-001";
inline constexpr std::string_view kRuleForeignCallable = "MATS-KERAS-002";
inline constexpr std::string_view kRuleUnsafeMode = "MATS-KERAS-003";
inline constexpr std::string_view kRuleGetFile = "MATS-KERAS-004";
inline constexpr std::string_view kRuleTorchWrapper = "MATS-KERAS-005";
inline constexpr std::string_view kRuleTfsmLayer = "MATS-KERAS-006";
inline constexpr std::string_view kRuleLookupPath = "MATS-KERAS-007";
inline constexpr std::string_view kRuleCustomObject = "MATS-KERAS-008";
inline constexpr std::string_view kRuleTfOp = "MATS-KERAS-009";

}  // namespace mats::keras

#endif  // MATS_KERAS_KERAS_H_
