// Intel DCAP quote layout (parse only; no cryptography here).
//
// Supported (Intel "TDX DCAP Quote Generation Library and Quote Verification
// Library" API spec, appendix A; SGX ECDSA QuoteLibReference, section A.4):
//   * SGX quote v3:  header(48) ‖ SGX report body(384) ‖ sig_len(4) ‖ sig data
//   * TDX quote v4:  header(48) ‖ TD report body 1.0(584) ‖ sig_len(4) ‖ sig data
//   * TDX quote v5:  header(48) ‖ body_type(2) ‖ body_size(4) ‖ body ‖ sig_len(4) ‖ sig data
//                    body_type 2 = TD 1.0 (584), 3 = TD 1.5 (648), 1 = SGX (384)
// Lengths are taken from the length fields; bytes after the signature data
// (zero padding from tappd/QGS buffers, or a container's next field) are not
// part of the quote and are counted in `trailing_bytes`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

inline constexpr uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr uint32_t kTeeTypeTdx = 0x00000081;
inline constexpr uint16_t kAttestationKeyEcdsaP256 = 2;
// Certification data types (QuoteLibReference table 9).
inline constexpr uint16_t kCertDataPckChain = 5;
inline constexpr uint16_t kCertDataQeReport = 6;
// Intel's QE vendor id 939A7233-F79C-4CA9-940A-0DB3957F0607.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                             0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

using Bytes16 = std::array<uint8_t, 16>;
using Bytes32 = std::array<uint8_t, 32>;
using Bytes48 = std::array<uint8_t, 48>;
using Bytes64 = std::array<uint8_t, 64>;

// Quote header, 48 bytes.
struct QuoteHeader {
  uint16_t version = 0;                 // offset 0
  uint16_t attestation_key_type = 0;    // offset 2
  uint32_t tee_type = 0;                // offset 4: 0 SGX, 0x81 TDX
  uint16_t qe_svn = 0;                  // offset 8 (v3; reserved in v4/v5)
  uint16_t pce_svn = 0;                 // offset 10 (v3; reserved in v4/v5)
  Bytes16 qe_vendor_id{};               // offset 12
  std::array<uint8_t, 20> user_data{};  // offset 28
};

// SGX enclave report body, 384 bytes (also the QE report).
struct EnclaveReport {
  Bytes16 cpu_svn{};          // 0
  uint32_t misc_select = 0;   // 16 (LE)
  Bytes16 isv_ext_prod_id{};  // 32
  Bytes16 attributes{};       // 48
  Bytes32 mr_enclave{};       // 64
  Bytes32 mr_signer{};        // 128
  Bytes64 config_id{};        // 192
  uint16_t isv_prod_id = 0;   // 256
  uint16_t isv_svn = 0;       // 258
  uint16_t config_svn = 0;    // 260
  Bytes16 isv_family_id{};    // 304
  Bytes64 report_data{};      // 320
};
inline constexpr size_t kEnclaveReportSize = 384;

// TD report body: TD 1.0 is 584 bytes; TD 1.5 appends TEE_TCB_SVN2 and
// MRSERVICETD (648 bytes).
struct TdReport {
  Bytes16 tee_tcb_svn{};                     // 0
  Bytes48 mr_seam{};                         // 16
  Bytes48 mr_signer_seam{};                  // 64
  std::array<uint8_t, 8> seam_attributes{};  // 112
  std::array<uint8_t, 8> td_attributes{};    // 120 (LE bit field)
  std::array<uint8_t, 8> xfam{};             // 128
  Bytes48 mr_td{};                           // 136
  Bytes48 mr_config_id{};                    // 184
  Bytes48 mr_owner{};                        // 232
  Bytes48 mr_owner_config{};                 // 280
  std::array<Bytes48, 4> rtmr{};             // 328
  Bytes64 report_data{};                     // 520
  bool is_td15 = false;
  Bytes16 tee_tcb_svn2{};   // 584 (TD 1.5)
  Bytes48 mr_service_td{};  // 600 (TD 1.5)

  uint64_t td_attributes_le() const;
};
inline constexpr size_t kTd10ReportSize = 584;
inline constexpr size_t kTd15ReportSize = 648;

enum class QuoteBodyType { sgx_enclave, td10, td15 };

struct Quote {
  QuoteHeader header;
  QuoteBodyType body_type = QuoteBodyType::td10;
  EnclaveReport sgx_report;  // when body_type == sgx_enclave
  TdReport td_report;        // when body_type is td10/td15

  // Exactly the bytes the attestation key signs: header ‖ [v5 body
  // descriptor] ‖ body.
  Bytes signed_data;

  // ECDSA quote signature data.
  Bytes64 signature{};        // r ‖ s over signed_data
  Bytes64 attestation_key{};  // P-256 X ‖ Y
  Bytes qe_report_raw;        // 384 bytes, signed by the PCK key
  EnclaveReport qe_report;
  Bytes64 qe_report_signature{};
  Bytes qe_auth_data;
  uint16_t cert_data_type = 0;  // innermost certification data type
  Bytes cert_data;              // type 5: PEM PCK chain (leaf first)

  size_t quote_size = 0;      // bytes consumed by the quote itself
  size_t trailing_bytes = 0;  // ignored bytes after it

  bool is_tdx() const { return header.tee_type == kTeeTypeTdx; }
  // REPORTDATA of the TD or enclave report.
  const Bytes64& report_data() const;
};

// Parses a binary quote. Errors "quote.truncated", "quote.unsupported_version",
// "quote.unsupported_body", "quote.bad_length", "quote.unsupported_cert_data".
Result<Quote> parse_quote(ByteView raw);

// Decodes a quote given as raw binary, hex text (optional 0x, whitespace
// ignored) or base64 text, recognised by content. Error "quote.bad_encoding".
Result<Bytes> decode_quote_input(ByteView input);

// Names for display: "v4 TDX TD1.0", ...
std::string describe(const Quote& q);

}  // namespace veil::attest
