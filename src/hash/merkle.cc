#include "mats/hash/merkle.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

namespace mats::hash {

namespace {
Bytes Sha256Parts(uint8_t prefix, ByteSpan a, ByteSpan b) {
  Bytes out(kMerkleHashSize);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) std::abort();
  EVP_DigestUpdate(ctx.get(), &prefix, 1);
  EVP_DigestUpdate(ctx.get(), a.data(), a.size());
  EVP_DigestUpdate(ctx.get(), b.data(), b.size());
  EVP_DigestFinal_ex(ctx.get(), out.data(), &len);
  return out;
}

// Proof length RFC 9162 verification consumes for (index, size): the same
// walk as VerifyInclusion without hashing. REQUIRES: index < size.
uint64_t ExpectedProofLength(uint64_t index, uint64_t size) {
  uint64_t len = 0;
  uint64_t fn = index, sn = size - 1;
  while (sn != 0) {
    ++len;
    if ((fn & 1) == 0 && fn == sn) {
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    }
    fn >>= 1;
    sn >>= 1;
  }
  return len;
}
}  // namespace

Bytes LeafHash(ByteSpan data) { return Sha256Parts(0x00, data, {}); }

Bytes NodeHash(ByteSpan left, ByteSpan right) { return Sha256Parts(0x01, left, right); }

Bytes MerkleRoot(const std::vector<Bytes>& leaf_hashes) {
  if (leaf_hashes.empty()) {
    Bytes out(kMerkleHashSize);
    SHA256(nullptr, 0, out.data());
    return out;
  }
  // Level by level; an odd last node is promoted unchanged, which yields the
  // RFC 6962 left-balanced tree.
  std::vector<Bytes> level = leaf_hashes;
  while (level.size() > 1) {
    std::vector<Bytes> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t i = 0; i + 1 < level.size(); i += 2)
      next.push_back(NodeHash(level[i], level[i + 1]));
    if (level.size() % 2 == 1) next.push_back(std::move(level.back()));
    level = std::move(next);
  }
  return level[0];
}

Result<std::vector<Bytes>> InclusionProof(const std::vector<Bytes>& leaf_hashes,
                                          uint64_t index) {
  if (index >= leaf_hashes.size())
    return InvalidArgument("merkle: leaf index {} out of range for {} leaves", index,
                           leaf_hashes.size());
  std::vector<Bytes> proof;
  std::vector<Bytes> level = leaf_hashes;
  uint64_t i = index;
  while (level.size() > 1) {
    uint64_t sib = i ^ 1;
    if (sib < level.size()) proof.push_back(level[sib]);
    std::vector<Bytes> next;
    next.reserve((level.size() + 1) / 2);
    for (size_t k = 0; k + 1 < level.size(); k += 2)
      next.push_back(NodeHash(level[k], level[k + 1]));
    if (level.size() % 2 == 1) next.push_back(std::move(level.back()));
    level = std::move(next);
    i >>= 1;
  }
  return proof;
}

Status VerifyInclusion(uint64_t index, uint64_t size, ByteSpan leaf_hash,
                       const std::vector<Bytes>& proof, ByteSpan root) {
  if (index >= size)
    return VerificationFailed("merkle: leaf index {} is not below tree size {}", index, size);
  if (leaf_hash.size() != kMerkleHashSize || root.size() != kMerkleHashSize)
    return VerificationFailed("merkle: leaf or root hash is not 32 bytes");
  uint64_t want = ExpectedProofLength(index, size);
  if (proof.size() != want)
    return VerificationFailed("merkle: proof has {} hashes, want {}", proof.size(), want);
  for (const Bytes& p : proof)
    if (p.size() != kMerkleHashSize)
      return VerificationFailed("merkle: proof hash is not 32 bytes");
  uint64_t fn = index, sn = size - 1;
  Bytes r(leaf_hash.begin(), leaf_hash.end());
  for (const Bytes& p : proof) {
    if ((fn & 1) != 0 || fn == sn) {
      r = NodeHash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return VerificationFailed("merkle: proof does not reach the root");
  if (CRYPTO_memcmp(r.data(), root.data(), kMerkleHashSize) != 0)
    return VerificationFailed("merkle: computed root differs from the signed root");
  return Status::Ok();
}

}  // namespace mats::hash
