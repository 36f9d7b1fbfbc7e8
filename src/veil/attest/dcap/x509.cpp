#include "veil/attest/dcap/x509.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "veil/crypto/hash.h"

namespace veil::attest::dcap {

void X509Free::operator()(X509* p) const { X509_free(p); }
void X509CrlFree::operator()(X509_CRL* p) const { X509_CRL_free(p); }
void EvpPkeyFree::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

// Parsed certificates and CRLs by SHA-256 of their encoding. OpenSSL 3
// decodes every public key through its provider decoders, which costs more
// than verifying a signature; the same Intel CA certificates, CRLs and TCB
// signing chain arrive with every quote. Parsing is a pure function of the
// bytes, so reusing the parsed object changes nothing but time. Bounded: the
// cache is emptied when it reaches kParseCacheMax entries.
constexpr size_t kParseCacheMax = 512;

template <typename T, void (*Free)(T*), int (*UpRef)(T*)>
class ParseCache {
 public:
  ~ParseCache() {
    for (auto& [k, v] : map_) Free(v);
  }
  // A new reference to the cached object, or nullptr.
  T* get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    UpRef(it->second);
    return it->second;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, v] : map_) Free(v);
    map_.clear();
  }
  void put(const std::string& key, T* obj) {
    std::lock_guard<std::mutex> lock(mu_);
    if (map_.size() >= kParseCacheMax) {
      for (auto& [k, v] : map_) Free(v);
      map_.clear();
    }
    if (map_.count(key)) return;
    UpRef(obj);
    map_.emplace(key, obj);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, T*> map_;
};

ParseCache<X509, X509_free, X509_up_ref>& cert_cache() {
  static ParseCache<X509, X509_free, X509_up_ref> cache;
  return cache;
}
ParseCache<X509_CRL, X509_CRL_free, X509_CRL_up_ref>& crl_cache() {
  static ParseCache<X509_CRL, X509_CRL_free, X509_CRL_up_ref> cache;
  return cache;
}

std::string cache_key(ByteView encoding) {
  auto d = crypto::sha256(encoding);
  return std::string(d.begin(), d.end());
}

bool looks_pem(ByteView b) {
  static constexpr std::string_view kBegin = "-----BEGIN";
  return as_chars(b).find(kBegin) != std::string_view::npos;
}

}  // namespace

Result<std::vector<X509Ptr>> parse_pem_chain(std::string_view pem) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  std::vector<X509Ptr> out;
  size_t pos = 0;
  while ((pos = pem.find(kBegin, pos)) != std::string_view::npos) {
    size_t end = pem.find(kEnd, pos);
    if (end == std::string_view::npos) return make_error("x509.bad_pem", "unterminated PEM certificate");
    std::string_view block = pem.substr(pos, end + kEnd.size() - pos);
    const std::string key = cache_key(as_bytes(block));
    X509* cert = cert_cache().get(key);
    if (!cert) {
      BioPtr bio(BIO_new_mem_buf(block.data(), int(block.size())));
      if (!bio) return make_error("x509.bad_pem", "out of memory");
      cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (!cert)
        return make_error("x509.bad_pem", "certificate " + std::to_string(out.size()) + " does not parse");
      cert_cache().put(key, cert);
    }
    out.emplace_back(cert);
    pos = end + kEnd.size();
  }
  if (out.empty()) return make_error("x509.bad_pem", "no PEM certificate found");
  return out;
}

void put_leaf_first(std::vector<X509Ptr>& chain) {
  for (size_t i = 0; i < chain.size(); ++i) {
    bool issues_another = false;
    for (size_t j = 0; j < chain.size() && !issues_another; ++j) {
      if (i != j &&
          X509_NAME_cmp(X509_get_subject_name(chain[i].get()), X509_get_issuer_name(chain[j].get())) == 0) {
        issues_another = true;
      }
    }
    if (!issues_another) {
      if (i != 0) std::swap(chain[0], chain[i]);
      return;
    }
  }
}

Result<X509Ptr> parse_cert(ByteView in) {
  if (looks_pem(in)) {
    VEIL_ASSIGN_OR_RETURN(auto chain, parse_pem_chain(as_chars(in)));
    return std::move(chain.front());
  }
  const std::string key = cache_key(in);
  if (X509* cached = cert_cache().get(key)) return X509Ptr(cached);
  const unsigned char* p = in.data();
  X509* cert = d2i_X509(nullptr, &p, long(in.size()));
  if (!cert) return make_error("x509.bad_cert", "certificate DER does not parse");
  cert_cache().put(key, cert);
  return X509Ptr(cert);
}

Result<X509CrlPtr> parse_crl(ByteView in) {
  const std::string key = cache_key(in);
  if (X509_CRL* cached = crl_cache().get(key)) return X509CrlPtr(cached);
  X509_CRL* crl = nullptr;
  if (looks_pem(in)) {
    BioPtr bio(BIO_new_mem_buf(in.data(), int(in.size())));
    if (bio) crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr);
  } else {
    const unsigned char* p = in.data();
    crl = d2i_X509_CRL(nullptr, &p, long(in.size()));
    if (crl && p != in.data() + in.size()) {
      X509_CRL_free(crl);
      return make_error("x509.bad_crl", "CRL has trailing bytes");
    }
  }
  if (!crl) return make_error("x509.bad_crl", "CRL does not parse");
  crl_cache().put(key, crl);
  return X509CrlPtr(crl);
}

Bytes cert_der(X509* cert) {
  int n = i2d_X509(cert, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<size_t>(n));
  unsigned char* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

std::string subject_cn(X509* cert) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

Status verify_chain(X509* leaf, const std::vector<X509*>& intermediates, X509* root,
                    const std::vector<X509_CRL*>& crls, int64_t now) {
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  struct StackFree {
    void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
    void operator()(STACK_OF(X509_CRL) * s) const { sk_X509_CRL_free(s); }
  };
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  std::unique_ptr<STACK_OF(X509_CRL), StackFree> crl_stack(sk_X509_CRL_new_null());
  if (!store || !ctx || !untrusted || !crl_stack) return make_error("x509.chain", "out of memory");
  if (X509_STORE_add_cert(store.get(), root) != 1)
    return make_error("x509.chain", "cannot add the trusted root");
  for (X509* c : intermediates) sk_X509_push(untrusted.get(), c);
  for (X509_CRL* c : crls) sk_X509_CRL_push(crl_stack.get(), c);
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return make_error("x509.chain", "cannot initialise verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, time_t(now));
  // The root is trusted by identity (it is the one pinned certificate), so
  // its self-signature is not re-checked.
  unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
  if (!crls.empty()) {
    flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    X509_STORE_CTX_set0_crls(ctx.get(), crl_stack.get());
  }
  X509_VERIFY_PARAM_set_flags(param, flags);
  if (X509_verify_cert(ctx.get()) == 1) return ok_status();
  int err = X509_STORE_CTX_get_error(ctx.get());
  int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  std::string who;
  if (X509* bad = X509_STORE_CTX_get_current_cert(ctx.get())) who = " (" + subject_cn(bad) + ")";
  return make_error("x509.chain", std::string(X509_verify_cert_error_string(err)) + " at depth " +
                                      std::to_string(depth) + who);
}

Result<EVP_PKEY*> p256_public_key(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) return make_error("x509.bad_key", "not an EC key");
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1 ||
      std::strcmp(group, "prime256v1") != 0) {
    return make_error("x509.bad_key", "not a P-256 key");
  }
  return key;
}

Result<EvpPkeyPtr> p256_key_from_raw(ByteView xy) {
  if (xy.size() != 64) return make_error("x509.bad_key", "raw P-256 key must be 64 bytes");
  uint8_t point[65];
  point[0] = 0x04;
  std::memcpy(point + 1, xy.data(), 64);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>("prime256v1"), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)),
      OSSL_PARAM_construct_end(),
  };
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1 || !key) {
    return make_error("x509.bad_key", "raw P-256 key is not a valid point");
  }
  EvpPkeyPtr out(key);
  // fromdata does not check that the point lies on the curve.
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr), EVP_PKEY_CTX_free);
  // P-256 has cofactor 1: a point on the curve is in the prime-order group,
  // so the quick (on-curve) check is the complete one.
  if (!check || EVP_PKEY_public_check_quick(check.get()) != 1) {
    return make_error("x509.bad_key", "raw P-256 key is not on the curve");
  }
  return out;
}

bool verify_p256_sha256(EVP_PKEY* key, ByteView message, ByteView raw_rs) {
  if (!key || raw_rs.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return false;
  BIGNUM* r = BN_bin2bn(raw_rs.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw_rs.data() + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char der[80];
  unsigned char* p = der;
  int der_len = i2d_ECDSA_SIG(sig, &p);
  ECDSA_SIG_free(sig);
  if (der_len <= 0) return false;
  // Fetched once: implicit fetches by name cost more than the hash itself.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!md || !sha256 ||
      EVP_DigestVerifyInit_ex(md.get(), nullptr, "SHA2-256", nullptr, nullptr, key, nullptr) != 1) {
    return false;
  }
  return EVP_DigestVerify(md.get(), der, size_t(der_len), message.data(), message.size()) == 1;
}

void clear_parse_caches() {
  cert_cache().clear();
  crl_cache().clear();
}

int64_t asn1_time_to_unix(const ASN1_TIME* t) {
  struct tm tm {};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return int64_t(timegm(&tm));
}

}  // namespace veil::attest::dcap
