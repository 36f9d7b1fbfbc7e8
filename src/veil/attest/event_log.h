// Event log entries as served in a report's `event_log` (WIRE.md section 3)
// and RTMR replay.
//
// Runtime events (event_type 0x08000001, imr 3) carry one of dstack's two
// digest rules (Dstack-TEE/dstack cc-eventlog runtime_events.rs / tdx.rs and
// dstack-types EventLogVersion):
//   V1 (no "version" member, or "version": 1):
//     digest = SHA384(le32(event_type) ‖ ":" ‖ event_name ‖ ":" ‖ payload)
//   V2 ("version": 2):
//     digest = SHA384(JCS(RFC 8785) of {"name": event_name,
//                     "payload": lowercase hex(payload), "type": 134217729})
//     i.e. the UTF-8 bytes {"name":<JSON string>,"payload":"<hex>","type":134217729}.
//     dstack also serves the hashed bytes as "preimage" (hex); when present it
//     must hash to the digest and equal the canonical bytes above.
// The version is read from the event, never guessed from the digest.
// Replay: every RTMR starts at 48 zero bytes; rtmr = SHA384(rtmr ‖ digest).
#pragma once

#include <array>
#include <optional>
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
  std::string event;              // event name (runtime events), may be empty
  Bytes event_payload;            // raw payload
  uint32_t version = 1;           // dstack digest rule of a runtime event: 1 or 2
  std::optional<Bytes> preimage;  // dstack's "preimage" member, when served
};

// V1 digest (the rule Veil's own node uses).
Sha384Value runtime_event_digest(std::string_view name, ByteView payload,
                                 uint32_t event_type = kRuntimeEventType);
// The bytes dstack hashes for a runtime event under `version` (1 or 2; any
// other value is treated as 1 — callers validate the version first).
Bytes runtime_event_preimage(std::string_view name, ByteView payload, uint32_t version);
Sha384Value runtime_event_digest_v2(std::string_view name, ByteView payload);
// RFC 8785 serialization of a JSON string (quotes included). `s` must be
// valid UTF-8; JSON parsers (boost::json) guarantee that for parsed input.
std::string jcs_string(std::string_view s);
EventLogEntry make_runtime_event(std::string_view name, ByteView payload);

// Recomputes a runtime event's digest by its version and checks the served
// preimage, if any. OK for events that are not runtime events. Errors:
//   eventlog.unknown_version    version is neither 1 nor 2
//   eventlog.digest_mismatch    digest differs from the version's rule (the
//                               message says when the other rule would match)
//   eventlog.preimage_mismatch  preimage does not hash to the digest, or is not
//                               the canonical bytes of the event's fields
Status check_runtime_event(const EventLogEntry& e);

// RTMR0..3 after replaying every entry in order.
std::array<Sha384Value, 4> replay_rtmrs(const std::vector<EventLogEntry>& log);

// {imr, event_type, digest (hex), event, event_payload (hex)}, plus
// "version" when it is not 1 and "preimage" (hex) when present.
boost::json::value to_json(const EventLogEntry& e);
boost::json::value to_json(const std::vector<EventLogEntry>& log);
// Parses the JSON array form above (also accepts it as a JSON string holding
// the array, as dstack's info.tcb_info.event_log does). Rejects malformed
// entries with a clear error, including a "version" other than 1 or 2 (as
// dstack does) and a "preimage" that is not hex.
Result<std::vector<EventLogEntry>> event_log_from_json(const boost::json::value& v);

}  // namespace veil::attest
