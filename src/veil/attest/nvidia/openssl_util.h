// Small OpenSSL 3 helpers shared by the NVIDIA verifier and the simulated GPU:
// owning pointers, PEM chains, raw (r || s) ECDSA signatures.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using UniqueX509 = std::unique_ptr<X509, X509Free>;
using UniquePkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// Every CERTIFICATE block of a PEM text, in order. Errors "x509.bad_pem" when
// there is none or a block does not parse.
Result<std::vector<UniqueX509>> parse_pem_chain(std::string_view pem);
Result<UniqueX509> parse_der_certificate(ByteView der);
std::string to_pem(X509* cert);
Bytes to_der(X509* cert);
// SHA-256 of the DER encoding.
Bytes sha256_fingerprint(X509* cert);

// r || s (each half the size) -> DER ECDSA-Sig-Value (RFC 3279 2.2.3), and back.
Result<Bytes> raw_signature_to_der(ByteView rs);
Result<Bytes> der_signature_to_raw(ByteView der, size_t scalar_size);

// Verifies a raw ECDSA signature over `message` with digest `md` (e.g.
// EVP_sha384()). False on any failure, including a key of another type.
bool ecdsa_verify_raw(EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature_rs);

// The curve scalar size of an EC key (48 for P-384), or 0 when not EC.
size_t ec_scalar_size(EVP_PKEY* key);

// Verifies chain[0] (the leaf) up to `root` with the other certificates as
// untrusted intermediates, validity judged at `now`. Errors "x509.chain" with
// OpenSSL's reason and the failing depth.
Status verify_chain_to_root(const std::vector<UniqueX509>& chain, X509* root, int64_t now);

}  // namespace veil::attest::nvidia
