// NVSwitch (LS10) evidence from a Protected PCIe HGX system (nvtrust
// ppcie/switch_evidence.json, 4 switches): SPDM 1.1 report signature, chain to
// the NVIDIA Device Identity CA, nonce, BIOS version; no driver, no FWID field.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "nvidia_test_util.h"
#include "veil/attest/nvidia/gpu_verify.h"

namespace veil::attest::nvidia {
namespace {

const std::string kSwitches = "testdata/nvtrust/ppcie/switch_evidence.json";
const std::string kNonce = "4760e30534a0621357d458b1a7936551b5dc4cd1e69718adf7ed9fb0252a537e";

std::string dump(const Verdict& v) {
  std::string s;
  for (const auto& c : v.checks)
    s += std::string(to_string(c.status)) + " " + c.name + ": " + c.detail + "\n";
  return s;
}

const Check* find(const Verdict& v, const std::string& name) {
  for (const auto& c : v.checks)
    if (c.name == name) return &c;
  return nullptr;
}

GpuVerifyOptions options() {
  GpuVerifyOptions o;
  o.now = test::nvidia::kEvidenceTime;
  o.expected_nonce = test::nvidia::nonce_from_hex(kNonce);
  return o;
}

TEST(NvSwitch, FourRealSwitchesVerify) {
  VEIL_REQUIRE_SHARED();
  Verdict v = verify_nvidia_payload(test::read_shared_text(kSwitches), options());
  EXPECT_TRUE(v.verified) << dump(v);
  for (int i = 0; i < 4; ++i) {
    const std::string p = "gpu[" + std::to_string(i) + "].";
    for (const char* name : {"report_parse", "certificate_chain", "report_signature", "nonce", "versions"}) {
      const Check* c = find(v, p + name);
      ASSERT_NE(c, nullptr) << p << name << "\n" << dump(v);
      EXPECT_EQ(c->status, CheckStatus::pass) << p << name << ": " << c->detail;
    }
    EXPECT_NE(find(v, p + "certificate_chain")->detail.find("LS_10"), std::string::npos);
    EXPECT_EQ(find(v, p + "versions")->detail, "NVSwitch BIOS 96.10.73.00.01");
    EXPECT_EQ(find(v, p + "fwid")->status, CheckStatus::skip);
  }
  EXPECT_EQ(find(v, "gpu.nonce")->status, CheckStatus::pass);
}

TEST(NvSwitch, TamperedSwitchReportAndWrongNonceFail) {
  VEIL_REQUIRE_SHARED();
  auto doc = boost::json::parse(test::read_shared_text(kSwitches));
  auto& first = doc.as_array()[0].as_object();
  Bytes report = base64_decode(std::string_view(first["evidence"].as_string())).value();
  report[100] ^= 0x01;  // inside the measurement blocks
  first["evidence"] = base64_encode(report);
  Verdict v = verify_nvidia_payload(boost::json::serialize(doc), options());
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(find(v, "gpu[0].report_signature")->status, CheckStatus::fail) << dump(v);
  EXPECT_EQ(find(v, "gpu[1].report_signature")->status, CheckStatus::pass);

  GpuVerifyOptions o = options();
  o.expected_nonce->at(0) ^= 1;
  Verdict n = verify_nvidia_payload(test::read_shared_text(kSwitches), o);
  EXPECT_EQ(find(n, "gpu.nonce")->status, CheckStatus::fail);
  // Entries that disagree on the nonce are refused in the list form.
  auto mixed = boost::json::parse(test::read_shared_text(kSwitches));
  mixed.as_array()[2].as_object()["nonce"] = std::string(64, '0');
  Verdict m = verify_nvidia_payload(boost::json::serialize(mixed), options());
  EXPECT_EQ(find(m, "gpu.payload")->status, CheckStatus::fail);
  EXPECT_FALSE(m.verified);
}

TEST(NvSwitch, BiosRimIsTheOnlyRimKind) {
  VEIL_REQUIRE_SHARED();
  GpuVerifyOptions o = options();
  o.now = 1717200000;  // the RIM signers' validity
  o.rim_files = {
      test::shared_path("testdata/nvtrust/local_gpu_verifier_samples/"
                        "1010_0200_882_96005E0001_test_no_gpu.swidtag")};
  Verdict v = verify_nvidia_payload(test::read_shared_text(kSwitches), o);
  const Check* driver = find(v, "gpu[0].rim_driver");
  ASSERT_NE(driver, nullptr) << dump(v);
  EXPECT_EQ(driver->status, CheckStatus::skip);
  const Check* bios = find(v, "gpu[0].rim_vbios");
  ASSERT_NE(bios, nullptr);
  EXPECT_EQ(bios->status, CheckStatus::fail);
  EXPECT_NE(bios->detail.find("NV_SWITCH_BIOS_5612_0002_890_9610730001"), std::string::npos) << bios->detail;
}

}  // namespace
}  // namespace veil::attest::nvidia
