// Fuzzes the tar/7z readers and the compression wrappers: the input goes to
// every handler whose sniffer accepts it, and always to tar and 7z.
#include <cstddef>
#include <cstdint>

#include "containers_fuzz_context.h"
#include "mats/archive/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan in(data, size);
  mats::Limits limits;
  limits.max_inflate_bytes = 4 << 20;
  limits.max_uncompressed_bytes = 8 << 20;
  limits.max_entries = 1000;
  mats::fuzzing::NullContext ctx(limits);
  const mats::FormatHandler* handlers[] = {
      &mats::archive::GzipHandler(), &mats::archive::Bzip2Handler(),
      &mats::archive::XzHandler(),   &mats::archive::LzmaHandler(),
      &mats::archive::ZstdHandler(), &mats::archive::Lz4Handler(),
      &mats::archive::ZlibHandler()};
  for (const mats::FormatHandler* h : handlers) {
    if (h->sniff(in, "") != mats::SniffResult::kNo) h->analyze(in, ctx).IgnoreError();
  }
  mats::archive::AnalyzeTar(in, ctx).IgnoreError();
  mats::archive::AnalyzeSevenZip(in, ctx).IgnoreError();
  return 0;
}
