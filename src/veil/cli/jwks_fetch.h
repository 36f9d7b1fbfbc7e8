// Fetching a JWKS (e.g. NVIDIA's NRAS signing keys) from an https:// URL for
// `veil verify gpu --jwks URL [--jwks-ca FILE]`.
//
// The server certificate is always verified: against the PEM bundle in
// `ca_file` when given (and only against it), else against OpenSSL's default
// store, which honours the SSL_CERT_FILE and SSL_CERT_DIR environment
// variables as curl and most OpenSSL-based tools do. The certificate must
// name the URL's host (DNS name, or IP address for an IP URL). One GET, no
// redirects, TLS 1.2+, bounded time and size.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "veil/base/result.h"

namespace veil::cli {

struct JwksFetchOptions {
  std::string ca_file;                       // PEM CA bundle; empty: the default store
  std::chrono::milliseconds timeout{10000};  // connect, handshake, and each read/write
  size_t max_body_bytes = size_t(1) << 20;   // a JWKS is a few KiB
};

// The response body of a 200 answer that is a JSON object with a "keys"
// array. Errors, each with a message a user can act on:
//   jwks.bad_url        not an https:// URL
//   jwks.ca_file        --jwks-ca cannot be read as PEM certificates
//   jwks.resolve        the host name does not resolve
//   jwks.connect        no address accepted the connection
//   jwks.timeout        connect, handshake or read took longer than `timeout`
//   jwks.tls_untrusted  the server certificate does not chain to a trusted CA
//                       (OpenSSL's reason included)
//   jwks.tls_hostname   the certificate does not name the URL's host
//   jwks.tls            any other TLS failure
//   jwks.http_status    an answer other than 200
//   jwks.bad_response   malformed or truncated HTTP
//   jwks.too_large      body above max_body_bytes
//   jwks.bad_json       not a JSON object with a "keys" array
Result<std::string> fetch_jwks(const std::string& url, const JwksFetchOptions& options = {});

// The HTTP/1.x response read so far (head, then a body framed by
// Content-Length, chunked transfer coding, or the close): nullopt while more
// bytes are needed; `closed` says the peer has closed. Errors
// jwks.bad_response (malformed, truncated, header over 64 KiB) and
// jwks.too_large. Exposed for tests.
struct HttpAnswer {
  int status = 0;
  std::string body;
};
Result<std::optional<HttpAnswer>> parse_http_answer(std::string_view received, bool closed,
                                                    size_t max_body_bytes);

}  // namespace veil::cli
