// The canonical-form scanner against Boost.JSON and the JSON.stringify-exact
// writer: whatever the scanner calls canonical must parse, be written back
// byte for byte, and have the members it listed; whatever is written back
// byte for byte must be called canonical unless the scanner declines it on
// purpose (an integer-like key, an object past kMaxMembers).
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "veil/base/json_canonical.h"
#include "veil/base/json_stringify.h"

namespace {

bool declined_on_purpose(const boost::json::value& v) {
  if (v.is_array()) {
    for (const auto& e : v.get_array()) {
      if (declined_on_purpose(e)) return true;
    }
  } else if (v.is_object()) {
    if (v.get_object().size() > veil::CanonicalJsonScanner::kMaxMembers) return true;
    for (const auto& kv : v.get_object()) {
      const auto k = kv.key();
      if (!k.empty() && k.find_first_not_of("0123456789") == boost::json::string_view::npos) return true;
      if (declined_on_purpose(kv.value())) return true;
    }
  }
  return false;
}

// Splits JSON text into number tokens and the text between them (strings
// kept whole).
std::vector<std::string_view> split_numbers(std::string_view t, std::vector<bool>& is_number) {
  std::vector<std::string_view> parts;
  size_t i = 0, start = 0;
  auto flush = [&](size_t end, bool number) {
    if (end > start) {
      parts.push_back(t.substr(start, end - start));
      is_number.push_back(number);
    }
    start = end;
  };
  while (i < t.size()) {
    if (t[i] == '"') {
      for (++i; i < t.size() && t[i] != '"'; ++i) i += t[i] == '\\';
      ++i;
    } else if (t[i] == '-' || (t[i] >= '0' && t[i] <= '9')) {
      flush(i, false);
      while (i < t.size() && std::strchr("+-.eE0123456789", t[i]) != nullptr) ++i;
      flush(i, true);
    } else {
      ++i;
    }
  }
  flush(t.size(), false);
  return parts;
}

// Boost.JSON 1.81 parses some doubles an ulp off (it has no precise mode),
// so its round trip may print a neighbour of a number: equal texts but for
// numbers within 2 ulps of each other.
bool same_but_number_rounding(std::string_view a, std::string_view b) {
  std::vector<bool> na, nb;
  const auto pa = split_numbers(a, na), pb = split_numbers(b, nb);
  if (pa.size() != pb.size() || na != nb) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!na[i]) {
      if (pa[i] != pb[i]) return false;
      continue;
    }
    double x = 0, y = 0;
    std::from_chars(pa[i].data(), pa[i].data() + pa[i].size(), x);
    std::from_chars(pb[i].data(), pb[i].data() + pb[i].size(), y);
    if (std::fabs(x - y) > 2 * std::fabs(std::nextafter(x, 0.0) - x)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  static veil::CanonicalJsonScanner scanner;  // reused, as the node reuses it
  const bool canonical = scanner.scan_object(text, 64);
  boost::system::error_code ec;
  boost::json::parse_options opt;
  opt.max_depth = 64;
  const auto v = boost::json::parse(text, ec, {}, opt);
  if (canonical) {
    if (ec || !v.is_object()) std::abort();  // called canonical, but not a JSON object
    // Not in JSON.stringify form after all:
    if (!same_but_number_rounding(veil::js_stringify(v), text)) std::abort();
    const auto& o = v.get_object();
    if (o.size() != scanner.members().size()) std::abort();
    size_t i = 0;
    for (const auto& kv : o) {
      const auto& m = scanner.members()[i++];
      std::string key;  // the key as written: quoted and escaped
      veil::js_quote_append(std::string_view(kv.key().data(), kv.key().size()), key);
      if (key.substr(1, key.size() - 2) != m.key) std::abort();
      if (!same_but_number_rounding(veil::js_stringify(kv.value()), m.value)) std::abort();
    }
  } else if (!ec && v.is_object() && veil::js_stringify(v) == text && !declined_on_purpose(v)) {
    std::abort();  // canonical, but not recognized
  }
  return 0;
}
