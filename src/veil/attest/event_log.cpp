#include "veil/attest/event_log.h"

#include <openssl/sha.h>

#include <boost/json.hpp>

#include <cstring>

#include "veil/base/encoding.h"

namespace veil::attest {

Sha384Value runtime_event_digest(std::string_view name, ByteView payload, uint32_t event_type) {
  Bytes buf(4);
  store_le32(buf.data(), event_type);
  buf.push_back(':');
  buf.insert(buf.end(), name.begin(), name.end());
  buf.push_back(':');
  buf.insert(buf.end(), payload.begin(), payload.end());
  Sha384Value out;
  SHA384(buf.data(), buf.size(), out.data());
  return out;
}

EventLogEntry make_runtime_event(std::string_view name, ByteView payload) {
  EventLogEntry e;
  e.imr = 3;
  e.event_type = kRuntimeEventType;
  e.digest = runtime_event_digest(name, payload);
  e.event = std::string(name);
  e.event_payload.assign(payload.begin(), payload.end());
  return e;
}

std::array<Sha384Value, 4> replay_rtmrs(const std::vector<EventLogEntry>& log) {
  std::array<Sha384Value, 4> rtmr{};
  for (const auto& e : log) {
    if (e.imr > 3) continue;
    uint8_t buf[96];
    std::memcpy(buf, rtmr[e.imr].data(), 48);
    std::memcpy(buf + 48, e.digest.data(), 48);
    SHA384(buf, sizeof buf, rtmr[e.imr].data());
  }
  return rtmr;
}

boost::json::value to_json(const EventLogEntry& e) {
  return boost::json::object{{"imr", e.imr},
                             {"event_type", e.event_type},
                             {"digest", hex_encode(e.digest)},
                             {"event", e.event},
                             {"event_payload", hex_encode(e.event_payload)}};
}

boost::json::value to_json(const std::vector<EventLogEntry>& log) {
  boost::json::array a;
  for (const auto& e : log) a.push_back(to_json(e));
  return a;
}

Result<std::vector<EventLogEntry>> event_log_from_json(const boost::json::value& v) {
  if (v.is_string()) {
    boost::system::error_code ec;
    auto inner = boost::json::parse(v.get_string(), ec);
    if (ec) return make_error("eventlog.bad_json", "event_log string is not JSON");
    return event_log_from_json(inner);
  }
  if (!v.is_array()) return make_error("eventlog.bad_json", "event_log is not an array");
  std::vector<EventLogEntry> out;
  for (const auto& item : v.get_array()) {
    if (!item.is_object()) return make_error("eventlog.bad_entry", "event is not an object");
    const auto& o = item.get_object();
    EventLogEntry e;
    auto get_uint = [&](const char* key, uint32_t& dst) -> bool {
      auto it = o.find(key);
      if (it == o.end()) return false;
      if (it->value().is_int64() && it->value().get_int64() >= 0 && it->value().get_int64() <= 0xffffffffLL) {
        dst = static_cast<uint32_t>(it->value().get_int64());
        return true;
      }
      if (it->value().is_uint64() && it->value().get_uint64() <= 0xffffffffULL) {
        dst = static_cast<uint32_t>(it->value().get_uint64());
        return true;
      }
      return false;
    };
    if (!get_uint("imr", e.imr) || e.imr > 3) return make_error("eventlog.bad_entry", "bad or missing imr");
    if (!get_uint("event_type", e.event_type)) return make_error("eventlog.bad_entry", "bad or missing event_type");
    auto dit = o.find("digest");
    if (dit == o.end() || !dit->value().is_string()) return make_error("eventlog.bad_entry", "missing digest");
    auto digest = hex_decode(std::string_view(dit->value().get_string()));
    if (!digest.ok() || digest->size() != 48) return make_error("eventlog.bad_entry", "digest is not 48 hex bytes");
    std::memcpy(e.digest.data(), digest->data(), 48);
    if (auto it = o.find("event"); it != o.end() && it->value().is_string()) e.event = std::string(it->value().get_string());
    if (auto it = o.find("event_payload"); it != o.end() && it->value().is_string()) {
      auto p = hex_decode(std::string_view(it->value().get_string()));
      if (!p.ok()) return make_error("eventlog.bad_entry", "event_payload is not hex");
      e.event_payload = std::move(p).value();
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace veil::attest
