#include "veil/attest/tee/simulated_collateral.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>

#include "veil/base/encoding.h"

namespace veil::attest {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kCollateralValidity = 30 * 24 * kHour;
// tcbDate of the simulated levels: fixed, like Intel's TCB recovery dates.
constexpr const char* kUpToDateTcbDate = "2025-01-01T00:00:00Z";
constexpr const char* kOutOfDateTcbDate = "2023-08-09T00:00:00Z";

// Intel collateral writes hex fields in upper case.
std::string upper_hex(ByteView data) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::string svn_list(ByteView svns) {
  std::string out = "[";
  for (size_t i = 0; i < svns.size(); ++i) {
    if (i) out += ",";
    out += fmt::format("{{\"svn\":{}}}", svns[i]);
  }
  return out + "]";
}

std::string tcb_info_text(const SimulatedPlatformProfile& p, UnixSeconds now) {
  const auto& td = p.td_template;
  const std::string zero_signer = upper_hex(td.mrsignerseam);
  const std::string seam_attributes = upper_hex(td.seam_attributes);
  const std::string module_identity_fields =
      fmt::format(R"("mrsigner":"{}","attributes":"{}","attributesMask":"FFFFFFFFFFFFFFFF")", zero_signer,
                  seam_attributes);
  // TEE_TCB_SVN[1] is the module major version: identity "TDX_%02X";
  // TEE_TCB_SVN[0] is the module SVN its levels compare against.
  const std::string module_identities = fmt::format(
      R"([{{"id":"TDX_{:02X}",{},"tcbLevels":[{{"tcb":{{"isvsvn":{}}},"tcbDate":"{}","tcbStatus":"UpToDate"}}]}}])",
      td.tee_tcb_svn[1], module_identity_fields, td.tee_tcb_svn[0], kUpToDateTcbDate);

  // Level 1 equals the platform (UpToDate); level 2, with a lower PCESVN and
  // lower TDX components, is there so a verifier has to pick the right one.
  std::array<uint8_t, 16> old_tdx = td.tee_tcb_svn;
  old_tdx[0] = old_tdx[0] > 0 ? uint8_t(old_tdx[0] - 1) : 0;
  old_tdx[2] = old_tdx[2] > 0 ? uint8_t(old_tdx[2] - 1) : 0;
  const std::string level_up_to_date = fmt::format(
      R"({{"tcb":{{"sgxtcbcomponents":{},"pcesvn":{},"tdxtcbcomponents":{}}},"tcbDate":"{}","tcbStatus":"UpToDate"}})",
      svn_list(p.pck.sgx_tcb_components), p.pck.pcesvn, svn_list(td.tee_tcb_svn), kUpToDateTcbDate);
  const std::string level_out_of_date = fmt::format(
      R"({{"tcb":{{"sgxtcbcomponents":{},"pcesvn":{},"tdxtcbcomponents":{}}},"tcbDate":"{}","tcbStatus":"OutOfDate","advisoryIDs":["INTEL-SA-00837"]}})",
      svn_list(p.pck.sgx_tcb_components), p.pck.pcesvn > 1 ? p.pck.pcesvn - 1 : 0, svn_list(old_tdx),
      kOutOfDateTcbDate);

  return fmt::format(
      R"({{"id":"TDX","version":3,"issueDate":"{}","nextUpdate":"{}","fmspc":"{}","pceId":"{}","tcbType":0,)"
      R"("tcbEvaluationDataNumber":{},"tdxModule":{{{}}},"tdxModuleIdentities":{},"tcbLevels":[{},{}]}})",
      format_collateral_time(now - kHour), format_collateral_time(now + kCollateralValidity),
      upper_hex(p.pck.fmspc), upper_hex(p.pck.pce_id), p.tcb_evaluation_data_number, module_identity_fields,
      module_identities, level_up_to_date, level_out_of_date);
}

std::string qe_identity_text(const SimulatedPlatformProfile& p, UnixSeconds now) {
  const auto& qe = p.qe_template;
  uint8_t miscselect[4], miscselect_mask[4];
  store_le32(miscselect, qe.miscselect);
  store_le32(miscselect_mask, p.qe_miscselect_mask);
  // Identity attributes are the report's attributes under the mask.
  std::array<uint8_t, 16> attributes{};
  for (size_t i = 0; i < 16; ++i) attributes[i] = uint8_t(qe.attributes[i] & p.qe_attributes_mask[i]);
  return fmt::format(
      R"({{"id":"TD_QE","version":2,"issueDate":"{}","nextUpdate":"{}","tcbEvaluationDataNumber":{},)"
      R"("miscselect":"{}","miscselectMask":"{}","attributes":"{}","attributesMask":"{}","mrsigner":"{}",)"
      R"("isvprodid":{},"tcbLevels":[{{"tcb":{{"isvsvn":{}}},"tcbDate":"{}","tcbStatus":"UpToDate"}}]}})",
      format_collateral_time(now - kHour), format_collateral_time(now + kCollateralValidity),
      p.tcb_evaluation_data_number, upper_hex(ByteView(miscselect, 4)),
      upper_hex(ByteView(miscselect_mask, 4)), upper_hex(attributes), upper_hex(p.qe_attributes_mask),
      upper_hex(qe.mrsigner), qe.isvprodid, qe.isvsvn, kUpToDateTcbDate);
}

}  // namespace

std::string format_collateral_time(UnixSeconds t) {
  const time_t tt = time_t(t);
  struct tm tm {};
  gmtime_r(&tt, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<std::string> make_simulated_collateral_json(const SimulatedPki& pki,
                                                   const SimulatedPlatformProfile& profile, UnixSeconds now) {
  const std::string tcb_info = tcb_info_text(profile, now);
  const std::string qe_identity = qe_identity_text(profile, now);
  VEIL_ASSIGN_OR_RETURN(auto tcb_info_sig, pki.tcb_signing_key.sign_raw(as_bytes(tcb_info)));
  VEIL_ASSIGN_OR_RETURN(auto qe_identity_sig, pki.tcb_signing_key.sign_raw(as_bytes(qe_identity)));
  VEIL_ASSIGN_OR_RETURN(Bytes root_ca_crl, make_empty_crl(pki, CrlIssuer::root, now));
  VEIL_ASSIGN_OR_RETURN(Bytes pck_crl, make_empty_crl(pki, CrlIssuer::platform_ca, now));

  boost::json::object bundle;
  bundle["pck_crl_issuer_chain"] = pki.pck_crl_issuer_chain_pem();
  bundle["root_ca_crl"] = hex_encode(root_ca_crl);
  bundle["pck_crl"] = hex_encode(pck_crl);
  bundle["tcb_info_issuer_chain"] = pki.tcb_issuer_chain_pem();
  bundle["tcb_info"] = tcb_info;
  bundle["tcb_info_signature"] = hex_encode(tcb_info_sig);
  bundle["qe_identity_issuer_chain"] = pki.tcb_issuer_chain_pem();
  bundle["qe_identity"] = qe_identity;
  bundle["qe_identity_signature"] = hex_encode(qe_identity_sig);
  return boost::json::serialize(bundle);
}

}  // namespace veil::attest
