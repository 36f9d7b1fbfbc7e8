// The one description of the simulated platform: every SVN, identity and
// attribute that the quote, the PCK certificate extension and the collateral
// must agree on is defined here once, so that a strict DCAP verifier finds
// the simulated quote UpToDate with no policy violations.
#pragma once

#include <array>
#include <cstdint>

#include "veil/attest/tee/sgx_pck_extension.h"
#include "veil/attest/tee/tdx_quote_v4_writer.h"

namespace veil::attest {

struct SimulatedPlatformProfile {
  // PCK certificate: FMSPC "VEIL\0\0" (obviously not an Intel platform),
  // PCE-ID 0000, SGX TCB components and PCESVN.
  SgxPckExtensionFields pck;

  // TD: TEE_TCB_SVN (byte 0 TDX module SVN, byte 1 module major version),
  // module signer / attributes as in tcbInfo.tdxModule, TD attributes and
  // XFAM of a production TD.
  tdx_v4::TdReportBody10 td_template;

  // Quoting enclave (TD_QE) identity.
  tdx_v4::SgxReportBody qe_template;
  std::array<uint8_t, 16> qe_attributes_mask{};
  uint32_t qe_miscselect_mask = 0;

  tdx_v4::Header header;
  uint32_t tcb_evaluation_data_number = 17;
};

const SimulatedPlatformProfile& simulated_platform_profile();

}  // namespace veil::attest
