#include "mats/tflite/tflite.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/byte_reader.h"
#include "mats/tensorflow/tensorflow.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"
#include "tflite/flatbuffer.h"

namespace mats::tflite {
namespace {

namespace fs = std::filesystem;
using internal::FlatBuffer;
using internal::FlatTable;
using internal::FlatVector;
using ::mats::testing::RecordingContext;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(MATS_SOURCE_DIR) / "tests/fixtures/tflite";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

RecordingContext MakeContext() {
  RecordingContext ctx;
  ctx.mutable_policy().AddAll(TflitePolicyEntries());
  ctx.mutable_policy().AddAll(tensorflow::TensorflowPolicyEntries());
  return ctx;
}

void PutU32(std::string& s, uint64_t at, uint32_t v) {
  for (uint64_t i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU16(std::string& s, uint64_t at, uint16_t v) {
  s[at] = static_cast<char>(v & 0xFF);
  s[at + 1] = static_cast<char>(v >> 8);
}

Status Parse(const std::string& s, TfliteModel* m, Limits limits = {}) {
  return ParseTflite(AsBytes(s), limits, m);
}

// Positions inside benign.tflite, found with the reader itself.
struct Layout {
  FlatTable root;
  FlatVector codes;
  FlatTable first_code;
};
Layout Locate(const std::string& s) {
  FlatBuffer fb(AsBytes(s));
  Layout l;
  l.root = *fb.Root();
  l.codes = **fb.Vector(l.root, 1, 4);
  l.first_code = *fb.TableAt(l.codes, 0);
  return l;
}

TEST(TfliteTest, BenignModelsAreClean) {
  for (const char* name : {"benign.tflite", "benign_large_code.tflite", "known_custom.tflite"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(AnalyzeTflite(AsBytes(ReadFixture(name)), ctx).ok()) << name;
    EXPECT_TRUE(ctx.findings.empty()) << name << ": " << ctx.findings.size();
  }
}

TEST(TfliteTest, ParsesOperatorCodesAndUses) {
  TfliteModel m;
  ASSERT_TRUE(Parse(ReadFixture("benign.tflite"), &m).ok());
  EXPECT_EQ(m.version, 3u);
  ASSERT_EQ(m.op_codes.size(), 3u);
  EXPECT_EQ(EffectiveBuiltinCode(m.op_codes[1]), 3);  // CONV_2D
  EXPECT_EQ(m.op_codes[0].uses, 2u);
  EXPECT_EQ(m.subgraph_count, 1u);
  EXPECT_EQ(m.operator_count, 4u);
  TfliteModel big;
  ASSERT_TRUE(Parse(ReadFixture("benign_large_code.tflite"), &big).ok());
  EXPECT_EQ(big.op_codes[0].deprecated_builtin_code, 127);
  EXPECT_EQ(EffectiveBuiltinCode(big.op_codes[0]), 150);
}

TEST(TfliteRuleTest, CustomOp) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeTflite(AsBytes(ReadFixture("custom_op.tflite")), ctx).ok());
  ASSERT_EQ(ctx.CountRule(kRuleCustomOp), 1u);
  const Finding* f = ctx.FindRule(kRuleCustomOp);
  EXPECT_THAT(f->message, HasSubstr("MatsTestMarkerOp"));
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_THAT(f->evidence, HasSubstr("2 operator(s)"));
}

TEST(TfliteRuleTest, FlexOpsFollowTfPolicy) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeTflite(AsBytes(ReadFixture("flex_ops.tflite")), ctx).ok());
  ASSERT_EQ(ctx.CountRule(kRuleFlexOp), 2u);
  for (const Finding& f : ctx.findings) {
    if (f.message.find("FlexReadFile") != std::string::npos) {
      EXPECT_EQ(f.severity, Severity::kHigh);
      EXPECT_THAT(f.message, HasSubstr("reads a file"));
    } else {
      EXPECT_THAT(f.message, HasSubstr("FlexAddV2"));
      EXPECT_EQ(f.severity, Severity::kLow);
    }
  }
}

TEST(TfliteRuleTest, PolicyAllowsAFlexOp) {
  RecordingContext ctx = MakeContext();
  ctx.mutable_policy().Add({.domain = "tflite-op", .name = "Flex.AddV2",
                            .action = PolicyAction::kAllow, .exact = true,
                            .category = "test", .reason = "test"});
  EXPECT_TRUE(AnalyzeTflite(AsBytes(ReadFixture("flex_ops.tflite")), ctx).ok());
  EXPECT_EQ(ctx.CountRule(kRuleFlexOp), 1u);
}

TEST(TfliteRuleTest, UnknownBuiltinCode) {
  std::string s = ReadFixture("benign.tflite");
  Layout l = Locate(s);
  FlatBuffer fb(AsBytes(s));
  // builtin_code (slot 3) of the first OperatorCode -> 4000.
  uint64_t at = **fb.Field(l.first_code, 3, 4);
  PutU32(s, at, 4000);
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeTflite(AsBytes(s), ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleUnknownBuiltin));
  EXPECT_EQ(ctx.FindRule(kRuleUnknownBuiltin)->severity, Severity::kLow);
}

TEST(TfliteParseTest, OpcodeIndexOutOfRange) {
  TfliteModel m;
  Status st = Parse(ReadFixture("bad_opcode_index.tflite"), &m);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
  EXPECT_THAT(st.message(), HasSubstr("opcode_index 5"));
}

TEST(TfliteParseTest, FindingsBeforeErrorAreKept) {
  // custom_op.tflite with its last operator's opcode_index broken: the
  // custom op code was parsed before the error and is still reported.
  std::string s = ReadFixture("custom_op.tflite");
  FlatBuffer fb(AsBytes(s));
  FlatTable root = *fb.Root();
  FlatVector sgs = **fb.Vector(root, 2, 4);
  FlatTable sg = *fb.TableAt(sgs, 0);
  FlatVector ops = **fb.Vector(sg, 3, 4);
  FlatTable last = *fb.TableAt(ops, ops.length - 1);
  PutU32(s, **fb.Field(last, 0, 4), 99);
  RecordingContext ctx = MakeContext();
  EXPECT_EQ(AnalyzeTflite(AsBytes(s), ctx).code(), ErrorCode::kMalformed);
  EXPECT_TRUE(ctx.HasRule(kRuleCustomOp));
}

TEST(TfliteParseTest, HeaderErrors) {
  TfliteModel m;
  EXPECT_THAT(Parse(std::string("\x08\0\0\0TFL", 7), &m).message(), HasSubstr("shorter"));
  std::string s = ReadFixture("benign.tflite");
  std::string zero = s;
  PutU32(zero, 0, 0);
  EXPECT_THAT(Parse(zero, &m).message(), HasSubstr("points outside"));
  std::string far = s;
  PutU32(far, 0, 0x7FFFFFFF);
  EXPECT_THAT(Parse(far, &m).message(), HasSubstr("points outside"));
  std::string end = s;
  PutU32(end, 0, static_cast<uint32_t>(s.size() - 2));
  EXPECT_THAT(Parse(end, &m).message(), HasSubstr("lies outside the buffer"));
  EXPECT_THAT(Parse(ReadFixture("truncated.tflite"), &m).code(), ErrorCode::kMalformed);
}

TEST(TfliteParseTest, TableErrors) {
  const std::string s = ReadFixture("benign.tflite");
  Layout l = Locate(s);
  TfliteModel m;
  std::string vt_out = s;
  PutU32(vt_out, l.root.pos, 0x7FFFFFF0);  // vtable before the buffer start
  EXPECT_THAT(Parse(vt_out, &m).message(), HasSubstr("vtable outside"));
  std::string vt_odd = s;
  PutU16(vt_odd, l.root.vtable, 3);
  EXPECT_THAT(Parse(vt_odd, &m).message(), HasSubstr("vtable at"));
  std::string tbl_big = s;
  PutU16(tbl_big, l.root.vtable + 2, 0xFFF0);
  EXPECT_THAT(Parse(tbl_big, &m).message(), HasSubstr("invalid size"));
  std::string field_out = s;
  PutU16(field_out, l.root.vtable + 4, static_cast<uint16_t>(l.root.table_size));
  EXPECT_THAT(Parse(field_out, &m).message(), HasSubstr("outside the"));
}

TEST(TfliteParseTest, VectorAndStringErrors) {
  const std::string s = ReadFixture("custom_op.tflite");
  Layout l = Locate(s);
  TfliteModel m;
  std::string long_vec = s;
  PutU32(long_vec, l.codes.pos - 4, 0x00FFFFFF);
  EXPECT_THAT(Parse(long_vec, &m).message(), HasSubstr("more than the buffer holds"));
  // The custom code string of the second OperatorCode.
  FlatBuffer fb(AsBytes(s));
  FlatTable custom = *fb.TableAt(l.codes, 1);
  uint64_t field = **fb.Field(custom, 1, 4);
  uint64_t str = field + LoadU32Le(AsBytes(s).subspan(field, 4));
  uint64_t len = LoadU32Le(AsBytes(s).subspan(str, 4));
  std::string no_nul = s;
  no_nul[str + 4 + len] = 'X';
  EXPECT_THAT(Parse(no_nul, &m).message(), HasSubstr("not NUL-terminated"));
  Limits limits;
  limits.max_string_bytes = len - 1;
  EXPECT_EQ(Parse(s, &m, limits).code(), ErrorCode::kLimitExceeded);
  limits.max_string_bytes = len;
  TfliteModel ok;
  EXPECT_TRUE(Parse(s, &ok, limits).ok());
  // A vector pointing two bytes before the end of the buffer.
  std::string vec_end = s;
  PutU32(vec_end, field, static_cast<uint32_t>(s.size() - 2 - field));
  EXPECT_THAT(Parse(vec_end, &m).message(), HasSubstr("vector at"));
  EXPECT_EQ(fb.TableAt(l.codes, 99).status().code(), ErrorCode::kInternal);
}

TEST(TfliteParseTest, CountLimitsAtAndPastBoundary) {
  const std::string s = ReadFixture("benign.tflite");  // 3 codes, 4 operators
  Limits limits;
  limits.max_entries = 4;
  TfliteModel m;
  EXPECT_TRUE(Parse(s, &m, limits).ok());
  limits.max_entries = 3;
  TfliteModel m2;
  Status st = Parse(s, &m2, limits);
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(st.message(), HasSubstr("operators"));
  limits.max_entries = 2;
  TfliteModel m3;
  EXPECT_THAT(Parse(s, &m3, limits).message(), HasSubstr("operator codes"));
}

TEST(TfliteMutationTest, TruncationsAndBitFlipsNeverCrash) {
  const std::string s = ReadFixture("flex_ops.tflite");
  for (size_t n = 0; n <= s.size(); ++n) {
    RecordingContext ctx = MakeContext();
    AnalyzeTflite(AsBytes(std::string_view(s).substr(0, n)), ctx).IgnoreError();
  }
  for (size_t i = 0; i < s.size(); ++i) {
    for (int b = 0; b < 8; ++b) {
      std::string t = s;
      t[i] = static_cast<char>(t[i] ^ (1 << b));
      RecordingContext ctx = MakeContext();
      AnalyzeTflite(AsBytes(t), ctx).IgnoreError();
    }
  }
  std::string padded = std::string(3, '\0') + s + std::string(5, '\xff');
  RecordingContext ctx = MakeContext();
  AnalyzeTflite(AsBytes(padded), ctx).IgnoreError();
  SUCCEED();
}

TEST(TfliteSniffTest, Identifier) {
  EXPECT_EQ(SniffTflite(AsBytes(ReadFixture("benign.tflite")), ""), SniffResult::kStrong);
  std::string broken = ReadFixture("benign.tflite");
  PutU32(broken, 0, 0);
  EXPECT_EQ(SniffTflite(AsBytes(broken), ""), SniffResult::kWeak);
  EXPECT_EQ(SniffTflite(AsBytes(std::string("hello world")), "x.bin"), SniffResult::kNo);
  EXPECT_EQ(SniffTflite(AsBytes(std::string("hello world")), "m.TFLITE"), SniffResult::kWeak);
  EXPECT_EQ(SniffTflite(AsBytes(std::string("TFL3")), "x"), SniffResult::kNo);
}

TEST(TfliteHandlerTest, Registration) {
  EXPECT_EQ(TfliteHandler().id, "tflite");
  EXPECT_EQ(TfliteRules().size(), 3u);
  for (const RuleInfo& r : TfliteRules()) EXPECT_TRUE(r.id.starts_with("MATS-TFL-"));
  for (const PolicyEntry& e : TflitePolicyEntries()) EXPECT_EQ(e.domain, "tflite-op");
}

}  // namespace
}  // namespace mats::tflite
