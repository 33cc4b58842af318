// TensorFlow SavedModel, frozen GraphDef and Keras SavedMetadata analysis
// from the bytes alone (no TensorFlow, no libprotobuf).
//
// saved_model.pb (tensorflow.SavedModel) → meta_graphs[] → graph_def →
// node[] and library.function[].node_def[]; a frozen GraphDef .pb is the
// graph_def alone; keras_metadata.pb (SavedMetadata) holds one JSON config per
// Keras object. Field numbers: tensorflow/core/protobuf/saved_model.proto,
// meta_graph.proto, tensorflow/core/framework/graph.proto, node_def.proto,
// function.proto, attr_value.proto and keras/protobuf/saved_metadata.proto
// (table in docs/formats/tensorflow.md). All walking uses the bounded wire
// reader of mats/protobuf/wire.h and an explicit stack.
//
//   TfGraph g;
//   Status s = ParseSavedModel(bytes, limits, &g);  // g filled even on error
//   for (const auto& [op, use] : g.ops) ...
//
// Rules MATS-TF-001..007; policy domain "tf-op" (op names) with defaults from
// TensorflowPolicyEntries(). Ops absent from the built-in standard op list
// (src/tensorflow/standard_ops.inc) are custom ops.
#ifndef MATS_TENSORFLOW_TENSORFLOW_H_
#define MATS_TENSORFLOW_TENSORFLOW_H_

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/finding.h"
#include "mats/core/format_handler.h"
#include "mats/core/limits.h"
#include "mats/core/policy.h"

namespace mats::tensorflow {

struct TfOpUse {
  uint64_t count = 0;
  uint64_t first_offset = 0;      // offset of the first NodeDef using the op
  std::string first_node;         // its name
  std::string first_function;     // "" = top-level graph
};

// A string attribute of interest (PrintV2 output_stream, PyFunc token,
// ImmutableConst memory_region_name, Debug* debug_urls). Views alias input.
struct TfStringAttr {
  std::string_view node;
  std::string_view op;
  std::string_view attr;
  std::string_view value;
  uint64_t offset = 0;
};

struct TfGraph {
  std::map<std::string, TfOpUse, std::less<>> ops;
  std::vector<TfStringAttr> attrs;
  std::vector<std::string_view> functions;  // library function names
  uint64_t node_count = 0;
  uint64_t meta_graph_count = 0;
};

// Parses a frozen GraphDef / a SavedModel. On error `*out` holds everything
// parsed before it.
Status ParseGraphDef(ByteSpan data, const Limits& limits, TfGraph* out);
Status ParseSavedModel(ByteSpan data, const Limits& limits, TfGraph* out);

// One SavedObject of a keras_metadata.pb.
struct KerasObject {
  int64_t node_id = 0;
  std::string_view node_path;
  std::string_view identifier;  // "_tf_keras_layer", "_tf_keras_model", ...
  std::string_view metadata;    // JSON
  uint64_t offset = 0;           // offset of the SavedObject payload
  uint64_t metadata_offset = 0;  // offset of the JSON text
};
Status ParseKerasMetadata(ByteSpan data, const Limits& limits,
                          std::vector<KerasObject>* out);

// The built-in list of standard op names (sorted) and membership test.
std::span<const std::string_view> StandardTfOps();
bool IsStandardTfOp(std::string_view op);

SniffResult SniffSavedModel(ByteSpan data, std::string_view name);
SniffResult SniffGraphDef(ByteSpan data, std::string_view name);
SniffResult SniffKerasMetadata(ByteSpan data, std::string_view name);
Status AnalyzeSavedModel(ByteSpan data, ScanContext& ctx);
Status AnalyzeGraphDef(ByteSpan data, ScanContext& ctx);
Status AnalyzeKerasMetadata(ByteSpan data, ScanContext& ctx);

const FormatHandler& TfSavedModelHandler();    // "tf-savedmodel"
const FormatHandler& TfGraphDefHandler();      // "tf-graphdef"
const FormatHandler& TfKerasMetadataHandler(); // "tf-keras-metadata"
std::span<const RuleInfo> TensorflowRules();
std::span<const PolicyEntry> TensorflowPolicyEntries();

inline constexpr std::string_view kRulePythonOp = "MATS-TF-001";
inline constexpr std::string_view kRuleFileOp = "MATS-TF-002";
inline constexpr std::string_view kRulePrintToFile = "MATS-TF-003";
inline constexpr std::string_view kRuleCustomOp = "MATS-TF-004";
inline constexpr std::string_view kRuleKerasLambda = "MATS-TF-005";
inline constexpr std::string_view kRuleKerasCustomClass = "MATS-TF-006";
inline constexpr std::string_view kRuleDeniedOp = "MATS-TF-007";

}  // namespace mats::tensorflow

#endif  // MATS_TENSORFLOW_TENSORFLOW_H_
