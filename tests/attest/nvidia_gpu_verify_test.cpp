// NVIDIA GPU evidence: the recorded real reports (SOURCES.md section 6) and
// their negative variants.
#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>

#include "nvidia_test_util.h"
#include "veil/attest/nvidia/fwid.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/nvidia/openssl_util.h"
#include "veil/attest/nvidia/spdm.h"
#include "veil/attest/nvidia/trust_roots.h"

namespace veil::attest::nvidia {
namespace {

using test::nvidia::EvidenceFiles;
using test::nvidia::kEvidenceTime;
using test::nvidia::load_hex_evidence;
using test::nvidia::make_payload;
using test::nvidia::nonce_from_hex;

constexpr char kSampleNonce[] = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";
constexpr char kCocoNonce[] = "87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343fec";
constexpr char kSampleFwid[] =
    "f5c384aebb579217a2c66b17ed0f28e6a9b8d639041acd7b4721cec004f7275494ba94bb5cdfdb3055ee051762b1f75d";

const Check* find_check(const Verdict& v, const std::string& name) {
  for (const auto& c : v.checks)
    if (c.name == name) return &c;
  return nullptr;
}

CheckStatus status_of(const Verdict& v, const std::string& name) {
  const Check* c = find_check(v, name);
  EXPECT_NE(c, nullptr) << "missing check " << name;
  return c ? c->status : CheckStatus::skip;
}

std::string dump(const Verdict& v) { return to_text(v); }

GpuVerifyOptions options_at(int64_t now, const char* nonce_hex = nullptr) {
  GpuVerifyOptions o;
  o.now = now;
  if (nonce_hex) o.expected_nonce = nonce_from_hex(nonce_hex);
  return o;
}

EvidenceFiles nvtrust_sample() {
  return load_hex_evidence("testdata/nvtrust/local_gpu_verifier_samples/hopperAttestationReport.txt",
                           "testdata/nvtrust/local_gpu_verifier_samples/hopperCertChain.txt");
}

TEST(NvidiaTrustRoots, PinnedRootsLoadAndMatchSharedCopies) {
  VEIL_REQUIRE_SHARED();
  ASSERT_NE(nvidia_device_identity_ca(), nullptr);
  ASSERT_NE(nvidia_rim_root_ca(), nullptr);
  auto dev = parse_pem_chain(test::read_shared_text("testdata/nvtrust/certs/verifier_device_root.pem"));
  auto rim = parse_pem_chain(test::read_shared_text("testdata/nvtrust/certs/verifier_RIM_root.pem"));
  ASSERT_TRUE(dev.ok() && rim.ok());
  EXPECT_EQ(X509_cmp((*dev)[0].get(), nvidia_device_identity_ca()), 0);
  EXPECT_EQ(X509_cmp((*rim)[0].get(), nvidia_rim_root_ca()), 0);
}

TEST(NvidiaSpdm, ParsesNvtrustSampleByStructure) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = nvtrust_sample();
  auto r = parse_spdm_report(f.report);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->version, 0x11);
  EXPECT_EQ(r->blocks.size(), 64u);
  EXPECT_EQ(hex_encode(r->request_nonce), kSampleNonce);
  EXPECT_EQ(r->driver_version.value_or(""), "550.90.07");
  EXPECT_EQ(r->vbios_version.value_or(""), "96.00.9F.00.01");
  EXPECT_EQ(hex_encode(r->fwid.value_or(Bytes{})), kSampleFwid);
  EXPECT_EQ(r->project.value_or(""), "1010");
  EXPECT_EQ(r->project_sku.value_or(""), "0200");
  EXPECT_EQ(r->chip_sku.value_or(""), "882");
  EXPECT_EQ(r->trailing_bytes, 0u);
  EXPECT_EQ(r->signed_size + 96, f.report.size());
  // Block 2 of the claims file trustee expects for this report.
  ASSERT_NE(r->find_block(2), nullptr);
  EXPECT_EQ(hex_encode(r->find_block(2)->value).substr(0, 16), "8048dfd18fe229bf");
}

TEST(NvidiaSpdm, CocoReportHasOneTrailingByte) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = load_hex_evidence("testdata/trustee/nvidia/hopper_coco_report1.txt",
                                      "testdata/trustee/nvidia/hopper_coco_certs1.txt");
  auto r = parse_spdm_report(f.report);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->trailing_bytes, 1u);
  EXPECT_EQ(r->driver_version.value_or(""), "580.95.05");
  EXPECT_EQ(r->vbios_version.value_or(""), "96.00.74.00.1A");
  EXPECT_EQ(hex_encode(r->request_nonce), kCocoNonce);
}

TEST(NvidiaSpdm, EveryTruncationFailsCleanly) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = nvtrust_sample();
  // Up to the end of the signature, every prefix is too short somewhere.
  auto full = parse_spdm_report(f.report);
  ASSERT_TRUE(full.ok());
  for (size_t n = 0; n < f.report.size(); ++n) {
    auto r = parse_spdm_report(ByteView(f.report.data(), n));
    EXPECT_FALSE(r.ok()) << "prefix " << n;
  }
}

TEST(NvidiaSpdm, LengthFieldsAreValidated) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = nvtrust_sample();
  Bytes b = f.report;
  // MeasurementRecordLength (response offset 5..8) larger than the report.
  Bytes big = b;
  big[37 + 7] = 0xFF;
  EXPECT_EQ(parse_spdm_report(big).error().code, "spdm.malformed");
  // NumberOfBlocks one more than the record holds.
  Bytes blocks = b;
  blocks[37 + 4] = uint8_t(blocks[37 + 4] + 1);
  EXPECT_EQ(parse_spdm_report(blocks).error().code, "spdm.malformed");
  // Wrong request code and unsupported version.
  Bytes code = b;
  code[1] = 0xE1;
  EXPECT_FALSE(parse_spdm_report(code).ok());
  Bytes ver = b;
  ver[0] = 0x10;
  EXPECT_FALSE(parse_spdm_report(ver).ok());
  // A DMTF value size that disagrees with its block size.
  Bytes dmtf = b;
  dmtf[37 + 8 + 5] = 0x31;
  EXPECT_FALSE(parse_spdm_report(dmtf).ok());
}

TEST(NvidiaSpdm, OpaqueDataTlvValidation) {
  const uint8_t good[] = {3, 0, 2, 0, '1', 0, 6, 0, 2, 0, 0x01, 0x96};
  auto ok = parse_opaque_data(good);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  const uint8_t overrun[] = {3, 0, 9, 0, '1'};
  EXPECT_EQ(parse_opaque_data(overrun).error().code, "spdm.bad_opaque");
  const uint8_t dup[] = {3, 0, 1, 0, '1', 3, 0, 1, 0, '2'};
  EXPECT_EQ(parse_opaque_data(dup).error().code, "spdm.bad_opaque");
  const uint8_t partial[] = {3, 0, 1};
  EXPECT_FALSE(parse_opaque_data(partial).ok());
  const uint8_t vb[] = {0x00, 0x9f, 0x00, 0x96, 0x01, 0x00, 0x00, 0x00};
  EXPECT_EQ(format_vbios_version(vb).value(), "96.00.9F.00.01");
}

TEST(NvidiaFwid, HopperLeafCertificateFwid) {
  VEIL_REQUIRE_SHARED();
  auto certs = parse_pem_chain(test::read_shared_text("testdata/trustee/nvidia/hopper_signing_cert.pem"));
  ASSERT_TRUE(certs.ok());
  auto fwid = leaf_certificate_fwid((*certs)[0].get(), GpuArch::hopper);
  ASSERT_TRUE(fwid.ok()) << fwid.error().to_string();
  EXPECT_EQ(hex_encode(*fwid), kSampleFwid);
  // The Blackwell extension is absent from a Hopper leaf.
  EXPECT_EQ(leaf_certificate_fwid((*certs)[0].get(), GpuArch::blackwell).error().code, "x509.no_fwid");
}

TEST(NvidiaFwid, DiceTcbInfoFirstFwid) {
  // DiceTcbInfo { vendor [0] "NV", fwids [6] { { id-sha384, 48 x 0xAB }, { id-sha384, 48 x 0xCD } } }
  const std::string entry_ab = "303d06096086480165030402020430" + std::string(96, 'a');
  const std::string entry_cd = "303d06096086480165030402020430" + std::string(96, 'c');
  // SEQUENCE(0x81 len) { [0] "NV", [6] (0x7E) { entry_ab, entry_cd } }
  const std::string body = "80024e56a67e" + entry_ab + entry_cd;
  Bytes der = hex_decode("3081" + hex_encode(Bytes{uint8_t(body.size() / 2)}) + body).value();
  auto fwid = dice_tcb_info_first_fwid(der);
  ASSERT_TRUE(fwid.ok()) << fwid.error().to_string();
  EXPECT_EQ(*fwid, Bytes(48, 0xAA));
  // Truncated, wrong hash OID, and no fwids.
  EXPECT_FALSE(dice_tcb_info_first_fwid(ByteView(der.data(), der.size() - 1)).ok());
  Bytes sha256 = der;
  sha256[21] = 0x01;  // last OID octet of fwids[0] (3+4+2+2+2+8): id-sha256
  EXPECT_FALSE(dice_tcb_info_first_fwid(sha256).ok());
  const uint8_t empty[] = {0x30, 0x04, 0x80, 0x02, 'N', 'V'};
  EXPECT_FALSE(dice_tcb_info_first_fwid(empty).ok());
}

TEST(NvidiaPayload, NvtrustSampleVerifies) {
  VEIL_REQUIRE_SHARED();
  std::string payload =
      test::read_shared_text("testdata/derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json");
  Verdict v = verify_nvidia_payload(payload, options_at(kEvidenceTime, kSampleNonce));
  EXPECT_TRUE(v.verified) << dump(v);
  EXPECT_FALSE(v.simulated);
  EXPECT_EQ(status_of(v, "gpu.nonce"), CheckStatus::pass);
  for (const char* c :
       {"report_parse", "certificate_chain", "report_signature", "fwid", "nonce", "versions"}) {
    EXPECT_EQ(status_of(v, std::string("gpu[0].") + c), CheckStatus::pass) << c;
  }
  EXPECT_EQ(status_of(v, "gpu[0].revocation"), CheckStatus::skip);
  EXPECT_EQ(status_of(v, "gpu[0].rim_measurements"), CheckStatus::skip);
  EXPECT_NE(find_check(v, "gpu[0].versions")->detail.find("550.90.07"), std::string::npos);
  EXPECT_NE(find_check(v, "gpu[0].versions")->detail.find("96.00.9F.00.01"), std::string::npos);
  auto j = to_json(v);
  EXPECT_TRUE(j.as_object().at("verified").as_bool());
}

TEST(NvidiaPayload, TrusteeCocoPayloadVerifies) {
  VEIL_REQUIRE_SHARED();
  std::string payload =
      test::read_shared_text("testdata/derived/nvidia_payload/nvidia_payload_h100_trustee_coco1.json");
  Verdict v = verify_nvidia_payload(payload, options_at(kEvidenceTime, kCocoNonce));
  EXPECT_TRUE(v.verified) << dump(v);
  EXPECT_NE(find_check(v, "gpu[0].report_parse")->detail.find("1 trailing"), std::string::npos);
  EXPECT_NE(find_check(v, "gpu[0].versions")->detail.find("580.95.05"), std::string::npos);
}

TEST(NvidiaPayload, ExpectedNonceMismatchFails) {
  VEIL_REQUIRE_SHARED();
  std::string payload =
      test::read_shared_text("testdata/derived/nvidia_payload/nvidia_payload_h100_nvtrust_sample.json");
  Verdict v = verify_nvidia_payload(payload, options_at(kEvidenceTime, kCocoNonce));
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(status_of(v, "gpu.nonce"), CheckStatus::fail);
  // Without an expected nonce the check is skipped, never passed.
  Verdict skip = verify_nvidia_payload(payload, options_at(kEvidenceTime));
  EXPECT_TRUE(skip.verified) << dump(skip);
  EXPECT_EQ(status_of(skip, "gpu.nonce"), CheckStatus::skip);
}

TEST(NvidiaPayload, PayloadNonceMustEqualSpdmRequestNonce) {
  VEIL_REQUIRE_SHARED();
  std::string payload = make_payload(kCocoNonce, {nvtrust_sample()});
  Verdict v = verify_nvidia_payload(payload, options_at(kEvidenceTime, kCocoNonce));
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(status_of(v, "gpu.nonce"), CheckStatus::pass);
  EXPECT_EQ(status_of(v, "gpu[0].nonce"), CheckStatus::fail);
  EXPECT_EQ(status_of(v, "gpu[0].report_signature"), CheckStatus::pass);
}

TEST(NvidiaPayload, TrusteeChainCases) {
  VEIL_REQUIRE_SHARED();
  const std::string report = "testdata/trustee/nvidia/hopperAttestationReport.txt";
  auto run = [&](const char* chain) {
    return verify_nvidia_payload(make_payload(kSampleNonce, {load_hex_evidence(report, chain)}),
                                 options_at(kEvidenceTime, kSampleNonce));
  };
  Verdict c1 = run("testdata/trustee/nvidia/hopper_cert_chain_case1.txt");
  EXPECT_TRUE(c1.verified) << dump(c1);
  // case2: the root alone.
  Verdict c2 = run("testdata/trustee/nvidia/hopper_cert_chain_case2.txt");
  EXPECT_FALSE(c2.verified);
  EXPECT_EQ(status_of(c2, "gpu[0].certificate_chain"), CheckStatus::fail);
  EXPECT_EQ(status_of(c2, "gpu[0].report_signature"), CheckStatus::fail);
  // case3: the Provisioner ICA is missing.
  Verdict c3 = run("testdata/trustee/nvidia/hopper_cert_chain_case3.txt");
  EXPECT_FALSE(c3.verified);
  EXPECT_EQ(status_of(c3, "gpu[0].certificate_chain"), CheckStatus::fail);
  EXPECT_NE(find_check(c3, "gpu[0].certificate_chain")->detail.find("unable to get local issuer"),
            std::string::npos)
      << find_check(c3, "gpu[0].certificate_chain")->detail;
  EXPECT_EQ(status_of(c3, "gpu[0].report_signature"), CheckStatus::pass);
  // case4: the leaf is missing, so the report signature fails.
  Verdict c4 = run("testdata/trustee/nvidia/hopper_cert_chain_case4.txt");
  EXPECT_FALSE(c4.verified);
  EXPECT_EQ(status_of(c4, "gpu[0].report_signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(c4, "gpu[0].fwid"), CheckStatus::fail);
}

TEST(NvidiaPayload, EightGpuPayload) {
  VEIL_REQUIRE_SHARED();
  std::vector<EvidenceFiles> eight(8, nvtrust_sample());
  Verdict v =
      verify_nvidia_payload(make_payload(kSampleNonce, eight), options_at(kEvidenceTime, kSampleNonce));
  EXPECT_TRUE(v.verified) << dump(v);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(status_of(v, "gpu[" + std::to_string(i) + "].report_signature"), CheckStatus::pass);
  }
  // One bad entry among eight fails the whole payload, and names the entry.
  eight[5].report[37 + 100] ^= 0x01;
  Verdict bad =
      verify_nvidia_payload(make_payload(kSampleNonce, eight), options_at(kEvidenceTime, kSampleNonce));
  EXPECT_FALSE(bad.verified);
  EXPECT_EQ(status_of(bad, "gpu[5].report_signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(bad, "gpu[4].report_signature"), CheckStatus::pass);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_EQ(bad.error->rfind("gpu[5].report_signature", 0), 0u) << *bad.error;
}

// Flips one byte of the report at `offset` and returns the verdict.
Verdict with_report_flip(size_t offset) {
  EvidenceFiles f = nvtrust_sample();
  f.report[offset] ^= 0x5A;
  return verify_nvidia_payload(make_payload(kSampleNonce, {f}), options_at(kEvidenceTime, kSampleNonce));
}

TEST(NvidiaPayload, FlippedReportBytesFailWithTheReason) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = nvtrust_sample();
  auto r = parse_spdm_report(f.report);
  ASSERT_TRUE(r.ok());
  // A measurement value byte: only the signature can notice.
  Verdict m = with_report_flip(37 + 8 + 7 + 10);
  EXPECT_FALSE(m.verified);
  EXPECT_EQ(status_of(m, "gpu[0].report_signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(m, "gpu[0].fwid"), CheckStatus::pass);
  // The request nonce: signature and nonce.
  Verdict n = with_report_flip(4);
  EXPECT_EQ(status_of(n, "gpu[0].report_signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(n, "gpu[0].nonce"), CheckStatus::fail);
  // The signature itself.
  Verdict s = with_report_flip(r->signed_size + 20);
  EXPECT_EQ(status_of(s, "gpu[0].report_signature"), CheckStatus::fail);
  // The FWID in the opaque data: signature and FWID.
  size_t fwid_at = 0;
  for (size_t i = 0; i + 48 <= f.report.size(); ++i) {
    if (std::equal(r->fwid->begin(), r->fwid->end(), f.report.begin() + i)) fwid_at = i;
  }
  ASSERT_GT(fwid_at, 0u);
  Verdict w = with_report_flip(fwid_at + 3);
  EXPECT_EQ(status_of(w, "gpu[0].report_signature"), CheckStatus::fail);
  EXPECT_EQ(status_of(w, "gpu[0].fwid"), CheckStatus::fail);
  // Every byte of the signed region is covered (sampled every 97 bytes).
  for (size_t off = 0; off < r->signed_size; off += 97) {
    Verdict x = with_report_flip(off);
    EXPECT_FALSE(x.verified) << "offset " << off;
  }
}

TEST(NvidiaPayload, FlippedCertificateBytesFailTheChain) {
  VEIL_REQUIRE_SHARED();
  EvidenceFiles f = nvtrust_sample();
  auto certs = parse_pem_chain(f.chain_pem);
  ASSERT_TRUE(certs.ok());
  // Flip a byte inside each certificate's signed part (its public key), re-encode.
  for (size_t which = 1; which + 1 < certs->size(); ++which) {
    std::string pem;
    for (size_t i = 0; i < certs->size(); ++i) {
      Bytes der = to_der((*certs)[i].get());
      if (i == which) der[der.size() / 2] ^= 0x01;
      auto c = parse_der_certificate(der);
      if (!c) {  // the flip broke the DER itself: also a clear failure
        pem.clear();
        break;
      }
      pem += to_pem(c->get());
    }
    if (pem.empty()) continue;
    EvidenceFiles g = f;
    g.chain_pem = pem;
    Verdict v =
        verify_nvidia_payload(make_payload(kSampleNonce, {g}), options_at(kEvidenceTime, kSampleNonce));
    EXPECT_FALSE(v.verified) << "certificate " << which;
    EXPECT_EQ(status_of(v, "gpu[0].certificate_chain"), CheckStatus::fail) << "certificate " << which;
  }
  // A flipped byte in the leaf's FWID extension: the chain (leaf signature) and FWID fail.
  Bytes leaf = to_der((*certs)[0].get());
  Bytes fwid = hex_decode(kSampleFwid).value();
  auto it = std::search(leaf.begin(), leaf.end(), fwid.begin(), fwid.end());
  ASSERT_NE(it, leaf.end());
  *(it + 5) ^= 0x01;
  auto bad_leaf = parse_der_certificate(leaf);
  ASSERT_TRUE(bad_leaf.ok());
  std::string pem = to_pem(bad_leaf->get());
  for (size_t i = 1; i < certs->size(); ++i) pem += to_pem((*certs)[i].get());
  EvidenceFiles g = f;
  g.chain_pem = pem;
  Verdict v = verify_nvidia_payload(make_payload(kSampleNonce, {g}), options_at(kEvidenceTime, kSampleNonce));
  EXPECT_EQ(status_of(v, "gpu[0].certificate_chain"), CheckStatus::fail);
  EXPECT_NE(find_check(v, "gpu[0].certificate_chain")->detail.find("signature failure"), std::string::npos)
      << find_check(v, "gpu[0].certificate_chain")->detail;
  EXPECT_EQ(status_of(v, "gpu[0].fwid"), CheckStatus::fail);
  // Trust anchor: a different root (the RIM root) is not the device root.
  GpuVerifyOptions other = options_at(kEvidenceTime, kSampleNonce);
  other.device_root_pem_override = test::read_shared_text("testdata/nvtrust/certs/verifier_RIM_root.pem");
  Verdict r = verify_nvidia_payload(make_payload(kSampleNonce, {f}), other);
  EXPECT_EQ(status_of(r, "gpu[0].certificate_chain"), CheckStatus::fail);
}

TEST(NvidiaPayload, ValidityIsJudgedAtNow) {
  VEIL_REQUIRE_SHARED();
  // The GH100 Provisioner ICA starts 2022-03-01: at 2021-06-01 the chain is not yet valid.
  Verdict v = verify_nvidia_payload(make_payload(kSampleNonce, {nvtrust_sample()}),
                                    options_at(1622505600, kSampleNonce));
  EXPECT_FALSE(v.verified);
  EXPECT_NE(find_check(v, "gpu[0].certificate_chain")->detail.find("not yet valid"), std::string::npos)
      << find_check(v, "gpu[0].certificate_chain")->detail;
}

TEST(NvidiaPayload, MalformedPayloadsFailCleanly) {
  for (const char* p :
       {"", "{", "[]", "{\"nonce\":\"00\"}", "{\"evidence_list\":[]}",
        "{\"nonce\":\""
        "0000000000000000000000000000000000000000000000000000000000000000"
        "\",\"evidence_list\":[{\"certificate\":\"!!\",\"evidence\":\"AA==\",\"arch\":\"HOPPER\"}]}",
        "{\"evidence_list\":[1,2],\"arch\":\"AMPERE\"}"}) {
    Verdict v = verify_nvidia_payload(p, options_at(kEvidenceTime));
    EXPECT_FALSE(v.verified) << p;
    EXPECT_TRUE(v.error.has_value()) << p;
  }
}

TEST(NvidiaPayload, ArchMustMatchTheFwidExtension) {
  VEIL_REQUIRE_SHARED();
  // A Hopper leaf read as Blackwell has no 2.23.133.5.4.1.1 extension.
  Verdict v = verify_nvidia_payload(make_payload(kSampleNonce, {nvtrust_sample()}, "BLACKWELL"),
                                    options_at(kEvidenceTime, kSampleNonce));
  EXPECT_FALSE(v.verified);
  EXPECT_EQ(status_of(v, "gpu[0].fwid"), CheckStatus::fail);
}

}  // namespace
}  // namespace veil::attest::nvidia

namespace veil::attest::nvidia {
namespace {

// root -> leaf where the leaf carries one extra critical extension `oid`.
std::vector<UniqueX509> chain_with_critical_extension(const char* oid) {
  UniquePkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  auto make = [&](const char* cn, X509* issuer, const char* ext_oid) {
    UniqueX509 c(X509_new());
    X509_set_version(c.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c.get()), issuer ? 2 : 1);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(c.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(c.get()));
    time_t nb = 1700000000;
    X509_time_adj_ex(X509_getm_notBefore(c.get()), 0, 0, &nb);
    X509_time_adj_ex(X509_getm_notAfter(c.get()), 365, 0, &nb);
    X509_set_pubkey(c.get(), key.get());
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : c.get(), c.get(), nullptr, nullptr, 0);
    X509_EXTENSION* bc = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints,
                                             issuer ? "critical,CA:FALSE" : "critical,CA:TRUE");
    X509_add_ext(c.get(), bc, -1);
    X509_EXTENSION_free(bc);
    if (ext_oid) {
      ASN1_OBJECT* obj = OBJ_txt2obj(ext_oid, 1);
      ASN1_OCTET_STRING* oct = ASN1_OCTET_STRING_new();
      const unsigned char v[] = {0x30, 0x00};
      ASN1_OCTET_STRING_set(oct, v, 2);
      X509_EXTENSION* e = X509_EXTENSION_create_by_OBJ(nullptr, obj, 1, oct);
      X509_add_ext(c.get(), e, -1);
      X509_EXTENSION_free(e);
      ASN1_OCTET_STRING_free(oct);
      ASN1_OBJECT_free(obj);
    }
    X509_sign(c.get(), key.get(), EVP_sha384());
    return c;
  };
  std::vector<UniqueX509> chain;
  UniqueX509 root = make("root", nullptr, nullptr);
  chain.push_back(make("leaf", root.get(), oid));
  chain.push_back(std::move(root));
  return chain;
}

TEST(NvidiaChain, OnlyDiceCriticalExtensionsAreTolerated) {
  auto dice = chain_with_critical_extension("2.23.133.5.4.1.1");
  EXPECT_TRUE(verify_chain_to_root(dice, dice[1].get(), 1700000100).ok());
  auto other = chain_with_critical_extension("1.3.6.1.4.1.99999.1");
  Status st = verify_chain_to_root(other, other[1].get(), 1700000100);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("unhandled critical extension"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace veil::attest::nvidia
