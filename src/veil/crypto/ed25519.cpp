#include "veil/crypto/ed25519.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "veil/crypto/random.h"
#include "veil/crypto/sodium_init.h"

namespace veil::crypto {

static_assert(crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_PUBLICKEYBYTES == 32 &&
              crypto_sign_BYTES == 64);

Ed25519Key Ed25519Key::generate() {
  std::array<uint8_t, 32> seed{};
  random_fill(seed);
  auto key = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return std::move(key).value();
}

Result<Ed25519Key> Ed25519Key::from_seed(ByteView seed32) {
  if (seed32.size() != crypto_sign_SEEDBYTES)
    return make_error("crypto.bad_key", "Ed25519 seed must be 32 bytes");
  detail::ensure_sodium();
  Ed25519Key key;
  crypto_sign_seed_keypair(key.public_key_.data(), key.secret_key_.data(), seed32.data());
  return key;
}

Ed25519Key::~Ed25519Key() { sodium_memzero(secret_key_.data(), secret_key_.size()); }

Ed25519Key::Ed25519Key(Ed25519Key&& other) noexcept
    : secret_key_(other.secret_key_), public_key_(other.public_key_) {
  sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
  other.public_key_.fill(0);
}

Ed25519Key& Ed25519Key::operator=(Ed25519Key&& other) noexcept {
  if (this != &other) {
    secret_key_ = other.secret_key_;
    public_key_ = other.public_key_;
    sodium_memzero(other.secret_key_.data(), other.secret_key_.size());
    other.public_key_.fill(0);
  }
  return *this;
}

std::array<uint8_t, 64> Ed25519Key::sign(ByteView message) const {
  std::array<uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret_key_.data());
  return sig;
}

std::array<uint8_t, 32> Ed25519Key::x25519_private() const {
  std::array<uint8_t, 32> out{};
  crypto_sign_ed25519_sk_to_curve25519(out.data(), secret_key_.data());
  return out;
}

std::array<uint8_t, 32> Ed25519Key::seed() const {
  std::array<uint8_t, 32> out{};
  std::memcpy(out.data(), secret_key_.data(), 32);  // libsodium sk = seed || pk
  return out;
}

bool ed25519_verify(ByteView public_key32, ByteView message, ByteView signature64) {
  if (public_key32.size() != crypto_sign_PUBLICKEYBYTES || signature64.size() != crypto_sign_BYTES)
    return false;
  detail::ensure_sodium();
  return crypto_sign_verify_detached(signature64.data(), message.data(), message.size(),
                                     public_key32.data()) == 0;
}

Result<std::array<uint8_t, 32>> ed25519_public_to_x25519(ByteView public_key32) {
  if (public_key32.size() != 32)
    return make_error("crypto.bad_public_key", "Ed25519 public key must be 32 bytes");
  detail::ensure_sodium();
  std::array<uint8_t, 32> out{};
  if (crypto_sign_ed25519_pk_to_curve25519(out.data(), public_key32.data()) != 0) {
    return make_error("crypto.bad_public_key", "Ed25519 public key is not a valid curve point");
  }
  return out;
}

}  // namespace veil::crypto
