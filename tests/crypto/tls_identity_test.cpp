#include "veil/crypto/tls_identity.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "vectors.h"
#include "veil/crypto/ecdsa.h"
#include "veil/crypto/hash.h"

namespace veil::crypto {
namespace {

using test::hex;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// The fingerprint computed another way: the certificate's public key as an
// EVP_PKEY re-encoded with i2d_PUBKEY (what `openssl x509 -pubkey | openssl
// pkey -pubin -outform DER | sha256sum` does).
std::string spki_hex_via_i2d_pubkey(X509* cert) {
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  EXPECT_GT(len, 0);
  std::string out = sha256_hex(ByteView(der, size_t(len)));
  OPENSSL_free(der);
  return out;
}

std::vector<std::string> san_entries(X509* cert) {
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                                         size_t(ASN1_STRING_length(gn->d.dNSName))));
    } else if (gn->type == GEN_IPADD) {
      out.push_back("IP:" + hex(ByteView(ASN1_STRING_get0_data(gn->d.iPAddress),
                                         size_t(ASN1_STRING_length(gn->d.iPAddress)))));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

TEST(TlsIdentity, SelfSignedCertificate) {
  auto id = generate_self_signed_tls_identity("veil-node", {"node.example.com", "10.0.0.7"});
  ASSERT_TRUE(id.ok()) << id.error().to_string();
  X509Ptr cert = parse_pem(id->cert_pem);
  ASSERT_TRUE(cert);

  EXPECT_EQ(hex(id->spki_sha256), spki_hex_via_i2d_pubkey(cert.get()));
  EXPECT_EQ(id->spki_sha256_hex(), spki_hex_via_i2d_pubkey(cert.get()));
  EXPECT_EQ(id->spki_sha256_hex().size(), 64u);

  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof(cn));
  EXPECT_STREQ(cn, "veil-node");
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);  // self-signed
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(cert.get())), 256);

  auto sans = san_entries(cert.get());
  std::vector<std::string> want = {"DNS:localhost", "IP:7f000001", "DNS:node.example.com", "IP:0a000007"};
  EXPECT_EQ(sans, want);

  // Validity: notBefore = now - 1 h, notAfter = notBefore + 365 days (± slack).
  int days = 0, secs = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert.get()), X509_get0_notAfter(cert.get())), 1);
  EXPECT_EQ(days, 365);
  EXPECT_EQ(secs, 0);
  time_t now = std::time(nullptr);
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &now), 0);
  time_t an_hour_ago_plus = now - 3600 + 60;
  EXPECT_LT(X509_cmp_time(X509_get0_notBefore(cert.get()), &an_hour_ago_plus), 0);

  // The key PEM is the certificate's key, and loads as an EcdsaKey.
  auto loaded = load_tls_identity(id->cert_pem, id->key_pem);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->spki_sha256, id->spki_sha256);
  auto key = EcdsaKey::from_private_pem(id->key_pem);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->curve(), Curve::p256);

  auto from_pem = spki_sha256_of_cert_pem(id->cert_pem);
  ASSERT_TRUE(from_pem.ok());
  EXPECT_EQ(*from_pem, id->spki_sha256);
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert.get(), &der);
  ASSERT_GT(der_len, 0);
  auto from_der = spki_sha256_of_cert_der(ByteView(der, size_t(der_len)));
  OPENSSL_free(der);
  ASSERT_TRUE(from_der.ok());
  EXPECT_EQ(*from_der, id->spki_sha256);

  // Move-only; the moved-from identity holds no key material.
  static_assert(!std::is_copy_constructible_v<TlsIdentity>);
  std::string key_before = id->key_pem;
  TlsIdentity moved = std::move(id).value();
  EXPECT_EQ(moved.key_pem, key_before);
  EXPECT_TRUE(id->key_pem.empty());  // NOLINT: checking moved-from state

  // Two identities never share a key.
  auto other = generate_self_signed_tls_identity("veil-node");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->spki_sha256, moved.spki_sha256);
}

TEST(TlsIdentity, LoadRejectsMismatchAndGarbage) {
  auto a = generate_self_signed_tls_identity("a");
  auto b = generate_self_signed_tls_identity("b");
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  auto mismatch = load_tls_identity(a->cert_pem, b->key_pem);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, "crypto.key_mismatch");
  EXPECT_EQ(load_tls_identity("garbage", a->key_pem).error().code, "crypto.bad_certificate");
  EXPECT_EQ(load_tls_identity(a->cert_pem, "garbage").error().code, "crypto.bad_key");
  EXPECT_FALSE(spki_sha256_of_cert_pem("").ok());
  EXPECT_FALSE(spki_sha256_of_cert_der(Bytes{0x30, 0x03, 0x02, 0x01, 0x01}).ok());
  EXPECT_FALSE(spki_sha256_of_cert_der({}).ok());

  // A chain (leaf first): the fingerprint is the leaf's.
  auto chain = load_tls_identity(a->cert_pem + b->cert_pem, a->key_pem);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(chain->spki_sha256, a->spki_sha256);
}

TEST(TlsIdentity, RejectsBadNames) {
  EXPECT_EQ(generate_self_signed_tls_identity("").error().code, "crypto.bad_name");
  EXPECT_EQ(generate_self_signed_tls_identity("a\nb").error().code, "crypto.bad_name");
  EXPECT_EQ(generate_self_signed_tls_identity(std::string(65, 'a')).error().code, "crypto.bad_name");
  EXPECT_EQ(generate_self_signed_tls_identity("ok", {"bad name"}).error().code, "crypto.bad_name");
  EXPECT_EQ(generate_self_signed_tls_identity("ok", {""}).error().code, "crypto.bad_name");
  EXPECT_TRUE(generate_self_signed_tls_identity("ok", {"*.example.com", "::1"}).ok());
}

}  // namespace
}  // namespace veil::crypto
