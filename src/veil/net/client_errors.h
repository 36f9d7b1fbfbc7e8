// Private to veil::net (pulls in Beast and Asio error headers; include from
// .cpp files only): how both HTTP clients name a transport failure.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

#include "veil/base/result.h"

namespace veil::net {

inline Error client_io_error(const boost::system::error_code& ec, std::string_view what) {
  namespace asio = boost::asio;
  namespace http = boost::beast::http;
  if (ec == asio::error::timed_out) return make_error("net.timeout", std::string(what) + " timed out");
  if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
      ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::broken_pipe) {
    return make_error("net.closed", std::string(what) + ": connection closed by peer");
  }
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    return make_error("net.too_large", "response exceeds the limit");
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return make_error("net.bad_response", "malformed HTTP response");
  }
  return make_error("net.io", std::string(what) + " failed: " + ec.message());
}

}  // namespace veil::net
