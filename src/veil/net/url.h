// URL and percent-encoding helpers (RFC 3986) for the client and the server.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "veil/base/result.h"

namespace veil::net {

struct ParsedUrl {
  std::string scheme;  // "http" or "https" (lower-case)
  std::string host;    // name or IPv4, or IPv6 WITHOUT brackets
  uint16_t port = 0;   // explicit or the scheme default (80/443)
  std::string target;  // path + "?" + query as in the URL ("/" when empty); no fragment

  bool tls() const { return scheme == "https"; }
  bool host_is_ipv6() const { return host.find(':') != std::string::npos; }
  // Host header value: host (bracketed if IPv6) plus ":port" when not the default.
  std::string host_header() const;
};

// http:// and https:// only; userinfo is rejected. Error "net.bad_url".
Result<ParsedUrl> parse_url(std::string_view url);

// Decodes %XX escapes; with plus_as_space also '+' → ' ' (form/query encoding).
// Error "net.bad_escape" on a truncated or non-hex escape.
Result<std::string> percent_decode(std::string_view in, bool plus_as_space = false);

// Escapes everything except RFC 3986 unreserved characters.
std::string percent_encode(std::string_view in);

// Splits "a=1&b=%20x" into decoded pairs in order ('+' is a space; "a" → {"a",""};
// empty segments skipped). Error "net.bad_escape".
Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query);

}  // namespace veil::net
