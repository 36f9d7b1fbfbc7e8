// Verification of an NVIDIA confidential-computing GPU `nvidia_payload`
// (WIRE.md section 3): for every evidence entry, the SPDM GET_MEASUREMENTS
// report is parsed by structure, its ECDSA P-384 signature checked with the
// leaf certificate's key, the certificate chain verified to the pinned NVIDIA
// Device Identity CA at `now`, the leaf's FWID compared with the firmware
// measurement, the nonce compared with the expected one, and (when RIM files
// are given) the measurements compared with the RIM golden values.
//
// NVSwitch evidence (arch "LS10", Protected PCIe systems) is verified the
// same way, except that a switch reports no driver version and no FWID field
// (fwid: skip) and has only a BIOS RIM. The payload may also be nvtrust's
// PPCIe list form: a JSON array of {arch, certificate, evidence, nonce}.
//
// Offline limits: OCSP revocation is reported as `skip`, never `pass`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/attest/nvidia/rim.h"
#include "veil/attest/verdict.h"

namespace veil::attest::nvidia {

struct GpuVerifyOptions {
  // Unix seconds at which certificate validity is judged (device chains and
  // RIM signer chains). Required: verifiers never read the clock themselves.
  int64_t now = 0;
  // When set, the payload's "nonce" and every evidence's SPDM request nonce
  // must equal it. When unset, the nonce check is reported as `skip` (the
  // payload's own nonce is still compared with each SPDM request nonce).
  std::optional<std::array<uint8_t, 32>> expected_nonce;
  // Paths of RIM files (SWID tags with XMLDSig). Each is signature-verified
  // to the NVIDIA RIM root at `now`; the measurements of every GPU are then
  // compared with the union of the golden values. Empty: `skip`.
  std::vector<std::string> rim_files;
  // RIM file contents already in memory (same treatment as rim_files).
  std::vector<std::string> rim_documents;
  // RIMs the caller has already verified with verify_rim (e.g. once for many
  // payloads). Used as given: their signatures are not checked again.
  std::vector<Rim> verified_rims;
  // Every GPU's driver RIM and VBIOS RIM are the given RIMs whose
  // colloquialVersion equals the driver / VBIOS version in its opaque data
  // (checks gpu[i].rim_driver and gpu[i].rim_vbios name the RIM used); a GPU
  // without one fails that check when RIMs of that kind were given, and is
  // skipped when none were. A RIM that no GPU used is listed as gpu.rim_unused.
  // Accept evidence chained to Veil's simulated GPU root (see
  // veil/attest/gpu/gpu_provider.h). Both must be set for simulated evidence
  // to verify; the verdict is then marked `simulated`.
  bool allow_simulated = false;
  // PEM of the simulated root to trust. When unset and allow_simulated is
  // true, the payload's "veil_simulated_root" field is used (a root carried in
  // the evidence itself proves nothing beyond "the whole code path ran").
  std::optional<std::string> simulated_root_pem;
  // Override of the pinned device root (tests only). PEM. When set, it
  // replaces the NVIDIA Device Identity CA as trust anchor.
  std::optional<std::string> device_root_pem_override;
  // Override of the RIM root (tests only). PEM.
  std::optional<std::string> rim_root_pem_override;
};

// Verifies a whole payload (the JSON text of the `nvidia_payload` string).
// Check names are prefixed "gpu." and, per evidence entry, "gpu[i].".
// An empty payload string is a failure ("gpu.payload": empty); callers that
// accept GPU-less nodes must not call this.
veil::attest::Verdict verify_nvidia_payload(std::string_view payload_json, const GpuVerifyOptions& options);

}  // namespace veil::attest::nvidia

namespace veil::attest {
// Convenience aliases so callers can write veil::attest::verify_nvidia_payload.
using nvidia::GpuVerifyOptions;
using nvidia::verify_nvidia_payload;
}  // namespace veil::attest
