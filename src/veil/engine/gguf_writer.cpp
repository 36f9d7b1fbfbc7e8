#include "veil/engine/gguf_writer.h"

#include <cstdio>
#include <cstring>

namespace veil::engine {

namespace {

void put_u32(Bytes& b, uint32_t v) {
  uint8_t t[4];
  store_le32(t, v);
  b.insert(b.end(), t, t + 4);
}
void put_u64(Bytes& b, uint64_t v) {
  uint8_t t[8];
  store_le64(t, v);
  b.insert(b.end(), t, t + 8);
}
void put_str(Bytes& b, std::string_view s) {
  put_u64(b, s.size());
  b.insert(b.end(), s.begin(), s.end());
}
void put_f32(Bytes& b, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  put_u32(b, u);
}

}  // namespace

void GgufWriter::key_header(const std::string& key, GgufValueType type) {
  put_str(kv_, key);
  put_u32(kv_, uint32_t(type));
  ++n_kv_;
}

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  key_header(key, GgufValueType::string);
  put_str(kv_, value);
}
void GgufWriter::add_u32(const std::string& key, uint32_t value) {
  key_header(key, GgufValueType::u32);
  put_u32(kv_, value);
}
void GgufWriter::add_i32(const std::string& key, int32_t value) {
  key_header(key, GgufValueType::i32);
  put_u32(kv_, uint32_t(value));
}
void GgufWriter::add_u64(const std::string& key, uint64_t value) {
  key_header(key, GgufValueType::u64);
  put_u64(kv_, value);
}
void GgufWriter::add_f32(const std::string& key, float value) {
  key_header(key, GgufValueType::f32);
  put_f32(kv_, value);
}
void GgufWriter::add_bool(const std::string& key, bool value) {
  key_header(key, GgufValueType::boolean);
  kv_.push_back(value ? 1 : 0);
}
void GgufWriter::add_string_array(const std::string& key, const std::vector<std::string>& values) {
  key_header(key, GgufValueType::array);
  put_u32(kv_, uint32_t(GgufValueType::string));
  put_u64(kv_, values.size());
  for (const auto& s : values) put_str(kv_, s);
}
void GgufWriter::add_string_array(const std::string& key, std::span<const std::string_view> values) {
  key_header(key, GgufValueType::array);
  put_u32(kv_, uint32_t(GgufValueType::string));
  put_u64(kv_, values.size());
  for (auto s : values) put_str(kv_, s);
}
void GgufWriter::add_i32_array(const std::string& key, const std::vector<int32_t>& values) {
  key_header(key, GgufValueType::array);
  put_u32(kv_, uint32_t(GgufValueType::i32));
  put_u64(kv_, values.size());
  for (int32_t v : values) put_u32(kv_, uint32_t(v));
}
void GgufWriter::add_f32_array(const std::string& key, const std::vector<float>& values) {
  key_header(key, GgufValueType::array);
  put_u32(kv_, uint32_t(GgufValueType::f32));
  put_u64(kv_, values.size());
  for (float v : values) put_f32(kv_, v);
}

void GgufWriter::copy_kv(const GgufKv& kv) {
  key_header(std::string(kv.key), kv.value.type);
  const GgufValue& v = kv.value;
  switch (v.type) {
    case GgufValueType::string: put_str(kv_, v.str); return;
    case GgufValueType::array:
      put_u32(kv_, uint32_t(v.elem_type));
      put_u64(kv_, v.count);
      if (v.elem_type == GgufValueType::string) {
        for (auto s : v.strings) put_str(kv_, s);
      } else {
        kv_.insert(kv_.end(), v.raw.begin(), v.raw.end());
      }
      return;
    case GgufValueType::u8: case GgufValueType::i8: case GgufValueType::boolean:
      kv_.push_back(uint8_t(v.type == GgufValueType::i8 ? uint8_t(v.i) : uint8_t(v.u)));
      return;
    case GgufValueType::u16: case GgufValueType::i16: {
      uint16_t x = uint16_t(v.type == GgufValueType::i16 ? uint16_t(v.i) : uint16_t(v.u));
      kv_.push_back(uint8_t(x));
      kv_.push_back(uint8_t(x >> 8));
      return;
    }
    case GgufValueType::u32: put_u32(kv_, uint32_t(v.u)); return;
    case GgufValueType::i32: put_u32(kv_, uint32_t(v.i)); return;
    case GgufValueType::u64: put_u64(kv_, v.u); return;
    case GgufValueType::i64: put_u64(kv_, uint64_t(v.i)); return;
    case GgufValueType::f32: put_f32(kv_, float(v.f)); return;
    case GgufValueType::f64: {
      uint64_t u;
      std::memcpy(&u, &v.f, 8);
      put_u64(kv_, u);
      return;
    }
  }
}

void GgufWriter::add_tensor(const std::string& name, TensorType type, std::vector<uint64_t> dims, Bytes data) {
  tensors_.push_back(Tensor{name, type, std::move(dims), std::move(data)});
}

// Header, metadata and tensor infos, padded to the alignment (tensor data follows).
Bytes GgufWriter::header() const {
  Bytes out;
  out.insert(out.end(), {'G', 'G', 'U', 'F'});
  put_u32(out, 3);
  put_u64(out, tensors_.size());
  put_u64(out, n_kv_);
  out.insert(out.end(), kv_.begin(), kv_.end());
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_str(out, t.name);
    put_u32(out, uint32_t(t.dims.size()));
    for (uint64_t d : t.dims) put_u64(out, d);
    put_u32(out, uint32_t(t.type));
    put_u64(out, offset);
    offset += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
  return out;
}

Bytes GgufWriter::serialize() const {
  Bytes out = header();
  for (const auto& t : tensors_) {
    out.insert(out.end(), t.data.begin(), t.data.end());
    out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
  }
  return out;
}

Status GgufWriter::write_file(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return make_error("gguf.write", "cannot create output file");
  bool ok = true;
  auto put = [&](const uint8_t* p, size_t n) { ok = ok && std::fwrite(p, 1, n, f) == n; };
  Bytes h = header();
  put(h.data(), h.size());
  static const uint8_t zeros[256] = {};
  for (const auto& t : tensors_) {
    put(t.data.data(), t.data.size());
    size_t pad = (alignment - t.data.size() % alignment) % alignment;
    put(zeros, pad);
  }
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return make_error("gguf.write", "cannot write output file");
  return ok_status();
}

}  // namespace veil::engine
