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
    std::string out = pending_.substr(0, first);
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
  std::string out = pending_.substr(0, release);
  pending_.erase(0, release);
  return out;
}

std::string TextStream::flush() {
  if (stopped_) return {};
  std::string out = std::move(pending_);
  pending_.clear();
  size_t ok = utf8_complete_prefix(out);
  if (ok < out.size()) {
    out.resize(ok);
    out += "\xEF\xBF\xBD";
  }
  return out;
}

}  // namespace veil::engine
