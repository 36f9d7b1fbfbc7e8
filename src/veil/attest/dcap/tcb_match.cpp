// TCB level matching (Intel QVL TcbLevelCheck / TdxModuleCheck /
// TDRelaunchCheck semantics; SGX ECDSA Quote Verification 4.1.2.4.17).
#include <algorithm>
#include <cstdio>

#include "veil/attest/dcap/verify.h"
#include "veil/base/encoding.h"

namespace veil::attest::dcap {
namespace {

bool sgx_higher_or_equal(const PckExtension& pck, const TcbLevel& level) {
  for (size_t i = 0; i < 16; ++i)
    if (pck.tcb_components[i] < level.sgx_components[i]) return false;
  return pck.pce_svn >= level.pce_svn;
}

// When TEE_TCB_SVN[1] (the TDX module major version) is non-zero, the module
// SVN in byte 0 is judged by tdxModuleIdentities, so bytes 0 and 1 are not
// compared here (Intel QVL isTdxTcbHigherOrEqual).
bool tdx_higher_or_equal(const Bytes16& tee_tcb_svn, const TcbLevel& level) {
  size_t start = tee_tcb_svn[1] > 0 ? 2 : 0;
  for (size_t i = start; i < 16; ++i)
    if (tee_tcb_svn[i] < level.tdx_components[i]) return false;
  return true;
}

bool configuration_needed(TcbStatus s) {
  return s == TcbStatus::ConfigurationNeeded || s == TcbStatus::OutOfDateConfigurationNeeded ||
         s == TcbStatus::ConfigurationAndSWHardeningNeeded ||
         s == TcbStatus::TDRelaunchAdvisedConfigurationNeeded;
}

// A module or QE at OutOfDate lowers an up-to-date platform level; Revoked wins.
TcbStatus converge(TcbStatus level, TcbStatus other) {
  if (other == TcbStatus::Revoked) return TcbStatus::Revoked;
  if (other != TcbStatus::UpToDate) {
    if (level == TcbStatus::UpToDate || level == TcbStatus::SWHardeningNeeded) return TcbStatus::OutOfDate;
    if (level == TcbStatus::ConfigurationNeeded || level == TcbStatus::ConfigurationAndSWHardeningNeeded) {
      return TcbStatus::OutOfDateConfigurationNeeded;
    }
  }
  return level;
}

const TdxModuleIdentity* find_module(const TcbInfo& info, uint8_t major) {
  char id[8];
  std::snprintf(id, sizeof(id), "TDX_%02X", major);
  for (const auto& m : info.tdx_module_identities) {
    std::string upper = m.id;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return char(std::toupper(c)); });
    if (upper == id) return &m;
  }
  return nullptr;
}

void add_unique(std::vector<std::string>& out, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
}

}  // namespace

Result<TcbMatch> match_tcb_level(const TcbInfo& info, const PckExtension& pck, const Quote& quote,
                                 const std::optional<QeTcbLevel>& qe_level) {
  const bool is_tdx = quote.is_tdx() && info.id == "TDX" && info.version >= 3;
  const TcbLevel* sgx_level = nullptr;
  const TcbLevel* tdx_level = nullptr;
  for (const auto& level : info.tcb_levels) {
    if (!sgx_higher_or_equal(pck, level)) continue;
    if (!sgx_level) sgx_level = &level;
    if (!is_tdx) break;
    if (level.has_tdx_components && tdx_higher_or_equal(quote.td_report.tee_tcb_svn, level)) {
      tdx_level = &level;
      break;
    }
  }
  if (!sgx_level) {
    return make_error("tcb.not_supported", "No matching TCB level found (PCK SGX components " +
                                               hex_encode(pck.tcb_components) + ", PCESVN " +
                                               std::to_string(pck.pce_svn) + " are below every level)");
  }
  TcbMatch m;
  if (!is_tdx) {
    m.status = sgx_level->status;
    add_unique(m.advisory_ids, sgx_level->advisory_ids);
    m.detail = std::string("SGX level ") + to_string(sgx_level->status);
  } else {
    if (!tdx_level) {
      return make_error("tcb.not_supported", "No matching TCB level found (TEE_TCB_SVN " +
                                                 hex_encode(quote.td_report.tee_tcb_svn) +
                                                 " is below every level that the PCK's SGX TCB reaches)");
    }
    const Bytes16& svn = quote.td_report.tee_tcb_svn;
    TcbStatus status = tdx_level->status;
    add_unique(m.advisory_ids, tdx_level->advisory_ids);
    m.detail = std::string("TDX level ") + to_string(tdx_level->status);
    std::optional<TcbStatus> module_status;
    if (svn[1] > 0) {
      const TdxModuleIdentity* mod = find_module(info, svn[1]);
      if (!mod) {
        return make_error(
            "tcb.module_mismatch",
            "no tdxModuleIdentities entry for TDX module major version " + std::to_string(svn[1]));
      }
      const ModuleTcbLevel* ml = nullptr;
      for (const auto& l : mod->tcb_levels) {
        if (svn[0] >= l.isv_svn) {
          ml = &l;
          break;
        }
      }
      if (!ml) {
        return make_error("tcb.not_supported", "No matching TCB level found for TDX module " + mod->id +
                                                   " SVN " + std::to_string(svn[0]));
      }
      module_status = ml->status;
      add_unique(m.advisory_ids, ml->advisory_ids);
      status = converge(status, ml->status);
      m.detail += std::string(", module ") + mod->id + " " + to_string(ml->status);
    }
    if (status == TcbStatus::Revoked) {
      m.status = status;
      std::sort(m.advisory_ids.begin(), m.advisory_ids.end());
      return m;
    }
    // TD 1.5: a TD whose TEE_TCB_SVN2 already reaches the latest level only
    // needs a relaunch (Intel QVL TDRelaunchCheck).
    if (quote.body_type == QuoteBodyType::td15 && module_status == TcbStatus::OutOfDate &&
        !(qe_level && qe_level->status != TcbStatus::UpToDate) && !info.tcb_levels.empty()) {
      const TcbStatus sgx_status = sgx_level->status;
      const bool sgx_ok = sgx_status == TcbStatus::UpToDate || sgx_status == TcbStatus::SWHardeningNeeded ||
                          sgx_status == TcbStatus::ConfigurationNeeded ||
                          sgx_status == TcbStatus::ConfigurationAndSWHardeningNeeded;
      if (sgx_ok && (status == TcbStatus::OutOfDate || status == TcbStatus::OutOfDateConfigurationNeeded)) {
        const Bytes16& svn2 = quote.td_report.tee_tcb_svn2;
        const TcbLevel& latest = info.tcb_levels.front();
        bool relaunch = false;
        if (svn2[1] == 0) {
          relaunch = svn2[0] >= latest.tdx_components[0] && svn2[2] >= latest.tdx_components[2];
        } else if (const TdxModuleIdentity* mod2 = find_module(info, svn2[1])) {
          relaunch = !mod2->tcb_levels.empty() && svn2[0] >= mod2->tcb_levels.front().isv_svn &&
                     svn2[2] >= latest.tdx_components[2];
        }
        if (relaunch) {
          status = (configuration_needed(sgx_status) || configuration_needed(status))
                       ? TcbStatus::TDRelaunchAdvisedConfigurationNeeded
                       : TcbStatus::TDRelaunchAdvised;
        }
      }
    }
    m.status = status;
  }
  if (qe_level) {
    add_unique(m.advisory_ids, qe_level->advisory_ids);
    m.status = converge(m.status, qe_level->status);
    m.detail += std::string(", QE ") + to_string(qe_level->status);
  }
  std::sort(m.advisory_ids.begin(), m.advisory_ids.end());
  return m;
}

}  // namespace veil::attest::dcap
