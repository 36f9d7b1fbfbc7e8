// Private to the tokenizer implementation (tokenizer*.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "veil/engine/tokenizer.h"

namespace veil::engine::detail {

// Pre-tokenizers of byte-level BPE vocabularies, by llama.cpp's names for
// `tokenizer.ggml.pre`. Each is the HF tokenizer's split regex, implemented by
// hand over Unicode categories (see tokenizer_pretokenize.cpp).
enum class PreTokenizer {
  kDefault,  // "default": llama.cpp's fallback chain of four regexes
  kGpt2,     // GPT-2's regex
  kLlama3,   // Llama 3: contractions, letters, \p{N}{1,3}, ...
  kQwen2,    // Qwen2/Qwen3: as Llama 3 but one digit per word
};

std::optional<PreTokenizer> pre_tokenizer_from_name(std::string_view name);

// Splits a text (as code points) into words. Returns each word's length in
// code points; the lengths sum to cpts.size().
std::vector<size_t> pre_tokenize(PreTokenizer pre, const std::vector<uint32_t>& cpts);

// Key of a gpt2 merge rule in Tokenizer::Impl::merge_ranks. Byte-level tokens
// never contain a NUL (byte 0 maps to U+0100), so the key is unambiguous.
inline std::string merge_key(std::string_view left, std::string_view right) {
  std::string key;
  key.reserve(left.size() + 1 + right.size());
  key.append(left);
  key.push_back('\0');
  key.append(right);
  return key;
}

}  // namespace veil::engine::detail

namespace veil::engine {

struct Tokenizer::Impl {
  enum class Kind { kSpm, kBpe };
  Kind kind = Kind::kSpm;
  std::string model_name;
  detail::PreTokenizer pre = detail::PreTokenizer::kDefault;

  std::vector<std::string> tokens;
  std::vector<float> scores;      // one per token (0 when absent)
  std::vector<TokenType> types;   // one per token
  std::vector<std::string> pieces;  // token_piece() of each token, precomputed
  // Stored text -> id (the last id wins for a duplicated text, as llama.cpp).
  std::unordered_map<std::string_view, int32_t> ids;
  // gpt2 merges: "left\0right" -> rank (the first occurrence wins).
  std::unordered_map<std::string, int32_t> merge_ranks;
  // Control, user-defined and unknown tokens, longest text first: the order in
  // which they are cut out of the text before tokenizing the rest.
  std::vector<int32_t> special_tokens;
  // SPM byte fallback: the id of <0xNN> (or of the one-byte token), -1 if none.
  int32_t byte_tokens[256];

  int32_t bos = -1, eos = -1, unk = -1;
  std::vector<int32_t> end_of_generation;  // sorted
  bool add_bos = false;
  bool add_space_prefix = false;
  bool ignore_merges = false;  // Llama 3: a word that is a token is not merged

  int32_t find(std::string_view text) const {
    auto it = ids.find(text);
    return it == ids.end() ? -1 : it->second;
  }
  int32_t n_tokens() const { return int32_t(tokens.size()); }

  // SentencePiece BPE over one text fragment (spaces already escaped to ▁).
  void spm_encode(std::string_view text, std::vector<int32_t>& out) const;
  // Byte-level BPE over one text fragment (pre-tokenized inside).
  void bpe_encode(std::string_view text, std::vector<int32_t>& out) const;
};

}  // namespace veil::engine
