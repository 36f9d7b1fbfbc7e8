// Collateral from a PCCS or the Intel PCS over HTTP (Intel PCS API v4):
//   {base}/{sgx|tdx}/certification/v4/tcbinfo?fmspc=F   TCB-Info-Issuer-Chain
//   {base}/{sgx|tdx}/certification/v4/qe/identity       SGX-Enclave-Identity-Issuer-Chain
//   {base}/sgx/certification/v4/pckcrl?ca=C&encoding=der SGX-PCK-CRL-Issuer-Chain
//   root CA CRL: Intel's IntelSGXRootCA.der for the PCS host, else
//   {base}/sgx/certification/v4/rootcacrl (PCCS; hex or DER body)
// Responses are cached (in memory, and in `cache_dir` when set) until the
// earliest nextUpdate of what was fetched. Verification happens later, in
// attest/: the fetcher trusts nothing it downloads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "veil/attest/collateral.h"
#include "veil/base/clock.h"

namespace veil::net {
class HttpClient;
}

namespace veil::cli {

struct PcsFetcherOptions {
  // e.g. "https://api.trustedservices.intel.com" or a PCCS base such as
  // "https://pccs.example:8081"; a trailing "/sgx/certification/v4" or
  // "/tdx/certification/v4" is accepted and removed.
  std::string base_url;
  // Override of the root CA CRL URL (default chosen from base_url).
  std::string root_ca_crl_url;
  // Directory for cached bundles (dcap-qvl JSON); empty = memory only.
  std::string cache_dir;
  // Clock used for cache expiry only (verification takes its own `now`).
  std::function<int64_t()> clock = [] { return unix_now(); };
};

// Errors "pcs.http" (transport or non-200 status, with the URL path),
// "pcs.bad_response", "pcs.missing_header".
std::unique_ptr<attest::CollateralSource> make_pcs_fetcher(net::HttpClient& http, PcsFetcherOptions options);

}  // namespace veil::cli
