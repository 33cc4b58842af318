#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/encoding.h"
#include "mats/core/mapped_file.h"
#include "mats/keras/keras.h"
#include "testing/recording_context.h"
#include "testing/json_mutations.h"
#include "mats/core/json.h"
#include "testing/status_matchers.h"

namespace mats::keras {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Fixture(const std::string& name) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) +
                               "/tests/fixtures/keras/" + name, 1 << 20);
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? *text : std::string();
}

RecordingContext MakeContext(Limits limits = {}) {
  RecordingContext ctx(limits);
  ctx.mutable_policy().AddAll(KerasPolicyEntries());
  return ctx;
}

std::string Layer(const std::string& module, const std::string& cls,
                  const std::string& config = "{}") {
  return R"({"module": ")" + module + R"(", "class_name": ")" + cls +
         R"(", "config": )" + config + R"(, "registered_name": null})";
}

std::string Model(const std::string& layers) {
  return R"({"module": "keras", "class_name": "Sequential", "config": {"name": "m", "layers": [)" +
         layers + "]}}";
}

TEST(KerasConfigTest, BenignFixtureIsClean) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Fixture("benign_config.json")), ctx));
  EXPECT_THAT(ctx.findings, IsEmpty());
}

TEST(KerasConfigTest, NestedLambdaInSubModelIsCritical) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Fixture("nested_lambda_config.json")), ctx));
  const Finding* f = ctx.FindRule(kRuleLambda);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_THAT(f->message, HasSubstr("system"));
  EXPECT_THAT(f->evidence, HasSubstr("MATS-TEST-MARKER"));
  EXPECT_THAT(f->evidence, HasSubstr("layers[2].config.layer.config.layers[2]"));
  EXPECT_EQ(ctx.findings.size(), 1u);
}

TEST(KerasConfigTest, TfKeras2LambdaListForm) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Fixture("tfkeras2_lambda_config.json")), ctx));
  const Finding* f = ctx.FindRule(kRuleLambda);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_EQ(ctx.findings.size(), 1u);
}

TEST(KerasConfigTest, BenignLambdaIsHighNotCritical) {
  Bytes code = {};
  std::string marshal = Fixture("lambda_benign.marshal");
  std::string b64 = Base64Encode(AsBytes(marshal));
  auto ctx = MakeContext();
  std::string cfg = Model(Layer("keras.layers", "Lambda",
                                R"({"function": {"class_name": "__lambda__", "config": {"value": [")" +
                                    b64 + R"(", null, null]}}})"));
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(cfg), ctx));
  const Finding* f = ctx.FindRule(kRuleLambda);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kHigh);
}

TEST(KerasConfigTest, LambdaWithGarbageCode) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(Model(Layer("keras.layers", "Lambda",
                          R"({"function": {"class_name": "__lambda__", "config": {"code": "!!notbase64"}}})"))),
      ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleLambda));
  EXPECT_EQ(ctx.FindRule(kRuleLambda)->severity, Severity::kCritical);
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(Model(Layer("keras.layers", "Lambda",
                          R"({"function": {"class_name": "__lambda__", "config": {"code": "AAAA"}}})"))),
      ctx2));
  ASSERT_TRUE(ctx2.HasRule(kRuleLambda));
  EXPECT_THAT(ctx2.FindRule(kRuleLambda)->message, HasSubstr("disassembled"));
  auto ctx3 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(R"({"class_name": "Lambda", "config": {"name": "l"}})"), ctx3));
  EXPECT_TRUE(ctx3.HasRule(kRuleLambda));
}

TEST(KerasConfigTest, ForeignModuleClass) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("evil_pkg.layers", "Boom"))), ctx));
  const Finding* f = ctx.FindRule(kRuleForeignCallable);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kMedium);
  EXPECT_THAT(f->message, HasSubstr("evil_pkg.layers.Boom"));
}

TEST(KerasConfigTest, DeniedFunctionIsCritical) {
  auto ctx = MakeContext();
  std::string fn = R"({"module": "os", "class_name": "function", "config": "system", "registered_name": "function"})";
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(Model(Layer("keras.layers", "Dense", R"({"activation": )" + fn + "}"))), ctx));
  const Finding* f = ctx.FindRule(kRuleForeignCallable);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_THAT(f->message, HasSubstr("os.system"));
}

TEST(KerasConfigTest, KerasLoadModelIsDenied) {
  auto ctx = MakeContext();
  std::string fn = R"({"module": "keras.models", "class_name": "function", "config": "load_model", "registered_name": "function"})";
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(Model(Layer("keras.layers", "Dense", R"({"activation": )" + fn + "}"))), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleForeignCallable));
  EXPECT_EQ(ctx.FindRule(kRuleForeignCallable)->severity, Severity::kHigh);
}

TEST(KerasConfigTest, UserPolicyAllowsReviewedModule) {
  auto ctx = MakeContext();
  ctx.mutable_policy().Add({.domain = "keras", .name = "my_layers",
                            .action = PolicyAction::kAllow, .severity = Severity::kInfo,
                            .exact = false, .category = "", .reason = ""});
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("my_layers", "Block"))), ctx));
  EXPECT_FALSE(ctx.HasRule(kRuleForeignCallable));
}

TEST(KerasConfigTest, KerasBuiltinsAreClean) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(
      AsBytes(Model(Layer("keras.layers", "Dense") + "," +
                    Layer("keras_hub.src.models", "GemmaBackbone") + "," +
                    R"({"class_name": "__keras_tensor__", "config": {}})")),
      ctx));
  EXPECT_THAT(ctx.findings, IsEmpty());
}

TEST(KerasConfigTest, UnsafeDeserializationCall) {
  auto ctx = MakeContext();
  std::string fn = R"({"module": "keras.config", "class_name": "function", "config": "enable_unsafe_deserialization", "registered_name": "function"})";
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense", R"({"activation": )" + fn + "}"))), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleUnsafeMode));
  EXPECT_EQ(ctx.CountRule(kRuleUnsafeMode), 1u);
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense",
      R"({"name": "keras.config.enable_unsafe_deserialization"})"))), ctx2));
  EXPECT_TRUE(ctx2.HasRule(kRuleUnsafeMode));
  auto ctx3 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense",
      R"({"name": "safe_mode_enabled"})"))), ctx3));
  EXPECT_FALSE(ctx3.HasRule(kRuleUnsafeMode));
}

TEST(KerasConfigTest, GetFile) {
  auto ctx = MakeContext();
  std::string fn = R"({"module": "keras.utils", "class_name": "function", "config": "get_file", "registered_name": "function"})";
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense", R"({"activation": )" + fn + "}"))), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleGetFile));
  auto ctx2 = MakeContext();
  std::string ok = R"({"module": "keras.utils", "class_name": "function", "config": "normalize", "registered_name": "function"})";
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense", R"({"activation": )" + ok + "}"))), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleGetFile));
}

TEST(KerasConfigTest, TorchModuleWrapper) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "TorchModuleWrapper",
      R"({"module": "gASV"})"))), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleTorchWrapper));
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Dense"))), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleTorchWrapper));
}

TEST(KerasConfigTest, TfsmLayer) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "TFSMLayer",
      R"({"filepath": "/tmp/other_saved_model"})"))), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleTfsmLayer));
  EXPECT_THAT(ctx.FindRule(kRuleTfsmLayer)->evidence, HasSubstr("other_saved_model"));
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "Flatten"))), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleTfsmLayer));
}

TEST(KerasConfigTest, LookupVocabularyPath) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "StringLookup",
      R"({"vocabulary": "https://attacker.example/vocab.txt"})"))), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleLookupPath));
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(Model(Layer("keras.layers", "StringLookup",
      R"({"vocabulary": ["a", "b"]})") + "," + Layer("keras.layers", "IntegerLookup",
      R"({"vocabulary": null})"))), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleLookupPath));
}

TEST(KerasConfigTest, CustomObjectTfKeras2) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "MyAttention", "config": {}}]}})"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleCustomObject));
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", "config": {}}]}})"), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleCustomObject));
  auto optimizer = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"optimizer_config": {"class_name": "Custom>Adam", "config": {}}, "metrics": [{"class_name": "MeanMetricWrapper", "config": {}}]})"),
      optimizer));
  EXPECT_FALSE(optimizer.HasRule(kRuleCustomObject));
  auto ctx3 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "Block", "registered_name": "my_pkg>Block", "config": {}})"), ctx3));
  EXPECT_TRUE(ctx3.HasRule(kRuleCustomObject));
}

TEST(KerasConfigTest, TfOpLambda) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "TFOpLambda", "config": {"function": "io.write_file"}})"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleTfOp));
  auto ctx2 = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "TFOpLambda", "config": {"function": "math.add"}})"), ctx2));
  EXPECT_FALSE(ctx2.HasRule(kRuleTfOp));
}

TEST(KerasConfigTest, LambdaNamedFunction) {
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(
      R"({"class_name": "Lambda", "config": {"function": "system", "function_type": "function", "module": "os"}})"),
      ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleForeignCallable));
  EXPECT_EQ(ctx.FindRule(kRuleForeignCallable)->severity, Severity::kCritical);
}

TEST(KerasConfigTest, DeepWideConfigKeepsEvidenceBounded) {
  // 150 levels of long keys with a Lambda at the bottom.
  std::string key(60, 'k');
  std::string open, close;
  for (int i = 0; i < 150; ++i) {
    open += "{\"" + key + std::to_string(i) + "\": ";
    close += "}";
  }
  std::string cfg = open + R"({"class_name": "Lambda", "config": {"function": "AAAA"}})" + close;
  auto ctx = MakeContext();
  ASSERT_OK(AnalyzeKerasConfig(AsBytes(cfg), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleLambda));
  EXPECT_LT(ctx.FindRule(kRuleLambda)->evidence.size(), 1500u);
  EXPECT_THAT(ctx.FindRule(kRuleLambda)->evidence, HasSubstr("..."));
}

TEST(KerasConfigTest, Errors) {
  auto ctx = MakeContext();
  EXPECT_THAT(AnalyzeKerasConfig(AsBytes("[1, 2]"), ctx),
              StatusIs(ErrorCode::kMalformed, HasSubstr("want an object")));
  EXPECT_THAT(AnalyzeKerasConfig(AsBytes("{\"a\": 1, \"a\": 2}"), ctx),
              StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(AnalyzeKerasConfig(AsBytes("{\"class_name\": "), ctx),
              StatusIs(ErrorCode::kMalformed));
  Limits small;
  small.max_json_bytes = 10;
  auto ctx2 = MakeContext(small);
  EXPECT_THAT(AnalyzeKerasConfig(AsBytes("{\"class_name\": \"Dense\"}"), ctx2),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_json_bytes")));
  Limits shallow;
  shallow.max_depth = 3;
  auto ctx3 = MakeContext(shallow);
  EXPECT_THAT(AnalyzeKerasConfig(AsBytes(R"({"a": {"b": {"c": {"d": 1}}}})"), ctx3),
              StatusIs(ErrorCode::kLimitExceeded));
}

TEST(KerasConfigTest, Sniff) {
  auto sniff = KerasConfigHandler().sniff;
  EXPECT_EQ(sniff(AsBytes(Fixture("benign_config.json")), "config.json"),
            SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes(Fixture("tfkeras2_lambda_config.json")), "x"),
            SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes(R"({"architectures": ["BertModel"], "model_type": "bert", "class_name": "x", "config": 1})"),
                  "config.json"),
            SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes(R"({"keras_version": "3.6.0"})"), "metadata.json"),
            SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes("[]"), "config.json"), SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes(""), "config.json"), SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes(R"({"class_name": "x"})"), "config.json"), SniffResult::kNo);
  EXPECT_EQ(KerasConfigHandler().id, "keras-config");
}

TEST(KerasConfigTest, RulesAreComplete) {
  for (const RuleInfo& r : KerasRules()) {
    EXPECT_FALSE(r.title.empty()) << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_FALSE(r.remediation.empty()) << r.id;
    EXPECT_FALSE(r.atlas.empty()) << r.id;
  }
  EXPECT_EQ(KerasRules().size(), 9u);
}


// Every member of a config replaced by a value of each JSON type, or removed:
// findings or an error Status, never a throw.
TEST(KerasConfigTest, TypeConfusionNeverThrows) {
  for (const char* name : {"nested_lambda_config.json", "tfkeras2_lambda_config.json"}) {
    auto doc = ParseJson(Fixture(name));
    ASSERT_TRUE(doc.ok()) << name;
    size_t n = 0;
    ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where,
                                                   const nlohmann::json& j) {
      ++n;
      std::string text = DumpJson(j);
      auto ctx = MakeContext();
      EXPECT_NO_THROW((void)AnalyzeKerasConfig(AsBytes(text), ctx).ok()) << name << ": " << where;
    });
    EXPECT_GT(n, 100u) << name;
  }
}

}  // namespace
}  // namespace mats::keras
