// Transformer decoder for the `llama`, `qwen2` and `qwen3` GGUF architectures, with its KV cache.
//
// One forward step evaluates a batch of tokens that may belong to different sequences (slots):
// every matrix is read once for the whole batch (matrix x matrix kernels), attention runs per
// token over its own slot's cache. All buffers are sized at creation for `max_batch` tokens; a step
// allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "veil/base/result.h"
#include "veil/engine/gguf.h"
#include "veil/engine/kernels.h"
#include "veil/engine/thread_pool.h"

namespace veil::engine {

enum class RopeStyle { norm, neox };  // adjacent pairs (2i, 2i+1) / halves (i, i + d/2)
enum class Pooling { none = 0, mean = 1, cls = 2, last = 3, rank = 4 };

struct HParams {
  std::string arch;
  int n_layer = 0, n_embd = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0, n_vocab = 0;
  int n_ctx_train = 0;
  int n_rot = 0;  // rotated dimensions per head
  float rms_eps = 1e-5f;
  float rope_base = 10000.f;
  float rope_freq_scale = 1.f;  // 1 / scaling factor (linear and YaRN)
  // YaRN (rope.scaling.type "yarn"; ggml rope_yarn): each rotary pair's angle blends the
  // interpolated angle (times rope_freq_scale) and the original one by a ramp over pairs
  // [yarn_corr_dims[0], yarn_corr_dims[1]], weighted by yarn_ext_factor; cos and sin are scaled by
  // yarn_attn_factor * (1 + 0.1 ln(1 / rope_freq_scale)). yarn_ext_factor 0 = no YaRN.
  float yarn_ext_factor = 0.f;
  float yarn_attn_factor = 1.f;
  float yarn_beta_fast = 32.f, yarn_beta_slow = 1.f;
  int n_ctx_orig = 0;  // rope.scaling.original_context_length
  std::array<float, 2> yarn_corr_dims{0.f, 0.f};
  RopeStyle rope = RopeStyle::norm;
  Pooling pooling = Pooling::none;
};

// A 2-D weight: n_out rows of n_in elements, in its file format (mapped from the file) or, for
// the interleavable types on AVX-512 VNNI, interleaved at load into memory the model owns
// (interleaved.h).
struct Weight {
  TensorType type = TensorType::f32;
  int64_t n_in = 0, n_out = 0;
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;  // of the file format
  bool interleaved = false;
};

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm, q_norm, k_norm;  // q/k_norm: qwen3 only
  std::vector<float> bq, bk, bv;                           // qwen2 only
  Weight wq, wk, wv, wo, w_gate, w_up, w_down;
  // The seven matrices, in graph order.
  std::array<Weight*, 7> matrices() { return {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down}; }
  std::array<const Weight*, 7> matrices() const { return {&wq, &wk, &wv, &wo, &w_gate, &w_up, &w_down}; }
};

// ggml_rope_yarn_corr_dims: the rotary dims between which YaRN's ramp runs, from the dimension
// where a wavelength of beta_fast rotations fits the original context (start, floored) to the one
// with beta_slow rotations (end, ceiled): corr(b) = n_dims ln(n_ctx_orig / (2 pi b)) / (2 ln base),
// clamped to [0, n_dims - 1].
std::array<float, 2> yarn_corr_dims(int n_dims, int n_ctx_orig, float freq_base, float beta_fast,
                                    float beta_slow);

// cos and sin of the n_rot / 2 rotary angles at `pos`, scaled as the model's rope scaling says,
// computed as ggml's rope cache does (float angles, theta multiplied pair after pair).
void rope_angles(const HParams& hp, const std::vector<float>& freq_factors, int32_t pos, float* cos_out,
                 float* sin_out);

class Model {
 public:
  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const GgufFile> file);
  const HParams& hparams() const { return hp_; }
  const GgufFile& file() const { return *file_; }

  std::shared_ptr<const GgufFile> file_;
  HParams hp_;
  Weight token_embd;
  Weight output;  // token_embd when tied
  std::vector<float> output_norm;
  std::vector<float> rope_freq_factors;  // rope_freqs.weight (Llama 3), or empty
  std::vector<LayerWeights> layers;
  uint64_t weight_bytes = 0;  // bytes of all matrices read per step

 private:
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  // Rearranges the Q8_0/Q4_0/Q4_K/Q5_K/Q6_K matrices for the interleaved kernels when this CPU's kernels have
  // them (VEIL_ENGINE_INTERLEAVE=0 keeps the file layout, for comparisons).
  void interleave_weights();
  std::unique_ptr<uint8_t[], FreeDeleter> interleaved_;  // every interleaved matrix, one after another
};

struct KvCacheOptions {
  int n_slots = 1;
  int n_ctx = 2048;
  bool f32 = false;  // default F16, as llama.cpp
};

class KvCache {
 public:
  KvCache(const HParams&, const KvCacheOptions&);
  int n_slots() const { return n_slots_; }
  int n_ctx() const { return n_ctx_; }
  bool is_f32() const { return f32_; }
  size_t bytes_per_slot() const { return bytes_per_slot_; }
  // Element offset of K's head_dim values of (layer, slot, kv head, pos). One head's positions
  // are contiguous, so attention streams them in order (rows n_head_kv * head_dim apart would
  // put two positions in a 4 KiB page, where hardware prefetchers stop). V keeps the same region
  // per head (offset(layer, slot, kv_head, 0)) in tiles of kVTile positions laid out
  // [dim][kVTile] (kernels.h; v_at), so each dimension's sum over a tile is one contiguous run
  // and a tile is one block of memory that is committed only when its positions are written.
  size_t offset(int layer, int slot, int kv_head, int pos) const {
    return (((size_t(layer) * size_t(n_slots_) + size_t(slot)) * size_t(n_kv_) + size_t(kv_head)) *
                ctx_stride_ +
            size_t(pos)) *
           head_dim_;
  }
  // Element offset of value d of position pos within a head's V region.
  size_t v_at(int pos, int d) const {
    return size_t(pos / kVTile) * size_t(kVTile) * head_dim_ + size_t(d) * size_t(kVTile) +
           size_t(pos % kVTile);
  }
  void* k() { return k_.get(); }
  void* v() { return v_.get(); }

 private:
  int n_slots_, n_ctx_, n_kv_;
  bool f32_;
  size_t head_dim_, bytes_per_slot_;
  size_t ctx_stride_;  // n_ctx rounded up to whole V tiles
  // Left uninitialised: pages are committed only as they are written, so K and V grow with the
  // positions used (V a tile, 16 KiB for head_dim 128 in F16, at a time).
  std::unique_ptr<uint8_t[]> k_, v_;
};

// One token of a step.
struct BatchToken {
  int32_t token;
  int32_t pos;
  int32_t slot;
  bool logits;  // produce next-token logits (or a hidden state) for this token
};

class Forward {
 public:
  Forward(const Model& model, KvCache& cache, ThreadPool& pool, int max_batch);
  int max_batch() const { return max_batch_; }

  // With an F16 cache, attention rounds like llama.cpp's CPU flash attention (llama-server's
  // default: online softmax, V accumulated in F16) when true, like its matmul path (-fa off: Q and
  // the softmax probabilities rounded to F16) when false. Results differ only by those roundings.
  bool flash_attn_numerics = false;

  // Evaluates the batch (at most max_batch tokens; positions of one slot ascending and contiguous
  // with what the cache already holds). Writes n_vocab logits per token with logits=true, in batch
  // order, to `logits`; if `hidden` is given it also gets the final-normed hidden state rows.
  Status eval(std::span<const BatchToken> batch, float* logits, float* hidden = nullptr);
  // As eval, but only the final-normed hidden states (no LM head): embeddings.
  Status eval_hidden(std::span<const BatchToken> batch, float* hidden);

 private:
  Status run(std::span<const BatchToken> batch, float* logits, float* hidden);
  // Quantizes n_tok rows of x (stride n) into act_ for weight type t.
  void prepare_activations(TensorType t, const float* x, int n_tok, int64_t n);
  // fn(t) for every token of the step: on the pool when the step is large enough to pay for it.
  template <typename Fn>
  void for_each_token(int n_tok, const Fn& fn);
  struct MatmulJob {
    const Weight* w;
    float* y;
    const std::vector<float>* bias;
  };
  // y = W x for each job (all with the same input, already in act_), in one parallel section.
  void matmul(std::initializer_list<MatmulJob> jobs, int n_tok);
  void attention(std::span<const BatchToken> batch, int layer);

  const Model& m_;
  KvCache& cache_;
  ThreadPool& pool_;
  const KernelTable& kt_;
  int max_batch_;
  std::vector<float> x_, xn_, q_, k_, v_, attn_, gate_, up_, rope_cos_, rope_sin_, scores_, out_rows_;
  std::vector<uint8_t> act_;
  std::vector<uint16_t> q16_;
};

}  // namespace veil::engine
