// Token pieces through TextStream, the way generated text reaches clients: whatever the bytes (a
// model's byte tokens can be any byte), the released text is valid UTF-8 and the calls end; with
// no stop strings and valid UTF-8 pieces, the text is exactly the pieces.
//
// Input: byte 0 = number of stop strings (0-3); then records of [length byte][bytes], the stop
// strings first, then the pieces.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "veil/engine/text_stream.h"

namespace {

// Independent of the implementation: decodes by arithmetic and checks the code point's range.
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const unsigned x = static_cast<unsigned char>(s[i + k]);
      if ((x >> 6) != 2) return false;
      cp = (cp << 6) | (x & 0x3F);
    }
    static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t pos = 1;
  auto next = [&](std::string& out) {
    if (pos >= size) return false;
    const size_t want = data[pos];
    ++pos;
    const size_t len = std::min(want, size - pos);
    out.assign(reinterpret_cast<const char*>(data + pos), len);
    pos += len;
    return true;
  };
  std::vector<std::string> stops;
  for (int i = 0; i < data[0] % 4; ++i) {
    std::string s;
    if (!next(s)) break;
    stops.push_back(s);
  }
  const bool plain = stops.empty();
  veil::engine::TextStream stream(stops);
  std::string pieces, text, piece;
  while (next(piece)) {
    pieces += piece;
    const std::string out = stream.push(piece);
    if (!valid_utf8(out)) std::abort();
    text += out;
  }
  const std::string tail = stream.flush();
  if (!valid_utf8(tail)) std::abort();
  text += tail;
  if (plain && valid_utf8(pieces) && text != pieces) std::abort();
  if (valid_utf8(pieces) != (veil::engine::utf8_valid_or_replaced(pieces) == pieces)) std::abort();
  return 0;
}
