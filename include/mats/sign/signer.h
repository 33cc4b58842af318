// Signing and verifying models and datasets in the OMS format.
//
//   SignRequest req{.model_path = "llama", .signature_path = "llama/model.sig"};
//   MATS_ASSIGN_OR_RETURN(SignResult r, SignModel(req, key, /*chain=*/{}));
//   MATS_RETURN_IF_ERROR(WriteFileAtomic(req.signature_path, r.bundle_json));
//
//   VerifyRequest v{.model_path = "llama", .signature_path = "llama/model.sig"};
//   v.mode = VerifyMode::kKey;  v.public_key = ...;
//   MATS_ASSIGN_OR_RETURN(VerifyReport rep, VerifyModel(v));
//   if (!rep.verified) ...  // rep.failure, rep.diff, rep.reasons
//
// VerifyModel returns an error Status only when its inputs cannot be read
// (missing model, malformed bundle or statement, unreadable file); every
// verification outcome, good or bad, is a VerifyReport.
#ifndef MATS_SIGN_SIGNER_H_
#define MATS_SIGN_SIGNER_H_

#include <optional>
#include <string>
#include <vector>

#include "mats/core/limits.h"
#include "mats/core/result.h"
#include "mats/hash/hasher.h"
#include "mats/hash/manifest.h"
#include "mats/hash/records.h"
#include "mats/sign/bundle.h"
#include "mats/sign/keys.h"
#include "mats/sign/sigstore.h"

namespace mats::sign {

struct SignRequest {
  std::string model_path;
  std::string signature_path;  // ignored while hashing when inside the model
  hash::HashOptions hashing;
  // Refuse to sign a model without any file (OMS spec); allowed with this.
  bool allow_empty = false;
};

struct SignResult {
  std::string bundle_json;
  hash::Manifest manifest;
};

// Hashes the model and signs it with `key`. With a non-empty `chain`
// (DER, leaf first) the bundle carries x509CertificateChain and the leaf's
// public key must be `key`'s; otherwise publicKey.hint.
Result<SignResult> SignModel(const SignRequest& req, const PrivateKey& key,
                             const std::vector<Bytes>& chain);

enum class VerifyMode : uint8_t {
  kKey,          // publicKey bundles, against a given public key
  kCertificate,  // x509CertificateChain bundles, against trust anchors
  kSigstore,     // keyless bundles, against a Sigstore trusted root
};

// Who may have signed (certificate mode). At least one rule is required
// unless `any` is set (a deliberate, greppable opt-out).
struct IdentityPolicy {
  std::vector<std::string> identities;  // exact match against any SAN
  std::string subject;                  // exact RFC 2253 subject
  bool any = false;
};

struct VerifyRequest {
  std::string model_path;
  std::string signature_path;
  VerifyMode mode = VerifyMode::kKey;
  std::optional<PublicKey> public_key;   // kKey
  std::vector<Bytes> trust_anchors;      // kCertificate (DER)
  IdentityPolicy identity;               // kCertificate
  // kSigstore: trusted root JSON (empty = the built-in public-good root)
  // and who must have signed.
  std::string trusted_root_json;
  std::string trusted_root_source;       // shown in the report
  KeylessPolicy keyless;
  // Verifier's own ignore paths, added to the signer's.
  std::vector<std::string> ignore_paths;
  bool ignore_git_paths = true;
  // Policy: fail when a signer-supplied ignore path (other than the git
  // defaults and the signature file) names something present in the model.
  bool refuse_ignore_paths = false;
  // Policy: unknown predicate fields are failures unless allowed.
  bool allow_unknown_fields = false;
  size_t threads = 0;
  hash::ProgressFn progress;
  Limits limits;
};

struct VerifyReport {
  bool verified = false;
  // Empty when verified; otherwise one of "bad signature", "untrusted key",
  // "untrusted certificate", "identity mismatch", "policy",
  // "manifest mismatch".
  std::string failure;
  std::vector<std::string> reasons;  // human-readable details
  std::string signer;                // key hint or certificate subject/SANs
  std::string model_name;
  std::string root_digest;           // hex, from the statement
  hash::Method method = hash::Method::kFiles;
  hash::HashAlgorithm algorithm = hash::HashAlgorithm::kSha256;
  uint64_t shard_size = 0;
  size_t resources = 0;
  bool legacy = false;
  std::vector<std::string> signer_ignore_paths;
  std::vector<std::string> unknown_fields;
  std::vector<std::string> warnings;
  // Keyless: what the Sigstore checks established (log entry, timestamps,
  // certificate, trusted root used).
  std::vector<std::string> evidence;
  hash::ManifestDiff diff;
  // Record-level differences of changed JSONL/CSV files covered by a signed
  // record manifest (mats-records.json).
  std::vector<hash::RecordDiff> record_diffs;
};

Result<VerifyReport> VerifyModel(const VerifyRequest& req);

// Only the signature part of VerifyModel: bundle and statement parsing,
// key hint / certificate chain / identity, DSSE signature. Fills `report`
// (report.failure is empty when the signature is good) and returns the
// statement. Used to authenticate a record manifest without re-hashing.
Result<SignedStatement> VerifySignatureOnly(const VerifyRequest& req, VerifyReport& report);

// Checks one record's inclusion proof without the dataset: the OMS
// signature (as VerifySignatureOnly), then the record manifest file at
// `records_path` must hash to the signed resource "mats-records.json"
// (files mode), then the proof must lead to that file's signed root.
struct RecordProofResult {
  bool verified = false;
  std::string failure;               // as VerifyReport::failure, or "record proof"
  std::vector<std::string> reasons;
  std::string path;                  // dataset file of the record
  uint64_t index = 0;
  std::string record;                // the proven record bytes
  std::string signer;
};
Result<RecordProofResult> VerifySignedRecordProof(const VerifyRequest& req,
                                                  const std::string& records_path,
                                                  std::string_view proof_json);

// Renderings for the CLI.
std::string VerifyReportText(const VerifyReport& r);
std::string VerifyReportJson(const VerifyReport& r);

// Python repr() of bytes, as signed by model_signing 0.2 (legacy PAE).
std::string PythonBytesRepr(ByteSpan data);

}  // namespace mats::sign

#endif  // MATS_SIGN_SIGNER_H_
