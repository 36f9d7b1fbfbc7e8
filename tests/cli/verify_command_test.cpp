// `veil verify quote|report` exit codes on real vectors: 0 verified and within
// policy, 2 verified with policy violations, 1 not verified, 3 usage errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
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

// Exit code and the --json object.
std::pair<int, boost::json::object> run_json(std::vector<std::string> args) {
  args.insert(args.begin(), "verify");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  int rc = verify_command(int(args.size()), argv.data());
  std::string out = testing::internal::GetCapturedStdout();
  boost::system::error_code ec;
  auto doc = boost::json::parse(out, ec);
  EXPECT_FALSE(ec) << out;
  return {rc, !ec && doc.is_object() ? doc.as_object() : boost::json::object{}};
}

const boost::json::object* check(const boost::json::object& o, const std::string& name) {
  if (!o.contains("checks")) return nullptr;
  for (const auto& c : o.at("checks").as_array())
    if (c.at("name").as_string() == name) return &c.as_object();
  return nullptr;
}

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

// `veil verify gpu --rim`: each GPU names the RIM it was matched with, or why
// none was; the real RIMs (545.00 / 96.00.5E.00.01) are not the sample GPU's
// (550.90.07 / 96.00.9F.00.01), so both kinds fail and both RIMs are unused.
TEST(VerifyCommand, GpuRimsAreMatchedByVersion) {
  VEIL_REQUIRE_SHARED();
  const std::string dir = "nvtrust/local_gpu_verifier_samples/";
  auto [rc, out] =
      run_json({"gpu", "--payload", td("derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json"),
                "--now", "1717200000", "--rim", td(dir + "Driver_RIM_test_no_gpu.swidtag"), "--rim",
                td(dir + "1010_0200_882_96005E0001_test_no_gpu.swidtag"), "--json"});
  EXPECT_EQ(rc, 1);
  const auto* driver = check(out, "gpu[0].rim_driver");
  const auto* vbios = check(out, "gpu[0].rim_vbios");
  ASSERT_TRUE(driver && vbios) << boost::json::serialize(out);
  EXPECT_EQ(driver->at("status").as_string(), "fail");
  EXPECT_NE(std::string(driver->at("detail").as_string()).find("Driver_RIM_test_no_gpu.swidtag"),
            std::string::npos);
  EXPECT_EQ(vbios->at("status").as_string(), "fail");
  EXPECT_NE(std::string(vbios->at("detail").as_string()).find("NV_GPU_VBIOS_1010_0200_882_96009F0001"),
            std::string::npos);
  const auto* unused = check(out, "gpu.rim_unused");
  ASSERT_NE(unused, nullptr);
  EXPECT_EQ(unused->at("status").as_string(), "skip");
}

}  // namespace
}  // namespace veil::cli
