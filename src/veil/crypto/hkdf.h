// HKDF (RFC 5869) via OpenSSL EVP_KDF, with separate Extract and Expand steps
// for HPKE's labeled variants (RFC 9180 §4).
#pragma once

#include <cstddef>

#include "veil/base/bytes.h"
#include "veil/base/result.h"
#include "veil/crypto/hash.h"

namespace veil::crypto {

enum class HashAlg { sha256, sha384, sha512 };

// Digest length in bytes: 32, 48 or 64.
size_t hash_length(HashAlg alg);

// Extract-then-Expand. An empty salt means HashLen zero bytes (RFC 5869 §2.2).
// Error "crypto.bad_length" when length is 0 or > 255 * HashLen.
Result<Bytes> hkdf(HashAlg alg, ByteView ikm, ByteView salt, ByteView info, size_t length);
Result<Bytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t length);
Result<Bytes> hkdf_sha384(ByteView ikm, ByteView salt, ByteView info, size_t length);
Result<Bytes> hkdf_sha512(ByteView ikm, ByteView salt, ByteView info, size_t length);

// HKDF-Extract(salt, ikm) = HMAC-Hash(salt, ikm). Returns HashLen bytes.
Bytes hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm);
Digest32 hkdf_extract_sha256(ByteView salt, ByteView ikm);

// HKDF-Expand(prk, info, length). Errors "crypto.bad_length" (length 0 or
// > 255 * HashLen) and "crypto.bad_key" (prk shorter than HashLen).
Result<Bytes> hkdf_expand(HashAlg alg, ByteView prk, ByteView info, size_t length);
Result<Bytes> hkdf_expand_sha256(ByteView prk, ByteView info, size_t length);

}  // namespace veil::crypto
