// Shared state of a running node that the API handlers read (private to node/).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "veil/attest/gpu/gpu_provider.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/net/async_http_client.h"
#include "veil/net/response_writer.h"
#include "veil/node/attestation_service.h"
#include "veil/node/backend.h"
#include "veil/node/metrics.h"
#include "veil/node/node_keys.h"
#include "veil/node/node_options.h"
#include "veil/node/openai_error.h"
#include "veil/node/signature_cache.h"
#include "veil/node/signing_queue.h"

namespace veil::node {

class UpstreamBackend;

struct ApiState {
  NodeOptions options;
  std::string served_model_name;
  int64_t started_unix = 0;
  std::unique_ptr<NodeKeys> keys;
  std::unique_ptr<attest::TeeProvider> tee;
  std::unique_ptr<attest::GpuEvidenceProvider> gpu;
  std::unique_ptr<Backend> backend;
  // Set when the backend is an upstream over plain HTTP: inference requests
  // then take the event-driven path on the I/O thread (async_inference.cpp).
  UpstreamBackend* async_upstream = nullptr;
  std::unique_ptr<net::AsyncHttpClient> async_client;
  std::unique_ptr<AttestationService> attestation;
  SignatureCache signatures;
  Metrics metrics;
  // Declared last: destroyed (its thread joined) first, while the keys and
  // the cache its jobs use still exist.
  SigningQueue signer;

  explicit ApiState(SignatureCache::Options sig) : signatures(sig) {}
};

// A request's metrics (in flight, count and latency by route and status) and
// its access-log line (ids, route, status, time — never content), recorded
// when the object goes away; `status` is set by whoever answers.
class RequestRecord {
 public:
  RequestRecord(ApiState& st, uint64_t id, std::string method, std::string route);
  ~RequestRecord();
  RequestRecord(const RequestRecord&) = delete;
  RequestRecord& operator=(const RequestRecord&) = delete;

  int status = 500;

 private:
  ApiState& st_;
  uint64_t id_;
  std::string method_;
  std::string route_;
  int64_t t0_;
};

// Entry point for every HTTP request (api_router.cpp).
void handle_request(ApiState& state, const net::HttpRequest& req, net::ResponseWriter& w);

// POST inference endpoints (inference_handler.cpp). Returns the HTTP status sent.
int handle_inference(ApiState& state, Endpoint endpoint, const net::HttpRequest& req, net::ResponseWriter& w);

// Writes an OpenAI-shaped error; returns its status.
int send_error(net::ResponseWriter& w, const ApiError& e);
int send_json(net::ResponseWriter& w, int status, std::string body);

}  // namespace veil::node
