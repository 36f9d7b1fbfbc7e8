// `veil model complete`: greedy text and token ids of stories260K against REFERENCE.json (made by
// llama.cpp), both numerics modes, and usage errors.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/shared_data.h"
#include "veil/cli/commands.h"

namespace veil::cli {
namespace {

std::pair<int, std::string> run(std::vector<std::string> args) {
  args.insert(args.begin(), "model");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int rc = model_command(int(args.size()), argv.data());
  std::string out = testing::internal::GetCapturedStdout();
  testing::internal::GetCapturedStderr();
  return {rc, out};
}

TEST(ModelComplete, GreedyEqualsLlamaCppReference) {
  VEIL_REQUIRE_SHARED();
  auto ref = boost::json::parse(test::read_shared_text("models/REFERENCE.json"));
  const auto& c = ref.at("cases").as_array().at(0);
  const std::string prompt(c.at("prompt").as_string());
  const auto& want_ids = c.at("output_token_ids").as_array();
  const std::string n = std::to_string(want_ids.size());
  const std::string model = test::shared_path("models/stories260K.gguf");
  for (bool flash : {false, true}) {
    std::vector<std::string> args = {"complete", model,       prompt, "--max-tokens",
                                     n,          "--threads", "2",    "--json"};
    if (flash) args.push_back("--flash-attn-numerics");
    auto [rc, out] = run(args);
    ASSERT_EQ(rc, 0);
    auto doc = boost::json::parse(out).as_object();
    EXPECT_EQ(doc.at("token_ids").as_array(), want_ids) << "flash " << flash;
    EXPECT_EQ(doc.at("text").as_string(), c.at("output_text").as_string());
    EXPECT_EQ(doc.at("finish_reason").as_string(), "length");
    EXPECT_EQ(doc.at("prompt_tokens").to_number<int64_t>(),
              int64_t(c.at("prompt_token_ids").as_array().size()));
  }
  // Plain output: the streamed text and a newline.
  auto [rc, out] = run({"complete", model, prompt, "--max-tokens", "4"});
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, ", there was a\n");
}

TEST(ModelComplete, Errors) {
  EXPECT_EQ(run({"complete", "/nonexistent.gguf", "hi"}).first, 1);
  EXPECT_EQ(run({"complete", "/nonexistent.gguf", "hi", "--max-tokens", "0"}).first, 3);
  EXPECT_EQ(run({"complete", "/nonexistent.gguf"}).first, 3);
}

}  // namespace
}  // namespace veil::cli
