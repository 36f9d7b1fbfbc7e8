// GGUF v2/v3 reader over a read-only memory map (or an owned byte buffer).
//
// Format: ggml's docs/gguf.md. Layout (all little-endian):
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv × { string key | u32 value_type | value }
//   n_tensors × { string name | u32 n_dims | u64 dims[n_dims] | u32 ggml_type | u64 offset }
//   padding to `general.alignment` (default 32) | tensor data (offsets relative to here)
// A string is u64 length + bytes (no terminator). An array is u32 element type + u64 count + elements.
//
// Every count, length, offset, size and type is validated while parsing; a malformed or truncated
// file is an Error ("gguf.*" codes), never a crash, never a huge allocation.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/bytes.h"
#include "veil/base/result.h"

namespace veil::engine {

// GGUF metadata value types (gguf.md "gguf_metadata_value_type").
enum class GgufValueType : uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
  string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

// ggml tensor types this engine knows (values are ggml's enum ggml_type).
enum class TensorType : uint32_t {
  f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
  q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15, bf16 = 30,
};

// Block geometry of a tensor type: `block_elems` values stored in `block_bytes` bytes.
struct TensorTypeTraits {
  const char* name;
  int block_elems;
  int block_bytes;
};
// Traits of a type, or nullopt for a type id this engine does not know.
std::optional<TensorTypeTraits> tensor_type_traits(uint32_t type_id);
const char* tensor_type_name(TensorType t);
// Parses "f32", "q8_0", "q4_k", ... (lower case).
std::optional<TensorType> tensor_type_from_name(std::string_view name);

// One metadata value. Scalars live in the union-ish fields; arrays keep a view of the raw elements
// (in the mapped file) plus their element type and count, decoded on demand by the typed getters.
struct GgufValue {
  GgufValueType type = GgufValueType::u8;
  uint64_t u = 0;           // unsigned integer / bool value
  int64_t i = 0;            // signed integer value (also set for unsigned types that fit)
  double f = 0;             // float value (also set for integer types)
  std::string_view str;     // string value (view into the file)
  GgufValueType elem_type = GgufValueType::u8;  // array element type
  uint64_t count = 0;                           // array element count
  ByteView raw;                                 // array elements, raw bytes
  std::vector<std::string_view> strings;        // array of strings, decoded at parse time
};

struct GgufKv {
  std::string_view key;
  GgufValue value;
};

struct GgufTensorInfo {
  std::string name;
  TensorType type = TensorType::f32;
  std::vector<uint64_t> dims;  // dims[0] is the contiguous (row) dimension, as in ggml's ne[0]
  uint64_t offset = 0;         // relative to the start of the tensor data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // points into the mapped file (validated to lie inside it)

  uint64_t rows() const;       // product of dims[1..]
  uint64_t row_bytes() const;  // bytes of one dims[0]-row
};

class GgufFile {
 public:
  // Maps `path` read-only and parses it.
  static Result<std::unique_ptr<GgufFile>> open(const std::string& path);
  // Parses an in-memory image (copied; used by tests and the fuzzer).
  static Result<std::unique_ptr<GgufFile>> parse(ByteView bytes);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of the tensor data section
  ByteView bytes() const { return ByteView(base_, size_); }

  const std::vector<GgufKv>& kvs() const { return kvs_; }
  const GgufValue* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  // Typed getters: an error when the key is missing or has an incompatible type.
  // Integer getters accept any integer type whose value fits; get_f32/f64 accept floats and integers.
  Result<std::string> get_string(std::string_view key) const;
  Result<uint64_t> get_u64(std::string_view key) const;
  Result<int64_t> get_i64(std::string_view key) const;
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  // Views of string array elements (valid while the GgufFile lives).
  Result<std::span<const std::string_view>> get_string_array_view(std::string_view key) const;
  Result<std::vector<int64_t>> get_int_array(std::string_view key) const;
  Result<std::vector<float>> get_float_array(std::string_view key) const;
  Result<uint64_t> get_array_size(std::string_view key) const;

  // Optional variants: the fallback when the key is missing; still an error on a wrong type.
  Result<std::string> get_string_or(std::string_view key, std::string fallback) const;
  Result<uint32_t> get_u32_or(std::string_view key, uint32_t fallback) const;
  Result<float> get_f32_or(std::string_view key, float fallback) const;
  Result<bool> get_bool_or(std::string_view key, bool fallback) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;

  // `general.architecture`, or empty.
  std::string architecture() const;

  // Tells the kernel that [p, p + n) of a mapped file will not be read again: its whole pages
  // leave this process's resident set (they are read back from the file if touched). A no-op
  // for an image parsed from memory.
  void release_pages(const uint8_t* p, size_t n) const;

 private:
  GgufFile() = default;
  Status parse_all();

  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // non-null when mmapped
  size_t mapping_size_ = 0;
  Bytes owned_;  // when parsed from memory
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensorInfo> tensors_;
};

// Human-readable name of a value type ("u32", "string", ...).
const char* gguf_value_type_name(GgufValueType t);
// A short rendering of a value for `veil model info` (arrays summarised).
std::string gguf_value_summary(const GgufValue& v);

}  // namespace veil::engine
