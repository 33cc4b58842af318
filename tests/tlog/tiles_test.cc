#include "mats/tlog/tiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;

TEST(TilesTest, IndexEncoding) {
  EXPECT_EQ(EncodeTileIndex(0), "000");
  EXPECT_EQ(EncodeTileIndex(5), "005");
  EXPECT_EQ(EncodeTileIndex(999), "999");
  EXPECT_EQ(EncodeTileIndex(1000), "x001/000");
  EXPECT_EQ(EncodeTileIndex(1234067), "x001/x234/067");
  EXPECT_EQ(EncodeTileIndex(UINT64_MAX), "x018/x446/x744/x073/x709/x551/615");
}

TEST(TilesTest, Paths) {
  EXPECT_EQ(TilePath(TileId::Hash(0, 1000, 17)), "tile/0/x001/000.p/17");
  EXPECT_EQ(TilePath(TileId::Hash(2, 0, 1)), "tile/2/000.p/1");
  EXPECT_EQ(TilePath(TileId::Hash(1, 1)), "tile/1/001");
  EXPECT_EQ(TilePath(TileId::Entries(273, 112)), "tile/entries/273.p/112");
  EXPECT_EQ(TilePath(TileId::Entries(5)), "tile/entries/005");
}

TEST(TilesTest, ParseRoundTrip) {
  std::vector<TileId> ids = {TileId::Hash(0, 0), TileId::Hash(0, 1000, 17),
                             TileId::Hash(7, 1234067, 255), TileId::Entries(0, 1),
                             TileId::Entries(999999), TileId::Hash(3, UINT64_MAX)};
  for (const TileId& id : ids) {
    ASSERT_OK_AND_ASSIGN(TileId back, ParseTilePath(TilePath(id)));
    EXPECT_EQ(back, id) << TilePath(id);
  }
}

TEST(TilesTest, ParseRejectsNonCanonical) {
  const char* bad[] = {
      "",                      // empty
      "/tile/0/000",           // leading slash
      "tiles/0/000",           // prefix
      "tile/8/000",            // level too high
      "tile/10/000",           // two-digit level
      "tile/a/000",            // bad level
      "tile/0/00",             // short group
      "tile/0/0000",           // long group
      "tile/0/x000/001",       // leading zero group
      "tile/0/001/000",        // missing x
      "tile/0/x001",           // x on last group
      "tile/0/x001/",          // nothing after x group
      "tile/0/x001000",        // missing '/'
      "tile/0/000.p/0",        // width 0
      "tile/0/000.p/256",      // width 256
      "tile/0/000.p/017",      // leading zero width
      "tile/0/000.p/",         // empty width
      "tile/0/000.p/1a",       // bad width
      "tile/0/000.p/1000",     // width too long
      "tile/0/000/",           // trailing slash
      "tile/0/000.q/5",        // bad suffix
      "tile/0/../000",         // traversal
      "tile/entries/../0/000", // traversal
      "tile/entries/x001",     // x on last group
      "tile/0/x018/x446/x744/x073/x709/x551/616",  // overflow
      "tile/0/x999/x999/x999/x999/x999/x999/x999/999",  // overflow
      "tile/0/000\n",          // trailing newline
      "tile/0/-01",            // sign
  };
  for (const char* p : bad) {
    EXPECT_THAT(ParseTilePath(p), StatusIs(ErrorCode::kMalformed)) << p;
  }
  std::string long_path = "tile/0/" + std::string(100, 'x');
  EXPECT_THAT(ParseTilePath(long_path), StatusIs(ErrorCode::kMalformed));
}

std::vector<std::string> Paths(const std::vector<TileId>& ids) {
  std::vector<std::string> out;
  for (const TileId& id : ids) out.push_back(TilePath(id));
  return out;
}

TEST(TilesTest, TilesForSize) {
  EXPECT_TRUE(TilesForSize(0, true).empty());
  EXPECT_THAT(Paths(TilesForSize(256, false)),
              ::testing::ElementsAre("tile/0/000", "tile/1/000.p/1"));
  EXPECT_THAT(Paths(TilesForSize(3, true)),
              ::testing::ElementsAre("tile/0/000.p/3", "tile/entries/000.p/3"));
  auto tiles = Paths(TilesForSize(70000, false));
  // tile/0/000 ... tile/0/272, tile/0/273.p/112, tile/1/000, tile/1/001.p/17, tile/2/000.p/1
  ASSERT_EQ(tiles.size(), 273u + 1 + 1 + 1 + 1);
  EXPECT_EQ(tiles[0], "tile/0/000");
  EXPECT_EQ(tiles[272], "tile/0/272");
  EXPECT_EQ(tiles[273], "tile/0/273.p/112");
  EXPECT_EQ(tiles[274], "tile/1/000");
  EXPECT_EQ(tiles[275], "tile/1/001.p/17");
  EXPECT_EQ(tiles[276], "tile/2/000.p/1");
}

TEST(TilesTest, HashTileForSize) {
  ASSERT_OK_AND_ASSIGN(TileId t, HashTileForSize(0, 273, 70000));
  EXPECT_EQ(t, TileId::Hash(0, 273, 112));
  ASSERT_OK_AND_ASSIGN(t, HashTileForSize(0, 3, 70000));
  EXPECT_EQ(t, TileId::Hash(0, 3));
  EXPECT_THAT(HashTileForSize(0, 274, 70000), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(HashTileForSize(1, 0, 255), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(HashTileForSize(8, 0, 255), StatusIs(ErrorCode::kNotFound));
}

TEST(TilesTest, EntryBundles) {
  std::vector<Bytes> entries = {{1, 2, 3}, {}, Bytes(300, 7)};
  ASSERT_OK_AND_ASSIGN(Bytes bundle, EncodeEntryBundle(entries));
  EXPECT_EQ(bundle.size(), 2 + 3 + 2 + 0 + 2 + 300u);
  EXPECT_EQ(bundle[0], 0);
  EXPECT_EQ(bundle[1], 3);
  ASSERT_OK_AND_ASSIGN(auto views, ParseEntryBundle(bundle, 3));
  ASSERT_EQ(views.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(Bytes(views[i].begin(), views[i].end()), entries[i]);
  }
  EXPECT_THAT(ParseEntryBundle(bundle, 2), StatusIs(ErrorCode::kMalformed, ::testing::HasSubstr("trailing")));
  EXPECT_THAT(ParseEntryBundle(bundle, 4), StatusIs(ErrorCode::kMalformed, ::testing::HasSubstr("ends after 3")));
  EXPECT_THAT(ParseEntryBundle(bundle, 0), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseEntryBundle(bundle, 257), StatusIs(ErrorCode::kInvalidArgument));
  Bytes truncated(bundle.begin(), bundle.end() - 1);
  EXPECT_THAT(ParseEntryBundle(truncated, 3), StatusIs(ErrorCode::kMalformed));
  Bytes half_len = {0x00};
  EXPECT_THAT(ParseEntryBundle(half_len, 1), StatusIs(ErrorCode::kMalformed));
  std::vector<Bytes> too_big = {Bytes(kMaxEntryBytes + 1)};
  EXPECT_THAT(EncodeEntryBundle(too_big), StatusIs(ErrorCode::kInvalidArgument));
  std::vector<Bytes> too_many(257, Bytes{1});
  EXPECT_THAT(EncodeEntryBundle(too_many), StatusIs(ErrorCode::kInvalidArgument));
  // Truncation at every offset never crashes and always fails.
  for (size_t n = 0; n < bundle.size(); ++n) {
    EXPECT_FALSE(ParseEntryBundle(ByteSpan(bundle).first(n), 3).ok()) << n;
  }
}

TEST(TilesTest, HashesFromTile) {
  std::vector<Hash> hashes(3);
  hashes[1][0] = 1;
  Bytes tile = TileFromHashes(hashes);
  ASSERT_OK_AND_ASSIGN(auto back, HashesFromTile(tile, 3));
  EXPECT_EQ(back, hashes);
  EXPECT_THAT(HashesFromTile(tile, 2), StatusIs(ErrorCode::kMalformed));
  Bytes odd(tile.begin(), tile.end() - 1);
  EXPECT_THAT(HashesFromTile(odd, 3), StatusIs(ErrorCode::kMalformed));
}

// Tiles built from leaves, served from a map: TileHashReader must reproduce
// the complete-subtree hashes and proofs for every size.
class MapTiles : public TileReader {
 public:
  explicit MapTiles(const std::vector<Hash>& leaves) {
    std::vector<Hash> level = leaves;
    for (uint8_t l = 0; !level.empty() && l <= kMaxTileLevel; ++l) {
      levels_.push_back(level);
      std::vector<Hash> up;
      for (size_t i = 0; i + kTileWidth <= level.size(); i += kTileWidth) {
        up.push_back(RootFromLeafHashes(std::span(level).subspan(i, kTileWidth)));
      }
      level = std::move(up);
    }
  }
  Result<Bytes> ReadTile(const TileId& id) override {
    ++reads;
    if (id.kind != TileKind::kHash || id.level >= levels_.size()) return NotFound("no tile");
    const auto& lv = levels_[id.level];
    uint64_t start = id.index * kTileWidth;
    if (start + id.width > lv.size()) return NotFound("no tile");
    return TileFromHashes(std::span(lv).subspan(start, id.width));
  }
  size_t reads = 0;

 private:
  std::vector<std::vector<Hash>> levels_;
};

TEST(TilesTest, TileHashReaderProofs) {
  std::vector<Hash> leaves;
  for (int i = 0; i < 70000; ++i) {
    std::string s = std::to_string(i);
    leaves.push_back(Hasher::HashLeaf(AsBytes(s)));
  }
  MapTiles tiles(leaves);
  for (uint64_t size : {1ull, 255ull, 256ull, 257ull, 65535ull, 65536ull, 65537ull, 70000ull}) {
    Hash want = RootFromLeafHashes(std::span(leaves).first(size));
    TileHashReader reader(tiles, size);
    ASSERT_OK_AND_ASSIGN(Hash root, TreeRoot(size, reader));
    ASSERT_EQ(root, want) << size;
    for (uint64_t i : {uint64_t{0}, size / 2, size - 1}) {
      ASSERT_OK_AND_ASSIGN(auto p, ProveInclusion(i, size, reader));
      ASSERT_THAT(VerifyInclusion(i, size, leaves[i], p, want), IsOk());
    }
    for (uint64_t m : {uint64_t{1}, size / 3, size - 1}) {
      if (m == 0 || m > size) continue;
      Hash old_root = RootFromLeafHashes(std::span(leaves).first(m));
      ASSERT_OK_AND_ASSIGN(auto p, ProveConsistency(m, size, reader));
      ASSERT_THAT(VerifyConsistency(m, size, p, old_root, want), IsOk()) << m << " " << size;
    }
  }
  TileHashReader reader(tiles, 1000);
  EXPECT_THAT(reader.ReadHash(0, 1000), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(reader.ReadHash(10, 0), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(reader.ReadHash(64, 0), StatusIs(ErrorCode::kNotFound));
}

class BadTiles : public TileReader {
 public:
  Result<Bytes> ReadTile(const TileId&) override { return Bytes(33); }
};

TEST(TilesTest, TileHashReaderRejectsBadTile) {
  BadTiles tiles;
  TileHashReader reader(tiles, 10);
  EXPECT_THAT(reader.ReadHash(0, 1), StatusIs(ErrorCode::kMalformed, ::testing::HasSubstr("tile/0/000.p/10")));
}

}  // namespace
}  // namespace mats::tlog
