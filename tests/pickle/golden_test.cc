// Golden tests: tests/golden/pickle/<case> is analysed and the findings
// (rule, severity, offset, message, evidence), the refined format and the
// returned status are compared with <case>.expected.json.
// MATS_UPDATE_GOLDEN=1 rewrites the expected files for review.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "pickle/test_util.h"

namespace mats::pickle {
namespace {

std::string Render(const testing::PickleContext& ctx, const Status& s) {
  nlohmann::json out;
  out["status"] = s.ok() ? std::string("ok") : s.ToString();
  out["format"] = ctx.format();
  nlohmann::json findings = nlohmann::json::array();
  for (const Finding& f : ctx.findings) {
    findings.push_back({{"rule", f.rule_id},
                        {"severity", std::string(SeverityName(f.severity))},
                        {"offset", f.offset},
                        {"message", f.message},
                        {"evidence", f.evidence}});
  }
  out["findings"] = findings;
  nlohmann::json nested = nlohmann::json::array();
  for (const auto& n : ctx.nested) nested.push_back(n.name);
  out["nested"] = nested;
  return out.dump(2) + "\n";
}

TEST(PickleGoldenTest, ReportsMatch) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(MATS_SOURCE_DIR) / "tests/golden/pickle";
  bool update = std::getenv("MATS_UPDATE_GOLDEN") != nullptr;
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    fs::path p = entry.path();
    if (p.extension() == ".json") continue;
    SCOPED_TRACE(p.filename().string());
    ++cases;
    auto input = ReadFileToString(p.string(), 1 << 20);
    ASSERT_TRUE(input.ok());
    Bytes data = testing::ToBytes(*input);
    testing::PickleContext ctx;
    Status s = AnalyzePickle(data, ctx);
    std::string got = Render(ctx, s);
    fs::path expected_path = p;
    expected_path += ".expected.json";
    if (update) {
      ASSERT_TRUE(WriteFileAtomic(expected_path.string(), got).ok());
      continue;
    }
    auto expected = ReadFileToString(expected_path.string(), 1 << 20);
    ASSERT_TRUE(expected.ok()) << "missing " << expected_path;
    EXPECT_EQ(got, *expected);
  }
  EXPECT_GE(cases, 10u);
}

}  // namespace
}  // namespace mats::pickle
