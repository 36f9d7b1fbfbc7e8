// Tokenizers read from a GGUF file's `tokenizer.ggml.*` metadata.
//
// Two models are supported, as llama.cpp names them in `tokenizer.ggml.model`:
//  - "llama": SentencePiece-style BPE driven by per-token scores, with byte
//    fallback (<0xNN> tokens) and the "▁" (U+2581) space marker;
//  - "gpt2":  GPT-2 byte-level BPE driven by merge ranks, with a pre-tokenizer
//    chosen by `tokenizer.ggml.pre` ("default"/"gpt2", "llama3"/"llama-bpe",
//    "qwen2", ...).
// Token ids are int32 indices into the GGUF's `tokenizer.ggml.tokens`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "veil/base/result.h"

namespace veil::engine {

class GgufFile;

// Token attributes as GGUF `tokenizer.ggml.token_type` stores them (llama.cpp's
// llama_token_type enumeration).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// The vocabulary as plain data: what from_gguf reads, and what tests or the
// model synthesizer can build directly.
struct VocabData {
  std::string model;                    // "llama" | "gpt2"
  std::string pre;                      // pre-tokenizer name ("" = default)
  std::vector<std::string> tokens;      // token text as stored (SPM: with ▁; BPE: byte-to-unicode mapped)
  std::vector<float> scores;            // SPM merge scores (may be empty for gpt2)
  std::vector<TokenType> types;         // may be empty: all kNormal
  std::vector<std::string> merges;      // gpt2: "left right" in rank order
  std::optional<int32_t> bos, eos, eot, eom, unk, pad, sep;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

class Tokenizer {
 public:
  // Reads `tokenizer.ggml.*` metadata. Errors: "engine.tokenizer" for missing
  // or inconsistent metadata, "engine.unsupported_tokenizer" for a model or
  // pre-tokenizer this implementation does not know.
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const GgufFile& file);
  static Result<std::unique_ptr<Tokenizer>> from_vocab(VocabData vocab);

  virtual ~Tokenizer();

  // Tokenizes text. add_bos prepends BOS (the caller decides, usually from
  // add_bos()). With parse_special, the text of control and user-defined
  // tokens ("<|im_start|>", "<s>") becomes that token; without it such text is
  // tokenized as ordinary characters.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special) const;

  // The raw bytes a token stands for: SPM "▁" becomes a space and <0xNN>
  // becomes byte NN; BPE tokens are mapped back from byte-to-unicode. Control
  // tokens yield their text (e.g. "<|im_end|>"). Out-of-range ids yield "".
  // A piece may be an incomplete UTF-8 sequence.
  std::string token_piece(int32_t id) const;

  // What a generated token adds to the output text, as llama.cpp renders it without --special
  // (llama-server's default): its piece, but nothing for control and unused tokens (a BOS a
  // model emits mid-text is not "<s>" in the answer) and U+2585 for SentencePiece's unknown token.
  // User-defined tokens such as Qwen3's <think> keep their text.
  std::string output_piece(int32_t id) const;

  // Concatenated pieces, except: control tokens (BOS/EOS...) are omitted, and
  // for SPM with add_space_prefix the single leading space of the first piece
  // is dropped, as SentencePiece decoding does.
  std::string decode(std::span<const int32_t> ids) const;

  int32_t bos() const;
  int32_t eos() const;
  // End of generation: eos, eot, eom, and tokens such as <|im_end|>,
  // <|eot_id|>, <|endoftext|>, <end_of_turn> present in the vocabulary.
  bool is_eog(int32_t id) const;
  bool add_bos() const;
  int32_t n_vocab() const;
  // The id whose stored text is exactly `piece` (as stored: "▁the", "<|im_end|>").
  std::optional<int32_t> find_token(std::string_view piece) const;
  // "llama" or "gpt2".
  const std::string& model() const;
  TokenType token_type(int32_t id) const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace veil::engine
