// Fuzzes keyless (Sigstore) verification: the input is parsed as a bundle
// and verified against the built-in public-good trusted root (transparency
// log entries, SET, inclusion proof and checkpoint, RFC 3161 timestamps,
// SCTs, certificate chain); and the same bytes as a trusted root.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mats/core/limits.h"
#include "mats/sign/bundle.h"
#include "mats/sign/sigstore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const mats::sign::TrustedRoot kRoot =
      *mats::sign::ParseTrustedRoot(mats::sign::PublicGoodTrustedRootJson());
  std::string_view text(reinterpret_cast<const char*>(data), size);  // NOLINT
  auto bundle = mats::sign::ParseBundle(text, mats::Limits{});
  if (bundle.ok() && bundle->kind == mats::sign::MaterialKind::kCertificate) {
    auto out = mats::sign::VerifyKeyless(
        *bundle, kRoot, {.identity = "stefanb@us.ibm.com",
                         .issuer = "https://sigstore.verify.ibm.com/oauth2"});
    (void)out.ok();
  }
  auto root = mats::sign::ParseTrustedRoot(text);
  (void)root.ok();
  return 0;
}
