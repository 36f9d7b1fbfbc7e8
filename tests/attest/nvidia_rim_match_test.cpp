// RIM ↔ GPU matching: each GPU's driver RIM and VBIOS RIM are selected by the
// versions in its opaque data; the RIM used is named per GPU, a GPU without
// its RIM fails (or skips when no RIM of that kind was given), and a RIM no
// GPU used is listed.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "nvidia_test_util.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/rim.h"
#include "veil/attest/nvidia/spdm.h"
#include "veil/base/encoding.h"

namespace veil::attest::nvidia {
namespace {

constexpr int64_t kRimTime = 1717200000;  // 2024-06-01, RIM signers valid
const std::string kDir = "testdata/nvtrust/local_gpu_verifier_samples/";
const std::string kPayloads = "testdata/derived/nvidia_payload/";

Rim verified(const std::string& name) {
  auto r = verify_rim(test::read_shared_text(kDir + name), kRimTime);
  EXPECT_TRUE(r.ok()) << name;
  return r.ok() ? *r : Rim{};
}

Bytes sample_report_bytes() {
  auto b = hex_decode(test::nvidia::trim(test::read_shared_text(kDir + "hopperAttestationReport.txt")));
  EXPECT_TRUE(b.ok());
  return b.ok() ? *b : Bytes{};
}

std::string dump(const Verdict& v) {
  std::string s;
  for (const auto& c : v.checks)
    s += std::string(to_string(c.status)) + " " + c.name + ": " + c.detail + "\n";
  return s;
}

std::vector<const Check*> all(const Verdict& v, const std::string& name) {
  std::vector<const Check*> out;
  for (const auto& c : v.checks)
    if (c.name == name) out.push_back(&c);
  return out;
}

const Check* one(const Verdict& v, const std::string& name) {
  auto found = all(v, name);
  EXPECT_EQ(found.size(), 1u) << name << "\n" << dump(v);
  return found.empty() ? nullptr : found.front();
}

TEST(NvidiaRimMatch, KindAndVersionFromTheRealRims) {
  VEIL_REQUIRE_SHARED();
  Rim driver = verified("Driver_RIM_test_no_gpu.swidtag");
  Rim vbios = verified("1010_0200_882_96005E0001_test_no_gpu.swidtag");
  EXPECT_EQ(rim_kind(driver), RimKind::driver);
  EXPECT_EQ(rim_kind(vbios), RimKind::vbios);
  EXPECT_TRUE(rim_version_matches(vbios, "96.00.5e.00.01"));  // case-insensitive, as NVIDIA compares
  EXPECT_FALSE(rim_version_matches(vbios, "96.00.9F.00.01"));
  EXPECT_FALSE(rim_version_matches(driver, "545.0"));
  Rim odd = driver;
  odd.colloquial_version = "96.00.5G.00.01";  // not hex: not a VBIOS version
  EXPECT_EQ(rim_kind(odd), RimKind::driver);
}

TEST(NvidiaRimMatch, NvidiaServiceIdsFromTheReport) {
  VEIL_REQUIRE_SHARED();
  auto report = parse_spdm_report(sample_report_bytes());
  ASSERT_TRUE(report.ok());
  // The sample RIM file names follow the same convention (1010_0200_882_<VBIOS>).
  EXPECT_EQ(nvidia_vbios_rim_id(*report), "NV_GPU_VBIOS_1010_0200_882_96009F0001");
  EXPECT_EQ(nvidia_driver_rim_id(*report), "NV_GPU_DRIVER_GH100_550.90.07");
}

// The real RIMs (545.00 / 96.00.5E.00.01) given for the real sample GPU
// (550.90.07 / 96.00.9F.00.01): both kinds fail with the versions named, the
// measurements are not compared, both RIMs are unused.
TEST(NvidiaRimMatch, RealRimsOfOtherVersionsFailForTheSampleGpu) {
  VEIL_REQUIRE_SHARED();
  GpuVerifyOptions o;
  o.now = kRimTime;
  o.rim_files = {test::shared_path(kDir + "Driver_RIM_test_no_gpu.swidtag"),
                 test::shared_path(kDir + "1010_0200_882_96005E0001_test_no_gpu.swidtag")};
  Verdict v =
      verify_nvidia_payload(test::read_shared_text(kPayloads + "nvidia_payload_h100_nvtrust_sample.json"), o);
  EXPECT_FALSE(v.verified);
  const Check* d = one(v, "gpu[0].rim_driver");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, CheckStatus::fail);
  EXPECT_NE(d->detail.find("no driver RIM for this GPU's driver 550.90.07 (given: 545.00"), std::string::npos)
      << d->detail;
  EXPECT_NE(d->detail.find("NV_GPU_DRIVER_GH100_550.90.07"), std::string::npos) << d->detail;
  const Check* b = one(v, "gpu[0].rim_vbios");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->status, CheckStatus::fail);
  EXPECT_NE(b->detail.find("VBIOS 96.00.9F.00.01 (given: 96.00.5E.00.01"), std::string::npos) << b->detail;
  EXPECT_NE(b->detail.find("NV_GPU_VBIOS_1010_0200_882_96009F0001"), std::string::npos) << b->detail;
  EXPECT_EQ(one(v, "gpu[0].rim_measurements")->status, CheckStatus::skip);
  auto unused = all(v, "gpu.rim_unused");
  ASSERT_EQ(unused.size(), 2u) << dump(v);
  EXPECT_NE(unused[0]->detail.find("driver RIM 545.00 matches no GPU"), std::string::npos)
      << unused[0]->detail;
  EXPECT_NE(unused[1]->detail.find("VBIOS RIM 96.00.5E.00.01 matches no GPU"), std::string::npos);
}

TEST(NvidiaRimMatch, OnlyOneKindGivenSkipsTheOther) {
  VEIL_REQUIRE_SHARED();
  GpuVerifyOptions o;
  o.now = kRimTime;
  o.rim_files = {test::shared_path(kDir + "1010_0200_882_96005E0001_test_no_gpu.swidtag")};
  Verdict v =
      verify_nvidia_payload(test::read_shared_text(kPayloads + "nvidia_payload_h100_nvtrust_sample.json"), o);
  const Check* d = one(v, "gpu[0].rim_driver");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, CheckStatus::skip);
  EXPECT_NE(d->detail.find("no driver RIM given"), std::string::npos);
  EXPECT_EQ(one(v, "gpu[0].rim_vbios")->status, CheckStatus::fail);
}

// RIMs whose versions are the GPU's: selected per kind, named per GPU, and
// their golden values compared. The real signed RIMs are taken as verified and
// given the sample GPU's versions (and, for a full match, its measurements).
TEST(NvidiaRimMatch, MatchingRimsAreUsedAndNamedPerGpu) {
  VEIL_REQUIRE_SHARED();
  auto report = parse_spdm_report(sample_report_bytes());
  ASSERT_TRUE(report.ok());
  Rim driver = verified("Driver_RIM_test_no_gpu.swidtag");
  Rim vbios = verified("1010_0200_882_96005E0001_test_no_gpu.swidtag");
  driver.colloquial_version = "550.90.07";
  vbios.colloquial_version = "96.00.9f.00.01";
  const std::string payload = test::read_shared_text(kPayloads + "nvidia_payload_h100_nvtrust_sample.json");
  {
    GpuVerifyOptions o;
    o.now = kRimTime;
    o.verified_rims = {vbios, driver};
    Verdict v = verify_nvidia_payload(payload, o);
    const Check* d = one(v, "gpu[0].rim_driver");
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->status, CheckStatus::pass) << d->detail;
    EXPECT_NE(d->detail.find("verified RIM 1: \"GH100\" driver RIM 550.90.07"), std::string::npos)
        << d->detail;
    const Check* b = one(v, "gpu[0].rim_vbios");
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->status, CheckStatus::pass) << b->detail;
    EXPECT_NE(b->detail.find("verified RIM 0"), std::string::npos);
    // Their golden values are the 545.00 / 5E ones: 15 + 5 measurements differ.
    const Check* m = one(v, "gpu[0].rim_measurements");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->status, CheckStatus::fail);
    EXPECT_NE(m->detail.find("20 of 33 measurements differ from verified RIM 1 and verified RIM 0"),
              std::string::npos)
        << m->detail;
    EXPECT_TRUE(all(v, "gpu.rim_unused").empty());
  }
  {
    for (Rim* r : {&driver, &vbios}) {
      for (auto& m : r->measurements) {
        if (!m.active) continue;
        const MeasurementBlock* blk = report->find_block(static_cast<uint8_t>(m.index + 1));
        ASSERT_NE(blk, nullptr);
        m.alternatives = {blk->value};
      }
    }
    GpuVerifyOptions o;
    o.now = kRimTime;
    o.verified_rims = {driver, vbios};
    Verdict v = verify_nvidia_payload(payload, o);
    const Check* m = one(v, "gpu[0].rim_measurements");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->status, CheckStatus::pass) << m->detail;
    EXPECT_NE(m->detail.find("33 measurements equal the golden values of verified RIM 0 and verified RIM 1"),
              std::string::npos)
        << m->detail;
  }
}

// Two GPUs of different drivers (the nvtrust sample, 550.90.07, and trustee's
// coco1, 580.95.05) in one payload: each selects its own driver RIM; a RIM that
// fits neither is listed once as unused, and a GPU without its RIM fails.
TEST(NvidiaRimMatch, TwoGpusEachUseTheirOwnRim) {
  VEIL_REQUIRE_SHARED();
  auto a = boost::json::parse(test::read_shared_text(kPayloads + "nvidia_payload_h100_nvtrust_sample.json"));
  auto b = boost::json::parse(test::read_shared_text(kPayloads + "nvidia_payload_h100_trustee_coco1.json"));
  a.as_object()["evidence_list"].as_array().push_back(b.at("evidence_list").as_array().at(0));
  const std::string payload = boost::json::serialize(a);
  Rim foreign = verified("Driver_RIM_test_no_gpu.swidtag");  // 545.00
  Rim first = foreign, second = foreign;
  first.colloquial_version = "550.90.07";
  second.colloquial_version = "580.95.05";
  GpuVerifyOptions o;
  o.now = kRimTime;
  o.verified_rims = {foreign, second, first};
  Verdict v = verify_nvidia_payload(payload, o);
  const Check* d0 = one(v, "gpu[0].rim_driver");
  const Check* d1 = one(v, "gpu[1].rim_driver");
  ASSERT_TRUE(d0 && d1);
  EXPECT_EQ(d0->status, CheckStatus::pass);
  EXPECT_NE(d0->detail.find("verified RIM 2: \"GH100\" driver RIM 550.90.07"), std::string::npos)
      << d0->detail;
  EXPECT_EQ(d1->status, CheckStatus::pass);
  EXPECT_NE(d1->detail.find("verified RIM 1: \"GH100\" driver RIM 580.95.05"), std::string::npos)
      << d1->detail;
  auto unused = all(v, "gpu.rim_unused");
  ASSERT_EQ(unused.size(), 1u) << dump(v);
  EXPECT_NE(unused[0]->detail.find("verified RIM 0: driver RIM 545.00 matches no GPU"), std::string::npos);
  // Without the second GPU's RIM, that GPU (only) fails, naming its version.
  o.verified_rims = {foreign, first};
  v = verify_nvidia_payload(payload, o);
  EXPECT_EQ(one(v, "gpu[0].rim_driver")->status, CheckStatus::pass);
  const Check* missing = one(v, "gpu[1].rim_driver");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->status, CheckStatus::fail);
  EXPECT_NE(
      missing->detail.find("driver 580.95.05 (given: 545.00 (verified RIM 0), 550.90.07 (verified RIM 1))"),
      std::string::npos)
      << missing->detail;
  EXPECT_FALSE(v.verified);
}

}  // namespace
}  // namespace veil::attest::nvidia
