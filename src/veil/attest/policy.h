// Policy: judgements on already verified values, kept apart from
// verification (a violation is reported in Verdict::policy_violations and
// never turns a verified quote into an unverified one). Strict by default:
// only UpToDate, no debug TD, no reserved TD attribute bits, SEPT_VE_DISABLE
// required, no TD 1.5 migration service TD.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "veil/attest/dcap/verify.h"
#include "veil/attest/quote.h"
#include "veil/attest/verdict.h"

namespace veil::attest {

// TD attribute bits (Intel TDX module ABI, TDATTRIBUTES; LE 64-bit).
inline constexpr uint64_t kTdAttrDebug = uint64_t(1) << 0;
inline constexpr uint64_t kTdAttrSeptVeDisable = uint64_t(1) << 28;
inline constexpr uint64_t kTdAttrPks = uint64_t(1) << 30;
inline constexpr uint64_t kTdAttrKl = uint64_t(1) << 31;
inline constexpr uint64_t kTdAttrPerfmon = uint64_t(1) << 63;
// TUD bits 1..7, SEC bits 8..27 and 29, OTHER bits 32..62.
inline constexpr uint64_t kTdAttrReserved = 0x7fffffff'20000000ull | 0x0fffff00ull | 0xfeull;

struct Policy {
  // TCB statuses accepted (names as in tcb_info.h). Default: UpToDate only.
  std::vector<std::string> allowed_tcb_statuses = {"UpToDate"};
  bool allow_debug = false;
  bool allow_reserved_td_attributes = false;
  bool allow_sept_ve_disabled_off = false;  // accept SEPT_VE_DISABLE = 0
  bool allow_service_td = false;            // TD 1.5 MRSERVICETD non-zero
  // Oldest acceptable collateral (now - issueDate), seconds.
  std::optional<int64_t> max_collateral_age;
  // Measurements: an exact MRTD, or an allow-list; exact RTMR values.
  std::optional<Bytes48> expected_mrtd;
  std::vector<Bytes48> allowed_mrtds;
  std::array<std::optional<Bytes48>, 4> expected_rtmrs;
  // Judged by report verification (report_verify.h) from the event log.
  std::optional<std::array<uint8_t, 32>> expected_compose_hash;
  std::optional<std::array<uint8_t, 32>> expected_model_hash;
};

// Adds the quote-level violations (TCB status, attributes, collateral age,
// MRTD/RTMRs) to `out`.
void apply_quote_policy(const Quote& quote, const dcap::DcapReport& report, const Policy& policy, int64_t now,
                        Verdict& out);

// Parses "UpToDate,SWHardeningNeeded". Error "policy.bad_status".
Result<std::vector<std::string>> parse_status_list(std::string_view csv);

}  // namespace veil::attest
