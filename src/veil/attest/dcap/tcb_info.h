// Intel PCS TCB Info (v2 SGX, v3 SGX/TDX) and Enclave (QE) Identity v2,
// parsed from the exact signed JSON text (Intel PCS API v4 "TCB Info" and
// "Enclave Identity" models). Parsing only; signatures are checked in
// verify.cpp over the same text.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/result.h"

namespace veil::attest::dcap {

enum class TcbStatus {
  UpToDate,
  SWHardeningNeeded,
  ConfigurationNeeded,
  ConfigurationAndSWHardeningNeeded,
  OutOfDate,
  OutOfDateConfigurationNeeded,
  Revoked,
  TDRelaunchAdvised,
  TDRelaunchAdvisedConfigurationNeeded,
};
const char* to_string(TcbStatus s);
std::optional<TcbStatus> tcb_status_from_string(std::string_view s);

struct TcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
  bool has_tdx_components = false;
  std::array<uint8_t, 16> tdx_components{};
  TcbStatus status = TcbStatus::OutOfDate;
  std::string tcb_date;
  std::vector<std::string> advisory_ids;
};

struct ModuleTcbLevel {
  uint16_t isv_svn = 0;
  TcbStatus status = TcbStatus::OutOfDate;
  std::vector<std::string> advisory_ids;
};

struct TdxModule {
  std::array<uint8_t, 48> mrsigner{};
  std::array<uint8_t, 8> attributes{};
  std::array<uint8_t, 8> attributes_mask{};
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_03", ...
  TdxModule module;
  std::vector<ModuleTcbLevel> tcb_levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX" (v2 has no id: "SGX")
  int version = 0;
  int64_t issue_date = 0;
  int64_t next_update = 0;
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pce_id{};
  int tcb_type = 0;
  int tcb_evaluation_data_number = 0;
  std::optional<TdxModule> tdx_module;
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;
};

struct QeTcbLevel {
  uint16_t isv_svn = 0;
  TcbStatus status = TcbStatus::OutOfDate;
  std::string tcb_date;
  std::vector<std::string> advisory_ids;
};

struct QeIdentity {
  std::string id;  // "QE", "TD_QE", "QVE"
  int version = 0;
  int64_t issue_date = 0;
  int64_t next_update = 0;
  int tcb_evaluation_data_number = 0;
  uint32_t miscselect = 0;
  uint32_t miscselect_mask = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 16> attributes_mask{};
  std::array<uint8_t, 32> mrsigner{};
  uint16_t isv_prod_id = 0;
  std::vector<QeTcbLevel> tcb_levels;
};

// Errors "collateral.bad_tcb_info" / "collateral.bad_qe_identity" naming the
// field.
Result<TcbInfo> parse_tcb_info(std::string_view signed_json);
Result<QeIdentity> parse_qe_identity(std::string_view signed_json);

// "2025-06-19T10:16:03Z" (fractional seconds accepted) → Unix seconds.
Result<int64_t> parse_iso8601_utc(std::string_view s);

}  // namespace veil::attest::dcap
