// NVIDIA Reference Integrity Manifests (RIMs): ISO/IEC 19770-2 SWID tags
// carrying golden measurements as
//   <Resource type="Measurement" index="N" active="True" alternatives="K"
//             Hash0=".." ... Hash{K-1}=".."/>
// (TCG PC Client RIM / NVIDIA RIM schema), signed with an enveloped XMLDSig
// (ecdsa-sha384, c14n 1.1) whose KeyInfo holds the signer chain up to the
// "NVIDIA CoRIM signing Root CA".
//
// Verification: the signer chain (KeyInfo X509Certificate elements, leaf
// first) is verified with OpenSSL to the pinned RIM root at `now`; the
// XMLDSig is then verified by libxmlsec1 with exactly the leaf's key (KeyInfo
// is not used to find keys); the single Reference must cover the whole
// document (URI=""), so the measurements read afterwards are the signed ones.
//
// RIM index N is the SPDM measurement block index N + 1.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "veil/attest/nvidia/spdm.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::nvidia {

struct RimMeasurement {
  uint32_t index = 0;  // RIM index (0-based)
  bool active = false;
  std::vector<Bytes> alternatives;  // Hash0 .. Hash{K-1}
};

struct Rim {
  std::string tag_id;
  std::string name;                // e.g. "GH100"
  std::string colloquial_version;  // driver "545.00" or VBIOS "96.00.5E.00.01"
  std::string signer_subject;      // leaf signer certificate subject (one line)
  std::vector<RimMeasurement> measurements;
};

// Parses the measurements without checking the signature (tests, tools).
// Errors "rim.malformed".
Result<Rim> parse_rim_unverified(std::string_view xml);

// Verifies the XMLDSig and the signer chain to `root` (the pinned NVIDIA RIM
// root when null) at `now`, then returns the signed measurements. Errors
// "rim.malformed", "rim.chain" (with OpenSSL's reason) or "rim.signature".
Result<Rim> verify_rim(std::string_view xml, int64_t now, X509* root = nullptr);

// Which component a RIM describes. NVIDIA's RIM service names them
// NV_GPU_DRIVER_<chip>_<driver version> and
// NV_GPU_VBIOS_<project>_<project SKU>_<chip SKU>_<VBIOS version without dots>
// (nvtrust cc_admin_utils); inside the signed document only Meta
// colloquialVersion tells them apart: a VBIOS version is five dot-separated
// two-hex-digit groups ("96.00.5E.00.01"), a driver version is decimal
// ("545.00", "550.90.07").
enum class RimKind { driver, vbios };
RimKind rim_kind(const Rim& rim);
const char* to_string(RimKind k);
// RIM colloquialVersion against a version read from the report's opaque data,
// compared case-insensitively as NVIDIA's verifier does.
bool rim_version_matches(const Rim& rim, std::string_view report_version);
// NVIDIA RIM service ids for a GPU's report (what to fetch when no RIM fits);
// empty when the report lacks the fields. The driver id names GH100 (Hopper)
// as nvtrust does.
std::string nvidia_driver_rim_id(const SpdmReport& report);
std::string nvidia_vbios_rim_id(const SpdmReport& report);

struct RimComparison {
  size_t compared = 0;               // active RIM entries compared
  std::vector<uint32_t> mismatched;  // SPDM block indices that differ
  std::vector<uint32_t> missing;     // active RIM indices absent from the report
};

// Compares every active RIM entry (union over `rims`) with the report's
// measurement block index + 1. Two RIMs giving the same index is an error
// ("rim.conflict"), as in NVIDIA's verifier.
Result<RimComparison> compare_rims(const std::vector<Rim>& rims, const SpdmReport& report);

}  // namespace veil::attest::nvidia
