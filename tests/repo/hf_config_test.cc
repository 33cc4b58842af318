#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/core/mapped_file.h"
#include "testing/json_mutations.h"
#include "mats/core/json.h"
#include "mats/repo/repo.h"
#include "testing/recording_context.h"
#include "testing/status_matchers.h"

namespace mats::repo {
namespace {

using ::mats::testing::RecordingContext;
using ::mats::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(HfConfigTest, AutoMapFixture) {
  auto text = ReadFileToString(std::string(MATS_SOURCE_DIR) +
                                   "/tests/fixtures/repo/remote_code/config.json",
                               1 << 20);
  ASSERT_TRUE(text.ok());
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(*text), ctx));
  ASSERT_EQ(ctx.findings.size(), 1u);
  EXPECT_EQ(ctx.findings[0].rule_id, kRuleHfAutoMap);
  EXPECT_EQ(ctx.findings[0].severity, Severity::kMedium);
  EXPECT_THAT(ctx.findings[0].evidence, HasSubstr("modeling_evil.EvilForCausalLM"));
  EXPECT_THAT(ctx.findings[0].evidence, HasSubstr("EvilForCausalLM"));
}

TEST(HfConfigTest, PlainConfigIsClean) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(
      AsBytes(R"({"architectures": ["BertModel"], "model_type": "bert"})"), ctx));
  EXPECT_THAT(ctx.findings, IsEmpty());
}

TEST(HfConfigTest, OtherRepository) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(
      R"({"model_type": "x", "auto_map": {"AutoModel": "someone/else--modeling_x.M"}})"), ctx));
  ASSERT_TRUE(ctx.HasRule(kRuleHfOtherRepo));
  EXPECT_THAT(ctx.FindRule(kRuleHfOtherRepo)->message, HasSubstr("someone/else"));
  EXPECT_FALSE(ctx.HasRule(kRuleHfAutoMap));
}

TEST(HfConfigTest, TokenizerListForm) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(
      R"({"model_type": "x", "auto_map": {"AutoTokenizer": ["tok.T", null]}})"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleHfAutoMap));
  auto refs = AutoMapRefs(nlohmann::json::parse(
      R"({"auto_map": {"AutoTokenizer": ["tok.T", "tok_fast.TF"]}})"));
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[1].module_file, "tok_fast.py");
}

TEST(HfConfigTest, CustomPipelines) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(
      R"({"model_type": "x", "custom_pipelines": {"my-task": {"impl": "my_pipe.MyPipeline", "pt": ["AutoModel"]}}})"),
      ctx));
  EXPECT_EQ(ctx.CountRule(kRuleHfPipelines), 1u);
  RecordingContext clean;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(R"({"model_type": "x", "custom_pipelines": {}})"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleHfPipelines));
}

TEST(HfConfigTest, TrustRemoteCodeHint) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(R"({"model_type": "x", "trust_remote_code": true})"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleHfTrustRemote));
  RecordingContext clean;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(R"({"model_type": "x", "trust_remote_code": false})"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleHfTrustRemote));
}

TEST(HfConfigTest, EscapingModulePath) {
  RecordingContext ctx;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(
      R"({"model_type": "x", "auto_map": {"AutoModel": "../../home/u/evil.M"}})"), ctx));
  EXPECT_TRUE(ctx.HasRule(kRuleHfEscape));
  EXPECT_FALSE(ctx.HasRule(kRuleHfAutoMap));
  RecordingContext clean;
  ASSERT_OK(AnalyzeHfConfig(AsBytes(
      R"({"model_type": "x", "auto_map": {"AutoModel": "modeling.M"}})"), clean));
  EXPECT_FALSE(clean.HasRule(kRuleHfEscape));
}

TEST(HfConfigTest, Errors) {
  RecordingContext ctx;
  EXPECT_THAT(AnalyzeHfConfig(AsBytes("[]"), ctx),
              StatusIs(ErrorCode::kMalformed, HasSubstr("want an object")));
  EXPECT_THAT(AnalyzeHfConfig(AsBytes("{\"model_type\": 1, \"model_type\": 2}"), ctx),
              StatusIs(ErrorCode::kMalformed));
  Limits small;
  small.max_json_bytes = 4;
  RecordingContext ctx2(small);
  EXPECT_THAT(AnalyzeHfConfig(AsBytes("{\"a\": 1}"), ctx2),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_json_bytes")));
}

TEST(HfConfigTest, Sniff) {
  auto sniff = HfConfigHandler().sniff;
  EXPECT_EQ(sniff(AsBytes(R"({"model_type": "bert"})"), "config.json"), SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes(R"({"auto_map": {}})"), "preprocessor_config.json"),
            SniffResult::kStrong);
  EXPECT_EQ(sniff(AsBytes(R"({"auto_map": {}})"), "x/tokenizer_config.json"), SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes(R"({"class_name": "Sequential", "config": {}})"), "config.json"),
            SniffResult::kNo);
  EXPECT_EQ(sniff(AsBytes("  "), "config.json"), SniffResult::kNo);
  EXPECT_EQ(HfConfigHandler().id, "hf-config");
}

TEST(RepoRulesTest, AllRulesDescribed) {
  EXPECT_EQ(RepoRules().size(), 7u + 5u + 5u);
  for (const RuleInfo& r : RepoRules()) {
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_FALSE(r.atlas.empty()) << r.id;
  }
}


// Every member of a config replaced by a value of each JSON type, or removed:
// findings or an error Status, never a throw.
TEST(HfConfigTest, TypeConfusionNeverThrows) {
  auto doc = ParseJson(R"({"architectures":["EvilForCausalLM"],"model_type":"evil",)"
                       R"("auto_map":{"AutoConfig":"configuration_evil.EvilConfig",)"
                       R"("AutoTokenizer":["tok.T",null],"AutoModel":"other/repo--m.M"},)"
                       R"("custom_pipelines":{"p":{"impl":"pipe.P","pt":["AutoModel"],"tf":[]}},)"
                       R"("trust_remote_code":true})");
  ASSERT_TRUE(doc.ok());
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    std::string text = DumpJson(j);
    RecordingContext ctx;
    EXPECT_NO_THROW((void)AnalyzeHfConfig(AsBytes(text), ctx).ok()) << where;
  });
  EXPECT_GT(n, 200u);
}

}  // namespace
}  // namespace mats::repo
