// Fuzzes the zip reader and analyser (member reads included).
#include <cstddef>
#include <cstdint>

#include "containers_fuzz_context.h"
#include "mats/zip/zip.h"
#include "mats/zip/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan in(data, size);
  mats::Limits limits;
  limits.max_inflate_bytes = 1 << 20;
  limits.max_entries = 1000;
  mats::fuzzing::NullContext ctx(limits);
  mats::zip::AnalyzeZip(in, ctx).IgnoreError();
  return 0;
}
