// The simulated TD's boot: a fixed MRTD and a synthetic but well-formed TCG
// boot event log for RTMR0..2 (firmware, bootloader, kernel), in the shape a
// TDX guest's CCEL yields (event types from the TCG PC Client Platform
// Firmware Profile). Each event's digest is SHA-384 of its payload, so
// anyone can recompute it; replaying the log gives RTMR0..2.
#pragma once

#include <vector>

#include "veil/attest/event_log.h"

namespace veil::attest {

struct SimulatedBootMeasurements {
  Sha384Value mrtd{};
  std::vector<EventLogEntry> boot_events;  // imr 0..2 only
};

const SimulatedBootMeasurements& simulated_boot_measurements();

}  // namespace veil::attest
