// `veil model synth` models of every tensor type through the engine's forward pass, against a plain
// float64 forward pass written here (weights decoded by reference_decode.h, no activation rounding,
// exact attention). Differences come only from the engine's ggml-style activation rounding.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "reference_decode.h"
#include "support/shared_data.h"
#include "test_budget.h"
#include "veil/engine/model.h"
#include "veil/engine/synth.h"

namespace veil::engine {
namespace {

using Mat = std::vector<double>;  // row-major n_out x n_in

struct RefTensor {
  const GgufTensorInfo* t;
  int64_t n_in, n_out;
  Mat w;
};

RefTensor load(const GgufFile& f, const std::string& name) {
  const GgufTensorInfo* t = f.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  RefTensor r{t, int64_t(t->dims[0]), int64_t(t->dims.size() > 1 ? t->dims[1] : 1), {}};
  r.w = decode(t->type, t->data, int(r.n_in * r.n_out));
  return r;
}

std::vector<double> matvec(const RefTensor& m, const std::vector<double>& x) {
  std::vector<double> y(static_cast<size_t>(m.n_out), 0.0);
  for (int64_t r = 0; r < m.n_out; ++r) {
    double s = 0;
    for (int64_t i = 0; i < m.n_in; ++i) s += m.w[size_t(r * m.n_in + i)] * x[size_t(i)];
    y[size_t(r)] = s;
  }
  return y;
}

void rmsnorm(std::vector<double>& x, size_t off, size_t n, const Mat& w, double eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[off + i] * x[off + i];
  double scale = 1.0 / std::sqrt(ss / double(n) + eps);
  for (size_t i = 0; i < n; ++i) x[off + i] = x[off + i] * scale * w[i];
}

// Rope scaling read from the file, in double: linear (angle / factor), Llama 3 per-pair divisors
// (rope_freqs.weight) and YaRN as published (Peng et al. 2023, "YaRN", sec. 3; ggml's rope_yarn):
// ramp r(i) = 1 - clamp((i - low) / max(0.001, high - low), 0, 1) over pairs i, with low/high =
// floor/ceil of corr(b) = d ln(L / (2 pi b)) / (2 ln base) for b = 32 and 1 (L = the original
// context), angle = interp (1 - r) + extrap r, cos and sin scaled by 1 + 0.1 ln(factor).
struct RopeRef {
  double base = 10000;
  std::string type;
  double factor = 1;
  double n_ctx_orig = 0;
  std::vector<double> freq_factors;
};

RopeRef rope_ref(const GgufFile& f) {
  std::string arch = f.architecture();
  RopeRef r;
  r.base = *f.get_f32(arch + ".rope.freq_base");
  r.type = f.has(arch + ".rope.scaling.type") ? *f.get_string(arch + ".rope.scaling.type") : "";
  if (!r.type.empty()) r.factor = *f.get_f32(arch + ".rope.scaling.factor");
  if (f.has(arch + ".rope.scaling.original_context_length")) {
    r.n_ctx_orig = *f.get_u32(arch + ".rope.scaling.original_context_length");
  }
  if (const GgufTensorInfo* t = f.find_tensor("rope_freqs.weight"))
    r.freq_factors = decode(t->type, t->data, int(t->n_elements));
  return r;
}

// Rotary embedding of one head: pairs (2i, 2i+1) for llama, (i, i + d/2) for qwen.
void rope(std::vector<double>& v, size_t off, int d, int pos, const RopeRef& r, bool neox) {
  double low = 0, high = 0, mscale = 1;
  if (r.type == "yarn") {
    auto corr = [&](double b) {
      return d * std::log(r.n_ctx_orig / (2 * M_PI * b)) / (2 * std::log(r.base));
    };
    low = std::max(0.0, std::floor(corr(32)));
    high = std::min(double(d - 1), std::ceil(corr(1)));
    mscale = 1 + 0.1 * std::log(r.factor);
  }
  for (int i = 0; i < d / 2; ++i) {
    double extrap = pos * std::pow(r.base, -2.0 * i / d);
    if (!r.freq_factors.empty()) extrap /= r.freq_factors[size_t(i)];
    double interp = r.type.empty() ? extrap : extrap / r.factor, th = interp;
    if (r.type == "yarn") {
      double ramp = 1 - std::min(1.0, std::max(0.0, (i - low) / std::max(0.001, high - low)));
      th = interp * (1 - ramp) + extrap * ramp;
    }
    size_t a = neox ? off + size_t(i) : off + size_t(2 * i);
    size_t b = neox ? off + size_t(i + d / 2) : off + size_t(2 * i + 1);
    double x0 = v[a], x1 = v[b], c = std::cos(th) * mscale, s = std::sin(th) * mscale;
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}

// Logits of every position of `tokens`.
std::vector<std::vector<double>> reference_forward(const GgufFile& f, const std::vector<int32_t>& tokens) {
  std::string arch = f.architecture();
  bool qwen3 = arch == "qwen3", neox = arch != "llama";
  int n_layer = int(*f.get_u32(arch + ".block_count"));
  int d = int(*f.get_u32(arch + ".embedding_length"));
  int n_head = int(*f.get_u32(arch + ".attention.head_count"));
  int n_kv = int(*f.get_u32(arch + ".attention.head_count_kv"));
  int hd = int(*f.get_u32(arch + ".attention.key_length"));
  double eps = *f.get_f32(arch + ".attention.layer_norm_rms_epsilon");
  RopeRef rr = rope_ref(f);
  RefTensor emb = load(f, "token_embd.weight");
  RefTensor out = f.find_tensor("output.weight") ? load(f, "output.weight") : emb;
  RefTensor out_norm = load(f, "output_norm.weight");
  size_t T = tokens.size();
  std::vector<std::vector<double>> x(T);
  for (size_t t = 0; t < T; ++t) {
    x[t].assign(emb.w.begin() + tokens[t] * d, emb.w.begin() + (tokens[t] + 1) * d);
  }
  for (int il = 0; il < n_layer; ++il) {
    std::string p = "blk." + std::to_string(il) + ".";
    RefTensor an = load(f, p + "attn_norm.weight"), fn = load(f, p + "ffn_norm.weight");
    RefTensor wq = load(f, p + "attn_q.weight"), wk = load(f, p + "attn_k.weight"),
              wv = load(f, p + "attn_v.weight");
    RefTensor wo = load(f, p + "attn_output.weight"), wg = load(f, p + "ffn_gate.weight");
    RefTensor wu = load(f, p + "ffn_up.weight"), wd = load(f, p + "ffn_down.weight");
    std::vector<std::vector<double>> Q(T), K(T), V(T);
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> h = x[t];
      rmsnorm(h, 0, size_t(d), an.w, eps);
      Q[t] = matvec(wq, h);
      K[t] = matvec(wk, h);
      V[t] = matvec(wv, h);
      if (arch == "qwen2") {  // Q, K and V biases
        const Mat bq = load(f, p + "attn_q.bias").w, bk = load(f, p + "attn_k.bias").w,
                  bv = load(f, p + "attn_v.bias").w;
        for (size_t i = 0; i < Q[t].size(); ++i) Q[t][i] += bq[i];
        for (size_t i = 0; i < K[t].size(); ++i) K[t][i] += bk[i];
        for (size_t i = 0; i < V[t].size(); ++i) V[t][i] += bv[i];
      }
      for (int hh = 0; hh < n_head; ++hh) {
        if (qwen3) rmsnorm(Q[t], size_t(hh * hd), size_t(hd), load(f, p + "attn_q_norm.weight").w, eps);
        rope(Q[t], size_t(hh * hd), hd, int(t), rr, neox);
      }
      for (int hh = 0; hh < n_kv; ++hh) {
        if (qwen3) rmsnorm(K[t], size_t(hh * hd), size_t(hd), load(f, p + "attn_k_norm.weight").w, eps);
        rope(K[t], size_t(hh * hd), hd, int(t), rr, neox);
      }
    }
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> att(size_t(n_head * hd), 0.0);
      for (int hh = 0; hh < n_head; ++hh) {
        int kh = hh / (n_head / n_kv);
        std::vector<double> s(t + 1);
        double mx = -1e300;
        for (size_t u = 0; u <= t; ++u) {
          double dot = 0;
          for (int i = 0; i < hd; ++i) dot += Q[t][size_t(hh * hd + i)] * K[u][size_t(kh * hd + i)];
          s[u] = dot / std::sqrt(double(hd));
          mx = std::max(mx, s[u]);
        }
        double z = 0;
        for (auto& v : s) z += v = std::exp(v - mx);
        for (size_t u = 0; u <= t; ++u)
          for (int i = 0; i < hd; ++i) att[size_t(hh * hd + i)] += s[u] / z * V[u][size_t(kh * hd + i)];
      }
      auto o = matvec(wo, att);
      for (int i = 0; i < d; ++i) x[t][size_t(i)] += o[size_t(i)];
      std::vector<double> h = x[t];
      rmsnorm(h, 0, size_t(d), fn.w, eps);
      auto g = matvec(wg, h), u = matvec(wu, h);
      for (size_t i = 0; i < g.size(); ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      auto dn = matvec(wd, g);
      for (int i = 0; i < d; ++i) x[t][size_t(i)] += dn[size_t(i)];
    }
  }
  std::vector<std::vector<double>> logits;
  for (size_t t = 0; t < T; ++t) {
    std::vector<double> h = x[t];
    rmsnorm(h, 0, size_t(d), out_norm.w, eps);
    logits.push_back(matvec(out, h));
  }
  return logits;
}

struct Case {
  const char* arch;
  const char* type;
  double tol;  // max |Δlogit| / std(logits)
};

class SynthForward : public ::testing::TestWithParam<Case> {};

TEST_P(SynthForward, EngineMatchesFloat64Reference) {
  VEIL_REQUIRE_SHARED();
  const Case& c = GetParam();
  std::string name = std::string(c.arch) + "_" + c.type;
  if (::veil::engine_test::kSanitizedBuild && name != "llama_f32" && name != "llama_q4_k" &&
      name != "qwen3_q8_0") {
    GTEST_SKIP() << "covered by the Release build";
  }
  SynthOptions o;
  o.arch = c.arch;
  o.shape = "tiny";
  o.type = *tensor_type_from_name(c.type);
  o.vocab_path = test::shared_path("models/stories260K.gguf");  // 512 tokens keeps the reference fast
  o.seed = 7;
  std::string path =
      ::testing::TempDir() + "veil-synth-" + std::to_string(getpid()) + "-" + c.arch + "-" + c.type + ".gguf";
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto f = GgufFile::open(path);
  std::remove(path.c_str());  // the mapping stays valid
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  std::shared_ptr<const GgufFile> file(std::move(f).value());
  EXPECT_EQ(file->find_tensor("blk.0.attn_q.weight")->type, o.type);
  EXPECT_TRUE(file->has("tokenizer.ggml.tokens"));
  auto m = Model::load(file);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  KvCache cache((*m)->hparams(), KvCacheOptions{1, 32, true});
  ThreadPool pool(2);
  Forward fwd(**m, cache, pool, 16);
  std::vector<int32_t> tokens = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315};
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], int32_t(i), 0, true});
  int V = (*m)->hparams().n_vocab;
  std::vector<float> logits(tokens.size() * size_t(V));
  ASSERT_TRUE(fwd.eval(batch, logits.data()).ok());
  auto ref = reference_forward(*file, tokens);
  double worst = 0, sq = 0, n = 0;
  for (size_t t = 0; t < tokens.size(); ++t) {
    double mean = 0, var = 0, maxd = 0;
    for (int i = 0; i < V; ++i) mean += ref[t][size_t(i)] / V;
    for (int i = 0; i < V; ++i) var += (ref[t][size_t(i)] - mean) * (ref[t][size_t(i)] - mean) / V;
    for (int i = 0; i < V; ++i) {
      double dl = std::fabs(logits[t * size_t(V) + size_t(i)] - ref[t][size_t(i)]) / std::sqrt(var);
      maxd = std::max(maxd, dl);
      sq += dl * dl;
      n += 1;
    }
    worst = std::max(worst, maxd);
  }
  double rms = std::sqrt(sq / n);
  std::printf("[synth %s %s] |dlogit|/std: rms %.2e max %.2e\n", c.arch, c.type, rms, worst);
  EXPECT_LE(rms, c.tol);
  EXPECT_LE(worst, 5 * c.tol);
}

// Max over positions and vocabulary of |a - b| / std(b), for logits of the same tokens.
double max_rel_diff(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  double worst = 0;
  for (size_t t = 0; t < b.size(); ++t) {
    double mean = 0, var = 0;
    for (double x : b[t]) mean += x / double(b[t].size());
    for (double x : b[t]) var += (x - mean) * (x - mean) / double(b[t].size());
    for (size_t i = 0; i < b[t].size(); ++i)
      worst = std::max(worst, std::fabs(a[t][i] - b[t][i]) / std::sqrt(var));
  }
  return worst;
}

struct ScalingCase {
  const char* name;
  const char* type;  // rope.scaling.type, "" = none
  float factor;
  uint32_t n_ctx_orig;
  bool rope_freqs;
};

class RopeScaling : public ::testing::TestWithParam<ScalingCase> {};

// A tiny F32 llama with rope scaling metadata through the engine, against the float64 forward pass
// above; and the scaling must matter (the reference without it is far away), so a forward pass
// that ignored it could not pass.
TEST_P(RopeScaling, EngineMatchesFloat64Reference) {
  VEIL_REQUIRE_SHARED();
  const ScalingCase& c = GetParam();
  SynthOptions o;
  o.arch = "llama";
  o.shape = "tiny";
  o.type = TensorType::f32;
  o.vocab_path = test::shared_path("models/stories260K.gguf");
  o.seed = 11;
  o.rope_scaling = c.type;
  o.rope_scaling_factor = c.factor;
  o.rope_original_context = c.n_ctx_orig;
  o.rope_freqs = c.rope_freqs;
  std::string path = ::testing::TempDir() + "veil-rope-" + std::to_string(getpid()) + "-" + c.name + ".gguf";
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto f = GgufFile::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(f.ok()) << f.error().to_string();
  std::shared_ptr<const GgufFile> file(std::move(f).value());
  auto m = Model::load(file);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  KvCache cache((*m)->hparams(), KvCacheOptions{1, 64, true});
  ThreadPool pool(2);
  Forward fwd(**m, cache, pool, 64);
  // Positions up to 47 so that the slow pairs turn far enough for interpolation to show.
  std::vector<int32_t> tokens;
  for (int i = 0; i < 48; ++i) tokens.push_back(int32_t((i * 37 + 11) % 500 + 3));
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], int32_t(i), 0, true});
  const int V = (*m)->hparams().n_vocab;
  std::vector<float> logits(tokens.size() * size_t(V));
  ASSERT_TRUE(fwd.eval(batch, logits.data()).ok());
  std::vector<std::vector<double>> got(tokens.size());
  for (size_t t = 0; t < tokens.size(); ++t)
    got[t].assign(logits.begin() + long(t * size_t(V)), logits.begin() + long((t + 1) * size_t(V)));
  auto ref = reference_forward(*file, tokens);
  double d = max_rel_diff(got, ref);
  std::printf("[rope %s] max |dlogit|/std %.2e\n", c.name, d);
  EXPECT_LE(d, 2e-5);  // F32 weights: float rounding only (observed ~1e-6)
  // The same weights without the scaling: the reference must move by far more than the tolerance.
  o.rope_scaling.clear();
  o.rope_freqs = false;
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto plain = GgufFile::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(plain.ok());
  double moved = max_rel_diff(reference_forward(**plain, tokens), ref);
  std::printf("[rope %s] unscaled reference differs by %.2e\n", c.name, moved);
  EXPECT_GT(moved, 100 * 2e-5);
}

// tiny llama: head_dim 32, base 1e4. YaRN with a 256-token original context puts the ramp over
// pairs 0..7 (corr(32) = 0.42, corr(1) = 6.44), so fast, blended and interpolated pairs all occur.
INSTANTIATE_TEST_SUITE_P(Kinds, RopeScaling,
                         ::testing::Values(ScalingCase{"linear", "linear", 4.f, 0, false},
                                           ScalingCase{"llama3_freqs", "", 1.f, 0, true},
                                           ScalingCase{"yarn", "yarn", 4.f, 256, false}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(RopeScaling, YarnCorrectionDimsByHand) {
  // corr(b) = n_dims ln(L / (2 pi b)) / (2 ln base), start floored, end ceiled, clamped.
  // Qwen3 YaRN (n_dims 128, L 32768, base 1e6): corr(32) = 128 ln(162.97)/27.631 = 23.60,
  // corr(1) = 128 ln(5215.2)/27.631 = 39.65.
  auto q = yarn_corr_dims(128, 32768, 1e6f, 32.f, 1.f);
  EXPECT_EQ(q[0], 23.f);
  EXPECT_EQ(q[1], 40.f);
  // Llama 2 shape (128, 4096, 1e4): corr(32) = 128 ln(20.372)/18.421 = 20.95, corr(1) = 45.03.
  auto l = yarn_corr_dims(128, 4096, 1e4f, 32.f, 1.f);
  EXPECT_EQ(l[0], 20.f);
  EXPECT_EQ(l[1], 46.f);
  // tiny llama above (32, 256, 1e4): corr(32) = 32 ln(1.2732)/18.421 = 0.42, corr(1) = 6.44.
  auto t = yarn_corr_dims(32, 256, 1e4f, 32.f, 1.f);
  EXPECT_EQ(t[0], 0.f);
  EXPECT_EQ(t[1], 7.f);
  // Clamping: a huge original context pushes the end past the last dim; a tiny one the start below 0.
  EXPECT_EQ(yarn_corr_dims(32, 1 << 30, 1e4f, 32.f, 1.f)[1], 31.f);
  EXPECT_EQ(yarn_corr_dims(32, 8, 1e4f, 32.f, 1.f)[0], 0.f);
}

TEST(RopeScaling, YarnMetadataLoadsAndBadValuesAreErrors) {
  VEIL_REQUIRE_SHARED();
  SynthOptions o;
  o.arch = "qwen3";
  o.shape = "tiny";
  o.type = TensorType::f32;
  o.vocab_path = test::shared_path("models/stories260K.gguf");
  o.rope_scaling = "yarn";
  o.rope_scaling_factor = 4.f;
  o.rope_original_context = 32768;
  std::string path = ::testing::TempDir() + "veil-yarn-meta-" + std::to_string(getpid()) + ".gguf";
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto f = GgufFile::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(f.ok());
  auto m = Model::load(std::shared_ptr<const GgufFile>(std::move(f).value()));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  const HParams& hp = (*m)->hparams();
  EXPECT_FLOAT_EQ(hp.rope_freq_scale, 0.25f);
  EXPECT_EQ(hp.n_ctx_orig, 32768);
  EXPECT_EQ(hp.yarn_ext_factor, 1.f);
  EXPECT_EQ(hp.yarn_attn_factor, 1.f);
  // tiny qwen3: n_rot 64, base 1e6: corr(32) = 64 ln(162.97)/27.631 = 11.80, corr(1) = 19.83.
  EXPECT_EQ(hp.yarn_corr_dims[0], 11.f);
  EXPECT_EQ(hp.yarn_corr_dims[1], 20.f);
  // Position 0 has angle 0 everywhere: cos = mscale = 1 + 0.1 ln 4, sin = 0.
  std::vector<float> c(32), s(32);
  rope_angles(hp, {}, 0, c.data(), s.data());
  EXPECT_NEAR(c[0], 1.0 + 0.1 * std::log(4.0), 1e-6);
  EXPECT_EQ(s[5], 0.f);

  o.rope_scaling_factor = 0.f;  // YaRN needs a factor
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto bad = GgufFile::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(bad.ok());
  auto mb = Model::load(std::shared_ptr<const GgufFile>(std::move(bad).value()));
  ASSERT_FALSE(mb.ok());
  EXPECT_EQ(mb.error().code, "engine.bad_model");

  o.rope_scaling = "longrope";  // unknown types are refused, not ignored
  o.rope_scaling_factor = 4.f;
  ASSERT_TRUE(synthesize_model(o, path).ok());
  auto unk = GgufFile::open(path);
  std::remove(path.c_str());
  ASSERT_TRUE(unk.ok());
  auto mu = Model::load(std::shared_ptr<const GgufFile>(std::move(unk).value()));
  ASSERT_FALSE(mu.ok());
  EXPECT_EQ(mu.error().code, "engine.unsupported_rope");
}

// Tolerances on the RMS of |dlogit| / std(logits) (max: 5x): F32 only float rounding; F16/BF16
// round activations like ggml (2^-11, 2^-8 relative); Q types quantize activations to 8 bits per
// block (~1/254 of the block's largest value per element). A wrong layout or formula gives ~1.
INSTANTIATE_TEST_SUITE_P(
    Types, SynthForward,
    ::testing::Values(Case{"llama", "f32", 1e-4}, Case{"llama", "f16", 2e-3}, Case{"llama", "bf16", 1e-2},
                      Case{"llama", "q8_0", 2e-2}, Case{"llama", "q4_0", 2e-2}, Case{"llama", "q4_k", 2e-2},
                      Case{"llama", "q5_k", 2e-2}, Case{"llama", "q6_k", 2e-2}, Case{"qwen3", "f32", 1e-4},
                      Case{"qwen3", "q8_0", 2e-2}, Case{"qwen3", "q4_k", 2e-2}, Case{"qwen2", "f32", 1e-4},
                      Case{"qwen2", "q8_0", 2e-2}),
    [](const auto& info) { return std::string(info.param.arch) + "_" + info.param.type; });

}  // namespace
}  // namespace veil::engine
