// Fuzzes the bounded HDF5 reader and analyser.
#include <cstddef>
#include <cstdint>

#include "mats/hdf5/hdf5.h"
#include "testing/recording_context.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::ByteSpan bytes(data, size);
  mats::Limits limits;
  limits.max_entries = 20'000;
  limits.max_depth = 32;
  mats::testing::RecordingContext ctx(limits);
  mats::hdf5::AnalyzeHdf5(bytes, ctx).IgnoreError();
  return 0;
}
