// ASCII-only text helpers (hex digests, header names, URL schemes): locale-free.
#pragma once

#include <string>
#include <string_view>

namespace veil {

inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace veil
