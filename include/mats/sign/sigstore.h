// Offline verification of keyless Sigstore bundles (Fulcio certificate,
// Rekor v1 transparency log entry, optional RFC 3161 timestamps) against a
// Sigstore trusted root (trustedroot+json v0.1). Nothing is fetched: the
// trusted root is a file, or the public-good snapshot built into mats.
// Every check is described in docs/signing.md ("Keyless verification").
//
//   MATS_ASSIGN_OR_RETURN(TrustedRoot root, ParseTrustedRoot(json_text));
//   KeylessPolicy policy{.identity = "me@example.com",
//                        .issuer = "https://accounts.google.com"};
//   MATS_ASSIGN_OR_RETURN(KeylessOutcome out, VerifyKeyless(bundle, root, policy));
//   if (!out.failure.empty()) ...  // out.reasons say why
#ifndef MATS_SIGN_SIGSTORE_H_
#define MATS_SIGN_SIGSTORE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/sign/bundle.h"
#include "mats/sign/x509.h"

namespace mats::sign {

inline constexpr std::string_view kTrustedRootMediaType =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
inline constexpr std::string_view kClientTrustConfigMediaType =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
// Trusted roots larger than this are refused before parsing.
inline constexpr uint64_t kMaxTrustedRootBytes = 4ull << 20;

// A validity window in seconds since the epoch; `end` is open when absent.
struct ValidityPeriod {
  int64_t start = std::numeric_limits<int64_t>::min();
  int64_t end = std::numeric_limits<int64_t>::max();
  bool Contains(int64_t t) const { return t >= start && t <= end; }
};

// A transparency log or certificate transparency log key.
struct LogKey {
  std::string base_url;
  Bytes log_id;       // logId.keyId (SHA-256 of the DER key for Rekor v1 / CT)
  Bytes spki_der;     // publicKey.rawBytes
  std::string key_details;  // e.g. PKIX_ECDSA_P256_SHA_256
  ValidityPeriod valid;
};

// A certificate or timestamp authority: its chain, leaf-most first, root last.
struct Authority {
  std::string uri;
  std::string subject;  // subject.commonName (informational)
  std::vector<Bytes> chain;
  ValidityPeriod valid;
};

struct TrustedRoot {
  std::vector<LogKey> tlogs;
  std::vector<Authority> certificate_authorities;
  std::vector<LogKey> ctlogs;
  std::vector<Authority> timestamp_authorities;
};

// Strict parse of a trusted root, or of a client trust config
// (kClientTrustConfigMediaType) holding one in "trustedRoot": media type,
// base64 fields, RFC 3339 times; every
// certificate must parse. kMalformed naming the field; kLimitExceeded past
// kMaxTrustedRootBytes or 64 entries per list.
Result<TrustedRoot> ParseTrustedRoot(std::string_view json);

// The public-good trusted root built into mats (a snapshot of the TUF target
// trusted_root.json shipped with @sigstore/tuf 4.0.2; see docs/signing.md).
std::string_view PublicGoodTrustedRootJson();
inline constexpr std::string_view kPublicGoodTrustedRootSource =
    "built-in public-good Sigstore trusted root (snapshot from @sigstore/tuf 4.0.2)";

// Who must have signed, and how much evidence is required. The defaults
// are those of the Sigstore clients: one transparency log entry, one SCT
// and one trusted timestamp.
struct KeylessPolicy {
  std::string identity;  // exact SAN (email, URI or DNS name) of the Fulcio leaf
  std::string issuer;    // exact OIDC issuer (extension 1.3.6.1.4.1.57264.1.8 / .1.1)
  size_t tlog_threshold = 1;
  size_t ctlog_threshold = 1;
  size_t timestamp_threshold = 1;
};

struct KeylessOutcome {
  // Empty when every check passed; otherwise the first of "transparency
  // log", "untrusted timestamp", "untrusted certificate", "identity
  // mismatch" or "bad signature" that failed.
  std::string failure;
  std::vector<std::string> reasons;
  // What was established, one line each (shown by `mats verify sigstore`).
  std::vector<std::string> evidence;
  CertificateInfo leaf;
  std::vector<int64_t> verified_times;  // seconds since the epoch
};

// Verifies everything but the model files: the certificate chain to a
// trusted Fulcio CA at each verified time, the embedded SCTs, the
// identity policy, the transparency log entries (body equals the bundle's
// envelope signature and payload; SET; inclusion proof and signed
// checkpoint), RFC 3161 timestamps, and the DSSE signature with the leaf's
// key. Bad evidence is an outcome (failure + reasons); an error Status
// means the bundle or trusted root could not be read at all.
Result<KeylessOutcome> VerifyKeyless(const Bundle& bundle, const TrustedRoot& root,
                                     const KeylessPolicy& policy);

}  // namespace mats::sign

#endif  // MATS_SIGN_SIGSTORE_H_
