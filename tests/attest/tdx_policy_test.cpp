// Policy is judged apart from verification: dcap-qvl's rejections of these
// samples appear as policy violations (verified stays true, exit code 2).
#include <gtest/gtest.h>

#include "support/shared_data.h"
#include "veil/attest/collateral.h"
#include "veil/attest/policy.h"
#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

struct Outcome {
  Verdict verdict;
  Quote quote;
  dcap::DcapReport report;
};

Outcome run(const std::string& quote_rel, const Collateral& c, int64_t now, const Policy& policy = {}) {
  Outcome o;
  auto raw = decode_quote_input(veil::test::read_shared("testdata/" + quote_rel));
  EXPECT_TRUE(raw.ok());
  auto q = parse_quote(*raw);
  EXPECT_TRUE(q.ok());
  o.quote = *q;
  dcap::VerifyOptions opt;
  opt.now = now;
  opt.collateral = &c;
  o.report = dcap::verify_quote(o.quote, opt);
  o.verdict = o.report.verdict;
  apply_quote_policy(o.quote, o.report, policy, now, o.verdict);
  return o;
}

Collateral bundle(const std::string& rel) {
  auto c = collateral_from_dcap_qvl_json(veil::test::read_shared_text("testdata/" + rel));
  EXPECT_TRUE(c.ok());
  return *c;
}

bool has_violation(const Verdict& v, const std::string& part) {
  for (const auto& p : v.policy_violations)
    if (p.find(part) != std::string::npos) return true;
  return false;
}

TEST(TdxPolicy, CleanQuoteExitsZero) {
  VEIL_REQUIRE_SHARED();
  auto o = run("dcap-qvl/tdx_quote", bundle("dcap-qvl/tdx_quote_collateral.json"), 1751624191);
  EXPECT_TRUE(o.verdict.verified);
  EXPECT_TRUE(o.verdict.policy_violations.empty());
  EXPECT_EQ(o.verdict.exit_code(), 0);
}

TEST(TdxPolicy, DebugTdIsAViolationNotAFailure) {
  VEIL_REQUIRE_SHARED();
  auto o = run("trustee/tdx_quote_4.dat",
               bundle("derived/collateral/tdx_50806f000000_gotdxguest_2023-06.json"), 1687939438);
  EXPECT_TRUE(o.verdict.verified);
  EXPECT_EQ(*o.verdict.tcb_status, "UpToDate");
  EXPECT_TRUE(has_violation(o.verdict, "Debug mode is enabled"));
  EXPECT_EQ(o.verdict.exit_code(), 2);
  Policy lax;
  lax.allow_debug = true;
  auto o2 = run("trustee/tdx_quote_4.dat",
                bundle("derived/collateral/tdx_50806f000000_gotdxguest_2023-06.json"), 1687939438, lax);
  EXPECT_EQ(o2.verdict.exit_code(), 0);
}

TEST(TdxPolicy, OutOfDateNeedsWidenedStatuses) {
  VEIL_REQUIRE_SHARED();
  auto c = bundle("derived/collateral/tdx_00a06d080000_tinfoil_2026-01.json");
  auto o = run("trustee/tdx_quote_6.dat", c, 1769530199);
  EXPECT_TRUE(o.verdict.verified);
  EXPECT_TRUE(has_violation(o.verdict, "TCB status OutOfDate is not allowed"));
  EXPECT_EQ(o.verdict.exit_code(), 2);
  Policy wide;
  auto statuses = parse_status_list("UpToDate, OutOfDate");
  ASSERT_TRUE(statuses.ok());
  wide.allowed_tcb_statuses = *statuses;
  EXPECT_EQ(run("trustee/tdx_quote_6.dat", c, 1769530199, wide).verdict.exit_code(), 0);
  EXPECT_FALSE(parse_status_list("UpToDate,Fine").ok());
}

TEST(TdxPolicy, SeptVeDisableAndReservedBits) {
  VEIL_REQUIRE_SHARED();
  // Azure's TD (attributes 0): SEPT_VE_DISABLE not set.
  auto base = collateral_from_dcap_qvl_json(
      veil::test::read_shared_text("testdata/dcap-qvl/near-gas-test/quote_collateral.json"));
  ASSERT_TRUE(base.ok());
  std::string body =
      veil::test::read_shared_text("testdata/teekit/sampleTcbInfos/tcbInfo-tdx-00806f050000.json");
  auto text = extract_signed_object(body, "tcbInfo");
  ASSERT_TRUE(text.ok());
  base->tcb_info = *text;
  auto sig = hex_decode(body.substr(body.find("\"signature\":\"") + 13, 128));
  ASSERT_TRUE(sig.ok());
  base->tcb_info_signature = *sig;
  auto o = run("trustee/az-tdx-vtpm/td-quote.bin", *base, 1759278864);
  EXPECT_TRUE(o.verdict.verified);
  EXPECT_TRUE(has_violation(o.verdict, "SEPT_VE_DISABLE is not enabled"));
  EXPECT_FALSE(has_violation(o.verdict, "Reserved bits"));

  // Reserved attribute bits are judged on the parsed quote alone.
  Quote q = o.quote;
  Verdict v;
  v.verified = true;
  q.td_report.td_attributes = {0x00, 0x00, 0x00, 0x10, 0x40, 0x00, 0x00, 0x00};  // bit 38 (SPR_E4 sample)
  apply_quote_policy(q, o.report, Policy{}, 1759278864, v);
  EXPECT_TRUE(has_violation(v, "Reserved bits in TD attributes are set"));
  Verdict v2;
  q.td_report.td_attributes = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x80};  // PERFMON is not reserved
  apply_quote_policy(q, o.report, Policy{}, 1759278864, v2);
  EXPECT_FALSE(has_violation(v2, "Reserved"));
}

TEST(TdxPolicy, MeasurementsAndCollateralAge) {
  VEIL_REQUIRE_SHARED();
  auto c = bundle("dcap-qvl/tdx_quote_collateral.json");
  auto o = run("dcap-qvl/tdx_quote", c, 1751624191);
  Policy p;
  p.expected_mrtd = o.quote.td_report.mr_td;
  p.expected_rtmrs[0] = o.quote.td_report.rtmr[0];
  EXPECT_EQ(run("dcap-qvl/tdx_quote", c, 1751624191, p).verdict.exit_code(), 0);
  p.expected_rtmrs[3] = Bytes48{};
  p.expected_rtmrs[3]->fill(0xaa);
  auto bad = run("dcap-qvl/tdx_quote", c, 1751624191, p);
  EXPECT_TRUE(has_violation(bad.verdict, "RTMR3 is not the expected value"));
  Policy allow;
  allow.allowed_mrtds = {Bytes48{}};
  EXPECT_TRUE(
      has_violation(run("dcap-qvl/tdx_quote", c, 1751624191, allow).verdict, "not in the allow-list"));
  Policy age;
  age.max_collateral_age = 24 * 3600;  // the TCB info was issued 2025-06-19
  EXPECT_TRUE(has_violation(run("dcap-qvl/tdx_quote", c, 1751624191, age).verdict, "collateral is older"));
}

TEST(TdxPolicy, SgxDebugAttribute) {
  VEIL_REQUIRE_SHARED();
  auto o = run("dcap-qvl/sgx_quote", bundle("dcap-qvl/sgx_quote_collateral.json"), 1751624924);
  EXPECT_TRUE(o.verdict.verified);
  EXPECT_TRUE(has_violation(o.verdict, "ConfigurationAndSWHardeningNeeded is not allowed"));
  Quote q = o.quote;
  q.sgx_report.attributes[0] |= 0x02;
  Verdict v;
  apply_quote_policy(q, o.report, Policy{}, 1751624924, v);
  EXPECT_TRUE(has_violation(v, "Debug mode is enabled"));
}

}  // namespace
}  // namespace veil::attest
