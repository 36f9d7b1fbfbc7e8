// Veil's HTTP/1.1 client: synchronous on the caller's thread, keep-alive pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "veil/base/result.h"
#include "veil/net/http_types.h"

namespace veil::net {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};     // TCP connect + TLS handshake
  std::chrono::milliseconds response_timeout{600000};  // total, for long generations
  std::chrono::milliseconds idle_read_timeout{60000};  // between bytes
  bool verify_peer = false;                            // WebPKI/CA verification (system store) when true
  // When set: the TLS leaf certificate's SHA256(DER SPKI) must equal this
  // (hex, either case), else error "net.pin_mismatch".
  std::optional<std::string> pinned_spki_sha256_hex;
  size_t max_response_bytes = 64 * 1024 * 1024;
};

struct StreamCallbacks {
  std::function<bool(int status, const Headers& headers)> on_headers;  // return false to abort
  std::function<bool(std::string_view chunk)> on_data;  // de-chunked body bytes as they arrive; false aborts
};

// Error codes: "net.bad_url", "net.resolve", "net.connect", "net.tls",
// "net.pin_mismatch", "net.timeout", "net.closed", "net.bad_response",
// "net.too_large", "net.aborted", "net.io", "net.bad_header", "net.bad_method".
// A body cut off by the server closing is "net.closed".
//
// Thread-safe; keeps a small pool of keep-alive connections per
// scheme:host:port. A pooled connection that turns out to be closed by the
// server before any response byte arrived is retried once on a new connection.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Header names in `headers` are sent as given; Host, Content-Length and
  // (for keep-alive) Connection are set by the client when absent.
  Result<HttpResponse> request(std::string_view method, std::string_view url, const Headers& headers = {},
                               std::string_view body = {});

  // Streams the response body to callbacks; returns the status. An abort by a
  // callback is error "net.aborted" (the connection is discarded).
  Result<int> stream(std::string_view method, std::string_view url, const Headers& headers,
                     std::string_view body, const StreamCallbacks& callbacks);

  // SHA-256 (hex) of the DER SPKI of the peer's TLS leaf certificate seen on
  // the last https request from this thread through this client.
  std::optional<std::string> last_peer_spki_sha256_hex() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::net
