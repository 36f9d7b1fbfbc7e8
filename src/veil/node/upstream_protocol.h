// How the node speaks to an OpenAI-compatible upstream, whichever client
// carries the bytes (the blocking HttpClient or the event-driven
// AsyncHttpClient): the forwarded body, error mapping, and the decoding of a
// streamed answer into chunk objects. Private to node/.
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/json_canonical.h"
#include "veil/base/result.h"
#include "veil/net/sse.h"
#include "veil/node/backend.h"

namespace veil::node {

// The client's request as the upstream gets it: its exact bytes when nothing
// changes; else re-serialized with the model renamed when configured, and for
// streams stream_options.include_usage always asked.
std::string upstream_forward_body(const BackendRequest& req, const std::string& upstream_model);

// Upstream failures become Veil's own error texts: an upstream's message may
// echo the client's input (FastAPI validation errors do), so it is never
// forwarded.
Error upstream_transport_error(const Error& e);
Error upstream_status_error(int status);
constexpr int kMaxJsonDepth = 64;  // nesting accepted in an upstream's JSON
Result<boost::json::object> parse_upstream_object(std::string_view text, boost::json::storage_ptr sp = {});
void read_upstream_usage(const boost::json::object& o, Usage* usage);  // from o's "usage" member
void read_usage_object(const boost::json::object& u, Usage* usage);

// Decodes a streamed (SSE) answer piece by piece into the sink.
class UpstreamEventStream {
 public:
  UpstreamEventStream(const BackendRequest& req, Usage* usage) : req_(req), usage_(usage) {}

  // Call with the response status before any body bytes.
  void set_status(int status) { status_ = status; }

  // Feeds body bytes. Chunks go to the sink, then one flush for the piece
  // (once [DONE] arrived the node writes the rest with its own terminator).
  // False: stop reading (the client is gone, or the stream is malformed).
  bool feed(std::string_view data, ChunkSink& sink);

  // The stream's outcome once the transport finished with `transport`.
  Status outcome(const Status& transport) const;

 private:
  const BackendRequest& req_;
  Usage* usage_;
  net::SseParser parser_;
  std::vector<net::SseEvent> events_;
  // A chunk in JSON.stringify form, already scanned: to the sink. False
  // when the client is gone.
  bool pass_canonical(ChunkSink& sink);

  CanonicalJsonScanner scanner_;  // reused: no allocation per chunk once warm
  // The chunks of one piece are parsed into this arena and released together
  // once written: no allocation per JSON node.
  unsigned char arena_buffer_[8192];
  boost::json::monotonic_resource arena_{arena_buffer_, sizeof arena_buffer_};
  int status_ = 0;
  bool done_ = false;
  bool client_gone_ = false;
  std::optional<Error> failure_;
};

}  // namespace veil::node
