// Checks the rule catalog: ids unique and well-formed, every ATLAS id exists
// in ../shared/atlas/ATLAS.yaml, and docs/rules.md matches the catalog.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "mats/core/mapped_file.h"
#include "mats/scan/registry.h"
#include "mats/scan/report.h"

namespace mats::scan {
namespace {

std::set<std::string> LoadAtlasTechniqueIds() {
  std::ifstream in(std::string(MATS_SHARED_DIR) + "/atlas/ATLAS.yaml");
  std::set<std::string> ids;
  std::string line;
  static const std::regex kId(R"(^\s*-?\s*id:\s*(AML\.T\d{4}(\.\d{3})?)\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, kId)) ids.insert(m[1].str());
  }
  return ids;
}

TEST(RuleCatalogTest, IdsAreUniqueAndWellFormed) {
  static const std::regex kRuleId(R"(MATS-[A-Z0-9]+-\d{3})");
  std::set<std::string_view> seen;
  for (const RuleInfo& r : AllRules()) {
    EXPECT_TRUE(std::regex_match(std::string(r.id), kRuleId)) << r.id;
    EXPECT_TRUE(seen.insert(r.id).second) << "duplicate rule id " << r.id;
    EXPECT_FALSE(r.title.empty()) << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_FALSE(r.remediation.empty()) << r.id;
    EXPECT_FALSE(r.atlas.empty()) << r.id << " has no ATLAS technique";
    EXPECT_NE(r.goals, 0) << r.id << " names no protection goal";
    EXPECT_EQ(FindRule(r.id), &r);
  }
  EXPECT_EQ(FindRule("MATS-NOPE-999"), nullptr);
}

TEST(RuleCatalogTest, EveryAtlasIdExistsInAtlasData) {
  std::set<std::string> atlas = LoadAtlasTechniqueIds();
  ASSERT_GT(atlas.size(), 150u) << "could not read ATLAS.yaml under " << MATS_SHARED_DIR;
  for (const RuleInfo& r : AllRules()) {
    for (std::string_view id : r.atlas) {
      EXPECT_TRUE(atlas.count(std::string(id))) << r.id << " names unknown ATLAS id " << id;
    }
  }
}

TEST(RuleCatalogTest, FormatIdsAreUnique) {
  std::set<std::string_view> seen;
  for (const FormatHandler* h : AllFormats()) {
    EXPECT_TRUE(seen.insert(h->id).second) << "duplicate format id " << h->id;
    EXPECT_EQ(FindFormat(h->id), h);
  }
  ASSERT_FALSE(AllFormats().empty());
  EXPECT_EQ(AllFormats().back()->id, "unknown");  // the fallback stays last
}

TEST(RuleCatalogTest, DocsRulesMdMatchesCatalog) {
  std::string path = std::string(MATS_SOURCE_DIR) + "/docs/rules.md";
  std::string expected = RenderRulesMarkdown();
  if (const char* update = std::getenv("MATS_UPDATE_GOLDEN"); update && *update == '1') {
    ASSERT_TRUE(WriteFileAtomic(path, expected).ok());
  }
  auto actual = ReadFileToString(path, 16u << 20);
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_TRUE(*actual == expected)
      << "docs/rules.md is out of date: run `mats rules --format markdown > "
         "docs/rules.md` (or the tests with MATS_UPDATE_GOLDEN=1)";
}

}  // namespace
}  // namespace mats::scan
