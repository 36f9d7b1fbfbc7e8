// Incremental HTTP/1.x request parsing with Veil's limits, independent of
// sockets: the server feeds it what it reads, the fuzz target feeds it a
// buffer. (Beast stays inside request_reader.cpp.)
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "veil/base/result.h"
#include "veil/net/http_types.h"

namespace veil::net {

struct RequestLimits {
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
};

class RequestReader {
 public:
  enum class State {
    need_more,     // feed more bytes
    header_ready,  // the head is parsed and acceptable; call continue_body() (after a 100 Continue, if
                   // wanted)
    done,          // a complete request: take_request()
    failed,        // error_status()/error_message() say why; the connection must be closed
  };

  explicit RequestReader(RequestLimits limits);
  ~RequestReader();
  RequestReader(const RequestReader&) = delete;
  RequestReader& operator=(const RequestReader&) = delete;

  // Consumes a prefix of `bytes`; returns how many bytes were used. Stops early
  // at header_ready, done or failed; the rest belongs to later calls (or, after
  // done, to the next pipelined request).
  size_t feed(std::string_view bytes);

  State state() const { return state_; }
  bool got_any_bytes() const { return got_bytes_; }

  // After header_ready: the client sent "Expect: 100-continue" and a body follows.
  bool expects_continue() const;
  void continue_body();

  // After header_ready or done: keep-alive semantics of the request (HTTP/1.1
  // default on, HTTP/1.0 only with "Connection: keep-alive").
  bool keep_alive() const;

  // After failed: 400, 413, 417, 431 or 501, and a fixed content-free message.
  int error_status() const { return error_status_; }
  std::string_view error_message() const { return error_message_; }

  // After done: moves the request out (method, target, path, query, headers,
  // body, version). Path/query decoding errors turn into failed (400) at feed().
  HttpRequest take_request();

  // Ready for the next request on the same connection.
  void reset();

 private:
  struct Parser;
  void fail(int status, std::string_view message);
  void check_header();
  void finish_message();

  RequestLimits limits_;
  std::unique_ptr<Parser> parser_;
  State state_ = State::need_more;
  bool got_bytes_ = false;
  bool header_checked_ = false;
  bool expects_continue_ = false;
  int error_status_ = 0;
  std::string error_message_;
  HttpRequest request_;
};

// Fills path and query of `request` from its target (origin-form "/p?q",
// absolute-form "http://h/p?q", or "*"). Error "net.bad_target".
Status decode_request_target(HttpRequest& request);

}  // namespace veil::net
