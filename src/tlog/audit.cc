#include "mats/tlog/audit.h"

#include <algorithm>

#include "mats/core/encoding.h"
#include "mats/tlog/entry.h"

namespace mats::tlog {
namespace {

uint64_t PositionsAt(size_t tile_level, uint64_t size) {
  size_t shift = kTileHeight * tile_level;
  return shift >= 64 ? 0 : size >> shift;
}

Result<std::vector<Hash>> ReadHashes(TileReader& tiles, const TileId& id) {
  MATS_ASSIGN_OR_RETURN(Bytes data, tiles.ReadTile(id));
  Result<std::vector<Hash>> h = HashesFromTile(data, id.width);
  if (!h.ok()) return h.status().WithContext(TilePath(id));
  return h;
}

class Auditor {
 public:
  Auditor(TileReader& tiles, const Checkpoint& cp, uint64_t begin, uint64_t end, bool decode)
      : tiles_(tiles), cp_(cp), begin_(begin), end_(end), decode_(decode) {}

  AuditReport Run() {
    if (begin_ < end_) {
      if (!CheckLevel0()) return report_;
      if (!CheckUpperLevels()) return report_;
    }
    CheckRoot();
    return report_;
  }

 private:
  void FailTile(const TileId& id, Status s) {
    report_.first_bad_tile = id;
    report_.status = std::move(s);
  }

  // Ok iff the root of the tree computed from stored tiles equals the
  // checkpoint root.
  bool RootMatches() {
    TileHashReader reader(tiles_, cp_.size);
    Result<Hash> root = TreeRoot(cp_.size, reader);
    return root.ok() && HashEqual(*root, cp_.root);
  }

  // Ok iff the stored level-0 tile (full) agrees with the level above.
  bool TileAgreesUpward(const TileId& id, const std::vector<Hash>& stored) {
    if (!id.full()) return RootMatches();
    Result<TileId> parent = HashTileForSize(1, id.index / kTileWidth, cp_.size);
    if (!parent.ok()) return RootMatches();
    Result<std::vector<Hash>> up = ReadHashes(tiles_, *parent);
    if (!up.ok()) return false;
    return HashEqual((*up)[id.index % kTileWidth], RootFromLeafHashes(stored));
  }

  bool CheckLevel0() {
    uint64_t first_tile = begin_ / kTileWidth;
    uint64_t last_tile = (end_ - 1) / kTileWidth;
    for (uint64_t t = first_tile; t <= last_tile; ++t) {
      Result<TileId> hid = HashTileForSize(0, t, cp_.size);
      if (!hid.ok()) {
        report_.status = Internal("tlog: audit: no tile {} in size {}", t, cp_.size);
        return false;
      }
      TileId eid = TileId::Entries(t, hid->width);
      Result<Bytes> bundle = tiles_.ReadTile(eid);
      if (!bundle.ok()) {
        FailTile(eid, bundle.status().WithContext(TilePath(eid)));
        return false;
      }
      Result<std::vector<ByteSpan>> entries = ParseEntryBundle(*bundle, hid->width);
      if (!entries.ok()) {
        FailTile(eid, entries.status().WithContext(TilePath(eid)));
        return false;
      }
      Result<std::vector<Hash>> stored = ReadHashes(tiles_, *hid);
      ++report_.tiles_checked;
      if (!stored.ok()) {
        FailTile(*hid, stored.status());
        return false;
      }
      for (uint32_t i = 0; i < hid->width; ++i) {
        uint64_t index = t * kTileWidth + i;
        if (index < begin_ || index >= end_) continue;
        ByteSpan e = (*entries)[i];
        if (decode_) {
          Result<LogEntry> decoded = DecodeEntry(e);
          if (!decoded.ok()) {
            report_.first_bad_entry = index;
            report_.status = Malformed(decoded.status().offset().value_or(0), "tlog: audit: entry {}: {}",
                                       index, decoded.status().message());
            return false;
          }
        }
        Hash leaf = Hasher::HashLeaf(e);
        if (!HashEqual(leaf, (*stored)[i])) {
          if (TileAgreesUpward(*hid, *stored)) {
            report_.first_bad_entry = index;
            report_.status = VerificationFailed(
                "tlog: audit: entry {} hashes to {} but tile {} holds {} (the tile agrees with the "
                "tree above: corrupt entry)",
                index, HashHex(leaf), TilePath(*hid), HashHex((*stored)[i]));
          } else {
            FailTile(*hid, VerificationFailed(
                               "tlog: audit: tile {} position {} holds {} but entry {} hashes to {} "
                               "(the tile disagrees with the tree above: corrupt tile)",
                               TilePath(*hid), i, HashHex((*stored)[i]), index, HashHex(leaf)));
          }
          return false;
        }
        ++report_.entries_checked;
      }
    }
    return true;
  }

  bool CheckUpperLevels() {
    for (size_t level = 1; level <= kMaxTileLevel; ++level) {
      uint64_t positions = PositionsAt(level, cp_.size);
      if (positions == 0) break;
      // Positions at this level whose subtree overlaps [begin, end).
      size_t shift = kTileHeight * level;
      uint64_t first_pos = begin_ >> shift;
      uint64_t last_pos = std::min((end_ - 1) >> shift, positions - 1);
      if (first_pos > last_pos) continue;
      for (uint64_t t = first_pos / kTileWidth; t <= last_pos / kTileWidth; ++t) {
        Result<TileId> id = HashTileForSize(static_cast<uint8_t>(level), t, cp_.size);
        if (!id.ok()) break;
        Result<std::vector<Hash>> stored = ReadHashes(tiles_, *id);
        ++report_.tiles_checked;
        if (!stored.ok()) {
          FailTile(*id, stored.status());
          return false;
        }
        for (uint32_t i = 0; i < id->width; ++i) {
          uint64_t pos = t * kTileWidth + i;
          if (pos < first_pos || pos > last_pos) continue;
          TileId below = TileId::Hash(static_cast<uint8_t>(level - 1), pos);
          Result<std::vector<Hash>> lower = ReadHashes(tiles_, below);
          if (!lower.ok()) {
            FailTile(below, lower.status());
            return false;
          }
          Hash want = RootFromLeafHashes(*lower);
          if (!HashEqual(want, (*stored)[i])) {
            FailTile(*id, VerificationFailed("tlog: audit: tile {} position {} holds {} but tile {} "
                                             "hashes to {}",
                                             TilePath(*id), i, HashHex((*stored)[i]), TilePath(below),
                                             HashHex(want)));
            return false;
          }
        }
      }
    }
    return true;
  }

  void CheckRoot() {
    TileHashReader reader(tiles_, cp_.size);
    Result<Hash> root = TreeRoot(cp_.size, reader);
    if (!root.ok()) {
      report_.status = root.status().WithContext("tlog: audit: computing the root from tiles");
      return;
    }
    if (!HashEqual(*root, cp_.root)) {
      report_.status = VerificationFailed(
          "tlog: audit: tiles give root {} for size {} but the checkpoint says {}", HashHex(*root),
          cp_.size, HashHex(cp_.root));
      // Name the rightmost tile of the highest level: the edge the root
      // depends on first.
      for (size_t level = kMaxTileLevel + 1; level-- > 0;) {
        uint64_t positions = PositionsAt(level, cp_.size);
        if (positions == 0) continue;
        Result<TileId> id = HashTileForSize(static_cast<uint8_t>(level),
                                            (positions - 1) / kTileWidth, cp_.size);
        if (id.ok()) report_.first_bad_tile = *id;
        break;
      }
    }
  }

  TileReader& tiles_;
  const Checkpoint& cp_;
  uint64_t begin_;
  uint64_t end_;
  bool decode_;
  AuditReport report_;
};

}  // namespace

Result<AuditReport> AuditLog(TileReader& tiles, const Checkpoint& checkpoint,
                             const AuditOptions& options) {
  uint64_t end = options.end.value_or(checkpoint.size);
  if (options.begin > end || end > checkpoint.size) {
    return InvalidArgument("tlog: audit range [{}, {}) is not inside the tree of size {}",
                           options.begin, end, checkpoint.size);
  }
  Auditor auditor(tiles, checkpoint, options.begin, end, options.decode_entries);
  return auditor.Run();
}

}  // namespace mats::tlog
