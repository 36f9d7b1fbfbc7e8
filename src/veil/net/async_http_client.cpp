// Asynchronous HTTP/1.1 client on a caller-given strand (see the header).
// Each call is a small state machine: [pooled fd | resolve → connect] →
// write the request → feed head and body to Beast's parser in 16 KiB
// pieces → give the connection back when the response allows keep-alive.
// Deadlines (connect, idle, total) are numbers each call keeps current; one
// sweep per io_context, every 100 ms while calls are live, closes those past
// theirs — no timer armed, re-armed or cancelled per request.
#include "veil/net/async_http_client.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <atomic>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "veil/base/ascii.h"
#include "veil/net/client_errors.h"
#include "veil/net/http_syntax.h"
#include "veil/net/io_strand.h"
#include "veil/net/url.h"

namespace veil::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxIdlePerHost = 64;
// A pooled connection unused for longer than this is dropped rather than
// risking a race with the server's keep-alive timeout.
constexpr auto kMaxIdleAge = std::chrono::seconds(20);
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr size_t kReadPiece = 16 * 1024;

constexpr auto kSweepInterval = std::chrono::milliseconds(100);

int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }

class Call;

struct IdleSocket {
  tcp::socket sock;
  Clock::time_point idle_since;
};

// Per io_context: idle keep-alive connections, kept as Asio sockets that stay
// registered with that context's reactor (taking one back costs no system
// call), and the live calls whose deadlines the sweep checks. As an
// execution_context service it is shut down with its io_context, before the
// reactor its sockets need is gone.
class IdlePool final : public asio::execution_context::service {
 public:
  using key_type = IdlePool;
  static inline asio::execution_context::id id;

  explicit IdlePool(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  // A connection the server closed meanwhile is not detected here: a request
  // that fails on a reused connection before any response byte is retried on
  // a fresh one (see Call::fail).
  std::optional<tcp::socket> take(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = idle_.find(key);
    if (it == idle_.end()) return std::nullopt;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty()) {
      IdleSocket c = std::move(list.back());  // most recently used first
      list.pop_back();
      if (now - c.idle_since < kMaxIdleAge) return std::move(c.sock);
    }
    return std::nullopt;
  }

  void give_back(const std::string& key, tcp::socket sock) {
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    if (list.size() < kMaxIdlePerHost) list.push_back(IdleSocket{std::move(sock), Clock::now()});
  }

  // A call in flight, checked by the sweep until it leaves.
  void enter(const std::shared_ptr<Call>& call, const asio::any_io_executor& ex) {
    std::lock_guard lock(mu_);
    live_.emplace(call.get(), call);
    if (!sweeping_) {
      sweeping_ = true;
      if (!sweep_) sweep_.emplace(ex);
      arm_locked();
    }
  }
  void leave(const Call* call) {
    std::lock_guard lock(mu_);
    live_.erase(call);
  }

 private:
  void arm_locked() {
    sweep_->expires_after(kSweepInterval);
    sweep_->async_wait([this](error_code ec) {
      if (!ec) sweep();
    });
  }
  void sweep();  // after Call

  void shutdown() override {
    std::lock_guard lock(mu_);
    idle_.clear();
    live_.clear();
    sweep_.reset();
  }

  std::mutex mu_;  // uncontended when each io_context has one thread
  std::unordered_map<std::string, std::vector<IdleSocket>> idle_;
  std::unordered_map<const Call*, std::weak_ptr<Call>> live_;
  std::optional<asio::steady_timer> sweep_;
  bool sweeping_ = false;
};

}  // namespace

struct AsyncHttpClient::Impl {
  AsyncHttpClientOptions opt;
};

namespace {

class Call final : public AsyncHttpCall, public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<AsyncHttpClient::Impl> client, asio::any_io_executor strand, ParsedUrl url,
       std::string request, AsyncHttpCallbacks cb)
      : client_(std::move(client)),
        strand_(std::move(strand)),
        sock_(strand_),
        pool_(asio::use_service<IdlePool>(asio::query(strand_, asio::execution::context))),
        url_(std::move(url)),
        key_(url_.host + ":" + std::to_string(url_.port)),
        request_(std::move(request)),
        cb_(std::move(cb)),
        piece_(new char[kReadPiece]) {
    buffer_.reserve(kReadPiece);
    total_deadline_ = Clock::now() + client_->opt.response_timeout;
  }

  // The deadline the sweep compares with (steady-clock ticks).
  int64_t deadline() const { return deadline_.load(std::memory_order_relaxed); }

  void begin() {
    connect_deadline_ = std::min(total_deadline_, Clock::now() + client_->opt.connect_timeout);
    update_deadline();
    pool_.enter(shared_from_this(), strand_);
    if (auto pooled = pool_.take(key_)) {
      sock_ = std::move(*pooled);
      reused_ = true;
      return send();
    }
    connect();
  }

  void pause() override { paused_ = true; }

  void resume() override {
    if (!paused_ || done_) return;
    paused_ = false;
    last_activity_ = Clock::now();
    update_deadline();
    if (read_wanted_) {
      read_wanted_ = false;
      read();
    }
  }

  void cancel() override {
    if (done_) return;
    cancelled_ = true;
    error_code ignored;
    sock_.close(ignored);
    if (resolver_) resolver_->cancel();
    if (!io_pending_) finish(make_error("net.aborted", "request cancelled"));
  }

 private:
  auto bound(void (Call::*fn)(error_code)) {
    return asio::bind_executor(strand_, [self = shared_from_this(), fn](error_code ec, auto&&...) {
      self->io_pending_ = false;
      ((*self).*fn)(ec);
    });
  }

  void connect() {
    error_code ec;
    auto address = asio::ip::make_address(url_.host, ec);
    if (!ec) {
      endpoints_ = {tcp::endpoint(address, url_.port)};
      return start_connect();
    }
    resolver_.emplace(strand_);
    io_pending_ = true;
    resolver_->async_resolve(
        url_.host, std::to_string(url_.port),
        asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, tcp::resolver::results_type r) {
          self->io_pending_ = false;
          if (self->done_) return;
          if (ec || r.empty()) return self->finish(make_error("net.resolve", "cannot resolve host"));
          self->endpoints_.clear();
          for (const auto& e : r) self->endpoints_.push_back(e.endpoint());
          self->start_connect();
        }));
  }

  void start_connect() {
    io_pending_ = true;
    asio::async_connect(sock_, endpoints_,
                        asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, const tcp::endpoint&) {
                          self->io_pending_ = false;
                          self->on_connect(ec);
                        }));
  }

  void on_connect(error_code ec) {
    if (done_) return;
    if (timed_out_) return finish(make_error("net.timeout", "connect timed out"));
    if (cancelled_) return finish(make_error("net.aborted", "request cancelled"));
    if (ec) return finish(make_error("net.connect", "cannot connect: " + ec.message()));
    sock_.set_option(tcp::no_delay(true), ec);
    send();
  }

  void send() {
    last_activity_ = Clock::now();
    idle_phase_ = true;
    update_deadline();
    io_pending_ = true;
    asio::async_write(sock_, asio::buffer(request_), bound(&Call::on_sent));
  }

  void on_sent(error_code ec) {
    if (done_) return;
    if (ec) return fail(ec, "sending the request");
    new_parser();
    read();
  }

  void new_parser() {
    parser_.emplace();
    parser_->header_limit(kMaxResponseHeaderBytes);
    parser_->body_limit(client_->opt.max_response_bytes);
  }

  // The parser's body buffer pointed at an empty piece; returned for the
  // caller to see how much of it the parser filled.
  http::buffer_body::value_type& fresh_piece() {
    auto& body = parser_->get().body();
    body.data = piece_.get();
    body.size = kReadPiece;
    return body;
  }

  // Parses what is buffered right here, and reads from the socket only when
  // the parser needs more. (Beast's http::async_read_some completes through
  // the scheduler whenever it needed no socket read — a queue round and an
  // epoll_wait per header and per chunk of a response that arrived whole.)
  void read() {
    if (paused_) {
      read_wanted_ = true;
      return;
    }
    while (buffer_.size() > 0) {
      auto& body = fresh_piece();
      error_code ec;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;
      if (ec == http::error::need_buffer) ec = {};
      const bool progressed = used > 0 || body.size < kReadPiece;
      if (!on_parsed(ec)) return;  // the call ended
      if (paused_) {
        read_wanted_ = true;
        return;
      }
      if (!progressed) break;  // never spin: wait for bytes instead
    }
    if (peer_closed_) {
      // Everything before the close is parsed: the end of a body delimited
      // by the close, or a truncated message (Beast's put_eof decides).
      fresh_piece();  // put_eof writes no body bytes: nothing to pass on
      error_code ec;
      parser_->put_eof(ec);
      on_parsed(ec);
      return;
    }
    io_pending_ = true;
    sock_.async_read_some(buffer_.prepare(kReadPiece),
                          asio::bind_executor(strand_, [self = shared_from_this()](error_code ec, size_t n) {
                            self->io_pending_ = false;
                            if (self->done_) return;
                            self->on_socket_read(ec, n);
                          }));
  }

  void on_socket_read(error_code ec, size_t n) {
    buffer_.commit(n);
    last_activity_ = Clock::now();
    update_deadline();
    if (ec == asio::error::eof) {
      if (!parser_->got_some() && buffer_.size() == 0)
        return fail(http::error::end_of_stream, "reading the response");
      peer_closed_ = true;
      ec = {};
    }
    if (ec) return fail(ec, "reading the response");
    read();
  }

  // After the parser consumed some bytes (or failed): headers and body
  // bytes to the callbacks. False when the call ended.
  bool on_parsed(error_code ec) {
    if (done_) return false;
    if (buffer_.size() > 0 || parser_->got_some()) any_bytes_ = true;
    if (ec) {
      fail(ec, "reading the response");
      return false;
    }
    auto& msg = parser_->get();
    const size_t n = kReadPiece - msg.body().size;
    if (!head_delivered_ && parser_->is_header_done()) {
      const int status = static_cast<int>(msg.result_int());
      if (status >= 100 && status < 200 && status != 101) {
        // An interim response has no body: start over for the final one.
        if (parser_->is_done()) new_parser();
        return true;
      }
      head_delivered_ = true;
      if (cb_.on_headers) {
        Headers headers;
        headers.reserve(8);
        for (const auto& f : msg.base()) headers.emplace_back(ascii_lower(f.name_string()), std::string(f.value()));
        if (!cb_.on_headers(status, headers)) {
          abort();
          return false;
        }
      }
    }
    if (n > 0 && cb_.on_data && !cb_.on_data(std::string_view(piece_.get(), n))) {
      abort();
      return false;
    }
    if (done_) return false;  // a callback cancelled
    if (parser_->is_done()) {
      if (msg.keep_alive() && buffer_.size() == 0) keep_connection();
      finish(ok_status());
      return false;
    }
    return true;
  }

  void keep_connection() { pool_.give_back(key_, std::move(sock_)); }

  void abort() {
    error_code ignored;
    sock_.close(ignored);
    finish(make_error("net.aborted", "stream aborted by the caller"));
  }

  void fail(error_code ec, std::string_view what) {
    if (timed_out_) return finish(make_error("net.timeout", std::string(what) + " timed out"));
    if (cancelled_) return finish(make_error("net.aborted", "request cancelled"));
    // A pooled connection the server had already closed: nothing was
    // processed, so the request is safe to send again on a fresh one.
    if (reused_ && !any_bytes_ && !retried_) {
      retried_ = true;
      reused_ = false;
      error_code ignored;
      sock_.close(ignored);
      sock_ = tcp::socket(strand_);
      buffer_.clear();
      peer_closed_ = false;
      return connect();
    }
    finish(client_io_error(ec, what));
  }

  void finish(Status st) {
    if (done_) return;
    done_ = true;
    pool_.leave(this);
    error_code ignored;
    if (sock_.is_open()) sock_.close(ignored);
    auto on_done = std::move(cb_.on_done);
    cb_ = {};
    if (on_done) on_done(std::move(st));
  }

  // The deadline in force now: connect, or min(total, last byte + idle); a
  // paused call waits on its consumer, so only the total deadline counts.
  Clock::time_point current_deadline() const {
    if (!idle_phase_) return std::min(total_deadline_, connect_deadline_);
    if (paused_) return total_deadline_;
    return std::min(total_deadline_, last_activity_ + client_->opt.idle_read_timeout);
  }

  void update_deadline() { deadline_.store(ticks(current_deadline()), std::memory_order_relaxed); }

 public:
  // On the strand, when the sweep saw the deadline pass.
  void check_deadline() {
    if (done_) return;
    if (Clock::now() < current_deadline()) return update_deadline();  // moved on meanwhile
    timed_out_ = true;
    error_code ignored;
    sock_.close(ignored);  // the pending operation completes with an error
    if (resolver_) resolver_->cancel();
    if (!io_pending_) finish(make_error("net.timeout", "upstream timed out"));
  }
  const asio::any_io_executor& strand() const { return strand_; }

 private:
  std::shared_ptr<AsyncHttpClient::Impl> client_;
  asio::any_io_executor strand_;
  tcp::socket sock_;
  IdlePool& pool_;
  std::atomic<int64_t> deadline_{0};
  std::optional<tcp::resolver> resolver_;
  std::vector<tcp::endpoint> endpoints_;
  ParsedUrl url_;
  std::string key_;
  std::string request_;
  AsyncHttpCallbacks cb_;
  std::unique_ptr<char[]> piece_;
  beast::flat_buffer buffer_;
  bool peer_closed_ = false;  // the socket read end of stream
  std::optional<http::response_parser<http::buffer_body>> parser_;
  Clock::time_point total_deadline_{};
  Clock::time_point connect_deadline_{};
  Clock::time_point last_activity_{};
  bool idle_phase_ = false;  // connected: the idle deadline applies
  bool io_pending_ = false;
  bool reused_ = false;
  bool retried_ = false;
  bool any_bytes_ = false;
  bool head_delivered_ = false;
  bool paused_ = false;
  bool read_wanted_ = false;
  bool timed_out_ = false;
  bool cancelled_ = false;
  bool done_ = false;
};

void IdlePool::sweep() {
  std::vector<std::shared_ptr<Call>> due;
  {
    std::lock_guard lock(mu_);
    const int64_t now = ticks(Clock::now());
    for (auto it = live_.begin(); it != live_.end();) {
      auto call = it->second.lock();
      if (!call) {
        it = live_.erase(it);
        continue;
      }
      if (now >= call->deadline()) due.push_back(std::move(call));
      ++it;
    }
    if (live_.empty()) {
      sweeping_ = false;
    } else {
      arm_locked();
    }
  }
  for (auto& call : due) asio::post(call->strand(), [call] { call->check_deadline(); });
}

}  // namespace

AsyncHttpClient::AsyncHttpClient(AsyncHttpClientOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->opt = options;
}

AsyncHttpClient::~AsyncHttpClient() = default;

bool AsyncHttpClient::supports(std::string_view url) {
  auto u = parse_url(url);
  return u.ok() && !u->tls();
}

Result<std::shared_ptr<AsyncHttpCall>> AsyncHttpClient::start(const IoStrand& strand, std::string_view method,
                                                              std::string_view url, const Headers& headers,
                                                              std::string body, AsyncHttpCallbacks callbacks) {
  VEIL_ASSIGN_OR_RETURN(ParsedUrl u, parse_url(url));
  return start(strand, method, u, headers, std::move(body), std::move(callbacks));
}

Result<std::shared_ptr<AsyncHttpCall>> AsyncHttpClient::start(const IoStrand& strand, std::string_view method,
                                                              const ParsedUrl& u, const Headers& headers,
                                                              std::string body, AsyncHttpCallbacks callbacks) {
  if (u.tls()) return make_error("net.bad_url", "the async client speaks plain HTTP only");
  if (!token_is_safe(method)) return make_error("net.bad_method", "bad method");
  // RFC 9112 §3: request-line, fields, CRLF, body — one buffer, one write.
  std::string request;
  request.reserve(160 + u.target.size() + body.size());
  request.append(method);
  request += ' ';
  request += u.target;
  request += " HTTP/1.1\r\nHost: ";
  request += u.host_header();
  request += "\r\n";
  for (const auto& [name, value] : headers) {
    if (!token_is_safe(name) || !field_is_safe(value)) {
      return make_error("net.bad_header", "header name or value with forbidden characters");
    }
    if (ascii_iequals(name, "content-length") || ascii_iequals(name, "transfer-encoding") ||
        ascii_iequals(name, "host")) {
      continue;
    }
    request += name;
    request += ": ";
    request += value;
    request += "\r\n";
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request += "Content-Length: ";
    request += std::to_string(body.size());
    request += "\r\n";
  }
  request += "\r\n";
  request += body;
  auto call = std::make_shared<Call>(impl_, strand.executor, u, std::move(request), std::move(callbacks));
  // begin() only initiates operations, whose completions Asio never runs
  // inside the initiating call: no callback runs before start() returns.
  call->begin();
  return std::shared_ptr<AsyncHttpCall>(call);
}

}  // namespace veil::net
