// TEE providers: produce TDX quotes (v4) over a caller-chosen REPORTDATA,
// extend RTMR3 with runtime events, and serve the event log that replays to
// the RTMRs a quote carries (WIRE.md section 3).
//
//   "tdx"       — Linux configfs-tsm report interface + TDX guest
//                 measurements ABI (real hardware).
//   "simulated" — an in-process simulated TD whose quotes use the exact TDX
//                 quote v4 layout, signed under a simulation root created at
//                 start (WIRE.md section 3 "Simulated TEE").
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/attest/event_log.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

struct TdxMeasurements {
  std::array<uint8_t, 48> mrtd{};
  std::array<std::array<uint8_t, 48>, 4> rtmr{};
};

class TeeProvider {
 public:
  virtual ~TeeProvider() = default;

  virtual std::string kind() const = 0;  // "tdx" | "simulated"

  // A TDX quote (raw bytes, v4) with this REPORTDATA. Thread-safe; may be
  // called concurrently.
  virtual Result<Bytes> quote(const std::array<uint8_t, 64>& report_data) = 0;

  // Extends RTMR3 with a runtime event (digest per event_log.h
  // runtime_event_digest) and records the event.
  virtual Status extend_runtime_event(std::string_view name, ByteView payload) = 0;

  // The full event log to serve in reports: boot events (imr 0..2: CCEL on
  // tdx; a synthetic but well-formed log on simulated) followed by the
  // runtime events recorded so far, such that replay_rtmrs(log) equals the
  // RTMRs in a quote made now.
  virtual std::vector<EventLogEntry> event_log() const = 0;

  // Current MRTD/RTMR0-3 (what the next quote will carry).
  virtual TdxMeasurements measurements() const = 0;

  // Simulated only: {"root_ca": PEM, "collateral": <dcap-qvl JSON bundle
  // object>} for info.veil_simulation; nullopt on tdx.
  virtual std::optional<std::string> simulation_info_json() const = 0;
};

struct TeeOptions {
  std::string configfs_root = "/sys/kernel/config/tsm/report";
  std::string rtmr3_sysfs = "/sys/devices/virtual/misc/tdx_guest/measurements/rtmr3:sha384";
  std::string tdx_guest_device = "/dev/tdx_guest";
  std::string ccel_path = "/sys/firmware/acpi/tables/data/CCEL";
  // Simulated only: MRCONFIGID of the simulated TD. On real TDX the host sets
  // it at launch; the node passes 0x01 ‖ SHA-256(app_compose) here (the dstack
  // convention), so a verifier's compose check runs on simulated quotes too.
  std::optional<std::array<uint8_t, 48>> simulated_mr_config_id;
};

// kind: "tdx" or "simulated". Errors: tee.unknown_kind, or the provider's
// own start-up failure (e.g. tee.configfs_unavailable).
Result<std::unique_ptr<TeeProvider>> make_tee_provider(std::string_view kind, const TeeOptions& options = {});

}  // namespace veil::attest
