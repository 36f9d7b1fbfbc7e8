// Routes of the node (WIRE.md section 1) and the small GET endpoints.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "veil/base/ascii.h"
#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/base/json_stringify.h"
#include "veil/base/log.h"
#include "veil/base/version.h"
#include "veil/node/api_state.h"

namespace veil::node {

int send_json(net::ResponseWriter& w, int status, std::string body) {
  w.send(status, "application/json", std::move(body));
  return status;
}

int send_error(net::ResponseWriter& w, const ApiError& e) { return send_json(w, e.status, error_body(e)); }

namespace {

Result<bool> parse_bool_param(const std::string* v, const char* name) {
  if (!v) return false;
  const std::string s = ascii_lower(*v);
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0" || s.empty()) return false;
  return make_error("bad_param", std::string(name) + " must be true, false, 1 or 0");
}

Result<SigningAlgo> parse_algo(const std::string* v) {
  if (!v || v->empty()) return SigningAlgo::ecdsa;
  const std::string s = ascii_lower(*v);
  if (s == "ecdsa") return SigningAlgo::ecdsa;
  if (s == "ed25519") return SigningAlgo::ed25519;
  return make_error("bad_param", "signing_algo must be ecdsa or ed25519");
}

int handle_attestation_report(ApiState& st, const net::HttpRequest& req, net::ResponseWriter& w) {
  ReportQuery q;
  if (const auto* nonce = req.query_param("nonce")) {
    // 64 hex characters (32 bytes), either case; anything else is refused.
    auto bytes = hex_decode(*nonce);
    if (nonce->size() != 64 || !bytes.ok()) {
      return send_error(w, bad_request("nonce must be 64 hex characters (32 bytes)", "nonce", "invalid_nonce"));
    }
    std::array<uint8_t, 32> n;
    std::copy(bytes->begin(), bytes->end(), n.begin());
    q.nonce = n;
  }
  auto algo = parse_algo(req.query_param("signing_algo"));
  if (!algo.ok()) return send_error(w, bad_request(algo.error().message, "signing_algo", "invalid_signing_algo"));
  q.algo = *algo;
  auto tls = parse_bool_param(req.query_param("include_tls_fingerprint"), "include_tls_fingerprint");
  if (!tls.ok()) return send_error(w, bad_request(tls.error().message, "include_tls_fingerprint"));
  q.include_tls_fingerprint = *tls;
  if (q.include_tls_fingerprint && st.options.plain_http) {
    return send_error(w, bad_request("this node serves plain HTTP (development mode): no TLS fingerprint",
                                     "include_tls_fingerprint"));
  }
  if (const auto* addr = req.query_param("signing_address")) {
    if (ascii_lower(*addr) != ascii_lower(st.keys->address(q.algo))) {
      return send_error(w, not_found("signing address not served by this node", "signing_address_not_found"));
    }
  }
  if (const auto* model = req.query_param("model")) {
    if (!model->empty() && *model != st.served_model_name) {
      return send_error(w, not_found("model not served by this node", "model_not_found"));
    }
  }
  auto report = st.attestation->report(q);
  if (!report.ok()) {
    log::error("attestation report failed: {}", report.error().code);
    return send_error(w, ApiError{500, "server_error", "attestation failed", std::nullopt, std::string("attestation_failed")});
  }
  return send_json(w, 200, std::move(report).value());
}

int handle_signature(ApiState& st, const net::HttpRequest& req, net::ResponseWriter& w, std::string_view chat_id) {
  auto algo = parse_algo(req.query_param("signing_algo"));
  if (!algo.ok()) return send_error(w, bad_request(algo.error().message, "signing_algo", "invalid_signing_algo"));
  if (chat_id.empty() || chat_id.size() > 256) return send_error(w, not_found("signature not found"));
  auto found = st.signatures.find(std::string(chat_id), std::chrono::seconds(5));
  if (!found) return send_error(w, not_found("signature not found (unknown or expired chat id)"));
  if (const auto* model = req.query_param("model")) {
    if (!model->empty() && *model != found->model) return send_error(w, not_found("signature not found for this model"));
  }
  boost::json::object o;
  switch (found->state) {
    case SignatureState::pending:
      o["error_code"] = "SIGNATURE_UNSUPPORTED";
      o["message"] = "the response has not been signed yet";
      return send_json(w, 200, js_stringify(o));
    case SignatureState::stream_disconnected:
      o["error_code"] = "STREAM_DISCONNECTED";
      o["message"] = "the stream did not complete, so it was not signed";
      return send_json(w, 200, js_stringify(o));
    case SignatureState::signed_ok:
      break;
  }
  o["text"] = found->response.text;
  o["signature"] = *algo == SigningAlgo::ecdsa ? found->response.ecdsa_signature : found->response.ed25519_signature;
  o["signing_address"] = st.keys->address(*algo);
  o["signing_algo"] = to_string(*algo);
  o["signature_kind"] = "provider_tee";
  return send_json(w, 200, js_stringify(o));
}

int handle_models(ApiState& st, net::ResponseWriter& w) {
  boost::json::object m;
  m["id"] = st.served_model_name;
  m["object"] = "model";
  m["created"] = st.started_unix;
  m["owned_by"] = "veil";
  boost::json::object list;
  list["object"] = "list";
  list["data"] = boost::json::array{std::move(m)};
  return send_json(w, 200, js_stringify(list));
}

int handle_root(ApiState& st, net::ResponseWriter& w) {
  boost::json::object o;
  o["name"] = "veil";
  o["version"] = kVersion;
  o["role"] = "node";
  o["model"] = st.served_model_name;
  o["tee"] = st.tee->kind();
  o["gpu"] = st.gpu->kind();
  o["backend"] = st.backend->kind();
  o["signing_address"] = st.keys->address(SigningAlgo::ecdsa);
  return send_json(w, 200, js_stringify(o));
}

// Metrics names are fixed strings: the raw path (which may carry a chat id) is never a label.
std::string route_name(const net::HttpRequest& req) {
  const std::string& p = req.path;
  if (auto e = endpoint_for_path(p)) return endpoint_metric(*e);
  if (p == "/v1/models") return "models";
  if (p == "/v1/attestation/report") return "attestation_report";
  if (p.rfind("/v1/signature/", 0) == 0) return "signature";
  if (p == "/" || p == "/version") return "version";
  if (p == "/metrics") return "metrics";
  return "other";
}

int dispatch(ApiState& st, const net::HttpRequest& req, net::ResponseWriter& w) {
  const std::string& p = req.path;
  const bool get = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  auto method_not_allowed = [&] {
    return send_error(w, ApiError{405, "invalid_request_error", "method not allowed", std::nullopt, std::nullopt});
  };

  if (auto e = endpoint_for_path(p)) return post ? handle_inference(st, *e, req, w) : method_not_allowed();
  if (p == "/v1/attestation/report") return get ? handle_attestation_report(st, req, w) : method_not_allowed();
  if (p.rfind("/v1/signature/", 0) == 0) {
    return get ? handle_signature(st, req, w, std::string_view(p).substr(14)) : method_not_allowed();
  }
  if (p == "/v1/models") return get ? handle_models(st, w) : method_not_allowed();
  if (p == "/" ) return get ? handle_root(st, w) : method_not_allowed();
  if (p == "/version") {
    return get ? send_json(w, 200, js_stringify(boost::json::object{{"version", kVersion}})) : method_not_allowed();
  }
  if (p == "/metrics") {
    if (!get) return method_not_allowed();
    w.send(200, "text/plain; version=0.0.4", st.metrics.render());
    return 200;
  }
  return send_error(w, not_found("no such route", "route_not_found"));
}

}  // namespace

RequestRecord::RequestRecord(ApiState& st, uint64_t id, std::string method, std::string route)
    : st_(st), id_(id), method_(std::move(method)), route_(std::move(route)), t0_(monotonic_micros()) {
  st_.metrics.add_in_flight(1);
}

RequestRecord::~RequestRecord() {
  st_.metrics.add_in_flight(-1);
  const int64_t us = monotonic_micros() - t0_;
  st_.metrics.record_request(route_, status, static_cast<double>(us) / 1e6);
  log::info("req={} {} {} status={} us={}", id_, method_, route_, status, us);
}

void handle_request(ApiState& st, const net::HttpRequest& req, net::ResponseWriter& w) {
  RequestRecord record(st, req.id, req.method, route_name(req));
  try {
    record.status = dispatch(st, req, w);
  } catch (const std::exception&) {
    // Exception messages may quote input: log the fact only.
    log::error("request {} failed with an exception", req.id);
    if (!w.completed()) record.status = send_error(w, internal_error());
  }
}

}  // namespace veil::node
