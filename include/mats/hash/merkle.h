// RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256: leaf = H(0x00||d),
// node = H(0x01||l||r); the tree over n leaves splits at the largest power
// of two below n. Used by the record-level dataset manifest (records.h).
//
//   std::vector<Bytes> leaves = {LeafHash(a), LeafHash(b), LeafHash(c)};
//   Bytes root = MerkleRoot(leaves);
//   MATS_ASSIGN_OR_RETURN(auto proof, InclusionProof(leaves, 1));
//   MATS_RETURN_IF_ERROR(VerifyInclusion(1, 3, leaves[1], proof, root));
#ifndef MATS_HASH_MERKLE_H_
#define MATS_HASH_MERKLE_H_

#include <cstdint>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::hash {

inline constexpr size_t kMerkleHashSize = 32;

Bytes LeafHash(ByteSpan data);
Bytes NodeHash(ByteSpan left, ByteSpan right);

// Root over leaf hashes (each 32 bytes). Empty tree: SHA-256("").
Bytes MerkleRoot(const std::vector<Bytes>& leaf_hashes);

// Audit path for leaf `index` (0-based), leaf to root.
// kInvalidArgument if index >= leaf_hashes.size().
Result<std::vector<Bytes>> InclusionProof(const std::vector<Bytes>& leaf_hashes,
                                          uint64_t index);

// RFC 9162 §2.1.3.2. Checks index < size, every hash is 32 bytes and the
// proof has exactly the expected length before hashing; compares the
// computed root with CRYPTO_memcmp. kVerificationFailed names the mismatch.
Status VerifyInclusion(uint64_t index, uint64_t size, ByteSpan leaf_hash,
                       const std::vector<Bytes>& proof, ByteSpan root);

}  // namespace mats::hash

#endif  // MATS_HASH_MERKLE_H_
