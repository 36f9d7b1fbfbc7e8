#include "veil/attest/tee/simulated_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <utility>

#include "veil/attest/tee/der_writer.h"

namespace veil::attest {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kCertValidity = 10 * 365 * kDay;
constexpr int64_t kCrlValidity = 30 * kDay;

// Intel's common names, so name-based checks written for real PCK chains
// (CA type from the issuer CN, expected subjects) take the same path; the
// organisation says what the certificate really is.
constexpr const char* kOrganisation = "Veil Simulated TEE (not Intel, not a hardware TEE)";
constexpr const char* kRootCn = "Intel SGX Root CA";
constexpr const char* kPlatformCaCn = "Intel SGX PCK Platform CA";
constexpr const char* kTcbSigningCn = "Intel SGX TCB Signing";
constexpr const char* kPckLeafCn = "Intel SGX PCK Certificate";

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct NameFree {
  void operator()(X509_NAME* n) const { X509_NAME_free(n); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct AsnIntFree {
  void operator()(ASN1_INTEGER* i) const { ASN1_INTEGER_free(i); }
};
struct AsnTimeFree {
  void operator()(ASN1_TIME* t) const { ASN1_TIME_free(t); }
};
struct AsnOctetFree {
  void operator()(ASN1_OCTET_STRING* s) const { ASN1_OCTET_STRING_free(s); }
};
struct AsnObjectFree {
  void operator()(ASN1_OBJECT* o) const { ASN1_OBJECT_free(o); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

Error pki_error(const char* what) { return make_error("tee.simulated_pki", what); }

std::unique_ptr<X509_NAME, NameFree> make_name(const char* cn) {
  std::unique_ptr<X509_NAME, NameFree> name(X509_NAME_new());
  if (!name) return name;
  auto add = [&](const char* field, const char* value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value), -1, -1, 0) == 1;
  };
  if (!add("CN", cn) || !add("O", kOrganisation)) name.reset();
  return name;
}

// RFC 5280 4.1.2.2: positive, at most 20 octets; 16 random bytes with the
// top bit cleared.
bool set_random_serial(X509* cert) {
  uint8_t raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) return false;
  raw[0] &= 0x7f;
  raw[0] |= 0x01;
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(raw, sizeof raw, nullptr));
  if (!bn) return false;
  return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

bool add_conf_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// The SGX PCK extension is not known to OpenSSL: add its DER directly.
bool add_sgx_extension(X509* cert, const SgxPckExtensionFields& fields) {
  const Bytes value = encode_sgx_pck_extension(fields);
  std::unique_ptr<ASN1_OBJECT, AsnObjectFree> obj(OBJ_txt2obj(kSgxPckExtensionOid, 1));
  std::unique_ptr<ASN1_OCTET_STRING, AsnOctetFree> octets(ASN1_OCTET_STRING_new());
  if (!obj || !octets || ASN1_OCTET_STRING_set(octets.get(), value.data(), int(value.size())) != 1)
    return false;
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(
      X509_EXTENSION_create_by_OBJ(nullptr, obj.get(), /*crit=*/0, octets.get()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

enum class CertRole { root, platform_ca, tcb_signing, pck_leaf };

struct CertSpec {
  CertRole role;
  const char* cn;
  const P256Key* subject_key;
  const P256Key* issuer_key;
  X509* issuer_cert;  // nullptr: self-signed
  const SgxPckExtensionFields* sgx_fields = nullptr;
};

Result<X509Ptr> make_cert(const CertSpec& spec, UnixSeconds now_s) {
  time_t now = time_t(now_s);
  X509Ptr cert(X509_new());
  if (!cert) return pki_error("X509_new failed");
  auto subject = make_name(spec.cn);
  if (!subject) return pki_error("subject name");
  if (X509_set_version(cert.get(), 2) != 1 || !set_random_serial(cert.get()) ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_issuer_name(cert.get(),
                           spec.issuer_cert ? X509_get_subject_name(spec.issuer_cert) : subject.get()) != 1 ||
      X509_set_pubkey(cert.get(), spec.subject_key->pkey()) != 1 ||
      !X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, -kHour, &now) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, long(kCertValidity), &now)) {
    return pki_error("certificate fields");
  }

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, spec.issuer_cert ? spec.issuer_cert : cert.get(), cert.get(), nullptr, nullptr, 0);

  // Extensions as in Intel's certificates of the same role.
  bool ok = add_conf_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash") &&
            add_conf_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  switch (spec.role) {
    case CertRole::root:
      ok = ok && add_conf_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
           add_conf_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:1");
      break;
    case CertRole::platform_ca:
      ok = ok && add_conf_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") &&
           add_conf_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
      break;
    case CertRole::tcb_signing:
      ok = ok && add_conf_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
           add_conf_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
      break;
    case CertRole::pck_leaf:
      ok = ok && add_conf_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation") &&
           add_conf_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") && spec.sgx_fields &&
           add_sgx_extension(cert.get(), *spec.sgx_fields);
      break;
  }
  if (!ok) return pki_error("certificate extensions");
  if (X509_sign(cert.get(), spec.issuer_key->pkey(), EVP_sha256()) <= 0)
    return pki_error("certificate signature");
  return cert;
}

// An empty v2 CRL (RFC 5280 5.1) with CRL number and authority key id, as
// Intel's CRLs carry.
Result<Bytes> issue_empty_crl(X509* issuer, const P256Key& issuer_key, UnixSeconds now_s) {
  time_t now = time_t(now_s);
  X509CrlPtr crl(X509_CRL_new());
  if (!crl) return pki_error("X509_CRL_new failed");
  std::unique_ptr<ASN1_TIME, AsnTimeFree> last(X509_time_adj_ex(nullptr, 0, -kHour, &now));
  std::unique_ptr<ASN1_TIME, AsnTimeFree> next(X509_time_adj_ex(nullptr, 0, long(kCrlValidity), &now));
  std::unique_ptr<ASN1_INTEGER, AsnIntFree> number(ASN1_INTEGER_new());
  if (!last || !next || !number || ASN1_INTEGER_set(number.get(), 1) != 1 ||
      X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1 ||
      X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) != 1) {
    return pki_error("CRL fields");
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl.get(), 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> aki(
      X509V3_EXT_nconf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!aki || X509_CRL_add_ext(crl.get(), aki.get(), -1) != 1) return pki_error("CRL authority key id");
  if (X509_CRL_sign(crl.get(), issuer_key.pkey(), EVP_sha256()) <= 0) return pki_error("CRL signature");
  const int len = i2d_X509_CRL(crl.get(), nullptr);
  if (len <= 0) return pki_error("CRL encoding");
  Bytes encoded(static_cast<size_t>(len));
  uint8_t* p = encoded.data();
  if (i2d_X509_CRL(crl.get(), &p) != len) return pki_error("CRL encoding");
  return encoded;
}

Result<std::string> to_pem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return pki_error("PEM encoding");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  if (n <= 0 || data == nullptr) return pki_error("PEM encoding");
  return std::string(data, size_t(n));
}

}  // namespace

Result<SimulatedPki> make_simulated_pki(const SgxPckExtensionFields& pck_fields, UnixSeconds now) {
  SimulatedPki pki{P256Key::generate(),
                   P256Key::generate(),
                   P256Key::generate(),
                   P256Key::generate(),
                   {},
                   {},
                   {},
                   {},
                   nullptr,
                   nullptr};
  VEIL_ASSIGN_OR_RETURN(X509Ptr root,
                        make_cert({CertRole::root, kRootCn, &pki.root_key, &pki.root_key, nullptr}, now));
  VEIL_ASSIGN_OR_RETURN(X509Ptr platform_ca, make_cert({CertRole::platform_ca, kPlatformCaCn,
                                                        &pki.platform_ca_key, &pki.root_key, root.get()},
                                                       now));
  VEIL_ASSIGN_OR_RETURN(X509Ptr tcb_signing, make_cert({CertRole::tcb_signing, kTcbSigningCn,
                                                        &pki.tcb_signing_key, &pki.root_key, root.get()},
                                                       now));
  VEIL_ASSIGN_OR_RETURN(X509Ptr pck_leaf, make_cert({CertRole::pck_leaf, kPckLeafCn, &pki.pck_key,
                                                     &pki.platform_ca_key, platform_ca.get(), &pck_fields},
                                                    now));
  VEIL_ASSIGN_OR_RETURN(pki.root_pem, to_pem(root.get()));
  VEIL_ASSIGN_OR_RETURN(pki.platform_ca_pem, to_pem(platform_ca.get()));
  VEIL_ASSIGN_OR_RETURN(pki.tcb_signing_pem, to_pem(tcb_signing.get()));
  VEIL_ASSIGN_OR_RETURN(pki.pck_leaf_pem, to_pem(pck_leaf.get()));
  pki.root = std::move(root);
  pki.platform_ca = std::move(platform_ca);
  return pki;
}

Result<Bytes> make_empty_crl(const SimulatedPki& pki, CrlIssuer issuer, UnixSeconds now) {
  if (issuer == CrlIssuer::root) return issue_empty_crl(pki.root.get(), pki.root_key, now);
  return issue_empty_crl(pki.platform_ca.get(), pki.platform_ca_key, now);
}

}  // namespace veil::attest
