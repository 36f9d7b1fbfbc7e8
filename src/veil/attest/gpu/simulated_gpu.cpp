#include "veil/attest/gpu/simulated_gpu.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>

#include "veil/attest/nvidia/openssl_util.h"
#include "veil/attest/nvidia/spdm.h"
#include "veil/base/encoding.h"

namespace veil::attest::gpu {

using nvidia::UniquePkey;
using nvidia::UniqueX509;

struct SimulatedGpuDevice::Keys {
  UniquePkey leaf_key;
};

namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
struct ObjFree {
  void operator()(ASN1_OBJECT* p) const { ASN1_OBJECT_free(p); }
};
struct OctFree {
  void operator()(ASN1_OCTET_STRING* p) const { ASN1_OCTET_STRING_free(p); }
};

Bytes sha384_of(std::string_view s) {
  Bytes out(SHA384_DIGEST_LENGTH);
  SHA384(reinterpret_cast<const uint8_t*>(s.data()), s.size(), out.data());
  return out;
}

// DER length + TLV helpers for the DiceTcbInfo extension value.
Bytes tlv(uint8_t tag, ByteView value) {
  Bytes out{tag};
  size_t n = value.size();
  if (n < 0x80) {
    out.push_back(uint8_t(n));
  } else if (n < 0x100) {
    out.push_back(0x81);
    out.push_back(uint8_t(n));
  } else {
    out.push_back(0x82);
    out.push_back(uint8_t(n >> 8));
    out.push_back(uint8_t(n));
  }
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

// DiceTcbInfo { vendor [0] "Veil", model [1] "Simulated GPU",
//               fwids [6] { FWID { id-sha384, fwid } } }
Bytes dice_tcb_info(ByteView fwid) {
  static const uint8_t sha384_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
  Bytes fw = concat({tlv(0x06, sha384_oid), tlv(0x04, fwid)});
  Bytes fwids = tlv(0xA6, tlv(0x30, fw));
  Bytes body = concat({tlv(0x80, as_bytes("Veil")), tlv(0x81, as_bytes("Simulated GPU")), fwids});
  return tlv(0x30, body);
}

Status add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return make_error("gpu.simulated", "cannot add extension");
  return ok_status();
}

Result<UniqueX509> make_cert(EVP_PKEY* subject_key, EVP_PKEY* issuer_key, X509* issuer, const char* cn,
                             long serial, int64_t not_before, bool ca, const Bytes* fwid_ext,
                             const char* fwid_oid, bool fwid_critical) {
  UniqueX509 cert(X509_new());
  if (!cert) return make_error("gpu.simulated", "X509_new failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Veil simulation"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  time_t nb = static_cast<time_t>(not_before);
  X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &nb);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), 3650, 0, &nb);
  X509_set_pubkey(cert.get(), subject_key);
  X509* iss = issuer ? issuer : cert.get();
  VEIL_TRY(add_ext(cert.get(), iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  VEIL_TRY(
      add_ext(cert.get(), iss, NID_key_usage, ca ? "critical,keyCertSign" : "critical,digitalSignature"));
  VEIL_TRY(add_ext(cert.get(), iss, NID_subject_key_identifier, "hash"));
  if (issuer) VEIL_TRY(add_ext(cert.get(), iss, NID_authority_key_identifier, "keyid:always"));
  if (fwid_ext) {
    std::unique_ptr<ASN1_OBJECT, ObjFree> oid(OBJ_txt2obj(fwid_oid, 1));
    std::unique_ptr<ASN1_OCTET_STRING, OctFree> oct(ASN1_OCTET_STRING_new());
    ASN1_OCTET_STRING_set(oct.get(), fwid_ext->data(), static_cast<int>(fwid_ext->size()));
    std::unique_ptr<X509_EXTENSION, ExtFree> ext(
        X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), fwid_critical ? 1 : 0, oct.get()));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1)
      return make_error("gpu.simulated", "cannot add FWID");
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha384()) <= 0)
    return make_error("gpu.simulated", "X509_sign failed");
  return cert;
}

void put_opaque(Bytes& out, nvidia::OpaqueFieldId id, ByteView value) {
  uint8_t h[4];
  store_le16(h, static_cast<uint16_t>(id));
  store_le16(h + 2, static_cast<uint16_t>(value.size()));
  out.insert(out.end(), h, h + 4);
  out.insert(out.end(), value.begin(), value.end());
}

}  // namespace

SimulatedGpuDevice::~SimulatedGpuDevice() = default;

Result<std::unique_ptr<SimulatedGpuDevice>> SimulatedGpuDevice::create(int64_t not_before,
                                                                       nvidia::GpuArch arch) {
  const char* fwid_oid = arch == nvidia::GpuArch::hopper ? "2.23.133.5.4.1" : "2.23.133.5.4.1.1";
  UniquePkey root_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  UniquePkey leaf_key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!root_key || !leaf_key) return make_error("gpu.simulated", "key generation failed");
  std::unique_ptr<SimulatedGpuDevice> dev(new SimulatedGpuDevice());
  dev->arch_ = arch;
  dev->fwid_ = sha384_of("veil simulated GPU firmware");
  Bytes ext = dice_tcb_info(dev->fwid_);
  VEIL_ASSIGN_OR_RETURN(UniqueX509 root, make_cert(root_key.get(), root_key.get(), nullptr,
                                                   "Veil Simulated GPU Root (not a hardware TEE)", 1,
                                                   not_before, true, nullptr, nullptr, false));
  VEIL_ASSIGN_OR_RETURN(UniqueX509 leaf,
                        make_cert(leaf_key.get(), root_key.get(), root.get(),
                                  "Veil Simulated GPU Attestation Key", 2, not_before, false, &ext, fwid_oid,
                                  /*fwid_critical=*/arch == nvidia::GpuArch::blackwell));
  dev->root_pem_ = nvidia::to_pem(root.get());
  dev->chain_pem_ = nvidia::to_pem(leaf.get()) + dev->root_pem_;
  dev->keys_ = std::make_unique<Keys>();
  dev->keys_->leaf_key = std::move(leaf_key);
  return dev;
}

Result<Bytes> SimulatedGpuDevice::make_report(const std::array<uint8_t, 32>& nonce,
                                              uint8_t spdm_version) const {
  if (spdm_version != 0x11 && spdm_version != 0x12)
    return make_error("gpu.simulated", "SPDM version must be 1.1 or 1.2");
  // GET_MEASUREMENTS: signature requested (Param1 bit 0), all blocks (Param2 0xFF), slot 0.
  Bytes msg = {spdm_version, 0xE0, 0x01, 0xFF};
  msg.insert(msg.end(), nonce.begin(), nonce.end());
  msg.push_back(0x00);

  Bytes record;
  constexpr uint8_t kBlocks = 4;
  for (uint8_t i = 1; i <= kBlocks; ++i) {
    Bytes value = sha384_of("veil simulated measurement " + std::to_string(i));
    uint8_t hdr[7] = {i, 0x01, 0, 0, 0x01, 0, 0};  // index, DMTF, size, type=mutable firmware, value size
    store_le16(hdr + 2, static_cast<uint16_t>(3 + value.size()));
    store_le16(hdr + 5, static_cast<uint16_t>(value.size()));
    record.insert(record.end(), hdr, hdr + 7);
    record.insert(record.end(), value.begin(), value.end());
  }
  Bytes opaque;
  put_opaque(opaque, nvidia::OpaqueFieldId::driver_version,
             as_bytes(std::string_view("000.00.00-veil-sim\0", 19)));
  const uint8_t vbios[8] = {0x00, 0x00, 0x00, 0x96, 0x01, 0, 0, 0};  // "96.00.00.00.01"
  put_opaque(opaque, nvidia::OpaqueFieldId::vbios_version, vbios);
  put_opaque(opaque, nvidia::OpaqueFieldId::project, as_bytes(std::string_view("VEIL\0", 5)));
  put_opaque(opaque, nvidia::OpaqueFieldId::fwid, fwid_);
  const uint8_t version[2] = {0x01, 0x00};
  put_opaque(opaque, nvidia::OpaqueFieldId::opaque_data_version, version);

  uint8_t hdr[8] = {spdm_version, 0x60, 0x00, 0x00, kBlocks, 0, 0, 0};
  hdr[5] = uint8_t(record.size());
  hdr[6] = uint8_t(record.size() >> 8);
  hdr[7] = uint8_t(record.size() >> 16);
  msg.insert(msg.end(), hdr, hdr + 8);
  msg.insert(msg.end(), record.begin(), record.end());
  uint8_t responder_nonce[32];
  if (RAND_bytes(responder_nonce, sizeof responder_nonce) != 1)
    return make_error("gpu.simulated", "RAND_bytes failed");
  msg.insert(msg.end(), responder_nonce, responder_nonce + 32);
  uint8_t olen[2];
  store_le16(olen, static_cast<uint16_t>(opaque.size()));
  msg.insert(msg.end(), olen, olen + 2);
  msg.insert(msg.end(), opaque.begin(), opaque.end());

  // SPDM 1.1 signs the transcript itself; 1.2 signs the signing context || hash.
  Bytes to_sign = spdm_version == 0x11 ? msg : nvidia::spdm12_measurements_signing_message(spdm_version, msg);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, keys_->leaf_key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, to_sign.data(), to_sign.size()) != 1) {
    return make_error("gpu.simulated", "signing failed");
  }
  Bytes der(der_len);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_len, to_sign.data(), to_sign.size()) != 1) {
    return make_error("gpu.simulated", "signing failed");
  }
  der.resize(der_len);
  VEIL_ASSIGN_OR_RETURN(Bytes rs, nvidia::der_signature_to_raw(der, 48));
  msg.insert(msg.end(), rs.begin(), rs.end());
  return msg;
}

Result<std::string> SimulatedGpuDevice::payload_json(const std::array<uint8_t, 32>& nonce, size_t gpu_count,
                                                     uint8_t spdm_version) const {
  boost::json::array list;
  std::string chain_b64 = base64_encode(as_bytes(chain_pem_));
  for (size_t i = 0; i < gpu_count; ++i) {
    VEIL_ASSIGN_OR_RETURN(Bytes report, make_report(nonce, spdm_version));
    list.push_back(boost::json::object{
        {"certificate", chain_b64}, {"evidence", base64_encode(report)}, {"arch", nvidia::to_string(arch_)}});
  }
  boost::json::object o;
  o["nonce"] = hex_encode(nonce);
  o["evidence_list"] = std::move(list);
  o["arch"] = nvidia::to_string(arch_);
  o["veil_simulated_root"] = root_pem_;
  return boost::json::serialize(o);
}

}  // namespace veil::attest::gpu
