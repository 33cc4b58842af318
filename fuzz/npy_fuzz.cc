// Fuzzes the .npy header parser (and its Python-literal parser).
#include <cstddef>
#include <cstdint>

#include "containers_fuzz_context.h"
#include "mats/numpy/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan in(data, size);
  mats::Limits limits;
  limits.max_depth = 64;
  mats::fuzzing::NullContext ctx(limits);
  mats::numpy::AnalyzeNpy(in, ctx).IgnoreError();
  return 0;
}
