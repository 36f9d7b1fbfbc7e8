#include "veil/attest/collateral.h"

#include <boost/json.hpp>
#include <filesystem>

#include "veil/attest/dcap/tcb_info.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"

namespace veil::attest {
namespace json = boost::json;
namespace {

Error bad_json(const std::string& what) { return make_error("collateral.bad_json", what); }

Result<std::string> get_str(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  if (!v || !v->is_string()) return bad_json(std::string("field '") + k + "' missing or not a string");
  return std::string(v->as_string());
}

// A CRL field: hex DER in dcap-qvl bundles; PEM accepted too.
Result<Bytes> crl_field(const json::object& o, const char* k) {
  VEIL_ASSIGN_OR_RETURN(std::string s, get_str(o, k));
  if (s.find("-----BEGIN") != std::string::npos) return to_bytes(s);
  auto b = hex_decode(s);
  if (!b.ok()) return bad_json(std::string("field '") + k + "' is not hex");
  return *b;
}

Result<Bytes> sig_field(std::string_view hex, const char* what) {
  auto b = hex_decode(hex);
  if (!b.ok() || b->size() != 64) return bad_json(std::string(what) + " is not 64 bytes of hex");
  return *b;
}

std::string fmspc_hex(const std::array<uint8_t, 6>& f) { return hex_encode(f); }

class BundleSource : public CollateralSource {
 public:
  explicit BundleSource(std::string path) : path_(std::move(path)) {}
  Result<Collateral> get(const std::array<uint8_t, 6>& fmspc, PckCaType, bool) override {
    VEIL_ASSIGN_OR_RETURN(std::string text, read_text_file(path_, 4 << 20));
    VEIL_ASSIGN_OR_RETURN(Collateral c, collateral_from_dcap_qvl_json(text));
    auto info = dcap::parse_tcb_info(c.tcb_info);
    if (info.ok() && info->fmspc != fmspc) {
      return make_error("collateral.not_found",
                        "bundle covers FMSPC " + fmspc_hex(info->fmspc) + ", not " + fmspc_hex(fmspc));
    }
    return c;
  }

 private:
  std::string path_;
};

class PcsDirectorySource : public CollateralSource {
 public:
  explicit PcsDirectorySource(std::string dir) : dir_(std::move(dir)) {}
  Result<Collateral> get(const std::array<uint8_t, 6>& fmspc, PckCaType ca, bool) override {
    namespace fs = std::filesystem;
    auto path = [&](const std::string& name) { return (fs::path(dir_) / name).string(); };
    auto read_text = [&](const std::string& name) -> Result<std::string> {
      auto r = read_text_file(path(name), 4 << 20);
      if (!r.ok()) return make_error("collateral.not_found", "missing " + name);
      return r;
    };
    PcsResponses r;
    const std::string f = fmspc_hex(fmspc);
    // PCS spells FMSPC in either case in file names we record; try both.
    auto tcb = read_text("tcb_info_" + f + ".json");
    std::string tcb_name = "tcb_info_" + f;
    if (!tcb.ok()) {
      std::string upper = f;
      for (auto& ch : upper) ch = char(std::toupper(uint8_t(ch)));
      tcb = read_text("tcb_info_" + upper + ".json");
      tcb_name = "tcb_info_" + upper;
    }
    if (!tcb.ok()) return tcb.error();
    r.tcb_info_body = std::move(*tcb);
    VEIL_ASSIGN_OR_RETURN(r.tcb_info_issuer_chain, read_text(tcb_name + "_chain.txt"));
    VEIL_ASSIGN_OR_RETURN(r.qe_identity_body, read_text("qe_identity.json"));
    VEIL_ASSIGN_OR_RETURN(r.qe_identity_issuer_chain, read_text("qe_identity_chain.txt"));
    const std::string ca_name = to_string(ca);
    VEIL_ASSIGN_OR_RETURN(std::string crl, read_text("pck_crl_" + ca_name + ".crl"));
    r.pck_crl = to_bytes(crl);
    VEIL_ASSIGN_OR_RETURN(r.pck_crl_issuer_chain, read_text("pck_crl_" + ca_name + "_chain.txt"));
    VEIL_ASSIGN_OR_RETURN(std::string root, read_text("root_ca.crl"));
    r.root_ca_crl = to_bytes(root);
    return collateral_from_pcs(r);
  }

 private:
  std::string dir_;
};

Result<std::string> chain_header(std::string_view v) {
  if (v.find("-----BEGIN CERTIFICATE") != std::string_view::npos) return std::string(v);
  return url_decode(v);
}

}  // namespace

const char* to_string(PckCaType t) { return t == PckCaType::platform ? "platform" : "processor"; }

Result<Collateral> collateral_from_dcap_qvl_json(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad_json("collateral is not a JSON object");
  const json::object& o = v.as_object();
  Collateral c;
  VEIL_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, get_str(o, "pck_crl_issuer_chain"));
  VEIL_ASSIGN_OR_RETURN(c.root_ca_crl, crl_field(o, "root_ca_crl"));
  VEIL_ASSIGN_OR_RETURN(c.pck_crl, crl_field(o, "pck_crl"));
  VEIL_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, get_str(o, "tcb_info_issuer_chain"));
  VEIL_ASSIGN_OR_RETURN(c.tcb_info, get_str(o, "tcb_info"));
  VEIL_ASSIGN_OR_RETURN(std::string tsig, get_str(o, "tcb_info_signature"));
  VEIL_ASSIGN_OR_RETURN(c.tcb_info_signature, sig_field(tsig, "tcb_info_signature"));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, get_str(o, "qe_identity_issuer_chain"));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity, get_str(o, "qe_identity"));
  VEIL_ASSIGN_OR_RETURN(std::string qsig, get_str(o, "qe_identity_signature"));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity_signature, sig_field(qsig, "qe_identity_signature"));
  return c;
}

std::string collateral_to_dcap_qvl_json(const Collateral& c) {
  auto crl_text = [](const Bytes& b) {
    std::string_view s = as_chars(b);
    return s.find("-----BEGIN") != std::string_view::npos ? std::string(s) : hex_encode(b);
  };
  json::object o;
  o["pck_crl_issuer_chain"] = c.pck_crl_issuer_chain;
  o["root_ca_crl"] = crl_text(c.root_ca_crl);
  o["pck_crl"] = crl_text(c.pck_crl);
  o["tcb_info_issuer_chain"] = c.tcb_info_issuer_chain;
  o["tcb_info"] = c.tcb_info;
  o["tcb_info_signature"] = hex_encode(c.tcb_info_signature);
  o["qe_identity_issuer_chain"] = c.qe_identity_issuer_chain;
  o["qe_identity"] = c.qe_identity;
  o["qe_identity_signature"] = hex_encode(c.qe_identity_signature);
  return json::serialize(o);
}

Result<std::string> extract_signed_object(std::string_view doc, std::string_view key) {
  auto fail = [&](const std::string& why) {
    return make_error("collateral.bad_response", "'" + std::string(key) + "': " + why);
  };
  // Walk the top-level object: depth counts braces/brackets outside strings.
  int depth = 0;
  bool in_string = false;
  size_t string_start = 0;
  std::string_view last_string;
  for (size_t i = 0; i < doc.size(); ++i) {
    char c = doc[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
        last_string = doc.substr(string_start, i - string_start);
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        string_start = i + 1;
        break;
      case '{':
      case '[':
        ++depth;
        break;
      case '}':
      case ']':
        --depth;
        if (depth < 0) return fail("unbalanced document");
        break;
      case ':': {
        if (depth != 1 || last_string != key) break;
        size_t start = i + 1;
        while (start < doc.size() &&
               (doc[start] == ' ' || doc[start] == '\t' || doc[start] == '\r' || doc[start] == '\n'))
          ++start;
        if (start >= doc.size() || doc[start] != '{') return fail("value is not an object");
        int d = 0;
        bool s = false;
        for (size_t j = start; j < doc.size(); ++j) {
          char cj = doc[j];
          if (s) {
            if (cj == '\\') {
              ++j;
            } else if (cj == '"') {
              s = false;
            }
            continue;
          }
          if (cj == '"')
            s = true;
          else if (cj == '{' || cj == '[')
            ++d;
          else if (cj == '}' || cj == ']') {
            if (--d == 0) return std::string(doc.substr(start, j + 1 - start));
          }
        }
        return fail("unterminated object");
      }
      default:
        break;
    }
  }
  return fail("key not found");
}

Result<std::string> url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return make_error("collateral.bad_header", "truncated %-escape");
    auto b = hex_decode(s.substr(i + 1, 2));
    if (!b.ok()) return make_error("collateral.bad_header", "bad %-escape");
    out.push_back(char((*b)[0]));
    i += 2;
  }
  return out;
}

Result<Collateral> collateral_from_pcs(const PcsResponses& r) {
  Collateral c;
  VEIL_ASSIGN_OR_RETURN(c.tcb_info, extract_signed_object(r.tcb_info_body, "tcbInfo"));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity, extract_signed_object(r.qe_identity_body, "enclaveIdentity"));
  boost::system::error_code ec;
  json::value tv = json::parse(r.tcb_info_body, ec);
  if (ec || !tv.is_object()) return make_error("collateral.bad_response", "TCB info response is not JSON");
  VEIL_ASSIGN_OR_RETURN(std::string tsig, get_str(tv.as_object(), "signature"));
  VEIL_ASSIGN_OR_RETURN(c.tcb_info_signature, sig_field(tsig, "TCB info signature"));
  json::value qv = json::parse(r.qe_identity_body, ec);
  if (ec || !qv.is_object()) return make_error("collateral.bad_response", "QE identity response is not JSON");
  VEIL_ASSIGN_OR_RETURN(std::string qsig, get_str(qv.as_object(), "signature"));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity_signature, sig_field(qsig, "QE identity signature"));
  VEIL_ASSIGN_OR_RETURN(c.tcb_info_issuer_chain, chain_header(r.tcb_info_issuer_chain));
  VEIL_ASSIGN_OR_RETURN(c.qe_identity_issuer_chain, chain_header(r.qe_identity_issuer_chain));
  VEIL_ASSIGN_OR_RETURN(c.pck_crl_issuer_chain, chain_header(r.pck_crl_issuer_chain));
  c.pck_crl = r.pck_crl;
  c.root_ca_crl = r.root_ca_crl;
  return c;
}

std::unique_ptr<CollateralSource> make_file_collateral_source(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::make_unique<PcsDirectorySource>(path);
  return std::make_unique<BundleSource>(path);
}

}  // namespace veil::attest
