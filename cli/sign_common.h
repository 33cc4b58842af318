// Flags and helpers shared by `mats hash`, `mats sign` and `mats verify`
// (cmd_hash.cc, cmd_sign.cc, cmd_verify.cc). Only flag plumbing and the
// terminal progress bar live here; hashing and crypto are in src/hash and
// src/sign.
#ifndef MATS_CLI_SIGN_COMMON_H_
#define MATS_CLI_SIGN_COMMON_H_

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "mats/hash/hasher.h"

namespace mats::cli::signing {

struct HashFlags {
  std::string method = "files";
  std::string hash_type = "sha256";
  uint64_t shard_size = hash::kDefaultShardSize;
  std::vector<std::string> ignore_paths;
  bool ignore_git_paths = true;
  bool allow_symlinks = false;
  size_t threads = 0;
  bool no_progress = false;
};

inline void AddIgnoreFlags(CLI::App* cmd, HashFlags& f) {
  cmd->add_option("--ignore-paths,--ignore_paths", f.ignore_paths,
                  "paths (model-relative or absolute) to leave out of the manifest");
  cmd->add_flag("--ignore-git-paths,!--no-ignore-git-paths", f.ignore_git_paths,
                "ignore .git, .gitattributes, .github, .gitignore (default on)");
  cmd->add_option("--threads", f.threads, "hashing threads (0 = all cores)");
  cmd->add_flag("--no-progress", f.no_progress, "never draw a progress bar");
}

inline void AddHashFlags(CLI::App* cmd, HashFlags& f) {
  AddIgnoreFlags(cmd, f);
  cmd->add_option("--hashing", f.method, "files or shards")
      ->check(CLI::IsMember({"files", "shards"}));
  cmd->add_option("--hash-type", f.hash_type, "sha256 or blake2b")
      ->check(CLI::IsMember({"sha256", "blake2b"}));
  cmd->add_option("--shard-size", f.shard_size, "shard size in bytes (shards mode)");
  cmd->add_flag("--allow-symlinks,--allow_symlinks", f.allow_symlinks,
                "hash symlinked files as their targets' bytes");
}

inline Result<hash::HashOptions> ToHashOptions(const HashFlags& f) {
  hash::HashOptions o;
  MATS_ASSIGN_OR_RETURN(o.method, hash::ParseMethod(f.method));
  MATS_ASSIGN_OR_RETURN(o.algorithm, hash::ParseHashAlgorithm(f.hash_type));
  o.shard_size = f.shard_size;
  if (o.method == hash::Method::kShards &&
      (f.shard_size < hash::kMinShardSize || f.shard_size > hash::kMaxShardSize))
    return InvalidArgument("--shard-size {} outside [{}, {}]", f.shard_size,
                           hash::kMinShardSize, hash::kMaxShardSize);
  o.ignore_paths = f.ignore_paths;
  o.ignore_git_paths = f.ignore_git_paths;
  o.allow_symlinks = f.allow_symlinks;
  o.threads = f.threads;
  return o;
}

// A progress bar on stderr when it is a terminal; an empty function
// otherwise (never on pipes or files).
class ProgressBar {
 public:
  explicit ProgressBar(bool disabled)
      : enabled_(!disabled && isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}
  ~ProgressBar() {
    if (drawn_) std::fputs("\n", stderr);
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  hash::ProgressFn Fn() {
    if (!enabled_) return {};
    return [this](uint64_t done, uint64_t total) { Draw(done, total); };
  }

 private:
  static std::string Human(double b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (b >= 1024 && u < 4) {
      b /= 1024;
      ++u;
    }
    return fmt::format("{:.1f} {}", b, units[u]);
  }
  void Draw(uint64_t done, uint64_t total) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    double frac = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    int width = 30;
    int fill = static_cast<int>(frac * width);
    std::string bar(static_cast<size_t>(fill), '#');
    bar.resize(static_cast<size_t>(width), '.');
    std::string eta = rate > 0 && total > done
                          ? fmt::format("{:.0f}s", static_cast<double>(total - done) / rate)
                          : "0s";
    std::fprintf(stderr, "\r[%s] %5.1f%% %s / %s  %s/s  ETA %s   ", bar.c_str(), frac * 100,
                 Human(static_cast<double>(done)).c_str(),
                 Human(static_cast<double>(total)).c_str(), Human(rate).c_str(), eta.c_str());
    std::fflush(stderr);
    drawn_ = true;
  }
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
};

// Default signature path: MODEL/model.sig for a folder, model.sig beside a
// single-file model.
inline std::string DefaultSignaturePath(const std::string& model) {
  std::string m = model;
  while (m.size() > 1 && m.back() == '/') m.pop_back();
  std::error_code ec;
  if (std::filesystem::is_directory(m, ec)) return m + "/model.sig";
  size_t slash = m.rfind('/');
  return slash == std::string::npos ? "model.sig" : m.substr(0, slash + 1) + "model.sig";
}

// The incremental hash cache must live outside the model: inside, it
// would be hashed while being rewritten, or become a signed ignore path
// that leaves a file of the model unverified.
inline Status CheckCacheOutsideModel(const std::string& model, const std::string& cache) {
  std::string inside = hash::PathInsideModel(model, cache);
  if (!inside.empty())
    return InvalidArgument("--cache \"{}\" is inside the model folder; keep the cache outside it",
                           cache);
  return Status::Ok();
}

}  // namespace mats::cli::signing

#endif  // MATS_CLI_SIGN_COMMON_H_
