// GPU evidence from real NVIDIA GPUs through libnvidia-ml.so.1, loaded with
// dlopen() so Veil runs (with "none"/"simulated") where no driver exists.
// For every GPU: nvmlDeviceGetConfComputeGpuAttestationReport (the caller's
// nonce in) and nvmlDeviceGetConfComputeGpuCertificate (attestation chain);
// GPUs that answer NOT_SUPPORTED (no CC) are left out. NVML calls are
// serialized by a mutex.
#pragma once

#include <memory>
#include <string>

#include "veil/attest/gpu/gpu_provider.h"

namespace veil::attest::gpu {

struct NvmlOptions {
  // Library to dlopen. Empty: $VEIL_NVML_LIBRARY if set, else "libnvidia-ml.so.1".
  std::string library_path;
};

// Loads the library, resolves the entry points and calls nvmlInit_v2.
// Errors "gpu.nvml_unavailable".
Result<std::unique_ptr<GpuEvidenceProvider>> make_nvml_provider(const NvmlOptions& options);

}  // namespace veil::attest::gpu
