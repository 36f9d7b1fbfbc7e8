// Synthetic GGUF models: a real architecture's shape and metadata with random weights, and the
// tokenizer (every tokenizer.* key) copied from an existing GGUF. For tests and benchmarks; the
// text such a model writes is meaningless.
#pragma once

#include <cstdint>
#include <string>

#include "veil/base/result.h"
#include "veil/engine/gguf.h"

namespace veil::engine {

struct SynthOptions {
  std::string arch = "qwen3";  // qwen3 | qwen2 | llama
  std::string shape = "tiny";  // qwen3-0.6b | qwen2.5-0.5b | llama-1.1b | tiny
  TensorType type = TensorType::q8_0;
  std::string vocab_path;  // GGUF whose tokenizer is copied
  uint64_t seed = 1;
  // Rope scaling metadata (for tests): rope_scaling "" (none), "linear" or "yarn" with
  // rope.scaling.factor and, for YaRN, rope.scaling.original_context_length; rope_freqs adds a
  // Llama 3 style rope_freqs.weight (per-pair divisors rising from 1 to 8).
  std::string rope_scaling;
  float rope_scaling_factor = 1.f;
  uint32_t rope_original_context = 0;
  bool rope_freqs = false;
};

// Writes the model to `out_path`.
Status synthesize_model(const SynthOptions& options, const std::string& out_path);

}  // namespace veil::engine
