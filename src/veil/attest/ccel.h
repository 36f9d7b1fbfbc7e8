// The TDX CCEL event log (ACPI "CCEL" table + log area): a TCG PC Client
// crypto-agile log (TCG PC Client Platform Firmware Profile, section 10):
//   first event: TCG_PCClientPCREvent (SHA-1 layout) carrying the
//                "Spec ID Event03" with the digest sizes per algorithm;
//   then TCG_PCR_EVENT2: index(4) type(4) count(4) {alg(2) digest}* size(4) data.
// For TDX the index is the MR index: 0 = MRTD, 1..4 = RTMR0..3 (TDX GHCI
// spec 1.5, "CC event log"). Replay uses the SHA-384 digests; EV_NO_ACTION
// events are not measured and are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "veil/attest/event_log.h"
#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::attest {

inline constexpr uint32_t kEvNoAction = 0x00000003;
inline constexpr uint16_t kTpmAlgSha384 = 0x000c;

struct CcelEvent {
  uint32_t mr_index = 0;
  uint32_t event_type = 0;
  std::optional<Sha384Value> sha384;  // absent in the SHA-1 header event
  Bytes data;
};

// Every event of the log area (the header event first). The log ends at the
// end of the data or at an all-0xFF / all-zero event header (unused area).
// Errors "ccel.bad_header", "ccel.truncated", "ccel.bad_event".
Result<std::vector<CcelEvent>> parse_ccel(ByteView log_area);

// The measured RTMR events (MR index 1..4 → imr 0..3, EV_NO_ACTION skipped)
// as event-log entries for replay_rtmrs().
Result<std::vector<EventLogEntry>> ccel_to_event_log(ByteView log_area);

// The 56-byte ACPI CCEL table.
struct CcelTable {
  uint8_t cc_type = 0;  // 2 = TDX
  uint8_t cc_subtype = 0;
  uint64_t log_area_minimum_length = 0;
  uint64_t log_area_start_address = 0;
};
Result<CcelTable> parse_ccel_table(ByteView table);

}  // namespace veil::attest
