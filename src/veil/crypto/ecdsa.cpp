#include "veil/crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "veil/crypto/ossl_util.h"

namespace veil::crypto {
namespace {

using detail::Owned;

[[noreturn]] void ecdsa_failure(const char* what) {
  std::fprintf(stderr, "veil: OpenSSL ECDSA failure: %s\n", what);
  std::abort();
}

const char* group_name(Curve c) { return c == Curve::p256 ? "P-256" : "P-384"; }
const EVP_MD* curve_md(Curve c) { return c == Curve::p256 ? EVP_sha256() : EVP_sha384(); }

// A public EVP_PKEY from X||Y or 04||X||Y. Decoding checks the point is on the curve.
Owned<EVP_PKEY> public_from_raw(Curve curve, ByteView raw) {
  size_t n = curve_scalar_size(curve);
  Bytes point;
  if (raw.size() == 2 * n) {
    point.reserve(2 * n + 1);
    point.push_back(0x04);
    point.insert(point.end(), raw.begin(), raw.end());
  } else if (raw.size() == 2 * n + 1 && raw[0] == 0x04) {
    point.assign(raw.begin(), raw.end());
  } else {
    return nullptr;
  }
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name(curve), 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return nullptr;
  }
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* pkey = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) return nullptr;
  return Owned<EVP_PKEY>(pkey);
}

// DER -> ECDSA_SIG, accepting only the canonical (re-encodable) DER form.
Owned<ECDSA_SIG> parse_der_strict(ByteView der) {
  if (der.empty() || der.size() > 1024) return nullptr;
  const unsigned char* p = der.data();
  Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())));
  if (!sig || p != der.data() + der.size()) return nullptr;
  unsigned char* re = nullptr;
  int re_len = i2d_ECDSA_SIG(sig.get(), &re);
  bool same = re_len == int(der.size()) && std::memcmp(re, der.data(), der.size()) == 0;
  OPENSSL_free(re);
  return same ? std::move(sig) : nullptr;
}

bool verify_der_with(const EVP_MD* md, EVP_PKEY* pkey, ByteView message, ByteView der) {
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) return false;
  return EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size()) == 1;
}

}  // namespace

size_t curve_scalar_size(Curve curve) { return curve == Curve::p256 ? 32 : 48; }

EcdsaKey EcdsaKey::generate(Curve curve) {
  EVP_PKEY* pkey = EVP_EC_gen(group_name(curve));
  if (pkey == nullptr) ecdsa_failure("key generation");
  return EcdsaKey(pkey, curve);
}

Result<EcdsaKey> EcdsaKey::from_private_pem(std::string_view pem) {
  if (pem.empty() || pem.size() > (size_t(1) << 20))
    return make_error("crypto.bad_key", "private key PEM size");
  auto bio = detail::memory_bio(pem);
  if (!bio) return make_error("crypto.internal", "BIO allocation failed");
  Owned<EVP_PKEY> pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, detail::no_password, nullptr));
  if (!pkey || !EVP_PKEY_is_a(pkey.get(), "EC"))
    return make_error("crypto.bad_key", "not an EC private key PEM");
  char name[64] = {};
  size_t name_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &name_len) !=
      1) {
    return make_error("crypto.bad_key", "EC key without a named curve");
  }
  std::string_view group(name, name_len);
  Curve curve;
  if (group == "prime256v1" || group == "P-256") {
    curve = Curve::p256;
  } else if (group == "secp384r1" || group == "P-384") {
    curve = Curve::p384;
  } else {
    return make_error("crypto.bad_key", "EC key is not on P-256 or P-384");
  }
  return EcdsaKey(pkey.release(), curve);
}

EcdsaKey::~EcdsaKey() { EVP_PKEY_free(pkey_); }

EcdsaKey::EcdsaKey(EcdsaKey&& other) noexcept
    : pkey_(std::exchange(other.pkey_, nullptr)), curve_(other.curve_) {}

EcdsaKey& EcdsaKey::operator=(EcdsaKey&& other) noexcept {
  if (this != &other) {
    EVP_PKEY_free(pkey_);
    pkey_ = std::exchange(other.pkey_, nullptr);
    curve_ = other.curve_;
  }
  return *this;
}

Bytes EcdsaKey::public_raw() const {
  size_t n = curve_scalar_size(curve_);
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  if (EVP_PKEY_get_bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
      EVP_PKEY_get_bn_param(pkey_, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1) {
    BN_free(x);
    ecdsa_failure("public key export");
  }
  Owned<BIGNUM> ox(x), oy(y);
  Bytes out(2 * n);
  if (BN_bn2binpad(x, out.data(), int(n)) != int(n) || BN_bn2binpad(y, out.data() + n, int(n)) != int(n)) {
    ecdsa_failure("public key export");
  }
  return out;
}

Bytes EcdsaKey::sign_der(ByteView message) const {
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, curve_md(curve_), nullptr, pkey_) != 1) {
    ecdsa_failure("sign init");
  }
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1)
    ecdsa_failure("sign size");
  Bytes der(len);
  if (EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size()) != 1) ecdsa_failure("sign");
  der.resize(len);
  return der;
}

Bytes EcdsaKey::sign_raw(ByteView message) const {
  auto raw = ecdsa_der_to_raw(sign_der(message), curve_scalar_size(curve_));
  if (!raw.ok()) ecdsa_failure("signature conversion");
  return std::move(raw).value();
}

std::string EcdsaKey::private_pem() const {
  Owned<BIO> bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ecdsa_failure("private key PEM export");
  }
  return detail::bio_contents(bio.get());
}

bool ecdsa_verify_der(Curve curve, ByteView public_raw, ByteView message, ByteView der_sig) {
  auto pkey = public_from_raw(curve, public_raw);
  if (!pkey || !parse_der_strict(der_sig)) return false;
  return verify_der_with(curve_md(curve), pkey.get(), message, der_sig);
}

bool ecdsa_verify_raw(Curve curve, ByteView public_raw, ByteView message, ByteView sig_rs) {
  if (sig_rs.size() != 2 * curve_scalar_size(curve)) return false;
  auto der = ecdsa_raw_to_der(sig_rs);
  if (!der.ok()) return false;
  auto pkey = public_from_raw(curve, public_raw);
  if (!pkey) return false;
  return verify_der_with(curve_md(curve), pkey.get(), message, *der);
}

bool ecdsa_verify_digest_raw(Curve curve, ByteView public_raw, ByteView digest, ByteView sig_rs) {
  if (sig_rs.size() != 2 * curve_scalar_size(curve) || digest.empty()) return false;
  auto der = ecdsa_raw_to_der(sig_rs);
  if (!der.ok()) return false;
  auto pkey = public_from_raw(curve, public_raw);
  if (!pkey) return false;
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  return EVP_PKEY_verify(ctx.get(), der->data(), der->size(), digest.data(), digest.size()) == 1;
}

Result<Bytes> ecdsa_der_to_raw(ByteView der, size_t scalar_len) {
  if (scalar_len == 0 || scalar_len > 66)
    return make_error("crypto.bad_signature", "unsupported scalar length");
  auto sig = parse_der_strict(der);
  if (!sig) return make_error("crypto.bad_signature", "malformed DER ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  if (BN_is_negative(r) || BN_is_negative(s) || size_t(BN_num_bytes(r)) > scalar_len ||
      size_t(BN_num_bytes(s)) > scalar_len) {
    return make_error("crypto.bad_signature", "ECDSA signature integer out of range");
  }
  Bytes out(2 * scalar_len);
  BN_bn2binpad(r, out.data(), int(scalar_len));
  BN_bn2binpad(s, out.data() + scalar_len, int(scalar_len));
  return out;
}

Result<Bytes> ecdsa_raw_to_der(ByteView raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 132) {
    return make_error("crypto.bad_signature", "raw ECDSA signature must be r||s of equal halves");
  }
  size_t n = raw.size() / 2;
  BIGNUM* r = BN_bin2bn(raw.data(), int(n), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + n, int(n), nullptr);
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || !sig || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return make_error("crypto.internal", "ECDSA signature allocation failed");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return make_error("crypto.internal", "ECDSA signature encoding failed");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace veil::crypto
