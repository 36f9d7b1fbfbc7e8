#include "veil/crypto/tls_identity.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <cstring>

#include "veil/base/encoding.h"
#include "veil/crypto/ecdsa.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/ossl_util.h"
#include "veil/crypto/random.h"

namespace veil::crypto {
namespace {

using detail::Owned;

constexpr size_t kMaxPemSize = size_t(1) << 20;

Error x509_error(const char* what) { return make_error("crypto.x509", what); }

bool printable_name(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// RFC 1035 host names (letters, digits, '-', '.', and a leading "*." wildcard).
bool valid_dns_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (s.substr(0, 2) == "*.") s.remove_prefix(2);
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '-' || c == '.')) return false;
  }
  return true;
}

// Appends DNS:name, or IP:name when it parses as an IPv4/IPv6 literal.
Status add_san(GENERAL_NAMES* names, const std::string& name) {
  GENERAL_NAME* gn = GENERAL_NAME_new();
  if (gn == nullptr) return x509_error("allocation failed");
  if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
    GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
  } else {
    if (!valid_dns_name(name)) {
      GENERAL_NAME_free(gn);
      return make_error("crypto.bad_name", "TLS DNS name has invalid characters");
    }
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (dns == nullptr || ASN1_STRING_set(dns, name.data(), int(name.size())) != 1) {
      ASN1_IA5STRING_free(dns);
      GENERAL_NAME_free(gn);
      return x509_error("allocation failed");
    }
    GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
  }
  if (sk_GENERAL_NAME_push(names, gn) == 0) {
    GENERAL_NAME_free(gn);
    return x509_error("allocation failed");
  }
  return ok_status();
}

Status add_conf_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, ctx, nid, value);
  if (ext == nullptr) return x509_error("extension encoding failed");
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1 ? ok_status() : x509_error("extension add failed");
}

std::array<uint8_t, 32> spki_sha256_of(X509* cert, bool* ok) {
  std::array<uint8_t, 32> out{};
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  *ok = len > 0;
  if (*ok) out = sha256(ByteView(der, size_t(len)));
  OPENSSL_free(der);
  return out;
}

Result<std::string> cert_to_pem(X509* cert) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return x509_error("certificate PEM export failed");
  return detail::bio_contents(bio.get());
}

Result<std::string> key_to_pkcs8_pem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return make_error("crypto.bad_key", "private key PEM export failed");
  }
  return detail::bio_contents(bio.get());
}

Result<Owned<X509>> first_cert_from_pem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemSize)
    return make_error("crypto.bad_certificate", "certificate PEM size");
  auto bio = detail::memory_bio(pem);
  if (!bio) return x509_error("BIO allocation failed");
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, detail::no_password, nullptr));
  if (!cert) return make_error("crypto.bad_certificate", "no parsable certificate in PEM");
  return cert;
}

}  // namespace

namespace {
void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}
}  // namespace

TlsIdentity::~TlsIdentity() { wipe(key_pem); }

TlsIdentity::TlsIdentity(TlsIdentity&& other) noexcept
    : cert_pem(std::move(other.cert_pem)), key_pem(std::move(other.key_pem)), spki_sha256(other.spki_sha256) {
  wipe(other.key_pem);  // a short (SSO) string would otherwise leave its bytes behind
  other.cert_pem.clear();
  other.spki_sha256.fill(0);
}

TlsIdentity& TlsIdentity::operator=(TlsIdentity&& other) noexcept {
  if (this != &other) {
    wipe(key_pem);
    cert_pem = std::move(other.cert_pem);
    key_pem = std::move(other.key_pem);
    spki_sha256 = other.spki_sha256;
    wipe(other.key_pem);
    other.cert_pem.clear();
    other.spki_sha256.fill(0);
  }
  return *this;
}

std::string TlsIdentity::spki_sha256_hex() const { return hex_encode(spki_sha256); }

Result<TlsIdentity> generate_self_signed_tls_identity(std::string_view common_name,
                                                      const std::vector<std::string>& dns_names) {
  if (!printable_name(common_name, 64)) {  // ub-common-name = 64 (RFC 5280 App. A)
    return make_error("crypto.bad_name", "TLS common name must be 1..64 printable characters");
  }
  EcdsaKey key = EcdsaKey::generate(Curve::p256);

  Owned<X509> cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1)
    return x509_error("certificate allocation failed");

  // Random positive 128-bit serial (RFC 5280 §4.1.2.2: at most 20 octets).
  std::array<uint8_t, 16> serial_bytes{};
  random_fill(serial_bytes);
  serial_bytes[0] &= 0x7f;
  serial_bytes[0] |= 0x01;  // non-zero leading byte: always a 16-byte INTEGER
  Owned<BIGNUM> serial_bn(BN_bin2bn(serial_bytes.data(), int(serial_bytes.size()), nullptr));
  if (!serial_bn || BN_to_ASN1_INTEGER(serial_bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return x509_error("serial number");
  }

  constexpr long kHour = 3600;
  constexpr long kYear = 365L * 24 * kHour;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kHour) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kYear - kHour) == nullptr) {
    return x509_error("validity");
  }

  X509_NAME* name = X509_get_subject_name(cert.get());
  std::string cn(common_name);
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.data()),
                                 int(cn.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1) {
    return x509_error("subject name");
  }
  if (X509_set_pubkey(cert.get(), key.pkey()) != 1) return x509_error("public key");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  VEIL_TRY(add_conf_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  VEIL_TRY(add_conf_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  VEIL_TRY(add_conf_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"));
  VEIL_TRY(add_conf_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));

  struct NamesFree {
    void operator()(GENERAL_NAMES* n) const { GENERAL_NAMES_free(n); }
  };
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(sk_GENERAL_NAME_new_null());
  if (!names) return x509_error("allocation failed");
  VEIL_TRY(add_san(names.get(), "localhost"));
  VEIL_TRY(add_san(names.get(), "127.0.0.1"));
  for (const auto& dns : dns_names) {
    if (dns == "localhost" || dns == "127.0.0.1") continue;
    VEIL_TRY(add_san(names.get(), dns));
  }
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return x509_error("subjectAltName");
  }

  if (X509_sign(cert.get(), key.pkey(), EVP_sha256()) <= 0) return x509_error("self-signing failed");

  TlsIdentity id;
  VEIL_ASSIGN_OR_RETURN(id.cert_pem, cert_to_pem(cert.get()));
  id.key_pem = key.private_pem();
  bool ok = false;
  id.spki_sha256 = spki_sha256_of(cert.get(), &ok);
  if (!ok) return x509_error("SPKI encoding failed");
  return id;
}

Result<TlsIdentity> load_tls_identity(std::string_view cert_pem, std::string_view key_pem) {
  VEIL_ASSIGN_OR_RETURN(Owned<X509> cert, first_cert_from_pem(cert_pem));
  if (key_pem.empty() || key_pem.size() > kMaxPemSize)
    return make_error("crypto.bad_key", "private key PEM size");
  auto bio = detail::memory_bio(key_pem);
  if (!bio) return x509_error("BIO allocation failed");
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, detail::no_password, nullptr));
  if (!key) return make_error("crypto.bad_key", "no parsable (unencrypted) private key in PEM");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return make_error("crypto.key_mismatch", "private key does not match the leaf certificate");
  }
  TlsIdentity id;
  id.cert_pem = std::string(cert_pem);
  VEIL_ASSIGN_OR_RETURN(id.key_pem, key_to_pkcs8_pem(key.get()));
  bool ok = false;
  id.spki_sha256 = spki_sha256_of(cert.get(), &ok);
  if (!ok) return make_error("crypto.bad_certificate", "SPKI encoding failed");
  return id;
}

Result<std::array<uint8_t, 32>> spki_sha256_of_cert_pem(std::string_view pem) {
  VEIL_ASSIGN_OR_RETURN(Owned<X509> cert, first_cert_from_pem(pem));
  bool ok = false;
  auto fp = spki_sha256_of(cert.get(), &ok);
  if (!ok) return make_error("crypto.bad_certificate", "SPKI encoding failed");
  return fp;
}

Result<std::array<uint8_t, 32>> spki_sha256_of_cert_der(ByteView der) {
  if (der.empty() || der.size() > kMaxPemSize)
    return make_error("crypto.bad_certificate", "certificate DER size");
  const unsigned char* p = der.data();
  Owned<X509> cert(d2i_X509(nullptr, &p, long(der.size())));
  if (!cert || p != der.data() + der.size()) {
    return make_error("crypto.bad_certificate", "malformed DER certificate");
  }
  bool ok = false;
  auto fp = spki_sha256_of(cert.get(), &ok);
  if (!ok) return make_error("crypto.bad_certificate", "SPKI encoding failed");
  return fp;
}

}  // namespace veil::crypto
