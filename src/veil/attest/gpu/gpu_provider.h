// Sources of GPU attestation evidence on a node. Each produces the
// `nvidia_payload` JSON string of WIRE.md section 3 for a caller nonce.
//
//   "none"       no GPU: returns "".
//   "simulated"  evidence in the real SPDM GET_MEASUREMENTS layout, signed by a
//                simulated device chain (P-384 root created when the provider
//                is made, FWID extension present, arch HOPPER). The root PEM
//                is carried in the payload field "veil_simulated_root" (NEAR
//                and Phala clients ignore unknown fields); verifiers accept it
//                only with allow_simulated (see nvidia/gpu_verify.h).
//   "nvml"       real GPUs through libnvidia-ml.so.1 loaded with dlopen():
//                nvmlDeviceGetConfComputeGpuAttestationReport and
//                nvmlDeviceGetConfComputeGpuCertificate for every GPU, calls
//                serialized by a mutex. The library path can be overridden
//                with the environment variable VEIL_NVML_LIBRARY (tests load a
//                fake library that serves recorded evidence).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "veil/base/result.h"

namespace veil::attest::gpu {

class GpuEvidenceProvider {
 public:
  virtual ~GpuEvidenceProvider();
  // "none" | "simulated" | "nvml"
  virtual std::string kind() const = 0;
  // The payload JSON text for this nonce, or "" when there is no GPU.
  // Thread-safe.
  virtual Result<std::string> nvidia_payload(const std::array<uint8_t, 32>& nonce) = 0;
};

// kind: "none", "simulated" or "nvml". "nvml" fails here when the library
// cannot be loaded or initialized (error code "gpu.nvml_unavailable").
Result<std::unique_ptr<GpuEvidenceProvider>> make_gpu_provider(std::string_view kind);

}  // namespace veil::attest::gpu

namespace veil::attest {
using gpu::GpuEvidenceProvider;
using gpu::make_gpu_provider;
}  // namespace veil::attest
