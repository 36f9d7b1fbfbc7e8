// `veil model complete`: one text completion with the built-in engine, no server, what
// /v1/completions would return for the same prompt (no chat template; BOS as the model's
// add_bos_token says; the text is the generated tokens' pieces). For trying a model and for
// comparing the engine's output with llama.cpp's (scripts/compare-llama-cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace veil::cli {

struct CompleteOptions {
  std::string model_path;
  std::string prompt;
  int max_tokens = 128;
  float temperature = 0.0f;  // greedy by default: reproducible
  std::optional<uint64_t> seed;
  int threads = 0;
  int ctx = 4096;
  bool flash_attn_numerics = false;
  bool json = false;  // {"text", "token_ids", "prompt_tokens", "finish_reason"} instead of streamed text
};

// Returns the process exit code; errors are printed to stderr.
int complete_text(const CompleteOptions& o);

}  // namespace veil::cli
