// Fuzzes the TFLite flatbuffer walker and rules.
#include <cstddef>
#include <cstdint>
#include <string>

#include "null_context.h"

#include "mats/tflite/tflite.h"

namespace {

NullContext MakeContext() {
  mats::Limits limits;
  limits.max_entries = 10000;
  return NullContext(limits, mats::tflite::TflitePolicyEntries());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  (void)mats::tflite::SniffTflite(bytes, "model.tflite");
  NullContext ctx = MakeContext();
  mats::tflite::AnalyzeTflite(bytes, ctx).IgnoreError();
  return 0;
}
