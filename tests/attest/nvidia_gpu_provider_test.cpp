// GPU evidence providers: none, simulated (round trip through the verifier)
// and nvml against the fake libnvidia-ml built beside the tests.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "nvidia_test_util.h"
#include "veil/attest/gpu/gpu_provider.h"
#include "veil/attest/gpu/nvml_gpu.h"
#include "veil/attest/gpu/simulated_gpu.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/spdm.h"
#include "veil/base/clock.h"

namespace veil::attest::gpu {
namespace {

const Check* find_check(const Verdict& v, const std::string& name) {
  for (const auto& c : v.checks)
    if (c.name == name) return &c;
  return nullptr;
}

std::array<uint8_t, 32> some_nonce(uint8_t seed) {
  std::array<uint8_t, 32> n{};
  for (size_t i = 0; i < n.size(); ++i) n[i] = uint8_t(seed + i * 7);
  return n;
}

TEST(GpuProvider, NoneReturnsEmptyPayload) {
  auto p = make_gpu_provider("none");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)->kind(), "none");
  auto payload = (*p)->nvidia_payload(some_nonce(1));
  ASSERT_TRUE(payload.ok());
  EXPECT_EQ(*payload, "");
  EXPECT_EQ(make_gpu_provider("cuda").error().code, "gpu.bad_kind");
}

TEST(GpuProvider, SimulatedRoundTrip) {
  auto p = make_gpu_provider("simulated");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ((*p)->kind(), "simulated");
  auto nonce = some_nonce(9);
  auto payload = (*p)->nvidia_payload(nonce);
  ASSERT_TRUE(payload.ok()) << payload.error().to_string();

  nvidia::GpuVerifyOptions o;
  o.now = unix_now();
  o.expected_nonce = nonce;
  // Not trusted by default: the chain does not reach the NVIDIA root.
  Verdict strict = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_FALSE(strict.verified);
  EXPECT_EQ(find_check(strict, "gpu[0].certificate_chain")->status, CheckStatus::fail);
  // Everything else about the evidence is real and checks out.
  EXPECT_EQ(find_check(strict, "gpu[0].report_signature")->status, CheckStatus::pass);
  EXPECT_EQ(find_check(strict, "gpu[0].fwid")->status, CheckStatus::pass);
  EXPECT_EQ(find_check(strict, "gpu[0].nonce")->status, CheckStatus::pass);

  o.allow_simulated = true;
  Verdict sim = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(sim.verified) << to_text(sim);
  EXPECT_TRUE(sim.simulated);

  // A wrong nonce fails even for simulated evidence.
  nvidia::GpuVerifyOptions wrong = o;
  wrong.expected_nonce = some_nonce(10);
  EXPECT_FALSE(nvidia::verify_nvidia_payload(*payload, wrong).verified);
}

TEST(GpuProvider, SimulatedRootMustBeTheOneGiven) {
  auto a = SimulatedGpuDevice::create(unix_now() - 60);
  auto b = SimulatedGpuDevice::create(unix_now() - 60);
  ASSERT_TRUE(a.ok() && b.ok());
  auto nonce = some_nonce(3);
  auto payload = (*a)->payload_json(nonce, 2);
  ASSERT_TRUE(payload.ok());
  nvidia::GpuVerifyOptions o;
  o.now = unix_now();
  o.expected_nonce = nonce;
  o.allow_simulated = true;
  o.simulated_root_pem = (*b)->root_pem();  // explicitly pinned root of another device
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_FALSE(v.verified);
  o.simulated_root_pem = (*a)->root_pem();
  Verdict ok = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(ok.verified) << to_text(ok);
  EXPECT_NE(find_check(ok, "gpu[1].report_signature"), nullptr);
}

TEST(GpuProvider, SimulatedBlackwellUsesTcbInfoFwid) {
  auto dev = SimulatedGpuDevice::create(unix_now() - 60, nvidia::GpuArch::blackwell);
  ASSERT_TRUE(dev.ok());
  auto nonce = some_nonce(5);
  auto payload = (*dev)->payload_json(nonce, 1);
  ASSERT_TRUE(payload.ok());
  EXPECT_NE(payload->find("\"BLACKWELL\""), std::string::npos);
  nvidia::GpuVerifyOptions o;
  o.now = unix_now();
  o.expected_nonce = nonce;
  o.allow_simulated = true;
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(v.verified) << to_text(v);
  EXPECT_NE(find_check(v, "gpu[0].fwid")->detail.find("2.23.133.5.4.1.1"), std::string::npos);
}

TEST(GpuProvider, SimulatedChainExpiresAtNow) {
  auto dev = SimulatedGpuDevice::create(1700000000);
  ASSERT_TRUE(dev.ok());
  auto nonce = some_nonce(4);
  auto payload = (*dev)->payload_json(nonce);
  ASSERT_TRUE(payload.ok());
  nvidia::GpuVerifyOptions o;
  o.now = 1700000000 + 3651LL * 86400;  // past the ten-year validity
  o.allow_simulated = true;
  EXPECT_FALSE(nvidia::verify_nvidia_payload(*payload, o).verified);
}

#ifdef VEIL_FAKE_NVML_PATH
class FakeNvml : public ::testing::Test {
 protected:
  void SetUp() override {
    VEIL_REQUIRE_SHARED();
    setenv(
        "VEIL_FAKE_NVML_REPORT",
        test::shared_path("testdata/nvtrust/local_gpu_verifier_samples/hopperAttestationReport.txt").c_str(),
        1);
    setenv("VEIL_FAKE_NVML_CHAIN",
           test::shared_path("testdata/nvtrust/local_gpu_verifier_samples/hopperCertChain.txt").c_str(), 1);
    setenv("VEIL_FAKE_NVML_GPUS", "1", 1);
    unsetenv("VEIL_FAKE_NVML_NON_CC");
  }
};

constexpr char kRecordedNonce[] = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";

TEST_F(FakeNvml, ServesRecordedEvidenceThatVerifies) {
  auto p = make_nvml_provider(NvmlOptions{VEIL_FAKE_NVML_PATH});
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ((*p)->kind(), "nvml");
  auto nonce = test::nvidia::nonce_from_hex(kRecordedNonce);
  auto payload = (*p)->nvidia_payload(nonce);
  ASSERT_TRUE(payload.ok()) << payload.error().to_string();
  // The nonce reached the library.
  void* lib = dlopen(VEIL_FAKE_NVML_PATH, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(lib, nullptr);
  auto last = reinterpret_cast<const unsigned char* (*)()>(dlsym(lib, "veil_fake_nvml_last_nonce"));
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(std::memcmp(last(), nonce.data(), 32), 0);
  dlclose(lib);

  nvidia::GpuVerifyOptions o;
  o.now = test::nvidia::kEvidenceTime;
  o.expected_nonce = nonce;
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(v.verified) << to_text(v);
}

TEST_F(FakeNvml, ANewNonceIsNotAnsweredByRecordedEvidence) {
  auto p = make_nvml_provider(NvmlOptions{VEIL_FAKE_NVML_PATH});
  ASSERT_TRUE(p.ok());
  auto nonce = some_nonce(42);
  auto payload = (*p)->nvidia_payload(nonce);
  ASSERT_TRUE(payload.ok());
  nvidia::GpuVerifyOptions o;
  o.now = test::nvidia::kEvidenceTime;
  o.expected_nonce = nonce;
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(find_check(v, "gpu[0].nonce")->status, CheckStatus::fail);
}

TEST_F(FakeNvml, SeveralGpusAndNonCcGpusAreSkipped) {
  setenv("VEIL_FAKE_NVML_GPUS", "3", 1);
  setenv("VEIL_FAKE_NVML_NON_CC", "1", 1);
  auto p = make_nvml_provider(NvmlOptions{VEIL_FAKE_NVML_PATH});
  ASSERT_TRUE(p.ok());
  auto payload = (*p)->nvidia_payload(test::nvidia::nonce_from_hex(kRecordedNonce));
  ASSERT_TRUE(payload.ok());
  nvidia::GpuVerifyOptions o;
  o.now = test::nvidia::kEvidenceTime;
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(v.verified) << to_text(v);
  EXPECT_NE(find_check(v, "gpu[1].report_signature"), nullptr);
  EXPECT_EQ(find_check(v, "gpu[2].report_signature"), nullptr);
}

TEST_F(FakeNvml, EnvironmentVariableSelectsTheLibrary) {
  setenv("VEIL_NVML_LIBRARY", VEIL_FAKE_NVML_PATH, 1);
  auto p = make_gpu_provider("nvml");
  unsetenv("VEIL_NVML_LIBRARY");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ((*p)->kind(), "nvml");
}
#endif

TEST(GpuProvider, MissingNvmlLibraryIsUnavailable) {
  auto p = make_nvml_provider(NvmlOptions{"/nonexistent/libnvidia-ml.so.1"});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, "gpu.nvml_unavailable");
}

}  // namespace
}  // namespace veil::attest::gpu

namespace veil::attest::gpu {
namespace {

TEST(GpuProvider, Spdm12SigningContextVerifies) {
  auto dev = SimulatedGpuDevice::create(unix_now() - 60, nvidia::GpuArch::blackwell);
  ASSERT_TRUE(dev.ok());
  auto nonce = some_nonce(12);
  auto payload = (*dev)->payload_json(nonce, 1, 0x12);
  ASSERT_TRUE(payload.ok());
  nvidia::GpuVerifyOptions o;
  o.now = unix_now();
  o.expected_nonce = nonce;
  o.allow_simulated = true;
  Verdict v = nvidia::verify_nvidia_payload(*payload, o);
  EXPECT_TRUE(v.verified) << to_text(v);
  EXPECT_NE(find_check(v, "gpu[0].report_signature")->detail.find("SPDM 1.2"), std::string::npos);
  EXPECT_NE(find_check(v, "gpu[0].report_parse")->detail.find("SPDM 1.2"), std::string::npos);
  // Flipping one byte of the 1.2 report breaks both signing forms.
  auto report = (*dev)->make_report(nonce, 0x12);
  ASSERT_TRUE(report.ok());
  Bytes bad = *report;
  bad[60] ^= 1;
  auto parsed = nvidia::parse_spdm_report(bad);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->version, 0x12);
  boost::json::value doc = boost::json::parse(*payload);
  doc.as_object()["evidence_list"].as_array()[0].as_object()["evidence"] = base64_encode(bad);
  Verdict flipped = nvidia::verify_nvidia_payload(boost::json::serialize(doc), o);
  EXPECT_FALSE(flipped.verified);
  EXPECT_EQ(find_check(flipped, "gpu[0].report_signature")->status, CheckStatus::fail);
}

}  // namespace
}  // namespace veil::attest::gpu
