// Log — the sequencer and read side of a transparency log over a
// LogStorage: batched durable appends, asynchronous integration into tiles,
// signed checkpoints, proofs.
//
//   MATS_ASSIGN_OR_RETURN(auto storage, OpenSqliteStorage(dir, {}));
//   MATS_ASSIGN_OR_RETURN(auto signer, Ed25519NoteSigner::FromSignerKey(k));
//   LogOptions opts;
//   opts.origin = signer->name();
//   MATS_ASSIGN_OR_RETURN(std::unique_ptr<Log> log,
//                         Log::Open(std::move(storage), std::move(signer), opts));
//   MATS_ASSIGN_OR_RETURN(uint64_t index, log->Append(entry_bytes));
//   // `index` is durable now; a checkpoint covering it follows within
//   // opts.checkpoint_interval:
//   MATS_ASSIGN_OR_RETURN(StoredCheckpoint cp,
//                         log->WaitForCheckpoint(index + 1, 5s));
//
// Threads: Open starts two owned threads (sequencer, integrator), joined by
// the destructor; no detached threads. All public methods are thread-safe.
//
// Guarantees:
//   - Append returns an index only after the batch holding the entry was
//     committed durably (one storage transaction per batch).
//   - Checkpoints only grow; before signing, the new tree is checked
//     consistent with the previous checkpoint (a consistency proof is built
//     from the new tiles and verified against the previous signed root).
//   - Open recovers: sequenced-but-unintegrated entries are integrated; the
//     stored tiles are verified against the last checkpoint first. A corrupt
//     tile or entry makes Open fail with kVerificationFailed/kMalformed
//     naming it (nothing is signed). A failure while running (full disk,
//     read-only storage) makes appends fail with the storage's error. A
//     failed integration (tile or checkpoint write) makes the log degraded
//     at once: appends fail with the cause's code ("refusing appends") and
//     are not sequenced until a retry of the integrator (every
//     checkpoint_interval) succeeds. An inconsistency found while
//     integrating makes the log refuse all further writes for good (sticky).
//     health() reports either state.
#ifndef MATS_TLOG_LOG_H_
#define MATS_TLOG_LOG_H_

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/tlog/checkpoint.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"
#include "mats/tlog/storage.h"
#include "mats/tlog/tiles.h"

namespace mats::tlog {

struct LogOptions {
  // Checkpoint origin; must equal the signer's key name.
  std::string origin;
  // Largest number of entries committed in one storage transaction.
  size_t max_batch_entries = 8192;
  // After the first pending entry arrives, wait at most this long for more
  // before committing (0 = commit what is pending at once; batches still
  // form while the previous commit runs).
  std::chrono::microseconds max_batch_delay{0};
  // A new checkpoint is signed at most this long after an entry is
  // sequenced.
  std::chrono::milliseconds checkpoint_interval{100};
  // Appends waiting for a batch beyond this many fail with kLimitExceeded
  // (back-pressure).
  size_t max_pending_entries = 1'000'000;
  // When true, Append accepts only bytes that DecodeEntry accepts (mats log
  // entries); otherwise any 1..65535-byte entry.
  bool require_mats_entries = true;
  // Extension lines added to every checkpoint (rarely useful; each must be
  // a valid checkpoint extension line).
  std::vector<std::string> checkpoint_extensions;
};

class Log : public TileReader {
 public:
  // Opens the log, recovers (see file comment), signs a checkpoint of size
  // 0 for a new log, and starts the threads. `signer` may be null for a
  // read-only log (Append then fails with kInvalidArgument). Errors:
  // kInvalidArgument (origin != signer name, bad options), storage errors,
  // kVerificationFailed/kMalformed for corrupt stored state.
  static Result<std::unique_ptr<Log>> Open(std::unique_ptr<LogStorage> storage,
                                           std::unique_ptr<NoteSigner> signer,
                                           LogOptions options);
  // Stops the threads. Appends still pending fail with kInternal
  // ("log closed"); committed entries stay committed.
  ~Log() override;
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Queues `entry` and returns a future that becomes ready with its index
  // once its batch is durable, or with an error: kInvalidArgument (empty,
  // > 65535 bytes, not a mats entry, read-only log), kLimitExceeded
  // (back-pressure), the storage error of a failed commit, the error of a
  // degraded log whose last integration failed (same code as the cause,
  // usually kIo, message "tlog: refusing appends: ..."), or the sticky
  // error of a log that refuses writes.
  std::future<Result<uint64_t>> AppendAsync(Bytes entry);
  // Blocking form of AppendAsync.
  Result<uint64_t> Append(Bytes entry);

  // Latest signed checkpoint.
  StoredCheckpoint LatestCheckpoint() const;
  // Blocks until a signed checkpoint has size >= `size` or `timeout`
  // passes (kNotFound "timed out"), or the log fails (its error).
  Result<StoredCheckpoint> WaitForCheckpoint(uint64_t size,
                                             std::chrono::milliseconds timeout);
  // Integrates everything sequenced so far and signs a checkpoint now
  // (normally done by the integrator thread). Returns the new latest
  // checkpoint.
  Result<StoredCheckpoint> IntegrateNow();
  // Ok, or the error that makes the log refuse writes (the last failed
  // integration, or the sticky error).
  Status health() const;
  // Number of entries sequenced (durable) so far.
  uint64_t sequenced_size() const;

  // Tiles of the latest checkpoint: a hash tile or entry bundle that lies
  // within the latest checkpoint size (partial widths up to the size; a
  // narrower partial is served as a prefix). kNotFound beyond it.
  Result<Bytes> ReadTile(const TileId& id) override;
  // Entry `index` (must be < latest checkpoint size, else kNotFound).
  Result<Bytes> ReadEntry(uint64_t index);
  // Proofs against the tree of `size` leaves, where size <= the latest
  // checkpoint size (kInvalidArgument otherwise).
  Result<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size);
  // Lowest index with this leaf hash (< size) and its proof; kNotFound.
  Result<std::pair<uint64_t, std::vector<Hash>>> InclusionProofByLeafHash(
      const Hash& leaf_hash, uint64_t size);
  Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2);
  // Root of the tree of `size` <= latest checkpoint size leaves.
  Result<Hash> RootAt(uint64_t size);

  const std::string& origin() const;

 private:
  class Impl;
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mats::tlog

#endif  // MATS_TLOG_LOG_H_
