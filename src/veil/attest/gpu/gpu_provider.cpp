#include "veil/attest/gpu/gpu_provider.h"

#include <mutex>

#include "veil/attest/gpu/nvml_gpu.h"
#include "veil/attest/gpu/simulated_gpu.h"
#include "veil/base/clock.h"

namespace veil::attest::gpu {

GpuEvidenceProvider::~GpuEvidenceProvider() = default;

namespace {

class NoGpuProvider final : public GpuEvidenceProvider {
 public:
  std::string kind() const override { return "none"; }
  Result<std::string> nvidia_payload(const std::array<uint8_t, 32>&) override { return std::string(); }
};

class SimulatedGpuProvider final : public GpuEvidenceProvider {
 public:
  explicit SimulatedGpuProvider(std::unique_ptr<SimulatedGpuDevice> device) : device_(std::move(device)) {}
  std::string kind() const override { return "simulated"; }
  Result<std::string> nvidia_payload(const std::array<uint8_t, 32>& nonce) override {
    // The device is immutable after creation; signing is thread-safe in OpenSSL 3.
    return device_->payload_json(nonce, 1);
  }

 private:
  std::unique_ptr<SimulatedGpuDevice> device_;
};

}  // namespace

Result<std::unique_ptr<GpuEvidenceProvider>> make_gpu_provider(std::string_view kind) {
  if (kind == "none") return std::unique_ptr<GpuEvidenceProvider>(new NoGpuProvider());
  if (kind == "simulated") {
    // Backdate a day so verifiers with a slightly slow clock accept the chain.
    VEIL_ASSIGN_OR_RETURN(auto device, SimulatedGpuDevice::create(unix_now() - 86400));
    return std::unique_ptr<GpuEvidenceProvider>(new SimulatedGpuProvider(std::move(device)));
  }
  if (kind == "nvml") {
    VEIL_ASSIGN_OR_RETURN(auto p, make_nvml_provider(NvmlOptions{}));
    return std::unique_ptr<GpuEvidenceProvider>(std::move(p));
  }
  return make_error("gpu.bad_kind", "GPU evidence provider must be none, simulated or nvml");
}

}  // namespace veil::attest::gpu
