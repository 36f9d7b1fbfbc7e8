// Arbitrary text through both tokenizer kinds: encode and decode never crash,
// every id is in range, and decode(encode(x)) == x wherever the tokenizer
// guarantees it (valid UTF-8, special tokens not parsed; SPM: no literal ▁).
//
// Input: byte 0 picks the tokenizer and flags, the rest is the text. The real
// vocabularies come from $VEIL_SHARED/models (Llama-2 SPM, Qwen3 BPE); without
// them two small built-in vocabularies are used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "veil/engine/gguf.h"
#include "veil/engine/tokenizer.h"
#include "veil/engine/unicode.h"

namespace {

using veil::engine::GgufFile;
using veil::engine::Tokenizer;
using veil::engine::TokenType;
using veil::engine::VocabData;

struct Loaded {
  std::unique_ptr<GgufFile> file;
  std::unique_ptr<Tokenizer> tokenizer;
};

std::unique_ptr<Tokenizer> fallback(bool spm) {
  VocabData v;
  if (spm) {
    v.model = "llama";
    v.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "a"};
    v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal,
               TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal,  TokenType::kNormal};
    v.scores = {0, 0, 0, -1, -1, -1, -2, -3};
    for (int b = 0; b < 256; ++b) {
      static const char* hex = "0123456789ABCDEF";
      v.tokens.push_back(std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">");
      v.types.push_back(TokenType::kByte);
      v.scores.push_back(0);
    }
  } else {
    v.model = "gpt2";
    v.pre = "qwen2";
    for (int b = 0; b < 256; ++b) {
      std::string t;
      veil::engine::append_utf8(t, veil::engine::byte_to_unicode(uint8_t(b)));
      v.tokens.push_back(t);
    }
    v.tokens.push_back("ab");
    v.tokens.push_back("<|end|>");
    v.types.assign(v.tokens.size(), TokenType::kNormal);
    v.types.back() = TokenType::kControl;
    v.merges = {"a b"};
  }
  auto t = Tokenizer::from_vocab(std::move(v));
  if (!t.ok()) std::abort();
  return std::move(*t);
}

Loaded load(const char* file, bool spm) {
  Loaded l;
  if (const char* dir = std::getenv("VEIL_SHARED"); dir && *dir) {
    auto f = GgufFile::open(std::string(dir) + "/models/" + file);
    if (f.ok()) {
      auto t = Tokenizer::from_gguf(**f);
      if (t.ok()) {
        l.tokenizer = std::move(*t);
        l.file = std::move(*f);
      }
    }
  }
  if (!l.tokenizer) l.tokenizer = fallback(spm);
  return l;
}

bool valid_utf8(std::string_view s) {
  std::string again;
  for (uint32_t cp : veil::engine::utf8_to_code_points(s)) veil::engine::append_utf8(again, cp);
  return again == s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Loaded spm = load("llama-2-tiny-random.gguf", true);
  static const Loaded bpe = load("qwen3-vocab-only.gguf", false);
  if (size == 0) return 0;
  const bool use_spm = data[0] & 1;
  const bool add_bos = data[0] & 2;
  const bool parse_special = data[0] & 4;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Tokenizer& tok = *(use_spm ? spm : bpe).tokenizer;

  const std::vector<int32_t> ids = tok.encode(text, add_bos, parse_special);
  std::string pieces;
  for (int32_t id : ids) {
    if (id < 0 || id >= tok.n_vocab()) std::abort();
    pieces += tok.token_piece(id);
  }
  // The round trip is about the text: a BOS the encoder put in front is not
  // part of it (the small fallback vocabularies have no control BOS, so decode
  // would print it as text).
  std::vector<int32_t> text_ids = ids;
  if (add_bos && !text_ids.empty() && text_ids.front() == tok.bos()) text_ids.erase(text_ids.begin());
  const std::string decoded = tok.decode(text_ids);

  if (!parse_special && valid_utf8(text)) {
    const bool guaranteed = !use_spm || text.find("\xE2\x96\x81") == std::string::npos;
    if (guaranteed && decoded != text) std::abort();
  }
  return 0;
}
