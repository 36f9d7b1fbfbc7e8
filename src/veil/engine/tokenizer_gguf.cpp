// Reading a tokenizer from GGUF metadata (llama.cpp's `tokenizer.ggml.*` keys).
#include <climits>

#include "veil/engine/gguf.h"
#include "veil/engine/tokenizer.h"

namespace veil::engine {

namespace {

Result<std::optional<int32_t>> optional_id(const GgufFile& file, std::string_view key) {
  if (!file.has(key)) return std::optional<int32_t>();
  auto id = file.get_i64(key);
  if (!id.ok()) return id.error();
  // Out-of-range ids are ignored later, as llama.cpp ignores them.
  if (*id < INT32_MIN || *id > INT32_MAX) return std::optional<int32_t>();
  return std::optional<int32_t>(int32_t(*id));
}

Result<std::optional<bool>> optional_bool(const GgufFile& file, std::string_view key) {
  if (!file.has(key)) return std::optional<bool>();
  auto b = file.get_bool(key);
  if (!b.ok()) return b.error();
  return std::optional<bool>(*b);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const GgufFile& file) {
  VocabData v;
  if (!file.has("tokenizer.ggml.model")) return make_error("engine.tokenizer", "the file has no tokenizer");
  VEIL_ASSIGN_OR_RETURN(v.model, file.get_string("tokenizer.ggml.model"));
  VEIL_ASSIGN_OR_RETURN(v.pre, file.get_string_or("tokenizer.ggml.pre", ""));
  VEIL_ASSIGN_OR_RETURN(v.tokens, file.get_string_array("tokenizer.ggml.tokens"));
  if (file.has("tokenizer.ggml.scores")) {
    VEIL_ASSIGN_OR_RETURN(v.scores, file.get_float_array("tokenizer.ggml.scores"));
  }
  if (file.has("tokenizer.ggml.token_type")) {
    VEIL_ASSIGN_OR_RETURN(auto types, file.get_int_array("tokenizer.ggml.token_type"));
    v.types.reserve(types.size());
    for (int64_t t : types) {
      v.types.push_back(t >= 0 && t <= int64_t(TokenType::kByte) ? TokenType(t) : TokenType::kUndefined);
    }
  }
  if (file.has("tokenizer.ggml.merges")) {
    VEIL_ASSIGN_OR_RETURN(v.merges, file.get_string_array("tokenizer.ggml.merges"));
  }
  VEIL_ASSIGN_OR_RETURN(v.bos, optional_id(file, "tokenizer.ggml.bos_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.eos, optional_id(file, "tokenizer.ggml.eos_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.eot, optional_id(file, "tokenizer.ggml.eot_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.eom, optional_id(file, "tokenizer.ggml.eom_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.unk, optional_id(file, "tokenizer.ggml.unknown_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.pad, optional_id(file, "tokenizer.ggml.padding_token_id"));
  // Sic: llama.cpp's key is spelled "seperator".
  VEIL_ASSIGN_OR_RETURN(v.sep, optional_id(file, "tokenizer.ggml.seperator_token_id"));
  VEIL_ASSIGN_OR_RETURN(v.add_bos, optional_bool(file, "tokenizer.ggml.add_bos_token"));
  VEIL_ASSIGN_OR_RETURN(v.add_eos, optional_bool(file, "tokenizer.ggml.add_eos_token"));
  VEIL_ASSIGN_OR_RETURN(v.add_space_prefix, optional_bool(file, "tokenizer.ggml.add_space_prefix"));
  return from_vocab(std::move(v));
}

}  // namespace veil::engine
