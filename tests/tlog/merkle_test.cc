#include "mats/tlog/merkle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "mats/core/encoding.h"
#include "testing/status_matchers.h"

namespace mats::tlog {
namespace {

using ::mats::testing::IsOk;
using ::mats::testing::StatusIs;

Hash H(std::string_view hex) {
  Result<Bytes> b = HexDecode(hex);
  EXPECT_TRUE(b.ok());
  Result<Hash> h = HashFromBytes(*b);
  EXPECT_TRUE(h.ok());
  return *h;
}

std::vector<Hash> RfcLeafHashes() {
  const char* leaves[] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"};
  std::vector<Hash> out;
  for (const char* l : leaves) out.push_back(Hasher::HashLeaf(*HexDecode(l)));
  return out;
}

// ---- TEST-ONLY REFERENCE ORACLE ----
// A naive recursive RFC 6962 implementation (MTH, PATH, PROOF exactly as
// written in RFC 6962 section 2.1), memoized. It recurses on tree sizes of a
// trusted in-memory list, never on input, and exists only to check the real
// implementation.
class NaiveTree {
 public:
  explicit NaiveTree(std::vector<Hash> leaves) : leaves_(std::move(leaves)) {}

  Hash Mth(uint64_t lo, uint64_t hi) {  // NOLINT(misc-no-recursion)
    if (hi == lo) return Hasher::EmptyRoot();
    if (hi - lo == 1) return leaves_[lo];
    auto key = std::make_pair(lo, hi);
    auto it = memo_.find(key);
    if (it != memo_.end()) return it->second;
    uint64_t k = 1;
    while (k * 2 < hi - lo) k *= 2;
    Hash h = Hasher::HashChildren(Mth(lo, lo + k), Mth(lo + k, hi));
    memo_[key] = h;
    return h;
  }

  // PATH(m, D[lo:hi])
  std::vector<Hash> Path(uint64_t m, uint64_t lo, uint64_t hi) {  // NOLINT(misc-no-recursion)
    if (hi - lo <= 1) return {};
    uint64_t k = 1;
    while (k * 2 < hi - lo) k *= 2;
    std::vector<Hash> p;
    if (m < k) {
      p = Path(m, lo, lo + k);
      p.push_back(Mth(lo + k, hi));
    } else {
      p = Path(m - k, lo + k, hi);
      p.push_back(Mth(lo, lo + k));
    }
    return p;
  }

  // SUBPROOF(m, D[lo:hi], b)
  std::vector<Hash> SubProof(uint64_t m, uint64_t lo, uint64_t hi, bool b) {  // NOLINT
    uint64_t n = hi - lo;
    if (m == n) {
      if (b) return {};
      return {Mth(lo, hi)};
    }
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    std::vector<Hash> p;
    if (m <= k) {
      p = SubProof(m, lo, lo + k, b);
      p.push_back(Mth(lo + k, hi));
    } else {
      p = SubProof(m - k, lo + k, hi, false);
      p.push_back(Mth(lo, lo + k));
    }
    return p;
  }

 private:
  std::vector<Hash> leaves_;
  std::map<std::pair<uint64_t, uint64_t>, Hash> memo_;
};

// All complete-subtree hashes precomputed, like stored tiles.
class StoredHashes : public HashReader {
 public:
  explicit StoredHashes(const std::vector<Hash>& leaves) {
    levels_.push_back(leaves);
    while (levels_.back().size() > 1) {
      const auto& below = levels_.back();
      std::vector<Hash> up;
      for (size_t i = 0; i + 1 < below.size(); i += 2) {
        up.push_back(Hasher::HashChildren(below[i], below[i + 1]));
      }
      levels_.push_back(std::move(up));
    }
  }
  Result<Hash> ReadHash(uint8_t level, uint64_t index) override {
    ++reads;
    if (level >= levels_.size() || index >= levels_[level].size()) {
      return NotFound("no hash ({}, {})", level, index);
    }
    return levels_[level][index];
  }
  size_t reads = 0;

 private:
  std::vector<std::vector<Hash>> levels_;
};

std::vector<Hash> MakeLeaves(size_t n) {
  std::vector<Hash> out;
  for (size_t i = 0; i < n; ++i) {
    std::string d = "leaf " + std::to_string(i);
    out.push_back(Hasher::HashLeaf(AsBytes(d)));
  }
  return out;
}

TEST(MerkleTest, HasherPrefixes) {
  EXPECT_EQ(HashHex(Hasher::EmptyRoot()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Leaf of "" = SHA-256(0x00)
  EXPECT_EQ(HashHex(Hasher::HashLeaf({})),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  Bytes big(5000, 0x61);  // exercises the streaming path
  std::vector<Hash> one = {Hasher::HashLeaf(big)};
  EXPECT_EQ(RootFromLeafHashes(one), Hasher::HashLeaf(big));
}

TEST(MerkleTest, RfcRoots) {
  const char* roots[] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  std::vector<Hash> leaves = RfcLeafHashes();
  StoredHashes stored(leaves);
  for (size_t n = 0; n <= 8; ++n) {
    EXPECT_EQ(HashHex(RootFromLeafHashes(std::span(leaves).first(n))), roots[n]) << n;
    ASSERT_OK_AND_ASSIGN(Hash r, TreeRoot(n, stored));
    EXPECT_EQ(HashHex(r), roots[n]) << n;
  }
}

TEST(MerkleTest, RfcInclusionVectors) {
  std::vector<Hash> leaves = RfcLeafHashes();
  StoredHashes stored(leaves);
  Hash root8 = RootFromLeafHashes(leaves);
  std::vector<Hash> want0 = {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                             H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                             H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")};
  std::vector<Hash> want5 = {H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                             H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                             H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")};
  ASSERT_OK_AND_ASSIGN(auto p0, ProveInclusion(0, 8, stored));
  EXPECT_EQ(p0, want0);
  ASSERT_OK_AND_ASSIGN(auto p5, ProveInclusion(5, 8, stored));
  EXPECT_EQ(p5, want5);
  EXPECT_THAT(VerifyInclusion(0, 8, leaves[0], want0, root8), IsOk());
  EXPECT_THAT(VerifyInclusion(5, 8, leaves[5], want5, root8), IsOk());
  EXPECT_THAT(VerifyInclusion(5, 8, leaves[4], want5, root8),
              StatusIs(ErrorCode::kVerificationFailed));
}

TEST(MerkleTest, RfcConsistencyVectors) {
  std::vector<Hash> leaves = RfcLeafHashes();
  StoredHashes stored(leaves);
  auto root = [&](size_t n) { return RootFromLeafHashes(std::span(leaves).first(n)); };
  struct Case {
    uint64_t m, n;
    std::vector<Hash> proof;
  };
  std::vector<Case> cases = {
      {1, 8,
       {H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
      {6, 8,
       {H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")}},
      {2, 5,
       {H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")}},
      {4, 8, {H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")}},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(auto p, ProveConsistency(c.m, c.n, stored));
    EXPECT_EQ(p, c.proof) << c.m << "->" << c.n;
    EXPECT_THAT(VerifyConsistency(c.m, c.n, c.proof, root(c.m), root(c.n)), IsOk());
    EXPECT_THAT(VerifyConsistency(c.m, c.n, c.proof, root(c.n), root(c.m)),
                StatusIs(ErrorCode::kVerificationFailed));
  }
}

// Compares proofs and roots with the naive oracle for every size and index
// (inclusion) and every pair of sizes (consistency) up to kMax.
TEST(MerkleTest, MatchesNaiveReferenceForAllSizes) {
  constexpr uint64_t kMax = 300;
  std::vector<Hash> leaves = MakeLeaves(kMax);
  NaiveTree naive(leaves);
  StoredHashes stored(leaves);
  std::vector<Hash> roots(kMax + 1);
  for (uint64_t n = 0; n <= kMax; ++n) {
    roots[n] = naive.Mth(0, n);
    ASSERT_OK_AND_ASSIGN(Hash r, TreeRoot(n, stored));
    ASSERT_EQ(r, roots[n]) << n;
    ASSERT_EQ(RootFromLeafHashes(std::span(leaves).first(n)), roots[n]) << n;
  }
  for (uint64_t n = 1; n <= kMax; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(auto p, ProveInclusion(i, n, stored));
      ASSERT_EQ(p, naive.Path(i, 0, n)) << i << " in " << n;
      ASSERT_EQ(p.size(), InclusionProofLength(i, n));
      ASSERT_THAT(VerifyInclusion(i, n, leaves[i], p, roots[n]), IsOk()) << i << " " << n;
    }
  }
  for (uint64_t n = 1; n <= kMax; ++n) {
    for (uint64_t m = 0; m <= n; ++m) {
      ASSERT_OK_AND_ASSIGN(auto p, ProveConsistency(m, n, stored));
      std::vector<Hash> want = (m == 0 || m == n) ? std::vector<Hash>{} : naive.SubProof(m, 0, n, true);
      ASSERT_EQ(p, want) << m << "->" << n;
      ASSERT_EQ(p.size(), ConsistencyProofLength(m, n));
      ASSERT_THAT(VerifyConsistency(m, n, p, roots[m], roots[n]), IsOk()) << m << "->" << n;
    }
  }
}

TEST(MerkleTest, ProofMutationsFail) {
  constexpr uint64_t kMax = 40;
  std::vector<Hash> leaves = MakeLeaves(kMax);
  StoredHashes stored(leaves);
  std::vector<Hash> roots(kMax + 1);
  for (uint64_t n = 0; n <= kMax; ++n) roots[n] = RootFromLeafHashes(std::span(leaves).first(n));
  Hash junk = Hasher::HashLeaf(AsBytes("junk"));
  for (uint64_t n = 1; n <= kMax; ++n) {
    for (uint64_t i = 0; i < n; ++i) {
      auto p = *ProveInclusion(i, n, stored);
      for (size_t k = 0; k < p.size(); ++k) {
        auto bad = p;
        bad[k][k % kHashSize] ^= 1;
        ASSERT_THAT(VerifyInclusion(i, n, leaves[i], bad, roots[n]),
                    StatusIs(ErrorCode::kVerificationFailed));
      }
      auto longer = p;
      longer.push_back(junk);
      ASSERT_THAT(VerifyInclusion(i, n, leaves[i], longer, roots[n]),
                  StatusIs(ErrorCode::kVerificationFailed));
      if (!p.empty()) {
        auto shorter = p;
        shorter.pop_back();
        ASSERT_THAT(VerifyInclusion(i, n, leaves[i], shorter, roots[n]),
                    StatusIs(ErrorCode::kVerificationFailed));
      }
      // Wrong index or size.
      if (n > 1) {
        ASSERT_FALSE(VerifyInclusion((i + 1) % n, n, leaves[i], p, roots[n]).ok());
      }
    }
    for (uint64_t m = 1; m < n; ++m) {
      auto p = *ProveConsistency(m, n, stored);
      for (size_t k = 0; k < p.size(); ++k) {
        auto bad = p;
        bad[k][0] ^= 0x80;
        ASSERT_THAT(VerifyConsistency(m, n, bad, roots[m], roots[n]),
                    StatusIs(ErrorCode::kVerificationFailed))
            << m << "->" << n << " hash " << k;
      }
      auto longer = p;
      longer.push_back(junk);
      ASSERT_THAT(VerifyConsistency(m, n, longer, roots[m], roots[n]),
                  StatusIs(ErrorCode::kVerificationFailed));
      auto shorter = p;
      shorter.pop_back();
      ASSERT_THAT(VerifyConsistency(m, n, shorter, roots[m], roots[n]),
                  StatusIs(ErrorCode::kVerificationFailed));
      ASSERT_THAT(VerifyConsistency(m, n, p, junk, roots[n]),
                  StatusIs(ErrorCode::kVerificationFailed));
      ASSERT_THAT(VerifyConsistency(m, n, p, roots[m], junk),
                  StatusIs(ErrorCode::kVerificationFailed));
    }
  }
}

TEST(MerkleTest, EdgeCases) {
  std::vector<Hash> leaves = MakeLeaves(8);
  Hash root = RootFromLeafHashes(leaves);
  Hash empty = Hasher::EmptyRoot();
  // Index out of range.
  EXPECT_THAT(VerifyInclusion(8, 8, leaves[0], {}, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("out of range")));
  EXPECT_THAT(VerifyInclusion(0, 0, leaves[0], {}, empty),
              StatusIs(ErrorCode::kVerificationFailed));
  // Size 1: empty proof, root = leaf.
  std::vector<Hash> none;
  EXPECT_THAT(VerifyInclusion(0, 1, leaves[0], none, leaves[0]), IsOk());
  // Exact length named in the error.
  std::vector<Hash> two = {leaves[1], leaves[2]};
  EXPECT_THAT(VerifyInclusion(0, 8, leaves[0], two, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("got 2 hashes, want 3")));
  std::vector<Hash> huge(kMaxProofHashes + 1, leaves[0]);
  EXPECT_THAT(VerifyInclusion(0, 8, leaves[0], huge, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("at most")));
  EXPECT_THAT(VerifyConsistency(1, 8, huge, leaves[0], root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("at most")));
  // Consistency edge cases.
  EXPECT_THAT(VerifyConsistency(0, 8, none, empty, root), IsOk());
  EXPECT_THAT(VerifyConsistency(0, 0, none, empty, empty), IsOk());
  EXPECT_THAT(VerifyConsistency(0, 8, none, root, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("size 0")));
  EXPECT_THAT(VerifyConsistency(0, 8, two, empty, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("want 0")));
  EXPECT_THAT(VerifyConsistency(8, 8, none, root, root), IsOk());
  EXPECT_THAT(VerifyConsistency(8, 8, none, root, empty),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("roots differ")));
  EXPECT_THAT(VerifyConsistency(8, 8, two, root, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("want 0")));
  EXPECT_THAT(VerifyConsistency(8, 4, none, root, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("size1 8 > size2 4")));
  EXPECT_THAT(VerifyConsistency(3, 8, none, root, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("got 0 hashes")));
  // Generation argument errors.
  StoredHashes stored(leaves);
  EXPECT_THAT(ProveInclusion(8, 8, stored), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ProveConsistency(5, 4, stored), StatusIs(ErrorCode::kInvalidArgument));
  // Missing stored hashes are passed through.
  EXPECT_THAT(ProveInclusion(0, 9, stored), StatusIs(ErrorCode::kNotFound));
  // Large uint64 sizes: lengths are computed without overflow.
  EXPECT_EQ(InclusionProofLength(0, UINT64_MAX), 64u);
  EXPECT_EQ(InclusionProofLength(UINT64_MAX - 1, UINT64_MAX), 63u);
  EXPECT_EQ(ConsistencyProofLength(1, UINT64_MAX), 64u);
  EXPECT_THAT(HashFromBytes(Bytes(31)), StatusIs(ErrorCode::kMalformed));
  EXPECT_TRUE(HashEqual(root, root));
  EXPECT_FALSE(HashEqual(root, empty));
}

TEST(MerkleTest, LeafHashReaderMatchesStored) {
  std::vector<Hash> leaves = MakeLeaves(37);
  LeafHashReader reader(leaves);
  StoredHashes stored(leaves);
  for (uint8_t level = 0; level < 7; ++level) {
    for (uint64_t i = 0; i < 40; ++i) {
      auto a = reader.ReadHash(level, i);
      auto b = stored.ReadHash(level, i);
      ASSERT_EQ(a.ok(), b.ok()) << int{level} << " " << i;
      if (a.ok()) {
        ASSERT_EQ(*a, *b);
      }
    }
  }
  EXPECT_THAT(reader.ReadHash(64, 0), StatusIs(ErrorCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto p, ProveInclusion(36, 37, reader));
  EXPECT_THAT(VerifyInclusion(36, 37, leaves[36], p, RootFromLeafHashes(leaves)), IsOk());
}

TEST(MerkleTest, ProofsReadFewHashes) {
  std::vector<Hash> leaves = MakeLeaves(1000);
  StoredHashes stored(leaves);
  ASSERT_OK_AND_ASSIGN(auto p, ProveInclusion(517, 1000, stored));
  (void)p;
  // O(log^2 n) reads at most.
  EXPECT_LE(stored.reads, 100u);
}

}  // namespace
}  // namespace mats::tlog
