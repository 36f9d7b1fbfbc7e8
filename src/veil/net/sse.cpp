// WHATWG HTML §9.2.5/§9.2.6: parsing an event stream and interpreting it.
#include "veil/net/sse.h"

#include <cstring>

namespace veil::net {

namespace {

// The position of the next '\n' or '\r' at or after `from` (size() if none),
// found with memchr: lines are long and line ends few.
size_t next_line_end(std::string_view s, size_t from) {
  if (from >= s.size()) return s.size();
  const char* base = s.data();
  const char* end = base + s.size();
  const char* nl = static_cast<const char*>(std::memchr(base + from, '\n', s.size() - from));
  const char* limit = nl ? nl : end;
  const char* cr =
      static_cast<const char*>(std::memchr(base + from, '\r', static_cast<size_t>(limit - (base + from))));
  const char* hit = cr ? cr : limit;
  return static_cast<size_t>(hit - base);
}

}  // namespace

SseParser::SseParser(size_t max_line_bytes, size_t max_event_bytes)
    : max_line_bytes_(max_line_bytes), max_event_bytes_(max_event_bytes) {}

bool SseParser::has_partial_event() const { return !line_.empty() || has_data_ || !pending_.event.empty(); }

Status SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  if (failed_) return make_error("sse.failed", "parser already failed");
  if (at_start_ && !bytes.empty()) {
    // A UTF-8 BOM may start the stream; it may itself arrive split.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    std::string head = line_ + std::string(bytes.substr(0, kBom.size()));
    if (head.size() < kBom.size() && kBom.substr(0, head.size()) == head) {
      line_ = head;  // keep waiting for the rest of a possible BOM
      return ok_status();
    }
    at_start_ = false;
    if (head.compare(0, kBom.size(), kBom) == 0) {
      size_t from_bytes = kBom.size() - line_.size();
      line_.clear();
      bytes.remove_prefix(from_bytes);
    }
    // Otherwise a BOM prefix that did not complete stays in line_ as ordinary line bytes.
  }
  size_t start = 0;
  for (size_t i = next_line_end(bytes, 0); i < bytes.size(); i = next_line_end(bytes, i + 1)) {
    const char c = bytes[i];
    if (c == '\n' && saw_cr_ && i == start && line_.empty()) {
      // Second half of a "\r\n" whose "\r" already ended the line.
      saw_cr_ = false;
      start = i + 1;
      continue;
    }
    saw_cr_ = (c == '\r');
    std::string_view piece = bytes.substr(start, i - start);
    if (line_.size() + piece.size() > max_line_bytes_) {
      failed_ = true;
      return make_error("sse.line_too_long", "event stream line exceeds the limit");
    }
    if (line_.empty()) {
      process_line(piece, out);
    } else {
      line_.append(piece);
      process_line(line_, out);
      line_.clear();
    }
    if (pending_.data.size() > max_event_bytes_) {
      failed_ = true;
      return make_error("sse.event_too_large", "event data exceeds the limit");
    }
    start = i + 1;
  }
  if (start < bytes.size()) {
    saw_cr_ = false;
    std::string_view rest = bytes.substr(start);
    if (line_.size() + rest.size() > max_line_bytes_) {
      failed_ = true;
      return make_error("sse.line_too_long", "event stream line exceeds the limit");
    }
    line_.append(rest);
  }
  return ok_status();
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {
    // Dispatch (§9.2.6): only events that had at least one data line.
    if (has_data_) {
      SseEvent& e = out.emplace_back();
      e.event = pending_.event;
      e.id = pending_.id;
      e.data.swap(pending_.data);  // moved, not copied
    }
    pending_.data.clear();
    pending_.event.clear();
    has_data_ = false;
    return;
  }
  if (line[0] == ':') return;  // comment
  std::string_view field = line;
  std::string_view value;
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) pending_.id.assign(value);
  }
  // "retry" and unknown fields are ignored.
}

std::string sse_data_line(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 8);
  out += "data: ";
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < json.size() && json[i + 1] == '\n') ++i;
      out += "\ndata: ";
    } else {
      out.push_back(c);
    }
  }
  out += "\n\n";
  return out;
}

}  // namespace veil::net
