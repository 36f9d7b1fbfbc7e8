#include "veil/cli/node_client.h"

#include <boost/json.hpp>

#include <algorithm>

#include "veil/attest/report_verify.h"
#include "veil/base/ascii.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/crypto/ed25519.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"
#include "veil/crypto/secp256k1.h"
#include "veil/net/http_client.h"

namespace veil::cli {

namespace {

std::string str_field(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  return (it != o.end() && it->value().is_string()) ? std::string(it->value().get_string()) : std::string();
}

std::string base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// One report for one signing algorithm, with a fresh nonce. Returns the
// attested address / key and the attested TLS fingerprint.
struct ReportResult {
  std::string address;
  std::string public_key;
  std::string tls_fingerprint;
  std::string model_name;
};

std::optional<ReportResult> check_one_report(net::HttpClient& client, const NodeCheckOptions& opt, const char* algo,
                                             attest::Verdict& v) {
  const std::string prefix = std::string("report[") + algo + "].";
  std::array<uint8_t, 32> nonce;
  crypto::random_fill(nonce);
  const std::string nonce_hex = hex_encode(nonce);
  std::string url = base_url(opt.url) + "/v1/attestation/report?nonce=" + nonce_hex + "&signing_algo=" + algo +
                    "&include_tls_fingerprint=true";
  if (!opt.model.empty()) url += "&model=" + opt.model;
  auto resp = client.request("GET", url);
  if (!resp.ok()) {
    v.fail(prefix + "fetch", resp.error().to_string());
    return std::nullopt;
  }
  if (resp->status != 200) {
    v.fail(prefix + "fetch", "HTTP " + std::to_string(resp->status));
    return std::nullopt;
  }
  const auto live_spki = client.last_peer_spki_sha256_hex();
  boost::system::error_code ec;
  auto parsed = boost::json::parse(resp->body, ec);
  if (ec || !parsed.is_object()) {
    v.fail(prefix + "fetch", "report is not a JSON object");
    return std::nullopt;
  }
  const auto& report = parsed.get_object();
  v.pass(prefix + "fetch", std::to_string(resp->body.size()) + " bytes");

  ReportResult out;
  out.address = ascii_lower(str_field(report, "signing_address"));
  out.public_key = ascii_lower(str_field(report, "signing_public_key"));
  out.tls_fingerprint = ascii_lower(str_field(report, "tls_cert_fingerprint"));
  out.model_name = str_field(report, "model_name");

  if (!opt.model.empty()) {
    if (out.model_name == opt.model) {
      v.pass(prefix + "model_name", out.model_name);
    } else {
      v.fail(prefix + "model_name", "report is for another model");
    }
  }
  // The nonce, the signing key and the TLS binding are checked by the report
  // verifier against what this client knows: its nonce and the TLS key of
  // the live connection.
  if (!live_spki) {
    v.fail(prefix + "tls_binding", "connection is not TLS: nothing binds it to the TEE");
  }

  attest::ReportVerifyOptions ro;
  ro.now = opt.now ? *opt.now : unix_now();
  ro.expected_nonce = nonce;
  if (live_spki) ro.expected_tls_spki_sha256_hex = ascii_lower(*live_spki);
  ro.allow_simulated = opt.allow_simulated;
  ro.collateral_file = opt.collateral_file;
  attest::Verdict rv = attest::verify_report_json(resp->body, ro);
  // all_attestations repeats this node's own report: its checks are folded
  // into one line unless one of them failed.
  std::vector<attest::Check> kept;
  size_t folded = 0;
  for (auto& c : rv.checks) {
    if (c.name.rfind("all_attestations[", 0) == 0 && c.status != attest::CheckStatus::fail) {
      ++folded;
      continue;
    }
    c.name = prefix + c.name;
    kept.push_back(std::move(c));
  }
  if (folded > 0) kept.push_back({prefix + "all_attestations", attest::CheckStatus::pass,
                                  std::to_string(folded) + " checks of the listed instance reports, none failed"});
  rv.checks = std::move(kept);
  v.merge(rv);
  if (rv.tcb_status) v.tcb_status = rv.tcb_status;
  for (const auto& a : rv.advisory_ids) v.advisory_ids.push_back(a);
  return out;
}

}  // namespace

std::optional<AttestedNode> check_node(net::HttpClient& client, const NodeCheckOptions& options,
                                       attest::Verdict& verdict) {
  verdict.verified = true;
  auto ecdsa = check_one_report(client, options, "ecdsa", verdict);
  auto ed = check_one_report(client, options, "ed25519", verdict);
  if (!ecdsa || !ed) return std::nullopt;
  AttestedNode node;
  node.model_name = ecdsa->model_name;
  node.ecdsa_address = ecdsa->address;
  node.ed25519_public_key = ed->public_key;
  node.tls_spki_sha256_hex = ecdsa->tls_fingerprint;
  return node;
}

void check_response_signatures(net::HttpClient& client, const std::string& url, const AttestedNode& node,
                               const std::string& chat_id, const std::string& request_body,
                               const std::string& response_bytes, attest::Verdict& v) {
  const std::string req_hash = crypto::sha256_hex(std::string_view(request_body));
  const std::string resp_hash = crypto::sha256_hex(std::string_view(response_bytes));
  const std::string node_text = node.model_name + ":" + req_hash + ":" + resp_hash;
  const std::string gateway_text = req_hash + ":" + resp_hash;
  for (const char* algo : {"ecdsa", "ed25519"}) {
    const std::string name = std::string("signature.") + algo;
    auto r = client.request("GET", base_url(url) + "/v1/signature/" + chat_id + "?model=" + node.model_name +
                                       "&signing_algo=" + algo);
    if (!r.ok() || r->status != 200) {
      v.fail(name, r.ok() ? "HTTP " + std::to_string(r->status) : r.error().to_string());
      continue;
    }
    boost::system::error_code ec;
    auto parsed = boost::json::parse(r->body, ec);
    if (ec || !parsed.is_object()) {
      v.fail(name, "signature response is not a JSON object");
      continue;
    }
    const auto& o = parsed.get_object();
    if (auto code = str_field(o, "error_code"); !code.empty()) {
      v.fail(name, "node says " + code);
      continue;
    }
    const std::string text = str_field(o, "text");
    if (text != node_text && text != gateway_text) {
      v.fail(name + ".hashes", "signed text does not match the hashes of the bytes exchanged");
      continue;
    }
    v.pass(name + ".hashes", "request " + req_hash.substr(0, 12) + "…, response " + resp_hash.substr(0, 12) + "…");
    const std::string sig = str_field(o, "signature");
    if (std::string(algo) == "ecdsa") {
      auto addr = crypto::eip191_recover_address(text, sig);
      if (addr.ok() && ascii_lower(*addr) == node.ecdsa_address) {
        v.pass(name, "EIP-191 signature recovers the attested address " + node.ecdsa_address);
      } else {
        v.fail(name, "signature does not recover the attested address");
      }
    } else {
      auto pk = hex_decode(node.ed25519_public_key);
      auto s = hex_decode(sig);
      if (pk.ok() && s.ok() && s->size() == 64 && crypto::ed25519_verify(*pk, as_bytes(text), *s)) {
        v.pass(name, "Ed25519 signature verifies under the attested key");
      } else {
        v.fail(name, "Ed25519 signature does not verify under the attested key");
      }
    }
  }
}

}  // namespace veil::cli
