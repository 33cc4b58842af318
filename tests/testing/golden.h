// Golden-file helpers for analyser tests.
//
//   RecordingContext ctx;
//   Status s = AnalyzeGguf(bytes, ctx);
//   ExpectGolden(fixture_path + ".expected.json", AnalysisGoldenJson(s, ctx));
//
// ExpectGolden rewrites the file instead of comparing when the environment
// has MATS_UPDATE_GOLDEN=1 (for review in the diff). Expected errors are
// golden too: the Status is part of the document.
#ifndef MATS_TESTING_GOLDEN_H_
#define MATS_TESTING_GOLDEN_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "testing/recording_context.h"

namespace mats::testing {

// {"status", "findings": [{rule, severity, member, offset, message}],
//  "nested": [{name, hint, bytes}]}, 2-space indented, newline-terminated.
inline std::string AnalysisGoldenJson(const Status& status,
                                      const RecordingContext& ctx) {
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : ctx.findings) {
    findings.push_back({{"rule", f.rule_id},
                        {"severity", std::string(SeverityName(f.severity))},
                        {"member", f.member},
                        {"offset", f.offset},
                        {"message", f.message}});
  }
  nlohmann::json nested = nlohmann::json::array();
  for (const auto& x : ctx.nested) {
    nested.push_back({{"name", x.name}, {"hint", x.format_hint}, {"bytes", x.data.size()}});
  }
  nlohmann::json doc = {{"status", status.ToString()}, {"findings", findings}, {"nested", nested}};
  return DumpJson(doc, 2) + "\n";
}

// Compares `actual` with the file at `path` (or rewrites it, see above).
inline void ExpectGolden(const std::string& path, const std::string& actual) {
  const char* update = std::getenv("MATS_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(WriteFileAtomic(path, actual).ok()) << path;
  }
  auto expected = ReadFileToString(path, 1 << 20);
  ASSERT_TRUE(expected.ok()) << path;
  EXPECT_EQ(*expected, actual) << path;
}

}  // namespace mats::testing

#endif  // MATS_TESTING_GOLDEN_H_
