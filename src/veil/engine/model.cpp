#include "veil/engine/model.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "veil/engine/half.h"
#include "veil/engine/interleaved.h"
#include "veil/engine/quant.h"

namespace veil::engine {

namespace {

Error model_error(const std::string& msg) { return make_error("engine.bad_model", msg); }

Result<Weight> matrix(const GgufFile& f, const std::string& name, int64_t n_in, int64_t n_out) {
  const GgufTensorInfo* t = f.find_tensor(name);
  if (t == nullptr) return model_error("missing tensor " + name);
  if (t->dims.size() != 2 || int64_t(t->dims[0]) != n_in || int64_t(t->dims[1]) != n_out) {
    return model_error("tensor " + name + " has an unexpected shape");
  }
  if (!matmul_supported(t->type)) {
    return model_error("tensor " + name + " has unsupported type " + tensor_type_name(t->type));
  }
  Weight w;
  w.type = t->type;
  w.n_in = n_in;
  w.n_out = n_out;
  w.data = t->data;
  w.row_bytes = t->row_bytes();
  return w;
}

Result<std::vector<float>> vector_f32(const GgufFile& f, const std::string& name, int64_t n,
                                      bool required = true) {
  const GgufTensorInfo* t = f.find_tensor(name);
  if (t == nullptr) {
    if (required) return model_error("missing tensor " + name);
    return std::vector<float>{};
  }
  if (t->n_elements != uint64_t(n)) return model_error("tensor " + name + " has an unexpected size");
  auto tr = tensor_type_traits(uint32_t(t->type));
  if (tr->block_elems != 1 || !matmul_supported(t->type))
    return model_error("tensor " + name + " type unsupported");
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(t->type, t->data, out.data(), n);
  return out;
}

}  // namespace

std::array<float, 2> yarn_corr_dims(int n_dims, int n_ctx_orig, float freq_base, float beta_fast,
                                    float beta_slow) {
  auto corr_dim = [&](float n_rot) {
    return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2 * float(M_PI))) /
           (2 * std::log(freq_base));
  };
  float start = std::floor(corr_dim(beta_fast));
  float end = std::ceil(corr_dim(beta_slow));
  return {std::max(0.f, start), std::min(float(n_dims - 1), end)};
}

void rope_angles(const HParams& hp, const std::vector<float>& freq_factors, int32_t pos, float* cos_out,
                 float* sin_out) {
  // ggml_rope_cache_init / rope_yarn (ggml-cpu ops.cpp): float theta, multiplied by theta_scale
  // pair after pair; per-pair frequency factors divide it (Llama 3 rope_freqs).
  const float theta_scale = std::pow(hp.rope_base, -2.0f / float(hp.n_rot));
  const float freq_scale = hp.rope_freq_scale;
  float mscale = 1.0f;
  if (hp.yarn_ext_factor != 0.f) mscale = hp.yarn_attn_factor * (1.0f + 0.1f * std::log(1.0f / freq_scale));
  float theta = float(pos);
  for (int i = 0; i < hp.n_rot / 2; ++i) {
    const float ff = freq_factors.empty() ? 1.0f : freq_factors[size_t(i)];
    const float theta_extrap = theta / ff;
    const float theta_interp = freq_scale * theta_extrap;
    float th = theta_interp;
    if (hp.yarn_ext_factor != 0.f) {
      // rope_yarn_ramp: 1 below the first corrected dim, 0 above the last, linear between
      // (in units of pairs, i0 / 2 = i).
      const float low = hp.yarn_corr_dims[0], high = hp.yarn_corr_dims[1];
      const float y = (float(i) - low) / std::max(0.001f, high - low);
      const float ramp_mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * hp.yarn_ext_factor;
      th = theta_interp * (1.0f - ramp_mix) + theta_extrap * ramp_mix;
    }
    cos_out[i] = std::cos(th) * mscale;
    sin_out[i] = std::sin(th) * mscale;
    theta *= theta_scale;
  }
}

Result<std::unique_ptr<Model>> Model::load(std::shared_ptr<const GgufFile> file) {
  auto m = std::make_unique<Model>();
  const GgufFile& f = *file;
  m->file_ = file;
  HParams& hp = m->hp_;
  hp.arch = f.architecture();
  if (hp.arch != "llama" && hp.arch != "qwen2" && hp.arch != "qwen3") {
    return make_error("engine.unsupported_arch", "unsupported architecture '" + hp.arch + "'");
  }
  const std::string a = hp.arch + ".";
  auto get_int = [&](const std::string& key, int64_t fallback, bool required) -> Result<int> {
    if (!f.has(key)) {
      if (required) return model_error("missing metadata " + key);
      return int(fallback);
    }
    VEIL_ASSIGN_OR_RETURN(uint32_t v, f.get_u32(key));
    if (v > (1u << 24)) return model_error("metadata " + key + " out of range");
    return int(v);
  };
  VEIL_ASSIGN_OR_RETURN(hp.n_layer, get_int(a + "block_count", 0, true));
  VEIL_ASSIGN_OR_RETURN(hp.n_embd, get_int(a + "embedding_length", 0, true));
  VEIL_ASSIGN_OR_RETURN(hp.n_ff, get_int(a + "feed_forward_length", 0, true));
  VEIL_ASSIGN_OR_RETURN(hp.n_head, get_int(a + "attention.head_count", 0, true));
  VEIL_ASSIGN_OR_RETURN(hp.n_head_kv, get_int(a + "attention.head_count_kv", hp.n_head, false));
  VEIL_ASSIGN_OR_RETURN(hp.n_ctx_train, get_int(a + "context_length", 2048, false));
  if (hp.n_layer < 1 || hp.n_embd < 1 || hp.n_ff < 1 || hp.n_head < 1 || hp.n_head_kv < 1 ||
      hp.n_head % hp.n_head_kv != 0 || hp.n_embd % hp.n_head != 0 || hp.n_layer > 1024) {
    return model_error("inconsistent attention/shape metadata");
  }
  VEIL_ASSIGN_OR_RETURN(hp.head_dim, get_int(a + "attention.key_length", hp.n_embd / hp.n_head, false));
  VEIL_ASSIGN_OR_RETURN(int vdim, get_int(a + "attention.value_length", hp.head_dim, false));
  if (vdim != hp.head_dim || hp.head_dim < 2 || hp.head_dim % 2 != 0 || hp.head_dim > 1024) {
    return model_error("unsupported head dimensions");
  }
  VEIL_ASSIGN_OR_RETURN(hp.n_rot, get_int(a + "rope.dimension_count", hp.head_dim, false));
  if (hp.n_rot > hp.head_dim || hp.n_rot % 2 != 0) return model_error("bad rope.dimension_count");
  VEIL_ASSIGN_OR_RETURN(hp.rms_eps, f.get_f32_or(a + "attention.layer_norm_rms_epsilon", 1e-5f));
  VEIL_ASSIGN_OR_RETURN(hp.rope_base, f.get_f32_or(a + "rope.freq_base", 10000.f));
  VEIL_ASSIGN_OR_RETURN(std::string scaling, f.get_string_or(a + "rope.scaling.type", "none"));
  VEIL_ASSIGN_OR_RETURN(float factor, f.get_f32_or(a + "rope.scaling.factor", 0.f));
  if (!f.has(a + "rope.scaling.factor")) {
    VEIL_ASSIGN_OR_RETURN(float lin, f.get_f32_or(a + "rope.scale_linear", 0.f));
    if (lin > 0) {
      factor = lin;
      scaling = "linear";
    }
  }
  if (scaling == "linear" && factor > 0) {
    hp.rope_freq_scale = 1.f / factor;
  } else if (scaling == "yarn") {
    // llama.cpp: freq_scale = 1 / rope.scaling.factor, ext_factor 1, attn_factor 1, beta_fast 32,
    // beta_slow 1 unless the file says otherwise; n_ctx_orig defaults to the training context.
    if (!(factor > 0.f) || !std::isfinite(factor) || factor > 1e6f)
      return model_error("bad rope.scaling.factor for YaRN");
    hp.rope_freq_scale = 1.f / factor;
    VEIL_ASSIGN_OR_RETURN(hp.n_ctx_orig,
                          get_int(a + "rope.scaling.original_context_length", hp.n_ctx_train, false));
    VEIL_ASSIGN_OR_RETURN(hp.yarn_ext_factor, f.get_f32_or(a + "rope.scaling.yarn_ext_factor", 1.f));
    VEIL_ASSIGN_OR_RETURN(hp.yarn_attn_factor, f.get_f32_or(a + "rope.scaling.yarn_attn_factor", 1.f));
    VEIL_ASSIGN_OR_RETURN(hp.yarn_beta_fast, f.get_f32_or(a + "rope.scaling.yarn_beta_fast", 32.f));
    VEIL_ASSIGN_OR_RETURN(hp.yarn_beta_slow, f.get_f32_or(a + "rope.scaling.yarn_beta_slow", 1.f));
    for (float v : {hp.yarn_ext_factor, hp.yarn_attn_factor, hp.yarn_beta_fast, hp.yarn_beta_slow}) {
      if (!std::isfinite(v) || std::fabs(v) > 1e6f) return model_error("bad YaRN metadata");
    }
    if (hp.n_ctx_orig < 1 || !(hp.yarn_beta_fast > 0.f) || !(hp.yarn_beta_slow > 0.f)) {
      return model_error("bad YaRN metadata");
    }
  } else if (scaling != "none" && scaling != "linear" && !scaling.empty()) {
    return make_error("engine.unsupported_rope", "unsupported rope scaling type '" + scaling + "'");
  }
  if (hp.yarn_ext_factor != 0.f) {
    hp.yarn_corr_dims =
        yarn_corr_dims(hp.n_rot, hp.n_ctx_orig, hp.rope_base, hp.yarn_beta_fast, hp.yarn_beta_slow);
  }
  hp.rope = hp.arch == "llama" ? RopeStyle::norm : RopeStyle::neox;
  VEIL_ASSIGN_OR_RETURN(uint32_t pooling, f.get_u32_or(a + "pooling_type", 0));
  if (pooling > 4) return model_error("unknown pooling_type");
  hp.pooling = Pooling(pooling);

  const int d = hp.n_embd, hd = hp.head_dim, kvd = hp.n_head_kv * hd, qd = hp.n_head * hd;
  const GgufTensorInfo* emb = f.find_tensor("token_embd.weight");
  if (emb == nullptr || emb->dims.size() != 2 || int64_t(emb->dims[0]) != d)
    return model_error("bad token_embd");
  if (emb->dims[1] > (1u << 24)) return model_error("vocabulary too large");
  hp.n_vocab = int(emb->dims[1]);
  VEIL_ASSIGN_OR_RETURN(m->token_embd, matrix(f, "token_embd.weight", d, hp.n_vocab));
  if (f.find_tensor("output.weight") != nullptr) {
    VEIL_ASSIGN_OR_RETURN(m->output, matrix(f, "output.weight", d, hp.n_vocab));
  } else {
    m->output = m->token_embd;
  }
  VEIL_ASSIGN_OR_RETURN(m->output_norm, vector_f32(f, "output_norm.weight", d));
  VEIL_ASSIGN_OR_RETURN(m->rope_freq_factors, vector_f32(f, "rope_freqs.weight", hp.n_rot / 2, false));

  auto add_bytes = [&](const Weight& w) { m->weight_bytes += uint64_t(w.row_bytes) * uint64_t(w.n_out); };
  m->layers.resize(size_t(hp.n_layer));
  for (int il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    LayerWeights& L = m->layers[size_t(il)];
    VEIL_ASSIGN_OR_RETURN(L.attn_norm, vector_f32(f, p + "attn_norm.weight", d));
    VEIL_ASSIGN_OR_RETURN(L.ffn_norm, vector_f32(f, p + "ffn_norm.weight", d));
    VEIL_ASSIGN_OR_RETURN(L.wq, matrix(f, p + "attn_q.weight", d, qd));
    VEIL_ASSIGN_OR_RETURN(L.wk, matrix(f, p + "attn_k.weight", d, kvd));
    VEIL_ASSIGN_OR_RETURN(L.wv, matrix(f, p + "attn_v.weight", d, kvd));
    VEIL_ASSIGN_OR_RETURN(L.wo, matrix(f, p + "attn_output.weight", qd, d));
    VEIL_ASSIGN_OR_RETURN(L.w_gate, matrix(f, p + "ffn_gate.weight", d, hp.n_ff));
    VEIL_ASSIGN_OR_RETURN(L.w_up, matrix(f, p + "ffn_up.weight", d, hp.n_ff));
    VEIL_ASSIGN_OR_RETURN(L.w_down, matrix(f, p + "ffn_down.weight", hp.n_ff, d));
    bool qwen3 = hp.arch == "qwen3";
    VEIL_ASSIGN_OR_RETURN(L.q_norm, vector_f32(f, p + "attn_q_norm.weight", hd, qwen3));
    VEIL_ASSIGN_OR_RETURN(L.k_norm, vector_f32(f, p + "attn_k_norm.weight", hd, qwen3));
    bool qwen2 = hp.arch == "qwen2";
    VEIL_ASSIGN_OR_RETURN(L.bq, vector_f32(f, p + "attn_q.bias", qd, qwen2));
    VEIL_ASSIGN_OR_RETURN(L.bk, vector_f32(f, p + "attn_k.bias", kvd, qwen2));
    VEIL_ASSIGN_OR_RETURN(L.bv, vector_f32(f, p + "attn_v.bias", kvd, qwen2));
    for (const Weight* w : L.matrices()) add_bytes(*w);
  }
  add_bytes(m->output);
  m->interleave_weights();
  return m;
}

void Model::interleave_weights() {
  if (!kernels().fast_interleaved) return;
  if (const char* env = std::getenv("VEIL_ENGINE_INTERLEAVE"); env != nullptr && std::string(env) == "0")
    return;
  std::vector<Weight*> ws;
  for (LayerWeights& L : layers)
    for (Weight* w : L.matrices()) ws.push_back(w);
  ws.push_back(&output);  // a copy of token_embd's when tied; token_embd keeps the file layout for lookups
  auto bytes_of = [](const Weight& w) { return (interleaved_bytes(w.type, w.n_in, w.n_out) + 63) / 64 * 64; };
  size_t total = 0;
  for (const Weight* w : ws)
    if (interleavable(w->type)) total += bytes_of(*w);
  if (total == 0) return;
  // One arena in 2 MiB pages where the kernel grants them (transparent huge pages in "madvise"
  // mode): streaming the weights every token then walks 512x fewer page-table entries.
  constexpr size_t kHuge = size_t(2) << 20;
  total = (total + kHuge - 1) / kHuge * kHuge;
  auto* arena = static_cast<uint8_t*>(std::aligned_alloc(kHuge, total));
  if (arena == nullptr) return;  // keep the file layout
  interleaved_.reset(arena);
  madvise(arena, total, MADV_HUGEPAGE);
  uint8_t* next = arena;
  for (Weight* w : ws) {
    if (!interleavable(w->type)) continue;
    // A few groups at a time, each slice of the file's copy then leaving this process's resident
    // set (the page cache keeps it), so that the two copies are never resident together. The file's
    // copy is not read again, but for the rows of a tied token embedding that lookups touch.
    constexpr int64_t kChunk = 64 * kInterleaveRows;
    const size_t group_bytes = interleaved_bytes(w->type, w->n_in, kInterleaveRows);
    for (int64_t r = 0; r < w->n_out; r += kChunk) {
      const int64_t n = std::min(kChunk, w->n_out - r);
      const uint8_t* src = w->data + size_t(r) * w->row_bytes;
      interleave_rows(w->type, src, w->row_bytes, w->n_in, n,
                      next + size_t(r / kInterleaveRows) * group_bytes);
      file_->release_pages(src, size_t(n) * w->row_bytes);
    }
    w->data = next;
    w->interleaved = true;
    next += bytes_of(*w);
  }
}

KvCache::KvCache(const HParams& hp, const KvCacheOptions& o)
    : n_slots_(o.n_slots),
      n_ctx_(o.n_ctx),
      n_kv_(hp.n_head_kv),
      f32_(o.f32),
      head_dim_(size_t(hp.head_dim)),
      ctx_stride_((size_t(o.n_ctx) + kVTile - 1) / kVTile * kVTile) {
  const size_t elem = f32_ ? 4 : 2, row = size_t(n_kv_) * head_dim_;
  bytes_per_slot_ = 2 * size_t(hp.n_layer) * ctx_stride_ * row * elem;
  size_t total = size_t(hp.n_layer) * size_t(n_slots_) * ctx_stride_ * row * elem;
  k_.reset(new uint8_t[total]);
  v_.reset(new uint8_t[total]);
}

Forward::Forward(const Model& model, KvCache& cache, ThreadPool& pool, int max_batch)
    : m_(model), cache_(cache), pool_(pool), kt_(kernels()), max_batch_(max_batch) {
  const HParams& hp = m_.hp_;
  size_t B = size_t(max_batch);
  size_t qd = size_t(hp.n_head) * hp.head_dim, kvd = size_t(hp.n_head_kv) * hp.head_dim;
  size_t wide = std::max({size_t(hp.n_embd), qd, size_t(hp.n_ff)});
  x_.resize(B * hp.n_embd);
  xn_.resize(B * std::max(size_t(hp.n_embd), qd));
  q_.resize(B * qd);
  k_.resize(B * kvd);
  v_.resize(B * kvd);
  attn_.resize(B * qd);
  gate_.resize(B * hp.n_ff);
  up_.resize(B * hp.n_ff);
  rope_cos_.resize(B * hp.n_rot / 2);
  rope_sin_.resize(B * hp.n_rot / 2);
  // Per thread: two rows of n_ctx scores (a pair of heads) plus room for one row's F16 copy.
  scores_.resize(size_t(pool.size()) * size_t(cache.n_ctx()) * 4);
  q16_.resize(size_t(pool.size()) * 4 * hp.head_dim);
  size_t act = 0;
  for (ActType t : {ActType::f32, ActType::f16, ActType::bf16, ActType::q8_0, ActType::q8_k}) {
    act = std::max(act, act_row_bytes(t, int64_t(wide)));
  }
  act_.resize(B * act);
}

template <typename Fn>
void Forward::for_each_token(int n_tok, const Fn& fn) {
  if (n_tok < 4) {
    for (int t = 0; t < n_tok; ++t) fn(t);
    return;
  }
  pool_.run([&](int w, int nw) {
    int64_t b, e;
    split_range(n_tok, w, nw, 1, &b, &e);
    for (int64_t t = b; t < e; ++t) fn(int(t));
  });
}

void Forward::prepare_activations(TensorType t, const float* x, int n_tok, int64_t n) {
  ActType at = act_type_for(t);
  size_t rb = act_row_bytes(at, n);
  auto body = [&](int w, int nw) {
    int64_t b, e;
    split_range(n_tok, w, nw, 1, &b, &e);
    for (int64_t i = b; i < e; ++i)
      quantize_activation(at, x + size_t(i) * size_t(n), act_.data() + size_t(i) * rb, n);
  };
  if (n_tok < 4) {
    body(0, 1);
  } else {
    pool_.run(body);
  }
}

void Forward::matmul(std::initializer_list<MatmulJob> jobs, int n_tok) {
  int64_t total = 0;
  for (const auto& j : jobs) total += j.w->n_out;
  // Decode-sized steps stream the weights once: parts of >= 256 rows, several per thread, claimed
  // as threads come free, so a thread slowed by other load does not hold the step up. Larger
  // batches are compute-bound and keep one part per thread.
  int parts = pool_.size();
  if (n_tok <= 8)
    parts = int(std::max<int64_t>(1, std::min<int64_t>(int64_t(pool_.size()) * 8, total / 256)));
  pool_.run_parts(parts, [&](int w, int nw) {
    int64_t b, e;
    split_range(total, w, nw, 16, &b, &e);
    int64_t base = 0;
    for (const auto& j : jobs) {
      int64_t lo = std::max(b, base), hi = std::min(e, base + j.w->n_out);
      if (lo < hi) {
        ActType at = act_type_for(j.w->type);
        // llama.cpp hands matmuls of >= 2 tokens with a row count divisible by 4 to llamafile's sgemm.
        const bool ggml_batch = n_tok >= 2 && j.w->n_out % 4 == 0;
        MatmulArgs a{j.w->type,
                     j.w->data,
                     j.w->row_bytes,
                     j.w->n_in,
                     act_.data(),
                     act_row_bytes(at, j.w->n_in),
                     n_tok,
                     j.y,
                     size_t(j.w->n_out),
                     ggml_batch,
                     j.w->interleaved};
        kt_.mul_rows(a, lo - base, hi - base);
        if (j.bias != nullptr && !j.bias->empty()) {
          for (int t = 0; t < n_tok; ++t) {
            float* y = j.y + size_t(t) * size_t(j.w->n_out);
            for (int64_t r = lo - base; r < hi - base; ++r) y[r] += (*j.bias)[size_t(r)];
          }
        }
      }
      base += j.w->n_out;
    }
  });
}

namespace {

// ggml_rms_norm: mean of squares accumulated in double, then scale = 1/sqrtf(mean + eps); the
// weight multiply is a separate step (as in llama.cpp's graph).
void rms_norm(const float* x, const float* weight, float* out, int n, float eps) {
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += double(x[i] * x[i]);
  float mean = float(sum / n);
  float scale = 1.0f / std::sqrt(mean + eps);
  for (int i = 0; i < n; ++i) out[i] = (x[i] * scale) * weight[i];
}

void rope_apply(float* v, const float* cs, const float* sn, int n_rot, int head_dim, RopeStyle style) {
  if (style == RopeStyle::norm) {
    for (int i = 0; i < n_rot / 2; ++i) {
      float x0 = v[2 * i], x1 = v[2 * i + 1];
      v[2 * i] = x0 * cs[i] - x1 * sn[i];
      v[2 * i + 1] = x0 * sn[i] + x1 * cs[i];
    }
  } else {
    int h = n_rot / 2;
    for (int i = 0; i < h; ++i) {
      float x0 = v[i], x1 = v[i + h];
      v[i] = x0 * cs[i] - x1 * sn[i];
      v[i + h] = x0 * sn[i] + x1 * cs[i];
    }
  }
  (void)head_dim;
}

}  // namespace

void Forward::attention(std::span<const BatchToken> batch, int layer) {
  const HParams& hp = m_.hp_;
  const int hd = hp.head_dim, n_head = hp.n_head, group = hp.n_head / hp.n_head_kv;
  const size_t qd = size_t(n_head) * hd;
  const size_t n_ctx = size_t(cache_.n_ctx());
  const float scale = 1.0f / std::sqrt(float(hd));
  const bool f16 = !cache_.is_f32();
  // One item is up to two query heads of a group with their shared K and V (read once for both).
  const int pairs = (group + 1) / 2;
  const int64_t work = int64_t(batch.size()) * hp.n_head_kv * pairs;
  // Items are claimed one at a time by whichever thread is free: in a prompt later tokens see more
  // positions, and on a shared machine one core may be slowed, so fixed shares leave one thread
  // waiting for the other. (Not one pool part per item: the scratch below is per part, sized per
  // thread, so items are claimed inside each thread's part.)
  std::atomic<int64_t> next_item{0};
  pool_.run([&](int w, int) {
    float* sc = scores_.data() + size_t(w) * n_ctx * 4;
    uint16_t* q16 = q16_.data() + size_t(w) * 4 * size_t(hd);
    for (int64_t item = next_item.fetch_add(1, std::memory_order_relaxed); item < work;
         item = next_item.fetch_add(1, std::memory_order_relaxed)) {
      const int t = int(item / (int64_t(hp.n_head_kv) * pairs));
      const int kvh = int(item / pairs % hp.n_head_kv), h0 = kvh * group + int(item % pairs) * 2;
      const int nq = std::min(2, kvh * group + group - h0);
      const BatchToken& bt = batch[size_t(t)];
      const float* q = q_.data() + size_t(t) * qd + size_t(h0) * hd;
      float* out = attn_.data() + size_t(t) * qd + size_t(h0) * hd;
      const int n_pos = bt.pos + 1;
      const size_t kv_off = cache_.offset(layer, bt.slot, kvh, 0);
      if (f16 && flash_attn_numerics) {
        // ggml flash_attn_ext (CPU, F16 V): running max M and sum S, V accumulated in F16.
        const auto* K = static_cast<const uint16_t*>(cache_.k()) + kv_off;
        const auto* V = static_cast<const uint16_t*>(cache_.v()) + kv_off;
        for (int i = 0; i < nq; ++i) {
          const float* qi = q + size_t(i) * hd;
          float* oi = out + size_t(i) * hd;
          for (int j = 0; j < hd; ++j) q16[j] = f32_to_f16(qi[j]);
          uint16_t* acc = q16 + hd;
          for (int j = 0; j < hd; ++j) acc[j] = 0;
          float M = -INFINITY, S = 0;
          for (int p = 0; p < n_pos; ++p) {
            float s = kt_.dot_f16(q16, K + size_t(p) * hd, hd) * scale;
            float ms = 1.0f, vs = 1.0f;
            if (s > M) {
              float m_old = M;
              M = s;
              ms = std::exp(m_old - M);
              for (int j = 0; j < hd; ++j) acc[j] = f32_to_f16(f16_to_f32(acc[j]) * ms);
            } else {
              vs = std::exp(s - M);
            }
            for (int j = 0; j < hd; ++j)
              acc[j] = f32_to_f16(f16_to_f32(acc[j]) + f16_to_f32(V[cache_.v_at(p, j)]) * vs);
            S = S * ms + vs;
          }
          float inv = 1.0f / S;
          for (int j = 0; j < hd; ++j) oi[j] = f16_to_f32(acc[j]) * inv;
        }
        continue;
      }
      // Scores, softmax and value sum add up as llama.cpp's CPU backend does (-fa off), since with an
      // F16 cache a one-ulp difference before a rounding shows in later log-probabilities (see
      // kernels_impl.inc). A step of >= 2 tokens goes through tinyBLAS there, one token through
      // ggml_vec_dot.
      const bool batch_order = batch.size() >= 2;
      float mx[2];
      if (f16) {
        // Q is rounded to F16 for the product with the F16 K cache, as ggml converts it.
        kt_.to_f16_row(q, q16, int64_t(nq) * hd);
        const auto* K = static_cast<const uint16_t*>(cache_.k()) + kv_off;
        kt_.dot_rows_ggml_f16(q16, nq, size_t(hd), K, size_t(hd), n_pos, hd, batch_order, false, scale, sc,
                              n_ctx, mx);
      } else {
        const auto* K = static_cast<const float*>(cache_.k()) + kv_off;
        kt_.dot_rows_ggml_f32(q, nq, size_t(hd), K, size_t(hd), n_pos, hd, batch_order, false, scale, sc,
                              n_ctx, mx);
      }
      // Probabilities are rounded to F16 for the product with an F16 V cache, as llama.cpp does.
      uint16_t* p16 = reinterpret_cast<uint16_t*>(sc + 2 * n_ctx);  // nq rows of n_pos
      for (int i = 0; i < nq; ++i) {
        float* row = sc + size_t(i) * n_ctx;
        const double sum = kt_.softmax_exp_ggml(row, n_pos, mx[i]);
        const float inv = float(1.0 / sum);
        for (int p = 0; p < n_pos; ++p) row[p] *= inv;
        if (f16) kt_.to_f16_row(row, p16 + size_t(i) * size_t(n_pos), n_pos);
      }
      // Value sums over the head's tiled V, added as llama.cpp's V^T x P product adds them.
      if (f16) {
        const auto* V = static_cast<const uint16_t*>(cache_.v()) + kv_off;
        kt_.value_sums_ggml_f16(p16, nq, size_t(n_pos), V, hd, n_pos, batch_order, out, size_t(hd));
      } else {
        const auto* V = static_cast<const float*>(cache_.v()) + kv_off;
        kt_.value_sums_ggml_f32(sc, nq, n_ctx, V, hd, n_pos, batch_order, out, size_t(hd));
      }
    }
  });
}

Status Forward::eval(std::span<const BatchToken> batch, float* logits, float* hidden) {
  return run(batch, logits, hidden);
}

Status Forward::eval_hidden(std::span<const BatchToken> batch, float* hidden) {
  return run(batch, nullptr, hidden);
}

Status Forward::run(std::span<const BatchToken> batch, float* logits, float* hidden) {
  const HParams& hp = m_.hp_;
  const int n_tok = int(batch.size());
  if (n_tok == 0) return ok_status();
  if (n_tok > max_batch_) return make_error("engine.batch_too_large", "batch exceeds the step size");
  for (const auto& bt : batch) {
    if (bt.token < 0 || bt.token >= hp.n_vocab)
      return make_error("engine.bad_token", "token id out of range");
    if (bt.pos < 0 || bt.pos >= cache_.n_ctx() || bt.slot < 0 || bt.slot >= cache_.n_slots()) {
      return make_error("engine.bad_position", "position or slot out of range");
    }
  }
  const int d = hp.n_embd, hd = hp.head_dim, ff = hp.n_ff;
  const size_t qd = size_t(hp.n_head) * hd, kvd = size_t(hp.n_head_kv) * hd;
  const int half = hp.n_rot / 2;

  // Embeddings and the rope angles of each token.
  for (int t = 0; t < n_tok; ++t) {
    const BatchToken& bt = batch[size_t(t)];
    dequantize_row(m_.token_embd.type, m_.token_embd.data + size_t(bt.token) * m_.token_embd.row_bytes,
                   x_.data() + size_t(t) * d, d);
    rope_angles(hp, m_.rope_freq_factors, bt.pos, rope_cos_.data() + size_t(t) * half,
                rope_sin_.data() + size_t(t) * half);
  }

  for (int il = 0; il < hp.n_layer; ++il) {
    const LayerWeights& L = m_.layers[size_t(il)];
    for_each_token(n_tok, [&](int t) {
      rms_norm(x_.data() + size_t(t) * d, L.attn_norm.data(), xn_.data() + size_t(t) * d, d, hp.rms_eps);
    });
    prepare_activations(L.wq.type, xn_.data(), n_tok, d);
    if (L.wk.type == L.wq.type && L.wv.type == L.wq.type) {
      matmul({{&L.wq, q_.data(), &L.bq}, {&L.wk, k_.data(), &L.bk}, {&L.wv, v_.data(), &L.bv}}, n_tok);
    } else {
      matmul({{&L.wq, q_.data(), &L.bq}}, n_tok);
      prepare_activations(L.wk.type, xn_.data(), n_tok, d);
      matmul({{&L.wk, k_.data(), &L.bk}}, n_tok);
      prepare_activations(L.wv.type, xn_.data(), n_tok, d);
      matmul({{&L.wv, v_.data(), &L.bv}}, n_tok);
    }
    // Per-head q/k RMS norm (qwen3), rope, then K and V into the cache.
    for_each_token(n_tok, [&](int t) {
      const BatchToken& bt = batch[size_t(t)];
      const float* cs = rope_cos_.data() + size_t(t) * half;
      const float* sn = rope_sin_.data() + size_t(t) * half;
      for (int h = 0; h < hp.n_head; ++h) {
        float* qh = q_.data() + size_t(t) * qd + size_t(h) * hd;
        if (!L.q_norm.empty()) rms_norm(qh, L.q_norm.data(), qh, hd, hp.rms_eps);
        rope_apply(qh, cs, sn, hp.n_rot, hd, hp.rope);
      }
      for (int h = 0; h < hp.n_head_kv; ++h) {
        float* kh = k_.data() + size_t(t) * kvd + size_t(h) * hd;
        if (!L.k_norm.empty()) rms_norm(kh, L.k_norm.data(), kh, hd, hp.rms_eps);
        rope_apply(kh, cs, sn, hp.n_rot, hd, hp.rope);
      }
      for (int h = 0; h < hp.n_head_kv; ++h) {
        // K's row of this position, and its values in the head's tiled V (see KvCache::offset).
        const size_t off = cache_.offset(il, bt.slot, h, bt.pos), vh = cache_.offset(il, bt.slot, h, 0);
        const float* kr = k_.data() + size_t(t) * kvd + size_t(h) * hd;
        const float* vr = v_.data() + size_t(t) * kvd + size_t(h) * hd;
        if (cache_.is_f32()) {
          std::memcpy(static_cast<float*>(cache_.k()) + off, kr, size_t(hd) * 4);
          float* vc = static_cast<float*>(cache_.v()) + vh;
          for (int i = 0; i < hd; ++i) vc[cache_.v_at(bt.pos, i)] = vr[i];
        } else {
          uint16_t* kc = static_cast<uint16_t*>(cache_.k()) + off;
          uint16_t* vc = static_cast<uint16_t*>(cache_.v()) + vh;
          for (int i = 0; i < hd; ++i) {
            kc[i] = f32_to_f16(kr[i]);
            vc[cache_.v_at(bt.pos, i)] = f32_to_f16(vr[i]);
          }
        }
      }
    });
    attention(batch, il);
    // Output projection and residual, then the feed-forward's norm.
    prepare_activations(L.wo.type, attn_.data(), n_tok, int64_t(qd));
    matmul({{&L.wo, xn_.data(), nullptr}}, n_tok);
    for_each_token(n_tok, [&](int t) {
      float* x = x_.data() + size_t(t) * d;
      float* xn = xn_.data() + size_t(t) * d;
      for (int i = 0; i < d; ++i) x[i] += xn[i];
      rms_norm(x, L.ffn_norm.data(), xn, d, hp.rms_eps);
    });
    prepare_activations(L.w_gate.type, xn_.data(), n_tok, d);
    if (L.w_up.type == L.w_gate.type) {
      matmul({{&L.w_gate, gate_.data(), nullptr}, {&L.w_up, up_.data(), nullptr}}, n_tok);
    } else {
      matmul({{&L.w_gate, gate_.data(), nullptr}}, n_tok);
      prepare_activations(L.w_up.type, xn_.data(), n_tok, d);
      matmul({{&L.w_up, up_.data(), nullptr}}, n_tok);
    }
    for_each_token(n_tok, [&](int t) {
      float* gate = gate_.data() + size_t(t) * ff;
      const float* up = up_.data() + size_t(t) * ff;
      for (int i = 0; i < ff; ++i) gate[i] = (gate[i] / (1.0f + std::exp(-gate[i]))) * up[i];
    });
    prepare_activations(L.w_down.type, gate_.data(), n_tok, ff);
    matmul({{&L.w_down, xn_.data(), nullptr}}, n_tok);
    for_each_token(n_tok, [&](int t) {
      float* x = x_.data() + size_t(t) * d;
      const float* xn = xn_.data() + size_t(t) * d;
      for (int i = 0; i < d; ++i) x[i] += xn[i];
    });
  }

  // Final norm on the rows that need output, packed in batch order.
  int n_out = 0;
  for (int t = 0; t < n_tok; ++t) {
    if (!batch[size_t(t)].logits) continue;
    rms_norm(x_.data() + size_t(t) * d, m_.output_norm.data(), xn_.data() + size_t(n_out) * d, d, hp.rms_eps);
    ++n_out;
  }
  if (hidden != nullptr) std::memcpy(hidden, xn_.data(), sizeof(float) * size_t(n_out) * d);
  if (logits != nullptr && n_out > 0) {
    // The LM head in chunks of max_batch rows reuses the activation buffer.
    prepare_activations(m_.output.type, xn_.data(), n_out, d);
    matmul({{&m_.output, logits, nullptr}}, n_out);
  }
  return ok_status();
}

}  // namespace veil::engine
