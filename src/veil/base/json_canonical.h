// Recognizes JSON text that is already in JSON.stringify form, so that a
// proxy can pass it on (or splice a member into it) without parsing it into
// a tree and writing it out again.
//
// "JSON.stringify form" is what json_stringify.h writes: the text equals
// JSON.stringify(JSON.parse(text)) — no whitespace, numbers as
// Number::toString prints them, strings escaped exactly as JSON.stringify
// escapes them, every object's keys unique. Anything else is reported as not
// canonical, including some canonical texts this scanner declines to vouch
// for (an object with more than kMaxMembers members, an integer-like key,
// which JSON.parse would move first): the caller then takes the slow path,
// which also reports text that is not JSON at all.
#pragma once

#include <string_view>
#include <vector>

namespace veil {

struct JsonMember {
  std::string_view key;    // between the quotes, exactly as written (escapes not decoded)
  std::string_view value;  // the value's text
};

// The member named `key` (as written), or nullptr.
const JsonMember* find_member(const std::vector<JsonMember>& members, std::string_view key);

class CanonicalJsonScanner {
 public:
  static constexpr size_t kMaxMembers = 64;  // per object

  // True when `text` is one JSON object in JSON.stringify form, nested at
  // most max_depth deep; members() then lists its top-level members in order.
  bool scan_object(std::string_view text, int max_depth = 64);
  const std::vector<JsonMember>& members() const { return members_; }

 private:
  bool value(int depth);
  bool object(int depth, bool top);
  bool array(int depth);
  bool string(std::string_view* content);
  bool number();
  bool literal(std::string_view word);

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  std::vector<JsonMember> members_;
  // Keys of the objects being scanned, innermost last (the uniqueness check);
  // kept between calls so a scan allocates nothing once warm.
  std::vector<std::string_view> open_keys_;
};

}  // namespace veil
