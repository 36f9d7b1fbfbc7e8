// HTTP/1.1 client for plain-HTTP upstreams that runs on a server
// connection's I/O strand: no thread of its own and no hand-off, so a request
// proxied by an async handler costs no context switch inside the process.
// Keep-alive connections are pooled per io_context.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "veil/base/result.h"
#include "veil/net/http_types.h"
#include "veil/net/response_writer.h"
#include "veil/net/url.h"

namespace veil::net {

struct AsyncHttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds response_timeout{600000};  // total
  std::chrono::milliseconds idle_read_timeout{60000};   // between bytes (not counted while paused)
  size_t max_response_bytes = 64 * 1024 * 1024;
};

// Callbacks run on the strand the call was started with, never inside start().
struct AsyncHttpCallbacks {
  // The final response's status and fields (1xx interim responses are
  // skipped). Return false to abort.
  std::function<bool(int status, const Headers& headers)> on_headers;
  // De-chunked body bytes as they arrive. Return false to abort.
  std::function<bool(std::string_view data)> on_data;
  // Exactly once, last: ok when the whole response arrived. Error codes as
  // HttpClient's ("net.connect", "net.timeout", "net.closed", "net.aborted", ...).
  std::function<void(Status status)> on_done;
};

// A request in flight. pause() (from on_data) stops reading after the current
// piece until resume(): backpressure from a slow client to the upstream.
// cancel() ends the call with "net.aborted". All three on the call's strand.
class AsyncHttpCall {
 public:
  virtual ~AsyncHttpCall() = default;
  virtual void pause() = 0;
  virtual void resume() = 0;
  virtual void cancel() = 0;
};

class AsyncHttpClient {
 public:
  explicit AsyncHttpClient(AsyncHttpClientOptions options = {});
  ~AsyncHttpClient();  // closes pooled connections
  AsyncHttpClient(const AsyncHttpClient&) = delete;
  AsyncHttpClient& operator=(const AsyncHttpClient&) = delete;

  // Whether a URL can be served by this client (http:// with a literal IP or
  // a name; https:// is not: use HttpClient).
  static bool supports(std::string_view url);

  // Starts a request; call it on `strand` (as an async handler runs), where
  // the callbacks will run. Returns an error (and calls
  // nothing) only for a bad URL, method or header. A pooled connection that
  // the server closed before any response byte arrived is retried once on a
  // fresh one. Host and Content-Length are set by the client.
  Result<std::shared_ptr<AsyncHttpCall>> start(const IoStrand& strand, std::string_view method, std::string_view url,
                                               const Headers& headers, std::string body, AsyncHttpCallbacks callbacks);
  // The same with a URL parsed once by the caller (a fixed upstream is parsed
  // at start, not per request).
  Result<std::shared_ptr<AsyncHttpCall>> start(const IoStrand& strand, std::string_view method, const ParsedUrl& url,
                                               const Headers& headers, std::string body, AsyncHttpCallbacks callbacks);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace veil::net
