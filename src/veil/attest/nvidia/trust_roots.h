// NVIDIA trust anchors, pinned by SHA-256 fingerprint of the DER certificate.
//
// Source: NVIDIA/nvtrust at 028173093d43dbf37364bdc39ad7e696bccbce2e,
// guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/certs/
//   verifier_device_root.pem  "NVIDIA Device Identity CA" (P-384, 2021-11-05..9999-12-31)
//     SHA-256 102BF659D5419614C9D8E6AECEBC80454EB26B1DF6A769AC720B9A690B167B48
//   verifier_RIM_root.pem     "NVIDIA CoRIM signing Root CA" (2023-03-16..2053-03-08)
//     SHA-256 12977B5115ACB0381179279FFFEB5A8C4D264971EBB32298023A465FA41DF5D1
// (also listed in ../shared/testdata/SOURCES.md section 6).
#pragma once

#include <openssl/x509.h>

#include <string_view>

namespace veil::attest::nvidia {

inline constexpr std::string_view kDeviceIdentityCaSha256 =
    "102bf659d5419614c9d8e6aecebc80454eb26b1df6a769ac720b9a690b167b48";
inline constexpr std::string_view kRimRootCaSha256 =
    "12977b5115acb0381179279fffeb5a8c4d264971ebb32298023a465fa41df5d1";

// The pinned roots, parsed once. The embedded certificate is checked against
// its pinned fingerprint; on mismatch these return nullptr (and every chain
// fails), so the pin, not the embedded text, is what is trusted.
X509* nvidia_device_identity_ca();
X509* nvidia_rim_root_ca();

}  // namespace veil::attest::nvidia
