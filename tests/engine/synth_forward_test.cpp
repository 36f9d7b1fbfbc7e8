// `veil model synth` models of every tensor type through the engine's forward pass, against a plain
// float64 forward pass written here (weights decoded by reference_decode.h, no activation rounding,
// exact attention). Differences come only from the engine's ggml-style activation rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <unistd.h>

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

// Rotary embedding of one head: pairs (2i, 2i+1) for llama, (i, i + d/2) for qwen.
void rope(std::vector<double>& v, size_t off, int d, int pos, double base, bool neox) {
  for (int i = 0; i < d / 2; ++i) {
    double th = pos * std::pow(base, -2.0 * i / d);
    size_t a = neox ? off + size_t(i) : off + size_t(2 * i);
    size_t b = neox ? off + size_t(i + d / 2) : off + size_t(2 * i + 1);
    double x0 = v[a], x1 = v[b];
    v[a] = x0 * std::cos(th) - x1 * std::sin(th);
    v[b] = x0 * std::sin(th) + x1 * std::cos(th);
  }
}

// Logits of every position of `tokens`.
std::vector<std::vector<double>> reference_forward(const GgufFile& f, const std::vector<int32_t>& tokens) {
  std::string arch = f.architecture();
  bool qwen3 = arch == "qwen3";
  int n_layer = int(*f.get_u32(arch + ".block_count"));
  int d = int(*f.get_u32(arch + ".embedding_length"));
  int n_head = int(*f.get_u32(arch + ".attention.head_count"));
  int n_kv = int(*f.get_u32(arch + ".attention.head_count_kv"));
  int hd = int(*f.get_u32(arch + ".attention.key_length"));
  double eps = *f.get_f32(arch + ".attention.layer_norm_rms_epsilon");
  double base = *f.get_f32(arch + ".rope.freq_base");
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
    RefTensor wq = load(f, p + "attn_q.weight"), wk = load(f, p + "attn_k.weight"), wv = load(f, p + "attn_v.weight");
    RefTensor wo = load(f, p + "attn_output.weight"), wg = load(f, p + "ffn_gate.weight");
    RefTensor wu = load(f, p + "ffn_up.weight"), wd = load(f, p + "ffn_down.weight");
    std::vector<std::vector<double>> Q(T), K(T), V(T);
    for (size_t t = 0; t < T; ++t) {
      std::vector<double> h = x[t];
      rmsnorm(h, 0, size_t(d), an.w, eps);
      Q[t] = matvec(wq, h);
      K[t] = matvec(wk, h);
      V[t] = matvec(wv, h);
      for (int hh = 0; hh < n_head; ++hh) {
        if (qwen3) rmsnorm(Q[t], size_t(hh * hd), size_t(hd), load(f, p + "attn_q_norm.weight").w, eps);
        rope(Q[t], size_t(hh * hd), hd, int(t), base, qwen3);
      }
      for (int hh = 0; hh < n_kv; ++hh) {
        if (qwen3) rmsnorm(K[t], size_t(hh * hd), size_t(hd), load(f, p + "attn_k_norm.weight").w, eps);
        rope(K[t], size_t(hh * hd), hd, int(t), base, qwen3);
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
  if (::veil::engine_test::kSanitizedBuild && name != "llama_f32" && name != "llama_q4_k" && name != "qwen3_q8_0") {
    GTEST_SKIP() << "covered by the Release build";
  }
  SynthOptions o;
  o.arch = c.arch;
  o.shape = "tiny";
  o.type = *tensor_type_from_name(c.type);
  o.vocab_path = test::shared_path("models/stories260K.gguf");  // 512 tokens keeps the reference fast
  o.seed = 7;
  std::string path = ::testing::TempDir() + "veil-synth-" + std::to_string(getpid()) + "-" + c.arch + "-" + c.type + ".gguf";
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

// Tolerances on the RMS of |dlogit| / std(logits) (max: 5x): F32 only float rounding; F16/BF16
// round activations like ggml (2^-11, 2^-8 relative); Q types quantize activations to 8 bits per
// block (~1/254 of the block's largest value per element). A wrong layout or formula gives ~1.
INSTANTIATE_TEST_SUITE_P(Types, SynthForward,
                         ::testing::Values(Case{"llama", "f32", 1e-4}, Case{"llama", "f16", 2e-3}, Case{"llama", "bf16", 1e-2},
                                           Case{"llama", "q8_0", 2e-2}, Case{"llama", "q4_0", 2e-2},
                                           Case{"llama", "q4_k", 2e-2}, Case{"llama", "q5_k", 2e-2},
                                           Case{"llama", "q6_k", 2e-2}, Case{"qwen3", "f32", 1e-4},
                                           Case{"qwen3", "q8_0", 2e-2}, Case{"qwen3", "q4_k", 2e-2}),
                         [](const auto& info) { return std::string(info.param.arch) + "_" + info.param.type; });

}  // namespace
}  // namespace veil::engine
