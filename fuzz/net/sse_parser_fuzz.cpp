// Feeds arbitrary bytes to the SSE parser in data-chosen pieces and checks
// that splitting never changes the events.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "veil/net/sse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 17;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  veil::net::SseParser whole(256, 1024);
  std::vector<veil::net::SseEvent> a;
  const bool ok_whole = whole.feed(bytes, a).ok();
  veil::net::SseParser split(256, 1024);
  std::vector<veil::net::SseEvent> b;
  bool ok_split = true;
  for (size_t i = 0; i < bytes.size() && ok_split; i += piece)
    ok_split = split.feed(bytes.substr(i, piece), b).ok();
  if (ok_whole && ok_split) {
    if (a.size() != b.size()) __builtin_trap();
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].data != b[i].data || a[i].event != b[i].event || a[i].id != b[i].id) __builtin_trap();
    }
  }
  return 0;
}
