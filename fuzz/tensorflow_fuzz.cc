// Fuzzes the SavedModel, GraphDef and keras_metadata.pb analysers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "null_context.h"

#include "mats/tensorflow/tensorflow.h"

namespace {

NullContext MakeContext() {
  mats::Limits limits;
  limits.max_entries = 10000;
  limits.max_depth = 64;
  return NullContext(limits, mats::tensorflow::TensorflowPolicyEntries());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tf = mats::tensorflow;
  mats::ByteSpan bytes(data, size);
  (void)tf::SniffSavedModel(bytes, "saved_model.pb");
  (void)tf::SniffGraphDef(bytes, "frozen.pb");
  (void)tf::SniffKerasMetadata(bytes, "keras_metadata.pb");
  NullContext ctx = MakeContext();
  tf::AnalyzeSavedModel(bytes, ctx).IgnoreError();
  tf::AnalyzeGraphDef(bytes, ctx).IgnoreError();
  tf::AnalyzeKerasMetadata(bytes, ctx).IgnoreError();
  return 0;
}
