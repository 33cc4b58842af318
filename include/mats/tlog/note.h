// C2SP signed-note (v1.0.0) with Ed25519 signatures, and C2SP
// tlog-cosignature v1 (Ed25519 cosignatures, type 0x04).
//
//   MATS_ASSIGN_OR_RETURN(auto signer, Ed25519NoteSigner::FromSignerKey(skey));
//   MATS_ASSIGN_OR_RETURN(std::string note, SignNote(text, {signer.get()}));
//
//   MATS_ASSIGN_OR_RETURN(auto verifier, Ed25519NoteVerifier::FromVerifierKey(
//       "example.com/log+1234abcd+AXt..."));
//   MATS_ASSIGN_OR_RETURN(OpenedNote opened,
//                         OpenNote(note, {verifier.get()}));
//   // opened.text is the signed text, opened.verified the keys that signed.
//
// Note layout: text (valid UTF-8, ends in '\n', no control characters other
// than '\n'), one blank line, then 1..kMaxNoteSignatures lines
// "\u2014 <name> <base64(key_id[4] || signature)>\n". The signed message is
// the text including its final newline. Key names are non-empty, contain no
// Unicode whitespace and no '+'.
//
// Key strings (compatible with Go golang.org/x/mod/sumdb/note):
//   verifier key  <name>+<8 hex key id>+<base64(0x01 || pubkey[32])>
//   signer key    PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || seed[32])>
// Key id = first 4 bytes (big-endian uint32) of
// SHA-256(name || '\n' || type || pubkey).
//
// Signers and verifiers are immutable after creation and thread-safe.
#ifndef MATS_TLOG_NOTE_H_
#define MATS_TLOG_NOTE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::tlog {

// Signature types (the byte hashed into the key id).
inline constexpr uint8_t kSigTypeEd25519 = 0x01;
inline constexpr uint8_t kSigTypeCosignatureV1 = 0x04;

// Limits enforced on notes.
inline constexpr size_t kMaxNoteBytes = 1 << 20;       // whole note
inline constexpr size_t kMaxNoteSignatures = 100;      // like Go x/mod
inline constexpr size_t kMaxKeyNameBytes = 256;
inline constexpr size_t kMaxSignatureBytes = 1024;     // decoded, after key id

// Key id of (name, type, public key) as in the file comment.
uint32_t ComputeKeyId(std::string_view name, uint8_t sig_type,
                      ByteSpan public_key);

// Ok iff `name` is a valid key name (non-empty, valid UTF-8, no Unicode
// whitespace, no '+', no control characters, <= kMaxKeyNameBytes).
// kInvalidArgument naming the problem otherwise.
Status ValidateKeyName(std::string_view name);

// Produces signatures for one key.
class NoteSigner {
 public:
  virtual ~NoteSigner() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // Signature bytes (without the 4-byte key id) over `message`, the note
  // text including its final newline. kInternal on a crypto failure.
  virtual Result<Bytes> Sign(std::string_view message) const = 0;
};

// Checks signatures for one key.
class NoteVerifier {
 public:
  virtual ~NoteVerifier() = default;
  virtual const std::string& name() const = 0;
  virtual uint32_t key_id() const = 0;
  // Ok iff `signature` (without key id) is valid for `message`.
  // kVerificationFailed otherwise.
  virtual Status Verify(std::string_view message, ByteSpan signature) const = 0;
};

// A freshly generated Ed25519 key pair in string form.
struct GeneratedKey {
  std::string signer_key;    // PRIVATE+KEY+... ; secret: never log it
  std::string verifier_key;  // name+id+base64
};
// Generates a new Ed25519 key named `name` (OpenSSL RNG).
// kInvalidArgument for a bad name, kInternal on RNG/crypto failure.
Result<GeneratedKey> GenerateEd25519Key(std::string_view name);

// Ed25519 note signer (type 0x01). The private key is held in an OpenSSL
// EVP_PKEY and a cleansed buffer; it is never formatted.
class Ed25519NoteSigner : public NoteSigner {
 public:
  // Parses a "PRIVATE+KEY+name+hash+base64" string. kMalformed if the string
  // is not of that shape, kVerificationFailed if the key id does not match
  // the key, kUnsupported for a non-Ed25519 type byte.
  static Result<std::unique_ptr<Ed25519NoteSigner>> FromSignerKey(
      std::string_view signer_key);
  // From a raw 32-byte Ed25519 seed. kInvalidArgument for a bad name/seed.
  static Result<std::unique_ptr<Ed25519NoteSigner>> FromSeed(
      std::string_view name, ByteSpan seed);
  ~Ed25519NoteSigner() override;

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  Result<Bytes> Sign(std::string_view message) const override;
  // 32-byte raw public key.
  const Bytes& public_key() const { return public_key_; }
  // The matching verifier key string.
  std::string VerifierKey() const;

 private:
  struct Impl;
  Ed25519NoteSigner(std::string name, std::unique_ptr<Impl> impl,
                    Bytes public_key);
  std::string name_;
  std::unique_ptr<Impl> impl_;
  Bytes public_key_;
  uint32_t key_id_ = 0;
};

// Ed25519 note verifier (type 0x01).
class Ed25519NoteVerifier : public NoteVerifier {
 public:
  // Parses "name+hash+base64(0x01||pubkey)". kMalformed for a bad shape,
  // kUnsupported for another type byte, kVerificationFailed for a key id
  // that does not match.
  static Result<std::unique_ptr<Ed25519NoteVerifier>> FromVerifierKey(
      std::string_view verifier_key);
  // kInvalidArgument for a bad name or a key that is not 32 bytes.
  static Result<std::unique_ptr<Ed25519NoteVerifier>> FromPublicKey(
      std::string_view name, ByteSpan public_key);
  ~Ed25519NoteVerifier() override;

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  Status Verify(std::string_view message, ByteSpan signature) const override;
  const Bytes& public_key() const { return public_key_; }
  std::string VerifierKey() const;

 private:
  Ed25519NoteVerifier(std::string name, Bytes public_key);
  std::string name_;
  Bytes public_key_;
  uint32_t key_id_ = 0;
};

// One signature line of a note.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  Bytes signature;  // without the key id
};

// A note split into text and signature lines; nothing verified yet.
struct ParsedNote {
  std::string text;  // including its final '\n'
  std::vector<NoteSignature> signatures;
};

// Strict parse of a note. kMalformed (with offset) for: invalid UTF-8, a
// control character, no blank line, text not ending in '\n', a bad
// signature line (no em dash prefix, bad name, bad base64, fewer than 5
// decoded bytes), missing final newline; kLimitExceeded for more than
// kMaxNoteBytes or kMaxNoteSignatures.
Result<ParsedNote> ParseNote(std::string_view note);

// A note with its verified signatures.
struct OpenedNote {
  std::string text;
  // Signatures by known keys that verified (in note order).
  std::vector<NoteSignature> verified;
  // Signatures from keys not in the verifier list (ignored).
  std::vector<NoteSignature> unverified;
};

// Parses and verifies `note`. Signatures whose (name, key id) matches no
// verifier are ignored (kept in `unverified`). A signature by a known key
// that fails to verify -> kVerificationFailed naming the key. No signature
// by a known key -> kVerificationFailed ("no known key signed the note").
// Parse errors as in ParseNote. Duplicate verifiers (same name and id) in
// `verifiers` -> kInvalidArgument.
Result<OpenedNote> OpenNote(std::string_view note,
                            std::span<const NoteVerifier* const> verifiers);

// Signs `text` with each signer and returns the whole note. `text` must be
// non-empty valid UTF-8 ending in '\n' without control characters other
// than '\n'. kInvalidArgument for a bad text, a bad signer name or no
// signers; kLimitExceeded past kMaxNoteBytes; signer errors are passed on.
Result<std::string> SignNote(std::string_view text,
                             std::span<const NoteSigner* const> signers);

// Appends extra signature lines (e.g. witness cosignatures) to an already
// signed note, dropping lines that duplicate an existing (name, key id).
// kMalformed if `note` does not parse.
Result<std::string> AddSignatures(std::string_view note,
                                  std::span<const NoteSignature> extra);

// Formats one signature line "\u2014 name base64\n".
std::string FormatSignatureLine(const NoteSignature& sig);

// ---- tlog-cosignature v1 (type 0x04) ----
//
// Signed message: "cosignature/v1\ntime <T>\n" || checkpoint text. Signature
// bytes after the key id: uint64 BE timestamp T (seconds) || Ed25519 sig.

// Message that a cosigner signs for checkpoint text `checkpoint_text` at
// unix time `timestamp`.
std::string CosignatureMessage(std::string_view checkpoint_text,
                               uint64_t timestamp);

// Witness-side signer. Sign() uses the current time unless a fixed time was
// set (for tests).
class CosignatureSigner : public NoteSigner {
 public:
  // Same key string format as Ed25519 (type byte 0x01 in the key string, as
  // Go's witness keys); the key id is computed with type 0x04.
  static Result<std::unique_ptr<CosignatureSigner>> FromSignerKey(
      std::string_view signer_key);
  static Result<std::unique_ptr<CosignatureSigner>> FromSeed(
      std::string_view name, ByteSpan seed);
  ~CosignatureSigner() override;

  const std::string& name() const override;
  uint32_t key_id() const override { return key_id_; }
  // `message` is the checkpoint text; returns timestamp(8) || sig(64).
  Result<Bytes> Sign(std::string_view message) const override;
  // Signs at a given time (deterministic; used by tests and Sign()).
  Result<Bytes> SignAt(std::string_view checkpoint_text,
                       uint64_t timestamp) const;
  // "name+id+base64(0x04 || pubkey)".
  std::string VerifierKey() const;

 private:
  explicit CosignatureSigner(std::unique_ptr<Ed25519NoteSigner> inner);
  std::unique_ptr<Ed25519NoteSigner> inner_;
  uint32_t key_id_ = 0;
};

class CosignatureVerifier : public NoteVerifier {
 public:
  // "name+id+base64(0x04 || pubkey)". Errors as Ed25519NoteVerifier.
  static Result<std::unique_ptr<CosignatureVerifier>> FromVerifierKey(
      std::string_view verifier_key);
  static Result<std::unique_ptr<CosignatureVerifier>> FromPublicKey(
      std::string_view name, ByteSpan public_key);
  ~CosignatureVerifier() override;

  const std::string& name() const override { return name_; }
  uint32_t key_id() const override { return key_id_; }
  // `message` is the checkpoint text; `signature` is timestamp || sig.
  // kVerificationFailed for a wrong length or bad signature.
  Status Verify(std::string_view message, ByteSpan signature) const override;
  // Timestamp carried by a cosignature (kMalformed if shorter than 8 bytes).
  static Result<uint64_t> Timestamp(ByteSpan signature);

 private:
  CosignatureVerifier(std::string name, Bytes public_key);
  std::string name_;
  Bytes public_key_;
  uint32_t key_id_ = 0;
};

}  // namespace mats::tlog

#endif  // MATS_TLOG_NOTE_H_
