// Fuzzes the safetensors header analyser (sniff + full validation).
#include <cstddef>
#include <cstdint>

#include "mats/safetensors/safetensors.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::Limits limits;
  limits.max_depth = 64;
  mats::testing::RecordingContext ctx(limits);
  (void)mats::safetensors::SafetensorsHandler().sniff(bytes,
                                                      "model.safetensors");
  mats::safetensors::AnalyzeSafetensors(bytes, ctx).IgnoreError();
  return 0;
}
