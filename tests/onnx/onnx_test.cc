#include "mats/onnx/onnx.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/mapped_file.h"
#include "protobuf/proto_builder.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::onnx {
namespace {

namespace fs = std::filesystem;
using ::mats::testing::PbBytes;
using ::mats::testing::PbFixed32;
using ::mats::testing::PbFixed64;
using ::mats::testing::PbRawVarint;
using ::mats::testing::PbTag;
using ::mats::testing::PbVarint;
using ::mats::testing::RecordingContext;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(MATS_SOURCE_DIR) / "tests/fixtures/onnx";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

RecordingContext MakeContext() {
  RecordingContext ctx;
  ctx.mutable_policy().AddAll(OnnxPolicyEntries());
  return ctx;
}

Status Analyze(const std::string& bytes, RecordingContext& ctx) {
  return AnalyzeOnnx(AsBytes(bytes), ctx);
}

std::vector<std::string> RuleIds(const RecordingContext& ctx) {
  std::vector<std::string> ids;
  for (const auto& f : ctx.findings) ids.push_back(f.rule_id);
  return ids;
}

// A temporary folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mats-onnx-XXXXXX").string();
    char* p = ::mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteFile(const fs::path& p, const std::string& data) {
  std::ofstream out(p, std::ios::binary);
  out << data;
}

// --- benign fixtures --------------------------------------------------------

TEST(OnnxFixtureTest, BenignModelsAreClean) {
  for (const char* name : {"benign.onnx", "benign_nested_function.onnx",
                           "benign_ml_domain.onnx", "external_ok.onnx"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(Analyze(ReadFixture(name), ctx).ok()) << name;
    EXPECT_TRUE(ctx.findings.empty()) << name << ": " << ::testing::PrintToString(RuleIds(ctx));
  }
}

TEST(OnnxParseTest, WalksNestedGraphsAndFunctions) {
  std::string bytes = ReadFixture("benign_nested_function.onnx");
  OnnxModel m;
  ASSERT_TRUE(ParseOnnx(AsBytes(bytes), Limits{}, &m).ok());
  EXPECT_EQ(m.ir_version, 8);
  EXPECT_EQ(m.producer_name, "mats-gen");
  EXPECT_EQ(m.graph_count, 3u);  // main + then + else
  EXPECT_EQ(m.functions.size(), 1u);
  EXPECT_EQ(m.ops.count({"", "Identity"}), 1u);
  EXPECT_EQ(m.ops.count({"", "Neg"}), 1u);
  EXPECT_EQ(m.ops.count({"local.funcs", "DoubleRelu"}), 1u);
  EXPECT_EQ(m.ops.at({"", "Relu"}).count, 2u);  // inside the function
  EXPECT_GE(m.max_depth_seen, 4u);
}

// --- MATS-ONNX-001 ------------------------------------------------------------

TEST(OnnxRuleTest, UnsafeExternalLocations) {
  for (const char* name : {"external_traversal.onnx", "external_subdir_traversal.onnx",
                           "external_absolute.onnx", "external_uri.onnx",
                           "external_drive.onnx", "external_empty.onnx"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(Analyze(ReadFixture(name), ctx).ok()) << name;
    EXPECT_TRUE(ctx.HasRule(kRuleUnsafeLocation)) << name;
    EXPECT_EQ(ctx.FindRule(kRuleUnsafeLocation)->severity, Severity::kHigh);
  }
}

TEST(OnnxRuleTest, UnsafeLocationReasons) {
  EXPECT_EQ(UnsafeLocationReason("weights.bin"), "");
  EXPECT_EQ(UnsafeLocationReason("data/w.bin"), "");
  EXPECT_EQ(UnsafeLocationReason("a..b/w.bin"), "");
  EXPECT_EQ(UnsafeLocationReason("model.onnx.data"), "");
  EXPECT_EQ(UnsafeLocationReason(""), "empty location");
  EXPECT_EQ(UnsafeLocationReason(std::string_view("a\0b", 3)), "NUL byte");
  EXPECT_EQ(UnsafeLocationReason("a\\b"), "backslash");
  EXPECT_EQ(UnsafeLocationReason("/etc/passwd"), "absolute path");
  EXPECT_EQ(UnsafeLocationReason("C:x"), "drive letter");
  EXPECT_EQ(UnsafeLocationReason("https://example.com/w"), "URI scheme");
  EXPECT_EQ(UnsafeLocationReason("s3:bucket"), "URI scheme");
  EXPECT_EQ(UnsafeLocationReason(".."), "\"..\" component");
  EXPECT_EQ(UnsafeLocationReason("a/../b"), "\"..\" component");
  EXPECT_EQ(UnsafeLocationReason("a/.."), "\"..\" component");
}

TEST(OnnxRuleTest, MissingLocationKeyIsUnsafe) {
  // TensorProto with data_location=EXTERNAL and no external_data entries.
  std::string tensor = PbVarint(1, 4) + PbVarint(2, 1) + PbBytes(8, "w") + PbVarint(14, 1);
  std::string model = PbVarint(1, 8) + PbBytes(7, PbBytes(5, tensor));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(model, ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleUnsafeLocation));
  EXPECT_THAT(ctx.FindRule(kRuleUnsafeLocation)->message, HasSubstr("no location key"));
}

// --- on-disk rules 002..005 ---------------------------------------------------

class OnnxDiskTest : public ::testing::Test {
 protected:
  fs::path Model(const std::string& fixture) {
    fs::path p = dir_.path() / "model" / fixture;
    fs::create_directories(p.parent_path());
    WriteFile(p, ReadFixture(fixture));
    return p;
  }
  RecordingContext Scan(const fs::path& model) {
    RecordingContext ctx = MakeContext();
    ctx.set_file_path(model.string());
    std::string bytes = ReadFixture(model.filename().string());
    EXPECT_TRUE(Analyze(bytes, ctx).ok());
    return ctx;
  }
  TempDir dir_;
};

TEST_F(OnnxDiskTest, RegularFileInsideFolderIsClean) {
  fs::path m = Model("external_ok.onnx");
  WriteFile(m.parent_path() / "weights.bin", ReadFixture("weights.bin"));
  RecordingContext ctx = Scan(m);
  EXPECT_TRUE(ctx.findings.empty()) << ::testing::PrintToString(RuleIds(ctx));
}

TEST_F(OnnxDiskTest, RegularFileInSubfolderIsClean) {
  fs::path m = Model("external_in_subdir.onnx");
  fs::create_directories(m.parent_path() / "data");
  WriteFile(m.parent_path() / "data/weights.bin", ReadFixture("weights.bin"));
  RecordingContext ctx = Scan(m);
  EXPECT_TRUE(ctx.findings.empty()) << ::testing::PrintToString(RuleIds(ctx));
}

TEST_F(OnnxDiskTest, SymlinkToOutsideResolvesOutside) {
  fs::path m = Model("external_ok.onnx");
  WriteFile(dir_.path() / "secret.bin", std::string(64, 's'));
  fs::create_symlink(dir_.path() / "secret.bin", m.parent_path() / "weights.bin");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleOutsideFolder));
  EXPECT_THAT(ctx.FindRule(kRuleOutsideFolder)->evidence, HasSubstr("secret.bin"));
  EXPECT_EQ(ctx.findings.size(), 1u);
}

TEST_F(OnnxDiskTest, SymlinkInsideFolderIsReported) {
  fs::path m = Model("external_ok.onnx");
  WriteFile(m.parent_path() / "real.bin", ReadFixture("weights.bin"));
  fs::create_symlink("real.bin", m.parent_path() / "weights.bin");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleSymlink));
  EXPECT_THAT(ctx.FindRule(kRuleSymlink)->evidence, HasSubstr("real.bin"));
  EXPECT_FALSE(ctx.HasRule(kRuleOutsideFolder));
}

TEST_F(OnnxDiskTest, DanglingSymlinkIsReported) {
  fs::path m = Model("external_ok.onnx");
  fs::create_symlink("/nonexistent/mats-test", m.parent_path() / "weights.bin");
  RecordingContext ctx = Scan(m);
  EXPECT_TRUE(ctx.HasRule(kRuleSymlink));
}

TEST_F(OnnxDiskTest, SymlinkedParentFolderResolvesOutside) {
  fs::path m = Model("external_in_subdir.onnx");
  fs::create_directories(dir_.path() / "elsewhere");
  WriteFile(dir_.path() / "elsewhere/weights.bin", std::string(64, 's'));
  fs::create_directory_symlink(dir_.path() / "elsewhere", m.parent_path() / "data");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleOutsideFolder));
}

TEST_F(OnnxDiskTest, SymlinkedParentFolderInsideIsReported) {
  fs::path m = Model("external_in_subdir.onnx");
  fs::create_directories(m.parent_path() / "real");
  WriteFile(m.parent_path() / "real/weights.bin", ReadFixture("weights.bin"));
  fs::create_directory_symlink("real", m.parent_path() / "data");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleSymlink));
  EXPECT_THAT(ctx.FindRule(kRuleSymlink)->message, HasSubstr("\"data\""));
}

TEST_F(OnnxDiskTest, HardlinkedFileIsReported) {
  fs::path m = Model("external_ok.onnx");
  WriteFile(dir_.path() / "secret.bin", std::string(64, 's'));
  fs::create_hard_link(dir_.path() / "secret.bin", m.parent_path() / "weights.bin");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleHardlink));
  EXPECT_EQ(ctx.FindRule(kRuleHardlink)->severity, Severity::kHigh);
}

TEST_F(OnnxDiskTest, FolderItselfIsRejected) {
  // location "." names the model folder: unsafe, reported without reading.
  std::string tensor = PbVarint(1, 4) + PbVarint(2, 1) + PbBytes(8, "w") +
                       PbBytes(13, PbBytes(1, "location") + PbBytes(2, "./.")) +
                       PbVarint(14, 1);
  std::string model = PbVarint(1, 8) + PbBytes(7, PbBytes(5, tensor));
  fs::path m = dir_.path() / "m.onnx";
  WriteFile(m, model);
  RecordingContext ctx = MakeContext();
  ctx.set_file_path(m.string());
  EXPECT_TRUE(Analyze(model, ctx).ok());
  EXPECT_TRUE(ctx.HasRule(kRuleUnsafeLocation));
}

TEST_F(OnnxDiskTest, MissingFileIsLow) {
  fs::path m = Model("external_missing.onnx");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_EQ(ctx.FindRule(kRuleExternalFile)->severity, Severity::kLow);
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("missing"));
}

TEST_F(OnnxDiskTest, RangeOutsideFile) {
  fs::path m = Model("external_range.onnx");
  WriteFile(m.parent_path() / "weights.bin", ReadFixture("weights.bin"));
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("outside"));
}

TEST_F(OnnxDiskTest, NotARegularFile) {
  fs::path m = Model("external_ok.onnx");
  fs::create_directories(m.parent_path() / "weights.bin");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("not a regular file"));
}

TEST_F(OnnxDiskTest, ParentIsNotADirectory) {
  fs::path m = Model("external_in_subdir.onnx");
  WriteFile(m.parent_path() / "data", "x");
  RecordingContext ctx = Scan(m);
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("not a directory"));
}

TEST_F(OnnxDiskTest, ModelFolderReachedThroughLinkStaysInside) {
  // The model folder itself may be a link (only components of `location`
  // are checked); containment is decided on canonical paths.
  fs::path m = Model("external_ok.onnx");
  WriteFile(m.parent_path() / "weights.bin", ReadFixture("weights.bin"));
  fs::create_directory_symlink(m.parent_path(), dir_.path() / "alias");
  RecordingContext ctx = MakeContext();
  ctx.set_file_path((dir_.path() / "alias" / "external_ok.onnx").string());
  std::string bytes = ReadFixture("external_ok.onnx");
  EXPECT_TRUE(Analyze(bytes, ctx).ok());
  EXPECT_TRUE(ctx.findings.empty()) << ::testing::PrintToString(RuleIds(ctx));
}

TEST(OnnxRuleTest, ExternalChecksNeedNoDiskForBuffers) {
  RecordingContext ctx = MakeContext();  // no file path: only text checks
  EXPECT_TRUE(Analyze(ReadFixture("external_missing.onnx"), ctx).ok());
  EXPECT_TRUE(ctx.findings.empty());
}

TEST(OnnxRuleTest, BadOffsetText) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(ReadFixture("external_bad_offset.onnx"), ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("offset"));
}

TEST(OnnxRuleTest, BadLengthText) {
  std::string tensor = PbVarint(1, 4) + PbVarint(2, 1) + PbBytes(8, "w") +
                       PbBytes(13, PbBytes(1, "location") + PbBytes(2, "w.bin")) +
                       PbBytes(13, PbBytes(1, "length") + PbBytes(2, "-1")) + PbVarint(14, 1);
  std::string model = PbVarint(1, 8) + PbBytes(7, PbBytes(5, tensor));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(model, ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleExternalFile));
  EXPECT_THAT(ctx.FindRule(kRuleExternalFile)->message, HasSubstr("length"));
}

// --- MATS-ONNX-006 ------------------------------------------------------------

TEST(OnnxRuleTest, CustomDomainInMainNestedAndFunctionGraphs) {
  for (const char* name : {"custom_domain.onnx", "nested_custom_domain.onnx",
                           "function_custom_domain.onnx"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(Analyze(ReadFixture(name), ctx).ok()) << name;
    ASSERT_TRUE(ctx.HasRule(kRuleCustomDomain)) << name;
    const Finding* f = ctx.FindRule(kRuleCustomDomain);
    EXPECT_EQ(f->severity, Severity::kMedium);
    EXPECT_THAT(f->message, HasSubstr("com.example.evilops"));
  }
}

TEST(OnnxRuleTest, CustomDomainReportsOps) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(ReadFixture("custom_domain.onnx"), ctx).ok());
  EXPECT_EQ(ctx.CountRule(kRuleCustomDomain), 1u);  // node + opset: one finding
  EXPECT_THAT(ctx.FindRule(kRuleCustomDomain)->evidence, HasSubstr("Backdoor"));
}

TEST(OnnxRuleTest, ContribDomainIsLowByPolicy) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(ReadFixture("contrib_domain.onnx"), ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleCustomDomain));
  EXPECT_EQ(ctx.FindRule(kRuleCustomDomain)->severity, Severity::kLow);
}

TEST(OnnxRuleTest, UserPolicyCanAllowADomain) {
  RecordingContext ctx = MakeContext();
  ctx.mutable_policy().Add({.domain = "onnx-domain", .name = "com.example",
                            .action = PolicyAction::kAllow, .category = "test",
                            .reason = "test"});
  EXPECT_TRUE(Analyze(ReadFixture("custom_domain.onnx"), ctx).ok());
  EXPECT_FALSE(ctx.HasRule(kRuleCustomDomain));
}

// --- MATS-ONNX-007 ------------------------------------------------------------

TEST(OnnxRuleTest, CustomLibraryHints) {
  for (const char* name : {"custom_library.onnx", "custom_library_attr.onnx"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(Analyze(ReadFixture(name), ctx).ok()) << name;
    ASSERT_TRUE(ctx.HasRule(kRuleCustomLibrary)) << name;
  }
}

TEST(OnnxRuleTest, LooksLikeSharedLibrary) {
  EXPECT_TRUE(LooksLikeSharedLibrary("libfoo.so"));
  EXPECT_TRUE(LooksLikeSharedLibrary("libfoo.so.1.2"));
  EXPECT_TRUE(LooksLikeSharedLibrary("C:\\ops\\custom.DLL"));
  EXPECT_TRUE(LooksLikeSharedLibrary("ops.dylib"));
  EXPECT_TRUE(LooksLikeSharedLibrary("ext.pyd"));
  EXPECT_FALSE(LooksLikeSharedLibrary(".so"));
  EXPECT_FALSE(LooksLikeSharedLibrary("relu"));
  EXPECT_FALSE(LooksLikeSharedLibrary("libfoo.so.x"));
  EXPECT_FALSE(LooksLikeSharedLibrary("see libfoo.so"));
  EXPECT_FALSE(LooksLikeSharedLibrary("libfoo.so."));
}

// --- MATS-ONNX-008 ------------------------------------------------------------

TEST(OnnxRuleTest, SizeMismatches) {
  for (const char* name : {"size_mismatch.onnx", "size_negative_dim.onnx",
                           "size_typed_mismatch.onnx", "external_length_mismatch.onnx"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(Analyze(ReadFixture(name), ctx).ok()) << name;
    ASSERT_TRUE(ctx.HasRule(kRuleSizeMismatch)) << name;
  }
}

TEST(OnnxRuleTest, DimsOverflow) {
  std::string dims = PbRawVarint(1ull << 40) + PbRawVarint(1ull << 40);
  std::string tensor = PbBytes(1, dims) + PbVarint(2, 1) + PbBytes(9, "abcd");
  std::string model = PbVarint(1, 8) + PbBytes(7, PbBytes(5, tensor));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(model, ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleSizeMismatch));
  EXPECT_THAT(ctx.FindRule(kRuleSizeMismatch)->message, HasSubstr("overflows"));
}

TEST(OnnxRuleTest, FourBitAndComplexSizes) {
  // INT4 (22) dims [3] needs 2 bytes; COMPLEX64 (14) dims [2] holds 4 floats.
  std::string int4 = PbVarint(1, 3) + PbVarint(2, 22) + PbBytes(9, "ab");
  std::string cplx = PbVarint(1, 2) + PbVarint(2, 14) +
                     PbBytes(4, std::string(16, '\0'));
  std::string model = PbVarint(1, 8) + PbBytes(7, PbBytes(5, int4) + PbBytes(5, cplx));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(model, ctx).ok());
  EXPECT_TRUE(ctx.findings.empty()) << ::testing::PrintToString(RuleIds(ctx));
  EXPECT_EQ(OnnxElementBits(8), 0u);
  EXPECT_EQ(OnnxElementBits(99), 0u);
}

TEST(OnnxRuleTest, TypedFieldsCounted) {
  // INT64 dims [2] with two unpacked int64_data values and DOUBLE with
  // one unpacked double: clean. STRING dims [2] with one string: mismatch.
  std::string i64 = PbVarint(1, 2) + PbVarint(2, 7) + PbVarint(7, 5) + PbVarint(7, 6);
  std::string dbl = PbVarint(2, 11) + PbFixed64(10, 0);
  std::string flt = PbVarint(2, 1) + PbFixed32(4, 0);
  std::string str = PbVarint(1, 2) + PbVarint(2, 8) + PbBytes(6, "a");
  std::string clean = PbVarint(1, 8) + PbBytes(7, PbBytes(5, i64) + PbBytes(5, dbl) +
                                               PbBytes(5, flt));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(Analyze(clean, ctx).ok());
  EXPECT_TRUE(ctx.findings.empty()) << ::testing::PrintToString(RuleIds(ctx));
  std::string bad = PbVarint(1, 8) + PbBytes(7, PbBytes(5, str));
  RecordingContext ctx2 = MakeContext();
  EXPECT_TRUE(Analyze(bad, ctx2).ok());
  EXPECT_TRUE(ctx2.HasRule(kRuleSizeMismatch));
}

// --- findings survive a broken tail; parse errors -----------------------------

TEST(OnnxParseTest, FindingsBeforeErrorAreKept) {
  std::string model = ReadFixture("custom_domain.onnx");
  // Append a field whose length runs past the end.
  model += PbTag(14, 2) + PbRawVarint(100) + "x";
  RecordingContext ctx = MakeContext();
  Status st = Analyze(model, ctx);
  EXPECT_EQ(st.code(), ErrorCode::kMalformed);
  ASSERT_TRUE(ctx.HasRule(kRuleCustomDomain));
  // The graph pushed before the broken field is still walked.
  EXPECT_THAT(ctx.FindRule(kRuleCustomDomain)->evidence, HasSubstr("Backdoor"));
}

TEST(OnnxParseTest, TruncatedModelIsMalformed) {
  RecordingContext ctx = MakeContext();
  EXPECT_EQ(Analyze(ReadFixture("truncated.onnx"), ctx).code(), ErrorCode::kMalformed);
}

struct BadCase {
  const char* what;
  std::string bytes;
  ErrorCode code;
};

std::string Graph(const std::string& g) { return PbVarint(1, 8) + PbBytes(7, g); }
std::string Node(const std::string& n) { return Graph(PbBytes(1, n)); }
std::string Tensor(const std::string& t) { return Graph(PbBytes(5, t)); }

TEST(OnnxParseTest, WrongWireTypesAndBadFields) {
  const std::vector<BadCase> cases = {
      {"ir_version as bytes", PbBytes(1, "x"), ErrorCode::kMalformed},
      {"producer_name as varint", PbVarint(2, 1), ErrorCode::kMalformed},
      {"graph as varint", PbVarint(7, 1), ErrorCode::kMalformed},
      {"opset as varint", PbVarint(8, 1), ErrorCode::kMalformed},
      {"opset domain as varint", PbBytes(8, PbVarint(1, 1)), ErrorCode::kMalformed},
      {"opset version as bytes", PbBytes(8, PbBytes(2, "x")), ErrorCode::kMalformed},
      {"opset broken", PbBytes(8, PbTag(1, 7)), ErrorCode::kMalformed},
      {"metadata as varint", PbVarint(14, 1), ErrorCode::kMalformed},
      {"metadata key as varint", PbBytes(14, PbVarint(1, 1)), ErrorCode::kMalformed},
      {"metadata value as varint", PbBytes(14, PbVarint(2, 1)), ErrorCode::kMalformed},
      {"training graph as varint", PbBytes(20, PbVarint(1, 1)), ErrorCode::kMalformed},
      {"training broken", PbBytes(20, PbTag(1, 7)), ErrorCode::kMalformed},
      {"function name as varint", PbBytes(25, PbVarint(1, 1)), ErrorCode::kMalformed},
      {"function domain as varint", PbBytes(25, PbVarint(10, 1)), ErrorCode::kMalformed},
      {"function broken", PbBytes(25, PbTag(1, 7)), ErrorCode::kMalformed},
      {"graph broken", Graph(PbTag(1, 7)), ErrorCode::kMalformed},
      {"node op_type as varint", Node(PbVarint(4, 1)), ErrorCode::kMalformed},
      {"node domain as varint", Node(PbVarint(7, 1)), ErrorCode::kMalformed},
      {"node broken", Node(PbTag(1, 7)), ErrorCode::kMalformed},
      {"attribute name as varint", Node(PbBytes(5, PbVarint(1, 1))), ErrorCode::kMalformed},
      {"attribute s as varint", Node(PbBytes(5, PbVarint(4, 1))), ErrorCode::kMalformed},
      {"attribute broken", Node(PbBytes(5, PbTag(1, 7))), ErrorCode::kMalformed},
      {"sparse broken", Graph(PbBytes(15, PbTag(1, 7))), ErrorCode::kMalformed},
      {"tensor dims bytes bad", Tensor(PbBytes(1, "\x80")), ErrorCode::kMalformed},
      {"tensor data_type bytes", Tensor(PbBytes(2, "x")), ErrorCode::kMalformed},
      {"tensor float_data odd", Tensor(PbBytes(4, "abc")), ErrorCode::kMalformed},
      {"tensor float_data varint", Tensor(PbVarint(4, 1)), ErrorCode::kMalformed},
      {"tensor double_data odd", Tensor(PbBytes(10, "abc")), ErrorCode::kMalformed},
      {"tensor double_data varint", Tensor(PbVarint(10, 1)), ErrorCode::kMalformed},
      {"tensor int32_data fixed", Tensor(PbFixed32(5, 1)), ErrorCode::kMalformed},
      {"tensor string_data varint", Tensor(PbVarint(6, 1)), ErrorCode::kMalformed},
      {"tensor name varint", Tensor(PbVarint(8, 1)), ErrorCode::kMalformed},
      {"tensor raw_data varint", Tensor(PbVarint(9, 1)), ErrorCode::kMalformed},
      {"tensor external varint", Tensor(PbVarint(13, 1)), ErrorCode::kMalformed},
      {"tensor location bytes", Tensor(PbBytes(14, "x")), ErrorCode::kMalformed},
      {"tensor broken", Tensor(PbTag(1, 7)), ErrorCode::kMalformed},
  };
  for (const BadCase& c : cases) {
    OnnxModel m;
    Status st = ParseOnnx(AsBytes(c.bytes), Limits{}, &m);
    EXPECT_EQ(st.code(), c.code) << c.what << ": " << st.ToString();
    EXPECT_TRUE(st.offset().has_value()) << c.what;
  }
}

TEST(OnnxParseTest, TooManyExternalDataEntries) {
  std::string t;
  for (int i = 0; i < 65; ++i) t += PbBytes(13, PbBytes(1, "k"));
  OnnxModel m;
  EXPECT_EQ(ParseOnnx(AsBytes(Tensor(t)), Limits{}, &m).code(), ErrorCode::kLimitExceeded);
}

TEST(OnnxParseTest, TypedFieldsAreSummed) {
  std::string t = PbVarint(2, 1) + PbFixed32(4, 0) + PbVarint(7, 1) + PbVarint(5, 1);
  OnnxModel m;
  ASSERT_TRUE(ParseOnnx(AsBytes(Tensor(t)), Limits{}, &m).ok());
  EXPECT_EQ(m.tensors[0].typed_values, 3u);
  EXPECT_EQ(m.tensors[0].typed_fields, 3u);
}

TEST(OnnxLimitTest, DepthAtAndPastBoundary) {
  // Graph nested through If attributes: model(0) > graph(1) > node(2) >
  // attribute(3) > graph(4) > node(5) ...
  auto nest = [](int levels) {
    std::string g = PbBytes(1, PbBytes(4, "Identity"));
    for (int i = 0; i < levels; ++i) {
      g = PbBytes(1, PbBytes(4, "If") + PbBytes(5, PbBytes(1, "then_branch") + PbBytes(6, g)));
    }
    return PbVarint(1, 8) + PbBytes(7, g);
  };
  Limits limits;
  limits.max_depth = 8;  // 1 level: graph 1, node 2, attr 3, graph 4, node 5
  OnnxModel m;
  EXPECT_TRUE(ParseOnnx(AsBytes(nest(2)), limits, &m).ok());  // deepest node at 8
  OnnxModel m2;
  Status st = ParseOnnx(AsBytes(nest(3)), limits, &m2);
  EXPECT_EQ(st.code(), ErrorCode::kLimitExceeded);
  EXPECT_THAT(st.message(), HasSubstr("limit max_depth=8 exceeded"));
  // Deep nesting is walked without recursion.
  Limits deep;
  deep.max_depth = 100000;
  OnnxModel m3;
  EXPECT_TRUE(ParseOnnx(AsBytes(nest(3000)), deep, &m3).ok());
  EXPECT_EQ(m3.graph_count, 3001u);
}

TEST(OnnxLimitTest, EntriesAtAndPastBoundary) {
  auto nodes = [](int n) {
    std::string g;
    for (int i = 0; i < n; ++i) g += PbBytes(1, PbBytes(4, "Relu"));
    return Graph(g);
  };
  Limits limits;
  limits.max_entries = 5;
  OnnxModel m;
  EXPECT_TRUE(ParseOnnx(AsBytes(nodes(5)), limits, &m).ok());
  OnnxModel m2;
  EXPECT_EQ(ParseOnnx(AsBytes(nodes(6)), limits, &m2).code(), ErrorCode::kLimitExceeded);

  std::string tensors;
  for (int i = 0; i < 6; ++i) tensors += PbBytes(5, PbVarint(2, 1));
  OnnxModel m3;
  EXPECT_EQ(ParseOnnx(AsBytes(Graph(tensors)), limits, &m3).code(),
            ErrorCode::kLimitExceeded);
  std::string opsets;
  for (int i = 0; i < 6; ++i) opsets += PbBytes(8, PbVarint(2, 13));
  OnnxModel m4;
  EXPECT_EQ(ParseOnnx(AsBytes(opsets), limits, &m4).code(), ErrorCode::kLimitExceeded);
  std::string meta;
  for (int i = 0; i < 6; ++i) meta += PbBytes(14, PbBytes(1, "k"));
  OnnxModel m5;
  EXPECT_EQ(ParseOnnx(AsBytes(meta), limits, &m5).code(), ErrorCode::kLimitExceeded);
  std::string funcs;
  for (int i = 0; i < 6; ++i) funcs += PbBytes(25, PbBytes(1, "f"));
  OnnxModel m6;
  EXPECT_EQ(ParseOnnx(AsBytes(funcs), limits, &m6).code(), ErrorCode::kLimitExceeded);
  std::string graphs;
  for (int i = 0; i < 6; ++i) graphs += PbBytes(20, PbBytes(1, ""));
  OnnxModel m7;
  EXPECT_EQ(ParseOnnx(AsBytes(graphs), limits, &m7).code(), ErrorCode::kLimitExceeded);
}

TEST(OnnxLimitTest, DimsLimit) {
  Limits limits;
  limits.max_entries = 3;
  std::string dims3 = PbBytes(1, PbRawVarint(1) + PbRawVarint(2) + PbRawVarint(3));
  OnnxModel m;
  EXPECT_TRUE(ParseOnnx(AsBytes(Tensor(dims3)), limits, &m).ok());
  std::string dims4 = PbBytes(1, PbRawVarint(1) + PbRawVarint(2) + PbRawVarint(3) +
                                     PbRawVarint(4));
  OnnxModel m2;
  EXPECT_EQ(ParseOnnx(AsBytes(Tensor(dims4)), limits, &m2).code(), ErrorCode::kLimitExceeded);
}

TEST(OnnxLimitTest, StringLimit) {
  Limits limits;
  limits.max_string_bytes = 4;
  OnnxModel m;
  EXPECT_TRUE(ParseOnnx(AsBytes(Node(PbBytes(4, "Relu"))), limits, &m).ok());
  OnnxModel m2;
  EXPECT_EQ(ParseOnnx(AsBytes(Node(PbBytes(4, "Relu6"))), limits, &m2).code(),
            ErrorCode::kLimitExceeded);
}

// --- sniffing -------------------------------------------------------------------

TEST(OnnxSniffTest, ByContent) {
  std::string m = ReadFixture("benign.onnx");
  EXPECT_EQ(SniffOnnx(AsBytes(m), ""), SniffResult::kStrong);
  EXPECT_EQ(SniffOnnx(AsBytes(m), "weights.bin"), SniffResult::kStrong);
}

TEST(OnnxSniffTest, RejectsOtherData) {
  const std::string not_onnx[] = {
      "", "hello world, this is text", std::string("\x80\x03}q\x00.", 6),
      PbVarint(1, 8),                              // ir_version only
      PbVarint(1, 8) + PbBytes(99, "x"),           // unknown field
      PbBytes(7, "") + PbVarint(1, 8),             // ir_version not first
      PbVarint(1, 0) + PbBytes(7, ""),             // ir_version 0
      PbVarint(1, 8) + PbVarint(7, 1),             // graph with wrong type
      PbVarint(1, 1) + PbBytes(2, "meta"),         // SavedModel-like
      PbVarint(1, 8) + PbTag(7, 2) + PbRawVarint(50),  // truncated
  };
  for (const std::string& s : not_onnx) {
    EXPECT_EQ(SniffOnnx(AsBytes(s), "x.bin"), SniffResult::kNo) << s.size();
    EXPECT_EQ(SniffOnnx(AsBytes(s), "model.ONNX"), SniffResult::kWeak) << s.size();
  }
  std::string random(4096, '\0');
  uint32_t x = 12345;
  for (char& c : random) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  EXPECT_EQ(SniffOnnx(AsBytes(random), "blob"), SniffResult::kNo);
}

TEST(OnnxHandlerTest, Registration) {
  EXPECT_EQ(OnnxHandler().id, "onnx");
  std::set<std::string_view> ids;
  for (const RuleInfo& r : OnnxRules()) {
    EXPECT_TRUE(r.id.starts_with("MATS-ONNX-"));
    EXPECT_FALSE(r.atlas.empty());
    EXPECT_FALSE(r.description.empty());
    ids.insert(r.id);
  }
  EXPECT_EQ(ids.size(), 8u);
  std::string m = ReadFixture("benign.onnx");
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(OnnxHandler().analyze(AsBytes(m), ctx).ok());
}

}  // namespace
}  // namespace mats::onnx
