#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "mats/archive/archive.h"
#include "mats/pytorch/layout.h"
#include "mats/zip/zip.h"
#include "mats/zip/zip_reader.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"
#include "zip/zip_test_util.h"

namespace mats::zip {
namespace {

using ::mats::testing::BuildZip;
using ::mats::testing::LoadFixture;
using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::mats::testing::ToBytes;

using namespace std::string_view_literals;  // NOLINT(google-build-using-namespace)
const Bytes kEvil = ToBytes(
    "\x80\x02" "cposix\nsystem\nq\x00X\x15\x00\x00\x00"
    "echo MATS-TEST-MARKERq\x01\x85q\x02Rq\x03."sv);

bool NestedHas(const RecordingContext& ctx, std::string_view name) {
  return std::any_of(ctx.nested.begin(), ctx.nested.end(),
                     [&](const RecordingContext::Nested& n) { return n.name == name; });
}
// The nested content called `name` (the last one, for duplicate names).
const RecordingContext::Nested* NestedNamed(const RecordingContext& ctx, std::string_view name) {
  const RecordingContext::Nested* found = nullptr;
  for (const auto& n : ctx.nested)
    if (n.name == name) found = &n;
  return found;
}

Status Analyze(const std::string& fixture, RecordingContext& ctx) {
  Bytes b = LoadFixture(fixture);
  if (b.empty()) return NotFound("fixture {}", fixture);
  return AnalyzeZip(b, ctx);
}

TEST(ZipAnalyzerTest, SniffsByContent) {
  Bytes z = LoadFixture("zip/benign.zip");
  EXPECT_EQ(ZipHandler().sniff(z, "x.bin"), SniffResult::kStrong);
  Bytes pre = LoadFixture("zip/prepended.zip");
  EXPECT_EQ(ZipHandler().sniff(pre, "x.bin"), SniffResult::kWeak);
  EXPECT_EQ(ZipHandler().sniff(ToBytes("not a zip, no records here at all"), "a.zip"),
            SniffResult::kNo);
  EXPECT_EQ(ZipHandler().id, "zip");
}

TEST(ZipAnalyzerTest, BenignZipScansEveryMember) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/benign.zip", ctx));
  EXPECT_TRUE(ctx.findings.empty());
  EXPECT_TRUE(ctx.errors.empty());
  EXPECT_TRUE(NestedHas(ctx, "model/data.txt"));
  EXPECT_TRUE(NestedHas(ctx, "model/weights.pkl"));
}

TEST(ZipAnalyzerTest, MaliciousMemberIsHandedToNestedScan) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/malicious_pickle.zip", ctx));
  const auto* n = NestedNamed(ctx, "payload.pkl");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, kEvil);
}

// Every method Python's zipfile (numpy.load, keras) reads, plus zstd and
// xz: the member is decoded, CRC-checked and handed to the nested scan.
class ZipMethodTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ZipMethodTest, MemberIsDecodedAndScanned) {
  RecordingContext ctx;
  ASSERT_OK(Analyze(GetParam(), ctx));
  EXPECT_TRUE(ctx.errors.empty()) << ctx.errors[0].status.ToString();
  const auto* n = NestedNamed(ctx, "payload.pkl");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, kEvil);
  for (const Finding& f : ctx.findings) EXPECT_NE(f.rule_id, kRuleUnsupportedMethod);
}

INSTANTIATE_TEST_SUITE_P(Methods, ZipMethodTest,
                         ::testing::Values("zip/bzip2_pickle.zip", "zip/lzma_pickle.zip",
                                           "zip/zstd_pickle.zip", "zip/xz_pickle.zip"));

TEST(ZipAnalyzerTest, CorruptBzip2MemberIsAnError) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/bad_bzip2.zip", ctx));
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0].status.code(), ErrorCode::kMalformed);
  EXPECT_THAT(ctx.errors[0].status.message(), ::testing::HasSubstr("data.pkl"));
}

struct RuleCase {
  const char* fixture;
  std::string_view rule;
  const char* nested;  // member that must still be scanned, or nullptr
};

class ZipRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(ZipRuleTest, ReportsRuleAndStillScans) {
  RecordingContext ctx;
  Status s = Analyze(std::string("zip/") + GetParam().fixture, ctx);
  EXPECT_TRUE(s.ok() || s.code() != ErrorCode::kNotFound) << s.ToString();
  EXPECT_TRUE(ctx.HasRule(GetParam().rule)) << GetParam().fixture;
  if (GetParam().nested != nullptr) {
    const auto* n = NestedNamed(ctx, GetParam().nested);
    ASSERT_NE(n, nullptr) << GetParam().fixture;
    EXPECT_EQ(n->data, kEvil);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ZipRuleTest,
    ::testing::Values(RuleCase{"duplicate_names.zip", kRuleDuplicateName, "data.pkl"},
                      RuleCase{"name_mismatch.zip", kRuleNameMismatch, "weights.bin"},
                      RuleCase{"encrypted_flag.zip", kRuleFlagBits, "data.pkl"},
                      RuleCase{"patched_flag.zip", kRuleFlagBits, "data.pkl"},
                      RuleCase{"bad_crc.zip", kRuleCrcMismatch, "data.pkl"},
                      RuleCase{"prepended.zip", kRulePrependedData, nullptr},
                      RuleCase{"gap.zip", kRuleGapData, nullptr},
                      RuleCase{"trailing_garbage.zip", kRuleTrailingData, "hidden.pkl"},
                      RuleCase{"concatenated.zip", kRuleLocalOnly, "hidden.pkl"},
                      RuleCase{"local_only.zip", kRuleLocalOnly, "hidden.pkl"},
                      RuleCase{"central_without_local.zip", kRuleCentralWithoutLocal, nullptr},
                      RuleCase{"overlap.zip", kRuleOverlap, nullptr},
                      RuleCase{"unsupported_method.zip", kRuleUnsupportedMethod, nullptr},
                      RuleCase{"no_central_directory.zip", kRuleNoCentralDirectory, "data.pkl"},
                      RuleCase{"traversal.zip", archive::kRuleUnsafePath, nullptr},
                      RuleCase{"traversal.zip", archive::kRuleOddName, nullptr},
                      RuleCase{"bomb.zip", archive::kRuleDecompressionBomb, nullptr}));

TEST(ZipAnalyzerTest, DuplicateNamesScanBothMembers) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/duplicate_names.zip", ctx));
  EXPECT_EQ(std::count_if(ctx.nested.begin(), ctx.nested.end(),
                          [](const auto& n) { return n.name == "data.pkl"; }),
            2);
}

TEST(ZipAnalyzerTest, UnsupportedMethodIsAnError) {
  // Method 98 (PPMd): reported as a finding and an error, never silently
  // skipped.
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/unsupported_method.zip", ctx));
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0].status.code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(std::any_of(ctx.findings.begin(), ctx.findings.end(),
                          [](const Finding& f) { return f.rule_id == kRuleUnsupportedMethod; }));
}

TEST(ZipAnalyzerTest, TorchStorageWithAnUnusualMethodIsDecoded) {
  // torch.load reads only stored/deflated storages; one compressed with
  // bzip2 is decoded and scanned instead of skipped unseen.
  Bytes bz = LoadFixture("zip/bzip2_pickle.zip");
  ASSERT_FALSE(bz.empty());
  Bytes evil_bz;
  {
    auto z = ReadZip(bz, Limits{});
    ASSERT_TRUE(z.ok());
    const ZipEntry& e = z->entries[0];
    evil_bz.assign(bz.begin() + static_cast<long>(e.data_offset),
                   bz.begin() + static_cast<long>(e.data_offset + e.compressed_size));
  }
  RecordingContext ctx;
  Bytes pkl = ToBytes("\x80\x02}q\x00."sv);
  Bytes zip = BuildZip({{"archive/data.pkl", pkl},
                        {"archive/data/0", kEvil, kMethodBzip2, 0, evil_bz}});
  ASSERT_OK(AnalyzeZip(zip, ctx));
  EXPECT_TRUE(ctx.errors.empty());
  const auto* n = NestedNamed(ctx, "archive/data/0");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, kEvil);
}

TEST(ZipAnalyzerTest, BombIsReportedAsLimitError) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/bomb.zip", ctx));
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0].status.code(), ErrorCode::kLimitExceeded);
  EXPECT_TRUE(ctx.nested.empty());
}

TEST(ZipAnalyzerTest, TotalUncompressedBudget) {
  Bytes a(3000, 'a');
  Bytes z = BuildZip({{"a", a, 8, 0}, {"b", a, 8, 0}});
  Limits at;
  at.max_uncompressed_bytes = 6000;
  RecordingContext ok(at);
  ASSERT_OK(AnalyzeZip(z, ok));
  EXPECT_TRUE(ok.errors.empty());
  Limits past;
  past.max_uncompressed_bytes = 5999;
  RecordingContext hit(past);
  ASSERT_OK(AnalyzeZip(z, hit));
  ASSERT_EQ(hit.errors.size(), 1u);
  EXPECT_EQ(hit.errors[0].member, "b");
  EXPECT_THAT(hit.errors[0].status, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(hit.HasRule(archive::kRuleDecompressionBomb));
}

TEST(ZipAnalyzerTest, MalformedZipIsAnError) {
  RecordingContext ctx;
  Bytes junk = ToBytes("PK\x05\x06 but truncated");
  EXPECT_FALSE(AnalyzeZip(junk, ctx).ok());
}

// ---- PyTorch / TorchScript / npz / mar layouts ----

TEST(ZipAnalyzerTest, TorchCheckpointSkipsStorages) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("pytorch/state_dict.pt", ctx));
  EXPECT_EQ(ctx.format(), "pytorch-zip");
  EXPECT_TRUE(NestedHas(ctx, "archive/data.pkl"));
  EXPECT_TRUE(NestedHas(ctx, "archive/version"));
  EXPECT_FALSE(NestedHas(ctx, "archive/data/0"));
  EXPECT_FALSE(NestedHas(ctx, "archive/data/1"));
  for (const Finding& f : ctx.findings) {
    EXPECT_EQ(f.severity, Severity::kInfo) << f.rule_id << " " << f.message;
  }
  const Finding* skipped = ctx.FindRule(pytorch::kRuleStoragesNotRead);
  ASSERT_NE(skipped, nullptr);
  EXPECT_NE(skipped->message.find("2 tensor storage"), std::string::npos) << skipped->message;
  EXPECT_TRUE(ctx.errors.empty());
}

TEST(ZipAnalyzerTest, TorchScriptIsFlaggedAndPicklesScanned) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("pytorch/scripted.pt", ctx));
  EXPECT_EQ(ctx.format(), "torchscript");
  const Finding* f = ctx.FindRule(pytorch::kRuleTorchScript);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence.find("archive/code/__torch__.py"), std::string::npos);
  EXPECT_TRUE(NestedHas(ctx, "archive/constants.pkl"));
  EXPECT_TRUE(NestedHas(ctx, "archive/data.pkl"));
  EXPECT_TRUE(NestedHas(ctx, "archive/code/__torch__.py.debug_pkl"));
  EXPECT_FALSE(NestedHas(ctx, "archive/data/0"));
}

TEST(ZipAnalyzerTest, StoragePayloadIsFlaggedAndScanned) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("pytorch/storage_payload.pt", ctx));
  EXPECT_EQ(ctx.format(), "pytorch-zip");
  EXPECT_TRUE(ctx.HasRule(pytorch::kRuleStoragePayload));
  const auto* n = NestedNamed(ctx, "archive/data/0");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, kEvil);
}

TEST(ZipAnalyzerTest, MaliciousDataPklIsScanned) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("pytorch/malicious_data_pkl.pt", ctx));
  const auto* n = NestedNamed(ctx, "archive/data.pkl");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->data, kEvil);
  EXPECT_FALSE(ctx.HasRule(pytorch::kRuleStoragePayload));
}

TEST(ZipAnalyzerTest, NpzIsRefinedAndMembersScanned) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("numpy/arrays_compressed.npz", ctx));
  EXPECT_EQ(ctx.format(), "numpy-npz");
  EXPECT_TRUE(NestedHas(ctx, "a.npy"));
  EXPECT_TRUE(NestedHas(ctx, "o.npy"));
  EXPECT_TRUE(ctx.errors.empty());
}

TEST(ZipAnalyzerTest, MarHandlerCodeIsReported) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("pytorch/model.mar", ctx));
  EXPECT_EQ(ctx.format(), "torchserve-mar");
  EXPECT_TRUE(ctx.HasRule(pytorch::kRuleMarHandlerCode));
}

TEST(ZipAnalyzerTest, NestedZipIsHandedOn) {
  RecordingContext ctx;
  ASSERT_OK(Analyze("zip/nested.zip", ctx));
  const auto* n = NestedNamed(ctx, "inner.zip");
  ASSERT_NE(n, nullptr);
  RecordingContext inner;
  ASSERT_OK(AnalyzeZip(n->data, inner));
  ASSERT_NE(NestedNamed(inner, "payload.pkl"), nullptr);
}

TEST(ZipAnalyzerTest, RulesAreWellFormed) {
  auto rules = ZipRules();
  EXPECT_EQ(rules.size(), 15u);
  for (const RuleInfo& r : rules) {
    EXPECT_EQ(r.id.substr(0, 9), "MATS-ZIP-");
    EXPECT_FALSE(r.description.empty());
    EXPECT_FALSE(r.atlas.empty());
  }
}

}  // namespace
}  // namespace mats::zip
