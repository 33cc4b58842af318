#include "mats/tensorflow/tensorflow.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "protobuf/proto_builder.h"
#include "mats/core/json.h"
#include "testing/json_mutations.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::tensorflow {
namespace {

namespace fs = std::filesystem;
using ::mats::testing::PbBytes;
using ::mats::testing::PbRawVarint;
using ::mats::testing::PbTag;
using ::mats::testing::PbVarint;
using ::mats::testing::RecordingContext;
using ::testing::HasSubstr;

const fs::path kFixtures = fs::path(MATS_SOURCE_DIR) / "tests/fixtures/tensorflow";

std::string ReadFixture(const std::string& name) {
  std::ifstream in(kFixtures / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

RecordingContext MakeContext() {
  RecordingContext ctx;
  ctx.mutable_policy().AddAll(TensorflowPolicyEntries());
  return ctx;
}

std::vector<std::string> RuleIds(const RecordingContext& ctx) {
  std::vector<std::string> ids;
  for (const auto& f : ctx.findings) ids.push_back(f.rule_id + " " + f.message);
  return ids;
}

Status AnalyzeFixture(const std::string& name, RecordingContext& ctx) {
  std::string bytes = ReadFixture(name);
  if (name.starts_with("saved_model")) return AnalyzeSavedModel(AsBytes(bytes), ctx);
  if (name.starts_with("keras_metadata")) return AnalyzeKerasMetadata(AsBytes(bytes), ctx);
  return AnalyzeGraphDef(AsBytes(bytes), ctx);
}

std::string Node(std::string_view name, std::string_view op, std::string attrs = {}) {
  return PbBytes(1, name) + PbBytes(2, op) + attrs;
}
std::string AttrS(std::string_view key, std::string_view value) {
  return PbBytes(5, PbBytes(1, key) + PbBytes(2, PbBytes(2, value)));
}

TEST(TfOpsTest, StandardOpListIsSortedAndUnique) {
  auto ops = StandardTfOps();
  EXPECT_GT(ops.size(), 1000u);
  EXPECT_TRUE(std::is_sorted(ops.begin(), ops.end()));
  EXPECT_EQ(std::adjacent_find(ops.begin(), ops.end()), ops.end());
  for (const char* op : {"Const", "MatMul", "StatefulPartitionedCall", "VarHandleOp",
                         "SaveV2", "_Arg", "XlaCallModule"}) {
    EXPECT_TRUE(IsStandardTfOp(op)) << op;
  }
  EXPECT_FALSE(IsStandardTfOp("MatsTestZeroOut"));
  EXPECT_FALSE(IsStandardTfOp(""));
}

TEST(TfFixtureTest, BenignAreClean) {
  for (const char* name : {"graphdef_benign.pb", "saved_model_benign.pb",
                           "graphdef_printv2_stderr.pb", "keras_metadata_benign.pb"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(AnalyzeFixture(name, ctx).ok()) << name;
    EXPECT_TRUE(ctx.findings.empty()) << name << ::testing::PrintToString(RuleIds(ctx));
  }
}

TEST(TfParseTest, SavedModelWalksGraphAndLibrary) {
  std::string bytes = ReadFixture("saved_model_benign.pb");
  TfGraph g;
  ASSERT_TRUE(ParseSavedModel(AsBytes(bytes), Limits{}, &g).ok());
  EXPECT_EQ(g.meta_graph_count, 1u);
  EXPECT_EQ(g.functions.size(), 1u);
  EXPECT_EQ(g.functions[0], "serve_fn");
  EXPECT_EQ(g.node_count, 11u);
  ASSERT_EQ(g.ops.count("Relu"), 1u);
  EXPECT_EQ(g.ops.at("Relu").first_function, "serve_fn");
  EXPECT_EQ(g.ops.at("VarHandleOp").first_function, "");
}

// --- MATS-TF-001 -----------------------------------------------------------------

TEST(TfRuleTest, PythonOpsInGraphLibraryAndSavedModel) {
  for (const char* name : {"graphdef_pyfunc.pb", "graphdef_library_pyfunc.pb",
                           "saved_model_pyfunc.pb"}) {
    RecordingContext ctx = MakeContext();
    EXPECT_TRUE(AnalyzeFixture(name, ctx).ok()) << name;
    ASSERT_TRUE(ctx.HasRule(kRulePythonOp)) << name;
    EXPECT_EQ(ctx.FindRule(kRulePythonOp)->severity, Severity::kHigh);
  }
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("graphdef_library_pyfunc.pb", ctx).ok());
  EXPECT_THAT(ctx.FindRule(kRulePythonOp)->evidence, HasSubstr("inner_fn"));
  EXPECT_THAT(ctx.FindRule(kRulePythonOp)->evidence, HasSubstr("token=\"pyfunc_7"));
}

// --- MATS-TF-002 -----------------------------------------------------------------

TEST(TfRuleTest, FileOps) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("graphdef_file_ops.pb", ctx).ok());
  EXPECT_EQ(ctx.CountRule(kRuleFileOp), 2u);  // ReadFile, WriteFile
  for (const Finding& f : ctx.findings) EXPECT_EQ(f.severity, Severity::kHigh);
}

TEST(TfRuleTest, PolicyCanAllowACustomOp) {
  RecordingContext ctx = MakeContext();
  ctx.mutable_policy().Add({.domain = "tf-op", .name = "MatsTestZeroOut",
                            .action = PolicyAction::kAllow, .exact = true,
                            .category = "test", .reason = "test"});
  EXPECT_TRUE(AnalyzeFixture("graphdef_unknown_op.pb", ctx).ok());
  EXPECT_FALSE(ctx.HasRule(kRuleCustomOp));
}

// --- MATS-TF-003 -----------------------------------------------------------------

TEST(TfRuleTest, PrintV2ToFile) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("graphdef_printv2_file.pb", ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRulePrintToFile));
  EXPECT_THAT(ctx.FindRule(kRulePrintToFile)->evidence, HasSubstr("file:///tmp/MATS"));
}

// --- MATS-TF-004 -----------------------------------------------------------------

TEST(TfRuleTest, UnknownOp) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("graphdef_unknown_op.pb", ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleCustomOp));
  EXPECT_THAT(ctx.FindRule(kRuleCustomOp)->message, HasSubstr("MatsTestZeroOut"));
  EXPECT_EQ(ctx.FindRule(kRuleCustomOp)->severity, Severity::kMedium);
}

// --- MATS-TF-007 -----------------------------------------------------------------

TEST(TfRuleTest, UserDeniedOp) {
  RecordingContext ctx = MakeContext();
  ctx.mutable_policy().Add({.domain = "tf-op", .name = "MatMul",
                            .action = PolicyAction::kDeny, .severity = Severity::kCritical,
                            .exact = true, .category = "", .reason = "no matmuls here"});
  EXPECT_TRUE(AnalyzeFixture("graphdef_benign.pb", ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleDeniedOp));
  EXPECT_EQ(ctx.FindRule(kRuleDeniedOp)->severity, Severity::kCritical);
  EXPECT_THAT(ctx.FindRule(kRuleDeniedOp)->message, HasSubstr("no matmuls here"));
}

// --- keras_metadata.pb: MATS-TF-005 / 006 -----------------------------------------

TEST(TfKerasTest, LambdaLayer) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("keras_metadata_lambda.pb", ctx).ok());
  ASSERT_EQ(ctx.CountRule(kRuleKerasLambda), 1u);
  EXPECT_THAT(ctx.FindRule(kRuleKerasLambda)->evidence, HasSubstr("function_type lambda"));
  EXPECT_FALSE(ctx.HasRule(kRuleKerasCustomClass));
}

TEST(TfKerasTest, CustomClass) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("keras_metadata_custom.pb", ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleKerasCustomClass));
  EXPECT_THAT(ctx.FindRule(kRuleKerasCustomClass)->message, HasSubstr("MatsTest>EvilLayer"));
}

TEST(TfKerasTest, ForeignModuleAndNestedLambda) {
  // A functional model whose config nests a Lambda in its layer list and a
  // layer from a foreign module.
  std::string json =
      R"({"class_name":"Functional","config":{"name":"m","layers":[)"
      R"({"class_name":"Lambda","config":{"name":"inner","function":"x"}},)"
      R"({"class_name":"Dense","module":"evil_pkg.layers","config":{"name":"d"}}]}})";
  std::string obj = PbBytes(1, PbBytes(3, "root") + PbBytes(4, "_tf_keras_network") +
                                   PbBytes(5, json));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeKerasMetadata(AsBytes(obj), ctx).ok());
  EXPECT_TRUE(ctx.HasRule(kRuleKerasLambda));
  EXPECT_TRUE(ctx.HasRule(kRuleKerasCustomClass));
  EXPECT_THAT(ctx.FindRule(kRuleKerasCustomClass)->evidence, HasSubstr("evil_pkg"));
}

TEST(TfKerasTest, ConfigsHandedToKerasAnalyser) {
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeFixture("keras_metadata_benign.pb", ctx).ok());
  ASSERT_EQ(ctx.nested.size(), 2u);
  EXPECT_EQ(ctx.nested[1].name, "keras_metadata.pb/root.layer_with_weights-0");
  EXPECT_EQ(ctx.nested[1].format_hint, "keras-config");
  EXPECT_THAT(std::string(ctx.nested[1].data.begin(), ctx.nested[1].data.end()),
              HasSubstr("\"Dense\""));
}

TEST(TfKerasTest, BadJsonIsAnErrorForThatMember) {
  std::string obj = PbBytes(1, PbBytes(3, "root.x") + PbBytes(4, "_tf_keras_layer") +
                                   PbBytes(5, "{\"a\":1,\"a\":2}"));
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeKerasMetadata(AsBytes(obj), ctx).ok());
  ASSERT_EQ(ctx.errors.size(), 1u);
  EXPECT_EQ(ctx.errors[0].member, "keras_metadata.pb/root.x");
  EXPECT_EQ(ctx.errors[0].status.code(), ErrorCode::kMalformed);
}

TEST(TfKerasTest, ParseErrors) {
  Limits limits;
  std::vector<KerasObject> out;
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbVarint(1, 1)), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbBytes(2, "x"))), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbVarint(3, 1))), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbVarint(4, 1))), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbVarint(5, 1))), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbTag(1, 7))), limits, &out).code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbTag(1, 7)), limits, &out).code(),
            ErrorCode::kMalformed);
  limits.max_json_bytes = 3;
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, PbBytes(5, "{}  "))), limits, &out).code(),
            ErrorCode::kLimitExceeded);
  Limits few;
  few.max_entries = 1;
  std::vector<KerasObject> out2;
  EXPECT_EQ(ParseKerasMetadata(AsBytes(PbBytes(1, "") + PbBytes(1, "")), few, &out2).code(),
            ErrorCode::kLimitExceeded);
}

// --- errors and limits ------------------------------------------------------------

TEST(TfParseTest, FindingsBeforeErrorAreKept) {
  std::string bytes = ReadFixture("graphdef_pyfunc.pb") + PbTag(1, 2) + PbRawVarint(99);
  RecordingContext ctx = MakeContext();
  EXPECT_EQ(AnalyzeGraphDef(AsBytes(bytes), ctx).code(), ErrorCode::kMalformed);
  EXPECT_TRUE(ctx.HasRule(kRulePythonOp));
}

TEST(TfParseTest, TruncatedSavedModel) {
  RecordingContext ctx = MakeContext();
  EXPECT_EQ(AnalyzeFixture("saved_model_truncated.pb", ctx).code(), ErrorCode::kMalformed);
}

TEST(TfParseTest, WrongWireTypes) {
  struct Case {
    const char* what;
    std::string bytes;
    bool saved_model;
  };
  const std::vector<Case> cases = {
      {"schema version as bytes", PbBytes(1, "x"), true},
      {"meta graph as varint", PbVarint(2, 1), true},
      {"graph_def as varint", PbBytes(2, PbVarint(2, 1)), true},
      {"meta graph broken", PbBytes(2, PbTag(1, 7)), true},
      {"node as varint", PbVarint(1, 1), false},
      {"library as varint", PbVarint(2, 1), false},
      {"function as varint", PbBytes(2, PbVarint(1, 1)), false},
      {"library broken", PbBytes(2, PbTag(1, 7)), false},
      {"signature as varint", PbBytes(2, PbBytes(1, PbVarint(1, 1))), false},
      {"signature name as varint", PbBytes(2, PbBytes(1, PbBytes(1, PbVarint(1, 1)))), false},
      {"signature broken", PbBytes(2, PbBytes(1, PbBytes(1, PbTag(1, 7)))), false},
      {"function broken", PbBytes(2, PbBytes(1, PbTag(1, 7))), false},
      {"function node as varint", PbBytes(2, PbBytes(1, PbVarint(3, 1))), false},
      {"node name as varint", PbBytes(1, PbVarint(1, 1)), false},
      {"node op as varint", PbBytes(1, PbVarint(2, 1)), false},
      {"node attr as varint", PbBytes(1, PbVarint(5, 1)), false},
      {"node broken", PbBytes(1, PbTag(1, 7)), false},
      {"attr key as varint", PbBytes(1, PbBytes(5, PbVarint(1, 1))), false},
      {"attr value as varint", PbBytes(1, PbBytes(5, PbVarint(2, 1))), false},
      {"attr entry broken", PbBytes(1, PbBytes(5, PbTag(1, 7))), false},
      {"attr s as varint",
       PbBytes(1, PbBytes(5, PbBytes(1, "token") + PbBytes(2, PbVarint(2, 1)))), false},
      {"attr list as varint",
       PbBytes(1, PbBytes(5, PbBytes(1, "token") + PbBytes(2, PbVarint(1, 1)))), false},
      {"attr list s as varint",
       PbBytes(1, PbBytes(5, PbBytes(1, "token") + PbBytes(2, PbBytes(1, PbVarint(2, 1))))),
       false},
      {"attr list broken",
       PbBytes(1, PbBytes(5, PbBytes(1, "token") + PbBytes(2, PbBytes(1, PbTag(1, 7))))),
       false},
      {"attr value broken",
       PbBytes(1, PbBytes(5, PbBytes(1, "token") + PbBytes(2, PbTag(1, 7)))), false},
      {"graph broken", PbTag(1, 7), false},
  };
  for (const Case& c : cases) {
    TfGraph g;
    Status st = c.saved_model ? ParseSavedModel(AsBytes(c.bytes), Limits{}, &g)
                              : ParseGraphDef(AsBytes(c.bytes), Limits{}, &g);
    EXPECT_EQ(st.code(), ErrorCode::kMalformed) << c.what << ": " << st.ToString();
  }
}

TEST(TfParseTest, ListAttributeStrings) {
  std::string list = PbBytes(2, "file:///a") + PbBytes(2, "grpc://b");
  std::string node = Node("d", "DebugIdentityV2",
                          PbBytes(5, PbBytes(1, "debug_urls") + PbBytes(2, PbBytes(1, list))));
  TfGraph g;
  // The graph's attribute values are views into the input: keep it alive.
  const std::string graph = PbBytes(1, node);
  ASSERT_TRUE(ParseGraphDef(AsBytes(graph), Limits{}, &g).ok());
  ASSERT_EQ(g.attrs.size(), 2u);
  EXPECT_EQ(g.attrs[1].value, "grpc://b");
  RecordingContext ctx = MakeContext();
  EXPECT_TRUE(AnalyzeGraphDef(AsBytes(PbBytes(1, node)), ctx).ok());
  ASSERT_TRUE(ctx.HasRule(kRuleFileOp));
  EXPECT_EQ(ctx.FindRule(kRuleFileOp)->severity, Severity::kLow);
  EXPECT_THAT(ctx.FindRule(kRuleFileOp)->evidence, HasSubstr("grpc://b"));
}

TEST(TfLimitTest, EntriesAtAndPastBoundary) {
  auto graph = [](int n) {
    std::string g;
    for (int i = 0; i < n; ++i) g += PbBytes(1, Node("n", "NoOp"));
    return g;
  };
  Limits limits;
  limits.max_entries = 4;
  TfGraph g1;
  EXPECT_TRUE(ParseGraphDef(AsBytes(graph(4)), limits, &g1).ok());
  TfGraph g2;
  EXPECT_EQ(ParseGraphDef(AsBytes(graph(5)), limits, &g2).code(), ErrorCode::kLimitExceeded);
  std::string sm;
  for (int i = 0; i < 5; ++i) sm += PbBytes(2, "");
  TfGraph g3;
  EXPECT_EQ(ParseSavedModel(AsBytes(sm), limits, &g3).code(), ErrorCode::kLimitExceeded);
  std::string lib;
  for (int i = 0; i < 5; ++i) lib += PbBytes(1, "");
  TfGraph g4;
  EXPECT_EQ(ParseGraphDef(AsBytes(PbBytes(2, lib)), limits, &g4).code(),
            ErrorCode::kLimitExceeded);
  std::string attrs;
  for (int i = 0; i < 5; ++i) attrs += AttrS("token", "t");
  TfGraph g5;
  EXPECT_EQ(ParseGraphDef(AsBytes(PbBytes(1, Node("p", "PyFunc", attrs))), limits, &g5).code(),
            ErrorCode::kLimitExceeded);
}

TEST(TfLimitTest, DepthLimit) {
  // SavedModel(0) > meta(1) > graph(2) > library(3) > function(4) > node(5).
  std::string fn = PbBytes(3, Node("n", "NoOp"));
  std::string sm = PbBytes(2, PbBytes(2, PbBytes(2, PbBytes(1, fn))));
  Limits limits;
  limits.max_depth = 5;
  TfGraph g;
  EXPECT_TRUE(ParseSavedModel(AsBytes(sm), limits, &g).ok());
  limits.max_depth = 4;
  TfGraph g2;
  EXPECT_EQ(ParseSavedModel(AsBytes(sm), limits, &g2).code(), ErrorCode::kLimitExceeded);
}

TEST(TfLimitTest, StringLimit) {
  Limits limits;
  limits.max_string_bytes = 4;
  TfGraph g;
  EXPECT_TRUE(ParseGraphDef(AsBytes(PbBytes(1, Node("n", "NoOp"))), limits, &g).ok());
  TfGraph g2;
  EXPECT_EQ(ParseGraphDef(AsBytes(PbBytes(1, Node("n", "NoOpX"))), limits, &g2).code(),
            ErrorCode::kLimitExceeded);
}

// --- sniffing -----------------------------------------------------------------------

TEST(TfSniffTest, ByContent) {
  EXPECT_EQ(SniffSavedModel(AsBytes(ReadFixture("saved_model_benign.pb")), ""),
            SniffResult::kStrong);
  EXPECT_EQ(SniffGraphDef(AsBytes(ReadFixture("graphdef_benign.pb")), ""),
            SniffResult::kStrong);
  EXPECT_EQ(SniffKerasMetadata(AsBytes(ReadFixture("keras_metadata_benign.pb")), ""),
            SniffResult::kStrong);
}

TEST(TfSniffTest, FormatsDoNotClaimEachOther) {
  const std::string sm = ReadFixture("saved_model_benign.pb");
  const std::string gd = ReadFixture("graphdef_benign.pb");
  const std::string km = ReadFixture("keras_metadata_benign.pb");
  EXPECT_EQ(SniffGraphDef(AsBytes(sm), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffKerasMetadata(AsBytes(sm), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffSavedModel(AsBytes(gd), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffKerasMetadata(AsBytes(gd), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffSavedModel(AsBytes(km), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffGraphDef(AsBytes(km), "x.pb"), SniffResult::kNo);
  std::ifstream in(fs::path(MATS_SOURCE_DIR) / "tests/fixtures/onnx/benign.onnx",
                   std::ios::binary);
  std::string onnx(std::istreambuf_iterator<char>(in), {});
  EXPECT_EQ(SniffSavedModel(AsBytes(onnx), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffGraphDef(AsBytes(onnx), "x.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffKerasMetadata(AsBytes(onnx), "x.pb"), SniffResult::kNo);
}

TEST(TfSniffTest, NameHints) {
  const std::string junk = "not a protobuf \xff\xff";
  EXPECT_EQ(SniffSavedModel(AsBytes(junk), "m/saved_model.pb"), SniffResult::kWeak);
  EXPECT_EQ(SniffSavedModel(AsBytes(junk), "saved_model.pb"), SniffResult::kWeak);
  EXPECT_EQ(SniffSavedModel(AsBytes(junk), "my_saved_model.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffKerasMetadata(AsBytes(junk), "keras_metadata.pb"), SniffResult::kWeak);
  EXPECT_EQ(SniffGraphDef(AsBytes(junk), "frozen.pb"), SniffResult::kNo);
  EXPECT_EQ(SniffGraphDef(AsBytes(std::string()), "frozen.pb"), SniffResult::kNo);
  // A GraphDef whose first node has an op that is not an identifier.
  EXPECT_EQ(SniffGraphDef(AsBytes(PbBytes(1, Node("n", "a b"))), ""), SniffResult::kNo);
}

TEST(TfHandlerTest, Registration) {
  EXPECT_EQ(TfSavedModelHandler().id, "tf-savedmodel");
  EXPECT_EQ(TfGraphDefHandler().id, "tf-graphdef");
  EXPECT_EQ(TfKerasMetadataHandler().id, "tf-keras-metadata");
  std::set<std::string_view> ids;
  for (const RuleInfo& r : TensorflowRules()) {
    EXPECT_TRUE(r.id.starts_with("MATS-TF-"));
    EXPECT_FALSE(r.atlas.empty());
    ids.insert(r.id);
  }
  EXPECT_EQ(ids.size(), 7u);
  for (const PolicyEntry& e : TensorflowPolicyEntries()) {
    EXPECT_EQ(e.domain, "tf-op");
    EXPECT_TRUE(IsStandardTfOp(e.name)) << e.name;
  }
}


// Every member of a keras_metadata.pb object's JSON replaced by a value of
// each JSON type, or removed: findings or errors, never a throw.
TEST(TfKerasTest, MetadataTypeConfusionNeverThrows) {
  auto doc = ParseJson(
      R"({"class_name":"Functional","name":"m","config":{"name":"m","layers":[)"
      R"({"class_name":"Lambda","config":{"name":"inner","function":["YQ==",null,null],)"
      R"("function_type":"lambda"}},)"
      R"({"class_name":"Dense","module":"evil_pkg.layers","config":{"name":"d"}}]}})");
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where,
                                                 const nlohmann::json& j) {
    ++n;
    std::string obj = PbBytes(1, PbBytes(3, "root") + PbBytes(4, "_tf_keras_network") +
                                     PbBytes(5, DumpJson(j)));
    RecordingContext ctx = MakeContext();
    EXPECT_NO_THROW((void)AnalyzeKerasMetadata(AsBytes(obj), ctx).ok()) << where;
  });
  EXPECT_GT(n, 250u);
}

}  // namespace
}  // namespace mats::tensorflow
