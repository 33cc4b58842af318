#include "mats/hash/merkle.h"

#include <openssl/sha.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mats/core/encoding.h"
#include "testing/status_matchers.h"

namespace mats::hash {
namespace {

using ::mats::testing::StatusIs;

// Test-only reference oracle: RFC 6962 §2.1 MTH and PATH, recursively.
Bytes NaiveRoot(const std::vector<Bytes>& l, size_t b, size_t e) {
  if (e - b == 1) return l[b];
  size_t k = 1;
  while (k * 2 < e - b) k *= 2;
  return NodeHash(NaiveRoot(l, b, b + k), NaiveRoot(l, b + k, e));
}
void NaivePath(const std::vector<Bytes>& l, size_t m, size_t b, size_t e,
               std::vector<Bytes>& out) {
  if (e - b == 1) return;
  size_t k = 1;
  while (k * 2 < e - b) k *= 2;
  if (m < k) {
    NaivePath(l, m, b, b + k, out);
    out.push_back(NaiveRoot(l, b + k, e));
  } else {
    NaivePath(l, m - k, b + k, e, out);
    out.push_back(NaiveRoot(l, b, b + k));
  }
}

std::vector<Bytes> Leaves(size_t n) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash(AsBytes(fmt::format("record {}", i))));
  return out;
}

TEST(MerkleTest, Rfc6962Vectors) {
  // Empty tree and the single empty leaf (RFC 6962 / CT test vectors).
  EXPECT_EQ(HexEncode(MerkleRoot({})),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(LeafHash({})),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(MerkleTest, MatchesNaiveOracle) {
  for (size_t n = 1; n <= 70; ++n) {
    auto leaves = Leaves(n);
    Bytes root = MerkleRoot(leaves);
    ASSERT_EQ(root, NaiveRoot(leaves, 0, n)) << n;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(auto proof, InclusionProof(leaves, i));
      std::vector<Bytes> want;
      NaivePath(leaves, i, 0, n, want);
      ASSERT_EQ(proof, want) << n << " " << i;
      ASSERT_OK(VerifyInclusion(i, n, leaves[i], proof, root));
    }
  }
}

TEST(MerkleTest, RejectsBadProofs) {
  auto leaves = Leaves(7);
  Bytes root = MerkleRoot(leaves);
  ASSERT_OK_AND_ASSIGN(auto proof, InclusionProof(leaves, 3));
  EXPECT_THAT(VerifyInclusion(3, 7, leaves[4], proof, root), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(VerifyInclusion(4, 7, leaves[3], proof, root), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(VerifyInclusion(7, 7, leaves[3], proof, root), StatusIs(ErrorCode::kVerificationFailed));
  auto longer = proof;
  longer.push_back(root);
  EXPECT_THAT(VerifyInclusion(3, 7, leaves[3], longer, root),
              StatusIs(ErrorCode::kVerificationFailed, ::testing::HasSubstr("want")));
  auto shorter = proof;
  shorter.pop_back();
  EXPECT_THAT(VerifyInclusion(3, 7, leaves[3], shorter, root), StatusIs(ErrorCode::kVerificationFailed));
  auto bad = proof;
  bad[0][0] ^= 1;
  EXPECT_THAT(VerifyInclusion(3, 7, leaves[3], bad, root), StatusIs(ErrorCode::kVerificationFailed));
  bad = proof;
  bad[0].pop_back();
  EXPECT_THAT(VerifyInclusion(3, 7, leaves[3], bad, root), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(VerifyInclusion(3, 4, leaves[3], proof, root), StatusIs(ErrorCode::kVerificationFailed));
  EXPECT_THAT(InclusionProof(leaves, 7), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace mats::hash
