#include "veil/attest/report_verify.h"

#include <openssl/x509.h>

#include <algorithm>
#include <boost/json.hpp>

#include "veil/attest/dcap/x509.h"
#include "veil/attest/event_log.h"
#include "veil/attest/nvidia/gpu_verify.h"
#include "veil/attest/quote_check.h"
#include "veil/attest/report_data.h"
#include "veil/base/ascii.h"
#include "veil/base/encoding.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/secp256k1.h"

namespace veil::attest {
namespace json = boost::json;
namespace {

const json::string* str_field(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

// A JSON object given either as an object or as a JSON string holding one
// (dstack serialises info.tcb_info and friends as strings).
std::optional<json::object> object_field(const json::object& o, const char* k) {
  auto* v = o.if_contains(k);
  if (!v) return std::nullopt;
  if (v->is_object()) return v->as_object();
  if (v->is_string()) {
    boost::system::error_code ec;
    auto inner = json::parse(v->as_string(), ec);
    if (!ec && inner.is_object()) return std::move(inner.as_object());
  }
  return std::nullopt;
}

template <size_t N>
std::optional<std::array<uint8_t, N>> hex_array(std::string_view s, bool allow_0x = false) {
  auto b = hex_decode(s, allow_0x);
  if (!b.ok() || b->size() != N) return std::nullopt;
  std::array<uint8_t, N> out{};
  std::copy(b->begin(), b->end(), out.begin());
  return out;
}

// Appends `from`'s checks to `to` under a name prefix.
void merge_prefixed(Verdict& to, const Verdict& from, const std::string& prefix) {
  Verdict copy = from;
  for (auto& c : copy.checks) c.name = prefix + c.name;
  to.merge(copy);
}

const EventLogEntry* find_runtime_event(const std::vector<EventLogEntry>& log, std::string_view name) {
  const EventLogEntry* found = nullptr;
  for (const auto& e : log)
    if (e.imr == 3 && e.event_type == kRuntimeEventType && e.event == name)
      found = &e;  // the last one counts
  return found;
}

// Checks of one report object; `prefix` names the checks ("", "gateway.", "model[0].").
Verdict verify_report_object(const json::object& o, const ReportVerifyOptions& opt, const std::string& prefix,
                             bool is_gateway) {
  Verdict v;
  auto name = [&](const char* n) { return prefix + n; };
  const json::string* algo_s = str_field(o, "signing_algo");
  const std::string algo = algo_s ? ascii_lower(std::string(*algo_s)) : "ecdsa";
  const json::string* address_s = str_field(o, "signing_address");
  const json::string* quote_s = str_field(o, "intel_quote");
  const json::string* nonce_s = str_field(o, "request_nonce");
  if (!address_s || !quote_s || !nonce_s || (algo != "ecdsa" && algo != "ed25519")) {
    v.fail(name("report.format"),
           "signing_address, signing_algo (ecdsa|ed25519), intel_quote and request_nonce are required");
    return v;
  }
  std::optional<json::object> info = object_field(o, "info");
  v.pass(name("report.format"), std::string(is_gateway ? "gateway" : "node") + " report, " + algo + " key " +
                                    std::string(*address_s));

  // 1. The quote: Intel root, or the report's own simulation root when allowed.
  QuoteCheckOptions qo;
  qo.now = opt.now;
  qo.policy = opt.policy;
  std::optional<Collateral> sim_collateral;
  std::unique_ptr<CollateralSource> file_source;
  std::optional<json::object> sim = info ? object_field(*info, "veil_simulation") : std::nullopt;
  bool quote_allowed = true;
  if (sim) {
    const json::string* root = str_field(*sim, "root_ca");
    std::optional<json::object> col_obj = object_field(*sim, "collateral");
    if (!opt.allow_simulated) {
      v.fail(name("report.simulated"),
             "simulated TEE, not a hardware TEE: its root is trusted only with --allow-simulated");
      quote_allowed = false;
    } else if (!root || !col_obj) {
      v.fail(name("report.simulated"), "info.veil_simulation needs root_ca and collateral");
      quote_allowed = false;
    } else {
      auto c = collateral_from_dcap_qvl_json(json::serialize(*col_obj));
      if (!c.ok()) {
        v.fail(name("report.simulated"), "simulation collateral: " + c.error().message);
        quote_allowed = false;
      } else {
        sim_collateral = std::move(*c);
        qo.collateral = &*sim_collateral;
        qo.trusted_root = std::string(*root);
        v.simulated = true;
        v.pass(name("report.simulated"),
               "simulated, not a hardware TEE: verified against the report's own "
               "simulation root (--allow-simulated)");
      }
    }
  } else {
    qo.collateral = opt.collateral;
    qo.source = opt.collateral_source;
    if (!qo.collateral && !qo.source && !opt.collateral_file.empty()) {
      file_source = make_file_collateral_source(opt.collateral_file);
      qo.source = file_source.get();
    }
  }
  std::optional<Quote> quote;
  bool quote_verified = false;
  if (quote_allowed) {
    QuoteCheck qc = check_quote(as_bytes(std::string_view(*quote_s)), qo);
    merge_prefixed(v, qc.verdict, prefix);
    quote_verified = qc.verdict.verified;
    if (quote_verified) {
      v.tcb_status = qc.verdict.tcb_status;
      v.advisory_ids = qc.verdict.advisory_ids;
    }
    quote = std::move(qc.quote);
  }
  if (!quote || !quote->is_tdx()) {
    if (quote) v.fail(name("report.quote"), "intel_quote is not a TDX quote");
    v.verified = false;
    return v;
  }
  const TdReport& td = quote->td_report;

  // 2. Nonce and report_data binding (WIRE.md §3).
  auto nonce = hex_array<32>(std::string_view(*nonce_s));
  if (!nonce) {
    v.fail(name("report.nonce"), "request_nonce is not 64 hex characters");
  } else if (opt.expected_nonce && *nonce != *opt.expected_nonce) {
    v.fail(name("report.nonce"), "request_nonce is not the nonce that was sent");
  } else if (!std::equal(nonce->begin(), nonce->end(), td.report_data.begin() + 32)) {
    v.fail(name("report.nonce"), "REPORTDATA[32..64] is not request_nonce");
  } else {
    v.pass(name("report.nonce"), opt.expected_nonce
                                     ? "REPORTDATA[32..64] = the nonce sent"
                                     : "REPORTDATA[32..64] = request_nonce (no nonce was expected)");
  }
  std::optional<Bytes> address;
  {
    auto b = hex_decode(std::string_view(*address_s), /*allow_0x=*/true);
    if (b.ok() && b->size() == (algo == "ecdsa" ? 20u : 32u)) address = *b;
  }
  std::optional<std::array<uint8_t, 32>> tls_fp;
  if (const json::string* fp = str_field(o, "tls_cert_fingerprint"); fp && !fp->empty()) {
    tls_fp = hex_array<32>(std::string_view(*fp));
    if (!tls_fp) v.fail(name("report.tls"), "tls_cert_fingerprint is not 64 hex characters");
  }
  if (!opt.expected_tls_spki_sha256_hex.empty()) {
    if (!tls_fp) {
      v.fail(name("report.tls"), "the report does not bind a TLS key (include_tls_fingerprint)");
    } else if (ascii_lower(opt.expected_tls_spki_sha256_hex) != hex_encode(*tls_fp)) {
      v.fail(name("report.tls"), "the bound TLS fingerprint is not the TLS key of this connection");
    } else {
      v.pass(name("report.tls"), "bound TLS fingerprint = the connection's TLS key");
    }
  }
  if (is_gateway) {
    if (const json::string* pem = str_field(o, "tls_certificate"); pem && tls_fp) {
      auto cert = dcap::parse_cert(as_bytes(std::string_view(*pem)));
      Bytes spki;
      if (cert.ok()) {
        int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->get()), nullptr);
        if (n > 0) {
          spki.resize(size_t(n));
          unsigned char* p = spki.data();
          i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->get()), &p);
        }
      }
      if (spki.empty() || crypto::sha256(spki) != *tls_fp) {
        v.fail(name("report.tls_certificate"),
               "tls_certificate's SPKI does not hash to tls_cert_fingerprint");
      } else {
        v.pass(name("report.tls_certificate"), "tls_certificate's SPKI hashes to the bound fingerprint");
      }
    }
  }
  if (!address) {
    v.fail(name("report.report_data"),
           "signing_address is not a " + std::string(algo == "ecdsa" ? "20" : "32") + "-byte hex value");
  } else if (nonce) {
    auto r = check_report_data(td.report_data, *address, tls_fp, *nonce);
    if (!r.ok()) {
      v.fail(name("report.report_data"), r.error().message);
    } else {
      v.pass(name("report.report_data"), tls_fp ? "REPORTDATA[0..32] = SHA256(address ‖ TLS SPKI hash)"
                                                : "REPORTDATA[0..32] = the signing address, zero padded");
    }
  }
  if (is_gateway) {
    if (const json::string* rd = str_field(o, "report_data")) {
      auto b = hex_decode(std::string_view(*rd), true);
      if (!b.ok() || b->size() != 64 || !std::equal(b->begin(), b->end(), td.report_data.begin())) {
        v.fail(name("report.report_data_field"), "report_data does not equal the quote's REPORTDATA");
      } else {
        v.pass(name("report.report_data_field"), "report_data = the quote's REPORTDATA");
      }
    }
  }
  if (const json::string* pk = str_field(o, "signing_public_key"); pk && address) {
    auto b = hex_decode(std::string_view(*pk), true);
    bool ok = false;
    if (b.ok() && algo == "ecdsa" && (b->size() == 64 || (b->size() == 65 && (*b)[0] == 4))) {
      std::array<uint8_t, 64> xy{};
      std::copy(b->end() - 64, b->end(), xy.begin());
      auto derived = crypto::eth_address_bytes(xy);
      ok = std::equal(derived.begin(), derived.end(), address->begin());
    } else if (b.ok() && algo == "ed25519") {
      ok = *b == *address;
    }
    if (ok) {
      v.pass(name("report.signing_key"), "signing_address derives from signing_public_key");
    } else {
      v.fail(name("report.signing_key"), "signing_address does not derive from signing_public_key");
    }
  }

  // 3. Event log: runtime digests recomputed, replay equals RTMR0..3.
  std::vector<EventLogEntry> log;
  bool log_ok = false;
  if (auto* ev = o.if_contains("event_log")) {
    auto parsed = event_log_from_json(*ev);
    if (!parsed.ok()) {
      v.fail(name("report.event_log"), parsed.error().message);
    } else {
      log = std::move(*parsed);
      // Every runtime event's digest is recomputed by the rule its own
      // "version" names (dstack V1 or V2), so a payload shown to the user is
      // the one measured.
      std::string bad;
      size_t runtime_v1 = 0, runtime_v2 = 0;
      for (const auto& e : log) {
        if (e.event_type != kRuntimeEventType) continue;
        if (auto st = check_runtime_event(e); !st.ok()) {
          bad = st.error().message;
          break;
        }
        ++(e.version == 2 ? runtime_v2 : runtime_v1);
      }
      auto rtmrs = replay_rtmrs(log);
      int mismatch = -1;
      for (int i = 0; i < 4 && mismatch < 0; ++i)
        if (rtmrs[size_t(i)] != td.rtmr[size_t(i)]) mismatch = i;
      if (!bad.empty()) {
        v.fail(name("report.event_log"), bad);
      } else if (mismatch >= 0) {
        v.fail(name("report.event_log"),
               "replay does not reproduce RTMR" + std::to_string(mismatch) + " of the quote");
      } else {
        log_ok = true;
        v.pass(name("report.event_log"),
               std::to_string(log.size()) +
                   " events replay to RTMR0..3 of the quote; runtime digests recomputed (" +
                   std::to_string(runtime_v1) + " V1, " + std::to_string(runtime_v2) + " V2)");
      }
    }
  } else {
    v.fail(name("report.event_log"), "the report has no event_log");
  }

  // 4. info.tcb_info against the quote; compose hash.
  std::optional<json::object> tcb = info ? object_field(*info, "tcb_info") : std::nullopt;
  if (tcb) {
    std::string diff;
    auto cmp = [&](const char* key, const Bytes48& actual) {
      const json::string* s = str_field(*tcb, key);
      if (!s) return;
      auto b = hex_array<48>(std::string_view(*s));
      if (!b || *b != actual) diff += std::string(diff.empty() ? "" : ", ") + key;
    };
    cmp("mrtd", td.mr_td);
    for (int i = 0; i < 4; ++i) cmp(("rtmr" + std::to_string(i)).c_str(), td.rtmr[size_t(i)]);
    if (!diff.empty()) {
      v.fail(name("report.tcb_info"), "info.tcb_info differs from the quote: " + diff);
    } else {
      v.pass(name("report.tcb_info"), "info.tcb_info MRTD and RTMR0..3 equal the quote");
    }
  } else {
    v.skip(name("report.tcb_info"), "no info.tcb_info");
  }
  std::optional<std::array<uint8_t, 32>> compose_hash;
  if (const json::string* compose = tcb ? str_field(*tcb, "app_compose") : nullptr) {
    compose_hash = crypto::sha256(as_bytes(std::string_view(*compose)));
    const bool config_ok =
        td.mr_config_id[0] == 0x01 &&
        std::equal(compose_hash->begin(), compose_hash->end(), td.mr_config_id.begin() + 1);
    const EventLogEntry* ev = log_ok ? find_runtime_event(log, "compose-hash") : nullptr;
    const bool event_ok =
        !ev || (ev->event_payload.size() == 32 &&
                std::equal(ev->event_payload.begin(), ev->event_payload.end(), compose_hash->begin()));
    const json::string* info_hash = info ? str_field(*info, "compose_hash") : nullptr;
    const bool info_ok = !info_hash || ascii_lower(std::string(*info_hash)) == hex_encode(*compose_hash);
    if (!config_ok) {
      v.fail(name("report.compose"), "MRCONFIGID is not 0x01 ‖ SHA-256(app_compose)");
    } else if (!event_ok || !info_ok) {
      v.fail(name("report.compose"),
             "compose-hash event or info.compose_hash differs from SHA-256(app_compose)");
    } else {
      v.pass(name("report.compose"),
             "MRCONFIGID = 0x01 ‖ SHA-256(app_compose) = " + hex_encode(*compose_hash));
    }
  } else {
    v.skip(name("report.compose"), "no info.tcb_info.app_compose");
  }
  if (opt.policy.expected_compose_hash && compose_hash != opt.policy.expected_compose_hash) {
    v.policy_violation(prefix + "compose hash is not the expected one");
  }

  // 5. The node's model-hash event (WIRE.md §3 Measurements).
  std::optional<std::array<uint8_t, 32>> model_hash;
  if (const EventLogEntry* ev = log_ok ? find_runtime_event(log, "model-hash") : nullptr) {
    if (ev->event_payload.size() != 32) {
      v.fail(name("report.model_hash"), "model-hash event payload is not 32 bytes");
    } else {
      model_hash.emplace();
      std::copy(ev->event_payload.begin(), ev->event_payload.end(), model_hash->begin());
      v.pass(name("report.model_hash"), "measured weights: " + hex_encode(*model_hash));
    }
  } else {
    v.skip(name("report.model_hash"),
           log_ok ? "no model-hash event: the weights are not measured" : "event log not verified");
  }
  if (opt.policy.expected_model_hash && model_hash != opt.policy.expected_model_hash) {
    v.policy_violation(prefix + "model hash is not the expected one");
  }

  // 6. GPU evidence.
  const json::string* gpu = str_field(o, "nvidia_payload");
  if (!gpu || gpu->empty()) {
    v.skip(name("gpu"), "no nvidia_payload: no GPU evidence in this report");
  } else {
    GpuVerifyOptions go;
    go.now = opt.now;
    if (nonce) go.expected_nonce = *nonce;
    go.allow_simulated = opt.allow_simulated;
    Verdict gv = verify_nvidia_payload(std::string_view(*gpu), go);
    merge_prefixed(v, gv, prefix);
  }

  v.verified = quote_verified && !v.any_failed();
  if (!v.verified) {
    v.tcb_status.reset();
    v.advisory_ids.clear();
  }
  return v;
}

}  // namespace

Verdict verify_node_report(const json::object& report, const ReportVerifyOptions& options) {
  Verdict v = verify_report_object(report, options, "", false);
  if (auto* all = report.if_contains("all_attestations"); all && all->is_array()) {
    ReportVerifyOptions inner = options;
    inner.expected_tls_spki_sha256_hex.clear();  // other instances serve other TLS keys
    const auto& arr = all->as_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_object()) {
        v.fail("all_attestations[" + std::to_string(i) + "].report.format", "not an object");
        continue;
      }
      Verdict iv = verify_report_object(arr[i].as_object(), inner,
                                        "all_attestations[" + std::to_string(i) + "].", false);
      for (auto& c : iv.checks) v.checks.push_back(c);
      for (auto& p : iv.policy_violations) v.policy_violations.push_back(p);
      if (iv.any_failed()) {
        if (!v.error) v.error = iv.error;
        v.verified = false;
      }
      v.simulated = v.simulated || iv.simulated;
    }
  }
  return v;
}

Verdict verify_gateway_report(const json::object& report, const ReportVerifyOptions& options) {
  Verdict v;
  auto* gw = report.if_contains("gateway_attestation");
  if (!gw || !gw->is_object()) {
    v.fail("report.format", "gateway_attestation is missing");
    return v;
  }
  json::object g = gw->as_object();
  if (auto* pem = report.if_contains("tls_certificate"); pem && pem->is_string()) g["tls_certificate"] = *pem;
  v = verify_report_object(g, options, "gateway.", true);
  bool all_ok = v.verified;
  if (auto* models = report.if_contains("model_attestations"); models && models->is_array()) {
    ReportVerifyOptions inner = options;
    inner.expected_tls_spki_sha256_hex.clear();  // nodes behind a gateway have their own TLS keys
    const auto& arr = models->as_array();
    for (size_t i = 0; i < arr.size(); ++i) {
      const std::string prefix = "model[" + std::to_string(i) + "].";
      if (!arr[i].is_object()) {
        v.fail(prefix + "report.format", "not an object");
        all_ok = false;
        continue;
      }
      Verdict mv = verify_report_object(arr[i].as_object(), inner, prefix, false);
      all_ok = all_ok && mv.verified;
      for (auto& c : mv.checks) v.checks.push_back(c);
      for (auto& p : mv.policy_violations) v.policy_violations.push_back(p);
      if (mv.any_failed() && !v.error) v.error = mv.error;
      v.simulated = v.simulated || mv.simulated;
    }
  }
  v.verified = all_ok && !v.any_failed();
  if (!v.verified) v.tcb_status.reset();
  return v;
}

Verdict verify_report_json(std::string_view body, const ReportVerifyOptions& options) {
  boost::system::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    Verdict v;
    v.fail("report.format", "the report is not a JSON object");
    return v;
  }
  const json::object& o = doc.as_object();
  if (o.contains("gateway_attestation")) return verify_gateway_report(o, options);
  return verify_node_report(o, options);
}

}  // namespace veil::attest
