// Ed25519 signatures (RFC 8032) via libsodium.
#pragma once

#include <array>
#include <cstdint>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

// An Ed25519 signing key (seed and libsodium's expanded secret key), zeroed on
// destruction. Movable, non-copyable; a moved-from key must not be used.
class Ed25519Key {
 public:
  static Ed25519Key generate();
  // seed32: the RFC 8032 32-byte private key. Error "crypto.bad_key" if not 32 bytes.
  static Result<Ed25519Key> from_seed(ByteView seed32);

  ~Ed25519Key();
  Ed25519Key(Ed25519Key&& other) noexcept;
  Ed25519Key& operator=(Ed25519Key&& other) noexcept;
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;

  const std::array<uint8_t, 32>& public_key() const { return public_key_; }
  // Deterministic RFC 8032 signature over message.
  std::array<uint8_t, 64> sign(ByteView message) const;
  // The matching X25519 private key: clamped SHA-512(seed)[0..32]
  // (crypto_sign_ed25519_sk_to_curve25519). For E2EE only.
  std::array<uint8_t, 32> x25519_private() const;
  // The 32-byte seed, for sealed persistence only; never log it.
  std::array<uint8_t, 32> seed() const;

 private:
  Ed25519Key() = default;
  std::array<uint8_t, 64> secret_key_{};  // libsodium layout: seed || public key
  std::array<uint8_t, 32> public_key_{};
};

// RFC 8032 verification (libsodium: canonical S required, small-order and
// non-canonical public keys rejected). Wrong sizes return false.
bool ed25519_verify(ByteView public_key32, ByteView message, ByteView signature64);

// Birational map of an Ed25519 public key to its X25519 (Montgomery u) form.
// Error "crypto.bad_public_key" for wrong size, invalid or small-order points.
Result<std::array<uint8_t, 32>> ed25519_public_to_x25519(ByteView public_key32);

}  // namespace veil::crypto
