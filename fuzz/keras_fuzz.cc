// Fuzzes the Keras config walker and the marshal reader on the same input.
#include <cstddef>
#include <cstdint>

#include "mats/keras/keras.h"
#include "mats/keras/marshal.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::Limits limits;
  limits.max_depth = 64;
  limits.max_entries = 100'000;
  mats::testing::RecordingContext ctx(limits);
  ctx.mutable_policy().AddAll(mats::keras::KerasPolicyEntries());
  mats::keras::AnalyzeKerasConfig(bytes, ctx).IgnoreError();
  (void)mats::keras::KerasConfigHandler().sniff(bytes, "config.json");
  auto summary = mats::keras::SummarizeMarshalCode(bytes, limits);
  if (summary.ok()) (void)mats::keras::DangerousNames(*summary);
  return 0;
}
