// Fuzzes the TFLite flatbuffer walker and rules.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mats/tflite/tflite.h"

namespace {

class FuzzContext : public mats::ScanContext {
 public:
  FuzzContext() {
    limits_.max_entries = 10000;
    policy_.AddAll(mats::tflite::TflitePolicyEntries());
  }
  const mats::Limits& limits() const override { return limits_; }
  const mats::Policy& policy() const override { return policy_; }
  void Report(mats::Finding) override {}
  mats::Status ScanNested(mats::ByteSpan, std::string_view, std::string_view) override {
    return mats::Status::Ok();
  }
  void ReportError(std::string_view, const mats::Status&) override {}
  void RefineFormat(std::string_view) override {}
  const std::string& member_path() const override { return empty_; }
  uint32_t depth() const override { return 0; }
  const std::string& file_path() const override { return empty_; }

 private:
  mats::Limits limits_;
  mats::Policy policy_;
  std::string empty_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  (void)mats::tflite::SniffTflite(bytes, "model.tflite");
  FuzzContext ctx;
  mats::tflite::AnalyzeTflite(bytes, ctx).IgnoreError();
  return 0;
}
