// The node's JSON handlers on arbitrary input: the first byte picks a route,
// the rest is the request body (or the query string for GET routes). A stub
// backend echoes; every answer must be a well-formed HTTP status with a JSON
// body, and nothing may crash or hang.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "veil/attest/gpu/gpu_provider.h"
#include "veil/attest/tee/tee_provider.h"
#include "veil/crypto/tls_identity.h"
#include "veil/base/log.h"
#include "veil/node/api_state.h"

namespace {

using namespace veil;

class EchoBackend : public node::Backend {
 public:
  std::string kind() const override { return "fuzz"; }
  bool supports(node::Endpoint) const override { return true; }
  Result<boost::json::object> complete(const node::BackendRequest& req, node::Usage*) override {
    boost::json::object o;
    o["object"] = "chat.completion";
    o["echo_keys"] = req.body->size();
    return o;
  }
  Status stream(const node::BackendRequest&, node::ChunkSink& sink, node::Usage*) override {
    for (int i = 0; i < 3; ++i) {
      if (!sink.chunk(boost::json::object{{"object", "chat.completion.chunk"}, {"i", i}})) return make_error("x.gone", "gone");
    }
    sink.flush();
    return ok_status();
  }
};

class CaptureWriter : public net::ResponseWriter {
 public:
  bool send(int s, std::string_view, std::string b, const net::Headers&) override {
    status = s;
    body = std::move(b);
    done = true;
    return true;
  }
  bool begin_stream(int s, std::string_view, const net::Headers&) override {
    status = s;
    return true;
  }
  bool write(std::string_view d) override {
    body.append(d);
    return true;
  }
  bool end_stream() override {
    done = true;
    return true;
  }
  bool client_connected() const override { return true; }
  bool completed() const override { return done; }
  int status = 0;
  std::string body;
  bool done = false;
};

node::ApiState* make_state() {
  log::set_level(log::Level::off);
  auto* st = new node::ApiState(node::SignatureCache::Options{});
  st->served_model_name = "fuzz-model";
  auto tls = crypto::generate_self_signed_tls_identity("fuzz");
  if (!tls.ok()) std::abort();
  st->keys = std::make_unique<node::NodeKeys>(std::move(tls).value());
  auto tee = attest::make_tee_provider("simulated");
  auto gpu = attest::make_gpu_provider("none");
  if (!tee.ok() || !gpu.ok()) std::abort();
  st->tee = std::move(tee).value();
  st->gpu = std::move(gpu).value();
  st->backend = std::make_unique<EchoBackend>();
  node::NodeIdentity identity;
  identity.model_name = "fuzz-model";
  st->attestation = std::make_unique<node::AttestationService>(*st->keys, *st->tee, *st->gpu, identity);
  return st;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static node::ApiState* state = make_state();
  if (size == 0) return 0;
  static const char* kRoutes[] = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/rerank",
                                  "/v1/attestation/report", "/v1/signature/x", "/v1/models", "/metrics"};
  net::HttpRequest req;
  req.path = kRoutes[data[0] % 8];
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (req.path == std::string("/v1/attestation/report") || req.path == std::string("/v1/signature/x")) {
    req.method = "GET";
    // key=value pairs separated by '&' from the input (no decoding needed here).
    size_t pos = 0;
    while (pos <= rest.size()) {
      size_t amp = rest.find('&', pos);
      std::string kv = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      size_t eq = kv.find('=');
      if (eq != std::string::npos) req.query.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    // A signature lookup must not wait 5 s for unknown ids: none are pending here.
  } else {
    req.method = data[0] & 0x80 ? "GET" : "POST";
    req.body = std::move(rest);
  }
  CaptureWriter w;
  node::handle_request(*state, req, w);
  if (w.status < 200 || w.status > 599) std::abort();
  if (w.status != 200 || req.path != std::string("/metrics")) {
    // Every JSON answer parses.
    if (!w.body.empty() && w.body.rfind("data: ", 0) != 0) {
      boost::system::error_code ec;
      boost::json::parse(w.body, ec);
      if (ec) std::abort();
    }
  }
  return 0;
}
