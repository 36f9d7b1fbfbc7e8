// GCM per NIST SP 800-38D: GHASH (§6.4, Algorithm 2) over GF(2^128) with the
// multiplication of §6.3 (Algorithm 1), GCTR (§6.5) with inc32 counters, and
// the authenticated encryption/decryption functions of §7.1/§7.2.
#include "veil/crypto/aes_gcm_any_nonce.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>

#include "veil/crypto/aead.h"

namespace veil::crypto::detail {
namespace {

using Block = std::array<uint8_t, 16>;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void store_be64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = uint8_t(v);
    v >>= 8;
  }
}

// AES in ECB mode over whole blocks: the block cipher CIPH_K of the spec.
class AesBlockCipher {
 public:
  Status init(ByteView key) {
    const EVP_CIPHER* cipher = key.size() == 16   ? EVP_aes_128_ecb()
                               : key.size() == 24 ? EVP_aes_192_ecb()
                               : key.size() == 32 ? EVP_aes_256_ecb()
                                                  : nullptr;
    if (cipher == nullptr) return make_error("crypto.bad_key", "AES-GCM key must be 16, 24 or 32 bytes");
    ctx_.reset(EVP_CIPHER_CTX_new());
    if (!ctx_ || EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key.data(), nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx_.get(), 0) != 1) {
      return make_error("crypto.internal", "AES initialisation failed");
    }
    return ok_status();
  }
  // n must be a multiple of 16; in and out may alias.
  bool encrypt_blocks(const uint8_t* in, uint8_t* out, size_t n) {
    int len = 0;
    return EVP_EncryptUpdate(ctx_.get(), out, &len, in, int(n)) == 1 && size_t(len) == n;
  }

 private:
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx_;
};

// GHASH_H, fed in arbitrary pieces; each piece is zero-padded to a whole
// block, which is how the spec pads IV, A and C.
class Ghash {
 public:
  explicit Ghash(const Block& h) : h_hi_(load_be64(h.data())), h_lo_(load_be64(h.data() + 8)) {}
  ~Ghash() {
    OPENSSL_cleanse(&h_hi_, sizeof(h_hi_));
    OPENSSL_cleanse(&h_lo_, sizeof(h_lo_));
  }

  void update_padded(ByteView data) {
    size_t off = 0;
    for (; data.size() - off >= 16; off += 16) absorb(data.data() + off);
    if (off < data.size()) {
      Block last{};
      std::copy(data.begin() + long(off), data.end(), last.begin());
      absorb(last.data());
    }
  }
  void update_lengths(uint64_t a_bits, uint64_t b_bits) {
    Block block{};
    store_be64(block.data(), a_bits);
    store_be64(block.data() + 8, b_bits);
    absorb(block.data());
  }
  Block digest() const {
    Block out{};
    store_be64(out.data(), y_hi_);
    store_be64(out.data() + 8, y_lo_);
    return out;
  }

 private:
  // Y = (Y xor X) * H, Algorithm 1 with masks instead of branches so the
  // running time does not depend on H or the data.
  void absorb(const uint8_t* x) {
    uint64_t x_hi = y_hi_ ^ load_be64(x), x_lo = y_lo_ ^ load_be64(x + 8);
    uint64_t z_hi = 0, z_lo = 0, v_hi = h_hi_, v_lo = h_lo_;
    for (int i = 0; i < 128; ++i) {
      uint64_t bit = i < 64 ? (x_hi >> (63 - i)) & 1 : (x_lo >> (127 - i)) & 1;
      uint64_t mask = 0 - bit;
      z_hi ^= v_hi & mask;
      z_lo ^= v_lo & mask;
      uint64_t reduce = 0 - (v_lo & 1);
      v_lo = (v_lo >> 1) | (v_hi << 63);
      v_hi = (v_hi >> 1) ^ (0xe100000000000000ULL & reduce);  // R = 11100001 || 0^120
    }
    y_hi_ = z_hi;
    y_lo_ = z_lo;
  }

  uint64_t h_hi_, h_lo_;
  uint64_t y_hi_ = 0, y_lo_ = 0;
};

void inc32(Block& cb) {
  uint32_t c = (uint32_t(cb[12]) << 24) | (uint32_t(cb[13]) << 16) | (uint32_t(cb[14]) << 8) | cb[15];
  ++c;  // wraps mod 2^32: only the low 32 bits count
  cb[12] = uint8_t(c >> 24);
  cb[13] = uint8_t(c >> 16);
  cb[14] = uint8_t(c >> 8);
  cb[15] = uint8_t(c);
}

// GCTR_K(ICB, in) into out (same length), counter blocks encrypted in batches.
bool gctr(AesBlockCipher& aes, Block icb, ByteView in, uint8_t* out) {
  constexpr size_t kBatch = 64;
  std::array<uint8_t, 16 * kBatch> stream;
  size_t done = 0;
  while (done < in.size()) {
    size_t bytes = std::min(in.size() - done, stream.size());
    size_t blocks = (bytes + 15) / 16;
    for (size_t b = 0; b < blocks; ++b) {
      std::copy(icb.begin(), icb.end(), stream.begin() + long(16 * b));
      inc32(icb);
    }
    if (!aes.encrypt_blocks(stream.data(), stream.data(), 16 * blocks)) return false;
    for (size_t i = 0; i < bytes; ++i) out[done + i] = in[done + i] ^ stream[i];
    done += bytes;
  }
  OPENSSL_cleanse(stream.data(), stream.size());
  return true;
}

struct GcmState {
  AesBlockCipher aes;
  Block h{};
  Block j0{};
};

Status gcm_setup(ByteView key, ByteView nonce, GcmState* st) {
  if (nonce.empty()) return make_error("crypto.bad_nonce", "AES-GCM nonce must not be empty");
  if (nonce.size() > (size_t(1) << 28)) return make_error("crypto.bad_nonce", "AES-GCM nonce too long");
  VEIL_TRY(st->aes.init(key));
  if (!st->aes.encrypt_blocks(st->h.data(), st->h.data(), 16))
    return make_error("crypto.internal", "AES failed");
  if (nonce.size() == 12) {  // §7.1 step 2, first case
    std::copy(nonce.begin(), nonce.end(), st->j0.begin());
    st->j0[15] = 1;
  } else {  // J0 = GHASH_H(IV || 0^(s+64) || [len(IV)]_64)
    Ghash g(st->h);
    g.update_padded(nonce);
    g.update_lengths(0, uint64_t(nonce.size()) * 8);
    st->j0 = g.digest();
  }
  return ok_status();
}

// T = MSB_128(GCTR_K(J0, GHASH_H(A || 0^v || C || 0^u || [len(A)]_64 || [len(C)]_64))).
bool gcm_tag(GcmState& st, ByteView aad, ByteView ciphertext, uint8_t* tag_out) {
  Ghash g(st.h);
  g.update_padded(aad);
  g.update_padded(ciphertext);
  g.update_lengths(uint64_t(aad.size()) * 8, uint64_t(ciphertext.size()) * 8);
  Block s = g.digest();
  return gctr(st.aes, st.j0, s, tag_out);
}

// SP 800-38D §5.2.1.1: len(P) <= 2^39 - 256 bits, len(A) <= 2^64 - 1 bits.
bool lengths_ok(size_t text, size_t aad) {
  return uint64_t(text) <= ((uint64_t(1) << 36) - 32) && uint64_t(aad) < (uint64_t(1) << 61);
}

}  // namespace

Result<Bytes> aes_gcm_seal_any_nonce(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  if (!lengths_ok(plaintext.size(), aad.size()))
    return make_error("crypto.too_large", "AEAD input too large");
  GcmState st;
  VEIL_TRY(gcm_setup(key, nonce, &st));
  Bytes out(plaintext.size() + kAeadTagSize);
  Block icb = st.j0;
  inc32(icb);
  if (!gctr(st.aes, icb, plaintext, out.data()) ||
      !gcm_tag(st, aad, ByteView(out).first(plaintext.size()), out.data() + plaintext.size())) {
    return make_error("crypto.internal", "AES-GCM encryption failed");
  }
  OPENSSL_cleanse(st.h.data(), st.h.size());
  return out;
}

Result<Bytes> aes_gcm_open_any_nonce(ByteView key, ByteView nonce, ByteView aad,
                                     ByteView ciphertext_and_tag) {
  if (!lengths_ok(ciphertext_and_tag.size(), aad.size())) {
    return make_error("crypto.too_large", "AEAD input too large");
  }
  GcmState st;
  VEIL_TRY(gcm_setup(key, nonce, &st));
  if (ciphertext_and_tag.size() < kAeadTagSize) {
    return make_error("crypto.auth_failed", "AEAD authentication failed");
  }
  size_t ct_len = ciphertext_and_tag.size() - kAeadTagSize;
  ByteView ct = ciphertext_and_tag.first(ct_len);
  Block expected{};
  if (!gcm_tag(st, aad, ct, expected.data())) return make_error("crypto.internal", "AES-GCM tag failed");
  // Authenticate before decrypting anything (§7.2 step 8 order is free; this
  // way no unauthenticated plaintext ever exists).
  if (CRYPTO_memcmp(expected.data(), ciphertext_and_tag.data() + ct_len, kAeadTagSize) != 0) {
    return make_error("crypto.auth_failed", "AEAD authentication failed");
  }
  Bytes out(ct_len);
  Block icb = st.j0;
  inc32(icb);
  if (!gctr(st.aes, icb, ct, out.data())) return make_error("crypto.internal", "AES-GCM decryption failed");
  OPENSSL_cleanse(st.h.data(), st.h.size());
  return out;
}

}  // namespace veil::crypto::detail
