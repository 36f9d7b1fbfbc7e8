// Backend `upstream`: forwards to an OpenAI-compatible server on loopback in
// the same CVM. Streams pass through chunk by chunk without buffering the
// whole response; streaming requests ask for stream_options.include_usage so
// the node always learns token counts.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include "veil/net/url.h"
#include "veil/node/backend.h"

namespace veil::net {
class HttpClient;
}

namespace veil::node {

struct UpstreamOptions {
  std::string base_url;         // e.g. http://127.0.0.1:8000 (the /v1 prefix is added)
  std::string upstream_model;   // model name the upstream knows; empty = same as the client's
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds response_timeout{600000};
  std::chrono::milliseconds idle_read_timeout{120000};
};

class UpstreamBackend : public Backend {
 public:
  explicit UpstreamBackend(UpstreamOptions options);
  ~UpstreamBackend() override;

  std::string kind() const override { return "upstream"; }
  Result<boost::json::object> complete(const BackendRequest& req, Usage* usage) override;
  Status stream(const BackendRequest& req, ChunkSink& sink, Usage* usage) override;
  bool supports(Endpoint) const override { return true; }

  // For the event-driven path (async_inference.cpp).
  std::string forward_body(const BackendRequest& req) const;
  std::string url_for(Endpoint e) const;
  // url_for(e) parsed once at construction; nullptr when it does not parse.
  const net::ParsedUrl* parsed_url_for(Endpoint e) const;
  const UpstreamOptions& options() const { return options_; }

 private:
  UpstreamOptions options_;
  std::array<std::optional<net::ParsedUrl>, 4> parsed_urls_;  // by Endpoint
  std::unique_ptr<net::HttpClient> client_;
};

}  // namespace veil::node
