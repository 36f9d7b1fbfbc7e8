// Plain HTTP message values shared by the server, the client and handlers.
// No Boost here: handlers and the node compile against this alone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace veil::net {

// Header fields in wire order. Names are lower-cased by the parser; values are
// kept as received (leading/trailing whitespace trimmed per RFC 9110 §5.5).
using Headers = std::vector<std::pair<std::string, std::string>>;

// First value of the field `lower_name` (already lower-case) or nullptr.
const std::string* find_header(const Headers& headers, std::string_view lower_name);

struct HttpRequest {
  std::string method;  // "GET", "POST", ... (case as received; methods are case-sensitive)
  std::string target;  // raw request-target, e.g. "/v1/attestation/report?nonce=ab"
  std::string path;    // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded query params in order
  Headers headers;                                         // names lower-cased, values as received
  std::string body;  // EXACT body bytes received (chunked framing removed); it is hashed for signatures
  std::string remote_address;  // "ip:port" ("[v6]:port" for IPv6)
  uint64_t id = 0;             // server-assigned request id (for logs)
  int version = 11;            // 10 = HTTP/1.0, 11 = HTTP/1.1

  const std::string* header(std::string_view lower_name) const;  // first match or nullptr
  const std::string* query_param(std::string_view name) const;   // first match or nullptr
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // lower-cased names
  std::string body;

  const std::string* header(std::string_view lower_name) const;
};

// {"error":{"message":<message>,"type":<type>,"param":null,"code":<code or null>}}
// — the OpenAI error shape. `message` must not carry request content.
std::string openai_error_json(std::string_view message, std::string_view type, std::string_view code = {});

// "OK", "Not Found", ... ("Unknown" for codes without a standard phrase).
std::string_view status_reason(int status);

}  // namespace veil::net
