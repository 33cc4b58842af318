#include "mats/tlog/merkle.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <memory>

#include "mats/core/encoding.h"

namespace mats::tlog {
namespace {

// Largest power of two strictly less than n. REQUIRES: n >= 2.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

size_t InnerProofSize(uint64_t index, uint64_t size) {
  return static_cast<size_t>(std::bit_width(index ^ (size - 1)));
}

// v >> n, defined for n == 64 (an inner proof spanning a 2^64 tree).
uint64_t ShiftRight(uint64_t v, size_t n) { return n >= 64 ? 0 : v >> n; }

Hash ChainInner(Hash seed, std::span<const Hash> proof, uint64_t index) {
  for (size_t i = 0; i < proof.size(); ++i) {
    if (((index >> i) & 1) == 0) {
      seed = Hasher::HashChildren(seed, proof[i]);
    } else {
      seed = Hasher::HashChildren(proof[i], seed);
    }
  }
  return seed;
}

Hash ChainInnerRight(Hash seed, std::span<const Hash> proof, uint64_t index) {
  for (size_t i = 0; i < proof.size(); ++i) {
    if (((index >> i) & 1) == 1) seed = Hasher::HashChildren(proof[i], seed);
  }
  return seed;
}

Hash ChainBorderRight(Hash seed, std::span<const Hash> proof) {
  for (const Hash& h : proof) seed = Hasher::HashChildren(h, seed);
  return seed;
}

// MTH(D[lo:hi]) from stored complete-subtree hashes. REQUIRES lo < hi and lo
// aligned as in every range of the RFC 6962 recursion.
Result<Hash> RangeHash(uint64_t lo, uint64_t hi, HashReader& reader) {
  Hash blocks[64];
  size_t count = 0;
  uint64_t pos = lo;
  while (pos < hi) {
    uint64_t block = std::bit_floor(hi - pos);
    uint8_t level = static_cast<uint8_t>(std::countr_zero(block));
    if (pos % block != 0 || count >= 64) {
      return Internal("tlog: unaligned subtree range [{}, {})", lo, hi);
    }
    MATS_ASSIGN_OR_RETURN(blocks[count], reader.ReadHash(level, pos >> level));
    ++count;
    pos += block;
  }
  Hash h = blocks[count - 1];
  for (size_t i = count - 1; i > 0; --i) h = Hasher::HashChildren(blocks[i - 1], h);
  return h;
}

}  // namespace

Hash Hasher::EmptyRoot() {
  Hash h;
  SHA256(nullptr, 0, h.data());
  return h;
}

Hash Hasher::HashLeaf(ByteSpan data) {
  Hash h;
  uint8_t small[1024];
  if (data.size() < sizeof(small)) {
    small[0] = 0x00;
    std::copy(data.begin(), data.end(), small + 1);
    SHA256(small, data.size() + 1, h.data());
    return h;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  const uint8_t prefix = 0x00;
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), &prefix, 1) != 1 ||
      EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), h.data(), &len) != 1) {
    std::abort();  // allocation failure inside OpenSSL: out of memory
  }
  return h;
}

Hash Hasher::HashChildren(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 2 * kHashSize];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 1 + kHashSize);
  Hash h;
  SHA256(buf, sizeof(buf), h.data());
  return h;
}

Result<Hash> HashFromBytes(ByteSpan bytes) {
  if (bytes.size() != kHashSize) {
    return Malformed(0, "tlog: hash of {} bytes, want {}", bytes.size(), kHashSize);
  }
  Hash h;
  std::copy(bytes.begin(), bytes.end(), h.begin());
  return h;
}

std::string HashHex(const Hash& h) { return HexEncode(h); }

bool HashEqual(const Hash& a, const Hash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), kHashSize) == 0;
}

Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes) {
  if (leaf_hashes.empty()) return Hasher::EmptyRoot();
  // Stack of perfect subtree roots of decreasing size (a compact range).
  Hash stack[65];
  uint8_t levels[65];
  size_t depth = 0;
  for (const Hash& leaf : leaf_hashes) {
    Hash h = leaf;
    uint8_t level = 0;
    while (depth > 0 && levels[depth - 1] == level) {
      h = Hasher::HashChildren(stack[depth - 1], h);
      --depth;
      ++level;
    }
    stack[depth] = h;
    levels[depth] = level;
    ++depth;
  }
  Hash root = stack[depth - 1];
  for (size_t i = depth - 1; i > 0; --i) root = Hasher::HashChildren(stack[i - 1], root);
  return root;
}

size_t InclusionProofLength(uint64_t index, uint64_t size) {
  size_t inner = InnerProofSize(index, size);
  return inner + static_cast<size_t>(std::popcount(ShiftRight(index, inner)));
}

size_t ConsistencyProofLength(uint64_t size1, uint64_t size2) {
  if (size1 == 0 || size1 >= size2) return 0;
  size_t inner = InnerProofSize(size1 - 1, size2);
  size_t border = static_cast<size_t>(std::popcount(ShiftRight(size1 - 1, inner)));
  size_t shift = static_cast<size_t>(std::countr_zero(size1));
  size_t start = (size1 == (uint64_t{1} << shift)) ? 0 : 1;
  return start + (inner - shift) + border;
}

Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size,
                                    const Hash& leaf_hash,
                                    std::span<const Hash> proof) {
  if (index >= size) {
    return VerificationFailed("tlog: inclusion proof: index {} out of range for tree size {}",
                              index, size);
  }
  if (proof.size() > kMaxProofHashes) {
    return VerificationFailed("tlog: inclusion proof: {} hashes, at most {} allowed",
                              proof.size(), kMaxProofHashes);
  }
  size_t inner = InnerProofSize(index, size);
  size_t want = InclusionProofLength(index, size);
  if (proof.size() != want) {
    return VerificationFailed(
        "tlog: inclusion proof for index {} in tree size {}: got {} hashes, want {}", index,
        size, proof.size(), want);
  }
  Hash r = ChainInner(leaf_hash, proof.subspan(0, inner), index);
  return ChainBorderRight(r, proof.subspan(inner));
}

Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  MATS_ASSIGN_OR_RETURN(Hash got, RootFromInclusionProof(index, size, leaf_hash, proof));
  if (!HashEqual(got, root)) {
    return VerificationFailed(
        "tlog: inclusion proof for index {} in tree size {}: computed root {}, want {}", index,
        size, HashHex(got), HashHex(root));
  }
  return Status::Ok();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, std::span<const Hash> proof,
                         const Hash& root1, const Hash& root2) {
  if (proof.size() > kMaxProofHashes) {
    return VerificationFailed("tlog: consistency proof: {} hashes, at most {} allowed",
                              proof.size(), kMaxProofHashes);
  }
  if (size2 < size1) {
    return VerificationFailed("tlog: consistency proof: size1 {} > size2 {}", size1, size2);
  }
  if (size1 == size2) {
    if (!proof.empty()) {
      return VerificationFailed(
          "tlog: consistency proof between equal sizes {}: got {} hashes, want 0", size1,
          proof.size());
    }
    if (!HashEqual(root1, root2)) {
      return VerificationFailed("tlog: consistency: same size {} but roots differ: {} vs {}",
                                size1, HashHex(root1), HashHex(root2));
    }
    return Status::Ok();
  }
  if (size1 == 0) {
    if (!proof.empty()) {
      return VerificationFailed(
          "tlog: consistency proof from size 0: got {} hashes, want 0", proof.size());
    }
    if (!HashEqual(root1, Hasher::EmptyRoot())) {
      return VerificationFailed("tlog: consistency: root of size 0 is {}, want {}",
                                HashHex(root1), HashHex(Hasher::EmptyRoot()));
    }
    return Status::Ok();
  }
  size_t want = ConsistencyProofLength(size1, size2);
  if (proof.size() != want) {
    return VerificationFailed("tlog: consistency proof {} -> {}: got {} hashes, want {}", size1,
                              size2, proof.size(), want);
  }
  size_t inner = InnerProofSize(size1 - 1, size2);
  size_t shift = static_cast<size_t>(std::countr_zero(size1));
  inner -= shift;
  Hash seed = root1;
  size_t start = 0;
  if (size1 != (uint64_t{1} << shift)) {
    seed = proof[0];
    start = 1;
  }
  std::span<const Hash> rest = proof.subspan(start);
  uint64_t mask = (size1 - 1) >> shift;
  Hash hash1 = ChainInnerRight(seed, rest.subspan(0, inner), mask);
  hash1 = ChainBorderRight(hash1, rest.subspan(inner));
  if (!HashEqual(hash1, root1)) {
    return VerificationFailed("tlog: consistency proof {} -> {}: computed old root {}, want {}",
                              size1, size2, HashHex(hash1), HashHex(root1));
  }
  Hash hash2 = ChainInner(seed, rest.subspan(0, inner), mask);
  hash2 = ChainBorderRight(hash2, rest.subspan(inner));
  if (!HashEqual(hash2, root2)) {
    return VerificationFailed("tlog: consistency proof {} -> {}: computed new root {}, want {}",
                              size1, size2, HashHex(hash2), HashHex(root2));
  }
  return Status::Ok();
}

Result<Hash> LeafHashReader::ReadHash(uint8_t level, uint64_t index) {
  if (level >= 64) return NotFound("tlog: no stored hash at level {}", level);
  uint64_t width = uint64_t{1} << level;
  uint64_t n = leaves_.size();
  if (index >= (n >> level)) {
    return NotFound("tlog: stored hash ({}, {}) not in a tree of {} leaves", level, index, n);
  }
  return RootFromLeafHashes(leaves_.subspan(index << level, width));
}

Result<Hash> TreeRoot(uint64_t size, HashReader& reader) {
  if (size == 0) return Hasher::EmptyRoot();
  return RangeHash(0, size, reader);
}

Result<std::vector<Hash>> ProveInclusion(uint64_t index, uint64_t size, HashReader& reader) {
  if (index >= size) {
    return InvalidArgument("tlog: inclusion proof: index {} out of range for tree size {}",
                           index, size);
  }
  std::vector<Hash> path;
  path.reserve(InclusionProofLength(index, size));
  uint64_t lo = 0;
  uint64_t hi = size;
  while (hi - lo > 1) {
    uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      MATS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo + k, hi, reader));
      path.push_back(h);
      hi = lo + k;
    } else {
      MATS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, lo + k, reader));
      path.push_back(h);
      lo = lo + k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

Result<std::vector<Hash>> ProveConsistency(uint64_t size1, uint64_t size2, HashReader& reader) {
  if (size1 > size2) {
    return InvalidArgument("tlog: consistency proof: size1 {} > size2 {}", size1, size2);
  }
  std::vector<Hash> proof;
  if (size1 == 0 || size1 == size2) return proof;
  proof.reserve(ConsistencyProofLength(size1, size2));
  uint64_t lo = 0;
  uint64_t hi = size2;
  bool whole = true;
  while (true) {
    if (size1 == hi) {
      if (!whole) {
        MATS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, hi, reader));
        proof.push_back(h);
      }
      break;
    }
    uint64_t k = SplitPoint(hi - lo);
    if (size1 <= lo + k) {
      MATS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo + k, hi, reader));
      proof.push_back(h);
      hi = lo + k;
    } else {
      MATS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, lo + k, reader));
      proof.push_back(h);
      lo = lo + k;
      whole = false;
    }
  }
  std::reverse(proof.begin(), proof.end());
  return proof;
}

}  // namespace mats::tlog
