#include "veil/attest/policy.h"

#include <algorithm>

#include "veil/base/encoding.h"

namespace veil::attest {

void apply_quote_policy(const Quote& q, const dcap::DcapReport& rep, const Policy& p, int64_t now,
                        Verdict& out) {
  if (rep.tcb_status) {
    const std::string s = dcap::to_string(*rep.tcb_status);
    if (std::find(p.allowed_tcb_statuses.begin(), p.allowed_tcb_statuses.end(), s) ==
        p.allowed_tcb_statuses.end()) {
      std::string allowed;
      for (const auto& a : p.allowed_tcb_statuses) allowed += (allowed.empty() ? "" : ",") + a;
      out.policy_violation("TCB status " + s + " is not allowed by policy (allowed: " + allowed + ")");
    }
  }
  if (q.body_type == QuoteBodyType::sgx_enclave) {
    // SGX ATTRIBUTES.DEBUG is bit 1 of the first byte.
    if (!p.allow_debug && (q.sgx_report.attributes[0] & 0x02)) out.policy_violation("Debug mode is enabled");
  } else {
    const uint64_t attrs = q.td_report.td_attributes_le();
    if (!p.allow_debug && (attrs & kTdAttrDebug))
      out.policy_violation("Debug mode is enabled (TD DEBUG attribute)");
    if (!p.allow_reserved_td_attributes && (attrs & kTdAttrReserved)) {
      out.policy_violation("Reserved bits in TD attributes are set");
    }
    if (!p.allow_sept_ve_disabled_off && !(attrs & kTdAttrSeptVeDisable)) {
      out.policy_violation("SEPT_VE_DISABLE is not enabled");
    }
    if (!p.allow_service_td && q.td_report.is_td15 &&
        std::any_of(q.td_report.mr_service_td.begin(), q.td_report.mr_service_td.end(),
                    [](uint8_t b) { return b; })) {
      out.policy_violation("MRSERVICETD is not zero (a migration service TD is bound)");
    }
    if (p.expected_mrtd && q.td_report.mr_td != *p.expected_mrtd) {
      out.policy_violation("MRTD " + hex_encode(q.td_report.mr_td) + " is not the expected value");
    }
    if (!p.allowed_mrtds.empty() && std::find(p.allowed_mrtds.begin(), p.allowed_mrtds.end(),
                                              q.td_report.mr_td) == p.allowed_mrtds.end()) {
      out.policy_violation("MRTD " + hex_encode(q.td_report.mr_td) + " is not in the allow-list");
    }
    for (size_t i = 0; i < 4; ++i) {
      if (p.expected_rtmrs[i] && q.td_report.rtmr[i] != *p.expected_rtmrs[i]) {
        out.policy_violation("RTMR" + std::to_string(i) + " is not the expected value");
      }
    }
  }
  if (p.max_collateral_age && rep.collateral_issue_date &&
      now - *rep.collateral_issue_date > *p.max_collateral_age) {
    out.policy_violation("collateral is older than the allowed " + std::to_string(*p.max_collateral_age) +
                         " s");
  }
}

Result<std::vector<std::string>> parse_status_list(std::string_view csv) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= csv.size()) {
    size_t comma = csv.find(',', pos);
    if (comma == std::string_view::npos) comma = csv.size();
    std::string item(csv.substr(pos, comma - pos));
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) {
      if (!dcap::tcb_status_from_string(item)) {
        return make_error("policy.bad_status", "unknown TCB status '" + item + "'");
      }
      out.push_back(item);
    }
    pos = comma + 1;
  }
  if (out.empty()) return make_error("policy.bad_status", "no TCB status given");
  return out;
}

}  // namespace veil::attest
