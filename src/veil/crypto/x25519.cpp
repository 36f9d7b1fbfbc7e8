#include "veil/crypto/x25519.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

#include "veil/crypto/random.h"
#include "veil/crypto/sodium_init.h"

namespace veil::crypto {

Result<std::array<uint8_t, 32>> x25519(ByteView private32, ByteView public32) {
  if (private32.size() != 32 || public32.size() != 32) {
    return make_error("crypto.bad_key", "X25519 keys must be 32 bytes");
  }
  detail::ensure_sodium();
  std::array<uint8_t, 32> shared{};
  // libsodium returns -1 exactly when the output is all zero (low-order peer).
  if (crypto_scalarmult(shared.data(), private32.data(), public32.data()) != 0) {
    sodium_memzero(shared.data(), shared.size());
    return make_error("crypto.zero_shared_secret", "X25519 produced the all-zero shared secret");
  }
  return shared;
}

std::array<uint8_t, 32> x25519_public(ByteView private32) {
  if (private32.size() != 32) {
    std::fputs("veil: x25519_public requires a 32-byte private key\n", stderr);
    std::abort();
  }
  detail::ensure_sodium();
  std::array<uint8_t, 32> pub{};
  crypto_scalarmult_base(pub.data(), private32.data());
  return pub;
}

std::array<uint8_t, 32> x25519_generate_private() {
  std::array<uint8_t, 32> sk{};
  random_fill(sk);
  return sk;
}

}  // namespace veil::crypto
