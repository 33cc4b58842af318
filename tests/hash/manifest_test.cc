#include "mats/hash/manifest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/encoding.h"
#include "testing/status_matchers.h"

namespace mats::hash {
namespace {

using ::mats::testing::StatusIs;
using ::testing::HasSubstr;

Resource R(std::string path, uint64_t start = 0, uint64_t end = 0, bool sharded = false) {
  Resource r;
  r.path = std::move(path);
  r.start = start;
  r.end = end;
  r.sharded = sharded;
  return r;
}

TEST(CanonicalOrderTest, MatchesReferenceExample) {
  // ../shared/reference/oms-signature.md §5.
  std::vector<std::string> want = {".hidden", "Zeta", "a/b", "a-b", "a.b", "d.x/w.bin",
                                   "empty", "\xc3\xa9.txt", "\xef\xbd\x81",
                                   "\xf0\x9f\x98\x80"};
  std::vector<Resource> rs;
  for (auto it = want.rbegin(); it != want.rend(); ++it) rs.push_back(R(*it));
  SortCanonical(rs);
  std::vector<std::string> got;
  for (auto& r : rs) got.push_back(r.path);
  EXPECT_EQ(got, want);
}

TEST(CanonicalOrderTest, ProperPrefixFirstAndShardsByStartThenEnd) {
  EXPECT_LT(ComparePaths("a", "a/b"), 0);
  EXPECT_GT(ComparePaths("a/b/c", "a/b"), 0);
  EXPECT_EQ(ComparePaths("x/y", "x/y"), 0);
  EXPECT_LT(ComparePaths("a/b", "a-b"), 0);
  EXPECT_LT(ComparePaths("a/z", "a.b"), 0);
  EXPECT_TRUE(CanonicalLess(R("f", 0, 10, true), R("f", 10, 20, true)));
  EXPECT_TRUE(CanonicalLess(R("f", 2, 10, true), R("f", 10, 12, true)));
  // Numeric, not textual: 9 < 10.
  EXPECT_TRUE(CanonicalLess(R("f", 9, 10, true), R("f", 10, 11, true)));
}

TEST(ResourceNameTest, ShardNames) {
  EXPECT_EQ(R("dir/f.bin", 0, 1000, true).Name(), "dir/f.bin:0:1000");
  EXPECT_EQ(R(".", 0, 8, true).Name(), ".:0:8");
  EXPECT_EQ(R("dir/f.bin").Name(), "dir/f.bin");
  EXPECT_EQ(ResourceAlgorithm(Method::kShards, HashAlgorithm::kSha256, 1000000000),
            "sha256-sharded-1000000000");
  EXPECT_EQ(ResourceAlgorithm(Method::kShards, HashAlgorithm::kBlake2b, 4096),
            "blake2b-sharded-4096");
  EXPECT_EQ(ResourceAlgorithm(Method::kFiles, HashAlgorithm::kBlake2b, 4096), "blake2b");
}

TEST(ResourceNameTest, ParsesFromTheRight) {
  ASSERT_OK_AND_ASSIGN(Resource r, ParseResourceName("a:b.bin:10:20", true));
  EXPECT_EQ(r.path, "a:b.bin");
  EXPECT_EQ(r.start, 10u);
  EXPECT_EQ(r.end, 20u);
  ASSERT_OK_AND_ASSIGN(Resource d, ParseResourceName(".:0:5", true));
  EXPECT_EQ(d.path, ".");
}

TEST(ResourceNameTest, RejectsBadNames) {
  EXPECT_THAT(ParseResourceName("f:1", true), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("f", true), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName(":1:2", true), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("f:x:2", true), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("f:01:2", true), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("f:5:5", true), StatusIs(ErrorCode::kMalformed, HasSubstr("reversed")));
  EXPECT_THAT(ParseResourceName("f:1:99999999999999999999999", true),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("../etc/passwd", false),
              StatusIs(ErrorCode::kMalformed, HasSubstr("escapes")));
  EXPECT_THAT(ParseResourceName("/etc/passwd", false),
              StatusIs(ErrorCode::kMalformed, HasSubstr("escapes")));
  EXPECT_THAT(ParseResourceName("a//b", false), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("a/./b", false), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("", false), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName(std::string("a\0b", 3), false), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("\xff", false), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseResourceName("a/../../b:0:1", true), StatusIs(ErrorCode::kMalformed));
}

TEST(AlgorithmTest, Names) {
  EXPECT_THAT(ParseHashAlgorithm("sha256"), ::mats::testing::IsOkAndHolds(HashAlgorithm::kSha256));
  EXPECT_THAT(ParseHashAlgorithm("blake2b"), ::mats::testing::IsOkAndHolds(HashAlgorithm::kBlake2b));
  EXPECT_THAT(ParseHashAlgorithm("blake2"), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(ParseHashAlgorithm("blake3"), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(ParseMethod("shards"), ::mats::testing::IsOkAndHolds(Method::kShards));
  EXPECT_THAT(ParseMethod("tree"), StatusIs(ErrorCode::kUnsupported));
}

TEST(RootDigestTest, ReferenceVector) {
  // signme-1 / signme-2 from the upstream v1.1.0-elliptic-key fixture.
  Resource a = R("signme-1"), b = R("signme-2");
  a.digest = *HexDecode("bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc");
  b.digest = *HexDecode("32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028");
  EXPECT_EQ(HexEncode(RootDigest({a, b})),
            "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4");
  EXPECT_EQ(HexEncode(RootDigest({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CompareManifestsTest, ReportsMissingExtraChanged) {
  Resource a = R("a"), b = R("b"), c = R("c"), b2 = R("b"), d = R("d");
  a.digest = Bytes(32, 1);
  b.digest = Bytes(32, 2);
  c.digest = Bytes(32, 3);
  b2.digest = Bytes(32, 9);
  d.digest = Bytes(32, 4);
  ManifestDiff diff = CompareManifests({a, b, c}, {d, b2, a});
  EXPECT_EQ(diff.missing, std::vector<std::string>{"c"});
  EXPECT_EQ(diff.extra, std::vector<std::string>{"d"});
  ASSERT_EQ(diff.changed.size(), 1u);
  EXPECT_EQ(diff.changed[0].name, "b");
  EXPECT_EQ(diff.changed[0].expected, Bytes(32, 2));
  EXPECT_EQ(diff.changed[0].actual, Bytes(32, 9));
  EXPECT_TRUE(CompareManifests({a, b}, {b, a}).empty());
  // A digest of another length (blake2b vs sha256) is a change.
  Resource a64 = a;
  a64.digest = Bytes(64, 1);
  EXPECT_EQ(CompareManifests({a}, {a64}).changed.size(), 1u);
}

}  // namespace
}  // namespace mats::hash
