// ECDSA over NIST P-256 (TDX quotes, TLS) and P-384 (NVIDIA attestation) via
// OpenSSL EVP. "raw" signatures are r || s, each left-padded to the curve's
// scalar size (32 or 48 bytes); "raw" public keys are X || Y (64 or 96 bytes).
#pragma once

#include <openssl/types.h>  // EVP_PKEY forward declaration only

#include <cstddef>
#include <string>
#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

enum class Curve { p256, p384 };

// Scalar / coordinate size in bytes: 32 (p256) or 48 (p384).
size_t curve_scalar_size(Curve curve);

// An ECDSA private key. OpenSSL cleanses the scalar when the key is freed.
// Movable, non-copyable; a moved-from key must not be used.
class EcdsaKey {
 public:
  static EcdsaKey generate(Curve curve);
  // PKCS#8 or traditional EC PEM of a P-256/P-384 key. Errors
  // "crypto.bad_key" (unparsable, not EC, or another curve).
  static Result<EcdsaKey> from_private_pem(std::string_view pem);

  ~EcdsaKey();
  EcdsaKey(EcdsaKey&& other) noexcept;
  EcdsaKey& operator=(EcdsaKey&& other) noexcept;
  EcdsaKey(const EcdsaKey&) = delete;
  EcdsaKey& operator=(const EcdsaKey&) = delete;

  Curve curve() const { return curve_; }
  // X || Y, 64 or 96 bytes.
  Bytes public_raw() const;
  // Signs SHA-256(message) (p256) or SHA-384(message) (p384); returns r || s.
  Bytes sign_raw(ByteView message) const;
  // Same, DER-encoded ECDSA-Sig-Value.
  Bytes sign_der(ByteView message) const;
  // Non-owning; valid while this key lives. For X.509 building.
  EVP_PKEY* pkey() const { return pkey_; }
  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Secret: never log it.
  std::string private_pem() const;

 private:
  EcdsaKey(EVP_PKEY* pkey, Curve curve) : pkey_(pkey), curve_(curve) {}
  EVP_PKEY* pkey_ = nullptr;
  Curve curve_ = Curve::p256;
};

// Verifies r || s over message hashed with the curve's hash (SHA-256 for p256,
// SHA-384 for p384). public_raw: X||Y or 04||X||Y. Any malformed input
// (wrong sizes, point not on the curve, r or s out of range) returns false.
bool ecdsa_verify_raw(Curve curve, ByteView public_raw, ByteView message, ByteView sig_rs);
// Same with a DER ECDSA-Sig-Value signature (strict DER).
bool ecdsa_verify_der(Curve curve, ByteView public_raw, ByteView message, ByteView der_sig);
// Verifies r || s over an already computed digest (any length; used as is).
bool ecdsa_verify_digest_raw(Curve curve, ByteView public_raw, ByteView digest, ByteView sig_rs);

// DER ECDSA-Sig-Value -> r || s, each left-padded to scalar_len. Error
// "crypto.bad_signature" for malformed DER or integers wider than scalar_len.
Result<Bytes> ecdsa_der_to_raw(ByteView der, size_t scalar_len);
// r || s (even length, halves equal) -> DER. Error "crypto.bad_signature".
Result<Bytes> ecdsa_raw_to_der(ByteView raw);

}  // namespace veil::crypto
