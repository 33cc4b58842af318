// Fuzzes ONNX sniffing, parsing and rule evaluation (no disk access: the
// context has no file path).
#include <cstddef>
#include <cstdint>
#include <string>

#include "null_context.h"

#include "mats/onnx/onnx.h"

namespace {

NullContext MakeContext() {
  mats::Limits limits;
  limits.max_entries = 10000;
  limits.max_depth = 64;
  return NullContext(limits, mats::onnx::OnnxPolicyEntries());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  (void)mats::onnx::SniffOnnx(bytes, "model.onnx");
  NullContext ctx = MakeContext();
  mats::onnx::AnalyzeOnnx(bytes, ctx).IgnoreError();
  return 0;
}
