// End-to-end: the scanner detects and routes Keras, HDF5, Python and
// hf-config content to this area's analysers (through the zip handler for
// .keras files and the hdf5 analyser for model_config).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/mapped_file.h"
#include "mats/scan/registry.h"
#include "mats/scan/scanner.h"

namespace mats::scan {
namespace {

using ::testing::HasSubstr;

std::string Read(const std::string& rel) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) + "/tests/fixtures/" + rel,
                               1 << 20);
  EXPECT_TRUE(text.ok()) << rel;
  return text.ok() ? *text : std::string();
}

FileReport Scan(const std::string& rel, std::string_view name) {
  ScanOptions opts;
  opts.policy = DefaultPolicy();
  opts.threads = 1;
  std::string data = Read(rel);
  return ScanBytes(AsBytes(data), name, opts);
}

const Finding* FindRule(const FileReport& r, std::string_view id) {
  for (const Finding& f : r.findings)
    if (f.rule_id == id) return &f;
  return nullptr;
}

TEST(KerasScanTest, KerasZipWithNestedLambdaIsMalicious) {
  FileReport r = Scan("keras/nested_lambda.keras", "model.keras");
  const Finding* f = FindRule(r, "MATS-KERAS-001");
  ASSERT_NE(f, nullptr) << r.format;
  EXPECT_THAT(f->member, HasSubstr("config.json"));
  EXPECT_EQ(r.verdict, Verdict::kMalicious);
}

TEST(KerasScanTest, BenignKerasZipIsClean) {
  FileReport r = Scan("keras/benign.keras", "model.keras");
  EXPECT_TRUE(r.findings.empty()) << r.findings[0].rule_id;
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].status.ToString();
  EXPECT_EQ(r.verdict, Verdict::kClean);
}

TEST(KerasScanTest, LegacyH5WithLambda) {
  FileReport r = Scan("hdf5/lambda_v0.h5", "model.h5");
  EXPECT_EQ(r.format, "keras-h5");
  ASSERT_NE(FindRule(r, "MATS-KERAS-001"), nullptr);
  EXPECT_EQ(r.verdict, Verdict::kMalicious);
  FileReport clean = Scan("hdf5/benign_v0.h5", "model.h5");
  EXPECT_EQ(clean.verdict, Verdict::kClean);
}

TEST(KerasScanTest, ConfigsAndPythonAreDetectedByContent) {
  EXPECT_EQ(Scan("keras/benign_config.json", "config.json").format, "keras-config");
  EXPECT_EQ(Scan("keras/benign_config.json", "config.json").verdict, Verdict::kClean);
  FileReport hf = Scan("repo/remote_code/config.json", "config.json");
  EXPECT_EQ(hf.format, "hf-config");
  EXPECT_NE(FindRule(hf, "MATS-HF-001"), nullptr);
  FileReport py = Scan("repo/remote_code/modeling_evil.py", "modeling_evil.py");
  EXPECT_EQ(py.format, "python");
  EXPECT_EQ(py.verdict, Verdict::kMalicious);
  FileReport benign = Scan("repo/remote_code/configuration_evil.py", "configuration_evil.py");
  EXPECT_EQ(benign.verdict, Verdict::kClean);
}

}  // namespace
}  // namespace mats::scan
