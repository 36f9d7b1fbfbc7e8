#include "veil/attest/tee/tdx_quote_v4_writer.h"

#include <cassert>

namespace veil::attest::tdx_v4 {
namespace {

template <size_t N>
void put(Bytes& out, size_t offset, const std::array<uint8_t, N>& v) {
  std::copy(v.begin(), v.end(), out.begin() + ptrdiff_t(offset));
}

void append_le16(Bytes& out, uint16_t v) {
  out.push_back(uint8_t(v));
  out.push_back(uint8_t(v >> 8));
}
void append_le32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}

}  // namespace

Bytes serialize_header(const Header& h) {
  Bytes out(kHeaderSize, 0);
  store_le16(out.data() + 0, kQuoteVersion);
  store_le16(out.data() + 2, kAttKeyTypeEcdsaP256);
  store_le32(out.data() + 4, kTeeTypeTdx);
  put(out, 12, h.qe_vendor_id);
  put(out, 28, h.user_data);
  return out;
}

Bytes serialize_td_report_body(const TdReportBody10& b) {
  Bytes out(kTdReportBody10Size, 0);
  put(out, 0, b.tee_tcb_svn);
  put(out, 16, b.mrseam);
  put(out, 64, b.mrsignerseam);
  put(out, 112, b.seam_attributes);
  put(out, 120, b.td_attributes);
  put(out, 128, b.xfam);
  put(out, 136, b.mrtd);
  put(out, 184, b.mrconfigid);
  put(out, 232, b.mrowner);
  put(out, 280, b.mrownerconfig);
  for (size_t i = 0; i < 4; ++i) put(out, 328 + 48 * i, b.rtmr[i]);
  put(out, 520, b.report_data);
  return out;
}

Bytes serialize_sgx_report_body(const SgxReportBody& r) {
  Bytes out(kSgxReportBodySize, 0);
  put(out, 0, r.cpusvn);
  store_le32(out.data() + 16, r.miscselect);
  put(out, 48, r.attributes);
  put(out, 64, r.mrenclave);
  put(out, 128, r.mrsigner);
  store_le16(out.data() + 256, r.isvprodid);
  store_le16(out.data() + 258, r.isvsvn);
  put(out, 320, r.report_data);
  return out;
}

Bytes serialize_qe_report_cert_data(ByteView qe_report, ByteView qe_report_signature, ByteView qe_auth_data,
                                    std::string_view pck_chain_pem) {
  assert(qe_report.size() == kSgxReportBodySize && qe_report_signature.size() == 64);
  assert(qe_auth_data.size() <= 0xffff);
  Bytes out;
  out.reserve(qe_report.size() + 64 + 2 + qe_auth_data.size() + 6 + pck_chain_pem.size());
  out.insert(out.end(), qe_report.begin(), qe_report.end());
  out.insert(out.end(), qe_report_signature.begin(), qe_report_signature.end());
  append_le16(out, uint16_t(qe_auth_data.size()));
  out.insert(out.end(), qe_auth_data.begin(), qe_auth_data.end());
  append_le16(out, kCertDataPckChainPem);
  append_le32(out, uint32_t(pck_chain_pem.size()));
  out.insert(out.end(), pck_chain_pem.begin(), pck_chain_pem.end());
  return out;
}

Bytes serialize_sig_data_tail(ByteView attestation_key, ByteView qe_cert_data) {
  assert(attestation_key.size() == 64);
  Bytes out;
  out.reserve(64 + 6 + qe_cert_data.size());
  out.insert(out.end(), attestation_key.begin(), attestation_key.end());
  append_le16(out, kCertDataQeReport);
  append_le32(out, uint32_t(qe_cert_data.size()));
  out.insert(out.end(), qe_cert_data.begin(), qe_cert_data.end());
  return out;
}

Bytes assemble_quote(ByteView header, ByteView body, ByteView quote_signature, ByteView sig_data_tail) {
  assert(header.size() == kHeaderSize && body.size() == kTdReportBody10Size && quote_signature.size() == 64);
  Bytes out;
  out.reserve(header.size() + body.size() + 4 + 64 + sig_data_tail.size());
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), body.begin(), body.end());
  append_le32(out, uint32_t(64 + sig_data_tail.size()));
  out.insert(out.end(), quote_signature.begin(), quote_signature.end());
  out.insert(out.end(), sig_data_tail.begin(), sig_data_tail.end());
  return out;
}

}  // namespace veil::attest::tdx_v4
