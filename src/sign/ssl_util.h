// unique_ptr deleters for OpenSSL handles used by the sign module, and the
// OpenSSL error queue as text.
#ifndef MATS_SIGN_SSL_UTIL_H_
#define MATS_SIGN_SSL_UTIL_H_

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstdint>
#include <memory>
#include <string>

#include "mats/core/bytes.h"
#include "mats/core/result.h"

namespace mats::sign::internal {

template <auto Fn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Fn(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// One DER certificate, with nothing after it. kMalformed otherwise.
Result<X509Ptr> ParseDer(ByteSpan der);
// Seconds since the epoch; 0 for a missing or unreadable time.
int64_t AsnTime(const ASN1_TIME* t);

// Drains the OpenSSL error queue into "reason; reason" (never key bytes).
inline std::string SslErrors() {
  std::string out;
  unsigned long e = 0;  // NOLINT(google-runtime-int): OpenSSL API type
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown openssl error" : out;
}

}  // namespace mats::sign::internal

#endif  // MATS_SIGN_SSL_UTIL_H_
