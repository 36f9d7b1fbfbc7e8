#include "veil/attest/nvidia/spdm.h"

#include <openssl/sha.h>

#include <cctype>
#include <cstdio>
#include <set>

namespace veil::attest::nvidia {

namespace {

constexpr uint8_t kGetMeasurements = 0xE0;   // DSP0274 table "SPDM request codes"
constexpr uint8_t kMeasurements = 0x60;      // DSP0274 table "SPDM response codes"
constexpr size_t kRequesterContextSize = 8;  // SPDM 1.3

Error malformed(const std::string& what) { return make_error("spdm.malformed", what); }

bool supported_version(uint8_t v) { return v == 0x11 || v == 0x12 || v == 0x13; }

// Trims the NUL padding NVIDIA puts after version strings.
std::string printable(ByteView v) {
  std::string s(as_chars(v));
  while (!s.empty() && s.back() == '\0') s.pop_back();
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E) c = '?';
  }
  return s;
}

Status parse_measurement_record(ByteView record, size_t count, std::vector<MeasurementBlock>& out) {
  size_t off = 0;
  for (size_t i = 0; i < count; ++i) {
    if (record.size() - off < 4) return malformed("measurement block header truncated");
    MeasurementBlock b;
    b.index = record[off];
    b.specification = record[off + 1];
    size_t size = load_le16(record.data() + off + 2);
    off += 4;
    if (record.size() - off < size) return malformed("measurement block exceeds record");
    ByteView m = record.subspan(off, size);
    off += size;
    if ((b.specification & 0x01) == 0) return malformed("measurement block not in DMTF format");
    if (m.size() < 3) return malformed("DMTF measurement too short");
    b.value_type = m[0];
    size_t vsize = load_le16(m.data() + 1);
    if (vsize != m.size() - 3) return malformed("DMTF measurement value size disagrees with block size");
    b.value.assign(m.begin() + 3, m.end());
    out.push_back(std::move(b));
  }
  if (off != record.size()) return malformed("measurement record longer than its blocks");
  return ok_status();
}

}  // namespace

const OpaqueField* SpdmReport::find_opaque(OpaqueFieldId id) const {
  for (const auto& f : opaque)
    if (f.type == static_cast<uint16_t>(id)) return &f;
  return nullptr;
}

const MeasurementBlock* SpdmReport::find_block(uint8_t index) const {
  for (const auto& b : blocks)
    if (b.index == index) return &b;
  return nullptr;
}

Result<std::vector<OpaqueField>> parse_opaque_data(ByteView opaque) {
  std::vector<OpaqueField> fields;
  std::set<uint16_t> seen;
  size_t off = 0;
  while (off < opaque.size()) {
    if (opaque.size() - off < 4) return make_error("spdm.bad_opaque", "opaque field header truncated");
    uint16_t type = load_le16(opaque.data() + off);
    size_t size = load_le16(opaque.data() + off + 2);
    off += 4;
    if (opaque.size() - off < size) return make_error("spdm.bad_opaque", "opaque field exceeds opaque data");
    if (!seen.insert(type).second) {
      return make_error("spdm.bad_opaque", "opaque field type " + std::to_string(type) + " repeated");
    }
    fields.push_back({type, Bytes(opaque.begin() + off, opaque.begin() + off + size)});
    off += size;
  }
  return fields;
}

Result<std::string> format_vbios_version(ByteView value) {
  // NVSwitch (LS10) reports carry the version as ASCII text "96.10.73.00.01"
  // (nvtrust's switch verifier decodes the field as UTF-8); GPU reports carry
  // 8 binary bytes, so the 14-byte text form cannot be mistaken for one.
  if (value.size() == 14) {
    bool text = true;
    for (size_t i = 0; i < value.size() && text; ++i)
      text = i % 3 == 2 ? value[i] == '.' : std::isxdigit(value[i]) != 0;
    if (text) {
      std::string out(value.begin(), value.end());
      for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return out;
    }
  }
  if (value.size() < 2 || value.size() % 2 != 0) {
    return make_error("spdm.bad_opaque", "vbios version field has odd or short length");
  }
  std::string out;
  char buf[4];
  for (size_t i = value.size() / 2; i-- > 0;) {
    std::snprintf(buf, sizeof buf, "%02X", value[i]);
    out += buf;
    out += '.';
  }
  std::snprintf(buf, sizeof buf, "%02X", value[value.size() / 2]);
  out += buf;
  return out;
}

Result<SpdmReport> parse_spdm_report(ByteView raw, size_t signature_size) {
  SpdmReport r;
  // --- request
  if (raw.size() < 37) return malformed("shorter than a GET_MEASUREMENTS request");
  r.version = raw[0];
  if (!supported_version(r.version)) return malformed("unsupported SPDM version in request");
  if (raw[1] != kGetMeasurements) return malformed("first message is not GET_MEASUREMENTS");
  r.request_param1 = raw[2];
  r.request_param2 = raw[3];
  // Param1 bit 0: signature requested; only then do Nonce and SlotIDParam follow.
  if ((r.request_param1 & 0x01) == 0) return malformed("request did not ask for a signature");
  std::copy(raw.begin() + 4, raw.begin() + 36, r.request_nonce.begin());
  r.slot_id = raw[36] & 0x0F;
  r.request_size = 37;
  if (r.version >= 0x13) {
    if (raw.size() < r.request_size + kRequesterContextSize) return malformed("request context truncated");
    r.request_size += kRequesterContextSize;
  }

  // --- response
  ByteView resp = raw.subspan(r.request_size);
  if (resp.size() < 8) return malformed("response header truncated");
  if (resp[0] != r.version) return malformed("response SPDM version differs from request");
  if (resp[1] != kMeasurements) return malformed("second message is not MEASUREMENTS");
  r.response_param1 = resp[2];
  r.response_param2 = resp[3];
  size_t nblocks = resp[4];
  size_t record_len = size_t(resp[5]) | (size_t(resp[6]) << 8) | (size_t(resp[7]) << 16);
  size_t off = 8;
  if (resp.size() - off < record_len) return malformed("measurement record exceeds report");
  VEIL_TRY(parse_measurement_record(resp.subspan(off, record_len), nblocks, r.blocks));
  off += record_len;
  if (resp.size() - off < kSpdmNonceSize + 2) return malformed("response nonce truncated");
  std::copy(resp.begin() + off, resp.begin() + off + kSpdmNonceSize, r.response_nonce.begin());
  off += kSpdmNonceSize;
  size_t opaque_len = load_le16(resp.data() + off);
  off += 2;
  if (resp.size() - off < opaque_len) return malformed("opaque data exceeds report");
  ByteView opaque = resp.subspan(off, opaque_len);
  off += opaque_len;
  if (r.version >= 0x13) {
    if (resp.size() - off < kRequesterContextSize) return malformed("response context truncated");
    off += kRequesterContextSize;
  }
  if (resp.size() - off < signature_size) return malformed("signature truncated");
  r.signed_size = r.request_size + off;
  r.signature.assign(resp.begin() + off, resp.begin() + off + signature_size);
  off += signature_size;
  r.trailing_bytes = resp.size() - off;

  VEIL_ASSIGN_OR_RETURN(r.opaque, parse_opaque_data(opaque));
  if (auto* f = r.find_opaque(OpaqueFieldId::driver_version)) r.driver_version = printable(f->value);
  if (auto* f = r.find_opaque(OpaqueFieldId::vbios_version)) {
    VEIL_ASSIGN_OR_RETURN(r.vbios_version, format_vbios_version(f->value));
  }
  if (auto* f = r.find_opaque(OpaqueFieldId::fwid)) r.fwid = f->value;
  if (auto* f = r.find_opaque(OpaqueFieldId::project)) r.project = printable(f->value);
  if (auto* f = r.find_opaque(OpaqueFieldId::project_sku)) r.project_sku = printable(f->value);
  if (auto* f = r.find_opaque(OpaqueFieldId::chip_sku)) r.chip_sku = printable(f->value);
  return r;
}

Bytes spdm12_measurements_signing_message(uint8_t version, ByteView l1l2) {
  // DSP0274 1.2 section 15: combined_spdm_prefix = "dmtf-spdm-v1.X.*" x4 ||
  // zero pad || context (100 bytes), then the transcript hash.
  std::string ver = "dmtf-spdm-v1." + std::to_string(version & 0x0F) + ".*";
  Bytes m;
  for (int i = 0; i < 4; ++i) m.insert(m.end(), ver.begin(), ver.end());
  const std::string context = "responder-measurements signing";
  m.insert(m.end(), 36 - context.size(), 0);
  m.insert(m.end(), context.begin(), context.end());
  uint8_t digest[SHA384_DIGEST_LENGTH];
  SHA384(l1l2.data(), l1l2.size(), digest);
  m.insert(m.end(), digest, digest + sizeof digest);
  return m;
}

Bytes spdm_signed_message(const SpdmReport& report, ByteView raw, bool with_v12_prefix) {
  ByteView signed_part = raw.subspan(0, report.signed_size);
  if (!with_v12_prefix) return Bytes(signed_part.begin(), signed_part.end());
  return spdm12_measurements_signing_message(report.version, signed_part);
}

}  // namespace veil::attest::nvidia
