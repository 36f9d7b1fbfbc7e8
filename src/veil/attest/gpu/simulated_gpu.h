// A simulated NVIDIA CC GPU: it produces attestation evidence in the real
// layout (SPDM 1.1 GET_MEASUREMENTS request + MEASUREMENTS response with
// NVIDIA opaque data, ECDSA P-384 signature) from a device chain created in
// memory (P-384 root -> leaf carrying the TCG DICE FWID extension
// 2.23.133.5.4.1). The verifier runs its whole code path on it and accepts
// it only when told to trust the simulated root (allow_simulated).
//
// Payload field "veil_simulated_root" carries the root PEM; NEAR/Phala
// clients ignore unknown fields.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "veil/attest/nvidia/fwid.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::gpu {

class SimulatedGpuDevice {
 public:
  // Creates a fresh root and leaf key, valid from `not_before` for ten years.
  // HOPPER puts the FWID in extension 2.23.133.5.4.1, BLACKWELL in the DICE
  // TcbInfo extension 2.23.133.5.4.1.1 (fwids[0], marked critical as the DICE
  // architecture recommends); the payload "arch" follows.
  static Result<std::unique_ptr<SimulatedGpuDevice>> create(int64_t not_before,
                                                            nvidia::GpuArch arch = nvidia::GpuArch::hopper);
  ~SimulatedGpuDevice();

  const std::string& root_pem() const { return root_pem_; }
  // Leaf first, then the root (the order NVIDIA drivers use).
  const std::string& chain_pem() const { return chain_pem_; }
  // The 48-byte FWID in both the leaf certificate and the opaque data.
  const Bytes& fwid() const { return fwid_; }

  // SPDM request || response || signature for this nonce; spdm_version 0x11
  // (signature over the transcript, as Hopper) or 0x12 (DSP0274 1.2 signing context).
  Result<Bytes> make_report(const std::array<uint8_t, 32>& nonce, uint8_t spdm_version = 0x11) const;
  // The nvidia_payload JSON text with `gpu_count` evidence entries.
  Result<std::string> payload_json(const std::array<uint8_t, 32>& nonce, size_t gpu_count = 1,
                                   uint8_t spdm_version = 0x11) const;

 private:
  SimulatedGpuDevice() = default;
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string root_pem_;
  std::string chain_pem_;
  Bytes fwid_;
  nvidia::GpuArch arch_ = nvidia::GpuArch::hopper;
};

}  // namespace veil::attest::gpu
