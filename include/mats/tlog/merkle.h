// RFC 6962 / RFC 9162 Merkle trees over SHA-256: hashing, roots, inclusion
// and consistency proofs (generation from stored hashes, and verification).
//
//   Hash leaf = Hasher::HashLeaf(entry_bytes);
//   MATS_RETURN_IF_ERROR(VerifyInclusion(index, size, leaf, proof, root));
//   MATS_RETURN_IF_ERROR(VerifyConsistency(old_size, new_size, proof,
//                                          old_root, new_root));
//
// Indices are 0-based uint64_t. A tree of size 0 has root SHA-256("") (not
// Go x/mod's all-zero TreeHash(0)). Verification checks the exact proof
// length before hashing anything and returns kVerificationFailed naming the
// mismatch; invalid arguments (index >= size, size1 > size2) are also
// kVerificationFailed, since they come from untrusted proofs.
//
// Stored hashes: the hash at (level l, index n) is MTH of the complete
// subtree over leaves [n*2^l, (n+1)*2^l) — the addressing of Go's sumdb/tlog
// and of C2SP tlog-tiles. Proof generation reads only such complete-subtree
// hashes through a HashReader (see tiles.h for one backed by tiles).
//
// All functions are thread-safe (no shared state); HashReader implementations
// document their own thread-safety.
#ifndef MATS_TLOG_MERKLE_H_
#define MATS_TLOG_MERKLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::tlog {

inline constexpr size_t kHashSize = 32;
using Hash = std::array<uint8_t, kHashSize>;

// Proofs longer than this are rejected before anything else (a uint64 tree
// has height <= 64).
inline constexpr size_t kMaxProofHashes = 64;

// The RFC 6962 hasher: one small class, all static.
class Hasher {
 public:
  // SHA-256("") = e3b0c442...b855: the root of the empty tree.
  static Hash EmptyRoot();
  // SHA-256(0x00 || data).
  static Hash HashLeaf(ByteSpan data);
  // SHA-256(0x01 || left || right).
  static Hash HashChildren(const Hash& left, const Hash& right);
};

// Copies a 32-byte span into a Hash; kMalformed if the size is not 32.
Result<Hash> HashFromBytes(ByteSpan bytes);
// Lowercase hex of a hash.
std::string HashHex(const Hash& h);
// Constant-time equality (CRYPTO_memcmp).
bool HashEqual(const Hash& a, const Hash& b);

// MTH over a list of leaf hashes (iterative, O(n) time, O(log n) memory).
// Empty list -> Hasher::EmptyRoot().
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// Exact number of hashes in an inclusion proof of `index` in a tree of
// `size` leaves. REQUIRES: index < size.
size_t InclusionProofLength(uint64_t index, uint64_t size);
// Exact number of hashes in a consistency proof from size1 to size2.
// 0 when size1 == 0 or size1 == size2. REQUIRES: size1 <= size2.
size_t ConsistencyProofLength(uint64_t size1, uint64_t size2);

// Recomputes the root implied by an inclusion proof (RFC 9162 2.1.3.2).
// kVerificationFailed: index >= size, wrong proof length.
Result<Hash> RootFromInclusionProof(uint64_t index, uint64_t size,
                                    const Hash& leaf_hash,
                                    std::span<const Hash> proof);
// Ok iff `proof` proves that `leaf_hash` is leaf `index` of the tree of
// `size` leaves with root `root`. kVerificationFailed otherwise, naming the
// reason (index out of range, proof length got/want, root mismatch).
Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);

// Ok iff `proof` proves that the tree (size1, root1) is a prefix of
// (size2, root2) (RFC 9162 2.1.4.2). Edge cases: size1 == 0 needs an empty
// proof (root1 must then be the empty root); size1 == size2 needs an empty
// proof and equal roots; size1 > size2 fails. kVerificationFailed otherwise.
Status VerifyConsistency(uint64_t size1, uint64_t size2,
                         std::span<const Hash> proof, const Hash& root1,
                         const Hash& root2);

// Source of stored complete-subtree hashes, see the file comment.
class HashReader {
 public:
  virtual ~HashReader() = default;
  // Hash of the complete subtree (level, index). kNotFound if not stored;
  // other errors are passed through by the proof functions.
  virtual Result<Hash> ReadHash(uint8_t level, uint64_t index) = 0;
};

// A HashReader over an in-memory list of leaf hashes, computing interior
// hashes on demand (O(2^level) per read). For tests and small trees.
// Thread-compatible. The caller keeps `leaf_hashes` alive.
class LeafHashReader : public HashReader {
 public:
  explicit LeafHashReader(std::span<const Hash> leaf_hashes)
      : leaves_(leaf_hashes) {}
  Result<Hash> ReadHash(uint8_t level, uint64_t index) override;

 private:
  std::span<const Hash> leaves_;
};

// MTH of the first `size` leaves, from O(log size) stored hashes.
Result<Hash> TreeRoot(uint64_t size, HashReader& reader);
// Inclusion proof of leaf `index` in the tree of `size` leaves.
// kInvalidArgument if index >= size.
Result<std::vector<Hash>> ProveInclusion(uint64_t index, uint64_t size,
                                         HashReader& reader);
// Consistency proof from size1 to size2 (empty when size1 == 0 or
// size1 == size2). kInvalidArgument if size1 > size2.
Result<std::vector<Hash>> ProveConsistency(uint64_t size1, uint64_t size2,
                                           HashReader& reader);

}  // namespace mats::tlog

#endif  // MATS_TLOG_MERKLE_H_
