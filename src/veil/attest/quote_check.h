// One call for "is this quote good": decode + parse (quote.h), DCAP
// verification (dcap/verify.h), then policy (policy.h), in one Verdict.
#pragma once

#include <optional>
#include <string>

#include "veil/attest/collateral.h"
#include "veil/attest/dcap/verify.h"
#include "veil/attest/policy.h"
#include "veil/attest/quote.h"
#include "veil/attest/verdict.h"

namespace veil::attest {

struct QuoteCheckOptions {
  int64_t now = 0;
  // Collateral already at hand; when null and `source` is set, collateral is
  // requested from the source for the quote's FMSPC.
  const Collateral* collateral = nullptr;
  CollateralSource* source = nullptr;
  // Empty: the Intel SGX Root CA. Set for simulated TEEs only.
  std::string trusted_root;
  Policy policy;
};

struct QuoteCheck {
  std::optional<Quote> quote;
  dcap::DcapReport dcap;
  Verdict verdict;  // quote.parse + dcap.* checks, TCB status, policy violations
};

// `input`: raw, hex or base64 quote bytes.
QuoteCheck check_quote(ByteView input, const QuoteCheckOptions& options);

}  // namespace veil::attest
