// Fuzzes the Jinja template analyser and the tokenizer_config handler.
#include <cstddef>
#include <cstdint>

#include "mats/jinja/jinja.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::Limits limits;
  limits.max_depth = 64;
  (void)mats::jinja::AnalyzeTemplate(mats::AsChars(bytes), limits);
  mats::testing::RecordingContext ctx(limits);
  mats::jinja::AnalyzeTokenizerConfig(bytes, ctx).IgnoreError();
  (void)mats::jinja::JinjaHandler().sniff(bytes, "chat_template.jinja");
  (void)mats::jinja::TokenizerConfigHandler().sniff(bytes, "x.json");
  return 0;
}
