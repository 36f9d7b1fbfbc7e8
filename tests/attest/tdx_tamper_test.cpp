// A flipped byte in every signed region fails with the specific reason; the
// collateral window and certificate validity are judged at `now`.
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/collateral.h"
#include "veil/attest/dcap/verify.h"
#include "veil/attest/dcap/x509.h"
#include "veil/attest/quote.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

constexpr int64_t kNow = 1751624191;  // dcap-qvl/tdx_quote's verification time

struct Fixture {
  Bytes raw;
  Collateral col;
};

Fixture load() {
  Fixture f;
  f.raw = veil::test::read_shared("testdata/dcap-qvl/tdx_quote");
  auto c = collateral_from_dcap_qvl_json(
      veil::test::read_shared_text("testdata/dcap-qvl/tdx_quote_collateral.json"));
  EXPECT_TRUE(c.ok());
  if (c.ok()) f.col = *c;
  return f;
}

dcap::DcapReport verify(const Bytes& raw, const Collateral* col, int64_t now = kNow) {
  auto q = parse_quote(raw);
  EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.error().to_string());
  if (!q.ok()) return {};
  dcap::VerifyOptions o;
  o.now = now;
  o.collateral = col;
  return dcap::verify_quote(*q, o);
}

std::string dump(const Verdict& v) {
  std::string s;
  for (const auto& c : v.checks)
    s += std::string(to_string(c.status)) + " " + c.name + ": " + c.detail + "\n";
  return s;
}

// The named check failed, with `detail_part` in its detail, and nothing was verified.
void expect_fail(const dcap::DcapReport& r, const std::string& check, const std::string& detail_part) {
  EXPECT_FALSE(r.verdict.verified) << dump(r.verdict);
  EXPECT_FALSE(r.verdict.tcb_status.has_value());
  bool found = false;
  for (const auto& c : r.verdict.checks) {
    if (c.name == check && c.status == CheckStatus::fail) {
      found = true;
      EXPECT_NE(c.detail.find(detail_part), std::string::npos) << c.detail;
    }
  }
  EXPECT_TRUE(found) << check << " did not fail:\n" << dump(r.verdict);
}

// Offsets inside a v4 quote (TD 1.0 body): header 48, body 584, sig_len 4,
// signature 64, attestation key 64, cert type 2, cert size 4, QE report 384,
// QE report signature 64, QE auth size 2, QE auth data.
constexpr size_t kBody = 48;
constexpr size_t kSigData = 48 + 584 + 4;
constexpr size_t kAttKey = kSigData + 64;
constexpr size_t kQeReport = kSigData + 128 + 6;
constexpr size_t kQeReportSig = kQeReport + 384;
constexpr size_t kQeAuth = kQeReportSig + 64 + 2;

TEST(TdxTamper, BaselineVerifies) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  auto r = verify(f.raw, &f.col);
  EXPECT_TRUE(r.verdict.verified) << dump(r.verdict);
}

TEST(TdxTamper, QuoteHeaderAndBody) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  for (size_t off : {size_t(30), kBody + 0, kBody + 136, kBody + 400, kBody + 583}) {
    SCOPED_TRACE(off);
    Bytes b = f.raw;
    b[off] ^= 0x01;
    expect_fail(verify(b, &f.col), "dcap.quote_signature", "quote signature does not verify");
  }
  Bytes sig = f.raw;
  sig[kSigData + 5] ^= 0x80;
  expect_fail(verify(sig, &f.col), "dcap.quote_signature", "quote signature does not verify");
}

TEST(TdxTamper, QeReportSignatureAndBinding) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  {
    Bytes b = f.raw;
    b[kQeReport + 100] ^= 0x01;
    expect_fail(verify(b, &f.col), "dcap.qe_report_signature", "QE report signature does not verify");
  }
  {
    Bytes b = f.raw;
    b[kQeReportSig + 10] ^= 0x01;
    expect_fail(verify(b, &f.col), "dcap.qe_report_signature", "QE report signature does not verify");
  }
  {
    Bytes b = f.raw;
    b[kAttKey + 3] ^= 0x01;
    expect_fail(verify(b, &f.col), "dcap.qe_report_data", "QE REPORTDATA is not SHA-256");
  }
  {
    Bytes b = f.raw;
    b[kQeAuth] ^= 0x01;
    expect_fail(verify(b, &f.col), "dcap.qe_report_data", "QE REPORTDATA is not SHA-256");
  }
}

// Changes one base64 character inside certificate `index` of the quote's PEM
// chain such that the chain still parses but the DER differs.
bool tamper_cert_in_quote(Bytes& raw, size_t index) {
  auto q = parse_quote(raw);
  if (!q.ok()) return false;
  const size_t pem_start = raw.size() - q->trailing_bytes - q->cert_data.size();
  std::string pem(q->cert_data.begin(), q->cert_data.end());
  size_t pos = 0;
  for (size_t i = 0; i <= index; ++i) pos = pem.find("-----BEGIN CERTIFICATE-----", pos + 1 * (i > 0));
  size_t body = pem.find('\n', pos) + 1;
  size_t end = pem.find("-----END", body);
  for (size_t at = body + (end - body) * 3 / 5; at < end; ++at) {
    char c = pem[at];
    if (!std::isalnum(uint8_t(c))) continue;
    std::string t = pem;
    t[at] = c == 'A' ? 'B' : 'A';
    auto chain = dcap::parse_pem_chain(t);
    if (chain.ok() && chain->size() >= 2) {
      std::copy(t.begin(), t.end(), raw.begin() + long(pem_start));
      return true;
    }
  }
  return false;
}

TEST(TdxTamper, Certificates) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  {
    Bytes b = f.raw;
    ASSERT_TRUE(tamper_cert_in_quote(b, 0));
    expect_fail(verify(b, &f.col), "dcap.pck_chain", "certificate signature failure");
  }
  {
    Bytes b = f.raw;
    ASSERT_TRUE(tamper_cert_in_quote(b, 1));
    expect_fail(verify(b, &f.col), "dcap.pck_chain", "signature failure");
  }
}

TEST(TdxTamper, Crls) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  {
    Collateral c = f.col;
    c.pck_crl[c.pck_crl.size() / 2] ^= 0x01;
    expect_fail(verify(f.raw, &c), "dcap.pck_chain", "CRL signature failure");
  }
  {
    Collateral c = f.col;
    c.root_ca_crl[c.root_ca_crl.size() - 10] ^= 0x01;  // inside the signature value
    expect_fail(verify(f.raw, &c), "dcap.pck_chain", "CRL signature failure");
  }
  {
    // PCK CRL of the wrong CA.
    Collateral c = f.col;
    c.pck_crl = c.root_ca_crl;
    expect_fail(verify(f.raw, &c), "dcap.pck_crl", "not issued by the PCK certificate's issuer");
  }
}

TEST(TdxTamper, TcbInfoAndQeIdentity) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  {
    Collateral c = f.col;
    auto p = c.tcb_info.find("\"tcbEvaluationDataNumber\":17");
    ASSERT_NE(p, std::string::npos);
    c.tcb_info[p + 26] = '8';
    expect_fail(verify(f.raw, &c), "dcap.tcb_info_signature", "does not verify over the signed text");
  }
  {
    Collateral c = f.col;
    c.tcb_info += " ";  // even whitespace is part of the signed text
    expect_fail(verify(f.raw, &c), "dcap.tcb_info_signature", "does not verify");
  }
  {
    Collateral c = f.col;
    c.tcb_info_signature[7] ^= 0x01;
    expect_fail(verify(f.raw, &c), "dcap.tcb_info_signature", "does not verify");
  }
  {
    Collateral c = f.col;
    auto p = c.qe_identity.find("\"isvprodid\":");
    ASSERT_NE(p, std::string::npos);
    c.qe_identity[p + 12] = c.qe_identity[p + 12] == '2' ? '3' : '2';
    expect_fail(verify(f.raw, &c), "dcap.qe_identity_signature", "does not verify over the signed text");
  }
  {
    Collateral c = f.col;
    c.qe_identity_signature[40] ^= 0x01;
    expect_fail(verify(f.raw, &c), "dcap.qe_identity_signature", "does not verify");
  }
  {
    // TCB signing certificate tampered.
    Collateral c = f.col;
    auto p = c.tcb_info_issuer_chain.find("MIIC");
    c.tcb_info_issuer_chain[p + 300] = c.tcb_info_issuer_chain[p + 300] == 'A' ? 'B' : 'A';
    auto r = verify(f.raw, &c);
    EXPECT_FALSE(r.verdict.verified);
    bool failed = false;
    for (const auto& ch : r.verdict.checks)
      if (ch.name == "dcap.tcb_info_chain" && ch.status == CheckStatus::fail) failed = true;
    EXPECT_TRUE(failed) << dump(r.verdict);
  }
}

// A PCK chain also reaches the Intel root; its key must not sign TCB info.
TEST(TdxTamper, OnlyTheTcbSigningCertificateSignsCollateral) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  auto q = parse_quote(f.raw);
  ASSERT_TRUE(q.ok());
  Collateral c = f.col;
  c.tcb_info_issuer_chain = std::string(q->cert_data.begin(), q->cert_data.end());
  expect_fail(verify(f.raw, &c), "dcap.tcb_info_chain", "not the Intel SGX TCB Signing certificate");
  Collateral c2 = f.col;
  c2.qe_identity_issuer_chain = c2.pck_crl_issuer_chain;  // Platform CA → root
  expect_fail(verify(f.raw, &c2), "dcap.qe_identity_chain", "not the Intel SGX TCB Signing certificate");
}

TEST(TdxTamper, CollateralWindowAndValidity) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  // After the PCK CRL's nextUpdate (2025-07-19T10:00:35Z): CRL expired.
  expect_fail(verify(f.raw, &f.col, 1752919500), "dcap.pck_chain", "CRL has expired");
  // Only the TCB info window: move now past nextUpdate with CRLs still current
  // is impossible with real data; check the TCB info window directly.
  auto r = verify(f.raw, &f.col, 1753000000);
  EXPECT_FALSE(r.verdict.verified);
  bool expired = false;
  for (const auto& c : r.verdict.checks)
    if (c.name == "dcap.tcb_info_window" && c.detail.find("TCBInfo expired") != std::string::npos)
      expired = true;
  EXPECT_TRUE(expired) << dump(r.verdict);
  // Before the collateral was issued.
  expect_fail(verify(f.raw, &f.col, 1750000000), "dcap.tcb_info_window", "not yet valid");
}

// go-tdx-guest's own expectations: signature and chain only, no collateral.
TEST(TdxTamper, SignatureAndChainOnly) {
  VEIL_REQUIRE_SHARED();
  struct Case {
    const char* file;
    int64_t now;
  } cases[] = {{"go-tdx-guest/quote_v5_sample.dat", 1770080400},
               {"go-tdx-guest/tdx_prod_quote_SPR_E4.dat", 1688173200}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    Bytes raw = veil::test::read_shared(std::string("testdata/") + c.file);
    auto ok = verify(raw, nullptr, c.now);
    EXPECT_FALSE(ok.verdict.any_failed()) << dump(ok.verdict);
    EXPECT_FALSE(ok.verdict.verified);  // no collateral: no TCB status, never "verified"
    expect_fail(verify(raw, nullptr, 2634940800), "dcap.pck_chain", "certificate has expired");
  }
}

TEST(TdxTamper, WrongTrustRoot) {
  VEIL_REQUIRE_SHARED();
  auto f = load();
  auto q = parse_quote(f.raw);
  ASSERT_TRUE(q.ok());
  dcap::VerifyOptions o;
  o.now = kNow;
  o.collateral = &f.col;
  o.trusted_root = veil::test::read_shared_text("testdata/teekit/sampleQuotes/tdx/trustedRootCaCert.pem");
  auto r = dcap::verify_quote(*q, o);
  EXPECT_FALSE(r.verdict.verified);
  bool failed = false;
  for (const auto& ch : r.verdict.checks)
    if (ch.name == "dcap.pck_chain" && ch.status == CheckStatus::fail) failed = true;
  EXPECT_TRUE(failed) << dump(r.verdict);
}

TEST(TdxTamper, PinnedRootIsIntelSgxRootCa) {
  VEIL_REQUIRE_SHARED();
  auto pinned = dcap::parse_cert(as_bytes(dcap::intel_sgx_root_ca_pem()));
  ASSERT_TRUE(pinned.ok());
  Bytes der = veil::test::read_shared("testdata/dcap-qvl/TrustedRootCA.der");
  EXPECT_EQ(dcap::cert_der(pinned->get()), der);
}

}  // namespace
}  // namespace veil::attest

namespace veil::attest {
namespace {

// Intel QVL's synthetic TDX sample (teekit/sampleQuotes/tdx): test keys under
// its own root; the quote's certification data is not a PEM chain, so the
// PCK chain is given beside it, as Intel's QVL API takes it.
TEST(TdxSynthetic, IntelQvlSampleVerifiesOnlyUnderItsOwnRoot) {
  VEIL_REQUIRE_SHARED();
  auto rd = [](const std::string& f) {
    return veil::test::read_shared_text("testdata/teekit/sampleQuotes/tdx/" + f);
  };
  auto q = parse_quote(veil::test::read_shared("testdata/teekit/sampleQuotes/tdx/quote.dat"));
  ASSERT_TRUE(q.ok());
  Collateral c;
  std::string tcb_body = rd("tcbInfo.json"), qe_body = rd("qeIdentity.json");
  c.tcb_info = *extract_signed_object(tcb_body, "tcbInfo");
  c.qe_identity = *extract_signed_object(qe_body, "enclaveIdentity");
  auto sig = [](const std::string& body) {
    auto p = body.find("\"signature\":\"");
    return *hex_decode(body.substr(p + 13, 128));
  };
  c.tcb_info_signature = sig(tcb_body);
  c.qe_identity_signature = sig(qe_body);
  c.tcb_info_issuer_chain = c.qe_identity_issuer_chain = rd("tcbSignChain.pem");
  c.pck_crl_issuer_chain = rd("pckSignChain.pem");
  c.pck_crl = veil::test::read_shared("testdata/teekit/sampleQuotes/tdx/intermediateCaCrl.der");
  c.root_ca_crl = veil::test::read_shared("testdata/teekit/sampleQuotes/tdx/rootCaCrl.der");
  dcap::VerifyOptions o;
  o.now = 1756684800;
  o.collateral = &c;
  o.pck_chain_pem = rd("pckCert.pem") + rd("pckSignChain.pem");
  o.trusted_root = rd("trustedRootCaCert.pem");
  auto own = dcap::verify_quote(*q, o);
  for (const char* name : {"dcap.pck_chain", "dcap.qe_report_signature", "dcap.quote_signature",
                           "dcap.tcb_info_signature", "dcap.qe_identity_signature"}) {
    bool passed = false;
    for (const auto& ch : own.verdict.checks)
      if (ch.name == name && ch.status == CheckStatus::pass) passed = true;
    EXPECT_TRUE(passed) << name << "\n" << dump(own.verdict);
  }
  // Under the pinned Intel root the same evidence is rejected.
  o.trusted_root.clear();
  expect_fail(dcap::verify_quote(*q, o), "dcap.pck_chain", "self-signed certificate in certificate chain");
}

}  // namespace
}  // namespace veil::attest
