#include "veil/attest/dcap/pck_extension.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <string>

namespace veil::attest::dcap {
namespace {

// DER tags used here (X.690).
constexpr uint8_t kTagInteger = 0x02;
constexpr uint8_t kTagOctetString = 0x04;
constexpr uint8_t kTagOid = 0x06;
constexpr uint8_t kTagEnumerated = 0x0a;
constexpr uint8_t kTagSequence = 0x30;

// 1.2.840.113741.1.13.1 encoded (without tag and length).
constexpr uint8_t kSgxExtOid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

struct Tlv {
  uint8_t tag = 0;
  ByteView value;
};

Error bad(const std::string& what) { return make_error("pck.bad_extension", what); }

// One DER TLV from the front of `in` (definite lengths, low tag numbers).
Result<Tlv> read_tlv(ByteView& in) {
  if (in.size() < 2) return bad("truncated element");
  Tlv t;
  t.tag = in[0];
  if ((t.tag & 0x1f) == 0x1f) return bad("high tag numbers are not used here");
  size_t len = in[1];
  size_t hdr = 2;
  if (len & 0x80) {
    size_t n = len & 0x7f;
    if (n == 0 || n > 3) return bad("unsupported length encoding");
    if (in.size() < 2 + n) return bad("truncated length");
    len = 0;
    for (size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    hdr += n;
  }
  if (in.size() - hdr < len) return bad("element longer than its container");
  t.value = in.subspan(hdr, len);
  in = in.subspan(hdr + len);
  return t;
}

Result<Tlv> expect(ByteView& in, uint8_t tag, const char* what) {
  VEIL_ASSIGN_OR_RETURN(Tlv t, read_tlv(in));
  if (t.tag != tag) return bad(std::string("unexpected tag for ") + what);
  return t;
}

// Non-negative INTEGER/ENUMERATED up to 16 bits.
Result<uint32_t> small_uint(ByteView v, uint32_t max, const char* what) {
  if (v.empty() || v.size() > 3 || (v[0] & 0x80)) return bad(std::string("bad integer for ") + what);
  uint32_t x = 0;
  for (uint8_t b : v) x = (x << 8) | b;
  if (x > max) return bad(std::string("integer out of range for ") + what);
  return x;
}

template <size_t N>
Status octets(ByteView v, std::array<uint8_t, N>& out, const char* what) {
  if (v.size() != N) return bad(std::string("wrong length for ") + what);
  std::copy(v.begin(), v.end(), out.begin());
  return ok_status();
}

// Returns the last arc when `oid` is kSgxExtOid ‖ prefix ‖ arc (single byte).
std::optional<uint8_t> sub_arc(ByteView oid, std::initializer_list<uint8_t> prefix) {
  const size_t base = sizeof(kSgxExtOid);
  if (oid.size() != base + prefix.size() + 1) return std::nullopt;
  if (!std::equal(kSgxExtOid, kSgxExtOid + base, oid.begin())) return std::nullopt;
  if (!std::equal(prefix.begin(), prefix.end(), oid.begin() + base)) return std::nullopt;
  uint8_t arc = oid[oid.size() - 1];
  if (arc & 0x80) return std::nullopt;
  return arc;
}

Status parse_tcb(ByteView seq, PckExtension& ext) {
  bool comps[16] = {false};
  bool have_pcesvn = false, have_cpusvn = false;
  while (!seq.empty()) {
    VEIL_ASSIGN_OR_RETURN(Tlv item, expect(seq, kTagSequence, "TCB entry"));
    ByteView body = item.value;
    VEIL_ASSIGN_OR_RETURN(Tlv oid, expect(body, kTagOid, "TCB entry OID"));
    VEIL_ASSIGN_OR_RETURN(Tlv val, read_tlv(body));
    if (!body.empty()) return bad("TCB entry has extra elements");
    auto arc = sub_arc(oid.value, {0x02});
    if (!arc) continue;  // unknown entries are skipped, like Intel's parser
    if (*arc >= 1 && *arc <= 16) {
      if (val.tag != kTagInteger) return bad("TCB component is not an INTEGER");
      VEIL_ASSIGN_OR_RETURN(uint32_t svn, small_uint(val.value, 255, "TCB component"));
      ext.tcb_components[*arc - 1] = uint8_t(svn);
      comps[*arc - 1] = true;
    } else if (*arc == 17) {
      if (val.tag != kTagInteger) return bad("PCESVN is not an INTEGER");
      VEIL_ASSIGN_OR_RETURN(uint32_t svn, small_uint(val.value, 65535, "PCESVN"));
      ext.pce_svn = uint16_t(svn);
      have_pcesvn = true;
    } else if (*arc == 18) {
      if (val.tag != kTagOctetString) return bad("CPUSVN is not an OCTET STRING");
      VEIL_TRY(octets(val.value, ext.cpu_svn, "CPUSVN"));
      have_cpusvn = true;
    }
  }
  for (bool c : comps)
    if (!c) return bad("TCB component missing");
  if (!have_pcesvn || !have_cpusvn) return bad("PCESVN or CPUSVN missing");
  return ok_status();
}

}  // namespace

Result<PckExtension> parse_pck_extension(ByteView der) {
  PckExtension ext;
  ByteView in = der;
  VEIL_ASSIGN_OR_RETURN(Tlv outer, expect(in, kTagSequence, "extension"));
  if (!in.empty()) return bad("trailing bytes after the extension");
  bool have_ppid = false, have_tcb = false, have_pceid = false, have_fmspc = false, have_type = false;
  ByteView seq = outer.value;
  while (!seq.empty()) {
    VEIL_ASSIGN_OR_RETURN(Tlv item, expect(seq, kTagSequence, "extension entry"));
    ByteView body = item.value;
    VEIL_ASSIGN_OR_RETURN(Tlv oid, expect(body, kTagOid, "extension entry OID"));
    VEIL_ASSIGN_OR_RETURN(Tlv val, read_tlv(body));
    if (!body.empty()) return bad("extension entry has extra elements");
    auto arc = sub_arc(oid.value, {});
    if (!arc) continue;
    switch (*arc) {
      case 1:
        if (val.tag != kTagOctetString) return bad("PPID is not an OCTET STRING");
        VEIL_TRY(octets(val.value, ext.ppid, "PPID"));
        have_ppid = true;
        break;
      case 2:
        if (val.tag != kTagSequence) return bad("TCB is not a SEQUENCE");
        VEIL_TRY(parse_tcb(val.value, ext));
        have_tcb = true;
        break;
      case 3:
        if (val.tag != kTagOctetString) return bad("PCE-ID is not an OCTET STRING");
        VEIL_TRY(octets(val.value, ext.pce_id, "PCE-ID"));
        have_pceid = true;
        break;
      case 4:
        if (val.tag != kTagOctetString) return bad("FMSPC is not an OCTET STRING");
        VEIL_TRY(octets(val.value, ext.fmspc, "FMSPC"));
        have_fmspc = true;
        break;
      case 5: {
        if (val.tag != kTagEnumerated) return bad("SGX type is not ENUMERATED");
        VEIL_ASSIGN_OR_RETURN(uint32_t t, small_uint(val.value, 255, "SGX type"));
        ext.sgx_type = int(t);
        have_type = true;
        break;
      }
      case 6: {
        if (val.tag != kTagOctetString) return bad("platform instance id is not an OCTET STRING");
        std::array<uint8_t, 16> id{};
        VEIL_TRY(octets(val.value, id, "platform instance id"));
        ext.platform_instance_id = id;
        break;
      }
      default:
        break;  // .7 configuration and later additions: not needed for verification
    }
  }
  if (!have_ppid || !have_tcb || !have_pceid || !have_fmspc || !have_type) {
    return bad("a mandatory entry (PPID, TCB, PCE-ID, FMSPC, SGX type) is missing");
  }
  return ext;
}

Result<PckExtension> pck_extension_from_cert(X509* cert) {
  ASN1_OBJECT* obj = OBJ_txt2obj("1.2.840.113741.1.13.1", 1);
  if (!obj) return make_error("pck.missing_extension", "cannot build the SGX extension OID");
  int idx = X509_get_ext_by_OBJ(cert, obj, -1);
  ASN1_OBJECT_free(obj);
  if (idx < 0) return make_error("pck.missing_extension", "PCK certificate has no SGX extension");
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  if (!data) return make_error("pck.missing_extension", "SGX extension is empty");
  return parse_pck_extension(ByteView(ASN1_STRING_get0_data(data), size_t(ASN1_STRING_length(data))));
}

}  // namespace veil::attest::dcap
