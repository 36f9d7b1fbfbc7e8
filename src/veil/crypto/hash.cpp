#include "veil/crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "veil/base/encoding.h"

namespace veil::crypto {
namespace {

// EVP digest failures only happen on allocation failure or a broken OpenSSL
// build; there is no meaningful recovery for a hash.
[[noreturn]] void digest_failure() {
  std::fputs("veil: OpenSSL digest failure\n", stderr);
  std::abort();
}

// OpenSSL 3 looks a digest's implementation up in its provider store on every
// one-shot SHA256()/EVP_Digest call and every EVP_DigestInit with a legacy
// EVP_sha256() (a locked table lookup that cost more than hashing a small
// request). Fetched once here and reused; EVP_MD objects are thread-safe.
const EVP_MD* fetched(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) digest_failure();
  return md;  // kept for the life of the process
}
const EVP_MD* md_sha256() {
  static const EVP_MD* md = fetched("SHA2-256");
  return md;
}
const EVP_MD* md_sha384() {
  static const EVP_MD* md = fetched("SHA2-384");
  return md;
}
const EVP_MD* md_sha512() {
  static const EVP_MD* md = fetched("SHA2-512");
  return md;
}

// One-shot digest with a context reused per thread (no allocation per call).
template <size_t N>
std::array<uint8_t, N> one_shot(const EVP_MD* md, ByteView data) {
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(EVP_MD_CTX_new());
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 ||
      (!data.empty() && EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1) ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != N) {
    digest_failure();
  }
  return out;
}

EVP_MD_CTX* new_digest_ctx(const EVP_MD* md) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, md, nullptr) != 1) digest_failure();
  return ctx;
}

void digest_update(EVP_MD_CTX* ctx, const void* data, size_t n) {
  if (ctx == nullptr) digest_failure();  // use after finish() or move
  if (n != 0 && EVP_DigestUpdate(ctx, data, n) != 1) digest_failure();
}

template <size_t N>
std::array<uint8_t, N> digest_finish(EVP_MD_CTX*& ctx) {
  std::array<uint8_t, N> out{};
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != N) digest_failure();
  EVP_MD_CTX_free(ctx);
  ctx = nullptr;
  return out;
}

}  // namespace

Digest32 sha256(ByteView data) { return one_shot<32>(md_sha256(), data); }
Digest48 sha384(ByteView data) { return one_shot<48>(md_sha384(), data); }
Digest64 sha512(ByteView data) { return one_shot<64>(md_sha512(), data); }

std::string sha256_hex(ByteView data) { return hex_encode(sha256(data)); }
std::string sha256_hex(std::string_view data) { return sha256_hex(as_bytes(data)); }

Digest32 hmac_sha256(ByteView key, ByteView data) {
  Digest32 out{};
  unsigned int len = 0;
  // HMAC() one-shot is not deprecated in OpenSSL 3.0.
  static const uint8_t kEmpty = 0;
  const uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (HMAC(EVP_sha256(), k, int(key.size()), data.data(), data.size(), out.data(), &len) == nullptr ||
      len != out.size()) {
    digest_failure();
  }
  return out;
}

Sha256::Sha256() : ctx_(new_digest_ctx(md_sha256())) {}
Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }
Sha256::Sha256(Sha256&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}
void Sha256::update(ByteView data) { digest_update(ctx_, data.data(), data.size()); }
void Sha256::update(std::string_view data) { digest_update(ctx_, data.data(), data.size()); }
Digest32 Sha256::finish() { return digest_finish<32>(ctx_); }

Sha384::Sha384() : ctx_(new_digest_ctx(md_sha384())) {}
Sha384::~Sha384() { EVP_MD_CTX_free(ctx_); }
Sha384::Sha384(Sha384&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
Sha384& Sha384::operator=(Sha384&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
  }
  return *this;
}
void Sha384::update(ByteView data) { digest_update(ctx_, data.data(), data.size()); }
void Sha384::update(std::string_view data) { digest_update(ctx_, data.data(), data.size()); }
Digest48 Sha384::finish() { return digest_finish<48>(ctx_); }

Result<Digest32> sha256_file(const std::string& path) {
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return make_error("crypto.file_open", "cannot open file for hashing");
  // 4 MiB chunks: few syscalls on multi-GB weights, bounded memory.
  constexpr size_t kChunk = size_t(4) << 20;
  std::unique_ptr<uint8_t[]> buf(new uint8_t[kChunk]);
  Sha256 hasher;
  for (;;) {
    size_t n = std::fread(buf.get(), 1, kChunk, file.get());
    if (n > 0) hasher.update(ByteView(buf.get(), n));
    if (n < kChunk) {
      if (std::ferror(file.get())) return make_error("crypto.file_read", "read error while hashing file");
      break;
    }
  }
  return hasher.finish();
}

}  // namespace veil::crypto
