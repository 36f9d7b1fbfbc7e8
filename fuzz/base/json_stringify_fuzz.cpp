// Parses arbitrary bytes as JSON and writes them back with the
// JSON.stringify-exact writer; the output must re-parse to an equal value.
#include <boost/json.hpp>

#include <cstdint>
#include <cstdlib>

#include "veil/base/json_stringify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  auto v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;
  std::string out = veil::js_stringify(v);
  auto again = boost::json::parse(out, ec);
  if (ec) std::abort();  // the writer produced invalid JSON
  if (veil::js_stringify(again) != out) std::abort();  // not a fixed point
  return 0;
}
