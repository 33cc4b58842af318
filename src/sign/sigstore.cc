#include "mats/sign/sigstore.h"

#include <openssl/ct.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mats/core/encoding.h"
#include "mats/core/json.h"
#include "mats/hash/hasher.h"
#include "mats/sign/keys.h"
#include "mats/tlog/merkle.h"
#include "mats/tlog/note.h"
#include "sign/ssl_util.h"

namespace mats::sign {

using internal::AsnTime;
using internal::BioPtr;
using internal::ParseDer;
using internal::X509Ptr;
using internal::X509StackPtr;
using internal::X509StorePtr;
using json = nlohmann::json;

namespace {

constexpr size_t kMaxRootEntries = 64;
constexpr size_t kMaxTlogEntries = 16;
constexpr size_t kMaxCanonicalBodyBytes = 1 << 20;

std::string FormatTime(int64_t t) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm {};
  if (gmtime_r(&tt, &tm) == nullptr) return std::to_string(t);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// RFC 3339 "2021-01-12T11:53:27Z", fractions and numeric offsets allowed.
Result<int64_t> ParseRfc3339(std::string_view s, std::string_view where) {
  auto bad = [&] {
    return Malformed(0, "trusted root: {} is not an RFC 3339 time: \"{}\"", where,
                     EscapePreview(s, 64));
  };
  auto digits = [&](size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  struct tm tm {};
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (s.size() < 20 || !digits(0, 4, year) || s[4] != '-' || !digits(5, 2, mon) ||
      s[7] != '-' || !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(11, 2, hour) || s[13] != ':' || !digits(14, 2, min) || s[16] != ':' ||
      !digits(17, 2, sec))
    return bad();
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return bad();
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad();
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(pos + 4, 2, om) || oh > 23 || om > 59)
      return bad();
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

Result<const json*> Member(const json& obj, std::string_view key, std::string_view where,
                           bool required = true) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (!required) return static_cast<const json*>(nullptr);
    return Malformed(0, "{}: {} missing", where, key);
  }
  return &*it;
}

Result<std::string> StringField(const json& obj, std::string_view key, std::string_view where,
                                bool required = true) {
  MATS_ASSIGN_OR_RETURN(const json* v, Member(obj, key, where, required));
  if (v == nullptr) return std::string();
  if (!v->is_string()) return Malformed(0, "{}: {} is not a string", where, key);
  return v->get<std::string>();
}

Result<Bytes> Base64Field(const json& obj, std::string_view key, std::string_view where,
                          bool required = true) {
  MATS_ASSIGN_OR_RETURN(std::string text, StringField(obj, key, where, required));
  if (text.empty() && !required) return Bytes();
  auto raw = Base64Decode(text);
  if (!raw.ok())
    return Malformed(0, "{}: {} is not base64: {}", where, key, raw.status().message());
  return std::move(raw).value();
}

// protobuf-JSON int64: a decimal string (or, leniently, a JSON integer).
Result<int64_t> Int64Field(const json& obj, std::string_view key, std::string_view where) {
  MATS_ASSIGN_OR_RETURN(const json* v, Member(obj, key, where));
  if (v->is_number_integer()) {
    // is_number_integer() includes unsigned: get<int64_t>() would wrap a
    // value above INT64_MAX to a negative one. Negative is as bad as "-1".
    if (v->is_number_unsigned() && v->get<uint64_t>() <= uint64_t{INT64_MAX})
      return static_cast<int64_t>(v->get<uint64_t>());
    return Malformed(0, "{}: {} is not a non-negative integer: {}", where, key, DumpJson(*v));
  }
  if (!v->is_string()) return Malformed(0, "{}: {} is not an integer", where, key);
  const std::string& s = v->get_ref<const std::string&>();
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) {
        return c >= '0' && c <= '9';
      }))
    return Malformed(0, "{}: {} is not a non-negative integer: \"{}\"", where, key,
                     EscapePreview(s, 32));
  return static_cast<int64_t>(std::stoll(s));
}

Result<ValidityPeriod> ParseValidFor(const json& obj, std::string_view where) {
  ValidityPeriod v;
  auto it = obj.find("validFor");
  if (it == obj.end()) return v;
  if (!it->is_object()) return Malformed(0, "trusted root: {}.validFor is not an object", where);
  MATS_ASSIGN_OR_RETURN(std::string start, StringField(*it, "start", "trusted root validFor", false));
  MATS_ASSIGN_OR_RETURN(std::string end, StringField(*it, "end", "trusted root validFor", false));
  if (!start.empty()) {
    MATS_ASSIGN_OR_RETURN(v.start, ParseRfc3339(start, "validFor.start"));
  }
  if (!end.empty()) {
    MATS_ASSIGN_OR_RETURN(v.end, ParseRfc3339(end, "validFor.end"));
  }
  return v;
}

Result<std::vector<LogKey>> ParseLogs(const json& root, std::string_view name) {
  std::vector<LogKey> out;
  auto it = root.find(name);
  if (it == root.end()) return out;
  if (!it->is_array()) return Malformed(0, "trusted root: {} is not an array", name);
  if (it->size() > kMaxRootEntries)
    return LimitExceeded("trusted root: {} has {} entries, at most {}", name, it->size(),
                         kMaxRootEntries);
  for (const json& e : *it) {
    if (!e.is_object()) return Malformed(0, "trusted root: {} entry is not an object", name);
    LogKey k;
    MATS_ASSIGN_OR_RETURN(k.base_url, StringField(e, "baseUrl", "trusted root log", false));
    MATS_ASSIGN_OR_RETURN(const json* pk, Member(e, "publicKey", "trusted root log"));
    if (!pk->is_object()) return Malformed(0, "trusted root: {}.publicKey is not an object", name);
    MATS_ASSIGN_OR_RETURN(k.spki_der, Base64Field(*pk, "rawBytes", "trusted root publicKey"));
    MATS_ASSIGN_OR_RETURN(k.key_details,
                          StringField(*pk, "keyDetails", "trusted root publicKey", false));
    MATS_ASSIGN_OR_RETURN(k.valid, ParseValidFor(*pk, name));
    MATS_ASSIGN_OR_RETURN(const json* id, Member(e, "logId", "trusted root log"));
    if (!id->is_object()) return Malformed(0, "trusted root: {}.logId is not an object", name);
    MATS_ASSIGN_OR_RETURN(k.log_id, Base64Field(*id, "keyId", "trusted root logId"));
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<Authority>> ParseAuthorities(const json& root, std::string_view name) {
  std::vector<Authority> out;
  auto it = root.find(name);
  if (it == root.end()) return out;
  if (!it->is_array()) return Malformed(0, "trusted root: {} is not an array", name);
  if (it->size() > kMaxRootEntries)
    return LimitExceeded("trusted root: {} has {} entries, at most {}", name, it->size(),
                         kMaxRootEntries);
  for (const json& e : *it) {
    if (!e.is_object()) return Malformed(0, "trusted root: {} entry is not an object", name);
    Authority a;
    MATS_ASSIGN_OR_RETURN(a.uri, StringField(e, "uri", "trusted root authority", false));
    if (auto s = e.find("subject"); s != e.end() && s->is_object()) {
      MATS_ASSIGN_OR_RETURN(a.subject, StringField(*s, "commonName", "trusted root subject", false));
    }
    MATS_ASSIGN_OR_RETURN(const json* chain, Member(e, "certChain", "trusted root authority"));
    if (!chain->is_object() || !chain->contains("certificates") ||
        !(*chain)["certificates"].is_array() || (*chain)["certificates"].empty())
      return Malformed(0, "trusted root: {}.certChain.certificates missing or empty", name);
    if ((*chain)["certificates"].size() > 16)
      return LimitExceeded("trusted root: a certificate chain of {} certificates, at most 16",
                           (*chain)["certificates"].size());
    for (const json& c : (*chain)["certificates"]) {
      if (!c.is_object()) return Malformed(0, "trusted root: certificate is not an object");
      MATS_ASSIGN_OR_RETURN(Bytes der, Base64Field(c, "rawBytes", "trusted root certificate"));
      auto parsed = ParseDer(der);
      if (!parsed.ok())
        return Malformed(0, "trusted root: a certificate of {} \"{}\" does not parse", name,
                         EscapePreview(a.uri, 128));
      a.chain.push_back(std::move(der));
    }
    MATS_ASSIGN_OR_RETURN(a.valid, ParseValidFor(e, name));
    out.push_back(std::move(a));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Transparency log entries (Rekor v1).

struct TlogEntry {
  int64_t log_index = 0;
  Bytes log_id;
  std::string kind;
  std::string version;
  int64_t integrated_time = 0;
  bool has_integrated_time = false;
  Bytes set;  // inclusionPromise.signedEntryTimestamp
  bool has_proof = false;
  int64_t proof_index = 0;
  int64_t tree_size = 0;
  Bytes root_hash;
  std::vector<Bytes> hashes;
  std::string checkpoint;
  Bytes body;  // canonicalizedBody
};

Result<std::vector<TlogEntry>> ParseTlogEntries(std::string_view text) {
  MATS_ASSIGN_OR_RETURN(json list, ParseJson(text, {.max_depth = 16, .what = "tlogEntries"}));
  if (!list.is_array()) return Malformed(0, "bundle: tlogEntries is not an array");
  if (list.size() > kMaxTlogEntries)
    return LimitExceeded("bundle: {} transparency log entries, at most {}", list.size(),
                         kMaxTlogEntries);
  std::vector<TlogEntry> out;
  constexpr std::string_view kWhere = "bundle tlogEntries[]";
  for (const json& e : list) {
    if (!e.is_object()) return Malformed(0, "bundle: tlogEntries entry is not an object");
    TlogEntry t;
    MATS_ASSIGN_OR_RETURN(t.log_index, Int64Field(e, "logIndex", kWhere));
    MATS_ASSIGN_OR_RETURN(const json* id, Member(e, "logId", kWhere));
    if (!id->is_object()) return Malformed(0, "bundle: logId is not an object");
    MATS_ASSIGN_OR_RETURN(t.log_id, Base64Field(*id, "keyId", kWhere));
    MATS_ASSIGN_OR_RETURN(const json* kv, Member(e, "kindVersion", kWhere));
    if (!kv->is_object()) return Malformed(0, "bundle: kindVersion is not an object");
    MATS_ASSIGN_OR_RETURN(t.kind, StringField(*kv, "kind", kWhere));
    MATS_ASSIGN_OR_RETURN(t.version, StringField(*kv, "version", kWhere));
    if (e.contains("integratedTime")) {
      MATS_ASSIGN_OR_RETURN(t.integrated_time, Int64Field(e, "integratedTime", kWhere));
      t.has_integrated_time = t.integrated_time != 0;
    }
    if (auto ip = e.find("inclusionPromise"); ip != e.end()) {
      if (!ip->is_object()) return Malformed(0, "bundle: inclusionPromise is not an object");
      MATS_ASSIGN_OR_RETURN(t.set, Base64Field(*ip, "signedEntryTimestamp", kWhere));
    }
    if (auto pr = e.find("inclusionProof"); pr != e.end()) {
      if (!pr->is_object()) return Malformed(0, "bundle: inclusionProof is not an object");
      t.has_proof = true;
      MATS_ASSIGN_OR_RETURN(t.proof_index, Int64Field(*pr, "logIndex", "bundle inclusionProof"));
      MATS_ASSIGN_OR_RETURN(t.tree_size, Int64Field(*pr, "treeSize", "bundle inclusionProof"));
      MATS_ASSIGN_OR_RETURN(t.root_hash, Base64Field(*pr, "rootHash", "bundle inclusionProof"));
      MATS_ASSIGN_OR_RETURN(const json* hs, Member(*pr, "hashes", "bundle inclusionProof", false));
      if (hs != nullptr) {
        if (!hs->is_array() || hs->size() > tlog::kMaxProofHashes)
          return Malformed(0, "bundle: inclusionProof.hashes is not an array of at most {}",
                           tlog::kMaxProofHashes);
        for (const json& h : *hs) {
          if (!h.is_string()) return Malformed(0, "bundle: an inclusion proof hash is not a string");
          auto raw = Base64Decode(h.get<std::string>());
          if (!raw.ok()) return Malformed(0, "bundle: an inclusion proof hash is not base64");
          t.hashes.push_back(std::move(raw).value());
        }
      }
      MATS_ASSIGN_OR_RETURN(const json* cp, Member(*pr, "checkpoint", "bundle inclusionProof", false));
      if (cp != nullptr) {
        if (!cp->is_object()) return Malformed(0, "bundle: checkpoint is not an object");
        MATS_ASSIGN_OR_RETURN(t.checkpoint, StringField(*cp, "envelope", "bundle checkpoint"));
      }
    }
    MATS_ASSIGN_OR_RETURN(t.body, Base64Field(e, "canonicalizedBody", kWhere));
    if (t.body.size() > kMaxCanonicalBodyBytes)
      return LimitExceeded("bundle: canonicalizedBody of {} bytes, at most {}", t.body.size(),
                           kMaxCanonicalBodyBytes);
    out.push_back(std::move(t));
  }
  return out;
}

const LogKey* FindLog(const std::vector<LogKey>& logs, ByteSpan id) {
  for (const LogKey& k : logs)
    if (k.log_id.size() == id.size() && std::equal(k.log_id.begin(), k.log_id.end(), id.begin()))
      return &k;
  return nullptr;
}

ByteSpan AsSpan(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};  // NOLINT
}

// Verifies `sig` over `msg` with a transparency or CT log key: ECDSA with
// the hash its keyDetails name (SHA-256 unless _SHA_384 / _SHA_512), or
// Ed25519 (Rekor v2 logs). kVerificationFailed for a bad signature,
// kUnsupported for other key types.
Status VerifyWithLogKey(const LogKey& key, ByteSpan msg, ByteSpan sig) {
  const unsigned char* p = key.spki_der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(key.spki_der.size())));  // NOLINT
  if (!pkey) {
    ERR_clear_error();
    return Malformed(0, "trusted root: the key of {} is not a DER public key",
                     EscapePreview(key.base_url, 128));
  }
  const EVP_MD* md = nullptr;
  int type = EVP_PKEY_get_base_id(pkey.get());
  if (type == EVP_PKEY_EC) {
    md = key.key_details.ends_with("SHA_384")   ? EVP_sha384()
         : key.key_details.ends_with("SHA_512") ? EVP_sha512()
                                                : EVP_sha256();
  } else if (type != EVP_PKEY_ED25519) {
    return Unsupported("trusted root: the key of {} is neither ECDSA nor Ed25519",
                       EscapePreview(key.base_url, 128));
  }
  internal::MdCtxPtr ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg.data(), msg.size()) == 1;
  ERR_clear_error();
  if (!ok) return VerificationFailed("signature does not verify");
  return Status::Ok();
}

// The Rekor v1 SET: the log's signature over the canonical JSON of
// {body, integratedTime, logID (hex), logIndex}, keys sorted, no spaces.
Status CheckSet(const TlogEntry& e, const LogKey& log) {
  std::string msg = fmt::format(R"({{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}})",
                                Base64Encode(e.body), e.integrated_time, HexEncode(e.log_id),
                                e.log_index);
  Status s = VerifyWithLogKey(log, AsSpan(msg), e.set);
  if (s.code() == ErrorCode::kVerificationFailed)
    return VerificationFailed("the signed entry timestamp does not verify with the log key");
  return s;
}

// The checkpoint must be signed by the log (key hint = first 4 bytes of the
// log id) and commit to the proof's tree size and root hash.
Status CheckCheckpoint(const TlogEntry& e, const LogKey& log) {
  MATS_ASSIGN_OR_RETURN(tlog::ParsedNote note, tlog::ParseNote(e.checkpoint));
  std::vector<std::string_view> lines;
  std::string_view text = note.text;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return VerificationFailed("the checkpoint has fewer than 3 lines");
  if (lines[1] != std::to_string(e.tree_size))
    return VerificationFailed("the checkpoint is for tree size {}, the proof for {}",
                              EscapePreview(lines[1], 32), e.tree_size);
  auto root = Base64Decode(lines[2]);
  if (!root.ok() || *root != e.root_hash)
    return VerificationFailed("the checkpoint's root hash is not the proof's");
  if (log.log_id.size() < 4) return VerificationFailed("the log id is shorter than 4 bytes");
  uint32_t hint = (uint32_t{log.log_id[0]} << 24) | (uint32_t{log.log_id[1]} << 16) |
                  (uint32_t{log.log_id[2]} << 8) | uint32_t{log.log_id[3]};
  for (const tlog::NoteSignature& sig : note.signatures) {
    if (sig.key_id != hint) continue;
    Status s = VerifyWithLogKey(log, AsSpan(note.text), sig.signature);
    if (s.ok()) return s;
    if (s.code() != ErrorCode::kVerificationFailed) return s;
  }
  return VerificationFailed("the checkpoint carries no valid signature by the log's key");
}

Status CheckInclusion(const TlogEntry& e) {
  if (e.proof_index < 0 || e.tree_size <= 0 || e.proof_index >= e.tree_size)
    return VerificationFailed("inclusion proof index {} is outside the tree of size {}",
                              e.proof_index, e.tree_size);
  MATS_ASSIGN_OR_RETURN(tlog::Hash root, tlog::HashFromBytes(e.root_hash));
  std::vector<tlog::Hash> proof;
  for (const Bytes& h : e.hashes) {
    MATS_ASSIGN_OR_RETURN(tlog::Hash x, tlog::HashFromBytes(h));
    proof.push_back(x);
  }
  return tlog::VerifyInclusion(static_cast<uint64_t>(e.proof_index),
                               static_cast<uint64_t>(e.tree_size),
                               tlog::Hasher::HashLeaf(e.body), proof, root);
}

bool SameCertificatePem(const json& verifier_b64, const Bytes& leaf) {
  if (!verifier_b64.is_string()) return false;
  auto pem = Base64Decode(verifier_b64.get<std::string>());
  if (!pem.ok()) return false;
  std::string_view text(reinterpret_cast<const char*>(pem->data()), pem->size());  // NOLINT
  auto certs = LoadCertificatesPem(text);
  return certs.ok() && certs->size() == 1 && (*certs)[0] == leaf;
}

// A hashedrekord 0.0.1 entry for a DSSE envelope (some clients log the
// envelope this way): the hash is SHA-256 of the PAE, the signature the
// envelope's, the public key the Fulcio leaf (PEM).
Status CheckHashedRekordBody(const json& spec, const Bundle& b) {
  auto data = spec.find("data");
  auto sig = spec.find("signature");
  if (data == spec.end() || !data->is_object() || sig == spec.end() || !sig->is_object())
    return VerificationFailed("the hashedrekord entry has no data or signature");
  auto hash = data->find("hash");
  Bytes pae_hash = hash::HashBytes(hash::HashAlgorithm::kSha256, Pae(b.payload_type, b.payload));
  if (hash == data->end() || JsonStringOr(*hash, "algorithm") != "sha256" ||
      JsonStringOr(*hash, "value") != HexEncode(pae_hash))
    return VerificationFailed(
        "the entry's hash is not the SHA-256 of the envelope's pre-authentication encoding");
  if (b.signature_count != 1)
    return VerificationFailed("a hashedrekord entry records one signature, the envelope has {}",
                              b.signature_count);
  auto content = Base64Decode(JsonStringOr(*sig, "content"));
  auto key = sig->find("publicKey");
  json pem;
  if (key != sig->end() && key->is_object()) pem = JsonStringOr(*key, "content");
  if (!content.ok() || *content != b.signature || !SameCertificatePem(pem, b.certificates[0]))
    return VerificationFailed(
        "the entry does not record the envelope's signature with the bundle's certificate");
  return Status::Ok();
}

// The entry body must describe exactly this envelope: Rekor v1 dsse 0.0.1
// and Rekor v2 dsse 0.0.2 (the payload's SHA-256 and the envelope's
// signatures, with the Fulcio leaf as verifier), or Rekor v1 hashedrekord
// 0.0.1 over the envelope's PAE.
Status CheckEntryBody(const TlogEntry& e, const Bundle& b) {
  bool dsse = e.kind == "dsse" && (e.version == "0.0.1" || e.version == "0.0.2");
  bool hashedrekord = e.kind == "hashedrekord" && e.version == "0.0.1";
  if (!dsse && !hashedrekord)
    return Unsupported(
        "transparency log entries of kind {} {} are not supported (dsse 0.0.1 and 0.0.2, "
        "hashedrekord 0.0.1 are)",
        EscapePreview(e.kind, 32), EscapePreview(e.version, 32));
  std::string_view body_text(reinterpret_cast<const char*>(e.body.data()), e.body.size());  // NOLINT
  auto body = ParseJson(body_text, {.max_depth = 16, .what = "canonicalizedBody"});
  if (!body.ok() || !body->is_object())
    return VerificationFailed("the entry body is not a JSON object");
  const json& j = *body;
  if (JsonStringOr(j, "kind") != e.kind || JsonStringOr(j, "apiVersion") != e.version)
    return VerificationFailed("the entry body is not a {} {} entry (kindVersion says it is)",
                              EscapePreview(e.kind, 32), e.version);
  auto spec = j.find("spec");
  if (spec == j.end() || !spec->is_object()) return VerificationFailed("the entry body has no spec");
  if (hashedrekord) return CheckHashedRekordBody(*spec, b);
  Bytes payload_hash = hash::HashBytes(hash::HashAlgorithm::kSha256, b.payload);
  const bool v2 = e.version == "0.0.2";
  const json* s = &*spec;
  if (v2) {
    auto inner = spec->find("dsseV002");
    if (inner == spec->end() || !inner->is_object())
      return VerificationFailed("the entry body has no spec.dsseV002");
    s = &*inner;
  }
  auto ph = s->find("payloadHash");
  bool hash_ok = false;
  if (ph != s->end() && ph->is_object()) {
    if (v2) {
      auto digest = Base64Decode(JsonStringOr(*ph, "digest"));
      hash_ok = JsonStringOr(*ph, "algorithm") == "SHA2_256" && digest.ok() && *digest == payload_hash;
    } else {
      hash_ok = JsonStringOr(*ph, "algorithm") == "sha256" &&
                JsonStringOr(*ph, "value") == HexEncode(payload_hash);
    }
  }
  if (!hash_ok)
    return VerificationFailed("the entry's payload hash is not the SHA-256 of the bundle's payload");
  auto sigs = s->find("signatures");
  if (sigs == s->end() || !sigs->is_array() || sigs->size() != b.signature_count)
    return VerificationFailed("the entry records a different number of signatures than the envelope");
  for (const json& sig : *sigs) {
    if (!sig.is_object()) continue;
    auto raw = Base64Decode(JsonStringOr(sig, v2 ? "content" : "signature"));
    if (!raw.ok() || *raw != b.signature) continue;
    auto verifier = sig.find("verifier");
    if (verifier == sig.end()) continue;
    if (!v2 && SameCertificatePem(*verifier, b.certificates[0])) return Status::Ok();
    if (v2 && verifier->is_object()) {
      auto cert = verifier->find("x509Certificate");
      if (cert != verifier->end() && cert->is_object()) {
        auto der = Base64Decode(JsonStringOr(*cert, "rawBytes"));
        if (der.ok() && *der == b.certificates[0]) return Status::Ok();
      }
    }
  }
  return VerificationFailed(
      "the entry does not record the envelope's signature with the bundle's certificate");
}

// ---------------------------------------------------------------------------
// Certificates.

struct SctResult {
  size_t verified = 0;
  std::vector<std::string> problems;
};

void PutBe(Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// RFC 6962 §3.2: the SCT signs the precertificate entry, i.e. the leaf's
// TBSCertificate without the SCT list extension, and the SHA-256 of the
// issuer's public key.
SctResult CheckScts(X509* leaf, X509* issuer, const std::vector<LogKey>& ctlogs) {
  SctResult r;
  auto* scts = static_cast<STACK_OF(SCT)*>(
      X509_get_ext_d2i(leaf, NID_ct_precert_scts, nullptr, nullptr));
  ERR_clear_error();
  if (scts == nullptr) {
    r.problems.push_back("the certificate carries no signed certificate timestamp");
    return r;
  }
  std::unique_ptr<STACK_OF(SCT), void (*)(STACK_OF(SCT)*)> owner(scts, SCT_LIST_free);
  X509Ptr copy(X509_dup(leaf));
  int idx = copy ? X509_get_ext_by_NID(copy.get(), NID_ct_precert_scts, -1) : -1;
  if (idx < 0) {
    r.problems.push_back("cannot rebuild the precertificate");
    return r;
  }
  X509_EXTENSION_free(X509_delete_ext(copy.get(), idx));
  unsigned char* tbs_der = nullptr;
  int tbs_len = i2d_re_X509_tbs(copy.get(), &tbs_der);
  if (tbs_len <= 0 || tbs_len >= (1 << 24)) {
    ERR_clear_error();
    r.problems.push_back("cannot re-encode the precertificate");
    return r;
  }
  Bytes tbs(tbs_der, tbs_der + tbs_len);
  OPENSSL_free(tbs_der);
  unsigned char* spki = nullptr;
  int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
  if (spki_len <= 0) {
    ERR_clear_error();
    r.problems.push_back("cannot encode the issuer's public key");
    return r;
  }
  Bytes issuer_key_hash =
      hash::HashBytes(hash::HashAlgorithm::kSha256, ByteSpan(spki, static_cast<size_t>(spki_len)));
  OPENSSL_free(spki);
  for (int i = 0; i < sk_SCT_num(scts); ++i) {
    const SCT* sct = sk_SCT_value(scts, i);
    if (SCT_get_version(sct) != SCT_VERSION_V1) {
      r.problems.push_back("an SCT has an unknown version");
      continue;
    }
    unsigned char* id = nullptr;
    size_t id_len = SCT_get0_log_id(sct, &id);
    const LogKey* log = FindLog(ctlogs, ByteSpan(id, id_len));
    if (log == nullptr) {
      r.problems.push_back("an SCT is from a CT log not in the trusted root (log id " +
                           Base64Encode(ByteSpan(id, id_len)) + ")");
      continue;
    }
    uint64_t ts_ms = SCT_get_timestamp(sct);
    if (!log->valid.Contains(static_cast<int64_t>(ts_ms / 1000))) {
      r.problems.push_back("an SCT was issued outside its CT log's validity period");
      continue;
    }
    unsigned char* ext = nullptr;
    size_t ext_len = SCT_get0_extensions(sct, &ext);
    unsigned char* sig = nullptr;
    size_t sig_len = SCT_get0_signature(sct, &sig);
    Bytes msg;
    PutBe(msg, 0, 1);  // version v1
    PutBe(msg, 0, 1);  // signature_type certificate_timestamp
    PutBe(msg, ts_ms, 8);
    PutBe(msg, 1, 2);  // entry_type precert_entry
    msg.insert(msg.end(), issuer_key_hash.begin(), issuer_key_hash.end());
    PutBe(msg, tbs.size(), 3);
    msg.insert(msg.end(), tbs.begin(), tbs.end());
    PutBe(msg, ext_len, 2);
    if (ext_len > 0) msg.insert(msg.end(), ext, ext + ext_len);
    Status v = VerifyWithLogKey(*log, msg, ByteSpan(sig, sig_len));
    if (!v.ok()) {
      r.problems.push_back(v.code() == ErrorCode::kVerificationFailed
                               ? "an SCT signature does not verify with its CT log's key"
                               : "CT log key unusable: " + v.message());
      continue;
    }
    ++r.verified;
  }
  return r;
}

// The CA of the trusted root that issued the leaf and was valid at `t`,
// with the chain verified at `t`. Returns the issuing certificate.
Result<X509Ptr> ChainToFulcio(const Bytes& leaf_der, const TrustedRoot& root, int64_t t,
                              std::string& problem) {
  MATS_ASSIGN_OR_RETURN(X509Ptr leaf, ParseDer(leaf_der));
  for (const Authority& ca : root.certificate_authorities) {
    if (!ca.valid.Contains(t)) continue;
    std::vector<Bytes> chain = {leaf_der};
    chain.insert(chain.end(), ca.chain.begin(), ca.chain.end() - 1);
    Status s = VerifyCertificateChain(chain, {ca.chain.back()}, t);
    if (!s.ok()) {
      problem = s.message();
      continue;
    }
    for (const Bytes& c : ca.chain) {
      MATS_ASSIGN_OR_RETURN(X509Ptr cand, ParseDer(c));
      if (X509_check_issued(cand.get(), leaf.get()) == X509_V_OK) return cand;
    }
  }
  if (problem.empty())
    problem = "no certificate authority of the trusted root was valid at " + FormatTime(t);
  return VerificationFailed("{}", problem);
}

// ---------------------------------------------------------------------------
// RFC 3161 timestamps.

struct TsaResult {
  bool ok = false;
  int64_t time = 0;
  std::string authority;
  std::string problem;
};

TsaResult CheckTimestamp(const Bytes& der, const Bytes& signature, const TrustedRoot& root) {
  TsaResult r;
  const unsigned char* p = der.data();
  std::unique_ptr<TS_RESP, void (*)(TS_RESP*)> resp(
      d2i_TS_RESP(nullptr, &p, static_cast<long>(der.size())), TS_RESP_free);  // NOLINT
  if (!resp || p != der.data() + der.size()) {
    ERR_clear_error();
    r.problem = "an RFC 3161 timestamp is not a DER TimeStampResp";
    return r;
  }
  TS_TST_INFO* info = TS_RESP_get_tst_info(resp.get());
  if (info == nullptr) {
    r.problem = "an RFC 3161 timestamp has no token";
    return r;
  }
  // The imprint is a digest of the signature; only collision-resistant
  // ones bind the token to it (OpenSSL would accept SHA-1 or MD5).
  const ASN1_OBJECT* imprint_oid = nullptr;
  if (TS_MSG_IMPRINT* imprint = TS_TST_INFO_get_msg_imprint(info))
    if (const X509_ALGOR* alg = TS_MSG_IMPRINT_get_algo(imprint))
      X509_ALGOR_get0(&imprint_oid, nullptr, nullptr, alg);
  int imprint_nid = imprint_oid ? OBJ_obj2nid(imprint_oid) : NID_undef;
  if (imprint_nid != NID_sha256 && imprint_nid != NID_sha384 && imprint_nid != NID_sha512) {
    r.problem = "an RFC 3161 timestamp's message imprint uses a digest other than SHA-256/384/512";
    return r;
  }
  int64_t when = AsnTime(TS_TST_INFO_get_time(info));
  if (when == 0) {
    r.problem = "an RFC 3161 timestamp has no readable time";
    return r;
  }
  for (const Authority& tsa : root.timestamp_authorities) {
    if (!tsa.valid.Contains(when)) continue;
    X509StorePtr store(X509_STORE_new());
    X509StackPtr certs(sk_X509_new_null());
    bool ok = store && certs;
    for (size_t i = 0; ok && i < tsa.chain.size(); ++i) {
      auto c = ParseDer(tsa.chain[i]);
      if (!c.ok()) {
        ok = false;
        break;
      }
      if (i + 1 == tsa.chain.size())
        X509_STORE_add_cert(store.get(), c->get());
      else
        sk_X509_push(certs.get(), c->release());
    }
    if (!ok) continue;
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store.get()), static_cast<time_t>(when));
    std::unique_ptr<TS_VERIFY_CTX, void (*)(TS_VERIFY_CTX*)> ctx(TS_VERIFY_CTX_new(),
                                                                  TS_VERIFY_CTX_free);
    BioPtr data(BIO_new_mem_buf(signature.data(), static_cast<int>(signature.size())));
    if (!ctx || !data) continue;
    TS_VERIFY_CTX_set_flags(ctx.get(), TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    TS_VERIFY_CTX_set_data(ctx.get(), data.release());
    TS_VERIFY_CTX_set_store(ctx.get(), store.release());
    TS_VERIFY_CTX_set_certs(ctx.get(), certs.release());
    if (TS_RESP_verify_response(ctx.get(), resp.get()) == 1) {
      r.ok = true;
      r.time = when;
      r.authority = tsa.uri.empty() ? tsa.subject : tsa.uri;
      return r;
    }
    r.problem = "an RFC 3161 timestamp does not verify: " + internal::SslErrors();
  }
  ERR_clear_error();
  if (r.problem.empty())
    r.problem = "an RFC 3161 timestamp is from no timestamp authority of the trusted root valid at " +
                FormatTime(when);
  return r;
}

void Fail(KeylessOutcome& out, std::string_view failure, std::string reason) {
  if (out.failure.empty()) out.failure = std::string(failure);
  out.reasons.push_back(std::move(reason));
}

}  // namespace

Result<TrustedRoot> ParseTrustedRoot(std::string_view text) {
  if (text.size() > kMaxTrustedRootBytes)
    return LimitExceeded("trusted root: {} bytes, at most {}", text.size(), kMaxTrustedRootBytes);
  MATS_ASSIGN_OR_RETURN(json top, ParseJson(text, {.max_depth = 16, .what = "trusted root"}));
  if (!top.is_object()) return Malformed(0, "trusted root: top level is not a JSON object");
  // A client trust config (sigstore-python's and model_signing's
  // --trust_config) carries the trusted root inside.
  const json* root_doc = &top;
  if (JsonStringOr(top, "mediaType") == kClientTrustConfigMediaType) {
    auto inner = top.find("trustedRoot");
    if (inner == top.end() || !inner->is_object())
      return Malformed(0, "trusted root: client trust config without a trustedRoot object");
    root_doc = &*inner;
  }
  const json& doc = *root_doc;
  MATS_ASSIGN_OR_RETURN(std::string media, StringField(doc, "mediaType", "trusted root"));
  if (media != kTrustedRootMediaType)
    return Unsupported("trusted root: mediaType \"{}\" is not {}", EscapePreview(media, 128),
                       kTrustedRootMediaType);
  TrustedRoot r;
  MATS_ASSIGN_OR_RETURN(r.tlogs, ParseLogs(doc, "tlogs"));
  MATS_ASSIGN_OR_RETURN(r.ctlogs, ParseLogs(doc, "ctlogs"));
  MATS_ASSIGN_OR_RETURN(r.certificate_authorities, ParseAuthorities(doc, "certificateAuthorities"));
  MATS_ASSIGN_OR_RETURN(r.timestamp_authorities, ParseAuthorities(doc, "timestampAuthorities"));
  if (r.certificate_authorities.empty())
    return Malformed(0, "trusted root: no certificateAuthorities");
  return r;
}

Result<KeylessOutcome> VerifyKeyless(const Bundle& b, const TrustedRoot& root,
                                     const KeylessPolicy& policy) {
  if (b.kind != MaterialKind::kCertificate || b.certificates.empty())
    return InvalidArgument("verify sigstore: the bundle has no Fulcio certificate");
  if (policy.identity.empty() || policy.issuer.empty())
    return InvalidArgument("verify sigstore: both --identity and --identity-provider are required");
  KeylessOutcome out;
  MATS_ASSIGN_OR_RETURN(out.leaf, ReadCertificateInfo(b.certificates[0]));
  MATS_ASSIGN_OR_RETURN(std::vector<TlogEntry> entries, ParseTlogEntries(b.tlog_entries_json));
  // A Sigstore bundle's envelope has exactly one signature, the one the
  // certificate, the log entry and the timestamps are about: any other
  // would be covered by none of them.
  if (b.signature_count != 1)
    Fail(out, "bad signature",
         fmt::format("a keyless bundle's envelope carries exactly one signature, this one has {}",
                     b.signature_count));

  // 1. Transparency log entries: the body must be this envelope; a SET
  // gives a trusted integration time; an inclusion proof must lead to a
  // checkpoint signed by the log.
  size_t tlog_ok = 0;
  // Entries anchored by an inclusion proof alone carry no time of their
  // own; their log key must have been valid at every verified time.
  std::vector<std::pair<const LogKey*, std::string>> proof_only;
  for (const TlogEntry& e : entries) {
    std::string where = fmt::format("transparency log entry {}", e.log_index);
    const LogKey* log = FindLog(root.tlogs, e.log_id);
    if (log == nullptr) {
      Fail(out, "transparency log",
           where + ": log " + Base64Encode(e.log_id) + " is not in the trusted root");
      continue;
    }
    Status body = CheckEntryBody(e, b);
    if (!body.ok()) {
      Fail(out, "transparency log", where + ": " + body.message());
      continue;
    }
    bool anchored = false;
    if (!e.set.empty()) {
      if (!e.has_integrated_time) {
        Fail(out, "transparency log", where + ": a signed entry timestamp without integratedTime");
        continue;
      }
      Status s = CheckSet(e, *log);
      if (!s.ok()) {
        Fail(out, "transparency log", where + ": " + s.message());
        continue;
      }
      if (!log->valid.Contains(e.integrated_time)) {
        Fail(out, "transparency log",
             where + ": integrated at " + FormatTime(e.integrated_time) +
                 ", outside the log key's validity period");
        continue;
      }
      out.verified_times.push_back(e.integrated_time);
      out.evidence.push_back(fmt::format("{} in {} (signed entry timestamp: integrated at {})",
                                         where, log->base_url, FormatTime(e.integrated_time)));
      anchored = true;
    }
    if (e.has_proof) {
      Status s = CheckInclusion(e);
      if (s.ok()) s = CheckCheckpoint(e, *log);
      if (!s.ok()) {
        Fail(out, "transparency log", where + ": inclusion proof: " + s.message());
        continue;
      }
      out.evidence.push_back(fmt::format("{}: inclusion proof at index {} of a tree of {} entries, "
                                         "checkpoint signed by the log",
                                         where, e.proof_index, e.tree_size));
      if (!anchored) proof_only.emplace_back(log, where);
      anchored = true;
    }
    if (!anchored) {
      Fail(out, "transparency log", where + ": neither a signed entry timestamp nor an inclusion proof");
      continue;
    }
    ++tlog_ok;
  }
  if (tlog_ok < policy.tlog_threshold)
    Fail(out, "transparency log",
         fmt::format("{} verified transparency log entries, {} required", tlog_ok,
                     policy.tlog_threshold));

  // 2. RFC 3161 timestamps over the signature bytes.
  for (const Bytes& ts : b.rfc3161_timestamps) {
    TsaResult t = CheckTimestamp(ts, b.signature, root);
    if (!t.ok) {
      Fail(out, "untrusted timestamp", t.problem);
      continue;
    }
    out.verified_times.push_back(t.time);
    out.evidence.push_back(
        fmt::format("RFC 3161 timestamp {} by {}", FormatTime(t.time), EscapePreview(t.authority, 128)));
  }
  for (const auto& [log, where] : proof_only)
    for (int64_t t : out.verified_times)
      if (!log->valid.Contains(t))
        Fail(out, "transparency log",
             where + ": the log key was not valid at " + FormatTime(t) +
                 ", a verified time of the signature");
  if (out.verified_times.size() < policy.timestamp_threshold)
    Fail(out, "untrusted timestamp",
         fmt::format("{} verified timestamps, {} required", out.verified_times.size(),
                     policy.timestamp_threshold));

  // 3. The Fulcio certificate: chains to a trusted CA at every verified
  // time (so it was valid when the signature was logged), carries an SCT.
  X509Ptr issuer;
  if (out.verified_times.empty())
    Fail(out, "untrusted certificate", "no verified time at which to check the certificate chain");
  for (int64_t t : out.verified_times) {
    std::string problem;
    auto iss = ChainToFulcio(b.certificates[0], root, t, problem);
    if (!iss.ok()) {
      Fail(out, "untrusted certificate", fmt::format("at {}: {}", FormatTime(t), problem));
      issuer.reset();
      break;
    }
    issuer = std::move(iss).value();
  }
  if (issuer) {
    MATS_ASSIGN_OR_RETURN(X509Ptr leaf, ParseDer(b.certificates[0]));
    SctResult sct = CheckScts(leaf.get(), issuer.get(), root.ctlogs);
    if (sct.verified < policy.ctlog_threshold) {
      for (std::string& p : sct.problems) Fail(out, "untrusted certificate", std::move(p));
      Fail(out, "untrusted certificate",
           fmt::format("{} verified certificate transparency timestamps, {} required", sct.verified,
                       policy.ctlog_threshold));
    } else {
      out.evidence.push_back(fmt::format(
          "certificate issued by a trusted Fulcio CA, valid from {} to {}, {} verified SCT(s)",
          FormatTime(out.leaf.not_before), FormatTime(out.leaf.not_after), sct.verified));
    }
  }

  // 4. Identity policy.
  if (std::find(out.leaf.sans.begin(), out.leaf.sans.end(), policy.identity) == out.leaf.sans.end())
    Fail(out, "identity mismatch",
         fmt::format("the certificate's identities [{}] do not include \"{}\"",
                     EscapePreview(fmt::format("{}", fmt::join(out.leaf.sans, ", ")), 200),
                     EscapePreview(policy.identity, 200)));
  if (out.leaf.oidc_issuer != policy.issuer)
    Fail(out, "identity mismatch",
         fmt::format("the certificate's OIDC issuer is \"{}\", not \"{}\"",
                     EscapePreview(out.leaf.oidc_issuer, 200), EscapePreview(policy.issuer, 200)));

  // 5. The DSSE signature with the leaf's key.
  MATS_ASSIGN_OR_RETURN(PublicKey key, CertificatePublicKey(b.certificates[0]));
  Status sig = key.Verify(Pae(b.payload_type, b.payload), b.signature);
  if (!sig.ok()) Fail(out, "bad signature", sig.message());
  return out;
}

}  // namespace mats::sign
