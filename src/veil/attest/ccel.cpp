#include "veil/attest/ccel.h"

#include <algorithm>
#include <cstring>
#include <map>

namespace veil::attest {
namespace {

constexpr size_t kMaxEvents = 1 << 20;
constexpr char kSpecIdSignature[] = "Spec ID Event03";

bool all_bytes(ByteView v, uint8_t b) {
  return std::all_of(v.begin(), v.end(), [b](uint8_t x) { return x == b; });
}

}  // namespace

Result<std::vector<CcelEvent>> parse_ccel(ByteView data) {
  std::vector<CcelEvent> out;
  // Header event: index(4) type(4) sha1(20) size(4) data.
  if (data.size() < 32) return make_error("ccel.truncated", "log shorter than its header event");
  CcelEvent header;
  header.mr_index = load_le32(data.data());
  header.event_type = load_le32(data.data() + 4);
  const uint32_t header_size = load_le32(data.data() + 28);
  if (header.event_type != kEvNoAction || header_size > data.size() - 32) {
    return make_error("ccel.bad_header", "first event is not an EV_NO_ACTION Spec ID event");
  }
  ByteView spec = data.subspan(32, header_size);
  // TCG_EfiSpecIDEvent: signature(16) platformClass(4) minor(1) major(1)
  // errata(1) uintnSize(1) numberOfAlgorithms(4) {algId(2) digestSize(2)}*
  if (spec.size() < 28 || std::memcmp(spec.data(), kSpecIdSignature, sizeof(kSpecIdSignature)) != 0) {
    return make_error("ccel.bad_header", "missing the Spec ID Event03 signature");
  }
  const uint32_t n_algs = load_le32(spec.data() + 24);
  if (n_algs == 0 || n_algs > 16 || spec.size() < 28 + size_t(n_algs) * 4) {
    return make_error("ccel.bad_header", "bad algorithm count in the Spec ID event");
  }
  std::map<uint16_t, uint16_t> digest_size;
  for (uint32_t i = 0; i < n_algs; ++i) {
    const uint8_t* p = spec.data() + 28 + 4 * i;
    digest_size[load_le16(p)] = load_le16(p + 2);
  }
  if (digest_size.count(kTpmAlgSha384) == 0 || digest_size[kTpmAlgSha384] != 48) {
    return make_error("ccel.bad_header", "the log has no SHA-384 digests");
  }
  header.data.assign(spec.begin(), spec.end());
  out.push_back(std::move(header));

  size_t pos = 32 + header_size;
  while (pos < data.size()) {
    ByteView rest = data.subspan(pos);
    if (rest.size() < 12) {
      if (all_bytes(rest, 0xff) || all_bytes(rest, 0x00)) break;
      return make_error("ccel.truncated", "event header cut short");
    }
    // Unused log area is 0xFF (erased) or zero.
    if (all_bytes(rest.first(8), 0xff) || all_bytes(rest.first(8), 0x00)) break;
    if (out.size() >= kMaxEvents) return make_error("ccel.bad_event", "too many events");
    CcelEvent e;
    e.mr_index = load_le32(rest.data());
    e.event_type = load_le32(rest.data() + 4);
    const uint32_t count = load_le32(rest.data() + 8);
    if (count == 0 || count > n_algs)
      return make_error("ccel.bad_event", "bad digest count at offset " + std::to_string(pos));
    size_t off = 12;
    for (uint32_t i = 0; i < count; ++i) {
      if (rest.size() < off + 2) return make_error("ccel.truncated", "digest cut short");
      const uint16_t alg = load_le16(rest.data() + off);
      auto it = digest_size.find(alg);
      if (it == digest_size.end())
        return make_error("ccel.bad_event", "digest algorithm not in the Spec ID event");
      off += 2;
      if (rest.size() < off + it->second) return make_error("ccel.truncated", "digest cut short");
      if (alg == kTpmAlgSha384) {
        Sha384Value d;
        std::memcpy(d.data(), rest.data() + off, 48);
        e.sha384 = d;
      }
      off += it->second;
    }
    if (rest.size() < off + 4) return make_error("ccel.truncated", "event size cut short");
    const uint32_t size = load_le32(rest.data() + off);
    off += 4;
    if (size > rest.size() - off) return make_error("ccel.truncated", "event data runs past the log");
    e.data.assign(rest.begin() + long(off), rest.begin() + long(off + size));
    out.push_back(std::move(e));
    pos += off + size;
  }
  return out;
}

Result<std::vector<EventLogEntry>> ccel_to_event_log(ByteView log_area) {
  VEIL_ASSIGN_OR_RETURN(auto events, parse_ccel(log_area));
  std::vector<EventLogEntry> out;
  for (size_t i = 1; i < events.size(); ++i) {
    const CcelEvent& e = events[i];
    if (e.event_type == kEvNoAction) continue;
    if (e.mr_index < 1 || e.mr_index > 4) continue;  // MRTD is measured by the TDX module, not replayed here
    if (!e.sha384) return make_error("ccel.bad_event", "a measured event lacks its SHA-384 digest");
    EventLogEntry entry;
    entry.imr = e.mr_index - 1;
    entry.event_type = e.event_type;
    entry.digest = *e.sha384;
    entry.event_payload = e.data;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<CcelTable> parse_ccel_table(ByteView t) {
  if (t.size() < 56 || std::memcmp(t.data(), "CCEL", 4) != 0) {
    return make_error("ccel.bad_table", "not a 56-byte ACPI CCEL table");
  }
  if (load_le32(t.data() + 4) > t.size())
    return make_error("ccel.bad_table", "table length exceeds the data");
  CcelTable out;
  out.cc_type = t[36];
  out.cc_subtype = t[37];
  out.log_area_minimum_length = load_le64(t.data() + 40);
  out.log_area_start_address = load_le64(t.data() + 48);
  return out;
}

}  // namespace veil::attest
