#include "mats/safetensors/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "testing/golden.h"
#include "testing/json_mutations.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::safetensors {
namespace {

namespace fs = std::filesystem;
using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;

const std::string kDir =
    std::string(MATS_SOURCE_DIR) + "/tests/fixtures/safetensors/";

std::string Read(const std::string& name) {
  auto r = ReadFileToString(kDir + name, 1 << 20);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? *r : std::string();
}

std::string Describe(const RecordingContext& ctx) {
  std::string out;
  for (const Finding& f : ctx.findings) {
    out += f.rule_id + " " + std::string(SeverityName(f.severity)) + " [" +
           f.member + "] @" + std::to_string(f.offset) + ": " + f.message +
           "\n";
  }
  for (const auto& e : ctx.errors)
    out += "error: " + e.status.ToString() + "\n";
  return out;
}

// Builds u64 N + header (space padded to 8) + data.
std::string Make(std::string header, std::string data = "") {
  while (header.size() % 8 != 0) header += ' ';
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

TEST(SafetensorsTest, BenignFixturesAreClean) {
  for (const char* name :
       {"benign_basic.safetensors", "benign_empty.safetensors",
        "benign_dtypes.safetensors"}) {
    RecordingContext ctx;
    std::string bytes = Read(name);
    auto h = AnalyzeHeader(AsBytes(bytes), ctx);
    ASSERT_OK(h.status());
    EXPECT_TRUE(ctx.findings.empty()) << name << "\n" << Describe(ctx);
    EXPECT_TRUE(ctx.nested.empty()) << name;
  }
  RecordingContext ctx;
  std::string bytes = Read("benign_basic.safetensors");
  ASSERT_OK_AND_ASSIGN(Header h, AnalyzeHeader(AsBytes(bytes), ctx));
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].name, "a");
  EXPECT_EQ(h.tensors[0].dtype, "F32");
  EXPECT_EQ(h.tensors[0].shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(h.tensors[1].begin, 24u);
  EXPECT_EQ(h.tensors[1].end, 56u);
  EXPECT_TRUE(h.tensors[1].valid);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  EXPECT_EQ(h.data_bytes, 56u);
  EXPECT_EQ(h.data_offset + h.data_bytes, bytes.size());
}

struct Case {
  const char* file;
  std::string_view rule;
  ErrorCode code;  // kOk: analysis completes
};

TEST(SafetensorsTest, MalformedFixturesReportTheirRule) {
  const Case cases[] = {
      {"overlap.safetensors", kRuleOverlap, ErrorCode::kOk},
      {"hole.safetensors", kRuleHiddenBytes, ErrorCode::kOk},
      {"trailing.safetensors", kRuleHiddenBytes, ErrorCode::kOk},
      {"shape_mismatch.safetensors", kRuleSizeMismatch, ErrorCode::kOk},
      {"shape_overflow.safetensors", kRuleSizeMismatch, ErrorCode::kOk},
      {"subbyte_partial.safetensors", kRuleSizeMismatch, ErrorCode::kOk},
      {"offsets_past_end.safetensors", kRuleOutOfBounds, ErrorCode::kOk},
      {"begin_after_end.safetensors", kRuleOutOfBounds, ErrorCode::kOk},
      {"bad_dtype.safetensors", kRuleUnknownDtype, ErrorCode::kOk},
      {"bad_types.safetensors", kRuleSchema, ErrorCode::kOk},
      {"duplicate_key.safetensors", kRuleDuplicateKey, ErrorCode::kOk},
      {"n_past_eof.safetensors", kRuleHeaderFraming, ErrorCode::kMalformed},
      {"n_over_cap.safetensors", kRuleHeaderFraming, ErrorCode::kLimitExceeded},
      {"not_brace.safetensors", kRuleHeaderFraming, ErrorCode::kMalformed},
      {"invalid_json.safetensors", kRuleHeaderFraming, ErrorCode::kMalformed},
      {"bad_padding.safetensors", kRuleHeaderFraming, ErrorCode::kOk},
      {"metadata_nonstring.safetensors", kRuleMetadataType, ErrorCode::kOk},
      {"metadata_list.safetensors", kRuleMetadataType, ErrorCode::kOk},
      {"metadata_code.safetensors", kRuleMetadataCode, ErrorCode::kOk},
      {"metadata_template.safetensors", "MATS-JINJA-001", ErrorCode::kOk},
      {"info_metadata_url.safetensors", kRuleMetadataUrl, ErrorCode::kOk},
      {"polyglot_zip.safetensors", kRulePolyglot, ErrorCode::kOk},
      {"polyglot_pickle.safetensors", kRulePolyglot, ErrorCode::kLimitExceeded},
      {"too_short.safetensors", "", ErrorCode::kMalformed},
  };
  for (const Case& c : cases) {
    RecordingContext ctx;
    std::string bytes = Read(c.file);
    Status s = AnalyzeSafetensors(AsBytes(bytes), ctx);
    EXPECT_EQ(s.code(), c.code) << c.file << ": " << s.ToString();
    if (!c.rule.empty()) {
      EXPECT_TRUE(ctx.HasRule(c.rule)) << c.file << "\n" << Describe(ctx);
    }
  }
}

TEST(SafetensorsTest, HiddenAndPolyglotBytesAreScannedNested) {
  RecordingContext hole;
  ASSERT_OK(AnalyzeSafetensors(AsBytes(Read("hole.safetensors")), hole));
  ASSERT_EQ(hole.nested.size(), 1u);
  EXPECT_EQ(hole.nested[0].data[0], 0x80);  // the pickle in the hole
  EXPECT_EQ(hole.nested[0].name.rfind("hole@", 0), 0u);

  RecordingContext trailing;
  ASSERT_OK(
      AnalyzeSafetensors(AsBytes(Read("trailing.safetensors")), trailing));
  ASSERT_EQ(trailing.nested.size(), 1u);
  EXPECT_EQ(std::string(trailing.nested[0].data.begin(),
                        trailing.nested[0].data.end()),
            "TRAILING");

  RecordingContext zip;
  ASSERT_OK(AnalyzeSafetensors(AsBytes(Read("polyglot_zip.safetensors")), zip));
  ASSERT_EQ(zip.nested.size(), 1u);
  EXPECT_EQ(zip.nested[0].format_hint, "zip");

  RecordingContext pickle;
  (void)AnalyzeSafetensors(AsBytes(Read("polyglot_pickle.safetensors")),
                           pickle);
  ASSERT_EQ(pickle.nested.size(), 1u);
  EXPECT_EQ(pickle.nested[0].format_hint, "pickle");
}

TEST(SafetensorsTest, SeverityOfFindings) {
  RecordingContext ctx;
  ASSERT_OK(
      AnalyzeSafetensors(AsBytes(Read("info_metadata_url.safetensors")), ctx));
  ASSERT_EQ(ctx.findings.size(), 1u) << Describe(ctx);
  EXPECT_EQ(ctx.findings[0].severity,
            Severity::kInfo);  // does not change the verdict
  EXPECT_EQ(ctx.findings[0].member, "__metadata__.license");
}

TEST(SafetensorsTest, RuleNegatives) {
  // Each rule stays silent on a file that is correct in that respect.
  RecordingContext ctx;
  ASSERT_OK(AnalyzeSafetensors(
      AsBytes(Make(
          R"({"__metadata__":{"note":"define the model; default settings"},)"
          R"("x":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}})",
          std::string(4, '\0'))),
      ctx));
  EXPECT_TRUE(ctx.findings.empty()) << Describe(ctx);
}

TEST(SafetensorsTest, HeaderLengthBoundaries) {
  // N exactly the remaining size is fine, one more is past EOF.
  std::string ok = Make("{}");
  RecordingContext a;
  ASSERT_OK(AnalyzeSafetensors(AsBytes(ok), a));
  std::string past = ok;
  past[0] = static_cast<char>(past[0] + 1);
  RecordingContext b;
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(past), b),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(b.HasRule(kRuleHeaderFraming));
  // max_json_bytes caps N: at the limit ok, one below the header size fails.
  Limits at;
  at.max_json_bytes = 8;
  RecordingContext c(at);
  ASSERT_OK(AnalyzeSafetensors(AsBytes(ok), c));
  Limits below;
  below.max_json_bytes = 7;
  RecordingContext d(below);
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(ok), d),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(SafetensorsTest, MaxEntriesAndDepth) {
  std::string two =
      Make(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
           R"("b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
           "xy");
  Limits two_ok;
  two_ok.max_entries = 2;
  RecordingContext a(two_ok);
  ASSERT_OK(AnalyzeSafetensors(AsBytes(two), a));
  EXPECT_TRUE(a.findings.empty()) << Describe(a);
  Limits one;
  one.max_entries = 1;
  RecordingContext b(one);
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(two), b),
              StatusIs(ErrorCode::kLimitExceeded));
  // shape rank over max_entries is a schema finding.
  Limits rank;
  rank.max_entries = 3;
  RecordingContext c(rank);
  ASSERT_OK(AnalyzeSafetensors(
      AsBytes(
          Make(R"({"a":{"dtype":"U8","shape":[1,1,1,1],"data_offsets":[0,1]}})",
               "x")),
      c));
  EXPECT_TRUE(c.HasRule(kRuleSchema));
  Limits shallow;
  shallow.max_depth = 2;
  RecordingContext d(shallow);
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(Make(R"({"a":{"b":{"c":{}}}})")), d),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(SafetensorsTest, TopLevelNotObject) {
  RecordingContext ctx;
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(Make("{}") + ""), ctx),
              mats::testing::IsOk());
  // A header that starts with '{' but is not an object cannot happen in
  // JSON; invalid UTF-8 is reported as framing.
  RecordingContext u;
  EXPECT_THAT(AnalyzeSafetensors(AsBytes(Make("{\"\xff\":1}")), u),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(u.HasRule(kRuleHeaderFraming));
}

TEST(SafetensorsTest, Sniff) {
  const auto& h = SafetensorsHandler();
  std::string good = Read("benign_basic.safetensors");
  EXPECT_EQ(h.sniff(AsBytes(good), "x.bin"), SniffResult::kStrong);
  EXPECT_EQ(h.sniff(AsBytes(Read("n_past_eof.safetensors")), "m.safetensors"),
            SniffResult::kWeak);
  EXPECT_EQ(h.sniff(AsBytes(Read("n_past_eof.safetensors")), "m.bin"),
            SniffResult::kNo);
  EXPECT_EQ(h.sniff(AsBytes("PK\x03\x04 not safetensors"), "m.bin"),
            SniffResult::kNo);
  EXPECT_EQ(DtypeBits("F4"), 4u);
  EXPECT_EQ(DtypeBits("BF16"), 16u);
  EXPECT_EQ(DtypeBits("F12"), 0u);
}

TEST(SafetensorsTest, RulesTable) {
  std::set<std::string_view> ids;
  for (const RuleInfo& r : SafetensorsRules())
    EXPECT_TRUE(ids.insert(r.id).second);
  EXPECT_EQ(ids.size(), 12u);
}

TEST(SafetensorsTest, MutationsNeverCrash) {
  for (const char* name :
       {"benign_basic.safetensors", "benign_dtypes.safetensors",
        "polyglot_zip.safetensors"}) {
    std::string bytes = Read(name);
    for (size_t i = 0; i <= bytes.size(); ++i) {  // truncate everywhere
      RecordingContext ctx;
      (void)AnalyzeSafetensors(AsBytes(std::string_view(bytes).substr(0, i)),
                               ctx);
    }
    for (size_t i = 0; i < std::min<size_t>(bytes.size(), 200);
         ++i) {  // flip bits
      for (int bit = 0; bit < 8; ++bit) {
        std::string m = bytes;
        m[i] = static_cast<char>(m[i] ^ (1 << bit));
        RecordingContext ctx;
        (void)AnalyzeSafetensors(AsBytes(m), ctx);
      }
    }
    RecordingContext lead;
    (void)AnalyzeSafetensors(AsBytes("\x01" + bytes), lead);
    RecordingContext tail;
    (void)AnalyzeSafetensors(AsBytes(bytes + "\x01"), tail);
    EXPECT_TRUE(tail.HasRule(kRuleHiddenBytes) || tail.HasRule(kRulePolyglot))
        << name;
  }
}

// Golden results (findings and status) for every fixture:
// tests/fixtures/safetensors/<case>.safetensors.expected.json; MATS_UPDATE_GOLDEN=1
// rewrites them for review. Expected errors are golden too.
TEST(GoldenTest, EveryFixture) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    if (e.path().extension() != ".safetensors") continue;
    RecordingContext ctx;
    std::string bytes = Read(e.path().filename().string());
    Status s = AnalyzeSafetensors(AsBytes(bytes), ctx);
    ::mats::testing::ExpectGolden(e.path().string() + ".expected.json",
                                  ::mats::testing::AnalysisGoldenJson(s, ctx));
    ++n;
  }
  EXPECT_GT(n, 20u);
}


// Every member of a header replaced by a value of each JSON type, or removed:
// findings or an error Status, never a throw.
TEST(SafetensorsTest, HeaderTypeConfusionNeverThrows) {
  auto header = ParseJson(
      R"({"__metadata__":{"format":"pt","url":"https://x"},)"
      R"("a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"I8","shape":[],"data_offsets":[16,17]}})");
  ASSERT_TRUE(header.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*header, [&](const std::string& where,
                                                    const nlohmann::json& j) {
    ++n;
    std::string bytes = Make(DumpJson(j), std::string(24, '\0'));
    RecordingContext ctx;
    EXPECT_NO_THROW((void)AnalyzeSafetensors(AsBytes(bytes), ctx).ok()) << where;
  });
  EXPECT_GT(n, 200u);
}

}  // namespace
}  // namespace mats::safetensors
