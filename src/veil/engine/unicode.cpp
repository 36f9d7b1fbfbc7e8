#include "veil/engine/unicode.h"

#include <algorithm>
#include <array>

namespace veil::engine {

namespace detail {
extern const uint32_t kUnicodeCategoryRuns[];
extern const size_t kUnicodeCategoryRunCount;
}  // namespace detail

UnicodeCategory unicode_category(uint32_t cp) {
  if (cp > kMaxCodePoint) return UnicodeCategory::kUndefined;
  const uint32_t* begin = detail::kUnicodeCategoryRuns;
  const uint32_t* end = begin + detail::kUnicodeCategoryRunCount;
  // The last run starting at or before cp: runs are keyed (first << 8) | cat.
  const uint32_t* it = std::upper_bound(begin, end, (cp << 8) | 0xFF);
  return static_cast<UnicodeCategory>(it[-1] & 0xFF);
}

bool unicode_is_whitespace(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  switch (cp) {
    case 0x0085: case 0x00A0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::vector<uint32_t> utf8_to_code_points(std::string_view text) {
  std::vector<uint32_t> out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  auto continuation = [&](size_t k) { return i + k < n && (p[i + k] & 0xC0) == 0x80; };
  while (i < n) {
    const uint8_t b = p[i];
    if (b < 0x80) {
      out.push_back(b);
      i += 1;
    } else if ((b & 0xE0) == 0xC0 && continuation(1)) {
      out.push_back((uint32_t(b & 0x1F) << 6) | (p[i + 1] & 0x3F));
      i += 2;
    } else if ((b & 0xF0) == 0xE0 && continuation(1) && continuation(2)) {
      out.push_back((uint32_t(b & 0x0F) << 12) | (uint32_t(p[i + 1] & 0x3F) << 6) | (p[i + 2] & 0x3F));
      i += 3;
    } else if ((b & 0xF8) == 0xF0 && continuation(1) && continuation(2) && continuation(3)) {
      const uint32_t cp = (uint32_t(b & 0x07) << 18) | (uint32_t(p[i + 1] & 0x3F) << 12) |
                          (uint32_t(p[i + 2] & 0x3F) << 6) | (p[i + 3] & 0x3F);
      if (cp > kMaxCodePoint) {
        out.push_back(kReplacementCharacter);
        i += 1;
      } else {
        out.push_back(cp);
        i += 4;
      }
    } else {
      out.push_back(kReplacementCharacter);
      i += 1;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp > kMaxCodePoint) cp = kReplacementCharacter;
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

namespace {

// GPT-2's bytes_to_unicode(): bytes '!'..'~', U+00A1..U+00AC and
// U+00AE..U+00FF keep their value; the other 68 bytes take U+0100.. in order.
struct ByteAlphabet {
  std::array<uint32_t, 256> to_cp{};
  ByteAlphabet() {
    uint32_t next = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      to_cp[b] = printable ? b : next++;
    }
  }
};
const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet alphabet;
  return alphabet;
}

}  // namespace

uint32_t byte_to_unicode(uint8_t byte) { return byte_alphabet().to_cp[byte]; }

int unicode_to_byte(uint32_t cp) {
  if (cp < 0x100) {
    const bool printable = (cp >= 0x21 && cp <= 0x7E) || (cp >= 0xA1 && cp <= 0xAC) || (cp >= 0xAE);
    return printable ? int(cp) : -1;
  }
  if (cp >= 0x100 + 68) return -1;
  const auto& table = byte_alphabet().to_cp;
  for (int b = 0; b < 256; ++b) {
    if (table[size_t(b)] == cp) return b;
  }
  return -1;
}

}  // namespace veil::engine
