// What a request handler uses to answer: a complete response or a stream.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "veil/net/http_types.h"

namespace veil::net {

// A blocking HttpHandler runs on a worker thread (never on the I/O threads)
// and may block; its writer's methods are thread-safe and wait as described
// below. (The writer of an AsyncHttpHandler, further down, never blocks.) A
// writer answers exactly one request: after a response is complete (or
// failed) further calls return false.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;

  // A complete response with Content-Length. Blocks until the bytes are handed
  // to the socket. Returns false if the client is gone (or a response was
  // already started). Body bytes are written exactly. `extra` names should be
  // lower-case; Content-Length/Transfer-Encoding/Connection in it are ignored,
  // and fields containing CR or LF are dropped.
  virtual bool send(int status, std::string_view content_type, std::string body,
                    const Headers& extra = {}) = 0;

  // Starts a streamed response (Transfer-Encoding: chunked; for SSE,
  // content_type "text/event-stream", plus Cache-Control: no-cache). For an
  // HTTP/1.0 client the body is sent raw and the connection closed at the end.
  virtual bool begin_stream(int status, std::string_view content_type, const Headers& extra = {}) = 0;

  // Writes one piece of the body as one chunk; blocks until handed to the
  // socket (backpressure: waits while the socket is slow, but gives up and
  // returns false when the client is gone or the write times out). Exact bytes.
  // An empty `data` writes nothing and returns client_connected().
  virtual bool write(std::string_view data) = 0;

  // Final zero-length chunk. True when the whole stream was delivered to the
  // socket and the client is still connected.
  virtual bool end_stream() = 0;

  // write(last_data) and end_stream() as one write to the socket (a stream's
  // tail in one TLS record, with no write left to start later).
  virtual bool end_stream(std::string_view last_data) { return write(last_data) && end_stream(); }

  virtual bool client_connected() const = 0;

  // True once send() or end_stream() completed successfully.
  virtual bool completed() const = 0;
};

// If a handler returns without responding, the server sends 500 with
// {"error":{"message":"internal error","type":"server_error","param":null,"code":null}};
// if it throws, the same, and only the exception type is logged. A handler that
// returns mid-stream gets its connection closed (the client sees a truncated body).
using HttpHandler = std::function<void(const HttpRequest&, ResponseWriter&)>;

// A connection's I/O strand (defined in net's private io_strand.h): what an
// AsyncHttpClient call needs to run its callbacks beside the connection.
struct IoStrand;

// The writer an AsyncHttpHandler gets. It never blocks: send/begin_stream/
// write/end_stream queue the bytes and return at once (false only when the
// connection is already known to have failed). Call it on the connection's
// strand: from the async handler itself, or from callbacks that run there
// (an AsyncHttpClient call started with strand(), when_drained()).
// Dropping the last reference without completing the response acts like a
// blocking handler returning: 500 when nothing was sent, else the connection
// is closed mid-stream.
class AsyncResponseWriter : public ResponseWriter {
 public:
  // Bytes queued and not yet handed to the socket (backpressure: a producer
  // stops reading its source above some bound and waits for when_drained).
  virtual size_t queued_bytes() const = 0;
  // Runs fn on the strand (never inside this call) once nothing is queued
  // any more; `delivered` is false when a write failed (the client is gone).
  virtual void when_drained(std::function<void(bool delivered)> fn) = 0;
  virtual const IoStrand& strand() const = 0;
};

// Runs on the connection's I/O thread, before any worker is involved: it must
// not block. Return true when it took the request (it then answers through the
// writer, now or later from callbacks); false, having touched neither the
// request nor the writer, to pass the request to the blocking HttpHandler on
// a worker thread.
using AsyncHttpHandler = std::function<bool(HttpRequest& request, const std::shared_ptr<AsyncResponseWriter>& writer)>;

}  // namespace veil::net
