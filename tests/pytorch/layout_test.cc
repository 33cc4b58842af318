#include "mats/pytorch/layout.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/recording_context.h"

namespace mats::pytorch {
namespace {

using ::mats::testing::RecordingContext;

ZipLayout Classify(std::vector<std::string> names) { return ClassifyZipLayout(names); }

TEST(LayoutTest, PytorchCheckpoint) {
  ZipLayout l = Classify({"archive/data.pkl", "archive/data/0", "archive/data/1", "archive/version",
                          "archive/.data/serialization_id", "archive/byteorder"});
  EXPECT_EQ(l.kind, ZipLayoutKind::kPytorch);
  EXPECT_EQ(l.prefix, "archive/");
  EXPECT_EQ(LayoutFormatId(l.kind), "pytorch-zip");
  EXPECT_TRUE(IsTensorStorageMember(l, "archive/data/0"));
  EXPECT_TRUE(IsTensorStorageMember(l, "archive/data/key_1"));
  EXPECT_FALSE(IsTensorStorageMember(l, "archive/data.pkl"));
  EXPECT_FALSE(IsTensorStorageMember(l, "archive/data/"));
  EXPECT_FALSE(IsTensorStorageMember(l, "archive/data/sub/0"));
  EXPECT_FALSE(IsTensorStorageMember(l, "other/data/0"));
  EXPECT_FALSE(IsTensorStorageMember(l, "archive/data/a b"));
  RecordingContext ctx;
  ReportZipLayout(l, ctx);
  EXPECT_TRUE(ctx.findings.empty());
}

TEST(LayoutTest, CustomRecordNameAndOutsideMembers) {
  ZipLayout l = Classify({"my_model/data.pkl", "my_model/data/0", "extra.pkl"});
  EXPECT_EQ(l.kind, ZipLayoutKind::kPytorch);
  EXPECT_EQ(l.prefix, "my_model/");
  EXPECT_EQ(l.outside_prefix_count, 1u);
  RecordingContext ctx;
  ReportZipLayout(l, ctx);
  EXPECT_TRUE(ctx.HasRule(kRuleOutsidePrefix));
}

TEST(LayoutTest, TorchScript) {
  std::vector<std::string> names = {"archive/data.pkl", "archive/constants.pkl", "archive/version"};
  for (int i = 0; i < 30; ++i) names.push_back("archive/code/__torch__/m" + std::to_string(i) + ".py");
  ZipLayout l = ClassifyZipLayout(names);
  EXPECT_EQ(l.kind, ZipLayoutKind::kTorchScript);
  EXPECT_EQ(l.code_file_count, 30u);
  EXPECT_EQ(l.code_files.size(), kMaxListed);
  RecordingContext ctx;
  ReportZipLayout(l, ctx);
  const Finding* f = ctx.FindRule(kRuleTorchScript);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->evidence.find("(+10 more)"), std::string::npos);
  EXPECT_TRUE(IsTensorStorageMember(l, "archive/data/3"));
}

TEST(LayoutTest, OtherLayouts) {
  EXPECT_EQ(Classify({"a.npy", "b.npy"}).kind, ZipLayoutKind::kNpz);
  EXPECT_EQ(Classify({"a.npy", "b.txt"}).kind, ZipLayoutKind::kGeneric);
  EXPECT_EQ(Classify({}).kind, ZipLayoutKind::kGeneric);
  EXPECT_EQ(Classify({"model/archive_format", "model/models/m.json"}).kind, ZipLayoutKind::kPt2);
  EXPECT_EQ(Classify({"archive/serialized_exported_program.json"}).kind, ZipLayoutKind::kPt2);
  ZipLayout mar = Classify({"MAR-INF/MANIFEST.json", "handler.py", "model.pt"});
  EXPECT_EQ(mar.kind, ZipLayoutKind::kMar);
  EXPECT_EQ(mar.code_file_count, 1u);
  EXPECT_EQ(LayoutFormatId(ZipLayoutKind::kMar), "torchserve-mar");
  EXPECT_EQ(Classify({"data.pkl"}).kind, ZipLayoutKind::kGeneric);  // no record dir
  EXPECT_FALSE(IsTensorStorageMember(mar, "data/0"));
}

TEST(LayoutTest, StoragePayloadSniff) {
  const uint8_t pickle[] = {0x80, 0x02, 'c'};
  const uint8_t zip[] = {'P', 'K', 3, 4};
  const uint8_t sevenz[] = {0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C};
  const uint8_t floats[] = {0x00, 0x00, 0x80, 0x3F};
  EXPECT_EQ(SniffStoragePayload(pickle), "pickle");
  EXPECT_EQ(SniffStoragePayload(zip), "zip");
  EXPECT_EQ(SniffStoragePayload(sevenz), "7z");
  EXPECT_EQ(SniffStoragePayload(floats), "");
  EXPECT_EQ(SniffStoragePayload({}), "");
}

TEST(LayoutTest, LegacyTar) {
  EXPECT_TRUE(IsLegacyTorchTar(std::vector<std::string>{"sys_info", "pickle", "storages", "tensors"}));
  EXPECT_TRUE(IsLegacyTorchTar(std::vector<std::string>{"./sys_info", "./pickle", "./storages", "./tensors"}));
  EXPECT_FALSE(IsLegacyTorchTar(std::vector<std::string>{"sys_info", "pickle"}));
}

TEST(LayoutTest, RulesWellFormed) {
  EXPECT_EQ(PytorchRules().size(), 6u);
  for (const RuleInfo& r : PytorchRules()) {
    EXPECT_EQ(r.id.substr(0, 8), "MATS-PT-");
    EXPECT_FALSE(r.atlas.empty());
  }
}

}  // namespace
}  // namespace mats::pytorch
