#include "veil/engine/synth.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "veil/engine/gguf_writer.h"
#include "veil/engine/quant.h"

namespace veil::engine {

namespace {

struct Shape {
  int n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
  float rope_base, rms_eps;
};

// Published configurations: Qwen3-0.6B, Qwen2.5-0.5B (their config.json) and TinyLlama-1.1B;
// "tiny" keeps rows a multiple of 256 so every K-quant applies.
Result<Shape> shape_of(const std::string& arch, const std::string& shape) {
  if (shape == "qwen3-0.6b") return Shape{1024, 28, 16, 8, 128, 3072, 40960, 1e6f, 1e-6f};
  if (shape == "qwen2.5-0.5b") return Shape{896, 24, 14, 2, 64, 4864, 32768, 1e6f, 1e-6f};
  if (shape == "llama-1.1b") return Shape{2048, 22, 32, 4, 64, 5632, 2048, 1e4f, 1e-5f};
  if (shape == "tiny") {
    if (arch == "qwen3") return Shape{256, 2, 4, 2, 64, 768, 40960, 1e6f, 1e-6f};
    if (arch == "qwen2") return Shape{256, 2, 4, 2, 64, 768, 32768, 1e6f, 1e-6f};
    return Shape{256, 2, 8, 4, 32, 768, 2048, 1e4f, 1e-5f};
  }
  return make_error("synth.bad_shape",
                    "unknown shape '" + shape + "' (qwen3-0.6b, qwen2.5-0.5b, llama-1.1b, tiny)");
}

// llama.cpp's LLAMA_FTYPE for a file whose 2-D weights are all `t`.
uint32_t file_type_of(TensorType t) {
  switch (t) {
    case TensorType::f32:
      return 0;
    case TensorType::f16:
      return 1;
    case TensorType::q4_0:
      return 2;
    case TensorType::q8_0:
      return 7;
    case TensorType::q4_k:
      return 15;
    case TensorType::q5_k:
      return 17;
    case TensorType::q6_k:
      return 18;
    case TensorType::bf16:
      return 32;
    default:
      return 0;
  }
}

// xoshiro-style generator with Box-Muller normals: fast and deterministic for a seed.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull) {}
  uint64_t next() {
    s_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * (1.0 / 9007199254740992.0); }
  float normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = float(r * std::sin(2 * M_PI * u2));
    has_spare_ = true;
    return float(r * std::cos(2 * M_PI * u2));
  }

 private:
  uint64_t s_;
  bool has_spare_ = false;
  float spare_ = 0;
};

Bytes random_matrix(Rng& rng, TensorType type, int64_t n_in, int64_t n_out, float stddev) {
  size_t rb = row_bytes(type, n_in);
  Bytes out(rb * size_t(n_out));
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t r = 0; r < n_out; ++r) {
    for (auto& x : row) x = rng.normal() * stddev;
    quantize_row(type, row.data(), out.data() + size_t(r) * rb, n_in);
  }
  return out;
}

Bytes random_f32_vector(Rng& rng, int64_t n, float stddev) {
  Bytes out(size_t(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float x = rng.normal() * stddev;
    std::memcpy(out.data() + 4 * i, &x, 4);
  }
  return out;
}

Bytes f32_vector(int64_t n, float value) {
  Bytes out(size_t(n) * 4);
  for (int64_t i = 0; i < n; ++i) std::memcpy(out.data() + 4 * i, &value, 4);
  return out;
}

}  // namespace

Status synthesize_model(const SynthOptions& o, const std::string& out_path) {
  if (o.arch != "qwen3" && o.arch != "qwen2" && o.arch != "llama")
    return make_error("synth.bad_arch", "arch must be qwen3, qwen2 or llama");
  switch (o.type) {
    case TensorType::f32:
    case TensorType::f16:
    case TensorType::bf16:
    case TensorType::q8_0:
    case TensorType::q4_0:
    case TensorType::q4_k:
    case TensorType::q5_k:
    case TensorType::q6_k:
      break;
    default:
      return make_error("synth.bad_type", "unsupported tensor type");
  }
  VEIL_ASSIGN_OR_RETURN(Shape s, shape_of(o.arch, o.shape));
  VEIL_ASSIGN_OR_RETURN(auto vocab, GgufFile::open(o.vocab_path));
  VEIL_ASSIGN_OR_RETURN(uint64_t n_vocab, vocab->get_array_size("tokenizer.ggml.tokens"));
  if (n_vocab == 0 || n_vocab > (1u << 22))
    return make_error("synth.bad_vocab", "vocabulary size out of range");

  GgufWriter w;
  const std::string a = o.arch + ".";
  w.add_string("general.architecture", o.arch);
  w.add_string("general.name",
               "veil-synth " + o.shape + " " + tensor_type_name(o.type) + " (random weights)");
  w.add_u32("general.file_type", file_type_of(o.type));
  w.add_u32("general.quantization_version", 2);
  w.add_u32(a + "context_length", uint32_t(s.n_ctx));
  w.add_u32(a + "embedding_length", uint32_t(s.n_embd));
  w.add_u32(a + "block_count", uint32_t(s.n_layer));
  w.add_u32(a + "feed_forward_length", uint32_t(s.n_ff));
  w.add_u32(a + "attention.head_count", uint32_t(s.n_head));
  w.add_u32(a + "attention.head_count_kv", uint32_t(s.n_head_kv));
  w.add_u32(a + "attention.key_length", uint32_t(s.head_dim));
  w.add_u32(a + "attention.value_length", uint32_t(s.head_dim));
  w.add_u32(a + "rope.dimension_count", uint32_t(s.head_dim));
  w.add_f32(a + "rope.freq_base", s.rope_base);
  w.add_f32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  if (!o.rope_scaling.empty()) {
    w.add_string(a + "rope.scaling.type", o.rope_scaling);
    w.add_f32(a + "rope.scaling.factor", o.rope_scaling_factor);
    if (o.rope_original_context > 0)
      w.add_u32(a + "rope.scaling.original_context_length", o.rope_original_context);
  }
  if (o.arch == "llama") w.add_u32(a + "vocab_size", uint32_t(n_vocab));
  for (const auto& kv : vocab->kvs()) {
    if (kv.key.substr(0, 10) == "tokenizer.") w.copy_kv(kv);
  }

  Rng rng(o.seed);
  const int64_t d = s.n_embd, qd = int64_t(s.n_head) * s.head_dim, kvd = int64_t(s.n_head_kv) * s.head_dim;
  const float stddev = 0.02f;
  w.add_tensor("token_embd.weight", o.type, {uint64_t(d), n_vocab},
               random_matrix(rng, o.type, d, int64_t(n_vocab), stddev));
  w.add_tensor("output_norm.weight", TensorType::f32, {uint64_t(d)}, f32_vector(d, 1.0f));
  if (o.rope_freqs) {
    const int pairs = s.head_dim / 2;
    std::vector<float> ff(static_cast<size_t>(pairs));
    for (int i = 0; i < pairs; ++i) ff[size_t(i)] = 1.0f + 7.0f * float(i) / float(pairs - 1);
    Bytes raw(ff.size() * 4);
    std::memcpy(raw.data(), ff.data(), raw.size());
    w.add_tensor("rope_freqs.weight", TensorType::f32, {uint64_t(pairs)}, std::move(raw));
  }
  if (o.arch == "llama") {
    w.add_tensor("output.weight", o.type, {uint64_t(d), n_vocab},
                 random_matrix(rng, o.type, d, int64_t(n_vocab), stddev));
  }
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    w.add_tensor(p + "attn_norm.weight", TensorType::f32, {uint64_t(d)}, f32_vector(d, 1.0f));
    w.add_tensor(p + "attn_q.weight", o.type, {uint64_t(d), uint64_t(qd)},
                 random_matrix(rng, o.type, d, qd, stddev));
    w.add_tensor(p + "attn_k.weight", o.type, {uint64_t(d), uint64_t(kvd)},
                 random_matrix(rng, o.type, d, kvd, stddev));
    w.add_tensor(p + "attn_v.weight", o.type, {uint64_t(d), uint64_t(kvd)},
                 random_matrix(rng, o.type, d, kvd, stddev));
    w.add_tensor(p + "attn_output.weight", o.type, {uint64_t(qd), uint64_t(d)},
                 random_matrix(rng, o.type, qd, d, stddev));
    if (o.arch == "qwen2") {
      // Qwen2's Q, K and V projections have biases (F32, as converters write them); large
      // enough here that leaving them out changes every logit.
      w.add_tensor(p + "attn_q.bias", TensorType::f32, {uint64_t(qd)}, random_f32_vector(rng, qd, 0.5f));
      w.add_tensor(p + "attn_k.bias", TensorType::f32, {uint64_t(kvd)}, random_f32_vector(rng, kvd, 0.5f));
      w.add_tensor(p + "attn_v.bias", TensorType::f32, {uint64_t(kvd)}, random_f32_vector(rng, kvd, 0.5f));
    }
    if (o.arch == "qwen3") {
      w.add_tensor(p + "attn_q_norm.weight", TensorType::f32, {uint64_t(s.head_dim)},
                   f32_vector(s.head_dim, 1.0f));
      w.add_tensor(p + "attn_k_norm.weight", TensorType::f32, {uint64_t(s.head_dim)},
                   f32_vector(s.head_dim, 1.0f));
    }
    w.add_tensor(p + "ffn_norm.weight", TensorType::f32, {uint64_t(d)}, f32_vector(d, 1.0f));
    w.add_tensor(p + "ffn_gate.weight", o.type, {uint64_t(d), uint64_t(s.n_ff)},
                 random_matrix(rng, o.type, d, s.n_ff, stddev));
    w.add_tensor(p + "ffn_up.weight", o.type, {uint64_t(d), uint64_t(s.n_ff)},
                 random_matrix(rng, o.type, d, s.n_ff, stddev));
    w.add_tensor(p + "ffn_down.weight", o.type, {uint64_t(s.n_ff), uint64_t(d)},
                 random_matrix(rng, o.type, s.n_ff, d, stddev));
  }
  return w.write_file(out_path);
}

}  // namespace veil::engine
