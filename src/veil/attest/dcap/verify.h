// DCAP quote verification the way Intel's QVL does it (SGX ECDSA Quote
// Verification, sections 4.1.2.4.x), with `now` and the trust root as inputs:
//   PCK chain to the pinned root at `now` with the PCK CRL and root CA CRL;
//   TCB info and QE identity: issuer chains, signatures over the exact signed
//   text, issueDate/nextUpdate; FMSPC and PCE-ID equal to the PCK extension;
//   TDX module identity; QE report signature (PCK key); QE REPORTDATA binding;
//   quote signature (attestation key); TCB level matching (incl. the
//   TEE_TCB_SVN[1] > 0 module rule and TD 1.5 relaunch advice), converged
//   with the QE identity status.
// Policy (allowed statuses, debug TDs, ...) is NOT judged here: see policy.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/attest/collateral.h"
#include "veil/attest/dcap/pck_extension.h"
#include "veil/attest/dcap/tcb_info.h"
#include "veil/attest/quote.h"
#include "veil/attest/verdict.h"

namespace veil::attest::dcap {

// The Intel SGX Root CA, PEM (SHA-256 fingerprint 44:A0:19:6B:...:74:D3).
std::string_view intel_sgx_root_ca_pem();

struct VerifyOptions {
  // Unix seconds at which certificates, CRLs and collateral are judged.
  int64_t now = 0;
  // PEM or DER of the one trusted root; empty means the Intel SGX Root CA.
  std::string trusted_root;
  // Without collateral only the quote's own signatures and the PCK chain
  // (without CRLs) are checked; everything else is `skip` and no TCB status
  // is reached (verified stays false).
  const Collateral* collateral = nullptr;
  // PEM PCK certificate chain (leaf first) given by the caller, as Intel's
  // QVL API takes it; used instead of the quote's certification data (e.g.
  // for quotes whose certification data is PPID-based rather than a chain).
  std::string pck_chain_pem;
};

struct DcapReport {
  // Checks named "dcap.*". verdict.verified is true when every check passed
  // and a TCB status was reached; then verdict.tcb_status/advisory_ids are set.
  Verdict verdict;
  std::optional<PckExtension> pck;
  std::optional<PckCaType> pck_ca;
  // The TCB status reached (also set in the verdict when verified).
  std::optional<TcbStatus> tcb_status;
  std::vector<std::string> advisory_ids;
  // Oldest issueDate and earliest nextUpdate of TCB info / QE identity.
  std::optional<int64_t> collateral_issue_date;
  std::optional<int64_t> collateral_next_update;
  int tcb_evaluation_data_number = 0;
};

DcapReport verify_quote(const Quote& quote, const VerifyOptions& options);

// FMSPC and issuing CA read from the quote's (not yet verified) PCK
// certificate: enough to choose collateral. Errors "pck.*", "x509.*".
struct PckInfo {
  std::array<uint8_t, 6> fmspc{};
  PckCaType ca = PckCaType::platform;
};
Result<PckInfo> pck_info(const Quote& quote);

// The TCB part alone (exposed for tests): Intel's level matching over an
// already verified PCK extension, quote and TCB info, converged with the QE
// identity status when given. Errors "tcb.not_supported" ("No matching TCB
// level found"), "tcb.module_mismatch".
struct TcbMatch {
  TcbStatus status;
  std::vector<std::string> advisory_ids;
  std::string detail;
};
Result<TcbMatch> match_tcb_level(const TcbInfo& info, const PckExtension& pck, const Quote& quote,
                                 const std::optional<QeTcbLevel>& qe_level);

}  // namespace veil::attest::dcap
