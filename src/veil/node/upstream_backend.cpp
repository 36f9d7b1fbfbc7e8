#include "veil/node/upstream_backend.h"

#include <boost/json.hpp>

#include "veil/base/log.h"
#include "veil/net/http_client.h"
#include "veil/net/sse.h"

namespace veil::node {

namespace {

// Upstream failures become Veil's own error texts: an upstream's message may
// echo the client's input (FastAPI validation errors do), so it is never
// forwarded.
Error map_transport_error(const Error& e) {
  if (e.code.find("timeout") != std::string::npos) return make_error("upstream.timeout", "upstream timed out");
  return make_error("upstream.unavailable", "upstream is unavailable");
}

Error map_status(int status) {
  if (status == 400 || status == 422) return make_error("upstream.bad_request", "upstream rejected the request");
  if (status == 404) return make_error("upstream.model_not_found", "upstream does not serve this model");
  if (status == 429) return make_error("upstream.rate_limited", "upstream is busy");
  if (status == 503) return make_error("upstream.unavailable", "upstream is unavailable");
  if (status == 504) return make_error("upstream.timeout", "upstream timed out");
  return make_error("upstream.error", "upstream failed (HTTP " + std::to_string(status) + ")");
}

Result<boost::json::object> parse_object(std::string_view text) {
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  auto v = boost::json::parse(text, ec, {}, opts);
  if (ec || !v.is_object()) return make_error("upstream.bad_response", "upstream returned malformed JSON");
  return std::move(v.as_object());
}

void read_usage(const boost::json::object& o, Usage* usage) {
  if (!usage) return;
  auto it = o.find("usage");
  if (it == o.end() || !it->value().is_object()) return;
  const auto& u = it->value().get_object();
  auto num = [&](const char* key) -> uint64_t {
    auto f = u.find(key);
    if (f == u.end()) return 0;
    if (f->value().is_int64() && f->value().get_int64() >= 0) return static_cast<uint64_t>(f->value().get_int64());
    if (f->value().is_uint64()) return f->value().get_uint64();
    return 0;
  };
  usage->prompt_tokens = num("prompt_tokens");
  usage->completion_tokens = num("completion_tokens");
}

}  // namespace

UpstreamBackend::UpstreamBackend(UpstreamOptions options) : options_(std::move(options)) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  // Accept both http://host:port and http://host:port/v1.
  if (options_.base_url.size() >= 3 && options_.base_url.compare(options_.base_url.size() - 3, 3, "/v1") == 0) {
    options_.base_url.resize(options_.base_url.size() - 3);
  }
  net::HttpClientOptions co;
  co.connect_timeout = options_.connect_timeout;
  co.response_timeout = options_.response_timeout;
  co.idle_read_timeout = options_.idle_read_timeout;
  client_ = std::make_unique<net::HttpClient>(co);
}

UpstreamBackend::~UpstreamBackend() = default;

std::string UpstreamBackend::url_for(Endpoint e) const { return options_.base_url + endpoint_path(e); }

std::string UpstreamBackend::forward_body(const BackendRequest& req) const {
  boost::json::object body = *req.body;
  if (!options_.upstream_model.empty()) body["model"] = options_.upstream_model;
  if (req.stream) {
    // Always learn token counts, whatever the client asked for.
    boost::json::object so;
    if (auto it = body.find("stream_options"); it != body.end() && it->value().is_object()) so = it->value().get_object();
    so["include_usage"] = true;
    body["stream_options"] = std::move(so);
  }
  return boost::json::serialize(body);
}

Result<boost::json::object> UpstreamBackend::complete(const BackendRequest& req, Usage* usage) {
  const std::string body = forward_body(req);
  auto r = client_->request("POST", url_for(req.endpoint), {{"content-type", "application/json"}}, body);
  if (!r.ok()) {
    log::warn("upstream request failed: {}", r.error().code);
    return map_transport_error(r.error());
  }
  if (r->status != 200) {
    log::warn("upstream answered HTTP {}", r->status);
    return map_status(r->status);
  }
  VEIL_ASSIGN_OR_RETURN(auto obj, parse_object(r->body));
  read_usage(obj, usage);
  return obj;
}

Status UpstreamBackend::stream(const BackendRequest& req, ChunkSink& sink, Usage* usage) {
  const std::string body = forward_body(req);
  net::SseParser parser;
  std::vector<net::SseEvent> events;
  int status = 0;
  std::string error_body;  // a non-200 answer is read but never forwarded
  bool done = false;
  bool client_gone = false;
  std::optional<Error> failure;

  net::StreamCallbacks cb;
  cb.on_headers = [&](int s, const net::Headers&) {
    status = s;
    return true;
  };
  cb.on_data = [&](std::string_view data) -> bool {
    if (status != 200) {
      if (error_body.size() < 65536) error_body.append(data);
      return true;
    }
    events.clear();
    if (auto st = parser.feed(data, events); !st.ok()) {
      failure = make_error("upstream.bad_response", "upstream sent a malformed event stream");
      return false;
    }
    for (auto& ev : events) {
      if (done) break;
      if (ev.data == "[DONE]") {
        done = true;
        break;
      }
      auto obj = parse_object(ev.data);
      if (!obj.ok()) {
        failure = obj.error();
        return false;
      }
      // The usage-only chunk (empty choices) goes to the client only when it asked.
      bool usage_only = false;
      if (auto u = obj->find("usage"); u != obj->end() && u->value().is_object()) {
        read_usage(*obj, usage);
        auto c = obj->find("choices");
        usage_only = c != obj->end() && c->value().is_array() && c->value().get_array().empty();
      }
      if (usage_only && !req.client_wants_usage) continue;
      if (!req.client_wants_usage) obj->erase("usage");
      if (!sink.chunk(std::move(obj).value())) {
        client_gone = true;
        return false;
      }
    }
    // One write for everything this read brought; once [DONE] arrived, the
    // node writes the rest together with its own terminator.
    if (!done && !sink.flush()) {
      client_gone = true;
      return false;
    }
    return true;  // read to the end so the connection can be reused
  };

  auto r = client_->stream("POST", url_for(req.endpoint), {{"content-type", "application/json"}, {"accept", "text/event-stream"}},
                           body, cb);
  if (client_gone) return make_error("node.client_gone", "client disconnected");
  if (failure) return *failure;
  if (done) return ok_status();
  if (!r.ok()) {
    log::warn("upstream stream failed: {}", r.error().code);
    return map_transport_error(r.error());
  }
  if (status != 200) {
    log::warn("upstream answered HTTP {}", status);
    return map_status(status);
  }
  return make_error("upstream.truncated", "upstream stream ended early");
}

}  // namespace veil::node
