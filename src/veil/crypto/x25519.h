// X25519 Diffie-Hellman (RFC 7748) via libsodium.
#pragma once

#include <array>
#include <cstdint>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

// The shared secret X25519(private32, public32). Errors: "crypto.bad_key"
// for wrong sizes, "crypto.zero_shared_secret" when the result is all zero
// (low-order peer point, RFC 7748 §6.1).
Result<std::array<uint8_t, 32>> x25519(ByteView private32, ByteView public32);

// X25519(private32, 9). REQUIRES: private32.size() == 32 (aborts otherwise).
std::array<uint8_t, 32> x25519_public(ByteView private32);

// A fresh random X25519 private key.
std::array<uint8_t, 32> x25519_generate_private();

}  // namespace veil::crypto
