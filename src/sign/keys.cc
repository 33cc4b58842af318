#include "mats/sign/keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <cstring>

#include "mats/core/encoding.h"
#include "mats/core/mapped_file.h"
#include "sign/ssl_util.h"

namespace mats::sign {

using internal::BioPtr;
using internal::MdCtxPtr;
using internal::PkeyCtxPtr;
using internal::SslErrors;

SecretBytes::SecretBytes(std::string_view data) : data_(data.begin(), data.end()) {}
SecretBytes::SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) {
  other.data_.clear();
}
SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = std::move(other.data_);
    other.data_.clear();
  }
  return *this;
}
SecretBytes::~SecretBytes() { Wipe(); }
void SecretBytes::Wipe() {
  if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
  data_.clear();
}

Result<SecretBytes> SecretBytes::ReadFile(const std::string& path) {
  MATS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 1u << 20));
  SecretBytes out(text);
  OPENSSL_cleanse(text.data(), text.size());
  return out;
}

void PkeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

std::string_view CurveName(Curve c) {
  switch (c) {
    case Curve::kP256: return "P-256";
    case Curve::kP384: return "P-384";
    case Curve::kP521: return "P-521";
  }
  return "?";
}

Result<Curve> ParseCurve(std::string_view name) {
  if (name == "P-256" || name == "p256" || name == "prime256v1" || name == "secp256r1")
    return Curve::kP256;
  if (name == "P-384" || name == "p384" || name == "secp384r1") return Curve::kP384;
  if (name == "P-521" || name == "p521" || name == "secp521r1") return Curve::kP521;
  return InvalidArgument("sign: unknown curve \"{}\": want P-256, P-384 or P-521",
                         EscapePreview(name));
}

namespace {

const char* CurveGroup(Curve c) {
  switch (c) {
    case Curve::kP256: return "P-256";
    case Curve::kP384: return "P-384";
    case Curve::kP521: return "P-521";
  }
  return "";
}

const EVP_MD* CurveMd(Curve c) {
  switch (c) {
    case Curve::kP256: return EVP_sha256();
    case Curve::kP384: return EVP_sha384();
    case Curve::kP521: return EVP_sha512();
  }
  return EVP_sha256();
}

Result<Curve> CurveOf(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
    return Unsupported("sign: key type {} is not supported: want an EC key (P-256, P-384, P-521)",
                       EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
  char name[64] = {};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name),
                                     &len) != 1)
    return Unsupported("sign: EC key without a named curve");
  int nid = OBJ_sn2nid(name);
  if (nid == NID_undef) nid = EC_curve_nist2nid(name);
  if (nid == NID_X9_62_prime256v1) return Curve::kP256;
  if (nid == NID_secp384r1) return Curve::kP384;
  if (nid == NID_secp521r1) return Curve::kP521;
  return Unsupported("sign: EC curve {} is not supported: want P-256, P-384 or P-521",
                     EscapePreview(name));
}

}  // namespace

Result<PublicKey> PublicKey::FromPkey(PkeyPtr key) {
  if (!key) return InvalidArgument("sign: no public key");
  MATS_ASSIGN_OR_RETURN(Curve c, CurveOf(key.get()));
  return PublicKey(std::move(key), c);
}

Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    return Malformed(0, "sign: not a PEM public key (want \"-----BEGIN PUBLIC KEY-----\")");
  }
  return FromPkey(std::move(key));
}

Result<PublicKey> PublicKey::FromSpkiDer(ByteSpan der) {
  const unsigned char* p = der.data();
  PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (!key || p != der.data() + der.size()) {
    ERR_clear_error();
    return Malformed(0, "sign: not a DER SubjectPublicKeyInfo");
  }
  return FromPkey(std::move(key));
}

std::string PublicKey::Pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key_.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(n));
}

Bytes PublicKey::SpkiDer() const {
  int n = i2d_PUBKEY(key_.get(), nullptr);
  Bytes out(static_cast<size_t>(n > 0 ? n : 0));
  unsigned char* p = out.data();
  i2d_PUBKEY(key_.get(), &p);
  return out;
}

std::string PublicKey::Hint() const {
  std::string pem = Pem();
  uint8_t d[32];
  unsigned int len = 0;
  EVP_Digest(pem.data(), pem.size(), d, &len, EVP_sha256(), nullptr);
  return HexEncode({d, 32});
}

Status PublicKey::Verify(ByteSpan message, ByteSpan signature) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, CurveMd(curve_), nullptr,
                                   key_.get()) != 1) {
    return Internal("sign: EVP_DigestVerifyInit failed: {}", SslErrors());
  }
  int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), message.data(),
                            message.size());
  ERR_clear_error();
  if (rc != 1)
    return VerificationFailed("sign: bad signature: ECDSA {} with {} does not verify",
                              CurveName(curve_), EVP_MD_get0_name(CurveMd(curve_)));
  return Status::Ok();
}

namespace {
struct PasswordCb {
  const SecretBytes* password;
  bool asked = false;
};
int PemPassword(char* buf, int size, int /*rwflag*/, void* u) {
  auto* cb = static_cast<PasswordCb*>(u);
  cb->asked = true;
  if (cb->password->empty() || cb->password->size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, cb->password->data(), cb->password->size());
  return static_cast<int>(cb->password->size());
}
}  // namespace

Result<PrivateKey> PrivateKey::FromPem(const SecretBytes& pem, const SecretBytes& password) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PasswordCb cb{&password};
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, PemPassword, &cb));
  ERR_clear_error();
  if (!key) {
    if (cb.asked && password.empty())
      return InvalidArgument("sign: the private key is encrypted; give --password");
    if (cb.asked) return InvalidArgument("sign: wrong password for the private key");
    return Malformed(0, "sign: not a PEM private key");
  }
  MATS_ASSIGN_OR_RETURN(Curve c, CurveOf(key.get()));
  return PrivateKey(std::move(key), c);
}

Result<PrivateKey> PrivateKey::Generate(Curve c) {
  PkeyPtr key(EVP_EC_gen(CurveGroup(c)));
  if (!key) return Internal("sign: key generation failed: {}", SslErrors());
  return PrivateKey(std::move(key), c);
}

PublicKey PrivateKey::public_key() const {
  // Round-trip through SPKI so the PublicKey holds no private scalar.
  Bytes der;
  int n = i2d_PUBKEY(key_.get(), nullptr);
  der.resize(static_cast<size_t>(n));
  unsigned char* p = der.data();
  i2d_PUBKEY(key_.get(), &p);
  const unsigned char* q = der.data();
  PkeyPtr pub(d2i_PUBKEY(nullptr, &q, static_cast<long>(der.size())));  // NOLINT
  return PublicKey(std::move(pub), curve_);
}

Result<Bytes> PrivateKey::Sign(ByteSpan message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, CurveMd(curve_), nullptr,
                                 key_.get()) != 1)
    return Internal("sign: EVP_DigestSignInit failed: {}", SslErrors());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    return Internal("sign: EVP_DigestSign failed: {}", SslErrors());
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1)
    return Internal("sign: EVP_DigestSign failed: {}", SslErrors());
  sig.resize(len);
  return sig;
}

Result<SecretBytes> PrivateKey::ToPem(const SecretBytes& password) const {
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio) bio.reset(BIO_new(BIO_s_mem()));
  int ok = password.empty()
               ? PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0,
                                               nullptr, nullptr)
               : PEM_write_bio_PKCS8PrivateKey(
                     bio.get(), key_.get(), EVP_aes_256_cbc(),
                     reinterpret_cast<const char*>(password.data()),  // NOLINT: OpenSSL API
                     static_cast<int>(password.size()), nullptr, nullptr);
  if (ok != 1) return Internal("sign: cannot encode the private key: {}", SslErrors());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  SecretBytes out(std::string_view(data, static_cast<size_t>(n)));
  OPENSSL_cleanse(data, static_cast<size_t>(n));
  return out;
}

}  // namespace mats::sign
