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

std::string jcs_string(std::string_view s) {
  // RFC 8785 section 3.2.2.2: '"' and backslash escaped, U+0000..U+001F as the
  // short forms \b \t \n \f \r or else \u00xx (lowercase hex); every other
  // code point is written as its UTF-8 bytes.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
  return out;
}

Bytes runtime_event_preimage(std::string_view name, ByteView payload, uint32_t version) {
  if (version == 2) {
    // Members in RFC 8785 order (name < payload < type); the number is an
    // integer, so its JCS form is its decimal digits.
    std::string s = "{\"name\":" + jcs_string(name) + ",\"payload\":\"" + hex_encode(payload) +
                    "\",\"type\":" + std::to_string(kRuntimeEventType) + "}";
    return Bytes(s.begin(), s.end());
  }
  Bytes buf(4);
  store_le32(buf.data(), kRuntimeEventType);
  buf.push_back(':');
  buf.insert(buf.end(), name.begin(), name.end());
  buf.push_back(':');
  buf.insert(buf.end(), payload.begin(), payload.end());
  return buf;
}

Sha384Value runtime_event_digest_v2(std::string_view name, ByteView payload) {
  const Bytes pre = runtime_event_preimage(name, payload, 2);
  Sha384Value out;
  SHA384(pre.data(), pre.size(), out.data());
  return out;
}

Status check_runtime_event(const EventLogEntry& e) {
  if (e.event_type != kRuntimeEventType) return ok_status();
  if (e.version != 1 && e.version != 2) {
    return make_error(
        "eventlog.unknown_version",
        "runtime event '" + e.event + "': unknown dstack event log version " + std::to_string(e.version));
  }
  const Bytes canonical = runtime_event_preimage(e.event, e.event_payload, e.version);
  Sha384Value expected;
  SHA384(canonical.data(), canonical.size(), expected.data());
  const char* rule = e.version == 2 ? "V2: SHA384 of the RFC 8785 JSON {name, payload, type}"
                                    : "V1: SHA384(le32(type) ‖ \":\" ‖ name ‖ \":\" ‖ payload)";
  if (expected != e.digest) {
    std::string msg = "runtime event '" + e.event + "': digest does not match its fields (" + rule + ")";
    // Say so when the other rule would have matched: a missing or wrong
    // "version" member, not a changed payload.
    const uint32_t other = e.version == 2 ? 1 : 2;
    const Bytes alt = runtime_event_preimage(e.event, e.event_payload, other);
    Sha384Value alt_digest;
    SHA384(alt.data(), alt.size(), alt_digest.data());
    if (alt_digest == e.digest) {
      msg += "; it matches the V" + std::to_string(other) + " rule, but the event is marked V" +
             std::to_string(e.version);
    }
    return make_error("eventlog.digest_mismatch", msg);
  }
  if (e.preimage) {
    Sha384Value pre_digest;
    SHA384(e.preimage->data(), e.preimage->size(), pre_digest.data());
    if (pre_digest != e.digest) {
      return make_error("eventlog.preimage_mismatch",
                        "runtime event '" + e.event + "': preimage does not hash to the digest");
    }
    if (*e.preimage != canonical) {
      return make_error("eventlog.preimage_mismatch",
                        "runtime event '" + e.event + "': preimage is not the canonical V" +
                            std::to_string(e.version) + " bytes of the event's name and payload");
    }
  }
  return ok_status();
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
  boost::json::object o{{"imr", e.imr},
                        {"event_type", e.event_type},
                        {"digest", hex_encode(e.digest)},
                        {"event", e.event},
                        {"event_payload", hex_encode(e.event_payload)}};
  if (e.version != 1) o["version"] = e.version;
  if (e.preimage) o["preimage"] = hex_encode(*e.preimage);
  return o;
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
    if (!get_uint("event_type", e.event_type))
      return make_error("eventlog.bad_entry", "bad or missing event_type");
    auto dit = o.find("digest");
    if (dit == o.end() || !dit->value().is_string())
      return make_error("eventlog.bad_entry", "missing digest");
    auto digest = hex_decode(std::string_view(dit->value().get_string()));
    if (!digest.ok() || digest->size() != 48)
      return make_error("eventlog.bad_entry", "digest is not 48 hex bytes");
    std::memcpy(e.digest.data(), digest->data(), 48);
    if (auto it = o.find("event"); it != o.end() && it->value().is_string())
      e.event = std::string(it->value().get_string());
    if (auto it = o.find("event_payload"); it != o.end() && it->value().is_string()) {
      auto p = hex_decode(std::string_view(it->value().get_string()));
      if (!p.ok()) return make_error("eventlog.bad_entry", "event_payload is not hex");
      e.event_payload = std::move(p).value();
    }
    // dstack: "version" absent means V1 (serde default); numbers other than 1
    // and 2 are refused (EventLogVersion::from_u32).
    if (o.contains("version")) {
      if (!get_uint("version", e.version)) return make_error("eventlog.bad_entry", "version is not a number");
      if (e.version != 1 && e.version != 2) {
        return make_error("eventlog.bad_entry", "unknown event log version " + std::to_string(e.version));
      }
    }
    if (auto it = o.find("preimage"); it != o.end() && !it->value().is_null()) {
      if (!it->value().is_string()) return make_error("eventlog.bad_entry", "preimage is not a hex string");
      auto p = hex_decode(std::string_view(it->value().get_string()));
      if (!p.ok()) return make_error("eventlog.bad_entry", "preimage is not hex");
      e.preimage = std::move(p).value();
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace veil::attest
