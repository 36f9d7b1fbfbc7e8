// The built-in CPU inference engine: the facade the node's `builtin` backend uses.
//
// An Engine owns one loaded GGUF model, its tokenizer, a KV cache with `max_sequences` slots and a
// scheduler thread that batches every active generation into one forward step (continuous batching).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "veil/base/result.h"

namespace veil::engine {

struct ChatMessage {
  std::string role;
  std::string content;
};

struct SamplingParams {
  float temperature = 1.0f;  // 0 = greedy
  float top_p = 1.0f;
  int top_k = 0;  // 0 = off
  float min_p = 0.0f;
  std::optional<uint64_t> seed;  // set: reproducible sampling
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  std::vector<std::string> stop;
  int max_tokens = -1;  // -1: until EOS or context end
  std::vector<std::pair<int32_t, float>> logit_bias;
  int top_logprobs = 0;  // 0 = none
};

struct TokenEvent {
  // UTF-8-complete piece(s) since the last event (never a split code point; text that could begin a
  // stop string is withheld until resolved).
  std::string text;
  int32_t token = -1;
  float logprob = 0;
  std::vector<std::pair<std::string, float>> top_logprobs;
  bool done = false;
  std::string finish_reason;  // "stop" | "length" (on done)
  int prompt_tokens = 0;
  int completion_tokens = 0;
};

struct ModelInfo {
  std::string arch;
  std::string name;
  int n_ctx_train = 0;
  int n_ctx = 0;
  int n_vocab = 0;
  int n_embd = 0;
  bool has_chat_template = false;
  bool add_bos_token = false;  // tokenizer.ggml.add_bos_token: prompts start with BOS
  std::string chat_template;
  enum class Kind { generative, embedding, reranker } kind = Kind::generative;
  std::string sha256_hex;
  uint64_t file_bytes = 0;
};

struct EngineOptions {
  int threads = 0;  // 0 = all cores
  int n_ctx = 4096;  // per sequence; clamped to the model's training context
  int max_sequences = 8;
  std::optional<std::string> chat_template_override;
  std::string expected_sha256_hex;  // empty = compute; set = trusted (and not recomputed)
  bool kv_cache_f32 = false;        // F16 KV cache by default, as llama.cpp
  // Attention rounds as llama.cpp's CPU flash attention (-fa on) instead of its matmul path (-fa
  // off, the default, as the reference outputs were made). Per-position scalar code: slow on large
  // models; for comparisons with llama.cpp (`veil model complete --flash-attn-numerics`).
  bool flash_attn_numerics = false;
};

class Generation {
 public:
  virtual ~Generation();
  // The client went away: stops the generation and frees its sequence slot. No further events
  // are delivered after cancel() returns... except one that is already running.
  virtual void cancel() = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> load(const std::string& gguf_path, const EngineOptions&);
  virtual ~Engine();

  virtual const ModelInfo& info() const = 0;
  // Renders the model's chat template (or the override).
  virtual Result<std::string> render_chat(const std::vector<ChatMessage>&,
                                          bool add_generation_prompt = true) const = 0;
  virtual Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_bos,
                                                bool parse_special) const = 0;
  // Queues a generation on the engine's scheduler (continuous batching); on_event runs on an
  // engine thread, must not block long; returning false cancels. The final event has done=true.
  // Errors (prompt too long for the context, ...) come back as Result errors.
  virtual Result<std::shared_ptr<Generation>> generate(
      std::vector<int32_t> prompt, const SamplingParams&,
      std::function<bool(const TokenEvent&)> on_event) = 0;
  // One vector per input, pooled as the metadata says, L2-normalized.
  virtual Result<std::vector<std::vector<float>>> embed(const std::vector<std::string>& inputs,
                                                        int* prompt_tokens) = 0;
  // Qwen3-Reranker convention: P("yes") of the templated query-document pair, per document.
  virtual Result<std::vector<float>> rerank(std::string_view query,
                                            const std::vector<std::string>& documents,
                                            int* prompt_tokens) = 0;
  // KV cache bytes one sequence slot holds (n_ctx positions).
  virtual size_t kv_bytes_per_sequence() const = 0;
};

}  // namespace veil::engine
