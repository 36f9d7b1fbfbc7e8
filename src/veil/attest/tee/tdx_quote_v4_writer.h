// Serialisation of the TDX quote v4 structures the simulated TEE emits.
// Layouts from Intel's "TDX DCAP Quoting Library API" (quote format v4,
// Appendix A) and the SGX report body (sgx_report_body_t):
//
//   quote  = header (48) ‖ TD 1.0 report body (584) ‖ le32 sig_data_len ‖ sig_data
//   sig_data = ECDSA r‖s (64) over SHA-256(header ‖ body)
//            ‖ attestation public key X‖Y (64)
//            ‖ le16 cert_data_type = 6 ‖ le32 size ‖ QE report certification data
//   QE report certification data
//            = QE report (SGX report body, 384) ‖ QE report signature (64)
//            ‖ le16 auth_data_len ‖ auth_data
//            ‖ le16 cert_data_type = 5 ‖ le32 size ‖ PCK chain PEM
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "veil/base/bytes.h"

namespace veil::attest::tdx_v4 {

inline constexpr size_t kHeaderSize = 48;
inline constexpr size_t kTdReportBody10Size = 584;
inline constexpr size_t kSgxReportBodySize = 384;
inline constexpr uint16_t kQuoteVersion = 4;
inline constexpr uint16_t kAttKeyTypeEcdsaP256 = 2;
inline constexpr uint32_t kTeeTypeTdx = 0x81;
inline constexpr uint16_t kCertDataQeReport = 6;
inline constexpr uint16_t kCertDataPckChainPem = 5;
// Intel's QE vendor id 939a7233-f79c-4ca9-940a-0db3957f0607.
inline constexpr std::array<uint8_t, 16> kIntelQeVendorId = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                             0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

// Header offsets: 0 version, 2 att_key_type, 4 tee_type, 8 and 10
// reserved (QE/PCE SVN in SGX v3), 12 QE vendor id, 28 user data.
struct Header {
  std::array<uint8_t, 16> qe_vendor_id = kIntelQeVendorId;
  std::array<uint8_t, 20> user_data{};
};

// TD 1.0 report body offsets: 0 TEE_TCB_SVN, 16 MRSEAM, 64 MRSIGNERSEAM,
// 112 SEAMATTRIBUTES, 120 TDATTRIBUTES, 128 XFAM, 136 MRTD, 184 MRCONFIGID,
// 232 MROWNER, 280 MROWNERCONFIG, 328 RTMR0..3, 520 REPORTDATA.
struct TdReportBody10 {
  std::array<uint8_t, 16> tee_tcb_svn{};
  std::array<uint8_t, 48> mrseam{};
  std::array<uint8_t, 48> mrsignerseam{};
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  std::array<uint8_t, 48> mrtd{};
  std::array<uint8_t, 48> mrconfigid{};
  std::array<uint8_t, 48> mrowner{};
  std::array<uint8_t, 48> mrownerconfig{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
  std::array<uint8_t, 64> report_data{};
};

// SGX report body offsets: 0 CPUSVN, 16 MISCSELECT, 48 ATTRIBUTES,
// 64 MRENCLAVE, 128 MRSIGNER, 256 ISVPRODID, 258 ISVSVN, 320 REPORTDATA;
// everything else reserved / zero here.
struct SgxReportBody {
  std::array<uint8_t, 16> cpusvn{};
  uint32_t miscselect = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 32> mrenclave{};
  std::array<uint8_t, 32> mrsigner{};
  uint16_t isvprodid = 0;
  uint16_t isvsvn = 0;
  std::array<uint8_t, 64> report_data{};
};

Bytes serialize_header(const Header& h);
Bytes serialize_td_report_body(const TdReportBody10& b);
Bytes serialize_sgx_report_body(const SgxReportBody& r);

// QE report certification data (type 6 payload), with the PCK chain inside
// as type 5.
Bytes serialize_qe_report_cert_data(ByteView qe_report, ByteView qe_report_signature, ByteView qe_auth_data,
                                    std::string_view pck_chain_pem);

// Everything after the quote signature inside sig_data: attestation key ‖
// le16 type 6 ‖ le32 size ‖ qe_cert_data.
Bytes serialize_sig_data_tail(ByteView attestation_key, ByteView qe_cert_data);

// header ‖ body ‖ le32(64 + tail.size()) ‖ quote_signature ‖ tail.
Bytes assemble_quote(ByteView header, ByteView body, ByteView quote_signature, ByteView sig_data_tail);

}  // namespace veil::attest::tdx_v4
