// Signature bytes from the outside world: DER/raw ECDSA conversions, secp256k1
// DER verification, public-key recovery and EIP-191 hex parsing, AEAD open.
// None may crash; conversions that succeed must round-trip.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "veil/crypto/aead.h"
#include "veil/crypto/ecdsa.h"
#include "veil/crypto/ed25519.h"
#include "veil/crypto/secp256k1.h"

using namespace veil;
using namespace veil::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t selector = data[0];
  ByteView in(data + 1, size - 1);

  switch (selector % 6) {
    case 0: {  // DER -> raw -> DER must reproduce the (strict) input
      size_t scalar = (selector & 0x80) ? 48 : 32;
      auto raw = ecdsa_der_to_raw(in, scalar);
      if (raw.ok()) {
        if (raw->size() != 2 * scalar) std::abort();
        auto der = ecdsa_raw_to_der(*raw);
        if (!der.ok() || Bytes(in.begin(), in.end()) != *der) std::abort();
      }
      break;
    }
    case 1: {  // key (65) || message (16) || DER signature
      if (in.size() < 81) return 0;
      (void)secp256k1_verify_der_sha256(in.first(65), in.subspan(65, 16), in.subspan(81));
      (void)secp256k1_verify_der_sha256(in.first(33), in.subspan(65, 16), in.subspan(81));
      break;
    }
    case 2: {  // hash (32) || sig65
      if (in.size() < 32) return 0;
      Digest32 hash{};
      std::copy(in.begin(), in.begin() + 32, hash.begin());
      auto pub = secp256k1_recover(hash, in.subspan(32));
      (void)pub;
      break;
    }
    case 3: {  // EIP-191 signature hex text
      auto addr = eip191_recover_address("fuzz", as_chars(in));
      if (addr.ok() && addr->size() != 42) std::abort();
      break;
    }
    case 4: {  // P-256/P-384 verification with arbitrary key and signature bytes
      Curve curve = (selector & 0x80) ? Curve::p384 : Curve::p256;
      size_t key_len = 2 * curve_scalar_size(curve) + ((selector & 0x40) ? 1 : 0);
      if (in.size() < key_len) return 0;
      (void)ecdsa_verify_der(curve, in.first(key_len), in.first(8), in.subspan(key_len));
      (void)ecdsa_verify_raw(curve, in.first(key_len), in.first(8), in.subspan(key_len));
      (void)ed25519_verify(in.first(std::min<size_t>(32, in.size())), in, in.subspan(key_len));
      break;
    }
    case 5: {  // AEAD open of arbitrary ciphertexts under a fixed key
      static const Bytes key(32, 0x42);
      if (in.size() < 24) return 0;
      (void)aes_gcm_open(key, in.first(12), {}, in.subspan(24));
      // Nonces over 128 bytes take the SP 800-38D construction of our own.
      if (in.size() > 200) (void)aes_gcm_open(key, in.first(160), in.subspan(160, 8), in.subspan(168));
      (void)chacha20poly1305_open(key, in.first(12), {}, in.subspan(24));
      (void)xchacha20poly1305_open(key, in.first(24), {}, in.subspan(24));
      break;
    }
  }
  return 0;
}
