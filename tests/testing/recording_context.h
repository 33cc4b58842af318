// RecordingContext — a ScanContext for unit tests of one analyser.
//
// It records findings and errors; nested content is recorded (name, size,
// format hint) and, if a `nested` callback is set, handed to it (a test can
// route it to another analyser). Tests of the full pipeline use the scan
// module's Scanner instead.
//
//   RecordingContext ctx;
//   ASSERT_OK(AnalyzePickle(bytes, ctx));
//   EXPECT_TRUE(ctx.HasRule("MATS-PKL-001"));
#ifndef MATS_TESTING_RECORDING_CONTEXT_H_
#define MATS_TESTING_RECORDING_CONTEXT_H_

#include <functional>
#include <string>
#include <vector>

#include "mats/core/scan_context.h"

namespace mats::testing {

class RecordingContext : public ScanContext {
 public:
  struct Nested {
    std::string name;
    std::string format_hint;
    Bytes data;
  };
  struct Error {
    std::string member;
    Status status;
  };

  RecordingContext() = default;
  explicit RecordingContext(Limits limits) : limits_(limits) {}
  RecordingContext(Limits limits, Policy policy)
      : limits_(limits), policy_(std::move(policy)) {}

  const Limits& limits() const override { return limits_; }
  const Policy& policy() const override { return policy_; }
  Policy& mutable_policy() { return policy_; }
  void Report(Finding f) override { findings.push_back(std::move(f)); }
  Status ScanNested(ByteSpan data, std::string_view name,
                    std::string_view format_hint) override {
    nested.push_back({std::string(name), std::string(format_hint),
                      Bytes(data.begin(), data.end())});
    if (on_nested) return on_nested(data, name, format_hint);
    return Status::Ok();
  }
  void ReportError(std::string_view member, const Status& status) override {
    errors.push_back({std::string(member), status});
  }
  void RefineFormat(std::string_view format) override { format_ = format; }
  const std::string& member_path() const override { return member_path_; }
  uint32_t depth() const override { return 0; }
  const std::string& file_path() const override { return file_path_; }

  bool HasRule(std::string_view id) const {
    for (const auto& f : findings)
      if (f.rule_id == id) return true;
    return false;
  }
  size_t CountRule(std::string_view id) const {
    size_t n = 0;
    for (const auto& f : findings)
      if (f.rule_id == id) ++n;
    return n;
  }
  const Finding* FindRule(std::string_view id) const {
    for (const auto& f : findings)
      if (f.rule_id == id) return &f;
    return nullptr;
  }
  const std::string& format() const { return format_; }
  void set_file_path(std::string p) { file_path_ = std::move(p); }

  std::vector<Finding> findings;
  std::vector<Nested> nested;
  std::vector<Error> errors;
  std::function<Status(ByteSpan, std::string_view, std::string_view)> on_nested;

 private:
  Limits limits_;
  Policy policy_;
  std::string member_path_;
  std::string file_path_;
  std::string format_;
};

}  // namespace mats::testing

#endif  // MATS_TESTING_RECORDING_CONTEXT_H_
