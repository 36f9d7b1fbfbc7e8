// Event log entries as served in a report's `event_log` (WIRE.md section 3)
// and RTMR replay.
//
// Runtime events (dstack V1 digests): event_type 0x08000001, imr 3,
//   digest = SHA384(le32(event_type) ‖ ":" ‖ event_name ‖ ":" ‖ payload).
// Replay: every RTMR starts at 48 zero bytes; rtmr = SHA384(rtmr ‖ digest).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace boost::json {
class value;
}

namespace veil::attest {

using Sha384Value = std::array<uint8_t, 48>;

inline constexpr uint32_t kRuntimeEventType = 0x08000001;

struct EventLogEntry {
  uint32_t imr = 0;         // 0..3
  uint32_t event_type = 0;  // TCG event type, or kRuntimeEventType
  Sha384Value digest{};
  std::string event;        // event name (runtime events), may be empty
  Bytes event_payload;      // raw payload
};

Sha384Value runtime_event_digest(std::string_view name, ByteView payload, uint32_t event_type = kRuntimeEventType);
EventLogEntry make_runtime_event(std::string_view name, ByteView payload);

// RTMR0..3 after replaying every entry in order.
std::array<Sha384Value, 4> replay_rtmrs(const std::vector<EventLogEntry>& log);

// {imr, event_type, digest (hex), event, event_payload (hex)}
boost::json::value to_json(const EventLogEntry& e);
boost::json::value to_json(const std::vector<EventLogEntry>& log);
// Parses the JSON array form above (also accepts it as a JSON string holding
// the array, as dstack's info.tcb_info.event_log does). Rejects malformed
// entries with a clear error.
Result<std::vector<EventLogEntry>> event_log_from_json(const boost::json::value& v);

}  // namespace veil::attest
