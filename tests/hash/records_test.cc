#include "mats/hash/records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hash/test_dir.h"
#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/hash/merkle.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::hash {
namespace {

using ::mats::testing::StatusIs;
using ::mats::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Ranges = std::vector<std::pair<uint64_t, uint64_t>>;

TEST(SplitRecordsTest, Jsonl) {
  ASSERT_OK_AND_ASSIGN(auto r, SplitRecords(AsBytes("{\"a\":1}\n{\"b\":2}\n"), RecordFormat::kJsonl));
  EXPECT_EQ(r, (Ranges{{0, 7}, {8, 7}}));
  ASSERT_OK_AND_ASSIGN(auto last, SplitRecords(AsBytes("x\n\ny"), RecordFormat::kJsonl));
  EXPECT_EQ(last, (Ranges{{0, 1}, {2, 0}, {3, 1}}));
  ASSERT_OK_AND_ASSIGN(auto empty, SplitRecords(AsBytes(""), RecordFormat::kJsonl));
  EXPECT_TRUE(empty.empty());
  // A quote does not matter in JSONL.
  ASSERT_OK_AND_ASSIGN(auto q, SplitRecords(AsBytes("\"\n\"\n"), RecordFormat::kJsonl));
  EXPECT_EQ(q.size(), 2u);
}

TEST(SplitRecordsTest, CsvQuotedNewlines) {
  std::string csv = "id,text\n1,\"line one\nline two\"\n2,\"say \"\"hi\"\"\"\n";
  ASSERT_OK_AND_ASSIGN(auto r, SplitRecords(AsBytes(csv), RecordFormat::kCsv));
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(csv.substr(r[1].first, r[1].second), "1,\"line one\nline two\"");
  EXPECT_EQ(csv.substr(r[2].first, r[2].second), "2,\"say \"\"hi\"\"\"");
}

TEST(SplitRecordsTest, Limit) {
  EXPECT_THAT(SplitRecords(AsBytes("a\nb\nc\n"), RecordFormat::kJsonl, 2),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(SplitRecords(AsBytes("a\nb\nc"), RecordFormat::kJsonl, 2),
              StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_OK(SplitRecords(AsBytes("a\nb\n"), RecordFormat::kJsonl, 2));
}

TEST(RecordFormatTest, ByExtension) {
  EXPECT_THAT(RecordFormatForPath("d/train.jsonl"), ::mats::testing::IsOkAndHolds(RecordFormat::kJsonl));
  EXPECT_THAT(RecordFormatForPath("x.ndjson"), ::mats::testing::IsOkAndHolds(RecordFormat::kJsonl));
  EXPECT_THAT(RecordFormatForPath("x.csv"), ::mats::testing::IsOkAndHolds(RecordFormat::kCsv));
  EXPECT_THAT(RecordFormatForPath("x.parquet"), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(ParseRecordFormat("tsv"), StatusIs(ErrorCode::kUnsupported));
}

std::string Lines(int n, int poison = -1) {
  std::string s;
  for (int i = 0; i < n; ++i) s += fmt::format("{{\"id\":{},\"text\":\"{}\"}}\n", i, i == poison ? "POISON" : "ok");
  return s;
}

TEST(RecordManifestTest, RoundTripDiffAndProof) {
  TempDir d;
  d.Write("train.jsonl", Lines(10));
  ASSERT_OK_AND_ASSIGN(RecordFile f, HashRecordFile(d.path(), "train.jsonl", RecordFormat::kJsonl));
  EXPECT_EQ(f.leaves.size(), 10u);
  EXPECT_EQ(f.root, MerkleRoot(f.leaves));
  RecordManifest m;
  m.files.push_back(f);
  std::string text = SerializeRecordManifest(m);
  ASSERT_OK_AND_ASSIGN(RecordManifest back, ParseRecordManifest(text));
  ASSERT_EQ(back.files.size(), 1u);
  EXPECT_EQ(back.files[0].leaves, f.leaves);

  ASSERT_OK_AND_ASSIGN(std::string proof, MakeRecordProof(d.path(), f, 7));
  ASSERT_OK_AND_ASSIGN(std::string rec, VerifyRecordProof(proof, back));
  EXPECT_EQ(rec, "{\"id\":7,\"text\":\"ok\"}");
  // A forged record in the proof fails.
  nlohmann::json j = *ParseJson(proof);
  j["record_base64"] = Base64Encode(AsBytes("{\"id\":7,\"text\":\"POISON\"}"));
  EXPECT_THAT(VerifyRecordProof(DumpJson(j), back), StatusIs(ErrorCode::kVerificationFailed));
  j = *ParseJson(proof);
  j["path"] = "other.jsonl";
  EXPECT_THAT(VerifyRecordProof(DumpJson(j), back), StatusIs(ErrorCode::kVerificationFailed, HasSubstr("not in")));
  j = *ParseJson(proof);
  j["records"] = 11;
  EXPECT_THAT(VerifyRecordProof(DumpJson(j), back), StatusIs(ErrorCode::kVerificationFailed));
  j = *ParseJson(proof);
  j["root"] = std::string(64, '0');
  EXPECT_THAT(VerifyRecordProof(DumpJson(j), back), StatusIs(ErrorCode::kVerificationFailed));
  j = *ParseJson(proof);
  j.erase("proof");
  EXPECT_THAT(VerifyRecordProof(DumpJson(j), back), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(VerifyRecordProof("[]", back), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(MakeRecordProof(d.path(), f, 10), StatusIs(ErrorCode::kInvalidArgument));

  // Poison record 3, delete record 8, append two.
  std::string lines = Lines(10, 3);
  std::string changed;
  int i = 0;
  for (size_t pos = 0; pos < lines.size();) {
    size_t nl = lines.find('\n', pos);
    if (i != 8) changed += lines.substr(pos, nl - pos + 1);
    pos = nl + 1;
    ++i;
  }
  changed += "{\"id\":100}\n{\"id\":101}\n";
  d.Write("train.jsonl", changed);
  ASSERT_OK_AND_ASSIGN(RecordFile a, HashRecordFile(d.path(), "train.jsonl", RecordFormat::kJsonl));
  RecordDiff diff = DiffRecords(f, a);
  EXPECT_THAT(diff.changed, ElementsAre(3u));
  EXPECT_THAT(diff.removed, ElementsAre(8u));      // index in the signed file
  EXPECT_THAT(diff.added, ElementsAre(9u, 10u));   // indices in the actual file
  EXPECT_EQ(diff.signed_records, 10u);
  EXPECT_EQ(diff.actual_records, 11u);
  // The proof for the poisoned record no longer verifies against the file.
  EXPECT_THAT(MakeRecordProof(d.path(), f, 3), StatusIs(ErrorCode::kVerificationFailed));
}

TEST(RecordDiffTest, PureRemovalAndAddition) {
  RecordFile s, a;
  for (int i = 0; i < 5; ++i) s.leaves.push_back(LeafHash(AsBytes(fmt::format("r{}", i))));
  a.leaves = s.leaves;
  a.leaves.erase(a.leaves.begin() + 1);
  RecordDiff d = DiffRecords(s, a);
  EXPECT_THAT(d.removed, ElementsAre(1u));
  EXPECT_TRUE(d.changed.empty());
  EXPECT_TRUE(d.added.empty());
  RecordDiff back = DiffRecords(a, s);
  EXPECT_THAT(back.added, ElementsAre(1u));
  EXPECT_TRUE(DiffRecords(s, s).empty());
}

TEST(RecordManifestTest, RejectsMalformed) {
  RecordFile f;
  f.path = "a.jsonl";
  f.leaves = {LeafHash(AsBytes("x")), LeafHash(AsBytes("y"))};
  f.root = MerkleRoot(f.leaves);
  RecordManifest m;
  m.files.push_back(f);
  nlohmann::json good = *ParseJson(SerializeRecordManifest(m));
  auto mut = [&](const std::function<void(nlohmann::json&)>& fn) {
    nlohmann::json j = good;
    fn(j);
    return ParseRecordManifest(DumpJson(j));
  };
  using J = nlohmann::json;
  EXPECT_OK(mut([](J&) {}));
  EXPECT_THAT(mut([](J& j) { j["version"] = "v2"; }), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(mut([](J& j) { j["hash"] = "md5"; }), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(mut([](J& j) { j["extra"] = 1; }), StatusIs(ErrorCode::kMalformed, HasSubstr("unknown")));
  EXPECT_THAT(mut([](J& j) { j["files"] = 1; }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["x"] = 1; }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["path"] = "../a"; }), StatusIs(ErrorCode::kMalformed, HasSubstr("escapes")));
  EXPECT_THAT(mut([](J& j) { j["files"].push_back(j["files"][0]); }), StatusIs(ErrorCode::kMalformed, HasSubstr("duplicate")));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["records"] = 3; }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["records"] = 1ull << 40; }), StatusIs(ErrorCode::kLimitExceeded));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["root"] = std::string(64, 'a'); }), StatusIs(ErrorCode::kMalformed, HasSubstr("does not match")));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["root"] = "zz"; }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(mut([](J& j) { j["files"][0]["format"] = "xml"; }), StatusIs(ErrorCode::kUnsupported));
  EXPECT_THAT(mut([](J& j) { j["files"][0].erase("leaves"); }), StatusIs(ErrorCode::kMalformed));
  EXPECT_THAT(ParseRecordManifest("not json"), StatusIs(ErrorCode::kMalformed));
}


// Every member of a record manifest and of a record proof replaced by a value
// of each JSON type, or removed: a Status (never a throw), and the same kinds
// of error as for a missing member.
TEST(RecordManifestTest, WrongTypesGiveStatusNotExceptions) {
  TempDir d;
  d.Write("train.jsonl", Lines(5));
  d.Write("b.csv", "a,b\n1,2\n");
  ASSERT_OK_AND_ASSIGN(RecordFile f, HashRecordFile(d.path(), "train.jsonl", RecordFormat::kJsonl));
  ASSERT_OK_AND_ASSIGN(RecordFile g, HashRecordFile(d.path(), "b.csv", RecordFormat::kCsv));
  RecordManifest m;
  m.files = {f, g};
  nlohmann::json manifest = *ParseJson(SerializeRecordManifest(m));
  auto ok_code = [](ErrorCode c) {
    return c == ErrorCode::kMalformed || c == ErrorCode::kUnsupported ||
           c == ErrorCode::kLimitExceeded;
  };
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(manifest, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    Result<RecordManifest> r = Status::Ok();
    EXPECT_NO_THROW(r = ParseRecordManifest(DumpJson(j))) << where;
    if (!r.ok()) {
      EXPECT_TRUE(ok_code(r.status().code())) << where << ": " << r.status().ToString();
    }
  });
  EXPECT_GT(n, 200u);

  ASSERT_OK_AND_ASSIGN(std::string proof, MakeRecordProof(d.path(), f, 3));
  ::mats::testing::ForEachJsonMutation(*ParseJson(proof), [&](const std::string& where,
                                                              const nlohmann::json& j) {
    Result<std::string> r = Status::Ok();
    EXPECT_NO_THROW(r = VerifyRecordProof(DumpJson(j), m)) << where;
    if (!r.ok()) {
      EXPECT_TRUE(r.status().code() == ErrorCode::kMalformed ||
                  r.status().code() == ErrorCode::kVerificationFailed)
          << where << ": " << r.status().ToString();
    }
  });
}

}  // namespace
}  // namespace mats::hash
