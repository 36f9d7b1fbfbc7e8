// Tokenizer facade: vocabulary set-up, special-token parsing, pieces, decode.
// The two BPE algorithms live in tokenizer_spm.cpp and tokenizer_bpe.cpp.
#include "veil/engine/tokenizer.h"

#include <algorithm>
#include <climits>

#include "veil/engine/tokenizer_internal.h"
#include "veil/engine/unicode.h"

namespace veil::engine {

namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581 ▁, SentencePiece's space

// Texts llama.cpp treats as end-of-generation tokens whatever the metadata
// says (llama_vocab::load, "special_eog_ids"), including Qwen's FIM tokens.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>",      "<|im_end|>",    "<|end|>",         "<|return|>",    "<|call|>",
    "<end_of_turn>",   "<|endoftext|>", "<|eom_id|>",      "<EOT>",         "_<EOT>",
    "<|end_of_text|>", "<end_of_utterance>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
};

bool is_special_type(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

std::string escape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ') {
      out.append(kSpmSpace);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string unescape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kSpmSpace.size()) == kSpmSpace) {
      out.push_back(' ');
      i += kSpmSpace.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// "<0xNN>" -> NN, or -1.
int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = hex_value(text[3]);
  const int lo = hex_value(text[4]);
  return (hi < 0 || lo < 0) ? -1 : hi * 16 + lo;
}

std::string compute_piece(const Tokenizer::Impl& v, int32_t id) {
  const std::string& text = v.tokens[size_t(id)];
  switch (v.types[size_t(id)]) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return text;
    case TokenType::kNormal:
      if (v.kind == Tokenizer::Impl::Kind::kSpm) return unescape_spaces(text);
      {
        std::string out;
        for (uint32_t cp : utf8_to_code_points(text)) {
          const int byte = unicode_to_byte(cp);
          if (byte >= 0) {
            out.push_back(char(byte));
          } else {
            append_utf8(out, cp);  // outside the byte alphabet: keep as text
          }
        }
        return out;
      }
    case TokenType::kByte:
      if (v.kind == Tokenizer::Impl::Kind::kSpm) {
        const int byte = parse_byte_token(text);
        return byte < 0 ? std::string() : std::string(1, char(byte));
      }
      return {};
    default:  // unused / undefined: no text, as llama.cpp
      return {};
  }
}

// A stretch of the input: either raw text or an already-recognised token.
struct Fragment {
  int32_t token;  // -1 for raw text
  size_t offset;
  size_t length;
};

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(VocabData vocab) {
  auto v = std::make_unique<Impl>();
  v->model_name = vocab.model;
  if (vocab.model == "llama") {
    v->kind = Impl::Kind::kSpm;
  } else if (vocab.model == "gpt2") {
    v->kind = Impl::Kind::kBpe;
  } else {
    return make_error("engine.unsupported_tokenizer", "tokenizer model '" + vocab.model + "' is not supported");
  }
  const size_t n = vocab.tokens.size();
  if (n == 0) return make_error("engine.tokenizer", "the vocabulary has no tokens");
  if (n > size_t(INT32_MAX)) return make_error("engine.tokenizer", "the vocabulary is too large");
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return make_error("engine.tokenizer", "token scores and tokens differ in count");
  }
  if (!vocab.types.empty() && vocab.types.size() != n) {
    return make_error("engine.tokenizer", "token types and tokens differ in count");
  }
  v->tokens = std::move(vocab.tokens);
  v->scores = vocab.scores.empty() ? std::vector<float>(n, 0.0f) : std::move(vocab.scores);
  v->types = vocab.types.empty() ? std::vector<TokenType>(n, TokenType::kNormal) : std::move(vocab.types);
  for (TokenType& t : v->types) {
    if (int32_t(t) < 0 || int32_t(t) > int32_t(TokenType::kByte)) t = TokenType::kUndefined;
  }
  v->ids.reserve(n);
  for (size_t i = 0; i < n; ++i) v->ids.insert_or_assign(std::string_view(v->tokens[i]), int32_t(i));

  // Defaults by model, as llama.cpp's llama_vocab::load, then the metadata.
  int32_t bos, eos, unk = -1;
  if (v->kind == Impl::Kind::kSpm) {
    bos = 1, eos = 2, unk = 0;
    v->add_bos = true;
    v->add_space_prefix = true;
  } else {
    bos = 11, eos = 11;
    auto pre = detail::pre_tokenizer_from_name(vocab.pre);
    if (!pre) {
      return make_error("engine.unsupported_tokenizer", "pre-tokenizer '" + vocab.pre + "' is not supported");
    }
    v->pre = *pre;
    if (v->pre == detail::PreTokenizer::kLlama3) {
      v->ignore_merges = true;
      v->add_bos = true;
    }
    if (vocab.merges.empty()) return make_error("engine.tokenizer", "a gpt2 vocabulary needs merges");
    v->merge_ranks.reserve(vocab.merges.size());
    for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
      const std::string& rule = vocab.merges[rank];
      const size_t space = rule.find(' ', 1);
      if (space == std::string::npos) continue;
      v->merge_ranks.emplace(detail::merge_key(std::string_view(rule).substr(0, space),
                                               std::string_view(rule).substr(space + 1)),
                             int32_t(rank));
    }
  }
  auto valid = [n](std::optional<int32_t> id) { return id && *id >= 0 && size_t(*id) < n; };
  auto in_range = [n](int32_t id) { return id >= 0 && size_t(id) < n ? id : -1; };
  v->bos = valid(vocab.bos) ? *vocab.bos : in_range(bos);
  v->eos = valid(vocab.eos) ? *vocab.eos : in_range(eos);
  v->unk = valid(vocab.unk) ? *vocab.unk : in_range(unk);
  if (vocab.add_bos) v->add_bos = *vocab.add_bos;
  if (vocab.add_space_prefix) v->add_space_prefix = *vocab.add_space_prefix;

  // End of generation.
  for (auto id : {vocab.eos, vocab.eot, vocab.eom}) {
    if (valid(id)) v->end_of_generation.push_back(*id);
  }
  if (v->eos >= 0) v->end_of_generation.push_back(v->eos);
  for (std::string_view text : kEndOfGenerationTexts) {
    if (int32_t id = v->find(text); id >= 0) {
      v->end_of_generation.push_back(id);
      v->types[size_t(id)] = TokenType::kControl;  // llama.cpp forces these to control
    }
  }
  std::sort(v->end_of_generation.begin(), v->end_of_generation.end());
  v->end_of_generation.erase(std::unique(v->end_of_generation.begin(), v->end_of_generation.end()),
                             v->end_of_generation.end());

  for (size_t i = 0; i < n; ++i) {
    if (is_special_type(v->types[i]) && !v->tokens[i].empty()) v->special_tokens.push_back(int32_t(i));
  }
  std::stable_sort(v->special_tokens.begin(), v->special_tokens.end(), [&](int32_t a, int32_t b) {
    return v->tokens[size_t(a)].size() > v->tokens[size_t(b)].size();
  });

  for (int b = 0; b < 256; ++b) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char name[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    int32_t id = v->find(std::string_view(name, sizeof(name)));
    if (id < 0) {
      const char raw = char(b);
      id = v->find(std::string_view(&raw, 1));
    }
    v->byte_tokens[b] = id;
  }

  v->pieces.resize(n);
  for (size_t i = 0; i < n; ++i) v->pieces[i] = compute_piece(*v, int32_t(i));

  return std::unique_ptr<Tokenizer>(new Tokenizer(std::move(v)));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  const Impl& v = *impl_;
  std::vector<int32_t> out;
  if (add_bos && v.bos >= 0) out.push_back(v.bos);
  if (text.empty()) return out;

  // Cut special tokens out of the text, longest first (llama.cpp's
  // tokenizer_st_partition). User-defined tokens are always recognised;
  // control and unknown tokens only with parse_special.
  std::vector<Fragment> fragments{{-1, 0, text.size()}};
  std::vector<Fragment> next;
  for (int32_t id : v.special_tokens) {
    if (!parse_special && v.types[size_t(id)] != TokenType::kUserDefined) continue;
    const std::string& special = v.tokens[size_t(id)];
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      const std::string_view raw = text.substr(f.offset, f.length);
      size_t pos = 0;
      for (size_t hit; (hit = raw.find(special, pos)) != std::string_view::npos; pos = hit + special.size()) {
        if (hit > pos) next.push_back({-1, f.offset + pos, hit - pos});
        next.push_back({id, 0, 0});
      }
      if (pos < raw.size()) next.push_back({-1, f.offset + pos, raw.size() - pos});
    }
    fragments.swap(next);
  }

  bool after_special = true;  // SPM: prefix a space to text at the start or after a special token
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
      continue;
    }
    const std::string_view raw = text.substr(f.offset, f.length);
    if (v.kind == Impl::Kind::kSpm) {
      std::string prefixed;
      if (v.add_space_prefix && after_special) prefixed = " ";
      prefixed.append(raw);
      v.spm_encode(escape_spaces(prefixed), out);
      after_special = false;
    } else {
      v.bpe_encode(raw, out);
    }
  }
  return out;
}

std::string Tokenizer::token_piece(int32_t id) const {
  if (id < 0 || id >= impl_->n_tokens()) return {};
  return impl_->pieces[size_t(id)];
}

std::string Tokenizer::output_piece(int32_t id) const {
  if (id < 0 || id >= impl_->n_tokens()) return {};
  switch (impl_->types[size_t(id)]) {
    case TokenType::kControl:
    case TokenType::kUnused:
      return {};
    case TokenType::kUnknown:
      return impl_->kind == Impl::Kind::kSpm ? "\xe2\x96\x85" : std::string();
    default:
      return impl_->pieces[size_t(id)];
  }
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  const Impl& v = *impl_;
  std::string out;
  bool strip_space = v.kind == Impl::Kind::kSpm && v.add_space_prefix;
  for (int32_t id : ids) {
    if (id < 0 || id >= v.n_tokens()) continue;
    const TokenType type = v.types[size_t(id)];
    if (type == TokenType::kControl || type == TokenType::kUnknown) continue;
    std::string_view piece = v.pieces[size_t(id)];
    if (strip_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    strip_space = false;
    out.append(piece);
  }
  return out;
}

int32_t Tokenizer::bos() const { return impl_->bos; }
int32_t Tokenizer::eos() const { return impl_->eos; }
bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(impl_->end_of_generation.begin(), impl_->end_of_generation.end(), id);
}
bool Tokenizer::add_bos() const { return impl_->add_bos; }
int32_t Tokenizer::n_vocab() const { return impl_->n_tokens(); }
std::optional<int32_t> Tokenizer::find_token(std::string_view piece) const {
  const int32_t id = impl_->find(piece);
  if (id < 0) return std::nullopt;
  return id;
}
const std::string& Tokenizer::model() const { return impl_->model_name; }
TokenType Tokenizer::token_type(int32_t id) const {
  if (id < 0 || id >= impl_->n_tokens()) return TokenType::kUndefined;
  return impl_->types[size_t(id)];
}

}  // namespace veil::engine
