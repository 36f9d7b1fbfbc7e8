#include "veil/cli/jwks_fetch.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <memory>
#include <optional>

#include "veil/net/url.h"

namespace veil::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHeadBytes = 64 * 1024;

struct SocketCloser {
  int fd = -1;
  ~SocketCloser() {
    if (fd >= 0) ::close(fd);
  }
};
struct SslCtxFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};
struct SslFree {
  void operator()(SSL* p) const { SSL_free(p); }
};

// A peer that closes while we write must not kill the process with SIGPIPE:
// the signal is blocked on this thread for the exchange, and one that arrived
// meanwhile is consumed before the old mask returns.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) && !sigismember(&old_, SIGPIPE)) {
      sigset_t s;
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      const timespec zero{0, 0};
      sigtimedwait(&s, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t old_;
};

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A blocking socket connected to the first address that answers, with
// send/receive timeouts set.
Result<int> connect_any(const net::ParsedUrl& u, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(u.host.c_str(), std::to_string(u.port).c_str(), &hints, &res) != 0 || res == nullptr) {
    return make_error("jwks.resolve", "cannot resolve host '" + u.host + "'");
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(res, freeaddrinfo);
  bool timed_out = false;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    SocketCloser s{::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol)};
    if (s.fd < 0) continue;
    const int flags = fcntl(s.fd, F_GETFL, 0);
    if (flags < 0 || fcntl(s.fd, F_SETFL, flags | O_NONBLOCK) != 0) continue;
    if (::connect(s.fd, a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) continue;
      pollfd p{s.fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (ready == 0) {
        timed_out = true;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      if (ready < 0 || getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) continue;
    }
    if (fcntl(s.fd, F_SETFL, flags) != 0) continue;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int fd = s.fd;
    s.fd = -1;
    return fd;
  }
  if (timed_out) return make_error("jwks.timeout", "connecting to " + u.host + " timed out");
  return make_error("jwks.connect", "cannot connect to " + u.host + ":" + std::to_string(u.port));
}

// RFC 9112 section 7.1 chunked body: the decoded bytes once complete, nullopt
// while more is needed.
Result<std::optional<std::string>> dechunk(std::string_view in, size_t max) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      if (in.size() - pos > 1024) return make_error("jwks.bad_response", "chunk size line too long");
      return std::optional<std::string>();
    }
    size_t size = 0, digits = 0;
    for (size_t i = pos; i < eol && std::isxdigit(static_cast<unsigned char>(in[i])); ++i, ++digits) {
      if (digits >= 8) return make_error("jwks.bad_response", "chunk size too large");
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(in[i])));
      size = size * 16 + static_cast<size_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    if (digits == 0) return make_error("jwks.bad_response", "malformed chunk size");
    pos = eol + 2;
    if (size == 0) {
      // Optional trailer fields, then an empty line.
      if (in.substr(pos, 2) == "\r\n") return std::optional<std::string>(std::move(out));
      if (in.find("\r\n\r\n", pos) != std::string_view::npos)
        return std::optional<std::string>(std::move(out));
      return std::optional<std::string>();
    }
    if (out.size() + size > max) return make_error("jwks.too_large", "JWKS body larger than the limit");
    if (in.size() - pos < size + 2) return std::optional<std::string>();
    if (in.substr(pos + size, 2) != "\r\n")
      return make_error("jwks.bad_response", "chunk not followed by CRLF");
    out.append(in.substr(pos, size));
    pos += size + 2;
  }
}

struct Head {
  int status = 0;
  bool chunked = false;
  std::optional<size_t> content_length;
};

Result<Head> parse_head(std::string_view head, size_t max_body) {
  Head h;
  const size_t eol = head.find("\r\n");
  const std::string_view status_line = head.substr(0, eol);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[11]))) {
    return make_error("jwks.bad_response", "the server did not answer with an HTTP/1.x status line");
  }
  h.status = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  size_t pos = eol == std::string_view::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(pos, end - pos);
    pos = end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return make_error("jwks.bad_response", "malformed header line");
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    if (name == "transfer-encoding") {
      std::string v(value);
      for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      h.chunked = v.find("chunked") != std::string::npos;
    } else if (name == "content-length") {
      size_t n = 0;
      if (value.empty() || value.size() > 12) return make_error("jwks.bad_response", "bad Content-Length");
      for (char c : value) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
          return make_error("jwks.bad_response", "bad Content-Length");
        n = n * 10 + static_cast<size_t>(c - '0');
      }
      if (n > max_body) return make_error("jwks.too_large", "JWKS body larger than the limit");
      h.content_length = n;
    }
  }
  return h;
}

}  // namespace

Result<std::optional<HttpAnswer>> parse_http_answer(std::string_view received, bool closed,
                                                    size_t max_body_bytes) {
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (received.size() > kMaxHeadBytes) return make_error("jwks.bad_response", "response header too large");
    if (closed)
      return make_error("jwks.bad_response", "the connection closed before a complete HTTP response");
    return std::optional<HttpAnswer>();
  }
  VEIL_ASSIGN_OR_RETURN(Head head, parse_head(received.substr(0, end), max_body_bytes));
  const std::string_view rest = received.substr(end + 4);
  HttpAnswer answer;
  answer.status = head.status;
  if (head.chunked) {
    VEIL_ASSIGN_OR_RETURN(auto decoded, dechunk(rest, max_body_bytes));
    if (!decoded) {
      if (closed) return make_error("jwks.bad_response", "the response body was cut off");
      return std::optional<HttpAnswer>();
    }
    answer.body = std::move(*decoded);
  } else if (head.content_length) {
    if (rest.size() < *head.content_length) {
      if (closed) return make_error("jwks.bad_response", "the response body was cut off");
      return std::optional<HttpAnswer>();
    }
    answer.body = std::string(rest.substr(0, *head.content_length));
  } else {
    // Delimited by the close (RFC 9112 section 6.3).
    if (rest.size() > max_body_bytes) return make_error("jwks.too_large", "JWKS body larger than the limit");
    if (!closed) return std::optional<HttpAnswer>();
    answer.body = std::string(rest);
  }
  return std::optional<HttpAnswer>(std::move(answer));
}

Result<std::string> fetch_jwks(const std::string& url, const JwksFetchOptions& o) {
  auto parsed = net::parse_url(url);
  if (!parsed.ok() || !parsed->tls()) {
    return make_error("jwks.bad_url", "the JWKS URL must be an https:// URL");
  }
  const net::ParsedUrl& u = *parsed;

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return make_error("jwks.tls", "cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (!o.ca_file.empty()) {
    // Only the given bundle is trusted: no default paths are added.
    if (SSL_CTX_load_verify_locations(ctx.get(), o.ca_file.c_str(), nullptr) != 1) {
      ERR_clear_error();
      return make_error("jwks.ca_file",
                        "cannot load the CA bundle '" + o.ca_file + "' (PEM certificates expected)");
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    ERR_clear_error();
    return make_error("jwks.tls", "cannot load the default CA store");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

  VEIL_ASSIGN_OR_RETURN(int fd, connect_any(u, o.timeout));
  SocketCloser sock{fd};
  SigpipeBlock no_sigpipe;
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) return make_error("jwks.tls", "cannot set up TLS");
  if (is_ip_literal(u.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), u.host.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl.get(), u.host.c_str());
    SSL_set1_host(ssl.get(), u.host.c_str());
  }
  ERR_clear_error();
  errno = 0;
  if (SSL_connect(ssl.get()) != 1) {
    const int saved_errno = errno;
    ERR_clear_error();
    const long vr = SSL_get_verify_result(ssl.get());
    if (vr == X509_V_ERR_HOSTNAME_MISMATCH || vr == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      return make_error("jwks.tls_hostname",
                        "the server certificate does not name the host '" + u.host + "'");
    }
    if (vr != X509_V_OK) {
      return make_error(
          "jwks.tls_untrusted",
          std::string("the server certificate is not trusted: ") + X509_verify_cert_error_string(vr) +
              (o.ca_file.empty() ? " (checked against the system CA store; give --jwks-ca FILE or "
                                   "set SSL_CERT_FILE for a private CA)"
                                 : " (checked against --jwks-ca " + o.ca_file + ")"));
    }
    if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
      return make_error("jwks.timeout", "TLS handshake with " + u.host + " timed out");
    }
    return make_error("jwks.tls", "TLS handshake with " + u.host + " failed");
  }

  const std::string request = "GET " + u.target + " HTTP/1.1\r\nHost: " + u.host_header() +
                              "\r\nAccept: application/json\r\nUser-Agent: veil\r\nConnection: close\r\n\r\n";
  for (size_t sent = 0; sent < request.size();) {
    const int n = SSL_write(ssl.get(), request.data() + sent, static_cast<int>(request.size() - sent));
    if (n <= 0) {
      ERR_clear_error();
      return make_error("jwks.bad_response", "the connection closed while sending the request");
    }
    sent += static_cast<size_t>(n);
  }

  const auto deadline = Clock::now() + 3 * o.timeout;
  std::string buf;
  std::optional<HttpAnswer> answer;
  bool closed = false;
  char chunk[16384];
  for (;;) {
    VEIL_ASSIGN_OR_RETURN(answer, parse_http_answer(buf, closed, o.max_body_bytes));
    if (answer || closed) break;
    if (Clock::now() > deadline) return make_error("jwks.timeout", "reading the JWKS took too long");
    // Chunk framing and trailers are not counted by the parser: bound the raw bytes too.
    if (buf.size() > kMaxHeadBytes + 8 * o.max_body_bytes) {
      return make_error("jwks.too_large", "JWKS response larger than the limit");
    }
    errno = 0;
    const int n = SSL_read(ssl.get(), chunk, sizeof chunk);
    if (n > 0) {
      buf.append(chunk, static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl.get(), n);
    const int saved_errno = errno;
    ERR_clear_error();
    if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && saved_errno == 0)) {
      closed = true;  // cleanly or not: the framing decides whether the body is whole
      continue;
    }
    if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) {
      return make_error("jwks.timeout", "reading the JWKS timed out");
    }
    return make_error("jwks.bad_response", "the connection failed while reading the response");
  }
  if (answer->status != 200) {
    return make_error("jwks.http_status", "the JWKS URL answered HTTP " + std::to_string(answer->status));
  }
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(answer->body, ec);
  const boost::json::value* keys = !ec && doc.is_object() ? doc.as_object().if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return make_error("jwks.bad_json", "the JWKS URL did not return a JSON object with a \"keys\" array");
  }
  return std::move(answer->body);
}

}  // namespace veil::cli
