// Veil's HTTP/1.1 server (Boost.Beast/Asio + OpenSSL behind a pimpl).
//
// HTTP/1.1 keep-alive and HTTP/1.0; pipelined requests processed in order;
// Expect: 100-continue; chunked request bodies (the request body is the
// de-chunked bytes); malformed requests get 400 and a close; a Transfer-Encoding
// other than "chunked" gets 501. Error bodies are OpenAI-shaped JSON.
// TLS 1.2+ only (1.3 preferred), no compression, ALPN "http/1.1". I/O threads
// never block: blocking handlers run on worker threads; an optional async
// handler may take requests on the I/O thread itself (no thread hand-off). Logs carry ids, method, path,
// status, sizes and timings only (never query strings, headers or bodies).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "veil/base/result.h"
#include "veil/net/http_types.h"
#include "veil/net/response_writer.h"

namespace veil::net {

// PEM text held in memory; never written to disk.
struct TlsServerConfig {
  std::string cert_pem;  // leaf first, then chain
  std::string key_pem;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8443;                     // 0 = ephemeral (see HttpServer::port())
  std::optional<TlsServerConfig> tls;       // nullopt = plain HTTP (tests, loopback upstreams)
  size_t max_header_bytes = 16 * 1024;      // 431 past it
  size_t max_body_bytes = 8 * 1024 * 1024;  // 413 past it (OpenAI-shaped JSON error)
  size_t max_connections = 1024;            // global; beyond it new connections are closed at once
  size_t max_connections_per_address = 0;   // 0 = no per-address cap
  std::chrono::seconds header_timeout{10};  // whole request head must arrive within this
  std::chrono::seconds body_timeout{60};
  std::chrono::seconds idle_timeout{60};   // keep-alive idle
  std::chrono::seconds write_timeout{60};  // a stalled client
  unsigned io_threads = 1;                 // asio io_context threads
  unsigned max_handler_threads = 1024;     // workers; one per in-flight request, grown on demand, reused
  std::string server_header = "veil";
};

class HttpServer {
 public:
  // Binds, listens and starts the I/O threads: listening when it returns.
  // Errors "net.bad_address", "net.bind", "net.tls_config", "net.bad_handler",
  // "net.bad_option". Timeouts are enforced by a sweep every 100 ms.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options, HttpHandler handler);
  // The same, with an async handler that sees every request first.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options, HttpHandler handler,
                                                   AsyncHttpHandler async_handler);

  ~HttpServer();  // stop(0s)
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;

  // Graceful: stop accepting, let in-flight requests and streams finish (up to
  // `drain`), close idle keep-alive connections, then close the rest (their
  // writers return false) and join all threads. Handlers must return once their
  // writer reports failure. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(30));

  size_t active_connections() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::net
