// The parts of an inference request that the blocking path (built-in engine,
// https upstreams: inference_handler.cpp) and the event-driven upstream path
// (async_inference.cpp) share: validation, the complete response, and the
// stream response — its serialization, hashing and ending. Private to node/.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <variant>

#include "veil/crypto/hash.h"
#include "veil/net/http_types.h"
#include "veil/net/response_writer.h"
#include "veil/node/api_state.h"
#include "veil/node/backend.h"

namespace veil::node {

// A request that passed the node's checks.
struct PreparedInference {
  Endpoint endpoint;
  boost::json::value parsed;  // an object
  std::string model;
  std::string request_hash;   // sha256 hex of the exact body bytes received
  bool stream = false;

  // `raw_body` must outlive the BackendRequest.
  BackendRequest backend_request(std::string_view raw_body) const;
};

// E2EE headers, JSON, shape, model, endpoint support; then the request hash.
std::variant<ApiError, PreparedInference> prepare_inference(ApiState& st, Endpoint endpoint,
                                                            const net::HttpRequest& req);

// A complete (non-streamed) answer: stamps id and model, writes the
// JSON.stringify form, hashes it and has it signed after the send. Returns 200.
int respond_complete(ApiState& st, const PreparedInference& p, boost::json::object obj, const Usage& usage,
                     net::ResponseWriter& w);

// The same for an answer the upstream wrote in JSON.stringify form already:
// its bytes pass through with id and model stamped, no parse tree.
int respond_complete(ApiState& st, const PreparedInference& p,
                     const std::vector<JsonMember>& canonical_members, const Usage& usage,
                     net::ResponseWriter& w);

// Records "{model}:{request_hash}:{response_hash}" to be signed with both
// keys: by the idle-priority signer or on first lookup (signature_cache.h).
void sign_response(ApiState& st, const std::string& chat_id, const std::string& model,
                   const std::string& request_hash, const std::string& response_hash);

// A streamed answer: chunks are serialized and hashed as they come and
// written in batches (flush); the hash covers exactly the bytes handed to the
// writer.
class StreamResponse final : public ChunkSink {
 public:
  StreamResponse(ApiState& st, net::ResponseWriter& w, const PreparedInference& p) : st_(st), w_(w), p_(p) {}

  bool chunk(boost::json::object&& c) override;
  bool chunk(const std::vector<JsonMember>& canonical_members, bool drop_usage) override;
  bool flush() override;

  // Ends the stream after the backend's outcome: with [DONE] when `status` is
  // ok, an in-band error after partial output, or a plain OpenAI error when
  // nothing was sent yet. Returns true when [DONE] and the end went to the
  // writer and the stream is to be signed (sign()) once delivered; false when
  // it ended otherwise (already recorded as disconnected or answered with an
  // error).
  bool finish(const Status& status, uint64_t request_id);

  // After finish() returned true: the last byte was delivered (sign) or not.
  void delivered(bool ok, uint64_t request_id);

  int http_status() const { return http_status_; }
  bool client_ok() const { return client_ok_; }

 private:
  void record_disconnect();
  // What is queued goes out, hashed, after the stream's head when it is the
  // first; `last`: together with the stream's end, as one write.
  bool send_pending(bool last);

  ApiState& st_;
  net::ResponseWriter& w_;
  const PreparedInference& p_;
  crypto::Sha256 hasher_;
  std::optional<std::string> chat_id_;
  std::string quoted_chat_id_, quoted_model_;  // as JSON strings, for canonical chunks
  std::string pending_;
  bool started_ = false;
  bool client_ok_ = true;
  int http_status_ = 200;
};

// The event-driven path for an upstream served over plain HTTP: runs on the
// connection's I/O thread with no worker hand-off. False when the request is
// not for it (then the blocking path serves it).
bool handle_inference_async(ApiState& st, net::HttpRequest& req,
                            const std::shared_ptr<net::AsyncResponseWriter>& w);

}  // namespace veil::node
