#include "veil/attest/nvidia/openssl_util.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace veil::attest::nvidia {

namespace {
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * p) const { sk_X509_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
// TCG DICE extensions (2.23.133.5.4.*: TcbInfo, MultiTcbInfo, UEID, ...)
// may be marked critical (the DICE attestation architecture recommends it);
// OpenSSL does not know them and would reject the chain. Veil reads the FWID
// from them itself, so an unhandled critical extension is tolerated only when
// every unknown critical extension of that certificate is a DICE one.
bool only_dice_critical_extensions(X509* cert) {
  static const uint8_t kDicePrefix[] = {0x67, 0x81, 0x05, 0x05, 0x04};  // 2.23.133.5.4
  for (int i = 0; i < X509_get_ext_count(cert); ++i) {
    X509_EXTENSION* ext = X509_get_ext(cert, i);
    if (!X509_EXTENSION_get_critical(ext) || X509_supported_extension(ext)) continue;
    const ASN1_OBJECT* obj = X509_EXTENSION_get_object(ext);
    size_t len = OBJ_length(obj);
    const unsigned char* der = OBJ_get0_data(obj);
    if (len <= sizeof kDicePrefix || std::memcmp(der, kDicePrefix, sizeof kDicePrefix) != 0) return false;
  }
  return true;
}

int tolerate_dice_critical(int ok, X509_STORE_CTX* ctx) {
  if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION) {
    X509* cert = X509_STORE_CTX_get_current_cert(ctx);
    if (cert && only_dice_critical_extensions(cert)) {
      X509_STORE_CTX_set_error(ctx, X509_V_OK);
      return 1;
    }
  }
  return ok;
}

}  // namespace

Result<std::vector<UniqueX509>> parse_pem_chain(std::string_view pem) {
  std::vector<UniqueX509> out;
  size_t blocks = 0;
  for (size_t p = pem.find("-----BEGIN CERTIFICATE-----"); p != std::string_view::npos;
       p = pem.find("-----BEGIN CERTIFICATE-----", p + 1)) {
    ++blocks;
  }
  if (blocks == 0) return make_error("x509.bad_pem", "no CERTIFICATE block");
  if (pem.size() > (1u << 24)) return make_error("x509.bad_pem", "PEM text too large");
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (true) {
    X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!c) break;
    out.emplace_back(c);
  }
  ERR_clear_error();
  if (out.size() != blocks) {
    return make_error("x509.bad_pem",
                      "certificate " + std::to_string(out.size()) + " of the PEM chain does not parse");
  }
  return out;
}

Result<UniqueX509> parse_der_certificate(ByteView der) {
  const unsigned char* p = der.data();
  X509* c = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  if (!c) {
    ERR_clear_error();
    return make_error("x509.bad_der", "certificate does not parse");
  }
  if (p != der.data() + der.size()) {
    X509_free(c);
    return make_error("x509.bad_der", "bytes after the certificate");
  }
  return UniqueX509(c);
}

std::string to_pem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Bytes to_der(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

Bytes sha256_fingerprint(X509* cert) {
  Bytes der = to_der(cert);
  Bytes out(SHA256_DIGEST_LENGTH);
  SHA256(der.data(), der.size(), out.data());
  return out;
}

Result<Bytes> raw_signature_to_der(ByteView rs) {
  if (rs.empty() || rs.size() % 2 != 0 || rs.size() > 132) {
    return make_error("ecdsa.bad_signature", "raw signature length invalid");
  }
  size_t half = rs.size() / 2;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(rs.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(rs.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return make_error("ecdsa.bad_signature", "cannot build signature");
  }
  int n = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (n <= 0) return make_error("ecdsa.bad_signature", "cannot encode signature");
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

Result<Bytes> der_signature_to_raw(ByteView der, size_t scalar_size) {
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) {
    ERR_clear_error();
    return make_error("ecdsa.bad_signature", "DER signature does not parse");
  }
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  Bytes out(2 * scalar_size);
  if (BN_bn2binpad(r, out.data(), static_cast<int>(scalar_size)) < 0 ||
      BN_bn2binpad(s, out.data() + scalar_size, static_cast<int>(scalar_size)) < 0) {
    return make_error("ecdsa.bad_signature", "signature scalar too large");
  }
  return out;
}

bool ecdsa_verify_raw(EVP_PKEY* key, const EVP_MD* md, ByteView message, ByteView signature_rs) {
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return false;
  if (signature_rs.size() != 2 * ec_scalar_size(key)) return false;
  auto der = raw_signature_to_der(signature_rs);
  if (!der) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size()) == 1;
  ERR_clear_error();
  return ok;
}

size_t ec_scalar_size(EVP_PKEY* key) {
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return 0;
  return static_cast<size_t>((EVP_PKEY_get_bits(key) + 7) / 8);
}

Status verify_chain_to_root(const std::vector<UniqueX509>& chain, X509* root, int64_t now) {
  if (chain.empty()) return make_error("x509.chain", "empty chain");
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx || X509_STORE_add_cert(store.get(), root) != 1) {
    return make_error("x509.chain", "OpenSSL allocation failed");
  }
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1) {
    return make_error("x509.chain", "OpenSSL context init failed");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now));
  X509_STORE_CTX_set_verify_cb(ctx.get(), tolerate_dice_critical);
  int rc = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (rc != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    return make_error("x509.chain", std::string(X509_verify_cert_error_string(err)) + " (depth " +
                                        std::to_string(depth) + ")");
  }
  return ok_status();
}

}  // namespace veil::attest::nvidia
