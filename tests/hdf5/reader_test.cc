#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "mats/core/mapped_file.h"
#include "mats/hdf5/hdf5.h"
#include "mats/keras/keras.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::hdf5 {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

Bytes Fixture(const std::string& name) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) +
                                   "/tests/fixtures/hdf5/" + name,
                               1 << 20);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? Bytes(text->begin(), text->end()) : Bytes{};
}

const Attribute* FindAttr(const FileSummary& s, std::string_view name) {
  for (const Attribute& a : s.root_attributes)
    if (a.name == name) return &a;
  return nullptr;
}

// A context that routes nested keras-config content to the Keras analyser.
RecordingContext KerasRoutingContext(Limits limits = {}) {
  RecordingContext ctx(limits);
  ctx.mutable_policy().AddAll(keras::KerasPolicyEntries());
  ctx.on_nested = [&ctx](ByteSpan data, std::string_view, std::string_view hint) {
    EXPECT_EQ(hint, "keras-config");
    return keras::AnalyzeKerasConfig(data, ctx);
  };
  return ctx;
}

class Hdf5FixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(Hdf5FixtureTest, ReadsModelConfig) {
  Bytes b = Fixture(GetParam());
  FileSummary s;
  ASSERT_OK(ReadHdf5(b, Limits{}, &s));
  const Attribute* cfg = FindAttr(s, "model_config");
  ASSERT_NE(cfg, nullptr);
  ASSERT_EQ(cfg->values.size(), 1u);
  EXPECT_THAT(cfg->values[0], HasSubstr("\"class_name\": \"Sequential\""));
  EXPECT_THAT(s.unsupported, IsEmpty());
  EXPECT_GE(s.objects, 1u);
}

INSTANTIATE_TEST_SUITE_P(AllLayouts, Hdf5FixtureTest,
                         ::testing::Values("benign_v0.h5", "lambda_v0.h5",
                                           "lambda_vl_latest.h5",
                                           "benign_latest.h5", "userblock.h5",
                                           "external_link.h5",
                                           "external_storage.h5",
                                           "virtual_dataset.h5"));

TEST(Hdf5Test, BenignKerasFileIsClean) {
  for (const char* name : {"benign_v0.h5", "benign_latest.h5"}) {
    Bytes b = Fixture(name);
    auto ctx = KerasRoutingContext();
    ASSERT_OK(AnalyzeHdf5(b, ctx));
    ASSERT_EQ(ctx.findings.size(), 1u) << name;
    EXPECT_EQ(ctx.findings[0].rule_id, kRuleKerasModel);
    EXPECT_EQ(ctx.findings[0].severity, Severity::kInfo);
    EXPECT_THAT(ctx.findings[0].evidence,
                HasSubstr("keras_version=2.15.0 backend=tensorflow"));
    EXPECT_THAT(ctx.errors, IsEmpty()) << name;
    EXPECT_EQ(ctx.format(), "keras-h5");
    ASSERT_EQ(ctx.nested.size(), 1u);
    EXPECT_EQ(ctx.nested[0].name, "model_config");
  }
}

TEST(Hdf5Test, KerasVersionAndBackend) {
  Bytes b = Fixture("benign_v0.h5");
  FileSummary s;
  ASSERT_OK(ReadHdf5(b, Limits{}, &s));
  ASSERT_NE(FindAttr(s, "keras_version"), nullptr);
  EXPECT_EQ(FindAttr(s, "keras_version")->values[0], "2.15.0");
  EXPECT_EQ(FindAttr(s, "backend")->values[0], "tensorflow");
  EXPECT_EQ(s.superblock_version, 0);
}

TEST(Hdf5Test, LambdaInModelConfigIsCritical) {
  for (const char* name : {"lambda_v0.h5", "lambda_vl_latest.h5", "userblock.h5"}) {
    Bytes b = Fixture(name);
    auto ctx = KerasRoutingContext();
    ASSERT_OK(AnalyzeHdf5(b, ctx));
    ASSERT_TRUE(ctx.HasRule(keras::kRuleLambda)) << name;
    EXPECT_EQ(ctx.FindRule(keras::kRuleLambda)->severity, Severity::kCritical);
  }
}

TEST(Hdf5Test, ExternalLink) {
  auto ctx = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("external_link.h5"), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleExternalLink));
  EXPECT_THAT(ctx.FindRule(kRuleExternalLink)->message, HasSubstr("/etc/passwd.h5"));
  EXPECT_THAT(ctx.FindRule(kRuleExternalLink)->message,
              HasSubstr("/model_weights/stolen"));
  auto clean = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("benign_v0.h5"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleExternalLink));
}

TEST(Hdf5Test, ExternalStorage) {
  auto ctx = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("external_storage.h5"), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleExternalStorage));
  EXPECT_THAT(ctx.FindRule(kRuleExternalStorage)->evidence, HasSubstr("/etc/hostname"));
  auto clean = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("benign_latest.h5"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleExternalStorage));
}

TEST(Hdf5Test, VirtualDataset) {
  auto ctx = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("virtual_dataset.h5"), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleVirtualDataset));
  EXPECT_THAT(ctx.FindRule(kRuleVirtualDataset)->evidence, HasSubstr("/etc/secret.h5"));
  auto clean = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(Fixture("benign_latest.h5"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleVirtualDataset));
}

TEST(Hdf5Test, UserBlock) {
  Bytes b = Fixture("userblock.h5");
  FileSummary s;
  ASSERT_OK(ReadHdf5(b, Limits{}, &s));
  EXPECT_EQ(s.signature_offset, 512u);
  auto zero = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(b, zero));
  EXPECT_FALSE(zero.HasRule(kRuleUserBlock));
  b[3] = 'X';
  auto ctx = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(b, ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleUserBlock));
}

TEST(Hdf5Test, Sniff) {
  EXPECT_EQ(Hdf5Handler().sniff(Fixture("userblock.h5"), "x"), SniffResult::kStrong);
  EXPECT_EQ(Hdf5Handler().sniff(Fixture("benign_v0.h5"), "x"), SniffResult::kStrong);
  Bytes junk(4096, 0);
  EXPECT_EQ(Hdf5Handler().sniff(junk, "model.h5"), SniffResult::kNo);
  EXPECT_EQ(FindSignature(ByteSpan{}), -1);
}

TEST(Hdf5Test, NoSignature) {
  Bytes junk(100, 1);
  FileSummary s;
  EXPECT_THAT(ReadHdf5(junk, Limits{}, &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("no signature")));
}

TEST(Hdf5Test, UnsupportedSuperblockVersion) {
  Bytes b = Fixture("benign_v0.h5");
  b[8] = 7;
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
              StatusIs(ErrorCode::kUnsupported, HasSubstr("superblock version 7")));
}

TEST(Hdf5Test, UnsupportedFieldSize) {
  Bytes b = Fixture("benign_v0.h5");
  b[13] = 16;  // size of offsets
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
              StatusIs(ErrorCode::kUnsupported, HasSubstr("size 16")));
  Bytes c = Fixture("benign_latest.h5");
  c[10] = 3;  // size of lengths
  EXPECT_THAT(ReadHdf5(c, Limits{}, &s), StatusIs(ErrorCode::kUnsupported));
}

TEST(Hdf5Test, RootAddressOutsideFile) {
  Bytes b = Fixture("benign_latest.h5");
  // v2/v3: root object header address at 8+4+8*3 = 36.
  for (int i = 0; i < 8; ++i) b[36 + static_cast<size_t>(i)] = 0x7f;
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("outside the file")));
}

TEST(Hdf5Test, LimitOnObjects) {
  Bytes b = Fixture("benign_v0.h5");
  Limits limits;
  limits.max_entries = 3;
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, limits, &s),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_entries")));
}

TEST(Hdf5Test, LimitOnDepth) {
  Bytes b = Fixture("benign_v0.h5");
  Limits limits;
  limits.max_depth = 1;  // /model_weights/dense/kernel is at depth 3
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, limits, &s),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_depth")));
  limits.max_depth = 3;
  EXPECT_OK(ReadHdf5(b, limits, &s));
}

TEST(Hdf5Test, LimitOnStringBytes) {
  Bytes b = Fixture("lambda_vl_latest.h5");
  Limits limits;
  limits.max_string_bytes = 64;
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, limits, &s),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_string_bytes")));
}

TEST(Hdf5Test, TruncationNeverCrashes) {
  for (const char* name : {"lambda_v0.h5", "lambda_vl_latest.h5",
                           "external_link.h5", "virtual_dataset.h5"}) {
    Bytes b = Fixture(name);
    for (size_t n = 0; n < b.size(); n += 7) {
      RecordingContext ctx;
      Status st = AnalyzeHdf5(ByteSpan(b.data(), n), ctx);
      (void)st;
    }
  }
}

TEST(Hdf5Test, BitFlipsNeverCrash) {
  Bytes orig = Fixture("lambda_v0.h5");
  for (size_t i = 0; i < 2048 && i < orig.size(); ++i) {
    Bytes b = orig;
    b[i] ^= 0x5a;
    RecordingContext ctx;
    Status st = AnalyzeHdf5(b, ctx);
    (void)st;
  }
}

TEST(Hdf5Test, RulesAreComplete) {
  EXPECT_EQ(Hdf5Rules().size(), 5u);
  for (const RuleInfo& r : Hdf5Rules()) EXPECT_FALSE(r.atlas.empty()) << r.id;
  EXPECT_EQ(Hdf5Handler().id, "hdf5");
}

}  // namespace
}  // namespace mats::hdf5

namespace mats::hdf5 {
namespace {

TEST(Hdf5Test, DenseLinkStorageIsReportedUnsupported) {
  Bytes b = Fixture("dense_links.h5");
  FileSummary s;
  ASSERT_OK(ReadHdf5(b, Limits{}, &s));
  ASSERT_FALSE(s.unsupported.empty());
  EXPECT_EQ(s.unsupported[0].path, "/many");
  EXPECT_THAT(s.unsupported[0].status,
              StatusIs(ErrorCode::kUnsupported, HasSubstr("dense link")));
  auto ctx = KerasRoutingContext();
  ASSERT_OK(AnalyzeHdf5(b, ctx));
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0].member, "/many");
}

TEST(Hdf5Test, BadObjectHeaderSignature) {
  Bytes b = Fixture("benign_latest.h5");
  // Root object header address (v2/v3 superblock, 8-byte offsets) at 36.
  uint64_t root = 0;
  for (int i = 7; i >= 0; --i) root = (root << 8) | b[36 + static_cast<size_t>(i)];
  ASSERT_LT(root + 4, b.size());
  b[root + 1] = 'X';
  FileSummary s;
  EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
              StatusIs(ErrorCode::kMalformed, HasSubstr("want OHDR")));
  b[root] = 9;
  EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
              StatusIs(ErrorCode::kUnsupported, HasSubstr("object header version")));
}

}  // namespace
}  // namespace mats::hdf5

namespace mats::hdf5 {
namespace {

// Overwrites the first occurrence of `sig` in `b` with "XXXX".
bool Corrupt(Bytes& b, std::string_view sig) {
  auto it = std::search(b.begin(), b.end(), sig.begin(), sig.end());
  if (it == b.end()) return false;
  std::fill(it, it + static_cast<std::ptrdiff_t>(sig.size()), 'X');
  return true;
}

TEST(Hdf5Test, CorruptSignaturesAreMalformed) {
  struct Case {
    const char* file;
    const char* sig;
    const char* want;
  };
  for (const Case& c : {Case{"benign_v0.h5", "HEAP", "want HEAP"},
                        Case{"benign_v0.h5", "TREE", "want TREE"},
                        Case{"benign_v0.h5", "SNOD", "want SNOD"},
                        Case{"lambda_vl_latest.h5", "GCOL", "want GCOL"}}) {
    Bytes b = Fixture(c.file);
    ASSERT_TRUE(Corrupt(b, c.sig)) << c.sig;
    FileSummary s;
    EXPECT_THAT(ReadHdf5(b, Limits{}, &s),
                StatusIs(ErrorCode::kMalformed, HasSubstr(c.want)))
        << c.file << " " << c.sig;
  }
}

TEST(Hdf5Test, ExternalLinkTargetObject) {
  Bytes b = Fixture("external_link.h5");
  FileSummary s;
  ASSERT_OK(ReadHdf5(b, Limits{}, &s));
  ASSERT_EQ(s.external_links.size(), 1u);
  EXPECT_EQ(s.external_links[0].target_object, "/x");
}

}  // namespace
}  // namespace mats::hdf5
