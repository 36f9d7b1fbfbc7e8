#include "veil/node/upstream_protocol.h"

#include <boost/json.hpp>

#include "veil/base/log.h"

namespace veil::node {

std::string upstream_forward_body(const BackendRequest& req, const std::string& upstream_model) {
  // Nothing to change: the client's bytes as they came (no copy of the
  // parsed object, no re-serialization).
  if (!req.stream && upstream_model.empty() && !req.raw_body.empty()) return std::string(req.raw_body);
  // A stream whose request has no stream_options (the usual case): the
  // client's bytes with the member appended before the closing brace, which
  // costs a copy instead of a re-serialization. The body parsed as an object,
  // so its last non-space byte is that brace; it has members (model, at least).
  if (req.stream && upstream_model.empty() && !req.body->contains("stream_options")) {
    const size_t close = req.raw_body.find_last_not_of(" \t\r\n");
    if (close != std::string_view::npos && req.raw_body[close] == '}' && !req.body->empty()) {
      constexpr std::string_view kMember = R"(,"stream_options":{"include_usage":true}})";
      std::string out;
      out.reserve(close + kMember.size());
      out.append(req.raw_body.substr(0, close));
      out.append(kMember);
      return out;
    }
  }
  boost::json::object body = *req.body;
  if (!upstream_model.empty()) body["model"] = upstream_model;
  if (req.stream) {
    // Always learn token counts, whatever the client asked for.
    boost::json::object so;
    if (auto it = body.find("stream_options"); it != body.end() && it->value().is_object()) so = it->value().get_object();
    so["include_usage"] = true;
    body["stream_options"] = std::move(so);
  }
  return boost::json::serialize(body);
}

Error upstream_transport_error(const Error& e) {
  if (e.code.find("timeout") != std::string::npos) return make_error("upstream.timeout", "upstream timed out");
  return make_error("upstream.unavailable", "upstream is unavailable");
}

Error upstream_status_error(int status) {
  if (status == 400 || status == 422) return make_error("upstream.bad_request", "upstream rejected the request");
  if (status == 404) return make_error("upstream.model_not_found", "upstream does not serve this model");
  if (status == 429) return make_error("upstream.rate_limited", "upstream is busy");
  if (status == 503) return make_error("upstream.unavailable", "upstream is unavailable");
  if (status == 504) return make_error("upstream.timeout", "upstream timed out");
  return make_error("upstream.error", "upstream failed (HTTP " + std::to_string(status) + ")");
}

Result<boost::json::object> parse_upstream_object(std::string_view text, boost::json::storage_ptr sp) {
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = kMaxJsonDepth;
  auto v = boost::json::parse(text, ec, std::move(sp), opts);
  if (ec || !v.is_object()) return make_error("upstream.bad_response", "upstream returned malformed JSON");
  return std::move(v.as_object());
}

void read_upstream_usage(const boost::json::object& o, Usage* usage) {
  auto it = o.find("usage");
  if (it == o.end() || !it->value().is_object()) return;
  read_usage_object(it->value().get_object(), usage);
}

void read_usage_object(const boost::json::object& u, Usage* usage) {
  if (!usage) return;
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

bool UpstreamEventStream::feed(std::string_view data, ChunkSink& sink) {
  if (status_ != 200) return true;  // an error body is read but never forwarded
  if (done_) return true;           // read to the end so the connection can be reused
  events_.clear();
  if (auto st = parser_.feed(data, events_); !st.ok()) {
    failure_ = make_error("upstream.bad_response", "upstream sent a malformed event stream");
    return false;
  }
  struct ReleaseArena {
    boost::json::monotonic_resource& arena;
    ~ReleaseArena() { arena.release(); }
  } release_after_piece{arena_};
  for (auto& ev : events_) {
    if (ev.data == "[DONE]") {
      done_ = true;
      break;
    }
    // vLLM and SGLang write chunks in JSON.stringify form already: those are
    // checked and passed on member by member, without a parse tree.
    if (scanner_.scan_object(ev.data, kMaxJsonDepth)) {
      if (!pass_canonical(sink)) {
        client_gone_ = true;
        return false;
      }
      continue;
    }
    auto obj = parse_upstream_object(ev.data, &arena_);
    if (!obj.ok()) {
      failure_ = obj.error();
      return false;
    }
    // The usage-only chunk (empty choices) goes to the client only when it asked.
    bool usage_only = false;
    if (auto u = obj->find("usage"); u != obj->end() && u->value().is_object()) {
      read_upstream_usage(*obj, usage_);
      auto c = obj->find("choices");
      usage_only = c != obj->end() && c->value().is_array() && c->value().get_array().empty();
    }
    if (usage_only && !req_.client_wants_usage) continue;
    if (!req_.client_wants_usage) obj->erase("usage");
    if (!sink.chunk(std::move(obj).value())) {
      client_gone_ = true;
      return false;
    }
  }
  // One write for everything this piece brought; once [DONE] arrived, the
  // node writes the rest together with its own terminator.
  if (!done_ && !sink.flush()) {
    client_gone_ = true;
    return false;
  }
  return true;
}

bool UpstreamEventStream::pass_canonical(ChunkSink& sink) {
  const JsonMember* usage = find_member(scanner_.members(), "usage");
  const JsonMember* choices = find_member(scanner_.members(), "choices");
  // The usage-only chunk (empty choices) goes to the client only when it asked.
  if (usage && usage->value.front() == '{') {
    // Once per stream: the counts read from a parse of just that member.
    if (auto u = parse_upstream_object(usage->value, &arena_); u.ok()) read_usage_object(*u, usage_);
    if (choices && choices->value == "[]" && !req_.client_wants_usage) return true;
  }
  return sink.chunk(scanner_.members(), usage && !req_.client_wants_usage);
}

Status UpstreamEventStream::outcome(const Status& transport) const {
  if (client_gone_) return make_error("node.client_gone", "client disconnected");
  if (failure_) return *failure_;
  if (done_) return ok_status();
  if (!transport.ok()) {
    log::warn("upstream stream failed: {}", transport.error().code);
    return upstream_transport_error(transport.error());
  }
  if (status_ != 200) {
    log::warn("upstream answered HTTP {}", status_);
    return upstream_status_error(status_);
  }
  return make_error("upstream.truncated", "upstream stream ended early");
}

}  // namespace veil::node
