// Server-Sent Events (WHATWG HTML §9.2 "Server-sent events", event stream
// interpretation): an incremental parser and the writer-side framing helper.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/result.h"

namespace veil::net {

struct SseEvent {
  std::string event;  // "event:" field ("" = default "message")
  std::string data;   // "data:" lines joined by '\n'
  std::string id;     // "id:" field of this event ("" if none)
};

// Feed bytes as they arrive (any split, including inside "\r\n"); complete
// events (ended by a blank line) come out. Handles \r\n, \n and \r line ends,
// comment lines (":..."), a leading UTF-8 BOM, fields without a colon, and one
// optional space after the colon. Events with no data line are not dispatched
// (per spec). Lines longer than max_line_bytes, or an event whose data exceeds
// max_event_bytes, make feed() fail with "sse.line_too_long" /
// "sse.event_too_large"; the parser then stays failed.
class SseParser {
 public:
  explicit SseParser(size_t max_line_bytes = 1 << 20, size_t max_event_bytes = 16 << 20);

  // Appends completed events to `out`.
  Status feed(std::string_view bytes, std::vector<SseEvent>& out);

  // True when bytes of an unfinished event are buffered (a stream that ends
  // here was truncated; per spec the partial event is discarded).
  bool has_partial_event() const;

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);

  size_t max_line_bytes_;
  size_t max_event_bytes_;
  std::string line_;
  SseEvent pending_;
  bool has_data_ = false;
  bool saw_cr_ = false;   // last byte was '\r': a following '\n' belongs to it
  bool at_start_ = true;  // BOM check
  bool failed_ = false;
};

// "data: " + json + "\n\n". `json` must not contain '\r' or '\n' (compact JSON
// never does); if it does, each line becomes its own "data: " line so the
// framing stays intact.
std::string sse_data_line(std::string_view json);

}  // namespace veil::net
