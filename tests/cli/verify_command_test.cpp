// `veil verify quote|report` exit codes on real vectors: 0 verified and within
// policy, 2 verified with policy violations, 1 not verified, 3 usage errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/shared_data.h"
#include "veil/cli/commands.h"

namespace veil::cli {
namespace {

int run(std::vector<std::string> args) {
  args.insert(args.begin(), "verify");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  int rc = verify_command(int(args.size()), argv.data());
  testing::internal::GetCapturedStdout();
  return rc;
}

std::string td(const std::string& rel) { return veil::test::shared_path("testdata/" + rel); }

TEST(VerifyCommand, QuoteExitCodes) {
  VEIL_REQUIRE_SHARED();
  EXPECT_EQ(run({"quote", "--quote", td("dcap-qvl/tdx_quote"), "--collateral",
                 td("dcap-qvl/tdx_quote_collateral.json"), "--now", "1751624191", "--json"}),
            0);
  // A DEBUG TD: Intel says UpToDate, the strict policy objects.
  EXPECT_EQ(run({"quote", "--quote", td("trustee/tdx_quote_4.dat"), "--collateral",
                 td("derived/collateral/tdx_50806f000000_gotdxguest_2023-06.json"), "--now", "1687939438"}),
            2);
  // OutOfDate: 2 by default, 0 once the status is allowed.
  const std::vector<std::string> q6 = {
      "quote", "--quote",   td("trustee/tdx_quote_6.dat"), "--collateral", td("tinfoil-verifier"),
      "--now", "1769530199"};
  EXPECT_EQ(run(q6), 2);
  auto widened = q6;
  widened.push_back("--allow-status");
  widened.push_back("UpToDate,OutOfDate");
  EXPECT_EQ(run(widened), 0);
  // No matching TCB level; expired collateral; no collateral at all.
  EXPECT_EQ(run({"quote", "--quote", td("dcap-qvl/tdx_quote_outdated"), "--collateral",
                 td("dcap-qvl/tdx_quote_outdated_collateral.json"), "--now", "1772707803"}),
            1);
  EXPECT_EQ(run({"quote", "--quote", td("dcap-qvl/tdx_quote"), "--collateral",
                 td("dcap-qvl/tdx_quote_collateral.json"), "--now", "1760000000"}),
            1);
  EXPECT_EQ(run({"quote", "--quote", td("dcap-qvl/tdx_quote"), "--now", "1751624191"}), 1);
  // A JSON file holding the quote (hex) is accepted.
  EXPECT_EQ(run({"quote", "--quote", td("nearai-vllm-proxy/SAMPLE_DSTACK_QUOTE.json"), "--collateral",
                 td("dcap-qvl/near-gas-test/quote_collateral.json"), "--now", "1758093775"}),
            0);
  EXPECT_EQ(run({"quote", "--quote", "/nonexistent"}), 3);
  EXPECT_EQ(run({"quote", "--quote", td("dcap-qvl/tdx_quote"), "--allow-status", "Fine"}), 3);
  EXPECT_EQ(run({"frobnicate"}), 3);
}

}  // namespace
}  // namespace veil::cli
