#include "mats/sign/x509.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "mats/core/encoding.h"
#include "sign/ssl_util.h"

namespace mats::sign {

using internal::BioPtr;
using internal::SslErrors;
using internal::X509Ptr;
using internal::X509StackPtr;
using internal::X509StoreCtxPtr;
using internal::X509StorePtr;

namespace internal {

Result<X509Ptr> ParseDer(ByteSpan der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));  // NOLINT
  if (!cert || p != der.data() + der.size()) {
    ERR_clear_error();
    return Malformed(0, "x509: not a DER certificate");
  }
  return cert;
}

int64_t AsnTime(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace internal

using internal::AsnTime;
using internal::ParseDer;

namespace {

Bytes ToDer(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  Bytes out(static_cast<size_t>(n > 0 ? n : 0));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::string NameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(n));
}

std::string Asn1Text(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),  // NOLINT
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

}  // namespace

Result<std::vector<Bytes>> LoadCertificatesPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::vector<Bytes> out;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (out.size() >= 64) return LimitExceeded("x509: more than 64 certificates");
    out.push_back(ToDer(cert.get()));
  }
  unsigned long err = ERR_peek_last_error();  // NOLINT(google-runtime-int)
  ERR_clear_error();
  if (out.empty()) return Malformed(0, "x509: no PEM CERTIFICATE block found");
  if (err != 0 && ERR_GET_REASON(err) != PEM_R_NO_START_LINE)
    return Malformed(0, "x509: a PEM certificate does not parse");
  return out;
}

std::string CertificatesToPem(const std::vector<Bytes>& der) {
  std::string out;
  for (const Bytes& d : der) {
    auto cert = ParseDer(d);
    if (!cert.ok()) continue;
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert->get());
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
    out.append(data, static_cast<size_t>(n));
  }
  return out;
}

Result<CertificateInfo> ReadCertificateInfo(ByteSpan der) {
  MATS_ASSIGN_OR_RETURN(X509Ptr cert, ParseDer(der));
  CertificateInfo info;
  info.subject = NameText(X509_get_subject_name(cert.get()));
  info.issuer = NameText(X509_get_issuer_name(cert.get()));
  info.not_before = AsnTime(X509_get0_notBefore(cert.get()));
  info.not_after = AsnTime(X509_get0_notAfter(cert.get()));
  uint32_t ku = X509_get_key_usage(cert.get());
  info.digital_signature = ku == UINT32_MAX || (ku & KU_DIGITAL_SIGNATURE) != 0;
  uint32_t xku = X509_get_extended_key_usage(cert.get());
  info.code_signing = xku != UINT32_MAX && (xku & XKU_CODE_SIGN) != 0;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_EMAIL || gn->type == GEN_URI || gn->type == GEN_DNS)
        info.sans.push_back(Asn1Text(gn->d.ia5));
    }
    GENERAL_NAMES_free(names);
  }
  // Sigstore OIDC issuer: .1.8 is a DER UTF8String, legacy .1.1 raw bytes.
  for (const char* oid : {"1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.1"}) {
    if (!info.oidc_issuer.empty()) break;
    ASN1_OBJECT* obj = OBJ_txt2obj(oid, 1);
    int idx = X509_get_ext_by_OBJ(cert.get(), obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0) continue;
    const ASN1_OCTET_STRING* v = X509_EXTENSION_get_data(X509_get_ext(cert.get(), idx));
    const unsigned char* p = ASN1_STRING_get0_data(v);
    long len = ASN1_STRING_length(v);  // NOLINT(google-runtime-int)
    if (std::string_view(oid).ends_with(".8")) {
      ASN1_UTF8STRING* s = d2i_ASN1_UTF8STRING(nullptr, &p, len);
      if (s != nullptr) {
        info.oidc_issuer = Asn1Text(s);
        ASN1_UTF8STRING_free(s);
      }
      ERR_clear_error();
    } else {
      info.oidc_issuer.assign(reinterpret_cast<const char*>(p),  // NOLINT
                              static_cast<size_t>(len));
    }
  }
  return info;
}

Result<PublicKey> CertificatePublicKey(ByteSpan der) {
  MATS_ASSIGN_OR_RETURN(X509Ptr cert, ParseDer(der));
  PkeyPtr key(X509_get_pubkey(cert.get()));
  return PublicKey::FromPkey(std::move(key));
}

Status VerifyCertificateChain(const std::vector<Bytes>& chain,
                              const std::vector<Bytes>& anchors, std::optional<int64_t> at) {
  if (chain.empty()) return InvalidArgument("x509: empty certificate chain");
  if (anchors.empty())
    return InvalidArgument("x509: no trust anchors given (--certificate-chain)");
  MATS_ASSIGN_OR_RETURN(X509Ptr leaf, ParseDer(chain[0]));
  X509StorePtr store(X509_STORE_new());
  for (const Bytes& a : anchors) {
    MATS_ASSIGN_OR_RETURN(X509Ptr root, ParseDer(a));
    X509_STORE_add_cert(store.get(), root.get());
  }
  X509StackPtr untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) {
    MATS_ASSIGN_OR_RETURN(X509Ptr c, ParseDer(chain[i]));
    sk_X509_push(untrusted.get(), c.release());
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1)
    return Internal("x509: X509_STORE_CTX_init: {}", SslErrors());
  int64_t when = at.has_value() ? *at : AsnTime(X509_get0_notBefore(leaf.get()));
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(when));
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    std::string subject = NameText(X509_get_subject_name(leaf.get()));
    return VerificationFailed("untrusted certificate: {}{}", X509_verify_cert_error_string(err),
                              subject.empty() ? std::string(" (empty subject)")
                                              : " (subject " + EscapePreview(subject, 128) + ")");
  }
  MATS_ASSIGN_OR_RETURN(CertificateInfo info, ReadCertificateInfo(chain[0]));
  if (!info.digital_signature && !info.code_signing)
    return VerificationFailed(
        "untrusted certificate: the leaf allows neither digitalSignature nor codeSigning");
  return Status::Ok();
}

}  // namespace mats::sign
