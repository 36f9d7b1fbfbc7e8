#include "veil/cli/pcs_fetcher.h"

#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "veil/attest/dcap/tcb_info.h"
#include "veil/attest/dcap/x509.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"
#include "veil/net/http_client.h"

namespace veil::cli {
namespace {

std::string strip_base(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  for (const char* suffix : {"/sgx/certification/v4", "/tdx/certification/v4"}) {
    std::string s(suffix);
    if (base.size() >= s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0) {
      base.erase(base.size() - s.size());
    }
  }
  return base;
}

// Earliest time at which any piece of this collateral must be refreshed.
int64_t earliest_next_update(const attest::Collateral& c) {
  int64_t t = INT64_MAX;
  if (auto i = attest::dcap::parse_tcb_info(c.tcb_info); i.ok()) t = std::min(t, i->next_update);
  if (auto q = attest::dcap::parse_qe_identity(c.qe_identity); q.ok()) t = std::min(t, q->next_update);
  for (const Bytes* crl : {&c.pck_crl, &c.root_ca_crl}) {
    auto parsed = attest::dcap::parse_crl(*crl);
    if (parsed.ok()) {
      if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(parsed->get())) {
        t = std::min(t, attest::dcap::asn1_time_to_unix(next));
      }
    }
  }
  return t == INT64_MAX ? 0 : t;
}

class PcsFetcher : public attest::CollateralSource {
 public:
  PcsFetcher(net::HttpClient& http, PcsFetcherOptions o) : http_(http), opt_(std::move(o)) {
    opt_.base_url = strip_base(opt_.base_url);
    if (opt_.root_ca_crl_url.empty()) {
      opt_.root_ca_crl_url = opt_.base_url.find("api.trustedservices.intel.com") != std::string::npos
                                 ? "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
                                 : opt_.base_url + "/sgx/certification/v4/rootcacrl";
    }
  }

  Result<attest::Collateral> get(const std::array<uint8_t, 6>& fmspc, attest::PckCaType ca,
                                 bool is_tdx) override {
    const std::string key =
        std::string(is_tdx ? "tdx" : "sgx") + "_" + hex_encode(fmspc) + "_" + to_string(ca);
    const int64_t now = opt_.clock();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto it = cache_.find(key); it != cache_.end() && now < it->second.next_update)
        return it->second.collateral;
    }
    if (auto disk = load_disk(key, now)) {
      remember(key, *disk);
      return *disk;
    }
    VEIL_ASSIGN_OR_RETURN(attest::Collateral c, fetch(fmspc, ca, is_tdx));
    remember(key, c);
    store_disk(key, c);
    return c;
  }

 private:
  struct Entry {
    attest::Collateral collateral;
    int64_t next_update = 0;
  };

  Result<net::HttpResponse> get_url(const std::string& url) {
    auto r = http_.request("GET", url);
    if (!r.ok()) return make_error("pcs.http", r.error().to_string());
    if (r->status != 200) {
      return make_error("pcs.http",
                        "HTTP " + std::to_string(r->status) + " for " + url.substr(opt_.base_url.size()));
    }
    return r;
  }

  static Result<std::string> header(const net::HttpResponse& r, std::initializer_list<const char*> names) {
    for (const char* n : names) {
      if (const std::string* v = net::find_header(r.headers, n)) return *v;
    }
    return make_error("pcs.missing_header", std::string("response lacks ") + *names.begin());
  }

  Result<attest::Collateral> fetch(const std::array<uint8_t, 6>& fmspc, attest::PckCaType ca, bool is_tdx) {
    const std::string tee = is_tdx ? "/tdx" : "/sgx";
    const std::string base = opt_.base_url;
    attest::PcsResponses r;
    VEIL_ASSIGN_OR_RETURN(auto tcb,
                          get_url(base + tee + "/certification/v4/tcbinfo?fmspc=" + hex_encode(fmspc)));
    r.tcb_info_body = tcb.body;
    VEIL_ASSIGN_OR_RETURN(r.tcb_info_issuer_chain,
                          header(tcb, {"tcb-info-issuer-chain", "sgx-tcb-info-issuer-chain"}));
    VEIL_ASSIGN_OR_RETURN(auto qe, get_url(base + tee + "/certification/v4/qe/identity"));
    r.qe_identity_body = qe.body;
    VEIL_ASSIGN_OR_RETURN(r.qe_identity_issuer_chain, header(qe, {"sgx-enclave-identity-issuer-chain"}));
    VEIL_ASSIGN_OR_RETURN(
        auto crl, get_url(base + "/sgx/certification/v4/pckcrl?ca=" + to_string(ca) + "&encoding=der"));
    r.pck_crl = decode_crl_body(crl.body);
    VEIL_ASSIGN_OR_RETURN(r.pck_crl_issuer_chain, header(crl, {"sgx-pck-crl-issuer-chain"}));
    VEIL_ASSIGN_OR_RETURN(auto root, get_url(opt_.root_ca_crl_url));
    r.root_ca_crl = decode_crl_body(root.body);
    auto c = attest::collateral_from_pcs(r);
    if (!c.ok()) return make_error("pcs.bad_response", c.error().message);
    return c;
  }

  // PCCS may answer CRLs as hex text; Intel answers DER (or PEM).
  static Bytes decode_crl_body(const std::string& body) {
    std::string trimmed = body;
    while (!trimmed.empty() && std::isspace(uint8_t(trimmed.back()))) trimmed.pop_back();
    if (!trimmed.empty() &&
        std::all_of(trimmed.begin(), trimmed.end(), [](char ch) { return std::isxdigit(uint8_t(ch)); })) {
      if (auto b = hex_decode(trimmed); b.ok()) return *b;
    }
    return to_bytes(body);
  }

  void remember(const std::string& key, const attest::Collateral& c) {
    std::lock_guard<std::mutex> lock(mu_);
    cache_[key] = Entry{c, earliest_next_update(c)};
  }

  std::optional<attest::Collateral> load_disk(const std::string& key, int64_t now) {
    if (opt_.cache_dir.empty()) return std::nullopt;
    auto text = read_text_file((std::filesystem::path(opt_.cache_dir) / (key + ".json")).string(), 4 << 20);
    if (!text.ok()) return std::nullopt;
    auto c = attest::collateral_from_dcap_qvl_json(*text);
    if (!c.ok() || now >= earliest_next_update(*c)) return std::nullopt;
    return *c;
  }

  void store_disk(const std::string& key, const attest::Collateral& c) {
    if (opt_.cache_dir.empty()) return;
    std::error_code ec;
    std::filesystem::create_directories(opt_.cache_dir, ec);
    const auto path = std::filesystem::path(opt_.cache_dir) / (key + ".json");
    const auto tmp = path.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return;
      out << attest::collateral_to_dcap_qvl_json(c);
      if (!out) return;
    }
    std::filesystem::rename(tmp, path, ec);
  }

  net::HttpClient& http_;
  PcsFetcherOptions opt_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;
};

}  // namespace

std::unique_ptr<attest::CollateralSource> make_pcs_fetcher(net::HttpClient& http, PcsFetcherOptions options) {
  return std::make_unique<PcsFetcher>(http, std::move(options));
}

}  // namespace veil::cli
