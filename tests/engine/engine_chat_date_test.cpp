// Llama 3.1-family templates print today's date the way llama.cpp does.
#include <gtest/gtest.h>

#include <ctime>

#include "support/shared_data.h"
#include "veil/engine/engine.h"

namespace veil::engine {
namespace {

TEST(EngineChatDate, Llama31TemplateGetsTodaysDate) {
  VEIL_REQUIRE_SHARED();
  EngineOptions o;
  o.threads = 1;
  o.n_ctx = 64;
  o.max_sequences = 1;
  o.chat_template_override = "llama3.1";
  auto e = Engine::load(test::shared_path("models/ref/tiny-llama-q8_0.gguf"), o);
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  auto text = (*e)->render_chat({{"user", "hi"}}, true);
  ASSERT_TRUE(text.ok()) << text.error().to_string();
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%d %b %Y", &utc);
  EXPECT_NE(text->find(std::string("Today Date: ") + date), std::string::npos) << *text;
  EXPECT_EQ(text->find("26 Jul 2024"), std::string::npos);
}

}  // namespace
}  // namespace veil::engine
