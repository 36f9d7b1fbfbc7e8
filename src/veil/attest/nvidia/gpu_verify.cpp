#include "veil/attest/nvidia/gpu_verify.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <boost/json.hpp>
#include <cctype>

#include "veil/attest/nvidia/fwid.h"
#include "veil/attest/nvidia/openssl_util.h"
#include "veil/attest/nvidia/rim.h"
#include "veil/attest/nvidia/spdm.h"
#include "veil/attest/nvidia/trust_roots.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"

namespace veil::attest::nvidia {

namespace {

constexpr size_t kMaxPayloadBytes = size_t(16) << 20;
constexpr size_t kMaxEvidenceEntries = 64;

// The decoded inputs of one evidence entry.
struct EvidenceEntry {
  std::string chain_pem;
  Bytes report;
  GpuArch arch = GpuArch::hopper;
};

// A RIM that verified, with where it came from and whether a GPU used it.
struct LoadedRim {
  std::string label;  // file path or "rim document N"
  Rim rim;
  RimKind kind = RimKind::driver;
  bool used = false;
};

// Trust anchors in force for one verification.
struct Anchors {
  X509* device_root = nullptr;     // NVIDIA Device Identity CA (or test override)
  X509* simulated_root = nullptr;  // only with allow_simulated
};

bool looks_like_hex_report(std::string_view s) {
  if (s.size() < 8 || s.size() % 2 != 0) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  // SPDM 1.x GET_MEASUREMENTS: "1?e0".
  return s[0] == '1' && (s[2] == 'e' || s[2] == 'E') && s[3] == '0';
}

Result<Bytes> decode_report(std::string_view s) {
  if (looks_like_hex_report(s)) return hex_decode(s);
  return base64_decode(s);
}

Result<std::string> decode_chain(std::string_view s) {
  if (s.substr(0, 10) == "-----BEGIN") return std::string(s);
  VEIL_ASSIGN_OR_RETURN(Bytes pem, base64_decode(s));
  return veil::to_string(pem);
}

std::string subject_cn(X509* cert) {
  char buf[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("?");
}

// Verifies one evidence entry; checks are named prefix + "x".
void verify_entry(const EvidenceEntry& e, const std::string& prefix,
                  const std::optional<std::array<uint8_t, 32>>& payload_nonce, const Anchors& anchors,
                  int64_t now, std::vector<LoadedRim>* rims, Verdict& v) {
  // Certificates first: the leaf key's size fixes the signature length.
  auto chain = parse_pem_chain(e.chain_pem);
  if (!chain) {
    v.fail(prefix + "certificate_chain", chain.error().message);
  }
  X509* leaf = chain ? (*chain)[0].get() : nullptr;
  EVP_PKEY* leaf_key = leaf ? X509_get0_pubkey(leaf) : nullptr;

  auto report = parse_spdm_report(e.report, kP384SignatureSize);
  if (!report) {
    v.fail(prefix + "report_parse", report.error().message);
    return;
  }
  {
    std::string d = "SPDM 1." + std::to_string(report->version & 0x0F) + ", " +
                    std::to_string(report->blocks.size()) + " measurement blocks";
    if (report->trailing_bytes)
      d += ", " + std::to_string(report->trailing_bytes) + " trailing bytes ignored";
    v.pass(prefix + "report_parse", d);
  }

  // --- certificate chain to the pinned root (or the simulated one)
  if (chain) {
    if (chain->size() < 2) {
      v.fail(prefix + "certificate_chain", "chain has " + std::to_string(chain->size()) +
                                               " certificate; a device leaf and its issuers are required");
    } else if (X509_check_issued(leaf, leaf) == X509_V_OK) {
      v.fail(prefix + "certificate_chain", "first certificate is self-signed, not a device leaf");
    } else {
      Status st = anchors.device_root ? verify_chain_to_root(*chain, anchors.device_root, now)
                                      : Status(make_error("x509.chain", "pinned NVIDIA root unavailable"));
      if (st.ok()) {
        v.pass(prefix + "certificate_chain", std::to_string(chain->size()) + " certificates, leaf \"" +
                                                 subject_cn(leaf) + "\" -> NVIDIA Device Identity CA");
      } else if (anchors.simulated_root && verify_chain_to_root(*chain, anchors.simulated_root, now).ok()) {
        v.simulated = true;
        v.pass(prefix + "certificate_chain", "simulated device root (simulated, not a hardware TEE)");
      } else {
        v.fail(prefix + "certificate_chain",
               "does not verify to NVIDIA Device Identity CA: " + st.error().message);
      }
    }
  }

  // --- report signature: ECDSA P-384 / SHA-384 with the leaf key
  if (!leaf_key) {
    v.fail(prefix + "report_signature", "no leaf certificate key");
  } else if (ec_scalar_size(leaf_key) != 48) {
    v.fail(prefix + "report_signature", "leaf key is not ECDSA P-384");
  } else {
    bool ok = ecdsa_verify_raw(leaf_key, EVP_sha384(), spdm_signed_message(*report, e.report, false),
                               report->signature);
    bool prefixed = false;
    if (!ok && report->version >= 0x12) {
      prefixed = ecdsa_verify_raw(leaf_key, EVP_sha384(), spdm_signed_message(*report, e.report, true),
                                  report->signature);
      ok = prefixed;
    }
    if (ok) {
      v.pass(prefix + "report_signature", prefixed ? "ECDSA P-384 over the SPDM 1.2 signing context"
                                                   : "ECDSA P-384 / SHA-384 over request || response");
    } else {
      v.fail(prefix + "report_signature",
             "ECDSA P-384 signature over request || response does not verify with the leaf key");
    }
  }

  // --- FWID: leaf certificate vs the report's opaque FWID
  if (!leaf) {
    v.fail(prefix + "fwid", "no leaf certificate");
  } else if (!report->fwid && e.arch == GpuArch::nvswitch_ls10) {
    // LS10 switch reports have no FWID opaque field: nothing in the signed
    // report to compare the certificate's FWID with (the chain and the report
    // signature bind the device).
    auto cert_fwid = leaf_certificate_fwid(leaf, e.arch);
    v.skip(prefix + "fwid", "NVSwitch report has no FWID field to compare" +
                                (cert_fwid ? "; certificate FWID " + hex_encode(*cert_fwid) : std::string()));
  } else if (!report->fwid) {
    v.fail(prefix + "fwid", "report opaque data has no FWID");
  } else {
    auto cert_fwid = leaf_certificate_fwid(leaf, e.arch);
    if (!cert_fwid) {
      v.fail(prefix + "fwid", cert_fwid.error().message);
    } else if (*cert_fwid != *report->fwid) {
      v.fail(prefix + "fwid", "leaf certificate FWID " + hex_encode(*cert_fwid) + " != report FWID " +
                                  hex_encode(*report->fwid));
    } else {
      v.pass(prefix + "fwid",
             std::string(e.arch == GpuArch::blackwell ? "2.23.133.5.4.1.1 fwids[0]" : "2.23.133.5.4.1") +
                 " = " + hex_encode(*cert_fwid));
    }
  }

  // --- nonce: the SPDM request nonce is the payload nonce
  if (payload_nonce) {
    if (std::equal(payload_nonce->begin(), payload_nonce->end(), report->request_nonce.begin())) {
      v.pass(prefix + "nonce", "SPDM request nonce = payload nonce");
    } else {
      v.fail(prefix + "nonce",
             "SPDM request nonce " + hex_encode(report->request_nonce) + " != payload nonce");
    }
  } else {
    v.fail(prefix + "nonce", "payload has no nonce to compare with");
  }

  // --- versions from the opaque data
  if (e.arch == GpuArch::nvswitch_ls10) {
    // A switch runs no driver of its own: only its BIOS version is reported.
    if (report->vbios_version) {
      v.pass(prefix + "versions", "NVSwitch BIOS " + *report->vbios_version);
    } else {
      v.fail(prefix + "versions", "opaque data lacks the NVSwitch BIOS version");
    }
  } else if (report->driver_version && report->vbios_version) {
    v.pass(prefix + "versions", "driver " + *report->driver_version + ", VBIOS " + *report->vbios_version);
  } else {
    v.fail(prefix + "versions", "opaque data lacks the driver or VBIOS version");
  }

  v.skip(prefix + "revocation", "OCSP revocation cannot be checked offline");

  // --- reference measurements: each GPU's driver RIM and VBIOS RIM are the
  // supplied RIMs whose colloquialVersion equals the versions in its opaque
  // data (NVIDIA's verifier fetches them by exactly these versions).
  if (!rims) {
    v.skip(prefix + "rim_measurements", "no RIM given");
    return;
  }
  std::vector<Rim> selected;
  std::string used_labels;
  auto select = [&](RimKind kind, const std::optional<std::string>& version, const std::string& service_id) {
    const std::string check = prefix + (kind == RimKind::driver ? "rim_driver" : "rim_vbios");
    const char* what = to_string(kind);
    std::string offered;  // versions of the supplied RIMs of this kind
    LoadedRim* match = nullptr;
    for (auto& r : *rims) {
      if (r.kind != kind) continue;
      offered += (offered.empty() ? "" : ", ") + r.rim.colloquial_version + " (" + r.label + ")";
      if (version && rim_version_matches(r.rim, *version)) {
        r.used = true;  // duplicates of the same version count as used too
        if (!match) match = &r;
      }
    }
    const std::string fetch = service_id.empty() ? "" : "; NVIDIA RIM id " + service_id;
    if (offered.empty()) {
      v.skip(check, std::string("no ") + what + " RIM given" + fetch);
    } else if (!version) {
      v.fail(check, std::string("the report has no ") + what + " version to select a RIM by");
    } else if (!match) {
      v.fail(check, std::string("no ") + what + " RIM for this GPU's " + what + " " + *version +
                        " (given: " + offered + ")" + fetch);
    } else {
      v.pass(check, match->label + ": \"" + match->rim.name + "\" " + what + " RIM " +
                        match->rim.colloquial_version + " = the GPU's " + what + " version");
      selected.push_back(match->rim);
      used_labels += (used_labels.empty() ? "" : " and ") + match->label;
    }
  };
  if (e.arch == GpuArch::nvswitch_ls10) {
    v.skip(prefix + "rim_driver", "NVSwitch: no driver RIM applies");
    // nvtrust nvswitch_admin: NV_SWITCH_BIOS_<project>_<SKU>_<chip SKU>_<BIOS>,
    // with LS10's fixed 5612 / 0002 / 890 (the switch report does not carry them).
    std::string id;
    if (report->vbios_version) {
      id = "NV_SWITCH_BIOS_5612_0002_890_";
      for (char c : *report->vbios_version)
        if (c != '.') id.push_back(c);
    }
    select(RimKind::vbios, report->vbios_version, id);
  } else {
    select(RimKind::driver, report->driver_version, nvidia_driver_rim_id(*report));
    select(RimKind::vbios, report->vbios_version, nvidia_vbios_rim_id(*report));
  }

  if (selected.empty()) {
    v.skip(prefix + "rim_measurements", "no RIM matches this GPU's driver/VBIOS versions: not compared");
    return;
  }
  auto cmp = compare_rims(selected, *report);
  if (!cmp) {
    v.fail(prefix + "rim_measurements", cmp.error().message);
  } else if (!cmp->mismatched.empty() || !cmp->missing.empty()) {
    std::string d = std::to_string(cmp->mismatched.size()) + " of " + std::to_string(cmp->compared) +
                    " measurements differ from " + used_labels + " (indices";
    for (size_t i = 0; i < cmp->mismatched.size() && i < 8; ++i)
      d += " " + std::to_string(cmp->mismatched[i]);
    if (cmp->mismatched.size() > 8) d += " ...";
    d += ")";
    if (!cmp->missing.empty()) d += ", " + std::to_string(cmp->missing.size()) + " missing from the report";
    v.fail(prefix + "rim_measurements", d);
  } else {
    v.pass(prefix + "rim_measurements",
           std::to_string(cmp->compared) + " measurements equal the golden values of " + used_labels);
  }
}

}  // namespace

Verdict verify_nvidia_payload(std::string_view payload_json, const GpuVerifyOptions& options) {
  Verdict v;
  auto finish = [&v]() {
    v.verified = !v.any_failed();
    return v;
  };
  if (payload_json.empty()) {
    v.fail("gpu.payload", "empty nvidia_payload");
    return finish();
  }
  if (payload_json.size() > kMaxPayloadBytes) {
    v.fail("gpu.payload", "nvidia_payload larger than 16 MiB");
    return finish();
  }
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(payload_json, ec);
  if (!ec && doc.is_array()) {
    // nvtrust's PPCIe evidence form (gpu_evidence.json, switch_evidence.json):
    // a bare list of {arch, certificate, evidence, nonce}; every entry must
    // carry the same nonce, which becomes the payload nonce.
    const auto& list = doc.as_array();
    const boost::json::value* first =
        list.empty() || !list[0].is_object() ? nullptr : list[0].as_object().if_contains("nonce");
    if (first == nullptr) {
      v.fail("gpu.payload", "evidence list: empty, or its first entry has no \"nonce\"");
      return finish();
    }
    for (const auto& item : list) {
      const boost::json::value* n = item.is_object() ? item.as_object().if_contains("nonce") : nullptr;
      if (!n || *n != *first) {
        v.fail("gpu.payload", "evidence list: every entry needs the same \"nonce\"");
        return finish();
      }
    }
    doc = boost::json::object{{"nonce", *first}, {"evidence_list", list}};
  }
  if (ec || !doc.is_object()) {
    v.fail("gpu.payload", "not a JSON object");
    return finish();
  }
  const auto& obj = doc.as_object();

  // --- payload nonce
  std::optional<std::array<uint8_t, 32>> payload_nonce;
  if (auto* n = obj.if_contains("nonce"); n && n->is_string()) {
    auto bytes = hex_decode(std::string_view(n->as_string()));
    if (bytes && bytes->size() == 32) {
      payload_nonce.emplace();
      std::copy(bytes->begin(), bytes->end(), payload_nonce->begin());
    }
  }
  if (!payload_nonce) {
    v.fail("gpu.nonce", "payload \"nonce\" is not 64 hex digits");
  } else if (!options.expected_nonce) {
    v.skip("gpu.nonce",
           "no expected nonce given; payload nonce " + hex_encode(*payload_nonce) + " not checked");
  } else if (*options.expected_nonce == *payload_nonce) {
    v.pass("gpu.nonce", "payload nonce = expected nonce");
  } else {
    v.fail("gpu.nonce", "payload nonce " + hex_encode(*payload_nonce) + " != expected nonce");
  }

  // --- evidence list
  const auto* list = obj.if_contains("evidence_list");
  if (!list || !list->is_array() || list->as_array().empty()) {
    v.fail("gpu.payload", "\"evidence_list\" missing or empty");
    return finish();
  }
  const auto& arr = list->as_array();
  if (arr.size() > kMaxEvidenceEntries) {
    v.fail("gpu.payload", "more than 64 evidence entries");
    return finish();
  }
  std::optional<GpuArch> top_arch;
  if (auto* a = obj.if_contains("arch"); a && a->is_string()) {
    auto parsed = parse_gpu_arch(std::string_view(a->as_string()));
    if (!parsed) {
      v.fail("gpu.payload", "payload \"arch\": " + parsed.error().message);
      return finish();
    }
    top_arch = *parsed;
  }
  v.pass("gpu.payload", std::to_string(arr.size()) + " evidence entr" + (arr.size() == 1 ? "y" : "ies"));

  // --- trust anchors
  Anchors anchors;
  std::vector<UniqueX509> owned;
  if (options.device_root_pem_override) {
    auto r = parse_pem_chain(*options.device_root_pem_override);
    if (r && !r->empty()) {
      anchors.device_root = (*r)[0].get();
      owned.push_back(std::move((*r)[0]));
    }
  } else {
    anchors.device_root = nvidia_device_identity_ca();
  }
  if (options.allow_simulated) {
    std::optional<std::string> pem = options.simulated_root_pem;
    if (!pem) {
      if (auto* s = obj.if_contains("veil_simulated_root"); s && s->is_string())
        pem = std::string(s->as_string());
    }
    if (pem) {
      auto r = parse_pem_chain(*pem);
      if (r && r->size() == 1) {
        anchors.simulated_root = (*r)[0].get();
        owned.push_back(std::move((*r)[0]));
      } else {
        v.fail("gpu.simulated_root", "simulated root PEM does not parse");
      }
    }
  }

  // --- RIMs (verified once, used for every GPU)
  std::vector<LoadedRim> rims;
  bool have_rims =
      !options.rim_files.empty() || !options.rim_documents.empty() || !options.verified_rims.empty();
  for (size_t i = 0; i < options.verified_rims.size(); ++i) {
    const Rim& r = options.verified_rims[i];
    rims.push_back(LoadedRim{"verified RIM " + std::to_string(i), r, rim_kind(r), false});
  }
  if (have_rims) {
    X509* rim_root = nvidia_rim_root_ca();
    if (options.rim_root_pem_override) {
      auto r = parse_pem_chain(*options.rim_root_pem_override);
      rim_root = nullptr;
      if (r && !r->empty()) {
        rim_root = (*r)[0].get();
        owned.push_back(std::move((*r)[0]));
      }
    }
    std::vector<std::pair<std::string, std::string>> docs;  // label, xml
    for (const auto& path : options.rim_files) {
      auto text = read_text_file(path, size_t(8) << 20);
      if (!text) {
        v.fail("gpu.rim", "cannot read RIM file: " + text.error().message);
        continue;
      }
      docs.emplace_back(path, std::move(*text));
    }
    for (size_t i = 0; i < options.rim_documents.size(); ++i) {
      docs.emplace_back("rim document " + std::to_string(i), options.rim_documents[i]);
    }
    for (const auto& [label, xml] : docs) {
      auto rim = verify_rim(xml, options.now, rim_root);
      if (!rim) {
        v.fail("gpu.rim", rim.error().message);
        continue;
      }
      const RimKind kind = rim_kind(*rim);
      v.pass("gpu.rim", label + ": \"" + rim->name + "\" " + to_string(kind) + " RIM " +
                            rim->colloquial_version + " signed by \"" + rim->signer_subject +
                            "\" -> NVIDIA CoRIM signing Root CA");
      rims.push_back(LoadedRim{label, std::move(*rim), kind, false});
    }
    v.skip("gpu.rim_revocation", "OCSP revocation of RIM signers cannot be checked offline");
  }

  for (size_t i = 0; i < arr.size(); ++i) {
    std::string prefix = "gpu[" + std::to_string(i) + "].";
    const auto& item = arr[i];
    if (!item.is_object()) {
      v.fail(prefix + "evidence", "entry is not an object");
      continue;
    }
    const auto& o = item.as_object();
    const auto* cert = o.if_contains("certificate");
    const auto* ev = o.if_contains("evidence");
    if (!cert || !cert->is_string() || !ev || !ev->is_string()) {
      v.fail(prefix + "evidence", "entry lacks \"certificate\" or \"evidence\" strings");
      continue;
    }
    EvidenceEntry entry;
    auto pem = decode_chain(std::string_view(cert->as_string()));
    auto rep = decode_report(std::string_view(ev->as_string()));
    if (!pem || !rep) {
      v.fail(prefix + "evidence", "\"certificate\" or \"evidence\" is not valid base64");
      continue;
    }
    entry.chain_pem = std::move(*pem);
    entry.report = std::move(*rep);
    std::optional<GpuArch> arch = top_arch;
    if (auto* a = o.if_contains("arch"); a && a->is_string()) {
      auto parsed = parse_gpu_arch(std::string_view(a->as_string()));
      if (!parsed) {
        v.fail(prefix + "evidence", parsed.error().message);
        continue;
      }
      arch = *parsed;
    }
    if (!arch) {
      v.fail(prefix + "evidence", "no \"arch\" for this entry");
      continue;
    }
    entry.arch = *arch;
    verify_entry(entry, prefix, payload_nonce, anchors, options.now, have_rims ? &rims : nullptr, v);
  }
  // A RIM no GPU's versions selected is reported, not silently ignored (a GPU
  // lacking its RIM already failed its own rim_driver/rim_vbios check).
  for (const auto& r : rims) {
    if (!r.used) {
      v.skip("gpu.rim_unused", r.label + ": " + to_string(r.kind) + " RIM " + r.rim.colloquial_version +
                                   " matches no GPU in the payload; not used");
    }
  }
  return finish();
}

}  // namespace veil::attest::nvidia
