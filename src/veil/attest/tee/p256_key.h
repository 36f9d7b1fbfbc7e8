// An in-memory ECDSA P-256 key for the simulated TEE (attestation key, PCK
// key, CA keys), via OpenSSL EVP. Signatures are r ‖ s (32 bytes each) over
// SHA-256(message), the form TDX quotes and Intel collateral use.
#pragma once

#include <openssl/types.h>

#include <array>

#include "veil/attest/tee/openssl_handles.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

class P256Key {
 public:
  // Aborts only if OpenSSL cannot generate a key at all (no usable RNG).
  static P256Key generate();

  // X ‖ Y (64 bytes), the encoding in a quote's attestation key field.
  const std::array<uint8_t, 64>& public_raw() const { return public_raw_; }
  // r ‖ s over SHA-256(message). Safe to call from several threads at once
  // (each call uses its own EVP_MD_CTX; the key is only read).
  Result<std::array<uint8_t, 64>> sign_raw(ByteView message) const;
  EVP_PKEY* pkey() const { return pkey_.get(); }

 private:
  explicit P256Key(EvpPkeyPtr pkey);
  EvpPkeyPtr pkey_;
  std::array<uint8_t, 64> public_raw_{};
};

}  // namespace veil::attest
