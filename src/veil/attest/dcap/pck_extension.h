// The Intel SGX PCK certificate extension (OID 1.2.840.113741.1.13.1),
// Intel "SGX PCK Certificate and CRL Profile" section 3.5:
//   SEQUENCE OF SEQUENCE { OID, value }:
//     .1 PPID (OCTET STRING 16)
//     .2 TCB  SEQUENCE OF { .2.1..16 SGX TCB comp SVN (INTEGER),
//                           .2.17 PCESVN (INTEGER), .2.18 CPUSVN (OCTET STRING 16) }
//     .3 PCE-ID (OCTET STRING 2)   .4 FMSPC (OCTET STRING 6)
//     .5 SGX type (ENUMERATED: 0 Standard, 1 Scalable, 2 Scalable with integrity)
//     .6 Platform instance id (OCTET STRING 16, optional)
//     .7 Configuration (SEQUENCE, optional)
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <optional>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest::dcap {

struct PckExtension {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 16> tcb_components{};  // SGX TCB comp 01..16 SVNs
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> cpu_svn{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};
  int sgx_type = 0;
  std::optional<std::array<uint8_t, 16>> platform_instance_id;
};

// Parses the DER value of the extension (the OCTET STRING's content).
// Errors "pck.bad_extension" with the failing element.
Result<PckExtension> parse_pck_extension(ByteView der);

// Finds and parses the extension in a certificate. Error
// "pck.missing_extension" when absent.
Result<PckExtension> pck_extension_from_cert(X509* cert);

}  // namespace veil::attest::dcap
