#include "veil/node/attestation_service.h"

#include <boost/json.hpp>

#include "veil/attest/event_log.h"
#include "veil/attest/report_data.h"
#include "veil/base/encoding.h"
#include "veil/base/json_stringify.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"

namespace veil::node {

namespace {
constexpr auto kAnonymousReportMaxAge = std::chrono::seconds(60);
}

AttestationService::AttestationService(const NodeKeys& keys, attest::TeeProvider& tee,
                                       attest::GpuEvidenceProvider& gpu, NodeIdentity identity)
    : keys_(keys), tee_(tee), gpu_(gpu), identity_(std::move(identity)) {}

Result<std::string> AttestationService::report(const ReportQuery& q) {
  if (q.nonce) return build(q, *q.nonce);
  const auto key = std::make_pair(static_cast<int>(q.algo), q.include_tls_fingerprint);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.made < kAnonymousReportMaxAge) return it->second.body;
  }
  std::array<uint8_t, 32> nonce;
  crypto::random_fill(nonce);
  VEIL_ASSIGN_OR_RETURN(std::string body, build(q, nonce));
  std::lock_guard lock(cache_mutex_);
  cache_[key] = Cached{body, now};
  return body;
}

Result<std::string> AttestationService::build(const ReportQuery& q, const std::array<uint8_t, 32>& nonce) {
  std::optional<std::array<uint8_t, 32>> tls_fp;
  if (q.include_tls_fingerprint) tls_fp = keys_.tls().spki_sha256;
  const Bytes address_bytes = keys_.address_bytes(q.algo);
  const auto report_data = attest::build_report_data(address_bytes, tls_fp, nonce);

  VEIL_ASSIGN_OR_RETURN(Bytes quote, tee_.quote(report_data));
  VEIL_ASSIGN_OR_RETURN(std::string nvidia_payload, gpu_.nvidia_payload(nonce));

  const auto log = tee_.event_log();
  const auto measurements = tee_.measurements();
  const boost::json::value event_log_json = attest::to_json(log);

  boost::json::object tcb_info;
  tcb_info["mrtd"] = hex_encode(measurements.mrtd);
  for (int i = 0; i < 4; ++i) tcb_info["rtmr" + std::to_string(i)] = hex_encode(measurements.rtmr[i]);
  tcb_info["app_compose"] = identity_.app_compose;
  // dstack serves the log as a JSON string inside tcb_info.
  tcb_info["event_log"] = js_stringify(event_log_json);

  boost::json::object info;
  info["app_id"] = crypto::sha256_hex(std::string_view(identity_.app_compose)).substr(0, 40);
  info["instance_id"] = identity_.instance_id;
  info["app_name"] = identity_.app_name;
  // No platform device identity is known to the node (dstack derives one from
  // its KMS); an empty field says so rather than a made-up value.
  info["device_id"] = "";
  info["compose_hash"] = crypto::sha256_hex(std::string_view(identity_.app_compose));
  info["os_image_hash"] = "";
  info["tcb_info"] = std::move(tcb_info);
  if (auto sim = tee_.simulation_info_json()) {
    boost::system::error_code ec;
    auto v = boost::json::parse(*sim, ec);
    if (ec) return make_error("attest.simulation_info", "simulated TEE produced invalid simulation info");
    info["veil_simulation"] = std::move(v);
  }

  boost::json::object report;
  report["model_name"] = identity_.model_name;
  report["signing_address"] = keys_.address(q.algo);
  report["signing_algo"] = to_string(q.algo);
  report["signing_public_key"] = keys_.public_key_hex(q.algo);
  report["request_nonce"] = hex_encode(nonce);
  report["intel_quote"] = hex_encode(quote);
  report["nvidia_payload"] = nvidia_payload;
  report["event_log"] = event_log_json;
  report["info"] = std::move(info);
  if (q.include_tls_fingerprint) report["tls_cert_fingerprint"] = keys_.tls().spki_sha256_hex();

  // One node instance behind this endpoint: all_attestations holds this
  // report itself (without the all_attestations field).
  boost::json::object single = report;
  report["all_attestations"] = boost::json::array{std::move(single)};
  return js_stringify(report);
}

}  // namespace veil::node
