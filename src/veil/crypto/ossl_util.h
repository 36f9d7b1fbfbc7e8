// Internal: RAII owners for OpenSSL objects used across crypto/*.cpp, and
// helpers that read OpenSSL memory BIOs. Not a public header.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

namespace veil::crypto::detail {

struct OsslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(X509* p) const { X509_free(p); }
};

template <typename T>
using Owned = std::unique_ptr<T, OsslFree>;

// A read-only memory BIO over text (the view must outlive the BIO).
inline Owned<BIO> memory_bio(std::string_view text) {
  return Owned<BIO>(BIO_new_mem_buf(text.data(), int(text.size())));
}

// Everything written to a memory BIO, as a string.
inline std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, size_t(len)) : std::string();
}

// PEM password callback that refuses: an encrypted key is an error, never a
// prompt on the terminal.
inline int no_password(char*, int, int, void*) { return 0; }

}  // namespace veil::crypto::detail
