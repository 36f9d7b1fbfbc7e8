// Feeds arbitrary bytes through the server's request parsing path (the same
// RequestReader the sessions use, with small limits so limit paths are hit),
// in one piece and split at a data-chosen point, as pipelined requests.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "veil/net/request_reader.h"

namespace {

void run(std::string_view data, size_t split) {
  veil::net::RequestReader reader({512, 4096});
  std::string pending;
  std::string_view parts[2] = {data.substr(0, split), data.substr(split)};
  for (auto part : parts) {
    pending.append(part);
    for (int guard = 0; guard < 64; ++guard) {
      size_t used = reader.feed(pending);
      pending.erase(0, used);
      auto state = reader.state();
      if (state == veil::net::RequestReader::State::header_ready) {
        reader.continue_body();
        continue;
      }
      if (state == veil::net::RequestReader::State::done) {
        auto req = reader.take_request();
        if (req.body.size() > 4096) __builtin_trap();
        (void)req.header("host");
        (void)req.query_param("x");
        reader.reset();
        continue;
      }
      if (state == veil::net::RequestReader::State::failed) {
        int s = reader.error_status();
        if (s != 400 && s != 413 && s != 417 && s != 431 && s != 501) __builtin_trap();
        return;
      }
      break;  // need_more
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  run(bytes, bytes.size());
  run(bytes, bytes.empty() ? 0 : data[0] % (bytes.size() + 1));
  return 0;
}
