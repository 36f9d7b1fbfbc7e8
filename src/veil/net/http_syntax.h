// Private to veil::net: what may appear in the parts of an HTTP message the
// clients and the server write from caller-given text (RFC 9110 §5.1, §5.5).
#pragma once

#include <string_view>

namespace veil::net {

// A field value or other text to be written into a head: no CR, LF or NUL
// (which would let it start a field or a message of its own).
inline bool field_is_safe(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// A method or field name: a non-empty token of visible ASCII without ':'.
inline bool token_is_safe(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  return true;
}

}  // namespace veil::net
