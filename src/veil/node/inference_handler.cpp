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
#include "veil/node/inference.h"

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

// stamp() for an object in JSON.stringify form: the own id it keeps, if any
// (a non-empty string of at most 200 bytes).
std::optional<std::string> own_id(const JsonMember* id) {
  if (!id || id->value.front() != '"') return std::nullopt;
  std::string own = id->value.find('\\') == std::string_view::npos
                        ? std::string(id->value.substr(1, id->value.size() - 2))
                        : std::string(boost::json::parse(id->value).as_string());  // canonical, so it parses
  if (own.empty() || own.size() > 200) return std::nullopt;
  return own;
}

// The object's bytes member by member, with stamp()'s changes: id and model
// replaced (the JSON strings given), the id appended when it had none; usage
// left out when asked. Member order is kept.
void append_stamped(const std::vector<JsonMember>& members, std::string_view quoted_id,
                    std::string_view quoted_model, bool drop_usage, std::string& out) {
  out += '{';
  bool first = true, had_id = false;
  for (const auto& m : members) {
    if (drop_usage && m.key == "usage") continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += m.key;
    out += "\":";
    if (m.key == "id") {
      had_id = true;
      out += quoted_id;
    } else if (m.key == "model") {
      out += quoted_model;
    } else {
      out += m.value;
    }
  }
  if (!had_id) {
    if (!first) out += ',';
    out += "\"id\":";
    out += quoted_id;
  }
  out += '}';
}

}  // namespace

BackendRequest PreparedInference::backend_request(std::string_view raw_body) const {
  const auto& body = parsed.get_object();
  return BackendRequest{endpoint, &body, raw_body, stream, stream && wants_usage(body)};
}

std::variant<ApiError, PreparedInference> prepare_inference(ApiState& st, Endpoint endpoint,
                                                            const net::HttpRequest& req) {
  for (const char* h : kE2eeHeaders) {
    if (req.header(h)) {
      return bad_request("end-to-end encryption is not supported by this node yet", std::nullopt,
                         "e2ee_not_supported");
    }
  }
  PreparedInference p;
  p.endpoint = endpoint;
  boost::system::error_code ec;
  boost::json::parse_options popts;
  popts.max_depth = 64;
  // One arena per request for all its JSON nodes (freed with the request)
  // instead of an allocation per node.
  p.parsed = boost::json::parse(req.body, ec,
                                boost::json::make_shared_resource<boost::json::monotonic_resource>(
                                    std::max<size_t>(1024, req.body.size() * 2)),
                                popts);
  if (ec) return bad_request("request body is not valid JSON");
  if (!p.parsed.is_object()) return bad_request("request body must be a JSON object");
  const boost::json::object& body = p.parsed.get_object();
  if (auto err = validate(endpoint, body)) return *err;
  p.model = std::string(body.at("model").get_string());
  if (p.model != st.served_model_name) {
    return ApiError{404, "invalid_request_error", "the model does not exist on this node", "model",
                    std::string("model_not_found")};
  }
  if (!st.backend->supports(endpoint)) {
    return ApiError{400, "invalid_request_error", "this model does not serve this endpoint", "model",
                    std::string("unsupported_endpoint")};
  }
  p.request_hash = crypto::sha256_hex(std::string_view(req.body));
  p.stream = (endpoint == Endpoint::chat_completions || endpoint == Endpoint::completions) && wants_stream(body);
  return p;
}

void sign_response(ApiState& st, const std::string& chat_id, const std::string& model,
                   const std::string& request_hash, const std::string& response_hash) {
  st.signatures.add_unsigned(chat_id, model, model + ":" + request_hash + ":" + response_hash);
  st.signer.submit([&st, id = chat_id] { st.signatures.sign_if_unsigned(id); });
}

namespace {

// A complete answer's final bytes: hashed, sent, then signed after the last
// byte went out, off the client's latency path. Returns 200.
int send_signed(ApiState& st, const PreparedInference& p, const std::string& id, std::string text,
                const Usage& usage, net::ResponseWriter& w) {
  const std::string response_hash = crypto::sha256_hex(std::string_view(text));
  st.signatures.add_pending(id, p.model);
  w.send(200, "application/json", std::move(text));
  sign_response(st, id, p.model, p.request_hash, response_hash);
  st.metrics.record_tokens(usage.prompt_tokens, usage.completion_tokens);
  return 200;
}

}  // namespace

int respond_complete(ApiState& st, const PreparedInference& p, boost::json::object obj, const Usage& usage,
                     net::ResponseWriter& w) {
  const std::string id = stamp(obj, p.endpoint, p.model, nullptr);
  return send_signed(st, p, id, js_stringify(obj), usage, w);
}

int respond_complete(ApiState& st, const PreparedInference& p, const std::vector<JsonMember>& members,
                     const Usage& usage, net::ResponseWriter& w) {
  auto own = own_id(find_member(members, "id"));
  const std::string id = own ? std::move(*own) : new_id(p.endpoint);  // not value_or: that draws an id every time
  std::string quoted_id, quoted_model, text;
  js_quote_append(id, quoted_id);
  js_quote_append(p.model, quoted_model);
  append_stamped(members, quoted_id, quoted_model, false, text);
  return send_signed(st, p, id, std::move(text), usage, w);
}

bool StreamResponse::chunk(boost::json::object&& c) {
  if (!client_ok_) return false;
  const std::string id = stamp(c, p_.endpoint, p_.model, chat_id_ ? &*chat_id_ : nullptr);
  if (!chat_id_) {
    chat_id_ = id;
    st_.signatures.add_pending(id, p_.model);
  }
  pending_ += "data: ";
  js_stringify_append(c, pending_);
  pending_ += "\n\n";
  return true;
}

bool StreamResponse::chunk(const std::vector<JsonMember>& members, bool drop_usage) {
  if (!client_ok_) return false;
  if (!chat_id_) {
    auto own = own_id(find_member(members, "id"));
    chat_id_ = own ? std::move(*own) : new_id(p_.endpoint);
    st_.signatures.add_pending(*chat_id_, p_.model);
    js_quote_append(*chat_id_, quoted_chat_id_);
    js_quote_append(p_.model, quoted_model_);
  }
  pending_ += "data: ";
  append_stamped(members, quoted_chat_id_, quoted_model_, drop_usage, pending_);
  pending_ += "\n\n";
  return true;
}

bool StreamResponse::flush() { return send_pending(false); }

bool StreamResponse::send_pending(bool last) {
  if (!client_ok_) return false;
  if (pending_.empty() && !last) return true;
  if (!started_) {
    started_ = true;
    if (!w_.begin_stream(200, "text/event-stream")) return client_ok_ = false;
  }
  hasher_.update(std::string_view(pending_));
  client_ok_ = last ? w_.end_stream(pending_) : w_.write(pending_);
  pending_.clear();
  return client_ok_;
}

bool StreamResponse::finish(const Status& status, uint64_t request_id) {
  if (!started_ && pending_.empty() && !status.ok()) {
    // Nothing sent yet: a plain OpenAI error with its status.
    if (chat_id_) st_.signatures.mark_disconnected(*chat_id_, p_.model);
    http_status_ = send_error(w_, from_backend_error(status.error()));
    return false;
  }
  if (!chat_id_) {
    // A stream without a single chunk: still well-formed, and signed.
    chat_id_ = new_id(p_.endpoint);
    st_.signatures.add_pending(*chat_id_, p_.model);
  }
  if (status.ok()) {
    // The last chunks, [DONE] and the stream's end in one write.
    pending_ += "data: [DONE]\n\n";
    if (send_pending(true)) return true;
  } else if (client_ok_) {
    // Failure mid-stream: what was produced, then the error in-band; no [DONE].
    flush();
    if (client_ok_) {
      w_.write("data: " + error_body(from_backend_error(status.error())) + "\n\n");
      w_.end_stream();
    }
    record_disconnect();
    log::info("req={} stream ended without [DONE] (backend error)", request_id);
    return false;
  }
  record_disconnect();
  log::info("req={} stream ended without [DONE] (client gone)", request_id);
  return false;
}

void StreamResponse::delivered(bool ok, uint64_t request_id) {
  if (ok) {
    sign_response(st_, *chat_id_, p_.model, p_.request_hash, hex_encode(hasher_.finish()));
    return;
  }
  record_disconnect();
  log::info("req={} stream ended without [DONE] (client gone)", request_id);
}

void StreamResponse::record_disconnect() {
  st_.metrics.record_stream_disconnect();
  st_.signatures.mark_disconnected(*chat_id_, p_.model);
}

int handle_inference(ApiState& st, Endpoint endpoint, const net::HttpRequest& req, net::ResponseWriter& w) {
  auto prepared = prepare_inference(st, endpoint, req);
  if (auto* err = std::get_if<ApiError>(&prepared)) return send_error(w, *err);
  const PreparedInference& p = std::get<PreparedInference>(prepared);
  const BackendRequest breq = p.backend_request(req.body);
  Usage usage;
  if (!p.stream) {
    auto result = st.backend->complete(breq, &usage);
    if (!result.ok()) return send_error(w, from_backend_error(result.error()));
    return respond_complete(st, p, std::move(result).value(), usage, w);
  }
  StreamResponse sink(st, w, p);
  const Status status = st.backend->stream(breq, sink, &usage);
  st.metrics.record_tokens(usage.prompt_tokens, usage.completion_tokens);
  // The blocking writer's end_stream() returns once the bytes are on the socket.
  if (sink.finish(status, req.id)) sink.delivered(true, req.id);
  return sink.http_status();
}

}  // namespace veil::node
