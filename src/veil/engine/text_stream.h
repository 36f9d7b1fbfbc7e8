// Turns a stream of token pieces into client text: only whole UTF-8 code points are released, bytes
// that form no valid UTF-8 become U+FFFD (clients get valid UTF-8, as JSON requires), and text that
// could be the start of a stop string is held back until it is resolved.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace veil::engine {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stop) : stop_(std::move(stop)) {}

  // Appends a piece; returns the text that is now safe to send. After a stop string appears,
  // stopped() is true and the returned text ends right before it.
  std::string push(std::string_view piece);
  // End of generation: the held-back text; a trailing incomplete code point becomes U+FFFD.
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stop_;
  std::string pending_;
  bool stopped_ = false;
};

// Length of the longest prefix of s that ends on a UTF-8 code point boundary (an incomplete
// sequence at the end is excluded; invalid bytes count as complete so they never block).
size_t utf8_complete_prefix(std::string_view s);

// s with every maximal ill-formed subsequence (Unicode §3.9: overlong forms, surrogates, code
// points past U+10FFFF, stray continuation bytes, truncated sequences) replaced by U+FFFD, as
// llama-server replaces them when it writes JSON. (unicode.h's utf8_to_code_points follows
// llama.cpp's tokenizer instead, which lets overlong forms and surrogates through: fine for
// splitting text into symbols, not for text a client must be able to parse.)
std::string utf8_valid_or_replaced(std::string_view s);

}  // namespace veil::engine
