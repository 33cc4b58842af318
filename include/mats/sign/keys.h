// Signing keys for OMS signatures: ECDSA on P-256, P-384 and P-521, with the
// curve's hash (SHA-256, SHA-384, SHA-512). Private key material lives only
// in SecretBytes (wiped with OPENSSL_cleanse) and OpenSSL's own key objects;
// it is never formatted or logged.
//
//   MATS_ASSIGN_OR_RETURN(SecretBytes pem, SecretBytes::ReadFile("key.pem"));
//   MATS_ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::FromPem(pem, password));
//   MATS_ASSIGN_OR_RETURN(Bytes sig, key.Sign(pae));
//   PublicKey pub = key.public_key();
//   MATS_RETURN_IF_ERROR(pub.Verify(pae, sig));
#ifndef MATS_SIGN_KEYS_H_
#define MATS_SIGN_KEYS_H_

#include <memory>
#include <string>
#include <string_view>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

typedef struct evp_pkey_st EVP_PKEY;  // NOLINT: OpenSSL forward declaration

namespace mats::sign {

// Move-only bytes wiped on destruction; never printed.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view data);
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // Reads a small file (at most 1 MiB) directly into secret storage.
  static Result<SecretBytes> ReadFile(const std::string& path);

  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  std::string_view view() const { return AsChars(data_); }

 private:
  void Wipe();
  Bytes data_;
};

enum class Curve : uint8_t { kP256, kP384, kP521 };
std::string_view CurveName(Curve c);  // "P-256", ...
Result<Curve> ParseCurve(std::string_view name);

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

class PublicKey {
 public:
  // PEM "PUBLIC KEY" (SPKI). kUnsupported for non-EC keys or other curves.
  static Result<PublicKey> FromPem(std::string_view pem);
  static Result<PublicKey> FromSpkiDer(ByteSpan der);
  // Takes ownership of an EVP_PKEY (an X.509 leaf's key, say).
  static Result<PublicKey> FromPkey(PkeyPtr key);

  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  Curve curve() const { return curve_; }
  // The canonical PEM (PEM_write_bio_PUBKEY): 64-column base64, "\n" ends.
  std::string Pem() const;
  Bytes SpkiDer() const;
  // OMS key hint: lowercase hex SHA-256 of Pem().
  std::string Hint() const;
  // ECDSA (DER signature) over `message` with the curve's hash.
  // kVerificationFailed on a bad signature.
  Status Verify(ByteSpan message, ByteSpan signature) const;
  EVP_PKEY* raw() const { return key_.get(); }

 private:
  friend class PrivateKey;
  PublicKey(PkeyPtr key, Curve c) : key_(std::move(key)), curve_(c) {}
  PkeyPtr key_;
  Curve curve_;
};

class PrivateKey {
 public:
  // PEM private key (PKCS#8, SEC1 "EC PRIVATE KEY", or encrypted PKCS#8).
  // An encrypted key without a password, or a wrong password, is
  // kInvalidArgument; non-EC keys are kUnsupported.
  static Result<PrivateKey> FromPem(const SecretBytes& pem,
                                    const SecretBytes& password);
  static Result<PrivateKey> Generate(Curve c);

  PrivateKey(PrivateKey&&) noexcept = default;
  PrivateKey& operator=(PrivateKey&&) noexcept = default;

  Curve curve() const { return curve_; }
  PublicKey public_key() const;
  // DER ECDSA signature over `message` with the curve's hash.
  Result<Bytes> Sign(ByteSpan message) const;
  // PKCS#8 PEM, encrypted with AES-256-CBC when `password` is not empty.
  Result<SecretBytes> ToPem(const SecretBytes& password) const;
  EVP_PKEY* raw() const { return key_.get(); }

 private:
  PrivateKey(PkeyPtr key, Curve c) : key_(std::move(key)), curve_(c) {}
  PkeyPtr key_;
  Curve curve_;
};

}  // namespace mats::sign

#endif  // MATS_SIGN_KEYS_H_
