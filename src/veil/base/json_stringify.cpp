#include "veil/base/json_stringify.h"

#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <system_error>

#include "veil/base/utf8.h"

namespace veil {

namespace {

constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53

void append_number(double x, std::string& out) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  if (x == 0) {  // +0 and -0 both print "0"
    out += '0';
    return;
  }
  // Shortest round-trip digits in scientific form: "d.ddde±XX".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  bool negative = false;
  if (sci.front() == '-') {
    negative = true;
    sci.remove_prefix(1);
  }
  size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  // Strip trailing zeros (to_chars shortest never emits them, but be safe).
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // value = 0.digits × 10^n
  if (negative) out += '-';
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<size_t>(n));
    out += '.';
    out.append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += (n - 1 >= 0) ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
}

}  // namespace

std::string js_number(double x) {
  std::string out;
  append_number(x, out);
  return out;
}

void js_quote_append(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 15];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD, as a UTF-8 decoder would substitute
      ++i;
    } else {
      out.append(s, i, len);
      i += len;
    }
  }
  out += '"';
}

void js_stringify_append(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::null: out += "null"; break;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case boost::json::kind::int64: {
      const int64_t i = v.get_int64();
      if (std::abs(static_cast<double>(i)) < kMaxSafeInteger) {
        out += std::to_string(i);
      } else {
        append_number(static_cast<double>(i), out);
      }
      break;
    }
    case boost::json::kind::uint64: {
      const uint64_t u = v.get_uint64();
      if (static_cast<double>(u) < kMaxSafeInteger) {
        out += std::to_string(u);
      } else {
        append_number(static_cast<double>(u), out);
      }
      break;
    }
    case boost::json::kind::double_: append_number(v.get_double(), out); break;
    case boost::json::kind::string: {
      const auto& str = v.get_string();
      js_quote_append(std::string_view(str.data(), str.size()), out);
      break;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        js_stringify_append(e, out);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        js_quote_append(std::string_view(kv.key().data(), kv.key().size()), out);
        out += ':';
        js_stringify_append(kv.value(), out);
      }
      out += '}';
      break;
    }
  }
}

std::string js_stringify(const boost::json::value& v) {
  std::string out;
  js_stringify_append(v, out);
  return out;
}

}  // namespace veil
