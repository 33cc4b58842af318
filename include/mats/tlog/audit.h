// Audit — recomputes a log (or a range of it) from its entries and compares
// the result with its tiles and a checkpoint, pinpointing the first corrupt
// entry or tile.
//
//   StorageTileReader tiles(*storage);   // or an HTTP tile client
//   MATS_ASSIGN_OR_RETURN(AuditReport r, AuditLog(tiles, checkpoint, {}));
//   if (!r.status.ok()) std::cerr << r.status.ToString();
//
// What is checked, for a range [begin, end) of a tree of size
// checkpoint.size: every entry bundle overlapping the range parses, (if
// asked) each entry decodes as a mats entry, each entry's leaf hash equals
// its position in the level-0 hash tile, every hash tile overlapping the
// range at every level equals the one recomputed from the level below, and
// the root computed from the tiles equals checkpoint.root.
//
// Pinpointing: when an entry's hash differs from the stored level-0 tile,
// the stored tile is checked against its parent; if the tile is consistent
// with the levels above, the entry is named corrupt, otherwise the tile.
#ifndef MATS_TLOG_AUDIT_H_
#define MATS_TLOG_AUDIT_H_

#include <cstdint>
#include <optional>

#include "mats/core/result.h"
#include "mats/tlog/checkpoint.h"
#include "mats/tlog/tiles.h"

namespace mats::tlog {

struct AuditOptions {
  uint64_t begin = 0;
  // End of the range; nullopt = checkpoint size.
  std::optional<uint64_t> end;
  // Also DecodeEntry every entry.
  bool decode_entries = true;
};

struct AuditReport {
  uint64_t entries_checked = 0;
  uint64_t tiles_checked = 0;
  // Ok, or the first problem (kVerificationFailed for mismatches,
  // kMalformed for undecodable entries/tiles, kNotFound for missing ones).
  Status status;
  std::optional<uint64_t> first_bad_entry;
  std::optional<TileId> first_bad_tile;
};

// Runs the audit. The returned Result is an error only for bad arguments
// (kInvalidArgument: begin > end or end > checkpoint size); problems in the
// log are reported in AuditReport::status.
Result<AuditReport> AuditLog(TileReader& tiles, const Checkpoint& checkpoint,
                             const AuditOptions& options = {});

}  // namespace mats::tlog

#endif  // MATS_TLOG_AUDIT_H_
