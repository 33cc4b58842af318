// C2SP tlog-tiles (v0.1.0): tile paths, tile contents, entry bundles, and
// proofs computed from tiles.
//
//   TileId t = TileId::Hash(/*level=*/0, /*index=*/1000, /*width=*/17);
//   TilePath(t)  == "tile/0/x001/000.p/17"
//   MATS_ASSIGN_OR_RETURN(TileId back, ParseTilePath("tile/0/x001/000.p/17"));
//
//   TileHashReader hashes(my_tile_reader, checkpoint.size);
//   MATS_ASSIGN_OR_RETURN(auto proof, ProveInclusion(i, checkpoint.size,
//                                                    hashes));
//
// Tiles have height 8: a full tile holds 256 hashes (8,192 bytes). Hash tile
// (L, N) position i holds the stored hash at tree level 8*L, index N*256+i
// (see merkle.h). A partial tile of width W (1..255) is a prefix of the full
// tile. Entry bundles ("tile/entries/N") hold entries N*256 .. N*256+W-1,
// each as uint16 BE length || bytes.
#ifndef MATS_TLOG_TILES_H_
#define MATS_TLOG_TILES_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/tlog/merkle.h"

namespace mats::tlog {

inline constexpr uint32_t kTileHeight = 8;
inline constexpr uint32_t kTileWidth = 256;
inline constexpr size_t kMaxEntryBytes = 65535;
// Highest hash tile level: 8 * 8 = 64 tree levels cover uint64 sizes.
inline constexpr uint8_t kMaxTileLevel = 7;

enum class TileKind : uint8_t { kHash, kEntries };

struct TileId {
  TileKind kind = TileKind::kHash;
  uint8_t level = 0;     // hash tiles only (0..kMaxTileLevel); 0 for entries
  uint64_t index = 0;    // N
  uint32_t width = kTileWidth;  // 1..256; 256 = full tile

  static TileId Hash(uint8_t level, uint64_t index, uint32_t width = kTileWidth) {
    return TileId{TileKind::kHash, level, index, width};
  }
  static TileId Entries(uint64_t index, uint32_t width = kTileWidth) {
    return TileId{TileKind::kEntries, 0, index, width};
  }
  bool full() const { return width == kTileWidth; }
  friend bool operator==(const TileId&, const TileId&) = default;
  friend auto operator<=>(const TileId&, const TileId&) = default;
};

// "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]" (no leading slash).
// REQUIRES: id valid (width 1..256, level <= kMaxTileLevel).
std::string TilePath(const TileId& id);
// The N encoding alone: 1234067 -> "x001/x234/067".
std::string EncodeTileIndex(uint64_t index);

// Strict inverse of TilePath: exactly the canonical form is accepted (no
// leading slash, no "..", no extra zeros or groups, "x" on all but the last
// group, W in 1..255 written without leading zeros, level 0..kMaxTileLevel
// as one digit, index fitting uint64). kMalformed otherwise (offset = byte
// position in `path`).
Result<TileId> ParseTilePath(std::string_view path);

// Every tile of a tree of `size` leaves (hash tiles of all levels, and entry
// bundles if `with_entries`), full and partial, in path order by level.
std::vector<TileId> TilesForSize(uint64_t size, bool with_entries);

// The hash tile (level, index) as it is in a tree of `size` leaves: full,
// or partial with width = its number of complete positions. kNotFound if the
// tile has no position yet at that size (or level > kMaxTileLevel).
Result<TileId> HashTileForSize(uint8_t level, uint64_t index, uint64_t size);

// Tile bytes: the concatenation of `hashes` (1..256 of them).
Bytes TileFromHashes(std::span<const Hash> hashes);
// Splits tile bytes into hashes; kMalformed if the size is not a multiple
// of 32 or the count does not equal `expected_width`.
Result<std::vector<Hash>> HashesFromTile(ByteSpan tile, uint32_t expected_width);

// Entry bundle: concatenation of uint16 BE length || entry. kInvalidArgument
// if an entry is longer than kMaxEntryBytes or more than 256 entries.
Result<Bytes> EncodeEntryBundle(std::span<const Bytes> entries);
// Strict parse: exactly `expected_count` entries (1..256), no trailing
// bytes. kMalformed with offset otherwise. Views alias `bundle`.
Result<std::vector<ByteSpan>> ParseEntryBundle(ByteSpan bundle,
                                               uint32_t expected_count);

// Source of tiles (local storage, an HTTP client, ...).
class TileReader {
 public:
  virtual ~TileReader() = default;
  // Returns the tile exactly as identified (a partial tile of width W must
  // contain exactly W hashes or entries). A reader may serve a prefix of a
  // wider tile. kNotFound if the tile does not exist.
  virtual Result<Bytes> ReadTile(const TileId& id) = 0;
};

// A HashReader over a TileReader for a tree of `size` leaves: each stored
// hash is read from (or computed inside) the tile that holds it, reading
// each tile at the width it has at `size`. Tiles are cached in memory (at
// most `max_cached_tiles`). The hashes are only as trustworthy as the
// tiles: always check results against a signed root. Thread-compatible.
class TileHashReader : public HashReader {
 public:
  TileHashReader(TileReader& tiles, uint64_t size,
                 size_t max_cached_tiles = 64)
      : tiles_(tiles), size_(size), max_cached_(max_cached_tiles) {}
  // kNotFound if (level, index) is not complete within `size`; kMalformed if
  // a tile has the wrong length; errors from the TileReader are passed on.
  Result<Hash> ReadHash(uint8_t level, uint64_t index) override;

 private:
  Result<const std::vector<Hash>*> Tile(uint8_t tile_level, uint64_t index);
  TileReader& tiles_;
  uint64_t size_;
  size_t max_cached_;
  std::map<std::pair<uint8_t, uint64_t>, std::vector<Hash>> cache_;
};

}  // namespace mats::tlog

#endif  // MATS_TLOG_TILES_H_
