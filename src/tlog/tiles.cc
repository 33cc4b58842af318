#include "mats/tlog/tiles.h"

#include <fmt/core.h>

#include <algorithm>

#include "mats/core/byte_reader.h"
#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"

namespace mats::tlog {
namespace {

// Number of stored hashes at tree level 8*tile_level in a tree of `size`.
uint64_t PositionsAt(uint8_t tile_level, uint64_t size) {
  uint32_t shift = kTileHeight * tile_level;
  return shift >= 64 ? 0 : size >> shift;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string EncodeTileIndex(uint64_t index) {
  std::string s = fmt::format("{:03d}", index % 1000);
  while (index >= 1000) {
    index /= 1000;
    s = fmt::format("x{:03d}/{}", index % 1000, s);
  }
  return s;
}

std::string TilePath(const TileId& id) {
  std::string p = id.kind == TileKind::kEntries
                      ? "tile/entries/" + EncodeTileIndex(id.index)
                      : fmt::format("tile/{}/{}", id.level, EncodeTileIndex(id.index));
  if (id.width < kTileWidth) p += fmt::format(".p/{}", id.width);
  return p;
}

Result<TileId> ParseTilePath(std::string_view path) {
  constexpr std::string_view kPrefix = "tile/";
  if (path.size() > 64) {
    return Malformed(0, "tlog: tile path of {} bytes is too long", path.size());
  }
  if (path.substr(0, kPrefix.size()) != kPrefix) {
    return Malformed(0, "tlog: tile path {} does not start with \"tile/\"", EscapePreview(path));
  }
  size_t pos = kPrefix.size();
  TileId id;
  constexpr std::string_view kEntries = "entries/";
  if (path.substr(pos, kEntries.size()) == kEntries) {
    id.kind = TileKind::kEntries;
    pos += kEntries.size();
  } else {
    if (pos + 2 > path.size() || !IsDigit(path[pos]) || path[pos + 1] != '/') {
      return Malformed(pos, "tlog: tile path {}: want a one-digit level and '/'",
                       EscapePreview(path));
    }
    int level = path[pos] - '0';
    if (level > kMaxTileLevel) {
      return Malformed(pos, "tlog: tile path {}: level {} > {}", EscapePreview(path), level,
                       kMaxTileLevel);
    }
    id.kind = TileKind::kHash;
    id.level = static_cast<uint8_t>(level);
    pos += 2;
  }
  // Groups: ("x" DDD "/")* DDD
  uint64_t index = 0;
  size_t groups = 0;
  while (true) {
    bool prefixed = pos < path.size() && path[pos] == 'x';
    size_t start = pos + (prefixed ? 1 : 0);
    if (start + 3 > path.size() || !IsDigit(path[start]) || !IsDigit(path[start + 1]) ||
        !IsDigit(path[start + 2])) {
      return Malformed(pos, "tlog: tile path {}: want a 3-digit index group",
                       EscapePreview(path));
    }
    uint64_t group = static_cast<uint64_t>((path[start] - '0') * 100 +
                                           (path[start + 1] - '0') * 10 + (path[start + 2] - '0'));
    if (prefixed && groups == 0 && group == 0) {
      return Malformed(pos, "tlog: tile path {}: leading zero group", EscapePreview(path));
    }
    std::optional<uint64_t> scaled = CheckedMul<uint64_t>(index, 1000);
    std::optional<uint64_t> next = scaled ? CheckedAdd<uint64_t>(*scaled, group) : std::nullopt;
    if (!next) {
      return Malformed(pos, "tlog: tile path {}: index overflows uint64", EscapePreview(path));
    }
    index = *next;
    ++groups;
    pos = start + 3;
    if (!prefixed) break;
    if (pos >= path.size() || path[pos] != '/') {
      return Malformed(pos, "tlog: tile path {}: want '/' after an x group",
                       EscapePreview(path));
    }
    ++pos;
  }
  id.index = index;
  id.width = kTileWidth;
  if (pos == path.size()) return id;
  constexpr std::string_view kPartial = ".p/";
  if (path.substr(pos, kPartial.size()) != kPartial) {
    return Malformed(pos, "tlog: tile path {}: unexpected trailing bytes", EscapePreview(path));
  }
  pos += kPartial.size();
  std::string_view w = path.substr(pos);
  if (w.empty() || w.size() > 3 || w[0] == '0' ||
      !std::all_of(w.begin(), w.end(), IsDigit)) {
    return Malformed(pos, "tlog: tile path {}: partial width must be 1..255 without leading zeros",
                     EscapePreview(path));
  }
  uint32_t width = 0;
  for (char c : w) width = width * 10 + static_cast<uint32_t>(c - '0');
  if (width >= kTileWidth) {
    return Malformed(pos, "tlog: tile path {}: partial width {} >= 256", EscapePreview(path),
                     width);
  }
  id.width = width;
  return id;
}

std::vector<TileId> TilesForSize(uint64_t size, bool with_entries) {
  std::vector<TileId> out;
  for (uint8_t level = 0; level <= kMaxTileLevel; ++level) {
    uint64_t positions = PositionsAt(level, size);
    if (positions == 0) break;
    uint64_t full = positions / kTileWidth;
    uint32_t partial = static_cast<uint32_t>(positions % kTileWidth);
    for (uint64_t n = 0; n < full; ++n) out.push_back(TileId::Hash(level, n));
    if (partial != 0) out.push_back(TileId::Hash(level, full, partial));
    if (level == 0 && with_entries) {
      for (uint64_t n = 0; n < full; ++n) out.push_back(TileId::Entries(n));
      if (partial != 0) out.push_back(TileId::Entries(full, partial));
    }
  }
  return out;
}

Result<TileId> HashTileForSize(uint8_t level, uint64_t index, uint64_t size) {
  if (level > kMaxTileLevel) return NotFound("tlog: no tile level {}", level);
  uint64_t positions = PositionsAt(level, size);
  uint64_t full = positions / kTileWidth;
  if (index < full) return TileId::Hash(level, index);
  if (index == full && positions % kTileWidth != 0) {
    return TileId::Hash(level, index, static_cast<uint32_t>(positions % kTileWidth));
  }
  return NotFound("tlog: tile {}/{} is beyond tree size {}", level, index, size);
}

Bytes TileFromHashes(std::span<const Hash> hashes) {
  Bytes out;
  out.reserve(hashes.size() * kHashSize);
  for (const Hash& h : hashes) out.insert(out.end(), h.begin(), h.end());
  return out;
}

Result<std::vector<Hash>> HashesFromTile(ByteSpan tile, uint32_t expected_width) {
  if (tile.size() % kHashSize != 0) {
    return Malformed(0, "tlog: tile of {} bytes is not a multiple of 32", tile.size());
  }
  if (tile.size() / kHashSize != expected_width) {
    return Malformed(0, "tlog: tile holds {} hashes, want {}", tile.size() / kHashSize,
                     expected_width);
  }
  std::vector<Hash> out(expected_width);
  for (size_t i = 0; i < expected_width; ++i) {
    std::copy_n(tile.begin() + static_cast<ptrdiff_t>(i * kHashSize), kHashSize, out[i].begin());
  }
  return out;
}

Result<Bytes> EncodeEntryBundle(std::span<const Bytes> entries) {
  if (entries.size() > kTileWidth) {
    return InvalidArgument("tlog: entry bundle of {} entries, at most 256", entries.size());
  }
  size_t total = 0;
  for (const Bytes& e : entries) total += 2 + e.size();
  Bytes out;
  out.reserve(total);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Bytes& e = entries[i];
    if (e.size() > kMaxEntryBytes) {
      return InvalidArgument("tlog: entry {} of bundle has {} bytes, at most {}", i, e.size(),
                             kMaxEntryBytes);
    }
    out.push_back(static_cast<uint8_t>(e.size() >> 8));
    out.push_back(static_cast<uint8_t>(e.size() & 0xff));
    out.insert(out.end(), e.begin(), e.end());
  }
  return out;
}

Result<std::vector<ByteSpan>> ParseEntryBundle(ByteSpan bundle, uint32_t expected_count) {
  if (expected_count == 0 || expected_count > kTileWidth) {
    return InvalidArgument("tlog: entry bundle count {} not in 1..256", expected_count);
  }
  ByteReader r(bundle);
  std::vector<ByteSpan> out;
  out.reserve(expected_count);
  for (uint32_t i = 0; i < expected_count; ++i) {
    if (r.empty()) {
      return Malformed(r.offset(), "tlog: entry bundle ends after {} entries, want {}", i,
                       expected_count);
    }
    MATS_ASSIGN_OR_RETURN(uint16_t len, r.ReadU16Be());
    MATS_ASSIGN_OR_RETURN(ByteSpan e, r.ReadBytes(len));
    out.push_back(e);
  }
  if (!r.empty()) {
    return Malformed(r.offset(), "tlog: entry bundle has {} trailing bytes after {} entries",
                     r.remaining(), expected_count);
  }
  return out;
}

Result<const std::vector<Hash>*> TileHashReader::Tile(uint8_t tile_level, uint64_t index) {
  auto key = std::make_pair(tile_level, index);
  auto it = cache_.find(key);
  if (it != cache_.end()) return &it->second;
  MATS_ASSIGN_OR_RETURN(TileId id, HashTileForSize(tile_level, index, size_));
  MATS_ASSIGN_OR_RETURN(Bytes data, tiles_.ReadTile(id));
  Result<std::vector<Hash>> hashes = HashesFromTile(data, id.width);
  if (!hashes.ok()) return hashes.status().WithContext(TilePath(id));
  if (cache_.size() >= max_cached_) cache_.clear();
  auto [pos, inserted] = cache_.emplace(key, std::move(hashes).value());
  return &pos->second;
}

Result<Hash> TileHashReader::ReadHash(uint8_t level, uint64_t index) {
  if (level >= 64) return NotFound("tlog: no stored hash at level {}", level);
  uint8_t tile_level = static_cast<uint8_t>(level / kTileHeight);
  uint32_t sub = level % kTileHeight;
  uint64_t positions = PositionsAt(tile_level, size_);
  if (index >= (positions >> sub)) {
    return NotFound("tlog: stored hash ({}, {}) is beyond tree size {}", level, index, size_);
  }
  uint64_t first = index << sub;
  uint64_t count = uint64_t{1} << sub;
  MATS_ASSIGN_OR_RETURN(const std::vector<Hash>* tile, Tile(tile_level, first / kTileWidth));
  uint64_t pos = first % kTileWidth;
  if (pos + count > tile->size()) {
    return Internal("tlog: tile {}/{} too short for hash ({}, {})", tile_level,
                    first / kTileWidth, level, index);
  }
  return RootFromLeafHashes(std::span<const Hash>(*tile).subspan(pos, count));
}

}  // namespace mats::tlog
