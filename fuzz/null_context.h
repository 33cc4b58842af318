// NullContext — a ScanContext for fuzz targets that discards findings and
// nested content, with the caller's limits and policy entries.
//
//   mats::Limits limits;
//   limits.max_entries = 10000;
//   NullContext ctx(limits, mats::onnx::OnnxPolicyEntries());
//   mats::onnx::AnalyzeOnnx(bytes, ctx).IgnoreError();
#ifndef MATS_FUZZ_NULL_CONTEXT_H_
#define MATS_FUZZ_NULL_CONTEXT_H_

#include <span>
#include <string>

#include "mats/core/policy.h"
#include "mats/core/scan_context.h"

class NullContext : public mats::ScanContext {
 public:
  NullContext(const mats::Limits& limits, std::span<const mats::PolicyEntry> policy)
      : limits_(limits) {
    policy_.AddAll(policy);
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

#endif  // MATS_FUZZ_NULL_CONTEXT_H_
