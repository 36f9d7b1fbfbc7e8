#include "veil/net/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

#include "veil/base/ascii.h"

namespace veil::net {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string ParsedUrl::host_header() const {
  std::string out = host_is_ipv6() ? "[" + host + "]" : host;
  const uint16_t default_port = tls() ? 443 : 80;
  if (port != default_port) {
    out += ':';
    out += std::to_string(port);
  }
  return out;
}

Result<ParsedUrl> parse_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return make_error("net.bad_url", "not an absolute URL");
  const boost::urls::url_view& u = *parsed;
  ParsedUrl out;
  out.scheme = ascii_lower(u.scheme());
  if (out.scheme != "http" && out.scheme != "https") {
    return make_error("net.bad_url", "scheme must be http or https");
  }
  if (!u.has_authority()) return make_error("net.bad_url", "missing host");
  if (u.has_userinfo()) return make_error("net.bad_url", "userinfo is not supported");
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      out.host = std::string(u.encoded_host_address());
      break;
    case boost::urls::host_type::name: {
      std::string_view name = u.encoded_host();
      // Percent-escapes in a reg-name are legal but never needed for DNS names.
      if (name.find('%') != std::string_view::npos) return make_error("net.bad_url", "escaped host name");
      out.host = ascii_lower(name);
      break;
    }
    default:
      return make_error("net.bad_url", "unsupported host");
  }
  if (out.host.empty()) return make_error("net.bad_url", "empty host");
  out.port = out.tls() ? 443 : 80;
  if (u.has_port()) {
    std::string_view port = u.port();
    if (!port.empty()) {
      unsigned value = 0;
      auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || ptr != port.data() + port.size() || value == 0 || value > 65535) {
        return make_error("net.bad_url", "bad port");
      }
      out.port = static_cast<uint16_t>(value);
    }
  }
  // Boost.URL 1.81 accepts "http://h:12a/" as port 12 with path "a/"; a
  // hierarchical path after an authority must start with "/" (RFC 3986 §3.3).
  std::string_view path = u.encoded_path();
  if (!path.empty() && path[0] != '/') return make_error("net.bad_url", "bad port or path");
  out.target = std::string(u.encoded_target());
  if (out.target.empty() || out.target[0] != '/') out.target.insert(0, "/");
  return out;
}

Result<std::string> percent_decode(std::string_view in, bool plus_as_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return make_error("net.bad_escape", "truncated percent escape");
      }
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return make_error("net.bad_escape", "bad percent escape");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') ||
                            u == '-' || u == '.' || u == '_' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    VEIL_ASSIGN_OR_RETURN(std::string k, percent_decode(key, true));
    VEIL_ASSIGN_OR_RETURN(std::string v, percent_decode(value, true));
    out.emplace_back(std::move(k), std::move(v));
  }
  return out;
}

}  // namespace veil::net
