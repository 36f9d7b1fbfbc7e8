// What serves the model behind the node: the built-in engine or an
// OpenAI-compatible upstream (vLLM, SGLang, llama.cpp server) inside the same CVM.
//
// Backends speak in parsed JSON objects; the node owns serialization (the
// JSON.stringify-exact form that is hashed and signed), SSE framing, ids,
// hashing and signing. Backend errors are Results with codes that
// openai_error.h maps to HTTP statuses ("<source>.bad_request",
// ".unavailable", ".timeout", ...); their messages are Veil's own texts.
#pragma once

#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/json_canonical.h"
#include "veil/base/result.h"

namespace veil::node {

enum class Endpoint { chat_completions, completions, embeddings, rerank };

const char* endpoint_path(Endpoint e);   // "/v1/chat/completions", ...
const char* endpoint_metric(Endpoint e); // "chat_completions", ...
std::optional<Endpoint> endpoint_for_path(std::string_view path);  // the inverse of endpoint_path

struct Usage {
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
};

struct BackendRequest {
  Endpoint endpoint;
  // The client's request, parsed. `model` equals the served model name.
  const boost::json::object* body;
  // The same request exactly as received (a proxy may forward these bytes
  // when it changes nothing).
  std::string_view raw_body;
  bool stream = false;
  // When streaming: whether the client asked for stream_options.include_usage
  // (the node then forwards the usage chunk; otherwise it keeps it to itself).
  bool client_wants_usage = false;
};

// Where a streaming backend puts its chunks. chunk() queues one chunk (false
// when the client is gone: stop); flush() hands everything queued to the
// client — backends call it at the end of each batch they received or
// produced, so a burst of chunks costs one socket write, not one each.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual bool chunk(boost::json::object&& chunk) = 0;
  // A chunk an upstream wrote already in JSON.stringify form, passed on
  // without a parse tree: its top-level members as CanonicalJsonScanner
  // listed them, and whether usage is to be left out. The same rules as for
  // an object apply (id and model stamped).
  virtual bool chunk(const std::vector<JsonMember>& canonical_members, bool drop_usage) = 0;
  virtual bool flush() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string kind() const = 0;  // "builtin" | "upstream"

  // Non-streaming: the complete response object.
  virtual Result<boost::json::object> complete(const BackendRequest& req, Usage* usage) = 0;

  // Streaming: every chunk object goes to the sink in order (a false from it
  // means the client is gone: the backend stops and returns). Returns once the
  // stream ended normally ([DONE] upstream / done in the engine) or failed.
  virtual Status stream(const BackendRequest& req, ChunkSink& sink, Usage* usage) = 0;

  // Whether an endpoint is served (e.g. embeddings only by embedding models).
  virtual bool supports(Endpoint e) const = 0;
};

}  // namespace veil::node
