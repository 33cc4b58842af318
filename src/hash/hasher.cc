#include "mats/hash/hasher.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csetjmp>
#include <csignal>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <thread>

#include "mats/core/checked_math.h"
#include "mats/core/encoding.h"
#include "mats/core/limits.h"
#include "mats/core/mutex.h"
#include "mats/core/thread_pool.h"
#include "mats/core/unique_fd.h"
#include "mats/hash/cache.h"

namespace mats::hash {

const std::vector<std::string>& DefaultGitIgnorePaths() {
  static const std::vector<std::string> kPaths = {".git", ".gitattributes",
                                                  ".github", ".gitignore"};
  return kPaths;
}

namespace {

struct FileEntry {
  std::string rel;  // model-relative name ("." for a single file)
  std::string abs;
  bool via_symlink = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  uint64_t dev = 0;
};

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

void FillStat(FileEntry& e, const struct stat& st) {
  e.size = static_cast<uint64_t>(st.st_size);
  e.mtime_ns = MtimeNs(st);
  e.inode = static_cast<uint64_t>(st.st_ino);
  e.dev = static_cast<uint64_t>(st.st_dev);
}

bool SameSnapshot(const FileEntry& e, const struct stat& st) {
  return static_cast<uint64_t>(st.st_size) == e.size && MtimeNs(st) == e.mtime_ns &&
         static_cast<uint64_t>(st.st_ino) == e.inode &&
         static_cast<uint64_t>(st.st_dev) == e.dev;
}

std::string_view FileTypeName(mode_t m) {
  if (S_ISFIFO(m)) return "fifo";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  return "special file";
}

// Normalises one ignore path to model-relative form; empty = drop it.
std::string NormaliseIgnore(std::string p, const std::string& root_abs) {
  if (!p.empty() && p.front() == '/') {
    if (p.size() > root_abs.size() && p.compare(0, root_abs.size(), root_abs) == 0 &&
        p[root_abs.size()] == '/') {
      p = p.substr(root_abs.size() + 1);
    } else {
      return "";
    }
  }
  while (p.size() >= 2 && p.compare(0, 2, "./") == 0) p.erase(0, 2);
  while (!p.empty() && p.back() == '/') p.pop_back();
  if (p == "." || p.empty()) return "";
  // Collapse duplicate slashes.
  std::string out;
  for (char c : p)
    if (!(c == '/' && !out.empty() && out.back() == '/')) out.push_back(c);
  return out;
}

bool IsIgnored(std::string_view rel, const std::vector<std::string>& ignore) {
  for (const std::string& ig : ignore) {
    if (rel == ig) return true;
    if (rel.size() > ig.size() && rel.compare(0, ig.size(), ig) == 0 &&
        rel[ig.size()] == '/')
      return true;
  }
  return false;
}

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

Status StatError(int err, const std::string& rel, bool link) {
  if (err == ELOOP)
    return IoError("hash: symlink loop at \"{}\"", EscapePreview(rel, 256));
  if (err == ENOENT && link)
    return IoError("hash: broken symlink \"{}\"", EscapePreview(rel, 256));
  return ErrnoError(err, fmt::format("hash: stat \"{}\"", EscapePreview(rel, 256)));
}

// Resolves a symlink found at `abs`: appends a FileEntry for a link to a
// regular file, skips a link to a directory, errors otherwise.
Status AddSymlink(const std::string& rel, const std::string& abs, bool allow,
                  std::vector<FileEntry>& out) {
  if (!allow)
    return InvalidArgument("hash: \"{}\" is a symlink; refusing (use --allow-symlinks)",
                           EscapePreview(rel, 256));
  struct stat st {};
  if (stat(abs.c_str(), &st) != 0) return StatError(errno, rel, true);
  if (S_ISDIR(st.st_mode)) return Status::Ok();  // listed, not descended into
  if (!S_ISREG(st.st_mode))
    return InvalidArgument("hash: symlink \"{}\" points to a {}", EscapePreview(rel, 256),
                           FileTypeName(st.st_mode));
  FileEntry e{rel, abs, true};
  FillStat(e, st);
  out.push_back(std::move(e));
  return Status::Ok();
}

Status Walk(const std::string& root, const std::vector<std::string>& ignore,
            const HashOptions& o, std::vector<FileEntry>& out) {
  std::vector<std::string> stack = {""};
  while (!stack.empty()) {
    std::string dir_rel = std::move(stack.back());
    stack.pop_back();
    std::string dir_abs = dir_rel.empty() ? root : root + "/" + dir_rel;
    std::unique_ptr<DIR, DirCloser> dir(opendir(dir_abs.c_str()));
    if (!dir)
      return ErrnoError(errno, fmt::format("hash: cannot open directory \"{}\"",
                                           EscapePreview(dir_abs, 256)));
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* de = readdir(dir.get())) {
      std::string_view name = de->d_name;
      if (name == "." || name == "..") continue;
      names.emplace_back(name);
    }
    if (errno != 0)
      return ErrnoError(errno, fmt::format("hash: cannot read directory \"{}\"",
                                           EscapePreview(dir_abs, 256)));
    for (std::string& name : names) {
      std::string rel = dir_rel.empty() ? name : dir_rel + "/" + name;
      if (IsIgnored(rel, ignore)) continue;
      if (!IsValidUtf8(name))
        return InvalidArgument("hash: file name \"{}\" is not valid UTF-8",
                               EscapePreview(rel, 256));
      std::string abs = root + "/" + rel;
      struct stat st {};
      if (lstat(abs.c_str(), &st) != 0) return StatError(errno, rel, false);
      if (S_ISDIR(st.st_mode)) {
        stack.push_back(std::move(rel));
      } else if (S_ISREG(st.st_mode)) {
        FileEntry e{rel, abs, false};
        FillStat(e, st);
        out.push_back(std::move(e));
      } else if (S_ISLNK(st.st_mode)) {
        MATS_RETURN_IF_ERROR(AddSymlink(rel, abs, o.allow_symlinks, out));
      } else {
        return InvalidArgument("hash: \"{}\" is a {}; refusing", EscapePreview(rel, 256),
                               FileTypeName(st.st_mode));
      }
      if (out.size() > o.max_files)
        return LimitExceeded("hash: {}", LimitMessage("max_files", o.max_files));
    }
  }
  return Status::Ok();
}

struct Item {
  size_t file = 0;
  uint64_t start = 0;
  uint64_t end = 0;
};

const EVP_MD* Md(HashAlgorithm a) {
  return a == HashAlgorithm::kSha256 ? EVP_sha256() : EVP_blake2b512();
}

class Progress {
 public:
  Progress(const ProgressFn& fn, uint64_t total) : fn_(fn), total_(total) {}
  void Add(uint64_t n) {
    uint64_t done = done_.fetch_add(n) + n;
    if (!fn_) return;
    int64_t now = Now();
    int64_t last = last_.load();
    if (now - last < 100'000'000 && done != total_) return;
    if (!last_.compare_exchange_strong(last, now)) return;
    if (!mu_.native().try_lock()) return;
    fn_(done, total_);
    mu_.native().unlock();
  }
  void Finish() {
    if (!fn_) return;
    MutexLock lock(&mu_);
    fn_(done_.load(), total_);
  }

 private:
  static int64_t Now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  const ProgressFn& fn_;
  uint64_t total_;
  std::atomic<uint64_t> done_{0};
  std::atomic<int64_t> last_{0};
  Mutex mu_;
};

// SIGBUS guard for mapped reads. Touching a mapped page past the end of a
// file truncated meanwhile raises SIGBUS; while a thread hashes a mapping,
// its guard names the mapped range and the handler jumps back to the
// hashing loop, which reports "changed while hashing". Faults that are not
// ours go to the previous disposition (restored, then the access re-faults).
struct BusGuard {
  sigjmp_buf env;
  const uint8_t* begin = nullptr;
  const uint8_t* end = nullptr;
};
thread_local BusGuard* volatile t_bus_guard = nullptr;
struct sigaction g_previous_sigbus {};

void OnSigbus(int, siginfo_t* info, void*) {
  BusGuard* g = t_bus_guard;
  const auto* addr = static_cast<const uint8_t*>(info->si_addr);
  if (g != nullptr && addr >= g->begin && addr < g->end) siglongjmp(g->env, 1);
  sigaction(SIGBUS, &g_previous_sigbus, nullptr);
}

bool InstallSigbusHandler() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = OnSigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    ok = sigaction(SIGBUS, &sa, &g_previous_sigbus) == 0;
  });
  return ok;
}

enum class MapResult : uint8_t { kDone, kTruncated, kUnavailable };

// Hashes [pos, end) of `fd` through read-only mappings of about `window`
// bytes, advancing `pos`. kUnavailable when mmap fails (e.g. a file system
// without mmap, or no address space): `pos` says where the caller's pread
// loop continues the same digest.
MapResult HashMapped(int fd, uint64_t& pos, uint64_t end, size_t window, EVP_MD_CTX* ctx,
                     Progress& progress) {
  static const uint64_t kPage = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t win = std::max<uint64_t>(kPage, window / kPage * kPage);
  while (pos < end) {
    uint64_t aligned = pos / kPage * kPage;
    uint64_t skip = pos - aligned;
    uint64_t len = std::min<uint64_t>(win - skip, end - pos);
    size_t map_len = static_cast<size_t>(skip + len);
    void* m = mmap(nullptr, map_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
                   static_cast<off_t>(aligned));
    if (m == MAP_FAILED) return MapResult::kUnavailable;
    const auto* base = static_cast<const uint8_t*>(m);
    BusGuard guard;
    guard.begin = base;
    guard.end = base + map_len;
    // Nothing with a destructor lives between sigsetjmp and the guarded
    // digest call; the signal mask is restored by siglongjmp.
    if (sigsetjmp(guard.env, 1) == 0) {
      t_bus_guard = &guard;
      EVP_DigestUpdate(ctx, base + skip, static_cast<size_t>(len));
      t_bus_guard = nullptr;
    } else {
      t_bus_guard = nullptr;
      munmap(m, map_len);
      return MapResult::kTruncated;
    }
    munmap(m, map_len);
    progress.Add(len);
    pos += len;
  }
  return MapResult::kDone;
}

Status HashItem(const FileEntry& f, const Item& it, const HashOptions& o,
                Progress& progress, Bytes& digest) {
  auto changed = [&] {
    return IoError("hash: \"{}\" changed while hashing", EscapePreview(f.rel, 256));
  };
  CacheKey key;
  if (o.cache) {
    key = {f.rel, it.start, it.end,
           ResourceAlgorithm(o.method, o.algorithm, o.shard_size), f.size, f.mtime_ns,
           f.inode};
    if (auto hit = o.cache->Lookup(key)) {
      digest = std::move(*hit);
      progress.Add(it.end - it.start);
      return Status::Ok();
    }
  }
  int flags = O_RDONLY | O_CLOEXEC | (f.via_symlink ? 0 : O_NOFOLLOW);
  UniqueFd fd(open(f.abs.c_str(), flags));
  if (fd.get() < 0)
    return ErrnoError(errno, fmt::format("hash: cannot open \"{}\"", EscapePreview(f.rel, 256)));
  struct stat st {};
  if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || !SameSnapshot(f, st)) return changed();
  if (it.start == 0)
    posix_fadvise(fd.get(), 0, static_cast<off_t>(it.end), POSIX_FADV_SEQUENTIAL);

  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                               EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), Md(o.algorithm), nullptr) != 1)
    return Internal("hash: EVP_DigestInit_ex failed");
  uint64_t pos = it.start;
  if (o.read_mode == ReadMode::kMmap && it.end > it.start && InstallSigbusHandler()) {
    // kUnavailable leaves `pos` where reading continues.
    if (HashMapped(fd.get(), pos, it.end, o.map_window, ctx.get(), progress) ==
        MapResult::kTruncated)
      return changed();
  }
  thread_local std::vector<uint8_t> buffer;
  size_t want_buf = std::max<size_t>(o.read_buffer, 4096);
  uint64_t len = it.end - pos;
  size_t buf_size = static_cast<size_t>(std::min<uint64_t>(want_buf, std::max<uint64_t>(len, 1)));
  if (pos < it.end && buffer.size() < buf_size) buffer.resize(buf_size);
  while (pos < it.end) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf_size, it.end - pos));
    ssize_t r = pread(fd.get(), buffer.data(), n, static_cast<off_t>(pos));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, fmt::format("hash: read \"{}\"", EscapePreview(f.rel, 256)));
    }
    if (r == 0) return changed();  // shrank under us
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(r));
    pos += static_cast<uint64_t>(r);
    progress.Add(static_cast<uint64_t>(r));
  }
  digest.resize(DigestSize(o.algorithm));
  unsigned int dlen = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &dlen);
  if (fstat(fd.get(), &st) != 0 || !SameSnapshot(f, st)) return changed();
  if (it.end == f.size) {
    // The last piece: a file that grew is also a change.
    uint8_t probe = 0;
    if (pread(fd.get(), &probe, 1, static_cast<off_t>(f.size)) > 0) return changed();
  }
  if (o.cache) o.cache->Insert(key, digest);
  return Status::Ok();
}

std::string Basename(const std::string& p) {
  std::string s = p;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

// Model-relative forms of `paths` (see HashOptions::ignore_paths).
Result<std::set<std::string>> NormaliseIgnorePaths(const std::vector<std::string>& paths,
                                                   const std::string& root_abs) {
  std::set<std::string> out;
  for (const std::string& p : paths) {
    std::string n = NormaliseIgnore(p, root_abs);
    if (n.empty()) continue;
    if (!ValidateRelativePath(n, false).ok())
      return InvalidArgument("hash: ignore path \"{}\" escapes the model folder",
                             EscapePreview(p, 256));
    out.insert(std::move(n));
  }
  return out;
}

std::string RealPath(const std::string& p) {
  char* real = realpath(p.c_str(), nullptr);
  if (real == nullptr) return "";
  std::string out = real;
  free(real);  // NOLINT: realpath's malloc'd buffer
  return out;
}

}  // namespace

std::string PathInsideModel(const std::string& model, const std::string& file) {
  std::string f = file;
  while (f.size() > 1 && f.back() == '/') f.pop_back();
  size_t slash = f.rfind('/');
  std::string name = slash == std::string::npos ? f : f.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : f.substr(0, slash);
  std::string root = RealPath(model);
  dir = RealPath(dir);
  if (root.empty() || dir.empty() || name.empty() || name == "/") return "";
  std::string full = dir == "/" ? "/" + name : dir + "/" + name;
  if (full.size() > root.size() && full.compare(0, root.size(), root) == 0 &&
      full[root.size()] == '/')
    return full.substr(root.size() + 1);
  return "";
}

Status CheckIgnorePaths(const std::string& path, const std::vector<std::string>& ignore_paths) {
  std::string root_abs = RealPath(path);
  if (root_abs.empty()) root_abs = path;  // HashModel reports the missing model itself
  return NormaliseIgnorePaths(ignore_paths, root_abs).status();
}

Bytes HashBytes(HashAlgorithm a, ByteSpan data) {
  Bytes out(DigestSize(a));
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, Md(a), nullptr);
  return out;
}

Result<Manifest> HashModel(const std::string& path, const HashOptions& o) {
  if (o.method == Method::kShards &&
      (o.shard_size < kMinShardSize || o.shard_size > kMaxShardSize))
    return InvalidArgument("hash: shard size {} outside [{}, {}]", o.shard_size,
                           kMinShardSize, kMaxShardSize);
  if (path.empty()) return InvalidArgument("hash: empty model path");
  char* real = realpath(path.c_str(), nullptr);
  if (!real) {
    int err = errno;
    if (err == ENOENT) return NotFound("hash: \"{}\" does not exist", EscapePreview(path, 256));
    if (err == ELOOP) return IoError("hash: symlink loop at \"{}\"", EscapePreview(path, 256));
    return ErrnoError(err, fmt::format("hash: \"{}\"", EscapePreview(path, 256)));
  }
  std::string root_abs = real;
  free(real);  // NOLINT: realpath's malloc'd buffer

  Manifest m;
  m.method = o.method;
  m.algorithm = o.algorithm;
  m.shard_size = o.method == Method::kShards ? o.shard_size : kDefaultShardSize;
  m.allow_symlinks = o.allow_symlinks;
  m.model_name = Basename(path);

  // The model path itself, seen without following a final symlink.
  std::string lpath = path;
  while (lpath.size() > 1 && lpath.back() == '/') lpath.pop_back();
  struct stat lst {};
  if (lstat(lpath.c_str(), &lst) != 0) return StatError(errno, path, false);
  if (S_ISLNK(lst.st_mode) && !o.allow_symlinks)
    return InvalidArgument("hash: \"{}\" is a symlink; refusing (use --allow-symlinks)",
                           EscapePreview(path, 256));
  struct stat st {};
  if (stat(root_abs.c_str(), &st) != 0) return StatError(errno, path, true);

  MATS_ASSIGN_OR_RETURN(std::set<std::string> ignore_set,
                        NormaliseIgnorePaths(o.ignore_paths, root_abs));
  if (o.ignore_git_paths)
    ignore_set.insert(DefaultGitIgnorePaths().begin(), DefaultGitIgnorePaths().end());
  std::vector<std::string> ignore(ignore_set.begin(), ignore_set.end());
  m.ignore_paths = ignore;

  std::vector<FileEntry> files;
  if (S_ISREG(st.st_mode)) {
    m.single_file = true;
    FileEntry e{".", root_abs, S_ISLNK(lst.st_mode)};
    FillStat(e, st);
    files.push_back(std::move(e));
  } else if (S_ISDIR(st.st_mode)) {
    MATS_RETURN_IF_ERROR(Walk(root_abs, ignore, o, files));
  } else {
    return InvalidArgument("hash: \"{}\" is a {}; want a file or directory",
                           EscapePreview(path, 256), FileTypeName(st.st_mode));
  }

  std::vector<Item> items;
  uint64_t total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const FileEntry& f = files[i];
    if (!CheckedAdd(total, f.size, &total))
      return LimitExceeded("hash: total size overflows");
    if (o.method == Method::kFiles) {
      items.push_back({i, 0, f.size});
    } else {
      for (uint64_t s = 0; s < f.size; s += std::min(o.shard_size, f.size - s))
        items.push_back({i, s, s + std::min(o.shard_size, f.size - s)});
    }
  }
  m.total_bytes = total;

  // Largest first for load balance; slots keep output order independent.
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return items[a].end - items[a].start > items[b].end - items[b].start;
  });
  std::vector<Bytes> digests(items.size());
  Progress progress(o.progress, total);
  std::atomic<bool> failed{false};
  Mutex err_mu;
  Status first_error;
  size_t first_error_index = SIZE_MAX;
  auto run = [&](size_t k) {
    if (failed.load(std::memory_order_relaxed)) return;
    size_t idx = order[k];
    Status s = HashItem(files[items[idx].file], items[idx], o, progress, digests[idx]);
    if (!s.ok()) {
      MutexLock lock(&err_mu);
      failed = true;
      if (idx < first_error_index) {
        first_error_index = idx;
        first_error = std::move(s);
      }
    }
  };
  size_t threads = ThreadPool::DefaultThreads(o.threads);
  threads = std::min(threads, std::max<size_t>(items.size(), 1));
  if (threads <= 1) {
    for (size_t k = 0; k < items.size(); ++k) run(k);
  } else {
    ThreadPool pool(threads - 1);
    pool.ParallelFor(items.size(), run);
  }
  if (failed) {
    MutexLock lock(&err_mu);
    return first_error;
  }
  progress.Finish();

  m.resources.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    Resource r;
    r.path = files[items[i].file].rel;
    r.sharded = o.method == Method::kShards;
    r.start = items[i].start;
    r.end = items[i].end;
    r.digest = std::move(digests[i]);
    m.resources.push_back(std::move(r));
  }
  SortCanonical(m.resources);
  return m;
}

}  // namespace mats::hash
