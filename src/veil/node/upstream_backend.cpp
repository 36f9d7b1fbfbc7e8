#include "veil/node/upstream_backend.h"

#include <boost/json.hpp>

#include "veil/base/log.h"
#include "veil/net/http_client.h"
#include "veil/node/upstream_protocol.h"

namespace veil::node {

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
  for (Endpoint e : {Endpoint::chat_completions, Endpoint::completions, Endpoint::embeddings, Endpoint::rerank}) {
    if (auto u = net::parse_url(url_for(e)); u.ok()) parsed_urls_.at(static_cast<size_t>(e)) = std::move(u).value();
  }
}

UpstreamBackend::~UpstreamBackend() = default;

std::string UpstreamBackend::url_for(Endpoint e) const { return options_.base_url + endpoint_path(e); }

const net::ParsedUrl* UpstreamBackend::parsed_url_for(Endpoint e) const {
  const auto& u = parsed_urls_.at(static_cast<size_t>(e));
  return u ? &*u : nullptr;
}

std::string UpstreamBackend::forward_body(const BackendRequest& req) const {
  return upstream_forward_body(req, options_.upstream_model);
}

Result<boost::json::object> UpstreamBackend::complete(const BackendRequest& req, Usage* usage) {
  const std::string body = forward_body(req);
  auto r = client_->request("POST", url_for(req.endpoint), {{"content-type", "application/json"}}, body);
  if (!r.ok()) {
    log::warn("upstream request failed: {}", r.error().code);
    return upstream_transport_error(r.error());
  }
  if (r->status != 200) {
    log::warn("upstream answered HTTP {}", r->status);
    return upstream_status_error(r->status);
  }
  VEIL_ASSIGN_OR_RETURN(auto obj, parse_upstream_object(r->body));
  read_upstream_usage(obj, usage);
  return obj;
}

Status UpstreamBackend::stream(const BackendRequest& req, ChunkSink& sink, Usage* usage) {
  UpstreamEventStream events(req, usage);
  net::StreamCallbacks cb;
  cb.on_headers = [&](int s, const net::Headers&) {
    events.set_status(s);
    return true;
  };
  cb.on_data = [&](std::string_view data) { return events.feed(data, sink); };
  auto r = client_->stream("POST", url_for(req.endpoint),
                           {{"content-type", "application/json"}, {"accept", "text/event-stream"}}, forward_body(req), cb);
  return events.outcome(r.ok() ? ok_status() : Status(r.error()));
}

}  // namespace veil::node
