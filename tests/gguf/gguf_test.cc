#include "mats/gguf/gguf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "testing/golden.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::gguf {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;

const std::string kDir = std::string(MATS_SOURCE_DIR) + "/tests/fixtures/gguf/";

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
  return out;
}

TEST(GgufTest, BenignFilesAreClean) {
  for (const char* name :
       {"benign_v3.gguf", "benign_v2.gguf", "benign_v1.gguf",
        "benign_nested_arrays.gguf", "benign_alignment64.gguf"}) {
    RecordingContext ctx;
    std::string bytes = Read(name);
    auto f = AnalyzeFile(AsBytes(bytes), ctx);
    ASSERT_OK(f.status()) << name;
    EXPECT_TRUE(ctx.findings.empty()) << name << "\n" << Describe(ctx);
  }
}

TEST(GgufTest, ParsesStructure) {
  RecordingContext ctx;
  std::string bytes = Read("benign_v3.gguf");
  ASSERT_OK_AND_ASSIGN(File f, AnalyzeFile(AsBytes(bytes), ctx));
  EXPECT_EQ(f.version, 3u);
  EXPECT_FALSE(f.big_endian);
  EXPECT_EQ(f.kv_count, 9u);
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors[1].name, "blk.0.attn_q.weight");
  EXPECT_EQ(f.tensors[1].bytes, 68u);  // 2 Q8_0 blocks of 34 bytes
  EXPECT_EQ(f.tensors[2].bytes, 16u);
  EXPECT_EQ(f.data_offset % 32, 0u);
  EXPECT_EQ(f.data_offset + 176, bytes.size());
  EXPECT_EQ(f.kvs[0].key, "general.architecture");
  EXPECT_EQ(f.kvs[0].string, "llama");
  EXPECT_EQ(f.kvs[4].type, ValueType::kArray);
  EXPECT_EQ(f.kvs[4].array_type, ValueType::kString);
  EXPECT_EQ(f.kvs[4].array_count, 3u);
  EXPECT_EQ(f.alignment, 32u);
}

TEST(GgufTest, VersionsAndEndianness) {
  RecordingContext v1;
  ASSERT_OK_AND_ASSIGN(File f1,
                       AnalyzeFile(AsBytes(Read("benign_v1.gguf")), v1));
  EXPECT_EQ(f1.version, 1u);
  EXPECT_EQ(f1.tensors.size(), 3u);
  RecordingContext be;
  ASSERT_OK_AND_ASSIGN(File fb,
                       AnalyzeFile(AsBytes(Read("big_endian.gguf")), be));
  EXPECT_TRUE(fb.big_endian);
  EXPECT_EQ(fb.tensors.size(), 3u);
  EXPECT_EQ(fb.tensors[1].bytes, 68u);
  ASSERT_EQ(be.findings.size(), 1u) << Describe(be);  // gemma template is clean
  EXPECT_EQ(be.findings[0].rule_id, kRuleBigEndian);
  EXPECT_EQ(be.findings[0].severity, Severity::kInfo);
}

TEST(GgufTest, ChatTemplatesAreAnalysedAndAttributed) {
  RecordingContext a;
  std::string bytes = Read("malicious_template.gguf");
  ASSERT_OK(AnalyzeGguf(AsBytes(bytes), a));
  const Finding* f = a.FindRule("MATS-JINJA-001");
  ASSERT_NE(f, nullptr) << Describe(a);
  EXPECT_EQ(f->member, "tokenizer.chat_template");
  // The offset points into the file at the template text.
  ASSERT_LT(f->offset, bytes.size());
  EXPECT_EQ(bytes.substr(f->offset, 9), "__class__");

  RecordingContext b;
  ASSERT_OK(AnalyzeGguf(AsBytes(Read("malicious_named_template.gguf")), b));
  ASSERT_NE(b.FindRule("MATS-JINJA-001"), nullptr) << Describe(b);
  EXPECT_EQ(b.FindRule("MATS-JINJA-001")->member,
            "tokenizer.chat_template.rag");

  RecordingContext c;
  ASSERT_OK(AnalyzeGguf(AsBytes(Read("duplicate_template_key.gguf")), c));
  EXPECT_TRUE(c.HasRule(kRuleDuplicate));
  EXPECT_TRUE(c.HasRule("MATS-JINJA-001"));
}

struct Case {
  const char* file;
  std::string_view rule;  // "" = error only
  ErrorCode code;
};

TEST(GgufTest, MalformedFilesReportTheirRule) {
  const Case cases[] = {
      {"huge_tensor_count.gguf", kRuleDeclaredSize, ErrorCode::kLimitExceeded},
      {"huge_kv_count.gguf", kRuleDeclaredSize, ErrorCode::kLimitExceeded},
      {"huge_string.gguf", kRuleDeclaredSize, ErrorCode::kLimitExceeded},
      {"huge_array.gguf", kRuleDeclaredSize, ErrorCode::kMalformed},
      {"huge_array_strings.gguf", kRuleDeclaredSize, ErrorCode::kMalformed},
      {"huge_dims.gguf", kRuleDeclaredSize, ErrorCode::kMalformed},
      {"unknown_value_type.gguf", kRuleUnknownValueType, ErrorCode::kMalformed},
      {"unknown_array_type.gguf", kRuleUnknownValueType, ErrorCode::kMalformed},
      {"nested_arrays_deep.gguf", kRuleArrayDepth, ErrorCode::kLimitExceeded},
      {"misaligned.gguf", kRuleMisaligned, ErrorCode::kOk},
      {"past_eof.gguf", kRulePastEof, ErrorCode::kOk},
      {"offset_overflow.gguf", kRulePastEof, ErrorCode::kOk},
      {"overlap.gguf", kRuleOverlap, ErrorCode::kOk},
      {"too_many_dims.gguf", kRuleTooManyDims, ErrorCode::kOk},
      {"element_overflow.gguf", kRuleElementCount, ErrorCode::kOk},
      {"negative_dim.gguf", kRuleElementCount, ErrorCode::kOk},
      {"block_mismatch.gguf", kRuleElementCount, ErrorCode::kOk},
      {"unknown_ggml_type.gguf", kRuleUnknownGgmlType, ErrorCode::kOk},
      {"bad_alignment.gguf", kRuleAlignment, ErrorCode::kOk},
      {"alignment_u64.gguf", kRuleAlignment, ErrorCode::kOk},
      {"duplicate_tensor.gguf", kRuleDuplicate, ErrorCode::kOk},
      {"bad_magic.gguf", "", ErrorCode::kMalformed},
      {"bad_version.gguf", "", ErrorCode::kUnsupported},
      {"truncated_kv.gguf", "", ErrorCode::kMalformed},
      {"truncated_magic.gguf", "", ErrorCode::kMalformed},
  };
  for (const Case& c : cases) {
    RecordingContext ctx;
    std::string bytes = Read(c.file);
    Status s = AnalyzeGguf(AsBytes(bytes), ctx);
    EXPECT_EQ(s.code(), c.code) << c.file << ": " << s.ToString();
    if (!c.rule.empty()) {
      EXPECT_TRUE(ctx.HasRule(c.rule)) << c.file << "\n" << Describe(ctx);
    } else {
      EXPECT_TRUE(ctx.findings.empty()) << c.file << "\n" << Describe(ctx);
    }
  }
}

TEST(GgufTest, TruncationIsAnErrorNotAFinding) {
  std::string bytes = Read("benign_v3.gguf");
  // Cut inside the tensor infos and inside the metadata: errors, no
  // declared-size findings (the counts fit the whole file).
  for (size_t cut : {size_t{30}, size_t{200}, size_t{900}, size_t{3900}}) {
    RecordingContext ctx;
    Status s =
        AnalyzeGguf(AsBytes(std::string_view(bytes).substr(0, cut)), ctx);
    EXPECT_FALSE(s.ok()) << cut;
    EXPECT_FALSE(ctx.HasRule(kRuleDeclaredSize)) << cut << "\n"
                                                 << Describe(ctx);
  }
}

TEST(GgufTest, LimitBoundaries) {
  std::string bytes = Read("benign_v3.gguf");
  Limits at;
  at.max_entries = 9;  // exactly the kv count
  RecordingContext a(at);
  ASSERT_OK(AnalyzeGguf(AsBytes(bytes), a));
  Limits below;
  below.max_entries = 8;
  RecordingContext b(below);
  EXPECT_THAT(AnalyzeGguf(AsBytes(bytes), b),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(b.HasRule(kRuleDeclaredSize));
  // The longest string is the llama3 template.
  Limits strings;
  strings.max_string_bytes = 64;
  RecordingContext c(strings);
  EXPECT_THAT(AnalyzeGguf(AsBytes(bytes), c),
              StatusIs(ErrorCode::kLimitExceeded));
  // Nested arrays: benign file nests 3 deep (outer + inner array of arrays).
  Limits deep;
  deep.max_depth = 3;
  RecordingContext d(deep);
  ASSERT_OK(AnalyzeGguf(AsBytes(Read("benign_nested_arrays.gguf")), d));
  Limits shallow;
  shallow.max_depth = 2;
  RecordingContext e(shallow);
  EXPECT_THAT(AnalyzeGguf(AsBytes(Read("benign_nested_arrays.gguf")), e),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_TRUE(e.HasRule(kRuleArrayDepth));
}

TEST(GgufTest, GgmlTypes) {
  ASSERT_NE(FindGgmlType(12), nullptr);
  EXPECT_EQ(FindGgmlType(12)->name, "Q4_K");
  EXPECT_EQ(FindGgmlType(12)->type_size, 144u);
  EXPECT_EQ(FindGgmlType(4), nullptr);  // removed Q4_2
  EXPECT_EQ(FindGgmlType(40), nullptr);
}

TEST(GgufTest, Sniff) {
  EXPECT_EQ(GgufHandler().sniff(AsBytes("GGUF\x03"), ""), SniffResult::kStrong);
  EXPECT_EQ(GgufHandler().sniff(AsBytes("GGML"), "x.gguf"), SniffResult::kNo);
}

TEST(GgufTest, RulesTable) {
  std::set<std::string_view> ids;
  for (const RuleInfo& r : GgufRules()) EXPECT_TRUE(ids.insert(r.id).second);
  EXPECT_EQ(ids.size(), 12u);
}

TEST(GgufTest, MutationsNeverCrash) {
  for (const char* name :
       {"benign_v3.gguf", "benign_v1.gguf", "benign_nested_arrays.gguf"}) {
    std::string bytes = Read(name);
    for (size_t i = 0; i <= bytes.size(); i += 3) {
      RecordingContext ctx;
      (void)AnalyzeGguf(AsBytes(std::string_view(bytes).substr(0, i)), ctx);
    }
    for (size_t i = 0; i < std::min<size_t>(bytes.size(), 256); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string m = bytes;
        m[i] = static_cast<char>(m[i] ^ (1 << bit));
        RecordingContext ctx;
        (void)AnalyzeGguf(AsBytes(m), ctx);
      }
    }
    RecordingContext tail;
    EXPECT_THAT(AnalyzeGguf(AsBytes(bytes + "garbage"), tail),
                ::mats::testing::IsOk());
  }
}

// Golden results (findings and status) for every fixture:
// tests/fixtures/gguf/<case>.gguf.expected.json; MATS_UPDATE_GOLDEN=1
// rewrites them for review. Expected errors are golden too.
TEST(GoldenTest, EveryFixture) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(kDir)) {
    if (e.path().extension() != ".gguf") continue;
    RecordingContext ctx;
    std::string bytes = Read(e.path().filename().string());
    Status s = AnalyzeGguf(AsBytes(bytes), ctx);
    ::mats::testing::ExpectGolden(e.path().string() + ".expected.json",
                                  ::mats::testing::AnalysisGoldenJson(s, ctx));
    ++n;
  }
  EXPECT_GT(n, 20u);
}

}  // namespace
}  // namespace mats::gguf
