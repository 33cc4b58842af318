// The embedded default LogStorage: SQLite (WAL) for entries and log state,
// tile files on local disk. docs/tlog.md describes the layout and the
// durability argument.
//
//   MATS_ASSIGN_OR_RETURN(std::unique_ptr<LogStorage> storage,
//                         OpenSqliteStorage("/var/lib/mats/log", {}));
//
// Layout under `dir`:
//   log.db (+ -wal, -shm)    entries(idx, leaf_hash, data), state
//   tile/<L>/<N>[.p/<W>]     hash tiles, C2SP paths, written atomically
//                            (temp file + fsync + rename + directory fsync)
#ifndef MATS_TLOG_SQLITE_STORAGE_H_
#define MATS_TLOG_SQLITE_STORAGE_H_

#include <memory>
#include <string>

#include "mats/core/result.h"
#include "mats/tlog/storage.h"

namespace mats::tlog {

struct SqliteStorageOptions {
  // PRAGMA synchronous=FULL (default) or NORMAL. In WAL mode NORMAL may lose
  // the last transactions on power loss (not on process crash); the
  // sequencer acknowledges only durable batches, so FULL is the default.
  bool synchronous_full = true;
  // Open without creating anything and refuse all writes (kInvalidArgument).
  bool read_only = false;
  // Create `dir` if missing (ignored when read_only).
  bool create = true;
};

// Opens (creating if allowed) the log under `dir`. kIo if the directory or
// database cannot be opened/created (permissions, full disk) with the OS
// reason; kMalformed if log.db is not a mats log database.
Result<std::unique_ptr<LogStorage>> OpenSqliteStorage(
    const std::string& dir, const SqliteStorageOptions& options = {});

}  // namespace mats::tlog

#endif  // MATS_TLOG_SQLITE_STORAGE_H_
