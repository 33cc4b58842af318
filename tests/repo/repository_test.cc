#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "mats/repo/repo.h"

namespace mats::repo {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kRemoteCode =
    std::string(MATS_SOURCE_DIR) + "/tests/fixtures/repo/remote_code";

const Finding* Find(const RepositorySummary& s, std::string_view rule) {
  for (const Finding& f : s.findings)
    if (f.rule_id == rule) return &f;
  return nullptr;
}

const RepoFileSummary* File(const RepositorySummary& s, std::string_view path) {
  for (const RepoFileSummary& f : s.files)
    if (f.path == path) return &f;
  return nullptr;
}

std::vector<RepoFile> RemoteCodeFiles(std::string modeling_verdict) {
  return {
      {"config.json", "hf-config", "suspicious", {{"MATS-HF-001", Severity::kMedium}}, 400},
      {"configuration_evil.py", "python", "clean", {{"MATS-PY-007", Severity::kInfo}}, 300},
      {"modeling_evil.py", "python", modeling_verdict, {{"MATS-PY-001", Severity::kCritical}}, 900},
      {"model.safetensors", "safetensors", "clean", {}, 1000},
      {"README.md", "text", "clean", {}, 70},
  };
}

TEST(RepositoryTest, RemoteCodeCrossCheck) {
  auto files = RemoteCodeFiles("malicious");
  RepositorySummary s = SummarizeRepository(kRemoteCode, files, Limits{});
  EXPECT_EQ(s.name, "");
  EXPECT_EQ(s.verdict, "malicious");
  const Finding* rc = Find(s, kRuleRepoRemoteCode);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->severity, Severity::kHigh);
  EXPECT_THAT(rc->evidence, HasSubstr("modeling_evil.py"));
  EXPECT_THAT(rc->evidence, HasSubstr("configuration_evil.py"));
  const Finding* missing = Find(s, kRuleRepoMissingModule);
  ASSERT_NE(missing, nullptr);
  EXPECT_THAT(missing->message, HasSubstr("modeling_missing.py"));
  EXPECT_EQ(missing->member, "config.json");
  EXPECT_THAT(File(s, "modeling_evil.py")->executes, HasSubstr("AutoModelForCausalLM"));
  EXPECT_EQ(File(s, "modeling_evil.py")->role, FileRole::kCode);
  EXPECT_EQ(File(s, "model.safetensors")->role, FileRole::kWeights);
  EXPECT_EQ(File(s, "config.json")->role, FileRole::kConfig);
  EXPECT_EQ(File(s, "README.md")->role, FileRole::kDocs);
  EXPECT_EQ(s.counts[static_cast<size_t>(FileRole::kCode)], 2u);
  EXPECT_EQ(Find(s, kRuleRepoPickleOnly), nullptr);
}

TEST(RepositoryTest, RemoteCodeWithCleanModulesIsMedium) {
  auto files = RemoteCodeFiles("clean");
  RepositorySummary s = SummarizeRepository(kRemoteCode, files, Limits{});
  ASSERT_NE(Find(s, kRuleRepoRemoteCode), nullptr);
  EXPECT_EQ(Find(s, kRuleRepoRemoteCode)->severity, Severity::kMedium);
  EXPECT_EQ(s.verdict, "suspicious");
}

TEST(RepositoryTest, PlainRepositoryIsClean) {
  std::vector<RepoFile> files = {
      {"config.json", "hf-config", "clean", {}, 10},
      {"model.safetensors", "safetensors", "clean", {}, 10},
      {"tokenizer.json", "text", "clean", {}, 10},
      {"LICENSE", "text", "clean", {}, 10},
      {"train.csv", "text", "clean", {}, 10},
      {"blob.xyz", "unknown", "not_analysable", {}, 10},
  };
  // The root has no such config.json: nothing to cross-check.
  RepositorySummary s = SummarizeRepository("/nonexistent", files, Limits{});
  EXPECT_THAT(s.findings, IsEmpty());
  EXPECT_EQ(s.verdict, "not_analysable");
  EXPECT_EQ(File(s, "tokenizer.json")->role, FileRole::kConfig);
  EXPECT_EQ(File(s, "LICENSE")->role, FileRole::kDocs);
  EXPECT_EQ(File(s, "train.csv")->role, FileRole::kData);
  EXPECT_EQ(File(s, "blob.xyz")->role, FileRole::kOther);
  EXPECT_THAT(s.executes, IsEmpty());
  files.pop_back();
  EXPECT_EQ(SummarizeRepository("/nonexistent", files, Limits{}).verdict, "clean");
}

TEST(RepositoryTest, PickleWeights) {
  std::vector<RepoFile> only = {{"pytorch_model.bin", "pytorch-zip", "clean", {}, 10}};
  RepositorySummary s = SummarizeRepository("/nonexistent", only, Limits{});
  ASSERT_NE(Find(s, kRuleRepoPickleOnly), nullptr);
  EXPECT_EQ(Find(s, kRuleRepoPickleWithSafetensors), nullptr);
  EXPECT_EQ(s.verdict, "suspicious");
  EXPECT_THAT(s.executes, Contains(HasSubstr("pytorch_model.bin")));
  std::vector<RepoFile> both = {{"pytorch_model.bin", "pytorch-zip", "clean", {}, 10},
                                {"model.safetensors", "safetensors", "clean", {}, 10}};
  s = SummarizeRepository("/nonexistent", both, Limits{});
  ASSERT_NE(Find(s, kRuleRepoPickleWithSafetensors), nullptr);
  EXPECT_EQ(Find(s, kRuleRepoPickleOnly), nullptr);
  std::vector<RepoFile> none = {{"model.safetensors", "safetensors", "clean", {}, 10}};
  s = SummarizeRepository("/nonexistent", none, Limits{});
  EXPECT_EQ(Find(s, kRuleRepoPickleWithSafetensors), nullptr);
  EXPECT_EQ(Find(s, kRuleRepoPickleOnly), nullptr);
}

TEST(RepositoryTest, HandlerAndLambdaAndTemplates) {
  std::vector<RepoFile> files = {
      {"handler.py", "python", "clean", {}, 10},
      {"model.keras", "keras", "malicious", {{"MATS-KERAS-001", Severity::kCritical}}, 10},
      {"chat_template.jinja", "jinja", "clean", {}, 10},
      {"utils.py", "python", "clean", {}, 10},
  };
  RepositorySummary s = SummarizeRepository("/nonexistent", files, Limits{});
  ASSERT_NE(Find(s, kRuleRepoHandler), nullptr);
  EXPECT_EQ(Find(s, kRuleRepoHandler)->member, "handler.py");
  EXPECT_THAT(File(s, "model.keras")->executes, HasSubstr("Lambda"));
  EXPECT_THAT(File(s, "chat_template.jinja")->executes, HasSubstr("chat template"));
  EXPECT_EQ(File(s, "utils.py")->executes, "");
  EXPECT_EQ(s.verdict, "malicious");
  std::vector<RepoFile> plain = {{"utils.py", "python", "clean", {}, 10}};
  EXPECT_EQ(Find(SummarizeRepository("/nonexistent", plain, Limits{}), kRuleRepoHandler),
            nullptr);
}

TEST(RepositoryTest, TorchFormats) {
  std::vector<RepoFile> files = {
      {"model.pt", "torchscript", "clean", {}, 10},
      {"model.mar", "torchserve-mar", "clean", {}, 10},
      {"model.pt2", "pt2", "clean", {}, 10},
  };
  RepositorySummary s = SummarizeRepository("/nonexistent", files, Limits{});
  EXPECT_THAT(File(s, "model.pt")->executes, HasSubstr("TorchScript"));
  EXPECT_THAT(File(s, "model.mar")->executes, HasSubstr("TorchServe"));
  EXPECT_EQ(File(s, "model.pt2")->executes, "");
  EXPECT_EQ(s.counts[static_cast<size_t>(FileRole::kWeights)], 3u);
}

TEST(RepositoryTest, HuggingFaceCacheNames) {
  std::vector<RepoFile> none;
  EXPECT_EQ(SummarizeRepository(
                "/home/u/.cache/huggingface/hub/models--meta-llama--Llama-3-8B/"
                "snapshots/0123abcd",
                none, Limits{})
                .name,
            "meta-llama/Llama-3-8B@0123abcd");
  EXPECT_EQ(SummarizeRepository("/c/hub/models--org--name/snapshots/rev1/", none,
                                Limits{})
                .name,
            "org/name@rev1");
  std::vector<RepoFile> snap = {{"snapshots/abc/config.json", "hf-config", "clean", {}, 1},
                                {"blobs/0f0f", "hf-config", "clean", {}, 1}};
  EXPECT_EQ(SummarizeRepository("/c/hub/models--org--name", snap, Limits{}).name,
            "org/name@abc");
  EXPECT_EQ(SummarizeRepository("/c/hub/datasets--org--data", none, Limits{}).name,
            "org/data");
  EXPECT_EQ(SummarizeRepository("/work/my-model", none, Limits{}).name, "");
}

TEST(RepositoryTest, RoleNames) {
  EXPECT_EQ(FileRoleName(FileRole::kWeights), "weights");
  EXPECT_EQ(FileRoleName(FileRole::kOther), "other");
}

}  // namespace
}  // namespace mats::repo
