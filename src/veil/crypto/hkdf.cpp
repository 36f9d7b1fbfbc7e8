#include "veil/crypto/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace veil::crypto {
namespace {

const EVP_MD* evp_md(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha256:
      return EVP_sha256();
    case HashAlg::sha384:
      return EVP_sha384();
    case HashAlg::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

const char* md_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha256:
      return "SHA256";
    case HashAlg::sha384:
      return "SHA384";
    case HashAlg::sha512:
      return "SHA512";
  }
  return "SHA256";
}

struct KdfFree {
  void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
  void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

// OSSL_PARAM octet strings want a non-null pointer even for length 0.
void* octets(ByteView v) {
  static uint8_t empty = 0;
  return v.empty() ? &empty : const_cast<uint8_t*>(v.data());
}

}  // namespace

size_t hash_length(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha256:
      return 32;
    case HashAlg::sha384:
      return 48;
    case HashAlg::sha512:
      return 64;
  }
  return 32;
}

Bytes hkdf_extract(HashAlg alg, ByteView salt, ByteView ikm) {
  // RFC 5869 §2.2: an absent salt is HashLen zero bytes, which HMAC treats
  // exactly like an empty key (keys shorter than the block are zero-padded).
  Bytes prk(hash_length(alg));
  unsigned int len = 0;
  if (HMAC(evp_md(alg), octets(salt), int(salt.size()), ikm.data(), ikm.size(), prk.data(), &len) ==
          nullptr ||
      len != prk.size()) {
    std::fputs("veil: HMAC failure in HKDF-Extract\n", stderr);
    std::abort();
  }
  return prk;
}

Digest32 hkdf_extract_sha256(ByteView salt, ByteView ikm) {
  Bytes prk = hkdf_extract(HashAlg::sha256, salt, ikm);
  Digest32 out{};
  std::copy(prk.begin(), prk.end(), out.begin());
  OPENSSL_cleanse(prk.data(), prk.size());
  return out;
}

Result<Bytes> hkdf_expand(HashAlg alg, ByteView prk, ByteView info, size_t length) {
  size_t hash_len = hash_length(alg);
  if (length == 0 || length > 255 * hash_len) {
    return make_error("crypto.bad_length", "HKDF output length must be in [1, 255*HashLen]");
  }
  if (prk.size() < hash_len) return make_error("crypto.bad_key", "HKDF PRK shorter than HashLen");

  std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
  if (!kdf) return make_error("crypto.internal", "HKDF unavailable in OpenSSL");
  std::unique_ptr<EVP_KDF_CTX, KdfFree> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) return make_error("crypto.internal", "HKDF context allocation failed");

  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(md_name(alg)), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, octets(prk), prk.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, octets(info), info.size()),
      OSSL_PARAM_construct_end(),
  };
  Bytes okm(length);
  if (EVP_KDF_derive(ctx.get(), okm.data(), okm.size(), params) != 1) {
    return make_error("crypto.internal", "HKDF-Expand failed");
  }
  return okm;
}

Result<Bytes> hkdf_expand_sha256(ByteView prk, ByteView info, size_t length) {
  return hkdf_expand(HashAlg::sha256, prk, info, length);
}

Result<Bytes> hkdf(HashAlg alg, ByteView ikm, ByteView salt, ByteView info, size_t length) {
  if (length == 0 || length > 255 * hash_length(alg)) {
    return make_error("crypto.bad_length", "HKDF output length must be in [1, 255*HashLen]");
  }
  Bytes prk = hkdf_extract(alg, salt, ikm);
  auto okm = hkdf_expand(alg, prk, info, length);
  OPENSSL_cleanse(prk.data(), prk.size());
  return okm;
}

Result<Bytes> hkdf_sha256(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  return hkdf(HashAlg::sha256, ikm, salt, info, length);
}
Result<Bytes> hkdf_sha384(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  return hkdf(HashAlg::sha384, ikm, salt, info, length);
}
Result<Bytes> hkdf_sha512(ByteView ikm, ByteView salt, ByteView info, size_t length) {
  return hkdf(HashAlg::sha512, ikm, salt, info, length);
}

}  // namespace veil::crypto
