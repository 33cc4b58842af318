// Fuzz target: the symbolic pickle machine and the sniffer over arbitrary
// bytes, with small limits so that every limit path is reachable.
#include <cstddef>
#include <cstdint>

#include "mats/core/policy.h"
#include "mats/core/scan_context.h"
#include "mats/pickle/pickle.h"

namespace {

class FuzzContext : public mats::ScanContext {
 public:
  FuzzContext() {
    limits_.max_pickle_ops = 200'000;
    limits_.max_memo_entries = 10'000;
    limits_.max_stack_items = 10'000;
    limits_.max_depth = 64;
    limits_.max_string_bytes = 1 << 20;
    policy_.AddAll(mats::pickle::PicklePolicyEntries());
  }
  const mats::Limits& limits() const override { return limits_; }
  const mats::Policy& policy() const override { return policy_; }
  void Report(mats::Finding f) override { findings_ += f.message.size() > 0; }
  mats::Status ScanNested(mats::ByteSpan data, std::string_view /*name*/,
                          std::string_view /*hint*/) override {
    // One level of nesting, like the scanner's nesting limit.
    if (depth_ > 0) return mats::Status::Ok();
    ++depth_;
    mats::pickle::AnalyzePickle(data, *this).IgnoreError();
    --depth_;
    return mats::Status::Ok();
  }
  void ReportError(std::string_view, const mats::Status&) override {}
  void RefineFormat(std::string_view) override {}
  const std::string& member_path() const override { return empty_; }
  uint32_t depth() const override { return depth_; }
  const std::string& file_path() const override { return empty_; }

 private:
  mats::Limits limits_;
  mats::Policy policy_;
  std::string empty_;
  uint32_t depth_ = 0;
  size_t findings_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  (void)mats::pickle::SniffPickle(bytes, "x.pkl");
  static FuzzContext* ctx = [] {
    static FuzzContext c;
    return &c;
  }();
  mats::pickle::AnalyzePickle(bytes, *ctx).IgnoreError();
  return 0;
}
