// HTTP/1.1 server: one Session per connection, serialized by running on one
// single-threaded io_context (the shape of Beast's example/http/server/async-ssl
// and advanced/server, with the thread standing in for a strand), requests parsed
// by RequestReader, handlers run on a WorkerPool and answer through a
// SessionWriter that hands bytes to the strand and waits for the socket.
#include "veil/net/http_server.h"

#include <openssl/ssl.h>
#include <time.h>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <typeinfo>
#include <unordered_map>

#include "veil/base/ascii.h"
#include "veil/base/log.h"
#include "veil/net/http_syntax.h"
#include "veil/net/io_strand.h"
#include "veil/net/request_reader.h"
#include "veil/net/worker_pool.h"

namespace veil::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Bodies up to this size are copied behind the head so that a small response
// leaves in one TLS record and one syscall.
constexpr size_t kCoalesceBody = 16 * 1024;
// Queued writes gathered into one socket write, up to this many bytes.
constexpr size_t kMaxWriteBatch = 64 * 1024;
// While a handler runs, the connection keeps reading (to notice a vanished
// client and to buffer pipelined requests) up to this many bytes.
constexpr size_t kMaxBufferedWhileBusy = 64 * 1024;
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr auto kSweepInterval = std::chrono::milliseconds(100);

// RFC 9110 §6.6.1 Date, cached per second per thread.
std::string_view http_date() {
  thread_local time_t cached_second = 0;
  thread_local char buf[40] = {0};
  thread_local size_t len = 0;
  time_t now = ::time(nullptr);
  if (now != cached_second) {
    struct tm tm_utc;
    gmtime_r(&now, &tm_utc);
    len = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm_utc);
    cached_second = now;
  }
  return std::string_view(buf, len);
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

void append_hex(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, 16);
  out.append(buf, r.ptr);
}

// Header names that framing owns: a handler cannot set them.
bool reserved_field(std::string_view name) {
  return ascii_iequals(name, "content-length") || ascii_iequals(name, "transfer-encoding") ||
         ascii_iequals(name, "connection") || ascii_iequals(name, "date") || ascii_iequals(name, "server");
}

// A path for logs: printable ASCII only, bounded.
std::string loggable_path(std::string_view path) {
  std::string out;
  const size_t n = std::min<size_t>(path.size(), 96);
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    const char c = path[i];
    out.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
  }
  if (path.size() > n) out += "...";
  return out;
}

std::string endpoint_string(const tcp::endpoint& ep) {
  const auto addr = ep.address();
  std::string out = addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  out += ':';
  out += std::to_string(ep.port());
  return out;
}

int alpn_select(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kProtocols[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kProtocols, sizeof(kProtocols) - 1, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;  // no ALPN agreement: carry on as HTTP/1.1
}

Result<std::unique_ptr<ssl::context>> make_tls_context(const TlsServerConfig& cfg) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  SSL_CTX* h = ctx->native_handle();
  SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
  SSL_CTX_set_options(h, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // TLS 1.2 suites: forward-secret AEAD only (TLS 1.3 suites are AEAD by definition).
  if (SSL_CTX_set_cipher_list(h, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return make_error("net.tls_config", "cipher list rejected");
  }
  error_code ec;
  ctx->use_certificate_chain(asio::buffer(cfg.cert_pem), ec);
  if (ec) return make_error("net.tls_config", "certificate chain rejected");
  ctx->use_private_key(asio::buffer(cfg.key_pem), ssl::context::pem, ec);
  if (ec) return make_error("net.tls_config", "private key rejected");
  if (SSL_CTX_check_private_key(h) != 1)
    return make_error("net.tls_config", "key does not match certificate");
  SSL_CTX_set_alpn_select_cb(h, alpn_select, nullptr);
  return ctx;
}

struct WriteOp {
  enum class After { nothing, response_complete, close };
  std::string head;
  std::string body;
  After after = After::nothing;
  std::function<void(bool ok)> done;  // runs on the session strand, exactly once
};

class Session;

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions opt;
  HttpHandler handler;
  AsyncHttpHandler async_handler;  // optional; sees each request first, on the I/O thread
  // One io_context per I/O thread, each run by its thread alone: a
  // connection's handlers all run on one thread, and completions never wake
  // another thread of a shared context (futex traffic that cost more than the
  // work itself). The first also runs the acceptor and the sweep.
  // Declared in this order so that `ioc` is destroyed first: after stop() its
  // queue may still hold the cancelled accept, whose handler owns a socket
  // made for one of `more_iocs`, and that socket must be destroyed while its
  // context still exists.
  std::vector<std::unique_ptr<asio::io_context>> more_iocs;
  asio::io_context ioc{1};
  size_t next_ioc = 0;  // round-robin, on the acceptor's strand
  std::unique_ptr<ssl::context> tls;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  asio::steady_timer sweep_timer;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  WorkerPool pool;
  uint16_t port = 0;

  std::atomic<uint64_t> next_request_id{0};
  std::atomic<uint64_t> next_session_id{0};
  std::atomic<bool> stopping{false};
  std::atomic<size_t> active{0};
  std::mutex stop_mu;  // serializes stop()
  bool stopped = false;

  std::mutex mu;  // guards sessions, per_address
  std::condition_variable sessions_cv;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions;
  std::unordered_map<std::string, size_t> per_address;

  Impl(HttpServerOptions o, HttpHandler h, AsyncHttpHandler ah)
      : opt(std::move(o)),
        handler(std::move(h)),
        async_handler(std::move(ah)),
        acceptor(asio::make_strand(ioc)),
        accept_retry(acceptor.get_executor()),
        sweep_timer(acceptor.get_executor()),
        pool(opt.max_handler_threads) {
    for (unsigned i = 1; i < std::max(1u, opt.io_threads); ++i) more_iocs.push_back(std::make_unique<asio::io_context>(1));
  }

  asio::io_context& context_for_next_connection() {
    const size_t i = next_ioc++ % (more_iocs.size() + 1);
    return i == 0 ? ioc : *more_iocs[i - 1];
  }

  void do_accept();
  void sweep();
  void on_accept(error_code ec, tcp::socket sock);
  void session_closed(uint64_t id, const std::string& address_key);
};

namespace {

class SessionWriter;

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Phase { handshake, idle, header, body, handling, closing, closed };

  Session(HttpServer::Impl& srv, tcp::socket sock, uint64_t id, std::string remote, std::string address_key)
      : srv_(srv),
        executor_(sock.get_executor()),
        sock_(std::move(sock)),
        id_(id),
        remote_(std::move(remote)),
        address_key_(std::move(address_key)),
        reader_(RequestLimits{srv.opt.max_header_bytes, srv.opt.max_body_bytes}),
        scratch_(new char[kReadChunk]) {
    if (srv_.tls) tls_.emplace(std::move(sock_), *srv_.tls);
  }

  const asio::any_io_executor& executor() const { return executor_; }
  bool closed() const { return closed_flag_.load(std::memory_order_acquire); }
  uint64_t id() const { return id_; }
  HttpServer::Impl& server() { return srv_; }

  void start() {
    if (tls_) {
      phase_ = Phase::handshake;
      arm_read_timer(srv_.opt.header_timeout);
      tls_->async_handshake(ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
        if (self->closed_) return;
        if (ec) {
          log::debug("net: connection {} TLS handshake failed", self->id_);
          return self->close();
        }
        self->begin_request(true);
      });
    } else {
      begin_request(true);
    }
  }

  // Server stop: idle connections close now; busy ones after their response.
  void on_stop() {
    if (closed_) return;
    if (phase_ == Phase::idle || phase_ == Phase::handshake) close();
  }

  void close();
  void enqueue_write(std::shared_ptr<WriteOp> op);
  // A streamed response that its handler abandoned: the body cannot be completed.
  void abort_response() {
    if (closed_) return;
    log::debug("net: connection {} response abandoned mid-stream", id_);
    close();
  }

 private:
  friend class SessionWriter;

  tcp::socket& lowest() { return tls_ ? tls_->next_layer() : sock_; }

  template <typename Handler>
  void async_read_some(asio::mutable_buffer buf, Handler&& h) {
    if (tls_) {
      tls_->async_read_some(buf, std::forward<Handler>(h));
    } else {
      sock_.async_read_some(buf, std::forward<Handler>(h));
    }
  }

  template <typename Buffers, typename Handler>
  void async_write_all(const Buffers& bufs, Handler&& h) {
    if (tls_) {
      asio::async_write(*tls_, bufs, std::forward<Handler>(h));
    } else {
      asio::async_write(sock_, bufs, std::forward<Handler>(h));
    }
  }

  // Deadlines are plain numbers checked by the server's sweep (no timer
  // syscalls per request); they fire within kSweepInterval of their time.
  static int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
  void arm_read_timer(std::chrono::steady_clock::duration d) {
    read_deadline_.store(ticks(Clock::now() + d), std::memory_order_relaxed);
  }
  void disarm_read_timer() { read_deadline_.store(0, std::memory_order_relaxed); }

 public:
  // Any thread: whether a deadline has passed (the sweep then posts check_deadlines).
  bool deadline_passed(int64_t now) const {
    const int64_t r = read_deadline_.load(std::memory_order_relaxed);
    const int64_t w = write_deadline_.load(std::memory_order_relaxed);
    return (r != 0 && now >= r) || (w != 0 && now >= w);
  }
  // On the strand.
  void check_deadlines() {
    if (closed_) return;
    const int64_t now = ticks(Clock::now());
    const int64_t w = write_deadline_.load(std::memory_order_relaxed);
    if (w != 0 && now >= w) {
      log::debug("net: connection {} write timed out", id_);
      return close();
    }
    const int64_t r = read_deadline_.load(std::memory_order_relaxed);
    if (r != 0 && now >= r) {
      disarm_read_timer();
      on_read_timeout();
    }
  }

 private:
  void on_read_timeout() {
    switch (phase_) {
      case Phase::header:
      case Phase::body:
        log::debug("net: connection {} request timed out ({})", id_,
                   phase_ == Phase::header ? "head" : "body");
        break;
      default:
        break;
    }
    close();
  }

  void begin_request(bool first) {
    reader_.reset();
    phase_ = Phase::idle;
    if (srv_.stopping.load() && in_off_ == in_.size()) return close();
    // A new connection must deliver its first head within header_timeout; a
    // kept-alive one may idle for idle_timeout before starting the next.
    arm_read_timer(first ? srv_.opt.header_timeout : srv_.opt.idle_timeout);
    if (in_off_ < in_.size()) parse_input({});
    // Input ended before another complete request: nothing more can arrive.
    if (!closed_ && peer_eof_ &&
        (phase_ == Phase::idle || phase_ == Phase::header || phase_ == Phase::body)) {
      return graceful_close();
    }
    if (!closed_) ensure_reading();
  }

  void ensure_reading() {
    if (reading_ || closed_ || peer_eof_ || phase_ == Phase::handshake) return;
    if (phase_ == Phase::handling && in_.size() - in_off_ > kMaxBufferedWhileBusy) return;
    reading_ = true;
    async_read_some(asio::buffer(scratch_.get(), kReadChunk),
                    [self = shared_from_this()](error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, size_t n) {
    reading_ = false;
    if (closed_) return;
    if (ec) {
      peer_eof_ = true;
      if (phase_ == Phase::handling) {
        mark_writer_peer_gone();
        // A reset connection cannot take the response; a half-closed one (EOF) still might.
        if (ec != asio::error::eof && ec != ssl::error::stream_truncated) close();
        return;
      }
      return close();
    }
    std::string_view fresh(scratch_.get(), n);
    switch (phase_) {
      case Phase::idle:
      case Phase::header:
      case Phase::body:
        parse_input(fresh);
        break;
      case Phase::closing:
        break;  // lingering close: discard
      default:
        in_.append(fresh);  // pipelined bytes wait for their turn
        break;
    }
    ensure_reading();
  }

  void parse_input(std::string_view fresh) {
    const bool use_buffer = in_off_ < in_.size();
    std::string_view avail;
    if (use_buffer) {
      in_.append(fresh);
      avail = std::string_view(in_).substr(in_off_);
    } else {
      avail = fresh;
    }
    size_t used = 0;
    bool more = true;
    while (more && !closed_) {
      if (phase_ == Phase::idle) {
        if (used == avail.size()) break;
        phase_ = Phase::header;
        arm_read_timer(srv_.opt.header_timeout);
      }
      used += reader_.feed(avail.substr(used));
      switch (reader_.state()) {
        case RequestReader::State::need_more:
          more = false;
          break;
        case RequestReader::State::header_ready:
          // RFC 9110 §10.1.1: send 100 Continue only when the body is not already on its way.
          if (reader_.expects_continue() && used == avail.size()) {
            auto op = std::make_shared<WriteOp>();
            op->head = "HTTP/1.1 100 Continue\r\n\r\n";
            op->done = [](bool) {};
            enqueue_write(std::move(op));
          }
          reader_.continue_body();
          phase_ = Phase::body;
          arm_read_timer(srv_.opt.body_timeout);
          break;
        case RequestReader::State::failed:
          respond_error(reader_.error_status(), reader_.error_message());
          more = false;
          break;
        case RequestReader::State::done:
          dispatch();
          more = false;
          break;
      }
    }
    if (use_buffer) {
      in_off_ += used;
    } else if (used < avail.size()) {
      in_.assign(avail.substr(used));
      in_off_ = 0;
    }
    if (in_off_ == in_.size()) {
      in_.clear();
      in_off_ = 0;
    } else if (in_off_ > kReadChunk) {
      in_.erase(0, in_off_);
      in_off_ = 0;
    }
  }

  void respond_error(int status, std::string_view message) {
    phase_ = Phase::handling;
    disarm_read_timer();
    log::debug("net: connection {} rejected request: {}", id_, status);
    auto op = std::make_shared<WriteOp>();
    const std::string body =
        openai_error_json(message, status >= 500 ? "server_error" : "invalid_request_error");
    op->head = "HTTP/1.1 ";
    append_number(op->head, static_cast<uint64_t>(status));
    op->head += ' ';
    op->head += status_reason(status);
    if (!srv_.opt.server_header.empty()) {
      op->head += "\r\nServer: ";
      op->head += srv_.opt.server_header;
    }
    op->head += "\r\nDate: ";
    op->head += http_date();
    op->head += "\r\nContent-Type: application/json\r\nContent-Length: ";
    append_number(op->head, body.size());
    op->head += "\r\nConnection: close\r\n\r\n";
    op->head += body;
    op->after = WriteOp::After::close;
    op->done = [](bool) {};
    enqueue_write(std::move(op));
  }

  void dispatch();
  void do_write_next();
  void on_write_done(error_code ec);
  void response_complete();
  void graceful_close();
  void mark_writer_peer_gone();

  HttpServer::Impl& srv_;
  asio::any_io_executor executor_;
  tcp::socket sock_;
  std::optional<ssl::stream<tcp::socket>> tls_;
  std::atomic<int64_t> read_deadline_{0};  // steady ticks; 0 = none
  std::atomic<int64_t> write_deadline_{0};
  const uint64_t id_;
  const std::string remote_;
  const std::string address_key_;
  RequestReader reader_;
  std::unique_ptr<char[]> scratch_;
  std::string in_;  // received bytes not yet parsed, from in_off_
  size_t in_off_ = 0;
  Phase phase_ = Phase::idle;
  bool reading_ = false;
  bool peer_eof_ = false;
  bool closed_ = false;
  std::atomic<bool> closed_flag_{false};
  bool writing_ = false;
  bool write_posted_ = false;
  std::deque<std::shared_ptr<WriteOp>> write_q_;
  size_t batch_ops_ = 0;  // operations in the write in flight
  std::string batch_;     // their bytes, when several were gathered
  bool keep_alive_ = false;
  std::shared_ptr<SessionWriter> writer_;  // the current request's; cleared when its response completes
  Clock::time_point request_start_{};
  std::string log_method_;
  std::string log_path_;
  int log_status_ = 0;
  uint64_t log_bytes_ = 0;
  uint64_t log_request_id_ = 0;
};

class SessionWriter final : public ResponseWriter, public std::enable_shared_from_this<SessionWriter> {
 public:
  SessionWriter(std::shared_ptr<Session> session, uint64_t request_id, int version, bool head_only,
                bool keep_alive)
      : session_(std::move(session)),
        request_id_(request_id),
        chunked_(version >= 11),
        head_only_(head_only),
        keep_alive_(keep_alive) {
    strand_.executor = session_->executor();
  }

  // Non-blocking mode for an async handler: calls come on the session strand,
  // queue their bytes and return at once. Set before the writer is used.
  void set_inline(bool on) { inline_ = on; }

  size_t queued_bytes() const { return queued_bytes_; }
  void when_drained(std::function<void(bool)> fn) {
    if (queued_bytes_ == 0) {
      asio::post(session_->executor(), [self = shared_from_this(), fn = std::move(fn)] { fn(!self->failed_.load()); });
    } else {
      drained_.push_back(std::move(fn));
    }
  }
  const IoStrand& strand() const { return strand_; }

  bool send(int status, std::string_view content_type, std::string body, const Headers& extra) override {
    std::lock_guard call(call_mu_);
    return send_locked(status, content_type, std::move(body), extra);
  }

  bool begin_stream(int status, std::string_view content_type, const Headers& extra) override {
    std::lock_guard call(call_mu_);
    if (state_ != State::fresh) return false;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the end of the body is the close
    std::string head = make_head(status, content_type, extra, std::nullopt);
    if (content_type == "text/event-stream" && !has_field(extra, "cache-control")) {
      head.insert(head.size() - 2, "Cache-Control: no-cache\r\n");
    }
    state_ = State::streaming;
    status_ = status;
    // The head goes out with the first piece of the body (or the end): one
    // socket write and one hand-off to the I/O thread fewer per stream.
    pending_head_ = std::move(head);
    return client_connected();
  }

  bool write(std::string_view data) override {
    std::lock_guard call(call_mu_);
    if (state_ != State::streaming) return false;
    if (peer_gone_.load()) {
      state_ = State::failed;
      session_abort();
      return false;
    }
    if (data.empty()) return client_connected();
    std::string piece = std::move(pending_head_);
    pending_head_.clear();
    if (head_only_ && piece.empty()) return true;
    append_body_piece(piece, data);
    if (!submit(std::move(piece), {}, WriteOp::After::nothing)) {
      state_ = State::failed;
      return false;
    }
    return true;
  }

  bool end_stream() override { return end_stream(std::string_view()); }

  bool end_stream(std::string_view last_data) override {
    std::lock_guard call(call_mu_);
    if (state_ != State::streaming) return false;
    if (!last_data.empty() && peer_gone_.load()) {
      state_ = State::failed;
      session_abort();
      return false;
    }
    std::string last = std::move(pending_head_);
    pending_head_.clear();
    append_body_piece(last, last_data);
    if (chunked_ && !head_only_) last += "0\r\n\r\n";
    if (!submit(std::move(last), {}, WriteOp::After::response_complete)) {
      state_ = State::failed;
      return false;
    }
    state_ = State::complete;
    completed_.store(true);
    return !peer_gone_.load();
  }

  // Body bytes framed for the wire (RFC 9112 §7.1 chunk when chunked:
  // chunk-size CRLF chunk-data CRLF); nothing for a HEAD request.
  void append_body_piece(std::string& out, std::string_view data) {
    if (data.empty() || head_only_) return;
    if (chunked_) {
      out.reserve(out.size() + data.size() + 20);
      append_hex(out, data.size());
      out += "\r\n";
      out.append(data);
      out += "\r\n";
    } else {
      out.append(data);
    }
    body_bytes_ += data.size();
  }

  bool client_connected() const override {
    return !peer_gone_.load() && !failed_.load() && !session_->closed();
  }

  bool completed() const override { return completed_.load(); }

  void mark_peer_gone() { peer_gone_.store(true); }

  // After the handler returned (or threw).
  void finish_after_handler() {
    std::lock_guard call(call_mu_);
    if (state_ == State::fresh) {
      send_locked(500, "application/json", openai_error_json("internal error", "server_error"), {});
    } else if (state_ == State::streaming) {
      log::debug("net: request {} handler returned mid-stream", request_id_);
      state_ = State::failed;
      session_abort();
    }
  }

  int status() const { return status_; }
  uint64_t body_bytes() const { return body_bytes_; }
  bool keep_alive() const { return keep_alive_; }

 private:
  enum class State { fresh, streaming, complete, failed };

  static bool has_field(const Headers& h, std::string_view name) {
    for (const auto& [n, v] : h) {
      if (ascii_iequals(n, name)) return true;
    }
    return false;
  }

  bool send_locked(int status, std::string_view content_type, std::string body, const Headers& extra) {
    if (state_ != State::fresh) return false;
    if (status < 200 || status > 999) status = 500;
    const bool no_body = status == 204 || status == 304;
    std::string head =
        make_head(status, content_type, extra, no_body ? std::nullopt : std::optional(body.size()));
    status_ = status;
    body_bytes_ = body.size();
    if (no_body || head_only_) {
      body.clear();
    } else if (body.size() <= kCoalesceBody) {
      head += body;
      body.clear();
    }
    const bool ok = submit(std::move(head), std::move(body), WriteOp::After::response_complete);
    state_ = ok ? State::complete : State::failed;
    if (ok) completed_.store(true);
    return ok;
  }

  std::string make_head(int status, std::string_view content_type, const Headers& extra,
                        std::optional<size_t> content_length) {
    if (status < 100 || status > 999) status = 500;
    std::string head;
    size_t extra_size = 0;
    for (const auto& [n, v] : extra) extra_size += n.size() + v.size() + 4;
    head.reserve(160 + content_type.size() + extra_size);
    head += "HTTP/1.1 ";
    append_number(head, static_cast<uint64_t>(status));
    head += ' ';
    head += status_reason(status);
    const std::string& server_header = session_->server().opt.server_header;
    if (!server_header.empty()) {
      head += "\r\nServer: ";
      head += server_header;
    }
    head += "\r\nDate: ";
    head += http_date();
    if (!content_type.empty() && field_is_safe(content_type)) {
      head += "\r\nContent-Type: ";
      head += content_type;
    }
    if (content_length) {
      head += "\r\nContent-Length: ";
      append_number(head, *content_length);
    } else if (chunked_ && status != 204 && status != 304) {
      head += "\r\nTransfer-Encoding: chunked";
    }
    if (!keep_alive_) {
      head += "\r\nConnection: close";
    } else if (!chunked_) {
      head += "\r\nConnection: keep-alive";  // HTTP/1.0 keep-alive must be explicit
    }
    head += "\r\n";
    for (const auto& [name, value] : extra) {
      if (name.empty() || reserved_field(name) || ascii_iequals(name, "content-type") ||
          !field_is_safe(name) || !field_is_safe(value) || name.find(':') != std::string::npos ||
          name.find(' ') != std::string::npos) {
        continue;
      }
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    head += "\r\n";
    return head;
  }

  // Hands bytes to the session strand and waits until they are on the socket
  // (inline mode: queues them there and returns).
  bool submit(std::string head, std::string body, WriteOp::After after) {
    if (session_->closed()) {
      failed_.store(true);
      return false;
    }
    auto op = std::make_shared<WriteOp>();
    op->head = std::move(head);
    op->body = std::move(body);
    op->after = after;
    if (inline_) return submit_inline(std::move(op));
    {
      std::lock_guard lock(mu_);
      op_done_ = false;
    }
    op->done = [self = shared_from_this()](bool ok) {
      {
        std::lock_guard lock(self->mu_);
        self->op_done_ = true;
        self->op_ok_ = ok;
      }
      self->cv_.notify_one();
    };
    asio::post(session_->executor(),
               [s = session_, op = std::move(op)]() mutable { s->enqueue_write(std::move(op)); });
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return op_done_; });
    if (!op_ok_) failed_.store(true);
    return op_ok_;
  }

  bool submit_inline(std::shared_ptr<WriteOp> op) {
    const size_t n = op->head.size() + op->body.size();
    queued_bytes_ += n;
    op->done = [self = shared_from_this(), n](bool ok) {
      if (!ok) self->failed_.store(true);
      self->queued_bytes_ -= n;
      // Posted, not called: the session is in the middle of its write
      // bookkeeping here, and a callback may well write again.
      if (self->queued_bytes_ == 0 && !self->drained_.empty()) {
        auto fns = std::move(self->drained_);
        self->drained_.clear();
        for (auto& fn : fns) {
          asio::post(self->session_->executor(), [self, fn = std::move(fn)] { fn(!self->failed_.load()); });
        }
      }
    };
    // Already on the strand (inline calls are): no post, no wait.
    session_->enqueue_write(std::move(op));
    return !failed_.load();
  }

  void session_abort() {
    asio::post(session_->executor(), [s = session_] { s->abort_response(); });
  }

  IoStrand strand_;
  bool inline_ = false;
  size_t queued_bytes_ = 0;                   // inline mode; strand only
  std::vector<std::function<void(bool)>> drained_;  // inline mode; strand only

  std::shared_ptr<Session> session_;
  const uint64_t request_id_;
  const bool chunked_;
  const bool head_only_;
  bool keep_alive_;
  std::mutex call_mu_;  // one writer call at a time
  State state_ = State::fresh;
  std::string pending_head_;  // a stream's head, until the first body bytes go out
  int status_ = 0;
  uint64_t body_bytes_ = 0;
  std::atomic<bool> completed_{false};
  std::atomic<bool> failed_{false};
  std::atomic<bool> peer_gone_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool op_done_ = false;
  bool op_ok_ = false;
};

bool on_strand(const asio::any_io_executor& ex) {
  const auto* io = ex.target<asio::io_context::executor_type>();
  return io != nullptr && io->running_in_this_thread();
}

// What an async handler holds: the session's writer in inline mode. The last
// reference going away is the async equivalent of a handler returning.
class AsyncWriterHandle final : public AsyncResponseWriter {
 public:
  explicit AsyncWriterHandle(std::shared_ptr<SessionWriter> w) : w_(std::move(w)) {}
  ~AsyncWriterHandle() override {
    if (!armed_) return;
    if (on_strand(w_->strand().executor)) {
      w_->finish_after_handler();
    } else {
      asio::post(w_->strand().executor, [w = w_] { w->finish_after_handler(); });
    }
  }
  void disarm() { armed_ = false; }

  bool send(int status, std::string_view content_type, std::string body, const Headers& extra) override {
    return w_->send(status, content_type, std::move(body), extra);
  }
  bool begin_stream(int status, std::string_view content_type, const Headers& extra) override {
    return w_->begin_stream(status, content_type, extra);
  }
  bool write(std::string_view data) override { return w_->write(data); }
  bool end_stream() override { return w_->end_stream(); }
  bool end_stream(std::string_view last_data) override { return w_->end_stream(last_data); }
  bool client_connected() const override { return w_->client_connected(); }
  bool completed() const override { return w_->completed(); }
  size_t queued_bytes() const override { return w_->queued_bytes(); }
  void when_drained(std::function<void(bool)> fn) override { w_->when_drained(std::move(fn)); }
  const IoStrand& strand() const override { return w_->strand(); }

 private:
  std::shared_ptr<SessionWriter> w_;
  bool armed_ = true;
};

void Session::mark_writer_peer_gone() {
  if (writer_) writer_->mark_peer_gone();
}

void Session::dispatch() {
  phase_ = Phase::handling;
  disarm_read_timer();
  HttpRequest request = reader_.take_request();
  request.id = ++srv_.next_request_id;
  request.remote_address = remote_;
  keep_alive_ = reader_.keep_alive() && !srv_.stopping.load();
  request_start_ = Clock::now();
  log_request_id_ = request.id;
  if (log::level() <= log::Level::debug) {
    log_method_ = loggable_path(request.method);
    log_path_ = loggable_path(request.path);
  }
  auto writer = std::make_shared<SessionWriter>(shared_from_this(), request.id, request.version,
                                                request.method == "HEAD", keep_alive_);
  writer_ = writer;
  if (srv_.async_handler) {
    writer->set_inline(true);
    auto handle = std::make_shared<AsyncWriterHandle>(writer);
    bool taken = true;
    try {
      taken = srv_.async_handler(request, handle);
    } catch (const std::exception& e) {
      log::warn("net: request {} async handler threw {}", request.id, typeid(e).name());
    } catch (...) {
      log::warn("net: request {} async handler threw a non-exception", request.id);
    }
    if (taken) return;  // the handle's holders answer now or later
    handle->disarm();
    writer->set_inline(false);
  }
  HttpServer::Impl* srv = &srv_;
  const bool queued =
      srv_.pool.submit([srv, writer = std::move(writer), request = std::move(request)]() mutable {
        try {
          srv->handler(request, *writer);
        } catch (const std::exception& e) {
          log::warn("net: request {} handler threw {}", request.id, typeid(e).name());
        } catch (...) {
          log::warn("net: request {} handler threw a non-exception", request.id);
        }
        writer->finish_after_handler();
      });
  if (!queued) close();  // the server is shutting down
}

void Session::enqueue_write(std::shared_ptr<WriteOp> op) {
  if (closed_) {
    op->done(false);
    return;
  }
  write_q_.push_back(std::move(op));
  // Writing starts once the current handler is done, so that everything it
  // queued (a stream's last chunks and its end, say) goes out in one write:
  // one TLS record and one system call instead of one each.
  if (writing_) return;
  // A response's last operation has nothing more to wait for: what is queued
  // goes out now (a pending posted start then finds the queue busy or empty).
  if (write_q_.back()->after != WriteOp::After::nothing) return do_write_next();
  if (write_posted_) return;
  write_posted_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    self->write_posted_ = false;
    self->do_write_next();
  });
}

void Session::do_write_next() {
  while (!write_q_.empty() && !writing_) {
    if (closed_) {
      auto op = std::move(write_q_.front());
      write_q_.pop_front();
      op->done(false);
      continue;
    }
    writing_ = true;
    write_deadline_.store(ticks(Clock::now() + srv_.opt.write_timeout), std::memory_order_relaxed);
    auto done = [self = shared_from_this()](error_code ec, size_t) { self->on_write_done(ec); };
    const WriteOp& first = *write_q_.front();
    if (write_q_.size() == 1 || first.body.size() > kMaxWriteBatch) {
      // One operation: its buffers as they are (a large body is not copied).
      batch_ops_ = 1;
      if (first.head.empty() && first.body.empty()) {
        on_write_done({});
        continue;
      }
      std::array<asio::const_buffer, 2> bufs{asio::buffer(first.head), asio::buffer(first.body)};
      async_write_all(bufs, std::move(done));
      return;
    }
    // Several: gathered into one buffer (Asio's TLS stream writes one buffer
    // per record, so a buffer sequence would still be several records).
    batch_.clear();
    batch_ops_ = 0;
    for (const auto& op : write_q_) {
      const size_t n = op->head.size() + op->body.size();
      if (batch_ops_ > 0 && batch_.size() + n > kMaxWriteBatch) break;
      batch_ += op->head;
      batch_ += op->body;
      ++batch_ops_;
    }
    if (batch_.empty()) {
      on_write_done({});
      continue;
    }
    async_write_all(std::array<asio::const_buffer, 1>{asio::buffer(batch_)}, std::move(done));
    return;
  }
}

void Session::on_write_done(error_code ec) {
  write_deadline_.store(0, std::memory_order_relaxed);
  writing_ = false;
  const bool ok = !ec && !closed_;
  const size_t n = std::min(batch_ops_, write_q_.size());
  batch_ops_ = 0;
  for (size_t i = 0; i < n && !write_q_.empty(); ++i) {  // an after-action may close (and fail) the queue
    auto op = std::move(write_q_.front());
    write_q_.pop_front();
    op->done(ok);
    if (!ok) continue;
    if (op->after == WriteOp::After::response_complete) {
      response_complete();
    } else if (op->after == WriteOp::After::close) {
      graceful_close();
    }
  }
  if (!ok) close();
  if (!writing_) do_write_next();
}

void Session::response_complete() {
  if (writer_) {
    log_status_ = writer_->status();
    log_bytes_ = writer_->body_bytes();
    keep_alive_ = keep_alive_ && writer_->keep_alive();
    writer_.reset();
  }
  if (log::level() <= log::Level::debug) {
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - request_start_).count();
    log::debug("net: request {} {} {} -> {} {}B {}us", log_request_id_, log_method_, log_path_, log_status_,
               log_bytes_, us);
  }
  // A client that half-closed after pipelining still gets its queued requests answered.
  const bool more_queued = in_off_ < in_.size();
  if (!keep_alive_ || srv_.stopping.load() || (peer_eof_ && !more_queued)) return graceful_close();
  begin_request(false);
}

void Session::graceful_close() {
  if (closed_ || phase_ == Phase::closing) return;
  phase_ = Phase::closing;
  mark_writer_peer_gone();
  // Half-close and drain what the client still sends, so that unread input
  // does not turn our close into a reset that destroys the response in flight.
  error_code ec;
  lowest().shutdown(tcp::socket::shutdown_send, ec);
  if (ec || peer_eof_) return close();
  arm_read_timer(kLingerTimeout);
  ensure_reading();
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  closed_flag_.store(true, std::memory_order_release);
  phase_ = Phase::closed;
  read_deadline_.store(0, std::memory_order_relaxed);
  write_deadline_.store(0, std::memory_order_relaxed);
  error_code ec;
  lowest().shutdown(tcp::socket::shutdown_both, ec);
  lowest().close(ec);
  mark_writer_peer_gone();
  writer_.reset();
  if (!writing_) do_write_next();  // fails queued operations
  srv_.session_closed(id_, address_key_);
}

}  // namespace

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(context_for_next_connection().get_executor(),
                        [this](error_code ec, tcp::socket sock) { on_accept(ec, std::move(sock)); });
}

void HttpServer::Impl::on_accept(error_code ec, tcp::socket sock) {
  if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    log::warn("net: accept failed: {}", ec.value());
    // Out of descriptors or memory: back off instead of spinning on the error.
    accept_retry.expires_after(std::chrono::milliseconds(50));
    accept_retry.async_wait([this](error_code wait_ec) {
      if (!wait_ec && acceptor.is_open()) do_accept();
    });
    return;
  }
  error_code ep_ec;
  auto ep = sock.remote_endpoint(ep_ec);
  if (ep_ec || stopping.load()) {
    sock.close(ep_ec);
    return do_accept();
  }
  std::string address_key = ep.address().to_string();
  uint64_t id = ++next_session_id;
  {
    std::lock_guard lock(mu);
    bool refuse = sessions.size() >= opt.max_connections;
    if (!refuse && opt.max_connections_per_address > 0) {
      auto it = per_address.find(address_key);
      refuse = it != per_address.end() && it->second >= opt.max_connections_per_address;
    }
    if (refuse) {
      log::debug("net: connection refused (limit)");
      error_code ignored;
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
      do_accept();
      return;
    }
    ++per_address[address_key];
    active.fetch_add(1);
    sock.set_option(tcp::no_delay(true), ep_ec);
    auto session =
        std::make_shared<Session>(*this, std::move(sock), id, endpoint_string(ep), std::move(address_key));
    sessions.emplace(id, session);
    asio::post(session->executor(), [session] { session->start(); });
  }
  do_accept();
}

void HttpServer::Impl::sweep() {
  const int64_t now = Clock::now().time_since_epoch().count();
  {
    std::lock_guard lock(mu);
    for (auto& [id, weak] : sessions) {
      auto session = weak.lock();
      if (session && session->deadline_passed(now)) {
        asio::post(session->executor(), [session] { session->check_deadlines(); });
      }
    }
  }
  sweep_timer.expires_after(kSweepInterval);
  sweep_timer.async_wait([this](error_code ec) {
    if (!ec) sweep();
  });
}

void HttpServer::Impl::session_closed(uint64_t id, const std::string& address_key) {
  {
    std::lock_guard lock(mu);
    sessions.erase(id);
    auto it = per_address.find(address_key);
    if (it != per_address.end() && --it->second == 0) per_address.erase(it);
    active.fetch_sub(1);
  }
  sessions_cv.notify_all();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(std::chrono::milliseconds(0)); }

uint16_t HttpServer::port() const { return impl_->port; }

size_t HttpServer::active_connections() const { return impl_->active.load(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options, HttpHandler handler) {
  return start(std::move(options), std::move(handler), nullptr);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options, HttpHandler handler,
                                                      AsyncHttpHandler async_handler) {
  if (!handler) return make_error("net.bad_handler", "no handler");
  for (char ch : options.server_header) {
    if (ch == '\r' || ch == '\n' || ch == '\0')
      return make_error("net.bad_option", "server_header has control characters");
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(handler), std::move(async_handler));
  const auto& opt = impl->opt;
  if (opt.tls) {
    VEIL_ASSIGN_OR_RETURN(impl->tls, make_tls_context(*opt.tls));
  }
  error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(opt.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, opt.port);
  } else {
    tcp::resolver resolver(impl->ioc);
    auto results = resolver.resolve(opt.host, std::to_string(opt.port), tcp::resolver::passive, ec);
    if (ec || results.empty()) return make_error("net.bad_address", "cannot resolve listen host");
    endpoint = results.begin()->endpoint();
  }
  auto& acc = impl->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("net.bind", "cannot listen on " + opt.host + ":" + std::to_string(opt.port));
  impl->port = acc.local_endpoint(ec).port();
  impl->work.push_back(asio::make_work_guard(impl->ioc));
  for (auto& c : impl->more_iocs) impl->work.push_back(asio::make_work_guard(*c));
  Impl* raw = impl.get();
  asio::post(acc.get_executor(), [raw] {
    raw->do_accept();
    raw->sweep();
  });
  raw->io_threads.emplace_back([raw] { raw->ioc.run(); });
  for (auto& c : raw->more_iocs) {
    raw->io_threads.emplace_back([c = c.get()] { c->run(); });
  }
  log::info("net: listening on {}:{} ({})", opt.host, impl->port, opt.tls ? "tls" : "plain");
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  Impl& s = *impl_;
  std::lock_guard stop_lock(s.stop_mu);
  if (s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  {
    std::promise<void> closed;
    auto fut = closed.get_future();
    asio::post(s.acceptor.get_executor(), [&s, &closed] {
      error_code ec;
      s.acceptor.close(ec);
      s.accept_retry.cancel();
      closed.set_value();
    });
    fut.wait();
  }
  auto for_each_session = [&s](auto fn) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(s.mu);
      for (auto& [id, weak] : s.sessions) {
        if (auto sp = weak.lock()) live.push_back(std::move(sp));
      }
    }
    for (auto& sp : live) asio::post(sp->executor(), [sp, fn] { fn(*sp); });
  };
  for_each_session([](Session& session) { session.on_stop(); });
  {
    std::unique_lock lock(s.mu);
    s.sessions_cv.wait_for(lock, drain, [&s] { return s.sessions.empty(); });
  }
  for_each_session([](Session& session) { session.close(); });
  {
    std::unique_lock lock(s.mu);
    s.sessions_cv.wait_for(lock, std::chrono::seconds(5), [&s] { return s.sessions.empty(); });
  }
  // Handlers see their writers fail and return; the I/O threads keep running
  // until then so that every pending write completes.
  s.pool.shutdown();
  s.work.clear();
  s.ioc.stop();
  for (auto& c : s.more_iocs) c->stop();
  for (auto& t : s.io_threads) t.join();
  s.io_threads.clear();
  log::info("net: server on port {} stopped", s.port);
}

}  // namespace veil::net
