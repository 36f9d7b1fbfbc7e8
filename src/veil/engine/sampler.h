// Token sampling: logit bias, repetition/presence/frequency penalties, then (as llama.cpp's
// default chain) top-k, top-p, min-p and temperature; greedy when temperature <= 0.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "veil/engine/engine.h"

namespace veil::engine {

struct SampleResult {
  int32_t token = -1;
  float logprob = 0;  // log-softmax of the unmodified logits
  std::vector<std::pair<int32_t, float>> top;  // top_logprobs entries, same distribution
};

class Sampler {
 public:
  // `seed` is used when params.seed is unset.
  Sampler(const SamplingParams& params, int n_vocab, uint64_t seed);

  // `history`: previous tokens (prompt + generated) for the penalties; only the last
  // kPenaltyWindow are considered, as llama.cpp's penalty_last_n = 64.
  // Scratch buffers are reused between calls (no allocation after the first).
  SampleResult sample(const float* logits, std::span<const int32_t> history);

  static constexpr int kPenaltyWindow = 64;

 private:
  SamplingParams p_;
  int n_vocab_;
  std::mt19937_64 rng_;
  std::vector<float> work_;
  std::vector<std::pair<float, int32_t>> cand_;
  std::vector<int32_t> counts_;
  std::vector<double> probs_;
  std::vector<std::pair<float, int32_t>> best_;
};

}  // namespace veil::engine
