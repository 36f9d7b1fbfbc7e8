// secp256k1 keys for Ethereum-style signing (EIP-191 personal_sign, WIRE.md §4)
// and the NEAR E2EE ECIES scheme (WIRE.md §5). Backed by libsecp256k1.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"
#include "veil/crypto/hash.h"

namespace veil::crypto {

// A secp256k1 private key with its cached public key. The private scalar is
// zeroed on destruction. Movable, non-copyable (a moved-from key is empty:
// all-zero, and must not be used).
class Secp256k1Key {
 public:
  // A fresh random key.
  static Secp256k1Key generate();
  // key32: a big-endian scalar in [1, n-1]. Error "crypto.bad_key" otherwise.
  static Result<Secp256k1Key> from_private(ByteView key32);

  ~Secp256k1Key();
  Secp256k1Key(Secp256k1Key&& other) noexcept;
  Secp256k1Key& operator=(Secp256k1Key&& other) noexcept;
  Secp256k1Key(const Secp256k1Key&) = delete;
  Secp256k1Key& operator=(const Secp256k1Key&) = delete;

  // Uncompressed public key without the 0x04 prefix: X || Y, big-endian.
  const std::array<uint8_t, 64>& public_xy() const { return public_xy_; }
  // 0x04 || X || Y (SEC1 uncompressed).
  std::array<uint8_t, 65> public_uncompressed() const;
  // "0x" + lowercase hex of keccak256(X||Y)[12..32].
  std::string address() const;
  std::array<uint8_t, 20> address_bytes() const;

  // ECDSA over a 32-byte hash: r || s || v with v = 27 + recovery id.
  // Deterministic nonce (RFC 6979), s normalised to the lower half.
  std::array<uint8_t, 65> sign_recoverable(const Digest32& hash) const;

  // ECDH: the raw X coordinate of private * peer (NOT hashed), as the NEAR
  // E2EE scheme needs. peer_public: 64 bytes X||Y or 65 bytes 04||X||Y
  // (33-byte compressed also accepted). Error "crypto.bad_public_key".
  Result<std::array<uint8_t, 32>> ecdh_shared_x(ByteView peer_public) const;

  // The private scalar, big-endian. Only for E2EE key derivation and sealed
  // persistence; never log it.
  std::array<uint8_t, 32> private_bytes() const;

 private:
  Secp256k1Key() = default;
  std::array<uint8_t, 32> private_{};
  std::array<uint8_t, 64> public_xy_{};
};

// keccak256("\x19Ethereum Signed Message:\n" + decimal(len(message)) + message).
Digest32 eip191_hash(std::string_view message);

// personal_sign: "0x" + 130 lowercase hex chars (r || s || v, v = 27/28).
std::string eip191_sign(const Secp256k1Key& key, std::string_view text);

// Public key X||Y that produced sig65 = r || s || v over hash. v may be 27/28
// or 0/1. High-s signatures are rejected (EIP-2). Error "crypto.bad_signature".
Result<std::array<uint8_t, 64>> secp256k1_recover(const Digest32& hash, ByteView sig65);

// "0x" + lowercase hex of keccak256(X||Y)[12..32].
std::string eth_address(const std::array<uint8_t, 64>& public_xy);
std::array<uint8_t, 20> eth_address_bytes(const std::array<uint8_t, 64>& public_xy);

// Recovers the signer of an EIP-191 personal_sign signature. signature_hex:
// 130 hex chars with or without "0x", either case. Returns "0x" + lowercase
// address. Error "crypto.bad_signature".
Result<std::string> eip191_recover_address(std::string_view text, std::string_view signature_hex);

// Verifies an ECDSA secp256k1 signature over SHA-256(message).
// public_key: SEC1, 33 (compressed) or 65 (uncompressed) bytes.
// der_signature: strict DER (BIP 66 style; trailing bytes, BER lengths and
// non-minimal integers are rejected). High-s signatures are REJECTED, like
// Bitcoin/Ethereum (Wycheproof ecdsa_secp256k1_sha256_bitcoin: its "valid"
// vectors are all low-s; high-s ones are "invalid").
bool secp256k1_verify_der_sha256(ByteView public_key, ByteView message, ByteView der_signature);

}  // namespace veil::crypto
