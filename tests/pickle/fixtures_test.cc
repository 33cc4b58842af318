// Runs every fixture of tests/fixtures/pickle/MANIFEST.tsv (written by
// tools/gen/pickle_fixtures.py) through AnalyzePickle and checks the
// expectations recorded next to each fixture's construction.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mats/core/mapped_file.h"
#include "pickle/test_util.h"

namespace mats::pickle {
namespace {

using testing::PickleContext;

struct Row {
  std::string file, kind, rules, min_severity, error, format, evidence;
};

std::string FixtureDir() { return std::string(MATS_SOURCE_DIR) + "/tests/fixtures/pickle/"; }

std::vector<Row> LoadManifest() {
  std::vector<Row> rows;
  std::ifstream in(FixtureDir() + "MANIFEST.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.size() != 7) {
      ADD_FAILURE() << "bad manifest line: " << line;
      continue;
    }
    rows.push_back({cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6]});
  }
  return rows;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

TEST(PickleFixturesTest, ManifestHasBothKinds) {
  auto rows = LoadManifest();
  size_t benign = 0, malicious = 0;
  for (const auto& r : rows) {
    if (r.kind == "benign") {
      ++benign;
    } else {
      ++malicious;
    }
  }
  EXPECT_GE(benign, 15u);
  EXPECT_GE(malicious, 60u);
}

TEST(PickleFixturesTest, EveryFixtureMeetsItsExpectation) {
  for (const Row& row : LoadManifest()) {
    SCOPED_TRACE(row.file);
    auto text = ReadFileToString(FixtureDir() + row.file, 1 << 20);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    Bytes data = testing::ToBytes(*text);
    PickleContext ctx;
    Status s = AnalyzePickle(data, ctx);
    if (row.error == "-") {
      EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << ctx.Dump();
    } else {
      EXPECT_EQ(ErrorCodeName(s.code()), row.error) << s.ToString();
    }
    if (row.format != "-") {
      EXPECT_EQ(ctx.format(), row.format);
    }
    EXPECT_TRUE(ctx.nested_status.ok()) << ctx.nested_status.ToString();
    if (row.kind == "benign") {
      EXPECT_LT(ctx.MaxSeverity(), Severity::kLow) << ctx.Dump();
      continue;
    }
    for (const std::string& rule : Split(row.rules)) {
      EXPECT_TRUE(ctx.HasRule(rule)) << rule << " missing:\n" << ctx.Dump();
    }
    auto min = ParseSeverity(row.min_severity);
    ASSERT_TRUE(min.ok());
    EXPECT_GE(ctx.MaxSeverity(), *min) << ctx.Dump();
    if (row.evidence != "-") {
      EXPECT_TRUE(ctx.EvidenceContains(row.evidence))
          << "evidence " << row.evidence << " missing:\n" << ctx.Dump();
    }
  }
}

}  // namespace
}  // namespace mats::pickle
