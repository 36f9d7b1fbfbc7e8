// NVIDIA RIMs (SWID + XMLDSig): signature and signer chain at `now`,
// measurement comparison.
#include <gtest/gtest.h>

#include "nvidia_test_util.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/rim.h"
#include "veil/attest/nvidia/spdm.h"

namespace veil::attest::nvidia {
namespace {

// 2024-06-01: inside the RIM signers' validity (HCC RIM L4 Signer 2023-06-27..2025-06-26).
constexpr int64_t kRimTime = 1717200000;
// 2026-01-01: the L4 signer has expired.
constexpr int64_t kAfterExpiry = 1767225600;

const std::string kDir = "testdata/nvtrust/local_gpu_verifier_samples/";

std::string rim_text(const std::string& name) { return test::read_shared_text(kDir + name); }

TEST(NvidiaRim, DriverRimVerifiesInsideSignerValidity) {
  VEIL_REQUIRE_SHARED();
  auto rim = verify_rim(rim_text("Driver_RIM_test_no_gpu.swidtag"), kRimTime);
  ASSERT_TRUE(rim.ok()) << rim.error().to_string();
  EXPECT_EQ(rim->colloquial_version, "545.00");
  EXPECT_EQ(rim->name, "GH100");
  EXPECT_NE(rim->signer_subject.find("HCC RIM L4 Signer"), std::string::npos);
  size_t active = 0;
  for (const auto& m : rim->measurements) active += m.active;
  EXPECT_EQ(active, 21u);
}

TEST(NvidiaRim, VbiosRimsVerify) {
  VEIL_REQUIRE_SHARED();
  for (const char* f :
       {"1010_0200_882_96005E0001_test_no_gpu.swidtag", "1010_0200_882_96005E0001_PROD.swidtag"}) {
    auto rim = verify_rim(rim_text(f), kRimTime);
    ASSERT_TRUE(rim.ok()) << f << ": " << rim.error().to_string();
    EXPECT_EQ(rim->colloquial_version, "96.00.5E.00.01") << f;
  }
}

TEST(NvidiaRim, ExpiredSignerFailsAtNow) {
  VEIL_REQUIRE_SHARED();
  auto rim = verify_rim(rim_text("Driver_RIM_test_no_gpu.swidtag"), kAfterExpiry);
  ASSERT_FALSE(rim.ok());
  EXPECT_EQ(rim.error().code, "rim.chain");
  EXPECT_NE(rim.error().message.find("expired"), std::string::npos) << rim.error().message;
}

TEST(NvidiaRim, TamperedMeasurementBreaksTheSignature) {
  VEIL_REQUIRE_SHARED();
  std::string xml = rim_text("Driver_RIM_test_no_gpu.swidtag");
  size_t at = xml.find("0e0ee161b59bf124");
  ASSERT_NE(at, std::string::npos);
  xml[at] = '1';
  auto rim = verify_rim(xml, kRimTime);
  ASSERT_FALSE(rim.ok());
  EXPECT_EQ(rim.error().code, "rim.signature");
  // Unverified parsing still reads it (tools), which is why verify_rim is the only trusted path.
  EXPECT_TRUE(parse_rim_unverified(xml).ok());
}

TEST(NvidiaRim, TamperedSignatureValueFails) {
  VEIL_REQUIRE_SHARED();
  std::string xml = rim_text("Driver_RIM_test_no_gpu.swidtag");
  size_t at = xml.find("<ds:SignatureValue>");
  ASSERT_NE(at, std::string::npos);
  at += std::string("<ds:SignatureValue>").size() + 10;
  xml[at] = xml[at] == 'A' ? 'B' : 'A';
  auto rim = verify_rim(xml, kRimTime);
  ASSERT_FALSE(rim.ok());
  EXPECT_EQ(rim.error().code, "rim.signature");
}

TEST(NvidiaRim, WrongRootFailsTheChain) {
  VEIL_REQUIRE_SHARED();
  GpuVerifyOptions o;
  o.now = kRimTime;
  o.rim_root_pem_override = test::read_shared_text("testdata/nvtrust/certs/verifier_device_root.pem");
  o.rim_documents.push_back(rim_text("Driver_RIM_test_no_gpu.swidtag"));
  Verdict v = verify_nvidia_payload(
      test::read_shared_text("testdata/derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json"), o);
  EXPECT_FALSE(v.verified);
  bool rim_failed = false;
  for (const auto& c : v.checks) rim_failed |= c.name == "gpu.rim" && c.status == CheckStatus::fail;
  EXPECT_TRUE(rim_failed);
}

TEST(NvidiaRim, MalformedDocumentsFailCleanly) {
  for (const char* xml : {"", "<", "<a/>", "<!DOCTYPE x [<!ENTITY e \"x\">]><SoftwareIdentity/>",
                          "<SoftwareIdentity><Payload/></SoftwareIdentity>"}) {
    auto rim = verify_rim(xml, kRimTime);
    EXPECT_FALSE(rim.ok()) << xml;
  }
}

TEST(NvidiaRim, SampleReportDiffersFromTheTestRims) {
  VEIL_REQUIRE_SHARED();
  // The nvtrust sample report is driver 550.90.07 / VBIOS 96.00.9F.00.01, the
  // RIMs are 545.00 / 96.00.5E.00.01: some measurements agree, others do not.
  auto report_hex = test::nvidia::trim(test::read_shared_text(kDir + "hopperAttestationReport.txt"));
  auto report = parse_spdm_report(hex_decode(report_hex).value());
  ASSERT_TRUE(report.ok());
  auto driver = verify_rim(rim_text("Driver_RIM_test_no_gpu.swidtag"), kRimTime);
  auto vbios = verify_rim(rim_text("1010_0200_882_96005E0001_test_no_gpu.swidtag"), kRimTime);
  ASSERT_TRUE(driver.ok() && vbios.ok());
  auto cmp = compare_rims({*driver}, *report);
  ASSERT_TRUE(cmp.ok()) << cmp.error().to_string();
  EXPECT_EQ(cmp->compared, 21u);
  EXPECT_EQ(cmp->mismatched.size(), 15u);
  auto vcmp = compare_rims({*vbios}, *report);
  ASSERT_TRUE(vcmp.ok());
  EXPECT_EQ(vcmp->compared, 12u);
  EXPECT_EQ(vcmp->mismatched.size(), 5u);
  // A RIM whose golden values are the report's own measurements matches.
  Rim self = *driver;
  for (auto& m : self.measurements) {
    if (!m.active) continue;
    const MeasurementBlock* b = report->find_block(static_cast<uint8_t>(m.index + 1));
    ASSERT_NE(b, nullptr);
    m.alternatives.push_back(b->value);
  }
  auto scmp = compare_rims({self}, *report);
  ASSERT_TRUE(scmp.ok());
  EXPECT_TRUE(scmp->mismatched.empty());
  // The same index from two RIMs is a conflict.
  EXPECT_EQ(compare_rims({*driver, *driver}, *report).error().code, "rim.conflict");
}

TEST(NvidiaRim, PayloadWithRimsReportsMeasurementMismatch) {
  VEIL_REQUIRE_SHARED();
  GpuVerifyOptions o;
  o.now = kRimTime;
  o.rim_files.push_back(test::shared_path(kDir + "Driver_RIM_test_no_gpu.swidtag"));
  Verdict v = verify_nvidia_payload(
      test::read_shared_text("testdata/derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json"), o);
  EXPECT_FALSE(v.verified);
  // The 545.00 driver RIM is not this GPU's (driver 550.90.07): it is not
  // compared, the GPU fails its driver-RIM check and the RIM is listed unused.
  int rim_pass = 0, driver_fail = 0, meas_skip = 0, unused = 0;
  for (const auto& c : v.checks) {
    rim_pass += c.name == "gpu.rim" && c.status == CheckStatus::pass;
    driver_fail += c.name == "gpu[0].rim_driver" && c.status == CheckStatus::fail;
    meas_skip += c.name == "gpu[0].rim_measurements" && c.status == CheckStatus::skip;
    unused += c.name == "gpu.rim_unused" && c.status == CheckStatus::skip;
  }
  EXPECT_EQ(rim_pass, 1);
  EXPECT_EQ(driver_fail, 1);
  EXPECT_EQ(meas_skip, 1);
  EXPECT_EQ(unused, 1);
}

}  // namespace
}  // namespace veil::attest::nvidia
