#include "mats/tlog/storage.h"

namespace mats::tlog {

Result<Bytes> StorageTileReader::ReadTile(const TileId& id) {
  if (id.width == 0 || id.width > kTileWidth) {
    return InvalidArgument("tlog: tile width {} not in 1..256", id.width);
  }
  if (id.kind == TileKind::kHash) return storage_.ReadHashTile(id.level, id.index, id.width);
  if (id.index > (UINT64_MAX - id.width) / kTileWidth) {
    return NotFound("tlog: entry bundle {} beyond uint64", id.index);
  }
  MATS_ASSIGN_OR_RETURN(std::vector<Bytes> entries,
                        storage_.ReadEntries(id.index * kTileWidth, id.width));
  return EncodeEntryBundle(entries);
}

}  // namespace mats::tlog
