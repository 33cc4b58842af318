#include "mats/tlog/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "mats/tlog/audit.h"
#include "mats/tlog/entry.h"
#include "mats/tlog/sqlite_storage.h"
#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr char kOrigin[] = "example.com/test-log";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mats-tlog-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Bytes MakeEntry(uint64_t i) {
  LogEntry e;
  e.type = EventType::kUpload;
  e.subject = {"acme", "model", "v" + std::to_string(i)};
  Bytes d(32, 0);
  for (size_t k = 0; k < 8; ++k) d[k] = static_cast<uint8_t>(i >> (8 * k));
  e.digests.push_back({DigestRole::kArtifact, DigestAlgorithm::kSha256, d});
  e.actor = "tok-1";
  e.timestamp_ms = 1763900000000 + i;
  return *EncodeEntry(e);
}

std::unique_ptr<NoteSigner> Signer() {
  return std::move(Ed25519NoteSigner::FromSeed(kOrigin, Bytes(32, 3))).value();
}

std::unique_ptr<NoteVerifier> Verifier() {
  auto s = Ed25519NoteSigner::FromSeed(kOrigin, Bytes(32, 3));
  return std::move(Ed25519NoteVerifier::FromPublicKey(kOrigin, (*s)->public_key())).value();
}

LogOptions Options(std::chrono::milliseconds interval = 20ms) {
  LogOptions o;
  o.origin = kOrigin;
  o.checkpoint_interval = interval;
  return o;
}

Result<std::unique_ptr<Log>> OpenLog(const std::string& dir, LogOptions o = Options()) {
  MATS_ASSIGN_OR_RETURN(auto storage, OpenSqliteStorage(dir));
  return Log::Open(std::move(storage), Signer(), std::move(o));
}

void AppendMany(Log& log, uint64_t first, uint64_t n) {
  std::vector<std::future<Result<uint64_t>>> fs;
  for (uint64_t i = 0; i < n; ++i) fs.push_back(log.AppendAsync(MakeEntry(first + i)));
  for (uint64_t i = 0; i < n; ++i) {
    Result<uint64_t> r = fs[i].get();
    ASSERT_THAT(r, IsOk());
    ASSERT_EQ(*r, first + i);
  }
}

// ---------------------------------------------------------------- storage

TEST(SqliteStorageTest, EntriesTilesCheckpoint) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto st, OpenSqliteStorage(dir.path() + "/new/sub"));
  ASSERT_OK_AND_ASSIGN(LogState s, st->LoadState());
  EXPECT_EQ(s.next_index, 0u);
  EXPECT_FALSE(s.checkpoint.has_value());
  std::vector<Bytes> entries = {{1}, {2, 2}, {3, 3, 3}};
  std::vector<Hash> leaves;
  for (const Bytes& e : entries) leaves.push_back(Hasher::HashLeaf(e));
  EXPECT_THAT(st->AppendEntries(1, entries, leaves), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(st->AppendEntries(0, entries, std::span(leaves).first(2)), StatusIs(ErrorCode::kInvalidArgument));
  ASSERT_THAT(st->AppendEntries(0, entries, leaves), IsOk());
  EXPECT_THAT(st->AppendEntries(0, entries, leaves), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("another writer")));
  ASSERT_OK_AND_ASSIGN(s, st->LoadState());
  EXPECT_EQ(s.next_index, 3u);
  ASSERT_OK_AND_ASSIGN(auto got, st->ReadEntries(1, 2));
  EXPECT_EQ(got[1], entries[2]);
  EXPECT_THAT(st->ReadEntries(2, 2), StatusIs(ErrorCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(uint64_t idx, st->FindLeafIndex(leaves[2]));
  EXPECT_EQ(idx, 2u);
  EXPECT_THAT(st->FindLeafIndex(Hash{}), StatusIs(ErrorCode::kNotFound));

  std::vector<Hash> hashes(256);
  for (size_t i = 0; i < hashes.size(); ++i) hashes[i][0] = static_cast<uint8_t>(i);
  std::vector<std::pair<TileId, Bytes>> partial = {
      {TileId::Hash(0, 0, 10), TileFromHashes(std::span(hashes).first(10))}};
  ASSERT_THAT(st->WriteTiles(partial), IsOk());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/new/sub/tile/0/000.p/10"));
  ASSERT_OK_AND_ASSIGN(Bytes t5, st->ReadHashTile(0, 0, 5));
  EXPECT_EQ(t5, TileFromHashes(std::span(hashes).first(5)));
  EXPECT_THAT(st->ReadHashTile(0, 0, 11), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(st->ReadHashTile(0, 1, 1), StatusIs(ErrorCode::kNotFound));
  std::vector<std::pair<TileId, Bytes>> wider = {
      {TileId::Hash(0, 0, 20), TileFromHashes(std::span(hashes).first(20))}};
  ASSERT_THAT(st->WriteTiles(wider), IsOk());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/new/sub/tile/0/000.p/10"));
  std::vector<std::pair<TileId, Bytes>> full = {{TileId::Hash(0, 0), TileFromHashes(hashes)}};
  ASSERT_THAT(st->WriteTiles(full), IsOk());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/new/sub/tile/0/000.p"));
  ASSERT_OK_AND_ASSIGN(Bytes t256, st->ReadHashTile(0, 0, 256));
  EXPECT_EQ(t256.size(), 8192u);
  std::vector<std::pair<TileId, Bytes>> bad = {{TileId::Hash(0, 1, 3), Bytes(95)}};
  EXPECT_THAT(st->WriteTiles(bad), StatusIs(ErrorCode::kInvalidArgument));

  StoredCheckpoint cp{3, Hash{}, "note\n"};
  EXPECT_THAT(st->StoreCheckpoint(1, cp), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("compare-and-swap")));
  ASSERT_THAT(st->StoreCheckpoint(0, cp), IsOk());
  EXPECT_THAT(st->StoreCheckpoint(0, cp), StatusIs(ErrorCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(s, st->LoadState());
  ASSERT_TRUE(s.checkpoint.has_value());
  EXPECT_EQ(s.checkpoint->size, 3u);
  EXPECT_EQ(s.checkpoint->note, "note\n");

  // Truncated tile file -> kMalformed naming it.
  {
    std::ofstream f(dir.path() + "/new/sub/tile/0/000", std::ios::trunc | std::ios::binary);
    f << "short";
  }
  EXPECT_THAT(st->ReadHashTile(0, 0, 4), StatusIs(ErrorCode::kMalformed, HasSubstr("tile/0/000")));

  // Read-only storage refuses writes.
  st.reset();
  SqliteStorageOptions ro;
  ro.read_only = true;
  ASSERT_OK_AND_ASSIGN(auto rst, OpenSqliteStorage(dir.path() + "/new/sub", ro));
  EXPECT_THAT(rst->AppendEntries(3, entries, leaves), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(rst->WriteTiles(partial), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(rst->StoreCheckpoint(3, cp), StatusIs(ErrorCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(s, rst->LoadState());
  EXPECT_EQ(s.next_index, 3u);
}

TEST(SqliteStorageTest, OpenErrors) {
  TempDir dir;
  std::string file = dir.path() + "/file";
  { std::ofstream(file) << "x"; }
  EXPECT_THAT(OpenSqliteStorage(file), StatusIs(ErrorCode::kIo));
  EXPECT_THAT(OpenSqliteStorage(""), StatusIs(ErrorCode::kInvalidArgument));
  SqliteStorageOptions ro;
  ro.read_only = true;
  EXPECT_THAT(OpenSqliteStorage(dir.path() + "/missing", ro), StatusIs(ErrorCode::kNotFound));
  std::filesystem::create_directories(dir.path() + "/notdb");
  { std::ofstream(dir.path() + "/notdb/log.db") << std::string(4096, 'z'); }
  EXPECT_THAT(OpenSqliteStorage(dir.path() + "/notdb"), StatusIs(ErrorCode::kMalformed));
}

// ---------------------------------------------------------------- log

TEST(LogTest, AppendIntegrateProve) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
  EXPECT_EQ(log->LatestCheckpoint().size, 0u);
  auto v = Verifier();
  ASSERT_THAT(OpenCheckpoint(log->LatestCheckpoint().note, *v, {}), IsOk());
  constexpr uint64_t kN = 700;
  AppendMany(*log, 0, kN);
  EXPECT_EQ(log->sequenced_size(), kN);
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->WaitForCheckpoint(kN, 10s));
  EXPECT_EQ(cp.size, kN);
  ASSERT_OK_AND_ASSIGN(SignedCheckpoint sc, OpenCheckpoint(cp.note, *v, {}));
  EXPECT_EQ(sc.checkpoint.size, kN);
  EXPECT_EQ(sc.checkpoint.root, cp.root);
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kN; ++i) leaves.push_back(Hasher::HashLeaf(MakeEntry(i)));
  EXPECT_EQ(cp.root, RootFromLeafHashes(leaves));
  for (uint64_t i : {0ull, 1ull, 255ull, 256ull, 511ull, 699ull}) {
    ASSERT_OK_AND_ASSIGN(auto proof, log->InclusionProof(i, kN));
    EXPECT_THAT(VerifyInclusion(i, kN, leaves[i], proof, cp.root), IsOk());
    ASSERT_OK_AND_ASSIGN(auto by_hash, log->InclusionProofByLeafHash(leaves[i], kN));
    EXPECT_EQ(by_hash.first, i);
    EXPECT_EQ(by_hash.second, proof);
  }
  for (uint64_t m : {0ull, 1ull, 256ull, 300ull, 699ull, 700ull}) {
    ASSERT_OK_AND_ASSIGN(auto proof, log->ConsistencyProof(m, kN));
    Hash old_root = RootFromLeafHashes(std::span(leaves).first(m));
    EXPECT_THAT(VerifyConsistency(m, kN, proof, old_root, cp.root), IsOk()) << m;
    ASSERT_OK_AND_ASSIGN(Hash r, log->RootAt(m));
    EXPECT_EQ(r, old_root);
  }
  EXPECT_THAT(log->InclusionProof(0, kN + 1), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(log->InclusionProof(kN, kN), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(log->InclusionProofByLeafHash(Hash{}, kN), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->ConsistencyProof(5, kN + 1), StatusIs(ErrorCode::kInvalidArgument));
  // Every tile of the checkpoint is served, and nothing beyond it.
  for (const TileId& id : TilesForSize(kN, true)) {
    ASSERT_THAT(log->ReadTile(id), IsOk()) << TilePath(id);
  }
  ASSERT_OK_AND_ASSIGN(Bytes bundle, log->ReadTile(TileId::Entries(2, 188)));
  ASSERT_OK_AND_ASSIGN(auto views, ParseEntryBundle(bundle, 188));
  EXPECT_EQ(Bytes(views[0].begin(), views[0].end()), MakeEntry(512));
  EXPECT_THAT(log->ReadTile(TileId::Hash(0, 2, 189)), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->ReadTile(TileId::Hash(0, 2)), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->ReadTile(TileId::Entries(2, 189)), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->ReadTile(TileId::Hash(1, 0, 3)), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->ReadTile(TileId::Hash(0, 0, 0)), StatusIs(ErrorCode::kInvalidArgument));
  // Narrower partial widths are served as prefixes.
  ASSERT_OK_AND_ASSIGN(Bytes narrow, log->ReadTile(TileId::Hash(0, 2, 5)));
  EXPECT_EQ(narrow, TileFromHashes(std::span(leaves).subspan(512, 5)));
  ASSERT_OK_AND_ASSIGN(Bytes e5, log->ReadEntry(5));
  EXPECT_EQ(e5, MakeEntry(5));
  EXPECT_THAT(log->ReadEntry(kN), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(log->health(), IsOk());
  // The audit of the whole log passes.
  ASSERT_OK_AND_ASSIGN(AuditReport report, AuditLog(*log, sc.checkpoint));
  EXPECT_THAT(report.status, IsOk());
  EXPECT_EQ(report.entries_checked, kN);
}

TEST(LogTest, RejectsBadAppendsAndOptions) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
  EXPECT_THAT(log->Append(Bytes{}), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(log->Append(Bytes(kMaxEntryBytes + 1, 1)), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(log->Append(Bytes{1, 2, 3}), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a valid log entry")));
  log.reset();
  LogOptions raw = Options();
  raw.require_mats_entries = false;
  ASSERT_OK_AND_ASSIGN(log, OpenLog(dir.path(), raw));
  EXPECT_THAT(log->Append(Bytes{1, 2, 3}), IsOk());
  ASSERT_THAT(log->WaitForCheckpoint(1, 10s), IsOk());
  log.reset();
  LogOptions wrong = Options();
  wrong.origin = "other.example/log";
  EXPECT_THAT(OpenLog(dir.path(), wrong), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("signer key name")));
  LogOptions zero = Options();
  zero.max_batch_entries = 0;
  EXPECT_THAT(OpenLog(dir.path(), zero), StatusIs(ErrorCode::kInvalidArgument));
  LogOptions ext = Options();
  ext.checkpoint_extensions = {""};
  EXPECT_THAT(OpenLog(dir.path(), ext), StatusIs(ErrorCode::kInvalidArgument));
  // Read-only log: no signer.
  ASSERT_OK_AND_ASSIGN(auto st, OpenSqliteStorage(dir.path()));
  ASSERT_OK_AND_ASSIGN(auto ro, Log::Open(std::move(st), nullptr, Options()));
  EXPECT_EQ(ro->LatestCheckpoint().size, 1u);
  EXPECT_THAT(ro->Append(MakeEntry(1)), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ro->IntegrateNow(), StatusIs(ErrorCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(Bytes e, ro->ReadEntry(0));
  EXPECT_EQ(e, (Bytes{1, 2, 3}));
}

TEST(LogTest, RecoversUnintegratedEntriesAndGrowsConsistently) {
  TempDir dir;
  std::vector<StoredCheckpoint> seen;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
    AppendMany(*log, 0, 300);
    ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->WaitForCheckpoint(300, 10s));
    seen.push_back(cp);
  }
  {
    // Long interval: entries are sequenced (durable) but not integrated
    // before the log is closed.
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path(), Options(1h)));
    AppendMany(*log, 300, 213);
    EXPECT_EQ(log->LatestCheckpoint().size, 300u);
  }
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
  StoredCheckpoint cp = log->LatestCheckpoint();
  EXPECT_EQ(cp.size, 513u);  // integrated at Open
  seen.push_back(cp);
  AppendMany(*log, 513, 1);
  ASSERT_OK_AND_ASSIGN(cp, log->WaitForCheckpoint(514, 10s));
  seen.push_back(cp);
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 514; ++i) leaves.push_back(Hasher::HashLeaf(MakeEntry(i)));
  EXPECT_EQ(cp.root, RootFromLeafHashes(leaves));
  for (size_t a = 0; a < seen.size(); ++a) {
    for (size_t b = a; b < seen.size(); ++b) {
      ASSERT_OK_AND_ASSIGN(auto proof, log->ConsistencyProof(seen[a].size, seen[b].size));
      EXPECT_THAT(VerifyConsistency(seen[a].size, seen[b].size, proof, seen[a].root, seen[b].root), IsOk());
    }
  }
}

TEST(LogTest, ConcurrentAppendersGetUniqueIndices) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
  constexpr int kThreads = 4;
  constexpr int kPer = 100;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        Result<uint64_t> r = log->Append(MakeEntry(static_cast<uint64_t>(t * kPer + i)));
        if (r.ok()) got[static_cast<size_t>(t)].push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), size_t{kThreads * kPer});
  EXPECT_EQ(*all.rbegin(), uint64_t{kThreads * kPer - 1});
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->WaitForCheckpoint(kThreads * kPer, 10s));
  ASSERT_OK_AND_ASSIGN(ParsedNote note, ParseNote(cp.note));
  ASSERT_OK_AND_ASSIGN(Checkpoint parsed, ParseCheckpoint(note.text));
  ASSERT_OK_AND_ASSIGN(auto report, AuditLog(*log, parsed));
  EXPECT_THAT(report.status, IsOk());
}

TEST(LogTest, ConcurrentReadsDuringAppendsVerify) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path(), Options(5ms)));
  constexpr uint64_t kN = 600;
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kN; ++i) leaves.push_back(Hasher::HashLeaf(MakeEntry(i)));
  std::atomic<bool> done{false};
  std::atomic<int> verified{0};
  std::atomic<int> failures{0};
  std::thread reader([&] {
    uint64_t k = 0;
    while (!done.load()) {
      StoredCheckpoint cp = log->LatestCheckpoint();
      if (cp.size == 0) continue;
      uint64_t i = (k++ * 7919) % cp.size;
      auto proof = log->InclusionProof(i, cp.size);
      if (!proof.ok() || !VerifyInclusion(i, cp.size, leaves[i], *proof, cp.root).ok()) ++failures;
      auto tile = log->ReadTile(TileId::Hash(0, 0, static_cast<uint32_t>(std::min<uint64_t>(cp.size, 256))));
      if (!tile.ok()) ++failures;
      ++verified;
    }
  });
  for (uint64_t first = 0; first < kN; first += 100) {
    AppendMany(*log, first, 100);
    ASSERT_THAT(log->WaitForCheckpoint(first + 100, 10s), IsOk());
  }
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (verified.load() < 10 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(verified.load(), 0);
}

// A LogStorage wrapper that fails on demand.
class FaultyStorage : public LogStorage {
 public:
  explicit FaultyStorage(std::unique_ptr<LogStorage> inner) : inner_(std::move(inner)) {}
  Result<LogState> LoadState() override { return inner_->LoadState(); }
  Status AppendEntries(uint64_t first, std::span<const Bytes> e, std::span<const Hash> l) override {
    entered = true;
    while (block.load()) std::this_thread::sleep_for(1ms);
    if (fail_appends) return IoError("tlog: sqlite: database or disk is full");
    return inner_->AppendEntries(first, e, l);
  }
  Result<std::vector<Bytes>> ReadEntries(uint64_t b, uint64_t c) override { return inner_->ReadEntries(b, c); }
  Result<uint64_t> FindLeafIndex(const Hash& h) override { return inner_->FindLeafIndex(h); }
  Status WriteTiles(std::span<const std::pair<TileId, Bytes>> t) override {
    if (fail_tiles) return IoError("tlog: write tile: No space left on device");
    if (corrupt_tiles) {
      std::vector<std::pair<TileId, Bytes>> bad(t.begin(), t.end());
      for (auto& [id, data] : bad) data[0] ^= 1;
      return inner_->WriteTiles(bad);
    }
    return inner_->WriteTiles(t);
  }
  Result<Bytes> ReadHashTile(uint8_t l, uint64_t i, uint32_t w) override { return inner_->ReadHashTile(l, i, w); }
  Status StoreCheckpoint(uint64_t prev, const StoredCheckpoint& cp) override {
    return inner_->StoreCheckpoint(prev, cp);
  }
  std::atomic<bool> block{false};
  std::atomic<bool> entered{false};
  std::atomic<bool> fail_appends{false};
  std::atomic<bool> fail_tiles{false};
  std::atomic<bool> corrupt_tiles{false};

 private:
  std::unique_ptr<LogStorage> inner_;
};

TEST(LogTest, StorageFailuresGiveClearErrorsNeverAWrongTree) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto inner, OpenSqliteStorage(dir.path()));
  auto faulty = std::make_unique<FaultyStorage>(std::move(inner));
  FaultyStorage* f = faulty.get();
  ASSERT_OK_AND_ASSIGN(auto log, Log::Open(std::move(faulty), Signer(), Options(1h)));
  AppendMany(*log, 0, 10);
  f->fail_appends = true;
  EXPECT_THAT(log->Append(MakeEntry(10)), StatusIs(ErrorCode::kIo, HasSubstr("disk is full")));
  f->fail_appends = false;
  ASSERT_OK_AND_ASSIGN(uint64_t idx, log->Append(MakeEntry(10)));
  EXPECT_EQ(idx, 10u);
  f->fail_tiles = true;
  EXPECT_THAT(log->IntegrateNow(), StatusIs(ErrorCode::kIo, HasSubstr("No space")));
  EXPECT_THAT(log->health(), StatusIs(ErrorCode::kIo));
  EXPECT_EQ(log->LatestCheckpoint().size, 0u);
  // Degraded: appends are refused (not sequenced) naming the cause.
  EXPECT_THAT(log->Append(MakeEntry(11)),
              StatusIs(ErrorCode::kIo, AllOf(HasSubstr("refusing appends"), HasSubstr("No space"))));
  EXPECT_EQ(log->sequenced_size(), 11u);
  f->fail_tiles = false;
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->IntegrateNow());
  EXPECT_EQ(cp.size, 11u);
  EXPECT_THAT(log->health(), IsOk());
  // Tiles that do not read back correctly: refuse to sign, refuse writes.
  AppendMany(*log, 11, 3);
  f->corrupt_tiles = true;
  EXPECT_THAT(log->IntegrateNow(), StatusIs(ErrorCode::kVerificationFailed, HasSubstr("refusing to sign")));
  EXPECT_THAT(log->health(), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(log->Append(MakeEntry(14)), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_EQ(log->LatestCheckpoint().size, 11u);
}

// With the integrator thread running: once a tile write fails the log stops
// acknowledging appends (instead of sequencing entries no checkpoint can
// cover), signs nothing, keeps serving reads, and accepts appends again once
// an integration retry succeeds. Every checkpoint signed verifies against the
// stored tiles and is consistent with the one before.
TEST(LogTest, TileWriteFailureRefusesAppendsUntilIntegrationRecovers) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto inner, OpenSqliteStorage(dir.path()));
  auto faulty = std::make_unique<FaultyStorage>(std::move(inner));
  FaultyStorage* f = faulty.get();
  ASSERT_OK_AND_ASSIGN(auto log, Log::Open(std::move(faulty), Signer(), Options(5ms)));
  AppendMany(*log, 0, 20);
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp20, log->WaitForCheckpoint(20, 10s));
  EXPECT_EQ(cp20.size, 20u);
  f->fail_tiles = true;
  // Acknowledged before the integrator notices: durable, not yet covered.
  ASSERT_OK_AND_ASSIGN(uint64_t idx, log->Append(MakeEntry(20)));
  EXPECT_EQ(idx, 20u);
  // The integrator fails within a few intervals; from then on appends fail.
  Status refused;
  uint64_t next = 21;
  for (int i = 0; i < 2000 && refused.ok(); ++i) {
    Result<uint64_t> r = log->Append(MakeEntry(next));
    if (r.ok()) {
      ++next;
      std::this_thread::sleep_for(1ms);
    } else {
      refused = r.status();
    }
  }
  EXPECT_THAT(refused, StatusIs(ErrorCode::kIo, AllOf(HasSubstr("refusing appends"), HasSubstr("No space"))));
  EXPECT_THAT(log->health(), StatusIs(ErrorCode::kIo, HasSubstr("No space")));
  uint64_t sequenced = log->sequenced_size();
  EXPECT_EQ(sequenced, next);
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(log->Append(MakeEntry(next)), StatusIs(ErrorCode::kIo, HasSubstr("refusing appends")));
  }
  EXPECT_EQ(log->sequenced_size(), sequenced);
  // Nothing beyond the last good tiles was signed; reads keep working.
  std::this_thread::sleep_for(30ms);
  StoredCheckpoint stuck = log->LatestCheckpoint();
  EXPECT_EQ(stuck.size, 20u);
  EXPECT_EQ(stuck.note, cp20.note);
  ASSERT_OK_AND_ASSIGN(Bytes e0, log->ReadEntry(0));
  EXPECT_EQ(e0, MakeEntry(0));
  ASSERT_OK_AND_ASSIGN(auto proof, log->InclusionProof(3, 20));
  EXPECT_THAT(VerifyInclusion(3, 20, Hasher::HashLeaf(MakeEntry(3)), proof, cp20.root), IsOk());
  // Storage comes back: a retry integrates every acknowledged entry.
  f->fail_tiles = false;
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->WaitForCheckpoint(sequenced, 10s));
  EXPECT_EQ(cp.size, sequenced);
  EXPECT_THAT(log->health(), IsOk());
  ASSERT_OK_AND_ASSIGN(auto cons, log->ConsistencyProof(20, cp.size));
  EXPECT_THAT(VerifyConsistency(20, cp.size, cons, cp20.root, cp.root), IsOk());
  ASSERT_OK_AND_ASSIGN(uint64_t again, log->Append(MakeEntry(sequenced)));
  EXPECT_EQ(again, sequenced);
  log.reset();
  // A restart verifies the stored tiles against the last signed checkpoint.
  ASSERT_OK_AND_ASSIGN(auto reopened, OpenLog(dir.path()));
  EXPECT_EQ(reopened->LatestCheckpoint().size, sequenced + 1);
}

TEST(LogTest, BackPressureAndBatchDelay) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto inner, OpenSqliteStorage(dir.path()));
  auto faulty = std::make_unique<FaultyStorage>(std::move(inner));
  FaultyStorage* f = faulty.get();
  LogOptions o = Options(1h);
  o.max_pending_entries = 1;
  o.max_batch_delay = std::chrono::microseconds(2000);
  ASSERT_OK_AND_ASSIGN(auto log, Log::Open(std::move(faulty), Signer(), o));
  f->block = true;
  auto first = log->AppendAsync(MakeEntry(0));
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!f->entered.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  ASSERT_TRUE(f->entered.load());
  auto second = log->AppendAsync(MakeEntry(1));  // queued behind the blocked commit
  EXPECT_THAT(log->Append(MakeEntry(2)),
              StatusIs(ErrorCode::kLimitExceeded, HasSubstr("max_pending_entries=1")));
  f->block = false;
  EXPECT_THAT(first.get(), ::mats::testing::IsOkAndHolds(0u));
  EXPECT_THAT(second.get(), ::mats::testing::IsOkAndHolds(1u));
  ASSERT_OK_AND_ASSIGN(StoredCheckpoint cp, log->IntegrateNow());
  EXPECT_EQ(cp.size, 2u);
}

std::string EdgeTilePath(const std::string& dir, uint64_t size) {
  return dir + "/" + TilePath(TileId::Hash(0, size / 256, static_cast<uint32_t>(size % 256)));
}

void FlipFileByte(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 1));
}

void CorruptEntryRow(const std::string& dir, uint64_t index) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/log.db").c_str(), &db), SQLITE_OK);
  std::string sql = "UPDATE entries SET data = substr(data, 1, length(data) - 1) || x'ff' WHERE idx = " +
                    std::to_string(index);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

TEST(LogTest, CorruptEdgeTileRefusesToOpen) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
    AppendMany(*log, 0, 300);
    ASSERT_THAT(log->WaitForCheckpoint(300, 10s), IsOk());
  }
  FlipFileByte(EdgeTilePath(dir.path(), 300), 40);
  EXPECT_THAT(OpenLog(dir.path()),
              StatusIs(ErrorCode::kVerificationFailed, HasSubstr("tile/0/001.p/44")));
}

TEST(LogTest, CorruptEntryRowRefusesToOpen) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
    AppendMany(*log, 0, 300);
    ASSERT_THAT(log->WaitForCheckpoint(300, 10s), IsOk());
  }
  CorruptEntryRow(dir.path(), 290);
  EXPECT_THAT(OpenLog(dir.path()), StatusIs(ErrorCode::kVerificationFailed, HasSubstr("entry 290")));
}

TEST(LogTest, MissingTileRefusesToOpen) {
  TempDir dir;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
    AppendMany(*log, 0, 10);
    ASSERT_THAT(log->WaitForCheckpoint(10, 10s), IsOk());
  }
  std::filesystem::remove(EdgeTilePath(dir.path(), 10));
  EXPECT_THAT(OpenLog(dir.path()), StatusIs(ErrorCode::kVerificationFailed, HasSubstr("tile/0/000.p/10")));
}

TEST(AuditTest, PinpointsCorruptEntryAndTile) {
  TempDir dir;
  Checkpoint cp;
  {
    ASSERT_OK_AND_ASSIGN(auto log, OpenLog(dir.path()));
    AppendMany(*log, 0, 600);
    ASSERT_OK_AND_ASSIGN(StoredCheckpoint s, log->WaitForCheckpoint(600, 10s));
    cp = *ParseCheckpoint(ParseNote(s.note)->text);
  }
  ASSERT_OK_AND_ASSIGN(auto storage, OpenSqliteStorage(dir.path()));
  StorageTileReader tiles(*storage);
  ASSERT_OK_AND_ASSIGN(AuditReport ok, AuditLog(tiles, cp));
  EXPECT_THAT(ok.status, IsOk());
  EXPECT_EQ(ok.entries_checked, 600u);
  // Range audit.
  AuditOptions range;
  range.begin = 100;
  range.end = 300;
  ASSERT_OK_AND_ASSIGN(AuditReport r, AuditLog(tiles, cp, range));
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(r.entries_checked, 200u);
  AuditOptions bad_range;
  bad_range.begin = 10;
  bad_range.end = 601;
  EXPECT_THAT(AuditLog(tiles, cp, bad_range), StatusIs(ErrorCode::kInvalidArgument));
  // A corrupt entry row in a full tile: named as the entry.
  CorruptEntryRow(dir.path(), 77);
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("corrupt entry")));
  EXPECT_EQ(r.first_bad_entry, 77u);
  // A range that does not hold the bad entry is fine.
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, range));
  EXPECT_THAT(r.status, IsOk());
  range.begin = 50;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, range));
  EXPECT_EQ(r.first_bad_entry, 77u);
  range.begin = 256;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, range));
  EXPECT_THAT(r.status, IsOk());
  // A corrupt full tile: named as the tile.
  FlipFileByte(dir.path() + "/tile/0/001", 32 * 5);
  range.begin = 256;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, range));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("corrupt tile")));
  ASSERT_TRUE(r.first_bad_tile.has_value());
  EXPECT_EQ(TilePath(*r.first_bad_tile), "tile/0/001");
  // A corrupt upper tile.
  FlipFileByte(dir.path() + "/tile/0/001", 32 * 5);  // restore
  FlipFileByte(dir.path() + "/tile/1/000.p/2", 3);
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, range));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed));
  ASSERT_TRUE(r.first_bad_tile.has_value());
  EXPECT_EQ(TilePath(*r.first_bad_tile), "tile/1/000.p/2");
  // Wrong checkpoint root.
  FlipFileByte(dir.path() + "/tile/1/000.p/2", 3);  // restore
  Checkpoint wrong = cp;
  wrong.root[0] ^= 1;
  range.begin = 300;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, wrong, range));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("checkpoint says")));
  // Partial (right-edge) tile: a corrupt entry, then a corrupt tile.
  AuditOptions tail;
  tail.begin = 512;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, tail));
  EXPECT_THAT(r.status, IsOk());
  CorruptEntryRow(dir.path(), 590);
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, tail));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("corrupt entry")));
  EXPECT_EQ(r.first_bad_entry, 590u);
  FlipFileByte(dir.path() + "/tile/0/002.p/88", 32 * 3);
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, tail));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("corrupt tile")));
  ASSERT_TRUE(r.first_bad_tile.has_value());
  EXPECT_EQ(TilePath(*r.first_bad_tile), "tile/0/002.p/88");
  // An undecodable entry: kMalformed when decoding, a hash mismatch when not.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() + "/log.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE entries SET data = x'0102' WHERE idx = 5", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  AuditOptions head;
  head.end = 10;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, head));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kMalformed, HasSubstr("entry 5")));
  EXPECT_EQ(r.first_bad_entry, 5u);
  head.decode_entries = false;
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, cp, head));
  EXPECT_THAT(r.status, StatusIs(ErrorCode::kVerificationFailed, HasSubstr("corrupt entry")));
  EXPECT_EQ(r.first_bad_entry, 5u);
  // Empty tree.
  Checkpoint empty{kOrigin, 0, Hasher::EmptyRoot(), {}};
  ASSERT_OK_AND_ASSIGN(r, AuditLog(tiles, empty));
  EXPECT_THAT(r.status, IsOk());
}

}  // namespace
}  // namespace mats::tlog
