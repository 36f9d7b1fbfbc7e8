// llama.cpp's tokenizer test vectors (../shared/models/tokenizers/*.inp/.out):
// inputs separated by "\n__ggml_vocab_test__\n", one line of expected ids per
// input, tokenized without BOS and without parsing special tokens.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "tokenizer_test_support.h"

namespace veil::engine {
namespace {

struct VectorCase {
  std::string input;
  std::vector<int32_t> expected;
};

std::vector<VectorCase> load_vectors(const std::string& stem) {
  const std::string inp = veil::test::read_shared_text("models/tokenizers/" + stem + ".inp");
  const std::string out = veil::test::read_shared_text("models/tokenizers/" + stem + ".out");
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<std::string> inputs;
  for (size_t pos = 0; pos < inp.size();) {
    size_t end = inp.find(separator, pos);
    if (end == std::string::npos) end = inp.size();
    inputs.push_back(inp.substr(pos, end - pos));
    pos = end + separator.size();
  }
  std::vector<std::vector<int32_t>> outputs;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    std::vector<int32_t> v;
    for (int32_t id; ids >> id;) v.push_back(id);
    outputs.push_back(std::move(v));
  }
  EXPECT_EQ(inputs.size(), outputs.size());
  std::vector<VectorCase> cases;
  for (size_t i = 0; i < std::min(inputs.size(), outputs.size()); ++i) cases.push_back({inputs[i], outputs[i]});
  return cases;
}

std::string ids_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += " " + std::to_string(id);
  return s;
}

void check_vectors(const std::string& model, const std::string& stem) {
  const Tokenizer* tok = test::shared_tokenizer(model);
  ASSERT_NE(tok, nullptr);
  const auto cases = load_vectors(stem);
  ASSERT_EQ(cases.size(), 46u);  // the .inp file's 46 inputs
  int passed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto got = tok->encode(cases[i].input, /*add_bos=*/false, /*parse_special=*/false);
    EXPECT_EQ(ids_text(got), ids_text(cases[i].expected)) << "case " << i;
    if (got == cases[i].expected) ++passed;
  }
  EXPECT_EQ(passed, int(cases.size()));
}

TEST(TokenizerVectors, LlamaSpmMatchesLlamaCpp) {
  VEIL_REQUIRE_SHARED();
  check_vectors("llama-2-tiny-random.gguf", "ggml-vocab-llama-spm.gguf");
}

TEST(TokenizerVectors, Qwen2BpeMatchesLlamaCpp) {
  VEIL_REQUIRE_SHARED();
  check_vectors("qwen3-vocab-only.gguf", "ggml-vocab-qwen2.gguf");
}

}  // namespace
}  // namespace veil::engine
