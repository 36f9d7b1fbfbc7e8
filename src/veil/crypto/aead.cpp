#include "veil/crypto/aead.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <climits>
#include <memory>

#include "veil/crypto/aes_gcm_any_nonce.h"
#include "veil/crypto/sodium_init.h"

namespace veil::crypto {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// OpenSSL 3.0's GCM keeps the IV in a 128-byte buffer (GCM_IV_MAX_SIZE).
constexpr size_t kOpenSslMaxGcmNonce = 128;

Error auth_failed() { return make_error("crypto.auth_failed", "AEAD authentication failed"); }

const EVP_CIPHER* gcm_cipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

// Sizes EVP takes as int; anything near INT_MAX is refused up front.
bool fits_int(size_t n) { return n < size_t(INT_MAX) - 64; }

Status check_gcm_inputs(ByteView key, ByteView nonce, ByteView aad, size_t text_len) {
  if (gcm_cipher(key.size()) == nullptr)
    return make_error("crypto.bad_key", "AES-GCM key must be 16, 24 or 32 bytes");
  if (nonce.empty()) return make_error("crypto.bad_nonce", "AES-GCM nonce must not be empty");
  if (!fits_int(aad.size()) || !fits_int(text_len))
    return make_error("crypto.too_large", "AEAD input too large");
  return ok_status();
}

// Shared GCM setup: cipher, IV length (any length >= 1, SP 800-38D §7.1), key, IV.
Result<CipherCtx> gcm_init(ByteView key, ByteView nonce, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return make_error("crypto.internal", "cipher context allocation failed");
  if (EVP_CipherInit_ex(ctx.get(), gcm_cipher(key.size()), nullptr, nullptr, nullptr, encrypt ? 1 : 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, int(nonce.size()), nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data(), encrypt ? 1 : 0) != 1) {
    return make_error("crypto.internal", "AES-GCM initialisation failed");
  }
  return ctx;
}

}  // namespace

Result<Bytes> aes_gcm_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  VEIL_TRY(check_gcm_inputs(key, nonce, aad, plaintext.size()));
  if (nonce.size() > kOpenSslMaxGcmNonce) return detail::aes_gcm_seal_any_nonce(key, nonce, aad, plaintext);
  VEIL_ASSIGN_OR_RETURN(CipherCtx ctx, gcm_init(key, nonce, true));
  Bytes out(plaintext.size() + kAeadTagSize);
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), int(aad.size())) != 1) {
    return make_error("crypto.internal", "AES-GCM AAD failed");
  }
  int written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), int(plaintext.size())) != 1) {
      return make_error("crypto.internal", "AES-GCM encryption failed");
    }
    written = len;
  }
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &len) != 1 ||
      size_t(written + len) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, int(kAeadTagSize),
                          out.data() + plaintext.size()) != 1) {
    return make_error("crypto.internal", "AES-GCM finalisation failed");
  }
  return out;
}

Result<Bytes> aes_gcm_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag) {
  VEIL_TRY(check_gcm_inputs(key, nonce, aad, ciphertext_and_tag.size()));
  if (nonce.size() > kOpenSslMaxGcmNonce) {
    return detail::aes_gcm_open_any_nonce(key, nonce, aad, ciphertext_and_tag);
  }
  if (ciphertext_and_tag.size() < kAeadTagSize) return auth_failed();
  size_t ct_len = ciphertext_and_tag.size() - kAeadTagSize;
  VEIL_ASSIGN_OR_RETURN(CipherCtx ctx, gcm_init(key, nonce, false));
  Bytes out(ct_len);
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), int(aad.size())) != 1) {
    return make_error("crypto.internal", "AES-GCM AAD failed");
  }
  int written = 0;
  if (ct_len != 0) {
    if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, ciphertext_and_tag.data(), int(ct_len)) != 1) {
      return make_error("crypto.internal", "AES-GCM decryption failed");
    }
    written = len;
  }
  uint8_t tag[kAeadTagSize];
  std::copy(ciphertext_and_tag.end() - kAeadTagSize, ciphertext_and_tag.end(), tag);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, int(kAeadTagSize), tag) != 1) {
    return make_error("crypto.internal", "AES-GCM tag setup failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());  // release nothing unauthenticated
    return auth_failed();
  }
  return out;
}

Result<Bytes> chacha20poly1305_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  if (key.size() != crypto_aead_chacha20poly1305_ietf_KEYBYTES) {
    return make_error("crypto.bad_key", "ChaCha20-Poly1305 key must be 32 bytes");
  }
  if (nonce.size() != crypto_aead_chacha20poly1305_ietf_NPUBBYTES) {
    return make_error("crypto.bad_nonce", "ChaCha20-Poly1305 nonce must be 12 bytes");
  }
  detail::ensure_sodium();
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long out_len = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(), plaintext.size(),
                                            aad.data(), aad.size(), nullptr, nonce.data(), key.data());
  out.resize(size_t(out_len));
  return out;
}

Result<Bytes> chacha20poly1305_open(ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext_and_tag) {
  if (key.size() != crypto_aead_chacha20poly1305_ietf_KEYBYTES) {
    return make_error("crypto.bad_key", "ChaCha20-Poly1305 key must be 32 bytes");
  }
  if (nonce.size() != crypto_aead_chacha20poly1305_ietf_NPUBBYTES) {
    return make_error("crypto.bad_nonce", "ChaCha20-Poly1305 nonce must be 12 bytes");
  }
  if (ciphertext_and_tag.size() < kAeadTagSize) return auth_failed();
  detail::ensure_sodium();
  Bytes out(ciphertext_and_tag.size() - kAeadTagSize);
  unsigned long long out_len = 0;
  // libsodium verifies the tag before decrypting anything.
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext_and_tag.data(),
                                                ciphertext_and_tag.size(), aad.data(), aad.size(),
                                                nonce.data(), key.data()) != 0) {
    return auth_failed();
  }
  out.resize(size_t(out_len));
  return out;
}

Result<Bytes> xchacha20poly1305_seal(ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return make_error("crypto.bad_key", "XChaCha20-Poly1305 key must be 32 bytes");
  }
  if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    return make_error("crypto.bad_nonce", "XChaCha20-Poly1305 nonce must be 24 bytes");
  }
  detail::ensure_sodium();
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long out_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &out_len, plaintext.data(), plaintext.size(),
                                             aad.data(), aad.size(), nullptr, nonce.data(), key.data());
  out.resize(size_t(out_len));
  return out;
}

Result<Bytes> xchacha20poly1305_open(ByteView key, ByteView nonce, ByteView aad,
                                     ByteView ciphertext_and_tag) {
  if (key.size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return make_error("crypto.bad_key", "XChaCha20-Poly1305 key must be 32 bytes");
  }
  if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    return make_error("crypto.bad_nonce", "XChaCha20-Poly1305 nonce must be 24 bytes");
  }
  if (ciphertext_and_tag.size() < kAeadTagSize) return auth_failed();
  detail::ensure_sodium();
  Bytes out(ciphertext_and_tag.size() - kAeadTagSize);
  unsigned long long out_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &out_len, nullptr, ciphertext_and_tag.data(),
                                                 ciphertext_and_tag.size(), aad.data(), aad.size(),
                                                 nonce.data(), key.data()) != 0) {
    return auth_failed();
  }
  out.resize(size_t(out_len));
  return out;
}

}  // namespace veil::crypto
