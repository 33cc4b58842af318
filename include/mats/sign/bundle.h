// The OMS signature file: a Sigstore bundle v0.3 (JSON) holding a DSSE
// envelope whose payload is an in-toto Statement v1 with the OMS predicate
// (https://model_signing/signature/v1.0). Byte layouts and every check are
// in docs/formats/oms-bundle.md.
//
//   std::string statement = BuildStatement(manifest);
//   Bytes pae = Pae(kInTotoPayloadType, AsBytes(statement));
//   Bundle b;  b.payload = ...; b.signature = key.Sign(pae); b.hint = ...;
//   std::string text = SerializeBundle(b);
//   MATS_ASSIGN_OR_RETURN(Bundle back, ParseBundle(text, limits));
//   MATS_ASSIGN_OR_RETURN(SignedStatement st, ParseStatement(back.payload, limits));
#ifndef MATS_SIGN_BUNDLE_H_
#define MATS_SIGN_BUNDLE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/limits.h"
#include "mats/core/result.h"
#include "mats/hash/manifest.h"

namespace mats::sign {

inline constexpr std::string_view kBundleMediaType =
    "application/vnd.dev.sigstore.bundle.v0.3+json";
inline constexpr std::string_view kInTotoPayloadType = "application/vnd.in-toto+json";
inline constexpr std::string_view kStatementType = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kPredicateType = "https://model_signing/signature/v1.0";
inline constexpr std::string_view kLegacyPredicateType = "https://model_signing/Digests/v0.1";
inline constexpr size_t kMaxBundleTimestamps = 16;
// Signature files larger than this are refused before parsing.
inline constexpr uint64_t kMaxBundleBytes = 64ull << 20;

// DSSE pre-authentication encoding:
// "DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload.
Bytes Pae(std::string_view payload_type, ByteSpan payload);

enum class MaterialKind : uint8_t {
  kPublicKey,             // verificationMaterial.publicKey
  kX509CertificateChain,  // verificationMaterial.x509CertificateChain
  kCertificate,           // verificationMaterial.certificate (keyless)
};

struct Bundle {
  std::string media_type = std::string(kBundleMediaType);
  MaterialKind kind = MaterialKind::kPublicKey;
  std::string hint;              // publicKey.hint (may be empty)
  bool legacy_raw_key = false;   // publicKey.rawBytes (pre-1.1.0 bundles)
  std::vector<Bytes> certificates;  // DER, leaf first
  std::string tlog_entries_json = "[]";  // verbatim, for keyless verification
  // timestampVerificationData.rfc3161Timestamps[].signedTimestamp (DER
  // TimeStampResp), at most kMaxBundleTimestamps.
  std::vector<Bytes> rfc3161_timestamps;
  std::string payload_type = std::string(kInTotoPayloadType);
  Bytes payload;
  Bytes signature;  // DER ECDSA
  size_t signature_count = 1;  // dsseEnvelope.signatures (only the first is used)
  std::string keyid;
};

// Writes the bundle as JSON (2-space indent, like the reference).
std::string SerializeBundle(const Bundle& b);

// Parses and checks structure: media type (v0.3, and v0.2 for keyless),
// exactly one verification material, a DSSE envelope with a base64
// payload and at least one signature (only the first is used). kMalformed
// with the reason; kLimitExceeded past kMaxBundleBytes or limits.max_json_bytes.
Result<Bundle> ParseBundle(std::string_view text, const Limits& limits);

// The signed statement, decoded and checked.
struct SignedStatement {
  hash::Manifest manifest;   // serialization parameters + resources as listed
  std::string subject_name;
  Bytes root_digest;         // subject digest.sha256
  bool legacy = false;       // Digests/v0.1 predicate
  bool ignore_paths_present = false;
  // Unknown fields in the predicate or serialization ("predicate.foo").
  std::vector<std::string> unknown_fields;
  // Non-fatal notes (e.g. shard algorithm without -sharded-N).
  std::vector<std::string> warnings;
};

// Emits compact JSON with integer shard_size and "ignore_paths".
std::string BuildStatement(const hash::Manifest& m);

// Parses the DSSE payload per ../shared/reference/oms-signature.md §3, §9
// and §10: type and predicate type, exactly one subject with a 32-byte
// sha256 digest, serialization fields, every resource name valid and
// inside the model, no duplicates, algorithm strings consistent, digests
// of the right length, shard sizes within [kMinShardSize, kMaxShardSize]
// and the root digest over the listed resources equal to the subject
// digest. kMalformed / kUnsupported / kVerificationFailed (root mismatch).
Result<SignedStatement> ParseStatement(ByteSpan payload, const Limits& limits);

}  // namespace mats::sign

#endif  // MATS_SIGN_BUNDLE_H_
