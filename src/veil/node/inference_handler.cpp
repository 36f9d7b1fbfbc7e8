// POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/rerank:
// validate, call the backend, write the body in JSON.stringify form, hash the
// exact bytes sent, and sign "{model}:{sha256(req)}:{sha256(resp)}" with both
// keys just after the last byte (WIRE.md section 4).
#include <boost/json.hpp>

#include "veil/base/encoding.h"
#include "veil/base/json_stringify.h"
#include "veil/base/log.h"
#include "veil/crypto/hash.h"
#include "veil/crypto/random.h"
#include "veil/node/api_state.h"

namespace veil::node {

namespace {

// Headers of NEAR's field-level E2EE (WIRE.md section 5). Until E2EE is
// built, such a request is refused rather than served in plaintext.
constexpr const char* kE2eeHeaders[] = {"x-signing-algo", "x-client-pub-key", "x-model-pub-key",
                                        "x-encryption-version", "x-encrypt-all-fields"};

const char* id_prefix(Endpoint e) {
  switch (e) {
    case Endpoint::chat_completions: return "chatcmpl-";
    case Endpoint::completions: return "cmpl-";
    case Endpoint::embeddings: return "embd-";
    case Endpoint::rerank: return "rerank-";
  }
  return "";
}

std::string new_id(Endpoint e) {
  std::array<uint8_t, 12> r;
  crypto::random_fill(r);
  return id_prefix(e) + hex_encode(r);
}

// Checks the shape the node relies on; detailed validation is the backend's.
std::optional<ApiError> validate(Endpoint e, const boost::json::object& body) {
  auto it = body.find("model");
  if (it == body.end() || !it->value().is_string()) return bad_request("'model' is required and must be a string", "model");
  auto require = [&](const char* field, auto pred, const char* what) -> std::optional<ApiError> {
    auto f = body.find(field);
    if (f == body.end() || !pred(f->value())) return bad_request(std::string("'") + field + "' " + what, field);
    return std::nullopt;
  };
  auto optional_bool = [&](const char* field) -> std::optional<ApiError> {
    auto f = body.find(field);
    if (f != body.end() && !f->value().is_bool() && !f->value().is_null())
      return bad_request(std::string("'") + field + "' must be a boolean", field);
    return std::nullopt;
  };
  switch (e) {
    case Endpoint::chat_completions: {
      if (auto err = require("messages", [](const boost::json::value& v) { return v.is_array() && !v.get_array().empty(); },
                             "is required and must be a non-empty array"))
        return err;
      for (const auto& m : body.at("messages").get_array()) {
        if (!m.is_object()) return bad_request("each message must be an object", "messages");
        auto role = m.get_object().find("role");
        if (role == m.get_object().end() || !role->value().is_string())
          return bad_request("each message needs a string 'role'", "messages");
        auto content = m.get_object().find("content");
        if (content != m.get_object().end() && !content->value().is_string() && !content->value().is_array() &&
            !content->value().is_null())
          return bad_request("message 'content' must be a string, an array of parts or null", "messages");
      }
      return optional_bool("stream");
    }
    case Endpoint::completions:
      if (auto err = require("prompt", [](const boost::json::value& v) { return v.is_string() || v.is_array(); },
                             "is required and must be a string or an array"))
        return err;
      return optional_bool("stream");
    case Endpoint::embeddings:
      return require("input", [](const boost::json::value& v) { return v.is_string() || v.is_array(); },
                     "is required and must be a string or an array");
    case Endpoint::rerank:
      if (auto err = require("query", [](const boost::json::value& v) { return v.is_string(); }, "is required and must be a string"))
        return err;
      return require("documents", [](const boost::json::value& v) { return v.is_array(); },
                     "is required and must be an array");
  }
  return std::nullopt;
}

bool wants_stream(const boost::json::object& body) {
  auto it = body.find("stream");
  return it != body.end() && it->value().is_bool() && it->value().get_bool();
}

bool wants_usage(const boost::json::object& body) {
  auto it = body.find("stream_options");
  if (it == body.end() || !it->value().is_object()) return false;
  auto u = it->value().get_object().find("include_usage");
  return u != it->value().get_object().end() && u->value().is_bool() && u->value().get_bool();
}

// The body's id, or a fresh one put into the body; the model field names the served model.
std::string stamp(boost::json::object& obj, Endpoint e, const std::string& model, const std::string* fixed_id) {
  std::string id;
  if (fixed_id) {
    id = *fixed_id;
    obj["id"] = id;
  } else if (auto it = obj.find("id"); it != obj.end() && it->value().is_string() && !it->value().get_string().empty() &&
                                       it->value().get_string().size() <= 200) {
    id = std::string(it->value().get_string());
  } else {
    id = new_id(e);
    obj["id"] = id;
  }
  if (obj.contains("model")) obj["model"] = model;
  return id;
}

std::string signed_text(const std::string& model, const std::string& request_hash, const std::string& response_hash) {
  return model + ":" + request_hash + ":" + response_hash;
}

}  // namespace

int handle_inference(ApiState& st, Endpoint endpoint, const net::HttpRequest& req, net::ResponseWriter& w) {
  for (const char* h : kE2eeHeaders) {
    if (req.header(h)) {
      return send_error(w, bad_request("end-to-end encryption is not supported by this node yet", std::nullopt,
                                       "e2ee_not_supported"));
    }
  }
  boost::system::error_code ec;
  boost::json::parse_options popts;
  popts.max_depth = 64;
  boost::json::value parsed = boost::json::parse(req.body, ec, {}, popts);
  if (ec) return send_error(w, bad_request("request body is not valid JSON"));
  if (!parsed.is_object()) return send_error(w, bad_request("request body must be a JSON object"));
  boost::json::object& body = parsed.as_object();
  if (auto err = validate(endpoint, body)) return send_error(w, *err);
  const std::string model(body.at("model").get_string());
  if (model != st.served_model_name) {
    return send_error(w, ApiError{404, "invalid_request_error", "the model does not exist on this node", "model",
                                  std::string("model_not_found")});
  }
  if (!st.backend->supports(endpoint)) {
    return send_error(w, ApiError{400, "invalid_request_error", "this model does not serve this endpoint", "model",
                                  std::string("unsupported_endpoint")});
  }

  const std::string request_hash = crypto::sha256_hex(std::string_view(req.body));
  const bool stream = (endpoint == Endpoint::chat_completions || endpoint == Endpoint::completions) && wants_stream(body);
  BackendRequest breq{endpoint, &body, stream, wants_usage(body)};
  Usage usage;

  if (!stream) {
    auto result = st.backend->complete(breq, &usage);
    if (!result.ok()) return send_error(w, from_backend_error(result.error()));
    boost::json::object obj = std::move(result).value();
    const std::string id = stamp(obj, endpoint, model, nullptr);
    std::string text = js_stringify(obj);
    const std::string response_hash = crypto::sha256_hex(std::string_view(text));
    st.signatures.add_pending(id, model);
    w.send(200, "application/json", std::move(text));
    // Signed after the last byte went out, off the client's latency path.
    st.signer.submit([&st, id, model, text = signed_text(model, request_hash, response_hash)]() mutable {
      st.signatures.complete(id, model, st.keys->sign_both(std::move(text)));
    });
    st.metrics.record_tokens(usage.prompt_tokens, usage.completion_tokens);
    return 200;
  }

  // Chunks are serialized and hashed as they come and written in batches
  // (flush); the hash covers exactly the bytes handed to the socket.
  struct StreamSink : ChunkSink {
    ApiState& st;
    net::ResponseWriter& w;
    Endpoint endpoint;
    const std::string& model;
    crypto::Sha256 hasher;
    std::optional<std::string> chat_id;
    std::string pending;
    bool started = false;
    bool client_ok = true;

    StreamSink(ApiState& s, net::ResponseWriter& writer, Endpoint e, const std::string& m)
        : st(s), w(writer), endpoint(e), model(m) {}

    bool chunk(boost::json::object&& c) override {
      if (!client_ok) return false;
      const std::string id = stamp(c, endpoint, model, chat_id ? &*chat_id : nullptr);
      if (!chat_id) {
        chat_id = id;
        st.signatures.add_pending(id, model);
      }
      pending += "data: ";
      js_stringify_append(c, pending);
      pending += "\n\n";
      return true;
    }
    bool flush() override {
      if (!client_ok) return false;
      if (pending.empty()) return true;
      if (!started) {
        started = true;
        if (!w.begin_stream(200, "text/event-stream")) return client_ok = false;
      }
      hasher.update(std::string_view(pending));
      client_ok = w.write(pending);
      pending.clear();
      return client_ok;
    }
  } sink(st, w, endpoint, model);


  Status status = st.backend->stream(breq, sink, &usage);
  st.metrics.record_tokens(usage.prompt_tokens, usage.completion_tokens);

  if (!sink.started && sink.pending.empty() && !status.ok()) {
    // Nothing sent yet: a plain OpenAI error with its status.
    if (sink.chat_id) st.signatures.mark_disconnected(*sink.chat_id, model);
    return send_error(w, from_backend_error(status.error()));
  }
  if (!sink.chat_id) {
    // A stream without a single chunk: still well-formed, and signed.
    sink.chat_id = new_id(endpoint);
    st.signatures.add_pending(*sink.chat_id, model);
  }
  if (status.ok()) {
    // The last chunks and the terminator go out in one write.
    sink.pending += "data: [DONE]\n\n";
    if (!sink.started && sink.client_ok) {
      sink.started = true;
      sink.client_ok = w.begin_stream(200, "text/event-stream");
    }
    if (sink.flush() && w.end_stream()) {
      const std::string response_hash = hex_encode(sink.hasher.finish());
      st.signer.submit([&st, id = *sink.chat_id, model, text = signed_text(model, request_hash, response_hash)]() mutable {
        st.signatures.complete(id, model, st.keys->sign_both(std::move(text)));
      });
      return 200;
    }
  } else if (sink.client_ok) {
    // Failure mid-stream: what was produced, then the error in-band; no [DONE].
    sink.flush();
    if (sink.client_ok) {
      w.write("data: " + error_body(from_backend_error(status.error())) + "\n\n");
      w.end_stream();
    }
  }
  st.metrics.record_stream_disconnect();
  st.signatures.mark_disconnected(*sink.chat_id, model);
  log::info("req={} stream ended without [DONE] ({})", req.id, sink.client_ok ? "backend error" : "client gone");
  return 200;
}

}  // namespace veil::node
