// LogStorage — the persistence interface of the transparency log, so that
// several backends can hold a log: the embedded default (SQLite + tile
// files, sqlite_storage.h) and PostgreSQL (server module).
//
//   MATS_ASSIGN_OR_RETURN(auto storage, OpenSqliteStorage(dir, {}));
//   MATS_ASSIGN_OR_RETURN(LogState state, storage->LoadState());
//
// Model: entries are *sequenced* (given an index, stored durably) in
// batches; later the sequencer *integrates* them into hash tiles and signs
// a checkpoint. The storage keeps
//   - entries by index (and an index from leaf hash to the lowest index),
//   - hash tiles (the widest written version of each; narrower partial
//     widths are served as prefixes),
//   - the latest signed checkpoint.
// Entry bundles (tile/entries/N) are composed from entries.
//
// Contracts every backend must keep (the sequencer relies on them):
//   - AppendEntries is atomic and durable when it returns ok, and only
//     succeeds if `first_index` equals the current number of entries
//     (compare-and-swap); otherwise kInvalidArgument and nothing is stored.
//   - WriteTiles is durable when it returns ok (all or some tiles may be
//     written if it fails; tiles are deterministic, so rewriting is safe).
//   - StoreCheckpoint is a compare-and-swap on the previous checkpoint size:
//     kInvalidArgument if the stored size differs from
//     `expected_previous_size` (0 when none), and nothing changes.
//   - Errors: kIo for I/O failures (full disk, read-only storage) with the
//     OS reason, kMalformed naming a corrupt row or tile.
// Backends are thread-safe: the sequencer writes from its thread while
// readers call Read* concurrently.
#ifndef MATS_TLOG_STORAGE_H_
#define MATS_TLOG_STORAGE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/tiles.h"

namespace mats::tlog {

struct StoredCheckpoint {
  uint64_t size = 0;
  Hash root{};
  std::string note;  // the signed checkpoint note
};

struct LogState {
  uint64_t next_index = 0;  // number of sequenced entries
  std::optional<StoredCheckpoint> checkpoint;  // latest signed, if any
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual Result<LogState> LoadState() = 0;

  // Stores entries [first_index, first_index + entries.size()) with their
  // leaf hashes (same length) in one durable transaction. See the contract.
  virtual Status AppendEntries(uint64_t first_index,
                               std::span<const Bytes> entries,
                               std::span<const Hash> leaf_hashes) = 0;
  // Entries [begin, begin + count). kNotFound if any is missing.
  virtual Result<std::vector<Bytes>> ReadEntries(uint64_t begin,
                                                 uint64_t count) = 0;
  // Lowest index whose leaf hash is `leaf_hash`; kNotFound if none.
  virtual Result<uint64_t> FindLeafIndex(const Hash& leaf_hash) = 0;

  // Durably writes hash tiles (kind kHash). A tile replaces any narrower
  // version of the same (level, index).
  virtual Status WriteTiles(std::span<const std::pair<TileId, Bytes>> tiles) = 0;
  // Hash tile (level, index) at exactly `width` hashes: the stored version
  // if it is at least that wide, cut to `width`. kNotFound if absent or
  // narrower; kMalformed if the stored file has a bad length.
  virtual Result<Bytes> ReadHashTile(uint8_t level, uint64_t index,
                                     uint32_t width) = 0;

  // Stores the new latest checkpoint (compare-and-swap, see contract).
  virtual Status StoreCheckpoint(uint64_t expected_previous_size,
                                 const StoredCheckpoint& cp) = 0;
};

// A TileReader over a LogStorage: hash tiles from ReadHashTile, entry
// bundles composed from ReadEntries. No checks against any checkpoint.
// Thread-safe if the storage is. The caller keeps `storage` alive.
class StorageTileReader : public TileReader {
 public:
  explicit StorageTileReader(LogStorage& storage) : storage_(storage) {}
  Result<Bytes> ReadTile(const TileId& id) override;

 private:
  LogStorage& storage_;
};

}  // namespace mats::tlog

#endif  // MATS_TLOG_STORAGE_H_
