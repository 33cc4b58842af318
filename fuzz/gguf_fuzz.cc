// Fuzzes the GGUF reader (header, metadata, tensor infos, chat templates).
#include <cstddef>
#include <cstdint>

#include "mats/gguf/gguf.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::Limits limits;
  limits.max_depth = 64;
  mats::testing::RecordingContext ctx(limits);
  (void)mats::gguf::GgufHandler().sniff(bytes, "model.gguf");
  mats::gguf::AnalyzeGguf(bytes, ctx).IgnoreError();
  return 0;
}
