// The firmware identity (FWID) a GPU's leaf certificate carries, which must
// equal the FWID field of the report's opaque data (nvtrust
// cc_admin_utils / local verifier "FWID match").
//   Hopper:    extension 2.23.133.5.4.1 (TCG DICE TcbInfo); the FWID is the
//              last 48 bytes of the extension value (as NVIDIA's verifiers read it).
//   Blackwell: extension 2.23.133.5.4.1.1; DER DiceTcbInfo (TCG DICE
//              Attestation Architecture, "DiceTcbInfo"), fwids [6] IMPLICIT
//              SEQUENCE OF FWID, FWID ::= SEQUENCE { hashAlg OID, digest OCTET STRING };
//              the FWID is fwids[0].digest (SHA-384, 48 bytes).
#pragma once

#include <openssl/x509.h>

#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia {

// nvswitch_ls10: an NVSwitch (LS10) of a Protected PCIe (PPCIe) system; its
// evidence has the GPU form (nvtrust switch_evidence.json, arch "LS10").
enum class GpuArch { hopper, blackwell, nvswitch_ls10 };

// "HOPPER" / "BLACKWELL" / "LS10" (case-insensitive). Errors "gpu.bad_arch".
Result<GpuArch> parse_gpu_arch(std::string_view name);
const char* to_string(GpuArch arch);

inline constexpr size_t kFwidSize = 48;

// fwids[0].digest of a DER DiceTcbInfo (the extension's OCTET STRING contents).
// Errors "x509.bad_fwid".
Result<Bytes> dice_tcb_info_first_fwid(ByteView tcb_info_der);

// The FWID of a leaf certificate for this architecture. Errors
// "x509.no_fwid" when the extension is absent, "x509.bad_fwid" when malformed.
Result<Bytes> leaf_certificate_fwid(X509* leaf, GpuArch arch);

}  // namespace veil::attest::nvidia
