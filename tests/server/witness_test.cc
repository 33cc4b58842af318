#include "mats/server/witness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/tlog/checkpoint.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"
#include "server/http_client.h"
#include "testing/json_mutations.h"
#include "testing/status_matchers.h"

namespace mats::server {
namespace {

constexpr const char* kOrigin = "witness.test/log";

class WitnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/witness_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Bytes seed(32, 7);
    auto s = tlog::Ed25519NoteSigner::FromSeed(kOrigin, seed);
    ASSERT_TRUE(s.ok());
    log_signer_ = std::move(*s);
    Bytes wseed(32, 9);
    auto w = tlog::CosignatureSigner::FromSeed("witness.test/w1", wseed);
    ASSERT_TRUE(w.ok());
    witness_vkey_ = (*w)->VerifierKey();
    auto wit = Witness::Create(std::move(*w), {log_signer_->VerifierKey()}, dir_ + "/state.json");
    ASSERT_TRUE(wit.ok()) << wit.status().ToString();
    witness_ = std::move(*wit);
    for (int i = 0; i < 40; ++i) {
      std::string d = "entry " + std::to_string(i);
      leaves_.push_back(tlog::Hasher::HashLeaf(AsBytes(d)));
    }
  }

  std::string Note(uint64_t size, const tlog::NoteSigner* signer = nullptr, std::string origin = kOrigin) {
    tlog::Checkpoint cp;
    cp.origin = origin;
    cp.size = size;
    cp.root = tlog::RootFromLeafHashes(std::span<const tlog::Hash>(leaves_.data(), size));
    const tlog::NoteSigner* signers[] = {signer != nullptr ? signer : log_signer_.get()};
    auto n = tlog::SignNote(tlog::FormatCheckpoint(cp), signers);
    EXPECT_TRUE(n.ok());
    return *n;
  }

  std::string Body(uint64_t old, uint64_t size, bool with_proof = true) {
    std::string b = "old " + std::to_string(old) + "\n";
    if (with_proof && old != 0 && old != size) {
      tlog::LeafHashReader reader(std::span<const tlog::Hash>(leaves_.data(), size));
      auto p = tlog::ProveConsistency(old, size, reader);
      EXPECT_TRUE(p.ok());
      for (const tlog::Hash& h : *p) b += Base64Encode(ByteSpan(h.data(), h.size())) + "\n";
    }
    return b + "\n" + Note(size);
  }

  std::string dir_;
  std::unique_ptr<tlog::Ed25519NoteSigner> log_signer_;
  std::string witness_vkey_;
  std::unique_ptr<Witness> witness_;
  std::vector<tlog::Hash> leaves_;
};

TEST_F(WitnessTest, CosignsFirstCheckpointAndConsistentSuccessors) {
  WitnessAnswer a = witness_->AddCheckpoint(Body(0, 5));
  ASSERT_EQ(a.status, 200) << a.body;
  // The answer is a cosignature line that verifies against the witness key.
  std::string note = Note(5);
  auto with = tlog::AddSignatures(note, {});
  ASSERT_TRUE(with.ok());
  auto parsed = tlog::ParseNote("x\n\n" + a.body);
  ASSERT_TRUE(parsed.ok()) << a.body;
  ASSERT_EQ(parsed->signatures.size(), 1u);
  auto full = tlog::AddSignatures(note, parsed->signatures);
  ASSERT_TRUE(full.ok());
  auto lv = tlog::Ed25519NoteVerifier::FromVerifierKey(log_signer_->VerifierKey());
  auto wv = tlog::CosignatureVerifier::FromVerifierKey(witness_vkey_);
  ASSERT_TRUE(lv.ok() && wv.ok());
  const tlog::NoteVerifier* ws[] = {wv->get()};
  EXPECT_TRUE(tlog::OpenCheckpoint(*full, **lv, ws, 1).ok());
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 5u);

  EXPECT_EQ(witness_->AddCheckpoint(Body(5, 17)).status, 200);
  EXPECT_EQ(witness_->AddCheckpoint(Body(17, 17)).status, 200);  // same tree again
  EXPECT_EQ(witness_->AddCheckpoint(Body(17, 40)).status, 200);
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 40u);
}

TEST_F(WitnessTest, ConflictReturnsSizeWithContentType) {
  ASSERT_EQ(witness_->AddCheckpoint(Body(0, 8)).status, 200);
  WitnessAnswer a = witness_->AddCheckpoint(Body(0, 10));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "8\n");
  EXPECT_EQ(a.content_type, "text/x.tlog.size");
  a = witness_->AddCheckpoint(Body(3, 10));
  EXPECT_EQ(a.status, 409);
  EXPECT_EQ(a.body, "8\n");
}

TEST_F(WitnessTest, StatePersistsAcrossRestarts) {
  ASSERT_EQ(witness_->AddCheckpoint(Body(0, 8)).status, 200);
  Bytes wseed(32, 9);
  auto w = tlog::CosignatureSigner::FromSeed("witness.test/w1", wseed);
  ASSERT_TRUE(w.ok());
  auto again = Witness::Create(std::move(*w), {log_signer_->VerifierKey()}, dir_ + "/state.json");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->CosignedSize(kOrigin), 8u);
  EXPECT_EQ((*again)->AddCheckpoint(Body(0, 9)).status, 409);
  EXPECT_EQ((*again)->AddCheckpoint(Body(8, 9)).status, 200);
}

TEST_F(WitnessTest, RejectsWithSpecStatuses) {
  // Unknown origin: 404.
  {
    auto other = tlog::Ed25519NoteSigner::FromSeed("other.test/log", Bytes(32, 1));
    ASSERT_TRUE(other.ok());
    WitnessAnswer a = witness_->AddCheckpoint("old 0\n\n" + Note(3, other->get(), "other.test/log"));
    EXPECT_EQ(a.status, 404) << a.body;
  }
  // Right origin, wrong key: 403.
  {
    auto impostor = tlog::Ed25519NoteSigner::FromSeed(kOrigin, Bytes(32, 2));
    ASSERT_TRUE(impostor.ok());
    EXPECT_EQ(witness_->AddCheckpoint("old 0\n\n" + Note(3, impostor->get())).status, 403);
  }
  // old > size: 400.
  EXPECT_EQ(witness_->AddCheckpoint(Body(9, 4, false)).status, 400);
  // Malformed bodies: 400.
  for (std::string bad : {std::string(""), std::string("old\n\n"), std::string("old 01\n\n") + Note(3),
                          std::string("old 0\n") + Note(3), std::string("old 0\nnot-base64!\n\n") + Note(3),
                          std::string("old 0\n\nnot a note")}) {
    EXPECT_EQ(witness_->AddCheckpoint(bad).status, 400) << bad;
  }
  std::string many = "old 0\n";
  for (int i = 0; i < 64; ++i) many += Base64Encode(Bytes(32, 0)) + "\n";
  EXPECT_EQ(witness_->AddCheckpoint(many + "\n" + Note(3)).status, 400);
  // Non-empty proof with old = 0: 422.
  EXPECT_EQ(witness_->AddCheckpoint("old 0\n" + Base64Encode(Bytes(32, 0)) + "\n\n" + Note(3)).status, 422);
  ASSERT_EQ(witness_->AddCheckpoint(Body(0, 6)).status, 200);
  // Bad proof: 422, state unchanged.
  EXPECT_EQ(witness_->AddCheckpoint("old 6\n" + Base64Encode(Bytes(32, 0)) + "\n\n" + Note(12)).status, 422);
  EXPECT_EQ(witness_->AddCheckpoint(Body(6, 12, false)).status, 422);
  EXPECT_EQ(witness_->CosignedSize(kOrigin), 6u);
  // Same size, different root (a fork): 409.
  std::vector<tlog::Hash> saved = leaves_;
  leaves_[2][0] ^= 1;
  EXPECT_EQ(witness_->AddCheckpoint(Body(6, 6)).status, 409);
  // A proof from the fork does not verify either.
  EXPECT_EQ(witness_->AddCheckpoint(Body(6, 12)).status, 422);
  leaves_ = saved;
  EXPECT_EQ(witness_->AddCheckpoint(Body(6, 12)).status, 200);
}

TEST_F(WitnessTest, ConcurrentSubmissionsCosignEachSizeOnce) {
  // Many clients race from the same old size; the compare-and-swap lets
  // exactly one succeed per step, the others get 409.
  std::atomic<int> ok{0}, conflict{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      WitnessAnswer a = witness_->AddCheckpoint(Body(0, static_cast<uint64_t>(10 + t)));
      if (a.status == 200) ++ok;
      if (a.status == 409) ++conflict;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(conflict.load(), 7);
}

TEST_F(WitnessTest, ServesOverHttp) {
  ASSERT_OK_AND_ASSIGN(auto srv, WitnessServer::Start(*witness_, {}));
  ASSERT_OK_AND_ASSIGN(auto http, HttpClient::Create("http://127.0.0.1:" + std::to_string(srv->port())));
  ASSERT_OK_AND_ASSIGN(HttpResponse r, http->Post("/add-checkpoint", Body(0, 4), "text/plain"));
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("\xE2\x80\x94 witness.test/w1 ")) << r.body;
  ASSERT_OK_AND_ASSIGN(r, http->Post("/add-checkpoint", Body(0, 4), "text/plain"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.content_type, "text/x.tlog.size");
  EXPECT_EQ(r.body, "4\n");
  ASSERT_OK_AND_ASSIGN(r, http->Get("/add-checkpoint"));
  EXPECT_EQ(r.status / 100, 4);
  http.reset();  // close the keep-alive connection so Stop() returns at once
  srv->Stop();
}


// The state file is read back at start: every member replaced by a value of
// each JSON type, or removed, gives kMalformed (or loads), never a throw.
TEST_F(WitnessTest, WrongTypesInStateFileAreMalformed) {
  ASSERT_EQ(witness_->AddCheckpoint(Body(0, 8)).status, 200);
  auto text = ReadFileToString(dir_ + "/state.json", 1 << 20);
  ASSERT_TRUE(text.ok());
  auto doc = ParseJson(*text);
  ASSERT_TRUE(doc.ok());
  const std::string path = dir_ + "/mutated.json";
  size_t n = 0;
  ::mats::testing::ForEachJsonMutation(*doc, [&](const std::string& where, const nlohmann::json& j) {
    ++n;
    ASSERT_TRUE(WriteFileAtomic(path, DumpJson(j)).ok());
    auto w = tlog::CosignatureSigner::FromSeed("witness.test/w1", Bytes(32, 9));
    ASSERT_TRUE(w.ok());
    Result<std::unique_ptr<Witness>> r = Status::Ok();
    EXPECT_NO_THROW(r = Witness::Create(std::move(*w), {log_signer_->VerifierKey()}, path))
        << where;
    if (!r.ok()) {
      EXPECT_THAT(r.status(), ::mats::testing::StatusIs(ErrorCode::kMalformed)) << where;
    }
  });
  EXPECT_GT(n, 100u);
}

}  // namespace
}  // namespace mats::server
