// Tokenizer behaviour beyond llama.cpp's vectors: round trips, special
// tokens, pieces, end-of-generation ids, pre-tokenizer splits and bad
// vocabularies.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "tokenizer_test_support.h"
#include "veil/base/encoding.h"
#include "veil/engine/tokenizer_internal.h"
#include "veil/engine/unicode.h"

namespace veil::engine {
namespace {

const char* kSpmModel = "llama-2-tiny-random.gguf";
const char* kQwenModel = "qwen3-vocab-only.gguf";

const std::vector<std::string>& sample_texts() {
  static const std::vector<std::string> texts = {
      "Hello world",
      " leading space",
      "  two leading spaces and trailing  ",
      "line one\nline two\r\n\n\ttabbed",
      "numbers 1234567890 and 3.14159",
      "Ünïcödé: héllo wörld, привет мир, 你好，世界, こんにちは",
      "emoji 🦙🚀 family 👨‍👩‍👧 flag 🇫🇷",
      "symbols <>{}[]()!@#$%^&*_+=-~`|\\/?.,;:'\"",
      "contractions: I'm, you're, he'll, we've, they'd, it's, DON'T",
      "\xE2\x80\x8B zero width, \xC2\xA0 nbsp, \xE3\x80\x80 ideographic space",
      "Arabic digits ٠١٢٣ and Devanagari ०१२",
      "<s> </s> <unk> <|im_start|> look like special tokens",
      "a",
      "\n",
  };
  return texts;
}

std::string random_utf8(std::mt19937& rng, size_t n_chars) {
  std::string s;
  std::uniform_int_distribution<int> kind(0, 9);
  for (size_t i = 0; i < n_chars; ++i) {
    uint32_t cp;
    switch (kind(rng)) {
      case 0: cp = std::uniform_int_distribution<uint32_t>(0x80, 0x7FF)(rng); break;
      case 1: cp = std::uniform_int_distribution<uint32_t>(0x800, 0xFFFF)(rng); break;
      case 2: cp = std::uniform_int_distribution<uint32_t>(0x10000, 0x10FFFF)(rng); break;
      case 3: cp = " \t\n\r"[rng() % 4]; break;
      default: cp = std::uniform_int_distribution<uint32_t>(0x20, 0x7E)(rng); break;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';  // surrogates are not UTF-8 text
    append_utf8(s, cp);
  }
  return s;
}

TEST(TokenizerRoundTrip, SpmSamplesAndRandomBytes) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kSpmModel);
  ASSERT_NE(tok, nullptr);
  for (const auto& text : sample_texts()) {
    const auto ids = tok->encode(text, /*add_bos=*/true, /*parse_special=*/false);
    ASSERT_FALSE(ids.empty());
    EXPECT_EQ(ids.front(), tok->bos());
    EXPECT_EQ(tok->decode(ids), text);
  }
  // Any valid UTF-8 except the ▁ character itself (it stands for a space).
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    const std::string text = random_utf8(rng, rng() % 40);
    if (text.find("\xE2\x96\x81") != std::string::npos) continue;
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text) << "case " << i;
  }
  // Byte fallback reproduces invalid UTF-8 too, as long as no malformed
  // sequence swallows an (escaped) space, as in llama.cpp.
  for (int i = 0; i < 300; ++i) {
    std::string text(size_t(rng() % 40), '\0');
    for (char& c : text) c = char(rng());
    std::replace(text.begin(), text.end(), ' ', 'x');
    if (text.find("\xE2\x96\x81") != std::string::npos) continue;
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text) << "case " << i;
  }
}

TEST(TokenizerRoundTrip, QwenSamplesAndRandomUtf8) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  for (const auto& text : sample_texts()) {
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text);
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    const std::string text = random_utf8(rng, rng() % 40);
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text) << "case " << i;
  }
  // Pieces concatenate to the text too (what streaming output relies on).
  std::string joined;
  for (int32_t id : tok->encode("Streaming 🦙 text", false, false)) joined += tok->token_piece(id);
  EXPECT_EQ(joined, "Streaming 🦙 text");
}

TEST(TokenizerRoundTrip, QwenInvalidUtf8BecomesReplacementCharacter) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  // As llama.cpp: each invalid byte is read as U+FFFD.
  EXPECT_EQ(tok->decode(tok->encode("a\xFF" "b\xC3", false, false)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}

TEST(TokenizerSpecial, QwenControlTokensOnlyWithParseSpecial) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  const int32_t im_start = tok->find_token("<|im_start|>").value_or(-1);
  const int32_t im_end = tok->find_token("<|im_end|>").value_or(-1);
  ASSERT_EQ(im_start, 151644);
  ASSERT_EQ(im_end, 151645);
  const std::string text = "<|im_start|>user\nHi<|im_end|>";
  const auto special = tok->encode(text, false, true);
  ASSERT_GE(special.size(), 4u);
  EXPECT_EQ(special.front(), im_start);
  EXPECT_EQ(special.back(), im_end);
  EXPECT_EQ(std::vector<int32_t>(special.begin() + 1, special.end() - 1), tok->encode("user\nHi", false, false));
  const auto plain = tok->encode(text, false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), im_start), 0);
  EXPECT_EQ(tok->decode(plain), text);
  // decode() drops control tokens; token_piece() keeps their text.
  EXPECT_EQ(tok->decode(special), "user\nHi");
  EXPECT_EQ(tok->token_piece(im_end), "<|im_end|>");
}

TEST(TokenizerSpecial, QwenUserDefinedTokensAlwaysParsed) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  const int32_t think = tok->find_token("<think>").value_or(-1);
  ASSERT_EQ(think, 151667);
  EXPECT_EQ(tok->token_type(think), TokenType::kUserDefined);
  const auto ids = tok->encode("<think>\nhmm</think>", false, false);
  EXPECT_EQ(ids.front(), think);
  EXPECT_EQ(ids.back(), 151668);
  EXPECT_EQ(tok->decode(ids), "<think>\nhmm</think>");
}

TEST(TokenizerSpecial, QwenMetadata) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->model(), "gpt2");
  EXPECT_EQ(tok->n_vocab(), 151936);
  EXPECT_EQ(tok->bos(), 151643);
  EXPECT_EQ(tok->eos(), 151645);
  EXPECT_FALSE(tok->add_bos());
  EXPECT_TRUE(tok->is_eog(151645));  // <|im_end|>
  EXPECT_TRUE(tok->is_eog(151643));  // <|endoftext|>
  EXPECT_FALSE(tok->is_eog(151644));  // <|im_start|>
  EXPECT_FALSE(tok->is_eog(tok->find_token("Hello").value_or(0)));
  EXPECT_EQ(tok->token_piece(tok->find_token("\xC4\xA0the").value_or(0)), " the");  // "Ġthe"
  EXPECT_EQ(tok->token_piece(-1), "");
  EXPECT_EQ(tok->token_piece(tok->n_vocab()), "");
  EXPECT_EQ(tok->encode("", true, true), std::vector<int32_t>{151643});
}

TEST(TokenizerSpecial, SpmBosSpacePrefixAndPieces) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kSpmModel);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->model(), "llama");
  EXPECT_EQ(tok->bos(), 1);
  EXPECT_EQ(tok->eos(), 2);
  EXPECT_TRUE(tok->add_bos());
  EXPECT_TRUE(tok->is_eog(2));
  EXPECT_FALSE(tok->is_eog(1));
  EXPECT_TRUE(tok->encode("", false, false).empty());
  EXPECT_EQ(tok->encode("", true, false), std::vector<int32_t>{1});
  // Text after a special token gets the space prefix again, as at the start.
  const auto hello = tok->encode("Hello", false, false);
  auto expected = std::vector<int32_t>{1};
  expected.insert(expected.end(), hello.begin(), hello.end());
  EXPECT_EQ(tok->encode("<s>Hello", false, true), expected);
  EXPECT_NE(tok->encode("<s>Hello", false, false).front(), 1);
  EXPECT_EQ(tok->token_piece(tok->find_token("\xE2\x96\x81the").value_or(0)), " the");
  EXPECT_EQ(tok->token_piece(3 + 0x41), "A");  // <0x41>
  EXPECT_EQ(tok->token_piece(1), "<s>");
  // Byte fallback for a character outside the vocabulary: U+1F999 as 4 bytes.
  const auto ids = tok->encode("\xF0\x9F\xA6\x99", false, false);
  ASSERT_EQ(ids.size(), 5u);  // ▁ then four <0xNN>
  EXPECT_EQ(ids[1], 3 + 0xF0);
  EXPECT_EQ(ids[4], 3 + 0x99);
}

// A generated token's text as llama.cpp renders it without --special: control and unused tokens
// add nothing, SentencePiece's unknown token is U+2585, user-defined tokens keep their text.
TEST(TokenizerSpecial, OutputPiecesHideControlTokens) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* spm = test::shared_tokenizer(kSpmModel);
  ASSERT_NE(spm, nullptr);
  EXPECT_EQ(spm->output_piece(1), "");              // <s>
  EXPECT_EQ(spm->output_piece(2), "");              // </s>
  EXPECT_EQ(spm->output_piece(0), "\xE2\x96\x85");  // <unk>
  const int32_t the = spm->find_token("\xE2\x96\x81the").value_or(0);
  EXPECT_EQ(spm->output_piece(the), " the");
  EXPECT_EQ(spm->output_piece(3 + 0x41), "A");  // byte token
  EXPECT_EQ(spm->output_piece(-1), "");

  const Tokenizer* qwen = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(qwen, nullptr);
  EXPECT_EQ(qwen->output_piece(qwen->find_token("<|im_start|>").value_or(0)), "");
  EXPECT_EQ(qwen->output_piece(qwen->find_token("<|endoftext|>").value_or(0)), "");
  EXPECT_EQ(qwen->output_piece(qwen->find_token("<think>").value_or(0)), "<think>");
  EXPECT_EQ(qwen->output_piece(qwen->find_token("\xC4\xA0the").value_or(0)), " the");
}

TEST(TokenizerTiktoken, QwenPiecesEqualTiktokenRanks) {
  VEIL_REQUIRE_SHARED();
  const Tokenizer* tok = test::shared_tokenizer(kQwenModel);
  ASSERT_NE(tok, nullptr);
  // qwen.tiktoken: "base64(token bytes) rank" per line; Qwen3's ids equal the ranks.
  std::istringstream lines(veil::test::read_shared_text("models/tokenizers/qwen.tiktoken"));
  int checked = 0, mismatched = 0;
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.find(' ');
    ASSERT_NE(space, std::string::npos);
    auto bytes = base64_decode(line.substr(0, space));
    ASSERT_TRUE(bytes.ok());
    const int32_t rank = std::stoi(line.substr(space + 1));
    if (tok->token_piece(rank) != to_string(*bytes)) ++mismatched;
    ++checked;
  }
  EXPECT_EQ(checked, 151643);
  EXPECT_EQ(mismatched, 0);
}

// --- pre-tokenizer splits (no vocabulary needed) ---

std::vector<std::string> split_words(detail::PreTokenizer pre, const std::string& text) {
  const auto cpts = utf8_to_code_points(text);
  std::vector<std::string> words;
  size_t begin = 0;
  for (size_t n : detail::pre_tokenize(pre, cpts)) {
    std::string w;
    for (size_t i = begin; i < begin + n; ++i) append_utf8(w, cpts[i]);
    words.push_back(w);
    begin += n;
  }
  EXPECT_EQ(begin, cpts.size());
  return words;
}

using Words = std::vector<std::string>;
const std::string kSplitText = "Hello world 12345 don't  x\n\n y!!\n";

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(split_words(detail::PreTokenizer::kLlama3, kSplitText),
            (Words{"Hello", " world", " ", "123", "45", " don", "'t", " ", " x", "\n\n", " y", "!!\n"}));
  EXPECT_EQ(split_words(detail::PreTokenizer::kLlama3, "I'M héllo\xC2\xA0wörld٣٤ ..."),
            (Words{"I", "'M", " héllo", "\xC2\xA0wörld", "٣٤", " ..."}));
  EXPECT_EQ(split_words(detail::PreTokenizer::kLlama3, "end   "), (Words{"end", "   "}));
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(split_words(detail::PreTokenizer::kQwen2, kSplitText),
            (Words{"Hello", " world", " ", "1", "2", "3", "4", "5", " don", "'t", " ", " x", "\n\n", " y", "!!\n"}));
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(split_words(detail::PreTokenizer::kGpt2, kSplitText),
            (Words{"Hello", " world", " 12345", " don", "'t", " ", " x", "\n\n", " y", "!!", "\n"}));
  // GPT-2's contractions are case-sensitive.
  EXPECT_EQ(split_words(detail::PreTokenizer::kGpt2, "DON'T"), (Words{"DON", "'", "T"}));
}

TEST(PreTokenizer, DefaultChain) {
  EXPECT_EQ(split_words(detail::PreTokenizer::kDefault, "a+=b 1234567 hi!"),
            (Words{"a", "+=", "b", " ", "123", "456", "7", " hi", "!"}));
}

TEST(PreTokenizer, Names) {
  EXPECT_EQ(detail::pre_tokenizer_from_name("qwen2"), detail::PreTokenizer::kQwen2);
  EXPECT_EQ(detail::pre_tokenizer_from_name("llama-bpe"), detail::PreTokenizer::kLlama3);
  EXPECT_EQ(detail::pre_tokenizer_from_name(""), detail::PreTokenizer::kDefault);
  EXPECT_FALSE(detail::pre_tokenizer_from_name("some-new-model").has_value());
}

// --- vocabularies built in the test ---

TEST(TokenizerVocab, RejectsBadVocabularies) {
  VocabData v;
  v.model = "unigram";
  v.tokens = {"a"};
  auto r = Tokenizer::from_vocab(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "engine.unsupported_tokenizer");

  v.model = "llama";
  v.tokens.clear();
  EXPECT_FALSE(Tokenizer::from_vocab(v).ok());

  v.tokens = {"a", "b"};
  v.scores = {0.0f};
  EXPECT_FALSE(Tokenizer::from_vocab(v).ok());

  v.model = "gpt2";
  v.scores.clear();
  v.pre = "qwen2";
  EXPECT_FALSE(Tokenizer::from_vocab(v).ok());  // no merges
  v.merges = {"a b"};
  v.pre = "unknown-pre";
  r = Tokenizer::from_vocab(v);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "engine.unsupported_tokenizer");
}

TEST(TokenizerVocab, TinyBpeMergesByRank) {
  VocabData v;
  v.model = "gpt2";
  v.pre = "gpt2";
  v.tokens = {"a", "b", "c", "ab", "bc", "abc", "<|end|>", "\xC4\xA0"};  // Ġ = space
  v.merges = {"b c", "a b", "a bc"};
  v.types = std::vector<TokenType>(v.tokens.size(), TokenType::kNormal);
  v.types[6] = TokenType::kControl;
  v.eos = 6;
  v.bos = 99;  // out of range: ignored
  auto tok = Tokenizer::from_vocab(v);
  ASSERT_TRUE(tok.ok()) << tok.error().to_string();
  // "b c" has the best rank, then "a bc".
  EXPECT_EQ((*tok)->encode("abc", false, false), std::vector<int32_t>{5});
  EXPECT_EQ((*tok)->encode("ab", false, false), std::vector<int32_t>{3});
  EXPECT_EQ((*tok)->encode("ab<|end|>", false, true), (std::vector<int32_t>{3, 6}));
  EXPECT_EQ((*tok)->encode("a b", false, false), (std::vector<int32_t>{0, 7, 1}));
  EXPECT_EQ((*tok)->bos(), -1);
  EXPECT_TRUE((*tok)->is_eog(6));
  // Characters with no token are dropped, never a crash.
  EXPECT_EQ((*tok)->encode("xyz", false, false), std::vector<int32_t>{});
}

TEST(TokenizerVocab, Llama3WordsThatAreTokensSkipMerges) {
  VocabData v;
  v.model = "gpt2";
  v.tokens = {"a", "b", "c", "abc"};  // no merge rule builds "abc"
  v.merges = {"a b"};
  v.pre = "llama-bpe";
  auto llama3 = Tokenizer::from_vocab(v);
  ASSERT_TRUE(llama3.ok()) << llama3.error().to_string();
  EXPECT_EQ((*llama3)->encode("abc", false, false), std::vector<int32_t>{3});
  EXPECT_TRUE((*llama3)->add_bos());  // llama.cpp's default for Llama 3 vocabularies
  v.pre = "qwen2";
  auto qwen = Tokenizer::from_vocab(v);
  ASSERT_TRUE(qwen.ok());
  EXPECT_EQ((*qwen)->encode("abc", false, false), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_FALSE((*qwen)->add_bos());
}

TEST(TokenizerVocab, TinySpmPrefersHigherScores) {
  VocabData v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a", "b", "ab", "\xE2\x96\x81" "a", "\xE2\x96\x81" "ab"};
  v.scores = {0, 0, 0, -1, -1, -1, -2, -3, -5};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl, TokenType::kNormal, TokenType::kNormal,
             TokenType::kNormal, TokenType::kNormal, TokenType::kNormal, TokenType::kNormal};
  auto tok = Tokenizer::from_vocab(v);
  ASSERT_TRUE(tok.ok()) << tok.error().to_string();
  // "▁ab": the pair "ab" (score -2) merges before "▁a" (-3); then "▁ab" (-5).
  EXPECT_EQ((*tok)->encode("ab", false, false), std::vector<int32_t>{8});
  // No byte tokens: an unknown character becomes <unk> per byte.
  EXPECT_EQ((*tok)->encode("c", false, false), (std::vector<int32_t>{3, 0}));
  EXPECT_EQ((*tok)->decode((*tok)->encode("ab a", true, false)), "ab a");
}

}  // namespace
}  // namespace veil::engine
