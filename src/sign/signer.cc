#include "mats/sign/signer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <fmt/ranges.h>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/core/mapped_file.h"
#include "mats/hash/records.h"
#include "mats/sign/x509.h"

namespace mats::sign {

namespace {

std::string Basename(std::string s) {
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

bool SameKey(EVP_PKEY* a, EVP_PKEY* b) { return EVP_PKEY_eq(a, b) == 1; }

}  // namespace

std::string PythonBytesRepr(ByteSpan data) {
  bool has_single = false, has_double = false;
  for (uint8_t c : data) {
    has_single = has_single || c == '\'';
    has_double = has_double || c == '"';
  }
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out = "b";
  out.push_back(quote);
  for (uint8_t c : data) {
    if (c == static_cast<uint8_t>(quote) || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back(quote);
  return out;
}

Result<SignResult> SignModel(const SignRequest& req, const PrivateKey& key,
                             const std::vector<Bytes>& chain) {
  hash::HashOptions ho = req.hashing;
  std::string sig_rel = hash::PathInsideModel(req.model_path, req.signature_path);
  if (!sig_rel.empty()) ho.ignore_paths.push_back(sig_rel);
  Bundle b;
  if (!chain.empty()) {
    MATS_ASSIGN_OR_RETURN(PublicKey leaf_key, CertificatePublicKey(chain[0]));
    if (!SameKey(leaf_key.raw(), key.raw()))
      return InvalidArgument(
          "sign: the private key does not match the signing certificate's public key");
    b.kind = MaterialKind::kX509CertificateChain;
    b.certificates = chain;
  } else {
    b.kind = MaterialKind::kPublicKey;
    b.hint = key.public_key().Hint();
  }
  MATS_ASSIGN_OR_RETURN(hash::Manifest m, hash::HashModel(req.model_path, ho));
  if (m.resources.empty() && !req.allow_empty)
    return InvalidArgument("sign: the model has no files to sign");
  std::string statement = BuildStatement(m);
  b.payload.assign(statement.begin(), statement.end());
  MATS_ASSIGN_OR_RETURN(b.signature, key.Sign(Pae(kInTotoPayloadType, b.payload)));
  SignResult out;
  out.bundle_json = SerializeBundle(b);
  out.manifest = std::move(m);
  return out;
}

namespace {

void Fail(VerifyReport& r, std::string_view failure, std::string reason) {
  if (r.failure.empty()) r.failure = std::string(failure);
  r.reasons.push_back(std::move(reason));
}

// Checks the DSSE signature with `key`; tries the model_signing 0.2 legacy
// PAE for legacy statements.
Status CheckSignature(const PublicKey& key, const Bundle& b, bool legacy) {
  Status s = key.Verify(Pae(b.payload_type, b.payload), b.signature);
  if (s.ok() || !legacy) return s;
  std::string legacy_pae = fmt::format("DSSEV1 {} {} {} ", b.payload_type.size(),
                                       b.payload_type, b.payload.size()) +
                           PythonBytesRepr(b.payload);
  // Certificates of that era hash with SHA-256 on every curve.
  const auto* msg = reinterpret_cast<const uint8_t*>(legacy_pae.data());  // NOLINT
  Status l = key.Verify({msg, legacy_pae.size()}, b.signature);
  return l.ok() ? l : s;
}

// Whether `text` hashes with `a` to the signed `digest` (constant time).
bool HashesTo(hash::HashAlgorithm a, std::string_view text, const Bytes& digest) {
  Bytes actual = hash::HashBytes(a, AsBytes(text));
  return actual.size() == digest.size() &&
         CRYPTO_memcmp(actual.data(), digest.data(), digest.size()) == 0;
}

// When changed files are covered by an authentic record manifest, reports
// which records differ. Authentic = a signed resource (the whole file in
// files mode, or its one shard) whose digest equals that of the bytes read
// here; anything else (unsigned, changed, or changed since hashing) is only
// a warning, so record indices never come from unauthenticated data.
void AddRecordDiffs(const VerifyRequest& req, const SignedStatement& st,
                    const std::vector<hash::Resource>& expected, VerifyReport& r) {
  const std::string name(hash::kRecordManifestName);
  auto text = ReadFileToString(req.model_path + "/" + name, hash::kMaxRecordManifestBytes);
  if (!text.ok()) return;  // no record manifest: file-level report only
  std::string resource_name = name;
  if (st.manifest.method == hash::Method::kShards)
    resource_name = fmt::format("{}:0:{}", name, text->size());
  const hash::Resource* signed_res = nullptr;
  for (const hash::Resource& res : expected)
    if (res.path == resource_name) signed_res = &res;
  auto skip = [&](std::string_view why) {
    r.warnings.push_back(fmt::format("records not compared: {} {}", name, why));
  };
  if (signed_res == nullptr) return skip("is not covered by the signature as one resource");
  if (!HashesTo(st.manifest.algorithm, *text, signed_res->digest))
    return skip("does not match its signed digest");
  auto manifest = hash::ParseRecordManifest(*text);
  if (!manifest.ok()) {
    r.warnings.push_back("record manifest unusable: " + manifest.status().message());
    return;
  }
  for (const auto& c : r.diff.changed) {
    const hash::RecordFile* signed_file = manifest->Find(c.name);
    if (signed_file == nullptr) continue;
    auto actual = hash::HashRecordFile(req.model_path, c.name, signed_file->format);
    if (!actual.ok()) {
      r.warnings.push_back("records of \"" + EscapePreview(c.name) +
                           "\" not compared: " + actual.status().message());
      continue;
    }
    r.record_diffs.push_back(hash::DiffRecords(*signed_file, *actual));
  }
}

bool PathExists(const std::string& p) {
  struct stat st {};
  return lstat(p.c_str(), &st) == 0;
}

}  // namespace

Result<SignedStatement> VerifySignatureOnly(const VerifyRequest& req, VerifyReport& r) {
  uint64_t cap = std::min<uint64_t>(kMaxBundleBytes, req.limits.max_json_bytes);
  MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(req.signature_path, cap));
  MATS_ASSIGN_OR_RETURN(Bundle b, ParseBundle(text, req.limits));
  MATS_ASSIGN_OR_RETURN(SignedStatement st, ParseStatement(b.payload, req.limits));
  r.legacy = st.legacy;
  r.model_name = st.subject_name;
  r.root_digest = HexEncode(st.root_digest);
  r.method = st.manifest.method;
  r.algorithm = st.manifest.algorithm;
  r.shard_size = st.manifest.method == hash::Method::kShards ? st.manifest.shard_size : 0;
  r.resources = st.manifest.resources.size();
  r.signer_ignore_paths = st.manifest.ignore_paths;
  r.unknown_fields = st.unknown_fields;
  r.warnings = st.warnings;
  // 1. Who signed, and is the signature good?
  if (b.kind == MaterialKind::kCertificate && req.mode != VerifyMode::kSigstore)
    return InvalidArgument(
        "verify: the signature is a keyless Sigstore bundle (Fulcio certificate); use `mats verify "
        "sigstore`");
  if (req.mode == VerifyMode::kSigstore) {
    if (b.kind != MaterialKind::kCertificate)
      return InvalidArgument(
          "verify: the signature is not a keyless Sigstore bundle; use `mats verify {}`",
          b.kind == MaterialKind::kPublicKey ? "key" : "certificate");
    std::string_view root_text =
        req.trusted_root_json.empty() ? PublicGoodTrustedRootJson() : req.trusted_root_json;
    MATS_ASSIGN_OR_RETURN(TrustedRoot root, ParseTrustedRoot(root_text));
    MATS_ASSIGN_OR_RETURN(KeylessOutcome k, VerifyKeyless(b, root, req.keyless));
    r.signer = fmt::format("Fulcio certificate SAN [{}] OIDC issuer \"{}\"",
                           EscapePreview(fmt::format("{}", fmt::join(k.leaf.sans, ", ")), 200),
                           EscapePreview(k.leaf.oidc_issuer, 200));
    r.evidence.push_back("trusted root: " + (req.trusted_root_json.empty()
                                                 ? std::string(kPublicGoodTrustedRootSource)
                                                 : EscapePreview(req.trusted_root_source, 256)));
    r.evidence.insert(r.evidence.end(), k.evidence.begin(), k.evidence.end());
    for (std::string& reason : k.reasons) Fail(r, k.failure, std::move(reason));
    return st;
  }
  if (req.mode == VerifyMode::kKey) {
    if (!req.public_key) return InvalidArgument("verify: no public key given");
    if (b.kind != MaterialKind::kPublicKey)
      return InvalidArgument(
          "verify: the signature was made with a certificate; use `mats verify certificate`");
    const PublicKey& key = *req.public_key;
    r.signer = fmt::format("key {} (hint {})", CurveName(key.curve()), key.Hint());
    if (b.legacy_raw_key)
      r.warnings.push_back("pre-1.1.0 bundle: publicKey.rawBytes instead of a key hint");
    if (!b.hint.empty() && b.hint != key.Hint()) {
      Fail(r, "untrusted key",
           fmt::format("the bundle's key hint {} does not match the given public key ({})",
                       EscapePreview(b.hint), key.Hint()));
      return st;
    }
    Status s = CheckSignature(key, b, st.legacy);
    if (!s.ok()) {
      Fail(r, "bad signature", s.message());
      return st;
    }
  } else {
    if (b.kind != MaterialKind::kX509CertificateChain)
      return InvalidArgument(
          "verify: the signature has no x509CertificateChain; use `mats verify key`");
    MATS_ASSIGN_OR_RETURN(CertificateInfo info, ReadCertificateInfo(b.certificates[0]));
    r.signer = fmt::format("certificate subject \"{}\" SAN [{}] issuer \"{}\"",
                           EscapePreview(info.subject, 200),
                           EscapePreview(fmt::format("{}", fmt::join(info.sans, ", ")), 200),
                           EscapePreview(info.issuer, 200));
    Status chain = VerifyCertificateChain(b.certificates, req.trust_anchors, std::nullopt);
    if (!chain.ok()) {
      if (chain.code() != ErrorCode::kVerificationFailed) return chain;
      Fail(r, "untrusted certificate", chain.message());
      return st;
    }
    const IdentityPolicy& id = req.identity;
    if (!id.any && id.identities.empty() && id.subject.empty())
      return InvalidArgument(
          "verify: certificate mode needs an identity policy (--identity, --subject, or "
          "--any-identity)");
    if (!id.any) {
      bool ok = true;
      if (!id.identities.empty()) {
        bool match = false;
        for (const std::string& want : id.identities)
          for (const std::string& san : info.sans) match = match || san == want;
        if (!match) {
          ok = false;
          Fail(r, "identity mismatch",
               fmt::format("no certificate SAN in [{}] is an allowed identity",
                           EscapePreview(fmt::format("{}", fmt::join(info.sans, ", ")), 200)));
        }
      }
      if (!id.subject.empty() && info.subject != id.subject) {
        ok = false;
        Fail(r, "identity mismatch",
             fmt::format("certificate subject \"{}\" is not \"{}\"",
                         EscapePreview(info.subject, 200), EscapePreview(id.subject, 200)));
      }
      if (!ok) return st;
    }
    MATS_ASSIGN_OR_RETURN(PublicKey leaf_key, CertificatePublicKey(b.certificates[0]));
    Status s = CheckSignature(leaf_key, b, st.legacy);
    if (!s.ok()) {
      Fail(r, "bad signature", s.message());
      return st;
    }
  }

  return st;
}

Result<VerifyReport> VerifyModel(const VerifyRequest& req) {
  VerifyReport r;
  MATS_ASSIGN_OR_RETURN(SignedStatement st, VerifySignatureOnly(req, r));
  if (!r.failure.empty()) return r;

  // 2. Policy on what the signer chose.
  if (!st.unknown_fields.empty() && !req.allow_unknown_fields)
    Fail(r, "policy",
         fmt::format("unknown predicate fields: {} (allow with --allow-unknown-fields)",
                     fmt::join(st.unknown_fields, ", ")));
  std::string sig_rel = hash::PathInsideModel(req.model_path, req.signature_path);
  hash::HashOptions ho;
  ho.method = st.manifest.method;
  ho.algorithm = st.manifest.algorithm;
  ho.shard_size = st.manifest.shard_size;
  ho.allow_symlinks = st.manifest.allow_symlinks;
  ho.ignore_git_paths = req.ignore_git_paths;
  ho.threads = req.threads;
  ho.progress = req.progress;
  ho.max_files = req.limits.max_files;
  ho.ignore_paths = req.ignore_paths;
  if (!sig_rel.empty()) ho.ignore_paths.push_back(sig_rel);
  std::set<std::string> benign(hash::DefaultGitIgnorePaths().begin(),
                               hash::DefaultGitIgnorePaths().end());
  benign.insert(Basename(req.signature_path));
  if (!sig_rel.empty()) benign.insert(sig_rel);
  for (const std::string& p : st.manifest.ignore_paths) {
    if (!hash::ValidateRelativePath(p, false).ok()) {
      r.warnings.push_back("ignored junk signer ignore path \"" + EscapePreview(p) + "\"");
      continue;
    }
    ho.ignore_paths.push_back(p);
    if (req.refuse_ignore_paths && !benign.count(p) &&
        PathExists(req.model_path + "/" + p))
      Fail(r, "policy",
           fmt::format("the signer excluded \"{}\", which exists in the model and would go "
                       "unverified (--refuse-ignore-paths)",
                       EscapePreview(p, 200)));
  }
  if (!r.failure.empty()) return r;

  // 3. Recompute and compare. Our own options are checked first, so a
  // kInvalidArgument from hashing is the model's content (a symlink the
  // signature does not allow, a FIFO or device, a name that is not UTF-8):
  // the folder is not what was signed.
  MATS_RETURN_IF_ERROR(hash::CheckIgnorePaths(req.model_path, req.ignore_paths));
  auto hashed = hash::HashModel(req.model_path, ho);
  if (!hashed.ok() && hashed.status().code() == ErrorCode::kInvalidArgument) {
    Fail(r, "manifest mismatch",
         "the model holds what the signed hashing options refuse: " + hashed.status().message());
    return r;
  }
  MATS_ASSIGN_OR_RETURN(hash::Manifest actual, std::move(hashed));
  std::vector<hash::Resource> expected = st.manifest.resources;
  if (actual.single_file && expected.size() == 1 && expected[0].path != "." &&
      expected[0].path == Basename(req.model_path)) {
    expected[0].path = ".";  // spec-draft single-file naming
  }
  r.diff = hash::CompareManifests(expected, actual.resources);
  if (!r.diff.changed.empty()) AddRecordDiffs(req, st, expected, r);
  if (!r.diff.empty()) {
    Fail(r, "manifest mismatch",
         fmt::format("{} missing, {} extra, {} changed", r.diff.missing.size(),
                     r.diff.extra.size(), r.diff.changed.size()));
    return r;
  }
  r.verified = true;
  return r;
}

Result<RecordProofResult> VerifySignedRecordProof(const VerifyRequest& req,
                                                  const std::string& records_path,
                                                  std::string_view proof_json) {
  RecordProofResult out;
  VerifyReport rep;
  MATS_ASSIGN_OR_RETURN(SignedStatement st, VerifySignatureOnly(req, rep));
  out.signer = rep.signer;
  if (!rep.failure.empty()) {
    out.failure = rep.failure;
    out.reasons = rep.reasons;
    return out;
  }
  if (!st.unknown_fields.empty() && !req.allow_unknown_fields) {
    out.failure = "policy";
    out.reasons.push_back(
        fmt::format("unknown predicate fields: {} (allow with --allow-unknown-fields)",
                    fmt::join(st.unknown_fields, ", ")));
    return out;
  }
  if (st.manifest.method != hash::Method::kFiles)
    return Unsupported("verify record: the signature uses shards; record proofs need files mode");
  const hash::Resource* signed_res = nullptr;
  for (const hash::Resource& r : st.manifest.resources)
    if (r.path == hash::kRecordManifestName) signed_res = &r;
  if (signed_res == nullptr) {
    out.failure = "record proof";
    out.reasons.push_back(fmt::format("the signature does not cover a {}", hash::kRecordManifestName));
    return out;
  }
  MATS_ASSIGN_OR_RETURN(std::string text,
                        ReadFileToString(records_path, hash::kMaxRecordManifestBytes));
  if (!HashesTo(st.manifest.algorithm, text, signed_res->digest)) {
    out.failure = "record proof";
    out.reasons.push_back(fmt::format(
        "{} does not match the signed digest (expected {}, actual {})", hash::kRecordManifestName,
        HexEncode(signed_res->digest), HexEncode(hash::HashBytes(st.manifest.algorithm, AsBytes(text)))));
    return out;
  }
  MATS_ASSIGN_OR_RETURN(hash::RecordManifest m, hash::ParseRecordManifest(text));
  auto rec = hash::VerifyRecordProof(proof_json, m);
  if (!rec.ok()) {
    if (rec.status().code() != ErrorCode::kVerificationFailed) return rec.status();
    out.failure = "record proof";
    out.reasons.push_back(rec.status().message());
    return out;
  }
  auto doc = ParseJson(proof_json);
  if (doc.ok()) {
    out.path = std::string(JsonStringOr(*doc, "path"));
    auto index = doc->is_object() ? doc->find("index") : doc->end();
    if (index != doc->end() && index->is_number_unsigned()) out.index = index->get<uint64_t>();
  }
  out.record = std::move(rec).value();
  out.verified = true;
  return out;
}

std::string VerifyReportText(const VerifyReport& r) {
  std::string out;
  out += fmt::format("{}: {}\n", r.verified ? "VERIFIED" : "FAILED",
                     r.verified ? r.model_name : r.failure);
  for (const std::string& s : r.reasons) out += fmt::format("  reason: {}\n", s);
  if (!r.signer.empty()) out += fmt::format("  signer: {}\n", r.signer);
  for (const std::string& e : r.evidence) out += fmt::format("  evidence: {}\n", e);
  out += fmt::format("  model: {}  root digest: {}\n", EscapePreview(r.model_name, 128),
                     r.root_digest);
  out += fmt::format("  serialization: {} {}{} ({} resources){}\n", hash::MethodName(r.method),
                     hash::HashAlgorithmName(r.algorithm),
                     r.shard_size ? fmt::format(" shard_size={}", r.shard_size) : "",
                     r.resources, r.legacy ? " [legacy v0.1 predicate]" : "");
  if (!r.signer_ignore_paths.empty()) {
    std::vector<std::string> esc;
    for (auto& p : r.signer_ignore_paths) esc.push_back(EscapePreview(p, 128));
    out += fmt::format("  signer ignore_paths: {}\n", fmt::join(esc, ", "));
  }
  for (auto& f : r.unknown_fields) out += fmt::format("  unknown predicate field: {}\n", f);
  for (auto& w : r.warnings) out += fmt::format("  warning: {}\n", w);
  for (auto& m : r.diff.missing) out += fmt::format("  missing: {}\n", EscapePreview(m, 256));
  for (auto& e : r.diff.extra) out += fmt::format("  extra:   {}\n", EscapePreview(e, 256));
  for (auto& c : r.diff.changed)
    out += fmt::format("  changed: {}\n    expected {}\n    actual   {}\n",
                       EscapePreview(c.name, 256), HexEncode(c.expected), HexEncode(c.actual));
  auto show = [](const std::vector<uint64_t>& v) {
    std::vector<uint64_t> head(v.begin(), v.begin() + static_cast<long>(std::min<size_t>(v.size(), 20)));
    return fmt::format("{}{}", fmt::join(head, ", "), v.size() > 20 ? ", ..." : "");
  };
  for (const auto& d : r.record_diffs) {
    out += fmt::format("  records of {} ({} signed, {} now):\n", EscapePreview(d.path, 256),
                       d.signed_records, d.actual_records);
    if (!d.changed.empty()) out += fmt::format("    changed records: {} [{}]\n", d.changed.size(), show(d.changed));
    if (!d.added.empty()) out += fmt::format("    added records:   {} [{}]\n", d.added.size(), show(d.added));
    if (!d.removed.empty()) out += fmt::format("    removed records: {} [{}]\n", d.removed.size(), show(d.removed));
  }
  return out;
}

std::string VerifyReportJson(const VerifyReport& r) {
  nlohmann::json changed = nlohmann::json::array();
  for (auto& c : r.diff.changed)
    changed.push_back({{"name", c.name},
                       {"expected", HexEncode(c.expected)},
                       {"actual", HexEncode(c.actual)}});
  nlohmann::json records = nlohmann::json::array();
  auto cap = [](const std::vector<uint64_t>& v) {
    return std::vector<uint64_t>(v.begin(), v.begin() + static_cast<long>(std::min<size_t>(v.size(), 10000)));
  };
  for (const auto& d : r.record_diffs)
    records.push_back({{"path", d.path},
                       {"signed_records", d.signed_records},
                       {"actual_records", d.actual_records},
                       {"changed", cap(d.changed)},
                       {"added", cap(d.added)},
                       {"removed", cap(d.removed)}});
  nlohmann::json j = {
      {"schema", "mats-verify/1"},
      {"verified", r.verified},
      {"failure", r.failure},
      {"reasons", r.reasons},
      {"signer", r.signer},
      {"evidence", r.evidence},
      {"model_name", r.model_name},
      {"root_digest", r.root_digest},
      {"serialization",
       {{"method", hash::MethodName(r.method)},
        {"hash_type", hash::HashAlgorithmName(r.algorithm)},
        {"shard_size", r.shard_size}}},
      {"resources", r.resources},
      {"legacy_predicate", r.legacy},
      {"signer_ignore_paths", r.signer_ignore_paths},
      {"unknown_fields", r.unknown_fields},
      {"warnings", r.warnings},
      {"missing", r.diff.missing},
      {"extra", r.diff.extra},
      {"changed", changed},
      {"record_diffs", records}};
  return DumpJson(j, 2) + "\n";
}

}  // namespace mats::sign
