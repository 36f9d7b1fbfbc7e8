// Thin OpenSSL 3 helpers for the DCAP verifier: owning pointers, PEM/DER
// parsing, chain verification to one pinned root at a given time with CRLs,
// and ECDSA P-256 verification of raw r ‖ s signatures.
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::dcap {

struct X509Free {
  void operator()(X509* p) const;
};
struct X509CrlFree {
  void operator()(X509_CRL* p) const;
};
struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const;
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using X509CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// Every certificate of a PEM bundle, in order. Text outside the
// BEGIN/END CERTIFICATE blocks is ignored. Error "x509.bad_pem" when no
// certificate is found or one does not parse.
Result<std::vector<X509Ptr>> parse_pem_chain(std::string_view pem);
// Moves the end-entity certificate (the one that issued none of the others)
// to the front; issuer chains are not always sent leaf first.
void put_leaf_first(std::vector<X509Ptr>& chain);
// One certificate, DER or PEM. Error "x509.bad_cert".
Result<X509Ptr> parse_cert(ByteView der_or_pem);
// A CRL, DER or PEM. Error "x509.bad_crl".
Result<X509CrlPtr> parse_crl(ByteView der_or_pem);

Bytes cert_der(X509* cert);
std::string subject_cn(X509* cert);

// Verifies `leaf` through `intermediates` (untrusted) to exactly `root` at
// Unix time `now`: signatures, validity periods, CA constraints. When `crls`
// is non-empty every certificate of the chain must be covered by a CRL of
// its issuer that is valid at `now`, correctly signed, and does not list it.
// Errors "x509.chain" with OpenSSL's reason and the failing depth.
Status verify_chain(X509* leaf, const std::vector<X509*>& intermediates, X509* root,
                    const std::vector<X509_CRL*>& crls, int64_t now);

// The certificate's public key when it is an EC P-256 key; else error
// "x509.bad_key".
Result<EVP_PKEY*> p256_public_key(X509* cert);
// P-256 key from raw X ‖ Y (64 bytes). Error "x509.bad_key".
Result<EvpPkeyPtr> p256_key_from_raw(ByteView xy);
// ECDSA-SHA256 over `message` with a raw r ‖ s (64-byte) signature.
bool verify_p256_sha256(EVP_PKEY* key, ByteView message, ByteView raw_rs);

// Parsed certificates and CRLs are cached by the SHA-256 of their encoding
// (parsing is a pure function of the bytes). Drops the cache (benchmarks of
// the cold path, tests).
void clear_parse_caches();

// Unix seconds of an ASN1_TIME (UTCTime or GeneralizedTime).
int64_t asn1_time_to_unix(const ASN1_TIME* t);

}  // namespace veil::attest::dcap
