// Pre-tokenizer regexes of byte-level BPE vocabularies, written out by hand.
//
// The HF tokenizers split text with a regex before BPE; llama.cpp implements
// the same splits (unicode.cpp: hand-written for GPT-2 and Llama 3, std::regex
// over a "collapsed" text for the others). The matchers below reproduce those
// splits, including the leftmost-alternative-wins semantics of the regexes,
// over these character classes:
//   \p{L}  letters: A-Z a-z, and non-ASCII code points of category L
//   \p{N}  numbers: 0-9, and non-ASCII code points of category N
//   \s     White_Space (unicode.h)
// A non-ASCII whitespace code point is never a letter or number here, as in
// llama.cpp's collapsed text.
#include <algorithm>

#include "veil/engine/tokenizer_internal.h"
#include "veil/engine/unicode.h"

namespace veil::engine::detail {

std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name) {
  // Names as llama.cpp's llama_vocab::load maps them to pre-tokenizer types.
  if (name.empty() || name == "default") return PreTokenizer::kDefault;
  if (name == "gpt-2" || name == "gpt2" || name == "phi-2") return PreTokenizer::kGpt2;
  if (name == "llama3" || name == "llama-v3" || name == "llama-bpe" || name == "falcon3" ||
      name == "pixtral") {
    return PreTokenizer::kLlama3;
  }
  if (name == "qwen2" || name == "deepseek-r1-qwen" || name == "megrez") return PreTokenizer::kQwen2;
  return std::nullopt;
}

namespace {

enum class CharClass : uint8_t { kNone, kLetter, kNumber, kSpace, kOther };

CharClass classify(uint32_t cp) {
  if (unicode_is_whitespace(cp)) return CharClass::kSpace;
  if (cp < 0x80) {
    if ((cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z')) return CharClass::kLetter;
    if (cp >= '0' && cp <= '9') return CharClass::kNumber;
    return CharClass::kOther;
  }
  switch (unicode_category(cp)) {
    case UnicodeCategory::kLetter: return CharClass::kLetter;
    case UnicodeCategory::kNumber: return CharClass::kNumber;
    default: return CharClass::kOther;
  }
}

// One segment [begin, end) of the code points with their classes; positions
// past the end read as kNone / a sentinel code point.
class Segment {
 public:
  Segment(const std::vector<uint32_t>& cpts, const std::vector<CharClass>& classes, size_t begin, size_t end)
      : cpts_(cpts), classes_(classes), begin_(begin), end_(end) {}
  size_t begin() const { return begin_; }
  size_t end() const { return end_; }
  uint32_t cp(size_t i) const { return i < end_ ? cpts_[i] : 0xFFFFFFFFu; }
  CharClass cls(size_t i) const { return i < end_ ? classes_[i] : CharClass::kNone; }
  bool is_newline(size_t i) const { return cp(i) == '\r' || cp(i) == '\n'; }
  size_t run_end(size_t i, CharClass c) const {
    while (cls(i) == c) ++i;
    return i;
  }

 private:
  const std::vector<uint32_t>& cpts_;
  const std::vector<CharClass>& classes_;
  size_t begin_, end_;
};

// English contractions at i: 's 't 're 've 'm 'll 'd. Returns the match end or i.
size_t match_contraction(const Segment& s, size_t i, bool ignore_case) {
  if (s.cp(i) != '\'') return i;
  auto lower = [&](size_t k) {
    uint32_t c = s.cp(k);
    return (ignore_case && c >= 'A' && c <= 'Z') ? c + 32 : c;
  };
  const uint32_t a = lower(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
  const uint32_t b = lower(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
  return i;
}

// \s+(?!\S) then \s+, from a whitespace position: the whole run at the end of
// the segment, else all but the last whitespace (which then prefixes the next
// word), else the single whitespace.
size_t match_whitespace(const Segment& s, size_t i) {
  const size_t end = s.run_end(i, CharClass::kSpace);
  if (end - i > 1 && end < s.end()) return end - 1;
  return end;
}

// Llama 3 / Qwen2:
//   (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
//   |[^\r\n\p{L}\p{N}]?\p{L}+
//   |\p{N}{1,max_digits}
//   | ?[^\s\p{L}\p{N}]+[\r\n]*
//   |\s*[\r\n]+
//   |\s+(?!\S)
//   |\s+
size_t match_llama3(const Segment& s, size_t i, size_t max_digits) {
  if (size_t e = match_contraction(s, i, /*ignore_case=*/true); e != i) return e;
  const CharClass c = s.cls(i);
  if (c == CharClass::kLetter) return s.run_end(i, CharClass::kLetter);
  if (!s.is_newline(i) && c != CharClass::kNumber && s.cls(i + 1) == CharClass::kLetter) {
    return s.run_end(i + 1, CharClass::kLetter);
  }
  if (c == CharClass::kNumber) return std::min(s.run_end(i, CharClass::kNumber), i + max_digits);
  const size_t first = (s.cp(i) == ' ' && s.cls(i + 1) == CharClass::kOther) ? i + 1 : i;
  if (s.cls(first) == CharClass::kOther) {
    size_t e = s.run_end(first, CharClass::kOther);
    while (s.is_newline(e)) ++e;
    return e;
  }
  // Whitespace from here on.
  const size_t run = s.run_end(i, CharClass::kSpace);
  for (size_t k = run; k > i; --k) {
    if (s.is_newline(k - 1)) return k;  // \s*[\r\n]+ ends at the run's last newline
  }
  return match_whitespace(s, i);
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t match_gpt2(const Segment& s, size_t i) {
  if (size_t e = match_contraction(s, i, /*ignore_case=*/false); e != i) return e;
  const size_t first = (s.cp(i) == ' ' && s.cls(i + 1) != CharClass::kSpace && s.cls(i + 1) != CharClass::kNone)
                           ? i + 1
                           : i;
  const CharClass c = s.cls(first);
  if (c == CharClass::kLetter || c == CharClass::kNumber || c == CharClass::kOther) return s.run_end(first, c);
  return match_whitespace(s, i);
}

// Splits every segment of `lengths` with `match` (which returns the end of
// the match starting at a position, or that position when none starts there;
// unmatched code points between matches form words of their own).
template <typename Match>
std::vector<size_t> split(const std::vector<uint32_t>& cpts, const std::vector<CharClass>& classes,
                          const std::vector<size_t>& lengths, Match match) {
  std::vector<size_t> out;
  out.reserve(lengths.size());
  size_t begin = 0;
  for (size_t length : lengths) {
    const Segment s(cpts, classes, begin, begin + length);
    size_t gap_start = begin;
    for (size_t i = begin; i < s.end();) {
      const size_t e = match(s, i);
      if (e == i) {
        ++i;
        continue;
      }
      if (i > gap_start) out.push_back(i - gap_start);
      out.push_back(e - i);
      i = e;
      gap_start = e;
    }
    if (s.end() > gap_start) out.push_back(s.end() - gap_start);
    begin += length;
  }
  return out;
}

// A maximal run of code points satisfying `pred`.
template <typename Pred>
auto run_of(Pred pred) {
  return [pred](const Segment& s, size_t i) {
    while (i < s.end() && pred(s.cp(i), s.cls(i))) ++i;
    return i;
  };
}

// \p{P} as llama.cpp's collapsed regex sees it: ASCII !"#%&'()*,-./:;?@[\]_{}
// and non-ASCII non-whitespace code points of category P.
bool is_punctuation(uint32_t cp, CharClass cls) {
  if (cp < 0x80) return std::string_view("!\"#%&'()*,-./:;?@[\\]_{}").find(char(cp)) != std::string_view::npos;
  return cls == CharClass::kOther && unicode_category(cp) == UnicodeCategory::kPunctuation;
}

}  // namespace

std::vector<size_t> pre_tokenize(PreTokenizer pre, const std::vector<uint32_t>& cpts) {
  std::vector<CharClass> classes(cpts.size());
  for (size_t i = 0; i < cpts.size(); ++i) classes[i] = classify(cpts[i]);
  std::vector<size_t> whole;
  if (!cpts.empty()) whole.push_back(cpts.size());

  switch (pre) {
    case PreTokenizer::kLlama3:
      return split(cpts, classes, whole, [](const Segment& s, size_t i) { return match_llama3(s, i, 3); });
    case PreTokenizer::kQwen2:
      return split(cpts, classes, whole, [](const Segment& s, size_t i) { return match_llama3(s, i, 1); });
    case PreTokenizer::kGpt2:
      return split(cpts, classes, whole, match_gpt2);
    case PreTokenizer::kDefault: {
      // llama.cpp's default chain: [\p{P}\$\+<=>\^~\|]+ , then GPT-2's regex,
      // then \p{N}+ , then [0-9][0-9][0-9].
      auto words = split(cpts, classes, whole, run_of([](uint32_t cp, CharClass cls) {
                           return is_punctuation(cp, cls) || cp == '$' || cp == '+' || cp == '<' || cp == '=' ||
                                  cp == '>' || cp == '^' || cp == '~' || cp == '|';
                         }));
      words = split(cpts, classes, words, match_gpt2);
      words = split(cpts, classes, words, run_of([](uint32_t, CharClass cls) { return cls == CharClass::kNumber; }));
      return split(cpts, classes, words, [](const Segment& s, size_t i) {
        auto digit = [&](size_t k) { return s.cp(k) >= '0' && s.cp(k) <= '9'; };
        return (digit(i) && digit(i + 1) && digit(i + 2)) ? i + 3 : i;
      });
    }
  }
  return whole;
}

}  // namespace veil::engine::detail
