// PostgreSQL LogStorage (see include/mats/tlog/postgres_storage.h).
#include "mats/tlog/postgres_storage.h"

#include <libpq-fe.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "mats/core/encoding.h"
#include "mats/core/mutex.h"

namespace mats::tlog {

namespace {

constexpr unsigned int kByteaOid = 17;

struct PgConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

std::string ConnError(PGconn* c) {
  std::string m = PQerrorMessage(c);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return EscapePreview(m, 256);
}

bool ValidSchema(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

// A query parameter: text (format 0) or binary bytea (format 1).
struct Param {
  std::string value;
  bool binary = false;
  bool null = false;
  static Param Text(std::string v) { return Param{std::move(v), false, false}; }
  static Param U64(uint64_t v) { return Param{std::to_string(v), false, false}; }
  static Param Blob(ByteSpan b) {
    return Param{std::string(b.begin(), b.end()), true, false};
  }
  static Param Null() { return Param{"", false, true}; }
};

ByteSpan ValueBytes(const PGresult* r, int row, int col) {
  const char* p = PQgetvalue(r, row, col);
  int len = PQgetlength(r, row, col);
  return ByteSpan(reinterpret_cast<const uint8_t*>(p),  // NOLINT: libpq returns char*
                  static_cast<size_t>(len));
}

// Binary int8/int4/int2 column (big-endian).
Result<uint64_t> ValueUint(const PGresult* r, int row, int col, std::string_view what) {
  ByteSpan b = ValueBytes(r, row, col);
  if (b.size() != 8 && b.size() != 4 && b.size() != 2) {
    return Malformed(0, "postgres: {}: integer of {} bytes", what, b.size());
  }
  uint64_t v = 0;
  for (uint8_t x : b) v = (v << 8) | x;
  if (b.size() == 8 && (v >> 63) != 0) return Malformed(0, "postgres: {}: negative value", what);
  return v;
}

class PostgresStorage : public LogStorage {
 public:
  explicit PostgresStorage(PostgresStorageOptions o) : options_(std::move(o)) {}

  Status Open() {
    if (!ValidSchema(options_.schema)) {
      return InvalidArgument("postgres: bad schema name \"{}\" (want [a-z_][a-z0-9_]{{0,62}})",
                             EscapePreview(options_.schema));
    }
    if (options_.read_connections == 0 || options_.read_connections > 64) {
      return InvalidArgument("postgres: read_connections must be 1..64");
    }
    MATS_ASSIGN_OR_RETURN(PgConn w, Connect());
    {
      MutexLock lock(&write_mu_);
      writer_ = std::move(w);
      MATS_RETURN_IF_ERROR(CreateSchemaLocked());
      MATS_RETURN_IF_ERROR(TakeLockLocked());
    }
    std::lock_guard<std::mutex> lock(pool_mu_);
    for (size_t i = 0; i < options_.read_connections; ++i) {
      MATS_ASSIGN_OR_RETURN(PgConn r, Connect());
      pool_.push_back(std::move(r));
    }
    return Status::Ok();
  }

  Result<LogState> LoadState() override {
    MATS_ASSIGN_OR_RETURN(PgResult r,
                          ReadQuery("SELECT next_index, cp_size, cp_root, cp_note FROM " + T("state") +
                                        " WHERE id = 1",
                                    {}));
    if (PQntuples(r.get()) != 1) return Malformed(0, "postgres: state row missing");
    LogState st;
    MATS_ASSIGN_OR_RETURN(st.next_index, ValueUint(r.get(), 0, 0, "state.next_index"));
    if (!PQgetisnull(r.get(), 0, 1)) {
      StoredCheckpoint cp;
      MATS_ASSIGN_OR_RETURN(cp.size, ValueUint(r.get(), 0, 1, "state.cp_size"));
      Result<Hash> root = HashFromBytes(ValueBytes(r.get(), 0, 2));
      if (!root.ok()) return Malformed(0, "postgres: state.cp_root is not 32 bytes");
      cp.root = *root;
      ByteSpan note = ValueBytes(r.get(), 0, 3);
      cp.note.assign(note.begin(), note.end());
      st.checkpoint = std::move(cp);
    }
    return st;
  }

  Status AppendEntries(uint64_t first_index, std::span<const Bytes> entries,
                       std::span<const Hash> leaf_hashes) override {
    if (entries.size() != leaf_hashes.size()) {
      return InvalidArgument("postgres: {} entries but {} leaf hashes", entries.size(),
                             leaf_hashes.size());
    }
    if (first_index > (1ull << 62) || entries.size() > (1ull << 30)) {
      return InvalidArgument("postgres: index range too large");
    }
    MutexLock lock(&write_mu_);
    MATS_RETURN_IF_ERROR(ExecLocked("BEGIN"));
    Status s = AppendLocked(first_index, entries, leaf_hashes);
    if (!s.ok()) {
      ExecLocked("ROLLBACK").IgnoreError();
      return s;
    }
    return ExecLocked("COMMIT");
  }

  Result<std::vector<Bytes>> ReadEntries(uint64_t begin, uint64_t count) override {
    if (count == 0) return std::vector<Bytes>();
    if (count > (1u << 20) || begin > (1ull << 62)) {
      return InvalidArgument("postgres: read of {} entries at {} too large", count, begin);
    }
    MATS_ASSIGN_OR_RETURN(
        PgResult r, ReadQuery("SELECT idx, data FROM " + T("entries") +
                                  " WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                              {Param::U64(begin), Param::U64(begin + count)}));
    if (static_cast<uint64_t>(PQntuples(r.get())) != count) {
      return NotFound("postgres: entries [{}, {}) incomplete: {} rows", begin, begin + count,
                      PQntuples(r.get()));
    }
    std::vector<Bytes> out;
    out.reserve(count);
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      MATS_ASSIGN_OR_RETURN(uint64_t idx, ValueUint(r.get(), i, 0, "entries.idx"));
      if (idx != begin + static_cast<uint64_t>(i)) {
        return NotFound("postgres: entry {} missing", begin + static_cast<uint64_t>(i));
      }
      ByteSpan d = ValueBytes(r.get(), i, 1);
      out.emplace_back(d.begin(), d.end());
    }
    return out;
  }

  Result<uint64_t> FindLeafIndex(const Hash& leaf_hash) override {
    MATS_ASSIGN_OR_RETURN(
        PgResult r, ReadQuery("SELECT idx FROM " + T("entries") +
                                  " WHERE leaf_hash = $1 ORDER BY idx LIMIT 1",
                              {Param::Blob(ByteSpan(leaf_hash.data(), leaf_hash.size()))}));
    if (PQntuples(r.get()) == 0) return NotFound("postgres: leaf hash {} not found", HashHex(leaf_hash));
    return ValueUint(r.get(), 0, 0, "entries.idx");
  }

  Status WriteTiles(std::span<const std::pair<TileId, Bytes>> tiles) override {
    MutexLock lock(&write_mu_);
    MATS_RETURN_IF_ERROR(ExecLocked("BEGIN"));
    for (const auto& [id, data] : tiles) {
      if (id.kind != TileKind::kHash || id.width == 0 || id.width > kTileWidth ||
          data.size() != static_cast<size_t>(id.width) * kHashSize) {
        ExecLocked("ROLLBACK").IgnoreError();
        return InvalidArgument("postgres: bad tile {} ({} bytes)", TilePath(id), data.size());
      }
      Result<PgResult> r = QueryLocked(
          "INSERT INTO " + T("tiles") + " (level, idx, width, data) VALUES ($1, $2, $3, $4) " +
              "ON CONFLICT (level, idx) DO UPDATE SET width = EXCLUDED.width, data = EXCLUDED.data " +
              "WHERE " + T("tiles") + ".width < EXCLUDED.width",
          {Param::U64(id.level), Param::U64(id.index), Param::U64(id.width), Param::Blob(data)});
      if (!r.ok()) {
        ExecLocked("ROLLBACK").IgnoreError();
        return r.status();
      }
    }
    return ExecLocked("COMMIT");
  }

  Result<Bytes> ReadHashTile(uint8_t level, uint64_t index, uint32_t width) override {
    if (width == 0 || width > kTileWidth) return InvalidArgument("postgres: bad tile width {}", width);
    MATS_ASSIGN_OR_RETURN(PgResult r,
                          ReadQuery("SELECT width, data FROM " + T("tiles") +
                                        " WHERE level = $1 AND idx = $2",
                                    {Param::U64(level), Param::U64(index)}));
    std::string path = TilePath(TileId::Hash(level, index, width));
    if (PQntuples(r.get()) == 0) return NotFound("postgres: tile {} not stored", path);
    MATS_ASSIGN_OR_RETURN(uint64_t stored_width, ValueUint(r.get(), 0, 0, "tiles.width"));
    ByteSpan data = ValueBytes(r.get(), 0, 1);
    if (stored_width == 0 || stored_width > kTileWidth ||
        data.size() != stored_width * kHashSize) {
      return Malformed(0, "postgres: corrupt tile row (level {}, idx {}): width {}, {} bytes",
                       level, index, stored_width, data.size());
    }
    if (stored_width < width) return NotFound("postgres: tile {} stored only at width {}", path, stored_width);
    return Bytes(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(width * kHashSize));
  }

  Status StoreCheckpoint(uint64_t expected_previous_size, const StoredCheckpoint& cp) override {
    MutexLock lock(&write_mu_);
    MATS_RETURN_IF_ERROR(ExecLocked("BEGIN"));
    Status s = StoreCheckpointLocked(expected_previous_size, cp);
    if (!s.ok()) {
      ExecLocked("ROLLBACK").IgnoreError();
      return s;
    }
    return ExecLocked("COMMIT");
  }

 private:
  std::string T(std::string_view table) const { return options_.schema + "." + std::string(table); }

  Result<PgConn> Connect() {
    PgConn c(PQconnectdb(options_.conninfo.c_str()));
    if (c == nullptr) return IoError("postgres: out of memory connecting");
    if (PQstatus(c.get()) != CONNECTION_OK) {
      return IoError("postgres: cannot connect: {}", ConnError(c.get()));
    }
    // Library code never prints: drop server NOTICEs ("already exists, skipping").
    PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
    return c;
  }

  static Result<PgResult> Query(PGconn* c, const std::string& sql, const std::vector<Param>& params) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    std::vector<unsigned int> types;
    for (const Param& p : params) {
      values.push_back(p.null ? nullptr : p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
      types.push_back(p.binary ? kByteaOid : 0);
    }
    PgResult r(PQexecParams(c, sql.c_str(), static_cast<int>(params.size()), types.data(),
                            values.data(), lengths.data(), formats.data(), /*resultFormat=*/1));
    if (r == nullptr) return IoError("postgres: {}", ConnError(c));
    ExecStatusType st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
      std::string msg = PQresultErrorMessage(r.get());
      while (!msg.empty() && msg.back() == '\n') msg.pop_back();
      return IoError("postgres: {}", EscapePreview(msg, 256));
    }
    return r;
  }

  Result<PgResult> QueryLocked(const std::string& sql, const std::vector<Param>& params)
      MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return Query(writer_.get(), sql, params);
  }
  Status ExecLocked(const std::string& sql) MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return QueryLocked(sql, {}).status();
  }

  // Runs a read on a pooled connection.
  Result<PgResult> ReadQuery(const std::string& sql, const std::vector<Param>& params) {
    PgConn c;
    {
      std::unique_lock<std::mutex> lock(pool_mu_);
      pool_cv_.wait(lock, [this] { return !pool_.empty(); });
      c = std::move(pool_.back());
      pool_.pop_back();
    }
    Result<PgResult> r = Query(c.get(), sql, params);
    if (PQstatus(c.get()) != CONNECTION_OK) PQreset(c.get());  // reads may reconnect
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      pool_.push_back(std::move(c));
    }
    pool_cv_.notify_one();
    return r;
  }

  Status CreateSchemaLocked() MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    // Serialise concurrent first-time creation by several servers.
    MATS_RETURN_IF_ERROR(ExecLocked("BEGIN"));
    Status s = [&]() -> Status {
      MATS_RETURN_IF_ERROR(
          QueryLocked("SELECT pg_advisory_xact_lock(4242, hashtext($1))", {Param::Text("schema")})
              .status());
      MATS_RETURN_IF_ERROR(ExecLocked("CREATE SCHEMA IF NOT EXISTS " + options_.schema));
      MATS_RETURN_IF_ERROR(ExecLocked(
          "CREATE TABLE IF NOT EXISTS " + T("state") +
          " (id integer PRIMARY KEY CHECK (id = 1), next_index bigint NOT NULL CHECK (next_index >= 0),"
          " cp_size bigint, cp_root bytea, cp_note bytea)"));
      MATS_RETURN_IF_ERROR(ExecLocked("INSERT INTO " + T("state") +
                                      " (id, next_index) VALUES (1, 0) ON CONFLICT (id) DO NOTHING"));
      MATS_RETURN_IF_ERROR(ExecLocked("CREATE TABLE IF NOT EXISTS " + T("entries") +
                                      " (idx bigint PRIMARY KEY CHECK (idx >= 0), leaf_hash bytea NOT NULL,"
                                      " data bytea NOT NULL)"));
      MATS_RETURN_IF_ERROR(ExecLocked("CREATE INDEX IF NOT EXISTS entries_leaf_hash ON " +
                                      T("entries") + " (leaf_hash)"));
      MATS_RETURN_IF_ERROR(ExecLocked(
          "CREATE TABLE IF NOT EXISTS " + T("tiles") +
          " (level smallint NOT NULL, idx bigint NOT NULL, width integer NOT NULL, data bytea NOT NULL,"
          " PRIMARY KEY (level, idx))"));
      return Status::Ok();
    }();
    if (!s.ok()) {
      ExecLocked("ROLLBACK").IgnoreError();
      return s;
    }
    return ExecLocked("COMMIT");
  }

  Status TakeLockLocked() MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    auto deadline = std::chrono::steady_clock::now() + options_.lock_wait;
    for (;;) {
      MATS_ASSIGN_OR_RETURN(PgResult r,
                            QueryLocked("SELECT pg_try_advisory_lock(4243, hashtext($1))",
                                        {Param::Text(options_.schema)}));
      ByteSpan v = ValueBytes(r.get(), 0, 0);
      if (v.size() == 1 && v[0] == 1) return Status::Ok();
      if (std::chrono::steady_clock::now() >= deadline) {
        return LimitExceeded("postgres: another server holds the sequencer lock of schema {} (waited {} ms)",
                             options_.schema, options_.lock_wait.count());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  Status AppendLocked(uint64_t first_index, std::span<const Bytes> entries,
                      std::span<const Hash> leaf_hashes) MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    MATS_ASSIGN_OR_RETURN(PgResult r, QueryLocked("SELECT next_index FROM " + T("state") +
                                                      " WHERE id = 1 FOR UPDATE",
                                                  {}));
    if (PQntuples(r.get()) != 1) return Malformed(0, "postgres: state row missing");
    MATS_ASSIGN_OR_RETURN(uint64_t next, ValueUint(r.get(), 0, 0, "state.next_index"));
    if (next != first_index) {
      return InvalidArgument("postgres: append at {} but the log has {} entries (another sequencer?)",
                             first_index, next);
    }
    if (entries.empty()) return Status::Ok();
    // COPY in text format: bytea as \\x<hex> (backslash doubled for COPY).
    PgResult copy(PQexec(writer_.get(), ("COPY " + T("entries") + " (idx, leaf_hash, data) FROM STDIN").c_str()));
    if (copy == nullptr || PQresultStatus(copy.get()) != PGRES_COPY_IN) {
      return IoError("postgres: COPY failed: {}", ConnError(writer_.get()));
    }
    std::string buf;
    buf.reserve(1 << 20);
    auto flush = [&]() -> Status {
      if (buf.empty()) return Status::Ok();
      if (PQputCopyData(writer_.get(), buf.data(), static_cast<int>(buf.size())) != 1) {
        return IoError("postgres: COPY data: {}", ConnError(writer_.get()));
      }
      buf.clear();
      return Status::Ok();
    };
    for (size_t i = 0; i < entries.size(); ++i) {
      buf += std::to_string(first_index + i);
      buf += "\t\\\\x";
      buf += HexEncode(ByteSpan(leaf_hashes[i].data(), leaf_hashes[i].size()));
      buf += "\t\\\\x";
      buf += HexEncode(entries[i]);
      buf += '\n';
      if (buf.size() > (1 << 20)) {
        if (Status s = flush(); !s.ok()) {
          PQputCopyEnd(writer_.get(), "aborted");
          PgResult drain(PQgetResult(writer_.get()));
          while (PgResult more{PQgetResult(writer_.get())}) {
          }
          return s;
        }
      }
    }
    Status fs = flush();
    if (PQputCopyEnd(writer_.get(), fs.ok() ? nullptr : "aborted") != 1) {
      return IoError("postgres: COPY end: {}", ConnError(writer_.get()));
    }
    Status result = fs;
    while (PgResult res{PQgetResult(writer_.get())}) {
      if (PQresultStatus(res.get()) != PGRES_COMMAND_OK && result.ok()) {
        std::string msg = PQresultErrorMessage(res.get());
        result = IoError("postgres: COPY: {}", EscapePreview(msg, 256));
      }
    }
    MATS_RETURN_IF_ERROR(result);
    return QueryLocked("UPDATE " + T("state") + " SET next_index = $1 WHERE id = 1",
                       {Param::U64(first_index + entries.size())})
        .status();
  }

  Status StoreCheckpointLocked(uint64_t expected_previous_size, const StoredCheckpoint& cp)
      MATS_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    MATS_ASSIGN_OR_RETURN(PgResult r, QueryLocked("SELECT cp_size FROM " + T("state") +
                                                      " WHERE id = 1 FOR UPDATE",
                                                  {}));
    if (PQntuples(r.get()) != 1) return Malformed(0, "postgres: state row missing");
    uint64_t stored = 0;
    if (!PQgetisnull(r.get(), 0, 0)) {
      MATS_ASSIGN_OR_RETURN(stored, ValueUint(r.get(), 0, 0, "state.cp_size"));
    }
    if (stored != expected_previous_size) {
      return InvalidArgument("postgres: checkpoint compare-and-swap failed: stored size {}, expected {}",
                             stored, expected_previous_size);
    }
    return QueryLocked("UPDATE " + T("state") + " SET cp_size = $1, cp_root = $2, cp_note = $3 WHERE id = 1",
                       {Param::U64(cp.size), Param::Blob(ByteSpan(cp.root.data(), cp.root.size())),
                        Param::Blob(AsBytes(cp.note))})
        .status();
  }

  PostgresStorageOptions options_;
  Mutex write_mu_;
  PgConn writer_ MATS_GUARDED_BY(write_mu_);
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<PgConn> pool_;  // guarded by pool_mu_
};

}  // namespace

Result<std::unique_ptr<LogStorage>> OpenPostgresStorage(const PostgresStorageOptions& options) {
  auto s = std::make_unique<PostgresStorage>(options);
  MATS_RETURN_IF_ERROR(s->Open());
  return std::unique_ptr<LogStorage>(std::move(s));
}

}  // namespace mats::tlog
