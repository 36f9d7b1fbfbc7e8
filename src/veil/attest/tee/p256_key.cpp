#include "veil/attest/tee/p256_key.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

#include "veil/base/log.h"

namespace veil::attest {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

}  // namespace

P256Key P256Key::generate() {
  EvpPkeyPtr pkey(EVP_EC_gen("P-256"));
  if (!pkey) {
    log::error("tee.simulated: P-256 key generation failed");
    std::abort();
  }
  return P256Key(std::move(pkey));
}

P256Key::P256Key(EvpPkeyPtr pkey) : pkey_(std::move(pkey)) {
  // SEC 1 uncompressed point: 0x04 ‖ X ‖ Y.
  uint8_t point[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &len) != 1 ||
      len != 65 || point[0] != 0x04) {
    log::error("tee.simulated: cannot export P-256 public key");
    std::abort();
  }
  std::copy(point + 1, point + 65, public_raw_.begin());
}

Result<std::array<uint8_t, 64>> P256Key::sign_raw(ByteView message) const {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1) {
    return make_error("tee.sign_failed", "ECDSA P-256 sign init failed");
  }
  uint8_t der[80];
  size_t der_len = sizeof der;
  if (EVP_DigestSign(ctx.get(), der, &der_len, message.data(), message.size()) != 1) {
    return make_error("tee.sign_failed", "ECDSA P-256 sign failed");
  }
  const uint8_t* p = der;
  std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(d2i_ECDSA_SIG(nullptr, &p, long(der_len)));
  if (!sig) return make_error("tee.sign_failed", "ECDSA signature not DER");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::array<uint8_t, 64> raw{};
  if (BN_bn2binpad(r, raw.data(), 32) != 32 || BN_bn2binpad(s, raw.data() + 32, 32) != 32) {
    return make_error("tee.sign_failed", "ECDSA signature component too wide");
  }
  return raw;
}

}  // namespace veil::attest
