// PostgreSQL LogStorage: several mats servers share one log through one
// database, with one sequencer at a time.
//
//   PostgresStorageOptions opts;
//   opts.conninfo = "host=/run/postgresql dbname=mats";
//   MATS_ASSIGN_OR_RETURN(std::unique_ptr<LogStorage> storage,
//                         OpenPostgresStorage(opts));
//
// Tables (in schema `options.schema`, created if missing):
//   state(id=1, next_index, cp_size, cp_root, cp_note)   one row
//   entries(idx PRIMARY KEY, leaf_hash, data)            sequenced entries
//   tiles(level, idx, width, data, PRIMARY KEY(level, idx))  hash tiles
//
// One sequencer at a time: OpenPostgresStorage takes a session-level
// pg_advisory_lock (key derived from the schema name) on its write
// connection, waiting up to `lock_wait` for a previous holder (another
// server) to exit; a standby server therefore takes over when the active one
// dies (its session, and so the lock, ends). Every write additionally runs
// in a transaction that locks the state row (SELECT ... FOR UPDATE) and
// compare-and-swaps next_index / cp_size, so even a server that lost the
// lock without noticing cannot fork the log. The lock lives on one
// connection; if it breaks, all writes fail (kIo) and the server must be
// restarted (no silent reconnect that could lose the lock).
//
// Indices are stored as bigint: a log holds at most 2^63-1 entries.
// Thread-safe: writes are serialised on the lock connection, reads use a
// small pool of other connections.
#ifndef MATS_TLOG_POSTGRES_STORAGE_H_
#define MATS_TLOG_POSTGRES_STORAGE_H_

#include <chrono>
#include <memory>
#include <string>

#include "mats/core/result.h"
#include "mats/tlog/storage.h"

namespace mats::tlog {

struct PostgresStorageOptions {
  std::string conninfo;              // libpq connection string
  std::string schema = "mats_log";   // [a-z_][a-z0-9_]{0,62}; one log per schema
  size_t read_connections = 4;       // 1..64
  // How long to wait for the sequencer lock (another server holding it).
  std::chrono::milliseconds lock_wait{std::chrono::seconds(30)};
};

// Connects, creates the schema and tables if needed, and takes the
// sequencer lock. kInvalidArgument (bad schema/options), kIo (cannot
// connect, SQL error), kLimitExceeded (lock not obtained within lock_wait).
Result<std::unique_ptr<LogStorage>> OpenPostgresStorage(const PostgresStorageOptions& options);

}  // namespace mats::tlog

#endif  // MATS_TLOG_POSTGRES_STORAGE_H_
