// Unicode facts the tokenizers need: UTF-8 decoding with llama.cpp's error
// policy, general categories (for the pre-tokenizer regexes' \p{L}, \p{N}...),
// the White_Space property, and GPT-2's byte-to-unicode mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace veil::engine {

// Major general category (UnicodeData.txt field 2, first letter), with Cn
// split out as kUndefined and Cc/Cf/Co/Cs grouped as kControl.
enum class UnicodeCategory : uint8_t {
  kUndefined = 0,
  kNumber = 1,       // \p{N}
  kLetter = 2,       // \p{L}
  kSeparator = 3,    // \p{Z}
  kMark = 4,         // \p{M}
  kPunctuation = 5,  // \p{P}
  kSymbol = 6,       // \p{S}
  kControl = 7,      // \p{C}
};

constexpr uint32_t kReplacementCharacter = 0xFFFD;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;

// Category of a code point; kUndefined above U+10FFFF.
UnicodeCategory unicode_category(uint32_t cp);
// The White_Space property (PropList.txt): \t..\r, space, U+0085, U+00A0,
// U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool unicode_is_whitespace(uint32_t cp);

// Byte length of a UTF-8 sequence from its first byte alone (1 for stray
// continuation bytes), as SentencePiece and llama.cpp split text into symbols.
inline size_t utf8_sequence_length(uint8_t first_byte) {
  static constexpr uint8_t kLength[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLength[first_byte >> 4];
}

// Decodes UTF-8 into code points. An invalid or truncated sequence becomes
// U+FFFD and decoding resumes at the next byte (llama.cpp's policy, so
// tokenization matches it on malformed input too).
std::vector<uint32_t> utf8_to_code_points(std::string_view text);
void append_utf8(std::string& out, uint32_t cp);

// GPT-2 byte-level BPE alphabet: every byte maps to one printable code point
// (printable Latin-1 bytes to themselves, the rest to U+0100 upwards).
uint32_t byte_to_unicode(uint8_t byte);
// Inverse; -1 for a code point outside the alphabet.
int unicode_to_byte(uint32_t cp);

}  // namespace veil::engine
