#include "veil/net/request_reader.h"

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

#include "veil/base/ascii.h"
#include "veil/net/url.h"

namespace veil::net {

namespace http = boost::beast::http;

struct RequestReader::Parser {
  std::optional<http::request_parser<http::string_body>> p;
};

namespace {

// Bytes a chunk header (size line with extensions) may take before the
// connection is dropped: Beast needs the whole line buffered to parse it.
constexpr size_t kMaxFramingSlack = 64 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Status decode_request_target(HttpRequest& request) {
  std::string_view target = request.target;
  if (target == "*") {
    request.path = "*";
    request.query.clear();
    return ok_status();
  }
  if (target.empty()) return make_error("net.bad_target", "empty request target");
  if (target[0] != '/') {
    // absolute-form (RFC 9112 §3.2.2): keep only path and query.
    auto url = parse_url(target);
    if (!url.ok()) return make_error("net.bad_target", "bad absolute-form target");
    request.target = url->target;
    target = request.target;
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  // A fragment never appears in a request-target.
  if (target.find('#') != std::string_view::npos) return make_error("net.bad_target", "fragment in target");
  auto path = percent_decode(raw_path, false);
  if (!path.ok()) return make_error("net.bad_target", "bad escape in path");
  request.path = std::move(path).value();
  request.query.clear();
  if (q != std::string_view::npos) {
    auto query = parse_query(target.substr(q + 1));
    if (!query.ok()) return make_error("net.bad_target", "bad escape in query");
    request.query = std::move(query).value();
  }
  return ok_status();
}

RequestReader::RequestReader(RequestLimits limits) : limits_(limits), parser_(std::make_unique<Parser>()) {
  reset();
}

RequestReader::~RequestReader() = default;

void RequestReader::reset() {
  auto& p = parser_->p.emplace();
  p.header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits_.max_header_bytes, UINT32_MAX)));
  p.body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
  p.eager(false);
  state_ = State::need_more;
  got_bytes_ = false;
  header_checked_ = false;
  expects_continue_ = false;
  error_status_ = 0;
  error_message_.clear();
  request_ = HttpRequest();
}

void RequestReader::fail(int status, std::string_view message) {
  state_ = State::failed;
  error_status_ = status;
  error_message_ = std::string(message);
}

size_t RequestReader::feed(std::string_view bytes) {
  if (state_ != State::need_more || bytes.empty()) return 0;
  got_bytes_ = true;
  auto& p = *parser_->p;
  size_t used = 0;
  while (used < bytes.size() && state_ == State::need_more) {
    boost::system::error_code ec;
    size_t n = p.put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec == http::error::need_more) {
      if (n == 0) {
        if (p.is_header_done() && bytes.size() - used > kMaxFramingSlack) {
          fail(400, "malformed request framing");
        }
        break;
      }
      continue;
    }
    if (ec) {
      if (ec == http::error::header_limit) {
        fail(431, "request header fields too large");
      } else if (ec == http::error::body_limit || ec == http::error::buffer_overflow) {
        fail(413, "request body too large");
      } else if (ec == http::error::bad_transfer_encoding) {
        fail(400, "bad transfer-encoding");
      } else {
        fail(400, "malformed request");
      }
      break;
    }
    if (p.is_header_done() && !header_checked_) {
      check_header();
      if (state_ != State::need_more) break;
    }
    if (p.is_done()) {
      finish_message();
      break;
    }
    if (n == 0) break;  // defensive: no progress without an error
  }
  return used;
}

void RequestReader::check_header() {
  header_checked_ = true;
  auto& p = *parser_->p;
  const auto& head = p.get();
  int te_count = 0;
  bool te_ok = true;
  bool has_expect = false;
  bool expect_continue = false;
  for (const auto& field : head) {
    if (field.name() == http::field::transfer_encoding) {
      ++te_count;
      if (!ascii_iequals(trim(field.value()), "chunked")) te_ok = false;
    } else if (field.name() == http::field::expect) {
      has_expect = true;
      expect_continue = ascii_iequals(trim(field.value()), "100-continue");
    }
  }
  if (te_count > 0 && (!te_ok || te_count > 1)) {
    // RFC 9112 §6.1: a server that receives a transfer coding it does not understand responds 501.
    return fail(501, "unsupported transfer-encoding");
  }
  if (te_count > 0 && head.count(http::field::content_length) > 0) {
    return fail(400, "both content-length and transfer-encoding");  // RFC 9112 §6.3 item 3
  }
  if (head.version() != 10 && head.version() != 11) return fail(400, "unsupported HTTP version");
  if (has_expect && !expect_continue) return fail(417, "unsupported expectation");
  request_.target = std::string(head.target());
  if (!decode_request_target(request_).ok()) return fail(400, "bad request target");
  const bool has_body = p.chunked() || (p.content_length() && *p.content_length() > 0);
  expects_continue_ = expect_continue && head.version() == 11 && has_body;
  if (!p.is_done()) {
    state_ = State::header_ready;
  }
}

void RequestReader::continue_body() {
  if (state_ != State::header_ready) return;
  state_ = State::need_more;
  parser_->p->eager(true);
}

bool RequestReader::expects_continue() const { return expects_continue_; }

bool RequestReader::keep_alive() const { return parser_->p->get().keep_alive(); }

void RequestReader::finish_message() {
  auto& p = *parser_->p;
  auto& msg = p.get();
  request_.method = std::string(msg.method_string());
  request_.version = static_cast<int>(msg.version());
  request_.headers.clear();
  request_.headers.reserve(8);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    request_.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request_.body = std::move(msg.body());
  state_ = State::done;
}

HttpRequest RequestReader::take_request() {
  HttpRequest out = std::move(request_);
  request_ = HttpRequest();
  return out;
}

}  // namespace veil::net
