// Revocation and validity at `now` with a throw-away PKI (Intel never gives
// us a CRL that revokes a PCK we hold): root → CA → leaf, root CRL, CA CRL.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "veil/attest/dcap/x509.h"

namespace veil::attest::dcap {
namespace {

constexpr int64_t kT0 = 1700000000;  // 2023-11-14

EvpPkeyPtr new_key() { return EvpPkeyPtr(EVP_EC_gen("P-256")); }

X509Ptr make_cert(const char* cn, long serial, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                  int64_t not_before, int64_t not_after) {
  X509* c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_subject_name(c, name);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  X509_NAME_free(name);
  ASN1_TIME_set(X509_getm_notBefore(c), time_t(not_before));
  ASN1_TIME_set(X509_getm_notAfter(c), time_t(not_after));
  X509_set_pubkey(c, key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : c, c, nullptr, nullptr, 0);
  X509_EXTENSION* bc =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext(c, bc, -1);
  X509_EXTENSION_free(bc);
  if (ca) {
    X509_EXTENSION* ku = X509V3_EXT_conf_nid(nullptr, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
    X509_add_ext(c, ku, -1);
    X509_EXTENSION_free(ku);
  }
  X509_sign(c, issuer_key, EVP_sha256());
  return X509Ptr(c);
}

X509CrlPtr make_crl(X509* issuer, EVP_PKEY* key, std::vector<long> revoked, int64_t this_update,
                    int64_t next_update) {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, time_t(this_update));
  ASN1_TIME* n = ASN1_TIME_set(nullptr, time_t(next_update));
  X509_CRL_set1_lastUpdate(crl, t);
  X509_CRL_set1_nextUpdate(crl, n);
  for (long s : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* serial = ASN1_INTEGER_new();
    ASN1_INTEGER_set(serial, s);
    X509_REVOKED_set_serialNumber(r, serial);
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl, r);
    ASN1_INTEGER_free(serial);
  }
  ASN1_TIME_free(t);
  ASN1_TIME_free(n);
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  return X509CrlPtr(crl);
}

struct Pki {
  EvpPkeyPtr root_key = new_key(), ca_key = new_key(), leaf_key = new_key();
  X509Ptr root =
      make_cert("Test Root", 1, root_key.get(), nullptr, root_key.get(), true, kT0 - 86400, kT0 + 10 * 86400);
  X509Ptr ca =
      make_cert("Test CA", 2, ca_key.get(), root.get(), root_key.get(), true, kT0 - 86400, kT0 + 10 * 86400);
  X509Ptr leaf =
      make_cert("Test Leaf", 3, leaf_key.get(), ca.get(), ca_key.get(), false, kT0 - 86400, kT0 + 86400);

  Status verify(X509_CRL* root_crl, X509_CRL* ca_crl, int64_t now) {
    std::vector<X509_CRL*> crls;
    if (root_crl) crls.push_back(root_crl);
    if (ca_crl) crls.push_back(ca_crl);
    return verify_chain(leaf.get(), {ca.get()}, root.get(), crls, now);
  }
};

TEST(TdxX509, ChainWithCurrentCrlsPasses) {
  Pki p;
  auto rc = make_crl(p.root.get(), p.root_key.get(), {}, kT0 - 3600, kT0 + 3600);
  auto cc = make_crl(p.ca.get(), p.ca_key.get(), {99}, kT0 - 3600, kT0 + 3600);
  auto st = p.verify(rc.get(), cc.get(), kT0);
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

TEST(TdxX509, RevokedLeafAndRevokedCa) {
  Pki p;
  auto rc = make_crl(p.root.get(), p.root_key.get(), {}, kT0 - 3600, kT0 + 3600);
  auto cc = make_crl(p.ca.get(), p.ca_key.get(), {3}, kT0 - 3600, kT0 + 3600);
  auto st = p.verify(rc.get(), cc.get(), kT0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("certificate revoked at depth 0"), std::string::npos)
      << st.error().message;

  auto rc2 = make_crl(p.root.get(), p.root_key.get(), {2}, kT0 - 3600, kT0 + 3600);
  auto cc2 = make_crl(p.ca.get(), p.ca_key.get(), {}, kT0 - 3600, kT0 + 3600);
  auto st2 = p.verify(rc2.get(), cc2.get(), kT0);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(st2.error().message.find("certificate revoked at depth 1"), std::string::npos)
      << st2.error().message;
}

TEST(TdxX509, CrlDatesAndIssuer) {
  Pki p;
  auto rc = make_crl(p.root.get(), p.root_key.get(), {}, kT0 - 3600, kT0 + 3600);
  auto expired = make_crl(p.ca.get(), p.ca_key.get(), {}, kT0 - 7200, kT0 - 3600);
  auto st = p.verify(rc.get(), expired.get(), kT0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("CRL has expired"), std::string::npos) << st.error().message;

  auto future = make_crl(p.ca.get(), p.ca_key.get(), {}, kT0 + 3600, kT0 + 7200);
  auto st2 = p.verify(rc.get(), future.get(), kT0);
  ASSERT_FALSE(st2.ok());
  EXPECT_NE(st2.error().message.find("CRL is not yet valid"), std::string::npos) << st2.error().message;

  // A CRL for the CA signed by the wrong key.
  auto forged = make_crl(p.ca.get(), p.leaf_key.get(), {}, kT0 - 3600, kT0 + 3600);
  auto st3 = p.verify(rc.get(), forged.get(), kT0);
  ASSERT_FALSE(st3.ok());
  EXPECT_NE(st3.error().message.find("CRL signature failure"), std::string::npos) << st3.error().message;

  // Missing CA CRL while CRL checking is on.
  auto st4 = p.verify(rc.get(), nullptr, kT0);
  ASSERT_FALSE(st4.ok());
  EXPECT_NE(st4.error().message.find("unable to get certificate CRL"), std::string::npos)
      << st4.error().message;
}

TEST(TdxX509, ValidityAtNow) {
  Pki p;
  EXPECT_TRUE(p.verify(nullptr, nullptr, kT0).ok());
  auto late = p.verify(nullptr, nullptr, kT0 + 2 * 86400);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("certificate has expired"), std::string::npos);
  auto early = p.verify(nullptr, nullptr, kT0 - 2 * 86400);
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message.find("not yet valid"), std::string::npos);
}

TEST(TdxX509, RawP256Keys) {
  uint8_t junk[64] = {1, 2, 3};
  EXPECT_FALSE(p256_key_from_raw(ByteView(junk, 64)).ok());
  EXPECT_FALSE(p256_key_from_raw(ByteView(junk, 63)).ok());
  EXPECT_FALSE(verify_p256_sha256(nullptr, {}, ByteView(junk, 64)));
}

}  // namespace
}  // namespace veil::attest::dcap
