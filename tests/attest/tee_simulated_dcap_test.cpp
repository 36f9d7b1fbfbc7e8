// The full DCAP verifier (attest/dcap) on simulated quotes: with the served
// simulation root and collateral it reaches UpToDate with every check
// passing; against Intel's root, with a changed byte, or after the
// collateral window it does not.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>

#include "veil/attest/collateral.h"
#include "veil/attest/dcap/verify.h"
#include "veil/attest/policy.h"
#include "veil/attest/quote.h"
#include "veil/attest/quote_check.h"
#include "veil/attest/tee/simulated_tee_provider.h"
#include "veil/base/clock.h"

namespace veil::attest {
namespace {

struct Simulation {
  std::unique_ptr<TeeProvider> tee;
  std::string root_pem;
  Collateral collateral;
};

Simulation start(UnixSeconds now) {
  Simulation s;
  auto tee = make_simulated_tee_provider(now);
  EXPECT_TRUE(tee.ok());
  s.tee = std::move(tee).value();
  auto info = boost::json::parse(*s.tee->simulation_info_json()).as_object();
  s.root_pem = std::string(info.at("root_ca").as_string());
  auto coll = collateral_from_dcap_qvl_json(boost::json::serialize(info.at("collateral")));
  EXPECT_TRUE(coll.ok()) << coll.error().to_string();
  if (coll.ok()) s.collateral = std::move(coll).value();
  return s;
}

dcap::DcapReport verify(const Bytes& raw, const Simulation& s, UnixSeconds now,
                        bool trust_simulation = true) {
  auto q = parse_quote(raw);
  EXPECT_TRUE(q.ok()) << q.error().to_string();
  dcap::VerifyOptions o;
  o.now = now;
  if (trust_simulation) o.trusted_root = s.root_pem;
  o.collateral = &s.collateral;
  return dcap::verify_quote(*q, o);
}

std::string failed_checks(const Verdict& v) {
  std::string out;
  for (const auto& c : v.checks)
    if (c.status == CheckStatus::fail) out += c.name + ": " + c.detail + "\n";
  return out;
}

TEST(SimulatedTeeDcap, FullVerifierAcceptsAsUpToDate) {
  const UnixSeconds now = unix_now();
  Simulation s = start(now);
  ASSERT_TRUE(s.tee->extend_runtime_event("veil-version", as_bytes("0.1.0")).ok());
  std::array<uint8_t, 64> rd{};
  rd.fill(0xab);
  auto raw = s.tee->quote(rd);
  ASSERT_TRUE(raw.ok());
  const auto report = verify(*raw, s, now);
  EXPECT_TRUE(report.verdict.verified) << report.verdict.error.value_or("") << "\n"
                                       << failed_checks(report.verdict);
  ASSERT_TRUE(report.tcb_status);
  EXPECT_EQ(*report.tcb_status, dcap::TcbStatus::UpToDate);
  EXPECT_TRUE(report.advisory_ids.empty());
  EXPECT_TRUE(report.verdict.policy_violations.empty());
  EXPECT_EQ(failed_checks(report.verdict), "");
  for (const auto& c : report.verdict.checks) {
    EXPECT_NE(c.status, CheckStatus::skip) << c.name << " was skipped: " << c.detail;
  }
  std::cout << to_text(report.verdict);
  ASSERT_TRUE(report.pck);
  ASSERT_TRUE(report.pck_ca);
  EXPECT_EQ(*report.pck_ca, PckCaType::platform);
}

TEST(SimulatedTeeDcap, StrictDefaultPolicyHasNoViolations) {
  const UnixSeconds now = unix_now();
  Simulation s = start(now);
  std::array<uint8_t, 64> rd{};
  rd.fill(0x11);
  auto raw = s.tee->quote(rd);
  ASSERT_TRUE(raw.ok());

  QuoteCheckOptions o;
  o.now = now;
  o.collateral = &s.collateral;
  o.trusted_root = s.root_pem;  // o.policy: the strict default
  const QuoteCheck check = check_quote(*raw, o);
  EXPECT_TRUE(check.verdict.verified) << check.verdict.error.value_or("") << "\n"
                                      << failed_checks(check.verdict);
  EXPECT_EQ(check.verdict.tcb_status.value_or(""), "UpToDate");
  EXPECT_TRUE(check.verdict.policy_violations.empty())
      << "first violation: "
      << (check.verdict.policy_violations.empty() ? "" : check.verdict.policy_violations[0]);

  // The policy does run: a wrong expected MRTD is reported.
  o.policy.expected_mrtd = Bytes48{};
  EXPECT_FALSE(check_quote(*raw, o).verdict.policy_violations.empty());
}

TEST(SimulatedTeeDcap, RejectedUnderIntelRootTamperingOrExpiry) {
  const UnixSeconds now = unix_now();
  Simulation s = start(now);
  std::array<uint8_t, 64> rd{};
  auto raw = s.tee->quote(rd);
  ASSERT_TRUE(raw.ok());

  EXPECT_FALSE(verify(*raw, s, now, /*trust_simulation=*/false).verdict.verified)
      << "Intel's root must not accept it";

  Bytes tampered = *raw;
  tampered[48 + 520] ^= 1;  // REPORTDATA
  EXPECT_FALSE(verify(tampered, s, now).verdict.verified);

  EXPECT_FALSE(verify(*raw, s, now + 31 * 24 * 3600).verdict.verified) << "collateral window is 30 days";

  // Another simulation's collateral and root do not fit this quote.
  Simulation other = start(now);
  EXPECT_FALSE(verify(*raw, other, now).verdict.verified);
}

}  // namespace
}  // namespace veil::attest
