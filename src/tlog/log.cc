#include "mats/tlog/log.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "mats/core/encoding.h"
#include "mats/core/log.h"
#include "mats/core/mutex.h"
#include "mats/tlog/entry.h"

namespace mats::tlog {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kLevels = kMaxTileLevel + 1;
constexpr size_t kMaxCachedTiles = 1024;  // per cache; ~8 MiB raw, ~16 MiB expanded
using Edges = std::array<std::vector<Hash>, kLevels>;

uint64_t PositionsAt(size_t tile_level, uint64_t size) {
  size_t shift = kTileHeight * tile_level;
  return shift >= 64 ? 0 : size >> shift;
}

// The right edge of the tree (the partial tile of every level) as tiles.
class EdgeTiles : public TileReader {
 public:
  EdgeTiles(const Edges& edges, uint64_t size) : edges_(edges), size_(size) {}
  Result<Bytes> ReadTile(const TileId& id) override {
    if (id.kind != TileKind::kHash || id.level >= kLevels) return NotFound("tlog: not an edge tile");
    const std::vector<Hash>& e = edges_[id.level];
    if (id.index != PositionsAt(id.level, size_) / kTileWidth || id.width > e.size()) {
      return NotFound("tlog: {} is not on the right edge", TilePath(id));
    }
    return TileFromHashes(std::span(e).first(id.width));
  }

 private:
  const Edges& edges_;
  uint64_t size_;
};

// Lets a condition_variable_any wait on a Mutex that a MutexLock holds: the
// wait releases and re-acquires it, invisibly to the thread-safety analysis,
// which correctly sees the mutex held before and after.
class CvLock {
 public:
  explicit CvLock(Mutex* mu) : mu_(mu) {}
  void lock() { mu_->native().lock(); }
  void unlock() { mu_->native().unlock(); }

 private:
  Mutex* mu_;
};

struct Pending {
  Bytes entry;
  Hash leaf;
  std::promise<Result<uint64_t>> promise;
};

}  // namespace

class Log::Impl {
 public:
  Impl(std::unique_ptr<LogStorage> storage, std::unique_ptr<NoteSigner> signer, LogOptions options)
      : storage_(std::move(storage)), signer_(std::move(signer)), opts_(std::move(options)) {}

  ~Impl() {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    seq_cv_.notify_all();
    int_cv_.notify_all();
    cp_cv_.notify_all();
    if (sequencer_.joinable()) sequencer_.join();
    if (integrator_.joinable()) integrator_.join();
  }

  Status Recover() {
    MATS_ASSIGN_OR_RETURN(LogState state, storage_->LoadState());
    StoredCheckpoint cp;
    bool have_cp = state.checkpoint.has_value();
    if (have_cp) {
      cp = *state.checkpoint;
      MATS_RETURN_IF_ERROR(CheckStoredCheckpoint(cp));
    } else {
      cp.size = 0;
      cp.root = Hasher::EmptyRoot();
    }
    if (state.next_index < cp.size) {
      return VerificationFailed(
          "tlog: storage holds {} entries but the checkpoint covers {}: entry rows are missing",
          state.next_index, cp.size);
    }
    // Load and verify the right edge against the checkpoint.
    Edges edges;
    for (size_t level = 0; level < kLevels; ++level) {
      uint64_t positions = PositionsAt(level, cp.size);
      if (positions == 0) break;
      auto width = static_cast<uint32_t>(positions % kTileWidth);
      if (width == 0) continue;
      TileId id = TileId::Hash(static_cast<uint8_t>(level), positions / kTileWidth, width);
      Result<Bytes> tile = storage_->ReadHashTile(id.level, id.index, width);
      if (!tile.ok()) {
        return Status(tile.status().code() == ErrorCode::kNotFound ? ErrorCode::kVerificationFailed
                                                                   : tile.status().code(),
                      fmt::format("tlog: cannot read tile {} of checkpoint size {}: {}; refusing to "
                                  "sign",
                                  TilePath(id), cp.size, tile.status().message()));
      }
      MATS_ASSIGN_OR_RETURN(edges[level], HashesFromTile(*tile, width));
    }
    if (cp.size > 0) {
      EdgeTiles edge_tiles(edges, cp.size);
      TileHashReader reader(edge_tiles, cp.size);
      Result<Hash> root = TreeRoot(cp.size, reader);
      bool tiles_ok = root.ok() && HashEqual(*root, cp.root);
      // The entries behind the level-0 edge tile must hash to it.
      uint64_t first = (cp.size / kTileWidth) * kTileWidth;
      if (!edges[0].empty()) {
        MATS_ASSIGN_OR_RETURN(std::vector<Bytes> entries, storage_->ReadEntries(first, edges[0].size()));
        for (size_t i = 0; i < entries.size(); ++i) {
          if (!HashEqual(Hasher::HashLeaf(entries[i]), edges[0][i])) {
            if (tiles_ok) {
              return VerificationFailed(
                  "tlog: entry {} does not hash to its leaf in tile {} (corrupt entry row); "
                  "refusing to sign",
                  first + i, TilePath(TileId::Hash(0, first / kTileWidth, static_cast<uint32_t>(edges[0].size()))));
            }
            return VerificationFailed(
                "tlog: tile {} does not match entry {} nor the checkpoint (corrupt tile); refusing to sign",
                TilePath(TileId::Hash(0, first / kTileWidth, static_cast<uint32_t>(edges[0].size()))),
                first + i);
          }
        }
      }
      if (!tiles_ok) {
        std::string names;
        for (size_t level = 0; level < kLevels; ++level) {
          if (edges[level].empty()) continue;
          if (!names.empty()) names += ", ";
          names += TilePath(TileId::Hash(static_cast<uint8_t>(level),
                                         PositionsAt(level, cp.size) / kTileWidth,
                                         static_cast<uint32_t>(edges[level].size())));
        }
        return VerificationFailed(
            "tlog: stored tiles [{}] do not hash to the checkpoint root {} at size {} (corrupt "
            "tile); refusing to sign",
            names, HashHex(cp.root), cp.size);
      }
    }
    // Sequenced but not integrated entries.
    std::vector<Hash> unintegrated;
    for (uint64_t i = cp.size; i < state.next_index;) {
      uint64_t n = std::min<uint64_t>(state.next_index - i, 4096);
      MATS_ASSIGN_OR_RETURN(std::vector<Bytes> entries, storage_->ReadEntries(i, n));
      for (const Bytes& e : entries) unintegrated.push_back(Hasher::HashLeaf(e));
      i += n;
    }
    {
      MutexLock il(&int_mu_);
      edges_ = std::move(edges);
    }
    {
      MutexLock lock(&mu_);
      checkpoint_ = cp;
      next_index_ = state.next_index;
      unintegrated_ = std::move(unintegrated);
    }
    if (signer_ == nullptr) {
      if (!have_cp) return NotFound("tlog: log has no checkpoint yet");
      return Status::Ok();
    }
    if (!have_cp) {
      // A new log: sign the empty tree.
      MATS_ASSIGN_OR_RETURN(std::string note, SignCheckpoint(0, Hasher::EmptyRoot()));
      StoredCheckpoint empty{0, Hasher::EmptyRoot(), std::move(note)};
      MATS_RETURN_IF_ERROR(storage_->StoreCheckpoint(0, empty));
      MutexLock lock(&mu_);
      checkpoint_ = std::move(empty);
    }
    MATS_ASSIGN_OR_RETURN(StoredCheckpoint now, IntegrateNow());
    (void)now;
    return Status::Ok();
  }

  void Start() {
    if (signer_ == nullptr) return;
    {
      MutexLock lock(&mu_);
      last_checkpoint_time_ = Clock::now();
    }
    sequencer_ = std::thread([this] { SequencerLoop(); });
    integrator_ = std::thread([this] { IntegratorLoop(); });
  }

  std::future<Result<uint64_t>> AppendAsync(Bytes entry) {
    std::promise<Result<uint64_t>> promise;
    std::future<Result<uint64_t>> future = promise.get_future();
    Status s = CheckEntry(entry);
    if (s.ok()) {
      Hash leaf = Hasher::HashLeaf(entry);
      MutexLock lock(&mu_);
      if (!sticky_.ok()) {
        s = sticky_;
      } else if (!integration_error_.ok()) {
        s = DegradedError();
      } else if (stopping_) {
        s = Internal("tlog: log closed");
      } else if (pending_.size() >= opts_.max_pending_entries) {
        s = LimitExceeded("tlog: {} appends pending, limit max_pending_entries={}", pending_.size(),
                          opts_.max_pending_entries);
      } else {
        pending_.push_back(Pending{std::move(entry), leaf, std::move(promise)});
      }
    }
    if (!s.ok()) {
      promise.set_value(s);
      return future;
    }
    seq_cv_.notify_one();
    return future;
  }

  StoredCheckpoint Latest() {
    MutexLock lock(&mu_);
    return checkpoint_;
  }

  uint64_t LatestSize() {
    MutexLock lock(&mu_);
    return checkpoint_.size;
  }

  Result<StoredCheckpoint> WaitForCheckpoint(uint64_t size, std::chrono::milliseconds timeout) {
    MutexLock lock(&mu_);
    CvLock cv_lock(&mu_);
    bool done = cp_cv_.wait_for(cv_lock, timeout, [&]() MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return checkpoint_.size >= size || !sticky_.ok() || stopping_;
    });
    if (!sticky_.ok()) return sticky_;
    if (!done || checkpoint_.size < size) {
      return NotFound("tlog: timed out waiting for a checkpoint of size {} (latest {})", size,
                      checkpoint_.size);
    }
    return checkpoint_;
  }

  Status Health() {
    MutexLock lock(&mu_);
    if (!sticky_.ok()) return sticky_;
    return integration_error_;
  }

  uint64_t SequencedSize() {
    MutexLock lock(&mu_);
    return next_index_;
  }

  Result<StoredCheckpoint> IntegrateNow() {
    if (signer_ == nullptr) return InvalidArgument("tlog: log opened without a signer (read-only)");
    MutexLock il(&int_mu_);
    std::vector<Hash> leaves;
    StoredCheckpoint old;
    {
      MutexLock lock(&mu_);
      if (!sticky_.ok()) return sticky_;
      leaves = unintegrated_;
      old = checkpoint_;
    }
    if (leaves.empty()) return old;
    bool fatal = false;
    Result<StoredCheckpoint> next = Integrate(old, leaves, &fatal);
    {
      MutexLock lock(&mu_);
      if (next.ok()) {
        checkpoint_ = *next;
        unintegrated_.erase(unintegrated_.begin(),
                            unintegrated_.begin() + static_cast<ptrdiff_t>(leaves.size()));
        integration_error_ = Status::Ok();
      } else {
        integration_error_ = next.status();
        if (fatal) sticky_ = next.status();
      }
      last_checkpoint_time_ = Clock::now();
    }
    cp_cv_.notify_all();
    return next;
  }

  Result<Bytes> ReadTile(const TileId& id) {
    if (id.width == 0 || id.width > kTileWidth) {
      return InvalidArgument("tlog: tile width {} not in 1..256", id.width);
    }
    uint64_t size = LatestSize();
    if (id.kind == TileKind::kHash) {
      Result<TileId> at = HashTileForSize(id.level, id.index, size);
      if (!at.ok() || at->width < id.width) {
        return NotFound("tlog: tile {} is beyond the checkpoint size {}", TilePath(id), size);
      }
    } else {
      uint64_t full = size / kTileWidth;
      if (!(id.index < full || (id.index == full && id.width <= size % kTileWidth))) {
        return NotFound("tlog: tile {} is beyond the checkpoint size {}", TilePath(id), size);
      }
    }
    {
      MutexLock lock(&cache_mu_);
      auto it = cache_.find(id);
      if (it != cache_.end()) return it->second;
    }
    StorageTileReader reader(*storage_);
    MATS_ASSIGN_OR_RETURN(Bytes data, reader.ReadTile(id));
    MutexLock lock(&cache_mu_);
    if (cache_.size() >= kMaxCachedTiles) cache_.clear();
    cache_.emplace(id, data);
    return data;
  }

  Result<Bytes> ReadEntry(uint64_t index) {
    uint64_t size = LatestSize();
    if (index >= size) return NotFound("tlog: entry {} is beyond the checkpoint size {}", index, size);
    MATS_ASSIGN_OR_RETURN(std::vector<Bytes> e, storage_->ReadEntries(index, 1));
    return std::move(e[0]);
  }

  Status CheckSize(uint64_t size) {
    uint64_t latest = LatestSize();
    if (size > latest) {
      return InvalidArgument("tlog: tree size {} is beyond the latest checkpoint size {}", size, latest);
    }
    return Status::Ok();
  }

  // A tile with all its interior nodes: levels[k] holds the hashes of the
  // complete subtrees of 2^k positions (levels[0] = the tile itself).
  struct ExpandedTile {
    std::array<std::vector<Hash>, kTileHeight> levels;
  };

  // Stored hashes for proofs, served from expanded tiles cached across calls
  // (full tiles never change; a partial tile is cached under its width).
  class CachedHashReader : public HashReader {
   public:
    CachedHashReader(Impl& impl, uint64_t size) : impl_(impl), size_(size) {}
    Result<Hash> ReadHash(uint8_t level, uint64_t index) override {
      if (level >= 64) return NotFound("tlog: no stored hash at level {}", level);
      size_t tile_level = level / kTileHeight;
      uint32_t sub = level % kTileHeight;
      if (index >= (PositionsAt(tile_level, size_) >> sub)) {
        return NotFound("tlog: stored hash ({}, {}) is beyond tree size {}", level, index, size_);
      }
      uint64_t first = index << sub;
      MATS_ASSIGN_OR_RETURN(TileId id, HashTileForSize(static_cast<uint8_t>(tile_level),
                                                       first / kTileWidth, size_));
      MATS_ASSIGN_OR_RETURN(std::shared_ptr<const ExpandedTile> tile, impl_.Expanded(id));
      uint64_t pos = (first % kTileWidth) >> sub;
      const std::vector<Hash>& row = tile->levels[sub];
      if (pos >= row.size()) return Internal("tlog: tile {} too short", TilePath(id));
      return row[pos];
    }

   private:
    Impl& impl_;
    uint64_t size_;
  };

  // shared_ptr: shared by the cache and by readers still using a tile the
  // cache has dropped.
  Result<std::shared_ptr<const ExpandedTile>> Expanded(const TileId& id) {
    {
      MutexLock lock(&xcache_mu_);
      auto it = xcache_.find(id);
      if (it != xcache_.end()) return it->second;
    }
    MATS_ASSIGN_OR_RETURN(Bytes data, ReadTile(id));
    auto tile = std::make_shared<ExpandedTile>();
    MATS_ASSIGN_OR_RETURN(tile->levels[0], HashesFromTile(data, id.width));
    for (size_t k = 1; k < kTileHeight; ++k) {
      const std::vector<Hash>& below = tile->levels[k - 1];
      std::vector<Hash>& row = tile->levels[k];
      row.reserve(below.size() / 2);
      for (size_t j = 0; j + 1 < below.size(); j += 2) {
        row.push_back(Hasher::HashChildren(below[j], below[j + 1]));
      }
    }
    MutexLock lock(&xcache_mu_);
    if (xcache_.size() >= kMaxCachedTiles) xcache_.clear();
    xcache_.emplace(id, tile);
    return std::shared_ptr<const ExpandedTile>(std::move(tile));
  }

  Result<std::vector<Hash>> InclusionProof(Log& log, uint64_t index, uint64_t size) {
    (void)log;
    MATS_RETURN_IF_ERROR(CheckSize(size));
    CachedHashReader reader(*this, size);
    return ProveInclusion(index, size, reader);
  }

  Result<std::pair<uint64_t, std::vector<Hash>>> InclusionProofByLeafHash(Log& log, const Hash& leaf,
                                                                          uint64_t size) {
    MATS_RETURN_IF_ERROR(CheckSize(size));
    MATS_ASSIGN_OR_RETURN(uint64_t index, storage_->FindLeafIndex(leaf));
    if (index >= size) return NotFound("tlog: leaf {} is not in the tree of size {}", HashHex(leaf), size);
    MATS_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(log, index, size));
    return std::make_pair(index, std::move(proof));
  }

  Result<std::vector<Hash>> ConsistencyProof(Log& log, uint64_t size1, uint64_t size2) {
    (void)log;
    MATS_RETURN_IF_ERROR(CheckSize(size2));
    CachedHashReader reader(*this, size2);
    return ProveConsistency(size1, size2, reader);
  }

  Result<Hash> RootAt(Log& log, uint64_t size) {
    (void)log;
    MATS_RETURN_IF_ERROR(CheckSize(size));
    CachedHashReader reader(*this, size);
    return TreeRoot(size, reader);
  }

  const std::string& origin() const { return opts_.origin; }

 private:
  Status CheckEntry(const Bytes& entry) const {
    if (signer_ == nullptr) return InvalidArgument("tlog: log opened without a signer (read-only)");
    if (entry.empty() || entry.size() > kMaxEntryBytes) {
      return InvalidArgument("tlog: entry of {} bytes, want 1..{}", entry.size(), kMaxEntryBytes);
    }
    if (opts_.require_mats_entries) {
      Result<LogEntry> e = DecodeEntry(entry);
      if (!e.ok()) return InvalidArgument("tlog: not a valid log entry: {}", e.status().ToString());
    }
    return Status::Ok();
  }

  Status CheckStoredCheckpoint(const StoredCheckpoint& cp) {
    Result<ParsedNote> note = ParseNote(cp.note);
    if (!note.ok()) {
      return VerificationFailed("tlog: stored checkpoint note is corrupt: {}", note.status().message());
    }
    Result<Checkpoint> parsed = ParseCheckpoint(note->text);
    if (!parsed.ok()) {
      return VerificationFailed("tlog: stored checkpoint text is corrupt: {}", parsed.status().message());
    }
    if (parsed->origin != opts_.origin || parsed->size != cp.size || !HashEqual(parsed->root, cp.root)) {
      return VerificationFailed(
          "tlog: stored checkpoint (origin {}, size {}) does not match its row (origin {}, size {})",
          EscapePreview(parsed->origin), parsed->size, EscapePreview(opts_.origin), cp.size);
    }
    if (auto* ed = dynamic_cast<Ed25519NoteSigner*>(signer_.get())) {
      MATS_ASSIGN_OR_RETURN(auto verifier, Ed25519NoteVerifier::FromPublicKey(ed->name(), ed->public_key()));
      const NoteVerifier* vs[] = {verifier.get()};
      Result<OpenedNote> opened = OpenNote(cp.note, vs);
      if (!opened.ok()) {
        return VerificationFailed("tlog: stored checkpoint is not signed by this log's key: {}",
                                  opened.status().message());
      }
    }
    return Status::Ok();
  }

  Result<std::string> SignCheckpoint(uint64_t size, const Hash& root) {
    Checkpoint cp{opts_.origin, size, root, opts_.checkpoint_extensions};
    const NoteSigner* signers[] = {signer_.get()};
    return SignNote(FormatCheckpoint(cp), signers);
  }

  // Integrates `leaves` on top of `old`. Sets *fatal when the failure means
  // the stored state is inconsistent (the log must refuse writes).
  Result<StoredCheckpoint> Integrate(const StoredCheckpoint& old, const std::vector<Hash>& leaves,
                                     bool* fatal) MATS_EXCLUSIVE_LOCKS_REQUIRED(int_mu_) {
    Edges edges = edges_;
    std::vector<std::pair<TileId, Bytes>> writes;
    uint64_t size = old.size;
    for (const Hash& leaf : leaves) {
      ++size;
      Hash h = leaf;
      for (size_t level = 0; level < kLevels; ++level) {
        edges[level].push_back(h);
        if (edges[level].size() < kTileWidth) break;
        uint64_t index = PositionsAt(level, size) / kTileWidth - 1;
        writes.emplace_back(TileId::Hash(static_cast<uint8_t>(level), index), TileFromHashes(edges[level]));
        h = RootFromLeafHashes(edges[level]);
        edges[level].clear();
      }
    }
    for (size_t level = 0; level < kLevels; ++level) {
      if (edges[level].empty()) continue;
      uint64_t new_index = PositionsAt(level, size) / kTileWidth;
      uint64_t old_index = PositionsAt(level, old.size) / kTileWidth;
      if (new_index == old_index && edges[level].size() == edges_[level].size()) continue;
      writes.emplace_back(TileId::Hash(static_cast<uint8_t>(level), new_index,
                                       static_cast<uint32_t>(edges[level].size())),
                          TileFromHashes(edges[level]));
    }
    // Caches are keyed by TileId (level, index, width), whose content never
    // changes, so writing wider tiles invalidates nothing.
    MATS_RETURN_IF_ERROR(storage_->WriteTiles(writes));
    EdgeTiles edge_tiles(edges, size);
    TileHashReader edge_reader(edge_tiles, size);
    MATS_ASSIGN_OR_RETURN(Hash root, TreeRoot(size, edge_reader));
    // Read back what is durable and check it before signing.
    StorageTileReader stored(*storage_);
    TileHashReader stored_reader(stored, size);
    Result<Hash> stored_root = TreeRoot(size, stored_reader);
    if (!stored_root.ok() || !HashEqual(*stored_root, root)) {
      *fatal = true;
      return VerificationFailed("tlog: tiles read back for size {} give root {}, computed {}; refusing to sign",
                                size, stored_root.ok() ? HashHex(*stored_root) : stored_root.status().message(),
                                HashHex(root));
    }
    Result<std::vector<Hash>> proof = ProveConsistency(old.size, size, stored_reader);
    if (!proof.ok()) {
      *fatal = proof.status().code() != ErrorCode::kIo;
      return Status(proof.status().code(),
                    fmt::format("tlog: cannot build consistency proof {} -> {}: {}; refusing to sign",
                                old.size, size, proof.status().message()));
    }
    Status consistent = VerifyConsistency(old.size, size, *proof, old.root, root);
    if (!consistent.ok()) {
      *fatal = true;
      return VerificationFailed("tlog: new tree of size {} is not consistent with checkpoint {}: {}; "
                                "refusing to sign",
                                size, old.size, consistent.message());
    }
    MATS_ASSIGN_OR_RETURN(std::string note, SignCheckpoint(size, root));
    StoredCheckpoint next{size, root, std::move(note)};
    Status stored_cp = storage_->StoreCheckpoint(old.size, next);
    if (!stored_cp.ok()) {
      *fatal = stored_cp.code() == ErrorCode::kInvalidArgument;
      return stored_cp;
    }
    edges_ = std::move(edges);
    return next;
  }

  // The error appends get while the log is degraded: the last integration
  // failed (tiles or checkpoint could not be written), so no checkpoint can
  // cover new entries. Same code as the cause (usually kIo).
  Status DegradedError() const MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Status(integration_error_.code(),
                  fmt::format("tlog: refusing appends: integration failed, no checkpoint can be signed "
                              "({}); retrying every checkpoint interval",
                              integration_error_.message()));
  }

  void FailAll(std::vector<Pending>& batch, const Status& s) {
    for (Pending& p : batch) p.promise.set_value(s);
  }

  void SequencerLoop() {
    while (true) {
      std::vector<Pending> batch;
      uint64_t first = 0;
      Status refuse;
      bool closed = false;
      {
        MutexLock lock(&mu_);
        CvLock cv_lock(&mu_);
        seq_cv_.wait(cv_lock, [&]() MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !pending_.empty(); });
        if (!stopping_ && opts_.max_batch_delay.count() > 0 && pending_.size() < opts_.max_batch_entries) {
          seq_cv_.wait_for(cv_lock, opts_.max_batch_delay, [&]() MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            return stopping_ || pending_.size() >= opts_.max_batch_entries;
          });
        }
        closed = stopping_;
      }
      if (closed) {
        {
          MutexLock lock(&mu_);
          batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
          pending_.clear();
        }
        FailAll(batch, Internal("tlog: log closed"));
        return;
      }
      {
        MutexLock lock(&mu_);
        size_t n = std::min(pending_.size(), opts_.max_batch_entries);
        batch.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        first = next_index_;
        refuse = sticky_.ok() && !integration_error_.ok() ? DegradedError() : sticky_;
      }
      if (!refuse.ok()) {
        FailAll(batch, refuse);
        continue;
      }
      std::vector<Bytes> entries;
      std::vector<Hash> leaves;
      entries.reserve(batch.size());
      leaves.reserve(batch.size());
      for (Pending& p : batch) {
        entries.push_back(std::move(p.entry));
        leaves.push_back(p.leaf);
      }
      Status s = storage_->AppendEntries(first, entries, leaves);
      if (s.ok()) {
        {
          MutexLock lock(&mu_);
          next_index_ = first + batch.size();
          unintegrated_.insert(unintegrated_.end(), leaves.begin(), leaves.end());
        }
        int_cv_.notify_all();
        for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(first + i);
        continue;
      }
      // Did the batch land anyway? If the stored state is not what we expect,
      // stop writing: a restart recovers from storage.
      Result<LogState> st = storage_->LoadState();
      {
        MutexLock lock(&mu_);
        if (!st.ok() || st->next_index != first) {
          sticky_ = Internal("tlog: storage state unknown after a failed commit ({}); refusing writes "
                             "until restart",
                             s.message());
        }
      }
      FailAll(batch, s);
    }
  }

  void IntegratorLoop() {
    std::string last_logged;
    while (true) {
      {
        MutexLock lock(&mu_);
        CvLock cv_lock(&mu_);
        int_cv_.wait(cv_lock, [&]() MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || (!unintegrated_.empty() && sticky_.ok());
        });
        if (stopping_) return;
        auto due = last_checkpoint_time_ + opts_.checkpoint_interval;
        int_cv_.wait_until(cv_lock, due, [&]() MATS_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; });
        if (stopping_) return;
      }
      Result<StoredCheckpoint> r = IntegrateNow();
      // Log transitions only: a degraded log retries every interval.
      if (!r.ok() && r.status().message() != last_logged) {
        MATS_LOG_WARN("tlog: integration failed, refusing appends: {}", r.status().ToString());
        last_logged = r.status().message();
      } else if (r.ok() && !last_logged.empty()) {
        MATS_LOG_INFO("tlog: integration recovered at size {}, accepting appends again", r->size);
        last_logged.clear();
      }
    }
  }

  std::unique_ptr<LogStorage> storage_;
  std::unique_ptr<NoteSigner> signer_;
  const LogOptions opts_;

  Mutex int_mu_;  // serializes integration; held before mu_
  Edges edges_ MATS_GUARDED_BY(int_mu_);

  Mutex mu_;
  std::condition_variable_any seq_cv_;
  std::condition_variable_any int_cv_;
  std::condition_variable_any cp_cv_;
  std::deque<Pending> pending_ MATS_GUARDED_BY(mu_);
  uint64_t next_index_ MATS_GUARDED_BY(mu_) = 0;
  std::vector<Hash> unintegrated_ MATS_GUARDED_BY(mu_);
  StoredCheckpoint checkpoint_ MATS_GUARDED_BY(mu_);
  Status sticky_ MATS_GUARDED_BY(mu_);
  Status integration_error_ MATS_GUARDED_BY(mu_);
  bool stopping_ MATS_GUARDED_BY(mu_) = false;
  Clock::time_point last_checkpoint_time_ MATS_GUARDED_BY(mu_);

  Mutex cache_mu_;
  std::map<TileId, Bytes> cache_ MATS_GUARDED_BY(cache_mu_);
  Mutex xcache_mu_;
  std::map<TileId, std::shared_ptr<const ExpandedTile>> xcache_ MATS_GUARDED_BY(xcache_mu_);

  std::thread sequencer_;
  std::thread integrator_;
};

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::Open(std::unique_ptr<LogStorage> storage,
                                       std::unique_ptr<NoteSigner> signer, LogOptions options) {
  if (storage == nullptr) return InvalidArgument("tlog: no storage");
  if (options.origin.empty()) return InvalidArgument("tlog: empty origin");
  if (signer != nullptr && signer->name() != options.origin) {
    return InvalidArgument("tlog: origin {} differs from the signer key name {}",
                           EscapePreview(options.origin), EscapePreview(signer->name()));
  }
  if (options.max_batch_entries == 0) return InvalidArgument("tlog: max_batch_entries must be > 0");
  Checkpoint probe{options.origin, 0, Hasher::EmptyRoot(), options.checkpoint_extensions};
  MATS_RETURN_IF_ERROR(ValidateCheckpoint(probe));
  auto impl = std::make_unique<Impl>(std::move(storage), std::move(signer), std::move(options));
  MATS_RETURN_IF_ERROR(impl->Recover());
  impl->Start();
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

std::future<Result<uint64_t>> Log::AppendAsync(Bytes entry) { return impl_->AppendAsync(std::move(entry)); }

Result<uint64_t> Log::Append(Bytes entry) { return AppendAsync(std::move(entry)).get(); }

StoredCheckpoint Log::LatestCheckpoint() const { return impl_->Latest(); }

Result<StoredCheckpoint> Log::WaitForCheckpoint(uint64_t size, std::chrono::milliseconds timeout) {
  return impl_->WaitForCheckpoint(size, timeout);
}

Result<StoredCheckpoint> Log::IntegrateNow() { return impl_->IntegrateNow(); }

Status Log::health() const { return impl_->Health(); }

uint64_t Log::sequenced_size() const { return impl_->SequencedSize(); }

Result<Bytes> Log::ReadTile(const TileId& id) { return impl_->ReadTile(id); }

Result<Bytes> Log::ReadEntry(uint64_t index) { return impl_->ReadEntry(index); }

Result<std::vector<Hash>> Log::InclusionProof(uint64_t index, uint64_t size) {
  return impl_->InclusionProof(*this, index, size);
}

Result<std::pair<uint64_t, std::vector<Hash>>> Log::InclusionProofByLeafHash(const Hash& leaf_hash,
                                                                             uint64_t size) {
  return impl_->InclusionProofByLeafHash(*this, leaf_hash, size);
}

Result<std::vector<Hash>> Log::ConsistencyProof(uint64_t size1, uint64_t size2) {
  return impl_->ConsistencyProof(*this, size1, size2);
}

Result<Hash> Log::RootAt(uint64_t size) { return impl_->RootAt(*this, size); }

const std::string& Log::origin() const { return impl_->origin(); }

}  // namespace mats::tlog
