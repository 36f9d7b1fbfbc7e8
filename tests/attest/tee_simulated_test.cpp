// The simulated TEE, checked from the outside: every quote is decoded by an
// independent decoder written here from the Intel TDX DCAP quote v4 layout
// (not the writer under test), signatures and chains are checked with
// OpenSSL directly, and the collateral is checked against the quote the way
// a DCAP verifier matches them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/shared_data.h"
#include "veil/attest/event_log.h"
#include "veil/attest/tee/simulated_tee_provider.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

// ---------------------------------------------------------------------------
// Independent TDX quote v4 decoder (offsets from Intel's TDX DCAP Quoting
// Library API, Appendix A "Quote Format").

uint16_t le16(const Bytes& b, size_t off) { return uint16_t(b[off] | (b[off + 1] << 8)); }
uint32_t le32(const Bytes& b, size_t off) {
  return uint32_t(b[off]) | uint32_t(b[off + 1]) << 8 | uint32_t(b[off + 2]) << 16 |
         uint32_t(b[off + 3]) << 24;
}
Bytes slice(const Bytes& b, size_t off, size_t len) { return Bytes(b.begin() + off, b.begin() + off + len); }

struct DecodedQuote {
  Bytes header;  // 48
  Bytes body;    // 584
  uint16_t version = 0, att_key_type = 0;
  uint32_t tee_type = 0;
  Bytes qe_vendor_id;
  Bytes tee_tcb_svn, mrseam, mrsignerseam, seam_attributes, td_attributes, xfam, mrtd, mrconfigid;
  std::array<Bytes, 4> rtmr;
  Bytes report_data;
  Bytes quote_signature, attestation_key;
  Bytes qe_report, qe_report_signature, qe_auth_data;
  std::string pck_chain_pem;
};

// Fails the test (returns nullopt) on any inconsistency.
std::optional<DecodedQuote> decode_quote(const Bytes& q) {
  DecodedQuote d;
  if (q.size() < 48 + 584 + 4) {
    ADD_FAILURE() << "quote too short";
    return std::nullopt;
  }
  d.header = slice(q, 0, 48);
  d.version = le16(q, 0);
  d.att_key_type = le16(q, 2);
  d.tee_type = le32(q, 4);
  d.qe_vendor_id = slice(q, 12, 16);
  d.body = slice(q, 48, 584);
  const size_t b = 48;
  d.tee_tcb_svn = slice(q, b + 0, 16);
  d.mrseam = slice(q, b + 16, 48);
  d.mrsignerseam = slice(q, b + 64, 48);
  d.seam_attributes = slice(q, b + 112, 8);
  d.td_attributes = slice(q, b + 120, 8);
  d.xfam = slice(q, b + 128, 8);
  d.mrtd = slice(q, b + 136, 48);
  d.mrconfigid = slice(q, b + 184, 48);
  for (size_t i = 0; i < 4; ++i) d.rtmr[i] = slice(q, b + 328 + 48 * i, 48);
  d.report_data = slice(q, b + 520, 64);

  const uint32_t sig_len = le32(q, 632);
  if (636 + size_t(sig_len) != q.size()) {
    ADD_FAILURE() << "signature data length " << sig_len << " does not end the quote (" << q.size() << ")";
    return std::nullopt;
  }
  size_t p = 636;
  d.quote_signature = slice(q, p, 64);
  d.attestation_key = slice(q, p + 64, 64);
  p += 128;
  EXPECT_EQ(le16(q, p), 6) << "certification data type must be 6 (QE report)";
  const uint32_t cert_len = le32(q, p + 2);
  p += 6;
  if (p + cert_len != q.size() || cert_len < 384 + 64 + 2) {
    ADD_FAILURE() << "certification data size inconsistent";
    return std::nullopt;
  }
  d.qe_report = slice(q, p, 384);
  d.qe_report_signature = slice(q, p + 384, 64);
  p += 448;
  const uint16_t auth_len = le16(q, p);
  p += 2;
  if (p + auth_len + 6 > q.size()) {
    ADD_FAILURE() << "auth data overruns";
    return std::nullopt;
  }
  d.qe_auth_data = slice(q, p, auth_len);
  p += auth_len;
  EXPECT_EQ(le16(q, p), 5) << "inner certification data type must be 5 (PCK chain)";
  const uint32_t chain_len = le32(q, p + 2);
  p += 6;
  if (p + chain_len != q.size()) {
    ADD_FAILURE() << "PCK chain size inconsistent";
    return std::nullopt;
  }
  d.pck_chain_pem.assign(reinterpret_cast<const char*>(q.data() + p), chain_len);
  return d;
}

// ---------------------------------------------------------------------------
// OpenSSL helpers (test-side, independent of the code under test).

struct PkeyDel {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Del {
  void operator()(X509* p) const { X509_free(p); }
};
struct CrlDel {
  void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDel>;
using Cert = std::unique_ptr<X509, X509Del>;
using Crl = std::unique_ptr<X509_CRL, CrlDel>;

Pkey p256_from_raw(const Bytes& xy) {
  Bytes point = {0x04};
  point.insert(point.end(), xy.begin(), xy.end());
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* pkey = nullptr;
  if (ctx && EVP_PKEY_fromdata_init(ctx) == 1) EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  return Pkey(pkey);
}

// ECDSA-P256-SHA256 verification of a raw r||s signature.
bool verify_rs(EVP_PKEY* key, const Bytes& message, const Bytes& rs) {
  if (!key || rs.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(rs.data(), 32, nullptr), BN_bin2bn(rs.data() + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, der, size_t(der_len), message.data(), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

std::vector<Cert> parse_pem_chain(const std::string& pem) {
  std::vector<Cert> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  while (X509* c = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) out.emplace_back(c);
  BIO_free(bio);
  return out;
}

Crl parse_crl_hex(const std::string& hex) {
  auto der = hex_decode(hex);
  if (!der.ok()) return nullptr;
  const unsigned char* p = der->data();
  return Crl(d2i_X509_CRL(nullptr, &p, long(der->size())));
}

Bytes pck_extension_of(X509* cert) {
  ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  const int idx = X509_get_ext_by_OBJ(cert, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) return {};
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
  return Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
}

// ---------------------------------------------------------------------------
// A small DER reader for the SGX PCK extension (X.690 definite lengths).

struct Tlv {
  uint8_t tag = 0;
  Bytes content;
};

std::optional<std::vector<Tlv>> der_children(const Bytes& content) {
  std::vector<Tlv> out;
  size_t p = 0;
  while (p < content.size()) {
    if (p + 2 > content.size()) return std::nullopt;
    Tlv t;
    t.tag = content[p++];
    size_t len = content[p++];
    if (len & 0x80) {
      const size_t n = len & 0x7f;
      if (n == 0 || n > 4 || p + n > content.size()) return std::nullopt;
      len = 0;
      for (size_t i = 0; i < n; ++i) len = (len << 8) | content[p++];
    }
    if (p + len > content.size()) return std::nullopt;
    t.content = slice(content, p, len);
    p += len;
    out.push_back(std::move(t));
  }
  return out;
}

// The extension as (OID hex, value TLV) pairs, flattening the TCB and
// configuration sub-sequences: "base.2.1" etc.
struct PckEntry {
  std::string oid_hex;
  uint8_t value_tag;
  Bytes value;
};
std::vector<PckEntry> flatten_pck_extension(const Bytes& ext_der) {
  std::vector<PckEntry> out;
  auto top = der_children(ext_der);
  if (!top || top->size() != 1 || (*top)[0].tag != 0x30) return out;
  auto entries = der_children((*top)[0].content);
  if (!entries) return out;
  for (const auto& e : *entries) {
    auto kv = der_children(e.content);
    if (e.tag != 0x30 || !kv || kv->size() != 2 || (*kv)[0].tag != 0x06) return {};
    const std::string oid = hex_encode((*kv)[0].content);
    const Tlv& v = (*kv)[1];
    out.push_back({oid, v.tag, v.content});
    if (v.tag == 0x30) {  // TCB (.2) or Configuration (.7)
      auto subs = der_children(v.content);
      if (!subs) return {};
      for (const auto& s : *subs) {
        auto skv = der_children(s.content);
        if (s.tag != 0x30 || !skv || skv->size() != 2 || (*skv)[0].tag != 0x06) return {};
        out.push_back({hex_encode((*skv)[0].content), (*skv)[1].tag, (*skv)[1].content});
      }
    }
  }
  return out;
}

// OID content bytes of 1.2.840.113741.1.13.1 (X.690 8.19).
const std::string kSgxOidHex = "2a864886f84d010d01";
std::string sgx_oid(int a) { return kSgxOidHex + fmt::format("{:02x}", a); }
std::string sgx_oid(int a, int b) { return sgx_oid(a) + fmt::format("{:02x}", b); }

const PckEntry* find_entry(const std::vector<PckEntry>& entries, const std::string& oid) {
  for (const auto& e : entries)
    if (e.oid_hex == oid) return &e;
  return nullptr;
}

uint64_t der_uint(const Bytes& content) {
  uint64_t v = 0;
  for (uint8_t b : content) v = (v << 8) | b;
  return v;
}

// ---------------------------------------------------------------------------

std::array<uint8_t, 64> report_data_for(int i) {
  std::array<uint8_t, 64> rd{};
  for (size_t k = 0; k < rd.size(); ++k) rd[k] = uint8_t(i * 31 + k);
  return rd;
}

UnixSeconds parse_time(const std::string& s) {
  struct tm tm {};
  strptime(s.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return UnixSeconds(timegm(&tm));
}

class SimulatedTeeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = unix_now();
    auto p = make_simulated_tee_provider(now_);
    ASSERT_TRUE(p.ok()) << p.error().to_string();
    tee_ = std::move(p).value();
  }
  UnixSeconds now_ = 0;
  std::unique_ptr<TeeProvider> tee_;
};

TEST_F(SimulatedTeeTest, QuoteHasExactV4LayoutAndValidSignatures) {
  EXPECT_EQ(tee_->kind(), "simulated");
  const auto rd = report_data_for(1);
  auto q = tee_->quote(rd);
  ASSERT_TRUE(q.ok()) << q.error().to_string();
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);

  EXPECT_EQ(d->version, 4);
  EXPECT_EQ(d->att_key_type, 2);  // ECDSA-256-with-P-256
  EXPECT_EQ(d->tee_type, 0x81u);  // TDX
  EXPECT_EQ(hex_encode(d->qe_vendor_id), "939a7233f79c4ca9940a0db3957f0607");
  EXPECT_EQ(d->report_data, Bytes(rd.begin(), rd.end()));

  // Quote signature: attestation key over header ‖ body.
  Pkey ak = p256_from_raw(d->attestation_key);
  ASSERT_TRUE(ak);
  EXPECT_TRUE(verify_rs(ak.get(), concat({d->header, d->body}), d->quote_signature));
  // A flipped REPORTDATA bit breaks it (the check can fail).
  Bytes tampered_body = d->body;
  tampered_body[520] ^= 1;
  EXPECT_FALSE(verify_rs(ak.get(), concat({d->header, tampered_body}), d->quote_signature));

  // QE report: REPORTDATA (offset 320) = SHA-256(attestation key ‖ auth data) ‖ 32 zeros.
  uint8_t expect[32];
  const Bytes bound = concat({d->attestation_key, d->qe_auth_data});
  SHA256(bound.data(), bound.size(), expect);
  EXPECT_EQ(slice(d->qe_report, 320, 32), Bytes(expect, expect + 32));
  EXPECT_EQ(slice(d->qe_report, 352, 32), Bytes(32, 0));

  // QE report signature by the PCK leaf key.
  auto chain = parse_pem_chain(d->pck_chain_pem);
  ASSERT_EQ(chain.size(), 3u);
  EVP_PKEY* pck_key = X509_get0_pubkey(chain[0].get());
  EXPECT_TRUE(verify_rs(pck_key, d->qe_report, d->qe_report_signature));
  Bytes tampered_qe = d->qe_report;
  tampered_qe[0] ^= 1;
  EXPECT_FALSE(verify_rs(pck_key, tampered_qe, d->qe_report_signature));
}

TEST_F(SimulatedTeeTest, TdAttributesPassStrictPolicy) {
  auto q = tee_->quote(report_data_for(2));
  ASSERT_TRUE(q.ok());
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);
  uint64_t attrs = 0;
  for (int i = 7; i >= 0; --i) attrs = (attrs << 8) | d->td_attributes[size_t(i)];
  EXPECT_EQ(attrs & 1, 0u) << "DEBUG must be clear";
  EXPECT_NE(attrs & (uint64_t(1) << 28), 0u) << "SEPT_VE_DISABLE must be set";
  EXPECT_EQ(attrs, uint64_t(1) << 28) << "no other (reserved or optional) attribute bits";
  EXPECT_EQ(d->seam_attributes, Bytes(8, 0));
  EXPECT_EQ(d->mrsignerseam, Bytes(48, 0));
}

TEST_F(SimulatedTeeTest, PckChainVerifiesToRootWithCrls) {
  auto info_text = tee_->simulation_info_json();
  ASSERT_TRUE(info_text);
  auto info = boost::json::parse(*info_text).as_object();
  const std::string root_pem(info.at("root_ca").as_string());
  const auto& coll = info.at("collateral").as_object();

  auto q = tee_->quote(report_data_for(3));
  ASSERT_TRUE(q.ok());
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);
  auto chain = parse_pem_chain(d->pck_chain_pem);
  auto roots = parse_pem_chain(root_pem);
  ASSERT_EQ(chain.size(), 3u);
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(X509_cmp(chain[2].get(), roots[0].get()), 0) << "chain ends in the served root";

  Crl root_crl = parse_crl_hex(std::string(coll.at("root_ca_crl").as_string()));
  Crl pck_crl = parse_crl_hex(std::string(coll.at("pck_crl").as_string()));
  ASSERT_TRUE(root_crl);
  ASSERT_TRUE(pck_crl);
  EXPECT_EQ(X509_CRL_verify(root_crl.get(), X509_get0_pubkey(roots[0].get())), 1);
  EXPECT_EQ(X509_CRL_verify(pck_crl.get(), X509_get0_pubkey(chain[1].get())), 1);
  EXPECT_EQ(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(pck_crl.get())) <= 0, true);

  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, roots[0].get());
  X509_STORE_add_crl(store, root_crl.get());
  X509_STORE_add_crl(store, pck_crl.get());
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  STACK_OF(X509)* untrusted = sk_X509_new_null();
  sk_X509_push(untrusted, chain[1].get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, chain[0].get(), untrusted);
  const int ok = X509_verify_cert(ctx);
  EXPECT_EQ(ok, 1) << X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx));
  X509_STORE_CTX_free(ctx);
  sk_X509_free(untrusted);
  X509_STORE_free(store);

  // The same chain does not verify against another simulation's root.
  auto other = make_simulated_tee_provider(now_);
  ASSERT_TRUE(other.ok());
  auto other_root = parse_pem_chain(std::string(
      boost::json::parse(*(*other)->simulation_info_json()).as_object().at("root_ca").as_string()));
  ASSERT_EQ(other_root.size(), 1u);
  EXPECT_NE(X509_verify(chain[1].get(), X509_get0_pubkey(other_root[0].get())), 1);
}

TEST_F(SimulatedTeeTest, PckExtensionDecodesAndMatchesIntelStructure) {
  auto q = tee_->quote(report_data_for(4));
  ASSERT_TRUE(q.ok());
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);
  auto chain = parse_pem_chain(d->pck_chain_pem);
  ASSERT_FALSE(chain.empty());
  const auto sim = flatten_pck_extension(pck_extension_of(chain[0].get()));
  ASSERT_FALSE(sim.empty());

  const PckEntry* fmspc = find_entry(sim, sgx_oid(4));
  ASSERT_TRUE(fmspc);
  EXPECT_EQ(fmspc->value_tag, 0x04);
  EXPECT_EQ(hex_encode(fmspc->value), "5645494c0000");  // "VEIL\0\0"
  const PckEntry* pce_id = find_entry(sim, sgx_oid(3));
  ASSERT_TRUE(pce_id);
  EXPECT_EQ(hex_encode(pce_id->value), "0000");
  const PckEntry* sgx_type = find_entry(sim, sgx_oid(5));
  ASSERT_TRUE(sgx_type);
  EXPECT_EQ(sgx_type->value_tag, 0x0a);  // ENUMERATED
  const PckEntry* ppid = find_entry(sim, sgx_oid(1));
  ASSERT_TRUE(ppid);
  EXPECT_EQ(ppid->value.size(), 16u);
  const PckEntry* pcesvn = find_entry(sim, sgx_oid(2, 17));
  ASSERT_TRUE(pcesvn);
  EXPECT_EQ(der_uint(pcesvn->value), 11u);
  for (int i = 1; i <= 16; ++i) ASSERT_TRUE(find_entry(sim, sgx_oid(2, i))) << "TCB comp " << i;
  const PckEntry* cpusvn = find_entry(sim, sgx_oid(2, 18));
  ASSERT_TRUE(cpusvn);
  EXPECT_EQ(cpusvn->value.size(), 16u);

  // Same OIDs in the same order with the same DER types as a real Intel
  // Platform-CA PCK certificate (dcap-qvl/tdx_quote).
  VEIL_REQUIRE_SHARED();
  const Bytes real_quote = test::read_shared("testdata/dcap-qvl/tdx_quote");
  auto real = decode_quote(Bytes(real_quote.begin(), real_quote.begin() + 636 + le32(real_quote, 632)));
  ASSERT_TRUE(real);
  auto real_chain = parse_pem_chain(real->pck_chain_pem);
  ASSERT_FALSE(real_chain.empty());
  const auto intel = flatten_pck_extension(pck_extension_of(real_chain[0].get()));
  ASSERT_EQ(intel.size(), sim.size());
  for (size_t i = 0; i < intel.size(); ++i) {
    EXPECT_EQ(sim[i].oid_hex, intel[i].oid_hex) << i;
    EXPECT_EQ(sim[i].value_tag, intel[i].value_tag) << i;
    if (intel[i].value_tag == 0x04 || intel[i].value_tag == 0x01) {
      EXPECT_EQ(sim[i].value.size(), intel[i].value.size()) << i;
    }
  }
}

TEST_F(SimulatedTeeTest, CollateralIsSignedAndMatchesQuoteAsUpToDate) {
  auto info = boost::json::parse(*tee_->simulation_info_json()).as_object();
  const auto& coll = info.at("collateral").as_object();
  for (const char* key :
       {"pck_crl_issuer_chain", "root_ca_crl", "pck_crl", "tcb_info_issuer_chain", "tcb_info",
        "tcb_info_signature", "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature"}) {
    ASSERT_TRUE(coll.contains(key)) << key;
    ASSERT_TRUE(coll.at(key).is_string()) << key;
  }
  auto roots = parse_pem_chain(std::string(info.at("root_ca").as_string()));
  ASSERT_EQ(roots.size(), 1u);

  // TCB info and QE identity signatures over the exact text, by the first
  // certificate of their issuer chains, which the root signed.
  for (auto [text_key, sig_key, chain_key] :
       {std::tuple{"tcb_info", "tcb_info_signature", "tcb_info_issuer_chain"},
        std::tuple{"qe_identity", "qe_identity_signature", "qe_identity_issuer_chain"}}) {
    auto issuer = parse_pem_chain(std::string(coll.at(chain_key).as_string()));
    ASSERT_EQ(issuer.size(), 2u);
    EXPECT_EQ(X509_verify(issuer[0].get(), X509_get0_pubkey(roots[0].get())), 1);
    const std::string text(coll.at(text_key).as_string());
    auto sig = hex_decode(std::string(coll.at(sig_key).as_string()));
    ASSERT_TRUE(sig.ok());
    EXPECT_TRUE(verify_rs(X509_get0_pubkey(issuer[0].get()), to_bytes(text), *sig)) << text_key;
    std::string altered = text;
    altered[altered.size() / 2] ^= 1;
    EXPECT_FALSE(verify_rs(X509_get0_pubkey(issuer[0].get()), to_bytes(altered), *sig));
  }

  auto q = tee_->quote(report_data_for(5));
  ASSERT_TRUE(q.ok());
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);
  auto chain = parse_pem_chain(d->pck_chain_pem);
  const auto ext = flatten_pck_extension(pck_extension_of(chain[0].get()));

  // TCB info: id/version, window, FMSPC/PCE-ID, and the first level whose
  // components the platform meets is UpToDate.
  auto tcb = boost::json::parse(coll.at("tcb_info").as_string()).as_object();
  EXPECT_EQ(tcb.at("id").as_string(), "TDX");
  EXPECT_EQ(tcb.at("version").as_int64(), 3);
  const UnixSeconds issue = parse_time(std::string(tcb.at("issueDate").as_string()));
  const UnixSeconds next = parse_time(std::string(tcb.at("nextUpdate").as_string()));
  EXPECT_LE(issue, now_);
  EXPECT_GE(next, now_ + 29 * 24 * 3600);
  EXPECT_EQ(std::string(tcb.at("fmspc").as_string()), "5645494C0000");
  EXPECT_EQ(std::string(tcb.at("pceId").as_string()), "0000");
  ASSERT_TRUE(tcb.contains("tdxModule"));
  EXPECT_EQ(hex_decode(std::string(tcb.at("tdxModule").at("mrsigner").as_string())).value(), d->mrsignerseam);

  std::string status;
  for (const auto& level_v : tcb.at("tcbLevels").as_array()) {
    const auto& t = level_v.at("tcb").as_object();
    bool meets = true;
    const auto& sgx = t.at("sgxtcbcomponents").as_array();
    const auto& tdx = t.at("tdxtcbcomponents").as_array();
    for (size_t i = 0; i < 16; ++i) {
      const PckEntry* comp = find_entry(ext, sgx_oid(2, int(i + 1)));
      if (!comp || der_uint(comp->value) < uint64_t(sgx[i].at("svn").as_int64())) meets = false;
      if (d->tee_tcb_svn[i] < tdx[i].at("svn").as_int64()) meets = false;
    }
    if (der_uint(find_entry(ext, sgx_oid(2, 17))->value) < uint64_t(t.at("pcesvn").as_int64())) meets = false;
    if (meets) {
      status = std::string(level_v.at("tcbStatus").as_string());
      break;
    }
  }
  EXPECT_EQ(status, "UpToDate");

  // TDX module identity (Intel QVL): TDX_<major> with isvsvn <= module SVN.
  bool module_ok = false;
  for (const auto& id : tcb.at("tdxModuleIdentities").as_array()) {
    if (id.at("id").as_string() != fmt::format("TDX_{:02X}", d->tee_tcb_svn[1])) continue;
    for (const auto& lv : id.at("tcbLevels").as_array()) {
      if (lv.at("tcb").at("isvsvn").as_int64() <= d->tee_tcb_svn[0]) {
        module_ok = lv.at("tcbStatus").as_string() == "UpToDate";
        break;
      }
    }
  }
  EXPECT_TRUE(module_ok);

  // QE identity against the QE report.
  auto qe = boost::json::parse(coll.at("qe_identity").as_string()).as_object();
  EXPECT_EQ(qe.at("id").as_string(), "TD_QE");
  EXPECT_EQ(qe.at("version").as_int64(), 2);
  EXPECT_EQ(hex_decode(std::string(qe.at("mrsigner").as_string())).value(), slice(d->qe_report, 128, 32));
  EXPECT_EQ(qe.at("isvprodid").as_int64(), le16(d->qe_report, 256));
  const Bytes attrs = hex_decode(std::string(qe.at("attributes").as_string())).value();
  const Bytes mask = hex_decode(std::string(qe.at("attributesMask").as_string())).value();
  ASSERT_EQ(attrs.size(), 16u);
  ASSERT_EQ(mask.size(), 16u);
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(d->qe_report[48 + i] & mask[i], attrs[i] & mask[i]) << i;
  const Bytes misc = hex_decode(std::string(qe.at("miscselect").as_string())).value();
  const Bytes misc_mask = hex_decode(std::string(qe.at("miscselectMask").as_string())).value();
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(d->qe_report[16 + i] & misc_mask[i], misc[i] & misc_mask[i]);
  const auto& qe_level = qe.at("tcbLevels").as_array().at(0);
  EXPECT_LE(qe_level.at("tcb").at("isvsvn").as_int64(), le16(d->qe_report, 258));
  EXPECT_EQ(qe_level.at("tcbStatus").as_string(), "UpToDate");
}

TEST_F(SimulatedTeeTest, EventLogReplaysToMeasurementsAndQuote) {
  auto check = [&](int i) {
    const auto log = tee_->event_log();
    const auto replayed = replay_rtmrs(log);
    const TdxMeasurements m = tee_->measurements();
    auto q = tee_->quote(report_data_for(i));
    ASSERT_TRUE(q.ok());
    auto d = decode_quote(*q);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->mrtd, Bytes(m.mrtd.begin(), m.mrtd.end()));
    for (size_t r = 0; r < 4; ++r) {
      EXPECT_EQ(replayed[r], m.rtmr[r]) << "rtmr" << r;
      EXPECT_EQ(d->rtmr[r], Bytes(m.rtmr[r].begin(), m.rtmr[r].end())) << "rtmr" << r;
    }
  };
  const auto boot = tee_->event_log();
  ASSERT_FALSE(boot.empty());
  for (const auto& e : boot) EXPECT_LE(e.imr, 2u);
  EXPECT_EQ(tee_->measurements().rtmr[3], Sha384Value{});
  for (size_t r = 0; r < 3; ++r) EXPECT_NE(tee_->measurements().rtmr[r], Sha384Value{});
  check(10);

  ASSERT_TRUE(tee_->extend_runtime_event("veil-version", as_bytes("0.1.0")).ok());
  const uint8_t config_hash[32] = {1, 2, 3};
  ASSERT_TRUE(tee_->extend_runtime_event("veil-config", ByteView(config_hash, 32)).ok());
  ASSERT_TRUE(tee_->extend_runtime_event("model-name", as_bytes("test-model")).ok());
  const auto log = tee_->event_log();
  ASSERT_EQ(log.size(), boot.size() + 3);
  EXPECT_EQ(log.back().imr, 3u);
  EXPECT_EQ(log.back().event, "model-name");
  EXPECT_EQ(log.back().digest, runtime_event_digest("model-name", as_bytes("test-model")));
  EXPECT_NE(tee_->measurements().rtmr[3], Sha384Value{});
  check(11);

  // RTMR3 by hand (WIRE.md section 3): SHA384 chain over the three digests.
  Sha384Value rtmr3{};
  for (auto [name, payload] : {std::pair<std::string, Bytes>{"veil-version", to_bytes("0.1.0")},
                               {"veil-config", Bytes(config_hash, config_hash + 32)},
                               {"model-name", to_bytes("test-model")}}) {
    Bytes msg = {0x01, 0x00, 0x00, 0x08, ':'};  // le32(0x08000001) ‖ ":"
    msg.insert(msg.end(), name.begin(), name.end());
    msg.push_back(':');
    msg.insert(msg.end(), payload.begin(), payload.end());
    uint8_t digest[48];
    SHA384(msg.data(), msg.size(), digest);
    uint8_t buf[96];
    std::memcpy(buf, rtmr3.data(), 48);
    std::memcpy(buf + 48, digest, 48);
    SHA384(buf, 96, rtmr3.data());
  }
  EXPECT_EQ(tee_->measurements().rtmr[3], rtmr3);
}

TEST_F(SimulatedTeeTest, ConcurrentQuotesFromEightThreads) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 12;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  std::vector<Bytes> attestation_keys(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const auto rd = report_data_for(100 + t * kPerThread + i);
        auto q = tee_->quote(rd);
        if (!q.ok()) {
          ++failures;
          continue;
        }
        auto d = decode_quote(*q);
        if (!d || d->report_data != Bytes(rd.begin(), rd.end())) {
          ++failures;
          continue;
        }
        Pkey ak = p256_from_raw(d->attestation_key);
        if (!verify_rs(ak.get(), concat({d->header, d->body}), d->quote_signature)) ++failures;
        attestation_keys[size_t(t)] = d->attestation_key;
      }
    });
  }
  // Runtime events extended meanwhile must not corrupt anything.
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(tee_->extend_runtime_event("evt", as_bytes(std::to_string(i))).ok());
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (const auto& k : attestation_keys) EXPECT_EQ(k, attestation_keys[0]);
  EXPECT_EQ(replay_rtmrs(tee_->event_log())[3], tee_->measurements().rtmr[3]);
}

TEST_F(SimulatedTeeTest, QuoteTimeIsSmall) {
  constexpr int kQuotes = 200;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kQuotes; ++i) ASSERT_TRUE(tee_->quote(report_data_for(i)).ok());
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  const double per_quote = double(us) / kQuotes;
  std::cout << "[ simulated TDX quote: " << per_quote << " us per quote ]\n";
  RecordProperty("simulated_quote_us", std::to_string(per_quote));
  EXPECT_LT(per_quote, 5000.0);  // generous for the sanitizer build
}

TEST(TeeProviderFactory, SimulatedMrConfigIdIsCarried) {
  TeeOptions o;
  std::array<uint8_t, 48> config_id{};
  config_id[0] = 0x01;  // dstack convention: 0x01 ‖ SHA-256(app_compose) ‖ zeros
  for (size_t i = 1; i < 33; ++i) config_id[i] = uint8_t(i);
  o.simulated_mr_config_id = config_id;
  auto tee = make_tee_provider("simulated", o);
  ASSERT_TRUE(tee.ok());
  auto q = (*tee)->quote(report_data_for(9));
  ASSERT_TRUE(q.ok());
  auto d = decode_quote(*q);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->mrconfigid, Bytes(config_id.begin(), config_id.end()));
  Pkey ak = p256_from_raw(d->attestation_key);
  EXPECT_TRUE(verify_rs(ak.get(), concat({d->header, d->body}), d->quote_signature));

  auto plain = make_tee_provider("simulated");
  ASSERT_TRUE(plain.ok());
  auto q2 = (*plain)->quote(report_data_for(9));
  ASSERT_TRUE(q2.ok());
  EXPECT_EQ(decode_quote(*q2)->mrconfigid, Bytes(48, 0));
}

TEST(TeeProviderFactory, KindsAndErrors) {
  auto bad = make_tee_provider("sgx");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "tee.unknown_kind");
  auto sim = make_tee_provider("simulated");
  ASSERT_TRUE(sim.ok());
  EXPECT_EQ((*sim)->kind(), "simulated");
  // Each start creates its own root.
  auto sim2 = make_tee_provider("simulated");
  ASSERT_TRUE(sim2.ok());
  EXPECT_NE(*(*sim)->simulation_info_json(), *(*sim2)->simulation_info_json());
}

}  // namespace
}  // namespace veil::attest
