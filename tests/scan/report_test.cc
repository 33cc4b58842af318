#include "mats/scan/report.h"

#include <gtest/gtest.h>

#include "mats/core/json.h"
#include "mats/scan/registry.h"
#include "testing/status_matchers.h"

namespace mats::scan {
namespace {

ScanReport SampleReport() {
  ScanReport r;
  r.roots = {"models"};
  FileReport bad;
  bad.path = "models/evil dir/x.pkl";
  bad.format = "pickle";
  bad.size = 40;
  bad.findings.push_back({.rule_id = "MATS-GEN-001",
                          .severity = Severity::kHigh,
                          .member = "inner/data.pkl",
                          .offset = 7,
                          .message = "content is pickle but the name ends in .json",
                          .evidence = "os.system('echo MATS-TEST-MARKER')"});
  bad.verdict = ComputeVerdict(bad);
  r.files.push_back(bad);
  FileReport broken;
  broken.path = "models/y.bin";
  broken.format = "unknown";
  broken.errors.push_back({"", Malformed(12, "zip: bad header")});
  broken.verdict = ComputeVerdict(broken);
  r.files.push_back(broken);
  FileReport git;
  git.path = "models/.git";
  git.skipped = true;
  git.skip_reason = "version-control metadata";
  r.files.push_back(git);
  return r;
}

TEST(ReportTest, JsonCarriesVerdictsFindingsAndErrors) {
  ASSERT_OK_AND_ASSIGN(nlohmann::json doc, ParseJson(RenderJson(SampleReport(), {})));
  EXPECT_EQ(doc["schema"], "mats-scan-report");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["summary"]["malicious"], 1);
  EXPECT_EQ(doc["summary"]["not_analysable"], 1);
  EXPECT_EQ(doc["summary"]["skipped"], 1);
  EXPECT_EQ(doc["summary"]["max_severity"], "high");
  const auto& f = doc["files"][0];
  EXPECT_EQ(f["verdict"], "malicious");
  EXPECT_EQ(f["findings"][0]["rule_id"], "MATS-GEN-001");
  EXPECT_EQ(f["findings"][0]["atlas"][0], "AML.T0011.000");
  EXPECT_EQ(f["findings"][0]["goals"][0], "integrity");
  EXPECT_EQ(f["findings"][0]["evidence"], "os.system('echo MATS-TEST-MARKER')");
  EXPECT_EQ(doc["files"][1]["errors"][0]["offset"], 12);
  EXPECT_EQ(doc["files"][1]["errors"][0]["code"], "malformed");
  EXPECT_EQ(doc["files"][2]["verdict"], "skipped");
}

TEST(ReportTest, SarifHasRulesResultsAndNotifications) {
  ASSERT_OK_AND_ASSIGN(nlohmann::json doc, ParseJson(RenderSarif(SampleReport(), {})));
  EXPECT_EQ(doc["version"], "2.1.0");
  const auto& run = doc["runs"][0];
  EXPECT_EQ(run["tool"]["driver"]["rules"].size(), AllRules().size());
  const auto& result = run["results"][0];
  EXPECT_EQ(result["ruleId"], "MATS-GEN-001");
  EXPECT_EQ(result["level"], "error");
  EXPECT_EQ(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "models/evil%20dir/x.pkl");
  size_t index = result["ruleIndex"];
  EXPECT_EQ(run["tool"]["driver"]["rules"][index]["id"], "MATS-GEN-001");
  EXPECT_EQ(run["invocations"][0]["toolExecutionNotifications"].size(), 1u);
}

TEST(ReportTest, TextNamesOffsetsAndReasons) {
  std::string text = RenderText(SampleReport(), {});
  EXPECT_NE(text.find("MALICIOUS"), std::string::npos);
  EXPECT_NE(text.find("inner/data.pkl offset 7"), std::string::npos);
  EXPECT_NE(text.find("malformed: zip: bad header (offset 12)"), std::string::npos);
  EXPECT_NE(text.find("SKIPPED"), std::string::npos);
  EXPECT_NE(text.find("1 malicious, 1 not analysable, 1 skipped"), std::string::npos);
}

}  // namespace
}  // namespace mats::scan
