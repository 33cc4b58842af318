// Fuzzes the Python tokenizer/reviewer and the hf-config analyser.
#include <cstddef>
#include <cstdint>

#include "mats/repo/repo.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::testing::RecordingContext ctx;
  mats::repo::AnalyzePython(bytes, ctx).IgnoreError();
  (void)mats::repo::PythonHandler().sniff(bytes, "x");
  mats::repo::AnalyzeHfConfig(bytes, ctx).IgnoreError();
  return 0;
}
