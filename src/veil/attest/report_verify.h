// Verification of attestation reports (WIRE.md section 3): the node report
// (flat JSON) and the gateway report ({"gateway_attestation", ...}). Each
// link gets its own check:
//   report.quote        DCAP verification of intel_quote (quote_check.h)
//   report.nonce        request_nonce = the expected nonce = REPORTDATA[32..64]
//   report.report_data  REPORTDATA[0..32] binds the signing address (and the
//                       TLS SPKI fingerprint when present)
//   report.tls          the bound fingerprint = the expected / observed TLS key
//   report.signing_key  signing_address derives from signing_public_key
//   report.event_log    runtime event digests recomputed; replay = RTMR0..3
//   report.tcb_info     info.tcb_info mrtd/rtmr0..3 = the quote
//   report.compose      mr_config_id = 0x01 ‖ SHA-256(app_compose)
//   report.model_hash   the node's model-hash event (reported; policy compares)
//   gpu.*               nvidia_payload via the NVIDIA verifier
// A simulated TEE (info.veil_simulation) is trusted only with
// allow_simulated, and then the verdict is marked simulated.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "veil/attest/collateral.h"
#include "veil/attest/policy.h"
#include "veil/attest/verdict.h"

namespace boost::json {
class object;
}

namespace veil::attest {

struct ReportVerifyOptions {
  int64_t now = 0;
  // When set, request_nonce (and the GPU nonce) must equal it.
  std::optional<std::array<uint8_t, 32>> expected_nonce;
  // When non-empty (hex SHA-256 of the TLS leaf's DER SPKI): the report must
  // bind exactly this TLS key (include_tls_fingerprint layout).
  std::string expected_tls_spki_sha256_hex;
  // Trust info.veil_simulation's root for this report (development only).
  bool allow_simulated = false;
  // Collateral: in memory, from a source, or from a file (bundle or PCS
  // response directory); first one set wins.
  const Collateral* collateral = nullptr;
  CollateralSource* collateral_source = nullptr;
  std::string collateral_file;
  Policy policy;
};

// A node or gateway report, recognised by shape. Malformed JSON is a failed
// "report.format" check.
Verdict verify_report_json(std::string_view body, const ReportVerifyOptions& options);

// A node report object (also used for each gateway model attestation).
Verdict verify_node_report(const boost::json::object& report, const ReportVerifyOptions& options);

// {"gateway_attestation": {...}, "model_attestations": [...], "tls_certificate": PEM}
Verdict verify_gateway_report(const boost::json::object& report, const ReportVerifyOptions& options);

}  // namespace veil::attest
