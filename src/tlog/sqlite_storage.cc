// SQLite + tile-file LogStorage. See docs/tlog.md for the layout and the
// durability argument.
#include "mats/tlog/sqlite_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "mats/core/encoding.h"
#include "mats/core/mutex.h"
#include "mats/core/unique_fd.h"

namespace mats::tlog {
namespace {

constexpr std::string_view kFormatMarker = "mats-tlog-sqlite/v1";

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status SqlError(sqlite3* db, int rc, std::string_view what) {
  ErrorCode code = ErrorCode::kIo;
  if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB) code = ErrorCode::kMalformed;
  return Status(code, fmt::format("tlog: sqlite: {}: {} ({})", what,
                                  db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                                  sqlite3_errstr(rc)));
}

// Text or blob column as characters (empty for NULL).
std::string_view ColumnText(sqlite3_stmt* st, int col) {
  const void* p = sqlite3_column_blob(st, col);
  auto n = static_cast<size_t>(sqlite3_column_bytes(st, col));
  if (p == nullptr) return {};
  return AsChars(ByteSpan(static_cast<const uint8_t*>(p), n));
}

Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "tlog: open directory " + EscapePreview(dir, 256));
  if (::fsync(fd.get()) != 0) return ErrnoError(errno, "tlog: fsync directory " + EscapePreview(dir, 256));
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// mkdir -p; fsyncs the parent of every directory it creates.
Status MakeDirs(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError("tlog: {} exists and is not a directory", EscapePreview(dir, 256));
  }
  std::string parent = Parent(dir);
  if (parent != dir && !parent.empty()) MATS_RETURN_IF_ERROR(MakeDirs(parent));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "tlog: mkdir " + EscapePreview(dir, 256));
  }
  return FsyncDir(parent);
}

Status WriteAll(int fd, ByteSpan data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "tlog: write " + EscapePreview(path, 256));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<Bytes> ReadSmallFile(const std::string& path, size_t max) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "tlog: open " + EscapePreview(path, 256));
  Bytes out(max + 1);
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "tlog: read " + EscapePreview(path, 256));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

// Widths of partial versions stored under "<N>.p/".
std::vector<uint32_t> PartialWidths(const std::string& pdir) {
  std::vector<uint32_t> out;
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(pdir.c_str()), &::closedir);
  if (!d) return out;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name.empty() || name.size() > 3 || name[0] == '0' ||
        !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    uint32_t w = 0;
    for (char c : name) w = w * 10 + static_cast<uint32_t>(c - '0');
    if (w >= 1 && w < kTileWidth) out.push_back(w);
  }
  return out;
}

class SqliteStorage : public LogStorage {
 public:
  SqliteStorage(std::string dir, bool read_only) : dir_(std::move(dir)), read_only_(read_only) {}

  Status Init(const SqliteStorageOptions& options) {
    std::string db_path = dir_ + "/log.db";
    auto open = [&](DbPtr* db, int flags) -> Status {
      sqlite3* raw = nullptr;
      int rc = sqlite3_open_v2(db_path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
      db->reset(raw);
      if (rc != SQLITE_OK) return SqlError(raw, rc, "open " + EscapePreview(db_path, 256));
      sqlite3_busy_timeout(raw, 5000);
      return Status::Ok();
    };
    if (!read_only_) {
      MATS_RETURN_IF_ERROR(open(&write_db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
      MATS_RETURN_IF_ERROR(Exec(write_db_.get(), "PRAGMA journal_mode=WAL"));
      MATS_RETURN_IF_ERROR(Exec(write_db_.get(), options.synchronous_full
                                                     ? "PRAGMA synchronous=FULL"
                                                     : "PRAGMA synchronous=NORMAL"));
      MATS_RETURN_IF_ERROR(Exec(write_db_.get(),
                                "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                                "CREATE TABLE IF NOT EXISTS entries(idx INTEGER PRIMARY KEY, "
                                "leaf_hash BLOB NOT NULL, data BLOB NOT NULL);"
                                "CREATE INDEX IF NOT EXISTS entries_by_leaf ON entries(leaf_hash);"
                                "CREATE TABLE IF NOT EXISTS checkpoint(id INTEGER PRIMARY KEY CHECK (id = 0), "
                                "size INTEGER NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL);"));
      MATS_RETURN_IF_ERROR(Exec(write_db_.get(),
                                "INSERT OR IGNORE INTO meta(key, value) VALUES('format', 'mats-tlog-sqlite/v1')"));
    }
    MATS_RETURN_IF_ERROR(open(&read_db_, read_only_ ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE));
    // Format marker.
    sqlite3* db = read_db_.get();
    MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "SELECT value FROM meta WHERE key = 'format'"));
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) {
      if (ColumnText(st.get(), 0) != kFormatMarker) {
        return Malformed(0, "tlog: {}/log.db is not a {} database", EscapePreview(dir_, 256),
                         kFormatMarker);
      }
    } else if (rc == SQLITE_DONE) {
      return Malformed(0, "tlog: {}/log.db has no format marker", EscapePreview(dir_, 256));
    } else {
      return SqlError(db, rc, "read format marker");
    }
    return Status::Ok();
  }

  Result<LogState> LoadState() override {
    MutexLock lock(&read_mu_);
    sqlite3* db = read_db_.get();
    MATS_RETURN_IF_ERROR(Exec(db, "BEGIN"));
    Result<LogState> r = LoadStateLocked(db);
    Exec(db, "COMMIT").IgnoreError();
    return r;
  }

  Status AppendEntries(uint64_t first_index, std::span<const Bytes> entries,
                       std::span<const Hash> leaf_hashes) override {
    if (read_only_) return InvalidArgument("tlog: storage opened read-only");
    if (entries.size() != leaf_hashes.size()) {
      return InvalidArgument("tlog: {} entries but {} leaf hashes", entries.size(), leaf_hashes.size());
    }
    MutexLock lock(&write_mu_);
    sqlite3* db = write_db_.get();
    MATS_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
    Status s = AppendLocked(db, first_index, entries, leaf_hashes);
    if (s.ok()) s = Exec(db, "COMMIT");
    if (!s.ok()) {
      if (!sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK").IgnoreError();
      return s;
    }
    return Status::Ok();
  }

  Result<std::vector<Bytes>> ReadEntries(uint64_t begin, uint64_t count) override {
    MutexLock lock(&read_mu_);
    sqlite3* db = read_db_.get();
    if (!read_entries_) {
      MATS_ASSIGN_OR_RETURN(read_entries_,
                            Prepare(db, "SELECT idx, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx"));
    }
    sqlite3_stmt* st = read_entries_.get();
    sqlite3_reset(st);
    uint64_t end = begin + count;
    if (end < begin || end > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgument("tlog: entry range [{}, {}+{}) out of range", begin, begin, count);
    }
    sqlite3_bind_int64(st, 1, static_cast<int64_t>(begin));
    sqlite3_bind_int64(st, 2, static_cast<int64_t>(end));
    std::vector<Bytes> out;
    out.reserve(static_cast<size_t>(std::min<uint64_t>(count, 4096)));
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      auto idx = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
      if (idx != begin + out.size()) break;
      const void* data = sqlite3_column_blob(st, 1);
      auto len = static_cast<size_t>(sqlite3_column_bytes(st, 1));
      if (len > kMaxEntryBytes) {
        sqlite3_reset(st);
        return Malformed(0, "tlog: entry row {} has {} bytes, more than {}", idx, len, kMaxEntryBytes);
      }
      ByteSpan b(static_cast<const uint8_t*>(data), len);
      out.emplace_back(b.begin(), b.end());
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      sqlite3_reset(st);
      return SqlError(db, rc, "read entries");
    }
    sqlite3_reset(st);
    if (out.size() != count) {
      return NotFound("tlog: entry {} not found", begin + out.size());
    }
    return out;
  }

  Result<uint64_t> FindLeafIndex(const Hash& leaf_hash) override {
    MutexLock lock(&read_mu_);
    sqlite3* db = read_db_.get();
    MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "SELECT min(idx) FROM entries WHERE leaf_hash = ?"));
    sqlite3_bind_blob(st.get(), 1, leaf_hash.data(), static_cast<int>(leaf_hash.size()), SQLITE_STATIC);
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_ROW) return SqlError(db, rc, "find leaf");
    if (sqlite3_column_type(st.get(), 0) == SQLITE_NULL) {
      return NotFound("tlog: no entry with leaf hash {}", HashHex(leaf_hash));
    }
    return static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0));
  }

  Status WriteTiles(std::span<const std::pair<TileId, Bytes>> tiles) override {
    if (read_only_) return InvalidArgument("tlog: storage opened read-only");
    std::set<std::string> dirs;
    std::vector<std::pair<std::string, std::string>> renames;
    Status failure;
    for (const auto& [id, data] : tiles) {
      if (id.kind != TileKind::kHash || id.width == 0 || id.width > kTileWidth ||
          data.size() != size_t{id.width} * kHashSize) {
        failure = InvalidArgument("tlog: bad tile {} of {} bytes", TilePath(id), data.size());
        break;
      }
      std::string path = dir_ + "/" + TilePath(id);
      std::string parent = Parent(path);
      failure = MakeDirs(parent);
      if (!failure.ok()) break;
      std::string tmp = path + ".tmp";
      UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (fd.get() < 0) {
        failure = ErrnoError(errno, "tlog: create " + EscapePreview(tmp, 256));
        break;
      }
      renames.emplace_back(tmp, path);
      failure = WriteAll(fd.get(), data, tmp);
      if (failure.ok() && ::fsync(fd.get()) != 0) {
        failure = ErrnoError(errno, "tlog: fsync " + EscapePreview(tmp, 256));
      }
      if (!failure.ok()) break;
      dirs.insert(parent);
    }
    if (!failure.ok()) {
      for (const auto& r : renames) ::unlink(r.first.c_str());
      return failure;
    }
    for (const auto& [tmp, path] : renames) {
      if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return ErrnoError(errno, "tlog: rename to " + EscapePreview(path, 256));
      }
    }
    for (const std::string& d : dirs) MATS_RETURN_IF_ERROR(FsyncDir(d));
    // Drop narrower versions that are now superseded (best effort: a stale
    // narrower file is still a valid prefix).
    for (const auto& [id, data] : tiles) {
      std::string base = dir_ + "/" + TilePath(TileId::Hash(id.level, id.index));
      std::string pdir = base + ".p";
      for (uint32_t w : PartialWidths(pdir)) {
        if (w < id.width) ::unlink((pdir + "/" + std::to_string(w)).c_str());
      }
      if (id.full()) ::rmdir(pdir.c_str());
    }
    return Status::Ok();
  }

  Result<Bytes> ReadHashTile(uint8_t level, uint64_t index, uint32_t width) override {
    if (width == 0 || width > kTileWidth || level > kMaxTileLevel) {
      return InvalidArgument("tlog: bad tile request {}/{} width {}", level, index, width);
    }
    Result<Bytes> r = ReadHashTileOnce(level, index, width);
    // A concurrent WriteTiles may delete the partial version we picked after
    // writing a wider one: look again once.
    if (!r.ok() && r.status().code() == ErrorCode::kNotFound) r = ReadHashTileOnce(level, index, width);
    return r;
  }

  Result<Bytes> ReadHashTileOnce(uint8_t level, uint64_t index, uint32_t width) {
    std::string base = dir_ + "/" + TilePath(TileId::Hash(level, index));
    uint32_t have = kTileWidth;
    std::string path = base;
    struct stat st {};
    if (::stat(base.c_str(), &st) != 0) {
      std::vector<uint32_t> widths = PartialWidths(base + ".p");
      if (widths.empty()) return NotFound("tlog: tile {} not found", TilePath(TileId::Hash(level, index, width)));
      have = *std::max_element(widths.begin(), widths.end());
      path = base + ".p/" + std::to_string(have);
    }
    if (have < width) {
      return NotFound("tlog: tile {} not found (widest stored is {})",
                      TilePath(TileId::Hash(level, index, width)), have);
    }
    MATS_ASSIGN_OR_RETURN(Bytes data, ReadSmallFile(path, size_t{kTileWidth} * kHashSize));
    if (data.size() != size_t{have} * kHashSize) {
      return Malformed(0, "tlog: tile file {} has {} bytes, want {}",
                       TilePath(TileId::Hash(level, index, have)), data.size(), size_t{have} * kHashSize);
    }
    data.resize(size_t{width} * kHashSize);
    return data;
  }

  Status StoreCheckpoint(uint64_t expected_previous_size, const StoredCheckpoint& cp) override {
    if (read_only_) return InvalidArgument("tlog: storage opened read-only");
    MutexLock lock(&write_mu_);
    sqlite3* db = write_db_.get();
    MATS_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
    Status s = StoreCheckpointLocked(db, expected_previous_size, cp);
    if (s.ok()) s = Exec(db, "COMMIT");
    if (!s.ok()) {
      if (!sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK").IgnoreError();
      return s;
    }
    return Status::Ok();
  }

 private:
  static Status Exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (err != nullptr) sqlite3_free(err);
    if (rc != SQLITE_OK) return SqlError(db, rc, sql);
    return Status::Ok();
  }

  static Result<StmtPtr> Prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    StmtPtr st(raw);
    if (rc != SQLITE_OK) return SqlError(db, rc, sql);
    return st;
  }

  Result<LogState> LoadStateLocked(sqlite3* db) {
    LogState state;
    {
      MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "SELECT max(idx) FROM entries"));
      int rc = sqlite3_step(st.get());
      if (rc != SQLITE_ROW) return SqlError(db, rc, "read entry count");
      if (sqlite3_column_type(st.get(), 0) != SQLITE_NULL) {
        int64_t max = sqlite3_column_int64(st.get(), 0);
        if (max < 0) return Malformed(0, "tlog: negative entry index {} in log.db", max);
        state.next_index = static_cast<uint64_t>(max) + 1;
      }
    }
    MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "SELECT size, root, note FROM checkpoint WHERE id = 0"));
    int rc = sqlite3_step(st.get());
    if (rc == SQLITE_ROW) {
      StoredCheckpoint cp;
      int64_t size = sqlite3_column_int64(st.get(), 0);
      const void* root = sqlite3_column_blob(st.get(), 1);
      auto root_len = static_cast<size_t>(sqlite3_column_bytes(st.get(), 1));
      std::string_view note = ColumnText(st.get(), 2);
      if (size < 0 || root_len != kHashSize || note.empty()) {
        return Malformed(0, "tlog: corrupt checkpoint row in log.db (size {}, root {} bytes)", size, root_len);
      }
      cp.size = static_cast<uint64_t>(size);
      ByteSpan rb(static_cast<const uint8_t*>(root), root_len);
      std::copy(rb.begin(), rb.end(), cp.root.begin());
      cp.note = std::string(note);
      state.checkpoint = std::move(cp);
    } else if (rc != SQLITE_DONE) {
      return SqlError(db, rc, "read checkpoint");
    }
    return state;
  }

  Status AppendLocked(sqlite3* db, uint64_t first_index, std::span<const Bytes> entries,
                      std::span<const Hash> leaf_hashes) MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    if (!next_stmt_) {
      MATS_ASSIGN_OR_RETURN(next_stmt_, Prepare(db, "SELECT coalesce(max(idx) + 1, 0) FROM entries"));
      MATS_ASSIGN_OR_RETURN(insert_stmt_,
                            Prepare(db, "INSERT INTO entries(idx, leaf_hash, data) VALUES(?, ?, ?)"));
    }
    sqlite3_stmt* nx = next_stmt_.get();
    sqlite3_reset(nx);
    int rc = sqlite3_step(nx);
    if (rc != SQLITE_ROW) return SqlError(db, rc, "read next index");
    auto next = static_cast<uint64_t>(sqlite3_column_int64(nx, 0));
    sqlite3_reset(nx);
    if (next != first_index) {
      return InvalidArgument("tlog: append at index {} but the log has {} entries (another writer?)",
                             first_index, next);
    }
    if (first_index + entries.size() > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgument("tlog: log index space exhausted");
    }
    sqlite3_stmt* ins = insert_stmt_.get();
    for (size_t i = 0; i < entries.size(); ++i) {
      sqlite3_reset(ins);
      sqlite3_bind_int64(ins, 1, static_cast<int64_t>(first_index + i));
      sqlite3_bind_blob(ins, 2, leaf_hashes[i].data(), static_cast<int>(kHashSize), SQLITE_STATIC);
      sqlite3_bind_blob(ins, 3, entries[i].data(), static_cast<int>(entries[i].size()), SQLITE_STATIC);
      rc = sqlite3_step(ins);
      if (rc != SQLITE_DONE) {
        Status s = SqlError(db, rc, "insert entry");
        sqlite3_reset(ins);
        return s;
      }
    }
    sqlite3_reset(ins);
    return Status::Ok();
  }

  Status StoreCheckpointLocked(sqlite3* db, uint64_t expected_previous_size, const StoredCheckpoint& cp) {
    uint64_t have = 0;
    {
      MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "SELECT size FROM checkpoint WHERE id = 0"));
      int rc = sqlite3_step(st.get());
      if (rc == SQLITE_ROW) {
        have = static_cast<uint64_t>(sqlite3_column_int64(st.get(), 0));
      } else if (rc != SQLITE_DONE) {
        return SqlError(db, rc, "read checkpoint size");
      }
    }
    if (have != expected_previous_size) {
      return InvalidArgument("tlog: checkpoint compare-and-swap failed: stored size {}, expected {}",
                             have, expected_previous_size);
    }
    if (cp.size > static_cast<uint64_t>(INT64_MAX)) return InvalidArgument("tlog: checkpoint size too large");
    MATS_ASSIGN_OR_RETURN(StmtPtr st, Prepare(db, "INSERT OR REPLACE INTO checkpoint(id, size, root, note) VALUES(0, ?, ?, ?)"));
    sqlite3_bind_int64(st.get(), 1, static_cast<int64_t>(cp.size));
    sqlite3_bind_blob(st.get(), 2, cp.root.data(), static_cast<int>(kHashSize), SQLITE_STATIC);
    sqlite3_bind_text(st.get(), 3, cp.note.data(), static_cast<int>(cp.note.size()), SQLITE_STATIC);
    int rc = sqlite3_step(st.get());
    if (rc != SQLITE_DONE) return SqlError(db, rc, "store checkpoint");
    return Status::Ok();
  }

  std::string dir_;
  bool read_only_;
  Mutex write_mu_;
  DbPtr write_db_;
  StmtPtr next_stmt_ MATS_GUARDED_BY(write_mu_);
  StmtPtr insert_stmt_ MATS_GUARDED_BY(write_mu_);
  Mutex read_mu_;
  DbPtr read_db_;
  StmtPtr read_entries_ MATS_GUARDED_BY(read_mu_);
};

}  // namespace

Result<std::unique_ptr<LogStorage>> OpenSqliteStorage(const std::string& dir,
                                                      const SqliteStorageOptions& options) {
  if (dir.empty()) return InvalidArgument("tlog: empty storage directory");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (options.read_only || !options.create) {
      return ErrnoError(errno, "tlog: storage directory " + EscapePreview(dir, 256));
    }
    MATS_RETURN_IF_ERROR(MakeDirs(dir));
  } else if (!S_ISDIR(st.st_mode)) {
    return IoError("tlog: {} is not a directory", EscapePreview(dir, 256));
  }
  auto storage = std::make_unique<SqliteStorage>(dir, options.read_only);
  MATS_RETURN_IF_ERROR(storage->Init(options));
  return std::unique_ptr<LogStorage>(std::move(storage));
}

}  // namespace mats::tlog
