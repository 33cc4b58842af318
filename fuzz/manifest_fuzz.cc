// Fuzzes the record-level dataset manifest (mats-records.json), record
// proofs against it, resource-name parsing and record splitting.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mats/hash/manifest.h"
#include "mats/hash/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto m = mats::hash::ParseRecordManifest(text);
  if (m.ok()) {
    auto p = mats::hash::VerifyRecordProof(text, *m);
    (void)p.ok();
  }
  (void)mats::hash::ParseResourceName(text, true).ok();
  (void)mats::hash::ParseResourceName(text, false).ok();
  (void)mats::hash::SplitRecords(mats::ByteSpan(data, size), mats::hash::RecordFormat::kCsv, 1000).ok();
  return 0;
}
