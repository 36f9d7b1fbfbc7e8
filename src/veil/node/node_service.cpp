#include "veil/node/node_service.h"

#include <algorithm>
#include <filesystem>

#include "veil/base/clock.h"
#include "veil/base/encoding.h"
#include "veil/base/file.h"
#include "veil/base/log.h"
#include "veil/base/version.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"
#include "veil/net/http_server.h"
#include "veil/node/api_state.h"
#include "veil/node/builtin_backend.h"
#include "veil/node/inference.h"
#include "veil/node/model_measurement.h"
#include "veil/node/upstream_backend.h"

namespace veil::node {

struct NodeService::State {
  std::unique_ptr<ApiState> api;
  std::unique_ptr<net::HttpServer> server;
};

namespace {

Result<std::pair<std::string, uint16_t>> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return make_error("config.listen", "--listen must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos)
    return make_error("config.listen", "--listen port must be a number");
  const unsigned long port = std::stoul(port_text);
  if (port > 65535) return make_error("config.listen", "--listen port out of range");
  return std::make_pair(host, static_cast<uint16_t>(port));
}

Result<crypto::TlsIdentity> make_tls_identity(const NodeOptions& o) {
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    if (o.tls_cert_file.empty() || o.tls_key_file.empty())
      return make_error("config.tls", "--tls-cert and --tls-key go together");
    VEIL_ASSIGN_OR_RETURN(auto cert, read_text_file(o.tls_cert_file, 1 << 20));
    VEIL_ASSIGN_OR_RETURN(auto key, read_text_file(o.tls_key_file, 1 << 20));
    return crypto::load_tls_identity(cert, key);
  }
  return crypto::generate_self_signed_tls_identity("veil-node");
}

Status validate(const NodeOptions& o) {
  const bool upstream = !o.upstream_url.empty();
  const bool builtin = !o.model_file.empty();
  if (upstream == builtin) return make_error("config.backend", "give exactly one of --upstream URL or --model FILE.gguf");
  if (upstream && o.served_model_name.empty())
    return make_error("config.backend", "--upstream needs --served-model-name");
  if (builtin && !o.model_dir.empty()) return make_error("config.backend", "--model-dir goes with --upstream");
  if (o.plain_http && o.tee == "tdx") return make_error("config.tls", "plain HTTP is for development only, not with --tee tdx");
  if (o.tee != "simulated" && o.tee != "tdx") return make_error("config.tee", "--tee must be simulated or tdx");
  if (o.gpu != "none" && o.gpu != "simulated" && o.gpu != "nvml")
    return make_error("config.gpu", "--gpu must be none, simulated or nvml");
  return ok_status();
}

}  // namespace

NodeService::NodeService(std::unique_ptr<State> state) : state_(std::move(state)) {}

NodeService::~NodeService() { stop(); }

Result<std::unique_ptr<NodeService>> NodeService::start(const NodeOptions& options) {
  VEIL_TRY(validate(options));
  VEIL_ASSIGN_OR_RETURN(auto listen, split_listen(options.listen));

  SignatureCache::Options sig;
  sig.ttl = std::chrono::duration_cast<std::chrono::seconds>(options.signature_ttl);
  sig.max_entries = options.signature_cache_entries;
  auto api = std::make_unique<ApiState>(sig);
  api->options = options;
  api->started_unix = unix_now();

  VEIL_ASSIGN_OR_RETURN(auto tls, make_tls_identity(options));
  api->keys = std::make_unique<NodeKeys>(std::move(tls));
  api->signatures.set_signer([keys = api->keys.get()](std::string text) { return keys->sign_both(std::move(text)); });

  // Backend, and the model measurement that goes with it.
  std::optional<std::array<uint8_t, 32>> model_hash;
  if (!options.upstream_url.empty()) {
    UpstreamOptions uo;
    uo.base_url = options.upstream_url;
    uo.upstream_model = options.upstream_model;
    auto upstream = std::make_unique<UpstreamBackend>(uo);
    if (net::AsyncHttpClient::supports(upstream->options().base_url)) {
      // Plain HTTP (the usual loopback upstream in the same CVM): inference is
      // proxied on the I/O thread. https upstreams use the blocking client.
      net::AsyncHttpClientOptions ao;
      ao.connect_timeout = uo.connect_timeout;
      ao.response_timeout = uo.response_timeout;
      ao.idle_read_timeout = uo.idle_read_timeout;
      api->async_client = std::make_unique<net::AsyncHttpClient>(ao);
      api->async_upstream = upstream.get();
    }
    api->backend = std::move(upstream);
    api->served_model_name = options.served_model_name;
    if (!options.model_dir.empty()) {
      log::info("measuring model directory (this reads every weight file once)");
      VEIL_ASSIGN_OR_RETURN(auto h, hash_model_directory(options.model_dir));
      model_hash = h.digest;
    } else {
      log::warn("no --model-dir: the upstream's weights are not measured (no model-hash event); verifiers will say so");
    }
  } else {
    VEIL_ASSIGN_OR_RETURN(auto built, make_builtin_backend(options));
    api->served_model_name = built.served_model_name;
    model_hash = built.model_sha256;
    api->backend = std::move(built.backend);
  }

  // The configuration is measured twice: as the veil-config runtime event, and
  // (simulated TEE) as MRCONFIGID = 0x01 ‖ SHA-256(app_compose), the dstack
  // convention a host uses at launch.
  const std::string config_json = canonical_config_json(options, api->served_model_name, api->backend->kind());
  const auto config_digest = crypto::sha256(as_bytes(config_json));
  attest::TeeOptions tee_opts;
  if (!options.tsm_configfs_root.empty()) tee_opts.configfs_root = options.tsm_configfs_root;
  if (!options.rtmr3_path.empty()) tee_opts.rtmr3_sysfs = options.rtmr3_path;
  std::array<uint8_t, 48> config_id{};
  config_id[0] = 0x01;
  std::copy(config_digest.begin(), config_digest.end(), config_id.begin() + 1);
  tee_opts.simulated_mr_config_id = config_id;
  VEIL_ASSIGN_OR_RETURN(api->tee, attest::make_tee_provider(options.tee, tee_opts));
  VEIL_ASSIGN_OR_RETURN(api->gpu, attest::make_gpu_provider(options.gpu));

  // Runtime events into RTMR3, before serving (WIRE.md section 3, Measurements).
  VEIL_TRY(api->tee->extend_runtime_event("veil-version", as_bytes(std::string_view(kVersion))));
  VEIL_TRY(api->tee->extend_runtime_event("veil-config", config_digest));
  VEIL_TRY(api->tee->extend_runtime_event("model-name", as_bytes(api->served_model_name)));
  if (model_hash) VEIL_TRY(api->tee->extend_runtime_event("model-hash", *model_hash));

  NodeIdentity identity;
  identity.model_name = api->served_model_name;
  identity.app_compose = config_json;
  std::array<uint8_t, 16> instance;
  crypto::random_fill(instance);
  identity.instance_id = hex_encode(instance);
  api->attestation = std::make_unique<AttestationService>(*api->keys, *api->tee, *api->gpu, identity);

  net::HttpServerOptions so;
  so.host = listen.first;
  so.port = listen.second;
  if (!options.plain_http) so.tls = net::TlsServerConfig{api->keys->tls().cert_pem, api->keys->tls().key_pem};
  so.max_body_bytes = options.max_body_bytes;
  so.max_connections = options.max_connections;
  so.max_connections_per_address = options.max_connections_per_address;
  so.header_timeout = options.header_timeout;
  so.idle_timeout = options.idle_timeout;
  so.io_threads = options.io_threads;
  ApiState* raw = api.get();
  net::AsyncHttpHandler async_handler;
  if (raw->async_upstream) {
    async_handler = [raw](net::HttpRequest& req, const std::shared_ptr<net::AsyncResponseWriter>& w) {
      return handle_inference_async(*raw, req, w);
    };
  }
  VEIL_ASSIGN_OR_RETURN(auto server, net::HttpServer::start(
                                         so,
                                         [raw](const net::HttpRequest& req, net::ResponseWriter& w) {
                                           handle_request(*raw, req, w);
                                         },
                                         std::move(async_handler)));

  auto state = std::make_unique<State>();
  state->api = std::move(api);
  state->server = std::move(server);
  log::info("veil node {} listening on {}:{} ({}), tee={} gpu={} backend={} model={} address={}", kVersion, listen.first,
            state->server->port(), options.plain_http ? "http" : "https", state->api->tee->kind(),
            state->api->gpu->kind(), state->api->backend->kind(), state->api->served_model_name,
            state->api->keys->address(SigningAlgo::ecdsa));
  return std::unique_ptr<NodeService>(new NodeService(std::move(state)));
}

uint16_t NodeService::port() const { return state_->server ? state_->server->port() : 0; }

std::string NodeService::tls_fingerprint_hex() const {
  return state_->api->options.plain_http ? std::string() : state_->api->keys->tls().spki_sha256_hex();
}

std::string NodeService::signing_address() const { return state_->api->keys->address(SigningAlgo::ecdsa); }

void NodeService::stop() {
  if (state_ && state_->server) {
    state_->server->stop(std::chrono::seconds(30));
    state_->server.reset();
  }
}

}  // namespace veil::node
