// DCAP collateral: the data a verifier needs beside the quote (Intel PCS
// TCB info, QE identity, PCK CRL, root CA CRL, and their issuer chains).
//
// Two file forms are read:
//  * the dcap-qvl JSON bundle (QuoteCollateralV3): pck_crl_issuer_chain,
//    root_ca_crl (hex DER), pck_crl (hex DER), tcb_info_issuer_chain,
//    tcb_info (exact signed text), tcb_info_signature (hex r‖s),
//    qe_identity_issuer_chain, qe_identity (exact signed text),
//    qe_identity_signature (hex r‖s);
//  * raw Intel PCS responses: {"tcbInfo":{...},"signature":"..."} bodies,
//    CRL bodies (DER or PEM), and the URL-encoded issuer-chain headers
//    (TCB-Info-Issuer-Chain, SGX-Enclave-Identity-Issuer-Chain,
//    SGX-PCK-CRL-Issuer-Chain).
// The signed region of a PCS response is the exact text of the "tcbInfo" /
// "enclaveIdentity" value, extracted textually (never re-serialised).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

struct Collateral {
  std::string pck_crl_issuer_chain;   // PEM
  Bytes root_ca_crl;                  // DER (or PEM)
  Bytes pck_crl;                      // DER (or PEM)
  std::string tcb_info_issuer_chain;  // PEM
  std::string tcb_info;               // exact signed JSON text of tcbInfo
  Bytes tcb_info_signature;           // r ‖ s, 64 bytes
  std::string qe_identity_issuer_chain;
  std::string qe_identity;  // exact signed JSON text of enclaveIdentity
  Bytes qe_identity_signature;
};

// Errors "collateral.bad_json" naming the field.
Result<Collateral> collateral_from_dcap_qvl_json(std::string_view json);
// The same bundle form (CRLs as hex DER), e.g. for info.veil_simulation.
std::string collateral_to_dcap_qvl_json(const Collateral& c);

// The exact text of the value of top-level key `key` (an object) in a JSON
// document, found by scanning (strings and escapes honoured). Error
// "collateral.bad_response" when absent or unbalanced.
Result<std::string> extract_signed_object(std::string_view document, std::string_view key);
// Percent-decoding of an issuer-chain header value ('+' is not special).
Result<std::string> url_decode(std::string_view s);

// Raw PCS responses already read: bodies and header values (header values
// may be URL-encoded or plain PEM).
struct PcsResponses {
  std::string tcb_info_body;  // {"tcbInfo":{...},"signature":"hex"}
  std::string tcb_info_issuer_chain;
  std::string qe_identity_body;  // {"enclaveIdentity":{...},"signature":"hex"}
  std::string qe_identity_issuer_chain;
  Bytes pck_crl;
  std::string pck_crl_issuer_chain;
  Bytes root_ca_crl;
};
Result<Collateral> collateral_from_pcs(const PcsResponses& r);

enum class PckCaType { platform, processor };
const char* to_string(PckCaType t);

// Where collateral comes from (files, a PCCS/PCS over HTTP, a cache).
class CollateralSource {
 public:
  virtual ~CollateralSource() = default;
  // Collateral for a platform (FMSPC) whose PCK certificate was issued by
  // the given CA; is_tdx selects TDX TCB info and the TD_QE identity.
  virtual Result<Collateral> get(const std::array<uint8_t, 6>& fmspc, PckCaType ca, bool is_tdx) = 0;
};

// File-backed source. `path` is either a dcap-qvl JSON bundle (returned for
// any request whose FMSPC it covers) or a directory of raw PCS responses
// laid out as tcb_info_<fmspc>.json + tcb_info_<fmspc>_chain.txt,
// qe_identity.json + qe_identity_chain.txt, pck_crl_<platform|processor>.crl +
// pck_crl_<ca>_chain.txt, root_ca.crl. Errors "collateral.not_found".
std::unique_ptr<CollateralSource> make_file_collateral_source(const std::string& path);

}  // namespace veil::attest
