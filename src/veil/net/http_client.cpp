// HTTP/1.1 client. Each connection owns a private io_context that the calling
// thread runs for one operation at a time, so every socket operation has a
// deadline (plain synchronous Asio calls cannot time out).
#include "veil/net/http_client.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "veil/base/ascii.h"
#include "veil/base/encoding.h"
#include "veil/net/client_errors.h"
#include "veil/net/http_syntax.h"
#include "veil/net/url.h"

namespace veil::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxIdlePerHost = 16;
// A pooled connection unused for longer than this is dropped rather than
// risking a race with the server's keep-alive timeout.
constexpr auto kMaxIdleAge = std::chrono::seconds(20);
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;
constexpr size_t kStreamChunk = 16 * 1024;

struct Connection {
  asio::io_context ioc{1};
  tcp::socket sock{ioc};
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;
  std::string spki_hex;
  Clock::time_point idle_since{};
  bool reused = false;

  // Beast sizes each read by the buffer's capacity (at least 512 bytes): an
  // unreserved buffer reads a streamed body in ~512-byte pieces, one system
  // call (and, in the node, one client write) each.
  Connection() { buffer.reserve(kStreamChunk); }

  // Runs one asynchronous operation to completion or until `deadline`, when
  // the socket is closed and the result is timed_out.
  template <typename Start>
  error_code run(Clock::time_point deadline, Start&& start) {
    bool done = false;
    error_code result;
    start([&](error_code ec, auto&&...) {
      done = true;
      result = ec;
    });
    // The deadline is the reactor's wait timeout (epoll_wait), so no timer is
    // armed and cancelled per operation.
    ioc.restart();
    while (!done) {
      if (ioc.run_one_until(deadline) == 0 && !done) {
        if (Clock::now() < deadline) {
          ioc.restart();
          continue;
        }
        error_code ignored;
        sock.cancel(ignored);
        sock.close(ignored);
        ioc.restart();
        ioc.run();  // completes the aborted operation
        return asio::error::timed_out;
      }
    }
    return result;
  }

  bool looks_alive() {
    // An idle keep-alive connection has nothing to read: readable means the
    // server closed it (EOF) or sent something unsolicited; either way drop it.
    if (!sock.is_open() || buffer.size() != 0) return false;
    pollfd pfd{sock.native_handle(), POLLIN, 0};
    int r = ::poll(&pfd, 1, 0);
    return r == 0;
  }
};

std::string spki_sha256_hex_of(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  std::string out;
  if (len > 0) {
    unsigned char digest[32];
    unsigned int digest_len = 0;
    if (EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr) == 1 &&
        digest_len == 32) {
      out = hex_encode(ByteView(digest, 32));
    }
  }
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

Status check_request(std::string_view method, const Headers& headers) {
  if (!token_is_safe(method)) return make_error("net.bad_method", "bad method");
  for (const auto& [name, value] : headers) {
    if (!token_is_safe(name) || !field_is_safe(value)) {
      return make_error("net.bad_header", "header name or value with forbidden characters");
    }
  }
  return ok_status();
}

struct Exchange {
  std::unique_ptr<Connection> conn;
};

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions opt;
  std::unique_ptr<ssl::context> tls;
  std::mutex mu;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::unordered_map<std::thread::id, std::string> last_spki;

  explicit Impl(HttpClientOptions o) : opt(std::move(o)) {
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* h = tls->native_handle();
    SSL_CTX_set_min_proto_version(h, TLS1_2_VERSION);
    SSL_CTX_set_options(h, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    static const unsigned char kAlpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(h, kAlpn, sizeof(kAlpn) - 1);
    if (opt.verify_peer) {
      error_code ec;
      tls->set_default_verify_paths(ec);
      tls->set_verify_mode(ssl::verify_peer);
    } else {
      tls->set_verify_mode(ssl::verify_none);
    }
  }

  static std::string pool_key(const ParsedUrl& u) {
    return u.scheme + "://" + u.host + ":" + std::to_string(u.port);
  }

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    const auto now = Clock::now();
    while (!list.empty()) {
      auto conn = std::move(list.back());  // most recently used first
      list.pop_back();
      if (now - conn->idle_since < kMaxIdleAge && conn->looks_alive()) {
        conn->reused = true;
        return conn;
      }
    }
    return nullptr;
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> conn) {
    conn->idle_since = Clock::now();
    std::lock_guard lock(mu);
    auto& list = idle[key];
    if (list.size() < kMaxIdlePerHost) list.push_back(std::move(conn));
  }

  void note_spki(const std::string& hex) {
    std::lock_guard lock(mu);
    last_spki[std::this_thread::get_id()] = hex;
  }

  Result<std::unique_ptr<Connection>> connect(const ParsedUrl& u) {
    auto conn = std::make_unique<Connection>();
    const auto deadline = Clock::now() + opt.connect_timeout;
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
    auto address = asio::ip::make_address(u.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, u.port);
    } else {
      // Name resolution blocks the calling thread (getaddrinfo has no timeout hook).
      tcp::resolver resolver(conn->ioc);
      auto results = resolver.resolve(u.host, std::to_string(u.port), ec);
      if (ec || results.empty()) return make_error("net.resolve", "cannot resolve host");
      for (const auto& r : results) endpoints.push_back(r.endpoint());
    }
    ec = conn->run(deadline, [&](auto handler) { asio::async_connect(conn->sock, endpoints, handler); });
    if (ec) {
      if (ec == asio::error::timed_out) return make_error("net.timeout", "connect timed out");
      return make_error("net.connect", "cannot connect: " + ec.message());
    }
    conn->sock.set_option(tcp::no_delay(true), ec);
    if (u.tls()) {
      conn->tls = std::make_unique<ssl::stream<tcp::socket&>>(conn->sock, *tls);
      SSL* ssl = conn->tls->native_handle();
      error_code ip_ec;
      asio::ip::make_address(u.host, ip_ec);
      const bool is_ip = !ip_ec;
      if (!is_ip) SSL_set_tlsext_host_name(ssl, u.host.c_str());
      if (opt.verify_peer) {
        if (is_ip) {
          X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u.host.c_str());
        } else {
          SSL_set1_host(ssl, u.host.c_str());
        }
      }
      ec = conn->run(deadline,
                     [&](auto handler) { conn->tls->async_handshake(ssl::stream_base::client, handler); });
      if (ec) {
        if (ec == asio::error::timed_out) return make_error("net.timeout", "TLS handshake timed out");
        return make_error("net.tls", "TLS handshake failed");
      }
      conn->spki_hex = spki_sha256_hex_of(ssl);
    }
    return conn;
  }

  // Gets a connection (pooled or new), checks the pin, sends the request.
  Result<Exchange> send(const ParsedUrl& u, const std::string& key, std::string_view method,
                        const Headers& headers, std::string_view body, bool allow_pooled,
                        Clock::time_point deadline, bool& reused) {
    Exchange ex;
    if (allow_pooled) ex.conn = take_idle(key);
    reused = ex.conn != nullptr;
    if (!ex.conn) {
      VEIL_ASSIGN_OR_RETURN(ex.conn, connect(u));
    }
    Connection& c = *ex.conn;
    if (c.tls) {
      note_spki(c.spki_hex);
      if (opt.pinned_spki_sha256_hex && !ascii_iequals(*opt.pinned_spki_sha256_hex, c.spki_hex)) {
        return make_error("net.pin_mismatch", "peer TLS key does not match the pinned SPKI hash");
      }
    }
    // RFC 9112 §3: request-line, fields, CRLF, body.
    std::string head;
    head.reserve(128 + u.target.size() + body.size());
    head.append(method);
    head += ' ';
    head += u.target;
    head += " HTTP/1.1\r\n";
    bool has_host = false;
    for (const auto& [name, value] : headers) {
      if (ascii_iequals(name, "content-length") || ascii_iequals(name, "transfer-encoding")) continue;
      if (ascii_iequals(name, "host")) has_host = true;
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    }
    if (!has_host) {
      head += "Host: ";
      head += u.host_header();
      head += "\r\n";
    }
    const bool method_has_body = method == "POST" || method == "PUT" || method == "PATCH";
    if (!body.empty() || method_has_body) {
      head += "Content-Length: ";
      head += std::to_string(body.size());
      head += "\r\n";
    }
    head += "\r\n";
    // One buffer for small requests: one TLS record, one syscall.
    std::array<asio::const_buffer, 2> bufs;
    if (body.size() <= 16 * 1024) {
      head.append(body);
      bufs = {asio::buffer(head), asio::const_buffer()};
    } else {
      bufs = {asio::buffer(head), asio::buffer(body.data(), body.size())};
    }
    error_code ec = c.run(std::min(deadline, Clock::now() + opt.idle_read_timeout), [&](auto handler) {
      if (c.tls) {
        asio::async_write(*c.tls, bufs, handler);
      } else {
        asio::async_write(c.sock, bufs, handler);
      }
    });
    if (ec) return client_io_error(ec, "sending the request");
    return ex;
  }

  // Reads once through `parser` with the idle and total deadlines.
  template <typename Parser>
  error_code read_some(Connection& c, Parser& parser, Clock::time_point deadline) {
    const auto step_deadline = std::min(deadline, Clock::now() + opt.idle_read_timeout);
    return c.run(step_deadline, [&](auto handler) {
      if (c.tls) {
        http::async_read_some(*c.tls, c.buffer, parser, handler);
      } else {
        http::async_read_some(c.sock, c.buffer, parser, handler);
      }
    });
  }

  template <typename Parser>
  error_code read_header(Connection& c, Parser& parser, Clock::time_point deadline, bool& any_bytes) {
    while (!parser.is_header_done()) {
      error_code ec = read_some(c, parser, deadline);
      if (c.buffer.size() > 0 || parser.got_some()) any_bytes = true;
      if (ec) return ec;
    }
    return {};
  }

  static Headers headers_of(const http::response_header<>& h) {
    Headers out;
    out.reserve(8);
    for (const auto& f : h) out.emplace_back(ascii_lower(f.name_string()), std::string(f.value()));
    return out;
  }

  Result<HttpResponse> request_once(const ParsedUrl& u, const std::string& key, std::string_view method,
                                    const Headers& headers, std::string_view body, bool allow_pooled,
                                    Clock::time_point deadline, bool& retryable) {
    bool reused = false;
    auto sent = send(u, key, method, headers, body, allow_pooled, deadline, reused);
    // A pooled connection that fails while sending was closed by the server.
    retryable = !sent.ok() && reused && sent.error().code != "net.pin_mismatch";
    if (!sent.ok()) return sent.error();
    Exchange ex = std::move(sent).value();
    Connection& c = *ex.conn;
    for (;;) {
      http::response_parser<http::string_body> parser;
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.body_limit(opt.max_response_bytes);
      if (method == "HEAD") parser.skip(true);
      bool any = false;
      error_code ec = read_header(c, parser, deadline, any);
      while (!ec && !parser.is_done()) {
        ec = read_some(c, parser, deadline);
        any = true;
      }
      if (ec) {
        retryable = c.reused && !any;
        return client_io_error(ec, "reading the response");
      }
      auto& msg = parser.get();
      const int status = static_cast<int>(msg.result_int());
      if (status >= 100 && status < 200 && status != 101) continue;  // interim response
      HttpResponse out;
      out.status = status;
      out.headers = headers_of(msg.base());
      out.body = std::move(msg.body());
      if (msg.keep_alive() && c.buffer.size() == 0) give_back(key, std::move(ex.conn));
      return out;
    }
  }

  Result<int> stream_once(const ParsedUrl& u, const std::string& key, std::string_view method,
                          const Headers& headers, std::string_view body, const StreamCallbacks& cb,
                          bool allow_pooled, Clock::time_point deadline, bool& retryable) {
    bool reused = false;
    auto sent = send(u, key, method, headers, body, allow_pooled, deadline, reused);
    // A pooled connection that fails while sending was closed by the server.
    retryable = !sent.ok() && reused && sent.error().code != "net.pin_mismatch";
    if (!sent.ok()) return sent.error();
    Exchange ex = std::move(sent).value();
    Connection& c = *ex.conn;
    std::unique_ptr<char[]> chunk(new char[kStreamChunk]);
    for (;;) {
      http::response_parser<http::buffer_body> parser;
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.body_limit(opt.max_response_bytes);
      if (method == "HEAD") parser.skip(true);
      bool any = false;
      error_code ec = read_header(c, parser, deadline, any);
      if (ec) {
        retryable = c.reused && !any;
        return client_io_error(ec, "reading the response");
      }
      auto& msg = parser.get();
      const int status = static_cast<int>(msg.result_int());
      if (status >= 100 && status < 200 && status != 101) {
        // Interim response: finish it (it has no body) and read the next.
        while (!parser.is_done()) {
          msg.body().data = chunk.get();
          msg.body().size = kStreamChunk;
          ec = read_some(c, parser, deadline);
          if (ec && ec != http::error::need_buffer) return client_io_error(ec, "reading the response");
        }
        continue;
      }
      if (cb.on_headers && !cb.on_headers(status, headers_of(msg.base()))) {
        return make_error("net.aborted", "stream aborted by the caller");
      }
      while (!parser.is_done()) {
        msg.body().data = chunk.get();
        msg.body().size = kStreamChunk;
        ec = read_some(c, parser, deadline);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) return client_io_error(ec, "reading the response body");
        const size_t n = kStreamChunk - msg.body().size;
        if (n > 0 && cb.on_data && !cb.on_data(std::string_view(chunk.get(), n))) {
          return make_error("net.aborted", "stream aborted by the caller");
        }
      }
      if (msg.keep_alive() && c.buffer.size() == 0) give_back(key, std::move(ex.conn));
      return status;
    }
  }
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::request(std::string_view method, std::string_view url,
                                         const Headers& headers, std::string_view body) {
  VEIL_ASSIGN_OR_RETURN(ParsedUrl u, parse_url(url));
  VEIL_TRY(check_request(method, headers));
  const std::string key = Impl::pool_key(u);
  const auto deadline = Clock::now() + impl_->opt.response_timeout;
  bool retryable = false;
  auto r = impl_->request_once(u, key, method, headers, body, true, deadline, retryable);
  // A pooled connection the server had already closed: nothing was processed, try a fresh one.
  if (!r.ok() && retryable)
    r = impl_->request_once(u, key, method, headers, body, false, deadline, retryable);
  return r;
}

Result<int> HttpClient::stream(std::string_view method, std::string_view url, const Headers& headers,
                               std::string_view body, const StreamCallbacks& callbacks) {
  VEIL_ASSIGN_OR_RETURN(ParsedUrl u, parse_url(url));
  VEIL_TRY(check_request(method, headers));
  const std::string key = Impl::pool_key(u);
  const auto deadline = Clock::now() + impl_->opt.response_timeout;
  bool retryable = false;
  auto r = impl_->stream_once(u, key, method, headers, body, callbacks, true, deadline, retryable);
  if (!r.ok() && retryable) {
    r = impl_->stream_once(u, key, method, headers, body, callbacks, false, deadline, retryable);
  }
  return r;
}

std::optional<std::string> HttpClient::last_peer_spki_sha256_hex() const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->last_spki.find(std::this_thread::get_id());
  if (it == impl_->last_spki.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace veil::net
