#include "veil/engine/text_stream.h"

#include <algorithm>

namespace veil::engine {

size_t utf8_complete_prefix(std::string_view s) {
  // Look back at most 3 bytes for the lead byte of a sequence that runs past the end.
  size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

std::string utf8_valid_or_replaced(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) {
      out += char(c);
      ++i;
      continue;
    }
    // Table 3-7 (well-formed UTF-8 byte sequences): the length, and the range of the second byte.
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    // Bytes matched so far; a mismatch ends the ill-formed subsequence before the byte that broke it.
    size_t ok = len == 0 ? 0 : 1;
    while (ok > 0 && ok < len && i + ok < s.size()) {
      const unsigned char x = b(i + ok);
      const bool in_range = ok == 1 ? (x >= lo && x <= hi) : (x >= 0x80 && x <= 0xBF);
      if (!in_range) break;
      ++ok;
    }
    if (len > 0 && ok == len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += std::max<size_t>(ok, 1);
    }
  }
  return out;
}

std::string TextStream::push(std::string_view piece) {
  if (stopped_) return {};
  pending_.append(piece);
  // A complete stop string: release what precedes the earliest one and stop.
  size_t first = std::string::npos;
  for (const auto& s : stop_) {
    if (s.empty()) continue;
    size_t at = pending_.find(s);
    if (at != std::string::npos) first = std::min(first, at);
  }
  if (first != std::string::npos) {
    stopped_ = true;
    std::string out = utf8_valid_or_replaced(std::string_view(pending_).substr(0, first));
    pending_.clear();
    return out;
  }
  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const auto& s : stop_) {
    for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), pending_.size()); k > hold; --k) {
      if (pending_.compare(pending_.size() - k, k, s, 0, k) == 0) {
        hold = k;
        break;
      }
    }
  }
  size_t release = utf8_complete_prefix(std::string_view(pending_).substr(0, pending_.size() - hold));
  std::string out = utf8_valid_or_replaced(std::string_view(pending_).substr(0, release));
  pending_.erase(0, release);
  return out;
}

std::string TextStream::flush() {
  if (stopped_) return {};
  std::string out = utf8_valid_or_replaced(pending_);  // a trailing incomplete sequence included
  pending_.clear();
  return out;
}

}  // namespace veil::engine
