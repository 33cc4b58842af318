// Parallel hashing of a model or dataset folder (or a single file) into an
// OMS manifest.
//
//   HashOptions opts;
//   opts.method = Method::kShards;
//   opts.threads = 8;
//   MATS_ASSIGN_OR_RETURN(Manifest m, HashModel("/models/llama", opts));
//
// Work is split into items: whole files (files mode) or shards of
// `shard_size` bytes (shards mode). Items run on a fixed thread pool and
// write pre-sized slots, so the manifest is identical for any thread count.
// SHA-256 of one file cannot be split, so in files mode one large file is
// one sequential stream on one core; shards mode spreads a large file over
// all cores (see docs/signing.md, "Speed").
//
// Files are read through read-only mappings of `map_window` bytes
// (MAP_POPULATE: page-cached data is hashed in place, without the copy a
// read() makes), or with pread() of `read_buffer` bytes (ReadMode::kPread,
// and the fallback when mmap fails); posix_fadvise(SEQUENTIAL) either way.
// Digests come from OpenSSL EVP (SHA-NI when the CPU has it). A file whose
// size, mtime or inode changes while it is hashed, or that returns fewer
// bytes than its size, is an error (kIo, "changed while hashing"). A file
// truncated under a mapping raises SIGBUS; the hasher installs a SIGBUS
// handler (once per process, chaining to the previous one for faults that
// are not its own) that turns it into that same error.
#ifndef MATS_HASH_HASHER_H_
#define MATS_HASH_HASHER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mats/core/result.h"
#include "mats/hash/manifest.h"

namespace mats::hash {

// Git paths ignored by default (OMS reference): .git, .gitattributes,
// .github, .gitignore.
const std::vector<std::string>& DefaultGitIgnorePaths();

// Called with (bytes hashed so far, total bytes). Invoked from worker
// threads, never concurrently, at most about every 100 ms plus once at the
// end. Must not throw.
using ProgressFn = std::function<void(uint64_t done, uint64_t total)>;

class HashCache;  // cache.h

enum class ReadMode : uint8_t { kMmap, kPread };

struct HashOptions {
  Method method = Method::kFiles;
  HashAlgorithm algorithm = HashAlgorithm::kSha256;
  uint64_t shard_size = kDefaultShardSize;
  // Model-relative paths (component-prefix match anchored at the root:
  // ".git" skips ".git/**", not "sub/.git"). Absolute paths inside the
  // model are converted; paths outside it are dropped.
  std::vector<std::string> ignore_paths;
  bool ignore_git_paths = true;
  bool allow_symlinks = false;
  size_t threads = 0;                   // 0 = all cores
  ReadMode read_mode = ReadMode::kMmap;
  size_t read_buffer = 512u << 10;      // bytes per pread
  size_t map_window = 64u << 20;        // bytes per mapping (rounded to pages)
  uint64_t max_files = 1'000'000;       // Limits::max_files
  ProgressFn progress;
  // Optional incremental cache for signing (never pass one when verifying).
  HashCache* cache = nullptr;
};

// Hashes `path` (a directory or a regular file).
// Errors: kNotFound; kInvalidArgument (bad options, symlink without
// allow_symlinks, special file, empty model is allowed here); kIo (read
// error, file changed while hashing, symlink loop); kLimitExceeded
// (max_files).
Result<Manifest> HashModel(const std::string& path, const HashOptions& options);

// The path of `file` relative to the model folder `model` when it lies
// inside it (both resolved through realpath; `file` need not exist), else
// "". Used to keep the signature and the hash cache out of the manifest.
std::string PathInsideModel(const std::string& model, const std::string& file);

// kInvalidArgument when one of `ignore_paths` escapes the model at `path`,
// exactly as HashModel would report it; lets a caller tell its own bad
// options from refused model content before hashing.
Status CheckIgnorePaths(const std::string& path, const std::vector<std::string>& ignore_paths);

// Hashes one in-memory buffer with `a` (used by tests and the record
// manifest).
Bytes HashBytes(HashAlgorithm a, ByteSpan data);

}  // namespace mats::hash

#endif  // MATS_HASH_HASHER_H_
