// Collateral loaders: dcap-qvl bundles, raw PCS responses (exact signed text
// extracted textually), file sources.
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/collateral.h"
#include "veil/attest/dcap/tcb_info.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

TEST(TdxCollateral, ExtractSignedObjectIsExactText) {
  std::string doc = R"({"signature":"ab", "tcbInfo" : {"a":"}{\"","b":[1,{"c":2}]} ,"x":{"tcbInfo":1}})";
  auto t = extract_signed_object(doc, "tcbInfo");
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(*t, R"({"a":"}{\"","b":[1,{"c":2}]})");
  EXPECT_FALSE(extract_signed_object(doc, "enclaveIdentity").ok());
  EXPECT_FALSE(extract_signed_object(R"({"tcbInfo":{"a":1)", "tcbInfo").ok());
  EXPECT_FALSE(extract_signed_object(R"({"tcbInfo":[1]})", "tcbInfo").ok());
  // A nested key of the same name is not the top-level one.
  EXPECT_FALSE(extract_signed_object(R"({"x":{"tcbInfo":{}}})", "tcbInfo").ok());
  EXPECT_FALSE(extract_signed_object("}}}", "tcbInfo").ok());
}

TEST(TdxCollateral, UrlDecode) {
  EXPECT_EQ(*url_decode("a%20b%0A%2b+"), "a b\n++");
  EXPECT_FALSE(url_decode("%2").ok());
  EXPECT_FALSE(url_decode("%zz").ok());
}

TEST(TdxCollateral, BundleErrorsNameTheField) {
  EXPECT_EQ(collateral_from_dcap_qvl_json("[]").error().code, "collateral.bad_json");
  auto e = collateral_from_dcap_qvl_json(R"({"pck_crl_issuer_chain":"x"})");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("root_ca_crl"), std::string::npos);
}

TEST(TdxCollateral, RawPcsDirectoryEqualsDerivedBundle) {
  VEIL_REQUIRE_SHARED();
  auto dir = make_file_collateral_source(veil::test::shared_path("testdata/tinfoil-verifier"));
  std::array<uint8_t, 6> fmspc = {0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00};
  auto raw = dir->get(fmspc, PckCaType::platform, true);
  ASSERT_TRUE(raw.ok()) << raw.error().to_string();
  auto derived = collateral_from_dcap_qvl_json(
      veil::test::read_shared_text("testdata/derived/collateral/tdx_90c06f000000_tinfoil_2026-01.json"));
  ASSERT_TRUE(derived.ok());
  EXPECT_EQ(raw->tcb_info, derived->tcb_info);
  EXPECT_EQ(raw->tcb_info_signature, derived->tcb_info_signature);
  EXPECT_EQ(raw->qe_identity, derived->qe_identity);
  EXPECT_EQ(raw->qe_identity_signature, derived->qe_identity_signature);
  EXPECT_EQ(raw->pck_crl, derived->pck_crl);
  EXPECT_EQ(raw->root_ca_crl, derived->root_ca_crl);
  EXPECT_NE(raw->tcb_info_issuer_chain.find("-----BEGIN CERTIFICATE-----\n"), std::string::npos);
  // An FMSPC the directory does not hold.
  std::array<uint8_t, 6> other = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(dir->get(other, PckCaType::platform, true).error().code, "collateral.not_found");
  // The bundle source refuses another platform's request.
  auto bundle = make_file_collateral_source(
      veil::test::shared_path("testdata/derived/collateral/tdx_90c06f000000_tinfoil_2026-01.json"));
  EXPECT_TRUE(bundle->get(fmspc, PckCaType::platform, true).ok());
  EXPECT_EQ(bundle->get(other, PckCaType::platform, true).error().code, "collateral.not_found");
}

TEST(TdxCollateral, BundleRoundTrip) {
  VEIL_REQUIRE_SHARED();
  auto c = collateral_from_dcap_qvl_json(
      veil::test::read_shared_text("testdata/dcap-qvl/tdx_quote_collateral.json"));
  ASSERT_TRUE(c.ok());
  auto again = collateral_from_dcap_qvl_json(collateral_to_dcap_qvl_json(*c));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->tcb_info, c->tcb_info);
  EXPECT_EQ(again->pck_crl, c->pck_crl);
  EXPECT_EQ(again->qe_identity_signature, c->qe_identity_signature);
}

TEST(TdxCollateral, EveryTcbInfoSampleParses) {
  VEIL_REQUIRE_SHARED();
  for (const char* f : {"teekit/sampleTcbInfos/tcbInfo-sgx-00806f050000.json",
                        "teekit/sampleTcbInfos/tcbInfo-sgx-00906ed50000.json",
                        "teekit/sampleTcbInfos/tcbInfo-sgx-30606a000000.json",
                        "teekit/sampleTcbInfos/tcbInfo-tdx-90c06f000000.json", "trustee/tcbInfo.json",
                        "go-tdx-guest/sample_tcbinfo_response_v5", "go-tdx-guest/sample_tcbInfo_response"}) {
    SCOPED_TRACE(f);
    auto text = extract_signed_object(veil::test::read_shared_text(std::string("testdata/") + f), "tcbInfo");
    ASSERT_TRUE(text.ok());
    auto info = dcap::parse_tcb_info(*text);
    ASSERT_TRUE(info.ok()) << info.error().to_string();
    EXPECT_FALSE(info->tcb_levels.empty());
  }
  for (const char* f : {"trustee/enclaveIdentity.json", "go-tdx-guest/sample_qeIdentity_response",
                        "tinfoil-verifier/qe_identity.json"}) {
    SCOPED_TRACE(f);
    auto text =
        extract_signed_object(veil::test::read_shared_text(std::string("testdata/") + f), "enclaveIdentity");
    ASSERT_TRUE(text.ok());
    auto qe = dcap::parse_qe_identity(*text);
    ASSERT_TRUE(qe.ok()) << qe.error().to_string();
  }
  EXPECT_FALSE(dcap::parse_tcb_info(R"({"version":3,"id":"TDX"})").ok());
  EXPECT_FALSE(dcap::parse_iso8601_utc("2025-13-01T00:00:00Z").ok());
  EXPECT_EQ(*dcap::parse_iso8601_utc("2025-07-04T10:16:31Z"), 1751624191);
  EXPECT_EQ(*dcap::parse_iso8601_utc("2025-07-04T10:16:31.123Z"), 1751624191);
}

}  // namespace
}  // namespace veil::attest
