// HashCache — optional incremental cache for re-signing after small edits.
//
//   MATS_ASSIGN_OR_RETURN(HashCache cache, HashCache::Load(".mats-hash-cache"));
//   opts.cache = &cache;                    // sign only, never verify
//   MATS_ASSIGN_OR_RETURN(Manifest m, HashModel(dir, opts));
//   MATS_RETURN_IF_ERROR(cache.Save(".mats-hash-cache"));
//
// Entries are keyed by (model-relative path, byte range, algorithm, file
// size, mtime in ns, inode). A file rewritten in place within the same
// mtime tick with the same size keeps its stale digest: that is why the
// verifier never uses a cache and why signing with one is opt-in.
// Thread-safe.
#ifndef MATS_HASH_CACHE_H_
#define MATS_HASH_CACHE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "mats/core/bytes.h"
#include "mats/core/mutex.h"
#include "mats/core/result.h"

namespace mats::hash {

struct CacheKey {
  std::string path;
  uint64_t start = 0;
  uint64_t end = 0;
  std::string algorithm;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  std::string Encode() const;
};

class HashCache {
 public:
  HashCache() = default;
  HashCache(HashCache&& other) noexcept;
  HashCache& operator=(HashCache&&) = delete;
  HashCache(const HashCache&) = delete;

  // A missing file gives an empty cache; a malformed one is kMalformed.
  static Result<HashCache> Load(const std::string& path);
  Status Save(const std::string& path) const;

  std::optional<Bytes> Lookup(const CacheKey& key) const;
  void Insert(const CacheKey& key, const Bytes& digest);
  size_t size() const;
  uint64_t hits() const;

 private:
  mutable Mutex mu_;
  std::map<std::string, Bytes> entries_ MATS_GUARDED_BY(mu_);
  mutable uint64_t hits_ MATS_GUARDED_BY(mu_) = 0;
};

}  // namespace mats::hash

#endif  // MATS_HASH_CACHE_H_
