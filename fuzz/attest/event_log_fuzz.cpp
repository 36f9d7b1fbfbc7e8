// Fuzzes the report event_log JSON parser (dstack V1/V2 runtime events) and
// the digest checks. Invariants: a parsed log serializes and parses back to
// the same entries, and the V2 preimage of any event name is JSON whose
// "name" is that name (RFC 8785 escaping is lossless).
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "veil/attest/event_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  auto doc = boost::json::parse(in, ec);
  if (ec) return 0;
  auto log = veil::attest::event_log_from_json(doc);
  if (!log.ok()) return 0;
  for (const auto& e : *log) {
    (void)veil::attest::check_runtime_event(e);
    const veil::Bytes pre = veil::attest::runtime_event_preimage(e.event, e.event_payload, 2);
    auto back =
        boost::json::parse(std::string_view(reinterpret_cast<const char*>(pre.data()), pre.size()), ec);
    if (ec || !back.is_object() || back.as_object().at("name").as_string() != e.event) __builtin_trap();
  }
  auto again = veil::attest::event_log_from_json(veil::attest::to_json(*log));
  if (!again.ok() || again->size() != log->size()) __builtin_trap();
  for (size_t i = 0; i < log->size(); ++i) {
    const auto& a = (*log)[i];
    const auto& b = (*again)[i];
    if (a.digest != b.digest || a.event != b.event || a.event_payload != b.event_payload ||
        a.version != b.version || a.preimage != b.preimage)
      __builtin_trap();
  }
  return 0;
}
