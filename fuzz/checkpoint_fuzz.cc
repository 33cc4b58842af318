// Fuzzes the tlog-checkpoint parser and the strict tile path parser (which
// the server uses on request paths). A parsed tile path must re-encode to
// exactly the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/tlog/checkpoint.h"
#include "mats/tlog/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = mats::AsChars(mats::ByteSpan(data, size));
  auto cp = mats::tlog::ParseCheckpoint(in);
  if (cp.ok() && mats::tlog::ValidateCheckpoint(*cp).ok()) {
    // Re-parsing the formatted checkpoint gives the same value.
    auto again = mats::tlog::ParseCheckpoint(mats::tlog::FormatCheckpoint(*cp));
    if (!again.ok() || !(*again == *cp)) std::abort();
  }
  auto tile = mats::tlog::ParseTilePath(in);
  if (tile.ok() && mats::tlog::TilePath(*tile) != in) std::abort();
  return 0;
}
