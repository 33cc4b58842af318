// Helpers shared by the pickle tests.
#ifndef MATS_TESTS_PICKLE_TEST_UTIL_H_
#define MATS_TESTS_PICKLE_TEST_UTIL_H_

#include <string>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/encoding.h"
#include "mats/core/finding.h"
#include "mats/pickle/pickle.h"
#include "testing/recording_context.h"

namespace mats::pickle::testing {

inline Policy DefaultPicklePolicy() {
  Policy p;
  p.AddAll(PicklePolicyEntries());
  return p;
}

// A recording context with the default pickle policy whose nested pickles
// are analysed too (one level).
class PickleContext : public mats::testing::RecordingContext {
 public:
  explicit PickleContext(Limits limits = Limits())
      : RecordingContext(limits, DefaultPicklePolicy()) {
    on_nested = [this](ByteSpan data, std::string_view, std::string_view hint) {
      if (hint == "pickle" && !in_nested_) {
        in_nested_ = true;
        Status s = AnalyzePickle(data, *this);
        in_nested_ = false;
        nested_status = s;
      }
      return Status::Ok();
    };
  }
  Severity MaxSeverity() const {
    Severity s = Severity::kInfo;
    for (const auto& f : findings) s = std::max(s, f.severity);
    return s;
  }
  bool EvidenceContains(std::string_view needle) const {
    for (const auto& f : findings) {
      if (f.evidence.find(needle) != std::string::npos) return true;
    }
    return false;
  }
  std::string Dump() const {
    std::string out;
    for (const auto& f : findings) {
      out += std::string(f.rule_id) + " " + std::string(SeverityName(f.severity)) +
             " @" + std::to_string(f.offset) + " " + f.message + " | " +
             f.evidence + "\n";
    }
    return out;
  }
  Status nested_status;

 private:
  bool in_nested_ = false;
};

inline Bytes ToBytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace mats::pickle::testing

#endif  // MATS_TESTS_PICKLE_TEST_UTIL_H_
