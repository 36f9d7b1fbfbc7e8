// Owning handles for the OpenSSL objects the simulated PKI builds.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace veil::attest {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct X509CrlFree {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;

}  // namespace veil::attest
