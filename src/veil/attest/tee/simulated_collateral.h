// Collateral for simulated quotes, in the dcap-qvl JSON bundle format
// (QuoteCollateralV3): pck_crl_issuer_chain, root_ca_crl (hex DER), pck_crl
// (hex DER), tcb_info_issuer_chain, tcb_info (exact signed text),
// tcb_info_signature (hex r‖s), qe_identity_issuer_chain, qe_identity
// (exact signed text), qe_identity_signature (hex r‖s).
//
// TCB info is the TDX v3 form (id "TDX", tdxModule, tdxModuleIdentities,
// tcbLevels with sgxtcbcomponents / pcesvn / tdxtcbcomponents); its first
// level equals the simulated platform's SVNs and is UpToDate. QE identity
// is the v2 TD_QE form. Both are signed by the simulated TCB Signing key
// over the exact JSON text, as Intel PCS signs them.
#pragma once

#include <string>

#include "veil/attest/tee/simulated_pki.h"
#include "veil/attest/tee/simulated_platform.h"
#include "veil/base/clock.h"
#include "veil/base/result.h"

namespace veil::attest {

// issueDate now-1h, nextUpdate now+30d. Returns the bundle as compact JSON
// object text.
Result<std::string> make_simulated_collateral_json(const SimulatedPki& pki,
                                                   const SimulatedPlatformProfile& profile, UnixSeconds now);

// RFC 3339 UTC with a Z suffix, seconds precision ("2025-06-19T10:16:03Z"),
// as Intel collateral writes dates.
std::string format_collateral_time(UnixSeconds t);

}  // namespace veil::attest
