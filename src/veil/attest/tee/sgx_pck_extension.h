// The SGX PCK certificate extension (OID 1.2.840.113741.1.13.1), as Intel's
// PCK certificates carry it ("Intel SGX PCK Certificate and Certificate
// Revocation List Profile Specification", section "SGX Extensions"). The
// element order and types below match real Platform-CA PCK certificates
// (checked with `openssl asn1parse` on the PCK leaf of
// dcap-qvl/tdx_quote in ../shared/testdata):
//
//   SEQUENCE {
//     SEQUENCE { .1 PPID              OCTET STRING (16) }
//     SEQUENCE { .2 TCB  SEQUENCE {
//         SEQUENCE { .2.1 .. .2.16  INTEGER }   -- SGX TCB comp 1..16 SVNs
//         SEQUENCE { .2.17 PCESVN   INTEGER }
//         SEQUENCE { .2.18 CPUSVN   OCTET STRING (16) } } }
//     SEQUENCE { .3 PCE-ID            OCTET STRING (2) }
//     SEQUENCE { .4 FMSPC             OCTET STRING (6) }
//     SEQUENCE { .5 SGX Type          ENUMERATED (0 Standard, 1 Scalable) }
//     SEQUENCE { .6 PlatformInstanceID OCTET STRING (16) }   -- Platform CA only
//     SEQUENCE { .7 Configuration SEQUENCE {
//         SEQUENCE { .7.1 dynamicPlatform BOOLEAN }
//         SEQUENCE { .7.2 cachedKeys      BOOLEAN }
//         SEQUENCE { .7.3 SMTEnabled      BOOLEAN } } }
//   }
#pragma once

#include <array>
#include <cstdint>

#include "veil/base/bytes.h"

namespace veil::attest {

inline constexpr const char* kSgxPckExtensionOid = "1.2.840.113741.1.13.1";

struct SgxPckExtensionFields {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 16> sgx_tcb_components{};  // comp 1..16 SVNs
  uint16_t pcesvn = 0;
  std::array<uint8_t, 16> cpusvn{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};
  uint8_t sgx_type = 1;  // 1 = Scalable (TDX-capable platforms)
  std::array<uint8_t, 16> platform_instance_id{};
  bool dynamic_platform = true;
  bool cached_keys = true;
  bool smt_enabled = true;
};

// DER of the extension value (the content of the X.509 extnValue OCTET
// STRING).
Bytes encode_sgx_pck_extension(const SgxPckExtensionFields& fields);

}  // namespace veil::attest
