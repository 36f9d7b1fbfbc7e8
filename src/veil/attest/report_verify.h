// Verification of a node attestation report (WIRE.md section 3), every link
// checked and reported: the TDX quote (DCAP chain to Intel's root, or to
// Veil's simulation root only when allow_simulated), report_data binding
// (both layouts) to the signing key, the nonce and the TLS key, the event log
// replayed to the quote's RTMRs, the runtime events (veil-version,
// veil-config, model-name, model-hash — its absence reported), and the GPU
// evidence in nvidia_payload.
//
// (Interface fixed by the node client, cli/node_client.cpp, which calls it for
// `veil verify node` and `veil chat`; the implementation lives in
// report_verify.cpp.)
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "veil/attest/verdict.h"

namespace veil::attest {

struct ReportVerifyOptions {
  int64_t now = 0;                                        // verification time (Unix seconds)
  std::optional<std::array<uint8_t, 32>> expected_nonce;  // the client's fresh nonce
  std::string expected_tls_spki_sha256_hex;               // when the report must bind a TLS key (empty: not required)
  bool allow_simulated = false;                           // trust info.veil_simulation.root_ca for this report only
  std::string collateral_file;                            // dcap-qvl JSON bundle for hardware quotes (empty: none/online)
  std::string expected_model_hash_hex;                    // policy: expected model-hash event (empty: not checked)
};

// Verifies one node report given as JSON text (a flat node report; for a
// gateway report, its gateway_attestation and each model_attestations entry).
Verdict verify_report_json(std::string_view report_json, const ReportVerifyOptions& options);

}  // namespace veil::attest
