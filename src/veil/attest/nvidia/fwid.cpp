#include "veil/attest/nvidia/fwid.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "veil/attest/nvidia/der.h"

namespace veil::attest::nvidia {

namespace {

constexpr char kHopperFwidOid[] = "2.23.133.5.4.1";
constexpr char kBlackwellTcbInfoOid[] = "2.23.133.5.4.1.1";
// id-sha384 2.16.840.1.101.3.4.2.2, DER contents octets.
constexpr uint8_t kSha384Oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

struct ObjFree {
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};

// The OCTET STRING contents of the extension with this OID; nullopt if absent.
Result<Bytes> extension_value(X509* cert, const char* oid_text) {
  std::unique_ptr<ASN1_OBJECT, ObjFree> oid(OBJ_txt2obj(oid_text, 1));
  if (!oid) return make_error("x509.no_fwid", "bad OID");
  int idx = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (idx < 0)
    return make_error("x509.no_fwid",
                      std::string("extension ") + oid_text + " absent from the leaf certificate");
  if (X509_get_ext_by_OBJ(cert, oid.get(), idx) >= 0) {
    return make_error("x509.bad_fwid", std::string("extension ") + oid_text + " repeated");
  }
  X509_EXTENSION* ext = X509_get_ext(cert, idx);
  ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  const uint8_t* p = ASN1_STRING_get0_data(data);
  return Bytes(p, p + ASN1_STRING_length(data));
}

}  // namespace

Result<GpuArch> parse_gpu_arch(std::string_view name) {
  std::string up(name);
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  if (up == "HOPPER") return GpuArch::hopper;
  if (up == "BLACKWELL") return GpuArch::blackwell;
  if (up == "LS10") return GpuArch::nvswitch_ls10;
  return make_error("gpu.bad_arch", "unknown device architecture (expected HOPPER, BLACKWELL or LS10)");
}

const char* to_string(GpuArch arch) {
  switch (arch) {
    case GpuArch::hopper:
      return "HOPPER";
    case GpuArch::blackwell:
      return "BLACKWELL";
    case GpuArch::nvswitch_ls10:
      return "LS10";
  }
  return "?";
}

Result<Bytes> dice_tcb_info_first_fwid(ByteView tcb_info_der) {
  der::Reader outer(tcb_info_der);
  auto seq = outer.next();
  if (!seq || seq->tag != der::kSequence || !outer.empty()) {
    return make_error("x509.bad_fwid", "DiceTcbInfo is not one SEQUENCE");
  }
  der::Reader fields(seq->value);
  while (!fields.empty()) {
    auto f = fields.next();
    if (!f) return make_error("x509.bad_fwid", "DiceTcbInfo: " + f.error().message);
    if (f->tag != der::context_constructed(6)) continue;  // fwids [6]
    der::Reader list(f->value);
    auto fwid = list.next();
    if (!fwid || fwid->tag != der::kSequence)
      return make_error("x509.bad_fwid", "fwids[0] is not a SEQUENCE");
    der::Reader parts(fwid->value);
    auto alg = parts.next();
    auto digest = parts.next();
    if (!alg || alg->tag != der::kOid || !digest || digest->tag != der::kOctetString || !parts.empty()) {
      return make_error("x509.bad_fwid", "fwids[0] is not { hashAlg, digest }");
    }
    if (!std::equal(alg->value.begin(), alg->value.end(), std::begin(kSha384Oid), std::end(kSha384Oid))) {
      return make_error("x509.bad_fwid", "fwids[0] hash algorithm is not SHA-384");
    }
    if (digest->value.size() != kFwidSize)
      return make_error("x509.bad_fwid", "fwids[0] digest is not 48 bytes");
    return Bytes(digest->value.begin(), digest->value.end());
  }
  return make_error("x509.bad_fwid", "DiceTcbInfo has no fwids");
}

Result<Bytes> leaf_certificate_fwid(X509* leaf, GpuArch arch) {
  // LS10 switch leaves carry the Hopper-style extension (seen in nvtrust's
  // switch_evidence.json).
  if (arch == GpuArch::hopper || arch == GpuArch::nvswitch_ls10) {
    VEIL_ASSIGN_OR_RETURN(Bytes value, extension_value(leaf, kHopperFwidOid));
    if (value.size() < kFwidSize) return make_error("x509.bad_fwid", "FWID extension shorter than 48 bytes");
    return Bytes(value.end() - kFwidSize, value.end());
  }
  VEIL_ASSIGN_OR_RETURN(Bytes value, extension_value(leaf, kBlackwellTcbInfoOid));
  return dice_tcb_info_first_fwid(value);
}

}  // namespace veil::attest::nvidia
