// Parses arbitrary bytes as GGUF and exercises every accessor on what parses.
#include <cstddef>
#include <cstdint>

#include "veil/engine/gguf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = veil::engine::GgufFile::parse(veil::ByteView(data, size));
  if (!f.ok()) return 0;
  const auto& g = **f;
  for (const auto& kv : g.kvs()) {
    (void)veil::engine::gguf_value_summary(kv.value);
    (void)g.get_string(kv.key);
    (void)g.get_u64(kv.key);
    (void)g.get_i32(kv.key);
    (void)g.get_f32(kv.key);
    (void)g.get_bool(kv.key);
    (void)g.get_string_array(kv.key);
    (void)g.get_int_array(kv.key);
    (void)g.get_float_array(kv.key);
  }
  uint64_t sum = 0;
  for (const auto& t : g.tensors()) {
    // Touch the first and last byte: must lie inside the buffer.
    if (t.n_bytes > 0) sum += t.data[0] + t.data[t.n_bytes - 1];
  }
  return sum == 0xFFFFFFFFFFFFull ? 1 : 0;
}
