#include "veil/base/json_canonical.h"

#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

#include "veil/base/json_stringify.h"
#include "veil/base/utf8.h"

namespace veil {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Bytes a JSON.stringify string holds as they are without a second look:
// ASCII from 0x20 up (DEL included) except '"' and '\\'.
constexpr auto kPlainAscii = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// A key JSON.parse would move ahead of the others (an array index; digits
// only is the conservative test).
bool integer_like(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!is_digit(c)) return false;
  }
  return true;
}

}  // namespace

const JsonMember* find_member(const std::vector<JsonMember>& members, std::string_view key) {
  for (const auto& m : members) {
    if (m.key == key) return &m;
  }
  return nullptr;
}

bool CanonicalJsonScanner::scan_object(std::string_view text, int max_depth) {
  members_.clear();
  open_keys_.clear();
  p_ = text.data();
  end_ = text.data() + text.size();
  if (p_ == end_ || *p_ != '{' || max_depth < 1) return false;
  return object(max_depth - 1, true) && p_ == end_;
}

bool CanonicalJsonScanner::value(int depth) {
  if (p_ == end_) return false;
  switch (*p_) {
    case '{':
      return depth > 0 && object(depth - 1, false);
    case '[':
      return depth > 0 && array(depth - 1);
    case '"':
      return string(nullptr);
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return number();
  }
}

bool CanonicalJsonScanner::object(int depth, bool top) {
  ++p_;  // '{'
  const size_t first_key = open_keys_.size();
  if (p_ != end_ && *p_ == '}') {
    ++p_;
    return true;
  }
  for (;;) {
    std::string_view key;
    if (p_ == end_ || *p_ != '"' || !string(&key) || integer_like(key)) return false;
    // Canonical strings have one spelling each, so equal keys are equal bytes.
    if (open_keys_.size() - first_key >= kMaxMembers) return false;
    for (size_t i = first_key; i < open_keys_.size(); ++i) {
      if (open_keys_[i] == key) return false;
    }
    open_keys_.push_back(key);
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    const char* value_start = p_;
    if (!value(depth)) return false;
    if (top) members_.push_back({key, std::string_view(value_start, static_cast<size_t>(p_ - value_start))});
    if (p_ == end_) return false;
    if (*p_ == '}') {
      ++p_;
      open_keys_.resize(first_key);
      return true;
    }
    if (*p_ != ',') return false;
    ++p_;
  }
}

bool CanonicalJsonScanner::array(int depth) {
  ++p_;  // '['
  if (p_ != end_ && *p_ == ']') {
    ++p_;
    return true;
  }
  for (;;) {
    if (!value(depth) || p_ == end_) return false;
    if (*p_ == ']') {
      ++p_;
      return true;
    }
    if (*p_ != ',') return false;
    ++p_;
  }
}

// JSON.stringify escapes '"', '\\', the five short control escapes, and other
// controls as \u00xx (lower-case hex); everything else, '/' and non-ASCII
// included, is written raw (and must be well-formed UTF-8 here).
bool CanonicalJsonScanner::string(std::string_view* content) {
  ++p_;  // '"'
  const char* start = p_;
  while (p_ != end_) {
    // Runs of printable ASCII other than '"' and '\\' (nearly all of a
    // string) need no look beyond the table.
    while (p_ != end_ && kPlainAscii[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_) break;
    const auto c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      if (content) *content = std::string_view(start, static_cast<size_t>(p_ - start));
      ++p_;
      return true;
    }
    if (c < 0x20) return false;
    if (c == '\\') {
      if (end_ - p_ < 2) return false;
      switch (p_[1]) {
        case '"':
        case '\\':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          p_ += 2;
          continue;
        case 'u': {
          if (end_ - p_ < 6 || p_[2] != '0' || p_[3] != '0' || (p_[4] != '0' && p_[4] != '1')) return false;
          const char h = p_[5];
          const int low = is_digit(h) ? h - '0' : (h >= 'a' && h <= 'f') ? h - 'a' + 10 : -1;
          if (low < 0) return false;
          const int code = (p_[4] - '0') * 16 + low;
          if (code == '\b' || code == '\f' || code == '\n' || code == '\r' || code == '\t') return false;
          p_ += 6;
          continue;
        }
        default:
          return false;  // '\/' and anything JSON.stringify would write otherwise
      }
    }
    if (c < 0x80) {
      ++p_;
      continue;
    }
    const std::string_view rest(p_, static_cast<size_t>(end_ - p_));
    const size_t len = utf8_sequence_length(rest, 0);
    if (len == 0) return false;
    p_ += len;
  }
  return false;
}

// RFC 8259 section 6 grammar, then Number::toString form: short integers are
// (no leading zeros, not -0, exactly representable); anything else must print
// back to the same text.
bool CanonicalJsonScanner::number() {
  const char* start = p_;
  if (p_ != end_ && *p_ == '-') ++p_;
  if (p_ == end_ || !is_digit(*p_)) return false;
  if (*p_ == '0') {
    ++p_;
  } else {
    while (p_ != end_ && is_digit(*p_)) ++p_;
  }
  const size_t int_digits = static_cast<size_t>(p_ - start) - (*start == '-' ? 1 : 0);
  bool plain_integer = true;
  if (p_ != end_ && *p_ == '.') {
    plain_integer = false;
    ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    while (p_ != end_ && is_digit(*p_)) ++p_;
  }
  if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
    plain_integer = false;
    ++p_;
    if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    while (p_ != end_ && is_digit(*p_)) ++p_;
  }
  const std::string_view text(start, static_cast<size_t>(p_ - start));
  if (plain_integer && int_digits <= 15) return text != "-0";
  double x = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(x)) return false;
  return js_number(x) == text;
}

bool CanonicalJsonScanner::literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
  p_ += word.size();
  return true;
}

}  // namespace veil
