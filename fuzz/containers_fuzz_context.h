// A ScanContext for fuzz targets of the container analysers: it discards
// findings and errors and drops nested content (touching its bytes so that
// out-of-bounds views are caught by the sanitizers).
#ifndef MATS_FUZZ_CONTAINERS_FUZZ_CONTEXT_H_
#define MATS_FUZZ_CONTAINERS_FUZZ_CONTEXT_H_

#include <string>

#include "mats/core/scan_context.h"

namespace mats::fuzzing {

class NullContext : public ScanContext {
 public:
  explicit NullContext(Limits limits) : limits_(limits) {}
  const Limits& limits() const override { return limits_; }
  const Policy& policy() const override { return policy_; }
  void Report(Finding) override {}
  Status ScanNested(ByteSpan data, std::string_view, std::string_view) override {
    for (uint8_t b : data) sink_ ^= b;
    return Status::Ok();
  }
  void ReportError(std::string_view, const Status&) override {}
  void RefineFormat(std::string_view) override {}
  const std::string& member_path() const override { return empty_; }
  uint32_t depth() const override { return 0; }
  const std::string& file_path() const override { return empty_; }
  uint8_t sink() const { return sink_; }

 private:
  Limits limits_;
  Policy policy_;
  std::string empty_;
  uint8_t sink_ = 0;
};

}  // namespace mats::fuzzing

#endif  // MATS_FUZZ_CONTAINERS_FUZZ_CONTEXT_H_
