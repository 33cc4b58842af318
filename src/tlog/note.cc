#include "mats/tlog/note.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <set>
#include <utility>

#include "mats/core/encoding.h"

namespace mats::tlog {
namespace {

constexpr std::string_view kEmDashPrefix = "\xE2\x80\x94 ";  // U+2014 + space
constexpr size_t kEd25519KeySize = 32;
constexpr size_t kEd25519SigSize = 64;

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Decodes one UTF-8 code point at s[i]; returns false for invalid input.
bool DecodeRune(std::string_view s, size_t i, uint32_t* cp, size_t* len) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c = b(0);
  if (c < 0x80) {
    *cp = c;
    *len = 1;
    return true;
  }
  size_t n = 0;
  uint32_t v = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    v = c & 0x1F;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    v = c & 0x0F;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    v = c & 0x07;
    min = 0x10000;
  } else {
    return false;
  }
  if (s.size() - i < n) return false;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return false;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
  *cp = v;
  *len = n;
  return true;
}

// unicode.IsSpace.
bool IsUnicodeSpace(uint32_t cp) {
  switch (cp) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

// Checks UTF-8 and no control characters other than '\n'. Returns the
// offset of the first problem, or npos.
size_t FirstBadNoteByte(std::string_view s, const char** why) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t len = 0;
    if (!DecodeRune(s, i, &cp, &len)) {
      *why = "invalid utf-8";
      return i;
    }
    if ((cp < 0x20 && cp != '\n') || cp == 0x7F) {
      *why = "control character";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

Result<uint32_t> ParseKeyIdHex(std::string_view hex) {
  if (hex.size() != 8) return Malformed(0, "note: key id {} is not 8 hex digits", EscapePreview(hex));
  uint32_t v = 0;
  for (char c : hex) {
    uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return Malformed(0, "note: key id {} is not 8 hex digits", EscapePreview(hex));
    }
    v = (v << 4) | d;
  }
  return v;
}

std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  size_t i = s.find(sep);
  if (i == std::string_view::npos) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

struct KeyString {
  std::string name;
  uint32_t key_id = 0;
  uint8_t type = 0;
  Bytes key;
};

// "name+hash+base64(type||key)".
Result<KeyString> ParseKeyString(std::string_view s, std::string_view what) {
  auto [name, rest] = Chop(s, '+');
  auto [hash16, key64] = Chop(rest, '+');
  if (!ValidateKeyName(name).ok()) {
    return Malformed(0, "note: {}: bad key name {}", what, EscapePreview(name));
  }
  Result<uint32_t> id = ParseKeyIdHex(hash16);
  if (!id.ok()) return id.status().WithContext(what);
  Result<Bytes> key = Base64Decode(key64);
  if (!key.ok() || key->empty()) {
    return Malformed(0, "note: {}: bad base64 key", what);
  }
  KeyString k;
  k.name = std::string(name);
  k.key_id = *id;
  k.type = (*key)[0];
  k.key.assign(key->begin() + 1, key->end());
  OPENSSL_cleanse(key->data(), key->size());
  return k;
}

std::string FormatKeyString(std::string_view name, uint32_t key_id, uint8_t type,
                            ByteSpan key) {
  Bytes b;
  b.reserve(1 + key.size());
  b.push_back(type);
  b.insert(b.end(), key.begin(), key.end());
  return fmt::format("{}+{:08x}+{}", name, key_id, Base64Encode(b));
}

Status Ed25519Verify(ByteSpan public_key, std::string_view message, ByteSpan sig) {
  if (sig.size() != kEd25519SigSize) {
    return VerificationFailed("note: ed25519 signature of {} bytes, want 64", sig.size());
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                           public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!pkey || !ctx) return Internal("note: openssl: cannot create ed25519 verifier");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1) {
    return Internal("note: openssl: EVP_DigestVerifyInit failed");
  }
  int rc = EVP_DigestVerify(ctx.get(), sig.data(), sig.size(),
                            AsBytes(message).data(), message.size());
  if (rc != 1) return VerificationFailed("note: ed25519 signature does not verify");
  return Status::Ok();
}

}  // namespace

uint32_t ComputeKeyId(std::string_view name, uint8_t sig_type, ByteSpan public_key) {
  Bytes buf;
  buf.reserve(name.size() + 2 + public_key.size());
  buf.insert(buf.end(), name.begin(), name.end());
  buf.push_back('\n');
  buf.push_back(sig_type);
  buf.insert(buf.end(), public_key.begin(), public_key.end());
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(buf.data(), buf.size(), digest);
  return (uint32_t{digest[0]} << 24) | (uint32_t{digest[1]} << 16) | (uint32_t{digest[2]} << 8) |
         uint32_t{digest[3]};
}

Status ValidateKeyName(std::string_view name) {
  if (name.empty()) return InvalidArgument("note: empty key name");
  if (name.size() > kMaxKeyNameBytes) {
    return InvalidArgument("note: key name of {} bytes, at most {}", name.size(), kMaxKeyNameBytes);
  }
  size_t i = 0;
  while (i < name.size()) {
    uint32_t cp = 0;
    size_t len = 0;
    if (!DecodeRune(name, i, &cp, &len)) {
      return InvalidArgument("note: key name {} is not valid utf-8", EscapePreview(name));
    }
    if (cp == '+' || IsUnicodeSpace(cp) || cp < 0x20 || cp == 0x7F) {
      return InvalidArgument("note: key name {} contains '+', a space or a control character",
                             EscapePreview(name));
    }
    i += len;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------- Ed25519

struct Ed25519NoteSigner::Impl {
  PkeyPtr pkey;
};

Ed25519NoteSigner::Ed25519NoteSigner(std::string name, std::unique_ptr<Impl> impl,
                                     Bytes public_key)
    : name_(std::move(name)), impl_(std::move(impl)), public_key_(std::move(public_key)) {
  key_id_ = ComputeKeyId(name_, kSigTypeEd25519, public_key_);
}

Ed25519NoteSigner::~Ed25519NoteSigner() = default;

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::FromSeed(std::string_view name,
                                                                       ByteSpan seed) {
  MATS_RETURN_IF_ERROR(ValidateKeyName(name));
  if (seed.size() != kEd25519KeySize) {
    return InvalidArgument("note: ed25519 seed of {} bytes, want 32", seed.size());
  }
  auto impl = std::make_unique<Impl>();
  impl->pkey.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!impl->pkey) return Internal("note: openssl: cannot load ed25519 private key");
  Bytes pub(kEd25519KeySize);
  size_t pub_len = pub.size();
  if (EVP_PKEY_get_raw_public_key(impl->pkey.get(), pub.data(), &pub_len) != 1 ||
      pub_len != kEd25519KeySize) {
    return Internal("note: openssl: cannot derive ed25519 public key");
  }
  return std::unique_ptr<Ed25519NoteSigner>(
      new Ed25519NoteSigner(std::string(name), std::move(impl), std::move(pub)));
}

Result<std::unique_ptr<Ed25519NoteSigner>> Ed25519NoteSigner::FromSignerKey(
    std::string_view signer_key) {
  constexpr std::string_view kPrefix = "PRIVATE+KEY+";
  if (signer_key.substr(0, kPrefix.size()) != kPrefix) {
    return Malformed(0, "note: signer key does not start with PRIVATE+KEY+");
  }
  MATS_ASSIGN_OR_RETURN(KeyString k,
                        ParseKeyString(signer_key.substr(kPrefix.size()), "signer key"));
  if (k.type != kSigTypeEd25519) {
    OPENSSL_cleanse(k.key.data(), k.key.size());
    return Unsupported("note: signer key type {:#04x}, only ed25519 (0x01)", k.type);
  }
  if (k.key.size() != kEd25519KeySize) {
    OPENSSL_cleanse(k.key.data(), k.key.size());
    return Malformed(0, "note: signer key: ed25519 seed of {} bytes, want 32", k.key.size());
  }
  auto signer = FromSeed(k.name, k.key);
  OPENSSL_cleanse(k.key.data(), k.key.size());
  if (!signer.ok()) return signer.status();
  if ((*signer)->key_id() != k.key_id) {
    return VerificationFailed("note: signer key id {:08x} does not match the key ({:08x})",
                              k.key_id, (*signer)->key_id());
  }
  return std::move(signer).value();
}

Result<Bytes> Ed25519NoteSigner::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return Internal("note: openssl: EVP_DigestSignInit failed");
  }
  Bytes sig(kEd25519SigSize);
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), sig.data(), &len,
                     AsBytes(message).data(), message.size()) != 1 ||
      len != kEd25519SigSize) {
    return Internal("note: openssl: ed25519 signing failed");
  }
  return sig;
}

std::string Ed25519NoteSigner::VerifierKey() const {
  return FormatKeyString(name_, key_id_, kSigTypeEd25519, public_key_);
}

Result<GeneratedKey> GenerateEd25519Key(std::string_view name) {
  MATS_RETURN_IF_ERROR(ValidateKeyName(name));
  std::array<uint8_t, kEd25519KeySize> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return Internal("note: openssl: RAND_bytes failed");
  }
  auto signer = Ed25519NoteSigner::FromSeed(name, seed);
  GeneratedKey out;
  if (signer.ok()) {
    out.signer_key = "PRIVATE+KEY+" + FormatKeyString(name, (*signer)->key_id(),
                                                      kSigTypeEd25519, seed);
    out.verifier_key = (*signer)->VerifierKey();
  }
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!signer.ok()) return signer.status();
  return out;
}

Ed25519NoteVerifier::Ed25519NoteVerifier(std::string name, Bytes public_key)
    : name_(std::move(name)), public_key_(std::move(public_key)) {
  key_id_ = ComputeKeyId(name_, kSigTypeEd25519, public_key_);
}

Ed25519NoteVerifier::~Ed25519NoteVerifier() = default;

Result<std::unique_ptr<Ed25519NoteVerifier>> Ed25519NoteVerifier::FromPublicKey(
    std::string_view name, ByteSpan public_key) {
  MATS_RETURN_IF_ERROR(ValidateKeyName(name));
  if (public_key.size() != kEd25519KeySize) {
    return InvalidArgument("note: ed25519 public key of {} bytes, want 32", public_key.size());
  }
  return std::unique_ptr<Ed25519NoteVerifier>(
      new Ed25519NoteVerifier(std::string(name), Bytes(public_key.begin(), public_key.end())));
}

Result<std::unique_ptr<Ed25519NoteVerifier>> Ed25519NoteVerifier::FromVerifierKey(
    std::string_view verifier_key) {
  MATS_ASSIGN_OR_RETURN(KeyString k, ParseKeyString(verifier_key, "verifier key"));
  if (k.type != kSigTypeEd25519) {
    return Unsupported("note: verifier key type {:#04x}, want ed25519 (0x01)", k.type);
  }
  if (k.key.size() != kEd25519KeySize) {
    return Malformed(0, "note: verifier key: ed25519 key of {} bytes, want 32", k.key.size());
  }
  auto v = std::unique_ptr<Ed25519NoteVerifier>(
      new Ed25519NoteVerifier(k.name, std::move(k.key)));
  if (v->key_id() != k.key_id) {
    return VerificationFailed("note: verifier key id {:08x} does not match the key ({:08x})",
                              k.key_id, v->key_id());
  }
  return v;
}

Status Ed25519NoteVerifier::Verify(std::string_view message, ByteSpan signature) const {
  return Ed25519Verify(public_key_, message, signature);
}

std::string Ed25519NoteVerifier::VerifierKey() const {
  return FormatKeyString(name_, key_id_, kSigTypeEd25519, public_key_);
}

// ---------------------------------------------------------------- notes

Result<ParsedNote> ParseNote(std::string_view note) {
  if (note.size() > kMaxNoteBytes) {
    return LimitExceeded("note: {} bytes, at most {}", note.size(), kMaxNoteBytes);
  }
  const char* why = nullptr;
  size_t bad = FirstBadNoteByte(note, &why);
  if (bad != std::string_view::npos) return Malformed(bad, "note: {}", why);
  size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Malformed(note.size(), "note: no blank line before the signatures");
  }
  ParsedNote out;
  out.text = std::string(note.substr(0, split + 1));
  size_t pos = split + 2;
  std::string_view sigs = note.substr(pos);
  if (sigs.empty() || sigs.back() != '\n') {
    return Malformed(note.size(), "note: signature block is empty or does not end in a newline");
  }
  while (pos < note.size()) {
    size_t eol = note.find('\n', pos);  // found: the block ends in '\n'
    std::string_view line = note.substr(pos, eol - pos);
    if (line.substr(0, kEmDashPrefix.size()) != kEmDashPrefix) {
      return Malformed(pos, "note: signature line does not start with an em dash and a space");
    }
    line.remove_prefix(kEmDashPrefix.size());
    auto [name, b64] = Chop(line, ' ');
    if (!ValidateKeyName(name).ok()) {
      return Malformed(pos, "note: signature line has a bad key name {}", EscapePreview(name));
    }
    Result<Bytes> sig = Base64Decode(b64);
    if (b64.empty() || !sig.ok()) {
      return Malformed(pos, "note: signature line for {} has bad base64", EscapePreview(name));
    }
    if (sig->size() < 5 || sig->size() > 4 + kMaxSignatureBytes) {
      return Malformed(pos, "note: signature for {} has {} bytes, want 5..{}", EscapePreview(name),
                       sig->size(), 4 + kMaxSignatureBytes);
    }
    if (out.signatures.size() >= kMaxNoteSignatures) {
      return LimitExceededAt(pos, "note: more than {} signatures", kMaxNoteSignatures);
    }
    NoteSignature s;
    s.name = std::string(name);
    s.key_id = (uint32_t{(*sig)[0]} << 24) | (uint32_t{(*sig)[1]} << 16) |
               (uint32_t{(*sig)[2]} << 8) | uint32_t{(*sig)[3]};
    s.signature.assign(sig->begin() + 4, sig->end());
    out.signatures.push_back(std::move(s));
    pos = eol + 1;
  }
  return out;
}

Result<OpenedNote> OpenNote(std::string_view note,
                            std::span<const NoteVerifier* const> verifiers) {
  for (size_t i = 0; i < verifiers.size(); ++i) {
    for (size_t j = i + 1; j < verifiers.size(); ++j) {
      if (verifiers[i]->name() == verifiers[j]->name() &&
          verifiers[i]->key_id() == verifiers[j]->key_id()) {
        return InvalidArgument("note: verifier {}+{:08x} given twice",
                               EscapePreview(verifiers[i]->name()), verifiers[i]->key_id());
      }
    }
  }
  MATS_ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  OpenedNote out;
  out.text = std::move(parsed.text);
  std::set<std::pair<std::string, uint32_t>> seen;
  for (NoteSignature& sig : parsed.signatures) {
    const NoteVerifier* v = nullptr;
    for (const NoteVerifier* cand : verifiers) {
      if (cand->name() == sig.name && cand->key_id() == sig.key_id) v = cand;
    }
    if (v == nullptr) {
      // Like Go: repeated identical lines by unknown keys are kept once.
      bool repeated = std::any_of(out.unverified.begin(), out.unverified.end(), [&](const NoteSignature& u) {
        return u.name == sig.name && u.key_id == sig.key_id && u.signature == sig.signature;
      });
      if (!repeated) out.unverified.push_back(std::move(sig));
      continue;
    }
    if (!seen.insert({sig.name, sig.key_id}).second) continue;
    Status s = v->Verify(out.text, sig.signature);
    if (!s.ok()) {
      return VerificationFailed("note: signature by {}+{:08x} does not verify: {}",
                                EscapePreview(sig.name), sig.key_id, s.message());
    }
    out.verified.push_back(std::move(sig));
  }
  if (out.verified.empty()) return VerificationFailed("note: no known key signed the note");
  return out;
}

std::string FormatSignatureLine(const NoteSignature& sig) {
  Bytes b;
  b.reserve(4 + sig.signature.size());
  b.push_back(static_cast<uint8_t>(sig.key_id >> 24));
  b.push_back(static_cast<uint8_t>(sig.key_id >> 16));
  b.push_back(static_cast<uint8_t>(sig.key_id >> 8));
  b.push_back(static_cast<uint8_t>(sig.key_id));
  b.insert(b.end(), sig.signature.begin(), sig.signature.end());
  return fmt::format("{}{} {}\n", kEmDashPrefix, sig.name, Base64Encode(b));
}

Result<std::string> SignNote(std::string_view text, std::span<const NoteSigner* const> signers) {
  if (signers.empty()) return InvalidArgument("note: no signers");
  if (text.empty() || text.back() != '\n') {
    return InvalidArgument("note: text must be non-empty and end with a newline");
  }
  const char* why = nullptr;
  size_t bad = FirstBadNoteByte(text, &why);
  if (bad != std::string_view::npos) {
    return InvalidArgument("note: text has {} at byte {}", why, bad);
  }
  std::string out(text);
  out += '\n';
  for (const NoteSigner* s : signers) {
    MATS_RETURN_IF_ERROR(ValidateKeyName(s->name()));
    MATS_ASSIGN_OR_RETURN(Bytes sig, s->Sign(text));
    out += FormatSignatureLine(NoteSignature{s->name(), s->key_id(), std::move(sig)});
  }
  if (out.size() > kMaxNoteBytes) {
    return LimitExceeded("note: {} bytes, at most {}", out.size(), kMaxNoteBytes);
  }
  return out;
}

Result<std::string> AddSignatures(std::string_view note, std::span<const NoteSignature> extra) {
  MATS_ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  std::string out(note);
  std::set<std::pair<std::string, uint32_t>> have;
  for (const NoteSignature& s : parsed.signatures) have.insert({s.name, s.key_id});
  size_t count = parsed.signatures.size();
  for (const NoteSignature& s : extra) {
    if (!ValidateKeyName(s.name).ok() || s.signature.empty() ||
        s.signature.size() > kMaxSignatureBytes) {
      return InvalidArgument("note: extra signature by {} is not valid", EscapePreview(s.name));
    }
    if (!have.insert({s.name, s.key_id}).second) continue;
    if (++count > kMaxNoteSignatures) {
      return LimitExceeded("note: more than {} signatures", kMaxNoteSignatures);
    }
    out += FormatSignatureLine(s);
  }
  return out;
}

// ---------------------------------------------------------------- cosignatures

std::string CosignatureMessage(std::string_view checkpoint_text, uint64_t timestamp) {
  return fmt::format("cosignature/v1\ntime {}\n{}", timestamp, checkpoint_text);
}

CosignatureSigner::CosignatureSigner(std::unique_ptr<Ed25519NoteSigner> inner)
    : inner_(std::move(inner)) {
  key_id_ = ComputeKeyId(inner_->name(), kSigTypeCosignatureV1, inner_->public_key());
}

CosignatureSigner::~CosignatureSigner() = default;

Result<std::unique_ptr<CosignatureSigner>> CosignatureSigner::FromSignerKey(
    std::string_view signer_key) {
  MATS_ASSIGN_OR_RETURN(auto inner, Ed25519NoteSigner::FromSignerKey(signer_key));
  return std::unique_ptr<CosignatureSigner>(new CosignatureSigner(std::move(inner)));
}

Result<std::unique_ptr<CosignatureSigner>> CosignatureSigner::FromSeed(std::string_view name,
                                                                       ByteSpan seed) {
  MATS_ASSIGN_OR_RETURN(auto inner, Ed25519NoteSigner::FromSeed(name, seed));
  return std::unique_ptr<CosignatureSigner>(new CosignatureSigner(std::move(inner)));
}

const std::string& CosignatureSigner::name() const { return inner_->name(); }

Result<Bytes> CosignatureSigner::SignAt(std::string_view checkpoint_text,
                                        uint64_t timestamp) const {
  MATS_ASSIGN_OR_RETURN(Bytes sig,
                        inner_->Sign(CosignatureMessage(checkpoint_text, timestamp)));
  Bytes out(8);
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(timestamp >> (56 - 8 * i));
  out.insert(out.end(), sig.begin(), sig.end());
  return out;
}

Result<Bytes> CosignatureSigner::Sign(std::string_view message) const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  uint64_t secs = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now).count());
  return SignAt(message, secs);
}

std::string CosignatureSigner::VerifierKey() const {
  return FormatKeyString(inner_->name(), key_id_, kSigTypeCosignatureV1, inner_->public_key());
}

CosignatureVerifier::CosignatureVerifier(std::string name, Bytes public_key)
    : name_(std::move(name)), public_key_(std::move(public_key)) {
  key_id_ = ComputeKeyId(name_, kSigTypeCosignatureV1, public_key_);
}

CosignatureVerifier::~CosignatureVerifier() = default;

Result<std::unique_ptr<CosignatureVerifier>> CosignatureVerifier::FromPublicKey(
    std::string_view name, ByteSpan public_key) {
  MATS_RETURN_IF_ERROR(ValidateKeyName(name));
  if (public_key.size() != kEd25519KeySize) {
    return InvalidArgument("note: ed25519 public key of {} bytes, want 32", public_key.size());
  }
  return std::unique_ptr<CosignatureVerifier>(
      new CosignatureVerifier(std::string(name), Bytes(public_key.begin(), public_key.end())));
}

Result<std::unique_ptr<CosignatureVerifier>> CosignatureVerifier::FromVerifierKey(
    std::string_view verifier_key) {
  MATS_ASSIGN_OR_RETURN(KeyString k, ParseKeyString(verifier_key, "verifier key"));
  if (k.type != kSigTypeCosignatureV1) {
    return Unsupported("note: verifier key type {:#04x}, want cosignature/v1 (0x04)", k.type);
  }
  if (k.key.size() != kEd25519KeySize) {
    return Malformed(0, "note: verifier key: ed25519 key of {} bytes, want 32", k.key.size());
  }
  auto v = std::unique_ptr<CosignatureVerifier>(new CosignatureVerifier(k.name, std::move(k.key)));
  if (v->key_id() != k.key_id) {
    return VerificationFailed("note: verifier key id {:08x} does not match the key ({:08x})",
                              k.key_id, v->key_id());
  }
  return v;
}

Result<uint64_t> CosignatureVerifier::Timestamp(ByteSpan signature) {
  if (signature.size() < 8) {
    return Malformed(0, "note: cosignature of {} bytes has no timestamp", signature.size());
  }
  uint64_t t = 0;
  for (size_t i = 0; i < 8; ++i) t = (t << 8) | signature[i];
  return t;
}

Status CosignatureVerifier::Verify(std::string_view message, ByteSpan signature) const {
  if (signature.size() != 8 + kEd25519SigSize) {
    return VerificationFailed("note: cosignature of {} bytes, want 72", signature.size());
  }
  MATS_ASSIGN_OR_RETURN(uint64_t t, Timestamp(signature));
  return Ed25519Verify(public_key_, CosignatureMessage(message, t), signature.subspan(8));
}

}  // namespace mats::tlog
