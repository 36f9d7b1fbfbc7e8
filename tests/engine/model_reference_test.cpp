// The forward pass against llama.cpp's own outputs: stories260K (REFERENCE.json) and the tiny
// real-architecture files in models/ref (REFERENCE-tiny.json, tolerances from its SOURCES.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "support/shared_data.h"
#include "test_budget.h"
#include "veil/engine/model.h"

namespace veil::engine {
namespace {

namespace json = boost::json;

struct Runner {
  std::shared_ptr<const GgufFile> file;
  std::unique_ptr<Model> model;
  std::unique_ptr<KvCache> cache;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Forward> fwd;

  explicit Runner(const std::string& rel, bool kv_f32 = false, bool flash = false, int threads = 2) {
    auto f = GgufFile::open(test::shared_path(rel));
    EXPECT_TRUE(f.ok()) << f.error().to_string();
    if (!f.ok()) return;
    file = std::move(f).value();
    auto m = Model::load(file);
    EXPECT_TRUE(m.ok()) << m.error().to_string();
    if (!m.ok()) return;
    model = std::move(m).value();
    cache = std::make_unique<KvCache>(model->hparams(), KvCacheOptions{1, 256, kv_f32});
    pool = std::make_unique<ThreadPool>(threads);
    fwd = std::make_unique<Forward>(*model, *cache, *pool, 128);
    fwd->flash_attn_numerics = flash;
  }
  int vocab() const { return model->hparams().n_vocab; }

  // Log-softmax over the full vocabulary, in double.
  std::vector<double> log_softmax(const float* l) const {
    double mx = *std::max_element(l, l + vocab());
    double s = 0;
    for (int i = 0; i < vocab(); ++i) s += std::exp(double(l[i]) - mx);
    std::vector<double> lp(static_cast<size_t>(vocab()));
    for (int i = 0; i < vocab(); ++i) lp[size_t(i)] = double(l[i]) - mx - std::log(s);
    return lp;
  }

  // Teacher forcing as llama-server decodes: the prompt in one batch, then one token per step.
  // Rows for the last prompt position and each fed output token.
  std::vector<std::vector<double>> logprobs_as_server(const std::vector<int32_t>& prompt,
                                                      const std::vector<int32_t>& fed) {
    std::vector<std::vector<double>> out;
    std::vector<float> logits(static_cast<size_t>(vocab()));
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < prompt.size(); ++i)
      batch.push_back({prompt[i], int32_t(i), 0, i + 1 == prompt.size()});
    auto st = fwd->eval(batch, logits.data());
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    out.push_back(log_softmax(logits.data()));
    int32_t pos = int32_t(prompt.size());
    for (int32_t id : fed) {
      BatchToken bt{id, pos++, 0, true};
      st = fwd->eval(std::span<const BatchToken>(&bt, 1), logits.data());
      EXPECT_TRUE(st.ok()) << st.error().to_string();
      out.push_back(log_softmax(logits.data()));
    }
    return out;
  }
};

std::vector<int32_t> ids_of(const json::value& v) {
  std::vector<int32_t> out;
  for (const auto& x : v.as_array()) out.push_back(int32_t(x.to_number<int64_t>()));
  return out;
}

int argmax(const std::vector<double>& v) { return int(std::max_element(v.begin(), v.end()) - v.begin()); }

// Issue 3: the top-5 log-probabilities of every step within 1e-3 of llama.cpp's. This holds only
// because the engine adds up scores, softmax, value sums and F32 matmuls in ggml's order: the F16
// KV cache turns one-ulp differences into F16 rounding flips (the engine's own order drifted to
// 8e-3 from the 17th position on).
TEST(ModelReference, Stories260KTop5Within1e3AtEveryStep) {
  VEIL_REQUIRE_SHARED();
  auto ref = json::parse(test::read_shared_text("models/REFERENCE.json"));
  Runner r("models/stories260K.gguf");
  ASSERT_TRUE(r.fwd);
  for (const auto& c : ref.at("cases").as_array()) {
    auto prompt = ids_of(c.at("prompt_token_ids"));
    auto out = ids_of(c.at("output_token_ids"));
    auto lps = r.logprobs_as_server(prompt, std::vector<int32_t>(out.begin(), out.end() - 1));
    const auto& steps = c.at("top5_per_step").as_array();
    ASSERT_EQ(lps.size(), steps.size());
    double max_diff = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& top = steps[i].at("top").as_array();
      EXPECT_EQ(argmax(lps[i]), out[i]) << "step " << i;
      for (const auto& e : top) {
        int id = int(e.as_array()[0].to_number<int64_t>());
        double lp = e.as_array()[2].to_number<double>();
        max_diff = std::max(max_diff, std::fabs(lps[i][size_t(id)] - lp));
        EXPECT_NEAR(lps[i][size_t(id)], lp, 1e-3) << "step " << i << " id " << id;
      }
    }
    std::printf("[stories260K] max |dlogprob| over top-5: %.2e\n", max_diff);
  }
}

TEST(ModelReference, Stories260KGreedyReproducesTokenIds) {
  VEIL_REQUIRE_SHARED();
  auto ref = json::parse(test::read_shared_text("models/REFERENCE.json"));
  Runner r("models/stories260K.gguf");
  ASSERT_TRUE(r.fwd);
  for (const auto& c : ref.at("cases").as_array()) {
    auto prompt = ids_of(c.at("prompt_token_ids"));
    auto want = ids_of(c.at("output_token_ids"));
    // Prompt as one batch, then one token per step (as llama.cpp's server).
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < prompt.size(); ++i)
      batch.push_back({prompt[i], int32_t(i), 0, i + 1 == prompt.size()});
    std::vector<float> logits(size_t(r.vocab()));
    std::vector<int32_t> got;
    int pos = int(prompt.size());
    ASSERT_TRUE(r.fwd->eval(batch, logits.data()).ok());
    for (size_t s = 0; s < want.size(); ++s) {
      int32_t next = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      got.push_back(next);
      BatchToken bt{next, pos++, 0, true};
      ASSERT_TRUE(r.fwd->eval(std::span<const BatchToken>(&bt, 1), logits.data()).ok());
    }
    EXPECT_EQ(got, want);
  }
}

struct TinyTolerance {
  double max;
  double median;
};

TinyTolerance tolerance_for(const std::string& file) {
  // REFERENCE-tiny SOURCES.md §4, "Engine that reproduces ggml's numerics": F16 5e-2, BF16 0.15;
  // Q types: median <= 1e-3 and a loose max <= 1.0 (single rounding flips).
  if (file.find("bf16") != std::string::npos) return {0.15, 0.15};
  if (file.find("f16") != std::string::npos) return {5e-2, 5e-2};
  return {1.0, 1e-3};
}

std::vector<double> check_tiny_file(const std::string& name, bool kv_f32) {
  auto ref = json::parse(test::read_shared_text("models/ref/REFERENCE-tiny.json"));
  const auto& entry = ref.at("files").at(name);
  // These references were made with -fa off.
  Runner r("models/ref/" + name, kv_f32, /*flash=*/false);
  if (!r.fwd) return {};
  TinyTolerance tol = tolerance_for(name);
  std::vector<double> diffs;
  int top1_checked = 0;
  for (const auto& c : entry.at("cases").as_array()) {
    auto prompt = ids_of(c.at("prompt_token_ids"));
    auto out = ids_of(c.at("output_token_ids"));
    auto lps = r.logprobs_as_server(prompt, std::vector<int32_t>(out.begin(), out.end() - 1));
    const auto& steps = c.at("steps").as_array();
    for (size_t i = 0; i < steps.size() && i < lps.size(); ++i) {
      const auto& top = steps[i].at(kv_f32 ? "top5_kv_f32" : "top5").as_array();
      for (const auto& e : top) {
        int id = int(e.as_array()[0].to_number<int64_t>());
        double d = std::fabs(lps[i][size_t(id)] - e.as_array()[1].to_number<double>());
        diffs.push_back(d);
        if (std::getenv("VEIL_TEST_VERBOSE")) std::printf("  case step %zu id %d d %.2e\n", i, id, d);
        EXPECT_LE(d, tol.max) << name << " step " << i << " id " << id;
      }
      if (steps[i].at("margin").to_number<double>() > 0.1) {
        ++top1_checked;
        EXPECT_EQ(argmax(lps[i]), int(top[0].as_array()[0].to_number<int64_t>())) << name << " step " << i;
      }
    }
  }
  EXPECT_FALSE(diffs.empty());
  if (diffs.empty()) return {};
  std::vector<double> sorted = diffs;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted[sorted.size() / 2];
  // F16/BF16: every value within tolerance. Q types: the median over all files of a kind is
  // checked in QuantizedMedian (one early rounding flip shifts a whole case of one file).
  if (tol.median == tol.max) {
    EXPECT_LE(median, tol.median) << name;
  }
  if (kv_f32) {
    EXPECT_LE(median, tol.median) << name;
  }
  std::vector<double>& d = sorted;
  std::printf("[%s kv=%s] |dlogprob| median %.2e max %.2e over %zu (top-1 checked at %d steps)\n",
              name.c_str(), kv_f32 ? "f32" : "f16", median, d.back(), d.size(), top1_checked);
  return diffs;
}

class TinyRef : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyRef, MatchesLlamaCppF16Kv) {
  VEIL_REQUIRE_SHARED();
  check_tiny_file(GetParam(), false);
}
TEST_P(TinyRef, MatchesLlamaCppF32Kv) {
  VEIL_REQUIRE_SHARED();
  VEIL_SKIP_IN_SANITIZED_BUILD();
  check_tiny_file(GetParam(), true);
}

// With F16 weights llama.cpp rounds activations to F16 before each matmul; summing in ggml's order
// (vec_dot per token, tinyBLAS for the prompt) reproduces it to float rounding, where the engine's
// own order was 1.8e-2 away.
TEST(ModelReference, TinyQwen3F16MatchesLlamaCppWithin1e4) {
  VEIL_REQUIRE_SHARED();
  auto d = check_tiny_file("tiny-qwen3-f16.gguf", false);
  ASSERT_FALSE(d.empty());
  EXPECT_LE(*std::max_element(d.begin(), d.end()), 1e-4);
}

TEST(ModelReference, QuantizedMedianWithF16KvWithin1e3) {
  VEIL_REQUIRE_SHARED();
  VEIL_SKIP_IN_SANITIZED_BUILD();
  std::vector<double> all;
  for (const char* f : {"tiny-llama-q8_0.gguf", "tiny-llama-q4_0.gguf", "tiny-llama-q4_k.gguf",
                        "tiny-llama-q5_k.gguf", "tiny-llama-q6_k.gguf"}) {
    auto d = check_tiny_file(f, false);
    all.insert(all.end(), d.begin(), d.end());
  }
  ASSERT_EQ(all.size(), 5u * 160u);
  std::sort(all.begin(), all.end());
  EXPECT_LE(all[all.size() / 2], 1e-3);
  EXPECT_LE(all[all.size() * 3 / 4], 1e-3);
}

INSTANTIATE_TEST_SUITE_P(Files, TinyRef,
                         ::testing::Values("tiny-qwen3-f16.gguf", "tiny-llama-bf16.gguf",
                                           "tiny-llama-q8_0.gguf", "tiny-llama-q4_0.gguf",
                                           "tiny-llama-q4_k.gguf", "tiny-llama-q5_k.gguf",
                                           "tiny-llama-q6_k.gguf"));

}  // namespace
}  // namespace veil::engine
