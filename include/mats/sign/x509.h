// X.509 helpers for certificate-mode OMS signatures: loading PEM chains,
// validating a chain against trust anchors (OpenSSL X509_STORE) and reading
// the identity (subject, SANs, Sigstore OIDC issuer extension) of a leaf.
//
//   MATS_ASSIGN_OR_RETURN(auto roots, LoadCertificatesPem(text));
//   MATS_RETURN_IF_ERROR(VerifyCertificateChain(bundle_certs, roots, {}));
//   MATS_ASSIGN_OR_RETURN(CertificateInfo info, ReadCertificateInfo(leaf));
#ifndef MATS_SIGN_X509_H_
#define MATS_SIGN_X509_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mats/core/bytes.h"
#include "mats/core/result.h"
#include "mats/sign/keys.h"

namespace mats::sign {

// All "CERTIFICATE" blocks of a PEM text, as DER, in order. kMalformed if
// there is none or one does not parse; at most 64.
Result<std::vector<Bytes>> LoadCertificatesPem(std::string_view pem);
std::string CertificatesToPem(const std::vector<Bytes>& der);

struct CertificateInfo {
  std::string subject;               // RFC 2253
  std::string issuer;                // RFC 2253
  std::vector<std::string> sans;     // email, URI and DNS names, as text
  std::string oidc_issuer;           // 1.3.6.1.4.1.57264.1.8 (or legacy .1.1)
  int64_t not_before = 0;            // seconds since the epoch
  int64_t not_after = 0;
  bool digital_signature = false;    // keyUsage digitalSignature
  bool code_signing = false;         // extendedKeyUsage codeSigning
};
Result<CertificateInfo> ReadCertificateInfo(ByteSpan der);
Result<PublicKey> CertificatePublicKey(ByteSpan der);

// Validates chain[0] (the leaf) up to one of `anchors`, with chain[1..] as
// untrusted intermediates, at time `at` (seconds since the epoch; the
// leaf's notBefore when empty). Requires the leaf to allow
// digitalSignature or codeSigning. kVerificationFailed ("untrusted
// certificate: ...") on failure.
Status VerifyCertificateChain(const std::vector<Bytes>& chain,
                              const std::vector<Bytes>& anchors,
                              std::optional<int64_t> at);

}  // namespace mats::sign

#endif  // MATS_SIGN_X509_H_
