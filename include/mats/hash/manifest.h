// Manifests of a model or dataset in the OpenSSF Model Signing (OMS) format:
// the list of resources (files, or shards of files) with their digests, in
// the OMS canonical order, and the root digest over them.
//
//   Manifest m = ...;                        // from HashModel (hasher.h)
//   Bytes root = RootDigest(m.resources);    // SHA-256(d_1 || ... || d_n)
//   ManifestDiff d = CompareManifests(expected, actual);
//   if (!d.empty()) ...                      // missing / extra / changed
//
// Names are model-relative, '/'-separated; a single-file model has one
// resource named "." (shards ".:start:end"). See docs/formats/oms-bundle.md.
#ifndef MATS_HASH_MANIFEST_H_
#define MATS_HASH_MANIFEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::hash {

enum class HashAlgorithm : uint8_t { kSha256, kBlake2b };
enum class Method : uint8_t { kFiles, kShards };

// Default OMS shard size (1,000,000,000 bytes).
inline constexpr uint64_t kDefaultShardSize = 1'000'000'000;
// Shard sizes accepted from input (a signature's predicate or a flag).
inline constexpr uint64_t kMinShardSize = 4096;
inline constexpr uint64_t kMaxShardSize = 1ull << 40;

// "sha256" / "blake2b".
std::string_view HashAlgorithmName(HashAlgorithm a);
// kInvalidArgument for anything else (including "blake2" and "blake3").
Result<HashAlgorithm> ParseHashAlgorithm(std::string_view name);
// Digest length in bytes: 32 (sha256) or 64 (blake2b).
size_t DigestSize(HashAlgorithm a);
std::string_view MethodName(Method m);
Result<Method> ParseMethod(std::string_view name);

// One manifest entry. In files mode `start`/`end` are 0/size and unused in
// the name; in shards mode the resource covers bytes [start, end).
struct Resource {
  std::string path;  // model-relative, "/"-separated, "." for a single file
  bool sharded = false;
  uint64_t start = 0;
  uint64_t end = 0;
  Bytes digest;

  // "dir/f.bin" or "dir/f.bin:0:1000".
  std::string Name() const;
  bool operator==(const Resource&) const = default;
};

// Parses a resource name. With `sharded` the last two ':'-separated fields
// are start and end (parsed from the right, so ':' in file names is kept).
// kMalformed on a bad number, end <= start, or a path that is empty,
// absolute, has "." / ".." / empty components (except the single-file ".").
Result<Resource> ParseResourceName(std::string_view name, bool sharded);

// Checks a model-relative path: non-empty, not absolute, no "", "." or ".."
// components, no NUL, valid UTF-8. "." alone is accepted when `allow_dot`.
Status ValidateRelativePath(std::string_view path, bool allow_dot);

// OMS canonical order: paths compared component-wise by UTF-8 bytes (a
// proper prefix first), then shards by start, then end.
bool CanonicalLess(const Resource& a, const Resource& b);
// Component-wise path comparison alone (<0, 0, >0).
int ComparePaths(std::string_view a, std::string_view b);
void SortCanonical(std::vector<Resource>& resources);

struct Manifest {
  Method method = Method::kFiles;
  HashAlgorithm algorithm = HashAlgorithm::kSha256;
  uint64_t shard_size = kDefaultShardSize;  // meaningful for kShards only
  bool allow_symlinks = false;
  // Model-relative ignore paths used when hashing (as written in the
  // predicate), sorted and de-duplicated.
  std::vector<std::string> ignore_paths;
  // Basename of the model directory or file (the statement subject name).
  std::string model_name;
  bool single_file = false;
  std::vector<Resource> resources;  // canonical order
  uint64_t total_bytes = 0;         // bytes hashed
};

// The predicate's per-resource "algorithm" string: "sha256", "blake2b",
// "sha256-sharded-<N>", "blake2b-sharded-<N>".
std::string ResourceAlgorithm(Method m, HashAlgorithm a, uint64_t shard_size);

// SHA-256 over the concatenated raw digests, in the given order (whatever
// the resource hash algorithm). Empty list: SHA-256 of "".
Bytes RootDigest(const std::vector<Resource>& resources);

// What differs between the signed manifest and the files on disk.
struct ChangedResource {
  std::string name;
  Bytes expected;
  Bytes actual;
};
struct ManifestDiff {
  std::vector<std::string> missing;  // signed, not on disk
  std::vector<std::string> extra;    // on disk, not signed
  std::vector<ChangedResource> changed;
  bool empty() const {
    return missing.empty() && extra.empty() && changed.empty();
  }
};

// Compares by name; digests with CRYPTO_memcmp. Output lists are in
// canonical order.
ManifestDiff CompareManifests(const std::vector<Resource>& expected,
                              const std::vector<Resource>& actual);

// Manifest as JSON (for `mats hash`): {"model_name", "serialization": {...},
// "root_digest", "resources": [{"name","algorithm","digest"}]}.
std::string ManifestToJson(const Manifest& m, int indent = 2);

}  // namespace mats::hash

#endif  // MATS_HASH_MANIFEST_H_
