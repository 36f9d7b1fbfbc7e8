// Authenticated encryption. Every seal returns ciphertext || 16-byte tag and
// every open takes the same layout. A failed tag check is the error
// "crypto.auth_failed" and releases no plaintext. Wrong key/nonce sizes are
// "crypto.bad_key" / "crypto.bad_nonce"; a too-short input is
// "crypto.auth_failed" too (it cannot authenticate).
#pragma once

#include <cstddef>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

inline constexpr size_t kAeadTagSize = 16;

// AES-GCM (NIST SP 800-38D) via OpenSSL. key: 16, 24 or 32 bytes.
// nonce: any length >= 1 (12 is the standard; other lengths go through
// GHASH, SP 800-38D §7.1). Nonces over 128 bytes, which OpenSSL's GCM does
// not take, are handled by an SP 800-38D construction of our own.
Result<Bytes> aes_gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
Result<Bytes> aes_gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag);

// ChaCha20-Poly1305, IETF variant (RFC 8439): 32-byte key, 12-byte nonce.
Result<Bytes> chacha20poly1305_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
Result<Bytes> chacha20poly1305_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag);

// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) via libsodium: 32-byte key,
// 24-byte nonce.
Result<Bytes> xchacha20poly1305_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
Result<Bytes> xchacha20poly1305_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag);

}  // namespace veil::crypto
