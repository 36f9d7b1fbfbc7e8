// A loopback OpenAI-compatible server standing in for vLLM in node tests.
// Behaviour is chosen by the request's "user" field:
//   (none)            a normal answer that echoes the last user message
//   "mode:garbage"    200 with a body that is not JSON
//   "mode:500"        500 whose error message quotes the prompt (must never reach the client)
//   "mode:slow"       a stream that sends one chunk every 50 ms, 200 chunks
//   "mode:truncated"  a stream that ends without [DONE]
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "veil/net/http_server.h"

namespace veil::test {

class FakeUpstream {
 public:
  FakeUpstream();
  ~FakeUpstream();
  std::string url() const;
  uint16_t port() const;
  std::string last_request_body() const;
  std::atomic<int> requests{0};

 private:
  std::unique_ptr<net::HttpServer> server_;
  mutable std::mutex mutex_;
  std::string last_body_;
};

}  // namespace veil::test
