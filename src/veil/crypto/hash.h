// SHA-2 digests (OpenSSL EVP): one-shot, incremental, and streaming over files.
#pragma once

#include <openssl/types.h>  // EVP_MD_CTX forward declaration only

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::crypto {

using Digest32 = std::array<uint8_t, 32>;
using Digest48 = std::array<uint8_t, 48>;
using Digest64 = std::array<uint8_t, 64>;

Digest32 sha256(ByteView data);
Digest48 sha384(ByteView data);
Digest64 sha512(ByteView data);

// Lowercase hex of SHA-256.
std::string sha256_hex(ByteView data);
std::string sha256_hex(std::string_view data);

// HMAC-SHA-256 (RFC 2104).
Digest32 hmac_sha256(ByteView key, ByteView data);

// Incremental SHA-256. finish() may be called once; afterwards the object
// must be discarded (or moved-over). Movable, non-copyable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(ByteView data);
  void update(std::string_view data);
  Digest32 finish();

 private:
  EVP_MD_CTX* ctx_ = nullptr;
};

// Incremental SHA-384, same contract as Sha256.
class Sha384 {
 public:
  Sha384();
  ~Sha384();
  Sha384(Sha384&& other) noexcept;
  Sha384& operator=(Sha384&& other) noexcept;
  Sha384(const Sha384&) = delete;
  Sha384& operator=(const Sha384&) = delete;

  void update(ByteView data);
  void update(std::string_view data);
  Digest48 finish();

 private:
  EVP_MD_CTX* ctx_ = nullptr;
};

// SHA-256 of a whole file, read in fixed-size chunks (multi-GB model files
// never sit in memory). Errors: "crypto.file_open", "crypto.file_read".
Result<Digest32> sha256_file(const std::string& path);

}  // namespace veil::crypto
