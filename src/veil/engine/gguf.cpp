#include "veil/engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <unordered_set>

namespace veil::engine {

namespace {

// Bounds on what a sane GGUF holds; beyond these the file is rejected rather than trusted.
constexpr uint64_t kMaxStringBytes = uint64_t(1) << 30;
constexpr uint64_t kMaxDims = 4;  // GGML_MAX_DIMS

Error gguf_error(const std::string& code, const std::string& msg) {
  return make_error("gguf." + code, msg);
}

// Sequential bounds-checked reader over the file image.
class Cursor {
 public:
  Cursor(const uint8_t* base, size_t size) : base_(base), size_(size) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  Result<ByteView> take(uint64_t n, const char* what) {
    if (n > remaining()) {
      return gguf_error("truncated", std::string("file ends inside ") + what + " at offset " +
                                         std::to_string(pos_));
    }
    ByteView v(base_ + pos_, size_t(n));
    pos_ += size_t(n);
    return v;
  }
  Result<uint32_t> u32(const char* what) {
    VEIL_ASSIGN_OR_RETURN(auto b, take(4, what));
    return load_le32(b.data());
  }
  Result<uint64_t> u64(const char* what) {
    VEIL_ASSIGN_OR_RETURN(auto b, take(8, what));
    return load_le64(b.data());
  }
  Result<std::string_view> str(const char* what) {
    VEIL_ASSIGN_OR_RETURN(uint64_t n, u64(what));
    if (n > kMaxStringBytes) return gguf_error("bad_string", std::string(what) + " length too large");
    VEIL_ASSIGN_OR_RETURN(auto b, take(n, what));
    return as_chars(b);
  }

 private:
  const uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
};

// Size of a scalar value type, 0 for string/array.
size_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::u8: case GgufValueType::i8: case GgufValueType::boolean: return 1;
    case GgufValueType::u16: case GgufValueType::i16: return 2;
    case GgufValueType::u32: case GgufValueType::i32: case GgufValueType::f32: return 4;
    case GgufValueType::u64: case GgufValueType::i64: case GgufValueType::f64: return 8;
    default: return 0;
  }
}

bool known_value_type(uint32_t t) { return t <= 12; }

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::u8: case GgufValueType::i8: case GgufValueType::u16: case GgufValueType::i16:
    case GgufValueType::u32: case GgufValueType::i32: case GgufValueType::u64: case GgufValueType::i64:
      return true;
    default: return false;
  }
}

bool is_signed(GgufValueType t) {
  return t == GgufValueType::i8 || t == GgufValueType::i16 || t == GgufValueType::i32 ||
         t == GgufValueType::i64;
}

// Decodes one scalar at p into v (u/i/f fields).
void decode_scalar(GgufValueType t, const uint8_t* p, GgufValue& v) {
  v.type = t;
  switch (t) {
    case GgufValueType::u8: v.u = p[0]; break;
    case GgufValueType::i8: v.i = int8_t(p[0]); break;
    case GgufValueType::boolean: v.u = p[0] != 0; break;
    case GgufValueType::u16: v.u = load_le16(p); break;
    case GgufValueType::i16: v.i = int16_t(load_le16(p)); break;
    case GgufValueType::u32: v.u = load_le32(p); break;
    case GgufValueType::i32: v.i = int32_t(load_le32(p)); break;
    case GgufValueType::u64: v.u = load_le64(p); break;
    case GgufValueType::i64: v.i = int64_t(load_le64(p)); break;
    case GgufValueType::f32: {
      float f;
      uint32_t bits = load_le32(p);
      std::memcpy(&f, &bits, 4);
      v.f = f;
      return;
    }
    case GgufValueType::f64: {
      uint64_t bits = load_le64(p);
      std::memcpy(&v.f, &bits, 8);
      return;
    }
    default: return;
  }
  if (is_signed(t)) {
    v.f = double(v.i);
    v.u = v.i >= 0 ? uint64_t(v.i) : 0;
  } else {
    v.f = double(v.u);
    v.i = v.u <= uint64_t(std::numeric_limits<int64_t>::max()) ? int64_t(v.u) : -1;
  }
}

Result<GgufValue> read_value(Cursor& c, GgufValueType t) {
  GgufValue v;
  v.type = t;
  if (t == GgufValueType::string) {
    VEIL_ASSIGN_OR_RETURN(v.str, c.str("string value"));
    return v;
  }
  if (t == GgufValueType::array) {
    VEIL_ASSIGN_OR_RETURN(uint32_t et, c.u32("array type"));
    if (!known_value_type(et)) return gguf_error("bad_type", "unknown array element type " + std::to_string(et));
    v.elem_type = GgufValueType(et);
    if (v.elem_type == GgufValueType::array) return gguf_error("bad_type", "nested arrays are not supported");
    VEIL_ASSIGN_OR_RETURN(v.count, c.u64("array count"));
    if (v.elem_type == GgufValueType::string) {
      // Each string has at least its 8-byte length: bounds the count before reserving.
      if (v.count > c.remaining() / 8) return gguf_error("bad_count", "string array count exceeds file size");
      v.strings.reserve(size_t(v.count));
      for (uint64_t k = 0; k < v.count; ++k) {
        VEIL_ASSIGN_OR_RETURN(auto s, c.str("string array element"));
        v.strings.push_back(s);
      }
      return v;
    }
    size_t es = scalar_size(v.elem_type);
    if (v.count > c.remaining() / es) return gguf_error("bad_count", "array count exceeds file size");
    VEIL_ASSIGN_OR_RETURN(v.raw, c.take(v.count * es, "array"));
    return v;
  }
  size_t n = scalar_size(t);
  VEIL_ASSIGN_OR_RETURN(auto b, c.take(n, "scalar value"));
  decode_scalar(t, b.data(), v);
  return v;
}

Error type_error(std::string_view key, const char* want) {
  return gguf_error("wrong_type", "metadata key " + std::string(key) + " is not " + want);
}
Error missing(std::string_view key) {
  return gguf_error("missing_key", "metadata key " + std::string(key) + " is missing");
}

}  // namespace

std::optional<TensorTypeTraits> tensor_type_traits(uint32_t type_id) {
  switch (TensorType(type_id)) {
    case TensorType::f32: return TensorTypeTraits{"f32", 1, 4};
    case TensorType::f16: return TensorTypeTraits{"f16", 1, 2};
    case TensorType::bf16: return TensorTypeTraits{"bf16", 1, 2};
    case TensorType::q4_0: return TensorTypeTraits{"q4_0", 32, 18};
    case TensorType::q4_1: return TensorTypeTraits{"q4_1", 32, 20};
    case TensorType::q5_0: return TensorTypeTraits{"q5_0", 32, 22};
    case TensorType::q5_1: return TensorTypeTraits{"q5_1", 32, 24};
    case TensorType::q8_0: return TensorTypeTraits{"q8_0", 32, 34};
    case TensorType::q8_1: return TensorTypeTraits{"q8_1", 32, 36};
    case TensorType::q2_k: return TensorTypeTraits{"q2_k", 256, 84};
    case TensorType::q3_k: return TensorTypeTraits{"q3_k", 256, 110};
    case TensorType::q4_k: return TensorTypeTraits{"q4_k", 256, 144};
    case TensorType::q5_k: return TensorTypeTraits{"q5_k", 256, 176};
    case TensorType::q6_k: return TensorTypeTraits{"q6_k", 256, 210};
    case TensorType::q8_k: return TensorTypeTraits{"q8_k", 256, 292};
  }
  return std::nullopt;
}

const char* tensor_type_name(TensorType t) {
  auto tr = tensor_type_traits(uint32_t(t));
  return tr ? tr->name : "unknown";
}

std::optional<TensorType> tensor_type_from_name(std::string_view name) {
  for (uint32_t id : {0u, 1u, 2u, 3u, 6u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u, 30u}) {
    if (name == tensor_type_traits(id)->name) return TensorType(id);
  }
  return std::nullopt;
}

uint64_t GgufTensorInfo::rows() const {
  uint64_t r = 1;
  for (size_t d = 1; d < dims.size(); ++d) r *= dims[d];
  return r;
}

uint64_t GgufTensorInfo::row_bytes() const {
  auto tr = tensor_type_traits(uint32_t(type));
  if (!tr || dims.empty()) return 0;
  return dims[0] / uint64_t(tr->block_elems) * uint64_t(tr->block_bytes);
}

GgufFile::~GgufFile() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

void GgufFile::release_pages(const uint8_t* p, size_t n) const {
  if (mapping_ == nullptr || p < base_ || n > size_ || size_t(p - base_) > size_ - n) return;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (begin < end) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return gguf_error("open", "cannot open model file: " + std::string(std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return gguf_error("open", "model path is not a regular file");
  }
  std::unique_ptr<GgufFile> f(new GgufFile());
  if (st.st_size == 0) {
    ::close(fd);
    return gguf_error("truncated", "empty file");
  }
  void* m = mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return gguf_error("open", "mmap failed: " + std::string(std::strerror(errno)));
  f->mapping_ = m;
  f->mapping_size_ = size_t(st.st_size);
  f->base_ = static_cast<const uint8_t*>(m);
  f->size_ = size_t(st.st_size);
  VEIL_TRY(f->parse_all());
  return f;
}

Result<std::unique_ptr<GgufFile>> GgufFile::parse(ByteView bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->owned_.assign(bytes.begin(), bytes.end());
  f->base_ = f->owned_.data();
  f->size_ = f->owned_.size();
  VEIL_TRY(f->parse_all());
  return f;
}

Status GgufFile::parse_all() {
  Cursor c(base_, size_);
  VEIL_ASSIGN_OR_RETURN(auto magic, c.take(4, "magic"));
  if (std::memcmp(magic.data(), "GGUF", 4) != 0) return gguf_error("bad_magic", "not a GGUF file");
  VEIL_ASSIGN_OR_RETURN(version_, c.u32("version"));
  if (version_ != 2 && version_ != 3) {
    return gguf_error("bad_version", "unsupported GGUF version " + std::to_string(version_));
  }
  VEIL_ASSIGN_OR_RETURN(uint64_t n_tensors, c.u64("tensor count"));
  VEIL_ASSIGN_OR_RETURN(uint64_t n_kv, c.u64("kv count"));
  // Each KV takes at least 8 (key len) + 4 (type) + 1 bytes; each tensor info at least 8+4+4+8.
  if (n_kv > c.remaining() / 13) return gguf_error("bad_count", "metadata count exceeds file size");
  if (n_tensors > c.remaining() / 24) return gguf_error("bad_count", "tensor count exceeds file size");

  kvs_.reserve(size_t(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    VEIL_ASSIGN_OR_RETURN(auto key, c.str("metadata key"));
    VEIL_ASSIGN_OR_RETURN(uint32_t t, c.u32("metadata type"));
    if (!known_value_type(t)) return gguf_error("bad_type", "unknown metadata value type " + std::to_string(t));
    VEIL_ASSIGN_OR_RETURN(auto v, read_value(c, GgufValueType(t)));
    kvs_.push_back(GgufKv{key, std::move(v)});
  }

  if (const GgufValue* a = find("general.alignment")) {
    if (!is_integer(a->type) || a->u == 0 || a->u > (1u << 20) || (a->u & (a->u - 1)) != 0) {
      return gguf_error("bad_alignment", "general.alignment must be a power of two");
    }
    alignment_ = a->u;
  }

  tensors_.reserve(size_t(n_tensors));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    GgufTensorInfo ti;
    VEIL_ASSIGN_OR_RETURN(auto name, c.str("tensor name"));
    ti.name = std::string(name);
    VEIL_ASSIGN_OR_RETURN(uint32_t n_dims, c.u32("tensor dims"));
    if (n_dims == 0 || n_dims > kMaxDims) return gguf_error("bad_dims", "tensor has an invalid dimension count");
    ti.n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      VEIL_ASSIGN_OR_RETURN(uint64_t dim, c.u64("tensor dim"));
      if (dim == 0 || dim > (uint64_t(1) << 40)) return gguf_error("bad_dims", "tensor dimension out of range");
      if (ti.n_elements > (uint64_t(1) << 48) / dim) return gguf_error("bad_dims", "tensor too large");
      ti.n_elements *= dim;
      ti.dims.push_back(dim);
    }
    VEIL_ASSIGN_OR_RETURN(uint32_t type, c.u32("tensor type"));
    auto tr = tensor_type_traits(type);
    if (!tr) return gguf_error("bad_type", "unknown tensor type " + std::to_string(type));
    ti.type = TensorType(type);
    if (ti.dims[0] % uint64_t(tr->block_elems) != 0) {
      return gguf_error("bad_dims", "tensor row is not a multiple of its type's block size");
    }
    ti.n_bytes = ti.n_elements / uint64_t(tr->block_elems) * uint64_t(tr->block_bytes);
    VEIL_ASSIGN_OR_RETURN(ti.offset, c.u64("tensor offset"));
    if (ti.offset % alignment_ != 0) return gguf_error("bad_offset", "tensor offset is not aligned");
    tensors_.push_back(std::move(ti));
  }

  // Tensor data starts at the next multiple of the alignment.
  uint64_t pos = c.pos();
  data_offset_ = (pos + alignment_ - 1) / alignment_ * alignment_;
  if (n_tensors > 0 && data_offset_ > size_) return gguf_error("truncated", "file ends before tensor data");
  uint64_t data_size = size_ > data_offset_ ? size_ - data_offset_ : 0;
  for (auto& ti : tensors_) {
    if (ti.offset > data_size || ti.n_bytes > data_size - ti.offset) {
      return gguf_error("bad_offset", "tensor data lies outside the file");
    }
    ti.data = base_ + data_offset_ + ti.offset;
  }
  // Duplicate tensor names would make lookups ambiguous.
  std::unordered_set<std::string_view> names;
  for (const auto& ti : tensors_) {
    if (!names.insert(ti.name).second) return gguf_error("duplicate", "duplicate tensor name");
  }
  return ok_status();
}

const GgufValue* GgufFile::find(std::string_view key) const {
  for (const auto& kv : kvs_) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

std::string GgufFile::architecture() const {
  const GgufValue* v = find("general.architecture");
  if (v == nullptr || v->type != GgufValueType::string) return {};
  return std::string(v->str);
}

Result<std::string> GgufFile::get_string(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::string) return type_error(key, "a string");
  return std::string(v->str);
}

Result<int64_t> GgufFile::get_i64(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (!is_integer(v->type)) return type_error(key, "an integer");
  if (!is_signed(v->type) && v->u > uint64_t(std::numeric_limits<int64_t>::max())) {
    return type_error(key, "an integer in range");
  }
  return v->i;
}

Result<uint64_t> GgufFile::get_u64(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (!is_integer(v->type)) return type_error(key, "an integer");
  if (is_signed(v->type) && v->i < 0) return type_error(key, "a non-negative integer");
  return v->u;
}

Result<uint32_t> GgufFile::get_u32(std::string_view key) const {
  VEIL_ASSIGN_OR_RETURN(uint64_t x, get_u64(key));
  if (x > std::numeric_limits<uint32_t>::max()) return type_error(key, "a 32-bit integer");
  return uint32_t(x);
}

Result<int32_t> GgufFile::get_i32(std::string_view key) const {
  VEIL_ASSIGN_OR_RETURN(int64_t x, get_i64(key));
  if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
    return type_error(key, "a 32-bit integer");
  }
  return int32_t(x);
}

Result<float> GgufFile::get_f32(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::f32 && v->type != GgufValueType::f64 && !is_integer(v->type)) {
    return type_error(key, "a number");
  }
  return float(v->f);
}

Result<bool> GgufFile::get_bool(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::boolean && !is_integer(v->type)) return type_error(key, "a bool");
  return v->u != 0 || v->i != 0;
}

Result<std::span<const std::string_view>> GgufFile::get_string_array_view(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::array || v->elem_type != GgufValueType::string) {
    return type_error(key, "an array of strings");
  }
  return std::span<const std::string_view>(v->strings);
}

Result<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  VEIL_ASSIGN_OR_RETURN(auto view, get_string_array_view(key));
  return std::vector<std::string>(view.begin(), view.end());
}

Result<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::array || !(is_integer(v->elem_type) || v->elem_type == GgufValueType::boolean)) {
    return type_error(key, "an array of integers");
  }
  size_t es = scalar_size(v->elem_type);
  std::vector<int64_t> out(size_t(v->count));
  for (uint64_t k = 0; k < v->count; ++k) {
    GgufValue e;
    decode_scalar(v->elem_type, v->raw.data() + k * es, e);
    out[k] = is_signed(v->elem_type) ? e.i : int64_t(e.u);
  }
  return out;
}

Result<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::array || v->elem_type == GgufValueType::string) {
    return type_error(key, "an array of numbers");
  }
  size_t es = scalar_size(v->elem_type);
  std::vector<float> out(size_t(v->count));
  for (uint64_t k = 0; k < v->count; ++k) {
    GgufValue e;
    decode_scalar(v->elem_type, v->raw.data() + k * es, e);
    out[k] = float(e.f);
  }
  return out;
}

Result<uint64_t> GgufFile::get_array_size(std::string_view key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return missing(key);
  if (v->type != GgufValueType::array) return type_error(key, "an array");
  return v->count;
}

Result<std::string> GgufFile::get_string_or(std::string_view key, std::string fallback) const {
  if (!has(key)) return fallback;
  return get_string(key);
}
Result<uint32_t> GgufFile::get_u32_or(std::string_view key, uint32_t fallback) const {
  if (!has(key)) return fallback;
  return get_u32(key);
}
Result<float> GgufFile::get_f32_or(std::string_view key, float fallback) const {
  if (!has(key)) return fallback;
  return get_f32(key);
}
Result<bool> GgufFile::get_bool_or(std::string_view key, bool fallback) const {
  if (!has(key)) return fallback;
  return get_bool(key);
}

const char* gguf_value_type_name(GgufValueType t) {
  static const char* const names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                      "bool", "string", "array", "u64", "i64", "f64"};
  uint32_t i = uint32_t(t);
  return i < 13 ? names[i] : "unknown";
}

std::string gguf_value_summary(const GgufValue& v) {
  switch (v.type) {
    case GgufValueType::string: {
      std::string s(v.str.substr(0, 80));
      for (char& ch : s) {
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
      }
      return "\"" + s + (v.str.size() > 80 ? "\"..." : "\"");
    }
    case GgufValueType::array:
      return std::string("[") + gguf_value_type_name(v.elem_type) + " × " + std::to_string(v.count) + "]";
    case GgufValueType::f32: case GgufValueType::f64: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", v.f);
      return buf;
    }
    case GgufValueType::boolean: return v.u ? "true" : "false";
    default:
      return is_signed(v.type) ? std::to_string(v.i) : std::to_string(v.u);
  }
}

}  // namespace veil::engine
