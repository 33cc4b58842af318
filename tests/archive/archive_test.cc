#include "mats/archive/archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "mats/archive/decompress.h"
#include "mats/pytorch/layout.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"
#include "zip/zip_test_util.h"

namespace mats::archive {
namespace {

using ::mats::testing::LoadFixture;
using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::mats::testing::ToBytes;
using ::testing::HasSubstr;
using namespace std::string_view_literals;  // NOLINT(google-build-using-namespace)

const Bytes kEvil = ToBytes(
    "\x80\x02" "cposix\nsystem\nq\x00X\x15\x00\x00\x00"
    "echo MATS-TEST-MARKERq\x01\x85q\x02Rq\x03."sv);

const FormatHandler* Detect(ByteSpan data) {
  const FormatHandler* all[] = {&TarHandler(), &SevenZipHandler(), &GzipHandler(),
                                &Bzip2Handler(), &XzHandler(), &LzmaHandler(),
                                &ZstdHandler(), &Lz4Handler(), &ZlibHandler()};
  const FormatHandler* weak = nullptr;
  for (const FormatHandler* h : all) {
    SniffResult r = h->sniff(data, "");
    if (r == SniffResult::kStrong) return h;
    if (r == SniffResult::kWeak && weak == nullptr) weak = h;
  }
  return weak;
}

struct WrapperCase {
  const char* fixture;
  const char* handler;
};

class WrapperTest : public ::testing::TestWithParam<WrapperCase> {};

TEST_P(WrapperTest, SniffsAndDecompressesPayload) {
  Bytes b = LoadFixture(std::string("archive/") + GetParam().fixture);
  ASSERT_FALSE(b.empty()) << GetParam().fixture;
  const FormatHandler* h = Detect(b);
  ASSERT_NE(h, nullptr) << GetParam().fixture;
  EXPECT_EQ(h->id, GetParam().handler);
  RecordingContext ctx;
  ASSERT_OK(h->analyze(b, ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].data, kEvil);
  EXPECT_TRUE(ctx.findings.empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, WrapperTest,
                         ::testing::Values(WrapperCase{"payload.pkl.gz", "gzip"},
                                           WrapperCase{"payload.pkl.bz2", "bzip2"},
                                           WrapperCase{"payload.pkl.xz", "xz"},
                                           WrapperCase{"payload.pkl.lzma", "lzma"},
                                           WrapperCase{"payload.pkl.zst", "zstd"},
                                           WrapperCase{"payload.pkl.lz4", "lz4"},
                                           WrapperCase{"payload.zlib", "zlib"}));

class JoblibTest : public ::testing::TestWithParam<WrapperCase> {};

TEST_P(JoblibTest, CompressedJoblibYieldsAPickle) {
  Bytes b = LoadFixture(std::string("archive/") + GetParam().fixture);
  ASSERT_FALSE(b.empty());
  const FormatHandler* h = Detect(b);
  ASSERT_NE(h, nullptr) << GetParam().fixture;
  EXPECT_EQ(h->id, GetParam().handler);
  RecordingContext ctx;
  ASSERT_OK(h->analyze(b, ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  ASSERT_GE(ctx.nested[0].data.size(), 2u);
  EXPECT_EQ(ctx.nested[0].data[0], 0x80);  // a pickle PROTO opcode
  EXPECT_TRUE(ctx.findings.empty());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, JoblibTest,
                         ::testing::Values(WrapperCase{"model_zlib.joblib", "zlib"},
                                           WrapperCase{"model_gzip.joblib", "gzip"},
                                           WrapperCase{"model_bz2.joblib", "bzip2"},
                                           WrapperCase{"model_xz.joblib", "xz"},
                                           WrapperCase{"model_lzma.joblib", "lzma"}));

TEST(WrapperTest, NestedNameDropsSuffix) {
  EXPECT_EQ(StripCompressionSuffix("dir/model.pkl.gz"), "model.pkl");
  EXPECT_EQ(StripCompressionSuffix("weights.tgz"), "weights.tar");
  EXPECT_EQ(StripCompressionSuffix("model.joblib"), "model.joblib");
  EXPECT_EQ(StripCompressionSuffix(""), "");
  RecordingContext ctx;
  ctx.set_file_path("/tmp/x/payload.pkl.gz");
  ASSERT_OK(GzipHandler().analyze(LoadFixture("archive/payload.pkl.gz"), ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].name, "payload.pkl");
}

TEST(WrapperTest, CorruptStreamsAreMalformed) {
  for (const char* f : {"payload.pkl.gz", "payload.pkl.bz2", "payload.pkl.xz", "payload.pkl.lzma",
                        "payload.pkl.zst", "payload.pkl.lz4", "payload.zlib"}) {
    Bytes b = LoadFixture(std::string("archive/") + f);
    const FormatHandler* h = Detect(b);
    ASSERT_NE(h, nullptr) << f;
    Bytes cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(b.size() / 2));
    RecordingContext ctx;
    Status s = h->analyze(cut, ctx);
    EXPECT_THAT(s, StatusIs(ErrorCode::kMalformed)) << f << " " << s.ToString();
    EXPECT_TRUE(ctx.nested.empty()) << f;
  }
}

TEST(WrapperTest, TrailingDataAfterZlibIsReportedAndScanned) {
  RecordingContext ctx;
  ASSERT_OK(ZlibHandler().analyze(LoadFixture("archive/trailing.zlib"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleTrailingData));
  ASSERT_EQ(ctx.nested.size(), 2u);
  EXPECT_EQ(ctx.nested[1].name, "trailing-data");
  EXPECT_EQ(ctx.nested[1].data, kEvil);
}

TEST(WrapperTest, GzipBombHitsRatioLimit) {
  Bytes b = LoadFixture("archive/bomb.gz");
  RecordingContext ctx;
  EXPECT_THAT(GzipHandler().analyze(b, ctx),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_compression_ratio")));
  EXPECT_TRUE(ctx.HasRule(kRuleDecompressionBomb));
  EXPECT_TRUE(ctx.nested.empty());
}

TEST(WrapperTest, InflateLimitsAtAndPastBoundary) {
  Bytes plain(5000, 'q');
  Bytes raw = testing::RawDeflate(plain);
  DecompressLimits lim;
  lim.max_output = 5000;
  ASSERT_OK_AND_ASSIGN(Inflated ok, Inflate(raw, InflateMode::kRaw, lim));
  EXPECT_EQ(ok.data, plain);
  EXPECT_EQ(ok.consumed, raw.size());
  ASSERT_OK_AND_ASSIGN(uint64_t len, InflatedStreamLength(raw, InflateMode::kRaw, lim));
  EXPECT_EQ(len, raw.size());
  lim.max_output = 4999;
  EXPECT_THAT(InflatedStreamLength(raw, InflateMode::kRaw, lim).status(),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(Inflate(raw, InflateMode::kRaw, lim).status(),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_inflate_bytes")));
  // Streams through libarchive obey the same limit.
  Bytes xz = LoadFixture("archive/payload.pkl.xz");
  DecompressLimits at;
  at.max_output = kEvil.size();
  EXPECT_OK(DecompressStream(xz, StreamFilter::kXz, at).status());
  at.max_output = kEvil.size() - 1;
  EXPECT_THAT(DecompressStream(xz, StreamFilter::kXz, at).status(),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(WrapperTest, MaxUncompressedBytesBoundsAWrapper) {
  Bytes gz = LoadFixture("archive/payload.pkl.gz");
  Limits at;
  at.max_uncompressed_bytes = kEvil.size();
  RecordingContext ok(at);
  EXPECT_OK(GzipHandler().analyze(gz, ok));
  Limits past;
  past.max_uncompressed_bytes = kEvil.size() - 1;
  RecordingContext hit(past);
  EXPECT_THAT(GzipHandler().analyze(gz, hit),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_uncompressed_bytes")));
}

TEST(WrapperTest, InflateErrorPaths) {
  DecompressLimits lim = DecompressLimits::From(Limits{});
  Bytes garbage = ToBytes("\xff\xff\xff\xff garbage"sv);
  EXPECT_THAT(Inflate(garbage, InflateMode::kRaw, lim).status(), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Inflate(garbage, InflateMode::kZlib, lim).status(), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(Inflate(ByteSpan(), InflateMode::kGzip, lim).status(), StatusIs(ErrorCode::kMalformed));
  // zlib header with FDICT set: needs a preset dictionary.
  Bytes dict = {0x78, 0xBB, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00};
  EXPECT_THAT(Inflate(dict, InflateMode::kZlib, lim).status(),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(DecompressStream(garbage, StreamFilter::kZstd, lim).status(),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(InflatePrefix(garbage, InflateMode::kRaw, 16).empty());
  EXPECT_EQ(Crc32(ToBytes("123456789")), 0xCBF43926u);
}

TEST(WrapperTest, HugeLzmaDictionaryIsRefused) {
  Bytes b = ToBytes("]\x00\x00\x00\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"sv);
  EXPECT_EQ(LzmaHandler().sniff(b, ""), SniffResult::kStrong);
  RecordingContext ctx;
  EXPECT_THAT(LzmaHandler().analyze(b, ctx), StatusIs(ErrorCode::kUnsupported, HasSubstr("dictionary")));
}

TEST(SniffTest, MagicNumbers) {
  EXPECT_EQ(GzipHandler().sniff(ToBytes("\x1f\x8b\x08\x00"sv), ""), SniffResult::kStrong);
  EXPECT_EQ(GzipHandler().sniff(ToBytes("\x1f\x8b"sv), ""), SniffResult::kNo);
  EXPECT_EQ(Bzip2Handler().sniff(ToBytes("BZh9xxxxxxx"), ""), SniffResult::kNo);
  EXPECT_EQ(XzHandler().sniff(ToBytes("\xfd" "7zXZ\x00"sv), ""), SniffResult::kStrong);
  EXPECT_EQ(ZstdHandler().sniff(ToBytes("\x28\xb5\x2f\xfd"sv), ""), SniffResult::kStrong);
  EXPECT_EQ(Lz4Handler().sniff(ToBytes("\x04\x22\x4d\x18"sv), ""), SniffResult::kStrong);
  EXPECT_EQ(SevenZipHandler().sniff(ToBytes("7z\xbc\xaf\x27\x1c"sv), ""), SniffResult::kStrong);
  // lzma-alone needs a plausible dictionary size and length.
  EXPECT_EQ(LzmaHandler().sniff(ToBytes("]\x00\x00\x80\x00\xff\xff\xff\xff\xff\xff\xff\xff"sv), ""),
            SniffResult::kStrong);
  EXPECT_EQ(LzmaHandler().sniff(ToBytes("]\x00\x01\x02\x03\xff\xff\xff\xff\xff\xff\xff\xff"sv), ""),
            SniffResult::kNo);
  EXPECT_EQ(LzmaHandler().sniff(ToBytes("]q\x00(X\x01\x00\x00\x00aq\x01e."sv), ""), SniffResult::kNo);
  // zlib: weak on a header that does not inflate, strong when it does.
  EXPECT_EQ(ZlibHandler().sniff(ToBytes("\x78\x9c\xff\xff\xff"sv), ""), SniffResult::kWeak);
  EXPECT_EQ(ZlibHandler().sniff(LoadFixture("archive/payload.zlib"), ""), SniffResult::kStrong);
  EXPECT_EQ(ZlibHandler().sniff(ToBytes("\x78\x9d\x00"sv), ""), SniffResult::kNo);
  EXPECT_EQ(ZlibHandler().sniff(ToBytes("xyz"), ""), SniffResult::kNo);
  // tar: checksum decides.
  Bytes tar = LoadFixture("archive/benign.tar");
  EXPECT_EQ(TarHandler().sniff(tar, ""), SniffResult::kStrong);
  tar[0] ^= 1;
  EXPECT_EQ(TarHandler().sniff(tar, ""), SniffResult::kNo);
  EXPECT_EQ(TarHandler().sniff(ToBytes("short"), ""), SniffResult::kNo);
}

// ---- tar / 7z ----

TEST(TarTest, ScansEveryMember) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeTar(LoadFixture("archive/payload.tar"), ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].name, "model/data.pkl");
  EXPECT_EQ(ctx.nested[0].data, kEvil);
  EXPECT_TRUE(ctx.findings.empty());
}

TEST(TarTest, BenignTarIsClean) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeTar(LoadFixture("archive/benign.tar"), ctx));
  EXPECT_EQ(ctx.nested.size(), 2u);
  EXPECT_TRUE(ctx.findings.empty());
}

TEST(TarTest, LinksDevicesAndUnsafeNames) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeTar(LoadFixture("archive/links.tar"), ctx));
  EXPECT_EQ(ctx.CountRule(kRuleLinkMember), 2u);
  EXPECT_EQ(ctx.CountRule(kRuleDeviceMember), 2u);
  EXPECT_GE(ctx.CountRule(kRuleUnsafePath), 2u);
  for (const Finding& f : ctx.findings) {
    if (f.rule_id == kRuleLinkMember) {
      EXPECT_EQ(f.severity, Severity::kHigh) << f.message;
    }
  }
  // Only the two regular files are scanned; links are never followed.
  EXPECT_EQ(ctx.nested.size(), 2u);
}

TEST(TarTest, GzippedTarIsHandedOn) {
  RecordingContext ctx;
  ASSERT_OK(GzipHandler().analyze(LoadFixture("archive/payload.tar.gz"), ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(TarHandler().sniff(ctx.nested[0].data, ""), SniffResult::kStrong);
}

TEST(TarTest, LegacyTorchTarIsRecognised) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeTar(LoadFixture("pytorch/legacy.tar"), ctx));
  EXPECT_EQ(ctx.format(), "pytorch-tar");
  EXPECT_TRUE(ctx.HasRule(pytorch::kRuleLegacyTar));
  EXPECT_EQ(ctx.nested.size(), 4u);
  bool pickle = std::any_of(ctx.nested.begin(), ctx.nested.end(),
                            [](const auto& n) { return n.name == "pickle" && n.data == kEvil; });
  EXPECT_TRUE(pickle);
}

TEST(TarTest, MaxEntriesAtAndPastBoundary) {
  Bytes tar = LoadFixture("archive/benign.tar");
  Limits at;
  at.max_entries = 2;
  RecordingContext ok(at);
  EXPECT_OK(AnalyzeTar(tar, ok));
  Limits past;
  past.max_entries = 1;
  RecordingContext hit(past);
  EXPECT_THAT(AnalyzeTar(tar, hit), StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_entries=1")));
  EXPECT_EQ(hit.nested.size(), 1u);  // what came before the limit was scanned
}

TEST(TarTest, MemberLimitAtAndPastBoundary) {
  Bytes tar = LoadFixture("archive/payload.tar");
  Limits at;
  at.max_inflate_bytes = kEvil.size();
  RecordingContext ok(at);
  EXPECT_OK(AnalyzeTar(tar, ok));
  EXPECT_EQ(ok.nested.size(), 1u);
  Limits past;
  past.max_inflate_bytes = kEvil.size() - 1;
  RecordingContext hit(past);
  EXPECT_OK(AnalyzeTar(tar, hit));
  EXPECT_TRUE(hit.nested.empty());
  ASSERT_EQ(hit.errors.size(), 1u);
  EXPECT_THAT(hit.errors[0].status, StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(hit.HasRule(kRuleDecompressionBomb));
  // The total budget stops the whole archive.
  Limits total;
  total.max_uncompressed_bytes = kEvil.size() - 1;
  RecordingContext stop(total);
  EXPECT_THAT(AnalyzeTar(tar, stop), StatusIs(ErrorCode::kLimitExceeded));
}

TEST(TarTest, TruncatedTarIsMalformed) {
  Bytes tar = LoadFixture("archive/benign.tar");
  Bytes cut(tar.begin(), tar.begin() + 700);
  RecordingContext ctx;
  EXPECT_THAT(AnalyzeTar(cut, ctx), StatusIs(ErrorCode::kMalformed));
  Bytes junk(1024, 'j');
  EXPECT_THAT(AnalyzeTar(junk, ctx), StatusIs(ErrorCode::kMalformed));
}

TEST(SevenZipTest, ScansMembers) {
  Bytes b = LoadFixture("archive/payload.7z");
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(SevenZipHandler().sniff(b, ""), SniffResult::kStrong);
  RecordingContext ctx;
  ASSERT_OK(AnalyzeSevenZip(b, ctx));
  ASSERT_EQ(ctx.nested.size(), 1u);
  EXPECT_EQ(ctx.nested[0].name, "m/model.pt");
  EXPECT_EQ(ctx.nested[0].data, kEvil);
  Bytes cut(b.begin(), b.begin() + 40);
  RecordingContext bad;
  EXPECT_FALSE(AnalyzeSevenZip(cut, bad).ok());
}

// ---- names ----

TEST(MemberNameTest, Classifies) {
  EXPECT_EQ(CheckMemberName("model/data.pkl"), NameIssue::kNone);
  EXPECT_EQ(CheckMemberName("a/../../b"), NameIssue::kTraversal);
  EXPECT_EQ(CheckMemberName(".."), NameIssue::kTraversal);
  EXPECT_EQ(CheckMemberName("a\\..\\b"), NameIssue::kTraversal);
  EXPECT_EQ(CheckMemberName("..foo/bar"), NameIssue::kNone);
  EXPECT_EQ(CheckMemberName("/etc/passwd"), NameIssue::kAbsolute);
  EXPECT_EQ(CheckMemberName("\\share"), NameIssue::kAbsolute);
  EXPECT_EQ(CheckMemberName("C:\\x"), NameIssue::kDriveLetter);
  EXPECT_EQ(CheckMemberName("c:x"), NameIssue::kDriveLetter);
  EXPECT_EQ(CheckMemberName("dir\\file"), NameIssue::kBackslash);
  EXPECT_EQ(CheckMemberName("nul\0byte"sv), NameIssue::kControlChar);
  EXPECT_EQ(CheckMemberName(""), NameIssue::kEmpty);
  RecordingContext ctx;
  ReportMemberName(ctx, "zip", "../x", 7);
  ReportMemberName(ctx, "zip", "ok.txt", 8);
  ReportMemberName(ctx, "zip", "a\\b", 9);
  ASSERT_EQ(ctx.findings.size(), 2u);
  EXPECT_EQ(ctx.findings[0].rule_id, kRuleUnsafePath);
  EXPECT_EQ(ctx.findings[0].offset, 7u);
  EXPECT_EQ(ctx.findings[1].rule_id, kRuleOddName);
}

TEST(ArchiveRulesTest, WellFormed) {
  for (const RuleInfo& r : ArchiveRules()) {
    EXPECT_EQ(r.id.substr(0, 9), "MATS-ARC-");
    EXPECT_FALSE(r.atlas.empty());
    EXPECT_FALSE(r.remediation.empty());
  }
  EXPECT_EQ(ArchiveRules().size(), 6u);
}

}  // namespace
}  // namespace mats::archive
