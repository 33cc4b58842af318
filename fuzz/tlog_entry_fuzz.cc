// Fuzzes the log entry decoder (strict and canonical: anything it accepts
// re-encodes to the same bytes) and the entry-bundle parser.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "mats/core/bytes.h"
#include "mats/tlog/entry.h"
#include "mats/tlog/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan in(data, size);
  auto e = mats::tlog::DecodeEntry(in);
  if (e.ok()) {
    auto re = mats::tlog::EncodeEntry(*e);
    if (!re.ok() || *re != mats::Bytes(in.begin(), in.end())) std::abort();
    auto back = mats::tlog::EntryFromJson(mats::tlog::EntryToJson(*e));
    if (!back.ok() || !(*back == *e)) std::abort();
  }
  for (uint32_t n : {1u, 2u, 256u}) mats::tlog::ParseEntryBundle(in, n).status().IgnoreError();
  return 0;
}
