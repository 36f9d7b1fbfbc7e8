// The simulated TEE's certificate hierarchy, created in memory at start and
// never written to disk. It mirrors Intel's DCAP PKI shape so the complete
// DCAP verification path runs on simulated quotes (WIRE.md section 3,
// "Simulated TEE"):
//
//   simulation root CA ─┬─ PCK Platform CA ── PCK leaf (SGX PCK extension)
//                       └─ TCB Signing (signs TCB info and QE identity)
//
// plus empty CRLs by the root (root_ca_crl) and by the Platform CA
// (pck_crl), issued on demand. All keys are ECDSA P-256 and all signatures
// ecdsa-with-SHA256, as in Intel's PKI.
#pragma once

#include <string>

#include "veil/attest/tee/openssl_handles.h"
#include "veil/attest/tee/p256_key.h"
#include "veil/attest/tee/sgx_pck_extension.h"
#include "veil/base/bytes.h"
#include "veil/base/clock.h"
#include "veil/base/result.h"

namespace veil::attest {

struct SimulatedPki {
  P256Key root_key;
  P256Key platform_ca_key;
  P256Key tcb_signing_key;
  P256Key pck_key;

  std::string root_pem;
  std::string platform_ca_pem;
  std::string tcb_signing_pem;
  std::string pck_leaf_pem;

  X509Ptr root;
  X509Ptr platform_ca;

  // Leaf ‖ Platform CA ‖ root, the PEM chain a quote's certification data
  // type 5 carries.
  std::string pck_chain_pem() const { return pck_leaf_pem + platform_ca_pem + root_pem; }
  std::string pck_crl_issuer_chain_pem() const { return platform_ca_pem + root_pem; }
  std::string tcb_issuer_chain_pem() const { return tcb_signing_pem + root_pem; }
};

// Certificates valid from now-1h to now+10y.
Result<SimulatedPki> make_simulated_pki(const SgxPckExtensionFields& pck_fields, UnixSeconds now);

// An empty CRL (DER) by the root (root_ca_crl) or by the Platform CA
// (pck_crl), issued now-1h with next update now+30d.
enum class CrlIssuer { root, platform_ca };
Result<Bytes> make_empty_crl(const SimulatedPki& pki, CrlIssuer issuer, UnixSeconds now);

}  // namespace veil::attest
