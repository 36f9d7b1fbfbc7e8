// The PCK CRL's own issuer chain (dcap-qvl pck_crl_issuer_chain, PCS header
// SGX-PCK-CRL-Issuer-Chain) is verified on its own: to the pinned root at
// `now`, its leaf the PCK CA that issued the quote's PCK certificate and
// signed the PCK CRL. Each wrong chain fails with its own reason.
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/collateral.h"
#include "veil/attest/dcap/verify.h"
#include "veil/attest/quote.h"

namespace veil::attest {
namespace {

constexpr int64_t kTdxNow = 1751624191;  // dcap-qvl/tdx_quote
constexpr int64_t kSgxNow = 1751624924;  // dcap-qvl/sgx_quote

Collateral bundle(const char* path) {
  auto c = collateral_from_dcap_qvl_json(veil::test::read_shared_text(path));
  EXPECT_TRUE(c.ok());
  return c.ok() ? *c : Collateral{};
}

dcap::DcapReport verify(const char* quote_path, const Collateral& col, int64_t now) {
  auto q = parse_quote(veil::test::read_shared(quote_path));
  EXPECT_TRUE(q.ok());
  if (!q.ok()) return {};
  dcap::VerifyOptions o;
  o.now = now;
  o.collateral = &col;
  return dcap::verify_quote(*q, o);
}

const Check* find(const dcap::DcapReport& r, const std::string& name) {
  for (const auto& c : r.verdict.checks)
    if (c.name == name) return &c;
  return nullptr;
}

std::string dump(const Verdict& v) {
  std::string s;
  for (const auto& c : v.checks)
    s += std::string(to_string(c.status)) + " " + c.name + ": " + c.detail + "\n";
  return s;
}

void expect_chain_fail(const dcap::DcapReport& r, const std::string& detail_part) {
  EXPECT_FALSE(r.verdict.verified);
  const Check* c = find(r, "dcap.pck_crl_issuer_chain");
  ASSERT_NE(c, nullptr) << dump(r.verdict);
  EXPECT_EQ(c->status, CheckStatus::fail) << dump(r.verdict);
  EXPECT_NE(c->detail.find(detail_part), std::string::npos) << c->detail;
}

std::string tinfoil_chain(const char* name) {
  auto decoded = url_decode(veil::test::read_shared_text(std::string("testdata/tinfoil-verifier/") + name));
  EXPECT_TRUE(decoded.ok());
  return decoded.ok() ? *decoded : std::string();
}

TEST(PckCrlIssuerChain, RealBundlesPassForPlatformAndProcessorCa) {
  VEIL_REQUIRE_SHARED();
  auto tdx =
      verify("testdata/dcap-qvl/tdx_quote", bundle("testdata/dcap-qvl/tdx_quote_collateral.json"), kTdxNow);
  EXPECT_TRUE(tdx.verdict.verified) << dump(tdx.verdict);
  const Check* c = find(tdx, "dcap.pck_crl_issuer_chain");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, CheckStatus::pass);
  // The bundle's CA is the quote's own PCK issuer, already verified with the PCK chain.
  EXPECT_NE(c->detail.find("Intel SGX PCK Platform CA: the quote's own PCK issuer certificate"),
            std::string::npos)
      << c->detail;

  auto sgx =
      verify("testdata/dcap-qvl/sgx_quote", bundle("testdata/dcap-qvl/sgx_quote_collateral.json"), kSgxNow);
  EXPECT_TRUE(sgx.verdict.verified) << dump(sgx.verdict);
  c = find(sgx, "dcap.pck_crl_issuer_chain");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->status, CheckStatus::pass);
  EXPECT_NE(c->detail.find("Intel SGX PCK Processor CA"), std::string::npos) << c->detail;
}

// When the PCK chain does not single out its issuer (here the caller gives the
// quote's chain with the Platform CA twice), the CRL issuer chain is verified
// from scratch: to the root, its key on the PCK certificate and on the CRL.
TEST(PckCrlIssuerChain, IndependentVerificationWhenTheIssuerIsNotSingledOut) {
  VEIL_REQUIRE_SHARED();
  const Collateral c = bundle("testdata/dcap-qvl/tdx_quote_collateral.json");
  auto q = parse_quote(veil::test::read_shared("testdata/dcap-qvl/tdx_quote"));
  ASSERT_TRUE(q.ok());
  const std::string chain(q->cert_data.begin(), q->cert_data.end());
  const size_t ca_at = chain.find("-----BEGIN CERTIFICATE-----", 1);
  const size_t ca_end = chain.find("-----END CERTIFICATE-----", ca_at) + 25;
  ASSERT_NE(ca_at, std::string::npos);
  dcap::VerifyOptions o;
  o.now = kTdxNow;
  o.collateral = &c;
  o.pck_chain_pem = chain + "\n" + chain.substr(ca_at, ca_end - ca_at) + "\n";
  auto r = dcap::verify_quote(*q, o);
  EXPECT_TRUE(r.verdict.verified) << dump(r.verdict);
  const Check* check = find(r, "dcap.pck_crl_issuer_chain");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->status, CheckStatus::pass);
  EXPECT_NE(check->detail.find("Intel SGX PCK Platform CA → root"), std::string::npos) << check->detail;
  EXPECT_NE(check->detail.find("issued the PCK certificate and signed the PCK CRL"), std::string::npos);
  // The same setup with a CRL issuer chain of the other CA still fails specifically.
  Collateral wrong = c;
  wrong.pck_crl_issuer_chain = bundle("testdata/dcap-qvl/sgx_quote_collateral.json").pck_crl_issuer_chain;
  o.collateral = &wrong;
  expect_chain_fail(dcap::verify_quote(*q, o), "is for 'Intel SGX PCK Processor CA'");
}

// Raw PCS pieces: the processor CRL and its URL-encoded SGX-PCK-CRL-Issuer-Chain
// header from tinfoil's recording, for the SGX quote whose PCK the Processor CA issued.
TEST(PckCrlIssuerChain, RawPcsHeaderChainForTheProcessorCa) {
  VEIL_REQUIRE_SHARED();
  Collateral c = bundle("testdata/dcap-qvl/sgx_quote_collateral.json");
  c.pck_crl = veil::test::read_shared("testdata/tinfoil-verifier/pck_crl_processor.crl");
  c.pck_crl_issuer_chain = tinfoil_chain("pck_crl_processor_chain.txt");
  c.root_ca_crl = veil::test::read_shared("testdata/tinfoil-verifier/root_ca.crl");
  auto r = verify("testdata/dcap-qvl/sgx_quote", c, 1769530199);  // within tinfoil's CRL window
  const Check* check = find(r, "dcap.pck_crl_issuer_chain");
  ASSERT_NE(check, nullptr) << dump(r.verdict);
  EXPECT_EQ(check->status, CheckStatus::pass) << check->detail;
  // The platform chain from the same recording is the wrong CA for this quote.
  c.pck_crl_issuer_chain = tinfoil_chain("pck_crl_platform_chain.txt");
  expect_chain_fail(
      verify("testdata/dcap-qvl/sgx_quote", c, 1769530199),
      "is for 'Intel SGX PCK Platform CA', but the PCK certificate was issued by 'Intel SGX PCK "
      "Processor CA'");
}

TEST(PckCrlIssuerChain, FlippedByteInTheChainsCaCertificate) {
  VEIL_REQUIRE_SHARED();
  Collateral c = bundle("testdata/dcap-qvl/tdx_quote_collateral.json");
  // A base64 character inside the first certificate's signature value.
  auto end = c.pck_crl_issuer_chain.find("-----END CERTIFICATE-----");
  ASSERT_NE(end, std::string::npos);
  char& ch = c.pck_crl_issuer_chain[end - 20];
  ch = ch == 'A' ? 'B' : 'A';
  auto r = verify("testdata/dcap-qvl/tdx_quote", c, kTdxNow);
  expect_chain_fail(r, "PCK CRL issuer chain: ");
  expect_chain_fail(r, "signature failure");
}

TEST(PckCrlIssuerChain, WrongChains) {
  VEIL_REQUIRE_SHARED();
  const Collateral good = bundle("testdata/dcap-qvl/tdx_quote_collateral.json");
  {
    // The processor CA's chain for a platform CA's CRL and PCK.
    Collateral c = good;
    c.pck_crl_issuer_chain = bundle("testdata/dcap-qvl/sgx_quote_collateral.json").pck_crl_issuer_chain;
    expect_chain_fail(
        verify("testdata/dcap-qvl/tdx_quote", c, kTdxNow),
        "is for 'Intel SGX PCK Processor CA', but the PCK certificate was issued by 'Intel SGX PCK "
        "Platform CA'");
  }
  {
    // The TCB signing chain reaches the same root but is not a PCK CA.
    Collateral c = good;
    c.pck_crl_issuer_chain = c.tcb_info_issuer_chain;
    expect_chain_fail(verify("testdata/dcap-qvl/tdx_quote", c, kTdxNow),
                      "its leaf is not an Intel SGX PCK CA ('Intel SGX TCB Signing')");
  }
  {
    // Intel QVL's synthetic Processor CA chain (its own test root): does not
    // reach the pinned Intel root.
    Collateral c = bundle("testdata/dcap-qvl/sgx_quote_collateral.json");
    c.pck_crl_issuer_chain =
        veil::test::read_shared_text("testdata/teekit/sampleQuotes/tdx/pckSignChain.pem");
    expect_chain_fail(verify("testdata/dcap-qvl/sgx_quote", c, kSgxNow), "PCK CRL issuer chain: ");
  }
  {
    // A CRL under the right issuer name, signed by another key (the synthetic
    // sample's "Intel SGX PCK Processor CA"): not signed by the chain's leaf.
    Collateral c = bundle("testdata/dcap-qvl/sgx_quote_collateral.json");
    c.pck_crl = veil::test::read_shared("testdata/teekit/sampleQuotes/tdx/intermediateCaCrl.der");
    expect_chain_fail(verify("testdata/dcap-qvl/sgx_quote", c, kSgxNow),
                      "the PCK CRL is not signed by the issuer chain's Intel SGX PCK Processor CA");
  }
  {
    Collateral c = good;
    c.pck_crl_issuer_chain.clear();
    expect_chain_fail(verify("testdata/dcap-qvl/tdx_quote", c, kTdxNow), "PCK CRL issuer chain: ");
  }
}

}  // namespace
}  // namespace veil::attest
