#include "veil/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace veil::engine {

Sampler::Sampler(const SamplingParams& params, int n_vocab, uint64_t seed)
    : p_(params), n_vocab_(n_vocab), rng_(params.seed.value_or(seed)) {}

SampleResult Sampler::sample(const float* logits, std::span<const int32_t> history) {
  const int n = n_vocab_;
  SampleResult res;
  // Log-probabilities reported to the client come from the model's own distribution.
  float mx = *std::max_element(logits, logits + n);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(double(logits[i] - mx));
  const float log_z = mx + float(std::log(sum));

  work_.assign(logits, logits + n);
  for (const auto& [id, bias] : p_.logit_bias) {
    if (id >= 0 && id < n) work_[size_t(id)] += bias;
  }
  // Penalties over the recent window (llama.cpp's penalties sampler).
  bool penalties = p_.repetition_penalty != 1.0f || p_.presence_penalty != 0.0f || p_.frequency_penalty != 0.0f;
  if (penalties && !history.empty()) {
    counts_.assign(size_t(n), 0);
    size_t start = history.size() > size_t(kPenaltyWindow) ? history.size() - kPenaltyWindow : 0;
    for (size_t i = start; i < history.size(); ++i) {
      if (history[i] >= 0 && history[i] < n) ++counts_[size_t(history[i])];
    }
    for (size_t i = start; i < history.size(); ++i) {
      int32_t id = history[i];
      if (id < 0 || id >= n || counts_[size_t(id)] == 0) continue;
      float& l = work_[size_t(id)];
      int c = counts_[size_t(id)];
      l = l > 0 ? l / p_.repetition_penalty : l * p_.repetition_penalty;
      l -= float(c) * p_.frequency_penalty + p_.presence_penalty;
      counts_[size_t(id)] = 0;  // each distinct token once
    }
  }

  if (p_.temperature <= 0.0f) {
    res.token = int32_t(std::max_element(work_.begin(), work_.end()) - work_.begin());
  } else {
    // Candidates: everything within e^-40 of the best (the rest cannot be drawn in float).
    float wmx = *std::max_element(work_.begin(), work_.end());
    cand_.clear();
    for (int i = 0; i < n; ++i) {
      if (work_[size_t(i)] >= wmx - 40.0f) cand_.emplace_back(work_[size_t(i)], i);
    }
    std::sort(cand_.begin(), cand_.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    size_t keep = cand_.size();
    if (p_.top_k > 0) keep = std::min(keep, size_t(p_.top_k));
    // top-p and min-p on the softmax of the kept candidates (before temperature, as llama.cpp).
    std::vector<double>& probs = probs_;
    probs.assign(keep, 0.0);
    double s = 0;
    for (size_t i = 0; i < keep; ++i) s += probs[i] = std::exp(double(cand_[i].first - cand_[0].first));
    if (p_.top_p < 1.0f) {
      double acc = 0;
      for (size_t i = 0; i < keep; ++i) {
        acc += probs[i] / s;
        if (acc >= p_.top_p) {
          keep = i + 1;
          break;
        }
      }
    }
    if (p_.min_p > 0.0f) {
      size_t k = 1;
      while (k < keep && probs[k] >= p_.min_p * probs[0]) ++k;
      keep = k;
    }
    // Temperature, then draw.
    double total = 0;
    for (size_t i = 0; i < keep; ++i) {
      probs[i] = std::exp(double(cand_[i].first - cand_[0].first) / p_.temperature);
      total += probs[i];
    }
    // 53 random bits -> [0, 1): identical across standard libraries.
    double u = double(rng_() >> 11) * (1.0 / 9007199254740992.0) * total;
    size_t pick = keep - 1;
    for (size_t i = 0; i < keep; ++i) {
      if (u < probs[i]) {
        pick = i;
        break;
      }
      u -= probs[i];
    }
    res.token = cand_[pick].second;
  }
  res.logprob = logits[res.token] - log_z;
  if (p_.top_logprobs > 0) {
    int k = std::min(p_.top_logprobs, n);
    std::vector<std::pair<float, int32_t>>& best = best_;
    best.clear();
    best.reserve(size_t(k) + 1);
    for (int i = 0; i < n; ++i) {
      if (int(best.size()) < k || logits[i] > best.back().first) {
        auto it = std::upper_bound(best.begin(), best.end(), std::make_pair(logits[i], i),
                                   [](const auto& a, const auto& b) { return a.first > b.first; });
        best.insert(it, {logits[i], i});
        if (int(best.size()) > k) best.pop_back();
      }
    }
    for (const auto& [l, id] : best) res.top.emplace_back(id, l - log_z);
  }
  return res;
}

}  // namespace veil::engine
