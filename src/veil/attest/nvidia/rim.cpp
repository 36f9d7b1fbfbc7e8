#include "veil/attest/nvidia/rim.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/x509.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <cctype>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "veil/attest/nvidia/openssl_util.h"
#include "veil/attest/nvidia/trust_roots.h"
#include "veil/base/encoding.h"

namespace veil::attest::nvidia {

namespace {

constexpr size_t kMaxRimBytes = size_t(8) << 20;

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using UniqueDoc = std::unique_ptr<xmlDoc, DocFree>;
struct DsigCtxFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};

Error malformed(const std::string& what) { return make_error("rim.malformed", what); }

// libxml2 and xmlsec print diagnostics by default; Veil's logs stay content-free.
void silent_xml_error(void*, const char*, ...) {}
void silent_xmlsec_error(const char*, int, const char*, const char*, const char*, int, const char*) {}

bool init_xmlsec() {
  static bool ok = [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, silent_xml_error);
    xmlSecErrorsSetCallback(silent_xmlsec_error);
    if (xmlSecInit() < 0) return false;
    if (xmlSecCheckVersion() != 1) return false;
    if (xmlSecCryptoAppInit(nullptr) < 0) return false;
    if (xmlSecCryptoInit() < 0) return false;
    return true;
  }();
  return ok;
}

std::mutex& xmlsec_init_mutex() {
  static std::mutex m;
  return m;
}

bool name_is(const xmlNode* n, const char* local) {
  return n->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(n->name), local) == 0;
}

std::string attr(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a; a = a->next) {
    if (std::strcmp(reinterpret_cast<const char*>(a->name), name) == 0) {
      xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
      std::string s = v ? reinterpret_cast<const char*>(v) : "";
      xmlFree(v);
      return s;
    }
  }
  return {};
}

bool has_attr(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a; a = a->next)
    if (std::strcmp(reinterpret_cast<const char*>(a->name), name) == 0) return true;
  return false;
}

std::string text_of(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = v ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

template <typename F>
void for_each_element(xmlNode* n, const F& f, int depth = 0) {
  if (depth > 64) return;  // SWID tags are shallow; bounds recursion on hostile input
  for (xmlNode* c = n; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    f(c);
    for_each_element(c->children, f, depth + 1);
  }
}

Result<uint32_t> parse_u32(const std::string& s) {
  if (s.empty() || s.size() > 9) return malformed("bad integer attribute");
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return malformed("bad integer attribute");
    v = v * 10 + uint32_t(c - '0');
  }
  return v;
}

Result<UniqueDoc> parse_document(std::string_view xml) {
  if (xml.size() > kMaxRimBytes) return malformed("RIM larger than 8 MiB");
  // No network, no DTD loading, no entity substitution.
  xmlDoc* d = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "rim.swidtag", nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (!d) return malformed("not well-formed XML");
  UniqueDoc doc(d);
  if (doc->intSubset || doc->extSubset) return malformed("DOCTYPE not allowed in a RIM");
  if (!xmlDocGetRootElement(doc.get())) return malformed("no root element");
  return doc;
}

Result<Rim> extract(xmlDoc* doc) {
  Rim rim;
  xmlNode* root = xmlDocGetRootElement(doc);
  if (!name_is(root, "SoftwareIdentity")) return malformed("root element is not SoftwareIdentity");
  rim.tag_id = attr(root, "tagId");
  rim.name = attr(root, "name");
  Status st = ok_status();
  for_each_element(root, [&](xmlNode* n) {
    if (!st.ok()) return;
    if (name_is(n, "Meta") && has_attr(n, "colloquialVersion"))
      rim.colloquial_version = attr(n, "colloquialVersion");
    if (!name_is(n, "Resource") || attr(n, "type") != "Measurement") return;
    RimMeasurement m;
    auto idx = parse_u32(attr(n, "index"));
    auto alts = parse_u32(attr(n, "alternatives"));
    if (!idx || !alts || *alts > 64) {
      st = malformed("Resource index/alternatives invalid");
      return;
    }
    m.index = *idx;
    std::string active = attr(n, "active");
    m.active = active == "True" || active == "true";
    for (uint32_t k = 0; k < *alts; ++k) {
      std::string name = "Hash" + std::to_string(k);
      auto h = hex_decode(attr(n, name.c_str()));
      if (!h || h->size() != 48) {
        st = malformed("Resource " + std::to_string(m.index) + " " + name + " is not a SHA-384 hex digest");
        return;
      }
      m.alternatives.push_back(std::move(*h));
    }
    rim.measurements.push_back(std::move(m));
  });
  if (!st.ok()) return st.error();
  if (rim.measurements.empty()) return malformed("no Measurement resources");
  return rim;
}

std::string one_line_subject(X509* cert) {
  char* s = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  std::string out = s ? s : "?";
  OPENSSL_free(s);
  return out;
}

}  // namespace

Result<Rim> parse_rim_unverified(std::string_view xml) {
  VEIL_ASSIGN_OR_RETURN(UniqueDoc doc, parse_document(xml));
  return extract(doc.get());
}

Result<Rim> verify_rim(std::string_view xml, int64_t now, X509* root) {
  {
    std::lock_guard<std::mutex> lock(xmlsec_init_mutex());
    if (!init_xmlsec()) return make_error("rim.signature", "libxmlsec1 initialisation failed");
  }
  if (!root) root = nvidia_rim_root_ca();
  if (!root) return make_error("rim.chain", "pinned RIM root unavailable");
  VEIL_ASSIGN_OR_RETURN(UniqueDoc doc, parse_document(xml));
  xmlNode* top = xmlDocGetRootElement(doc.get());

  // The enveloped signature: a ds:Signature child of the root element.
  xmlNode* sig = nullptr;
  for (xmlNode* c = top->children; c; c = c->next) {
    if (name_is(c, "Signature") && c->ns && xmlStrEqual(c->ns->href, xmlSecDSigNs)) {
      if (sig) return malformed("more than one Signature");
      sig = c;
    }
  }
  if (!sig) return malformed("no enveloped ds:Signature");

  // Signer chain from KeyInfo, leaf first.
  std::vector<UniqueX509> chain;
  Status st = ok_status();
  for_each_element(sig->children, [&](xmlNode* n) {
    if (!st.ok() || !name_is(n, "X509Certificate")) return;
    auto der = base64_decode(text_of(n));
    if (!der) {
      st = malformed("X509Certificate is not base64");
      return;
    }
    auto cert = parse_der_certificate(*der);
    if (!cert) {
      st = malformed("X509Certificate does not parse");
      return;
    }
    chain.push_back(std::move(*cert));
  });
  if (!st.ok()) return st.error();
  if (chain.empty()) return malformed("KeyInfo has no X509Certificate");
  Status chain_st = verify_chain_to_root(chain, root, now);
  if (!chain_st.ok()) return make_error("rim.chain", "RIM signer chain: " + chain_st.error().message);

  // XMLDSig with exactly the verified leaf key.
  EVP_PKEY* pkey = X509_get0_pubkey(chain[0].get());
  if (!pkey || EVP_PKEY_up_ref(pkey) != 1) return make_error("rim.signature", "leaf key unavailable");
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
  if (!data) {
    EVP_PKEY_free(pkey);
    return make_error("rim.signature", "leaf key not usable by xmlsec");
  }
  xmlSecKeyPtr key = xmlSecKeyCreate();
  if (!key || xmlSecKeySetValue(key, data) < 0) {
    if (key) xmlSecKeyDestroy(key);
    xmlSecKeyDataDestroy(data);
    return make_error("rim.signature", "cannot build xmlsec key");
  }
  std::unique_ptr<xmlSecDSigCtx, DsigCtxFree> ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) {
    xmlSecKeyDestroy(key);
    return make_error("rim.signature", "cannot create XMLDSig context");
  }
  ctx->signKey = key;  // owned by ctx; KeyInfo is then not used to find a key
  // Only same-document references ("" / "#id"): no external fetches.
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
  if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0)
    return make_error("rim.signature", "XMLDSig processing failed");
  if (ctx->status != xmlSecDSigStatusSucceeded)
    return make_error("rim.signature", "XMLDSig signature does not verify");
  // The one reference must be the whole document, so what we read is signed.
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) {
    return make_error("rim.signature", "signature must have exactly one Reference");
  }
  auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!ref || ref->status != xmlSecDSigStatusSucceeded || !ref->uri || ref->uri[0] != '\0') {
    return make_error("rim.signature", "signature Reference does not cover the whole document");
  }

  VEIL_ASSIGN_OR_RETURN(Rim rim, extract(doc.get()));
  rim.signer_subject = one_line_subject(chain[0].get());
  return rim;
}

RimKind rim_kind(const Rim& rim) {
  const std::string& v = rim.colloquial_version;
  if (v.size() != 14) return RimKind::driver;
  for (size_t i = 0; i < v.size(); ++i) {
    const bool dot = i % 3 == 2;
    if (dot ? v[i] != '.' : !std::isxdigit(static_cast<unsigned char>(v[i]))) return RimKind::driver;
  }
  return RimKind::vbios;
}

const char* to_string(RimKind k) { return k == RimKind::vbios ? "VBIOS" : "driver"; }

bool rim_version_matches(const Rim& rim, std::string_view report_version) {
  const std::string& v = rim.colloquial_version;
  if (v.empty() || v.size() != report_version.size()) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(v[i])) !=
        std::tolower(static_cast<unsigned char>(report_version[i])))
      return false;
  }
  return true;
}

std::string nvidia_driver_rim_id(const SpdmReport& report) {
  return report.driver_version ? "NV_GPU_DRIVER_GH100_" + *report.driver_version : std::string();
}

std::string nvidia_vbios_rim_id(const SpdmReport& report) {
  if (!report.vbios_version || !report.project || !report.project_sku || !report.chip_sku) return {};
  std::string v;
  for (char c : *report.vbios_version)
    if (c != '.') v.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  auto upper = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
  };
  return "NV_GPU_VBIOS_" + upper(*report.project) + "_" + upper(*report.project_sku) + "_" +
         upper(*report.chip_sku) + "_" + v;
}

Result<RimComparison> compare_rims(const std::vector<Rim>& rims, const SpdmReport& report) {
  std::map<uint32_t, const RimMeasurement*> golden;
  for (const auto& rim : rims) {
    for (const auto& m : rim.measurements) {
      if (!m.active) continue;
      if (!golden.emplace(m.index, &m).second) {
        return make_error("rim.conflict", "two RIMs give measurement index " + std::to_string(m.index));
      }
    }
  }
  RimComparison out;
  for (const auto& [index, m] : golden) {
    ++out.compared;
    const MeasurementBlock* b = index < 255 ? report.find_block(static_cast<uint8_t>(index + 1)) : nullptr;
    if (!b) {
      out.missing.push_back(index + 1);
      continue;
    }
    bool match = false;
    for (const auto& alt : m->alternatives) match = match || alt == b->value;
    if (!match) out.mismatched.push_back(index + 1);
  }
  return out;
}

}  // namespace veil::attest::nvidia
