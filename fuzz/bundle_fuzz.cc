// Fuzzes OMS signature parsing: the Sigstore bundle JSON, then the DSSE
// payload as an in-toto statement with the OMS predicate.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/sign/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mats::Limits limits;
  limits.max_files = 10'000;
  std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto bundle = mats::sign::ParseBundle(text, limits);
  if (bundle.ok()) {
    (void)mats::sign::Pae(bundle->payload_type, bundle->payload);
    auto st = mats::sign::ParseStatement(bundle->payload, limits);
    (void)st.ok();
  }
  // The same bytes as a bare statement.
  auto st = mats::sign::ParseStatement(mats::ByteSpan(data, size), limits);
  (void)st.ok();
  return 0;
}
