// Writes GGUF v3 files (used by `veil model synth` and by tests that build malformed files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"
#include "veil/engine/gguf.h"

namespace veil::engine {

class GgufWriter {
 public:
  void add_string(const std::string& key, const std::string& value);
  void add_u32(const std::string& key, uint32_t value);
  void add_i32(const std::string& key, int32_t value);
  void add_u64(const std::string& key, uint64_t value);
  void add_f32(const std::string& key, float value);
  void add_bool(const std::string& key, bool value);
  void add_string_array(const std::string& key, const std::vector<std::string>& values);
  void add_string_array(const std::string& key, std::span<const std::string_view> values);
  void add_i32_array(const std::string& key, const std::vector<int32_t>& values);
  void add_f32_array(const std::string& key, const std::vector<float>& values);
  // Copies a metadata value from another file (same type, arrays included).
  void copy_kv(const GgufKv& kv);

  // dims[0] is the row length. `data` must hold exactly the tensor's byte size.
  void add_tensor(const std::string& name, TensorType type, std::vector<uint64_t> dims, Bytes data);

  uint32_t alignment = 32;  // at most 256
  Bytes serialize() const;
  Status write_file(const std::string& path) const;

 private:
  Bytes header() const;
  void key_header(const std::string& key, GgufValueType type);
  Bytes kv_;
  uint64_t n_kv_ = 0;
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> dims;
    Bytes data;
  };
  std::vector<Tensor> tensors_;
};

}  // namespace veil::engine
