// The event-driven inference path for an upstream over plain HTTP. The whole
// exchange runs on the client connection's I/O strand: the request is checked
// and hashed there, forwarded with the AsyncHttpClient on the same strand, and
// the answer is serialized, hashed and queued to the client from the upstream
// client's callbacks — no worker thread, no blocking, no hand-off. Streams
// keep backpressure: above kHighWater bytes queued to a slow client, reading
// from the upstream pauses until the client has taken them.
// Everything about the response's bytes (JSON.stringify form, ids, hashes,
// signatures, errors) is shared with the blocking path (inference.h).
#include <boost/json.hpp>

#include <exception>

#include "veil/base/log.h"
#include "veil/node/inference.h"
#include "veil/node/upstream_backend.h"
#include "veil/node/upstream_protocol.h"

namespace veil::node {

namespace {

constexpr size_t kHighWater = 256 * 1024;

class AsyncInference : public std::enable_shared_from_this<AsyncInference> {
 public:
  AsyncInference(ApiState& st, std::shared_ptr<net::AsyncResponseWriter> w, PreparedInference p, std::string raw_body,
                 uint64_t request_id)
      : st_(st),
        w_(std::move(w)),
        p_(std::move(p)),
        raw_body_(std::move(raw_body)),
        breq_(p_.backend_request(raw_body_)),
        request_id_(request_id),
        record_(st, request_id, "POST", endpoint_metric(p_.endpoint)) {
    if (p_.stream) {
      events_.emplace(breq_, &usage_);
      sink_.emplace(st_, *w_, p_);
    }
  }

  void start(UpstreamBackend& upstream, net::AsyncHttpClient& client) {
    auto self = shared_from_this();
    net::AsyncHttpCallbacks cb;
    cb.on_headers = [self](int status, const net::Headers&) {
      self->upstream_status_ = status;
      if (self->events_) self->events_->set_status(status);
      return true;
    };
    cb.on_data = [self](std::string_view data) { return self->guard([&] { return self->on_data(data); }); };
    cb.on_done = [self](Status transport) {
      self->guard([&] {
        self->on_done(std::move(transport));
        return true;
      });
    };
    net::Headers headers{{"content-type", "application/json"}};
    if (p_.stream) headers.emplace_back("accept", "text/event-stream");
    const net::ParsedUrl* url = upstream.parsed_url_for(p_.endpoint);
    auto call = url ? client.start(w_->strand(), "POST", *url, headers, upstream.forward_body(breq_), std::move(cb))
                    : client.start(w_->strand(), "POST", upstream.url_for(p_.endpoint), headers,
                                   upstream.forward_body(breq_), std::move(cb));
    if (!call.ok()) {
      log::warn("upstream request failed: {}", call.error().code);
      return fail(upstream_transport_error(call.error()));
    }
    call_ = std::move(call).value();
  }

 private:
  // Callbacks run inside the I/O loop, where an exception would take the
  // thread down: it becomes an internal error for this request alone.
  template <typename Fn>
  bool guard(Fn&& fn) {
    try {
      return fn();
    } catch (const std::exception& e) {
      log::error("req={} failed with an exception ({})", request_id_, typeid(e).name());
    } catch (...) {
      log::error("req={} failed with an exception", request_id_);
    }
    if (!w_->completed()) record_.status = send_error(*w_, internal_error());
    if (call_) call_->cancel();
    return false;
  }

  bool on_data(std::string_view data) {
    if (!p_.stream) {
      // Non-200 bodies are never forwarded (they may quote the prompt).
      if (upstream_status_ == 200) body_.append(data);
      return true;
    }
    if (!events_->feed(data, *sink_)) return false;
    if (w_->queued_bytes() > kHighWater && !paused_) {
      paused_ = true;
      call_->pause();
      w_->when_drained([self = shared_from_this()](bool) {
        self->paused_ = false;
        if (self->call_) self->call_->resume();
      });
    }
    return true;
  }

  void on_done(Status transport) {
    call_.reset();  // the call held the callbacks that hold this object
    if (!p_.stream) {
      if (!transport.ok()) {
        log::warn("upstream request failed: {}", transport.error().code);
        return fail(upstream_transport_error(transport.error()));
      }
      if (upstream_status_ != 200) {
        log::warn("upstream answered HTTP {}", upstream_status_);
        return fail(upstream_status_error(upstream_status_));
      }
      // An answer in JSON.stringify form passes through without a parse tree.
      CanonicalJsonScanner scanner;
      if (scanner.scan_object(body_, kMaxJsonDepth)) {
        if (const JsonMember* u = find_member(scanner.members(), "usage"); u && u->value.front() == '{') {
          if (auto parsed = parse_upstream_object(u->value); parsed.ok()) read_usage_object(*parsed, &usage_);
        }
        record_.status = respond_complete(st_, p_, scanner.members(), usage_, *w_);
        return;
      }
      // The answer's JSON nodes live in one arena for the little time they need.
      boost::json::monotonic_resource arena(std::max<size_t>(1024, body_.size() * 2));
      auto obj = parse_upstream_object(body_, &arena);
      if (!obj.ok()) return fail(obj.error());
      read_upstream_usage(*obj, &usage_);
      record_.status = respond_complete(st_, p_, std::move(obj).value(), usage_, *w_);
      return;
    }
    const Status outcome = events_->outcome(transport);
    st_.metrics.record_tokens(usage_.prompt_tokens, usage_.completion_tokens);
    const bool to_sign = sink_->finish(outcome, request_id_);
    record_.status = sink_->http_status();
    if (to_sign) {
      // Signed once the last byte is on the socket, as on the blocking path.
      w_->when_drained([self = shared_from_this()](bool delivered) { self->sink_->delivered(delivered, self->request_id_); });
    }
  }

  void fail(const Error& e) { record_.status = send_error(*w_, from_backend_error(e)); }

  ApiState& st_;
  std::shared_ptr<net::AsyncResponseWriter> w_;
  PreparedInference p_;
  std::string raw_body_;
  BackendRequest breq_;
  uint64_t request_id_;
  RequestRecord record_;
  Usage usage_;
  int upstream_status_ = 0;
  std::string body_;
  std::optional<UpstreamEventStream> events_;
  std::optional<StreamResponse> sink_;
  std::shared_ptr<net::AsyncHttpCall> call_;
  bool paused_ = false;
};

}  // namespace

bool handle_inference_async(ApiState& st, net::HttpRequest& req, const std::shared_ptr<net::AsyncResponseWriter>& w) {
  if (!st.async_upstream || !st.async_client || req.method != "POST") return false;
  const auto endpoint = endpoint_for_path(req.path);
  if (!endpoint) return false;
  auto prepared = prepare_inference(st, *endpoint, req);
  if (auto* err = std::get_if<ApiError>(&prepared)) {
    RequestRecord record(st, req.id, req.method, endpoint_metric(*endpoint));
    record.status = send_error(*w, *err);
    return true;
  }
  // The request is this handler's now: its body moves along with the job.
  auto job = std::make_shared<AsyncInference>(st, w, std::get<PreparedInference>(std::move(prepared)),
                                              std::move(req.body), req.id);
  job->start(*st.async_upstream, *st.async_client);
  return true;
}

}  // namespace veil::node
